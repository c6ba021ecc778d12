"""A real drag source for the end-to-end tests: a small GTK window that offers files as a
text/uri-list drag, the way a file manager does. The test presses on it and moves the pointer
onto the app window with xdotool, so a drop travels through the X drag-and-drop protocol, GTK
and Tauri's drop handler exactly as one from a file manager would.

Usage: /usr/bin/python3 drag-source.py X Y FILE...   (prints "ready" once the window is shown)
"""

import sys
from urllib.parse import quote

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

TARGET_URI_LIST = 0


def main() -> None:
    x, y, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    uris = ["file://" + quote(p) for p in paths]

    window = Gtk.Window(title="Catena drag source")
    window.set_decorated(False)
    window.set_default_size(80, 60)
    window.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label=f"{len(paths)} files"))
    box.drag_source_set(
        Gdk.ModifierType.BUTTON1_MASK,
        [Gtk.TargetEntry.new("text/uri-list", 0, TARGET_URI_LIST)],
        Gdk.DragAction.COPY,
    )

    def on_get(_widget, _context, data, _info, _time):
        data.set_uris(uris)

    def on_end(_widget, _context):
        print("dropped", flush=True)

    box.connect("drag-data-get", on_get)
    box.connect("drag-end", on_end)
    window.add(box)
    window.connect("destroy", Gtk.main_quit)

    def ready():
        print("ready", flush=True)
        return False

    window.connect("map-event", lambda *_: GLib.timeout_add(200, ready) and False)
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()

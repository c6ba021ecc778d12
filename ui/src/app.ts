// The app shell: header, sidebar navigation and the view area, the drop overlay, and the keyboard
// shortcuts (Ctrl/⌘-K search, Ctrl/⌘-, settings, Esc closes panels). Views receive the client; none
// of them import the IPC layer's transport.
import type { AppInfo, Client } from "./ipc/client";
import { h } from "./dom";
import { icon, logo, type IconName } from "./icons";
import { askView } from "./views/ask";
import { historyView } from "./views/history";
import { libraryView } from "./views/library";
import { settingsView } from "./views/settings";

export type ViewId = "library" | "ask" | "history" | "settings";

interface Section {
  id: ViewId;
  label: string;
  icon: IconName;
  shortcut?: string;
}

export function mountApp(root: HTMLElement, client: Client): void {
  // One app_info call serves the header and the Library view.
  let info: Promise<AppInfo> | undefined;
  const loadInfo = (fresh = false) => {
    if (fresh || info === undefined) info = client.appInfo();
    return info;
  };

  const library = libraryView(client, loadInfo, () => show("settings"));
  const ask = askView(client);
  const history = historyView(client, (record) => {
    ask.openRecord(record);
    show("ask");
  });
  let settings: ReturnType<typeof settingsView> | null = null;

  const sections: Section[] = [
    { id: "library", label: "Library", icon: "library" },
    { id: "ask", label: "Ask", icon: "ask" },
    { id: "history", label: "History", icon: "history" },
    { id: "settings", label: "Settings", icon: "settings" },
  ];

  const main = h("main", { class: "content", id: "content", tabindex: "-1" });
  const buttons = new Map<ViewId, HTMLButtonElement>();
  let current: ViewId = "library";

  const element = (id: ViewId): HTMLElement => {
    switch (id) {
      case "library":
        return library.element;
      case "ask":
        return ask.element;
      case "history":
        history.refresh();
        return history.element;
      case "settings":
        // Built on first visit, so the local-server probe only runs when someone looks.
        if (settings === null) settings = settingsView(client);
        else settings.refresh();
        return settings.element;
    }
  };

  function show(id: ViewId) {
    current = id;
    for (const [key, button] of buttons) {
      if (key === id) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    main.replaceChildren(element(id));
    main.scrollTop = 0;
  }

  const nav = h(
    "nav",
    { class: "sidebar", "aria-label": "Sections" },
    h(
      "ul",
      { class: "nav-list" },
      ...sections.map((section) => {
        const button = h(
          "button",
          { type: "button", class: "nav-item", "data-view": section.id },
          icon(section.icon),
          h("span", {}, section.label),
        );
        button.addEventListener("click", () => {
          show(section.id);
          if (section.id === "ask") ask.focusQuestion();
        });
        buttons.set(section.id, button);
        return h("li", {}, button);
      }),
    ),
    h(
      "dl",
      { class: "shortcuts small" },
      h("dt", {}, h("kbd", {}, "Ctrl K")),
      h("dd", {}, "Search"),
      h("dt", {}, h("kbd", {}, "Ctrl ,")),
      h("dd", {}, "Settings"),
      h("dt", {}, h("kbd", {}, "Esc")),
      h("dd", {}, "Close panel"),
    ),
  );

  const version = h("span", { class: "version" });
  loadInfo().then(
    (i) => (version.textContent = `Version ${i.version}`),
    // The Library view shows the error; the header simply leaves the version out.
    () => undefined,
  );

  const overlay = h(
    "div",
    { class: "drop-overlay", hidden: true, "aria-hidden": "true" },
    h("div", { class: "drop-target" }, icon("documents", "empty-icon"), h("p", {}, "Drop to add to your library")),
  );
  const announcer = h("p", { class: "sr-only", role: "status", "aria-live": "assertive" });
  client
    .watchDrops((e) => {
      if (e.type === "hover") overlay.hidden = false;
      else if (e.type === "cancelled") overlay.hidden = true;
      else {
        overlay.hidden = true;
        show("library");
        announcer.textContent = `Adding ${e.paths.length} ${e.paths.length === 1 ? "item" : "items"}.`;
        library.add(e.paths);
      }
    })
    .catch(() => undefined);

  document.addEventListener("keydown", (ev) => {
    const mod = ev.ctrlKey || ev.metaKey;
    if (mod && ev.key.toLowerCase() === "k") {
      ev.preventDefault();
      show("library");
      library.focusSearch();
    } else if (mod && ev.key === ",") {
      ev.preventDefault();
      show("settings");
    } else if (ev.key === "Escape") {
      const closed = current === "library" ? library.closePanels() : current === "ask" ? ask.closePanels() : false;
      if (closed) ev.preventDefault();
    }
  });

  root.replaceChildren(
    h("a", { class: "skip-link", href: "#content" }, "Skip to content"),
    h("header", { class: "app-header" }, logo(), h("span", { class: "app-name" }, "Catena"), version),
    h("div", { class: "app-body" }, nav, main),
    overlay,
    announcer,
  );
  show("library");
}

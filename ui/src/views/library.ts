// The Library view: where the library lives on disk and how to fill it. Browsing documents and
// drag-and-drop import come with the library crate; until then this says plainly what to do.
import { type AppInfo, IpcError, toIpcError } from "../ipc/client";
import { h } from "../dom";
import { icon } from "../icons";

/** Loads app info; `fresh` asks again instead of reusing an earlier answer (for "Try again"). */
export type LoadInfo = (fresh?: boolean) => Promise<AppInfo>;

export function libraryView(loadInfo: LoadInfo): HTMLElement {
  // Announced politely so screen readers hear the path (or the error) once it arrives.
  const dataDir = h("div", { class: "data-dir", "aria-live": "polite", "aria-busy": "true" });

  const show = (fresh: boolean) => {
    dataDir.setAttribute("aria-busy", "true");
    dataDir.replaceChildren(h("p", { class: "muted" }, "Looking up the data directory…"));
    loadInfo(fresh).then(
      (info) => {
        dataDir.replaceChildren(
          h("code", { class: "path", "data-testid": "data-dir-path" }, info.data_dir),
          h(
            "p",
            { class: "hint" },
            "Catena keeps its index and history here. Set ",
            h("code", {}, "CATENA_DATA_DIR"),
            " to use another folder; the command line reads it too.",
          ),
        );
        dataDir.removeAttribute("aria-busy");
      },
      (raw: unknown) => {
        dataDir.replaceChildren(errorBox(toIpcError(raw), () => show(true)));
        dataDir.removeAttribute("aria-busy");
      },
    );
  };
  show(false);

  return h(
    "section",
    { class: "view", "aria-labelledby": "library-title" },
    h(
      "header",
      { class: "view-header" },
      h("h1", { id: "library-title" }, "Library"),
      h("p", { class: "lede" }, "The documents Catena searches and cites when it answers."),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "data-dir-title" },
      h("h2", { id: "data-dir-title", class: "card-title" }, "Data directory"),
      dataDir,
    ),
    h(
      "section",
      { class: "empty-state", "aria-labelledby": "empty-title" },
      icon("documents", "empty-icon"),
      h("h2", { id: "empty-title" }, "Add your first documents"),
      h("p", {}, "For now, documents are added from a terminal:"),
      h("pre", { class: "command" }, h("code", {}, "catena ingest PATH")),
      h(
        "p",
        { class: "muted" },
        "Replace PATH with the documents you want to add. Browsing them here, and dropping files onto this window, is coming soon.",
      ),
    ),
  );
}

function errorBox(error: IpcError, retry: () => void): HTMLElement {
  const again = h("button", { type: "button", class: "button" }, "Try again");
  again.addEventListener("click", retry);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", { class: "error-title" }, "Couldn't find the data directory"),
    h("p", { class: "error-message" }, error.message),
    h("p", { class: "error-code" }, `Error code: ${error.code}`),
    again,
  );
}

// The app shell: header, sidebar navigation and the view area. Views receive what they need from
// the client; none of them import the IPC layer's transport.
import type { AppInfo, Client } from "./ipc/client";
import { h } from "./dom";
import { icon, logo, type IconName } from "./icons";
import { libraryView } from "./views/library";
import { comingSoonView } from "./views/soon";

export type ViewId = "library" | "ask" | "history" | "settings";

interface Section {
  id: ViewId;
  label: string;
  icon: IconName;
  render: () => HTMLElement;
}

export function mountApp(root: HTMLElement, client: Client): void {
  // One app_info call serves the header and the Library view; "Try again" asks afresh.
  let info: Promise<AppInfo> | undefined;
  const loadInfo = (fresh = false) => {
    if (fresh || info === undefined) info = client.appInfo();
    return info;
  };

  const sections: Section[] = [
    { id: "library", label: "Library", icon: "library", render: () => libraryView(loadInfo) },
    {
      id: "ask",
      label: "Ask",
      icon: "ask",
      render: () =>
        comingSoonView("ask", "Ask", "Ask a question and get an answer that cites the passages it came from."),
    },
    {
      id: "history",
      label: "History",
      icon: "history",
      render: () =>
        comingSoonView("history", "History", "Your earlier questions and their answers will be listed here."),
    },
    {
      id: "settings",
      label: "Settings",
      icon: "settings",
      render: () =>
        comingSoonView("settings", "Settings", "Choose language models, add API keys and manage where your library lives."),
    },
  ];

  const main = h("main", { class: "content", id: "content" });
  const buttons = new Map<ViewId, HTMLButtonElement>();

  const show = (id: ViewId) => {
    const section = sections.find((s) => s.id === id);
    if (section === undefined) return;
    for (const [key, button] of buttons) {
      if (key === id) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    main.replaceChildren(section.render());
  };

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
        button.addEventListener("click", () => show(section.id));
        buttons.set(section.id, button);
        return h("li", {}, button);
      }),
    ),
  );

  const version = h("span", { class: "version" });
  loadInfo().then(
    (i) => (version.textContent = `Version ${i.version}`),
    // The Library view shows the error; the header simply leaves the version out.
    () => undefined,
  );

  root.replaceChildren(
    h("header", { class: "app-header" }, logo(), h("span", { class: "app-name" }, "Catena"), version),
    h("div", { class: "app-body" }, nav, main),
  );
  show("library");
}

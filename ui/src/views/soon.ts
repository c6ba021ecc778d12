// The empty state for sections that do not exist yet: says what will be here, shows nothing fake.
import { h } from "../dom";
import { icon } from "../icons";

export function comingSoonView(id: string, title: string, promise: string): HTMLElement {
  const titleId = `${id}-title`;
  return h(
    "section",
    { class: "view", "aria-labelledby": titleId },
    h("header", { class: "view-header" }, h("h1", { id: titleId }, title)),
    h(
      "div",
      { class: "empty-state" },
      icon("soon", "empty-icon"),
      h("h2", {}, "Coming soon"),
      h("p", { class: "muted" }, promise),
    ),
  );
}

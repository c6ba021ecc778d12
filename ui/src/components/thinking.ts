// The model's thinking in agent mode, in the answer card: a "Thinking" disclosure, closed by default,
// that fills as the text streams in. It is kept apart from the answer and is never cited or checked.
import { h } from "../dom";
import type { RunState } from "../run-state";

export interface ThinkingPanel {
  element: HTMLDetailsElement;
  /** Shows the thinking of `state`; hidden when there is none. Keeps whether the reader opened it. */
  update(state: Pick<RunState, "thinking" | "verified" | "finished">): void;
}

export function thinkingPanel(): ThinkingPanel {
  const label = h("span", {}, "Thinking");
  const note = h("span", { class: "muted small thinking-note" });
  const text = h("div", { class: "thinking-text", "aria-live": "off" });
  const element = h(
    "details",
    { class: "thinking", hidden: true },
    h("summary", {}, label, note),
    h("p", { class: "muted small" }, "How the model reasoned before answering. This is not part of the answer and is not checked against your sources."),
    text,
  ) as HTMLDetailsElement;
  return {
    element,
    update(s) {
      element.hidden = s.thinking.trim() === "";
      const live = !s.verified && !s.finished;
      element.setAttribute("aria-busy", String(live));
      note.textContent = live ? " (in progress)" : "";
      if (text.textContent !== s.thinking) text.textContent = s.thinking;
    },
  };
}

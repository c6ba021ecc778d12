import { describe, expect, it } from "vitest";
import { applyEvent, emptyRun } from "../run-state";
import { thinkingPanel } from "./thinking";

describe("thinking panel", () => {
  it("is hidden until there is thinking, closed by default, and fills as the text streams", () => {
    const panel = thinkingPanel();
    let state = emptyRun("When was the institute founded?", "agent");
    panel.update(state);
    expect(panel.element.hidden).toBe(true);

    state = applyEvent(state, { type: "thinking_delta", text: "I should look " });
    panel.update(state);
    expect(panel.element.hidden).toBe(false);
    expect(panel.element.open).toBe(false);
    expect(panel.element.querySelector("summary")?.textContent).toBe("Thinking (in progress)");
    expect(panel.element.getAttribute("aria-busy")).toBe("true");

    // The reader opens it; the next piece arrives and it stays open.
    panel.element.open = true;
    state = applyEvent(state, { type: "thinking_delta", text: "this up." });
    panel.update(state);
    expect(panel.element.open).toBe(true);
    expect(panel.element.querySelector(".thinking-text")?.textContent).toBe("I should look this up.");

    state = applyEvent(state, { type: "finished", run_id: "r" });
    panel.update(state);
    expect(panel.element.querySelector("summary")?.textContent).toBe("Thinking");
    expect(panel.element.getAttribute("aria-busy")).toBe("false");
  });

  it("keeps thinking out of the answer", () => {
    let state = emptyRun("q", "agent");
    state = applyEvent(state, { type: "thinking_delta", text: "Maybe 1911." });
    state = applyEvent(state, { type: "answer_delta", text: "Founded in 1911 [1]." });
    expect(state.answer).toBe("Founded in 1911 [1].");
    expect(state.thinking).toBe("Maybe 1911.");
  });
});

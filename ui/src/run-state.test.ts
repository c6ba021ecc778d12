import { describe, expect, it } from "vitest";
import recorded from "./fixtures/ask-extractive.json";
import { applyEvent, emptyRun, fromRecord, thinkingOf } from "./run-state";
import type { AskResult, RunEvent } from "./types";

const events = recorded.events as RunEvent[];
const result = recorded.result as unknown as AskResult;

describe("run state from a recorded engine stream", () => {
  it("folds the events into the same run the engine returned", () => {
    const state = events.reduce(applyEvent, emptyRun(recorded.question));
    expect(state.finished).toBe(true);
    expect(state.verified).toBe(true);
    expect(state.answer).toBe(result.record.answer);
    expect(state.nodes).toEqual(result.record.nodes);
    expect([...state.evidence.values()]).toEqual(
      expect.arrayContaining(result.record.evidence),
    );
    expect(state.citations).toEqual(result.record.citations);
    expect(fromRecord(result.record).nodes).toEqual(state.nodes);
  });

  it("marks a node running when it starts and keeps the others pending", () => {
    const plan = events[0] as RunEvent;
    const started = events.find((e) => e.type === "node_started") as RunEvent;
    const state = [plan, started].reduce(applyEvent, emptyRun("q"));
    const running = state.nodes.filter((n) => n.status === "running");
    expect(running.length).toBe(1);
    expect(state.nodes.filter((n) => n.status === "pending").length).toBe(state.nodes.length - 1);
  });

  it("streams answer deltas until the checked answer replaces them", () => {
    let state = emptyRun("q");
    state = applyEvent(state, { type: "answer_delta", text: "Founded in " });
    state = applyEvent(state, { type: "answer_delta", text: "1911 [1]." });
    expect(state.answer).toBe("Founded in 1911 [1].");
    state = applyEvent(state, { type: "verified", answer: "Founded in 1911.", citations: [], unsupported_sentences: [], conflicts: [] });
    state = applyEvent(state, { type: "answer_delta", text: " late" });
    expect(state.answer).toBe("Founded in 1911.");
  });
});

describe("agent runs", () => {
  it("read the stored thinking from the turn, without the results the run injected", () => {
    const turn =
      '<think>\nI need the year. <begin_search> Orbis founded</end_search>\n\n<search_result> result 1: "Orbis"\nFounded in 1911. </search_result>\n\nIt was 1911.\n</think>\n\n\\boxed{1911 [1]}';
    expect(thinkingOf(turn)).toBe("I need the year. <begin_search> Orbis founded</end_search>\n\nIt was 1911.");
    const record = result.record;
    expect(fromRecord(record).runMode).toBe("chain");
    expect(fromRecord(record).thinking).toBe("");
    const agent = fromRecord({ ...record, run_mode: "agent", plan_raw: turn });
    expect(agent.runMode).toBe("agent");
    expect(agent.thinking).toContain("It was 1911.");
  });
});

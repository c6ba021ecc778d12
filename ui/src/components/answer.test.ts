import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { applyEvent, emptyRun, fromRecord } from "../run-state";
import type { AskResult, RunEvent } from "../types";
import { formatUsage, renderAnswer, renderConflicts, sentenceVerdict, sentences, splitMarkers } from "./answer";

const result = recorded.result as unknown as AskResult;

describe("answer", () => {
  it("splits markers, including lists of them", () => {
    expect(splitMarkers("A [1]. B [2, 3].")).toEqual([
      { kind: "text", text: "A " },
      { kind: "marker", n: 1 },
      { kind: "text", text: ". B " },
      { kind: "marker", n: 2 },
      { kind: "marker", n: 3 },
      { kind: "text", text: "." },
    ]);
    expect(sentences("One [1]. Two? Three")).toEqual(["One [1]. ", "Two? ", "Three"]);
    expect(sentences("Uses a dense [1] We introduce it [4]")).toEqual(["Uses a dense [1] ", "We introduce it [4]"]);
  });

  it("renders the recorded answer with markers that preview and open their source", () => {
    const state = fromRecord(result.record);
    const openSource = vi.fn();
    const el = renderAnswer(state, { openSource });
    const markers = el.querySelectorAll<HTMLButtonElement>(".marker");
    expect(markers.length).toBe(2);
    const n = Number(markers[0]?.dataset.marker);
    const first = result.record.evidence.find((e) => e.id === n);
    expect(el.querySelector(".marker-preview .marker-passage")?.textContent).toBe(first?.text);
    expect(markers[0]?.getAttribute("aria-label")).toContain(first?.title ?? "?");
    markers[0]?.click();
    expect(openSource).toHaveBeenCalledWith(first);
    // Both sentences are supported, so neither carries a badge.
    expect(el.querySelectorAll(".verdict-badge").length).toBe(0);
  });

  it("flags unsupported and partly supported sentences", () => {
    const state = {
      ...emptyRun("q"),
      answer: "It was founded in 1911 [1]. It has a moon base. It is large [1].",
      verified: true,
      finished: true,
      citations: [
        { marker: 1, evidence_id: 1, sentence: "It was founded in 1911.", verdict: "supported" as const },
        { marker: 1, evidence_id: 1, sentence: "It is large.", verdict: "partial" as const },
      ],
      unsupported: ["It has a moon base."],
    };
    expect(sentenceVerdict("It is large [1].", state)).toBe("partial");
    // The engine checked two displayed sentences as one: both carry its verdict.
    const joined = { citations: [{ marker: 5, evidence_id: 5, sentence: "x = compile ( RAG (), Teleprompters are optimizers.", verdict: "partial" as const }], unsupported: [] };
    expect(sentenceVerdict("x = compile ( RAG () , [5] ", joined)).toBe("partial");
    expect(sentenceVerdict("Teleprompters are optimizers [3].", joined)).toBe("partial");
    const split = renderAnswer(
      { ...emptyRun("q"), answer: "x = compile ( RAG (), [5] Teleprompters are optimizers [3].", verified: true, finished: true, ...joined },
      { openSource: () => undefined },
    );
    // One checked sentence shown in two pieces gets one badge, not two.
    expect(split.querySelectorAll(".verdict-badge").length).toBe(1);
    expect(split.querySelectorAll(".sentence.verdict-partial").length).toBe(2);
    const el = renderAnswer(state, { openSource: () => undefined });
    const badges = [...el.querySelectorAll(".verdict-badge")].map((b) => b.textContent);
    expect(badges).toEqual(["Not supported", "Partly supported"]);
  });

  it("shows the answer growing while it streams, before any verdict", () => {
    let state = emptyRun("q");
    const plan = (recorded.events as RunEvent[])[0] as RunEvent;
    state = applyEvent(state, plan);
    state = applyEvent(state, { type: "answer_delta", text: "The observatory was built in 19" });
    const el = renderAnswer(state, { openSource: () => undefined });
    expect(el.textContent).toBe("The observatory was built in 19");
  });

  it("flags conflicts and reports usage", () => {
    const state = {
      ...fromRecord(result.record),
      conflicts: [{ node_id: 1, evidence_ids: [1, 2], answers: ["1911", "1912"] }],
      usage: { ...result.record.usage, llm_calls: 3, prompt_tokens: 1000, completion_tokens: 234, actions: 2, wall_ms: 2500 },
      mode: "llm" as const,
    };
    const conflicts = renderConflicts(state, { openSource: () => undefined });
    expect(conflicts?.textContent).toContain("Sources disagree");
    expect(conflicts?.textContent).toContain("1911");
    expect(conflicts?.textContent).toContain("1912");
    expect(formatUsage(state)).toBe("3 model calls · 1,234 tokens · 2 searches · 2.5 s");
  });
});

import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { applyEvent, emptyRun, fromRecord, type RunState } from "../run-state";
import type { AskResult, EvidenceRecord, RunEvent } from "../types";
import {
  formatUsage,
  parseNotFound,
  renderAnswer,
  renderConflicts,
  renderShortAnswer,
  sentenceVerdict,
  sentences,
  shortAnswerIn,
  splitMarkers,
} from "./answer";

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

describe("short answers, not-found answers and verdict reasons", () => {
  const passage: EvidenceRecord = {
    id: 3,
    node_id: 1,
    kind: "document",
    doc_id: 7,
    chunk_id: "7:2",
    path: "/home/ada/Documents/institute.md",
    title: "The Orbis Institute",
    page: null,
    location: "Observatory",
    url: null,
    span: [120, 185],
    text: "The institute's observatory was built in 1923 on the hill above the harbour.",
    score: 3.2,
    fetched_at: null,
  };
  const built = (over: Partial<RunState> = {}): RunState => ({
    ...emptyRun("When was the observatory built?"),
    evidence: new Map([[3, passage]]),
    answer: "1923 — The institute's observatory was built in 1923 on the hill above the harbour [3].",
    verified: true,
    finished: true,
    citations: [
      {
        marker: 3,
        evidence_id: 3,
        sentence: "1923 — The institute's observatory was built in 1923 on the hill above the harbour.",
        verdict: "supported",
        reason: "all 9 content words of the sentence are in [3]",
      },
    ],
    shortAnswer: { text: "1923", evidence_id: 3, span: { start: 41, end: 45 } },
    ...over,
  });

  it("shows the short answer first with its citation, and marks it inside its sentence", () => {
    const openSource = vi.fn();
    const state = built();
    const short = renderShortAnswer(state, { openSource });
    expect(short?.querySelector(".short-answer-text")?.textContent).toBe("1923");
    const marker = short?.querySelector<HTMLButtonElement>(".marker");
    expect(marker?.dataset.marker).toBe("3");
    marker?.click();
    // The source opens with the value's place in the passage, which is where the passage says it.
    expect(openSource).toHaveBeenCalledWith(passage, { start: 41, end: 45 });
    expect(passage.text.slice(41, 45)).toBe("1923");

    const body = renderAnswer(state, { openSource });
    // The value is not repeated in front of its sentence: it is marked where the sentence says it.
    const shown = body.querySelector(".sentence")?.cloneNode(true) as HTMLElement;
    shown.querySelectorAll(".marker-preview").forEach((p) => p.remove());
    expect(shown.textContent).toBe(
      "The institute's observatory was built in 1923 on the hill above the harbour 3.",
    );
    expect(body.querySelectorAll("mark.short-answer-mark").length).toBe(1);
    expect(body.querySelector("mark.short-answer-mark")?.textContent).toBe("1923");
    expect(shortAnswerIn("built in\n1923 on", { text: "built in 1923", evidence_id: 3, span: { start: 0, end: 0 } })).toEqual([0, 13]);
  });

  it("has no short answer while the answer streams, or when the run has none", () => {
    expect(renderShortAnswer(built({ shortAnswer: null }), { openSource: () => undefined })).toBeNull();
    const streaming = renderAnswer(built({ verified: false, citations: [] }), { openSource: () => undefined });
    expect(streaming.querySelector("mark")).toBeNull();
  });

  it("says plainly when the library does not answer, listing the closest matches without citations", () => {
    const openSource = vi.fn();
    const state = built({
      answer:
        "Your library does not answer this question.\nClosest matches, which do not answer it:\n- “The institute's observatory was built in 1923 on the hill above the harbour.” (The Orbis Institute, Observatory)\n- “Wendt also funded a school for girls.” (wendt)",
      citations: [],
      shortAnswer: null,
      notFound: true,
    });
    expect(renderShortAnswer(state, { openSource })).toBeNull();
    const body = renderAnswer(state, { openSource });
    expect(body.querySelector(".not-found-title")?.textContent).toBe("Not in your library");
    expect(body.textContent).toContain("Your library does not answer this question.");
    const matches = [...body.querySelectorAll(".closest-match")];
    expect(matches.map((m) => m.querySelector("q")?.textContent)).toEqual([
      "The institute's observatory was built in 1923 on the hill above the harbour.",
      "Wendt also funded a school for girls.",
    ]);
    // Nothing here claims support: no markers, no verdicts.
    expect(body.querySelectorAll(".marker, .verdict-badge, .sentence").length).toBe(0);
    // A match quoting gathered evidence can still be read in its source.
    matches[0]?.querySelector<HTMLButtonElement>("button")?.click();
    expect(openSource).toHaveBeenCalledWith(passage);
    expect(matches[1]?.querySelector("button")).toBeNull();
    expect(parseNotFound("Your library does not answer this question.")).toEqual({
      message: "Your library does not answer this question.",
      matches: [],
    });
  });

  it("explains each verdict on hover and to screen readers", () => {
    const state = {
      ...emptyRun("q"),
      answer: "It was founded in 1911 [1]. It has a moon base. It is large [1].",
      verified: true,
      finished: true,
      citations: [
        { marker: 1, evidence_id: 1, sentence: "It was founded in 1911.", verdict: "supported" as const, reason: "all 2 content words of the sentence are in [1]" },
        { marker: 1, evidence_id: 1, sentence: "It is large.", verdict: "partial" as const, reason: "[1] holds 1 of the sentence's 2 content words" },
      ],
      unsupported: ["It has a moon base."],
    };
    const el = renderAnswer(state, { openSource: () => undefined });
    document.body.replaceChildren(el);
    const sentencesShown = [...el.querySelectorAll<HTMLElement>(".sentence")];
    expect(sentencesShown[0]?.title).toBe("Supported: All 2 content words of the sentence are in [1].");
    const badges = [...el.querySelectorAll<HTMLElement>(".verdict-badge")];
    expect(badges.map((b) => b.title)).toEqual(["No source is cited for it.", "[1] holds 1 of the sentence's 2 content words."]);
    for (const badge of badges) {
      const described = document.getElementById(badge.getAttribute("aria-describedby") ?? "");
      expect(described?.textContent).toBe(badge.title);
      expect(badge.getAttribute("tabindex")).toBe("0");
    }
  });
});

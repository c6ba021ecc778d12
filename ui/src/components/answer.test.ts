import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { applyEvent, emptyRun, fromRecord, pendingNode, type RunState } from "../run-state";
import type { AskResult, EvidenceRecord, RunEvent } from "../types";
import {
  citedRange,
  closePreview,
  formatUsage,
  parseNotFound,
  passageSentences,
  placePreview,
  previewExcerpt,
  renderRunNotes,
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
    // The preview shows the sentence the answer cites, marked, with the passage around it.
    const cited = result.record.citations.find((c) => c.evidence_id === n)?.sentence;
    expect(el.querySelector(".marker-preview .marker-cited")?.textContent).toBe(cited);
    expect(first?.text.startsWith(cited ?? "?")).toBe(false);
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
    expect(streaming.querySelector("mark.short-answer-mark")).toBeNull();
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
    // Each badge says what its verdict means, then why this sentence got it.
    expect(badges.map((b) => b.title)).toEqual([
      "No cited passage backs this sentence; check it before relying on it. Why: No source is cited for it.",
      "The cited passages back only part of this sentence; check the rest before relying on it. Why: [1] holds 1 of the sentence's 2 content words.",
    ]);
    for (const badge of badges) {
      const described = document.getElementById(badge.getAttribute("aria-describedby") ?? "");
      expect(described?.textContent).toBe(badge.title);
      expect(badge.getAttribute("tabindex")).toBe("0");
    }
  });
});

describe("citation previews", () => {
  const lighthouse: EvidenceRecord = {
    id: 2,
    node_id: 1,
    kind: "document",
    doc_id: 4,
    chunk_id: "4:0",
    path: "/files/lighthouse.md",
    title: "Port Aster Lighthouse",
    page: null,
    location: "Port Aster Lighthouse",
    url: null,
    span: [0, 260],
    text:
      "Port Aster Lighthouse\n\nThe Port Aster lighthouse stands on the northern breakwater of the harbour. It was designed by the engineer Ines Varga and built between 1899 and 1903.\n\nThe tower\n\nThe tower is 31 metres tall.",
    score: 2.5,
    fetched_at: null,
  };
  const answer = (text: string, evidence: EvidenceRecord[], over: Partial<RunState> = {}): RunState => ({
    ...emptyRun("q"),
    evidence: new Map(evidence.map((e) => [e.id, e])),
    answer: text,
    verified: true,
    finished: true,
    ...over,
  });

  it("finds the cited sentence in the passage, not the passage's start", () => {
    const claim = "The Port Aster lighthouse was designed by the engineer Ines Varga [2].";
    const range = citedRange(lighthouse.text, claim);
    expect(range && lighthouse.text.slice(...range)).toBe("It was designed by the engineer Ines Varga and built between 1899 and 1903.");
    // Blank lines and sentence ends cut; a decimal point or a wrapped line does not.
    const text = "Heading\n\nOne is 3.5 m. Two!  Three goes\non here.";
    expect(passageSentences(text).map(([a, b]) => text.slice(a, b))).toEqual(["Heading", "One is 3.5 m.", "Two!", "Three goes\non here."]);
    // A span the run recorded (the short answer) wins over shared words.
    const passage = "The observatory opened to visitors in 1950 after repairs. Building work ended in 1923.";
    const at = passage.indexOf("1923");
    expect(citedRange(passage, "The observatory opened in 1923.")).toEqual([0, passage.indexOf(" Building")]);
    const hinted = citedRange(passage, "The observatory opened in 1923.", { start: at, end: at + 4 });
    expect(hinted && passage.slice(...hinted)).toBe("Building work ended in 1923.");
    expect(citedRange(passage, "Nothing alike here")).toBeNull();
    // A little context either side, cut at word boundaries.
    const long = `${"word ".repeat(60)}Cited sentence here. ${"after ".repeat(60)}`;
    const part = previewExcerpt(long, [long.indexOf("Cited"), long.indexOf("here.") + 5]);
    expect(part.cited).toBe("Cited sentence here.");
    expect(part.before.startsWith("…")).toBe(true);
    expect(part.before.length).toBeLessThan(120);
    expect(part.after.endsWith("…")).toBe(true);
  });

  it("shows the cited sentence on hover, and closes on click and on Esc without closing the panel behind", async () => {
    const openSource = vi.fn();
    const el = renderAnswer(answer("The Port Aster lighthouse was designed by the engineer Ines Varga [2].", [lighthouse]), { openSource });
    document.body.replaceChildren(el);
    const marker = el.querySelector<HTMLButtonElement>(".marker");
    const wrap = el.querySelector<HTMLElement>(".marker-wrap");
    const preview = el.querySelector<HTMLElement>(".marker-preview");
    expect(preview?.hidden).toBe(true);
    expect(marker?.getAttribute("aria-describedby")).toBe(preview?.id);
    expect(preview?.getAttribute("role")).toBe("tooltip");
    expect(preview?.querySelector(".marker-cited")?.textContent).toBe("It was designed by the engineer Ines Varga and built between 1899 and 1903.");
    expect(preview?.querySelector(".marker-passage")?.textContent).toContain("The Port Aster lighthouse stands on the northern breakwater");

    wrap?.dispatchEvent(new MouseEvent("mouseenter"));
    expect(preview?.hidden).toBe(false);
    // Placed through its style, inside the window.
    expect(preview?.style.left).toMatch(/^\d+px$/);
    marker?.click();
    expect(preview?.hidden).toBe(true);
    expect(openSource).toHaveBeenCalledWith(lighthouse);
    // Focus handed back when that source closes does not bring the preview back; later focus does.
    wrap?.dispatchEvent(new MouseEvent("mouseleave"));
    marker?.focus();
    expect(preview?.hidden).toBe(true);
    marker?.blur();
    marker?.focus();
    expect(preview?.hidden).toBe(false);
    marker?.blur();
    expect(preview?.hidden).toBe(true);

    wrap?.dispatchEvent(new MouseEvent("mouseenter"));
    expect(preview?.hidden).toBe(false);
    const appEscape = vi.fn();
    document.addEventListener("keydown", appEscape);
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(preview?.hidden).toBe(true);
    // The Esc that closed the preview does not also close the source panel (the app's handler).
    expect(appEscape).not.toHaveBeenCalled();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(appEscape).toHaveBeenCalledTimes(1);
    document.removeEventListener("keydown", appEscape);

    // Only one preview is open at a time, and it can be closed from outside (when a source opens).
    wrap?.dispatchEvent(new MouseEvent("mouseenter"));
    expect(closePreview()).toBe(true);
    expect(preview?.hidden).toBe(true);
    expect(closePreview()).toBe(false);
  });

  it("keeps the preview inside the window", () => {
    const size = { width: 360, height: 160 };
    const view = { width: 720, height: 600 };
    const at = (left: number, top: number) => ({ left, right: left + 20, top, bottom: top + 18 });
    // Near the left edge: pushed right, not cut off.
    expect(placePreview(at(4, 300), size, view)).toEqual({ left: 8, top: 132, below: false });
    // Near the right edge: pushed left.
    expect(placePreview(at(700, 300), size, view).left).toBe(720 - 360 - 8);
    // No room above: below the marker instead.
    expect(placePreview(at(300, 40), size, view)).toEqual({ left: 130, top: 66, below: true });
    // A window narrower than the preview: it starts at the margin.
    expect(placePreview(at(100, 300), size, { width: 300, height: 600 }).left).toBe(8);
  });

  it("previews a conflict's passages at the step answer they back", () => {
    const state = answer("It was designed by Ines Varga [2].", [lighthouse], {
      conflicts: [{ node_id: 1, evidence_ids: [2], answers: ["built between 1899 and 1903"] }],
    });
    const el = renderConflicts(state, { openSource: () => undefined });
    expect(el?.querySelector(".marker-cited")?.textContent).toBe("It was designed by the engineer Ines Varga and built between 1899 and 1903.");
  });

  it("says under the answer what happened: steps skipped or failed, sources not opened or missing", () => {
    const base = answer("It was designed by Ines Varga [2]. It was lit in 1903 [7].", [
      lighthouse,
      { ...lighthouse, id: 3, kind: "web", note: "page fetch refused: the address is private; used the search snippet" },
    ]);
    const state: RunState = {
      ...base,
      nodes: [
        pendingNode(1, { status: "done" }),
        pendingNode(2, { action: "web_search", status: "skipped", reason: "web search is off (Settings › Web search)" }),
        pendingNode(3, { action: "web_search", status: "skipped", reason: "web search is off (Settings › Web search)." }),
        pendingNode(4, { action: "data_analysis", status: "failed", reason: "the table could not be read" }),
      ],
    };
    const notes = renderRunNotes(state);
    expect(notes?.textContent).toBe(
      "2 steps skipped: web search is off (Settings › Web search); 1 step failed: the table could not be read; 1 source could not be opened (page fetch refused: the address is private; used the search snippet); 1 cited source is missing from this run.",
    );
    expect(notes?.getAttribute("role")).toBe("note");
    // Nothing to say, or the run is still going: no line.
    expect(renderRunNotes(answer("It was designed by Ines Varga [2].", [lighthouse]))).toBeNull();
    expect(renderRunNotes({ ...state, finished: false })).toBeNull();
  });
});

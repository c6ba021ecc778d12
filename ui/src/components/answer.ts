// The answer: the short answer first, then sentences with their support verdict (explained on
// hover), inline [n] markers that preview the cited passage on hover or focus and open the source on
// click, then conflicts and usage. An answer the library does not hold is shown as such, with its
// closest matches listed without any citation.
import { h } from "../dom";
import type { RunState } from "../run-state";
import type { EvidenceRecord, ShortAnswer, Verdict } from "../types";

export type Piece = { kind: "text"; text: string } | { kind: "marker"; n: number };

/** Splits answer text into plain text and `[n]` markers (also `[1, 2]`). */
export function splitMarkers(text: string): Piece[] {
  const pieces: Piece[] = [];
  const re = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) pieces.push({ kind: "text", text: text.slice(last, m.index) });
    for (const n of (m[1] ?? "").split(",")) pieces.push({ kind: "marker", n: Number(n.trim()) });
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push({ kind: "text", text: text.slice(last) });
  return pieces;
}

/** Sentences of the answer, each keeping its markers (a marker after the period stays with it). */
export function sentences(answer: string): string[] {
  // A sentence ends at . ! ? (with any markers right after it), or at a marker followed by a
  // capital letter: extractive answers join sentences as "… [1] Next sentence".
  const boundary = /[.!?]+(?:\s*\[\d+(?:\s*,\s*\d+)*\])*\s+|\[\d+(?:\s*,\s*\d+)*\]\s+(?=\p{Lu})/gu;
  const out: string[] = [];
  let last = 0;
  for (const m of answer.matchAll(boundary)) {
    const end = (m.index ?? 0) + m[0].length;
    out.push(answer.slice(last, end));
    last = end;
  }
  if (last < answer.length) out.push(answer.slice(last));
  return out.filter((s) => s.trim() !== "");
}

const norm = (s: string) =>
  s
    .replace(/\[\d+(?:\s*,\s*\d+)*\]/g, "")
    .replace(/\s+/g, " ")
    .replace(/\s+([.,;:!?])/g, "$1")
    .trim()
    .toLowerCase();

const RANK: Record<Verdict, number> = { supported: 0, partial: 1, unsupported: 2 };

/** What the engine concluded about one displayed sentence, and which checked sentence said so. */
export function sentenceCheck(
  sentence: string,
  state: Pick<RunState, "citations" | "unsupported">,
): { verdict: Verdict; checked: string; reason: string } | null {
  const key = norm(sentence);
  if (key === "") return null;
  // The engine may cut sentences differently from the display (a marker run between two
  // sentences), so a checked sentence matches the displayed one when either contains the other.
  const same = (other: string) => {
    const o = norm(other);
    return o !== "" && (o === key || o.includes(key) || key.includes(o));
  };
  const cited = state.citations.filter((c) => same(c.sentence));
  const reasons = [...new Set(cited.map((c) => c.reason?.trim() ?? "").filter((r) => r !== ""))];
  const explain = (fallback: string) => capitalise(reasons.length > 0 ? reasons.join("; ") : fallback);
  const unsupported = state.unsupported.find(same);
  if (unsupported !== undefined) {
    return {
      verdict: "unsupported",
      checked: norm(unsupported),
      reason: explain(cited.length > 0 ? "its sources do not hold what it says" : "no source is cited for it"),
    };
  }
  const first = cited[0];
  if (first === undefined) return null;
  const verdict = cited.map((c) => c.verdict).reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
  return { verdict, checked: norm(first.sentence), reason: explain(DEFAULT_REASON[verdict]) };
}

const DEFAULT_REASON: Record<Verdict, string> = {
  supported: "its source holds what it says",
  partial: "its source holds some of what it says",
  unsupported: "its source does not hold what it says",
};

const capitalise = (s: string) => (s === "" ? s : `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}`);
const sentenceEnd = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/** The verdict of one answer sentence: the weakest verdict of its citations, or unsupported. */
export function sentenceVerdict(sentence: string, state: Pick<RunState, "citations" | "unsupported">): Verdict | null {
  return sentenceCheck(sentence, state)?.verdict ?? null;
}

const VERDICT_LABEL: Record<Verdict, string> = {
  supported: "Supported",
  partial: "Partly supported",
  unsupported: "Not supported",
};

/** A part of a passage to highlight more strongly than the passage: a char range into its `text`. */
export interface Focus {
  start: number;
  end: number;
}

export interface AnswerHandlers {
  /** Opens the source of `evidence`; `focus` marks the short answer inside its text. */
  openSource(evidence: EvidenceRecord, focus?: Focus): void;
}

let describedIds = 0;

function markerButton(n: number, ev: EvidenceRecord | undefined, handlers: AnswerHandlers, focus?: Focus): HTMLElement {
  // A document's first section is often named like the document; say it once.
  const location = ev && ev.location !== ev.title ? ev.location : "";
  const label = ev ? `Source ${n}: ${ev.title}${location ? `, ${location}` : ""}` : `Source ${n}`;
  const button = h("button", { type: "button", class: "marker", "aria-label": label, "data-marker": String(n) }, String(n));
  if (ev === undefined) {
    button.setAttribute("disabled", "");
    return button;
  }
  const preview = h(
    "span",
    { class: "marker-preview", role: "tooltip" },
    h("strong", {}, ev.title),
    location ? h("span", { class: "muted" }, ` · ${location}`) : null,
    h("span", { class: "marker-passage" }, ev.text.length > 420 ? `${ev.text.slice(0, 419)}…` : ev.text),
  );
  button.addEventListener("click", () => (focus ? handlers.openSource(ev, focus) : handlers.openSource(ev)));
  return h("span", { class: "marker-wrap" }, button, preview);
}

/**
 * The short answer, shown above the answer: the value itself, large, with the marker of the passage
 * it was read from (opening the source with the value highlighted). `null` when the run has none.
 */
export function renderShortAnswer(state: RunState, handlers: AnswerHandlers): HTMLElement | null {
  const sa = state.shortAnswer;
  if (sa === null || state.notFound || sa.text.trim() === "") return null;
  const ev = state.evidence.get(sa.evidence_id);
  return h(
    "div",
    { class: "short-answer", role: "note", "aria-label": "Short answer" },
    h("span", { class: "short-answer-label" }, "Answer"),
    h("strong", { class: "short-answer-text" }, sa.text),
    markerButton(sa.evidence_id, ev, handlers, { start: sa.span.start, end: sa.span.end }),
  );
}

/** Where the short answer sits in a displayed sentence (UTF-16 offsets), or null. */
export function shortAnswerIn(sentence: string, sa: ShortAnswer): [number, number] | null {
  const at = sentence.indexOf(sa.text);
  if (at >= 0) return [at, at + sa.text.length];
  // The answer reads line breaks as spaces; the sentence may keep them.
  const flexible = new RegExp(sa.text.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+"));
  const m = flexible.exec(sentence);
  return m === null ? null : [m.index, m.index + m[0].length];
}

/** A closest match of a not-found answer: the quoted passage and where it is. */
export interface ClosestMatch {
  quote: string;
  place: string;
}

/**
 * Splits a not-found answer into what it says and its closest matches (`- “quote” (title, place)`
 * lines under "Closest matches, which do not answer it:").
 */
export function parseNotFound(answer: string): { message: string; matches: ClosestMatch[] } {
  const message: string[] = [];
  const matches: ClosestMatch[] = [];
  for (const raw of answer.split("\n")) {
    const line = raw.trim();
    if (line === "" || /^closest matches/i.test(line)) continue;
    const m = /^-\s*[“"](.*)[”"]\s*(?:\((.*)\))?\s*$/.exec(line);
    if (m) matches.push({ quote: m[1] ?? "", place: m[2] ?? "" });
    else if (line.startsWith("- ")) matches.push({ quote: line.slice(2), place: "" });
    else message.push(line);
  }
  return { message: message.join(" "), matches };
}

const squash = (s: string) => s.replace(/…$/, "").replace(/\s+/g, " ").trim().toLowerCase();

/** The evidence a closest match quotes, so its passage can be opened. */
function evidenceQuoted(state: RunState, quote: string): EvidenceRecord | undefined {
  const q = squash(quote);
  if (q === "") return undefined;
  return [...state.evidence.values()].find((e) => squash(e.text).includes(q));
}

/** "Not in your library": what the engine said and the closest matches, none of them cited. */
function renderNotFound(state: RunState, handlers: AnswerHandlers): HTMLElement {
  const { message, matches } = parseNotFound(state.answer);
  return h(
    "div",
    { class: "not-found", role: "note", "aria-labelledby": "not-found-title" },
    h("h3", { class: "not-found-title", id: "not-found-title" }, "Not in your library"),
    h("p", {}, message || "Your library does not answer this question."),
    matches.length === 0
      ? null
      : h(
          "div",
          { class: "closest" },
          h("p", { class: "muted small" }, "Closest matches — they do not answer the question:"),
          h(
            "ul",
            { class: "closest-matches" },
            ...matches.map((m) => {
              const ev = evidenceQuoted(state, m.quote);
              let open: HTMLElement | null = null;
              if (ev !== undefined) {
                open = h("button", { type: "button", class: "link-button small" }, "View passage");
                open.addEventListener("click", () => handlers.openSource(ev));
              }
              return h(
                "li",
                { class: "closest-match" },
                h("q", {}, m.quote),
                m.place ? h("span", { class: "muted small" }, ` ${m.place}`) : null,
                open ? " " : null,
                open,
              );
            }),
          ),
        ),
  );
}

/** The answer body. While streaming there are no verdicts yet; markers already preview. */
export function renderAnswer(state: RunState, handlers: AnswerHandlers): HTMLElement {
  const body = h("div", { class: "answer-text" });
  if (state.verified && state.notFound) {
    body.append(renderNotFound(state, handlers));
    return body;
  }
  if (state.answer.trim() === "") {
    body.append(
      h(
        "p",
        { class: "muted" },
        state.finished ? "No answer: nothing in the library answers this question." : "Waiting for the answer…",
      ),
    );
    return body;
  }
  const p = h("p", {});
  const shown = sentences(state.answer);
  const checks = shown.map((sentence) => (state.verified ? sentenceCheck(sentence, state) : null));
  const sa = state.verified ? state.shortAnswer : null;
  // The short answer is highlighted in the first sentence that cites its passage and holds it.
  const host = sa === null ? -1 : shown.findIndex((s) => s.includes(`[${sa.evidence_id}]`) && shortAnswerIn(s, sa) !== null);
  shown.forEach((sentence, i) => {
    const check = checks[i] ?? null;
    const verdict = check?.verdict ?? null;
    const span = h("span", { class: `sentence${verdict ? ` verdict-${verdict}` : ""}` });
    if (check !== null) span.title = `${VERDICT_LABEL[check.verdict]}: ${sentenceEnd(check.reason)}`;
    let text = sentence;
    let mark: [number, number] | null = null;
    if (sa !== null && i === host) {
      // Extractive lines read "value — sentence": the value is shown above, so it is marked
      // where it stands in the sentence instead of being repeated in front of it.
      const prefix = `${sa.text} — `;
      const lead = text.length - text.trimStart().length;
      if (text.startsWith(prefix, lead) && shortAnswerIn(text.slice(lead + prefix.length), sa) !== null) {
        text = text.slice(0, lead) + text.slice(lead + prefix.length);
      }
      mark = shortAnswerIn(text, sa);
    }
    let offset = 0;
    for (const piece of splitMarkers(text)) {
      if (piece.kind === "marker") {
        span.append(markerButton(piece.n, state.evidence.get(piece.n), handlers));
        continue;
      }
      const start = text.indexOf(piece.text, offset);
      const end = start + piece.text.length;
      offset = end;
      if (mark !== null && mark[0] >= start && mark[1] <= end) {
        const [a, b] = [mark[0] - start, mark[1] - start];
        span.append(piece.text.slice(0, a), h("mark", { class: "short-answer-mark" }, piece.text.slice(a, b)), piece.text.slice(b));
        mark = null;
      } else {
        span.append(piece.text);
      }
    }
    // One badge per checked sentence, after the last displayed piece of it, explained on hover
    // and to assistive technology.
    const continues = check !== null && checks[i + 1]?.checked === check.checked;
    if (check !== null && verdict !== null && verdict !== "supported" && !continues) {
      const id = `verdict-reason-${++describedIds}`;
      span.append(
        h(
          "span",
          { class: `verdict-badge verdict-${verdict}`, title: sentenceEnd(check.reason), tabindex: "0", "aria-describedby": id },
          VERDICT_LABEL[verdict],
        ),
        h("span", { class: "sr-only", id }, sentenceEnd(check.reason)),
      );
    }
    p.append(span);
  });
  body.append(p);
  return body;
}

/** Conflicting sources, if any. */
export function renderConflicts(state: RunState, handlers: AnswerHandlers): HTMLElement | null {
  if (state.conflicts.length === 0) return null;
  return h(
    "div",
    { class: "conflicts", role: "note" },
    h("h3", {}, "Sources disagree"),
    h(
      "ul",
      {},
      ...state.conflicts.map((c) => {
        const node = state.nodes.find((n) => n.id === c.node_id);
        return h(
          "li",
          {},
          node ? `${node.sub_question} — ` : `Step ${c.node_id} — `,
          ...c.evidence_ids.flatMap((id, i) => [
            i > 0 ? "; " : "",
            markerButton(id, state.evidence.get(id), handlers),
            ` ${c.answers[i] ?? ""}`,
          ]),
        );
      }),
    ),
  );
}

export function formatUsage(state: RunState): string {
  const u = state.usage;
  if (u === null) return "";
  const tokens = u.prompt_tokens + u.completion_tokens;
  const parts = [
    `${u.llm_calls} model ${u.llm_calls === 1 ? "call" : "calls"}`,
    `${tokens.toLocaleString("en")} tokens`,
    `${u.actions} ${u.actions === 1 ? "search" : "searches"}`,
    `${(u.wall_ms / 1000).toFixed(1)} s`,
  ];
  if (state.mode === "extractive") parts.unshift("Extractive answer");
  return parts.join(" · ");
}

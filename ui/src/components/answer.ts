// The answer: sentences with their support verdict, inline [n] markers that preview the cited
// passage on hover or focus and open the source on click, then conflicts and usage.
import { h } from "../dom";
import type { RunState } from "../run-state";
import type { EvidenceRecord, Verdict } from "../types";

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
): { verdict: Verdict; checked: string } | null {
  const key = norm(sentence);
  if (key === "") return null;
  // The engine may cut sentences differently from the display (a marker run between two
  // sentences), so a checked sentence matches the displayed one when either contains the other.
  const same = (other: string) => {
    const o = norm(other);
    return o !== "" && (o === key || o.includes(key) || key.includes(o));
  };
  const unsupported = state.unsupported.find(same);
  if (unsupported !== undefined) return { verdict: "unsupported", checked: norm(unsupported) };
  const cited = state.citations.filter((c) => same(c.sentence));
  const first = cited[0];
  if (first === undefined) return null;
  const verdict = cited.map((c) => c.verdict).reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
  return { verdict, checked: norm(first.sentence) };
}

/** The verdict of one answer sentence: the weakest verdict of its citations, or unsupported. */
export function sentenceVerdict(sentence: string, state: Pick<RunState, "citations" | "unsupported">): Verdict | null {
  return sentenceCheck(sentence, state)?.verdict ?? null;
}

const VERDICT_LABEL: Record<Verdict, string> = {
  supported: "Supported",
  partial: "Partly supported",
  unsupported: "Not supported",
};

export interface AnswerHandlers {
  openSource(evidence: EvidenceRecord): void;
}

function markerButton(n: number, ev: EvidenceRecord | undefined, handlers: AnswerHandlers): HTMLElement {
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
  button.addEventListener("click", () => handlers.openSource(ev));
  return h("span", { class: "marker-wrap" }, button, preview);
}

/** The answer body. While streaming there are no verdicts yet; markers already preview. */
export function renderAnswer(state: RunState, handlers: AnswerHandlers): HTMLElement {
  const body = h("div", { class: "answer-text" });
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
  shown.forEach((sentence, i) => {
    const check = checks[i] ?? null;
    const verdict = check?.verdict ?? null;
    const span = h("span", { class: `sentence${verdict ? ` verdict-${verdict}` : ""}` });
    for (const piece of splitMarkers(sentence)) {
      if (piece.kind === "text") span.append(piece.text);
      else span.append(markerButton(piece.n, state.evidence.get(piece.n), handlers));
    }
    // One badge per checked sentence, after the last displayed piece of it.
    const continues = check !== null && checks[i + 1]?.checked === check.checked;
    if (verdict !== null && verdict !== "supported" && !continues) {
      span.append(h("span", { class: `verdict-badge verdict-${verdict}` }, VERDICT_LABEL[verdict]));
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

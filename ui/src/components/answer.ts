// The answer: the short answer first, then sentences with their support verdict (explained on
// hover), inline [n] markers that preview the cited sentence of their passage on hover or focus and
// open the source on click, then conflicts, what went missing during the run, and usage. An answer
// the library does not hold is shown as such, with its closest matches listed without any citation.
import { h } from "../dom";
import { whatHappened, type RunState } from "../run-state";
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

/** What each verdict means, for a reader who has not met the word before. */
export const VERDICT_MEANING: Record<Verdict, string> = {
  supported: "The cited passages say what this sentence says.",
  partial: "The cited passages back only part of this sentence; check the rest before relying on it.",
  unsupported: "No cited passage backs this sentence; check it before relying on it.",
};

/** A verdict badge's explanation: what the verdict means, then why this sentence got it. */
export function verdictExplanation(verdict: Verdict, reason: string): string {
  return `${VERDICT_MEANING[verdict]} Why: ${sentenceEnd(reason)}`;
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
let previewIds = 0;

const MARKERS = /\[\d+(?:\s*,\s*\d+)*\]/g;

// Words that say little about what a sentence claims; left out when sentences are compared.
const STOP_WORDS = new Set(
  (
    "a an and are as at be been but by did do does for from had has have he her his how i if in into is it its " +
    "of on or she so than that the their them then there these they this those to was were what when where " +
    "which who whom whose why will with would you your not no also about after before over under between"
  ).split(" "),
);

/** A word reduced to a rough stem, so "designed" and "design", "lamps" and "lamp" compare equal. */
function stem(word: string): string {
  const w = word.toLowerCase().replace(/['’]s$/, "");
  if (w.length > 4) return w.replace(/(?:ing|ed|es|s)$/, "");
  return w;
}

/** The words of `text` that carry its meaning, stemmed: no stop words, no markers. */
export function contentWords(text: string): string[] {
  const words = text.replace(MARKERS, " ").match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
  return words.filter((w) => /\p{N}/u.test(w) || (w.length > 1 && !STOP_WORDS.has(w.toLowerCase()))).map(stem);
}

/**
 * The sentences of a passage as char ranges `[start, end)` into it: a sentence ends at . ! or ?
 * followed by a space, or at a blank line (a heading, a list item). Line breaks inside a
 * paragraph are not boundaries: extracted text wraps lines mid-sentence.
 */
export function passageSentences(text: string): [number, number][] {
  const out: [number, number][] = [];
  const push = (a: number, b: number) => {
    while (a < b && /\s/.test(text[a] ?? "")) a++;
    while (b > a && /\s/.test(text[b - 1] ?? "")) b--;
    if (b > a) out.push([a, b]);
  };
  let start = 0;
  for (const m of text.matchAll(/[.!?]+["'”’)\]]*(?=\s)|\n[ \t]*\n/g)) {
    const at = m.index ?? 0;
    const blank = m[0].startsWith("\n");
    push(start, blank ? at : at + m[0].length);
    start = at + m[0].length;
  }
  push(start, text.length);
  return out;
}

/**
 * Where in `passage` the cited claim sits, as a char range: the passage sentence holding `hint`
 * (a span the run recorded, such as the short answer) when there is one, otherwise the passage
 * sentence sharing most words with `claim` (the answer sentence carrying the marker). `null` when
 * no sentence shares a word with it.
 */
export function citedRange(passage: string, claim: string, hint?: Focus | null): [number, number] | null {
  const ranges = passageSentences(passage);
  if (hint) {
    const holding = ranges.find(([a, b]) => hint.start >= a && hint.start < b);
    if (holding) return holding;
  }
  const wanted = new Set(contentWords(claim));
  if (wanted.size === 0) return null;
  let best: [number, number] | null = null;
  let bestShared = 0;
  let bestShare = 0;
  for (const range of ranges) {
    const words = new Set(contentWords(passage.slice(range[0], range[1])));
    let shared = 0;
    for (const w of wanted) if (words.has(w)) shared++;
    // Among equals, the sentence that is most about the claim (fewest other words) wins.
    const share = words.size === 0 ? 0 : shared / words.size;
    if (shared > bestShared || (shared === bestShared && shared > 0 && share > bestShare)) {
      best = range;
      bestShared = shared;
      bestShare = share;
    }
  }
  return best;
}

const flat = (s: string) => s.replace(/\s+/g, " ");

/** Up to `max` chars of `text`, cut at a word boundary: its end when `fromEnd`, else its start. */
function clip(text: string, max: number, fromEnd: boolean): string {
  const t = flat(text);
  if (t.length <= max) return t;
  if (fromEnd) {
    const tail = t.slice(t.length - max);
    const space = tail.indexOf(" ");
    return `…${space >= 0 && space < max / 2 ? tail.slice(space) : tail}`;
  }
  const head = t.slice(0, max);
  const space = head.lastIndexOf(" ");
  return `${space > max / 2 ? head.slice(0, space) : head}…`;
}

/** The preview of a citation: the cited sentence, with a little of the passage either side. */
export function previewExcerpt(passage: string, range: [number, number]): { before: string; cited: string; after: string } {
  const CONTEXT = 110;
  const cited = clip(passage.slice(range[0], range[1]).trim(), 420, false);
  const before = passage.slice(0, range[0]).trim();
  const after = passage.slice(range[1]).trim();
  return {
    before: before === "" ? "" : `${clip(before, CONTEXT, true)} `,
    cited,
    after: after === "" ? "" : ` ${clip(after, CONTEXT, false)}`,
  };
}

/**
 * Where a preview of `size` goes for a marker at `anchor` (viewport coordinates): centred above
 * it, or below it when there is no room above, and always inside the viewport, `margin` px from
 * its edges.
 */
export function placePreview(
  anchor: { left: number; right: number; top: number; bottom: number },
  size: { width: number; height: number },
  viewport: { width: number; height: number },
  margin = 8,
): { left: number; top: number; below: boolean } {
  const gap = 8;
  const maxLeft = Math.max(margin, viewport.width - size.width - margin);
  const left = Math.min(Math.max((anchor.left + anchor.right) / 2 - size.width / 2, margin), maxLeft);
  let top = anchor.top - gap - size.height;
  let below = false;
  if (top < margin) {
    top = anchor.bottom + gap;
    below = true;
  }
  top = Math.max(margin, Math.min(top, viewport.height - size.height - margin));
  return { left: Math.round(left), top: Math.round(top), below };
}

/** The one preview on screen, so that opening another (or Esc) closes it. */
let shownPreview: { close(): void } | null = null;

/** Closes the citation preview on screen, if any; true when one was open. */
export function closePreview(): boolean {
  if (shownPreview === null) return false;
  shownPreview.close();
  return true;
}

/**
 * Shows `preview` while the pointer is over `wrap` or `button` has keyboard focus; places it
 * inside the window, and closes it on click, Esc, scrolling or resizing.
 */
function attachPreview(wrap: HTMLElement, button: HTMLElement, preview: HTMLElement): void {
  let hovered = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const place = () => {
    const view = document.documentElement;
    const spot = placePreview(
      button.getBoundingClientRect(),
      { width: preview.offsetWidth, height: preview.offsetHeight },
      { width: view.clientWidth || window.innerWidth, height: view.clientHeight || window.innerHeight },
    );
    // Through the CSSOM, which the page's style-src policy allows, unlike style attributes.
    preview.style.left = `${spot.left}px`;
    preview.style.top = `${spot.top}px`;
    preview.classList.toggle("below", spot.below);
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key !== "Escape") return;
    const visible = preview.isConnected;
    close();
    // Esc closes the preview only, not the source panel behind it.
    if (visible) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  };
  const onMove = () => close();
  const control = { close };
  function close() {
    clearTimeout(timer);
    preview.hidden = true;
    if (shownPreview === control) shownPreview = null;
    window.removeEventListener("keydown", onKey, true);
    window.removeEventListener("scroll", onMove, true);
    window.removeEventListener("resize", onMove);
  }
  const show = () => {
    clearTimeout(timer);
    if (!preview.hidden) return;
    if (shownPreview !== null && shownPreview !== control) shownPreview.close();
    preview.hidden = false;
    shownPreview = control;
    place();
    window.addEventListener("keydown", onKey, true);
    window.addEventListener("scroll", onMove, true);
    window.addEventListener("resize", onMove);
  };
  // A short delay lets the pointer cross from the marker to the preview, to read or select it.
  const hideSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(close, 150);
  };
  wrap.addEventListener("mouseenter", () => {
    hovered = true;
    show();
  });
  wrap.addEventListener("mouseleave", () => {
    hovered = false;
    if (document.activeElement !== button) hideSoon();
  });
  // Focus coming back from the source this marker opened (its panel closed) shows no preview.
  let opened = false;
  button.addEventListener("focus", () => {
    if (opened) {
      opened = false;
      return;
    }
    let keyboard = true;
    try {
      keyboard = button.matches(":focus-visible");
    } catch {
      // A DOM without :focus-visible: treat focus as keyboard focus.
    }
    if (keyboard) show();
  });
  button.addEventListener("blur", () => {
    if (!hovered) close();
  });
  button.addEventListener("click", () => {
    opened = true;
    close();
  });
}

/** How a marker finds the sentence it cites, and what its click opens. */
interface MarkerOptions {
  /** Marked in the source when it opens (the short answer). */
  focus?: Focus | undefined;
  /** The answer text carrying the marker. */
  claim?: string;
  /** A span of the passage the run recorded for this citation. */
  hint?: Focus | undefined;
}

function markerButton(n: number, ev: EvidenceRecord | undefined, handlers: AnswerHandlers, options: MarkerOptions = {}): HTMLElement {
  const { focus, claim = "", hint } = options;
  // A document's first section is often named like the document; say it once.
  const location = ev && ev.location !== ev.title ? ev.location : "";
  const label = ev ? `Source ${n}: ${ev.title}${location ? `, ${location}` : ""}` : `Source ${n} (not found in this run)`;
  const button = h("button", { type: "button", class: "marker", "aria-label": label, "data-marker": String(n) }, String(n));
  if (ev === undefined) {
    button.setAttribute("disabled", "");
    return button;
  }
  const range = citedRange(ev.text, claim, hint ?? focus);
  let passage: HTMLElement;
  if (range === null) {
    passage = h("span", { class: "marker-passage" }, ev.text.length > 420 ? `${ev.text.slice(0, 419)}…` : ev.text);
  } else {
    const part = previewExcerpt(ev.text, range);
    passage = h("span", { class: "marker-passage" }, part.before, h("mark", { class: "marker-cited" }, part.cited), part.after);
  }
  const id = `marker-preview-${++previewIds}`;
  const preview = h(
    "span",
    { class: "marker-preview", role: "tooltip", id, hidden: true },
    h("strong", {}, ev.title),
    location ? h("span", { class: "muted" }, ` · ${location}`) : null,
    passage,
  );
  button.setAttribute("aria-describedby", id);
  button.addEventListener("click", () => (focus ? handlers.openSource(ev, focus) : handlers.openSource(ev)));
  const wrap = h("span", { class: "marker-wrap" }, button, preview);
  attachPreview(wrap, button, preview);
  return wrap;
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
    markerButton(sa.evidence_id, ev, handlers, { focus: { start: sa.span.start, end: sa.span.end }, claim: sa.text }),
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
        // The short answer's span is where this sentence's claim sits in the passage it cites.
        const hint = sa !== null && sa.evidence_id === piece.n && shortAnswerIn(sentence, sa) !== null ? { start: sa.span.start, end: sa.span.end } : undefined;
        span.append(markerButton(piece.n, state.evidence.get(piece.n), handlers, { claim: sentence, hint }));
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
      const explained = verdictExplanation(verdict, check.reason);
      span.append(
        h(
          "span",
          { class: `verdict-badge verdict-${verdict}`, title: explained, tabindex: "0", "aria-describedby": id },
          VERDICT_LABEL[verdict],
        ),
        h("span", { class: "sr-only", id }, explained),
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
            markerButton(id, state.evidence.get(id), handlers, { claim: c.answers[i] ?? "" }),
            ` ${c.answers[i] ?? ""}`,
          ]),
        );
      }),
    ),
  );
}

/**
 * What happened during the run that the answer cannot show: steps skipped or failed, sources that
 * could not be opened or are missing. `null` when nothing did, or while the run is going.
 */
export function renderRunNotes(state: RunState): HTMLElement | null {
  if (!state.finished) return null;
  const notes = whatHappened(state);
  if (notes.length === 0) return null;
  return h("p", { class: "run-notes small", role: "note", "aria-label": "What happened" }, `${notes.join("; ")}.`);
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

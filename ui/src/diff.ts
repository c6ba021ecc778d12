// What changed between two runs of the same question: a word diff of the answers (markers left
// out, since their numbers are per run) and the cited sources that came and went.
import type { RunRecord } from "./types";

export type WordOp = { op: "same" | "added" | "removed"; text: string };

export interface RunDiff {
  answer: WordOp[];
  sourcesAdded: string[];
  sourcesRemoved: string[];
  sourcesKept: string[];
  answerChanged: boolean;
}

const words = (s: string) =>
  s
    .replace(/\[\d+(?:\s*,\s*\d+)*\]/g, "")
    .split(/\s+/)
    .filter((w) => w !== "");

/** Longest-common-subsequence word diff; answers are short, so the quadratic table is fine. */
export function diffWords(a: string, b: string): WordOp[] {
  const x = words(a);
  const y = words(b);
  const n = x.length;
  const m = y.length;
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i] as number[];
    const below = table[i + 1] as number[];
    for (let j = m - 1; j >= 0; j--) {
      row[j] = x[i] === y[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: WordOp[] = [];
  const push = (op: WordOp["op"], text: string) => {
    const last = out[out.length - 1];
    if (last !== undefined && last.op === op) last.text += ` ${text}`;
    else out.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      push("same", x[i] as string);
      i++;
      j++;
    } else if ((table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)) {
      push("removed", x[i++] as string);
    } else {
      push("added", y[j++] as string);
    }
  }
  while (i < n) push("removed", x[i++] as string);
  while (j < m) push("added", y[j++] as string);
  return out;
}

/** A cited source, named the way a reader recognises it. */
function citedSources(r: RunRecord): Set<string> {
  const cited = new Set(r.citations.map((c) => c.evidence_id));
  const out = new Set<string>();
  for (const e of r.evidence) {
    if (!cited.has(e.id)) continue;
    const where = e.location ? `, ${e.location}` : "";
    out.add(e.url ?? `${e.title}${where}`);
  }
  return out;
}

export function diffRuns(before: RunRecord, after: RunRecord): RunDiff {
  const a = citedSources(before);
  const b = citedSources(after);
  const answer = diffWords(before.answer, after.answer);
  return {
    answer,
    answerChanged: answer.some((w) => w.op !== "same"),
    sourcesAdded: [...b].filter((s) => !a.has(s)),
    sourcesRemoved: [...a].filter((s) => !b.has(s)),
    sourcesKept: [...a].filter((s) => b.has(s)),
  };
}

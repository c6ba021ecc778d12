import { describe, expect, it } from "vitest";
import recorded from "./fixtures/ask-extractive.json";
import { diffRuns, diffWords } from "./diff";
import type { AskResult, RunRecord } from "./types";

const before = (recorded.result as unknown as AskResult).record;

describe("run diff", () => {
  it("diffs answers word by word, ignoring marker numbers", () => {
    expect(diffWords("Founded in 1911 [1].", "Founded in 1912 [3].")).toEqual([
      { op: "same", text: "Founded in" },
      { op: "removed", text: "1911" },
      { op: "added", text: "1912" },
      { op: "same", text: "." },
    ]);
  });

  it("reports the same run as unchanged", () => {
    const d = diffRuns(before, before);
    expect(d.answerChanged).toBe(false);
    expect(d.sourcesAdded).toEqual([]);
    expect(d.sourcesRemoved).toEqual([]);
    expect(d.sourcesKept.length).toBe(2);
  });

  it("lists sources that came and went", () => {
    const after: RunRecord = {
      ...before,
      answer: "The Orbis Institute was founded in 1911 [2].",
      citations: before.citations.filter((c) => c.evidence_id === 2),
    };
    const d = diffRuns(before, after);
    expect(d.answerChanged).toBe(true);
    expect(d.sourcesRemoved.length).toBe(1);
    expect(d.sourcesAdded).toEqual([]);
  });
});

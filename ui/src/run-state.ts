// A run as the UI knows it while it unfolds: folded from the engine's event stream, or taken whole
// from a stored record. Pure data and pure functions, so the views can be tested on recorded streams.
import type {
  CitationRecord,
  ConflictRecord,
  EvidenceRecord,
  NodeRecord,
  PredictionRecord,
  RunEvent,
  RunMode,
  RunRecord,
  ShortAnswer,
  UsageRecord,
} from "./types";

export interface RunState {
  question: string;
  nodes: NodeRecord[];
  evidence: Map<number, EvidenceRecord>;
  /** The streamed answer until `verified`, then the checked one. */
  answer: string;
  verified: boolean;
  citations: CitationRecord[];
  unsupported: string[];
  conflicts: ConflictRecord[];
  /** The short answer, once the answer is checked (extractive answers that have one). */
  shortAnswer: ShortAnswer | null;
  /** The library does not answer the question; the answer lists the closest matches. */
  notFound: boolean;
  finished: boolean;
  usage: UsageRecord | null;
  runId: string | null;
  mode: "llm" | "extractive" | null;
  /** Chain or agent; a live run knows it from the start, a stored one from its record. */
  runMode: RunMode;
  /** The model's thinking as it streamed in (agent mode, live runs only; never part of the answer). */
  thinking: string;
  /** What the model expected of each action (agent mode with predicted observations). */
  predictions: PredictionRecord[];
}

/** A step as the plan announces it, before it runs; `over` sets what differs. */
export function pendingNode(id: number, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    action: "knowledge_base",
    sub_question: `Question ${id}?`,
    depends_on: [],
    missing: false,
    guess_answer: "",
    answer: "",
    status: "pending",
    mrfs: null,
    decision: null,
    path: "retrieved_verify",
    reason: null,
    scores: [],
    evidence: [],
    ...over,
  };
}

export function emptyRun(question: string, runMode: RunMode = "chain"): RunState {
  return {
    question,
    nodes: [],
    evidence: new Map(),
    answer: "",
    verified: false,
    citations: [],
    unsupported: [],
    conflicts: [],
    shortAnswer: null,
    notFound: false,
    finished: false,
    usage: null,
    runId: null,
    mode: null,
    runMode,
    thinking: "",
    predictions: [],
  };
}

/** Applies one engine event. Returns a new state; the old one is left untouched. */
export function applyEvent(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case "plan_ready":
      return { ...state, nodes: event.nodes.map((n) => ({ ...n })) };
    case "node_started":
      return {
        ...state,
        nodes: state.nodes.map((n) => (n.id === event.id ? { ...n, status: "running" } : n)),
      };
    case "evidence_found": {
      const evidence = new Map(state.evidence);
      evidence.set(event.evidence.id, event.evidence);
      return { ...state, evidence };
    }
    case "node_finished": {
      const known = state.nodes.some((n) => n.id === event.node.id);
      const nodes = known
        ? state.nodes.map((n) => (n.id === event.node.id ? event.node : n))
        : [...state.nodes, event.node];
      return { ...state, nodes };
    }
    case "thinking_delta":
      return { ...state, thinking: state.thinking + event.text };
    case "observation_predicted":
      return { ...state, predictions: [...state.predictions, event.prediction] };
    case "answer_delta":
      return state.verified ? state : { ...state, answer: state.answer + event.text };
    case "verified":
      return {
        ...state,
        answer: event.answer,
        verified: true,
        citations: event.citations,
        unsupported: event.unsupported_sentences,
        conflicts: event.conflicts,
        shortAnswer: event.short_answer ?? null,
        notFound: event.not_found ?? false,
      };
    case "finished":
      return { ...state, finished: true, runId: event.run_id || state.runId };
  }
}

/** The whole state of a finished run, from its record (history, or the end of a live run). */
export function fromRecord(record: RunRecord): RunState {
  return {
    question: record.question,
    nodes: record.nodes,
    evidence: new Map(record.evidence.map((e) => [e.id, e])),
    answer: record.answer,
    verified: true,
    citations: record.citations,
    unsupported: record.unsupported_sentences,
    conflicts: record.conflicts,
    shortAnswer: record.short_answer ?? null,
    notFound: record.not_found ?? false,
    finished: true,
    usage: record.usage,
    runId: record.run_id,
    mode: record.mode,
    runMode: record.run_mode ?? "chain",
    thinking: record.run_mode === "agent" ? thinkingOf(record.plan_raw ?? "") : "",
    predictions: record.predictions ?? [],
  };
}

/**
 * The model's own thinking in a stored agent turn (`plan_raw`): the text before its `</think>`,
 * without the opening tag, the results the run injected, or the notes it added.
 */
export function thinkingOf(turn: string): string {
  const end = turn.indexOf("</think>");
  const thinking = (end < 0 ? turn : turn.slice(0, end)).replace(/^<think>\n?/, "");
  return thinking.replace(/\n*<search_result>[\s\S]*?<\/search_result>\n*/g, "\n\n").trim();
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const reasonText = (r: string | null | undefined) => (r ?? "").trim().replace(/[.;]+$/, "");

/** "reason A, reason B" for the distinct reasons of a group, or "" when none was given. */
function reasons(list: (string | null | undefined)[]): string {
  return [...new Set(list.map(reasonText).filter((r) => r !== ""))].join(", ");
}

/**
 * What the answer cannot show about how the run went, one phrase per kind of gap: steps that were
 * skipped or failed (with why), sources whose page could not be opened, and markers that cite no
 * source of the run. Empty when nothing went missing.
 */
export function whatHappened(state: Pick<RunState, "nodes" | "evidence" | "answer">): string[] {
  const out: string[] = [];
  const group = (status: "skipped" | "failed", verb: string) => {
    const nodes = state.nodes.filter((n) => n.status === status);
    if (nodes.length === 0) return;
    const why = reasons(nodes.map((n) => n.reason));
    out.push(`${plural(nodes.length, "step", "steps")} ${verb}${why ? `: ${why}` : ""}`);
  };
  group("skipped", "skipped");
  group("failed", "failed");
  const noted = [...state.evidence.values()].filter((e) => (e.note ?? "").trim() !== "");
  if (noted.length > 0) {
    const why = reasons(noted.map((e) => e.note));
    out.push(`${plural(noted.length, "source", "sources")} could not be opened${why ? ` (${why})` : ""}`);
  }
  const cited = new Set<number>();
  for (const m of state.answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const n of (m[1] ?? "").split(",")) cited.add(Number(n.trim()));
  }
  const missing = [...cited].filter((n) => !state.evidence.has(n)).length;
  if (missing > 0) out.push(`${plural(missing, "cited source is", "cited sources are")} missing from this run`);
  return out;
}

export const ACTION_LABEL: Record<NodeRecord["action"], string> = {
  knowledge_base: "Knowledge base",
  web_search: "Web",
  data_analysis: "Data",
};

export const STATUS_LABEL: Record<NodeRecord["status"], string> = {
  pending: "Pending",
  running: "Running",
  done: "Done",
  failed: "Failed",
  skipped: "Skipped",
};

export const DECISION_LABEL: Record<NonNullable<NodeRecord["decision"]>, string> = {
  kept: "guess kept",
  replaced: "guess replaced",
  filled: "filled from sources",
  no_evidence: "no evidence",
};

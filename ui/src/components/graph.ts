// The action graph: one node per sub-question, laid out top to bottom with dagre and drawn as SVG.
// Redrawing is cheap (a layout of 30 nodes takes a few milliseconds) and positions only change when
// the plan does, so status updates just restyle the existing nodes. A card shows what sets its step
// apart (the words of its sub-question the other steps do not share) and its answer; the full text
// is in its hover title and, for the pointed-at or focused card, in the caption under the graph.
import dagre from "@dagrejs/dagre";
import { h, svg } from "../dom";
import { ACTION_LABEL, DECISION_LABEL, STATUS_LABEL } from "../run-state";
import type { NodeRecord, PredictionRecord, RunMode } from "../types";

const NODE_W = 200;
const NODE_H = 102;
/** Characters of a card's question line that fit the 200px card, even in wide letters. */
const LINE = 24;
/** A wide chain is scaled to fit the panel down to this factor (labels stay readable), then scrolls. */
export const MIN_SCALE = 0.8;

export interface GraphView {
  element: SVGSVGElement;
  /** The full question and answer of the step pointed at or focused; placed under the graph. */
  caption: HTMLElement;
  /**
   * Draws `nodes`; `question`, the question asked, lets the cards leave out what it says. In
   * `agent` mode the nodes are the model's actions in the order it took them: a sequence, each
   * card showing its query, how many results it found and whether it worked.
   */
  update(nodes: NodeRecord[], selected?: number | null, question?: string, mode?: RunMode, predictions?: PredictionRecord[]): void;
}

/**
 * How an action's predicted observation went, for its card: the model's own knowledge (nothing
 * real came back, so it went on from its expectation), or the library disagreeing with it.
 */
export function predictionLine(p: PredictionRecord | undefined): string {
  if (p === undefined) return "";
  if (p.used_as_observation) return "model's own knowledge";
  return p.disagrees ? "unexpected" : "as expected";
}

/** The prediction in words: "The model expected X; the library says Y." */
export function predictionText(p: PredictionRecord): string {
  if (p.used_as_observation) return `The model went on from its own expectation (not a source): ${p.predicted}`;
  if (p.disagrees) return `The model expected: ${p.predicted}; the library says: ${p.found ?? "something else"}`;
  return `The model expected: ${p.predicted}; the library bears it out.`;
}

interface Layout {
  key: string;
  positions: Map<number, { x: number; y: number }>;
  edges: { from: number; to: number; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

/** Positions for the nodes; recomputed only when the set of nodes or edges changes. */
export function layoutGraph(nodes: NodeRecord[], mode: RunMode = "chain"): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(String(n.id), { width: NODE_W, height: NODE_H });
  if (mode === "agent") {
    // One action after the other: each leads to the next.
    for (let i = 1; i < nodes.length; i++) g.setEdge(String(nodes[i - 1]?.id), String(nodes[i]?.id));
  } else {
    for (const n of nodes) {
      for (const d of n.depends_on) if (ids.has(d)) g.setEdge(String(d), String(n.id));
    }
  }
  dagre.layout(g);
  const positions = new Map<number, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(String(n.id));
    positions.set(n.id, { x: p.x, y: p.y });
  }
  const edges = g.edges().map((e) => ({
    from: Number(e.v),
    to: Number(e.w),
    points: (g.edge(e).points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
  }));
  const graph = g.graph();
  return {
    key: structureKey(nodes, mode),
    positions,
    edges,
    width: Math.max(graph.width ?? NODE_W, NODE_W),
    height: Math.max(graph.height ?? NODE_H, NODE_H),
  };
}

function structureKey(nodes: NodeRecord[], mode: RunMode): string {
  return `${mode}:${nodes.map((n) => `${n.id}<${n.depends_on.join(",")}`).join(";")}`;
}

/** "3 results" for an agent action that ran; "" while it runs or when it did not run. */
export function resultCount(n: NodeRecord): string {
  if (n.status !== "done") return "";
  return `${n.evidence.length} ${n.evidence.length === 1 ? "result" : "results"}`;
}

/** The outcome line of an agent action: done or failed, with why it failed or was skipped. */
export function actionOutcome(n: NodeRecord): string {
  if ((n.status === "failed" || n.status === "skipped") && n.reason) return `${STATUS_LABEL[n.status]}: ${n.reason}`;
  return STATUS_LABEL[n.status];
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `text` wrapped into at most `lines` lines of `max` chars, the last one cut with "…". */
export function wrapLines(text: string, max = LINE, lines = 2): string[] {
  const out: string[] = [];
  let line = "";
  const words = text.replace(/\s+/g, " ").trim().split(" ").filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const next = line === "" ? word : `${line} ${word}`;
    if (next.length <= max) {
      line = next;
      continue;
    }
    if (out.length === lines - 1) {
      out.push(truncate(`${next} ${words.slice(i + 1).join(" ")}`, max));
      return out;
    }
    if (line !== "") out.push(line);
    line = word.length > max ? truncate(word, max) : word;
  }
  if (line !== "") out.push(line);
  return out;
}

// Words that say little about what a question asks; never what tells two steps apart.
const STOP_WORDS = new Set(
  (
    "a an and are as at be been by did do does for from had has have how in into is it its of on or " +
    "the their there these this those to was were what when where which who whom whose why with"
  ).split(" "),
);

const key = (word: string) => word.toLowerCase().replace(/['’]s$/, "");
const words = (text: string) => text.match(/[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*/gu) ?? [];
const squash = (text: string) => text.replace(/\s+/g, " ").trim();
const sameText = (a: string, b: string) => squash(a).replace(/[?.!,]+$/, "").toLowerCase() === squash(b).replace(/[?.!,]+$/, "").toLowerCase();

/**
 * What each card says about its step, as lines: the sub-question itself when it fits and no other
 * card would read the same; otherwise its distinguishing words, that is, its words less the small
 * ones and those every step's sub-question shares (and, when that is still too long, those
 * another step also asks about). A step that asks the whole question says so.
 */
export function stepLabels(nodes: NodeRecord[], question = ""): Map<number, string[]> {
  const keys = nodes.map((n) => new Set(words(n.sub_question).map(key)));
  const sharedByAll = new Set(nodes.length < 2 ? [] : [...(keys[0] ?? [])].filter((k) => keys.every((ks) => ks.has(k))));
  const plain = nodes.map((n) => wrapLines(n.sub_question));
  const seen = new Map<string, number>();
  for (const lines of plain) seen.set(lines.join("\n"), (seen.get(lines.join("\n")) ?? 0) + 1);
  const wholeQuestion = nodes.map((n) => question !== "" && sameText(n.sub_question, question));
  const fits = (text: string) => text.length <= LINE * 2 && wrapLines(text).join(" ") === text;
  const out = new Map<number, string[]>();
  nodes.forEach((n, i) => {
    const lines = plain[i] ?? [];
    if (wholeQuestion[i]) {
      out.set(n.id, ["Your whole question"]);
      return;
    }
    if (fits(squash(n.sub_question)) && seen.get(lines.join("\n")) === 1) {
      out.set(n.id, lines);
      return;
    }
    const distinct: string[] = [];
    for (const w of words(n.sub_question)) {
      const k = key(w);
      if (STOP_WORDS.has(k) || sharedByAll.has(k) || distinct.some((d) => key(d) === k)) continue;
      distinct.push(w);
    }
    let label = distinct.join(" ");
    if (!fits(label)) {
      // A step asking the whole question shares every word; it does not count here.
      const others = keys.filter((_, j) => j !== i && !wholeQuestion[j]);
      const own = distinct.filter((w) => !others.some((ks) => ks.has(key(w))));
      if (own.length > 0) label = own.join(" ");
    }
    out.set(n.id, label === "" ? lines : wrapLines(label));
  });
  return out;
}

/** The answer line of a card: the step's answer, or its guess while it has none. */
export function answerLine(n: NodeRecord): string {
  if (n.answer.trim() !== "") return `Answer: ${squash(n.answer)}`;
  if (n.guess_answer.trim() !== "" && (n.status === "pending" || n.status === "running")) return `Guess: ${squash(n.guess_answer)}`;
  return "";
}

/** The one-line outcome shown under a node's question: MRFS score and what happened to the guess. */
export function nodeOutcome(n: NodeRecord): string {
  const parts: string[] = [];
  if (n.mrfs !== null) parts.push(`MRFS ${n.mrfs.toFixed(2)}`);
  if (n.decision !== null) parts.push(DECISION_LABEL[n.decision]);
  if (parts.length === 0) parts.push(n.status === "skipped" && n.reason ? `Skipped: ${n.reason}` : STATUS_LABEL[n.status]);
  return parts.join(" · ");
}

/** The hover text of a node: its question, its answer, and why it was skipped or failed. */
export function nodeHover(n: NodeRecord): string {
  const lines = [n.sub_question];
  const answer = answerLine(n);
  if (answer !== "") lines.push(answer);
  if ((n.status === "skipped" || n.status === "failed") && n.reason) {
    lines.push(`${n.status === "skipped" ? "Skipped" : "Failed"}: ${n.reason}`);
  }
  return lines.join("\n");
}

export function graphView(onSelect: (id: number) => void): GraphView {
  const root = svg("svg", { class: "graph", role: "group", "aria-label": "Action graph" }) as SVGSVGElement;
  const edgeLayer = svg("g", { class: "graph-edges" });
  const nodeLayer = svg("g", { class: "graph-nodes" });
  root.append(
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" },
        svg("path", { d: "M0 0L10 5L0 10z", class: "graph-arrow" }),
      ),
    ),
    edgeLayer,
    nodeLayer,
  );
  let layout: Layout | null = null;
  const nodeEls = new Map<number, SVGGElement>();
  // What each node was last drawn from: a node is redrawn only when its record, label or selection changed.
  const drawn = new Map<number, { node: NodeRecord; selected: boolean; label: string; prediction: PredictionRecord | undefined }>();
  const records = new Map<number, NodeRecord>();
  // The caption under the graph: the full text of the step pointed at or focused, for readers the
  // shortened card leaves wondering (hover titles do not show on keyboard focus).
  const idle = "Point at or focus a step to read its full question.";
  const caption = h("p", { class: "graph-caption muted small", "aria-hidden": "true" }, idle);
  let focused: number | null = null;
  let pointed: number | null = null;
  const showCaption = () => {
    const n = records.get(pointed ?? focused ?? -1);
    caption.textContent = n === undefined ? idle : `Step ${n.id}: ${nodeHover(n).replace(/\n/g, " · ")}`;
  };

  const build = (nodes: NodeRecord[], mode: RunMode) => {
    layout = layoutGraph(nodes, mode);
    root.setAttribute("viewBox", `0 0 ${layout.width} ${layout.height}`);
    root.setAttribute("width", String(layout.width));
    root.setAttribute("height", String(layout.height));
    // CSS scales the drawing down to the panel's width; below MIN_SCALE the panel scrolls instead.
    // (Set through the CSSOM, which the page's style-src policy allows, unlike style attributes.)
    root.style.minWidth = `${Math.ceil(layout.width * MIN_SCALE)}px`;
    edgeLayer.replaceChildren(
      ...layout.edges.map((e) =>
        svg("path", {
          class: "graph-edge",
          "data-edge": `${e.from}-${e.to}`,
          d: e.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" "),
          "marker-end": "url(#arrow)",
        }),
      ),
    );
    nodeEls.clear();
    drawn.clear();
    nodeLayer.replaceChildren(
      ...nodes.map((n) => {
        const p = layout?.positions.get(n.id) ?? { x: 0, y: 0 };
        const g = svg("g", {
          class: "graph-node",
          transform: `translate(${p.x - NODE_W / 2} ${p.y - NODE_H / 2})`,
          tabindex: "0",
          role: "button",
          "data-node": String(n.id),
        }) as SVGGElement;
        g.addEventListener("click", () => onSelect(n.id));
        g.addEventListener("focus", () => {
          focused = n.id;
          showCaption();
        });
        g.addEventListener("blur", () => {
          if (focused === n.id) focused = null;
          showCaption();
        });
        g.addEventListener("mouseenter", () => {
          pointed = n.id;
          showCaption();
        });
        g.addEventListener("mouseleave", () => {
          if (pointed === n.id) pointed = null;
          showCaption();
        });
        g.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            onSelect(n.id);
          }
        });
        nodeEls.set(n.id, g);
        return g;
      }),
    );
  };

  const paint = (n: NodeRecord, g: SVGGElement, selected: boolean, label: string[], mode: RunMode, p: PredictionRecord | undefined) => {
    const agent = mode === "agent";
    // A predicted observation is drawn apart: dashed when the model went on from its own knowledge,
    // marked when the library said otherwise.
    const predicted = p === undefined ? "" : p.used_as_observation ? " predicted" : p.disagrees ? " expectation-wrong" : "";
    g.setAttribute("class", `graph-node action-${n.action} status-${n.status}${selected ? " selected" : ""}${predicted}`);
    const found = resultCount(n);
    const count = p === undefined ? found : [found, predictionLine(p)].filter((x) => x !== "").join(" · ");
    g.setAttribute(
      "aria-label",
      agent
        ? `Action ${n.id}, ${ACTION_LABEL[n.action]}, ${actionOutcome(n)}: ${n.sub_question}.${count ? ` ${count}.` : ""}${
            p ? ` ${predictionText(p)}` : ""
          }`
        : `Step ${n.id}, ${ACTION_LABEL[n.action]}, ${STATUS_LABEL[n.status]}: ${n.sub_question}. ${
            answerLine(n) ? `${answerLine(n)}. ` : ""
          }${nodeOutcome(n)}${n.status === "failed" && n.reason ? `. Failed: ${n.reason}` : ""}`,
    );
    if (selected) g.setAttribute("aria-pressed", "true");
    else g.setAttribute("aria-pressed", "false");
    const title = svg("title");
    title.textContent = p ? `${nodeHover(n)}\n${predictionText(p)}` : nodeHover(n);
    const text = (x: number, y: number, cls: string, content: string) => {
      const t = svg("text", { x: String(x), y: String(y), class: cls });
      t.textContent = content;
      return t;
    };
    g.replaceChildren(
      title,
      svg("rect", { class: "graph-card", width: String(NODE_W), height: String(NODE_H), rx: "9" }),
      svg("rect", { class: "graph-band", width: "5", height: String(NODE_H), rx: "2" }),
      text(14, 19, "graph-kicker", `#${n.id} · ${ACTION_LABEL[n.action]}`),
      svg("circle", { class: "graph-status", cx: String(NODE_W - 14), cy: "15", r: "5" }),
      // Lines short enough that wide letters still end inside the 200px card.
      ...label.slice(0, 2).map((line, i) => text(14, 39 + i * 16, "graph-question", line)),
      text(14, 75, "graph-answer", truncate(agent ? count : answerLine(n), 27)),
      text(14, 92, "graph-outcome", truncate(agent ? actionOutcome(n) : nodeOutcome(n), 29)),
    );
  };

  return {
    element: root,
    caption,
    update(nodes, selected = null, question = "", mode = "chain", predictions = []) {
      const expected = new Map(predictions.map((p) => [p.node_id, p]));
      if (layout === null || layout.key !== structureKey(nodes, mode)) build(nodes, mode);
      // An action's card reads its query as the model wrote it.
      const labels = mode === "agent" ? new Map(nodes.map((n) => [n.id, wrapLines(n.sub_question)])) : stepLabels(nodes, question);
      records.clear();
      for (const n of nodes) {
        records.set(n.id, n);
        const g = nodeEls.get(n.id);
        const isSelected = n.id === selected;
        const label = labels.get(n.id) ?? [];
        const joined = label.join("\n");
        const p = expected.get(n.id);
        const last = drawn.get(n.id);
        if (
          g === undefined ||
          (last !== undefined && last.node === n && last.selected === isSelected && last.label === joined && last.prediction === p)
        )
          continue;
        paint(n, g, isSelected, label, mode, p);
        drawn.set(n.id, { node: n, selected: isSelected, label: joined, prediction: p });
      }
      showCaption();
    },
  };
}

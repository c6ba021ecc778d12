// The action graph: one node per sub-question, laid out top to bottom with dagre and drawn as SVG.
// Redrawing is cheap (a layout of 30 nodes takes a few milliseconds) and positions only change when
// the plan does, so status updates just restyle the existing nodes.
import dagre from "@dagrejs/dagre";
import { svg } from "../dom";
import { ACTION_LABEL, DECISION_LABEL, STATUS_LABEL } from "../run-state";
import type { NodeRecord } from "../types";

const NODE_W = 200;
const NODE_H = 74;
/** A wide chain is scaled to fit the panel down to this factor (labels stay readable), then scrolls. */
export const MIN_SCALE = 0.8;

export interface GraphView {
  element: SVGSVGElement;
  update(nodes: NodeRecord[], selected?: number | null): void;
}

interface Layout {
  key: string;
  positions: Map<number, { x: number; y: number }>;
  edges: { from: number; to: number; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

/** Positions for the nodes; recomputed only when the set of nodes or edges changes. */
export function layoutGraph(nodes: NodeRecord[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(String(n.id), { width: NODE_W, height: NODE_H });
  for (const n of nodes) {
    for (const d of n.depends_on) if (ids.has(d)) g.setEdge(String(d), String(n.id));
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
    key: structureKey(nodes),
    positions,
    edges,
    width: Math.max(graph.width ?? NODE_W, NODE_W),
    height: Math.max(graph.height ?? NODE_H, NODE_H),
  };
}

function structureKey(nodes: NodeRecord[]): string {
  return nodes.map((n) => `${n.id}<${n.depends_on.join(",")}`).join(";");
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The one-line outcome shown under a node's question: MRFS score and what happened to the guess. */
export function nodeOutcome(n: NodeRecord): string {
  const parts: string[] = [];
  if (n.mrfs !== null) parts.push(`MRFS ${n.mrfs.toFixed(2)}`);
  if (n.decision !== null) parts.push(DECISION_LABEL[n.decision]);
  if (parts.length === 0) parts.push(n.status === "skipped" && n.reason ? `Skipped: ${n.reason}` : STATUS_LABEL[n.status]);
  return parts.join(" · ");
}

/** The hover text of a node: its question, and why it was skipped or failed. */
export function nodeHover(n: NodeRecord): string {
  if ((n.status === "skipped" || n.status === "failed") && n.reason) {
    return `${n.sub_question}\n${n.status === "skipped" ? "Skipped" : "Failed"}: ${n.reason}`;
  }
  return n.sub_question;
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
  // What each node was last drawn from: a node is redrawn only when its record or selection changed.
  const drawn = new Map<number, { node: NodeRecord; selected: boolean }>();

  const build = (nodes: NodeRecord[]) => {
    layout = layoutGraph(nodes);
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

  const paint = (n: NodeRecord, g: SVGGElement, selected: boolean) => {
    g.setAttribute("class", `graph-node action-${n.action} status-${n.status}${selected ? " selected" : ""}`);
    g.setAttribute(
      "aria-label",
      `Step ${n.id}, ${ACTION_LABEL[n.action]}, ${STATUS_LABEL[n.status]}: ${n.sub_question}. ${nodeOutcome(n)}${
        n.status === "failed" && n.reason ? `. Failed: ${n.reason}` : ""
      }`,
    );
    if (selected) g.setAttribute("aria-pressed", "true");
    else g.setAttribute("aria-pressed", "false");
    const title = svg("title");
    title.textContent = nodeHover(n);
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
      // Short enough that wide letters still end inside the 200px card.
      text(14, 40, "graph-question", truncate(n.sub_question, 24)),
      text(14, 61, "graph-outcome", truncate(nodeOutcome(n), 29)),
    );
  };

  return {
    element: root,
    update(nodes, selected = null) {
      if (layout === null || layout.key !== structureKey(nodes)) build(nodes);
      for (const n of nodes) {
        const g = nodeEls.get(n.id);
        const isSelected = n.id === selected;
        const last = drawn.get(n.id);
        if (g === undefined || (last !== undefined && last.node === n && last.selected === isSelected)) continue;
        paint(n, g, isSelected);
        drawn.set(n.id, { node: n, selected: isSelected });
      }
    },
  };
}

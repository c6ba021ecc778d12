import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { applyEvent, emptyRun, pendingNode } from "../run-state";
import type { NodeRecord, RunEvent } from "../types";
import { graphView, layoutGraph, MIN_SCALE, nodeHover, nodeOutcome } from "./graph";

const node = pendingNode;

describe("action graph", () => {
  it("draws the recorded run: one node per step, coloured by action, with its state", () => {
    const view = graphView(() => undefined);
    const events = recorded.events as RunEvent[];
    let state = emptyRun(recorded.question);
    for (const e of events.slice(0, 2)) state = applyEvent(state, e);
    view.update(state.nodes);
    const nodes = view.element.querySelectorAll(".graph-node");
    expect(nodes.length).toBe(state.nodes.length);
    expect(nodes[0]?.getAttribute("class")).toContain("action-knowledge_base");
    expect(view.element.querySelectorAll(".status-running").length).toBe(1);

    for (const e of events) state = applyEvent(state, e);
    view.update(state.nodes);
    // Each node ends as the engine recorded it: the library steps done, the web step failed
    // (the app is offline by default), and the failure is drawn as such.
    for (const n of state.nodes) {
      expect(view.element.querySelector(`[data-node='${n.id}']`)?.getAttribute("class")).toContain(`status-${n.status}`);
    }
    expect(view.element.querySelectorAll(".status-failed.action-web_search").length).toBe(
      state.nodes.filter((n) => n.status === "failed" && n.action === "web_search").length,
    );
    expect(view.element.querySelector(".graph-node")?.getAttribute("aria-label")).toContain("filled from sources");
  });

  it("shows the MRFS score and whether the guess was kept or replaced", () => {
    expect(nodeOutcome(node(1, { status: "done", mrfs: 0.871, decision: "kept" }))).toBe("MRFS 0.87 · guess kept");
    expect(nodeOutcome(node(2, { status: "done", mrfs: 0.2, decision: "replaced" }))).toBe("MRFS 0.20 · guess replaced");
    expect(nodeOutcome(node(3, { status: "skipped" }))).toBe("Skipped");
  });

  it("draws an edge per dependency and lays dependents below", () => {
    const nodes = [node(1), node(2, { action: "web_search" }), node(3, { action: "data_analysis", depends_on: [1, 2] })];
    const layout = layoutGraph(nodes);
    expect(layout.edges.map((e) => `${e.from}-${e.to}`).sort()).toEqual(["1-3", "2-3"]);
    const y = (id: number) => layout.positions.get(id)?.y ?? 0;
    expect(y(3)).toBeGreaterThan(y(1));
    const view = graphView(() => undefined);
    view.update(nodes);
    expect(view.element.querySelectorAll(".graph-edge").length).toBe(2);
    expect(view.element.querySelector("[data-node='2']")?.getAttribute("class")).toContain("action-web_search");
  });

  it("keeps labels readable when many steps run side by side: it scrolls rather than shrink past a limit", () => {
    const wide = Array.from({ length: 10 }, (_, i) => node(i + 1));
    const layout = layoutGraph(wide);
    const view = graphView(() => undefined);
    view.update(wide);
    const root = view.element.matches(".graph") ? (view.element as unknown as SVGSVGElement) : view.element.querySelector<SVGSVGElement>(".graph");
    expect(root?.getAttribute("width")).toBe(String(layout.width));
    expect(root?.style.minWidth).toBe(`${Math.ceil(layout.width * MIN_SCALE)}px`);
    expect(layout.width * MIN_SCALE).toBeGreaterThan(1500);
  });

  it("stays quick at 30 nodes and only restyles when states change", () => {
    const nodes = Array.from({ length: 30 }, (_, i) =>
      node(i + 1, { depends_on: i === 0 ? [] : [Math.floor(i / 2) + 1].filter((d) => d !== i + 1) }),
    );
    const view = graphView(() => undefined);
    const t0 = performance.now();
    view.update(nodes);
    const first = view.element.querySelector("[data-node='30']");
    for (let i = 0; i < 30; i++) {
      nodes[i] = { ...(nodes[i] as NodeRecord), status: "running" };
      view.update(nodes);
      nodes[i] = { ...(nodes[i] as NodeRecord), status: "done", mrfs: 0.9, decision: "kept" };
      view.update(nodes);
    }
    const elapsed = performance.now() - t0;
    expect(view.element.querySelectorAll(".graph-node").length).toBe(30);
    expect(view.element.querySelectorAll(".status-done").length).toBe(30);
    // Same element: positions were not recomputed for status changes.
    expect(view.element.querySelector("[data-node='30']")).toBe(first);
    expect(elapsed).toBeLessThan(1000);
  });

  it("selects a node by click and by keyboard", () => {
    const onSelect = vi.fn();
    const view = graphView(onSelect);
    view.update([node(1), node(2)]);
    view.element.querySelector<SVGElement>("[data-node='2']")?.dispatchEvent(new MouseEvent("click"));
    view.element.querySelector<SVGElement>("[data-node='1']")?.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(onSelect.mock.calls).toEqual([[2], [1]]);
  });

  it("draws a step that could not run as skipped, not failed, with the reason on hover", () => {
    const reason = "web search is off (Settings › Web search)";
    const nodes = [node(1, { status: "done", mrfs: 0.9, decision: "kept" }), node(2, { action: "web_search", status: "skipped", reason })];
    const view = graphView(() => undefined);
    view.update(nodes);
    const web = view.element.querySelector("[data-node='2']");
    expect(web?.getAttribute("class")).toContain("status-skipped");
    expect(web?.getAttribute("class")).not.toContain("status-failed");
    expect(view.element.querySelectorAll(".status-failed").length).toBe(0);
    expect(web?.querySelector("title")?.textContent).toBe(`Question 2?\nSkipped: ${reason}`);
    expect(web?.getAttribute("aria-label")).toContain(`Skipped: ${reason}`);
    expect(nodeHover(nodes[0] as NodeRecord)).toBe("Question 1?");
  });
});

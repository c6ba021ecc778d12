import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { applyEvent, emptyRun, pendingNode } from "../run-state";
import type { NodeRecord, RunEvent } from "../types";
import { answerLine, graphView, layoutGraph, MIN_SCALE, nodeHover, nodeOutcome, stepLabels, wrapLines } from "./graph";

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

describe("step cards", () => {
  const cardText = (view: ReturnType<typeof graphView>, id: number) =>
    [...(view.element.querySelector(`[data-node='${id}']`)?.querySelectorAll(".graph-question") ?? [])].map((t) => t.textContent).join(" ");

  it("show what sets each step apart, not the same cut-off words", () => {
    const lead = "What does the 2023 annual report of the Orbis Institute say about";
    const nodes = [
      node(1, { sub_question: `${lead} its staff numbers?` }),
      node(2, { sub_question: `${lead} the observatory budget?` }),
      node(3, { sub_question: `${lead} new members?`, action: "web_search" }),
    ];
    const labels = stepLabels(nodes);
    expect(labels.get(1)).toEqual(["staff numbers"]);
    expect(labels.get(2)).toEqual(["observatory budget"]);
    expect(labels.get(3)).toEqual(["new members"]);
    const view = graphView(() => undefined);
    view.update(nodes);
    expect(new Set(nodes.map((n) => cardText(view, n.id))).size).toBe(3);
    // The full question is the card's hover title and in its accessible name.
    const card = view.element.querySelector("[data-node='2']");
    expect(card?.querySelector("title")?.textContent).toBe(`${lead} the observatory budget?`);
    expect(card?.getAttribute("aria-label")).toContain(`${lead} the observatory budget?`);
    expect(card?.getAttribute("tabindex")).toBe("0");
  });

  it("keep a short question as it is, say when a step asks the whole question, and drop what other steps also ask", () => {
    const question = "Who designed the Port Aster lighthouse, where was the engineer born, and when was its lamp first lit?";
    const labels = stepLabels(
      [
        node(1, { sub_question: "Where was Ines Varga born?" }),
        node(2, { sub_question: question, action: "web_search" }),
        node(3, { sub_question: "When was the lamp of the Port Aster lighthouse first lit, according to the harbour records?" }),
        node(4, { sub_question: "Which engineer designed the Port Aster lighthouse and its northern breakwater?" }),
      ],
      question,
    );
    expect(labels.get(1)).toEqual(["Where was Ines Varga", "born?"]);
    expect(labels.get(2)).toEqual(["Your whole question"]);
    expect(labels.get(3)).toEqual(["lamp first lit according", "harbour records"]);
    expect(labels.get(4)).toEqual(["engineer designed", "northern breakwater"]);
    expect(wrapLines("a very long question that will not fit on two lines of the card at all")).toEqual([
      "a very long question",
      "that will not fit on tw…",
    ]);
  });

  it("show the step's answer, and its full text on hover and focus", () => {
    const nodes = [
      node(1, { sub_question: "Who designed the Port Aster lighthouse?", status: "done", answer: "Ines Varga", mrfs: 0.9, decision: "kept" }),
      node(2, { sub_question: "Where was Ines Varga born?", status: "running", guess_answer: "Szeged" }),
    ];
    expect(answerLine(nodes[0] as NodeRecord)).toBe("Answer: Ines Varga");
    expect(answerLine(nodes[1] as NodeRecord)).toBe("Guess: Szeged");
    const view = graphView(() => undefined);
    view.update(nodes, null, "Who designed it and where was the designer born?");
    const first = view.element.querySelector<SVGGElement>("[data-node='1']");
    expect(first?.querySelector(".graph-answer")?.textContent).toBe("Answer: Ines Varga");
    expect(first?.querySelector("title")?.textContent).toBe("Who designed the Port Aster lighthouse?\nAnswer: Ines Varga");
    expect(nodeHover(nodes[0] as NodeRecord)).toBe("Who designed the Port Aster lighthouse?\nAnswer: Ines Varga");
    expect(first?.getAttribute("aria-label")).toContain("Answer: Ines Varga");
    // The caption under the graph reads out the focused or pointed-at step in full.
    expect(view.caption.textContent).toBe("Point at or focus a step to read its full question.");
    first?.dispatchEvent(new FocusEvent("focus"));
    expect(view.caption.textContent).toBe("Step 1: Who designed the Port Aster lighthouse? · Answer: Ines Varga");
    view.element.querySelector("[data-node='2']")?.dispatchEvent(new MouseEvent("mouseenter"));
    expect(view.caption.textContent).toBe("Step 2: Where was Ines Varga born? · Guess: Szeged");
    view.element.querySelector("[data-node='2']")?.dispatchEvent(new MouseEvent("mouseleave"));
    first?.dispatchEvent(new FocusEvent("blur"));
    expect(view.caption.textContent).toBe("Point at or focus a step to read its full question.");
  });

  it("scrolls inside its card instead of widening the page, and stays visible beside the source panel", async () => {
    // Vitest hands CSS imports over empty, so the style sheet is read from disk.
    const fs: { readFileSync(path: string, encoding: "utf8"): string } = await import(/* @vite-ignore */ "node:fs" as string);
    const here = decodeURIComponent(import.meta.url.replace(/^file:\/\//, ""));
    const css = fs.readFileSync(here.replace(/components\/[^/]+$/, "styles.css"), "utf8");
    const rule = (selector: string) => {
      const at = css.indexOf(`\n${selector} {`);
      return at < 0 ? "" : css.slice(at, css.indexOf("}", at));
    };
    // Grid tracks that may shrink below the graph's minimum width, so .graph-scroll scrolls.
    expect(rule(".ask-results")).toContain("grid-template-columns: minmax(0, 1fr)");
    expect(rule(".steps-body")).toContain("grid-template-columns: minmax(0, 1fr)");
    expect(rule(".graph-scroll")).toMatch(/overflow: auto/);
    // Drawn from the left, not centred under the panel that covers the window's right side.
    expect(rule(".graph")).toContain("margin: 0;");
    expect(rule(".graph")).not.toMatch(/margin[^;]*auto/);
  });
});

describe("agent actions", () => {
  const actions: NodeRecord[] = [
    node(1, { sub_question: "Orbis Institute founded", missing: true, status: "done", decision: "filled", evidence: [1, 2], answer: "2 results" }),
    node(2, { action: "web_search", sub_question: "Clara Wendt biography", missing: true, status: "failed", reason: "the search provider timed out" }),
    node(3, { sub_question: "Orbis observatory built", missing: true, status: "done", decision: "no_evidence", evidence: [] }),
  ];

  it("draw as a sequence: one card per action, its query, its results and whether it worked", () => {
    const chosen: number[] = [];
    const view = graphView((id) => chosen.push(id));
    view.update(actions, null, "When was the Orbis Institute founded?", "agent");
    const cards = [...view.element.querySelectorAll(".graph-node")];
    expect(cards.length).toBe(3);
    // Each action leads to the next, and is drawn below it.
    const edges = [...view.element.querySelectorAll(".graph-edge")].map((e) => e.getAttribute("data-edge"));
    expect(edges).toEqual(["1-2", "2-3"]);
    const layout = layoutGraph(actions, "agent");
    expect(layout.positions.get(2)?.y ?? 0).toBeGreaterThan(layout.positions.get(1)?.y ?? 0);
    expect(layout.positions.get(3)?.y ?? 0).toBeGreaterThan(layout.positions.get(2)?.y ?? 0);

    const text = (id: number, cls: string) => view.element.querySelector(`[data-node='${id}'] .${cls}`)?.textContent;
    expect(text(1, "graph-kicker")).toBe("#1 · Knowledge base");
    expect(text(1, "graph-question")).toBe("Orbis Institute founded");
    expect(text(1, "graph-answer")).toBe("2 results");
    expect(text(1, "graph-outcome")).toBe("Done");
    expect(text(2, "graph-kicker")).toBe("#2 · Web");
    expect(text(2, "graph-outcome")).toMatch(/^Failed: the search provider ?…$/);
    expect(text(3, "graph-answer")).toBe("0 results");
    expect(view.element.querySelector("[data-node='2']")?.getAttribute("aria-label")).toBe(
      "Action 2, Web, Failed: the search provider timed out: Clara Wendt biography.",
    );
    expect(view.element.querySelector("[data-node='1']")?.getAttribute("aria-label")).toBe(
      "Action 1, Knowledge base, Done: Orbis Institute founded. 2 results.",
    );

    view.element.querySelector("[data-node='3']")?.dispatchEvent(new MouseEvent("click"));
    expect(chosen).toEqual([3]);
  });

  it("grow as the actions arrive", () => {
    const view = graphView(() => undefined);
    let state = emptyRun("q", "agent");
    state = applyEvent(state, { type: "plan_ready", nodes: [] });
    view.update(state.nodes, null, "q", state.runMode);
    expect(view.element.querySelectorAll(".graph-node").length).toBe(0);
    for (const n of actions) {
      state = applyEvent(state, { type: "node_started", id: n.id });
      state = applyEvent(state, { type: "node_finished", node: n });
    }
    view.update(state.nodes, null, "q", state.runMode);
    expect(view.element.querySelectorAll(".graph-node").length).toBe(3);
    expect(view.element.querySelectorAll(".graph-edge").length).toBe(2);
  });

  it("mark where the model expected otherwise, and draw its own knowledge apart", () => {
    const view = graphView(() => undefined);
    let state = emptyRun("q", "agent");
    const own = node(2, { sub_question: "Clara Wendt biography", missing: true, status: "skipped", reason: "predicted only" });
    for (const n of [...actions.slice(0, 1), own]) state = applyEvent(state, { type: "node_finished", node: n });
    state = applyEvent(state, {
      type: "observation_predicted",
      prediction: { node_id: 1, query: "Orbis Institute founded", predicted: "It was founded in 1950.", evidence: [1, 2], support: 0.4, disagrees: true, found: "The Orbis Institute was founded in 1911 [1]", used_as_observation: false },
    });
    state = applyEvent(state, {
      type: "observation_predicted",
      prediction: { node_id: 2, query: "Clara Wendt biography", predicted: "A chemist.", evidence: [], support: null, disagrees: false, used_as_observation: true },
    });
    expect(state.predictions.length).toBe(2);
    view.update(state.nodes, null, "q", state.runMode, state.predictions);
    const card = (id: number) => view.element.querySelector(`[data-node='${id}']`);
    expect(card(1)?.classList.contains("expectation-wrong")).toBe(true);
    expect(card(1)?.querySelector(".graph-answer")?.textContent).toBe("2 results · unexpected");
    expect(card(1)?.getAttribute("aria-label")).toContain(
      "The model expected: It was founded in 1950.; the library says: The Orbis Institute was founded in 1911 [1]",
    );
    expect(card(2)?.classList.contains("predicted")).toBe(true);
    expect(card(2)?.querySelector(".graph-answer")?.textContent).toBe("model's own knowledge");
    expect(card(2)?.getAttribute("aria-label")).toContain("not a source");
    // Without predictions the cards are plain.
    view.update(state.nodes, null, "q", state.runMode);
    expect(card(1)?.classList.contains("expectation-wrong")).toBe(false);
  });
});

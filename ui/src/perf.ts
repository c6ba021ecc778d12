// Measurement hooks for `scripts/perf-app`, loaded only when the app runs under `CATENA_PERF=1`
// (see first-paint.ts). `window.__catenaPerf.measureGraph(n)` draws the action graph for a synthetic
// plan of `n` nodes in the real webview and replays a live run's events on it, one event per
// animation frame, as the Ask view does: `plan_ready` (layout), then `node_started` and
// `node_finished` for every node, over and over for `durationMs`. Each cycle renumbers the nodes,
// so every `plan_ready` really lays the graph out again.
import { h } from "./dom";
import { graphView } from "./components/graph";
import { applyEvent, emptyRun, pendingNode } from "./run-state";
import type { Action, Decision, NodeRecord, RunEvent } from "./types";

/** Milliseconds: median, 95th percentile and maximum. */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
}

export interface GraphMeasurement {
  nodes: number;
  /** Events applied (each one `update` of the graph). */
  updates: number;
  /** Full plan cycles replayed. */
  cycles: number;
  /** The first `plan_ready`: layout and first draw of all nodes, style and layout forced. */
  first_plan_ms: number;
  /** Every update: `GraphView.update` plus the style and layout it causes. */
  update_ms: Spread;
  /** Time between animation frames while the updates ran. */
  frame_ms: Spread;
  frames: number;
  /** Frames that took longer than 33 ms (below 30 fps). */
  dropped_frames: number;
  duration_ms: number;
}

declare global {
  interface Window {
    __catenaPerf?: {
      measureGraph(nodes: number, durationMs?: number): Promise<GraphMeasurement>;
    };
  }
}

const ACTIONS: Action[] = ["knowledge_base", "knowledge_base", "web_search", "data_analysis"];
const DECISIONS: Decision[] = ["kept", "replaced", "filled", "no_evidence"];

/** A plan of `n` nodes numbered from `first`: some roots, the rest depending on earlier steps. */
export function syntheticPlan(n: number, first = 1): NodeRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + 1;
    // Every third step starts a chain; the others depend on the step half their number.
    const depends_on = k > 1 && k % 3 !== 1 ? [first + Math.floor(k / 2) - 1] : [];
    return pendingNode(first + i, {
      action: ACTIONS[k % ACTIONS.length] ?? "knowledge_base",
      sub_question: `Which source supports claim ${k} about the measured topic, and since when?`,
      depends_on,
      missing: k % 5 === 0,
    });
  });
}

/** A live run's graph events for a plan: `plan_ready`, then each node started and finished. */
export function syntheticRun(n: number, first = 1): RunEvent[] {
  const plan = syntheticPlan(n, first);
  const events: RunEvent[] = [{ type: "plan_ready", nodes: plan }];
  plan.forEach((node, i) => {
    events.push({ type: "node_started", id: node.id });
    events.push({
      type: "node_finished",
      node: {
        ...node,
        status: i % 7 === 6 ? "failed" : "done",
        answer: `Answer ${i + 1}`,
        guess_answer: `Guess ${i + 1}`,
        mrfs: 0.5 + (i % 5) / 10,
        decision: DECISIONS[i % DECISIONS.length] ?? "kept",
      },
    });
  });
  return events;
}

/** Nearest-rank percentile of unsorted values; 0 when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

function spread(values: number[]): Spread {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: round(values.length === 0 ? 0 : Math.max(...values)),
  };
}

export const DROPPED_FRAME_MS = 33;

/**
 * Replays synthetic runs of `n` nodes on a fresh graph mounted in `stage` (by default the app's
 * content area, whose children are put back afterwards) for `durationMs`, one event per frame.
 */
export function measureGraph(
  n: number,
  durationMs = 2000,
  stage: HTMLElement = document.getElementById("content") ?? document.body,
  win: Pick<Window, "requestAnimationFrame"> = window,
): Promise<GraphMeasurement> {
  const saved = [...stage.childNodes];
  const view = graphView(() => undefined);
  stage.replaceChildren(h("div", { class: "graph-scroll" }, view.element));

  let cycle = 0;
  let events = syntheticRun(n);
  let next = 0;
  let state = emptyRun("perf");
  const updates: number[] = [];
  const frames: number[] = [];
  let firstPlan = 0;

  const applyNext = () => {
    if (next === events.length) {
      cycle += 1;
      events = syntheticRun(n, cycle * 1000 + 1);
      next = 0;
      state = emptyRun("perf");
    }
    const event = events[next] as RunEvent;
    next += 1;
    state = applyEvent(state, event);
    const t0 = performance.now();
    view.update(state.nodes);
    // Reading geometry forces the style and layout work the update caused.
    void view.element.getBoundingClientRect().height;
    const ms = performance.now() - t0;
    if (updates.length === 0) firstPlan = ms;
    updates.push(ms);
  };

  return new Promise<GraphMeasurement>((resolve) => {
    let start: number | null = null;
    let last: number | null = null;
    const frame = (now: number) => {
      if (last !== null) frames.push(now - last);
      last = now;
      start ??= now;
      if (now - start >= durationMs) {
        stage.replaceChildren(...saved);
        resolve({
          nodes: n,
          updates: updates.length,
          cycles: cycle + (next === events.length ? 1 : 0),
          first_plan_ms: Math.round(firstPlan * 100) / 100,
          update_ms: spread(updates),
          frame_ms: spread(frames),
          frames: frames.length,
          dropped_frames: frames.filter((f) => f > DROPPED_FRAME_MS).length,
          duration_ms: Math.round(now - start),
        });
        return;
      }
      applyNext();
      win.requestAnimationFrame(frame);
    };
    win.requestAnimationFrame(frame);
  });
}

/** Exposes `window.__catenaPerf` for the measurement script. */
export function installPerfHooks(win: Window): void {
  win.__catenaPerf = {
    measureGraph: (nodes, durationMs) => measureGraph(nodes, durationMs),
  };
}

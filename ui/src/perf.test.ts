import { describe, expect, it } from "vitest";
import { installPerfHooks, measureGraph, percentile, syntheticPlan, syntheticRun } from "./perf";

describe("perf hooks", () => {
  it("builds a plan whose dependencies all point at earlier steps of the same plan", () => {
    for (const first of [1, 3001]) {
      const plan = syntheticPlan(30, first);
      const ids = plan.map((n) => n.id);
      expect(ids[0]).toBe(first);
      expect(new Set(ids).size).toBe(30);
      for (const n of plan) for (const d of n.depends_on) expect(d >= first && d < n.id).toBe(true);
      expect(plan.some((n) => n.depends_on.length === 0 && n.id !== first)).toBe(true);
    }
  });

  it("replays a run like the engine streams it: the plan, then each node started and finished", () => {
    const events = syntheticRun(3);
    expect(events.map((e) => e.type)).toEqual([
      "plan_ready",
      ...Array.from({ length: 3 }, () => ["node_started", "node_finished"]).flat(),
    ]);
    const finished = events.flatMap((e) => (e.type === "node_finished" ? [e.node] : []));
    expect(finished.every((n) => n.status !== "pending" && n.mrfs !== null && n.decision !== null)).toBe(true);
  });

  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
  });

  it("measures the graph on a stage and puts the stage back", async () => {
    const stage = document.createElement("main");
    const kept = document.createElement("p");
    stage.append(kept);
    document.body.append(stage);
    let t = 0;
    // Frames 16 ms apart, with one slow frame.
    const win = {
      requestAnimationFrame: (cb: FrameRequestCallback) => {
        t += t === 160 ? 50 : 16;
        setTimeout(() => cb(t), 0);
        return 0;
      },
    };
    const result = await measureGraph(3, 400, stage, win);
    expect(result.nodes).toBe(3);
    expect(result.updates).toBeGreaterThan(7);
    expect(result.cycles).toBeGreaterThanOrEqual(1);
    expect(result.frames).toBe(result.updates);
    expect(result.dropped_frames).toBe(1);
    expect(result.frame_ms.p50).toBe(16);
    expect(result.frame_ms.max).toBe(50);
    expect([...stage.childNodes]).toEqual([kept]);
    stage.remove();
  });

  it("exposes the hook on the window", () => {
    const win = {} as Window;
    installPerfHooks(win);
    expect(typeof win.__catenaPerf?.measureGraph).toBe("function");
  });
});

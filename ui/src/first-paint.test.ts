import { describe, expect, it, vi } from "vitest";
import { afterFirstPaint, reportFirstPaint } from "./first-paint";
import { fakeClient } from "./testing/fake-client";

/** A window whose animation frames run only when the test says so. */
function framedWindow() {
  const queue: FrameRequestCallback[] = [];
  const win = {
    requestAnimationFrame: (cb: FrameRequestCallback) => queue.push(cb),
  } as unknown as Window;
  const frame = () => {
    for (const cb of queue.splice(0)) cb(performance.now());
  };
  return { win, frame };
}

describe("first paint", () => {
  it("waits for the second frame, so the first one has been painted", () => {
    const { win, frame } = framedWindow();
    const done = vi.fn();
    afterFirstPaint(win, done);
    frame();
    expect(done).not.toHaveBeenCalled();
    frame();
    expect(done).toHaveBeenCalledOnce();
  });

  it("tells the shell once and installs the perf hooks only when the shell says so", async () => {
    for (const perf of [false, true]) {
      const { win, frame } = framedWindow();
      const client = fakeClient({ uiReady: vi.fn(() => Promise.resolve({ perf })) });
      const installPerfHooks = vi.fn();
      const reported = reportFirstPaint(win, client, () => Promise.resolve({ installPerfHooks }));
      frame();
      expect(client.uiReady).not.toHaveBeenCalled();
      frame();
      await expect(reported).resolves.toBe(perf);
      expect(client.uiReady).toHaveBeenCalledOnce();
      expect(client.uiReady).toHaveBeenCalledWith(expect.any(Number));
      expect(installPerfHooks).toHaveBeenCalledTimes(perf ? 1 : 0);
    }
  });

  it("is quiet outside the desktop app", async () => {
    const { win, frame } = framedWindow();
    const client = fakeClient({ uiReady: vi.fn(() => Promise.reject({ code: "NotInApp", message: "no" })) });
    const reported = reportFirstPaint(win, client);
    frame();
    frame();
    await expect(reported).resolves.toBe(false);
  });
});

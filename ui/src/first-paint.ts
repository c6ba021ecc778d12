// Start-up timing: once the first render is on screen, tell the shell (`ui_ready`). The shell
// answers whether the app runs under `CATENA_PERF=1`; only then is the measurement module loaded
// (a separate chunk) and `window.__catenaPerf` exposed for `scripts/perf-app`. Otherwise this costs
// two animation frames and one IPC call.
import type { Client } from "./ipc/client";

/** Calls `callback` once a frame has really been painted: in the second frame after now. */
export function afterFirstPaint(win: Pick<Window, "requestAnimationFrame">, callback: () => void): void {
  win.requestAnimationFrame(() => win.requestAnimationFrame(() => callback()));
}

/** Reports the first paint; resolves true when the perf hooks were installed. */
export function reportFirstPaint(
  win: Window,
  client: Pick<Client, "uiReady">,
  loadHooks: () => Promise<{ installPerfHooks(win: Window): void }> = () => import("./perf"),
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    afterFirstPaint(win, () => {
      client
        .uiReady(performance.now())
        .then(async ({ perf }) => {
          if (!perf) return false;
          (await loadHooks()).installPerfHooks(win);
          return true;
        })
        // Outside the desktop app (a browser, tests) there is nobody to tell.
        .catch(() => false)
        .then(resolve);
    });
  });
}

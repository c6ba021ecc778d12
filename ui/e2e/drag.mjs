// A drop from a file manager, for the end-to-end tests and scripts/kill-campaign-app.
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";

/**
 * Drags `paths` onto the middle of the window at `rect` ({x, y, width, height}, as WebDriver's
 * window rect gives it) the way a file manager would: a GTK drag source (drag-source.py) offers
 * them as text/uri-list and xdotool presses on it, moves the pointer onto the window and releases,
 * so the drop travels through XDND, GTK and Tauri's drop handler.
 */
export async function dragOnto(rect, paths) {
  const source = spawn("/usr/bin/python3", [join(import.meta.dirname, "drag-source.py"), "0", "0", ...paths], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let said = "";
  source.stdout.on("data", (chunk) => (said += chunk));
  const until = async (word) => {
    for (let i = 0; !said.includes(word); i++) {
      if (i > 150 || source.exitCode !== null) throw new Error(`the drag source never said "${word}" (it said ${JSON.stringify(said)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await until("ready");
    const x = Math.round(rect.x + rect.width / 2);
    const y = Math.round(rect.y + rect.height / 2);
    // GTK starts a drag once the pressed pointer has moved past a threshold; small steps, then the window.
    const steps = [[50, 35], [80, 50], [x - 60, y - 30], [x, y]];
    execFileSync("xdotool", [
      "mousemove", "40", "30", "mousedown", "1", "sleep", "0.2",
      ...steps.flatMap(([sx, sy]) => ["mousemove", String(sx), String(sy), "sleep", "0.2"]),
      "sleep", "0.3", "mouseup", "1",
    ]);
    await until("dropped");
  } finally {
    source.kill();
  }
}

// End-to-end test of the real desktop app: tauri-driver drives the built binary through
// WebKitWebDriver. Run under a display (Xvfb) and a private session bus:
//
//   DISPLAY=:99 dbus-run-session -- npm --prefix ui run e2e
//
// APP names the binary (default: the debug build under CARGO_TARGET_DIR or target/). Each run uses
// a fresh data directory and keyring namespace, so it never touches a real library or key.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { remote } from "webdriverio";

const root = resolve(import.meta.dirname, "../..");
const app = process.env.APP ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "catena-desktop");
const dataDir = mkdtempSync(join(tmpdir(), "catena-e2e-"));

const driver = spawn("tauri-driver", [], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CATENA_DATA_DIR: dataDir, CATENA_KEYRING_NAMESPACE: `e2e-${process.pid}` },
});

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch("http://127.0.0.1:4444/status");
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tauri-driver did not start");
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, null]);
    console.log(`ok   ${name}`);
  } catch (error) {
    results.push([name, error]);
    console.log(`FAIL ${name}\n     ${error?.message ?? error}`);
  }
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

let browser;
try {
  await waitForDriver();
  browser = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "warn",
    capabilities: { "wdio:enforceWebDriverClassic": true, "tauri:options": { application: app } },
  });

  await check("opens on an empty library", async () => {
    const h1 = await browser.$("h1");
    await h1.waitForDisplayed();
    expectEqual(await h1.getText(), "Library", "heading");
    const empty = await browser.$(".docs .empty-state h2");
    await empty.waitForDisplayed();
    expectEqual(await empty.getText(), "Add your first documents", "empty state");
    const dir = await browser.$("[data-testid=data-dir-path]");
    expectEqual(await dir.getText(), dataDir, "data directory");
  });

  await check("Ctrl+K focuses the search box", async () => {
    await browser.$("[data-view=history]").click();
    await browser.keys(["Control", "k"]);
    const active = await browser.execute(() => document.activeElement?.id ?? "");
    expectEqual(active, "library-search", "focused element");
  });

  await check("settings are saved and read back, keys are never shown", async () => {
    await browser.keys(["Control", ","]);
    const threshold = await browser.$("#mrfs");
    await threshold.waitForExist();
    // The engine's knobs sit in the collapsed "Advanced" section.
    await browser.$("summary=Advanced").click();
    await threshold.setValue("0.62");
    await browser.$("button[type=submit]").click();
    const status = await browser.$(".save-status");
    await status.waitUntil(async () => (await status.getText()) === "Saved.", { timeout: 5000 });
    await browser.$("[data-view=library]").click();
    await browser.$("[data-view=settings]").click();
    await browser.$("summary=Advanced").click();
    await browser.waitUntil(async () => (await browser.$("#mrfs").getValue()) === "0.62", { timeout: 5000 });
    expectEqual(await browser.$("#llm-key").getAttribute("type"), "password", "key field type");
    expectEqual(await browser.$("#llm-key").getValue(), "", "key field");
  });

  await check("a question over an empty library is answered honestly and kept in the history", async () => {
    await browser.$("[data-view=ask]").click();
    const box = await browser.$("#question");
    await box.setValue("When was the observatory built?");
    await browser.keys("Enter");
    const status = await browser.$(".run-status");
    await status.waitUntil(async () => (await status.getText()).startsWith("Finished"), { timeout: 15000 });
    const answer = await browser.$(".answer-text");
    expectEqual(await answer.getText(), "No answer: nothing in the library answers this question.", "answer");
    await browser.$("[data-view=history]").click();
    const item = await browser.$(".run-item .run-question");
    await item.waitForDisplayed();
    expectEqual(await item.getText(), "When was the observatory built?", "history entry");
    await item.click();
    await browser.$("h1=Ask").waitForDisplayed();
  });
} finally {
  if (browser) await browser.deleteSession().catch(() => undefined);
  // SIGTERM lets tauri-driver stop WebKitWebDriver too.
  driver.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
}

const failed = results.filter(([, e]) => e !== null).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);

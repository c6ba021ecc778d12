// End-to-end tests of the real desktop app: tauri-driver drives the built binary through
// WebKitWebDriver. Run under a display (Xvfb) and a private session bus:
//
//   DISPLAY=:99 dbus-run-session -- npm --prefix ui run e2e
//
// (`scripts/test` does this after the cargo tests.) APP names the binary (default: the debug build
// under CARGO_TARGET_DIR or target/). Each run uses a fresh data directory and keyring namespace,
// so it never touches a real library or key.
//
// The app is started twice on one data directory:
// 1. on an empty library: navigation, shortcuts, settings, an honest non-answer;
// 2. with fixture files dragged onto the window from a real GTK drag source (drag-source.py, moved
//    with xdotool; needs /usr/bin/python3 with GTK's introspection) and a
//    scripted OpenAI-compatible model server on 127.0.0.1: settings through the UI, a question with
//    its action graph and cited answer, a citation's preview, the source viewer, and a Markdown export saved through the
//    native save dialog (answered with xdotool).
//
// Every check saves a screenshot in target/e2e-screenshots/ for review.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { remote } from "webdriverio";
import { dragOnto } from "./drag.mjs";
import { startModelServer } from "./model-server.mjs";
import { writeFixtures, writeScanPdf, writeFaxTiff, QUESTION, FACTS, TITLES } from "./fixtures.mjs";

const root = resolve(import.meta.dirname, "../..");
const app = process.env.APP ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "catena-desktop");
const shots = join(root, "target", "e2e-screenshots");
mkdirSync(shots, { recursive: true });
for (const f of readdirSync(shots)) if (f.endsWith(".png")) rmSync(join(shots, f));

const work = mkdtempSync(join(tmpdir(), "catena-e2e-"));
const dataDir = join(work, "data");
const filesDir = join(work, "files");
const exportDir = join(work, "exports");
mkdirSync(exportDir);
const files = writeFixtures(filesDir);
const started = Date.now();

// The driver passes its environment on to the app it starts.
const baseEnv = {
  ...process.env,
  CATENA_DATA_DIR: dataDir,
  CATENA_KEYRING_NAMESPACE: `e2e-${process.pid}`,
  // The scripted model server is on loopback; never send it through a proxy.
  NO_PROXY: "127.0.0.1,localhost",
  no_proxy: "127.0.0.1,localhost",
};
for (const v of ["CATENA_LLM_API_KEY", "CATENA_LLM_URL", "CATENA_LLM_MODEL", "CATENA_LLM_PROVIDER"]) {
  delete baseEnv[v];
}

let driver = null;

async function startDriver(env) {
  driver = spawn("tauri-driver", [], { stdio: ["ignore", "inherit", "inherit"], env });
  const exited = new Promise((r) => driver.once("exit", r));
  driver.exited = exited;
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

async function stopDriver() {
  if (driver === null) return;
  // SIGTERM lets tauri-driver stop WebKitWebDriver too.
  driver.kill("SIGTERM");
  await Promise.race([driver.exited, new Promise((r) => setTimeout(r, 5000))]);
  driver = null;
}

async function openApp() {
  const session = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "warn",
    capabilities: { "wdio:enforceWebDriverClassic": true, "tauri:options": { application: app } },
  });
  return session;
}

/** Drags `paths` onto the app window from a real GTK drag source (drag.mjs). */
async function dragOntoWindow(paths) {
  await dragOnto(await browser.getWindowRect(), paths);
}

/**
 * Answers the native save dialog ("Export run") the way a person would: focus it, replace the
 * suggested name with a path in `dir` (keeping the suggested file name), press Enter.
 */
async function answerSaveDialog(dir) {
  let id = "";
  for (let i = 0; id === "" && i < 100; i++) {
    try {
      id = execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^Export run$"], { encoding: "utf8" }).trim().split("\n")[0] ?? "";
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // not open yet
    }
  }
  if (id === "") throw new Error("the save dialog did not open");
  // GTK's save dialog starts with the suggested name selected in its name field.
  await new Promise((r) => setTimeout(r, 300));
  execFileSync("xdotool", ["windowfocus", "--sync", id]);
  execFileSync("xdotool", ["key", "--window", id, "Home"]);
  execFileSync("xdotool", ["type", "--delay", "5", `${dir}/`]);
  execFileSync("xdotool", ["key", "Return"]);
}

let browser;
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  let error = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const file = join(shots, `${String(results.length + 1).padStart(2, "0")}-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60)}.png`);
  await screenshot(file);
  results.push([name, error]);
  const ms = Date.now() - t0;
  if (error === null) console.log(`ok   ${name} (${ms} ms)`);
  else console.log(`FAIL ${name} (${ms} ms)\n     ${error?.message ?? error}`);
}

/** Saves what the window shows now in `file`. */
async function screenshot(file) {
  try {
    // WebKitWebDriver answers a screenshot after the page's next paint. Without a GPU the app
    // paints on the CPU, and an idle page then paints nothing more, so the request would wait for
    // the client's time-out: a one-pixel, invisible change repaints for a few frames meanwhile.
    await browser.execute(() => {
      const dot = document.createElement("div");
      dot.setAttribute("aria-hidden", "true");
      Object.assign(dot.style, { position: "fixed", right: "0", bottom: "0", width: "1px", height: "1px", pointerEvents: "none" });
      document.body.append(dot);
      let frame = 0;
      const tick = () => {
        dot.style.backgroundColor = frame % 2 ? "rgba(0, 0, 0, 0)" : "rgba(0, 0, 0, 0.01)";
        if (++frame < 30) requestAnimationFrame(tick);
        else dot.remove();
      };
      requestAnimationFrame(tick);
    });
    await browser.saveScreenshot(file);
  } catch (e) {
    console.log(`     (no screenshot: ${e?.message ?? e})`);
  }
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function expect(condition, what) {
  if (!condition) throw new Error(what);
}

const model = await startModelServer();

try {
  // --- First start: an empty library ---------------------------------------------------------
  await startDriver(baseEnv);
  browser = await openApp();

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
    const notice = await browser.$(".answer-text .not-found");
    await notice.waitForDisplayed({ timeout: 5000 });
    expectEqual(await browser.$(".not-found-title").getText(), "Not in your library", "not-found title");
    const said = await notice.getText();
    if (!said.includes("Your library does not answer this question.")) {
      throw new Error(`not-found notice: got ${JSON.stringify(said)}`);
    }
    expectEqual((await browser.$$(".answer-text .marker")).length, 0, "citations in a refusal");
    await browser.$("[data-view=history]").click();
    const item = await browser.$(".run-item .run-question");
    await item.waitForDisplayed();
    expectEqual(await item.getText(), "When was the observatory built?", "history entry");
    await item.click();
    await browser.$("h1=Ask").waitForDisplayed();
  });

  await browser.deleteSession().catch(() => undefined);
  browser = undefined;
  await stopDriver();

  // --- Second start: files dropped on the window, a scripted model -----------------------------
  await startDriver(baseEnv);
  browser = await openApp();

  await check("dropped files are added and listed in the library", async () => {
    await browser.$("h1=Library").waitForDisplayed();
    await dragOntoWindow(files);
    const summary = await browser.$(".progress-card .progress-text");
    await browser.waitUntil(async () => (await summary.getText()).startsWith("Done:"), {
      timeout: 30000,
      timeoutMsg: "the dropped batch did not finish",
    });
    expect((await summary.getText()).startsWith(`Done: Added ${files.length}, skipped 0`), `summary: ${await summary.getText()}`);
    const rows = await browser.$$(".doc-table tbody tr.doc");
    await browser.waitUntil(async () => (await browser.$$(".doc-table tbody tr.status-indexed")).length === files.length, {
      timeout: 10000,
      timeoutMsg: `expected ${files.length} indexed documents, saw ${rows.length} rows`,
    });
    const titles = await browser.$$(".doc-table .doc-title").map((t) => t.getText());
    for (const title of Object.values(TITLES)) expect(titles.includes(title), `no document titled ${title} in ${JSON.stringify(titles)}`);
    expectEqual(await browser.$("#docs-title ~ span").getText(), `${files.length} documents`, "document count");
  });

  /**
   * Problems in the Documents table as laid out now: text of one cell drawn over another cell's
   * text in the same row, text outside the window, and a table that scrolls sideways. Text boxes
   * are the client rects of each text node, clipped to any ancestor that hides its overflow (an
   * ellipsised path), so only what is drawn counts.
   */
  const tableLayoutProblems = () =>
    browser.execute(() => {
      const clipOf = (node, stop) => {
        let clip = { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
        for (let el = node.parentElement; el && el !== stop.parentElement; el = el.parentElement) {
          const style = getComputedStyle(el);
          if (style.overflowX !== "visible" || style.overflowY !== "visible") {
            const r = el.getBoundingClientRect();
            clip = { left: Math.max(clip.left, r.left), top: Math.max(clip.top, r.top), right: Math.min(clip.right, r.right), bottom: Math.min(clip.bottom, r.bottom) };
          }
        }
        return clip;
      };
      const textBoxes = (cell) => {
        const out = [];
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if ((n.textContent ?? "").trim() === "" || n.parentElement?.closest(".sr-only")) continue;
          const clip = clipOf(n, cell);
          const range = document.createRange();
          range.selectNodeContents(n);
          for (const b of range.getClientRects()) {
            const box = { left: Math.max(b.left, clip.left), top: Math.max(b.top, clip.top), right: Math.min(b.right, clip.right), bottom: Math.min(b.bottom, clip.bottom), text: (n.textContent ?? "").trim().slice(0, 40) };
            if (box.right - box.left > 0.5 && box.bottom - box.top > 0.5) out.push(box);
          }
        }
        return out;
      };
      const problems = [];
      const width = document.documentElement.clientWidth;
      const content = document.querySelector(".content");
      if (content && content.scrollWidth > content.clientWidth + 1) problems.push(`the page scrolls sideways (${content.scrollWidth} > ${content.clientWidth})`);
      const rows = [...document.querySelectorAll(".doc-table tbody tr.doc")];
      if (rows.length === 0) problems.push("no document rows");
      for (const row of rows) {
        const name = row.querySelector(".doc-title")?.textContent ?? "?";
        const cells = [...row.children].map(textBoxes);
        cells.forEach((boxes, i) => {
          for (const b of boxes) if (b.left < -0.5 || b.right > width + 0.5) problems.push(`${name}: "${b.text}" leaves the window`);
          for (let j = i + 1; j < cells.length; j++) {
            for (const a of boxes) {
              for (const b of cells[j]) {
                const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                if (x > 1 && y > 1) problems.push(`${name}: "${a.text}" (cell ${i + 1}) overlaps "${b.text}" (cell ${j + 1})`);
              }
            }
          }
        });
      }
      return problems;
    });

  /** Resizes the window and waits until the page has its new width. */
  const resizeTo = async (width, height) => {
    await browser.setWindowSize(width, height);
    await browser.waitUntil(async () => Math.abs((await browser.execute(() => window.innerWidth)) - width) <= 40, {
      timeout: 5000,
      timeoutMsg: `the window did not become ${width} px wide`,
    });
    // Two frames for the layout to settle.
    await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  };

  const windowBefore = await browser.getWindowSize();

  await check("the library table does not overprint at the 720 px minimum width", async () => {
    // The screenshot shows the narrow layout; the last of these checks restores the size.
    await resizeTo(720, windowBefore.height);
    await browser.execute(() => document.querySelector(".doc-table")?.scrollIntoView({ block: "start" }));
    const problems = await tableLayoutProblems();
    expect(problems.length === 0, `at 720 px: ${problems.join("; ")}`);
  });

  await check("the library table uses the width of a 1400 px window without overprinting", async () => {
    await resizeTo(1400, windowBefore.height);
    await browser.execute(() => document.querySelector(".doc-table")?.scrollIntoView({ block: "start" }));
    const problems = await tableLayoutProblems();
    expect(problems.length === 0, `at 1400 px: ${problems.join("; ")}`);
    const { table, room } = await browser.execute(() => {
      const content = document.querySelector(".content");
      const style = content ? getComputedStyle(content) : null;
      const room = content && style ? content.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) : 0;
      return { table: document.querySelector(".doc-table")?.getBoundingClientRect().width ?? 0, room };
    });
    // The card's padding and border are all that stand between the table and the content's edges.
    expect(table >= room - 60, `the table is ${Math.round(table)} px wide in ${Math.round(room)} px of room`);
  });

  await check("the remove confirmation fits inside the table at 1100 px, both buttons visible", async () => {
    try {
      await resizeTo(1100, windowBefore.height);
      const rowsBefore = (await browser.$$(".doc-table tbody tr.doc")).length;
      const remove = await browser.$('.doc-table tbody tr.doc button[aria-label^="Remove "]');
      await remove.scrollIntoView({ block: "center" });
      await remove.click();
      const confirm = await browser.$(".doc-table .confirm-row .confirm");
      await confirm.waitForDisplayed({ timeout: 3000 });
      await browser.execute(() => document.querySelector(".doc-table .confirm-row")?.scrollIntoView({ block: "center" }));
      const boxes = await browser.execute(() => {
        const table = document.querySelector(".doc-table")?.getBoundingClientRect();
        return [...document.querySelectorAll(".doc-table .confirm-row button")].map((b) => {
          const r = b.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return {
            text: b.textContent,
            inTable: table !== undefined && r.left >= table.left - 0.5 && r.right <= table.right + 0.5 && r.top >= table.top - 0.5 && r.bottom <= table.bottom + 0.5,
            inWindow: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight,
            onTop: hit === b || b.contains(hit),
            clipped: b.scrollWidth > b.clientWidth + 1,
          };
        });
      });
      expectEqual(boxes.map((b) => b.text).join(", "), "Remove, Keep", "confirmation buttons");
      for (const b of boxes) {
        expect(b.inTable, `"${b.text}" is not inside the table`);
        expect(b.inWindow, `"${b.text}" is not inside the window`);
        expect(b.onTop, `"${b.text}" is covered`);
        expect(!b.clipped, `"${b.text}" is cut off`);
      }
      expectEqual(await browser.execute(() => document.activeElement?.textContent ?? ""), "Remove", "focus on the confirming button");
      await screenshot(join(shots, `${String(results.length + 1).padStart(2, "0")}-open-remove-confirmation-at-1100-px.png`));
      // Keep: nothing is removed.
      await browser.$(".doc-table .confirm-row").$("button=Keep").click();
      await browser.$(".doc-table .confirm-row").waitForExist({ reverse: true, timeout: 3000 });
      expectEqual((await browser.$$(".doc-table tbody tr.doc")).length, rowsBefore, "rows after Keep");
    } finally {
      await browser.setWindowSize(windowBefore.width, windowBefore.height).catch(() => undefined);
    }
  });

  await check("the model server is set up in Settings: URL, model list, model", async () => {
    await browser.keys(["Control", ","]);
    const enabled = await browser.$("#llm-enabled");
    await enabled.waitForExist();
    if (!(await enabled.isSelected())) await enabled.click();
    await browser.$("#llm-preset").selectByAttribute("value", "custom");
    const result = await browser.$(".test-result");
    // First a server that is not running: the test says so in words, the cause under Details.
    const closedPort = await new Promise((done) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address();
        probe.close(() => done(port));
      });
    });
    await browser.$("#llm-url").setValue(`http://127.0.0.1:${closedPort}/v1`);
    await browser.$("button=Test connection").click();
    await browser.waitUntil(async () => (await result.getText()).startsWith("Nothing is answering"), {
      timeout: 10000,
      timeoutMsg: "a refused connection was not explained",
    });
    expect(await browser.$(".test-detail").isDisplayed(), "the technical cause is offered under Details");
    await browser.$("#llm-url").setValue(model.url);
    await browser.$("button=Test connection").click();
    await browser.waitUntil(async () => (await result.getText()).startsWith("Connected"), {
      timeout: 10000,
      timeoutMsg: "the connection test did not succeed",
    });
    expectEqual(await result.getText(), `Connected: ${model.models.length} models available. Choose one.`, "test result");
    const offered = await browser.$$("#llm-models option").map((o) => o.getAttribute("value"));
    expectEqual(JSON.stringify(offered), JSON.stringify(model.models), "models offered");
    await browser.$("#llm-model").setValue(model.models[0]);
    await browser.$("button[type=submit]").click();
    const status = await browser.$(".save-status");
    await status.waitUntil(async () => (await status.getText()) === "Saved.", { timeout: 5000 });
    // What the first start saved survived the restart.
    await browser.$("summary=Advanced").click();
    expectEqual(await browser.$("#mrfs").getValue(), "0.62", "threshold saved before the restart");
    await browser.execute(() => document.querySelector("#llm-enabled")?.scrollIntoView({ block: "start" }));
  });

  await check("a question runs the planned chain: one graph node per step, all done", async () => {
    await browser.$("[data-view=ask]").click();
    const box = await browser.$("#question");
    await box.setValue(QUESTION);
    await browser.keys("Enter");
    const status = await browser.$(".run-status");
    await status.waitUntil(async () => (await status.getText()).startsWith("Finished"), {
      timeout: 30000,
      timeoutMsg: "the run did not finish",
    });
    const nodes = await browser.$$("svg.graph g.graph-node");
    expectEqual(nodes.length, model.plan.chain.length, "graph nodes");
    for (const node of nodes) {
      const cls = await node.getAttribute("class");
      expect(cls.includes("status-done"), `node not done: ${cls} (${await node.getAttribute("aria-label")})`);
    }
    expect(await browser.$('svg.graph [data-edge="1-2"]').isExisting(), "no edge from step 1 to step 2");
    // Step 2 asked with step 1's answer in place of #1.
    const step2 = await browser.$('svg.graph g[data-node="2"]').getAttribute("aria-label");
    expect(step2.includes(FACTS.designer), `step 2 was not substituted: ${step2}`);
    const purposes = model.seen.map((s) => s.purpose);
    expectEqual(purposes[0], "plan", "first model call");
    expectEqual(purposes.at(-1), "answer", "last model call");
    expect(model.seen.every((s) => s.model === model.models[0]), `model ids: ${JSON.stringify(model.seen.map((s) => s.model))}`);
    expect(model.seen.at(-1).stream, "the answer was not streamed");
    const usage = await browser.$(".usage").getText();
    expect(usage.startsWith(`${model.seen.length} model calls`), `usage: ${usage}`);
    // Step 2 opens from the keyboard (WebKitWebDriver cannot click SVG groups) and shows its
    // evidence; the screenshot shows the graph with it.
    await browser.execute(() => document.querySelector('svg.graph g[data-node="2"]')?.focus());
    await browser.keys("Enter");
    const detail = await browser.$(".node-detail h3");
    await detail.waitForDisplayed();
    expectEqual(await detail.getText(), "Step 2 · Knowledge base · Done", "step detail");
    expect((await browser.$$(".node-detail .evidence-list li")).length > 0, "step 2 lists no evidence");
    await browser.execute(() => document.querySelector(".steps-card")?.scrollIntoView({ block: "start" }));
  });

  await check("a citation preview shows the cited sentence inside the window, and Esc closes it", async () => {
    await browser.execute(() => document.querySelector(".answer-card")?.scrollIntoView({ block: "start" }));
    const marker = await browser.$(`.answer-text button.marker[aria-label*="${TITLES.lighthouse}"]`);
    await marker.moveTo();
    const preview = await marker.parentElement().$(".marker-preview");
    await preview.waitForDisplayed({ timeout: 3000 });
    // The passage opens with the breakwater; the answer cites the sentence naming the designer.
    const cited = await preview.$(".marker-cited").getText();
    expectEqual(cited, "It was designed by the engineer Ines Varga and built between 1899 and 1903.", "cited sentence");
    const placed = await browser.execute(() => {
      const shown = [...document.querySelectorAll(".marker-preview")].find((p) => !p.hidden);
      const r = shown?.getBoundingClientRect();
      const view = document.documentElement;
      return r ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: view.clientWidth, height: view.clientHeight } : null;
    });
    expect(placed !== null, "no preview is shown");
    expect(
      placed.left >= 0 && placed.top >= 0 && placed.right <= placed.width && placed.bottom <= placed.height,
      `the preview leaves the window: ${JSON.stringify(placed)}`,
    );
    await screenshot(join(shots, `${String(results.length + 1).padStart(2, "0")}-open-citation-preview.png`));
    await browser.keys("Escape");
    await preview.waitForDisplayed({ reverse: true, timeout: 3000 });
    expect(!(await browser.$(".source-panel").isExisting()), "Esc on the preview opened or left a source panel");
    // Off the marker, so the next checks start without a preview.
    await browser.$("#answer-title").moveTo();
  });

  await check("the answer carries citation markers for the evidence it used", async () => {
    await browser.execute(() => document.querySelector(".answer-card")?.scrollIntoView({ block: "start" }));
    const text = await browser.$(".answer-text").getText();
    for (const fact of [FACTS.designer, FACTS.birthplace, FACTS.lit]) expect(text.includes(fact), `answer lacks ${fact}: ${text}`);
    const markers = await browser.$$(".answer-text button.marker");
    expectEqual(markers.length, 3, "markers");
    const labels = await markers.map((m) => m.getAttribute("aria-label"));
    for (const m of markers) expect(await m.isEnabled(), "a marker names no evidence of the run");
    const cited = labels.join(" | ");
    for (const title of [TITLES.lighthouse, TITLES.varga, TITLES.lamp]) expect(cited.includes(title), `no marker cites ${title}: ${cited}`);
    expect(!(await browser.$(".answer-text .verdict-unsupported").isExisting()), "a sentence is marked not supported");
  });

  await check("a marker previews its passage on hover and opens the source with it highlighted", async () => {
    const marker = await browser.$(`.answer-text button.marker[aria-label*="${TITLES.lighthouse}"]`);
    await marker.moveTo();
    const preview = await marker.parentElement().$(".marker-preview");
    await preview.waitForDisplayed({ timeout: 3000 });
    expect((await preview.getText()).includes("designed by the engineer"), `preview: ${await preview.getText()}`);
    await marker.click();
    const title = await browser.$(".source-panel #source-title");
    await title.waitForDisplayed();
    expectEqual(await title.getText(), TITLES.lighthouse, "source title");
    const cited = await browser.$(".source-panel #cited-passage");
    await cited.waitForDisplayed({ timeout: 5000 });
    expect((await cited.getText()).includes("designed by the engineer Ines Varga"), `highlight: ${await cited.getText()}`);
    expect((await browser.$(".source-panel .source-path").getText()).endsWith("lighthouse.md"), "source path");
  });

  await check("a cited PDF opens at its page", async () => {
    await browser.keys("Escape");
    await browser.$(".source-panel").waitForExist({ reverse: true, timeout: 3000 });
    await browser.$(`.answer-text button.marker[aria-label*="${TITLES.lamp}"]`).click();
    const title = await browser.$(".source-panel #source-title");
    await title.waitForDisplayed();
    expectEqual(await title.getText(), TITLES.lamp, "source title");
    const body = await browser.$(".source-panel .source-body");
    await browser.waitUntil(async () => (await body.getAttribute("aria-busy")) === null, { timeout: 15000, timeoutMsg: "the PDF never finished loading" });
    expect(!(await browser.$(".source-panel .error").isExisting()), `the PDF did not open: ${await body.getText()}`);
    expect(await browser.$(".source-panel canvas").isExisting(), "no page was drawn");
  });

  await check("the run exports to Markdown with its answer and references", async () => {
    await browser.$(".source-panel button[aria-label='Close source']").click();
    await browser.$(".source-panel").waitForExist({ reverse: true, timeout: 3000 });
    // Move off the marker, whose passage preview sits over the answer's buttons while hovered.
    await browser.$("h1=Ask").moveTo();
    await browser.$(".answer-actions").$("button=Export…").click();
    const format = await browser.$("#export-format");
    await browser.waitUntil(async () => (await browser.$$("#export-format option")).length > 0, { timeout: 5000 });
    await format.selectByAttribute("value", "md");
    await browser.$(".export-form button[type=submit]").click();
    await answerSaveDialog(exportDir);
    const message = await browser.$(".export-form [role=status]");
    await browser.waitUntil(async () => (await message.getText()).startsWith("Saved to "), {
      timeout: 10000,
      timeoutMsg: "the export did not report a saved file",
    });
    const path = (await message.getText()).slice("Saved to ".length);
    expect(path.startsWith(exportDir) && path.endsWith(".md"), `saved to ${path}`);
    const md = readFileSync(path, "utf8");
    expect(md.includes(QUESTION), "the report lacks the question");
    expect(md.includes("## Answer") && md.includes("## References"), "the report lacks its sections");
    for (const fact of [FACTS.designer, FACTS.birthplace, FACTS.lit]) expect(md.includes(fact), `the report lacks ${fact}`);
    for (const title of [TITLES.lighthouse, TITLES.varga, TITLES.lamp]) expect(md.includes(title), `the references lack ${title}`);
  });

  await check("without a model semantic search says it is off and why; a model folder embeds the library", async () => {
    await browser.$("[data-view=library]").click();
    const banner = await browser.$(".semantic-banner");
    await banner.waitForDisplayed({ timeout: 10000 });
    expectEqual((await browser.$(".semantic-banner .card-title").getText()).toLowerCase(), "semantic search is off", "banner title");
    expect((await browser.$(".semantic-reason").getText()).trim() !== "", "the banner gives no reason");
    expectEqual((await browser.$$(".doc-table .embed-state.embedded")).length, 0, "documents shown as embedded while it is off");
    // The model the project's setup installs, chosen as a folder, as a user with a copy would.
    await browser.keys(["Control", ","]);
    const provider = await browser.$("#emb-provider");
    await provider.waitForExist();
    await provider.selectByAttribute("value", "folder");
    await browser.$("#emb-dir").setValue(join(root, ".models", "all-MiniLM-L6-v2"));
    await browser.$("button[type=submit]").click();
    const status = await browser.$(".save-status");
    await status.waitUntil(async () => (await status.getText()) === "Saved.", { timeout: 5000 });
    await browser.$("[data-view=library]").click();
    await browser.waitUntil(async () => (await browser.$$(".doc-table .embed-state.embedded")).length === files.length, {
      timeout: 90000,
      timeoutMsg: "the library was not embedded in the background",
    });
    expect(!(await browser.$(".semantic-banner").isDisplayed()), "the banner still says semantic search is off");
  });

  await check("a scanned page is read by OCR and opens with the found words marked on the image", async () => {
    const scan = writeScanPdf(join(work, "scans"));
    await dragOntoWindow([scan]);
    await browser.waitUntil(async () => (await browser.$$(".doc-table tbody tr.status-indexed")).length === files.length + 1, {
      timeout: 60000,
      timeoutMsg: "the scan was not indexed",
    });
    const search = await browser.$("#library-search");
    await search.setValue("lighthouse beacons");
    let hit = null;
    await browser.waitUntil(
      async () => {
        for (const b of await browser.$$(".hits .hit-title")) if ((await b.getText()) === "scan") hit = b;
        return hit !== null;
      },
      { timeout: 10000, timeoutMsg: "the search found no passage of the scan" },
    );
    await hit.click();
    const body = await browser.$(".source-panel .source-body");
    await browser.waitUntil(async () => (await body.getAttribute("aria-busy")) === null, { timeout: 15000, timeoutMsg: "the scan never finished loading" });
    expect(!(await browser.$(".source-panel .error").isExisting()), `the scan did not open: ${await body.getText()}`);
    // One mark per word of the passage, each inside the page image.
    const placed = await browser.execute(() => {
      const page = document.querySelector(".source-panel .pdf-page")?.getBoundingClientRect();
      const marks = [...document.querySelectorAll(".source-panel .pdf-page .ocr-highlight")].map((m) => m.getBoundingClientRect());
      const inside = (r) => page && r.width > 0 && r.height > 0 && r.left >= page.left && r.right <= page.right + 1 && r.top >= page.top && r.bottom <= page.bottom + 1;
      return { count: marks.length, inside: marks.filter(inside).length };
    });
    expect(placed.count >= 8, `expected a mark per word of the passage, saw ${placed.count}`);
    expectEqual(placed.inside, placed.count, "marks inside the page");
  });

  await check("a faxed TIFF page opens as the image itself, with the found words marked on it", async () => {
    await browser.keys("Escape");
    const fax = writeFaxTiff(join(work, "faxes"));
    await dragOntoWindow([fax]);
    await browser.waitUntil(async () => (await browser.$$(".doc-table tbody tr.status-indexed")).length === files.length + 2, {
      timeout: 60000,
      timeoutMsg: "the fax was not indexed",
    });
    const search = await browser.$("#library-search");
    await search.setValue("copper kettles");
    let hit = null;
    await browser.waitUntil(
      async () => {
        // Whatever title the page's text suggested, the hit names its file.
        for (const item of await browser.$$(".hits .hit")) if ((await item.getText()).includes("fax.tiff")) hit = await item.$(".hit-title");
        return hit !== null;
      },
      { timeout: 10000, timeoutMsg: "the search found no passage of the fax" },
    );
    await hit.click();
    const body = await browser.$(".source-panel .source-body");
    await browser.waitUntil(async () => (await body.getAttribute("aria-busy")) === null, { timeout: 15000, timeoutMsg: "the fax never finished loading" });
    expect(!(await browser.$(".source-panel .error").isExisting()), `the fax did not open: ${await body.getText()}`);
    // The webview drew the page (TIFF is sent as PNG), and every mark sits on it.
    await browser.waitUntil(async () => browser.execute(() => (document.querySelector(".source-panel img.page-image")?.naturalWidth ?? 0) > 0), {
      timeout: 10000,
      timeoutMsg: "the page image was not drawn",
    });
    const placed = await browser.execute(() => {
      const img = document.querySelector(".source-panel img.page-image");
      const page = img?.getBoundingClientRect();
      const marks = [...document.querySelectorAll(".source-panel .image-page .ocr-highlight")].map((m) => m.getBoundingClientRect());
      const inside = (r) => page && r.width > 0 && r.height > 0 && r.left >= page.left && r.right <= page.right + 1 && r.top >= page.top && r.bottom <= page.bottom + 1;
      return { width: img?.naturalWidth ?? 0, count: marks.length, inside: marks.filter(inside).length };
    });
    expectEqual(placed.width, 1700, "the page image's width in pixels");
    expect(placed.count >= 4, `expected a mark per word of the passage, saw ${placed.count}`);
    expectEqual(placed.inside, placed.count, "marks inside the page image");
    expect((await body.getText()).includes("kettles"), "the passage is shown below the image");
  });
} catch (error) {
  results.push(["setup", error]);
  console.log(`FAIL setup\n     ${error?.stack ?? error}`);
} finally {
  if (browser) await browser.deleteSession().catch(() => undefined);
  await stopDriver();
  await model.close();
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter(([, e]) => e !== null).length;
console.log(`${results.length - failed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);

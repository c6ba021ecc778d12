// The rounds of scripts/kill-campaign-app (which sets up the display, the session bus and the
// concurrent reader, and passes everything in the environment): per round the real app is started
// through tauri-driver on the campaign's data directory, the folder is dropped on its window through
// X drag and drop (ui/e2e/drag.mjs: a GTK drag source moved with xdotool), so the page calls the `ingest` command
// exactly as after a drop from a file manager, and at a random moment the whole app process tree is
// SIGKILLed. Then `catena check` must find catalog and index consistent, and no document indexed
// before the round may be gone. Prints one line `kill-campaign-app-json {…}` with the counts.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { dragOnto } from "../../ui/e2e/drag.mjs";

const env = (name) => {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set`);
  return v;
};
const APP = env("APP");
const CLI = env("CLI");
const KILLS = Number(env("KILLS"));
const FILES = env("FILES");
const WORK = env("WORK");
const ROOT = env("ROOT");
const data = join(WORK, "data");
const files = join(WORK, "files");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stderr.write(`kill-campaign-app: ${line}\n`);

// A seeded generator (mulberry32), so a campaign can be replayed with its seed.
let seed = Number(env("SEED")) >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function cli(...args) {
  const out = spawnSync(CLI, ["--data-dir", data, "--json", ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  let json = null;
  try {
    json = JSON.parse(out.stdout);
  } catch {
    // Left null: the caller reports it.
  }
  return { status: out.status, json, stderr: out.stderr };
}

/** Paths of the documents the catalog lists as indexed. */
function indexedPaths() {
  const { json } = cli("docs");
  return new Set(Array.isArray(json) ? json.filter((d) => d.status === "indexed").map((d) => d.path) : []);
}

function writeFiles(revision) {
  execFileSync("python3", [join(ROOT, "scripts/lib/campaign-files.py"), files, String(revision), FILES]);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every process's children, read from /proc. */
function childrenMap() {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  return children;
}

function descendants(pid, children = childrenMap()) {
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

class App {
  /** The app on data directory `dir`. */
  constructor(dir) {
    this.dir = dir;
  }

  async start(round) {
    this.port = await freePort();
    const nativePort = await freePort();
    const logFd = openSync(join(WORK, `driver-${round}.log`), "w");
    this.driver = spawn("tauri-driver", ["--port", String(this.port), "--native-port", String(nativePort)], {
      stdio: ["ignore", logFd, logFd],
      env: { ...process.env, CATENA_DATA_DIR: this.dir, CATENA_KEYRING_NAMESPACE: `kill-campaign-${process.pid}` },
    });
    this.exited = new Promise((r) => this.driver.once("exit", r));
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/status`)).ok) break;
      } catch {
        // Not listening yet.
      }
      if (i > 100) throw new Error("tauri-driver did not start");
      await sleep(100);
    }
    const { sessionId } = await this.wd("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: APP } } },
    });
    this.session = `/session/${sessionId}`;
    for (let i = 0; !(await this.execute("return document.querySelector('h1') !== null")); i++) {
      if (i > 300) throw new Error("the app's page did not load in 30 s");
      await sleep(100);
    }
  }

  async wd(method, path, body) {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }

  execute(script) {
    return this.wd("POST", `${this.session}/execute/sync`, { script, args: [] });
  }

  /** The text of the "Adding files" card: "Found 90 files…", "Done: Added 90, …" or "Couldn't add files: …". */
  progress() {
    return this.execute("return document.querySelector('.progress-card .progress-text')?.textContent ?? ''");
  }

  /** Drags `paths` onto the window from a real GTK drag source, as the end-to-end tests do. */
  async drop(paths) {
    await dragOnto(await this.wd("GET", `${this.session}/window/rect`), paths);
  }

  /**
   * Drops `paths` until the page shows it is adding them (a drop can go astray while the app is
   * busy starting, e.g. rescanning a watched folder); returns how many drags it took.
   */
  async dropUntilAdding(paths) {
    for (let attempt = 1; attempt <= 5; attempt++) {
      await this.drop(paths);
      for (let i = 0; i < 50; i++) {
        if (await this.execute("return document.querySelector('.progress-card')?.hidden === false")) return attempt;
        await sleep(100);
      }
    }
    throw new Error("five drops in a row did not reach the page");
  }

  /** The app (catena-desktop under WebKitWebDriver under tauri-driver) and every process below it. */
  appTree() {
    const children = childrenMap();
    const app = descendants(this.driver.pid, children).find((p) => comm(p) === "catena-desktop");
    return app === undefined ? [] : descendants(app, children);
  }

  /** SIGKILLs the app's whole process tree at once, then stops the driver. */
  async kill() {
    const tree = this.appTree();
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await this.stopDriver();
    return tree.length;
  }

  async stopDriver() {
    // SIGTERM lets tauri-driver stop WebKitWebDriver; whatever is left after 5 s is killed.
    const rest = descendants(this.driver.pid);
    this.driver.kill("SIGTERM");
    await Promise.race([this.exited, sleep(5000)]);
    for (const pid of rest) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}

const finished = (text) => /^(Done|Stopped|Couldn't)/.test(text);

// One uninterrupted ingest through the app, on a data directory of its own (the reader is already
// searching the campaign's), to spread the kills over a whole run.
writeFiles(0);
const calibration = join(WORK, "calibration");
let app = new App(calibration);
await app.start(0);
await app.dropUntilAdding([files]);
const t0 = Date.now();
for (;;) {
  const text = await app.progress();
  if (finished(text)) {
    if (!text.startsWith("Done")) throw new Error(`the uninterrupted ingest did not finish: ${text}`);
    log(`uninterrupted ingest: ${text}`);
    break;
  }
  if (Date.now() - t0 > 600000) throw new Error("the uninterrupted ingest took over 10 minutes");
  await sleep(50);
}
const fullMs = Date.now() - t0;
await app.kill();
rmSync(calibration, { recursive: true, force: true });

let midRun = 0;
let inconsistent = 0;
let lost = 0;
let processes = 0;
const started = Date.now();
for (let round = 1; round <= KILLS; round++) {
  if (round > 1) writeFiles(round);
  // A round whose ingest finished made the folder a watched one, and the app would apply the
  // changed files itself at start, before the drop; unwatched, the drop's ingest does it.
  cli("sources", "remove", files);
  const before = indexedPaths();
  app = new App(data);
  await app.start(round);
  const drags = await app.dropUntilAdding([files]);
  if (drags > 1) log(`round ${round}: the drop reached the page at drag ${drags}`);
  const dropped = Date.now();
  // Up to 1.25 times the uninterrupted run: most kills land during the ingest (the app commits
  // every 500 documents), some after it, so later rounds have committed documents to lose.
  const delay = Math.floor(random() * Math.max(fullMs * 1.25, 20));
  await sleep(dropped + delay - Date.now());
  const text = await app.progress().catch((e) => `(no answer from the page: ${e.message})`);
  if (!finished(text)) midRun++;
  processes += await app.kill();
  const check = cli("check");
  if (check.json?.consistent !== true) {
    inconsistent++;
    log(`round ${round} (killed ${delay} ms after the page started adding): check reports an inconsistency: ${JSON.stringify(check.json) ?? check.stderr}`);
  }
  const after = indexedPaths();
  const gone = [...before].filter((p) => !after.has(p));
  if (gone.length > 0) {
    lost += gone.length;
    log(`round ${round}: ${gone.length} indexed document(s) lost: ${gone.slice(0, 3).join(" ")}`);
  }
  log(`round ${round}: killed ${delay} ms after the page started adding (${finished(text) ? "after" : "during"} the ingest: "${text}"), check ${check.json?.consistent === true ? "consistent" : "INCONSISTENT"}, ${after.size} indexed, ${gone.length} lost`);
}
console.log(
  `kill-campaign-app-json ${JSON.stringify({ full_ingest_ms: fullMs, kills: KILLS, during_ingest: midRun, processes_killed: processes, inconsistent, lost, campaign_s: Math.round((Date.now() - started) / 1000) })}`,
);

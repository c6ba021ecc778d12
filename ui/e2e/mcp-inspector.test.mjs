// `catena mcp` through the official MCP Inspector's command-line client (an npm package, run
// headless): the server must work with the client other people use to check MCP servers, not
// only with the Rust SDK's client the Rust tests use. Run with `node --test` after the `catena`
// binary is built (`scripts/test` does both); CATENA_BIN names another binary.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const catena = process.env.CATENA_BIN ?? resolve(here, "../../target/debug/catena");
const require = createRequire(import.meta.url);
const inspector = join(dirname(require.resolve("@modelcontextprotocol/inspector-cli/package.json")), "build", "index.js");

/** One Inspector call against `catena mcp` on `data`: its exit code and parsed stdout. */
function inspect(data, ...args) {
  const r = spawnSync("node", [inspector, catena, "--data-dir", data, "mcp", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // Left null: the caller's assertion shows stdout and stderr.
  }
  return { status: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

test("the MCP Inspector lists, calls and reads Catena's tools and resources", () => {
  assert.ok(existsSync(catena), `the catena binary is not built: ${catena}`);
  const dir = mkdtempSync(join(tmpdir(), "catena-inspector-"));
  const docs = join(dir, "docs");
  const data = join(dir, "data");
  mkdirSync(docs);
  writeFileSync(join(docs, "harbour.md"), "# Port Elwin\n\nThe harbour master of Port Elwin is Dana Kirsch.\n");
  writeFileSync(join(docs, "garden.txt"), "The community garden charges a plot fee of $1,250 per year.\n");
  execFileSync(catena, ["--data-dir", data, "ingest", docs, "--no-watch"], { stdio: "ignore" });

  const listed = inspect(data, "--method", "tools/list");
  assert.equal(listed.status, 0, listed.stderr);
  const names = listed.json.tools.map((t) => t.name).sort();
  assert.deepEqual(names, ["ask", "get_run", "list_documents", "read_document", "search_library"]);

  // The Inspector sends every --tool-arg as text, "1" for 1.
  const found = inspect(
    data,
    "--method", "tools/call", "--tool-name", "search_library",
    "--tool-arg", "query=harbour master", "--tool-arg", "limit=1",
  );
  assert.equal(found.status, 0, found.stderr);
  assert.notEqual(found.json.isError, true, found.stdout);
  const hits = found.json.structuredContent.hits;
  assert.equal(hits.length, 1);
  assert.ok(hits[0].path.endsWith("harbour.md"), JSON.stringify(hits[0]));
  assert.match(hits[0].text, /Dana Kirsch/);

  const asked = inspect(
    data, "--method", "tools/call", "--tool-name", "ask", "--tool-arg", "question=What is the garden plot fee?",
  );
  assert.equal(asked.status, 0, asked.stderr);
  assert.match(asked.json.structuredContent.answer, /1,250/);
  assert.ok(asked.json.structuredContent.citations.length > 0, asked.stdout);

  const resources = inspect(data, "--method", "resources/list");
  assert.equal(resources.status, 0, resources.stderr);
  const harbour = resources.json.resources.find((r) => r.description.includes("harbour.md"));
  assert.match(harbour.uri, /^catena:\/\/doc\/\d+$/);
  const read = inspect(data, "--method", "resources/read", "--uri", harbour.uri);
  assert.equal(read.status, 0, read.stderr);
  assert.match(read.json.contents[0].text, /Dana Kirsch/);

  // Read-only by default: there is no ingest tool to call.
  const ingest = inspect(data, "--method", "tools/call", "--tool-name", "ingest", "--tool-arg", "paths=/etc");
  assert.notEqual(ingest.status, 0, ingest.stdout);
  assert.match(ingest.stderr, /tool not found/);
});

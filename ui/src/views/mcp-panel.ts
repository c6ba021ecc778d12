// "Use Catena from other apps": the client configuration that starts `catena mcp` (ready to paste
// into Claude Desktop, Cursor, Zed and the like) with a copy button, and a switch that serves this
// library over MCP's HTTP transport from inside the app, on this computer only.
import { h } from "../dom";
import { type Client, toIpcError } from "../ipc/client";
import type { McpStatus } from "../types";

/** Copies text; the page's clipboard API, so the webview needs no extra permission. */
export type Copier = (text: string) => Promise<void>;

const systemClipboard: Copier = (text) => navigator.clipboard.writeText(text);

export function mcpPanel(client: Client, copy: Copier = systemClipboard): HTMLElement {
  const config = h("pre", { class: "code-block", id: "mcp-config", tabindex: "0" });
  const copied = h("span", { class: "small", role: "status", "aria-live": "polite" });
  const copyButton = h("button", { type: "button", class: "button", id: "mcp-copy" }, "Copy");
  const serve = h("input", { type: "checkbox", id: "mcp-http" });
  const httpState = h("p", { class: "hint", id: "mcp-http-state", role: "status", "aria-live": "polite" });
  const httpConfig = h("pre", { class: "code-block", id: "mcp-http-config", hidden: true });
  let current: McpStatus | null = null;

  const paint = (s: McpStatus) => {
    current = s;
    config.textContent = s.stdio_config;
    serve.checked = s.running;
    httpState.className = "hint";
    httpState.textContent = s.running && s.url ? `Serving at ${s.url} (this computer only).` : "Off.";
    httpConfig.textContent = s.http_config ?? "";
    httpConfig.hidden = !s.http_config;
  };
  const fail = (raw: unknown) => {
    httpState.textContent = toIpcError(raw).message;
    httpState.className = "hint bad";
  };

  copyButton.addEventListener("click", () => {
    if (current === null) return;
    copy(current.stdio_config).then(
      () => (copied.textContent = "Copied."),
      () => (copied.textContent = "Couldn't copy: select the text and copy it."),
    );
  });
  serve.addEventListener("change", () => {
    const on = serve.checked;
    serve.disabled = true;
    httpState.textContent = on ? "Starting…" : "Stopping…";
    client.mcpHttp(on).then(
      (s) => {
        serve.disabled = false;
        paint(s);
      },
      (raw) => {
        serve.disabled = false;
        serve.checked = !on;
        fail(raw);
      },
    );
  });
  client.mcpStatus().then(paint, fail);

  return h(
    "section",
    { class: "card", id: "mcp-settings", "aria-labelledby": "mcp-title" },
    h("h2", { class: "card-title", id: "mcp-title" }, "Use Catena from other apps"),
    h(
      "p",
      { class: "hint" },
      "Assistants and editors that speak the Model Context Protocol (Claude Desktop, Cursor, Zed, coding agents) can search this library, read its documents and ask questions with citations. Paste this into the app's MCP server settings:",
    ),
    config,
    h("div", { class: "inline" }, copyButton, copied),
    h("p", { class: "hint" }, "It starts the catena command, read-only. To let an app add files, add \"--allow-ingest\" and a folder to the args."),
    h("div", { class: "field check-field" }, h("label", { class: "check", for: "mcp-http" }, serve, " Serve over HTTP while Catena is open"), httpState),
    httpConfig,
  );
}

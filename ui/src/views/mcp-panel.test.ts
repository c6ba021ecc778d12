import { describe, expect, it, vi } from "vitest";
import { MCP_STOPPED, fakeClient, settle } from "../testing/fake-client";
import type { McpStatus } from "../types";
import { mcpPanel } from "./mcp-panel";

const RUNNING: McpStatus = {
  ...MCP_STOPPED,
  running: true,
  url: "http://127.0.0.1:39517/mcp",
  http_config: '{"mcpServers":{"catena":{"type":"http","url":"http://127.0.0.1:39517/mcp"}}}',
};

const el = <T extends HTMLElement>(root: HTMLElement, selector: string) => {
  const found = root.querySelector<T>(selector);
  if (found === null) throw new Error(`no ${selector}`);
  return found;
};

describe("Use Catena from other apps", () => {
  it("shows the client configuration that starts catena mcp and copies it", async () => {
    const copy = vi.fn(() => Promise.resolve());
    const panel = mcpPanel(fakeClient(), copy);
    await settle();
    expect(el(panel, "h2").textContent).toBe("Use Catena from other apps");
    const shown = JSON.parse(el(panel, "#mcp-config").textContent ?? "");
    expect(shown).toEqual({ mcpServers: { catena: { command: "/opt/catena/catena", args: ["mcp"] } } });
    el<HTMLButtonElement>(panel, "#mcp-copy").click();
    await settle();
    expect(copy).toHaveBeenCalledWith(MCP_STOPPED.stdio_config);
    expect(panel.textContent).toContain("Copied.");
    expect(el<HTMLInputElement>(panel, "#mcp-http").checked).toBe(false);
    expect(el(panel, "#mcp-http-config").hidden).toBe(true);
  });

  it("says so when the clipboard refuses", async () => {
    const panel = mcpPanel(fakeClient(), () => Promise.reject(new Error("denied")));
    await settle();
    el<HTMLButtonElement>(panel, "#mcp-copy").click();
    await settle();
    expect(panel.textContent).toContain("Couldn't copy");
  });

  it("starts and stops the HTTP server and shows its address and configuration", async () => {
    const mcpHttp = vi.fn((on: boolean) => Promise.resolve(on ? RUNNING : MCP_STOPPED));
    const panel = mcpPanel(fakeClient({ mcpHttp }));
    await settle();
    const toggle = el<HTMLInputElement>(panel, "#mcp-http");
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change"));
    expect(toggle.disabled).toBe(true);
    await settle();
    expect(mcpHttp).toHaveBeenCalledWith(true);
    expect(toggle.disabled).toBe(false);
    expect(el(panel, "#mcp-http-state").textContent).toBe("Serving at http://127.0.0.1:39517/mcp (this computer only).");
    expect(el(panel, "#mcp-http-config").hidden).toBe(false);
    expect(el(panel, "#mcp-http-config").textContent).toContain("127.0.0.1:39517");
    toggle.checked = false;
    toggle.dispatchEvent(new Event("change"));
    await settle();
    expect(mcpHttp).toHaveBeenLastCalledWith(false);
    expect(el(panel, "#mcp-http-state").textContent).toBe("Off.");
    expect(el(panel, "#mcp-http-config").hidden).toBe(true);
  });

  it("puts the switch back and shows why when the server cannot start", async () => {
    const mcpHttp = vi.fn(() => Promise.reject({ code: "InvalidInput", message: "cannot listen on 127.0.0.1:39517 (address in use)" }));
    const panel = mcpPanel(fakeClient({ mcpHttp }));
    await settle();
    const toggle = el<HTMLInputElement>(panel, "#mcp-http");
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change"));
    await settle();
    expect(toggle.checked).toBe(false);
    expect(el(panel, "#mcp-http-state").textContent).toContain("address in use");
    expect(el(panel, "#mcp-http-state").className).toContain("bad");
  });
});

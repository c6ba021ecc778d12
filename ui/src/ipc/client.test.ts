import { beforeEach, describe, expect, it, vi } from "vitest";

// Stand in for the Tauri bridge: the client is the only code that talks to it.
const bridge = vi.hoisted(() => {
  // A stand-in for Tauri's Channel: the client sets `onmessage`, the backend would call it.
  class Channel<T> {
    onmessage: (message: T) => void = () => undefined;
  }
  return { invoke: vi.fn(), isTauri: vi.fn(() => true), Channel };
});
vi.mock("@tauri-apps/api/core", () => bridge);

import { CLIENT_ERROR, IpcError, tauriClient, toIpcError } from "./client";

describe("tauriClient", () => {
  beforeEach(() => {
    bridge.invoke.mockReset();
    bridge.isTauri.mockReturnValue(true);
  });

  it("calls app_info and returns its answer", async () => {
    bridge.invoke.mockResolvedValue({ version: "0.1.0", data_dir: "/d" });
    await expect(tauriClient.appInfo()).resolves.toEqual({ version: "0.1.0", data_dir: "/d" });
    expect(bridge.invoke).toHaveBeenCalledWith("app_info", undefined);
  });

  it("turns a {code, message} rejection into an IpcError", async () => {
    bridge.invoke.mockRejectedValue({ code: "DataDirUnavailable", message: "no home" });
    const error = await tauriClient.appInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcError);
    expect(error).toMatchObject({ code: "DataDirUnavailable", message: "no home" });
  });

  it("says so when the page runs outside the desktop app", async () => {
    bridge.isTauri.mockReturnValue(false);
    await expect(tauriClient.appInfo()).rejects.toMatchObject({ code: CLIENT_ERROR.notInApp });
    expect(bridge.invoke).not.toHaveBeenCalled();
  });
});

describe("streaming commands", () => {
  beforeEach(() => {
    bridge.invoke.mockReset();
    bridge.isTauri.mockReturnValue(true);
  });

  it("passes a channel to ask and delivers what arrives on it to the caller", async () => {
    bridge.invoke.mockImplementation((_cmd: string, args: { onEvent: { onmessage: (m: unknown) => void } }) => {
      args.onEvent.onmessage({ type: "node_started", id: 1 });
      return Promise.resolve({ record: {}, stored: true, extractive_reason: null });
    });
    const seen: unknown[] = [];
    await tauriClient.ask("Why?", (e) => seen.push(e), { noLlm: true });
    expect(bridge.invoke).toHaveBeenCalledWith("ask", expect.objectContaining({ question: "Why?", noLlm: true }));
    expect(seen).toEqual([{ type: "node_started", id: 1 }]);
  });

  it("names ingest's arguments as the command expects", async () => {
    bridge.invoke.mockResolvedValue({ ingested: 1 });
    await tauriClient.ingest(["/a"], () => undefined);
    expect(bridge.invoke).toHaveBeenCalledWith("ingest", expect.objectContaining({ paths: ["/a"] }));
  });
});

describe("toIpcError", () => {
  it("keeps Tauri's own string rejections as unexpected errors", () => {
    expect(toIpcError("Command app_inf not found")).toMatchObject({
      code: CLIENT_ERROR.unexpected,
      message: "Command app_inf not found",
    });
  });

  it("does not trust objects that only look half like an error", () => {
    expect(toIpcError({ code: 42, message: "x" }).code).toBe(CLIENT_ERROR.unexpected);
  });

  it("keeps the shell's codes, and reads a code it does not know as unexpected but keeps its message", () => {
    expect(toIpcError({ code: "LibraryBusy", message: "another process" })).toMatchObject({
      code: "LibraryBusy",
      message: "another process",
    });
    expect(toIpcError({ code: "SomethingNew", message: "from a newer shell" })).toMatchObject({
      code: CLIENT_ERROR.unexpected,
      message: "from a newer shell",
    });
  });
});

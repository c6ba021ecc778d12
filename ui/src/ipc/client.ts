// The one façade between the UI and the Rust shell. This is the only module allowed to import
// `@tauri-apps/api/core` (a test enforces it): components depend on the `Client` interface, so tests
// hand them a fake and the transport can change without touching any view.
import { invoke, isTauri, type InvokeArgs } from "@tauri-apps/api/core";

/** What `app_info` returns; mirrors `AppInfo` in src-tauri/commands.rs. */
export interface AppInfo {
  version: string;
  data_dir: string;
}

/** Everything the UI can ask of the backend. */
export interface Client {
  appInfo(): Promise<AppInfo>;
}

/**
 * A failed call, mirroring the shell's `{code, message}` JSON. Views branch on `code` (stable) and
 * show `message` (for people), never the other way round.
 */
export class IpcError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

/** Codes produced on this side of the bridge, for failures that never reached a command. */
export const CLIENT_ERROR = {
  /** The page runs outside the desktop app (e.g. `npm run dev` in a browser). */
  notInApp: "NotInApp",
  /** The rejection was not `{code, message}`: a bug or an IPC failure. */
  unexpected: "Unexpected",
} as const;

/** Turns whatever `invoke` rejected with into an `IpcError`. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (typeof raw === "object" && raw !== null) {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    if (typeof code === "string" && typeof message === "string") return new IpcError(code, message);
    if (raw instanceof Error) return new IpcError(CLIENT_ERROR.unexpected, raw.message);
  }
  // Tauri rejects with a plain string for its own failures (unknown command, denied by the ACL).
  return new IpcError(CLIENT_ERROR.unexpected, typeof raw === "string" ? raw : String(raw));
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  if (!isTauri()) {
    throw new IpcError(
      CLIENT_ERROR.notInApp,
      "The Catena backend is not available here. Open this page in the Catena desktop app.",
    );
  }
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

/** The real client, talking to the Rust shell over Tauri IPC. */
export const tauriClient: Client = {
  appInfo: () => call<AppInfo>("app_info"),
};

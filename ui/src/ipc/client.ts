// The one façade between the UI and the Rust shell. This is the only module allowed to import
// `@tauri-apps/api/core` (a test enforces it): components depend on the `Client` interface, so tests
// hand them a fake and the transport can change without touching any view.
import { Channel, invoke, isTauri, type InvokeArgs } from "@tauri-apps/api/core";
import type {
  AppInfo,
  AskResult,
  DocumentInfo,
  DownloadEvent,
  DropEvent,
  EmbedEvent,
  ErrorCode,
  ExportChoices,
  Hit,
  IngestEvent,
  IngestSummary,
  KeyFor,
  LlmSettings,
  LlmTest,
  LocalServer,
  McpStatus,
  OcrBox,
  RunEvent,
  RunMode,
  RunRecord,
  RunSummary,
  SemanticStatus,
  Settings,
  SettingsView,
  SourcesEvent,
  TableSlice,
  UiReady,
  WatchedSource,
} from "../types";

export type * from "../types";

/** Everything the UI can ask of the backend. */
export interface Client {
  appInfo(): Promise<AppInfo>;
  /** Tells the shell the first frame is on screen, `pageMs` after navigation start; called once. */
  uiReady(pageMs: number): Promise<UiReady>;
  // Library
  watchDrops(onEvent: (e: DropEvent) => void): Promise<void>;
  pickPaths(folders: boolean): Promise<string[]>;
  ingest(paths: string[], onEvent: (e: IngestEvent) => void): Promise<IngestSummary>;
  cancelIngest(): Promise<boolean>;
  listDocuments(): Promise<DocumentInfo[]>;
  removeDocument(docId: number): Promise<void>;
  /** Reads one document's file again (a failed one is tried again), with progress like `ingest`. */
  rereadDocument(docId: number, onEvent: (e: IngestEvent) => void): Promise<IngestSummary>;
  /** Shows the document's file, selected, in the system file manager. */
  revealDocument(docId: number): Promise<void>;
  search(query: string, limit?: number): Promise<Hit[]>;
  documentText(docId: number): Promise<string>;
  documentPdf(docId: number): Promise<ArrayBuffer>;
  /** One page of an image document, as PNG, JPEG or WebP bytes. */
  documentImage(docId: number, page: number): Promise<ArrayBuffer>;
  ocrBoxes(docId: number, span: [number, number]): Promise<OcrBox[]>;
  tableRows(docId: number, sheet: string, rows: number[]): Promise<TableSlice>;
  // Watched folders
  listSources(): Promise<WatchedSource[]>;
  pauseSource(sourceId: number): Promise<void>;
  resumeSource(sourceId: number): Promise<void>;
  removeSource(sourceId: number): Promise<void>;
  watchSources(onEvent: (e: SourcesEvent) => void): Promise<void>;
  // Semantic search
  semanticStatus(): Promise<SemanticStatus>;
  watchEmbedding(onEvent: (e: EmbedEvent) => void): Promise<void>;
  cancelEmbedding(): Promise<boolean>;
  /** Downloads the default embedding model (resuming a partial one); rejects with `Cancelled` when stopped. */
  downloadModel(onEvent: (e: DownloadEvent) => void): Promise<void>;
  cancelDownload(): Promise<boolean>;
  pickModelFolder(): Promise<string | null>;
  // Ask and history
  ask(question: string, onEvent: (e: RunEvent) => void, options?: { noLlm?: boolean; mode?: RunMode }): Promise<AskResult>;
  cancelAsk(): Promise<boolean>;
  listRuns(limit?: number): Promise<RunSummary[]>;
  getRun(runId: string): Promise<RunRecord>;
  // Settings
  getSettings(): Promise<SettingsView>;
  saveSettings(settings: Settings): Promise<void>;
  setApiKey(which: KeyFor, provider: string, key: string): Promise<void>;
  deleteApiKey(which: KeyFor, provider: string): Promise<boolean>;
  probeLocalServers(): Promise<LocalServer[]>;
  testLlm(llm: LlmSettings): Promise<LlmTest>;
  /** How other apps connect over MCP. */
  mcpStatus(): Promise<McpStatus>;
  /** Starts or stops the in-app MCP server on loopback. */
  mcpHttp(on: boolean): Promise<McpStatus>;
  // Export
  exportFormats(): Promise<ExportChoices>;
  exportRun(runId: string, format: string, style: string): Promise<string | null>;
}

/**
 * A failed call, mirroring the shell's `{code, message}` JSON. Views branch on `code` (stable) and
 * show `message` (for people), never the other way round.
 */
export class IpcError extends Error {
  readonly code: IpcErrorCode;

  constructor(code: IpcErrorCode, message: string) {
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

/** Every code a failed call can carry: the shell's (generated from its `ErrorCode`) and this side's. */
export type IpcErrorCode = ErrorCode | (typeof CLIENT_ERROR)[keyof typeof CLIENT_ERROR];

/**
 * The code as the closed union, or null for a code this build does not know (a shell newer than
 * the page). The switch lists every code: one added in Rust fails the type check here until the
 * UI has decided what it means.
 */
export function knownCode(code: string): IpcErrorCode | null {
  const c = code as IpcErrorCode;
  switch (c) {
    case "DataDirUnavailable":
    case "LibraryBusy":
    case "LibraryReadOnly":
    case "LibraryFailed":
    case "NotFound":
    case "PathNotGranted":
    case "InvalidInput":
    case "RunInProgress":
    case "Cancelled":
    case "ProviderAuth":
    case "LlmConfig":
    case "KeyringUnavailable":
    case "ExportFailed":
    case "Io":
    case "DownloadFailed":
    case "Internal":
    case "NotInApp":
    case "Unexpected":
      return c;
    default: {
      // Only codes outside the union get here: while every code is listed, `c` is `never`.
      const unlisted: never = c;
      void unlisted;
      return null;
    }
  }
}

/** Turns whatever `invoke` rejected with into an `IpcError`. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (typeof raw === "object" && raw !== null) {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    if (typeof code === "string" && typeof message === "string") {
      // An unknown code is still shown (its message is for people), but branches as unexpected.
      return new IpcError(knownCode(code) ?? CLIENT_ERROR.unexpected, message);
    }
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

function channel<T>(onEvent: (e: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = onEvent;
  return ch;
}

/** The real client, talking to the Rust shell over Tauri IPC. */
export const tauriClient: Client = {
  appInfo: () => call<AppInfo>("app_info"),
  uiReady: (pageMs) => call<UiReady>("ui_ready", { pageMs }),
  watchDrops: (onEvent) => call<void>("watch_drops", { onEvent: channel(onEvent) }),
  pickPaths: (folders) => call<string[]>("pick_paths", { folders }),
  ingest: (paths, onEvent) => call<IngestSummary>("ingest", { paths, onEvent: channel(onEvent) }),
  cancelIngest: () => call<boolean>("cancel_ingest"),
  listDocuments: () => call<DocumentInfo[]>("list_documents"),
  removeDocument: (docId) => call<void>("remove_document", { docId }),
  rereadDocument: (docId, onEvent) => call<IngestSummary>("reread_document", { docId, onEvent: channel(onEvent) }),
  revealDocument: (docId) => call<void>("reveal_document", { docId }),
  search: (query, limit) => call<Hit[]>("search", { query, limit: limit ?? null }),
  documentText: (docId) => call<string>("document_text", { docId }),
  documentPdf: (docId) => call<ArrayBuffer>("document_pdf", { docId }),
  documentImage: (docId, page) => call<ArrayBuffer>("document_image", { docId, page }),
  ocrBoxes: (docId, span) => call<OcrBox[]>("ocr_boxes", { docId, start: span[0], end: span[1] }),
  tableRows: (docId, sheet, rows) => call<TableSlice>("table_rows", { docId, sheet, rows }),
  listSources: () => call<WatchedSource[]>("list_sources"),
  pauseSource: (sourceId) => call<void>("pause_source", { sourceId }),
  resumeSource: (sourceId) => call<void>("resume_source", { sourceId }),
  removeSource: (sourceId) => call<void>("remove_source", { sourceId }),
  watchSources: (onEvent) => call<void>("watch_sources", { onEvent: channel(onEvent) }),
  semanticStatus: () => call<SemanticStatus>("semantic_status"),
  watchEmbedding: (onEvent) => call<void>("watch_embedding", { onEvent: channel(onEvent) }),
  cancelEmbedding: () => call<boolean>("cancel_embedding"),
  downloadModel: (onEvent) => call<void>("download_embedding_model", { onEvent: channel(onEvent) }),
  cancelDownload: () => call<boolean>("cancel_embedding_download"),
  pickModelFolder: () => call<string | null>("pick_model_folder"),
  ask: (question, onEvent, options) =>
    call<AskResult>("ask", {
      question,
      noLlm: options?.noLlm ?? false,
      mode: options?.mode ?? "chain",
      onEvent: channel(onEvent),
    }),
  cancelAsk: () => call<boolean>("cancel_ask"),
  listRuns: (limit) => call<RunSummary[]>("list_runs", { limit: limit ?? null }),
  getRun: (runId) => call<RunRecord>("get_run", { runId }),
  getSettings: () => call<SettingsView>("get_settings"),
  saveSettings: (settings) => call<void>("save_settings", { settings }),
  setApiKey: (which, provider, key) => call<void>("set_api_key", { which, provider, key }),
  deleteApiKey: (which, provider) => call<boolean>("delete_api_key", { which, provider }),
  probeLocalServers: () => call<LocalServer[]>("probe_local_servers"),
  testLlm: (llm) => call<LlmTest>("test_llm", { llm }),
  mcpStatus: () => call<McpStatus>("mcp_status"),
  mcpHttp: (on) => call<McpStatus>("mcp_http", { on }),
  exportFormats: () => call<ExportChoices>("export_formats"),
  exportRun: (runId, format, style) => call<string | null>("export_run", { runId, format, style }),
};

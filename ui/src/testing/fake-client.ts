// A scripted stand-in for the backend, for component tests. Every method resolves with an empty
// but valid answer unless a test overrides it.
import { vi } from "vitest";
import type { Client } from "../ipc/client";
import type { McpStatus, SettingsView } from "../types";

export const DEFAULT_SETTINGS: SettingsView = {
  llm: { enabled: false, preset: "ollama", provider: "ollama", base_url: "http://127.0.0.1:11434", model: "" },
  web: { provider: "wikipedia", search_url: "", offline: true, allow_private_network: false, k: 5, fetch_pages: true },
  engine: { mrfs_threshold: 0.7, missing_policy: "retrieve_and_verify", top_k: 3, max_nodes: 6, run_mode: "chain", agent_protocol: "auto", observations: "real" },
  library: { chunk_chars: 800, ocr: true, ocr_languages: "eng" },
  embedding: { provider: "local", model_dir: "", base_url: "", model: "" },
  llm_key_stored: false,
  web_key_stored: false,
  embedding_key_stored: false,
  keyring_error: null,
};

export const MCP_STOPPED: McpStatus = {
  running: false,
  url: null,
  command: "/opt/catena/catena",
  stdio_config: '{\n  "mcpServers": {\n    "catena": {\n      "command": "/opt/catena/catena",\n      "args": ["mcp"]\n    }\n  }\n}',
  http_config: null,
};

export function fakeClient(overrides: Partial<Client> = {}): Client {
  const base: Client = {
    appInfo: vi.fn(() => Promise.resolve({ version: "0.9.0", data_dir: "/data/catena" })),
    uiReady: vi.fn(() => Promise.resolve({ perf: false })),
    watchDrops: vi.fn(() => Promise.resolve()),
    pickPaths: vi.fn(() => Promise.resolve([])),
    ingest: vi.fn(() =>
      Promise.resolve({ ingested: 0, skipped: 0, failed: [], chunks: 0, bytes: 0, interrupted: false, elapsed_ms: 0 }),
    ),
    cancelIngest: vi.fn(() => Promise.resolve(true)),
    listDocuments: vi.fn(() => Promise.resolve([])),
    removeDocument: vi.fn(() => Promise.resolve()),
    rereadDocument: vi.fn(() =>
      Promise.resolve({ ingested: 0, skipped: 0, failed: [], chunks: 0, bytes: 0, interrupted: false, elapsed_ms: 0 }),
    ),
    revealDocument: vi.fn(() => Promise.resolve()),
    search: vi.fn(() => Promise.resolve([])),
    documentText: vi.fn(() => Promise.resolve("")),
    documentPdf: vi.fn(() => Promise.resolve(new ArrayBuffer(0))),
    documentImage: vi.fn(() => Promise.resolve(new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer)),
    ocrBoxes: vi.fn(() => Promise.resolve([])),
    tableRows: vi.fn(() => Promise.resolve({ sheet: "", columns: [], row_count: 0, rows: [] })),
    listSources: vi.fn(() => Promise.resolve([])),
    pauseSource: vi.fn(() => Promise.resolve()),
    resumeSource: vi.fn(() => Promise.resolve()),
    removeSource: vi.fn(() => Promise.resolve()),
    watchSources: vi.fn(() => Promise.resolve()),
    semanticStatus: vi.fn(() =>
      Promise.resolve({
        on: true,
        model: "local:all-MiniLM-L6-v2",
        embedded: 0,
        total: 0,
        reason: null,
        loading: false,
        can_download: false,
        offline: true,
        progress: null,
        last_error: null,
      }),
    ),
    watchEmbedding: vi.fn(() => Promise.resolve()),
    cancelEmbedding: vi.fn(() => Promise.resolve(false)),
    downloadModel: vi.fn(() => Promise.resolve()),
    cancelDownload: vi.fn(() => Promise.resolve(false)),
    pickModelFolder: vi.fn(() => Promise.resolve(null)),
    ask: vi.fn(() => Promise.reject({ code: "Internal", message: "not scripted" })),
    cancelAsk: vi.fn(() => Promise.resolve(true)),
    listRuns: vi.fn(() => Promise.resolve([])),
    getRun: vi.fn(() => Promise.reject({ code: "NotFound", message: "no run" })),
    getSettings: vi.fn(() => Promise.resolve(structuredClone(DEFAULT_SETTINGS))),
    saveSettings: vi.fn(() => Promise.resolve()),
    setApiKey: vi.fn(() => Promise.resolve()),
    deleteApiKey: vi.fn(() => Promise.resolve(true)),
    probeLocalServers: vi.fn(() => Promise.resolve([])),
    testLlm: vi.fn(() => Promise.resolve({ ok: true, kind: null, status: null, message: "connected", detail: null, models: [] })),
    mcpStatus: vi.fn(() => Promise.resolve(structuredClone(MCP_STOPPED))),
    mcpHttp: vi.fn(() => Promise.resolve(structuredClone(MCP_STOPPED))),
    exportFormats: vi.fn(() => Promise.resolve({ formats: [], styles: [] })),
    exportRun: vi.fn(() => Promise.resolve(null)),
  };
  return { ...base, ...overrides };
}

export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

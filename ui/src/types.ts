// The data that crosses the bridge, mirroring the Rust DTOs (src-tauri/*.rs) and the engine's run
// records (crates/engine/src/run.rs). Field names are snake_case, as serde writes them.

export interface AppInfo {
  version: string;
  data_dir: string;
}

/** How other apps connect to Catena over MCP, and whether the in-app HTTP server runs. */
export interface McpStatus {
  running: boolean;
  url: string | null;
  /** The `catena` command a client starts. */
  command: string;
  /** Client configuration for stdio, ready to paste. */
  stdio_config: string;
  /** Client configuration for the HTTP server, while it runs. */
  http_config: string | null;
}

/** The shell's answer when the page reports its first paint (`ui_ready`). */
export interface UiReady {
  /** The app runs under `CATENA_PERF=1`: the page exposes its measurement hooks. */
  perf: boolean;
}

export interface DocumentInfo {
  id: number;
  path: string;
  title: string | null;
  format: string | null;
  size: number;
  pages: number | null;
  chunks: number;
  status: string;
  error: string | null;
  warnings: string[];
  duplicate_of: number | null;
  updated_at: string;
  /** Its vectors for the current embedding model are stored: semantic search finds it. */
  embedded?: boolean;
  /** What the document says about itself; absent or null when nothing was found. */
  card?: DocumentCard | null;
}

/** A document's card (crates/extract/src/card.rs): from its metadata and its first page. */
export interface DocumentCard {
  title: string | null;
  authors: string[];
  /** ISO 8601: `2020-09-30`, `2020-09` or `2020`. */
  date: string | null;
  identifiers: { kind: "doi" | "arxiv" | "isbn" | "issn" | "pmid" | "docket"; value: string; source: "metadata" | "first_page" }[];
  source: { title?: "metadata" | "first_page"; authors?: "metadata" | "first_page"; date?: "metadata" | "first_page" };
}

export interface Progress {
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  eta_ms: number | null;
}

export type IngestEvent =
  | { type: "scanned"; files: number; bytes: number }
  | {
      type: "file";
      path: string;
      outcome: "ingested" | "unchanged" | "duplicate" | "failed" | "removed" | "moved";
      doc_id: number | null;
      chunks: number | null;
      replaced: boolean;
      detail: string | null;
      warnings: string[];
      progress: Progress;
    }
  | { type: "committed"; documents: number };

export interface IngestSummary {
  ingested: number;
  skipped: number;
  failed: { path: string; reason: string }[];
  chunks: number;
  bytes: number;
  interrupted: boolean;
  elapsed_ms: number;
}

/** A folder that stays in sync with the library. */
export interface WatchedSource {
  id: number;
  path: string;
  /** `idle`: nothing watches it now (another Catena process holds the library). */
  state: "watching" | "scanning" | "paused" | "error" | "idle";
  /** Why it is in error, e.g. "the folder is gone". */
  error: string | null;
  polling: boolean;
  /** Files of types Catena does not read, left out by the last scan. */
  skipped: number;
  last_scan: string | null;
}

/** Watched folders changed state or their changes were applied: list them and the documents again. */
export type SourcesEvent = { type: "changed" };

export type DropEvent =
  | { type: "hover"; count: number }
  | { type: "cancelled" }
  | { type: "dropped"; paths: string[] };

export interface Hit {
  doc_id: number;
  chunk_id: string;
  title: string;
  path: string;
  format: string;
  location: string;
  page: number | null;
  score: number;
  snippet_html: string;
  text: string;
  span: [number, number];
  /** Keyword (BM25) and meaning (cosine) scores; each is null when that search missed the passage. */
  scores?: { lexical: number | null; semantic: number | null; fused: number };
}

/** Whether semantic search is on (`semantic_status`), how far embedding is, or why it is off. */
export interface SemanticStatus {
  on: boolean;
  model: string | null;
  embedded: number;
  total: number;
  /** Why it is off and how to turn it on. */
  reason: string | null;
  /** The model is loading: it is not off for long. */
  loading: boolean;
  /** The default model is missing from the data directory and can be downloaded. */
  can_download: boolean;
  /** Catena is offline: nothing is downloaded. */
  offline: boolean;
  progress: EmbedProgress | null;
  last_error: string | null;
}

export interface EmbedProgress {
  model: string;
  documents_done: number;
  documents_total: number;
  chunks_done: number;
  chunks_total: number;
  eta_ms: number | null;
}

export type EmbedEvent =
  | ({ type: "progress" } & EmbedProgress)
  | { type: "finished"; model: string; documents: number; remaining: number; interrupted: boolean; error: string | null }
  | { type: "changed" };

/** One step of the embedding model's download; `done` and `total` count the whole model. */
export interface DownloadEvent {
  file: string;
  index: number;
  files: number;
  done: number;
  total: number | null;
}

export type Action = "knowledge_base" | "web_search" | "data_analysis";
export type NodeStatus = "pending" | "running" | "done" | "failed" | "skipped";
export type Decision = "kept" | "replaced" | "filled" | "no_evidence";
export type Verdict = "supported" | "partial" | "unsupported";

export interface NodeRecord {
  id: number;
  action: Action;
  sub_question: string;
  depends_on: number[];
  missing: boolean;
  guess_answer: string;
  answer: string;
  status: NodeStatus;
  mrfs: number | null;
  decision: Decision | null;
  path: string;
  reason: string | null;
  scores: { evidence_id: number; score: number }[];
  evidence: number[];
}

export interface TableCite {
  sheet: string;
  columns: string[];
  rows: number[];
  sql: string | null;
}

export interface EvidenceRecord {
  id: number;
  node_id: number;
  kind: "document" | "web" | "table";
  doc_id: number | null;
  chunk_id: string | null;
  path: string | null;
  title: string;
  page: number | null;
  location: string;
  url: string | null;
  span: [number, number] | null;
  text: string;
  score: number;
  fetched_at: string | null;
  note?: string | null;
  table?: TableCite | null;
}

export interface CitationRecord {
  marker: number;
  evidence_id: number;
  sentence: string;
  verdict: Verdict;
  /** Why the verdict is what it is, for a reader (absent in runs stored before it existed). */
  reason?: string;
}

/** The short answer: a name, date or quantity inside evidence `evidence_id`'s text. */
export interface ShortAnswer {
  text: string;
  evidence_id: number;
  /** Char range into that evidence record's `text`. */
  span: { start: number; end: number };
}

export interface ConflictRecord {
  node_id: number;
  evidence_ids: number[];
  answers: string[];
}

export interface UsageRecord {
  llm_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  actions: number;
  wall_ms: number;
  calls: { purpose: string; prompt_tokens: number; completion_tokens: number; latency_ms: number; ok: boolean }[];
}

/** `chain`: plan the steps, run them, answer. `agent`: a reasoning model looks things up from inside its thinking. */
export type RunMode = "chain" | "agent";

/** How an agent-mode model asks for actions: AutoCoA's tags, or the provider's tool calls. */
export type AgentProtocol = "tags" | "tools";

/** Agent mode: real observations, predicted then compared, or predicted only. */
export type Observations = "real" | "predict" | "predicted_only";

/** What the model expected an action to return, and what the library said. */
export interface PredictionRecord {
  node_id: number;
  query: string;
  predicted: string;
  evidence: number[];
  support: number | null;
  disagrees: boolean;
  /** Where it disagrees: the evidence sentence closest to the query, with its marker. */
  found?: string | null;
  /** The model was given its own prediction (nothing real came back): its knowledge, never a source. */
  used_as_observation: boolean;
}

export interface RunRecord {
  run_id: string;
  question: string;
  mode: "llm" | "extractive";
  /** Missing in runs stored before agent mode: those are chains. */
  run_mode?: RunMode;
  /** Agent runs only. */
  agent_protocol?: AgentProtocol;
  /** Agent runs with predicted observations only. */
  observations?: Observations;
  predictions?: PredictionRecord[];
  answer: string;
  short_answer?: ShortAnswer | null;
  /** The library does not answer the question: the answer lists the closest matches, uncited. */
  not_found?: boolean;
  /** Why the configured model did not write the answer, in the provider's words. */
  llm_error?: string | null;
  /** What kind of failure `llm_error` was; absent in runs stored before it was recorded. */
  llm_error_kind?: LlmErrorKind | null;
  nodes: NodeRecord[];
  evidence: EvidenceRecord[];
  citations: CitationRecord[];
  unsupported_sentences: string[];
  conflicts: ConflictRecord[];
  usage: UsageRecord;
  plan_raw: string | null;
  started_at: string;
  finished_at: string;
  settings: Record<string, unknown>;
}

export type RunEvent =
  | { type: "plan_ready"; nodes: NodeRecord[] }
  | { type: "node_started"; id: number }
  | { type: "evidence_found"; node_id: number; evidence: EvidenceRecord }
  | { type: "node_finished"; node: NodeRecord }
  | { type: "thinking_delta"; text: string }
  | { type: "observation_predicted"; prediction: PredictionRecord }
  | { type: "answer_delta"; text: string }
  | {
      type: "verified";
      answer: string;
      citations: CitationRecord[];
      unsupported_sentences: string[];
      conflicts: ConflictRecord[];
      short_answer?: ShortAnswer | null;
      not_found?: boolean;
    }
  | { type: "finished"; run_id: string };

export interface AskResult {
  record: RunRecord;
  stored: boolean;
  extractive_reason: string | null;
}

export interface RunSummary {
  run_id: string;
  question: string;
  mode: "llm" | "extractive";
  started_at: string;
  wall_ms: number;
  llm_calls: number;
}

export interface TableSlice {
  sheet: string;
  columns: string[];
  row_count: number;
  rows: [number, unknown[]][];
}

export interface LlmSettings {
  enabled: boolean;
  preset: string;
  provider: string;
  base_url: string;
  model: string;
}

export interface WebSettings {
  provider: "searxng" | "brave" | "tavily" | "wikipedia";
  search_url: string;
  offline: boolean;
  allow_private_network: boolean;
  k: number;
  fetch_pages: boolean;
}

export interface EngineSettings {
  mrfs_threshold: number;
  missing_policy: "retrieve_and_verify" | "skip_retrieval";
  top_k: number;
  max_nodes: number;
  /** How a question is answered unless the ask box says otherwise. Missing in older settings. */
  run_mode?: RunMode;
  /** Agent mode: `auto` picks by model (tags for AutoCoA/R1/QwQ, tool calls for the rest). */
  agent_protocol?: "auto" | AgentProtocol;
  observations?: Observations;
}

/** The embedding model semantic search uses. */
export interface EmbeddingSettings {
  /** `local` (or empty: the default model in the data directory), `folder`, `ollama`, `openai` or `off`. */
  provider: "" | "local" | "folder" | "ollama" | "openai" | "off";
  model_dir: string;
  base_url: string;
  model: string;
}

export interface Settings {
  llm: LlmSettings;
  web: WebSettings;
  engine: EngineSettings;
  library: { chunk_chars: number; ocr: boolean; ocr_languages: string };
  embedding: EmbeddingSettings;
}

export interface SettingsView extends Settings {
  llm_key_stored: boolean;
  web_key_stored: boolean;
  embedding_key_stored: boolean;
  keyring_error: string | null;
}

export interface LocalServer {
  preset: string;
  label: string;
  provider: string;
  base_url: string;
  models: string[];
}

/** The kinds of model failure the backend reports (`engine::ports::LlmErrorKind`). */
export type LlmErrorKind =
  | "unreachable"
  | "timeout"
  | "auth"
  | "rate_limited"
  | "server"
  | "not_found"
  | "rejected"
  | "bad_response"
  | "cancelled";

export interface LlmTest {
  ok: boolean;
  /** What kind of failure it was; absent when the test passed. */
  kind?: LlmErrorKind | null;
  /** The HTTP status the server answered with, when the failure was one. */
  status?: number | null;
  /** One sentence in plain words: what happened and what to do. */
  message: string;
  /** The underlying error, when the test failed. */
  detail?: string | null;
  models: string[];
}

export interface ExportFormat {
  name: string;
  label: string;
  extension: string;
  available: boolean;
  uses_style: boolean;
}

export interface ExportChoices {
  formats: ExportFormat[];
  styles: { name: string; label: string }[];
}

/** Where one OCR'd word stands on its page: `bbox` is `[x0, y0, x1, y1]` as fractions of the
 * page's width and height from the top-left corner. */
export interface OcrBox {
  page: number;
  bbox: [number, number, number, number];
}

// The data that crosses the bridge. Every shape the shell sends or takes is generated from the
// Rust types (src-tauri/ts_bindings.rs renders ui/src/generated/ipc.ts; `scripts/gen-ipc-types`
// regenerates it): this module only gives the UI's names to them. Field names are snake_case, as
// serde writes them. Shapes that exist only in the UI live next to the code that uses them.

import type {
  DocumentDto,
  DownloadEventDto,
  EmbedEventDto,
  EmbedProgressDto,
  FormatDto,
  HitDto,
  IngestEventDto,
  IngestSummaryDto,
  LocalServerDto,
  OcrBoxDto,
  ProgressDto,
  RunSummaryDto,
  SemanticStatusDto,
  SourceDto,
} from "./generated/ipc";

export type {
  Action,
  AgentProtocol,
  AgentProtocolChoice,
  AnswerMode,
  AppInfo,
  AskResult,
  CallPurpose,
  CallRecord,
  CitationRecord,
  ConflictRecord,
  Decision,
  DocumentCard,
  DropEvent,
  EmbeddingProvider,
  EmbeddingSettings,
  EngineSettings,
  ErrorCode,
  EvidenceRecord,
  ExportChoices,
  KeyFor,
  LibrarySettings,
  LlmErrorKind,
  LlmPreset,
  LlmProvider,
  LlmSettings,
  LlmTest,
  McpStatus,
  NodeRecord,
  NodeStatus,
  Observations,
  ObservationsChoice,
  PredictionRecord,
  RetrievalPath,
  RunEvent,
  RunMode,
  RunRecord,
  Settings,
  SettingsView,
  ShortAnswer,
  SourcesEvent,
  TableCite,
  TableSlice,
  UiReady,
  UsageRecord,
  Verdict,
  WebProvider,
  WebSettings,
} from "./generated/ipc";

/** A document as the Library view lists it. */
export type DocumentInfo = DocumentDto;
/** Counts for the overall progress bar of an ingest. */
export type Progress = ProgressDto;
export type IngestEvent = IngestEventDto;
export type IngestSummary = IngestSummaryDto;
/** A folder that stays in sync with the library. */
export type WatchedSource = SourceDto;
/** One ranked search result. */
export type Hit = HitDto;
/** Whether semantic search is on (`semantic_status`), how far embedding is, or why it is off. */
export type SemanticStatus = SemanticStatusDto;
export type EmbedProgress = EmbedProgressDto;
export type EmbedEvent = EmbedEventDto;
/** One step of the embedding model's download; `done` and `total` count the whole model. */
export type DownloadEvent = DownloadEventDto;
/** One line of the history. */
export type RunSummary = RunSummaryDto;
/** A model server found on this machine. */
export type LocalServer = LocalServerDto;
export type ExportFormat = FormatDto;
/** Where one OCR'd word stands on its page: `bbox` is `[x0, y0, x1, y1]` as fractions of the
 * page's width and height from the top-left corner. */
export type OcrBox = OcrBoxDto;

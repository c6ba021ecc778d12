// Generated from the Rust types by src-tauri/ts_bindings.rs: do not edit.
// Regenerate with `scripts/gen-ipc-types`.

/**
 * What a chain node does (Chain-of-Action's actions, closed so every consumer can match them).
 */
export type Action = "knowledge_base" | "web_search" | "data_analysis";

/**
 * How an agent-mode model asks for actions.
 */
export type AgentProtocol = "tags" | "tools";

/**
 * Agent mode: how the model asks for actions.
 */
export type AgentProtocolChoice = "auto" | "tags" | "tools";

/**
 * How the final answer was written.
 */
export type AnswerMode = "llm" | "extractive";

/**
 * What the UI needs to show about the running app.
 */
export type AppInfo = { version: string, 
/**
 * Lossily converted: the UI only displays it, and a non-UTF-8 path should not fail the call.
 */
data_dir: string, };

/**
 * How a question is answered unless the ask box or `--mode` says otherwise.
 */
export type AskMode = "chain" | "agent";

/**
 * A finished run, as the Ask view shows it.
 */
export type AskResult = { record: RunRecord, 
/**
 * False when the run could not be written to the history (the answer is still shown).
 */
stored: boolean, 
/**
 * Why the answer is extractive, when it is.
 */
extractive_reason: string | null, };

/**
 * Why an LLM call was made.
 */
export type CallPurpose = "plan" | "repair" | "summarize" | "answer" | "sql" | "agent" | "predict";

/**
 * One LLM completion (retries inside the adapter are counted in [`UsageRecord::llm_calls`]).
 */
export type CallRecord = { 
/**
 * Why it was made.
 */
purpose: CallPurpose, 
/**
 * Prompt tokens.
 */
prompt_tokens: number, 
/**
 * Completion tokens.
 */
completion_tokens: number, 
/**
 * Wall time, retries included.
 */
latency_ms: number, 
/**
 * Whether it returned a completion.
 */
ok: boolean, };

/**
 * Where a card field came from.
 */
export type CardSource = "metadata" | "first_page";

/**
 * Which source each field of a [`DocumentCard`] came from (`None` when the field is empty).
 */
export type CardSources = { 
/**
 * Source of the title.
 */
title?: CardSource | null, 
/**
 * Source of the authors.
 */
authors?: CardSource | null, 
/**
 * Source of the date.
 */
date?: CardSource | null, };

/**
 * One `[n]` marker in the answer.
 */
export type CitationRecord = { 
/**
 * The number in the marker.
 */
marker: number, 
/**
 * The evidence it points at (equal to `marker`: markers are evidence ids).
 */
evidence_id: number, 
/**
 * The answer sentence carrying the marker, without markers.
 */
sentence: string, 
/**
 * Support of the sentence by the evidence this marker cites.
 */
verdict: Verdict, 
/**
 * Why the verdict is what it is, in a short sentence for a reader (hover text): how many of
 * the sentence's words the evidence holds, or which figure it lacks. Empty in records
 * stored before verdicts explained themselves (and then left out of the JSON).
 */
reason?: string, };

/**
 * References of one node that disagree on the answer.
 */
export type ConflictRecord = { 
/**
 * The node.
 */
node_id: number, 
/**
 * The disagreeing references.
 */
evidence_ids: Array<number>, 
/**
 * The answers each one gives, in the order of `evidence_ids`.
 */
answers: Array<string>, };

/**
 * What MRFS decided for a node's answer.
 */
export type Decision = "kept" | "replaced" | "filled" | "no_evidence";

/**
 * What a document says about itself. Every field may be empty.
 */
export type DocumentCard = { 
/**
 * The document's title.
 */
title: string | null, 
/**
 * Authors, in the order given.
 */
authors: Array<string>, 
/**
 * Date, ISO 8601 where it could be read (`2020-09-30`, `2020-09`, `2020`).
 */
date: string | null, 
/**
 * Identifiers, without duplicates, metadata ones first.
 */
identifiers: Array<Identifier>, 
/**
 * Where each field came from.
 */
source: CardSources, };

/**
 * A document as the Library view lists it.
 */
export type DocumentDto = { id: number, path: string, title: string | null, format: string | null, size: number, pages: number | null, chunks: number, 
/**
 * `indexed`, `pending`, `failed`, `duplicate`, …
 */
status: string, error: string | null, warnings: Array<string>, duplicate_of: number | null, updated_at: string, 
/**
 * The document card (title, authors, date, identifiers) as `extract` writes it, if any.
 */
card: DocumentCard | null, 
/**
 * Its vectors for the current embedding model are committed (semantic search finds it).
 */
embedded: boolean, };

/**
 * One step of the default model's download.
 */
export type DownloadEventDto = { file: string, index: number, files: number, 
/**
 * Bytes of all files on disk so far.
 */
done: number, 
/**
 * Bytes of all files together.
 */
total: number | null, };

/**
 * A file drag over the window, as the UI sees it.
 */
export type DropEvent = { "type": "hover", count: number, } | { "type": "cancelled" } | { "type": "dropped", paths: Array<string>, };

/**
 * What the Library view hears about semantic search while it is open.
 */
export type EmbedEventDto = { "type": "progress" } & EmbedProgressDto | { "type": "finished", model: string, documents: number, remaining: number, interrupted: boolean, 
/**
 * Why embedding stopped early, in a sentence.
 */
error: string | null, } | { "type": "changed" };

/**
 * Where an embedding pass stands.
 */
export type EmbedProgressDto = { model: string, documents_done: number, documents_total: number, chunks_done: number, chunks_total: number, eta_ms: number | null, };

/**
 * Where semantic search's embedding model comes from.
 */
export type EmbeddingProvider = "local" | "folder" | "ollama" | "openai" | "off";

/**
 * The embedding model semantic search uses.
 */
export type EmbeddingSettings = { provider: EmbeddingProvider, 
/**
 * The model folder, for `folder`.
 */
model_dir: string, 
/**
 * The server's base URL, for `ollama` and `openai` (empty: the provider's usual address).
 */
base_url: string, 
/**
 * The server's model name, for `ollama` and `openai`.
 */
model: string, };

/**
 * How the engine runs a question.
 */
export type EngineSettings = { mrfs_threshold: number, missing_policy: Missing, top_k: number, max_nodes: number, 
/**
 * How a question is answered unless the ask box or `--mode` says otherwise.
 */
run_mode: AskMode, 
/**
 * Agent mode: how the model asks for actions.
 */
agent_protocol: AgentProtocolChoice, 
/**
 * Agent mode: real, predicted-then-checked or predicted-only observations.
 */
observations: ObservationsChoice, };

/**
 * Stable error codes: a contract with the UI. Add one only when the UI needs to branch on it.
 */
export type ErrorCode = "DataDirUnavailable" | "LibraryBusy" | "LibraryReadOnly" | "LibraryFailed" | "NotFound" | "PathNotGranted" | "InvalidInput" | "RunInProgress" | "Cancelled" | "ProviderAuth" | "LlmConfig" | "KeyringUnavailable" | "ExportFailed" | "Io" | "DownloadFailed" | "Internal";

/**
 * Where a piece of evidence came from.
 */
export type EvidenceKind = "document" | "web" | "table";

/**
 * One piece of evidence gathered in the run; `[n]` markers in the answer point at `id`.
 */
export type EvidenceRecord = { 
/**
 * 1-based id, unique in the run (the citation marker number).
 */
id: number, 
/**
 * The node that gathered it.
 */
node_id: number, 
/**
 * Kind of source.
 */
kind: EvidenceKind, 
/**
 * Catalog document id (documents and tables).
 */
doc_id: number | null, 
/**
 * `"{doc_id}:{ordinal}"` (documents).
 */
chunk_id: string | null, 
/**
 * Source path (documents and tables).
 */
path: string | null, 
/**
 * Document or page title.
 */
title: string, 
/**
 * Physical page, when the location is a page.
 */
page: number | null, 
/**
 * Human-readable location (`p. 3`, `Intro › Methods`), possibly empty.
 */
location: string, 
/**
 * Web address (web evidence).
 */
url: string | null, 
/**
 * Char span `[start, end)` into the document's stored text.
 */
span: [number, number] | null, 
/**
 * The text itself.
 */
text: string, 
/**
 * Retrieval score.
 */
score: number, 
/**
 * When a web page was fetched (RFC 3339), as the web port reported it.
 */
fetched_at: string | null, 
/**
 * How the evidence was obtained, when the user should know (a refused page fetch, …).
 */
note?: string | null, 
/**
 * For table evidence: the sheet, columns, rows and query it rests on.
 */
table?: TableCite | null, };

/**
 * What the export dialog offers.
 */
export type ExportChoices = { formats: Array<FormatDto>, styles: Array<StyleDto>, };

export type FailedFile = { path: string, reason: string, };

/**
 * An export format the dialog offers.
 */
export type FormatDto = { name: string, label: string, extension: string, 
/**
 * Whether this build can write it.
 */
available: boolean, 
/**
 * Whether the citation style changes the output (reports do; bibliographies do not).
 */
uses_style: boolean, };

/**
 * One ranked search result.
 */
export type HitDto = { doc_id: number, chunk_id: string, title: string, path: string, format: string, location: string, page: number | null, score: number, 
/**
 * Matched terms marked `<b>…</b>`, everything else HTML-escaped.
 */
snippet_html: string, 
/**
 * The whole passage (what the source viewer highlights).
 */
text: string, span: [number, number], 
/**
 * How each retriever scored the passage.
 */
scores: ScoresDto, };

/**
 * One identifier of a document.
 */
export type Identifier = { 
/**
 * What kind of identifier.
 */
kind: IdentifierKind, 
/**
 * The identifier, normalised (ASCII dashes, no `doi:`/`arXiv:` prefix, ISBN digits only).
 */
value: string, 
/**
 * Where it was found.
 */
source: CardSource, };

/**
 * The kind of a document identifier.
 */
export type IdentifierKind = "doi" | "arxiv" | "isbn" | "issn" | "pmid" | "docket";

/**
 * One ingest progress event, streamed to the UI.
 */
export type IngestEventDto = { "type": "scanned", files: number, bytes: number, } | { "type": "file", path: string, 
/**
 * `ingested`, `unchanged`, `duplicate`, `failed`, `removed` or `moved`.
 */
outcome: "ingested" | "unchanged" | "duplicate" | "failed" | "removed" | "moved", doc_id: number | null, chunks: number | null, replaced: boolean, 
/**
 * Why a file failed, or what it duplicates.
 */
detail: string | null, warnings: Array<string>, progress: ProgressDto, } | { "type": "committed", documents: number, };

/**
 * The result of one ingest.
 */
export type IngestSummaryDto = { ingested: number, skipped: number, failed: Array<FailedFile>, chunks: number, bytes: number, interrupted: boolean, elapsed_ms: number, };

/**
 * A failed command.
 */
export type IpcError = { code: ErrorCode, message: string, };

/**
 * Which keys a settings group has (the keyring item names).
 */
export type KeyFor = "llm" | "web" | "embedding";

/**
 * How files are read.
 */
export type LibrarySettings = { 
/**
 * Target chunk size (applies to files added after the app restarts).
 */
chunk_chars: number, 
/**
 * Read scanned pages and images through Tesseract.
 */
ocr: boolean, 
/**
 * Tesseract languages, `+`-separated (`eng`, `eng+deu`).
 */
ocr_languages: string, };

/**
 * What kind of failure a model error is, so every front end can explain it from data: the
 * JSON names (`rate_limited`) are part of the run record and the app's IPC contract.
 */
export type LlmErrorKind = "unreachable" | "timeout" | "auth" | "rate_limited" | "server" | "not_found" | "rejected" | "bad_response" | "cancelled";

/**
 * The preset the user picked in Settings: the label for the model settings (which server
 * kind, its usual address).
 */
export type LlmPreset = "openai" | "anthropic" | "ollama" | "lmstudio" | "llamacpp" | "vllm" | "openrouter" | "custom";

/**
 * The API a language model server speaks.
 */
export type LlmProvider = "openai-compatible" | "ollama" | "anthropic";

/**
 * The language model.
 */
export type LlmSettings = { 
/**
 * Whether runs may use a model at all; off means extractive answers.
 */
enabled: boolean, 
/**
 * The preset the user picked; the UI's label for the settings below.
 */
preset: LlmPreset, 
/**
 * The API the server speaks.
 */
provider: LlmProvider, base_url: string, model: string, };

/**
 * What the "Test" button reports.
 */
export type LlmTest = { ok: boolean, 
/**
 * What kind of failure it was (`unreachable`, `auth`, `server`, …); absent when it passed.
 */
kind: LlmErrorKind | null, 
/**
 * The HTTP status the server answered with, when the failure was one.
 */
status: number | null, 
/**
 * One sentence in plain words: what happened and what to do.
 */
message: string, 
/**
 * The underlying error, for a "details" disclosure; absent when the test passed.
 */
detail: string | null, models: Array<string>, };

/**
 * A model server found on this machine.
 */
export type LocalServerDto = { preset: LlmPreset, label: string, provider: LlmProvider, base_url: string, models: Array<string>, };

/**
 * What the Settings panel shows: how other apps connect to Catena over MCP, and whether the
 * in-app HTTP server runs.
 */
export type McpStatus = { 
/**
 * Whether the in-app HTTP server runs.
 */
running: boolean, 
/**
 * Its address, while it runs.
 */
url: string | null, 
/**
 * The `catena` command clients start.
 */
command: string, 
/**
 * The client configuration for stdio, ready to paste.
 */
stdio_config: string, 
/**
 * The client configuration for the HTTP server, while it runs.
 */
http_config: string | null, };

/**
 * What to do with a step the planner answered itself.
 */
export type Missing = "retrieve_and_verify" | "skip_retrieval";

/**
 * What to do with a node the planner answered itself (not flagged missing).
 */
export type MissingPolicy = "skip_retrieval" | "retrieve_and_verify";

/**
 * One node of the chain, as planned and as executed.
 */
export type NodeRecord = { 
/**
 * 1-based id, unique in the run.
 */
id: number, 
/**
 * The action.
 */
action: Action, 
/**
 * The sub-question, after `#n` references were substituted.
 */
sub_question: string, 
/**
 * Ids of the nodes whose answers this one needs.
 */
depends_on: Array<number>, 
/**
 * The planner said it does not know the answer.
 */
missing: boolean, 
/**
 * The planner's own answer (empty when missing).
 */
guess_answer: string, 
/**
 * The answer the node settled on.
 */
answer: string, 
/**
 * Life-cycle status.
 */
status: NodeStatus, 
/**
 * Best MRFS score of the guess over the references, when it was scored.
 */
mrfs: number | null, 
/**
 * What MRFS decided, once the node ran.
 */
decision: Decision | null, 
/**
 * Knowledge-boundary path.
 */
path: RetrievalPath, 
/**
 * Why a node failed or was skipped, or a note on how its answer came about.
 */
reason: string | null, 
/**
 * Per-reference MRFS scores.
 */
scores: Array<ScoreRecord>, 
/**
 * Ids of the evidence gathered by this node.
 */
evidence: Array<number>, };

/**
 * Where a node is in its life.
 */
export type NodeStatus = "pending" | "running" | "done" | "failed" | "skipped";

/**
 * Simulated observations (the model's internal world model): whether the model writes the
 * observation it expects before each action.
 */
export type Observations = "real" | "predict" | "predicted_only";

/**
 * Agent mode: real observations, predicted then checked, or predicted only.
 */
export type ObservationsChoice = "real" | "predict" | "predicted_only";

/**
 * Where one OCR'd word stands on its page, for the source viewer to mark on the page image.
 */
export type OcrBoxDto = { 
/**
 * 1-based page.
 */
page: number, 
/**
 * `[x0, y0, x1, y1]` as fractions of the page's width and height, from the top-left corner.
 */
bbox: [number, number, number, number], };

/**
 * What the model expected an action to return, and what it did return.
 */
export type PredictionRecord = { 
/**
 * The action's node.
 */
node_id: number, 
/**
 * The action's query.
 */
query: string, 
/**
 * The observation the model expected, in its words.
 */
predicted: string, 
/**
 * The evidence the real action found (empty when it found none or did not run).
 */
evidence: Array<number>, 
/**
 * MRFS of the prediction over that evidence; `None` without evidence.
 */
support: number | null, 
/**
 * The evidence does not support the prediction.
 */
disagrees: boolean, 
/**
 * Where it disagrees: the evidence sentence closest to the query ("the library says …").
 */
found?: string | null, 
/**
 * The run gave the model its own prediction as the observation (no real result): the
 * model's knowledge, never a source.
 */
used_as_observation: boolean, };

/**
 * Counts for the overall progress bar.
 */
export type ProgressDto = { files_done: number, files_total: number, bytes_done: number, bytes_total: number, eta_ms: number | null, };

/**
 * Which knowledge-boundary path a node took.
 */
export type RetrievalPath = "retrieved_missing" | "retrieved_verify" | "skipped_retrieval";

/**
 * Progress of a run, in order. Serialised as `{"type": "plan_ready", ...}`.
 */
export type RunEvent = { "type": "plan_ready", 
/**
 * The nodes.
 */
nodes: Array<NodeRecord>, } | { "type": "node_started", 
/**
 * Its id.
 */
id: number, } | { "type": "evidence_found", 
/**
 * The node.
 */
node_id: number, 
/**
 * The evidence.
 */
evidence: EvidenceRecord, } | { "type": "node_finished", 
/**
 * The node as it ended.
 */
node: NodeRecord, } | { "type": "thinking_delta", 
/**
 * Text to append.
 */
text: string, } | { "type": "observation_predicted", 
/**
 * The prediction and its verdict.
 */
prediction: PredictionRecord, } | { "type": "answer_delta", 
/**
 * Text to append.
 */
text: string, } | { "type": "verified", 
/**
 * The checked answer (invented markers removed): it replaces the streamed text.
 */
answer: string, 
/**
 * Valid citations with verdicts.
 */
citations: Array<CitationRecord>, 
/**
 * Sentences without support.
 */
unsupported_sentences: Array<string>, 
/**
 * Disagreeing references.
 */
conflicts: Array<ConflictRecord>, 
/**
 * The short answer, as in [`RunRecord::short_answer`].
 */
short_answer?: ShortAnswer | null, 
/**
 * Whether the library does not answer the question, as in [`RunRecord::not_found`].
 */
not_found?: boolean, } | { "type": "finished", 
/**
 * The run id from the config (may be empty).
 */
run_id: string, };

/**
 * How the run went about the question: the planned chain, or a reasoning model acting from
 * inside its own reasoning (agent mode). Records stored before agent mode read as `chain`.
 */
export type RunMode = "chain" | "agent";

/**
 * A finished run.
 */
export type RunRecord = { 
/**
 * Set by the caller (through [`crate::EngineConfig::run_id`]) or the store; may be empty.
 */
run_id: string, 
/**
 * The question as asked.
 */
question: string, 
/**
 * How the answer was written.
 */
mode: AnswerMode, 
/**
 * How the run went about the question (`chain` or `agent`).
 */
run_mode: RunMode, 
/**
 * Agent mode: how the model asked for actions. Left out of the JSON otherwise.
 */
agent_protocol?: AgentProtocol | null, 
/**
 * Agent mode: whether observations were predicted (`predict`, `predicted_only`). Left out of
 * the JSON for real observations only.
 */
observations?: Observations | null, 
/**
 * Agent mode with predicted observations: one per action, what the model expected and
 * whether the result agreed.
 */
predictions?: Array<PredictionRecord>, 
/**
 * The answer, with `[n]` markers pointing at evidence ids.
 */
answer: string, 
/**
 * The short answer, when the question asks for one and the evidence holds it (extractive
 * answers only). Left out of the JSON when there is none.
 */
short_answer?: ShortAnswer | null, 
/**
 * True when the evidence found does not cover what the question asks: the answer says so
 * and lists the closest passages without citing them (extractive answers only). Left out
 * of the JSON when false.
 */
not_found?: boolean, 
/**
 * Why the configured model did not write the answer (its first failed call, or an empty
 * reply), when the run was meant to use one and its answer is extractive. Left out of the
 * JSON otherwise.
 */
llm_error?: string | null, 
/**
 * What kind of failure `llm_error` was (`unreachable`, `auth`, `server`, …), so a front end
 * can explain it without reading the message; present exactly when `llm_error` is (runs
 * stored before it existed have none).
 */
llm_error_kind?: LlmErrorKind | null, 
/**
 * The chain.
 */
nodes: Array<NodeRecord>, 
/**
 * All evidence gathered, ids 1..=n in the order it was found (with concurrent nodes, the
 * order their searches returned). A chunk or page found twice is one piece of evidence.
 */
evidence: Array<EvidenceRecord>, 
/**
 * Every valid marker in the answer, with its verdict.
 */
citations: Array<CitationRecord>, 
/**
 * Answer sentences with no valid citation, or whose citations do not support them.
 */
unsupported_sentences: Array<string>, 
/**
 * References that disagree.
 */
conflicts: Array<ConflictRecord>, 
/**
 * Cost.
 */
usage: UsageRecord, 
/**
 * The planner's raw output (after a repair, the repaired one), when a model planned; in
 * agent mode, the model's whole turn with the observations the run injected.
 */
plan_raw: string | null, 
/**
 * RFC 3339 start time, from the clock port.
 */
started_at: string, 
/**
 * RFC 3339 finish time, from the clock port.
 */
finished_at: string, 
/**
 * The settings used.
 */
settings: SettingsRecord, };

/**
 * One line of the history.
 */
export type RunSummaryDto = { run_id: string, question: string, mode: AnswerMode, started_at: string, wall_ms: number, llm_calls: number, };

/**
 * One MRFS score: the node's guess against one reference.
 */
export type ScoreRecord = { 
/**
 * The reference.
 */
evidence_id: number, 
/**
 * Its score (see [`crate::mrfs::score`]).
 */
score: number, };

/**
 * A hit's scores: keywords (BM25), meaning (cosine similarity) and the fused rank score.
 */
export type ScoresDto = { 
/**
 * Absent when the keyword search did not find the passage.
 */
lexical: number | null, 
/**
 * Absent when semantic search is off or did not find the passage.
 */
semantic: number | null, fused: number, };

/**
 * Whether semantic search is on, for the Library view's banner and progress line.
 */
export type SemanticStatusDto = { on: boolean, 
/**
 * The model's id, e.g. `local:all-MiniLM-L6-v2`, when on.
 */
model: string | null, 
/**
 * Indexed documents whose vectors are committed for the model.
 */
embedded: number, 
/**
 * Indexed documents.
 */
total: number, 
/**
 * Why it is off, and how to turn it on, when off.
 */
reason: string | null, 
/**
 * The model is being loaded: it is not off for long.
 */
loading: boolean, 
/**
 * Settings use the default model and it is not (completely) in the data directory, so the
 * page may offer to download it.
 */
can_download: boolean, 
/**
 * Catena is offline (Settings › Web search): nothing is downloaded.
 */
offline: boolean, 
/**
 * The pass in flight, if one is.
 */
progress: EmbedProgressDto | null, 
/**
 * Why the last pass stopped early, when it did.
 */
last_error: string | null, };

/**
 * Every setting.
 */
export type Settings = { llm: LlmSettings, web: WebSettings, engine: EngineSettings, library: LibrarySettings, embedding: EmbeddingSettings, };

/**
 * The engine settings a run used.
 */
export type SettingsRecord = { 
/**
 * MRFS keep/replace threshold τ.
 */
mrfs_threshold: number, 
/**
 * What to do with nodes the planner did not flag missing.
 */
missing_policy: MissingPolicy, 
/**
 * Cap on chain length.
 */
max_nodes: number, 
/**
 * References per retrieval.
 */
top_k: number, 
/**
 * Nodes run at once.
 */
concurrency: number, 
/**
 * Whether a model was allowed.
 */
use_llm: boolean, };

/**
 * What `get_settings` returns: the settings and which keys are in the keyring (never the keys).
 */
export type SettingsView = { llm_key_stored: boolean, web_key_stored: boolean, embedding_key_stored: boolean, 
/**
 * Why the keyring cannot be used, when it cannot.
 */
keyring_error: string | null, llm: LlmSettings, web: WebSettings, engine: EngineSettings, library: LibrarySettings, embedding: EmbeddingSettings, };

/**
 * The short answer to a question (a name, a date, a quantity with its unit…), found inside the
 * evidence so that it can be highlighted in the source.
 */
export type ShortAnswer = { 
/**
 * The answer as it reads in the evidence (line breaks read as spaces, hyphenated line ends
 * joined).
 */
text: string, 
/**
 * The evidence it was found in (its marker number).
 */
evidence_id: number, 
/**
 * Char range `[start, end)` of the answer inside that evidence record's `text`.
 */
span: Span, };

/**
 * A watched folder as the Library view lists it.
 */
export type SourceDto = { id: number, path: string, 
/**
 * `watching`, `scanning`, `paused`, `error` or `idle` (another process holds the library).
 */
state: "watching" | "scanning" | "paused" | "error" | "idle", 
/**
 * Why it is in error (for example: the folder is gone).
 */
error: string | null, polling: boolean, 
/**
 * Files of types Catena does not read, left out by the last scan.
 */
skipped: number, last_scan: string | null, };

/**
 * Sent to the page when the watched folders or the documents they hold changed: it lists both
 * again.
 */
export type SourcesEvent = { "type": "changed" };

/**
 * A half-open range `[start, end)` of Unicode scalar values (chars) into a document's stored
 * extracted text. Chars rather than bytes so that every front end can slice the text the same way.
 * Serialised as `{"start": …, "end": …}`.
 */
export type Span = { 
/**
 * First char of the range.
 */
start: number, 
/**
 * One past the last char of the range.
 */
end: number, };

/**
 * A citation style.
 */
export type StyleDto = { name: string, label: string, };

/**
 * The cells a table finding rests on.
 */
export type TableCite = { 
/**
 * Sheet or table name.
 */
sheet: string, 
/**
 * Columns used, by header name.
 */
columns: Array<string>, 
/**
 * Data rows used (1-based, header not counted); empty for a whole-column aggregate.
 */
rows: Array<number>, 
/**
 * The SQL that computed the finding, if any.
 */
sql: string | null, };

/**
 * The cited rows of a table, with its header.
 */
export type TableSlice = { sheet: string, columns: Array<string>, row_count: number, 
/**
 * `(row number, cells)`, 1-based rows as cited; the catalog stores each row's cells as a
 * JSON array.
 */
rows: Array<[number, Array<unknown>]>, };

/**
 * What the page learns when it reports its first paint.
 */
export type UiReady = { 
/**
 * The app runs under `CATENA_PERF=1`: the page exposes `window.__catenaPerf`.
 */
perf: boolean, };

/**
 * What the run cost.
 */
export type UsageRecord = { 
/**
 * Requests sent to the provider, retries included.
 */
llm_calls: number, 
/**
 * Prompt tokens over all calls.
 */
prompt_tokens: number, 
/**
 * Completion tokens over all calls.
 */
completion_tokens: number, 
/**
 * Port actions run (corpus searches, web searches, table analyses).
 */
actions: number, 
/**
 * Wall time of the run, in milliseconds.
 */
wall_ms: number, 
/**
 * Each completion, in order.
 */
calls: Array<CallRecord>, };

/**
 * How well the cited evidence supports a sentence. The rule is deterministic: coverage is the
 * share of the sentence's content tokens (lowercased, stop words and "yes"/"no" dropped, plurals
 * folded) found in the cited evidence's title and text; `supported` ≥ 0.6, `partial` ≥ 0.4,
 * else `unsupported`. A number in the sentence that the evidence lacks caps the verdict at
 * `partial`; a sentence with no content tokens is `partial`.
 */
export type Verdict = "supported" | "partial" | "unsupported";

/**
 * The web search provider.
 */
export type WebProvider = "wikipedia" | "searxng" | "brave" | "tavily";

/**
 * Web search.
 */
export type WebSettings = { provider: WebProvider, 
/**
 * The search endpoint (SearXNG's instance URL; the others have a public default).
 */
search_url: string, 
/**
 * No web access at all: web steps are recorded as not run.
 */
offline: boolean, 
/**
 * Allow fetching pages on private and loopback addresses.
 */
allow_private_network: boolean, 
/**
 * Results per web search.
 */
k: number, 
/**
 * Fetch and read the result pages, not only their snippets.
 */
fetch_pages: boolean, };

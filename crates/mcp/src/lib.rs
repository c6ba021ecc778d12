//! The library as a Model Context Protocol server, so that other programs (desktop assistants,
//! editors, coding agents, scripts) search and cite the same documents as Catena itself.
//!
//! [`CatenaMcp`] is the server: tools (`search_library`, `ask`, `list_documents`,
//! `read_document`, `get_run`, and `ingest` only when folders were allowed) and resources
//! (`catena://doc/{id}`, `catena://run/{id}`). It is transport-agnostic: [`serve_stdio`] serves
//! it on standard input and output, [`http::serve`] over Streamable HTTP. The CLI (`catena mcp`)
//! and the desktop app both host it over a `Library` they opened.
//!
//! Rules every tool keeps: nothing is read from disk except through the library (stored text,
//! catalog rows, the history), so no file outside the library is revealed; keys are never in a
//! result (run records carry none, and model errors are scrubbed); the library is read-only
//! unless folders were allowed for `ingest`, and then only files whose real path lies under one
//! of them are read.

mod document;
pub mod http;
mod records;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use engine::EngineError;
use engine::run::{Event, RunRecord};
use library::{IngestOptions, Library, SearchMode};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolResult, ErrorData, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use records::{DocumentInfo, HitScores, SearchHit};

/// Most hits one `search_library` call returns.
pub const MAX_HITS: usize = 50;
/// Characters `read_document` returns when the call does not say.
pub const DEFAULT_READ_CHARS: usize = 20_000;
/// Most characters one `read_document` call or resource read returns.
pub const MAX_READ_CHARS: usize = 200_000;

/// What the server may do beyond reading, and how questions are answered.
#[derive(Clone)]
pub struct Options {
    /// The settings `ask` composes its runs from (`session`: the stored settings, with the CLI's
    /// flags on top for `catena mcp`). `ask`'s `web` argument only turns on a web search these
    /// settings allow.
    pub ask: session::Settings,
    /// Where `ask` finds the model's and the web provider's keys.
    pub keys: Arc<dyn secrets::SecretStore>,
    /// Folders `ingest` may read from; empty: read-only, no `ingest` tool.
    pub allow_ingest: Vec<PathBuf>,
    /// Longest a tool call may run before it is cancelled.
    pub call_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ask: session::Settings::default(),
            keys: Arc::new(session::keys::NoKeys),
            allow_ingest: Vec::new(),
            call_timeout: Duration::from_secs(600),
        }
    }
}

impl Options {
    /// Resolves the folders for `ingest` to their real paths, refusing any that is not an
    /// existing folder.
    pub fn allow_folders(&mut self, folders: &[PathBuf]) -> Result<(), String> {
        for folder in folders {
            let real = std::fs::canonicalize(folder)
                .map_err(|e| format!("cannot allow ingest from {}: {e}", folder.display()))?;
            if !real.is_dir() {
                return Err(format!("cannot allow ingest from {}: not a folder", folder.display()));
            }
            self.allow_ingest.push(real);
        }
        Ok(())
    }
}

/// The MCP server over one library. Cheap to clone (one per HTTP session).
#[derive(Clone)]
pub struct CatenaMcp {
    lib: Arc<Library>,
    options: Arc<Options>,
    /// The model and web settings `ask` uses now (the app replaces them when Settings change).
    ask: Arc<std::sync::RwLock<session::Settings>>,
    /// One ingest at a time (the library has one writer).
    ingest_lock: Arc<tokio::sync::Mutex<()>>,
    tool_router: ToolRouter<CatenaMcp>,
}

/// A finished `ask`: the record, and what the caller should be told beside it.
struct Finished {
    record: RunRecord,
    /// Why the run could not be stored in the history.
    not_stored: Option<String>,
    /// The model's failure when the answer ended extractive (the llm crate scrubs keys).
    llm_error: Option<String>,
}

/// Serves `server` on standard input and output until the client closes them.
#[cfg(feature = "stdio")]
pub async fn serve_stdio(server: CatenaMcp) -> Result<(), String> {
    use rmcp::ServiceExt;
    let running =
        server.serve(rmcp::transport::stdio()).await.map_err(|e| format!("cannot start the MCP session: {e}"))?;
    running.waiting().await.map_err(|e| format!("the MCP session failed: {e}"))?;
    Ok(())
}

/// Numbers and switches as JSON values or as their text: some clients (the MCP Inspector's CLI
/// among them) send every `--tool-arg` as a string, `"10"` for 10.
mod lenient {
    use std::str::FromStr;

    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn parse<T: FromStr + DeserializeOwned, E: Error>(v: Value) -> Result<T, E> {
        match v {
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("invalid value {s:?}: expected {}", std::any::type_name::<T>()))),
            other => T::deserialize(other).map_err(E::custom),
        }
    }

    pub fn opt<'de, D: Deserializer<'de>, T: FromStr + DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse(v).map(Some),
        }
    }

    pub fn one<'de, D: Deserializer<'de>, T: FromStr + DeserializeOwned>(d: D) -> Result<T, D::Error> {
        parse(Value::deserialize(d)?)
    }
}

/// `search_library` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for: keywords ("quoted phrases" work) or a question.
    pub query: String,
    /// How many hits (1 to 50, default 10).
    #[serde(default, deserialize_with = "lenient::opt")]
    pub limit: Option<usize>,
    /// lexical (keywords), semantic (meaning; needs an embedding model) or hybrid (both, the
    /// default; keywords only while semantic search is off).
    pub mode: Option<ModeArg>,
    /// Only hits from these documents (ids from `list_documents`).
    pub doc_ids: Option<Vec<i64>>,
    /// Only hits from documents of these formats (pdf, docx, markdown, text, html, csv, xlsx, …).
    pub formats: Option<Vec<String>>,
}

/// A search mode.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModeArg {
    /// Keywords (BM25).
    Lexical,
    /// Meaning (needs an embedding model).
    Semantic,
    /// Both, fused.
    Hybrid,
}

/// `search_library` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchOutput {
    /// The query as asked.
    pub query: String,
    /// The mode that ran.
    pub mode: String,
    /// Why the search ran differently from what was asked, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
}

/// `ask` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// chain (plan the steps, run them, answer) or agent (a reasoning model looks things up from
    /// inside its thinking; needs a model). Default: chain.
    pub mode: Option<AskMode>,
    /// Also search the web, with the provider the user configured (and never while offline).
    /// Default: false.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub web: Option<bool>,
}

/// How `ask` goes about the question.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AskMode {
    /// Chain-of-Action.
    Chain,
    /// AutoCoA agent mode.
    Agent,
}

/// `list_documents` arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Only documents of these formats.
    pub formats: Option<Vec<String>>,
    /// Also list failed and duplicate files (default: searchable documents only).
    #[serde(default, deserialize_with = "lenient::opt")]
    pub include_failed: Option<bool>,
}

/// `list_documents` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    /// The documents, in catalog order.
    pub documents: Vec<DocumentInfo>,
}

/// `read_document` arguments. Give at most one of `page`, `section` and `span`; none reads the
/// whole document (with page or section markers).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadArgs {
    /// The document id (from `search_library` or `list_documents`).
    #[serde(deserialize_with = "lenient::one")]
    pub doc_id: i64,
    /// One physical page (1-based), for paged documents.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub page: Option<u32>,
    /// A section: every part whose heading path contains this text (case-insensitive).
    pub section: Option<String>,
    /// `[start, end)` in characters of the stored text, as search hits and citations give it.
    pub span: Option<[usize; 2]>,
    /// Skip this many characters of the selection (to continue a truncated read).
    #[serde(default, deserialize_with = "lenient::opt")]
    pub offset: Option<usize>,
    /// Most characters to return (default 20000, at most 200000).
    #[serde(default, deserialize_with = "lenient::opt")]
    pub max_chars: Option<usize>,
}

/// `read_document` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReadOutput {
    /// The document id.
    pub doc_id: i64,
    /// Its title.
    pub title: Option<String>,
    /// Its file.
    pub path: String,
    /// Its format.
    pub format: Option<String>,
    /// What was selected: `whole document`, `p. 3`, a section path, `span`.
    pub selection: String,
    /// `[start, end)` in characters of the stored text that the selection covers.
    pub span: [usize; 2],
    /// The text (the whole document carries `--- p. N ---` or section markers).
    pub text: String,
    /// Whether the text was cut.
    pub truncated: bool,
    /// How to read on when it was cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `get_run` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunArgs {
    /// The run id (`r-…`), as `ask` returned it.
    pub run_id: String,
}

/// `ingest` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestArgs {
    /// Files or folders to add; each must lie under a folder the server was started with
    /// (`--allow-ingest`).
    pub paths: Vec<String>,
}

/// `ingest` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IngestOutput {
    /// Files indexed (new or replaced).
    pub ingested: u64,
    /// Files skipped (unchanged or duplicate).
    pub skipped: u64,
    /// Files that could not be read, with why.
    pub failed: Vec<FailedFile>,
}

/// A file `ingest` could not read.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FailedFile {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

fn invalid(message: impl Into<String>) -> ErrorData {
    ErrorData::invalid_params(message.into(), None)
}

fn internal(what: &str, e: impl std::fmt::Display) -> ErrorData {
    ErrorData::internal_error(format!("{what}: {e}"), None)
}

#[tool_router]
impl CatenaMcp {
    /// A server over `lib`. The `ingest` tool exists only when `options.allow_ingest` names
    /// folders (and then `lib` must be open for writing).
    pub fn new(lib: Arc<Library>, options: Options) -> CatenaMcp {
        let mut tool_router = Self::tool_router();
        if options.allow_ingest.is_empty() {
            tool_router.remove_route("ingest");
        }
        let ask = Arc::new(std::sync::RwLock::new(options.ask.clone()));
        CatenaMcp { lib, options: Arc::new(options), ask, ingest_lock: Arc::default(), tool_router }
    }

    /// Replaces the model and web settings for the questions asked from now on (every clone of
    /// this server, so every HTTP session, sees the change).
    pub fn set_ask_settings(&self, settings: session::Settings) {
        *self.ask.write().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    /// Search the user's document library (papers, notes, reports). Returns the best matching
    /// passages with the document id, title, file, page or section, character span and text,
    /// to quote and cite.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn search_library(&self, Parameters(args): Parameters<SearchArgs>) -> Result<Json<SearchOutput>, ErrorData> {
        let query = args.query.trim();
        if query.is_empty() {
            return Err(invalid("the query is empty"));
        }
        let limit = args.limit.unwrap_or(10);
        if !(1..=MAX_HITS).contains(&limit) {
            return Err(invalid(format!("limit must be between 1 and {MAX_HITS} (got {limit})")));
        }
        let mode = match args.mode.unwrap_or(ModeArg::Hybrid) {
            ModeArg::Lexical => SearchMode::Lexical,
            ModeArg::Semantic => SearchMode::Semantic,
            ModeArg::Hybrid => SearchMode::Hybrid,
        };
        if mode == SearchMode::Semantic
            && let library::SemanticStatus::Off { reason } =
                self.lib.semantic_status().await.map_err(|e| internal("cannot search", e))?
        {
            return Err(invalid(format!("semantic search is off: {reason}")));
        }
        let doc_ids = args.doc_ids.unwrap_or_default();
        let formats: Vec<String> = args.formats.unwrap_or_default().iter().map(|f| f.trim().to_lowercase()).collect();
        let filtered = !doc_ids.is_empty() || !formats.is_empty();
        // Filters apply to the ranked list, so a filtered search looks deeper into it.
        let fetch = if filtered { (limit * 20).max(200) } else { limit };
        let found = self.lib.search_detailed(query, fetch, mode).await.map_err(|e| internal("cannot search", e))?;
        let hits = found
            .hits
            .iter()
            .filter(|h| doc_ids.is_empty() || doc_ids.contains(&h.doc_id))
            .filter(|h| formats.is_empty() || formats.contains(&h.format.to_lowercase()))
            .take(limit)
            .map(SearchHit::from)
            .collect();
        Ok(Json(SearchOutput {
            query: query.to_string(),
            mode: found.mode.as_str().to_string(),
            note: found.note,
            hits,
        }))
    }

    /// Answer a question from the user's library (and the web, when asked and set up), with
    /// `[n]` citations that name the evidence list, and a verdict for each sentence. The run
    /// is kept in Catena's history (see `get_run`). Sends progress while it runs; can be
    /// cancelled.
    #[tool(annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true))]
    async fn ask(
        &self,
        Parameters(args): Parameters<AskArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let question = args.question.trim().to_string();
        if question.is_empty() {
            return Err(invalid("the question is empty"));
        }
        let stored = self.ask.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mode = match args.mode.unwrap_or(AskMode::Chain) {
            AskMode::Chain => session::AskMode::Chain,
            AskMode::Agent => session::AskMode::Agent,
        };
        let mut settings = stored
            .with_overrides(&session::Overrides { mode: Some(mode), ..session::Overrides::default() })
            .map_err(|e| invalid(e.to_string()))?;
        if args.web.unwrap_or(false) {
            if settings.web.offline {
                return Err(invalid(
                    "web search is off in Catena's settings (or offline): turn it on there, or answer from the library only",
                ));
            }
        } else {
            // No web port at all: web steps are skipped with the reason.
            settings.web.offline = true;
        }
        // `notifications/cancelled` (or a closed HTTP stream) cancels this token; the engine and
        // the model client stop at their next step.
        let cancel = context.ct.child_token();
        let run = match session::prepare(self.lib.clone(), settings, false, self.options.keys.as_ref(), &cancel) {
            Ok(run) => run,
            Err(e) => return Err(invalid(e.to_string())),
        };
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = tokio::spawn(send_progress(rx, context.clone()));
        let asked = run.ask(&question, &tx, &cancel);
        let result = tokio::time::timeout(self.options.call_timeout, asked).await;
        drop(tx);
        let _ = progress.await;
        let record = match result {
            Ok(Ok(r)) if !cancel.is_cancelled() => r,
            Ok(Ok(_)) | Ok(Err(EngineError::Cancelled)) => {
                return Err(ErrorData::invalid_request("the question was cancelled; nothing was stored", None));
            }
            Ok(Err(e)) => return Err(internal("cannot answer", e)),
            Err(_) => {
                cancel.cancel();
                return Err(ErrorData::internal_error(
                    format!("the question took longer than {} s and was stopped", self.options.call_timeout.as_secs()),
                    None,
                ));
            }
        };
        // The answer is already paid for: a run that cannot be stored is still returned, with
        // the reason in plain words (a read-only library is an expected state, not a failure).
        let read_only = |cause: library::ReadOnlyCause| {
            format!("the run was not saved to the history because the library is read-only ({cause})")
        };
        let not_stored = match library::read_only_cause(self.lib.dir()) {
            Some(cause) => Some(read_only(cause)),
            None => match self.lib.catalog().save_run(&record).await {
                Ok(()) => None,
                Err(e) if e.is_read_only() => Some(read_only(library::ReadOnlyCause::NotWritable)),
                Err(e) => Some(format!("the run could not be stored: {e}")),
            },
        };
        let finished = Finished { llm_error: record.llm_error.clone(), record, not_stored };
        let value = record_json(&finished.record)?;
        let mut result = CallToolResult::structured(value);
        if let Some(e) = finished.not_stored {
            result.content.push(rmcp::model::ContentBlock::text(format!("note: {e}")));
        }
        if let Some(e) = finished.llm_error {
            result.content.push(rmcp::model::ContentBlock::text(format!(
                "note: the language model failed ({e}); the answer is extractive"
            )));
        }
        Ok(result)
    }

    /// List the documents in the user's library: id, title, file, format, pages, status.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn list_documents(&self, Parameters(args): Parameters<ListArgs>) -> Result<Json<ListOutput>, ErrorData> {
        let formats: Vec<String> = args.formats.unwrap_or_default().iter().map(|f| f.trim().to_lowercase()).collect();
        let all = args.include_failed.unwrap_or(false);
        let docs = self.lib.documents().await.map_err(|e| internal("cannot list the documents", e))?;
        let documents = docs
            .iter()
            .filter(|d| all || d.status == store::Status::Indexed)
            .filter(|d| formats.is_empty() || d.format.as_deref().is_some_and(|f| formats.contains(&f.to_lowercase())))
            .map(DocumentInfo::from)
            .collect();
        Ok(Json(ListOutput { documents }))
    }

    /// Read a document of the library by id: one page, one section, a character span (as
    /// search hits and citations give it), or the whole text with page markers. Long text is
    /// cut, with a note saying how to read on.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn read_document(&self, Parameters(args): Parameters<ReadArgs>) -> Result<Json<ReadOutput>, ErrorData> {
        let max = args.max_chars.unwrap_or(DEFAULT_READ_CHARS);
        if !(1..=MAX_READ_CHARS).contains(&max) {
            return Err(invalid(format!("max_chars must be between 1 and {MAX_READ_CHARS} (got {max})")));
        }
        let chosen = [args.page.is_some(), args.section.is_some(), args.span.is_some()].iter().filter(|b| **b).count();
        if chosen > 1 {
            return Err(invalid("give at most one of page, section and span"));
        }
        let (row, text, parts) = self.document(args.doc_id).await?;
        let len = text.chars().count();
        let (selection, start, end, body) = if let Some(page) = args.page {
            let on_page: Vec<_> = parts.iter().filter(|p| p.page == Some(page)).collect();
            let (Some(first), Some(last)) = (on_page.first(), on_page.last()) else {
                let pages: Vec<u32> = parts.iter().filter_map(|p| p.page).collect();
                return Err(invalid(match (pages.first(), pages.last()) {
                    (Some(a), Some(b)) => format!("document {} has no text on page {page} (pages {a}–{b})", row.id),
                    _ => format!("document {} has no pages", row.id),
                }));
            };
            let body = document::chars(&text, first.start, last.end).to_string();
            (first.label.clone(), first.start, last.end, body)
        } else if let Some(section) = args.section.as_deref() {
            let wanted = section.trim().to_lowercase();
            if wanted.is_empty() {
                return Err(invalid("the section is empty"));
            }
            let matching: Vec<_> = parts.iter().filter(|p| p.label.to_lowercase().contains(&wanted)).collect();
            let (Some(first), Some(last)) = (matching.first(), matching.last()) else {
                let mut known: Vec<&str> = parts.iter().map(|p| p.label.as_str()).filter(|l| !l.is_empty()).collect();
                known.dedup();
                known.truncate(20);
                return Err(invalid(format!(
                    "document {} has no section matching {section:?}; its parts: {}",
                    row.id,
                    if known.is_empty() { "none (it has no headings)".to_string() } else { known.join("; ") }
                )));
            };
            let body = document::marked(&text, &matching.iter().map(|p| (*p).clone()).collect::<Vec<_>>());
            (first.label.clone(), first.start, last.end, body)
        } else if let Some([start, end]) = args.span {
            if start >= end || end > len {
                return Err(invalid(format!(
                    "span [{start}, {end}] is not inside document {} (its text has {len} characters)",
                    row.id
                )));
            }
            ("span".to_string(), start, end, document::chars(&text, start, end).to_string())
        } else {
            ("whole document".to_string(), 0, len, document::marked(&text, &parts))
        };
        let offset = args.offset.unwrap_or(0);
        let (piece, truncated, total) = document::window(&body, offset, max);
        let note = if truncated {
            let next = offset + max;
            Some(format!(
                "truncated: characters {offset}–{next} of {total} shown; call read_document again with offset={next} for more"
            ))
        } else if offset > 0 && offset >= total {
            Some(format!("offset {offset} is past the end ({total} characters)"))
        } else {
            None
        };
        Ok(Json(ReadOutput {
            doc_id: row.id,
            title: row.title,
            path: row.path,
            format: row.format,
            selection,
            span: [start, end],
            text: piece,
            truncated,
            note,
        }))
    }

    /// A stored run (question, answer with `[n]` markers, evidence, sentence verdicts, the
    /// steps) by its id, exactly as `catena show --json` prints it.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_run(&self, Parameters(args): Parameters<RunArgs>) -> Result<CallToolResult, ErrorData> {
        let record = self.run_record(&args.run_id).await?;
        Ok(CallToolResult::structured(record_json(&record)?))
    }

    /// Add files or folders to the library (only under the folders this server was allowed to
    /// read from). Returns how many were indexed and which failed.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn ingest(&self, Parameters(args): Parameters<IngestArgs>) -> Result<Json<IngestOutput>, ErrorData> {
        if self.options.allow_ingest.is_empty() {
            return Err(invalid("this server is read-only: start it with --allow-ingest FOLDER to add documents"));
        }
        if args.paths.is_empty() {
            return Err(invalid("no paths given"));
        }
        let mut paths = Vec::new();
        for p in &args.paths {
            paths.push(self.allowed_path(Path::new(p.trim()))?);
        }
        let _one_at_a_time = self.ingest_lock.lock().await;
        let options = IngestOptions { confine_to: self.options.allow_ingest.clone(), ..IngestOptions::default() };
        let cancel = library::CancelFlag::default();
        let ingest = self.lib.ingest(&paths, &options, &|_| {}, &cancel);
        let summary = match tokio::time::timeout(self.options.call_timeout, ingest).await {
            Ok(r) => r.map_err(|e| internal("cannot ingest", e))?,
            Err(_) => {
                cancel.cancel();
                return Err(internal("cannot ingest", "it took too long and was stopped"));
            }
        };
        Ok(Json(IngestOutput {
            ingested: summary.ingested,
            skipped: summary.skipped,
            failed: summary.failed.into_iter().map(|(path, reason)| FailedFile { path, reason }).collect(),
        }))
    }
}

impl CatenaMcp {
    /// A catalogued document with its stored text and parts, or a clear error.
    async fn document(&self, id: i64) -> Result<(store::DocRow, String, Vec<document::Part>), ErrorData> {
        let row = self.lib.document(id).await.map_err(|e| internal("cannot read the catalog", e))?;
        let Some(row) = row.filter(|r| r.status == store::Status::Indexed) else {
            return Err(ErrorData::resource_not_found(
                format!("no document {id} in the library (see list_documents)"),
                None,
            ));
        };
        let text = self.lib.text(id).await.map_err(|e| internal("cannot read the text", e))?.unwrap_or_default();
        let chunks = self.lib.document_chunks(id).await.map_err(|e| internal("cannot read the index", e))?;
        let parts = document::parts(&chunks, text.chars().count());
        Ok((row, text, parts))
    }

    async fn run_record(&self, run_id: &str) -> Result<engine::run::RunRecord, ErrorData> {
        let id = run_id.trim();
        if id.is_empty() {
            return Err(invalid("the run id is empty"));
        }
        match self.lib.catalog().get_run(id).await.map_err(|e| internal("cannot read the history", e))? {
            Some(r) => Ok(r),
            None => Err(ErrorData::resource_not_found(format!("no run {id:?} in the history"), None)),
        }
    }

    /// `path` resolved (symlinks included) and checked to lie under an allowed folder.
    fn allowed_path(&self, path: &Path) -> Result<PathBuf, ErrorData> {
        if !path.is_absolute() {
            return Err(invalid(format!("{} is not an absolute path", path.display())));
        }
        let real = std::fs::canonicalize(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        if !self.options.allow_ingest.iter().any(|root| real.starts_with(root)) {
            return Err(invalid(format!(
                "refused: {} is outside the folders this server may ingest from",
                path.display()
            )));
        }
        Ok(real)
    }
}

/// A run as JSON, through its text form as `catena ask --json` and `catena show --json` print it
/// (so a stored score reads back with the same digits, not widened from `f32`).
fn record_json(record: &engine::run::RunRecord) -> Result<serde_json::Value, ErrorData> {
    let text = serde_json::to_string(record).map_err(|e| internal("cannot write the run", e))?;
    serde_json::from_str(&text).map_err(|e| internal("cannot write the run", e))
}

/// The engine's events as MCP progress notifications (when the client asked for progress).
async fn send_progress(mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>, context: RequestContext<RoleServer>) {
    let token = context.meta.get_progress_token();
    let mut step = 0.0;
    while let Some(event) = rx.recv().await {
        let (Some(token), Some(message)) = (&token, describe(&event)) else { continue };
        step += 1.0;
        let param = ProgressNotificationParam::new(token.clone(), step).with_message(message);
        // A client that went away only loses progress.
        let _ = context.peer.notify_progress(param).await;
    }
}

/// One line about an event, for progress; `None` for the streamed text pieces.
fn describe(event: &Event) -> Option<String> {
    Some(match event {
        Event::PlanReady { nodes } if nodes.is_empty() => "agent: the model is thinking".to_string(),
        Event::PlanReady { nodes } => {
            format!("plan: {} {}", nodes.len(), if nodes.len() == 1 { "step" } else { "steps" })
        }
        Event::NodeStarted { id } => format!("step #{id} started"),
        Event::NodeFinished { node } => format!("step #{} {} finished", node.id, node.action.as_str()),
        Event::EvidenceFound { .. } => "evidence found".to_string(),
        Event::Verified { citations, .. } => format!("answer checked: {} citations", citations.len()),
        Event::Finished { .. } => "finished".to_string(),
        Event::ObservationPredicted { prediction } if prediction.disagrees => {
            format!("step #{}: the library disagrees with what the model expected", prediction.node_id)
        }
        Event::ObservationPredicted { prediction } => format!("step #{}: the model's expectation", prediction.node_id),
        Event::AnswerDelta { .. } | Event::ThinkingDelta { .. } => return None,
    })
}

const DOC_PREFIX: &str = "catena://doc/";
const RUN_PREFIX: &str = "catena://run/";

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CatenaMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools().enable_resources().build();
        let mut server = Implementation::default();
        server.name = "catena".into();
        server.title = Some("Catena".into());
        server.version = env!("CARGO_PKG_VERSION").into();
        ServerConfig::new(capabilities).with_server_info(server).with_instructions(
            "Catena is the user's own research library. Use search_library to find passages and cite them by \
             title and page; read_document to read around a hit; ask for a checked answer with [n] citations.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let docs = self.lib.documents().await.map_err(|e| internal("cannot list the documents", e))?;
        let mut resources: Vec<Resource> = docs
            .iter()
            .filter(|d| d.status == store::Status::Indexed)
            .map(|d| {
                let title = d.title.clone().unwrap_or_else(|| d.path.clone());
                Resource::new(format!("{DOC_PREFIX}{}", d.id), title)
                    .with_description(format!("{} ({})", d.path, d.format.as_deref().unwrap_or("document")))
                    .with_mime_type("text/plain")
            })
            .collect();
        let runs = self.lib.catalog().list_runs(50).await.map_err(|e| internal("cannot read the history", e))?;
        resources.extend(runs.iter().map(|r| {
            Resource::new(format!("{RUN_PREFIX}{}", r.run_id), r.question.clone())
                .with_description(format!("run of {}", r.started_at))
                .with_mime_type("application/json")
        }));
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{DOC_PREFIX}{{id}}"), "document")
                .with_description("A document's text with page or section markers")
                .with_mime_type("text/plain"),
            ResourceTemplate::new(format!("{RUN_PREFIX}{{id}}"), "run")
                .with_description("A stored run, as `catena show --json` prints it")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = if let Some(id) = uri.strip_prefix(DOC_PREFIX) {
            let id: i64 = id
                .parse()
                .map_err(|_| ErrorData::resource_not_found(format!("{uri}: a document id is a number"), None))?;
            let (_, text, parts) = self.document(id).await?;
            let marked = document::marked(&text, &parts);
            let (mut piece, truncated, total) = document::window(&marked, 0, MAX_READ_CHARS);
            if truncated {
                piece.push_str(&format!(
                    "\n--- truncated: {MAX_READ_CHARS} of {total} characters shown; read_document reads on ---\n"
                ));
            }
            ResourceContents::text(piece, uri).with_mime_type("text/plain")
        } else if let Some(id) = uri.strip_prefix(RUN_PREFIX) {
            let record = self.run_record(id).await?;
            let json = serde_json::to_string_pretty(&record).map_err(|e| internal("cannot write the run", e))?;
            ResourceContents::text(json, uri).with_mime_type("application/json")
        } else {
            return Err(ErrorData::resource_not_found(
                format!("unknown resource {uri}: Catena serves {DOC_PREFIX}{{id}} and {RUN_PREFIX}{{id}}"),
                None,
            ));
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

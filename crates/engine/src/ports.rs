//! The ports: what the engine needs from the outside world, as traits. Adapters implement them
//! (`llm` for [`Llm`], `library` for [`Corpus`], …); tests use in-memory fakes.
//!
//! Traits are dyn-compatible (`Arc<dyn Llm>`) through `async_trait`, because the engine holds
//! them as trait objects chosen at run time from settings.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Location, Span};

/// A secret that never prints: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Sensitive {
        Sensitive(s.into())
    }

    /// The secret itself, for the one place that must send it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Who says a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions.
    System,
    /// The user's side (prompts, delimited evidence).
    User,
    /// The model's side.
    Assistant,
    /// The result of one of the model's tool calls (native tool calling).
    Tool,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Speaker.
    pub role: Role,
    /// Text.
    pub content: String,
    /// Tool calls the model made in this (assistant) message.
    pub tool_calls: Vec<ToolCall>,
    /// For a [`Role::Tool`] message: the call it answers (its id and tool name).
    pub tool_result_for: Option<(String, String)>,
}

impl Message {
    fn plain(role: Role, content: String) -> Message {
        Message { role, content, tool_calls: Vec::new(), tool_result_for: None }
    }
    /// A system message.
    pub fn system(s: impl Into<String>) -> Message {
        Message::plain(Role::System, s.into())
    }
    /// A user message.
    pub fn user(s: impl Into<String>) -> Message {
        Message::plain(Role::User, s.into())
    }
    /// An assistant message.
    pub fn assistant(s: impl Into<String>) -> Message {
        Message::plain(Role::Assistant, s.into())
    }
    /// An assistant message that made these tool calls (with whatever text came with them).
    pub fn assistant_calls(s: impl Into<String>, calls: Vec<ToolCall>) -> Message {
        Message { tool_calls: calls, ..Message::plain(Role::Assistant, s.into()) }
    }
    /// The result of tool call `call`.
    pub fn tool_result(call: &ToolCall, s: impl Into<String>) -> Message {
        Message { tool_result_for: Some((call.id.clone(), call.name.clone())), ..Message::plain(Role::Tool, s.into()) }
    }
}

/// A tool the model may call (native tool calling), provider-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The function name (`[a-zA-Z0-9_-]`).
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON Schema of its arguments (an object).
    pub parameters: serde_json::Value,
}

/// One tool call the model made.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolCall {
    /// The provider's id for the call (made up by the adapter when the provider has none).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them: JSON text, not checked (a model can write broken
    /// JSON; the caller decides what to do with it).
    pub arguments: String,
}

/// Whether the model may call the request's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// The tools are described (the conversation refers to earlier calls) but none may be
    /// called now: the model must answer in text.
    None,
}

/// A completion request, provider-neutral.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling temperature (0 for plans and verdicts).
    pub temperature: Option<f32>,
    /// Completion token cap.
    pub max_tokens: Option<u32>,
    /// Ask for JSON matching this schema (name, JSON Schema text), through the provider's
    /// structured-output feature where it has one.
    pub json_schema: Option<(String, String)>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Tools the model may call (native tool calling); empty for plain completions.
    pub tools: Vec<ToolSpec>,
    /// Whether it may call them now.
    pub tool_choice: ToolChoice,
}

/// Token accounting of one or more requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Completion requests sent, retries included.
    pub calls: u32,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.calls += o.calls;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
    }
}

/// A finished completion.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatResponse {
    /// The text the model wrote.
    pub content: String,
    /// Accounting (calls counts every request sent for this completion, retries included).
    pub usage: Usage,
    /// Wall time of the whole completion, retries included.
    pub latency: Duration,
    /// The tool calls the model made, in order (empty when it made none).
    pub tool_calls: Vec<ToolCall>,
}

/// Why a completion failed. The variants are the ones a caller acts on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No API key, or the provider refused it.
    #[error("the provider refused the credentials: {0}")]
    Auth(String),
    /// Still rate limited after the retries.
    #[error("rate limited by the provider")]
    RateLimited {
        /// What the provider asked for.
        retry_after: Option<Duration>,
        /// Requests sent, retries included.
        calls: u32,
    },
    /// The request timed out.
    #[error("the provider did not answer in time")]
    Timeout {
        /// Requests sent, retries included.
        calls: u32,
    },
    /// Could not connect, or the connection broke (a stream cut midway).
    #[error("network error: {message}")]
    Network {
        /// What happened (never contains a key).
        message: String,
        /// Requests sent, retries included.
        calls: u32,
    },
    /// The server answered with an HTTP error status other than the ones above (a 5xx after
    /// the retries, a 404 for a wrong path or model, another refusal of the request).
    #[error("the provider answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The provider's own message, when it gave one (never contains a key).
        message: String,
        /// Requests sent, retries included.
        calls: u32,
    },
    /// The provider answered with something that is not a valid response.
    #[error("invalid response from the provider: {message}")]
    Protocol {
        /// What was wrong.
        message: String,
        /// Requests sent, retries included.
        calls: u32,
    },
    /// Cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
}

/// What kind of failure a model error is, so every front end can explain it from data: the
/// JSON names (`rate_limited`) are part of the run record and the app's IPC contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LlmErrorKind {
    /// Nothing answered at the address, or the connection broke (refused, DNS, TLS, reset).
    Unreachable,
    /// The server did not answer in time.
    Timeout,
    /// No key, or the provider refused it (HTTP 401/403).
    Auth,
    /// Still rate limited after the retries (HTTP 429).
    RateLimited,
    /// The server failed (HTTP 5xx).
    Server,
    /// No such path or model (HTTP 404).
    NotFound,
    /// The server refused the request itself (another 4xx).
    Rejected,
    /// The answer is not this provider's API (not JSON, missing fields, a cut stream).
    BadResponse,
    /// Cancelled by the caller.
    Cancelled,
}

impl LlmErrorKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmErrorKind::Unreachable => "unreachable",
            LlmErrorKind::Timeout => "timeout",
            LlmErrorKind::Auth => "auth",
            LlmErrorKind::RateLimited => "rate_limited",
            LlmErrorKind::Server => "server",
            LlmErrorKind::NotFound => "not_found",
            LlmErrorKind::Rejected => "rejected",
            LlmErrorKind::BadResponse => "bad_response",
            LlmErrorKind::Cancelled => "cancelled",
        }
    }
}

impl LlmError {
    /// What kind of failure this is.
    pub fn kind(&self) -> LlmErrorKind {
        match self {
            LlmError::Auth(_) => LlmErrorKind::Auth,
            LlmError::RateLimited { .. } => LlmErrorKind::RateLimited,
            LlmError::Timeout { .. } => LlmErrorKind::Timeout,
            LlmError::Network { .. } => LlmErrorKind::Unreachable,
            LlmError::Http { status: 500..=599, .. } => LlmErrorKind::Server,
            LlmError::Http { status: 404, .. } => LlmErrorKind::NotFound,
            LlmError::Http { .. } => LlmErrorKind::Rejected,
            LlmError::Protocol { .. } => LlmErrorKind::BadResponse,
            LlmError::Cancelled => LlmErrorKind::Cancelled,
        }
    }

    /// The HTTP status the server answered with, when the failure was one (429 for rate
    /// limiting; an auth failure's 401 or 403 is in its message, and a missing key has none).
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::Http { status, .. } => Some(*status),
            LlmError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Requests that were sent before the failure (for usage accounting).
    pub fn calls(&self) -> u32 {
        match self {
            LlmError::RateLimited { calls, .. }
            | LlmError::Timeout { calls }
            | LlmError::Network { calls, .. }
            | LlmError::Http { calls, .. }
            | LlmError::Protocol { calls, .. } => *calls,
            LlmError::Auth(_) => 1,
            LlmError::Cancelled => 0,
        }
    }
}

/// A language model.
#[async_trait::async_trait]
pub trait Llm: Send + Sync {
    /// A short description for logs and run records: `openai-compatible gpt-4o-mini at http://…`.
    fn describe(&self) -> String;

    /// One completion. `on_delta`, when given, receives text as it streams in (the adapter
    /// streams when it is given one and the provider can).
    ///
    /// `for<'a>` is spelled out because `async_trait` names every elided lifetime in the
    /// signature, `Fn(&str)`'s included: written plainly, the callback could only take text that
    /// outlives the call, which streamed text never does. Implementations use the same spelling.
    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError>;
}

/// A passage found in the user's library.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Catalog document id.
    pub doc_id: i64,
    /// `"{doc_id}:{ordinal}"`.
    pub chunk_id: String,
    /// Document title.
    pub title: String,
    /// Source path.
    pub path: String,
    /// Where in the source.
    pub location: Location,
    /// Char span into the document's stored text.
    pub span: Span,
    /// The passage text.
    pub text: String,
    /// Retrieval score.
    pub score: f32,
}

/// Why a corpus search failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorpusError {
    /// The index cannot be read.
    #[error("the document index is unavailable: {0}")]
    Unavailable(String),
}

/// The user's document library, as the knowledge-base action sees it.
#[async_trait::async_trait]
pub trait Corpus: Send + Sync {
    /// Top passages for a query (any text; never fails on syntax).
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Passage>, CorpusError>;

    /// How close in meaning `query` is to each of `texts` (cosine similarity, one per text, in
    /// order), by the library's embedding model; `None` when the library has none, or it failed.
    /// The reader uses it to find answers worded unlike the question.
    async fn similarities(&self, _query: &str, _texts: &[String]) -> Option<Vec<f32>> {
        None
    }
}

/// A web page found by a web search.
#[derive(Debug, Clone, PartialEq)]
pub struct WebPage {
    /// Address.
    pub url: String,
    /// Page title.
    pub title: String,
    /// Extracted text (or the snippet, when the page was not fetched).
    pub text: String,
    /// When it was fetched, RFC 3339 (the adapter's clock, not the engine's).
    pub fetched_at: Option<String>,
    /// Rank score (higher is better; adapters without scores may use `1 / rank`).
    pub score: f32,
    /// Something the user should know about how this page was obtained, recorded on the node:
    /// `page fetch refused: … resolves to a private address; used the search snippet`.
    pub note: Option<String>,
}

/// Why a web search failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WebError {
    /// The provider refused the credentials.
    #[error("the web search provider refused the credentials: {0}")]
    Auth(String),
    /// Network failure, timeout or rate limit after retries.
    #[error("web search failed: {0}")]
    Unavailable(String),
}

/// The web-search action. Optional: without one, web nodes are skipped.
#[async_trait::async_trait]
pub trait WebSearch: Send + Sync {
    /// Top pages for a query.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<WebPage>, WebError>;

    /// Why no search can run now (offline mode, …), if none can: web steps are then recorded as
    /// skipped with this reason rather than run and failed. Default: searches can run.
    fn unavailable(&self) -> Option<String> {
        None
    }
}

/// The result of analysing a table for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFinding {
    /// Catalog document id of the table's source, if it is in the library.
    pub doc_id: Option<i64>,
    /// Source path.
    pub path: Option<String>,
    /// Table or document title.
    pub title: String,
    /// Where in the source (usually [`Location::Rows`]).
    pub location: Location,
    /// The finding as text (the computed value and how it was computed), which the answer cites.
    pub text: String,
    /// The query that computed it, when it was computed by SQL.
    pub sql: Option<String>,
    /// The columns the finding used, by header name.
    pub columns: Vec<String>,
    /// The data rows the finding used (1-based, header not counted), so the answer can point at
    /// the cells. Empty when the finding aggregates a whole column.
    pub rows: Vec<u64>,
}

/// Why a table analysis failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// No table fits the question.
    #[error("no table answers the question: {0}")]
    NoTable(String),
    /// The analysis could not run.
    #[error("table analysis failed: {0}")]
    Failed(String),
}

/// The data-analysis action. Optional: without one, data nodes are skipped.
#[async_trait::async_trait]
pub trait TableAnalyst: Send + Sync {
    /// Findings for a (sub-)question, best first. `llm`, when given, is the run's model (its
    /// calls are accounted to the run); without it the analyst answers deterministically.
    async fn analyze(&self, question: &str, llm: Option<&dyn Llm>) -> Result<Vec<TableFinding>, TableError>;

    /// A cheap check, before any analysis, that some table plausibly fits the question (from
    /// table names and column headers, say, without reading rows). `Err(TableError::NoTable(why))`
    /// when none does: the data step is then skipped with that reason instead of running on an
    /// unrelated table. Default: every question may fit.
    async fn fits(&self, question: &str) -> Result<(), TableError> {
        let _ = question;
        Ok(())
    }
}

/// Wall-clock time, for the timestamps in run records. The engine never reads the system clock
/// itself, so tests can pin time (`testing::FixedClock`). Durations are measured with
/// `tokio::time::Instant`, which is monotonic and pausable in tests, not with this port.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_unix_ms(&self) -> i64;
}

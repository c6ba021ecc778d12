//! What the three providers share: timeouts, retries with backoff, call counting, cancellation,
//! stream framing (SSE and NDJSON), error classification and key redaction. A provider only
//! describes its wire format through [`Dialect`]; everything that decides *when* to send, retry
//! or give up lives here, once.

use std::pin::pin;
use std::time::{Duration, Instant, SystemTime};

use engine::ports::{ChatRequest, ChatResponse, LlmError, Sensitive, ToolCall, Usage};
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt, stream};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode, Url};
use serde_json::Value;
use tokio::time::timeout_at;
use tokio_util::sync::CancellationToken;

use crate::ConfigError;

/// A non-streamed body larger than this is refused (a completion is kilobytes; this only stops
/// a misbehaving server from filling memory).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The same guard for a streamed body, counted over the raw bytes (SSE framing adds ~10x).
const MAX_STREAM_BYTES: usize = 128 * 1024 * 1024;
/// Error bodies are only read for their message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// Provider messages quoted in errors are cut to this many chars.
const MAX_MESSAGE_CHARS: usize = 500;

/// Timeouts and retries, shared by every provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Limit on establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Limit on one attempt: for a non-streamed completion the whole exchange; for a streamed one
    /// the wait for the response head (prompt processing on a local model can be slow), after
    /// which `idle_timeout` governs the body — a long answer that keeps flowing is progress, not
    /// a hang, so it is not cut at a fixed total.
    pub request_timeout: Duration,
    /// Limit on the silence between two chunks of a streamed body (keep-alive comments count as
    /// chunks).
    pub idle_timeout: Duration,
    /// Attempts in all for transient failures (429, 5xx, connection errors, a stream cut before
    /// any text). 1 disables retries; 0 is treated as 1.
    pub max_attempts: u32,
    /// First backoff delay; it doubles on each retry, with jitter.
    pub initial_backoff: Duration,
    /// Longest wait before a retry. A backoff is capped at this; a `Retry-After` asking for more
    /// ends the retries at once (the caller gets `RateLimited { retry_after }` and can decide)
    /// rather than retrying early into a certain refusal.
    pub max_retry_wait: Duration,
}

impl Default for HttpSettings {
    fn default() -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

impl HttpSettings {
    /// The wait before retry number `attempt` (1-based), or `None` when the server asks for
    /// longer than we are willing to wait.
    pub fn retry_wait(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let cap = self.max_retry_wait;
        if let Some(asked) = retry_after {
            return (asked <= cap).then_some(asked);
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self.initial_backoff.saturating_mul(factor).min(cap);
        // "Equal jitter": half fixed, half random, so concurrent calls that failed together
        // spread out without the wait ever collapsing to zero.
        let half = full / 2;
        Some(half + half.mul_f64(fastrand::f64()))
    }
}

/// A parsed completion, before call accounting.
#[derive(Debug, Default)]
pub(crate) struct Completion {
    pub content: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub tool_calls: Vec<ToolCall>,
    /// Reasoning the provider returned apart from the text (a whole answer's).
    pub reasoning: String,
    /// While streaming: a `<think>` was opened for streamed reasoning and not yet closed.
    pub think_open: bool,
}

/// A piece of a streamed tool call. Providers stream a call's id and name once and its arguments
/// in pieces, all keyed by the call's position (`index`); one that sends whole calls (Ollama)
/// leaves `index` out and each piece is a new call.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ToolDelta {
    pub index: Option<u64>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: String,
}

/// Tool calls assembled from their streamed pieces, in the order they were started.
#[derive(Debug, Default)]
pub(crate) struct ToolCalls {
    calls: Vec<(Option<u64>, ToolCall)>,
}

impl ToolCalls {
    pub(crate) fn push(&mut self, d: ToolDelta) {
        let existing = d.index.and_then(|i| self.calls.iter().position(|(k, _)| *k == Some(i)));
        let at = match existing {
            Some(at) => at,
            None => {
                self.calls.push((d.index, ToolCall::default()));
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[at].1;
        if let Some(id) = d.id.filter(|s| !s.is_empty()) {
            call.id = id;
        }
        if let Some(name) = d.name.filter(|s| !s.is_empty()) {
            call.name.push_str(&name);
        }
        call.arguments.push_str(&d.arguments);
    }

    /// The calls; one without an id gets `call_{n}` (Ollama sends none).
    pub(crate) fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .enumerate()
            .map(|(n, (_, mut c))| {
                if c.id.is_empty() {
                    c.id = format!("call_{}", n + 1);
                }
                c
            })
            .collect()
    }
}

/// What one stream event means. Token counts overwrite earlier ones (providers report running
/// totals, not increments).
#[derive(Debug, Default)]
pub(crate) struct StreamStep {
    pub delta: Option<String>,
    /// Reasoning the provider streams apart from the text (`reasoning_content`, `thinking`).
    pub reasoning: Option<String>,
    /// Pieces of tool calls (never passed to `on_delta`).
    pub tools: Vec<ToolDelta>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// The provider said the answer is complete; a clean end of the body after this is fine.
    pub complete: bool,
    /// The end-of-stream marker: stop reading.
    pub done: bool,
}

/// A stream event that ends the attempt.
#[derive(Debug)]
pub(crate) enum StreamFault {
    /// The event is not what the protocol says.
    Malformed(String),
    /// The provider reported an error inside the stream; `transient` ones (overload) are retried
    /// when no text was delivered yet.
    Provider { message: String, transient: bool },
}

/// How a streamed body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `text/event-stream`.
    Sse,
    /// One JSON object per line.
    Ndjson,
}

/// A provider's wire format. Implementations are pure: they build JSON and read JSON.
pub(crate) trait Dialect: Send + Sync {
    /// `openai-compatible gpt-4o at http://…`.
    fn describe(&self) -> String;
    /// The completion endpoint.
    fn chat_url(&self) -> &Url;
    /// Adds authentication and provider headers.
    fn authorize(&self, builder: RequestBuilder) -> RequestBuilder;
    /// The request body. `schema` is the parsed structured-output schema, or `None` when the
    /// request has none or the server refused it earlier.
    fn body(&self, request: &ChatRequest, schema: Option<&Schema>, stream: bool) -> Value;
    /// Whether an error answer means "I do not support your structured-output field", worth one
    /// retry without it.
    fn rejects_schema(&self, _status: StatusCode, _body: &str) -> bool {
        false
    }
    /// Reads a non-streamed answer.
    fn parse_body(&self, body: &[u8]) -> Result<Completion, String>;
    /// How streamed answers are framed.
    fn framing(&self) -> Framing;
    /// Reads one stream event (`event` is the SSE event name, empty for NDJSON).
    fn stream_event(&self, event: &str, data: &str) -> Result<StreamStep, StreamFault>;
}

fn with_calls(mut acc: Completion, calls: ToolCalls) -> Completion {
    acc.tool_calls = calls.finish();
    if acc.think_open {
        acc.content.push_str(THINK_CLOSE);
        acc.think_open = false;
    }
    acc
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// Whether reasoning the provider returns apart from the text is kept, inside `<think>…</think>`
/// ahead of the text: for tool-calling requests only, whose caller reads a leading `<think>` as
/// the model's reasoning. Every other caller gets the text alone (a plan must stay JSON).
fn keeps_reasoning(request: &ChatRequest) -> bool {
    !request.tools.is_empty()
}

/// A structured-output request, the schema text parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub name: String,
    pub text: String,
    pub value: Value,
}

/// The HTTP machinery of one client: reqwest client, settings, the optional run-wide cancel
/// token and the key (kept only to scrub it from anything we return).
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    settings: HttpSettings,
    cancel: Option<CancellationToken>,
    key: Option<Sensitive>,
}

impl Transport {
    pub(crate) fn new(base: &Url, settings: HttpSettings, key: Option<Sensitive>) -> Result<Transport, ConfigError> {
        let mut builder = reqwest::Client::builder().connect_timeout(settings.connect_timeout);
        // A proxy from the environment must not capture traffic to a model on this machine.
        if is_loopback(base) {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| ConfigError::Client(error_chain(&e)))?;
        Ok(Transport { client, settings, cancel: None, key })
    }

    pub(crate) fn set_cancel(&mut self, token: CancellationToken) {
        self.cancel = Some(token);
    }

    /// Runs `fut` unless the client's token fires first. Dropping the inner future drops the
    /// connection, which is how an in-flight request is aborted.
    async fn cancellable<T>(&self, fut: impl Future<Output = Result<T, LlmError>>) -> Result<T, LlmError> {
        match &self.cancel {
            None => fut.await,
            Some(token) => {
                tokio::select! {
                    biased;
                    () = token.cancelled() => Err(LlmError::Cancelled),
                    result = fut => result,
                }
            }
        }
    }

    /// One completion with retries, the shared half of every `Llm::complete`.
    pub(crate) async fn complete<D: Dialect>(
        &self,
        dialect: &D,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        self.cancellable(self.complete_inner(dialect, request, on_delta, started)).await
    }

    async fn complete_inner<D: Dialect>(
        &self,
        dialect: &D,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
        started: Instant,
    ) -> Result<ChatResponse, LlmError> {
        let mut schema = parse_schema(request)?;
        let max_attempts = self.settings.max_attempts.max(1);
        let mut calls = 0u32;
        // Attempts spent on transient failures; the structured-output fallback is not one.
        let mut attempts = 0u32;
        loop {
            calls += 1;
            attempts += 1;
            let mut delivered = false;
            let outcome = self.attempt(dialect, request, schema.as_ref(), on_delta, &mut delivered).await;
            let fail = match outcome {
                Ok(done) => {
                    return Ok(ChatResponse {
                        content: done.content,
                        usage: Usage {
                            calls,
                            prompt_tokens: done.prompt_tokens,
                            completion_tokens: done.completion_tokens,
                        },
                        latency: started.elapsed(),
                        tool_calls: done.tool_calls,
                    });
                }
                Err(fail) => fail,
            };
            if matches!(fail.kind, FailKind::SchemaRejected(_)) && schema.is_some() {
                tracing::warn!(
                    provider = %dialect.describe(),
                    "the server refused structured output; retrying once without it"
                );
                schema = None;
                attempts -= 1;
                continue;
            }
            // Text already shown through on_delta cannot be unsaid, so a retry would duplicate it.
            if fail.retryable
                && !delivered
                && attempts < max_attempts
                && let Some(wait) = self.retry_wait(attempts, fail.retry_after)
            {
                tracing::warn!(
                    provider = %dialect.describe(),
                    attempt = attempts,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %self.redact(&fail.kind.summary()),
                    "retrying a failed completion"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(self.to_error(fail, calls));
        }
    }

    fn retry_wait(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        self.settings.retry_wait(attempt, retry_after)
    }

    async fn attempt<D: Dialect>(
        &self,
        dialect: &D,
        request: &ChatRequest,
        schema: Option<&Schema>,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
        delivered: &mut bool,
    ) -> Result<Completion, Fail> {
        let streaming = on_delta.is_some();
        let deadline = tokio::time::Instant::now() + self.settings.request_timeout;
        let body = dialect.body(request, schema, streaming);
        let builder = dialect.authorize(self.client.post(dialect.chat_url().clone()).json(&body));
        let response = match timeout_at(deadline, builder.send()).await {
            Err(_) => return Err(Fail::timeout()),
            Ok(Err(e)) => return Err(Fail::from_send(&e)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let text = read_error_body(response, deadline).await;
            return Err(classify_status(status, retry_after, &text, |s, b| {
                schema.is_some() && dialect.rejects_schema(s, b)
            }));
        }
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        match on_delta {
            // Some OpenAI-compatible servers ignore `stream: true` and answer in one JSON body;
            // that is still a good answer, delivered as a single delta.
            Some(on_delta) if !(is_json && dialect.framing() == Framing::Sse) => {
                self.read_stream(dialect, response, on_delta, delivered, keeps_reasoning(request)).await
            }
            _ => {
                let bytes = match timeout_at(deadline, read_capped(response, MAX_BODY_BYTES)).await {
                    Err(_) => return Err(Fail::timeout()),
                    Ok(result) => result?,
                };
                let mut done = dialect.parse_body(&bytes).map_err(Fail::protocol)?;
                if keeps_reasoning(request) && !done.reasoning.trim().is_empty() {
                    done.content = format!("{THINK_OPEN}{}{THINK_CLOSE}{}", done.reasoning, done.content);
                }
                if let Some(on_delta) = on_delta
                    && !done.content.is_empty()
                {
                    on_delta(&done.content);
                    *delivered = true;
                }
                Ok(done)
            }
        }
    }

    async fn read_stream<D: Dialect>(
        &self,
        dialect: &D,
        response: reqwest::Response,
        on_delta: &(dyn Fn(&str) + Send + Sync),
        delivered: &mut bool,
        reasoning: bool,
    ) -> Result<Completion, Fail> {
        let raw = guard(response.bytes_stream(), self.settings.idle_timeout);
        let mut acc = Completion::default();
        let mut calls = ToolCalls::default();
        let mut complete = false;
        let mut apply = |step: StreamStep| -> bool {
            let mut emit = |text: &str, acc: &mut Completion| {
                on_delta(text);
                *delivered = true;
                acc.content.push_str(text);
            };
            if let Some(r) = step.reasoning.filter(|t| reasoning && !t.is_empty()) {
                if !acc.think_open && !acc.content.contains(THINK_OPEN) {
                    emit(THINK_OPEN, &mut acc);
                    acc.think_open = true;
                }
                if acc.think_open {
                    emit(&r, &mut acc);
                }
            }
            let text = step.delta.filter(|t| !t.is_empty());
            if acc.think_open && (text.is_some() || !step.tools.is_empty()) {
                emit(THINK_CLOSE, &mut acc);
                acc.think_open = false;
            }
            for d in step.tools {
                calls.push(d);
            }
            if let Some(text) = text {
                emit(&text, &mut acc);
            }
            if let Some(n) = step.prompt_tokens {
                acc.prompt_tokens = n;
            }
            if let Some(n) = step.completion_tokens {
                acc.completion_tokens = n;
            }
            complete |= step.complete || step.done;
            step.done
        };
        match dialect.framing() {
            Framing::Sse => {
                let mut events = pin!(raw.eventsource());
                while let Some(event) = events.next().await {
                    let event = match event {
                        Ok(event) => event,
                        Err(EventStreamError::Transport(e)) => return Err(e.into_fail()),
                        Err(EventStreamError::Utf8(e)) => {
                            return Err(Fail::protocol(format!("the event stream is not UTF-8: {e}")));
                        }
                        Err(EventStreamError::Parser(e)) => {
                            return Err(Fail::protocol(format!("the event stream is malformed: {e}")));
                        }
                    };
                    if event.data.trim().is_empty() {
                        continue;
                    }
                    let step = dialect.stream_event(&event.event, &event.data).map_err(Fail::from)?;
                    if apply(step) {
                        return Ok(with_calls(acc, calls));
                    }
                }
            }
            Framing::Ndjson => {
                let mut raw = pin!(raw);
                let mut buffer: Vec<u8> = Vec::new();
                let mut ended = false;
                while !ended {
                    match raw.next().await {
                        Some(Ok(chunk)) => buffer.extend_from_slice(chunk.as_ref()),
                        Some(Err(e)) => return Err(e.into_fail()),
                        // A last line without its newline still counts.
                        None => {
                            ended = true;
                            buffer.push(b'\n');
                        }
                    }
                    while let Some(at) = buffer.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = buffer.drain(..=at).collect();
                        let line = std::str::from_utf8(&line)
                            .map_err(|e| Fail::protocol(format!("a stream line is not UTF-8: {e}")))?
                            .trim();
                        if line.is_empty() {
                            continue;
                        }
                        let step = dialect.stream_event("", line).map_err(Fail::from)?;
                        if apply(step) {
                            return Ok(with_calls(acc, calls));
                        }
                    }
                }
            }
        }
        if complete {
            return Ok(with_calls(acc, calls));
        }
        Err(Fail::network("the stream ended before the provider finished the answer", true))
    }

    /// `GET url` → JSON, for model listings: one attempt, not counted as a completion call.
    pub(crate) async fn get_json<D: Dialect>(&self, dialect: &D, url: Url) -> Result<Value, LlmError> {
        let deadline = tokio::time::Instant::now() + self.settings.request_timeout;
        let fetch = async {
            let builder = dialect.authorize(self.client.get(url));
            let response = match timeout_at(deadline, builder.send()).await {
                Err(_) => return Err(Fail::timeout()),
                Ok(Err(e)) => return Err(Fail::from_send(&e)),
                Ok(Ok(response)) => response,
            };
            let status = response.status();
            if !status.is_success() {
                let retry_after = retry_after(response.headers());
                let text = read_error_body(response, deadline).await;
                return Err(classify_status(status, retry_after, &text, |_, _| false));
            }
            let bytes = match timeout_at(deadline, read_capped(response, MAX_BODY_BYTES)).await {
                Err(_) => return Err(Fail::timeout()),
                Ok(result) => result?,
            };
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| Fail::protocol(format!("the model list is not JSON: {e}")))
        };
        self.cancellable(async { fetch.await.map_err(|fail| self.to_error(fail, 0)) }).await
    }

    fn redact(&self, text: &str) -> String {
        redact(text, self.key.as_ref())
    }

    fn to_error(&self, fail: Fail, calls: u32) -> LlmError {
        match fail.kind {
            FailKind::Auth(message) => LlmError::Auth(self.redact(&message)),
            FailKind::RateLimited => LlmError::RateLimited { retry_after: fail.retry_after, calls },
            FailKind::Timeout => LlmError::Timeout { calls },
            FailKind::Network(message) => LlmError::Network { message: self.redact(&message), calls },
            FailKind::Status(status, message) => LlmError::Http { status, message: self.redact(&message), calls },
            FailKind::Protocol(message) | FailKind::SchemaRejected(message) => {
                LlmError::Protocol { message: self.redact(&message), calls }
            }
        }
    }
}

/// Why one attempt failed, and whether another attempt could succeed.
#[derive(Debug)]
struct Fail {
    kind: FailKind,
    retryable: bool,
    retry_after: Option<Duration>,
}

#[derive(Debug)]
enum FailKind {
    Auth(String),
    RateLimited,
    Timeout,
    Network(String),
    Protocol(String),
    /// An HTTP error status other than auth and rate limiting, with the provider's message.
    Status(u16, String),
    /// The server refused the structured-output field (400/422 naming it).
    SchemaRejected(String),
}

impl FailKind {
    fn summary(&self) -> String {
        match self {
            FailKind::Auth(m) => format!("auth: {m}"),
            FailKind::RateLimited => "rate limited".to_owned(),
            FailKind::Timeout => "timeout".to_owned(),
            FailKind::Network(m) | FailKind::Protocol(m) | FailKind::SchemaRejected(m) => m.clone(),
            FailKind::Status(status, m) => format!("HTTP {status}: {m}"),
        }
    }
}

impl Fail {
    fn new(kind: FailKind, retryable: bool) -> Fail {
        Fail { kind, retryable, retry_after: None }
    }
    // Timeouts are not retried: the request already cost a full timeout, and a caller waiting on
    // three of them would wait minutes.
    fn timeout() -> Fail {
        Fail::new(FailKind::Timeout, false)
    }
    fn protocol(message: impl Into<String>) -> Fail {
        Fail::new(FailKind::Protocol(message.into()), false)
    }
    fn network(message: impl Into<String>, retryable: bool) -> Fail {
        Fail::new(FailKind::Network(message.into()), retryable)
    }

    /// A failure to send or to get the response head. Nothing reached the model, or nothing
    /// came back, so all of these are worth another attempt.
    fn from_send(e: &reqwest::Error) -> Fail {
        if e.is_timeout() {
            return Fail::new(FailKind::Timeout, e.is_connect());
        }
        if e.is_builder() {
            return Fail::protocol(format!("the request could not be built: {}", error_chain(e)));
        }
        let what = if e.is_connect() { "could not connect" } else { "the request failed" };
        Fail::network(format!("{what}: {}", error_chain(e)), true)
    }
}

impl From<StreamFault> for Fail {
    fn from(fault: StreamFault) -> Fail {
        match fault {
            StreamFault::Malformed(m) => Fail::protocol(m),
            StreamFault::Provider { message, transient } => {
                Fail::new(FailKind::Protocol(format!("the provider reported an error: {message}")), transient)
            }
        }
    }
}

/// What went wrong under the framing layer of a streamed body.
#[derive(Debug)]
enum RawError {
    Transport(reqwest::Error),
    Idle,
    TooLarge,
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RawError::Transport(e) => f.write_str(&error_chain(e)),
            RawError::Idle => f.write_str("the stream went silent"),
            RawError::TooLarge => f.write_str("the stream is too large"),
        }
    }
}

impl RawError {
    fn into_fail(self) -> Fail {
        match self {
            // The connection broke mid-body: a cut stream. Retried only if no text went out.
            RawError::Transport(e) => Fail::network(format!("the stream was cut: {}", error_chain(&e)), true),
            RawError::Idle => Fail::timeout(),
            RawError::TooLarge => {
                Fail::protocol(format!("the streamed answer exceeds {} MiB", MAX_STREAM_BYTES / (1024 * 1024)))
            }
        }
    }
}

/// The body's byte stream with an idle timeout per chunk and a size cap. The timeout sits here,
/// under the SSE parser, so keep-alive comments (which yield no event) still count as life.
fn guard<S, B>(body: S, idle: Duration) -> impl Stream<Item = Result<B, RawError>>
where
    S: Stream<Item = reqwest::Result<B>>,
    B: AsRef<[u8]>,
{
    stream::unfold((Box::pin(body), 0usize, false), move |(mut body, seen, over)| async move {
        if over {
            return None;
        }
        match tokio::time::timeout(idle, body.next()).await {
            Err(_) => Some((Err(RawError::Idle), (body, seen, true))),
            Ok(None) => None,
            Ok(Some(Err(e))) => Some((Err(RawError::Transport(e)), (body, seen, true))),
            Ok(Some(Ok(chunk))) => {
                let seen = seen.saturating_add(chunk.as_ref().len());
                if seen > MAX_STREAM_BYTES {
                    Some((Err(RawError::TooLarge), (body, seen, true)))
                } else {
                    Some((Ok(chunk), (body, seen, false)))
                }
            }
        }
    })
}

async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, Fail> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > cap {
                    return Err(Fail::protocol(format!("the answer exceeds {} MiB", cap / (1024 * 1024))));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(Fail::network(
                    format!("the connection broke while reading the answer: {}", error_chain(&e)),
                    true,
                ));
            }
        }
    }
}

/// The body of an error answer, best effort: an unreadable one is just an empty message.
async fn read_error_body(response: reqwest::Response, deadline: tokio::time::Instant) -> String {
    let mut response = response;
    let mut out = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            out.extend_from_slice(&chunk);
            if out.len() >= MAX_ERROR_BODY_BYTES {
                break;
            }
        }
    };
    let _ = timeout_at(deadline, read).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Maps a non-success status to a failure. `schema_rejected` tells whether the dialect reads
/// the body as a refusal of its structured-output field.
fn classify_status(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &str,
    schema_rejected: impl Fn(StatusCode, &str) -> bool,
) -> Fail {
    let message = provider_message(body);
    let described =
        if message.is_empty() { format!("HTTP {status}") } else { format!("HTTP {}: {message}", status.as_u16()) };
    match status.as_u16() {
        401 | 403 => Fail::new(FailKind::Auth(described), false),
        429 => Fail { kind: FailKind::RateLimited, retryable: true, retry_after },
        // 529 is Anthropic's "overloaded"; every 5xx may pass.
        500..=599 => {
            Fail { kind: FailKind::Status(status.as_u16(), reason(status, message)), retryable: true, retry_after }
        }
        _ if schema_rejected(status, body) => Fail::new(FailKind::SchemaRejected(described), false),
        _ => Fail::new(FailKind::Status(status.as_u16(), reason(status, message)), false),
    }
}

/// The provider's message, or the status's reason phrase when it gave none.
fn reason(status: StatusCode, message: String) -> String {
    if message.is_empty() { status.canonical_reason().unwrap_or("no message").to_owned() } else { message }
}

/// The human part of a provider's error body: `{"error":{"message":…}}` (OpenAI, Anthropic,
/// llama.cpp), `{"error":"…"}` (Ollama), `{"message":…}` (vLLM), `{"detail":…}`, else the text.
pub fn provider_message(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(json) => {
            let error = json.get("error");
            error
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .or_else(|| error.and_then(Value::as_str))
                .or_else(|| json.get("message").and_then(Value::as_str))
                .or_else(|| json.get("detail").and_then(Value::as_str))
                .map_or_else(|| body.trim().to_owned(), str::to_owned)
        }
        Err(_) => body.trim().to_owned(),
    };
    truncate(&text, MAX_MESSAGE_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Replaces every occurrence of the key. Providers sometimes echo (parts of) a bad key back; the
/// whole key must never reach an error, a log or the UI.
pub fn redact(text: &str, key: Option<&Sensitive>) -> String {
    match key.map(Sensitive::expose) {
        Some(k) if !k.is_empty() && text.contains(k) => text.replace(k, "<redacted>"),
        _ => text.to_owned(),
    }
}

/// `Retry-After` as seconds or an HTTP date, or OpenAI's `retry-after-ms`.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header(RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::try_from_secs_f64(secs).ok()).flatten();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now".
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// The error and its sources, joined: reqwest's own Display ("error sending request") hides the
/// useful part (connection refused, reset, …). URLs are stripped (they can carry credentials).
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    let joined = parts.join(": ");
    match e.url() {
        Some(url) => joined.replace(&format!(" for url ({url})"), "").replace(url.as_str(), "<url>"),
        None => joined,
    }
}

fn parse_schema(request: &ChatRequest) -> Result<Option<Schema>, LlmError> {
    let Some((name, text)) = &request.json_schema else {
        return Ok(None);
    };
    let value = serde_json::from_str::<Value>(text).map_err(|e| LlmError::Protocol {
        message: format!("the JSON schema {name:?} is not valid JSON: {e}"),
        calls: 0,
    })?;
    Ok(Some(Schema { name: name.clone(), text: text.clone(), value }))
}

/// Whether the host is this machine (`localhost`, 127.0.0.0/8, ::1).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A float for a JSON body through its shortest decimal form, so `0.2f32` is sent as `0.2`
/// rather than `0.20000000298023224`.
pub(crate) fn json_f32(x: f32) -> Value {
    x.to_string().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        assert_eq!(retry_after(&headers(&[("retry-after", "7")])), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&headers(&[("retry-after", "1.5")])), Some(Duration::from_millis(1500)));
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")])),
            Some(Duration::from_millis(250))
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let wait = retry_after(&headers(&[("retry-after", &future)])).unwrap();
        assert!(wait > Duration::from_secs(110) && wait <= Duration::from_secs(120), "{wait:?}");
        assert_eq!(retry_after(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_under_the_cap() {
        let settings = HttpSettings {
            initial_backoff: Duration::from_millis(100),
            max_retry_wait: Duration::from_millis(300),
            ..HttpSettings::default()
        };
        let base = Url::parse("http://127.0.0.1:1/").unwrap();
        let transport = Transport::new(&base, settings, None).unwrap();
        for _ in 0..50 {
            let first = transport.retry_wait(1, None).unwrap();
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = transport.retry_wait(2, None).unwrap();
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = transport.retry_wait(6, None).unwrap();
            assert!(capped >= Duration::from_millis(150) && capped <= Duration::from_millis(300));
        }
        assert_eq!(transport.retry_wait(1, Some(Duration::ZERO)), Some(Duration::ZERO));
        assert_eq!(transport.retry_wait(1, Some(Duration::from_secs(1))), None);
    }

    #[test]
    fn provider_messages_are_found_in_each_error_shape() {
        assert_eq!(provider_message(r#"{"error":{"message":"bad model","type":"x"}}"#), "bad model");
        assert_eq!(provider_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(provider_message(r#"{"object":"error","message":"too long","code":400}"#), "too long");
        assert_eq!(provider_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(provider_message("  Bad Gateway\n"), "Bad Gateway");
        assert_eq!(provider_message(&"é".repeat(600)).chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn keys_are_scrubbed_and_loopback_is_recognised() {
        let key = Sensitive::new("sk-secret");
        assert_eq!(redact("bad key sk-secret!", Some(&key)), "bad key <redacted>!");
        assert_eq!(redact("fine", None), "fine");
        for url in ["http://localhost:1/", "http://127.0.0.1:1/", "http://[::1]:1/", "http://127.1.2.3/"] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        assert!(!is_loopback(&Url::parse("https://api.openai.com/v1").unwrap()));
        assert_eq!(json_f32(0.2), serde_json::json!(0.2));
        assert_eq!(json_f32(f32::NAN), Value::Null);
    }
}

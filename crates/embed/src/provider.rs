//! Embeddings from a model server: Ollama's native `POST /api/embed` and the OpenAI-compatible
//! `POST /v1/embeddings` (OpenAI, LM Studio, llama.cpp, vLLM, Ollama's `/v1`, gateways).
//!
//! Texts go out in batches of at most [`MAX_BATCH`]. Every answer is checked (one vector per
//! text, one dimension for all, finite numbers) and L2-normalised, since not every server
//! returns unit vectors. Transient failures (429, 5xx, a failed connection) are retried with
//! backoff, honouring `Retry-After`. With `offline` set nothing is sent at all.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use engine::ports::Sensitive;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use crate::http::{self, HttpSettings};
use crate::{EmbedError, Embedder, ModelId, TextKind};

/// The most texts sent in one request.
pub const MAX_BATCH: usize = 64;

/// An answer larger than this is refused (64 vectors of 4096 numbers are a few MB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Which wire format a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Ollama's native `POST {base}/api/embed`; base URL `http://localhost:11434` by default.
    Ollama,
    /// `POST {base}/embeddings` as OpenAI documents it; base URL `https://api.openai.com/v1`
    /// by default.
    OpenAi,
}

impl ProviderKind {
    /// The model-id prefix: `ollama` or `openai`.
    pub fn prefix(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAi => "openai",
        }
    }

    /// Where the server usually is.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "http://localhost:11434",
            ProviderKind::OpenAi => "https://api.openai.com/v1",
        }
    }
}

/// How to reach a provider.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// The server's base URL; `None` uses [`ProviderKind::default_base_url`]. For Ollama the
    /// server root (a pasted `/api/embed`, `/api` or `/v1` is removed); for OpenAI-compatible
    /// servers the URL up to the API version (a pasted `/embeddings` is removed, and a bare host
    /// gets `/v1`).
    pub base_url: Option<String>,
    /// Sent as `Authorization: Bearer …` when given; never printed.
    pub key: Option<Sensitive>,
    /// Refuse every request without sending it.
    pub offline: bool,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

/// An [`Embedder`] backed by a model server.
///
/// Its [`ModelId`] is `ollama:<model>` or `openai:<model>`. The dimension is learnt from the
/// first answer; a later answer of another dimension (the server's model was swapped) is an
/// error rather than vectors that cannot be compared.
pub struct ProviderEmbedder {
    kind: ProviderKind,
    model: String,
    base: Url,
    endpoint: Url,
    client: reqwest::Client,
    /// Kept only to scrub it from messages; the header below is what is sent.
    key: Option<Sensitive>,
    auth: Option<HeaderValue>,
    offline: bool,
    settings: HttpSettings,
    dims: OnceLock<usize>,
}

impl fmt::Debug for ProviderEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderEmbedder")
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("base", &http::display_url(&self.base))
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("offline", &self.offline)
            .field("dims", &self.dims.get())
            .finish_non_exhaustive()
    }
}

impl ProviderEmbedder {
    /// A client for `model` on a server of `kind`. Fails when the model name is empty, the base
    /// URL is not an http(s) URL, or the key cannot be sent as a header.
    pub fn new(kind: ProviderKind, model: &str, options: ProviderOptions) -> Result<ProviderEmbedder, EmbedError> {
        let model = model.trim();
        if model.is_empty() {
            return Err(EmbedError::Provider(format!("cannot use {} embeddings: no model is named", kind.prefix())));
        }
        let raw = options.base_url.as_deref().unwrap_or(kind.default_base_url());
        let base = normalise_base(kind, raw)
            .map_err(|e| EmbedError::Provider(format!("cannot use {} embeddings: {e}", kind.prefix())))?;
        let endpoint = match kind {
            ProviderKind::Ollama => http::join(&base, "api/embed"),
            ProviderKind::OpenAi => http::join(&base, "embeddings"),
        };
        let key = options.key.and_then(|k| {
            let trimmed = k.expose().trim();
            (!trimmed.is_empty()).then(|| Sensitive::new(trimmed))
        });
        let auth = match &key {
            Some(k) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", k.expose())).map_err(|_| {
                    EmbedError::Provider("cannot use the API key: it contains characters a header cannot carry".into())
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let client = http::client(&base, &options.http)
            .map_err(|e| EmbedError::Provider(format!("cannot set up the HTTP client: {e}")))?;
        Ok(ProviderEmbedder {
            kind,
            model: model.to_owned(),
            base,
            endpoint,
            client,
            key,
            auth,
            offline: options.offline,
            settings: options.http,
            dims: OnceLock::new(),
        })
    }

    /// A client from a model id, `ollama:<model>` or `openai:<model>` (the form
    /// [`Embedder::model_id`] returns and settings store).
    pub fn from_model_id(id: &str, options: ProviderOptions) -> Result<ProviderEmbedder, EmbedError> {
        let (prefix, model) = id.trim().split_once(':').ok_or_else(|| {
            EmbedError::Provider(format!(
                "cannot read the embedding model {id:?}: expected ollama:<model> or openai:<model>"
            ))
        })?;
        let kind = match prefix.to_ascii_lowercase().as_str() {
            "ollama" => ProviderKind::Ollama,
            "openai" => ProviderKind::OpenAi,
            other => {
                return Err(EmbedError::Provider(format!(
                    "cannot read the embedding model {id:?}: unknown provider {other:?} (expected ollama or openai)"
                )));
            }
        };
        ProviderEmbedder::new(kind, model, options)
    }

    /// Which wire format it speaks.
    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// The normalised base URL, without credentials.
    pub fn base_url(&self) -> String {
        http::display_url(&self.base)
    }

    /// `ollama nomic-embed-text at http://…`, for messages.
    fn describe(&self) -> String {
        format!("{} {} at {}", self.kind.prefix(), self.model, self.base_url())
    }

    /// One batch, with retries.
    async fn embed_batch(&self, texts: &[String], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inputs: Vec<String> = texts.iter().map(|t| instruction(&self.model, kind) + t).collect();
        let body = json!({ "model": self.model, "input": inputs });
        let max_attempts = self.settings.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let fail = match self.attempt(&body).await {
                Ok(json) => return self.read_answer(&json, texts.len()),
                Err(fail) => fail,
            };
            if fail.retryable
                && attempt < max_attempts
                && let Some(wait) = self.settings.retry_wait(attempt, fail.retry_after)
            {
                tracing::warn!(
                    provider = %self.describe(),
                    attempt,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %http::redact(&fail.message, self.key.as_ref()),
                    "retrying a failed embedding request"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let tries = if attempt > 1 { format!(" (after {attempt} attempts)") } else { String::new() };
            return Err(EmbedError::Provider(http::redact(
                &format!("embedding with {} failed{tries}: {}", self.describe(), fail.message),
                self.key.as_ref(),
            )));
        }
    }

    async fn attempt(&self, body: &Value) -> Result<Value, Fail> {
        let mut request = self.client.post(self.endpoint.clone()).json(body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let exchange = async {
            let response = request.send().await.map_err(|e| {
                let what = if e.is_connect() { "could not connect" } else { "the request failed" };
                Fail { message: format!("{what}: {}", http::error_chain(&e)), retryable: true, retry_after: None }
            })?;
            let status = response.status();
            if !status.is_success() {
                let retry_after = http::retry_after(response.headers());
                let text = http::error_body(response).await;
                return Err(classify(status, retry_after, &text));
            }
            let bytes = read_capped(response).await?;
            serde_json::from_slice::<Value>(&bytes).map_err(|e| Fail::fatal(format!("the answer is not JSON: {e}")))
        };
        match tokio::time::timeout(self.settings.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => {
                Err(Fail::fatal(format!("no answer within {} s", self.settings.request_timeout.as_secs_f64().round())))
            }
        }
    }

    /// Reads and checks an answer: one finite, non-zero vector per text, all of one dimension
    /// (and the dimension of earlier answers), returned L2-normalised in input order.
    fn read_answer(&self, json: &Value, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        let bad = |why: String| EmbedError::Provider(format!("{} gave a faulty answer: {why}", self.describe()));
        let raw: Vec<&Value> = match self.kind {
            ProviderKind::Ollama => json
                .get("embeddings")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("it has no `embeddings` array".into()))?
                .iter()
                .collect(),
            ProviderKind::OpenAi => {
                let data =
                    json.get("data").and_then(Value::as_array).ok_or_else(|| bad("it has no `data` array".into()))?;
                let mut slots: Vec<Option<&Value>> = vec![None; data.len()];
                for (position, item) in data.iter().enumerate() {
                    // `index` is optional in practice: servers that leave it out answer in order.
                    let index = match item.get("index") {
                        None => position,
                        Some(v) => v
                            .as_u64()
                            .and_then(|i| usize::try_from(i).ok())
                            .ok_or_else(|| bad(format!("item {position} has an invalid `index`")))?,
                    };
                    let slot = slots
                        .get_mut(index)
                        .ok_or_else(|| bad(format!("index {index} is out of range for {} items", data.len())))?;
                    if slot.is_some() {
                        return Err(bad(format!("index {index} appears twice")));
                    }
                    *slot =
                        Some(item.get("embedding").ok_or_else(|| bad(format!("item {position} has no `embedding`")))?);
                }
                // Every slot is filled: `data.len()` distinct indices below `data.len()`.
                slots.into_iter().flatten().collect()
            }
        };
        if raw.len() != expected {
            return Err(bad(format!("{} vectors for {expected} texts", raw.len())));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (i, value) in raw.into_iter().enumerate() {
            let numbers = value.as_array().ok_or_else(|| bad(format!("vector {i} is not an array of numbers")))?;
            // JSON numbers are f64; embeddings are compared as f32.
            #[allow(clippy::cast_possible_truncation)]
            let v: Vec<f32> = numbers
                .iter()
                .map(|n| n.as_f64().map(|x| x as f32).filter(|x| x.is_finite()))
                .collect::<Option<_>>()
                .ok_or_else(|| bad(format!("vector {i} holds something other than finite numbers")))?;
            if v.is_empty() {
                return Err(bad(format!("vector {i} is empty")));
            }
            if let Some(first) = out.first().map(Vec::len)
                && v.len() != first
            {
                return Err(bad(format!("vector {i} has {} dimensions, vector 0 has {first}", v.len())));
            }
            out.push(normalise(v).ok_or_else(|| bad(format!("vector {i} is all zeros")))?);
        }
        if let Some(dims) = out.first().map(Vec::len) {
            let known = *self.dims.get_or_init(|| dims);
            if known != dims {
                return Err(bad(format!(
                    "its vectors have {dims} dimensions, earlier ones had {known} (was the model changed on the server?)"
                )));
            }
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Embedder for ProviderEmbedder {
    fn model_id(&self) -> ModelId {
        ModelId(format!("{}:{}", self.kind.prefix(), self.model))
    }

    fn dims(&self) -> Option<usize> {
        self.dims.get().copied()
    }

    async fn embed(&self, texts: &[String], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        if self.offline {
            return Err(EmbedError::Offline(format!(
                "embedding with {} needs the network; nothing was sent",
                self.describe()
            )));
        }
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(MAX_BATCH) {
            out.extend(self.embed_batch(batch, kind).await?);
        }
        Ok(out)
    }
}

/// The instruction prefix a model was trained with, for models that have one. Tags
/// (`nomic-embed-text:latest`) and namespaces (`nomic-ai/nomic-embed-text-v1.5`) are ignored.
fn instruction(model: &str, kind: TextKind) -> String {
    let name = model.rsplit('/').next().unwrap_or(model);
    let name = name.split(':').next().unwrap_or(name).to_ascii_lowercase();
    let prefix = if name.starts_with("nomic-embed-text") {
        match kind {
            TextKind::Query => "search_query: ",
            TextKind::Passage => "search_document: ",
        }
    } else if name.starts_with("mxbai-embed-large") || name.starts_with("snowflake-arctic-embed") {
        match kind {
            TextKind::Query => "Represent this sentence for searching relevant passages: ",
            TextKind::Passage => "",
        }
    } else {
        ""
    };
    prefix.to_owned()
}

/// `v / ‖v‖`, or `None` for a zero vector.
fn normalise(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return None;
    }
    for x in &mut v {
        // The quotient of an f32 by a norm at least as large lies in -1..=1.
        #[allow(clippy::cast_possible_truncation)]
        {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
    Some(v)
}

/// The base URL as the provider's rule has it (see [`ProviderOptions::base_url`]).
fn normalise_base(kind: ProviderKind, raw: &str) -> Result<Url, String> {
    let mut url = http::parse_base(raw)?;
    let path = url.path().to_owned();
    let lower = path.to_ascii_lowercase();
    let suffixes: &[&str] = match kind {
        ProviderKind::Ollama => &["/api/embed", "/api/embeddings", "/api", "/v1"],
        ProviderKind::OpenAi => &["/embeddings"],
    };
    let mut trimmed = path.as_str();
    if let Some(suffix) = suffixes.iter().find(|s| lower.ends_with(*s)) {
        trimmed = &path[..path.len() - suffix.len()];
    }
    let mut trimmed = trimmed.trim_end_matches('/').to_owned();
    if trimmed.is_empty() && kind == ProviderKind::OpenAi {
        trimmed = "/v1".to_owned();
    }
    url.set_path(&trimmed);
    Ok(url)
}

/// Why one attempt failed.
struct Fail {
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Fail {
    fn fatal(message: String) -> Fail {
        Fail { message, retryable: false, retry_after: None }
    }
}

fn classify(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Fail {
    let message = http::provider_message(body);
    let described =
        if message.is_empty() { format!("HTTP {status}") } else { format!("HTTP {}: {message}", status.as_u16()) };
    match status.as_u16() {
        401 | 403 => Fail::fatal(format!("the server refused the credentials ({described})")),
        429 | 500..=599 => Fail { message: described, retryable: true, retry_after },
        _ => Fail::fatal(described),
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, Fail> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(Fail::fatal(format!("the answer exceeds {} MiB", MAX_BODY_BYTES / (1024 * 1024))));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(Fail {
                    message: format!("the connection broke while reading the answer: {}", http::error_chain(&e)),
                    retryable: true,
                    retry_after: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_follow_each_providers_rule() {
        let base = |kind, raw| http::display_url(&normalise_base(kind, raw).unwrap());
        assert_eq!(base(ProviderKind::Ollama, "http://localhost:11434/api/embed"), "http://localhost:11434");
        assert_eq!(base(ProviderKind::Ollama, "http://localhost:11434/v1/"), "http://localhost:11434");
        assert_eq!(base(ProviderKind::OpenAi, "http://localhost:1234"), "http://localhost:1234/v1");
        assert_eq!(base(ProviderKind::OpenAi, "https://api.openai.com/v1/embeddings"), "https://api.openai.com/v1");
        assert_eq!(base(ProviderKind::OpenAi, "https://gw.example/api/v1"), "https://gw.example/api/v1");
    }

    #[test]
    fn instruction_prefixes_follow_the_model() {
        assert_eq!(instruction("nomic-embed-text:latest", TextKind::Query), "search_query: ");
        assert_eq!(instruction("nomic-ai/nomic-embed-text-v1.5", TextKind::Passage), "search_document: ");
        assert_eq!(instruction("bge-m3", TextKind::Query), "");
        assert_eq!(instruction("text-embedding-3-small", TextKind::Passage), "");
    }
}

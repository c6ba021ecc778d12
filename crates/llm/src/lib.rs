//! Language-model adapters: the HTTP side of [`engine::ports::Llm`].
//!
//! This crate owns talking to model servers — OpenAI-compatible `/chat/completions` (OpenAI and
//! the local servers: Ollama's `/v1`, LM Studio, llama.cpp, vLLM), Ollama's native `/api/chat`,
//! and Anthropic's Messages API — with streaming, structured output, timeouts, retries, call and
//! token accounting, cancellation, model listings and the discovery of local servers.
//!
//! It never decides what to ask (prompts belong to the engine), never stores settings or keys
//! (it is handed them), never validates the JSON a model returns against its schema, and never
//! lets an API key out: keys live in [`engine::ports::Sensitive`] and in header values marked
//! sensitive, and are scrubbed from every message the providers send back. Debug output, logs
//! and errors show `<redacted>` at most.
//!
//! Shared behaviour lives in one module (`transport`), the providers only describe their wire
//! formats:
//! - each attempt is bounded by [`HttpSettings::connect_timeout`] and
//!   [`HttpSettings::request_timeout`], a streamed body by [`HttpSettings::idle_timeout`] between
//!   chunks; a timeout is reported as [`LlmError::Timeout`] and not retried;
//! - 429, 5xx, connection failures, transient in-stream errors and streams cut before any text
//!   are retried with exponential backoff and jitter, honouring `Retry-After` (seconds, HTTP
//!   date, or `retry-after-ms`), up to [`HttpSettings::max_attempts`]; once text has gone out
//!   through `on_delta` nothing is retried, since shown text cannot be unsaid;
//! - `usage.calls` and every error count each request sent, retries included (a model listing
//!   is not a call);
//! - a server that refuses the structured-output field (400/422 naming it) gets the request once
//!   more without it;
//! - `complete` is cancel-safe (dropping its future drops the connection), and a client built
//!   `with_cancel(token)` ends its calls, backoff waits included, with [`LlmError::Cancelled`]
//!   when the token fires.
//!
//! Providers: [`OpenAiCompatible`], [`Ollama`], [`Anthropic`], or [`Provider`] / [`from_settings`]
//! to choose one from settings; [`probe_local_servers`] finds servers running on this machine.
#![warn(missing_docs)]

use std::str::FromStr;
use std::sync::Arc;

use engine::ports::{ChatRequest, ChatResponse, Llm, LlmError, Sensitive};
use reqwest::header::HeaderValue;
use tokio_util::sync::CancellationToken;

mod anthropic;
mod base;
mod ollama;
mod openai;
mod probe;
mod transport;

pub use anthropic::{Anthropic, DEFAULT_BASE_URL as ANTHROPIC_BASE_URL, DEFAULT_MAX_TOKENS};
pub use ollama::{DEFAULT_NUM_CTX, Ollama};
pub use openai::OpenAiCompatible;
pub use probe::{LocalServer, LocalServerKind, ProbeTarget, default_probe_targets, probe_local_servers, probe_servers};
pub use transport::HttpSettings;
/// HTTP helpers other adapters that talk to model servers share (the embedding providers).
pub use transport::{error_chain, is_loopback, provider_message, redact, retry_after};

/// A client cannot be built from these settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The base URL does not parse or is not usable.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as written (user info cut out).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Not one of `openai-compatible`, `ollama`, `anthropic`.
    #[error("unknown provider {0:?} (expected openai-compatible, ollama or anthropic)")]
    UnknownProvider(String),
    /// The API key cannot be sent in an HTTP header (a control character, say).
    #[error("the API key contains characters that cannot be sent in an HTTP header")]
    InvalidKey,
    /// The HTTP client could not be set up (TLS initialisation).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Which API a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// `/chat/completions` (OpenAI and compatible servers).
    OpenAiCompatible,
    /// Ollama's native API.
    Ollama,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ProviderKind {
    /// The settings spelling: `openai-compatible`, `ollama`, `anthropic`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::Ollama => "ollama",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ConfigError;

    /// Case-insensitive; `openai` is accepted for `openai-compatible`.
    fn from_str(s: &str) -> Result<ProviderKind, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai-compatible" | "openai_compatible" | "openai" => Ok(ProviderKind::OpenAiCompatible),
            "ollama" => Ok(ProviderKind::Ollama),
            "anthropic" => Ok(ProviderKind::Anthropic),
            _ => Err(ConfigError::UnknownProvider(s.to_owned())),
        }
    }
}

/// Everything needed to build a client, as the settings store holds it.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The API.
    pub kind: ProviderKind,
    /// The base URL as the user wrote it (each client documents its rule); empty means the
    /// provider's public endpoint for Anthropic.
    pub base_url: String,
    /// The model name or id.
    pub model: String,
    /// The API key, when the provider needs one.
    pub api_key: Option<Sensitive>,
    /// Timeouts and retries.
    pub http: HttpSettings,
    /// Ollama's `options.num_ctx`.
    pub num_ctx: u32,
    /// Anthropic's `max_tokens` when a request sets none.
    pub default_max_tokens: u32,
    /// Cancels every call of the client built from this config.
    pub cancel: Option<CancellationToken>,
}

impl ProviderConfig {
    /// A config with default timeouts, retries, `num_ctx` and `max_tokens`, no key, no token.
    pub fn new(kind: ProviderKind, base_url: impl Into<String>, model: impl Into<String>) -> Self {
        ProviderConfig {
            kind,
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            http: HttpSettings::default(),
            num_ctx: DEFAULT_NUM_CTX,
            default_max_tokens: DEFAULT_MAX_TOKENS,
            cancel: None,
        }
    }
}

/// Any of the three clients, for callers that also want [`Provider::list_models`] or to rebind
/// the cancel token of a client chosen at run time.
#[derive(Debug, Clone)]
pub enum Provider {
    /// `/chat/completions`.
    OpenAiCompatible(OpenAiCompatible),
    /// Ollama's native API.
    Ollama(Ollama),
    /// Anthropic.
    Anthropic(Anthropic),
}

impl Provider {
    /// Builds the client `config` describes.
    pub fn from_config(config: &ProviderConfig) -> Result<Provider, ConfigError> {
        let key = config.api_key.clone();
        let http = config.http.clone();
        let provider = match config.kind {
            ProviderKind::OpenAiCompatible => {
                Provider::OpenAiCompatible(OpenAiCompatible::new(&config.base_url, config.model.clone(), key, http)?)
            }
            ProviderKind::Ollama => Provider::Ollama(
                Ollama::new(&config.base_url, config.model.clone(), key, http)?.with_num_ctx(config.num_ctx),
            ),
            ProviderKind::Anthropic => Provider::Anthropic(
                Anthropic::new(&config.base_url, config.model.clone(), key, http)?
                    .with_default_max_tokens(config.default_max_tokens),
            ),
        };
        Ok(match &config.cancel {
            Some(token) => provider.with_cancel(token.clone()),
            None => provider,
        })
    }

    /// The same client, cancelled with `token`.
    #[must_use]
    pub fn with_cancel(self, token: CancellationToken) -> Provider {
        match self {
            Provider::OpenAiCompatible(c) => Provider::OpenAiCompatible(c.with_cancel(token)),
            Provider::Ollama(c) => Provider::Ollama(c.with_cancel(token)),
            Provider::Anthropic(c) => Provider::Anthropic(c.with_cancel(token)),
        }
    }

    /// The models the server offers (not counted as a call).
    pub async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        match self {
            Provider::OpenAiCompatible(c) => c.list_models().await,
            Provider::Ollama(c) => c.list_models().await,
            Provider::Anthropic(c) => c.list_models().await,
        }
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> String {
        match self {
            Provider::OpenAiCompatible(c) => c.base_url(),
            Provider::Ollama(c) => c.base_url(),
            Provider::Anthropic(c) => c.base_url(),
        }
    }
}

#[async_trait::async_trait]
impl Llm for Provider {
    fn describe(&self) -> String {
        match self {
            Provider::OpenAiCompatible(c) => c.describe(),
            Provider::Ollama(c) => c.describe(),
            Provider::Anthropic(c) => c.describe(),
        }
    }

    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        match self {
            Provider::OpenAiCompatible(c) => c.complete(request, on_delta).await,
            Provider::Ollama(c) => c.complete(request, on_delta).await,
            Provider::Anthropic(c) => c.complete(request, on_delta).await,
        }
    }
}

/// Model families trained on AutoCoA's tags, or reasoning models that think in `<think>` inside
/// their text and were not trained on function calls (matched in the lowercased model name).
const TAG_FAMILIES: [&str; 7] =
    ["autocoa", "deepseek-r1", "r1-distill", "deepseek-reasoner", "qwq", "openthinker", "marco-o1"];

/// The agent protocol `auto` stands for with this provider and model: the tag protocol for the
/// model families above (served by OpenAI-compatible servers or Ollama) (their training is the tag format, or reasoning in the text with no
/// function calling), native tool calls for every other model. The tag protocol continues a
/// partial assistant message, which OpenAI's hosted API does not do and which models trained on
/// function calls follow poorly; the provider's own tool calling is what they were trained on.
/// A server that turns out to refuse tools (an Ollama model without tool support) gets the tags
/// for that run anyway (the engine falls back on the first refusal).
pub fn auto_agent_protocol(kind: ProviderKind, model: &str) -> engine::run::AgentProtocol {
    let name = model.to_ascii_lowercase();
    // Anthropic serves only its own models, all trained on tool use.
    if kind != ProviderKind::Anthropic && TAG_FAMILIES.iter().any(|f| name.contains(f)) {
        engine::run::AgentProtocol::Tags
    } else {
        engine::run::AgentProtocol::Tools
    }
}

/// The composition root's entry point: the client `config` describes, as the engine holds it.
pub fn from_settings(config: &ProviderConfig) -> Result<Arc<dyn Llm>, ConfigError> {
    Ok(Arc::new(Provider::from_config(config)?))
}

/// Keys are pasted: surrounding whitespace (a trailing newline) is never part of one, and an
/// empty key means none.
fn clean_key(key: Option<Sensitive>) -> Option<Sensitive> {
    let key = key?;
    let trimmed = key.expose().trim();
    (!trimmed.is_empty()).then(|| Sensitive::new(trimmed))
}

/// A header value that reqwest (and `http`'s Debug) will never print.
fn header_value(secret: &str) -> Result<HeaderValue, ConfigError> {
    let mut value = HeaderValue::from_str(secret).map_err(|_| ConfigError::InvalidKey)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use engine::run::AgentProtocol;

    use super::{ProviderKind, auto_agent_protocol};

    #[test]
    fn auto_picks_tags_for_tag_trained_and_reasoning_models_and_tools_for_the_rest() {
        let tags = [
            (ProviderKind::OpenAiCompatible, "AutoCoA-7B"),
            (ProviderKind::Ollama, "deepseek-r1:14b"),
            (ProviderKind::OpenAiCompatible, "DeepSeek-R1-Distill-Qwen-7B"),
            (ProviderKind::Ollama, "qwq:32b"),
        ];
        for (kind, model) in tags {
            assert_eq!(auto_agent_protocol(kind, model), AgentProtocol::Tags, "{model}");
        }
        let tools = [
            (ProviderKind::OpenAiCompatible, "gpt-4o-mini"),
            (ProviderKind::Anthropic, "claude-sonnet-4-5"),
            (ProviderKind::Ollama, "qwen2.5:7b"),
            (ProviderKind::Ollama, "llama3.1"),
        ];
        for (kind, model) in tools {
            assert_eq!(auto_agent_protocol(kind, model), AgentProtocol::Tools, "{model}");
        }
    }
}

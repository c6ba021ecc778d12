//! The settings schema: what the desktop app's Settings view edits and `catena config` reads and
//! writes, as types. Choices are enums (an unknown provider cannot be stored), numbers are
//! checked once by [`Settings::validate`], and every error names the key it is about.
//!
//! The JSON shape is the one the app has always stored (one document per group in the catalog's
//! `settings` table) and sent to the page; older spellings (`openai` for `openai-compatible`, an
//! empty embedding provider for `local`) are read and written back in the canonical form by
//! [`crate::store::migrate`].
//!
//! API keys are not settings: they live in the OS keyring (`catena key`, the app's key fields).

use std::fmt;
use std::str::FromStr;

use engine::run::RunMode;
use engine::{EngineConfig, MissingPolicy};
use serde::{Deserialize, Serialize};

/// The smallest and largest chunk sizes the library settings accept.
pub const MIN_CHUNK_CHARS: usize = 200;
pub const MAX_CHUNK_CHARS: usize = 4000;

/// A setting that cannot be used: which key, and why (with the valid values where they are few).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingsError {
    /// The dotted key (`llm.provider`), or the group when the problem spans several keys.
    pub key: String,
    pub message: String,
}

impl SettingsError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> SettingsError {
        SettingsError { key: key.into(), message: message.into() }
    }
}

macro_rules! choice {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order they are listed to the user.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Every canonical name, comma-separated.
            pub fn names() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            /// Case-insensitive; older spellings are accepted; anything else is refused with
            /// the valid names.
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(format!("{s:?} is not one of: {}", $name::names())),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        /// In TypeScript, the union of the canonical names: what `serialize` writes.
        #[cfg(feature = "ts")]
        impl ts_rs::TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;

            fn docs() -> Option<String> {
                Some(ts_rs::format_docs(&[$($doc),*]))
            }

            fn name(_: &ts_rs::Config) -> String {
                stringify!($name).to_owned()
            }

            fn decl(cfg: &ts_rs::Config) -> String {
                format!("type {} = {};", stringify!($name), <Self as ts_rs::TS>::inline(cfg))
            }

            fn decl_concrete(cfg: &ts_rs::Config) -> String {
                <Self as ts_rs::TS>::decl(cfg)
            }

            fn inline(_: &ts_rs::Config) -> String {
                [$(concat!("\"", $text, "\"")),+].join(" | ")
            }

            fn output_path() -> Option<std::path::PathBuf> {
                Some(std::path::PathBuf::from(concat!(stringify!($name), ".ts")))
            }
        }
    };
}

choice! {
    /// The API a language model server speaks.
    LlmProvider {
        OpenAiCompatible = "openai-compatible" | "openai" | "openai_compatible",
        Ollama = "ollama",
        Anthropic = "anthropic",
    }
}

impl From<LlmProvider> for llm::ProviderKind {
    fn from(p: LlmProvider) -> llm::ProviderKind {
        match p {
            LlmProvider::OpenAiCompatible => llm::ProviderKind::OpenAiCompatible,
            LlmProvider::Ollama => llm::ProviderKind::Ollama,
            LlmProvider::Anthropic => llm::ProviderKind::Anthropic,
        }
    }
}

choice! {
    /// The preset the user picked in Settings: the label for the model settings (which server
    /// kind, its usual address).
    LlmPreset {
        OpenAi = "openai",
        Anthropic = "anthropic",
        Ollama = "ollama",
        LmStudio = "lmstudio",
        LlamaCpp = "llamacpp",
        Vllm = "vllm",
        OpenRouter = "openrouter",
        Custom = "custom",
    }
}

choice! {
    /// The web search provider.
    WebProvider {
        Wikipedia = "wikipedia" | "mediawiki",
        Searxng = "searxng",
        Brave = "brave",
        Tavily = "tavily",
    }
}

choice! {
    /// Where semantic search's embedding model comes from.
    EmbeddingProvider {
        /// The default model in `<data dir>/models` (stored as "" before the choice had a name).
        Local = "local" | "",
        /// A model folder the user chose.
        Folder = "folder",
        Ollama = "ollama",
        /// Any OpenAI-compatible server.
        OpenAi = "openai",
        /// No semantic search.
        Off = "off",
    }
}

choice! {
    /// How a question is answered unless the ask box or `--mode` says otherwise.
    AskMode {
        /// Chain-of-Action: plan, run the steps, answer.
        Chain = "chain",
        /// A reasoning model looks things up from inside its thinking (AutoCoA).
        Agent = "agent",
    }
}

choice! {
    /// Agent mode: how the model asks for actions.
    AgentProtocolChoice {
        /// By provider and model (`llm::auto_agent_protocol`): tags for models trained on them
        /// (AutoCoA, R1 distills, QwQ), the provider's tool calls for the rest.
        Auto = "auto",
        /// AutoCoA's tags inside the thinking.
        Tags = "tags",
        /// The provider's native tool calling.
        Tools = "tools",
    }
}

choice! {
    /// Agent mode: real observations, predicted then checked, or predicted only.
    ObservationsChoice {
        Real = "real",
        Predict = "predict",
        PredictedOnly = "predicted_only" | "predicted-only",
    }
}

impl From<ObservationsChoice> for engine::run::Observations {
    fn from(o: ObservationsChoice) -> engine::run::Observations {
        match o {
            ObservationsChoice::Real => engine::run::Observations::Real,
            ObservationsChoice::Predict => engine::run::Observations::Predict,
            ObservationsChoice::PredictedOnly => engine::run::Observations::PredictedOnly,
        }
    }
}

impl From<AskMode> for RunMode {
    fn from(m: AskMode) -> RunMode {
        match m {
            AskMode::Chain => RunMode::Chain,
            AskMode::Agent => RunMode::Agent,
        }
    }
}

impl From<RunMode> for AskMode {
    fn from(m: RunMode) -> AskMode {
        match m {
            RunMode::Chain => AskMode::Chain,
            RunMode::Agent => AskMode::Agent,
        }
    }
}

choice! {
    /// What to do with a step the planner answered itself.
    Missing {
        /// Retrieve anyway and check the guess against the references (every answer gets evidence).
        RetrieveAndVerify = "retrieve_and_verify" | "verify",
        /// Trust the guess; no retrieval (cheapest).
        SkipRetrieval = "skip_retrieval" | "skip",
    }
}

impl From<Missing> for MissingPolicy {
    fn from(m: Missing) -> MissingPolicy {
        match m {
            Missing::RetrieveAndVerify => MissingPolicy::RetrieveAndVerify,
            Missing::SkipRetrieval => MissingPolicy::SkipRetrieval,
        }
    }
}

impl From<MissingPolicy> for Missing {
    fn from(m: MissingPolicy) -> Missing {
        match m {
            MissingPolicy::RetrieveAndVerify => Missing::RetrieveAndVerify,
            MissingPolicy::SkipRetrieval => Missing::SkipRetrieval,
        }
    }
}

/// The language model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct LlmSettings {
    /// Whether runs may use a model at all; off means extractive answers.
    pub enabled: bool,
    /// The preset the user picked; the UI's label for the settings below.
    pub preset: LlmPreset,
    /// The API the server speaks.
    pub provider: LlmProvider,
    pub base_url: String,
    pub model: String,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            enabled: false,
            preset: LlmPreset::Ollama,
            provider: LlmProvider::Ollama,
            base_url: "http://127.0.0.1:11434".into(),
            model: String::new(),
        }
    }
}

/// Web search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct WebSettings {
    pub provider: WebProvider,
    /// The search endpoint (SearXNG's instance URL; the others have a public default).
    pub search_url: String,
    /// No web access at all: web steps are recorded as not run.
    pub offline: bool,
    /// Allow fetching pages on private and loopback addresses.
    pub allow_private_network: bool,
    /// Results per web search.
    pub k: u32,
    /// Fetch and read the result pages, not only their snippets.
    pub fetch_pages: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            provider: WebProvider::Wikipedia,
            search_url: String::new(),
            offline: true,
            allow_private_network: false,
            k: 5,
            fetch_pages: true,
        }
    }
}

/// How the engine runs a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct EngineSettings {
    pub mrfs_threshold: f64,
    pub missing_policy: Missing,
    pub top_k: usize,
    pub max_nodes: usize,
    /// How a question is answered unless the ask box or `--mode` says otherwise.
    pub run_mode: AskMode,
    /// Agent mode: how the model asks for actions.
    pub agent_protocol: AgentProtocolChoice,
    /// Agent mode: real, predicted-then-checked or predicted-only observations.
    pub observations: ObservationsChoice,
}

impl Default for EngineSettings {
    fn default() -> Self {
        let d = EngineConfig::default();
        EngineSettings {
            mrfs_threshold: d.mrfs_threshold,
            missing_policy: d.missing_policy.into(),
            top_k: d.top_k,
            max_nodes: d.max_nodes,
            run_mode: d.run_mode.into(),
            agent_protocol: AgentProtocolChoice::Auto,
            observations: ObservationsChoice::Real,
        }
    }
}

/// How files are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct LibrarySettings {
    /// Target chunk size (applies to files added after the app restarts).
    pub chunk_chars: usize,
    /// Read scanned pages and images through Tesseract.
    pub ocr: bool,
    /// Tesseract languages, `+`-separated (`eng`, `eng+deu`).
    pub ocr_languages: String,
}

impl Default for LibrarySettings {
    fn default() -> Self {
        LibrarySettings {
            chunk_chars: library::ChunkOptions::default().target_chars,
            ocr: true,
            ocr_languages: "eng".into(),
        }
    }
}

/// The embedding model semantic search uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct EmbeddingSettings {
    pub provider: EmbeddingProvider,
    /// The model folder, for `folder`.
    pub model_dir: String,
    /// The server's base URL, for `ollama` and `openai` (empty: the provider's usual address).
    pub base_url: String,
    /// The server's model name, for `ollama` and `openai`.
    pub model: String,
}

impl Default for EmbeddingSettings {
    fn default() -> Self {
        EmbeddingSettings {
            provider: EmbeddingProvider::Local,
            model_dir: String::new(),
            base_url: String::new(),
            model: String::new(),
        }
    }
}

/// Every setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Settings {
    pub llm: LlmSettings,
    pub web: WebSettings,
    pub engine: EngineSettings,
    pub library: LibrarySettings,
    pub embedding: EmbeddingSettings,
}

/// The settings groups, as stored (one catalog row each).
pub const GROUPS: [&str; 5] = ["llm", "web", "engine", "library", "embedding"];

fn http_url(key: &str, url: &str) -> Result<(), SettingsError> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(());
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(SettingsError::new(key, format!("{url:?} is not an http(s) URL"))),
    }
}

fn in_range<T: PartialOrd + fmt::Display>(
    key: &str,
    value: T,
    low: T,
    high: T,
    what: &str,
) -> Result<(), SettingsError> {
    if value < low || value > high {
        return Err(SettingsError::new(key, format!("{what} must be between {low} and {high} (got {value})")));
    }
    Ok(())
}

impl Settings {
    /// Checks every value a type cannot rule out; the first problem is returned, naming its key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let e = &self.engine;
        if !(0.0..=1.0).contains(&e.mrfs_threshold) {
            return Err(SettingsError::new(
                "engine.mrfs_threshold",
                format!("the MRFS threshold must be between 0 and 1 (got {})", e.mrfs_threshold),
            ));
        }
        in_range("engine.top_k", e.top_k, 1, 50, "references per step")?;
        in_range("engine.max_nodes", e.max_nodes, 1, 30, "the longest chain")?;
        in_range("library.chunk_chars", self.library.chunk_chars, MIN_CHUNK_CHARS, MAX_CHUNK_CHARS, "chunk size")?;
        if self.library.ocr {
            library::parse_ocr_languages(&self.library.ocr_languages)
                .map_err(|e| SettingsError::new("library.ocr_languages", e.to_string()))?;
        }
        in_range("web.k", self.web.k, 1, 20, "web results per search")?;
        self.web.provider()?;
        http_url("llm.base_url", &self.llm.base_url)?;
        self.embedding.validate()
    }
}

impl WebSettings {
    /// The web search provider these settings describe (SearXNG needs its address).
    pub fn provider(&self) -> Result<web::Provider, SettingsError> {
        let url = Some(self.search_url.trim()).filter(|u| !u.is_empty());
        web::Provider::from_name(self.provider.as_str(), url)
            .map_err(|e| SettingsError::new("web.search_url", format!("web search: {e}")))
    }
}

impl EmbeddingSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.provider == EmbeddingProvider::Folder && self.model_dir.trim().is_empty() {
            return Err(SettingsError::new("embedding.model_dir", "choose the folder that holds the embedding model"));
        }
        if matches!(self.provider, EmbeddingProvider::Ollama | EmbeddingProvider::OpenAi)
            && self.model.trim().is_empty()
        {
            return Err(SettingsError::new(
                "embedding.model",
                "name the embedding model the server should use (for example nomic-embed-text)",
            ));
        }
        http_url("embedding.base_url", &self.base_url)
    }
}

impl EngineSettings {
    /// The engine's configuration for one run.
    pub fn engine_config(&self, run_mode: RunMode, use_llm: bool, run_id: String) -> EngineConfig {
        let mut config = EngineConfig::default();
        if (0.0..=1.0).contains(&self.mrfs_threshold) {
            config.mrfs_threshold = self.mrfs_threshold;
        }
        config.missing_policy = self.missing_policy.into();
        if self.top_k > 0 {
            config.top_k = self.top_k;
        }
        if self.max_nodes > 0 {
            config.max_nodes = self.max_nodes;
        }
        config.run_mode = run_mode;
        config.use_llm = use_llm;
        config.run_id = run_id;
        config
    }
}

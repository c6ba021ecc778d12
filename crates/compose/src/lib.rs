//! One question's run over a library, composed from settings: the model client, the web action,
//! the tables, the engine configuration, the run and its place in the history.
//!
//! `catena ask` and the MCP server's `ask` tool both run questions through [`prepare`] and
//! [`Prepared::run`], so the two answer the same question the same way and store the same
//! record. Front ends keep what is theirs: where settings come from (flags, environment, the
//! keyring) and how progress and notes are shown.

use std::sync::Arc;

use engine::ports::{Clock, Corpus, Llm, Sensitive, WebSearch};
use engine::run::{Event, RunMode, RunRecord};
use engine::{CancellationToken, Engine, EngineConfig, EngineError, MissingPolicy, Ports};
use library::Library;
use library::compose::{SystemClock, new_run_id};
use llm::{Provider, ProviderConfig, ProviderKind};

/// The language model to answer with.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// The API the server speaks.
    pub provider: ProviderKind,
    /// Base URL (may be empty for Anthropic's public endpoint).
    pub url: String,
    /// Model name.
    pub model: String,
    /// The key, if any; it never leaves [`Sensitive`].
    pub api_key: Option<Sensitive>,
}

/// The web action as the user set it up.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Provider name: wikipedia, searxng, brave, tavily.
    pub provider: String,
    /// The provider's address (required for searxng).
    pub search_url: Option<String>,
    /// No web traffic at all: web steps are recorded as not run, with the reason.
    pub offline: bool,
    /// Let page fetches reach loopback and private-network addresses.
    pub allow_private_network: bool,
    /// The provider's key, for those that need one.
    pub api_key: Option<Sensitive>,
}

/// How a run is composed.
#[derive(Debug, Clone, Default)]
pub struct AskSettings {
    /// `None`: answer extractively.
    pub model: Option<ModelSettings>,
    /// `None`: no web action (web steps are skipped with the reason).
    pub web: Option<WebSettings>,
    /// Chain-of-Action or agent mode (agent mode needs a model).
    pub mode: RunMode,
    /// MRFS threshold τ in [0, 1].
    pub mrfs_threshold: Option<f64>,
    /// Skip retrieval for steps the planner answered itself.
    pub skip_retrieval: bool,
    /// References retrieved per step.
    pub top_k: Option<usize>,
    /// Longest chain of steps.
    pub max_nodes: Option<usize>,
}

/// Settings that cannot make a run.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A value out of range, a missing model name, agent mode without a model, an unknown web
    /// provider: what to change is in the message.
    #[error("{0}")]
    Invalid(String),
}

/// Why a prepared run did not produce a record.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The caller cancelled; nothing was stored.
    #[error("cancelled: the run was not stored")]
    Cancelled,
    /// The model server refused the credentials (message scrubbed of the key).
    #[error("the {provider} server at {url} refused the credentials ({message}); {hint}")]
    Refused {
        /// Provider name.
        provider: String,
        /// Base URL, credentials cut out.
        url: String,
        /// What the server said.
        message: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// Anything else the engine reported.
    #[error(transparent)]
    Engine(EngineError),
}

/// The model of a prepared run, described without its key.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// `openai-compatible test at http://…`, credentials cut out.
    pub describe: String,
    /// Normalised base URL, credentials cut out.
    pub url: String,
    /// The provider.
    pub provider: ProviderKind,
    key: Option<Sensitive>,
}

impl ModelInfo {
    /// Removes the key from a provider's message (the llm crate already scrubs them; this is the
    /// last line of defence before a person or another program sees it).
    pub fn scrub(&self, message: &str) -> String {
        match &self.key {
            Some(k) if k.expose().len() >= 4 => message.replace(k.expose(), "<redacted>"),
            _ => message.to_string(),
        }
    }
}

/// A run ready to start.
pub struct Prepared {
    engine: Engine,
    lib: Arc<Library>,
    /// The model, or `None` for an extractive run.
    pub model: Option<ModelInfo>,
    /// The run id the record will carry.
    pub run_id: String,
    /// Things worth telling the person asking (web provider in use, a missing web key, offline).
    pub notes: Vec<String>,
}

/// A finished run.
pub struct Finished {
    /// The record, as `catena ask --json` prints it.
    pub record: RunRecord,
    /// Why the run could not be stored in the history, if it could not.
    pub not_stored: Option<String>,
    /// The model's failure when the answer ended extractive although a model was configured
    /// (scrubbed).
    pub llm_error: Option<String>,
}

/// Composes a run over `lib`. `cancel` also stops the model client's requests.
pub fn prepare(
    lib: Arc<Library>,
    settings: &AskSettings,
    cancel: &CancellationToken,
) -> Result<Prepared, ComposeError> {
    let invalid = |m: String| ComposeError::Invalid(m);
    let model = match &settings.model {
        Some(m) => Some(model(m, cancel)?),
        None => None,
    };
    if settings.mode == RunMode::Agent && model.is_none() {
        return Err(invalid(
            "agent mode needs a language model: pass --llm-url and --model (or set CATENA_LLM_URL and CATENA_LLM_MODEL)"
                .into(),
        ));
    }
    let clock = Arc::new(SystemClock);
    let run_id = new_run_id(clock.now_unix_ms());
    let config = engine_config(settings, model.is_some(), run_id.clone())?;

    let mut ports = Ports::new(lib.clone() as Arc<dyn Corpus>, clock)
        // Data-analysis nodes run over the tables the library keeps from CSV/TSV/XLSX files.
        .with_tables(Arc::new(tables::LibraryTables::new(lib.clone())));
    if let Some((_, client)) = &model {
        ports = ports.with_llm(client.clone());
    }
    let mut notes = Vec::new();
    if let Some(web) = &settings.web {
        ports = ports.with_web(web_search(web, &lib, &mut notes)?);
    }
    Ok(Prepared { engine: Engine::new(config, ports), lib, model: model.map(|(info, _)| info), run_id, notes })
}

impl Prepared {
    /// Runs the question, sending the engine's events to `events`, and stores the finished run
    /// (a cancelled run stores nothing).
    pub async fn run(
        self,
        question: &str,
        events: &tokio::sync::mpsc::UnboundedSender<Event>,
        cancel: &CancellationToken,
    ) -> Result<Finished, AskError> {
        let record = match self.engine.ask(question, events, cancel).await {
            Ok(r) if !cancel.is_cancelled() => r,
            Ok(_) | Err(EngineError::Cancelled) => return Err(AskError::Cancelled),
            Err(EngineError::ProviderAuth(message)) => {
                let (url, provider, key_sent, message) = match &self.model {
                    Some(m) => (m.url.clone(), m.provider.as_str(), m.key.is_some(), m.scrub(&message)),
                    None => (String::new(), "", false, message),
                };
                let hint = if key_sent {
                    "check the API key (CATENA_LLM_API_KEY, or the one stored with `catena key set`)"
                } else {
                    "no API key was sent: set CATENA_LLM_API_KEY or store one with `catena key set`"
                };
                return Err(AskError::Refused { provider: provider.to_string(), url, message, hint });
            }
            Err(e) => return Err(AskError::Engine(e)),
        };
        // The answer is already paid for: a run that cannot be stored is still returned.
        let not_stored = self.lib.catalog().save_run(&record).await.err().map(|e| e.to_string());
        let llm_error = match (&self.model, record.llm_error.as_deref()) {
            (Some(m), Some(error)) => Some(m.scrub(error)),
            _ => None,
        };
        Ok(Finished { record, not_stored, llm_error })
    }
}

fn model(settings: &ModelSettings, cancel: &CancellationToken) -> Result<(ModelInfo, Arc<dyn Llm>), ComposeError> {
    let model = settings.model.trim();
    if model.is_empty() {
        return Err(ComposeError::Invalid(
            "no model name: pass --model NAME or set CATENA_LLM_MODEL (or pass --no-llm)".into(),
        ));
    }
    let mut config = ProviderConfig::new(settings.provider, settings.url.trim(), model);
    config.api_key = settings.api_key.clone();
    config.cancel = Some(cancel.clone());
    let provider = Provider::from_config(&config)
        .map_err(|e| ComposeError::Invalid(format!("cannot use the language model settings: {e}")))?;
    let info = ModelInfo {
        describe: provider.describe(),
        url: provider.base_url(),
        provider: settings.provider,
        key: settings.api_key.clone(),
    };
    Ok((info, Arc::new(provider)))
}

fn engine_config(settings: &AskSettings, use_llm: bool, run_id: String) -> Result<EngineConfig, ComposeError> {
    let mut config = EngineConfig::default();
    if let Some(t) = settings.mrfs_threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(ComposeError::Invalid(format!("--mrfs-threshold must be between 0 and 1 (got {t})")));
        }
        config.mrfs_threshold = t;
    }
    config.missing_policy =
        if settings.skip_retrieval { MissingPolicy::SkipRetrieval } else { MissingPolicy::RetrieveAndVerify };
    for (flag, value, target) in
        [("--top-k", settings.top_k, &mut config.top_k), ("--max-nodes", settings.max_nodes, &mut config.max_nodes)]
    {
        match value {
            Some(0) => return Err(ComposeError::Invalid(format!("{flag} must be at least 1"))),
            Some(n) => *target = n,
            None => {}
        }
    }
    config.use_llm = use_llm;
    config.run_id = run_id;
    config.run_mode = settings.mode;
    Ok(config)
}

/// The web action; answers and pages are cached in the catalog.
fn web_search(
    settings: &WebSettings,
    lib: &Library,
    notes: &mut Vec<String>,
) -> Result<Arc<dyn WebSearch>, ComposeError> {
    let provider = web::Provider::from_name(&settings.provider, settings.search_url.as_deref())
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    let mut config = web::WebConfig::new(provider);
    config.offline = settings.offline;
    config.allow_private_network = settings.allow_private_network;
    if config.provider.needs_key() && !settings.offline {
        config.api_key = settings.api_key.clone();
        if config.api_key.is_none() {
            notes.push(format!(
                "warning: no API key for {0}: store one with `catena key set {0}`; web steps will fail",
                config.provider.name()
            ));
        }
    }
    if settings.offline {
        notes.push("offline: no web requests are made".into());
    } else {
        notes.push(format!("searching the web with {} at {}", config.provider.name(), config.provider.url()));
    }
    let client = web::WebClient::new(config, Some(lib.catalog().web_cache()))
        .map_err(|e| ComposeError::Invalid(e.to_string()))?;
    Ok(Arc::new(client))
}

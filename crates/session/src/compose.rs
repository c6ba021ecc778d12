//! One composition of a run for every front end: the settings with the caller's overrides (CLI
//! flags, the ask box's choice) become the engine's configuration and its ports — the library
//! as the corpus, the model client with its key, the web search client, the tables over the
//! library, the system clock — and a fresh run id.

use std::sync::Arc;

use engine::ports::{Clock, Corpus, Llm, Sensitive, WebSearch};
use engine::run::{Event, RunMode, RunRecord};
use engine::{CancellationToken, Engine, EngineConfig, EngineError, Ports};
use library::Library;
use library::compose::{SystemClock, new_run_id};
use secrets::SecretStore;
use tokio::sync::mpsc::UnboundedSender;

use crate::keys;
use crate::settings::{
    AgentProtocolChoice, AskMode, LlmProvider, LlmSettings, Missing, ObservationsChoice, Settings, SettingsError,
    WebProvider, WebSettings,
};

/// What the caller changes for one question; `None` keeps the stored setting.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Answer extractively even when a model is configured.
    pub no_llm: bool,
    pub llm_provider: Option<LlmProvider>,
    pub llm_url: Option<String>,
    pub model: Option<String>,
    /// Search the web with this provider (turns web access on unless `offline`).
    pub web: Option<WebProvider>,
    pub search_url: Option<String>,
    /// No web traffic for this question.
    pub offline: bool,
    /// Let page fetches reach private addresses for this question.
    pub allow_private_network: bool,
    pub mode: Option<AskMode>,
    pub agent_protocol: Option<AgentProtocolChoice>,
    pub observations: Option<ObservationsChoice>,
    pub mrfs_threshold: Option<f64>,
    pub missing_policy: Option<Missing>,
    pub top_k: Option<usize>,
    pub max_nodes: Option<usize>,
}

impl Overrides {
    /// Whether the caller named a model server or model itself.
    pub fn names_a_model(&self) -> bool {
        [&self.llm_url, &self.model].iter().any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
            || self.llm_provider.is_some()
    }
}

/// Trimmed, and `None` when blank (an empty environment variable counts as unset).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Settings {
    /// These settings with `o` applied, validated. A model named by the caller is used even when
    /// the stored one is switched off; without a stored model, a server address alone means an
    /// OpenAI-compatible one (the CLI's long-standing default).
    pub fn with_overrides(&self, o: &Overrides) -> Result<Settings, SettingsError> {
        let mut s = self.clone();
        if o.names_a_model() {
            if !s.llm.enabled {
                s.llm = LlmSettings {
                    enabled: true,
                    provider: LlmProvider::OpenAiCompatible,
                    base_url: String::new(),
                    model: String::new(),
                    ..s.llm
                };
            }
            if let Some(p) = o.llm_provider {
                if p != s.llm.provider && given(&o.llm_url).is_none() {
                    // Another API at the stored server's address would be a guess; Anthropic's
                    // public endpoint needs none.
                    s.llm.base_url = String::new();
                }
                s.llm.provider = p;
            }
            if let Some(url) = given(&o.llm_url) {
                s.llm.base_url = url.to_owned();
            }
            if let Some(model) = given(&o.model) {
                s.llm.model = model.to_owned();
            }
        }
        if o.no_llm {
            s.llm.enabled = false;
        }
        if let Some(web) = o.web {
            s.web.provider = web;
            s.web.offline = false;
            if given(&o.search_url).is_none() {
                s.web.search_url = String::new();
            }
        }
        if let Some(url) = given(&o.search_url) {
            s.web.search_url = url.to_owned();
        }
        s.web.offline |= o.offline;
        s.web.allow_private_network |= o.allow_private_network;
        if let Some(m) = o.mode {
            s.engine.run_mode = m;
        }
        if let Some(p) = o.agent_protocol {
            s.engine.agent_protocol = p;
        }
        if let Some(obs) = o.observations {
            s.engine.observations = obs;
        }
        if let Some(t) = o.mrfs_threshold {
            s.engine.mrfs_threshold = t;
        }
        if let Some(p) = o.missing_policy {
            s.engine.missing_policy = p;
        }
        if let Some(k) = o.top_k {
            s.engine.top_k = k;
        }
        if let Some(n) = o.max_nodes {
            s.engine.max_nodes = n;
        }
        s.validate()?;
        Ok(s)
    }
}

/// Why a run cannot be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The model settings name a server but no model.
    #[error("no model name: the {provider} server at {url} needs one")]
    NoModelName { provider: LlmProvider, url: String },
    /// The model settings cannot make a client (a bad URL, say).
    #[error("the language model settings cannot be used: {0}")]
    Model(#[from] llm::ConfigError),
    /// The web search settings cannot make a client.
    #[error("the web search settings cannot be used: {0}")]
    Web(#[from] web::ConfigError),
    /// Agent mode without a usable model.
    #[error("agent mode needs a language model")]
    AgentNeedsModel,
}

/// The model client the settings describe (even without a model name, to list the server's
/// models), or `None` when they name no server: the other APIs are usually local servers and
/// need their address, while Anthropic has a public endpoint, so a model name alone configures it.
pub fn model_client(
    llm: &LlmSettings,
    key: Option<Sensitive>,
    cancel: Option<&CancellationToken>,
) -> Result<Option<llm::Provider>, llm::ConfigError> {
    let url = llm.base_url.trim();
    let model = llm.model.trim();
    let anthropic_default = llm.provider == LlmProvider::Anthropic && !model.is_empty();
    if url.is_empty() && !anthropic_default {
        return Ok(None);
    }
    let mut config = llm::ProviderConfig::new(llm.provider.into(), url, model);
    config.api_key = key;
    config.cancel = cancel.cloned();
    llm::Provider::from_config(&config).map(Some)
}

/// The model a run uses.
pub struct Model {
    pub client: Arc<dyn Llm>,
    /// `openai-compatible test at http://…`, credentials cut out.
    pub describe: String,
    /// Normalised base URL, credentials cut out.
    pub url: String,
    pub provider: LlmProvider,
    /// The key sent, so a front end can scrub it from anything it prints.
    pub key: Option<Sensitive>,
}

/// Why a run has no model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoModel {
    /// Switched off (in the settings, or for this question).
    Disabled,
    /// No server (or no Anthropic model) configured.
    NotConfigured,
}

/// How a run uses the web.
#[derive(Debug, Clone)]
pub struct WebUse {
    pub provider: WebProvider,
    pub url: String,
    pub offline: bool,
    /// The provider needs a key and none is stored.
    pub key_missing: bool,
}

/// A run ready to go: the effective settings, the engine's configuration and ports, and what
/// the front end may want to say about them.
pub struct Run {
    pub settings: Settings,
    pub config: EngineConfig,
    pub ports: Ports,
    pub model: Result<Model, NoModel>,
    pub web: WebUse,
    /// Warnings to show (a keyring that could not be read, say); never a key.
    pub notes: Vec<String>,
}

impl Run {
    /// Runs the question; events go to `events` as the run unfolds.
    pub async fn ask(
        self,
        question: &str,
        events: &UnboundedSender<Event>,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, EngineError> {
        Engine::new(self.config, self.ports).ask(question, events, cancel).await
    }

    /// The mode the run answers in.
    pub fn mode(&self) -> RunMode {
        self.config.run_mode
    }
}

/// Composes a run over `lib` from `settings` (already with the caller's overrides applied),
/// finding keys in `keys`. The model client and the web client stop when `cancel` fires.
///
/// The web search port is attached when the web is on, or when this question was asked offline
/// (`Overrides::offline`: its web steps are then recorded as not run, with the reason); with the
/// web off in the settings the planner is not offered web steps at all.
pub fn prepare(
    lib: Arc<Library>,
    settings: Settings,
    offline_asked: bool,
    keys: &dyn SecretStore,
    cancel: &CancellationToken,
) -> Result<Run, ComposeError> {
    let mut notes = Vec::new();
    let model = model(&settings.llm, keys, cancel, &mut notes)?;
    let mode: RunMode = settings.engine.run_mode.into();
    if mode == RunMode::Agent && model.is_err() {
        return Err(ComposeError::AgentNeedsModel);
    }
    let clock = Arc::new(SystemClock);
    let run_id = new_run_id(clock.now_unix_ms());
    let mut config = settings.engine.engine_config(mode, model.is_ok(), run_id);
    config.agent_protocol = match settings.engine.agent_protocol {
        AgentProtocolChoice::Tags => engine::run::AgentProtocol::Tags,
        AgentProtocolChoice::Tools => engine::run::AgentProtocol::Tools,
        AgentProtocolChoice::Auto => llm::auto_agent_protocol(settings.llm.provider.into(), settings.llm.model.trim()),
    };
    config.observations = settings.engine.observations.into();
    let mut ports =
        Ports::new(lib.clone() as Arc<dyn Corpus>, clock).with_tables(Arc::new(library_tables(lib.clone())));
    if let Ok(m) = &model {
        ports = ports.with_llm(m.client.clone());
    }
    let (web, web_use) = web_client(&settings.web, &lib, keys, &mut notes)?;
    if !settings.web.offline || offline_asked {
        ports = ports.with_web(web);
    }
    Ok(Run { settings, config, ports, model, web: web_use, notes })
}

fn model(
    llm: &LlmSettings,
    keys: &dyn SecretStore,
    cancel: &CancellationToken,
    notes: &mut Vec<String>,
) -> Result<Result<Model, NoModel>, ComposeError> {
    if !llm.enabled {
        return Ok(Err(NoModel::Disabled));
    }
    if model_client(llm, None, None)?.is_none() {
        return Ok(Err(NoModel::NotConfigured));
    }
    if llm.model.trim().is_empty() {
        return Err(ComposeError::NoModelName { provider: llm.provider, url: llm.base_url.trim().to_owned() });
    }
    // A keyring that cannot be read means no key: a local server needs none, and one that does
    // reports the missing key itself.
    let key = keys::llm_key(keys, llm.provider).unwrap_or_else(|e| {
        notes.push(format!("no API key from the keyring: {e}"));
        None
    });
    let Some(client) = model_client(llm, key.clone(), Some(cancel))? else {
        return Ok(Err(NoModel::NotConfigured));
    };
    Ok(Ok(Model {
        describe: engine::ports::Llm::describe(&client),
        url: client.base_url(),
        client: Arc::new(client),
        provider: llm.provider,
        key,
    }))
}

/// The web search client (offline still attaches it, so web steps are recorded as not run, with
/// the reason); answers and pages are cached in the catalog.
fn web_client(
    web: &WebSettings,
    lib: &Library,
    keys: &dyn SecretStore,
    notes: &mut Vec<String>,
) -> Result<(Arc<dyn WebSearch>, WebUse), ComposeError> {
    let provider = web.provider()?;
    let mut config = web::WebConfig::new(provider);
    config.offline = web.offline;
    config.allow_private_network = web.allow_private_network;
    config.k = usize::try_from(web.k).unwrap_or(5).max(1);
    config.fetch_pages = web.fetch_pages;
    let mut key_missing = false;
    if config.provider.needs_key() && !web.offline {
        config.api_key = keys::web_key(keys, web.provider).unwrap_or_else(|e| {
            notes.push(format!("no API key from the keyring: {e}"));
            None
        });
        key_missing = config.api_key.is_none();
    }
    let web_use =
        WebUse { provider: web.provider, url: config.provider.url().to_string(), offline: web.offline, key_missing };
    let client = web::WebClient::new(config, Some(lib.catalog().web_cache()))?;
    Ok((Arc::new(client), web_use))
}

/// The library's tables, as the data-analysis action reads them.
pub struct LibraryTableStore(pub Arc<Library>);

#[async_trait::async_trait]
impl tables::TableStore for LibraryTableStore {
    async fn tables(&self) -> Result<Vec<tables::StoredTable>, String> {
        let docs = self.0.documents().await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for d in docs.into_iter().filter(|d| d.status == library::Status::Indexed) {
            for t in self.0.catalog().tables(d.id).await.map_err(|e| e.to_string())? {
                out.push(tables::StoredTable {
                    id: t.id,
                    doc_id: d.id,
                    path: d.path.clone(),
                    title: d.title.clone(),
                    sheet: t.sheet,
                    columns: t
                        .columns
                        .iter()
                        .map(|c| tables::Column { name: c.name.clone(), kind: tables::Kind::parse(&c.kind) })
                        .collect(),
                    row_count: t.row_count,
                });
            }
        }
        Ok(out)
    }

    async fn rows(&self, id: i64, first: u64, last: u64) -> Result<Vec<serde_json::Value>, String> {
        self.0.catalog().table_rows(id, first, last).await.map_err(|e| e.to_string())
    }
}

/// The data-analysis action over `lib`'s tables.
pub fn library_tables(lib: Arc<Library>) -> tables::LibraryTables {
    tables::LibraryTables::new(Arc::new(LibraryTableStore(lib)))
}

//! Settings: stored in the catalog as one JSON document per group (`llm`, `web`, `engine`,
//! `library`, `embedding`), read back with defaults for anything missing, and turned into the engine's
//! configuration and the model client for a run.
//!
//! API keys never enter these documents or the DTOs: they go straight to the OS keyring, and
//! the UI only learns whether one is stored (`key_stored`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use engine::ports::{Llm, Sensitive};
use engine::run::RunMode;
use engine::{CancellationToken, EngineConfig, MissingPolicy};
use llm::{Provider, ProviderConfig, ProviderKind};
use serde::{Deserialize, Serialize};
use store::Catalog;
use tauri::State;

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

pub const MIN_CHUNK_CHARS: usize = 200;
pub const MAX_CHUNK_CHARS: usize = 4000;

/// The language model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LlmSettings {
    /// Whether runs may use a model at all; off means extractive answers.
    pub enabled: bool,
    /// The preset the user picked (`openai`, `anthropic`, `ollama`, `lmstudio`, `llamacpp`, `vllm`,
    /// `openrouter`, `custom`); the UI's label for the settings below.
    pub preset: String,
    /// The API: `openai-compatible`, `ollama` or `anthropic`.
    pub provider: String,
    pub base_url: String,
    pub model: String,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            enabled: false,
            preset: "ollama".into(),
            provider: "ollama".into(),
            base_url: "http://127.0.0.1:11434".into(),
            model: String::new(),
        }
    }
}

/// Web search (the `web` adapter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebSettings {
    /// `searxng`, `brave`, `tavily` or `wikipedia`.
    pub provider: String,
    /// The search endpoint (SearXNG's instance URL; the others have a public default).
    pub search_url: String,
    /// No web access at all: web steps are skipped.
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
            provider: "wikipedia".into(),
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
#[serde(default)]
pub struct EngineSettings {
    pub mrfs_threshold: f64,
    pub missing_policy: MissingPolicy,
    pub top_k: usize,
    pub max_nodes: usize,
    /// How a question is answered unless the ask box says otherwise: `chain` or `agent`.
    pub run_mode: RunMode,
}

impl Default for EngineSettings {
    fn default() -> Self {
        let d = EngineConfig::default();
        EngineSettings {
            mrfs_threshold: d.mrfs_threshold,
            missing_policy: d.missing_policy,
            top_k: d.top_k,
            max_nodes: d.max_nodes,
            run_mode: d.run_mode,
        }
    }
}

/// How files are read: chunk size (applies to files added after the app restarts) and OCR of
/// scanned pages and images (applies at once to files read from then on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibrarySettings {
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingSettings {
    /// `local` (the default model in `<data dir>/models`, also when empty), `folder` (a model
    /// folder the user chose), `ollama`, `openai` (any OpenAI-compatible server) or `off`.
    pub provider: String,
    /// The model folder, for `folder`.
    pub model_dir: String,
    /// The server's base URL, for `ollama` and `openai` (empty: the provider's usual address).
    pub base_url: String,
    /// The server's model name, for `ollama` and `openai`.
    pub model: String,
}

/// Everything the Settings view edits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub llm: LlmSettings,
    pub web: WebSettings,
    pub engine: EngineSettings,
    pub library: LibrarySettings,
    pub embedding: EmbeddingSettings,
}

/// What `get_settings` returns: the settings and which keys are in the keyring (never the keys).
#[derive(Debug, Serialize)]
pub struct SettingsView {
    #[serde(flatten)]
    pub settings: Settings,
    pub llm_key_stored: bool,
    pub web_key_stored: bool,
    pub embedding_key_stored: bool,
    /// Why the keyring cannot be used, when it cannot.
    pub keyring_error: Option<String>,
}

/// Which keys a settings group has (the keyring item names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFor {
    Llm,
    Web,
    Embedding,
}

const GROUPS: [&str; 5] = ["llm", "web", "engine", "library", "embedding"];

/// The values `EmbeddingSettings::provider` may take.
const EMBEDDING_PROVIDERS: [&str; 6] = ["", "local", "folder", "ollama", "openai", "off"];

/// The stored settings, with defaults for whatever was never saved or cannot be read.
pub async fn load(catalog: &Catalog) -> Result<Settings, IpcError> {
    let stored = catalog.settings().await?;
    let mut doc = serde_json::Map::new();
    for group in GROUPS {
        if let Some(v) = stored.get(group) {
            doc.insert(group.to_owned(), v.clone());
        }
    }
    // A group written by another version that no longer parses falls back to its defaults.
    Ok(serde_json::from_value(serde_json::Value::Object(doc.clone())).unwrap_or_else(|_| {
        let mut s = Settings::default();
        if let Some(v) = doc.get("llm").and_then(|v| serde_json::from_value(v.clone()).ok()) {
            s.llm = v;
        }
        if let Some(v) = doc.get("web").and_then(|v| serde_json::from_value(v.clone()).ok()) {
            s.web = v;
        }
        if let Some(v) = doc.get("engine").and_then(|v| serde_json::from_value(v.clone()).ok()) {
            s.engine = v;
        }
        if let Some(v) = doc.get("library").and_then(|v| serde_json::from_value(v.clone()).ok()) {
            s.library = v;
        }
        if let Some(v) = doc.get("embedding").and_then(|v| serde_json::from_value(v.clone()).ok()) {
            s.embedding = v;
        }
        s
    }))
}

fn validate(s: &Settings) -> Result<(), IpcError> {
    if !(0.0..=1.0).contains(&s.engine.mrfs_threshold) {
        return Err(IpcError::invalid("the MRFS threshold must be between 0 and 1"));
    }
    if s.engine.top_k == 0 || s.engine.top_k > 50 {
        return Err(IpcError::invalid("references per step must be between 1 and 50"));
    }
    if s.engine.max_nodes == 0 || s.engine.max_nodes > 30 {
        return Err(IpcError::invalid("the longest chain must be between 1 and 30 steps"));
    }
    if !(MIN_CHUNK_CHARS..=MAX_CHUNK_CHARS).contains(&s.library.chunk_chars) {
        return Err(IpcError::invalid(format!(
            "chunk size must be between {MIN_CHUNK_CHARS} and {MAX_CHUNK_CHARS} characters"
        )));
    }
    if s.library.ocr {
        library::parse_ocr_languages(&s.library.ocr_languages).map_err(|e| IpcError::invalid(e.to_string()))?;
    }
    if s.web.k == 0 || s.web.k > 20 {
        return Err(IpcError::invalid("web results per search must be between 1 and 20"));
    }
    web_provider(&s.web)?;
    ProviderKind::from_str(&s.llm.provider)?;
    validate_embedding(&s.embedding)
}

fn validate_embedding(e: &EmbeddingSettings) -> Result<(), IpcError> {
    let provider = e.provider.trim();
    if !EMBEDDING_PROVIDERS.contains(&provider) {
        return Err(IpcError::invalid(format!(
            "unknown embedding provider {provider:?}: expected local, folder, ollama, openai or off"
        )));
    }
    if provider == "folder" && e.model_dir.trim().is_empty() {
        return Err(IpcError::invalid("choose the folder that holds the embedding model"));
    }
    if matches!(provider, "ollama" | "openai") && e.model.trim().is_empty() {
        return Err(IpcError::invalid("name the embedding model the server should use (for example nomic-embed-text)"));
    }
    let url = e.base_url.trim();
    if !url.is_empty()
        && !matches!(url::Url::parse(url).map(|u| u.scheme().to_owned()).as_deref(), Ok("http" | "https"))
    {
        return Err(IpcError::invalid(format!("the embedding server's address {url:?} is not an http(s) URL")));
    }
    Ok(())
}

/// The web search provider the settings describe (SearXNG needs its address).
pub fn web_provider(web: &WebSettings) -> Result<web::Provider, IpcError> {
    let url = Some(web.search_url.trim()).filter(|u| !u.is_empty());
    web::Provider::from_name(&web.provider, url).map_err(|e| IpcError::invalid(format!("web search: {e}")))
}

/// The keyring item an LLM key lives under: the same name `catena key set` and `catena ask` use
/// (the API's canonical name, e.g. `openai-compatible`).
pub fn llm_key_name(provider: &str) -> Result<String, IpcError> {
    Ok(ProviderKind::from_str(provider)?.as_str().to_owned())
}

/// The keyring item of a web search provider's key: its name, as `catena key set brave` stores it.
pub fn web_key_name(provider: &str) -> Result<String, IpcError> {
    Ok(secrets::normalize_provider(provider)?)
}

/// The keyring item of an embedding server's key (`ollama-embeddings`, `openai-embeddings`): its
/// own item, so a chat model's key is never sent to an embedding server by accident.
pub fn embedding_key_name(provider: &str) -> Result<String, IpcError> {
    let provider = Some(provider.trim()).filter(|p| !p.is_empty()).unwrap_or("local");
    Ok(secrets::normalize_provider(&format!("{provider}-embeddings"))?)
}

fn key_name(state: &AppState, which: KeyFor, settings: &Settings) -> Result<String, IpcError> {
    let _ = state;
    match which {
        KeyFor::Llm => llm_key_name(&settings.llm.provider),
        KeyFor::Web => web_key_name(&settings.web.provider),
        KeyFor::Embedding => embedding_key_name(&settings.embedding.provider),
    }
}

/// The stored settings and whether their keys are stored.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let lib = state.library().await?;
    let settings = load(lib.catalog()).await?;
    let names = [
        llm_key_name(&settings.llm.provider),
        web_key_name(&settings.web.provider),
        embedding_key_name(&settings.embedding.provider),
    ];
    let secrets = state.secrets_handle();
    let (stored, keyring_error) = tokio::task::spawn_blocking(move || {
        let mut keyring_error = None;
        let stored = names.map(|name| match name.and_then(|n| Ok(secrets.has(&n)?)) {
            Ok(b) => b,
            Err(e) => {
                keyring_error.get_or_insert(e.message);
                false
            }
        });
        (stored, keyring_error)
    })
    .await
    .map_err(|e| IpcError::internal(e.to_string()))?;
    let [llm_key_stored, web_key_stored, embedding_key_stored] = stored;
    Ok(SettingsView { settings, llm_key_stored, web_key_stored, embedding_key_stored, keyring_error })
}

/// Validates and stores the settings (keys are not part of them). A different embedding choice
/// takes effect at once: the new model loads and embeds the library in the background.
#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<(), IpcError> {
    validate(&settings)?;
    let lib = state.library().await?;
    let catalog = lib.catalog();
    let before = load(catalog).await?;
    let ocr_changed = before.library.ocr != settings.library.ocr
        || before.library.ocr_languages.trim() != settings.library.ocr_languages.trim();
    if settings.library.ocr && ocr_changed {
        // A language that is not installed is refused here, naming its package, rather than
        // failing every scan that is read later.
        let languages = settings.library.ocr_languages.clone();
        tokio::task::spawn_blocking(move || library::check_ocr_languages(&languages))
            .await
            .map_err(|e| IpcError::internal(e.to_string()))?
            .map_err(|e| IpcError::invalid(e.to_string()))?;
    }
    let value = serde_json::to_value(&settings).map_err(|e| IpcError::internal(e.to_string()))?;
    for group in GROUPS {
        if let Some(v) = value.get(group) {
            catalog.set_setting(group, v).await?;
        }
    }
    if ocr_changed {
        lib.set_ocr(settings.library.ocr, &settings.library.ocr_languages);
    }
    if before.embedding != settings.embedding {
        crate::embedding::configure_in_background(crate::embedding::Context::of(&state).await?);
    }
    crate::mcp::settings_changed(&state).await?;
    Ok(())
}

/// Stores a key in the OS keyring for the provider the settings name. Write-only: no command
/// ever returns a key.
#[tauri::command]
pub async fn set_api_key(
    state: State<'_, AppState>,
    which: KeyFor,
    provider: String,
    key: String,
) -> Result<(), IpcError> {
    let mut settings = Settings::default();
    settings.llm.provider = provider.clone();
    settings.web.provider = provider.clone();
    settings.embedding.provider = provider;
    let name = key_name(&state, which, &settings)?;
    let secrets = state.secrets_handle();
    // The keyring may show an unlock prompt: wait for it off the async threads.
    tokio::task::spawn_blocking(move || secrets.set(&name, &Sensitive::new(key)))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))??;
    if which == KeyFor::Embedding {
        // The embedding server is asked with the new key from now on.
        crate::embedding::configure_in_background(crate::embedding::Context::of(&state).await?);
    }
    Ok(())
}

/// Removes a stored key; true when there was one.
#[tauri::command]
pub async fn delete_api_key(state: State<'_, AppState>, which: KeyFor, provider: String) -> Result<bool, IpcError> {
    let mut settings = Settings::default();
    settings.llm.provider = provider.clone();
    settings.web.provider = provider.clone();
    settings.embedding.provider = provider;
    let name = key_name(&state, which, &settings)?;
    let secrets = state.secrets_handle();
    Ok(tokio::task::spawn_blocking(move || secrets.delete(&name))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))??)
}

/// A model server found on this machine.
#[derive(Debug, Serialize)]
pub struct LocalServerDto {
    pub preset: &'static str,
    pub label: &'static str,
    pub provider: &'static str,
    pub base_url: String,
    pub models: Vec<String>,
}

/// Model servers running on their usual local ports.
#[tauri::command]
pub async fn probe_local_servers() -> Result<Vec<LocalServerDto>, IpcError> {
    let servers = llm::probe_local_servers(Duration::from_millis(800)).await;
    Ok(servers
        .into_iter()
        .map(|s| LocalServerDto {
            preset: match s.kind {
                llm::LocalServerKind::Ollama => "ollama",
                llm::LocalServerKind::LmStudio => "lmstudio",
                llm::LocalServerKind::LlamaCpp => "llamacpp",
                llm::LocalServerKind::Vllm => "vllm",
            },
            label: s.kind.label(),
            provider: s.kind.provider().as_str(),
            base_url: s.base_url,
            models: s.models,
        })
        .collect())
}

/// The API key for a provider: `CATENA_LLM_API_KEY` first, then the keyring (as the CLI does).
/// A keyring that cannot be used means no key: a local server needs none, and one that does
/// reports the missing key itself.
pub fn resolve_key(state: &AppState, provider: &str) -> Option<Sensitive> {
    let name = llm_key_name(provider).ok()?;
    secrets::api_key(state.secrets(), &name).ok().flatten()
}

/// The client the LLM settings describe, or None when they configure no model.
pub fn provider(
    state: &AppState,
    llm: &LlmSettings,
    cancel: Option<&CancellationToken>,
) -> Result<Option<Provider>, IpcError> {
    let kind = ProviderKind::from_str(&llm.provider)?;
    let url = llm.base_url.trim();
    let model = llm.model.trim();
    // Anthropic has a public endpoint, so a model name alone configures it (the CLI's rule).
    let anthropic_default = kind == ProviderKind::Anthropic && !model.is_empty();
    if url.is_empty() && !anthropic_default {
        return Ok(None);
    }
    let mut config = ProviderConfig::new(kind, url, model);
    config.api_key = resolve_key(state, &llm.provider);
    config.cancel = cancel.cloned();
    Ok(Some(Provider::from_config(&config)?))
}

/// What the "Test" button reports.
#[derive(Debug, Serialize)]
pub struct LlmTest {
    pub ok: bool,
    /// One sentence in plain words: what happened and what to do.
    pub message: String,
    /// The underlying error, for a "details" disclosure; absent when the test passed.
    pub detail: Option<String>,
    pub models: Vec<String>,
}

/// Says in plain words why a connection test failed, and what to try. The technical error stays
/// available as the detail.
pub fn explain_llm_failure(err: &engine::ports::LlmError, base_url: &str) -> String {
    use engine::ports::LlmError;
    let server = url::Url::parse(base_url.trim())
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{h}{}", u.port().map(|p| format!(":{p}")).unwrap_or_default())))
        .unwrap_or_else(|| "the server".to_owned());
    let sentence = match err {
        LlmError::Network { message, .. } => {
            let m = message.to_ascii_lowercase();
            if m.contains("connection refused") {
                format!("Nothing is answering at {server}. Is the model server running, and is the port right?")
            } else if m.contains("dns error")
                || m.contains("failed to lookup")
                || m.contains("name or service not known")
            {
                format!("The address {server} could not be found. Check the spelling of the base URL.")
            } else if m.contains("certificate") || m.contains("tls") || m.contains("ssl") {
                format!("The secure connection to {server} failed (its certificate is not trusted).")
            } else if m.contains("timed out") || m.contains("timeout") {
                format!("{server} did not answer in time. Check the URL and your network.")
            } else {
                format!("Could not talk to {server}: the connection failed. Check the URL and that the server is up.")
            }
        }
        LlmError::Timeout { .. } => format!("{server} did not answer in time. Is it overloaded, or is the URL wrong?"),
        LlmError::Auth(_) => {
            format!("{server} refused the API key. Enter the key again (it is kept in the system keyring).")
        }
        LlmError::RateLimited { .. } => format!("{server} is limiting requests right now. Try again in a minute."),
        LlmError::Protocol { message, .. } if message.contains("HTTP 404") => format!(
            "{server} answered, but has no model API at this path. Check the base URL (OpenAI-compatible servers usually end in /v1)."
        ),
        LlmError::Protocol { message, .. } if message.starts_with("HTTP 5") => {
            format!("{server} reported an internal error. Check its log, or try again.")
        }
        LlmError::Protocol { .. } => format!(
            "{server} answered with something that is not this provider's API. Check the provider preset and the base URL."
        ),
        LlmError::Cancelled => "The test was cancelled.".to_owned(),
    };
    let mut chars = sentence.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Lists the models of the server the (unsaved) settings describe, and says whether the chosen
/// model is among them.
#[tauri::command]
pub async fn test_llm(state: State<'_, AppState>, llm: LlmSettings) -> Result<LlmTest, IpcError> {
    let Some(client) = provider(&state, &llm, None)? else {
        return Err(IpcError::new(ErrorCode::LlmConfig, "enter the server's base URL first"));
    };
    match client.list_models().await {
        Ok(models) => {
            let model = llm.model.trim();
            let (ok, message) = if model.is_empty() {
                (true, format!("Connected: {} models available. Choose one.", models.len()))
            } else if models.iter().any(|m| m == model) || models.is_empty() {
                (true, format!("Connected: {model} is available."))
            } else {
                (false, format!("Connected, but the server does not offer {model}. Choose one of its models."))
            };
            Ok(LlmTest { ok, message, detail: None, models })
        }
        Err(e) => Ok(LlmTest {
            ok: false,
            message: explain_llm_failure(&e, &llm.base_url),
            detail: Some(e.to_string()),
            models: Vec::new(),
        }),
    }
}

/// Turns the engine settings into the engine's configuration for one run in `run_mode`.
pub fn engine_config(s: &EngineSettings, run_mode: RunMode, use_llm: bool, run_id: String) -> EngineConfig {
    let mut config = EngineConfig::default();
    if (0.0..=1.0).contains(&s.mrfs_threshold) {
        config.mrfs_threshold = s.mrfs_threshold;
    }
    config.missing_policy = s.missing_policy;
    if s.top_k > 0 {
        config.top_k = s.top_k;
    }
    if s.max_nodes > 0 {
        config.max_nodes = s.max_nodes;
    }
    config.run_mode = run_mode;
    config.use_llm = use_llm;
    config.run_id = run_id;
    config
}

/// The model client for a run, as the engine holds it.
pub fn model_for_run(
    state: &AppState,
    settings: &Settings,
    cancel: &CancellationToken,
) -> Result<Option<Arc<dyn Llm>>, IpcError> {
    if !settings.llm.enabled {
        return Ok(None);
    }
    Ok(provider(state, &settings.llm, Some(cancel))?.map(|p| Arc::new(p) as Arc<dyn Llm>))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_named_by_what_the_user_can_do() {
        use engine::ports::LlmError;
        let network = |m: &str| LlmError::Network { message: m.to_owned(), calls: 1 };
        let explain = |e: &LlmError| explain_llm_failure(e, "https://llm.example.org:8443/v1");
        let dns = explain(&network("could not reach the server: dns error: failed to lookup address information"));
        assert!(dns.starts_with("The address llm.example.org:8443 could not be found"), "{dns}");
        let tls = explain(&network("could not reach the server: invalid peer certificate: UnknownIssuer"));
        assert!(tls.contains("certificate is not trusted"), "{tls}");
        assert!(explain(&LlmError::Timeout { calls: 3 }).contains("did not answer in time"));
        let limited = explain(&LlmError::RateLimited { retry_after: None, calls: 4 });
        assert!(limited.contains("Try again in a minute"), "{limited}");
        let server_error = LlmError::Protocol { message: "HTTP 502: bad gateway".into(), calls: 1 };
        assert!(explain(&server_error).contains("internal error"));
        // Without a usable URL the sentence still reads well.
        assert!(explain_llm_failure(&LlmError::Timeout { calls: 1 }, "").starts_with("The server did not answer"));
    }

    #[test]
    fn defaults_validate_and_keys_have_the_cli_names() {
        validate(&Settings::default()).expect("defaults are valid");
        assert_eq!(llm_key_name("openai").expect("known"), "openai-compatible");
        assert_eq!(web_key_name("brave").expect("valid"), "brave");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let mut s = Settings::default();
        s.engine.mrfs_threshold = 1.5;
        assert_eq!(validate(&s).expect_err("refused").code, ErrorCode::InvalidInput);
        let mut s = Settings::default();
        s.llm.provider = "gopher".into();
        assert_eq!(validate(&s).expect_err("refused").code, ErrorCode::LlmConfig);
        let mut s = Settings::default();
        s.web.provider = "searxng".into();
        let error = validate(&s).expect_err("SearXNG needs its address");
        assert_eq!(error.code, ErrorCode::InvalidInput);
        s.web.search_url = "https://searx.example.org".into();
        validate(&s).expect("valid with an address");
    }
}

//! Settings: the schema, its store in the catalog and its validation live in `session`, shared
//! with `catena config` and `catena ask`; this module is the Settings view's side of it (the
//! commands, which keys are stored, the local-server probe, "test connection").
//!
//! API keys never enter these documents or the DTOs: they go straight to the OS keyring, and
//! the UI only learns whether one is stored (`key_stored`).

use std::time::Duration;

use engine::CancellationToken;
use engine::ports::{LlmError, LlmErrorKind, Sensitive};
use serde::{Deserialize, Serialize};
use store::Catalog;
use tauri::State;

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

pub use session::settings::{MAX_CHUNK_CHARS, MIN_CHUNK_CHARS};
pub use session::{EmbeddingProvider, EmbeddingSettings, LlmProvider, LlmSettings, Settings};

/// What `get_settings` returns: the settings and which keys are in the keyring (never the keys).
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeyFor {
    Llm,
    Web,
    Embedding,
}

/// The stored settings, with defaults for whatever was never saved or cannot be read.
pub async fn load(catalog: &Catalog) -> Result<Settings, IpcError> {
    Ok(session::load(catalog).await?)
}

/// The keyring item of an embedding server's key (`ollama-embeddings`, `openai-embeddings`).
pub fn embedding_key_name(provider: &str) -> Result<String, IpcError> {
    let provider: EmbeddingProvider = provider.parse().map_err(IpcError::invalid)?;
    Ok(session::keys::embedding_key_name(provider))
}

/// The keyring item a key for `provider` (as the page names it) lives under.
fn key_name(which: KeyFor, provider: &str) -> Result<String, IpcError> {
    Ok(match which {
        KeyFor::Llm => {
            let p: LlmProvider = provider.parse().map_err(|e| IpcError::new(ErrorCode::LlmConfig, e))?;
            session::keys::llm_key_name(p).to_owned()
        }
        KeyFor::Web => session::keys::web_key_name(provider.parse().map_err(IpcError::invalid)?).to_owned(),
        KeyFor::Embedding => embedding_key_name(provider)?,
    })
}

/// The stored settings and whether their keys are stored.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let lib = state.library().await?;
    let settings = load(lib.catalog()).await?;
    let names: [Result<String, IpcError>; 3] = [
        Ok(session::keys::llm_key_name(settings.llm.provider).to_owned()),
        Ok(session::keys::web_key_name(settings.web.provider).to_owned()),
        Ok(session::keys::embedding_key_name(settings.embedding.provider)),
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
    settings.validate()?;
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
    session::save(catalog, &settings).await?;
    if ocr_changed {
        lib.set_ocr(settings.library.ocr, &settings.library.ocr_languages);
    }
    if before.embedding != settings.embedding {
        crate::embedding::configure_in_background(crate::embedding::Context::of(&state).await?);
    }
    // A running MCP server answers with the new settings from now on.
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
    let name = key_name(which, &provider)?;
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
    let name = key_name(which, &provider)?;
    let secrets = state.secrets_handle();
    Ok(tokio::task::spawn_blocking(move || secrets.delete(&name))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))??)
}

/// A model server found on this machine.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LocalServerDto {
    #[cfg_attr(test, ts(as = "session::LlmPreset"))]
    pub preset: &'static str,
    pub label: &'static str,
    #[cfg_attr(test, ts(as = "session::LlmProvider"))]
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

/// The client the LLM settings describe, or None when they name no server. Its key:
/// `CATENA_LLM_API_KEY` first, then the keyring (as the CLI does); a keyring that cannot be
/// used means no key (a local server needs none, and one that does reports the missing key).
pub fn provider(
    state: &AppState,
    llm: &LlmSettings,
    cancel: Option<&CancellationToken>,
) -> Result<Option<llm::Provider>, IpcError> {
    let key = session::keys::llm_key(state.secrets(), llm.provider).ok().flatten();
    Ok(session::model_client(llm, key, cancel)?)
}

/// What the "Test" button reports.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LlmTest {
    pub ok: bool,
    /// What kind of failure it was (`unreachable`, `auth`, `server`, …); absent when it passed.
    pub kind: Option<LlmErrorKind>,
    /// The HTTP status the server answered with, when the failure was one.
    pub status: Option<u16>,
    /// One sentence in plain words: what happened and what to do.
    pub message: String,
    /// The underlying error, for a "details" disclosure; absent when the test passed.
    pub detail: Option<String>,
    pub models: Vec<String>,
}

/// Says in plain words why a connection test failed, and what to try, from the error's kind
/// and status. The technical error stays available as the detail.
pub fn explain_llm_failure(err: &LlmError, base_url: &str) -> String {
    let server = url::Url::parse(base_url.trim())
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{h}{}", u.port().map(|p| format!(":{p}")).unwrap_or_default())))
        .unwrap_or_else(|| "the server".to_owned());
    let sentence = match err.kind() {
        LlmErrorKind::Unreachable => {
            format!(
                "Nothing is answering at {server}. Is the model server running, and are the address and port right?"
            )
        }
        LlmErrorKind::Timeout => format!("{server} did not answer in time. Is it overloaded, or is the URL wrong?"),
        LlmErrorKind::Auth => {
            format!("{server} refused the API key. Enter the key again (it is kept in the system keyring).")
        }
        LlmErrorKind::RateLimited => format!("{server} is limiting requests right now. Try again in a minute."),
        LlmErrorKind::NotFound => format!(
            "{server} answered, but has no model API at this path. Check the base URL (OpenAI-compatible servers usually end in /v1)."
        ),
        LlmErrorKind::Server => {
            let status = err.status().map(|s| format!(" (HTTP {s})")).unwrap_or_default();
            format!("{server} reported an internal error{status}. Check its log, or try again.")
        }
        LlmErrorKind::Rejected => format!(
            "{server} refused the request (HTTP {}). Check the model name and the provider preset.",
            err.status().unwrap_or(400)
        ),
        LlmErrorKind::BadResponse => format!(
            "{server} answered with something that is not this provider's API. Check the provider preset and the base URL."
        ),
        LlmErrorKind::Cancelled => "The test was cancelled.".to_owned(),
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
            Ok(LlmTest { ok, kind: None, status: None, message, detail: None, models })
        }
        Err(e) => Ok(LlmTest {
            ok: false,
            kind: Some(e.kind()),
            status: e.status(),
            message: explain_llm_failure(&e, &llm.base_url),
            detail: Some(e.to_string()),
            models: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_explained_from_their_kind() {
        let explain = |e: &LlmError| explain_llm_failure(e, "https://llm.example.org:8443/v1");
        let refused = explain(&LlmError::Network { message: "tcp connect error".into(), calls: 1 });
        assert!(refused.starts_with("Nothing is answering at llm.example.org:8443"), "{refused}");
        assert!(explain(&LlmError::Timeout { calls: 3 }).contains("did not answer in time"));
        let limited = explain(&LlmError::RateLimited { retry_after: None, calls: 4 });
        assert!(limited.contains("Try again in a minute"), "{limited}");
        let server_error = LlmError::Http { status: 502, message: "bad gateway".into(), calls: 1 };
        assert!(explain(&server_error).contains("internal error (HTTP 502)"));
        let wrong_path = LlmError::Http { status: 404, message: "Not Found".into(), calls: 1 };
        assert!(explain(&wrong_path).contains("no model API at this path"));
        // Without a usable URL the sentence still reads well.
        assert!(explain_llm_failure(&LlmError::Timeout { calls: 1 }, "").starts_with("The server did not answer"));
    }

    #[test]
    fn keys_have_the_cli_names() {
        assert_eq!(key_name(KeyFor::Llm, "openai").expect("known"), "openai-compatible");
        assert_eq!(key_name(KeyFor::Web, "brave").expect("valid"), "brave");
        assert_eq!(key_name(KeyFor::Embedding, "ollama").expect("valid"), "ollama-embeddings");
        assert_eq!(key_name(KeyFor::Llm, "gopher").expect_err("refused").code, ErrorCode::LlmConfig);
    }
}

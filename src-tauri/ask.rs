//! Asking: composes an engine run exactly as `catena ask` does (the library as the corpus, the
//! model from the stored settings and the keyring, the system clock, a fresh run id), streams
//! the engine's events to the UI over a channel, and stores the finished run in the history.

use std::sync::Arc;

use engine::ports::{Clock, Corpus, WebSearch};
use engine::run::{Event, RunMode, RunRecord};
use engine::{CancellationToken, Engine, EngineError, Ports};
use library::compose::{SystemClock, new_run_id};
use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;

use crate::error::{ErrorCode, IpcError};
use crate::settings::{self, WebSettings};
use crate::state::AppState;

/// A finished run, as the Ask view shows it.
#[derive(Debug, Serialize)]
pub struct AskResult {
    pub record: RunRecord,
    /// False when the run could not be written to the history (the answer is still shown).
    pub stored: bool,
    /// Why the answer is extractive, when it is.
    pub extractive_reason: Option<String>,
}

/// The single place the web-search and data-analysis adapters plug into a run: data-analysis
/// steps query the tables the library keeps from CSV/TSV/XLSX files; web steps go through the
/// provider the settings name (offline still attaches it, so web steps are recorded as not run,
/// with the reason). A provider's key comes from the keyring, never from the settings.
fn plug_adapters(
    ports: Ports,
    state: &AppState,
    lib: &Arc<library::Library>,
    web: &WebSettings,
) -> Result<Ports, IpcError> {
    let ports = ports.with_tables(Arc::new(tables::LibraryTables::new(lib.clone())));
    let provider = settings::web_provider(web)?;
    let mut config = web::WebConfig::new(provider);
    config.offline = web.offline;
    config.allow_private_network = web.allow_private_network;
    config.k = usize::try_from(web.k).unwrap_or(5).max(1);
    config.fetch_pages = web.fetch_pages;
    if config.provider.needs_key() && !web.offline {
        let name = settings::web_key_name(config.provider.name())?;
        // No key (or no keyring) leaves web steps to fail with the provider's own message.
        config.api_key = state.secrets().get(&name).ok().flatten();
    }
    let client = web::WebClient::new(config, Some(lib.catalog().web_cache()))
        .map_err(|e| IpcError::invalid(format!("the web search settings cannot be used: {e}")))?;
    Ok(ports.with_web(Arc::new(client) as Arc<dyn WebSearch>))
}

/// Asks a question over the library. Events stream to `on_event` while the run unfolds; the
/// finished run is stored and returned. `no_llm` forces an extractive answer. `mode` is `chain` or
/// `agent` (the default from the engine settings when left out); agent mode needs a model, as in
/// `catena ask --mode agent`.
#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    question: String,
    no_llm: Option<bool>,
    mode: Option<RunMode>,
    on_event: Channel<Event>,
) -> Result<AskResult, IpcError> {
    if question.trim().is_empty() {
        return Err(IpcError::invalid("the question is empty"));
    }
    let lib = state.library().await?;
    let settings = settings::load(lib.catalog()).await?;
    let cancel = CancellationToken::new();
    state.start_run(cancel.clone())?;
    let mode = mode.unwrap_or(settings.engine.run_mode);
    let asked = Asked { question: &question, mode, no_llm: no_llm.unwrap_or(false) };
    let result = run(&state, lib.clone(), &settings, asked, &cancel, on_event).await;
    state.finish_run();
    let (record, extractive_reason) = result?;
    let stored = lib.catalog().save_run(&record).await.is_ok();
    Ok(AskResult { record, stored, extractive_reason })
}

/// What the page asked for.
struct Asked<'a> {
    question: &'a str,
    mode: RunMode,
    no_llm: bool,
}

async fn run(
    state: &AppState,
    lib: Arc<library::Library>,
    settings: &settings::Settings,
    asked: Asked<'_>,
    cancel: &CancellationToken,
    on_event: Channel<Event>,
) -> Result<(RunRecord, Option<String>), IpcError> {
    let Asked { question, mode, no_llm } = asked;
    let model = if no_llm { None } else { settings::model_for_run(state, settings, cancel)? };
    if mode == RunMode::Agent && model.is_none() {
        return Err(IpcError::new(
            ErrorCode::LlmConfig,
            "agent mode needs a language model: set one up in Settings › Language model, or ask in chain mode",
        ));
    }
    let clock = Arc::new(SystemClock);
    let run_id = new_run_id(clock.now_unix_ms());
    let config = settings::engine_config(settings, mode, model.is_some(), run_id);
    let mut ports = Ports::new(lib.clone() as Arc<dyn Corpus>, clock);
    let mut reason = None;
    match model {
        Some(m) => ports = ports.with_llm(m),
        None if no_llm => reason = Some("answered without a language model, as asked".to_owned()),
        None => reason = Some("no language model is configured (Settings › Language model)".to_owned()),
    }
    let ports = plug_adapters(ports, state, &lib, &settings.web)?;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            // A closed page misses the rest of the stream; the run still finishes and is stored.
            let _ = on_event.send(event);
        }
    });
    let result = Engine::new(config, ports).ask(question, &tx, cancel).await;
    drop(tx);
    let _ = forward.await;
    match result {
        Ok(record) if !cancel.is_cancelled() => {
            if record.mode == engine::run::Mode::Extractive && reason.is_none() {
                reason = Some("the language model failed; its calls are listed under usage".to_owned());
            }
            Ok((record, reason))
        }
        Ok(_) | Err(EngineError::Cancelled) => {
            Err(IpcError::new(ErrorCode::Cancelled, "the run was cancelled; nothing was stored"))
        }
        Err(EngineError::InvalidInput(m)) => Err(IpcError::invalid(m)),
        Err(EngineError::ProviderAuth(m)) => Err(IpcError::new(
            ErrorCode::ProviderAuth,
            format!("the model provider refused the credentials ({m}); store the API key in Settings"),
        )),
        Err(EngineError::Internal(m)) => Err(IpcError::internal(m)),
    }
}

/// Stops the running question; it stores nothing.
#[tauri::command]
pub fn cancel_ask(state: State<'_, AppState>) -> bool {
    state.cancel_run()
}

/// One line of the history.
#[derive(Debug, Serialize)]
pub struct RunSummaryDto {
    pub run_id: String,
    pub question: String,
    pub mode: engine::run::Mode,
    pub started_at: String,
    pub wall_ms: u64,
    pub llm_calls: u32,
}

/// Past runs, newest first.
#[tauri::command]
pub async fn list_runs(state: State<'_, AppState>, limit: Option<usize>) -> Result<Vec<RunSummaryDto>, IpcError> {
    let lib = state.library().await?;
    let runs = lib.catalog().list_runs(limit.unwrap_or(200).clamp(1, 10_000)).await?;
    Ok(runs
        .into_iter()
        .map(|s| RunSummaryDto {
            run_id: s.run_id,
            question: s.question,
            mode: s.mode,
            started_at: s.started_at,
            wall_ms: s.wall_ms,
            llm_calls: s.llm_calls,
        })
        .collect())
}

/// A stored run, whole.
#[tauri::command]
pub async fn get_run(state: State<'_, AppState>, run_id: String) -> Result<RunRecord, IpcError> {
    let lib = state.library().await?;
    lib.catalog().get_run(&run_id).await?.ok_or_else(|| IpcError::not_found(format!("no run {run_id} in the history")))
}

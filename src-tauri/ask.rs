//! Asking: the run is composed by `session` exactly as for `catena ask` (the stored settings with
//! the ask box's choices on top, the library as the corpus, the model and web clients with their
//! keys, the tables, the system clock, a fresh run id); this module streams the engine's events
//! to the UI over a channel and stores the finished run in the history.

use std::sync::Arc;

use engine::run::{Event, RunMode, RunRecord};
use engine::{CancellationToken, EngineError};
use serde::Serialize;
use session::{ComposeError, NoModel, Overrides};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::{ErrorCode, IpcError};
use crate::settings;
use crate::state::AppState;

/// A finished run, as the Ask view shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AskResult {
    pub record: RunRecord,
    /// False when the run could not be written to the history (the answer is still shown).
    pub stored: bool,
    /// Why the answer is extractive, when it is.
    pub extractive_reason: Option<String>,
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
    /// The ask box's choice; the settings' `engine.run_mode` when left out.
    mode: Option<RunMode>,
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
    let overrides = Overrides { no_llm, mode: mode.map(Into::into), ..Overrides::default() };
    let settings = settings.with_overrides(&overrides)?;
    let run = match session::prepare(lib, settings, false, state.secrets(), cancel) {
        Ok(run) => run,
        Err(ComposeError::AgentNeedsModel) => {
            return Err(IpcError::new(
                ErrorCode::LlmConfig,
                "agent mode needs a language model: set one up in Settings › Language model, or ask in chain mode",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut reason = match run.model {
        Ok(_) => None,
        Err(NoModel::Disabled) if no_llm => Some("answered without a language model, as asked".to_owned()),
        Err(_) => Some("no language model is configured (Settings › Language model)".to_owned()),
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let forward = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            // A closed page misses the rest of the stream; the run still finishes and is stored.
            let _ = on_event.send(event);
        }
    });
    let result = run.ask(question, &tx, cancel).await;
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
#[cfg_attr(test, derive(ts_rs::TS))]
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

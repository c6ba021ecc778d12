//! Semantic search in the app: attaching the embedder chosen in Settings to the library, embedding
//! in the background (at start-up, after each ingest and after the model changes; one pass at a
//! time, cancellable), streaming its progress to the page, and downloading the default model.
//!
//! Keyword search never waits for any of this: while no model is attached the library searches by
//! keywords alone and [`semantic_status`] says why, in words the Library view shows.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use embed::download::{DownloadOptions, DownloadProgress, ModelSpec, ModelStatus, download_model, model_status};
use embed::local::{DEFAULT_MODEL_NAME, LocalEmbedder};
use embed::{EmbedError, Embedder, ProviderEmbedder, ProviderKind, ProviderOptions};
use library::{CancelFlag, EmbedProgress, Library, SemanticStatus};
use secrets::SecretStore;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{ErrorCode, IpcError};
use crate::settings::{self, EmbeddingSettings};
use crate::state::AppState;

/// The default model's folder inside the data directory.
pub fn default_model_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join(DEFAULT_MODEL_NAME)
}

/// Where an embedding pass stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct EmbedProgressDto {
    pub model: String,
    pub documents_done: u64,
    pub documents_total: u64,
    pub chunks_done: u64,
    pub chunks_total: u64,
    pub eta_ms: Option<u64>,
}

impl From<&EmbedProgress> for EmbedProgressDto {
    fn from(p: &EmbedProgress) -> EmbedProgressDto {
        EmbedProgressDto {
            model: p.model.clone(),
            documents_done: p.documents_done,
            documents_total: p.documents_total,
            chunks_done: p.chunks_done,
            chunks_total: p.chunks_total,
            eta_ms: p.eta.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// What the Library view hears about semantic search while it is open.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EmbedEventDto {
    /// A pass embedded another batch (or started).
    Progress(EmbedProgressDto),
    /// A pass ended: everything embedded, cancelled, or stopped by a failing embedder.
    Finished {
        model: String,
        documents: u64,
        remaining: u64,
        interrupted: bool,
        /// Why embedding stopped early, in a sentence.
        error: Option<String>,
    },
    /// The embedder changed (loaded, turned off, failed to load): ask `semantic_status` again.
    Changed,
}

/// One step of the default model's download.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DownloadEventDto {
    pub file: String,
    pub index: usize,
    pub files: usize,
    /// Bytes of all files on disk so far.
    pub done: u64,
    /// Bytes of all files together.
    pub total: Option<u64>,
}

/// Whether semantic search is on, for the Library view's banner and progress line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SemanticStatusDto {
    pub on: bool,
    /// The model's id, e.g. `local:all-MiniLM-L6-v2`, when on.
    pub model: Option<String>,
    /// Indexed documents whose vectors are committed for the model.
    pub embedded: u64,
    /// Indexed documents.
    pub total: u64,
    /// Why it is off, and how to turn it on, when off.
    pub reason: Option<String>,
    /// The model is being loaded: it is not off for long.
    pub loading: bool,
    /// Settings use the default model and it is not (completely) in the data directory, so the
    /// page may offer to download it.
    pub can_download: bool,
    /// Catena is offline (Settings › Web search): nothing is downloaded.
    pub offline: bool,
    /// The pass in flight, if one is.
    pub progress: Option<EmbedProgressDto>,
    /// Why the last pass stopped early, when it did.
    pub last_error: Option<String>,
}

/// The background side of semantic search: one embedding pass at a time, the progress watcher,
/// and the download in flight. Shared with the tasks it spawns.
#[derive(Default)]
pub struct Jobs {
    /// The cancel flag of the pass in flight; `None` when none runs.
    running: Mutex<Option<CancelFlag>>,
    /// A pass was asked for while one ran: it runs again when it ends.
    again: AtomicBool,
    progress: Mutex<Option<EmbedProgressDto>>,
    last_error: Mutex<Option<String>>,
    watcher: Mutex<Option<Channel<EmbedEventDto>>>,
    /// Bumped by every configuration, so a model that finishes loading after a newer choice was
    /// made is dropped.
    config_seq: AtomicU64,
    loading: AtomicBool,
    download: Mutex<Option<Arc<AtomicBool>>>,
    /// Set once the library was first opened and semantic search configured for it.
    pub(crate) opened: AtomicBool,
}

impl Jobs {
    /// The jobs of an app that is starting: the model counts as loading until the start-up
    /// configuration has run.
    pub fn starting() -> Jobs {
        Jobs { loading: AtomicBool::new(true), ..Jobs::default() }
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (plain values).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    fn send(&self, event: EmbedEventDto) {
        if let Some(channel) = lock(&self.watcher).as_ref() {
            // A reloaded page re-registers; until then it simply misses events.
            let _ = channel.send(event);
        }
    }

    /// Starts an embedding pass over whatever is not embedded yet, unless one is running (then
    /// that one runs once more when it ends). Does nothing while semantic search is off.
    pub fn start(self: &Arc<Jobs>, lib: Arc<Library>) {
        {
            let mut running = lock(&self.running);
            if running.is_some() {
                self.again.store(true, Ordering::SeqCst);
                return;
            }
            *running = Some(CancelFlag::default());
        }
        let jobs = Arc::clone(self);
        tauri::async_runtime::spawn(async move {
            while let Some(cancel) = jobs.current() {
                jobs.pass(&lib, &cancel).await;
                if !jobs.next_pass(&cancel) {
                    break;
                }
            }
        });
    }

    /// The cancel flag of the pass in flight.
    fn current(&self) -> Option<CancelFlag> {
        lock(&self.running).clone()
    }

    /// After a pass: true (with a fresh cancel flag) when another was asked for meanwhile and
    /// this one was not cancelled; otherwise marks the jobs idle.
    fn next_pass(&self, finished: &CancelFlag) -> bool {
        let mut running = lock(&self.running);
        if self.again.swap(false, Ordering::SeqCst) && !finished.is_cancelled() {
            *running = Some(CancelFlag::default());
            return true;
        }
        *running = None;
        false
    }

    async fn pass(&self, lib: &Library, cancel: &CancelFlag) {
        if !matches!(lib.semantic_status().await, Ok(SemanticStatus::On { .. })) {
            return;
        }
        let report = |p: &EmbedProgress| {
            let dto = EmbedProgressDto::from(p);
            *lock(&self.progress) = Some(dto.clone());
            self.send(EmbedEventDto::Progress(dto));
        };
        let result = lib.embed_pending(&report, cancel).await;
        *lock(&self.progress) = None;
        let event = match result {
            // A pass that found everything embedded showed no progress, so it has nothing to end.
            Ok(s) if s.documents == 0 && s.remaining == 0 && s.error.is_none() && !s.interrupted && !s.superseded => {
                *lock(&self.last_error) = None;
                return;
            }
            Ok(s) => EmbedEventDto::Finished {
                model: s.model,
                documents: s.documents,
                remaining: s.remaining,
                interrupted: s.interrupted || s.superseded,
                error: s.error,
            },
            // A read-only library (another process writes) cannot store vectors; it says so.
            Err(e) => EmbedEventDto::Finished {
                model: String::new(),
                documents: 0,
                remaining: 0,
                interrupted: false,
                error: Some(format!("cannot embed the library: {}", IpcError::from(e).message)),
            },
        };
        if let EmbedEventDto::Finished { error, .. } = &event {
            *lock(&self.last_error) = error.clone();
        }
        self.send(event);
    }

    /// Stops the pass in flight after its current batch; true when one was running.
    pub fn cancel(&self) -> bool {
        let running = lock(&self.running);
        self.again.store(false, Ordering::SeqCst);
        match running.as_ref() {
            Some(flag) => {
                flag.cancel();
                true
            }
            None => false,
        }
    }

    pub fn watch(&self, channel: Channel<EmbedEventDto>) {
        *lock(&self.watcher) = Some(channel);
    }
}

/// Everything a background configuration needs, owned so that it can outlive a command.
pub struct Context {
    pub lib: Arc<Library>,
    pub jobs: Arc<Jobs>,
    pub data_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
}

impl Context {
    pub async fn of(state: &AppState) -> Result<Context, IpcError> {
        Ok(Context {
            lib: state.library().await?,
            jobs: state.embedding(),
            data_dir: state.data_dir()?.to_path_buf(),
            secrets: state.secrets_handle(),
        })
    }
}

/// The embedder the settings describe, or why there is none. Loading the local model reads about
/// 90 MB and runs on a blocking thread.
async fn embedder(
    choice: &EmbeddingSettings,
    data_dir: &Path,
    keyring: Arc<dyn SecretStore>,
) -> Result<Arc<dyn Embedder>, String> {
    let provider = choice.provider.as_str();
    let local = |dir: PathBuf| async move {
        tokio::task::spawn_blocking(move || LocalEmbedder::load(&dir))
            .await
            .map_err(|e| format!("cannot load the embedding model: {e}"))?
            .map(|e| Arc::new(e) as Arc<dyn Embedder>)
            .map_err(|e| format!("{e}; choose another folder in Settings › Semantic search"))
    };
    match provider {
        "off" => Err("semantic search is turned off in Settings › Semantic search".to_owned()),
        "folder" => {
            let dir = choice.model_dir.trim();
            if dir.is_empty() {
                return Err("no model folder is chosen: choose one in Settings › Semantic search".to_owned());
            }
            local(PathBuf::from(dir)).await
        }
        "ollama" | "openai" => {
            let kind = if provider == "ollama" { ProviderKind::Ollama } else { ProviderKind::OpenAi };
            // The embedding server's own keyring item only (never the chat model's key). The
            // keyring may show an unlock prompt: wait for it off the async threads. No key (or no
            // keyring) means none is sent; a server that needs one says so.
            let key = match settings::embedding_key_name(provider) {
                Ok(name) => tokio::task::spawn_blocking(move || keyring.get(&name).ok().flatten()).await.ok().flatten(),
                Err(_) => None,
            };
            let base_url = Some(choice.base_url.trim().to_owned()).filter(|u| !u.is_empty());
            let options = ProviderOptions { base_url, key, ..ProviderOptions::default() };
            ProviderEmbedder::new(kind, &choice.model, options)
                .map(|e| Arc::new(e) as Arc<dyn Embedder>)
                .map_err(|e| e.to_string())
        }
        _ => {
            let dir = default_model_dir(data_dir);
            match model_status(&dir) {
                ModelStatus::Ready => local(dir).await,
                ModelStatus::Partial { bytes } => Err(format!(
                    "the embedding model download is incomplete ({:.0} of about {:.0} MB): resume it in Settings › Semantic search",
                    bytes as f64 / 1e6,
                    ModelSpec::default().total_size().unwrap_or_default() as f64 / 1e6
                )),
                ModelStatus::Missing { .. } => Err(format!(
                    "no embedding model is installed: download {DEFAULT_MODEL_NAME} (about 90 MB) once, or choose a \
                     model folder or a model server in Settings › Semantic search"
                )),
            }
        }
    }
}

/// Attaches the embedder the stored settings choose (or turns semantic search off, saying why),
/// then embeds what is not embedded yet, in the background. Keyword search works throughout.
pub async fn configure(ctx: Context) {
    let seq = ctx.jobs.config_seq.fetch_add(1, Ordering::SeqCst) + 1;
    let choice = match settings::load(ctx.lib.catalog()).await {
        Ok(s) => s.embedding,
        Err(_) => EmbeddingSettings::default(),
    };
    ctx.jobs.loading.store(true, Ordering::SeqCst);
    ctx.jobs.send(EmbedEventDto::Changed);
    let result = embedder(&choice, &ctx.data_dir, ctx.secrets.clone()).await;
    if ctx.jobs.config_seq.load(Ordering::SeqCst) != seq {
        // A newer choice was made while this one loaded; it wins.
        return;
    }
    ctx.jobs.loading.store(false, Ordering::SeqCst);
    *lock(&ctx.jobs.last_error) = None;
    match result {
        Ok(e) => {
            ctx.lib.set_embedder(e);
            ctx.jobs.send(EmbedEventDto::Changed);
            ctx.jobs.start(ctx.lib.clone());
        }
        Err(reason) => {
            // A pass of the previous model stops at its next batch by itself.
            ctx.lib.disable_semantic(reason);
            ctx.jobs.send(EmbedEventDto::Changed);
        }
    }
}

/// Configures semantic search without waiting for the model to load.
pub fn configure_in_background(ctx: Context) {
    tauri::async_runtime::spawn(configure(ctx));
}

/// Whether semantic search is on, how far embedding is, or why it is off and what can be done.
#[tauri::command]
pub async fn semantic_status(state: State<'_, AppState>) -> Result<SemanticStatusDto, IpcError> {
    let lib = state.library().await?;
    let jobs = state.embedding();
    let settings = settings::load(lib.catalog()).await?;
    let uses_default = !matches!(settings.embedding.provider.as_str(), "off" | "folder" | "ollama" | "openai");
    let model_ready = matches!(model_status(&default_model_dir(state.data_dir()?)), ModelStatus::Ready);
    let status = lib.semantic_status().await?;
    let mut dto = SemanticStatusDto {
        on: status.is_on(),
        model: None,
        embedded: 0,
        total: 0,
        reason: None,
        loading: jobs.loading.load(Ordering::SeqCst),
        can_download: uses_default && !model_ready,
        offline: settings.web.offline,
        progress: lock(&jobs.progress).clone(),
        last_error: lock(&jobs.last_error).clone(),
    };
    match status {
        SemanticStatus::On { model, embedded, total } => {
            dto.model = Some(model);
            dto.embedded = embedded;
            dto.total = total;
        }
        SemanticStatus::Off { reason } => dto.reason = Some(reason),
    }
    Ok(dto)
}

/// Starts sending embedding progress and semantic-search changes to `on_event`.
#[tauri::command]
pub fn watch_embedding(state: State<'_, AppState>, on_event: Channel<EmbedEventDto>) {
    state.embedding().watch(on_event);
}

/// Stops the embedding pass in flight after its current batch (what is done stays); the next
/// ingest or start-up resumes it.
#[tauri::command]
pub fn cancel_embedding(state: State<'_, AppState>) -> bool {
    state.embedding().cancel()
}

/// Downloads the default embedding model into the data directory, resuming an earlier partial
/// download and checking every file, with progress on `on_event`; then turns semantic search on
/// when the settings use that model. Refused while Catena is offline.
#[tauri::command]
pub async fn download_embedding_model(
    state: State<'_, AppState>,
    on_event: Channel<DownloadEventDto>,
) -> Result<(), IpcError> {
    let lib = state.library().await?;
    let settings = settings::load(lib.catalog()).await?;
    let jobs = state.embedding();
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut slot = lock(&jobs.download);
        if slot.is_some() {
            return Err(IpcError::new(ErrorCode::InvalidInput, "the embedding model is already downloading"));
        }
        *slot = Some(cancel.clone());
    }
    let spec = ModelSpec::default();
    let dest = default_model_dir(state.data_dir()?);
    let options = DownloadOptions { offline: settings.web.offline, ..DownloadOptions::default() };
    // Bytes of the files before each one, so progress counts the whole model.
    let mut before = Vec::with_capacity(spec.files.len());
    let mut sum = 0u64;
    for f in &spec.files {
        before.push(sum);
        sum += f.size.unwrap_or(0);
    }
    let total = spec.total_size();
    let report = |p: DownloadProgress| {
        let done = before.get(p.index).copied().unwrap_or(0) + p.done;
        // A closed page misses progress; the download carries on.
        let _ = on_event.send(DownloadEventDto { file: p.file, index: p.index, files: p.files, done, total });
    };
    let result = download_model(&spec, &dest, &options, &report, &cancel).await;
    *lock(&jobs.download) = None;
    match result {
        Ok(()) => {
            configure_in_background(Context::of(&state).await?);
            Ok(())
        }
        Err(EmbedError::Cancelled) => Err(IpcError::new(
            ErrorCode::Cancelled,
            "the download was cancelled; what arrived is kept and the next download resumes it",
        )),
        Err(EmbedError::Offline(_)) => Err(IpcError::new(
            ErrorCode::InvalidInput,
            "Catena is offline (Settings › Web search), so nothing was downloaded; turn Offline off to download the \
             embedding model, or choose a model folder",
        )),
        Err(e) => Err(IpcError::new(ErrorCode::DownloadFailed, format!("cannot download the embedding model: {e}"))),
    }
}

/// Stops the model download in flight; the partial file stays for a later resume.
#[tauri::command]
pub fn cancel_embedding_download(state: State<'_, AppState>) -> bool {
    match lock(&state.embedding().download).as_ref() {
        Some(flag) => {
            flag.store(true, Ordering::SeqCst);
            true
        }
        None => false,
    }
}

/// Opens the system folder picker for a local embedding model; `None` when the user cancels.
#[tauri::command]
pub async fn pick_model_folder<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, IpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title("Choose an embedding model folder").pick_folder(move |picked| {
        let _ = tx.send(picked);
    });
    let picked = rx.await.ok().flatten();
    Ok(picked.and_then(|p| p.into_path().ok()).map(|p| p.to_string_lossy().into_owned()))
}

//! What the app holds between commands: the one library (opened for writing once per process,
//! so searches run on reader snapshots while an ingest writes), the keyring, the cancel handles
//! of what is running, and the paths the user handed over.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use engine::CancellationToken;
use library::{CancelFlag, Library, LibraryError, LibraryOptions, WatchEvent, WatchOptions, Watcher};
use secrets::SecretStore;
use serde::Serialize;
use tauri::ipc::Channel;

use crate::embedding::Jobs;
use crate::error::{ErrorCode, IpcError};
use crate::settings;

/// The keyring namespace shared with the CLI (`catena key`), so a key stored in one is found by
/// the other.
pub const KEYRING_NAMESPACE: &str = "catena";

/// A file drag over the window, as the UI sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DropEvent {
    /// Files are being dragged over the window.
    Hover { count: usize },
    /// The drag left the window.
    Cancelled,
    /// Files were dropped; they may now be ingested.
    Dropped { paths: Vec<String> },
}

/// Sent to the page when the watched folders or the documents they hold changed: it lists both
/// again.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourcesEvent {
    Changed,
}

pub struct AppState {
    data_dir: Result<PathBuf, (ErrorCode, String)>,
    library: tokio::sync::OnceCell<Arc<Library>>,
    /// One ingest at a time: a second batch waits for the first instead of interleaving commits.
    /// The folder watcher takes it too while it applies changes.
    ingest_lock: Arc<tokio::sync::Mutex<()>>,
    /// Keeps the watched folders in sync while the app runs (started with a writable library).
    watcher: Mutex<Option<Watcher>>,
    /// Told whenever a watched folder changes state or its changes were applied.
    sources: Arc<Mutex<Option<Channel<SourcesEvent>>>>,
    ingest_cancel: Mutex<Option<CancelFlag>>,
    run_cancel: Mutex<Option<CancellationToken>>,
    /// Paths the user handed to the app by dropping them on the window or picking them in a
    /// dialog. Ingesting anything else is refused, so the webview cannot make the app read
    /// arbitrary files.
    granted: Mutex<HashSet<PathBuf>>,
    drops: Mutex<Option<Channel<DropEvent>>>,
    secrets: Arc<dyn SecretStore>,
    /// Semantic search's background work: embedding passes and the model download.
    embedding: Arc<Jobs>,
    /// The in-app MCP server over HTTP, while it runs.
    mcp: Arc<tokio::sync::Mutex<Option<crate::mcp::Running>>>,
}

/// Locks a mutex whose data stays valid even if a holder panicked (plain values, no invariants).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(data_dir: Result<PathBuf, IpcError>, secrets: Arc<dyn SecretStore>) -> AppState {
        AppState {
            data_dir: data_dir.map_err(|e| (e.code, e.message)),
            library: tokio::sync::OnceCell::new(),
            ingest_lock: Arc::new(tokio::sync::Mutex::new(())),
            watcher: Mutex::new(None),
            sources: Arc::new(Mutex::new(None)),
            ingest_cancel: Mutex::new(None),
            run_cancel: Mutex::new(None),
            granted: Mutex::new(HashSet::new()),
            drops: Mutex::new(None),
            secrets,
            embedding: Arc::new(Jobs::starting()),
            mcp: Arc::default(),
        }
    }

    pub fn data_dir(&self) -> Result<&Path, IpcError> {
        self.data_dir.as_deref().map_err(|(code, message)| IpcError::new(*code, message.clone()))
    }

    /// The library, opened on first use: for writing when no other process holds the writer,
    /// else (or where the data directory is not writable) read-only: searching and asking still
    /// work; adding files reports `LibraryBusy` or `LibraryReadOnly` (see [`Self::writable_library`]).
    pub async fn library(&self) -> Result<Arc<Library>, IpcError> {
        let dir = self.data_dir()?.to_path_buf();
        let lib = self
            .library
            .get_or_try_init(|| async move {
                let options = library_options(&dir).await;
                match Library::open_write(&dir, options).await {
                    Ok(lib) => Ok(Arc::new(lib)),
                    Err(LibraryError::Busy(_) | LibraryError::ReadOnlyDir(_)) => {
                        Library::open_read(&dir).await.map(Arc::new)
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
        // The first open starts semantic search in the background: the chosen model loads and
        // whatever is not embedded yet is embedded, while the library already answers. It also
        // starts watching the folders the user added (a rescan first finds what changed while
        // the app was closed).
        if !self.embedding.opened.swap(true, std::sync::atomic::Ordering::SeqCst) {
            if lib.is_writable() {
                self.start_watcher(lib.clone());
            }
            crate::embedding::configure_in_background(crate::embedding::Context {
                lib: lib.clone(),
                jobs: self.embedding(),
                data_dir: self.data_dir()?.to_path_buf(),
                secrets: self.secrets_handle(),
            });
        }
        Ok(lib.clone())
    }

    /// The library, for a command that changes it: refused before anything is touched when it
    /// was opened read-only, saying why (its folder is not writable, `CATENA_READ_ONLY`, or
    /// another process held the writer).
    pub async fn writable_library(&self) -> Result<Arc<Library>, IpcError> {
        let lib = self.library().await?;
        if lib.is_writable() {
            return Ok(lib);
        }
        let dir = self.data_dir()?;
        Err(crate::error::refused_change(dir, library::read_only_cause(dir)))
    }

    /// The in-app MCP server's slot.
    pub fn mcp(&self) -> &Arc<tokio::sync::Mutex<Option<crate::mcp::Running>>> {
        &self.mcp
    }

    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    /// The keyring, for calls that run on a blocking thread (an unlock prompt may keep them waiting).
    pub fn secrets_handle(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }

    /// Semantic search's background jobs, shared with the tasks that run them.
    pub fn embedding(&self) -> Arc<Jobs> {
        self.embedding.clone()
    }

    pub async fn ingest_slot(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ingest_lock.lock().await
    }

    pub fn set_ingest_cancel(&self, flag: Option<CancelFlag>) {
        *lock(&self.ingest_cancel) = flag;
    }

    pub fn cancel_ingest(&self) -> bool {
        match lock(&self.ingest_cancel).as_ref() {
            Some(flag) => {
                flag.cancel();
                true
            }
            None => false,
        }
    }

    /// Registers the token of a new run, or fails when one is already running.
    pub fn start_run(&self, token: CancellationToken) -> Result<(), IpcError> {
        let mut slot = lock(&self.run_cancel);
        if slot.as_ref().is_some_and(|t| !t.is_cancelled()) {
            return Err(IpcError::new(ErrorCode::RunInProgress, "a question is already running; cancel it first"));
        }
        *slot = Some(token);
        Ok(())
    }

    pub fn finish_run(&self) {
        *lock(&self.run_cancel) = None;
    }

    pub fn cancel_run(&self) -> bool {
        match lock(&self.run_cancel).as_ref() {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn grant(&self, paths: impl IntoIterator<Item = PathBuf>) {
        lock(&self.granted).extend(paths);
    }

    /// True when `path` is, or lies under, a path the user handed over.
    pub fn is_granted(&self, path: &Path) -> bool {
        let granted = lock(&self.granted);
        path.ancestors().any(|p| granted.contains(p))
    }

    fn start_watcher(&self, lib: Arc<Library>) {
        let channel = self.sources.clone();
        let jobs = self.embedding();
        let embed_lib = lib.clone();
        let events = Arc::new(move |e: WatchEvent| {
            // New text is searchable by keywords at once; embedding it follows in the background.
            if let WatchEvent::Synced { summary, .. } = &e
                && (summary.ingested > 0 || summary.moved > 0)
            {
                jobs.start(embed_lib.clone());
            }
            let changed = match &e {
                WatchEvent::Synced { summary, .. } => summary.ingested + summary.moved + summary.removed > 0,
                WatchEvent::Failed { .. } | WatchEvent::Scanning { .. } | WatchEvent::State { .. } => true,
            };
            if changed && let Some(ch) = lock(&channel).as_ref() {
                // A closed page re-registers when it loads again.
                let _ = ch.send(SourcesEvent::Changed);
            }
        });
        let watcher = Watcher::start(lib, self.ingest_lock.clone(), WatchOptions::default(), events);
        *lock(&self.watcher) = Some(watcher);
    }

    /// The watcher, when this process watches the folders (the library is writable).
    pub fn with_watcher<T>(&self, f: impl FnOnce(Option<&Watcher>) -> T) -> T {
        f(lock(&self.watcher).as_ref())
    }

    /// Makes the watcher read the watched folders again now (one was added, paused, resumed or
    /// removed).
    pub fn refresh_watcher(&self) {
        if let Some(w) = lock(&self.watcher).as_ref() {
            w.refresh();
        }
    }

    pub fn watch_sources(&self, channel: Channel<SourcesEvent>) {
        *lock(&self.sources) = Some(channel);
    }

    pub fn watch_drops(&self, channel: Channel<DropEvent>) {
        *lock(&self.drops) = Some(channel);
    }

    /// Forwards a drag-and-drop event to the UI, granting dropped paths first.
    pub fn on_drop(&self, event: DropEvent) {
        if let DropEvent::Dropped { paths } = &event {
            self.grant(paths.iter().map(PathBuf::from));
        }
        if let Some(channel) = lock(&self.drops).as_ref() {
            // A closed page simply misses the event; it re-registers when it loads again.
            let _ = channel.send(event);
        }
    }
}

/// The library's options from the stored settings (chunk size, OCR), or the defaults when there are
/// none yet or they cannot be read.
async fn library_options(dir: &Path) -> LibraryOptions {
    let mut options = LibraryOptions::default();
    let path = dir.join("catalog.db");
    if path.exists()
        && let Ok(catalog) = store::Catalog::open(&path).await
    {
        // Settings an older version stored are rewritten in today's spelling once, here; a
        // failure leaves them as they are, and they are still read the same way.
        let _ = session::migrate(&catalog).await;
        if let Ok(s) = settings::load(&catalog).await {
            let target = s.library.chunk_chars.clamp(settings::MIN_CHUNK_CHARS, settings::MAX_CHUNK_CHARS);
            options.chunk.target_chars = target;
            options.chunk.max_chars = options.chunk.max_chars.max(target * 2);
            options.extract.ocr.enabled = s.library.ocr;
            if library::parse_ocr_languages(&s.library.ocr_languages).is_ok() {
                options.extract.ocr.languages = s.library.ocr_languages.trim().to_owned();
            }
        }
        catalog.close().await;
    }
    options
}

//! Folders that stay in sync: file-system events (or polling where there are none), debounced,
//! applied to the library incrementally.
//!
//! One [`Watcher`] serves every watched folder of a library. For each folder that is not paused
//! it starts a debounced watcher (`notify-debouncer-full`: rename chains stitched, one event per
//! path, a deleted folder reported once) and rescans the folder once, which finds what changed
//! while nothing watched it. Events are collected until the file system has been quiet for a
//! moment, so an editor's write-temp-then-rename save is one update and a burst of thousands of
//! files is read in commit batches; the paths they name are then looked at as they are *now*
//! ([`Library::apply_changes`]), which makes the outcome independent of how the platform
//! reported them. The watched-folder table is read again every couple of seconds, so pausing,
//! resuming or removing a folder from another process (`catena sources`) takes effect.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_full::notify::{self, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, NoCache, RecommendedCache};
use store::WatchedSource;
use tokio::sync::{Notify, mpsc};

use crate::{CancelFlag, IngestOptions, IngestSummary, Library, Result};

/// When to poll instead of listening for file-system events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollMode {
    /// Poll folders on network file systems (NFS, SMB, SSHFS, …), which report no events, and
    /// folders marked for polling; listen elsewhere (falling back to polling where listening
    /// fails, for example when the system's watch limit is reached).
    #[default]
    Auto,
    /// Poll every folder.
    Always,
}

/// Settings of a [`Watcher`]. The defaults apply a change within about two seconds.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Polling or events.
    pub poll: PollMode,
    /// How long a path must be quiet before its event is delivered.
    pub debounce: Duration,
    /// How long all paths must be quiet before a batch is applied.
    pub settle: Duration,
    /// How often a polled folder is looked at.
    pub poll_interval: Duration,
    /// How often the watched-folder table is read again.
    pub refresh: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: PollMode::Auto,
            debounce: Duration::from_millis(500),
            settle: Duration::from_millis(250),
            poll_interval: Duration::from_secs(1),
            refresh: Duration::from_secs(2),
        }
    }
}

/// What a watched folder is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    /// Changes are applied as they happen.
    Watching,
    /// The folder is being compared with the library.
    Scanning,
    /// The user paused it.
    Paused,
    /// It cannot be watched; why.
    Error(String),
    /// Nothing in this process watches it (yet).
    Idle,
}

impl SourceState {
    /// The state's name: `watching`, `scanning`, `paused`, `error` or `idle`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceState::Watching => "watching",
            SourceState::Scanning => "scanning",
            SourceState::Paused => "paused",
            SourceState::Error(_) => "error",
            SourceState::Idle => "idle",
        }
    }
}

/// A watched folder with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStatus {
    /// The stored folder.
    pub source: WatchedSource,
    /// What it is doing now.
    pub state: SourceState,
    /// True when it is polled rather than listened to.
    pub polling: bool,
}

impl SourceStatus {
    /// The status as stored by the last process that watched the folder (for a process that
    /// does not watch, such as `catena sources` while the app runs).
    pub fn stored(source: WatchedSource) -> SourceStatus {
        let state = if source.paused {
            SourceState::Paused
        } else {
            match source.state.as_str() {
                "watching" => SourceState::Watching,
                "scanning" => SourceState::Scanning,
                "error" => SourceState::Error(source.error.clone().unwrap_or_default()),
                _ if !Path::new(&source.path).is_dir() => SourceState::Error(GONE.into()),
                _ => SourceState::Idle,
            }
        };
        SourceStatus { polling: source.poll, source, state }
    }
}

/// What the watcher did, for progress displays.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// A folder's full scan started (at start, on resume, after the ignore file changed).
    Scanning {
        /// The folder.
        source: WatchedSource,
    },
    /// Changes were applied (`full_scan`: after a full scan).
    Synced {
        /// The folder.
        source: WatchedSource,
        /// What changed.
        summary: IngestSummary,
        /// True after a full scan, false after a batch of events.
        full_scan: bool,
    },
    /// A folder's state changed (paused, error, watching again, stopped).
    State {
        /// The folder and its new state.
        status: SourceStatus,
    },
    /// Applying changes failed; the next change or scan tries again.
    Failed {
        /// The folder.
        source: WatchedSource,
        /// Why.
        message: String,
    },
}

const GONE: &str = "the folder is gone";

/// Callback for [`WatchEvent`]s.
pub type WatchEvents = Arc<dyn Fn(WatchEvent) + Send + Sync>;

/// Keeps the watched folders of one library in sync while it lives. Dropping it (or
/// [`Watcher::stop`]) stops watching.
pub struct Watcher {
    stop: Arc<Notify>,
    refresh: Arc<Notify>,
    states: Arc<Mutex<HashMap<i64, (SourceState, bool)>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.notify_one();
    }
}

enum Handle {
    Native(#[allow(dead_code)] Debouncer<notify::RecommendedWatcher, RecommendedCache>),
    Poll(#[allow(dead_code)] Debouncer<notify::PollWatcher, NoCache>),
}

struct Active {
    source: WatchedSource,
    _handle: Handle,
    pending: BTreeSet<PathBuf>,
    rescan: bool,
}

struct Context {
    lib: Arc<Library>,
    gate: Arc<tokio::sync::Mutex<()>>,
    opts: WatchOptions,
    events: WatchEvents,
    states: Arc<Mutex<HashMap<i64, (SourceState, bool)>>>,
    tx: mpsc::UnboundedSender<(i64, DebounceEventResult)>,
    cancel: CancelFlag,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watcher {
    /// Starts watching every folder stored in the library that is not paused. `gate` is held
    /// while changes are applied, so that they never interleave with another ingest of the same
    /// process. The library must be open for writing.
    pub fn start(
        lib: Arc<Library>,
        gate: Arc<tokio::sync::Mutex<()>>,
        opts: WatchOptions,
        events: WatchEvents,
    ) -> Watcher {
        let stop = Arc::new(Notify::new());
        let refresh = Arc::new(Notify::new());
        let states = Arc::new(Mutex::new(HashMap::new()));
        let (tx, rx) = mpsc::unbounded_channel();
        let cx = Context { lib, gate, opts, events, states: states.clone(), tx, cancel: CancelFlag::default() };
        let task = tokio::spawn(run(cx, rx, stop.clone(), refresh.clone()));
        Watcher { stop, refresh, states, task: Some(task) }
    }

    /// Reads the watched-folder table again now (after adding, pausing, resuming or removing).
    pub fn refresh(&self) {
        self.refresh.notify_one();
    }

    /// A stored folder with its state in this watcher.
    pub fn status(&self, source: WatchedSource) -> SourceStatus {
        let states = lock(&self.states);
        match states.get(&source.id) {
            _ if source.paused => SourceStatus { polling: source.poll, source, state: SourceState::Paused },
            Some((state, polling)) => SourceStatus { source, state: state.clone(), polling: *polling },
            None => SourceStatus { polling: source.poll, source, state: SourceState::Idle },
        }
    }

    /// Every stored folder with its state in this watcher.
    pub async fn statuses(&self, lib: &Library) -> Result<Vec<SourceStatus>> {
        Ok(lib.sources().await?.into_iter().map(|s| self.status(s)).collect())
    }

    /// Stops watching and waits for a batch in progress to finish.
    pub async fn stop(mut self) {
        self.stop.notify_one();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn run(
    cx: Context,
    mut rx: mpsc::UnboundedReceiver<(i64, DebounceEventResult)>,
    stop: Arc<Notify>,
    refresh: Arc<Notify>,
) {
    let mut active: HashMap<i64, Active> = HashMap::new();
    // A process killed while watching left its states behind.
    let _ = cx.lib.catalog().reset_source_states().await;
    loop {
        reconcile(&cx, &mut active).await;
        tokio::select! {
            _ = stop.notified() => break,
            _ = refresh.notified() => {}
            _ = tokio::time::sleep(cx.opts.refresh) => {}
            got = rx.recv() => {
                let Some(first) = got else { break };
                collect(&mut active, first);
                // Keep collecting until the file system has been quiet for a moment (or a
                // burst has gone on for long), so that a burst is applied in few batches.
                let started = tokio::time::Instant::now();
                while started.elapsed() < Duration::from_secs(10) {
                    match tokio::time::timeout(cx.opts.settle, rx.recv()).await {
                        Ok(Some(more)) => collect(&mut active, more),
                        _ => break,
                    }
                }
                apply(&cx, &mut active).await;
            }
        }
    }
    drop(active);
    let _ = cx.lib.catalog().reset_source_states().await;
}

fn collect(active: &mut HashMap<i64, Active>, (id, result): (i64, DebounceEventResult)) {
    let Some(a) = active.get_mut(&id) else { return };
    match result {
        Ok(events) => {
            for e in events {
                if matches!(e.event.kind, notify::EventKind::Access(_)) {
                    continue;
                }
                if e.event.need_rescan() {
                    a.rescan = true;
                }
                for p in e.event.paths {
                    if p.file_name().is_some_and(|n| n == crate::walk::IGNORE_FILE) {
                        a.rescan = true;
                    }
                    a.pending.insert(p);
                }
            }
        }
        // Lost events (a queue overflow): only a full scan can tell what changed.
        Err(errors) => {
            tracing::warn!("watching {} reported: {errors:?}", a.source.path);
            a.rescan = true;
        }
    }
}

/// Applies the collected changes of every folder.
async fn apply(cx: &Context, active: &mut HashMap<i64, Active>) {
    let ids: Vec<i64> = active.keys().copied().collect();
    for id in ids {
        let Some(a) = active.get_mut(&id) else { continue };
        if a.pending.is_empty() && !a.rescan {
            continue;
        }
        let root = PathBuf::from(&a.source.path);
        if !root.is_dir() {
            // A folder that is gone (or unmounted) keeps its documents until the user stops
            // watching it; it comes back by itself if the folder does.
            let source = a.source.clone();
            active.remove(&id);
            set_state(cx, &source, SourceState::Error(GONE.into()), false).await;
            continue;
        }
        let changed: Vec<PathBuf> = std::mem::take(&mut a.pending).into_iter().collect();
        let rescan = std::mem::take(&mut a.rescan);
        let source = a.source.clone();
        if rescan {
            let polling = lock(&cx.states).get(&id).is_some_and(|s| s.1);
            scan(cx, &source, polling).await;
            continue;
        }
        let _gate = cx.gate.lock().await;
        match cx.lib.apply_changes(&root, &changed, &|_| {}, &cx.cancel).await {
            Ok(summary) => (cx.events)(WatchEvent::Synced { source, summary, full_scan: false }),
            Err(e) => (cx.events)(WatchEvent::Failed { source, message: e.to_string() }),
        }
    }
}

/// Compares a whole folder with the library (at start, on resume, when its rules changed).
async fn scan(cx: &Context, source: &WatchedSource, polling: bool) {
    set_state(cx, source, SourceState::Scanning, polling).await;
    (cx.events)(WatchEvent::Scanning { source: source.clone() });
    let _gate = cx.gate.lock().await;
    let opts = IngestOptions { prune: true, ..IngestOptions::default() };
    let root = PathBuf::from(&source.path);
    match cx.lib.ingest(std::slice::from_ref(&root), &opts, &|_| {}, &cx.cancel).await {
        Ok(summary) => {
            let _ = cx.lib.catalog().report_source(source.id, "watching", None, Some(summary.unsupported)).await;
            lock(&cx.states).insert(source.id, (SourceState::Watching, polling));
            (cx.events)(WatchEvent::Synced { source: source.clone(), summary, full_scan: true });
        }
        Err(e) => {
            set_state(cx, source, SourceState::Error(e.to_string()), polling).await;
            (cx.events)(WatchEvent::Failed { source: source.clone(), message: e.to_string() });
        }
    }
}

async fn set_state(cx: &Context, source: &WatchedSource, state: SourceState, polling: bool) {
    let previous = lock(&cx.states).insert(source.id, (state.clone(), polling));
    if previous.as_ref().is_some_and(|p| p.0 == state) {
        return;
    }
    let (name, error) = match &state {
        SourceState::Error(e) => ("error", Some(e.as_str())),
        SourceState::Paused | SourceState::Idle => ("idle", None),
        other => (other.as_str(), None),
    };
    let _ = cx.lib.catalog().report_source(source.id, name, error, None).await;
    (cx.events)(WatchEvent::State { status: SourceStatus { source: source.clone(), state, polling } });
}

/// Starts and stops folders to match the stored table.
async fn reconcile(cx: &Context, active: &mut HashMap<i64, Active>) {
    let sources = match cx.lib.sources().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot read the watched folders: {e}");
            return;
        }
    };
    let wanted: HashMap<i64, &WatchedSource> = sources.iter().map(|s| (s.id, s)).collect();
    active.retain(|id, _| wanted.get(id).is_some_and(|s| !s.paused));
    lock(&cx.states).retain(|id, _| wanted.contains_key(id));
    for source in &sources {
        if source.paused {
            set_state(cx, source, SourceState::Paused, source.poll).await;
            continue;
        }
        let root = PathBuf::from(&source.path);
        if let Some(a) = active.get_mut(&source.id) {
            a.source = source.clone();
            if !root.is_dir() {
                active.remove(&source.id);
                set_state(cx, source, SourceState::Error(GONE.into()), source.poll).await;
            }
            continue;
        }
        if !root.is_dir() {
            set_state(cx, source, SourceState::Error(GONE.into()), source.poll).await;
            continue;
        }
        let poll = source.poll || cx.opts.poll == PollMode::Always || is_network_mount(&root);
        let started = start_watch(cx, source.id, &root, poll).or_else(|e| {
            if poll {
                Err(e)
            } else {
                tracing::warn!("cannot listen for changes in {}: {e}; polling instead", root.display());
                start_watch(cx, source.id, &root, true)
            }
        });
        match started {
            Ok((handle, polling)) => {
                active.insert(
                    source.id,
                    Active { source: source.clone(), _handle: handle, pending: BTreeSet::new(), rescan: false },
                );
                // Watching starts before the scan, so nothing that changes during it is missed.
                scan(cx, source, polling).await;
            }
            Err(e) => set_state(cx, source, SourceState::Error(format!("cannot watch: {e}")), poll).await,
        }
    }
}

fn start_watch(cx: &Context, id: i64, root: &Path, poll: bool) -> notify::Result<(Handle, bool)> {
    let tx = cx.tx.clone();
    let handler = move |result: DebounceEventResult| {
        // The receiver is gone only when the watcher stops.
        let _ = tx.send((id, result));
    };
    let config = notify_debouncer_full::Config::default().with_timeout(cx.opts.debounce);
    if poll {
        let config = config.with_notify_config(notify::Config::default().with_poll_interval(cx.opts.poll_interval));
        let mut d = notify_debouncer_full::new_debouncer_opt::<_, notify::PollWatcher, _>(config, handler, NoCache)?;
        d.watch(root, RecursiveMode::Recursive)?;
        Ok((Handle::Poll(d), true))
    } else {
        let mut d = notify_debouncer_full::new_debouncer_opt::<_, notify::RecommendedWatcher, _>(
            config,
            handler,
            RecommendedCache::new(),
        )?;
        d.watch(root, RecursiveMode::Recursive)?;
        Ok((Handle::Native(d), false))
    }
}

/// File systems that report no change events to the machine that mounts them.
const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ncpfs",
    "afs",
    "9p",
    "fuse.sshfs",
    "fuse.rclone",
    "davfs",
    "fuse.s3fs",
    "glusterfs",
    "ceph",
    "lustre",
    "fuse.gvfsd-fuse",
];

/// True when `path` lies on a network file system (Linux: the longest mount point above it in
/// `/proc/self/mounts`); false where that cannot be told.
fn is_network_mount(path: &Path) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else { return false };
    let mut best: Option<(usize, bool)> = None;
    for line in mounts.lines() {
        let mut fields = line.split(' ');
        let (Some(_), Some(point), Some(fstype)) = (fields.next(), fields.next(), fields.next()) else { continue };
        // Spaces and tabs in mount points are written as octal escapes.
        let point = point.replace("\\040", " ").replace("\\011", "\t");
        if path.starts_with(&point) && best.is_none_or(|(len, _)| point.len() >= len) {
            best = Some((point.len(), NETWORK_FS.contains(&fstype)));
        }
    }
    best.is_some_and(|(_, network)| network)
}

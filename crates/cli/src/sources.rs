//! `catena sources` (the watched folders: list, add, pause, resume, remove) and `catena watch`
//! (keep them in sync in the foreground until Ctrl-C).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use library::{
    CancelFlag, Library, LibraryOptions, PollMode, SemanticStatus, SourceState, SourceStatus, WatchEvent, WatchOptions,
    Watcher,
};
use serde_json::{Value, json};

use crate::output::say;

#[derive(Subcommand, Debug)]
pub(crate) enum SourcesCommand {
    /// List the watched folders with their state (the default).
    List,
    /// Watch a folder (its files are read by the next `catena watch` or by the app).
    Add {
        /// The folder.
        dir: PathBuf,
        /// Poll it instead of listening for file-system events (network mounts that report none).
        #[arg(long)]
        poll: bool,
    },
    /// Stop applying changes of a folder until resumed.
    Pause {
        /// Folder id (from `catena sources`) or path.
        target: String,
    },
    /// Apply a paused folder's changes again (it is rescanned).
    Resume {
        /// Folder id or path.
        target: String,
    },
    /// Stop watching a folder; its documents stay in the library.
    Remove {
        /// Folder id or path.
        target: String,
    },
}

pub(crate) fn status_json(s: &SourceStatus) -> Value {
    let error = match &s.state {
        SourceState::Error(e) => Some(e.clone()),
        _ => None,
    };
    json!({
        "id": s.source.id,
        "path": s.source.path,
        "state": s.state.as_str(),
        "error": error,
        "paused": s.source.paused,
        "polling": s.polling,
        "skipped_unsupported": s.source.skipped,
        "last_scan": s.source.last_scan,
        "added_at": s.source.added_at,
    })
}

fn print_list(statuses: &[SourceStatus], json: bool) {
    if json {
        let v: Vec<Value> = statuses.iter().map(status_json).collect();
        say(&serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    if statuses.is_empty() {
        say("no watched folders (add one with `catena ingest DIR` or `catena sources add DIR`)");
        return;
    }
    for s in statuses {
        let mut line = format!("{:>4}  {:<9} {}", s.source.id, s.state.as_str(), s.source.path);
        if let SourceState::Error(e) = &s.state {
            line.push_str(&format!(" ({e})"));
        }
        if s.polling {
            line.push_str(" [polling]");
        }
        if s.source.skipped > 0 {
            line.push_str(&format!(" — {} files of other types skipped", s.source.skipped));
        }
        say(&line);
    }
}

pub(crate) async fn run(dir: &Path, cmd: Option<SourcesCommand>, json: bool) -> anyhow::Result<ExitCode> {
    // The watched-folder table is not part of the index protocol: it can be changed while the
    // app or `catena watch` holds the library, which picks the change up within seconds.
    let lib = Library::open_read(dir).await?;
    let done = |what: &str, path: &str| {
        if json {
            say(&json!({"done": what, "path": path}).to_string());
        } else {
            say(&format!("{what} {path}"));
        }
    };
    match cmd.unwrap_or(SourcesCommand::List) {
        SourcesCommand::List => {
            let statuses: Vec<SourceStatus> = lib.sources().await?.into_iter().map(SourceStatus::stored).collect();
            print_list(&statuses, json);
        }
        SourcesCommand::Add { dir, poll } => {
            let s = lib.add_source(&dir, poll).await?;
            done("watching", &s.path);
        }
        SourcesCommand::Pause { target } => {
            let s = lib.find_source(&target).await?;
            lib.set_source_paused(s.id, true).await?;
            done("paused", &s.path);
        }
        SourcesCommand::Resume { target } => {
            let s = lib.find_source(&target).await?;
            lib.set_source_paused(s.id, false).await?;
            done("resumed", &s.path);
        }
        SourcesCommand::Remove { target } => {
            let s = lib.find_source(&target).await?;
            lib.remove_source(s.id).await?;
            done("stopped watching", &s.path);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(e: &WatchEvent) -> (String, Value) {
    match e {
        WatchEvent::Scanning { source } => {
            (format!("scanning {}", source.path), json!({"event": "scanning", "path": source.path}))
        }
        WatchEvent::Synced { source, summary: s, full_scan } => {
            let mut parts = vec![format!("{} read", s.ingested)];
            for (n, what) in [(s.moved, "moved"), (s.removed, "removed"), (s.failed.len() as u64, "failed")] {
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            let kind = if *full_scan { "scanned" } else { "updated" };
            let v = json!({
                "event": kind,
                "path": source.path,
                "ingested": s.ingested,
                "unchanged": s.skipped,
                "moved": s.moved,
                "removed": s.removed,
                "skipped_unsupported": s.unsupported,
                "failed": s.failed.iter().map(|(p, e)| json!({"path": p, "error": e})).collect::<Vec<_>>(),
            });
            let mut line = format!("{kind} {}: {}", source.path, parts.join(", "));
            for (p, e) in &s.failed {
                line.push_str(&format!("\n  failed: {p} ({e})"));
            }
            (line, v)
        }
        WatchEvent::State { status } => {
            let mut line = format!("{} {}", status.state.as_str(), status.source.path);
            if let SourceState::Error(e) = &status.state {
                line.push_str(&format!(": {e}"));
            }
            (line, json!({"event": "state", "source": status_json(status)}))
        }
        WatchEvent::Failed { source, message } => (
            format!("could not apply changes in {}: {message}", source.path),
            json!({"event": "failed", "path": source.path, "error": message}),
        ),
    }
}

/// `catena watch`: rescans every watched folder, then applies changes as they happen until
/// Ctrl-C (or SIGTERM). Progress goes to stderr, one line (or JSON object with `--json`) per event.
/// New documents are searchable by keywords at once and embedded after each batch (when semantic
/// search is on), as after `catena ingest`.
pub(crate) async fn watch(
    dir: &Path,
    poll: bool,
    commit_every: usize,
    embedder: &crate::embedding::EmbedderArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let options = LibraryOptions { commit_every_docs: commit_every.max(1), ..LibraryOptions::default() };
    let lib = Arc::new(Library::open_write(dir, options).await?);
    if !lib.recovery.is_clean() {
        eprintln!("recovered from an interrupted run: {:?}", lib.recovery);
    }
    let n = lib.sources().await?.len();
    if n == 0 {
        eprintln!("no watched folders yet: add one with `catena ingest DIR` or `catena sources add DIR`");
    }
    crate::embedding::configure(&lib, embedder, dir).await;
    if let SemanticStatus::Off { reason } = lib.semantic_status().await? {
        eprintln!("note: semantic search is off ({reason}); new documents are searchable by keywords");
    }
    // Something to embed: what an earlier run left, then whatever each batch adds.
    let (embed_tx, mut embed_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let _ = embed_tx.send(());
    let events = Arc::new(move |e: WatchEvent| {
        if let WatchEvent::Synced { summary, .. } = &e
            && summary.ingested + summary.moved > 0
        {
            let _ = embed_tx.send(());
        }
        let (line, v) = describe(&e);
        if json {
            eprintln!("{v}");
        } else {
            eprintln!("{line}");
        }
    });
    let opts = WatchOptions { poll: if poll { PollMode::Always } else { PollMode::Auto }, ..WatchOptions::default() };
    let watcher = Watcher::start(lib.clone(), Arc::new(tokio::sync::Mutex::new(())), opts, events);
    let reporter = crate::progress::Reporter::new(crate::ProgressMode::Quiet, json);
    let cancel = CancelFlag::default();
    let stop = wait_for_stop();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            got = embed_rx.recv() => {
                if got.is_none() {
                    break;
                }
                while embed_rx.try_recv().is_ok() {}
                if !matches!(lib.semantic_status().await, Ok(SemanticStatus::On { .. })) {
                    continue;
                }
                // A stop in the middle drops the pass: each document's vectors commit on their
                // own, so the next run resumes where this one ended.
                tokio::select! {
                    _ = &mut stop => break,
                    done = crate::embedding::after_ingest(&lib, &reporter, &cancel) => {
                        if let Err(e) = done {
                            eprintln!("embedding stopped: {e:#}");
                        }
                    }
                }
            }
        }
    }
    eprintln!("stopping: finishing the changes in progress");
    watcher.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

//! Progress on stderr: a live line on a terminal, plain lines in logs, JSON events for tools.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use library::{EmbedProgress, FileOutcome, IngestEvent};
use serde_json::json;

use crate::ProgressMode;

pub(crate) struct Reporter {
    mode: ProgressMode,
    live: bool,
    last_draw: Mutex<Option<Instant>>,
    last_embedded: Mutex<Option<u64>>,
}

impl Reporter {
    pub(crate) fn new(mode: ProgressMode, json_output: bool) -> Reporter {
        let tty = std::io::stderr().is_terminal();
        let mode = match mode {
            ProgressMode::Auto if tty => ProgressMode::Auto,
            ProgressMode::Auto if json_output => ProgressMode::Quiet,
            ProgressMode::Auto => ProgressMode::Plain,
            m => m,
        };
        Reporter {
            mode,
            live: mode == ProgressMode::Auto,
            last_draw: Mutex::new(None),
            last_embedded: Mutex::new(None),
        }
    }

    pub(crate) fn event(&self, e: &IngestEvent) {
        match self.mode {
            ProgressMode::Json => emit(&event_json(e)),
            ProgressMode::Quiet => {
                if let IngestEvent::File { path, outcome: FileOutcome::Failed { error }, .. } = e {
                    emit(&format!("failed: {path}: {error}"));
                }
            }
            ProgressMode::Plain => {
                if let IngestEvent::File { path, outcome, progress } = e {
                    emit(&format!(
                        "[{}/{}] {}: {}",
                        progress.files_done,
                        progress.files_total,
                        describe(outcome),
                        path
                    ));
                }
            }
            ProgressMode::Auto => self.live_line(e),
        }
    }

    fn live_line(&self, e: &IngestEvent) {
        let IngestEvent::File { path, outcome, progress } = e else { return };
        if let FileOutcome::Failed { error } = outcome {
            emit(&format!("\r\x1b[2Kfailed: {path}: {error}"));
        }
        let mut last = self.last_draw.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() > Duration::from_millis(100));
        if !due && progress.files_done < progress.files_total {
            return;
        }
        *last = Some(Instant::now());
        let eta = progress.eta.map(|d| format!(", ETA {}", human_duration(d))).unwrap_or_default();
        let name = std::path::Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{}/{} files, {:.1}/{:.1} MB{}  {}",
            progress.files_done,
            progress.files_total,
            progress.bytes_done as f64 / 1e6,
            progress.bytes_total as f64 / 1e6,
            eta,
            truncate(&name, 40)
        );
        let _ = err.flush();
    }

    pub(crate) fn finish(&self) {
        if self.live {
            eprintln!();
        }
    }

    /// Embedding progress after the files were indexed: a live line, one line per document,
    /// or an `embedding` JSON event per batch.
    pub(crate) fn embedding(&self, p: &EmbedProgress) {
        match self.mode {
            ProgressMode::Json => emit(&embedding_json(p)),
            ProgressMode::Quiet => {}
            ProgressMode::Plain => {
                // One line per finished document (and one at the start).
                let mut last = self.last_embedded.lock().unwrap_or_else(|e| e.into_inner());
                if *last == Some(p.documents_done) {
                    return;
                }
                *last = Some(p.documents_done);
                emit(&format!(
                    "[embedding {}/{}] {} chunks of {} with {}",
                    p.documents_done, p.documents_total, p.chunks_done, p.chunks_total, p.model
                ));
            }
            ProgressMode::Auto => {
                let mut last = self.last_draw.lock().unwrap_or_else(|e| e.into_inner());
                let due = last.is_none_or(|t| t.elapsed() > Duration::from_millis(100));
                if !due && p.documents_done < p.documents_total {
                    return;
                }
                *last = Some(Instant::now());
                let eta = p.eta.map(|d| format!(", ETA {}", human_duration(d))).unwrap_or_default();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2Kembedding: {}/{} documents, {}/{} chunks{}",
                    p.documents_done, p.documents_total, p.chunks_done, p.chunks_total, eta
                );
                let _ = err.flush();
            }
        }
    }

    /// Ends the embedding progress line.
    pub(crate) fn finish_embedding(&self) {
        if self.live {
            eprintln!();
        }
    }

    /// A note on stderr (not in quiet or JSON progress, where it would break the event stream).
    pub(crate) fn note(&self, text: &str) {
        match self.mode {
            ProgressMode::Json => emit(&json!({"event": "note", "message": text}).to_string()),
            ProgressMode::Quiet => {}
            _ => emit(&format!("note: {text}")),
        }
    }
}

/// The JSON event of embedding progress.
pub(crate) fn embedding_json(p: &EmbedProgress) -> String {
    json!({
        "event": "embedding",
        "model": p.model,
        "documents_done": p.documents_done,
        "documents_total": p.documents_total,
        "chunks_done": p.chunks_done,
        "chunks_total": p.chunks_total,
        "eta_ms": p.eta.map(|d| d.as_millis() as u64),
    })
    .to_string()
}

fn emit(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

fn describe(o: &FileOutcome) -> String {
    match o {
        FileOutcome::Ingested { chunks, replaced, warnings, .. } => {
            let verb = if *replaced { "replaced" } else { "ingested" };
            let unit = if *chunks == 1 { "chunk" } else { "chunks" };
            if warnings.is_empty() {
                format!("{verb} ({chunks} {unit})")
            } else {
                format!("{verb} ({chunks} {unit}; {})", warnings.join("; "))
            }
        }
        FileOutcome::Unchanged => "unchanged".into(),
        FileOutcome::Duplicate { of_path, .. } => format!("duplicate of {of_path}"),
        FileOutcome::Failed { error } => format!("failed ({error})"),
        FileOutcome::Removed => "removed (file is gone)".into(),
        FileOutcome::Moved { from, .. } => format!("moved from {from}"),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let t: String = s.chars().take(n.saturating_sub(1)).collect();
    format!("{t}…")
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// The structured event stream (one JSON object per line), the same shape the desktop app gets.
pub(crate) fn event_json(e: &IngestEvent) -> String {
    let v = match e {
        IngestEvent::Scanned { files, bytes } => json!({"event": "scanned", "files": files, "bytes": bytes}),
        IngestEvent::Committed { generation, documents } => {
            json!({"event": "committed", "generation": generation, "documents": documents})
        }
        IngestEvent::File { path, outcome, progress } => {
            let mut v = json!({
                "event": "file",
                "path": path,
                "files_done": progress.files_done,
                "files_total": progress.files_total,
                "bytes_done": progress.bytes_done,
                "bytes_total": progress.bytes_total,
                "eta_ms": progress.eta.map(|d| d.as_millis() as u64),
            });
            let (outcome, extra) = match outcome {
                FileOutcome::Ingested { doc_id, chunks, replaced, warnings } => (
                    if *replaced { "replaced" } else { "ingested" },
                    json!({"doc_id": doc_id, "chunks": chunks, "warnings": warnings}),
                ),
                FileOutcome::Unchanged => ("unchanged", json!({})),
                FileOutcome::Duplicate { of, of_path } => {
                    ("duplicate", json!({"duplicate_of": of, "duplicate_of_path": of_path}))
                }
                FileOutcome::Failed { error } => ("failed", json!({"error": error})),
                FileOutcome::Removed => ("removed", json!({})),
                FileOutcome::Moved { doc_id, from } => ("moved", json!({"doc_id": doc_id, "from": from})),
            };
            v["outcome"] = outcome.into();
            if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                for (k, val) in extra {
                    obj.insert(k.clone(), val.clone());
                }
            }
            v
        }
    };
    v.to_string()
}

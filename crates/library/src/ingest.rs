//! The ingestion pipeline: walk → (hash, extract, chunk) on all cores → one writer.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use extract::{Cell, Chunk, Document, ExtractError};
use index::ChunkRecord;
use store::{DocRow, NewDoc, NewTable, Status, TableColumn};
use tokio::task::JoinSet;

use crate::walk::{self, Found};
use crate::{Library, Result, blocking, lock};

/// A cooperative stop signal (Ctrl-C, the app's cancel button). Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Asks the running operation to stop at the next file boundary.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for readers that check it inside a file (OCR, between and during pages).
    pub(crate) fn shared(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// Options of one ingest call.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Remove catalogued files under the given folders that no longer exist.
    pub prune: bool,
    /// Read again files that failed before even if they did not change.
    pub retry_failed: bool,
    /// When not empty, only files whose real path (symlinks resolved) lies under one of these
    /// folders are read; any other file the walk finds (a link that leads out) is reported as
    /// failed with the reason. The folders must be given in their real (canonical) form.
    pub confine_to: Vec<PathBuf>,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// New content, now indexed (or about to be, at the next commit).
    Ingested {
        /// Catalog id.
        doc_id: i64,
        /// Chunks written.
        chunks: u64,
        /// True when it replaced an older version of the same path.
        replaced: bool,
        /// Non-fatal problems.
        warnings: Vec<String>,
    },
    /// Same content as last time.
    Unchanged,
    /// Same content as another document already in the library.
    Duplicate {
        /// The document holding this content.
        of: i64,
        /// Its path.
        of_path: String,
    },
    /// Could not be read; nothing of it was indexed.
    Failed {
        /// One-line reason.
        error: String,
    },
    /// Pruned: the file is gone from disk (or a watched folder now leaves it out).
    Removed,
    /// The same content as a document whose file is gone: the document moved here and keeps its
    /// id, so runs that cite it still open it.
    Moved {
        /// Catalog id (unchanged).
        doc_id: i64,
        /// Where it was.
        from: String,
    },
}

/// Counts so far, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: u64,
    /// Files in the batch.
    pub files_total: u64,
    /// Bytes finished.
    pub bytes_done: u64,
    /// Bytes in the batch.
    pub bytes_total: u64,
    /// Estimated time left, once there is enough data for an estimate.
    pub eta: Option<Duration>,
}

/// A structured progress event, for the CLI's stderr and the desktop app.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestEvent {
    /// The paths were walked.
    Scanned {
        /// Files found.
        files: u64,
        /// Their total size.
        bytes: u64,
    },
    /// One file finished.
    File {
        /// The file.
        path: String,
        /// What happened.
        outcome: FileOutcome,
        /// Counts after this file.
        progress: Progress,
    },
    /// A batch was committed to the index: everything before this point is durable.
    Committed {
        /// The generation committed.
        generation: u64,
        /// Documents that became searchable.
        documents: u64,
    },
}

/// The result of one ingest call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestSummary {
    /// Files indexed (new or replaced).
    pub ingested: u64,
    /// Files skipped (unchanged or duplicate).
    pub skipped: u64,
    /// `(path, reason)` of files that failed.
    pub failed: Vec<(String, String)>,
    /// `(path, doc_id of the original)` of duplicates.
    pub duplicates: Vec<(String, i64)>,
    /// Catalogued files removed by `prune` (or gone from a watched folder).
    pub removed: u64,
    /// Documents found at a new path (renamed or moved), identity kept.
    pub moved: u64,
    /// Files inside folders left out quietly because Catena does not read their type.
    pub unsupported: u64,
    /// Chunks written.
    pub chunks: u64,
    /// Bytes of the files read.
    pub bytes: u64,
    /// True when the run was cancelled before every file was seen.
    pub interrupted: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// The worker's verdict on one file.
enum Work {
    Unchanged {
        id: i64,
        mtime_ns: Option<i64>,
    },
    Duplicate {
        of: Box<DocRow>,
    },
    Failed {
        error: String,
        hash: Option<String>,
    },
    Extracted {
        doc: Box<Document>,
        chunks: Vec<Chunk>,
        hash: String,
    },
    /// Stopped mid-file by the cancel flag: nothing of it is written, so the next run reads it.
    Cancelled,
    /// New content here that an indexed document whose file is gone holds: a rename or a move.
    Moved {
        of: Box<DocRow>,
        doc: Box<Document>,
        chunks: Vec<Chunk>,
        hash: String,
    },
}

struct Job {
    path: PathBuf,
    size: u64,
    mtime_ns: Option<i64>,
}

impl Library {
    /// Ingests files and folders (recursively). One broken file never stops the batch; a
    /// cancelled run commits what it finished. Events are delivered in order.
    pub async fn ingest(
        &self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        events: &(dyn Fn(IngestEvent) + Sync),
        cancel: &CancelFlag,
    ) -> Result<IngestSummary> {
        let roots = paths.to_vec();
        let confine = opts.confine_to.clone();
        let scan = blocking(move || {
            let mut scan = walk::walk(&roots);
            if !confine.is_empty() {
                scan.confine(&confine);
            }
            scan
        })
        .await?;
        let mut gone = Vec::new();
        if opts.prune {
            let seen = scan.file_paths();
            // What could not be read this time is not gone.
            let unreadable: Vec<&Path> = scan
                .found
                .iter()
                .filter_map(|f| match f {
                    Found::Missing { path, .. } => Some(path.as_path()),
                    Found::File { .. } => None,
                })
                .collect();
            // A file named by itself is not pruned by a folder it lies in.
            let named: HashSet<PathBuf> = paths.iter().map(|p| walk::absolute(p)).collect();
            for doc in self.documents().await? {
                let path = Path::new(&doc.path);
                let under_root = scan.dirs.iter().any(|d| path.starts_with(d));
                let blocked = unreadable.iter().any(|u| path.starts_with(u));
                // A file the folder now leaves out (hidden, ignored) goes as well as one that is gone.
                if under_root && !blocked && !seen.contains(&doc.path) && !named.contains(path) {
                    gone.push(doc);
                }
            }
        }
        self.run_batch(scan, gone, opts.retry_failed, events, cancel).await
    }

    /// Applies changes under a watched folder: `changed` are the paths the file system reported
    /// (files or folders, created, changed, renamed or deleted). Files that exist and belong to
    /// the folder are read as in [`Library::ingest`]; documents at or under a changed path that
    /// is gone (or that the folder now leaves out) leave the library, unless their content turns
    /// up at one of the new paths, in which case they move there and keep their id.
    pub async fn apply_changes(
        &self,
        root: &Path,
        changed: &[PathBuf],
        events: &(dyn Fn(IngestEvent) + Sync),
        cancel: &CancelFlag,
    ) -> Result<IngestSummary> {
        let filter = walk::Filter::new(root);
        let paths = changed.to_vec();
        let scan = blocking(move || walk::changed(&filter, &paths)).await?;
        let seen = scan.file_paths();
        let changed_set: HashSet<&Path> = changed.iter().map(PathBuf::as_path).collect();
        let mut gone = Vec::new();
        for doc in self.documents().await? {
            let path = Path::new(&doc.path);
            if path.ancestors().any(|a| changed_set.contains(a)) && !seen.contains(&doc.path) {
                gone.push(doc);
            }
        }
        self.run_batch(scan, gone, false, events, cancel).await
    }

    /// Reads the files of a scan and removes the `gone` documents, in commit batches.
    async fn run_batch(
        &self,
        scan: walk::Scan,
        gone: Vec<DocRow>,
        retry_failed: bool,
        events: &(dyn Fn(IngestEvent) + Sync),
        cancel: &CancelFlag,
    ) -> Result<IngestSummary> {
        let writer = self.writer()?;
        let started = Instant::now();
        let mut summary = IngestSummary { unsupported: scan.unsupported, ..IngestSummary::default() };
        let mut progress = Progress::default();
        let mut jobs = Vec::new();
        for f in scan.found {
            match f {
                Found::File { path, size, mtime_ns } => {
                    progress.files_total += 1;
                    progress.bytes_total += size;
                    jobs.push(Job { path, size, mtime_ns });
                }
                Found::Missing { path, error } => {
                    let p = path.to_string_lossy().into_owned();
                    summary.failed.push((p.clone(), error.clone()));
                    events(IngestEvent::File { path: p, outcome: FileOutcome::Failed { error }, progress });
                }
            }
        }
        events(IngestEvent::Scanned { files: progress.files_total, bytes: progress.bytes_total });

        let mut batch = Batch { g: self.next_generation().await?, docs: 0, chars: 0, dirty: false };
        // Files are read before the gone ones are removed: content that turns up at a new path
        // moves its document there (keeping its id) instead of a removal and a new document.
        let workers = self.options.workers.max(1);
        let mut queue = jobs.into_iter();
        let mut running: JoinSet<(Job, Work)> = JoinSet::new();
        loop {
            while running.len() < workers && !cancel.is_cancelled() {
                let Some(job) = queue.next() else { break };
                let catalog = self.catalog.clone();
                let mut xopts = self.extract_options();
                xopts.ocr.cancel = Some(cancel.shared());
                let copts = self.options.chunk.clone();
                running.spawn(async move {
                    let work = examine(&catalog, &job, &xopts, &copts, retry_failed).await;
                    (job, work)
                });
            }
            let Some(joined) = running.join_next().await else { break };
            let (job, work) = match joined {
                Ok(done) => done,
                // A panic inside a reader is a bug, but still only that file's failure; the
                // path is lost with the task, so it is reported without one.
                Err(e) => {
                    summary.failed.push((String::new(), format!("internal error: {e}")));
                    continue;
                }
            };
            if matches!(work, Work::Cancelled) {
                continue;
            }
            let path = job.path.to_string_lossy().into_owned();
            let outcome = self.apply(&writer, &job, &path, work, &mut batch).await?;
            match &outcome {
                FileOutcome::Ingested { chunks, .. } => {
                    summary.ingested += 1;
                    summary.chunks += chunks;
                }
                FileOutcome::Unchanged => summary.skipped += 1,
                FileOutcome::Duplicate { of, .. } => {
                    summary.skipped += 1;
                    summary.duplicates.push((path.clone(), *of));
                }
                FileOutcome::Failed { error } => summary.failed.push((path.clone(), error.clone())),
                FileOutcome::Removed => summary.removed += 1,
                FileOutcome::Moved { .. } => summary.moved += 1,
            }
            progress.files_done += 1;
            progress.bytes_done += job.size;
            summary.bytes += job.size;
            progress.eta = eta(started.elapsed(), progress.bytes_done, progress.bytes_total);
            events(IngestEvent::File { path, outcome, progress });
            if batch.docs >= self.options.commit_every_docs || batch.chars >= self.options.commit_every_chars {
                self.commit(&writer, &mut batch, events).await?;
            }
        }
        summary.interrupted = cancel.is_cancelled() && progress.files_done < progress.files_total;

        if !summary.interrupted {
            for doc in gone {
                // It may have moved to one of the files just read, or have been replaced.
                let Some(now) = self.catalog.get(doc.id).await? else { continue };
                if now.path != doc.path {
                    continue;
                }
                if now.status == Status::Indexed {
                    self.delete_in_batch(&writer, now.id, Status::Removing, &mut batch).await?;
                } else if matches!(now.status, Status::Failed | Status::Duplicate) {
                    self.catalog.delete_unindexed(now.id).await?;
                } else {
                    continue;
                }
                summary.removed += 1;
                events(IngestEvent::File { path: doc.path.clone(), outcome: FileOutcome::Removed, progress });
                batch.docs += 1;
                if batch.docs >= self.options.commit_every_docs {
                    self.commit(&writer, &mut batch, events).await?;
                }
            }
        }

        self.commit(&writer, &mut batch, events).await?;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Writes one file's result to the catalog and the index writer (not yet committed).
    async fn apply(
        &self,
        writer: &Arc<std::sync::Mutex<index::ChunkWriter>>,
        job: &Job,
        path: &str,
        work: Work,
        batch: &mut Batch,
    ) -> Result<FileOutcome> {
        let previous = self.catalog.by_path(path).await?;
        let live = previous.iter().find(|d| d.status == Status::Indexed).cloned();
        let base = NewDoc {
            path: path.to_string(),
            size: job.size,
            mtime_ns: job.mtime_ns,
            format: extract::Format::from_path(&job.path).map(|f| f.as_str().to_string()),
            ..NewDoc::default()
        };
        match work {
            Work::Cancelled => Err(crate::LibraryError::Internal("a cancelled file cannot be applied".into())),
            Work::Unchanged { id, mtime_ns } => {
                if mtime_ns != job.mtime_ns {
                    self.catalog.touch(id, job.mtime_ns).await?;
                }
                Ok(FileOutcome::Unchanged)
            }
            Work::Duplicate { of } => {
                if let Some(old) = &live {
                    self.delete_in_batch(writer, old.id, Status::Replacing, batch).await?;
                }
                let doc = NewDoc { content_hash: of.content_hash.clone(), ..base };
                self.catalog.record_duplicate(&doc, of.id).await?;
                Ok(FileOutcome::Duplicate { of: of.id, of_path: of.path })
            }
            Work::Failed { error, hash } => {
                // A changed file that no longer reads must not leave its old text searchable.
                if let Some(old) = &live {
                    self.delete_in_batch(writer, old.id, Status::Removing, batch).await?;
                }
                for stale in previous.iter().filter(|d| d.status == Status::Duplicate) {
                    self.catalog.delete_unindexed(stale.id).await?;
                }
                let doc = NewDoc { content_hash: hash, ..base };
                self.catalog.record_failure(&doc, &error).await?;
                Ok(FileOutcome::Failed { error })
            }
            Work::Moved { of, doc, chunks, hash } => {
                // Still a move only if that document is still indexed elsewhere, its file still
                // gone, and its chunks the same: otherwise this is new content or a copy.
                let now = self.catalog.get(of.id).await?;
                let movable = now.as_ref().is_some_and(|d| {
                    d.status == Status::Indexed
                        && d.path != path
                        && !Path::new(&d.path).exists()
                        && d.chunks == chunks.len() as u64
                });
                let Some(now) = now.filter(|_| movable) else {
                    let work = Work::Extracted { doc, chunks, hash };
                    return Box::pin(self.apply(writer, job, path, work, batch)).await;
                };
                if let Some(old) = live.as_ref().filter(|d| d.id != now.id) {
                    self.delete_in_batch(writer, old.id, Status::Replacing, batch).await?;
                }
                let title = title_of(&doc, &job.path);
                let to = store::Move {
                    path: path.to_string(),
                    title: title.clone(),
                    size: job.size,
                    mtime_ns: job.mtime_ns,
                };
                self.catalog.begin_move(now.id, &to, batch.g).await?;
                let records = chunk_records(now.id, &title, path, &doc, chunks);
                let card_line = card_line(&doc);
                let w = writer.clone();
                let id = now.id;
                // The chunks carry their path: the old ones go and the same chunks come back
                // labelled with the new one, in the same commit.
                blocking(move || -> std::result::Result<(), index::IndexError> {
                    let mut w = lock(&w);
                    w.delete_doc(id)?;
                    for r in &records {
                        w.add_with_card(r, card_line.as_deref().filter(|_| r.ordinal == 0))?;
                    }
                    Ok(())
                })
                .await??;
                batch.docs += 1;
                batch.dirty = true;
                Ok(FileOutcome::Moved { doc_id: now.id, from: now.path })
            }
            Work::Extracted { doc, chunks, hash } => {
                // Another file with this content may have been ingested earlier in this batch.
                if let Some(of) = self.catalog.by_hash(&hash).await?
                    && of.path != path
                {
                    return Box::pin(self.apply(writer, job, path, Work::Duplicate { of: Box::new(of) }, batch)).await;
                }
                let replaced = live.is_some();
                if let Some(old) = &live {
                    self.delete_in_batch(writer, old.id, Status::Replacing, batch).await?;
                }
                for stale in previous.iter().filter(|d| matches!(d.status, Status::Failed | Status::Duplicate)) {
                    self.catalog.delete_unindexed(stale.id).await?;
                }
                let title = title_of(&doc, &job.path);
                let new = NewDoc {
                    title: title.clone(),
                    format: Some(doc.format.as_str().to_string()),
                    content_hash: Some(hash),
                    pages: doc.pages,
                    chunks: chunks.len() as u64,
                    warnings: doc.warnings.clone(),
                    card: (!doc.card.is_empty()).then(|| serde_json::to_value(&doc.card).ok()).flatten(),
                    ocr: ocr_rows(&doc),
                    ..base
                };
                let tables: Vec<NewTable> = doc.tables.iter().map(to_new_table).collect();
                let id = self.catalog.insert_pending(&new, &doc.text, &tables, batch.g).await?;
                let records = chunk_records(id, &title, path, &doc, chunks);
                let n = records.len() as u64;
                let w = writer.clone();
                let card_line = card_line(&doc);
                blocking(move || -> std::result::Result<(), index::IndexError> {
                    let mut w = lock(&w);
                    for r in &records {
                        w.add_with_card(r, card_line.as_deref().filter(|_| r.ordinal == 0))?;
                    }
                    Ok(())
                })
                .await??;
                batch.docs += 1;
                batch.chars += doc.text.len();
                batch.dirty = true;
                Ok(FileOutcome::Ingested { doc_id: id, chunks: n, replaced, warnings: doc.warnings })
            }
        }
    }

    async fn delete_in_batch(
        &self,
        writer: &Arc<std::sync::Mutex<index::ChunkWriter>>,
        id: i64,
        status: Status,
        batch: &mut Batch,
    ) -> Result<()> {
        self.catalog.mark_for_deletion(id, status, batch.g).await?;
        let w = writer.clone();
        blocking(move || lock(&w).delete_doc(id)).await??;
        batch.dirty = true;
        Ok(())
    }

    async fn commit(
        &self,
        writer: &Arc<std::sync::Mutex<index::ChunkWriter>>,
        batch: &mut Batch,
        events: &(dyn Fn(IngestEvent) + Sync),
    ) -> Result<()> {
        if !batch.dirty {
            return Ok(());
        }
        let g = batch.g;
        let w = writer.clone();
        blocking(move || lock(&w).commit(g)).await??;
        self.catalog.finish_generation(g).await?;
        events(IngestEvent::Committed { generation: g, documents: batch.docs as u64 });
        *batch = Batch { g: g + 1, docs: 0, chars: 0, dirty: false };
        Ok(())
    }
}

fn title_of(doc: &Document, path: &Path) -> Option<String> {
    doc.title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
}

fn chunk_records(id: i64, title: &Option<String>, path: &str, doc: &Document, chunks: Vec<Chunk>) -> Vec<ChunkRecord> {
    chunks
        .into_iter()
        .map(|c| ChunkRecord {
            doc_id: id,
            ordinal: u32::try_from(c.ordinal).unwrap_or(u32::MAX),
            title: title.clone().unwrap_or_default(),
            path: path.to_string(),
            format: doc.format.as_str().to_string(),
            location: c.location,
            span: c.span,
            text: c.text,
        })
        .collect()
}

/// The card line goes with the first chunk (the title page), see `add_with_card`. Only a card
/// with bibliographic facts (authors, identifiers) earns the line: a title and a file date alone
/// would only repeat the title and match every question that says "date" or "published".
pub(crate) fn card_line(doc: &Document) -> Option<String> {
    if doc.card.authors.is_empty() && doc.card.identifiers.is_empty() { None } else { doc.card.search_line() }
}

struct Batch {
    g: u64,
    docs: usize,
    chars: usize,
    dirty: bool,
}

/// Decides what to do with one file: cheap checks first (size and mtime, then content hash),
/// extraction and chunking only for new content. Runs concurrently with other files.
async fn examine(
    catalog: &store::Catalog,
    job: &Job,
    xopts: &extract::ExtractOptions,
    copts: &extract::ChunkOptions,
    retry_failed: bool,
) -> Work {
    let path = job.path.to_string_lossy().into_owned();
    let previous = catalog.by_path(&path).await.unwrap_or_default();
    let current = previous
        .iter()
        .find(|d| matches!(d.status, Status::Indexed | Status::Duplicate))
        .or_else(|| if retry_failed { None } else { previous.iter().find(|d| d.status == Status::Failed) });
    // A duplicate whose original is gone (removed or pruned) must be read for real.
    let mut current = current;
    if let Some(d) = current.filter(|d| d.status == Status::Duplicate) {
        let original = match d.duplicate_of {
            Some(id) => catalog.get(id).await.ok().flatten(),
            None => None,
        };
        if !original.is_some_and(|o| matches!(o.status, Status::Indexed | Status::Pending)) {
            current = None;
        }
    }
    if let Some(d) = current
        && d.size == job.size
        && d.mtime_ns.is_some()
        && d.mtime_ns == job.mtime_ns
    {
        return Work::Unchanged { id: d.id, mtime_ns: d.mtime_ns };
    }
    let hash_path = job.path.clone();
    let hash = match tokio::task::spawn_blocking(move || hash_file(&hash_path)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return Work::Failed { error: format!("cannot read: {}", walk::io_reason(&e)), hash: None },
        Err(e) => return Work::Failed { error: format!("internal error: {e}"), hash: None },
    };
    if let Some(d) = current
        && d.content_hash.as_deref() == Some(hash.as_str())
    {
        return Work::Unchanged { id: d.id, mtime_ns: d.mtime_ns };
    }
    let mut moved_from = None;
    if let Ok(Some(of)) = catalog.by_hash(&hash).await
        && of.path != path
    {
        // Its file is gone: this is the same document at a new path, read to re-label it.
        if of.status == Status::Indexed && !Path::new(&of.path).exists() {
            moved_from = Some(of);
        } else {
            return Work::Duplicate { of: Box::new(of) };
        }
    }
    let p = job.path.clone();
    let xopts = xopts.clone();
    let copts = copts.clone();
    let extracted =
        tokio::task::spawn_blocking(move || -> std::result::Result<(Document, Vec<Chunk>), ExtractError> {
            let doc = extract::extract(&p, &xopts)?;
            let chunks = extract::chunk(&doc, &copts);
            Ok((doc, chunks))
        })
        .await;
    match extracted {
        Ok(Ok((doc, chunks))) if chunks.is_empty() => {
            // A scan's reason (no text layer, needs OCR or OCR found nothing) without its page.
            let error = doc
                .warnings
                .iter()
                .find(|w| w.contains("no text layer") || w.contains("OCR found no text"))
                .map(|w| w.split_once(": ").map_or(w.as_str(), |(_, reason)| reason).to_string())
                .unwrap_or_else(|| "no text found".to_string());
            Work::Failed { error, hash: Some(hash) }
        }
        Ok(Ok((doc, chunks))) => match moved_from {
            Some(of) => Work::Moved { of: Box::new(of), doc: Box::new(doc), chunks, hash },
            None => Work::Extracted { doc: Box::new(doc), chunks, hash },
        },
        Ok(Err(ExtractError::Cancelled)) => Work::Cancelled,
        Ok(Err(e)) => Work::Failed { error: e.to_string(), hash: Some(hash) },
        Err(e) => Work::Failed { error: format!("internal error while reading: {e}"), hash: Some(hash) },
    }
}

/// A document's OCR'd pages for the catalog, their byte ranges turned into char spans (what
/// spans index everywhere else).
fn ocr_rows(doc: &Document) -> Vec<store::OcrPageRow> {
    let mut chars = CharCursor::new(&doc.text);
    doc.ocr
        .iter()
        .map(|p| store::OcrPageRow {
            page: p.page,
            confidence: p.confidence,
            languages: p.languages.clone(),
            span_start: chars.at(p.bytes.start),
            words: p
                .words
                .iter()
                .map(|w| store::OcrWordRow {
                    start: chars.at(w.bytes.start),
                    end: chars.at(w.bytes.end),
                    bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
                    confidence: w.confidence,
                })
                .collect(),
            span_end: chars.at(p.bytes.end),
        })
        .collect()
}

/// Byte offsets to char offsets, in one pass when asked in increasing order.
struct CharCursor<'a> {
    text: &'a str,
    byte: usize,
    chars: u64,
}

impl<'a> CharCursor<'a> {
    fn new(text: &'a str) -> Self {
        CharCursor { text, byte: 0, chars: 0 }
    }

    fn at(&mut self, byte: usize) -> u64 {
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            *self = CharCursor::new(self.text);
        }
        let step = self.text.get(self.byte..byte).map_or(0, |s| s.chars().count());
        self.chars += step as u64;
        self.byte = byte;
        self.chars
    }
}

pub(crate) fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut hasher)?;
    Ok(hasher.finalize().to_hex().to_string())
}

fn eta(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if done == 0 || elapsed < Duration::from_millis(500) {
        return None;
    }
    let rate = done as f64 / elapsed.as_secs_f64();
    Some(Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate))
}

fn to_new_table(t: &extract::Table) -> NewTable {
    NewTable {
        sheet: t.sheet.clone(),
        columns: t
            .columns
            .iter()
            .map(|c| TableColumn { name: c.name.clone(), kind: c.kind.as_str().to_string() })
            .collect(),
        rows: t.rows.iter().map(|r| serde_json::Value::Array(r.iter().map(cell_json).collect())).collect(),
    }
}

fn cell_json(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Empty => serde_json::Value::Null,
        Cell::Int(i) => (*i).into(),
        Cell::Float(f) => {
            serde_json::Number::from_f64(*f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
        }
        Cell::Bool(b) => (*b).into(),
        Cell::Date(s) | Cell::Text(s) => s.clone().into(),
    }
}

//! Library commands: add files (dropped or picked) with progress over a channel, list, search,
//! remove, and read a document's text, PDF bytes or table rows for the source viewer.
//!
//! Files reach the webview only through these commands: there is no filesystem access from the
//! page, and ingesting accepts only paths the user handed over (see `AppState::is_granted`).

use std::path::PathBuf;

use library::{
    CancelFlag, DocRow, FileOutcome, IngestEvent, IngestOptions, Progress, SourceState, SourceStatus, Status,
};
use serde::Serialize;
use tauri::ipc::{Channel, Response};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{ErrorCode, IpcError};
use crate::state::{AppState, DropEvent, SourcesEvent};

/// A document as the Library view lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DocumentDto {
    pub id: i64,
    pub path: String,
    pub title: Option<String>,
    pub format: Option<String>,
    pub size: u64,
    pub pages: Option<u32>,
    pub chunks: u64,
    /// `indexed`, `pending`, `failed`, `duplicate`, …
    pub status: &'static str,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub duplicate_of: Option<i64>,
    pub updated_at: String,
    /// The document card (title, authors, date, identifiers) as `extract` writes it, if any.
    #[cfg_attr(test, ts(as = "Option<library::DocumentCard>"))]
    pub card: Option<serde_json::Value>,
    /// Its vectors for the current embedding model are committed (semantic search finds it).
    pub embedded: bool,
}

impl From<DocRow> for DocumentDto {
    fn from(d: DocRow) -> DocumentDto {
        DocumentDto {
            id: d.id,
            path: d.path,
            title: d.title,
            format: d.format,
            size: d.size,
            pages: d.pages,
            chunks: d.chunks,
            status: d.status.as_str(),
            error: d.error,
            warnings: d.warnings,
            duplicate_of: d.duplicate_of,
            updated_at: d.updated_at,
            card: d.card,
            embedded: d.embedded,
        }
    }
}

/// Counts for the overall progress bar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProgressDto {
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub eta_ms: Option<u64>,
}

impl From<Progress> for ProgressDto {
    fn from(p: Progress) -> ProgressDto {
        ProgressDto {
            files_done: p.files_done,
            files_total: p.files_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            eta_ms: p.eta.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// One ingest progress event, streamed to the UI.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IngestEventDto {
    Scanned {
        files: u64,
        bytes: u64,
    },
    File {
        path: String,
        /// `ingested`, `unchanged`, `duplicate`, `failed`, `removed` or `moved`.
        #[cfg_attr(test, ts(type = r#""ingested" | "unchanged" | "duplicate" | "failed" | "removed" | "moved""#))]
        outcome: &'static str,
        doc_id: Option<i64>,
        chunks: Option<u64>,
        replaced: bool,
        /// Why a file failed, or what it duplicates.
        detail: Option<String>,
        warnings: Vec<String>,
        progress: ProgressDto,
    },
    Committed {
        documents: u64,
    },
}

impl From<IngestEvent> for IngestEventDto {
    fn from(e: IngestEvent) -> IngestEventDto {
        match e {
            IngestEvent::Scanned { files, bytes } => IngestEventDto::Scanned { files, bytes },
            IngestEvent::Committed { documents, .. } => IngestEventDto::Committed { documents },
            IngestEvent::File { path, outcome, progress } => {
                let progress: ProgressDto = progress.into();
                let file = |outcome, doc_id, chunks, replaced, detail, warnings| IngestEventDto::File {
                    path: path.clone(),
                    outcome,
                    doc_id,
                    chunks,
                    replaced,
                    detail,
                    warnings,
                    progress: progress.clone(),
                };
                match outcome {
                    FileOutcome::Ingested { doc_id, chunks, replaced, warnings } => {
                        file("ingested", Some(doc_id), Some(chunks), replaced, None, warnings)
                    }
                    FileOutcome::Unchanged => file("unchanged", None, None, false, None, Vec::new()),
                    FileOutcome::Duplicate { of, of_path } => {
                        file("duplicate", Some(of), None, false, Some(format!("same content as {of_path}")), Vec::new())
                    }
                    FileOutcome::Failed { error } => file("failed", None, None, false, Some(error), Vec::new()),
                    FileOutcome::Removed => file("removed", None, None, false, None, Vec::new()),
                    FileOutcome::Moved { doc_id, from } => {
                        file("moved", Some(doc_id), None, false, Some(format!("moved from {from}")), Vec::new())
                    }
                }
            }
        }
    }
}

/// The result of one ingest.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IngestSummaryDto {
    pub ingested: u64,
    pub skipped: u64,
    pub failed: Vec<FailedFile>,
    pub chunks: u64,
    pub bytes: u64,
    pub interrupted: bool,
    pub elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FailedFile {
    pub path: String,
    pub reason: String,
}

/// Starts sending drag-and-drop events of the main window to `on_event`.
#[tauri::command]
pub fn watch_drops(state: State<'_, AppState>, on_event: Channel<DropEvent>) {
    state.watch_drops(on_event);
}

/// Opens the system file (or folder) picker; the chosen paths may then be ingested.
#[tauri::command]
pub async fn pick_paths<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    folders: bool,
) -> Result<Vec<String>, IpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file().set_title(if folders { "Add folders" } else { "Add files" });
    let send = move |picked: Option<Vec<tauri_plugin_dialog::FilePath>>| {
        let _ = tx.send(picked.unwrap_or_default());
    };
    if folders {
        dialog.pick_folders(send);
    } else {
        dialog
            .add_filter(
                "Documents",
                &[
                    "pdf", "docx", "epub", "html", "htm", "md", "markdown", "txt", "csv", "tsv", "xlsx", "png", "jpg",
                    "jpeg", "tif", "tiff", "webp",
                ],
            )
            .add_filter("All files", &["*"])
            .pick_files(send);
    }
    let picked = rx.await.unwrap_or_default();
    let paths: Vec<PathBuf> = picked.into_iter().filter_map(|p| p.into_path().ok()).collect();
    state.grant(paths.iter().cloned());
    Ok(paths.iter().map(|p| p.to_string_lossy().into_owned()).collect())
}

/// Adds files and folders (recursively) to the library, streaming progress. Only paths the user
/// dropped or picked are accepted. Batches run one after another. The new documents are
/// searchable by keywords when this returns; embedding them follows in the background. Folders
/// are remembered and watched from then on.
#[tauri::command]
pub async fn ingest(
    state: State<'_, AppState>,
    paths: Vec<String>,
    on_event: Channel<IngestEventDto>,
) -> Result<IngestSummaryDto, IpcError> {
    if paths.is_empty() {
        return Err(IpcError::invalid("no files to add"));
    }
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    if let Some(p) = paths.iter().find(|p| !state.is_granted(p)) {
        return Err(IpcError::new(
            ErrorCode::PathNotGranted,
            format!("{} was not dropped on the window or picked in a dialog", p.display()),
        ));
    }
    let lib = state.writable_library().await?;
    let slot = state.ingest_slot().await;
    let cancel = CancelFlag::default();
    state.set_ingest_cancel(Some(cancel.clone()));
    let send = |e: IngestEvent| {
        // The page may have been reloaded; the ingest carries on regardless.
        let _ = on_event.send(IngestEventDto::from(e));
    };
    let result = lib.ingest(&paths, &IngestOptions::default(), &send, &cancel).await;
    state.set_ingest_cancel(None);
    drop(slot);
    // Remembered after the ingest, so the watcher's first scan finds everything already read.
    for dir in paths.iter().filter(|p| p.is_dir()) {
        lib.add_source(dir, false).await?;
    }
    state.refresh_watcher();
    let s = result?;
    if s.ingested > 0 {
        state.embedding().start(lib.clone());
    }
    Ok(summary_dto(s))
}

fn summary_dto(s: library::IngestSummary) -> IngestSummaryDto {
    IngestSummaryDto {
        ingested: s.ingested,
        skipped: s.skipped,
        failed: s.failed.into_iter().map(|(path, reason)| FailedFile { path, reason }).collect(),
        chunks: s.chunks,
        bytes: s.bytes,
        interrupted: s.interrupted,
        elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Reads one document's file again (a file that failed is tried again even if it did not
/// change), streaming progress like `ingest`. Only a file the user handed over in this session,
/// or one inside a folder they added (a watched folder), is read.
#[tauri::command]
pub async fn reread_document(
    state: State<'_, AppState>,
    doc_id: i64,
    on_event: Channel<IngestEventDto>,
) -> Result<IngestSummaryDto, IpcError> {
    let doc = document(&state, doc_id).await?;
    let path = PathBuf::from(&doc.path);
    let lib = state.library().await?;
    let canonical = tokio::fs::canonicalize(&path).await.unwrap_or_else(|_| path.clone());
    let in_watched_folder =
        lib.sources().await?.iter().any(|s| canonical.starts_with(&s.path) || path.starts_with(&s.path));
    if !state.is_granted(&path) && !in_watched_folder {
        return Err(IpcError::new(
            ErrorCode::PathNotGranted,
            format!(
                "{} was not added in this session; drop it on the window or use Add files to read it again",
                doc.path
            ),
        ));
    }
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(IpcError::invalid(format!("{} is no longer a file", doc.path))),
        Err(_) => return Err(IpcError::not_found(format!("the file is no longer at {}", doc.path))),
    }
    // What the user may not ask is refused first; a library that cannot change, after.
    let lib = state.writable_library().await?;
    let slot = state.ingest_slot().await;
    let cancel = CancelFlag::default();
    state.set_ingest_cancel(Some(cancel.clone()));
    let send = |e: IngestEvent| {
        let _ = on_event.send(IngestEventDto::from(e));
    };
    let options = IngestOptions { retry_failed: true, ..IngestOptions::default() };
    let result = lib.ingest(std::slice::from_ref(&path), &options, &send, &cancel).await;
    state.set_ingest_cancel(None);
    drop(slot);
    let s = result?;
    if s.ingested > 0 {
        state.embedding().start(lib.clone());
    }
    Ok(summary_dto(s))
}

/// Shows a document's file in the system file manager, selected in its folder.
#[tauri::command]
pub async fn reveal_document(state: State<'_, AppState>, doc_id: i64) -> Result<(), IpcError> {
    let doc = document(&state, doc_id).await?;
    let path = PathBuf::from(&doc.path);
    if tokio::fs::metadata(&path).await.is_err() {
        return Err(IpcError::not_found(format!("the file is no longer at {}", doc.path)));
    }
    tokio::task::spawn_blocking(move || opener::reveal(&path))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
        .map_err(|e| IpcError::new(ErrorCode::Io, format!("cannot show {} in the file manager: {e}", doc.path)))
}

/// Stops the running ingest after the file in progress; what finished stays.
#[tauri::command]
pub fn cancel_ingest(state: State<'_, AppState>) -> bool {
    state.cancel_ingest()
}

/// Every document in the library, newest first.
#[tauri::command]
pub async fn list_documents(state: State<'_, AppState>) -> Result<Vec<DocumentDto>, IpcError> {
    let lib = state.library().await?;
    let mut docs = lib.documents().await?;
    docs.retain(|d| !matches!(d.status, Status::Removing | Status::Replacing));
    docs.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
    Ok(docs.into_iter().map(DocumentDto::from).collect())
}

/// Removes a document from the library (the file on disk is left alone).
#[tauri::command]
pub async fn remove_document(state: State<'_, AppState>, doc_id: i64) -> Result<(), IpcError> {
    let lib = state.writable_library().await?;
    let _slot = state.ingest_slot().await;
    lib.remove(&doc_id.to_string()).await?;
    Ok(())
}

/// One ranked search result.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HitDto {
    pub doc_id: i64,
    pub chunk_id: String,
    pub title: String,
    pub path: String,
    pub format: String,
    pub location: String,
    pub page: Option<u32>,
    pub score: f32,
    /// Matched terms marked `<b>…</b>`, everything else HTML-escaped.
    pub snippet_html: String,
    /// The whole passage (what the source viewer highlights).
    pub text: String,
    pub span: [usize; 2],
    /// How each retriever scored the passage.
    pub scores: ScoresDto,
}

/// A hit's scores: keywords (BM25), meaning (cosine similarity) and the fused rank score.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ScoresDto {
    /// Absent when the keyword search did not find the passage.
    pub lexical: Option<f32>,
    /// Absent when semantic search is off or did not find the passage.
    pub semantic: Option<f32>,
    pub fused: f32,
}

/// Ranked passages for a query, by keywords and meaning together when semantic search is on
/// (keywords alone otherwise); works while an ingest runs.
#[tauri::command]
pub async fn search(state: State<'_, AppState>, query: String, limit: Option<usize>) -> Result<Vec<HitDto>, IpcError> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    let lib = state.library().await?;
    let hits = lib.search(&query, limit.unwrap_or(20).clamp(1, 100)).await?;
    Ok(hits
        .into_iter()
        .map(|h| HitDto {
            doc_id: h.doc_id,
            chunk_id: h.chunk_id,
            title: h.title,
            path: h.path,
            format: h.format,
            location: h.location.label(),
            page: h.location.page(),
            score: h.score,
            snippet_html: h.snippet_html,
            text: h.text,
            span: [h.span.start, h.span.end],
            scores: ScoresDto { lexical: h.scores.lexical, semantic: h.scores.semantic, fused: h.scores.fused },
        })
        .collect())
}

async fn document(state: &AppState, doc_id: i64) -> Result<DocRow, IpcError> {
    let lib = state.library().await?;
    lib.document(doc_id)
        .await?
        .ok_or_else(|| IpcError::not_found(format!("document {doc_id} is no longer in the library")))
}

/// A document's extracted text: what evidence spans index into (char offsets).
#[tauri::command]
pub async fn document_text(state: State<'_, AppState>, doc_id: i64) -> Result<String, IpcError> {
    let lib = state.library().await?;
    lib.text(doc_id).await?.ok_or_else(|| IpcError::not_found(format!("document {doc_id} has no stored text")))
}

/// Where one OCR'd word stands on its page, for the source viewer to mark on the page image.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct OcrBoxDto {
    /// 1-based page.
    pub page: u32,
    /// `[x0, y0, x1, y1]` as fractions of the page's width and height, from the top-left corner.
    pub bbox: [f32; 4],
}

/// The OCR word boxes covering chars `start..end` of a document's text (none for text read
/// from a PDF's own text layer or from any other format).
#[tauri::command]
pub async fn ocr_boxes(
    state: State<'_, AppState>,
    doc_id: i64,
    start: usize,
    end: usize,
) -> Result<Vec<OcrBoxDto>, IpcError> {
    if start > end {
        return Err(IpcError::invalid(format!("the span {start}..{end} runs backwards")));
    }
    let lib = state.library().await?;
    let boxes = lib.ocr_boxes(doc_id, engine::Span::new(start, end)).await?;
    Ok(boxes.into_iter().map(|b| OcrBoxDto { page: b.page, bbox: b.bbox }).collect())
}

/// One page of an image file in the library (PNG, JPEG, WebP as stored; a TIFF page as PNG),
/// for the source viewer to draw with the OCR'd words' boxes on it (sent raw, not as JSON).
#[tauri::command]
pub async fn document_image(state: State<'_, AppState>, doc_id: i64, page: u32) -> Result<Response, IpcError> {
    let doc = document(&state, doc_id).await?;
    if doc.format.as_deref() != Some("image") {
        return Err(IpcError::invalid(format!("document {doc_id} is not an image")));
    }
    let path = std::path::PathBuf::from(&doc.path);
    let shown = tokio::task::spawn_blocking(move || library::image_page(&path, page))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
        .map_err(|e| IpcError::new(ErrorCode::Io, format!("cannot show {}: {e}", doc.path)))?;
    Ok(Response::new(shown.bytes))
}

/// The bytes of a PDF in the library, for the source viewer (sent raw, not as JSON).
#[tauri::command]
pub async fn document_pdf(state: State<'_, AppState>, doc_id: i64) -> Result<Response, IpcError> {
    let doc = document(&state, doc_id).await?;
    if doc.format.as_deref() != Some("pdf") {
        return Err(IpcError::invalid(format!("document {doc_id} is not a PDF")));
    }
    let bytes = tokio::fs::read(&doc.path)
        .await
        .map_err(|e| IpcError::new(ErrorCode::Io, format!("cannot read {}: {e}", doc.path)))?;
    Ok(Response::new(bytes))
}

/// The cited rows of a table, with its header.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TableSlice {
    pub sheet: String,
    pub columns: Vec<String>,
    pub row_count: u64,
    /// `(row number, cells)`, 1-based rows as cited; the catalog stores each row's cells as a
    /// JSON array.
    #[cfg_attr(test, ts(type = "Array<[number, Array<unknown>]>"))]
    pub rows: Vec<(u64, serde_json::Value)>,
}

/// Rows of a document's table, around the cited ones (a few rows of context each side).
#[tauri::command]
pub async fn table_rows(
    state: State<'_, AppState>,
    doc_id: i64,
    sheet: String,
    rows: Vec<u64>,
) -> Result<TableSlice, IpcError> {
    let lib = state.library().await?;
    let tables = lib.catalog().tables(doc_id).await?;
    let table = tables
        .into_iter()
        .find(|t| t.sheet == sheet)
        .ok_or_else(|| IpcError::not_found(format!("no table '{sheet}' in document {doc_id}")))?;
    let (first, last) = match (rows.iter().min(), rows.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo.saturating_sub(3).max(1), hi.saturating_add(3).min(lo.saturating_add(200))),
        _ => (1, 20),
    };
    let cells = lib.catalog().table_rows(table.id, first, last).await?;
    Ok(TableSlice {
        sheet: table.sheet,
        columns: table.columns.into_iter().map(|c| c.name).collect(),
        row_count: table.row_count,
        rows: (first..).zip(cells).collect(),
    })
}

/// A watched folder as the Library view lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SourceDto {
    pub id: i64,
    pub path: String,
    /// `watching`, `scanning`, `paused`, `error` or `idle` (another process holds the library).
    #[cfg_attr(test, ts(type = r#""watching" | "scanning" | "paused" | "error" | "idle""#))]
    pub state: &'static str,
    /// Why it is in error (for example: the folder is gone).
    pub error: Option<String>,
    pub polling: bool,
    /// Files of types Catena does not read, left out by the last scan.
    pub skipped: u64,
    pub last_scan: Option<String>,
}

impl From<SourceStatus> for SourceDto {
    fn from(s: SourceStatus) -> SourceDto {
        let error = match &s.state {
            SourceState::Error(e) => Some(e.clone()),
            _ => None,
        };
        SourceDto {
            id: s.source.id,
            path: s.source.path,
            state: s.state.as_str(),
            error,
            polling: s.polling,
            skipped: s.source.skipped,
            last_scan: s.source.last_scan,
        }
    }
}

/// The watched folders with their state: this process's watcher when it holds the library, what
/// the watching process last stored otherwise.
#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> Result<Vec<SourceDto>, IpcError> {
    let lib = state.library().await?;
    let sources = lib.sources().await?;
    let statuses: Vec<SourceStatus> = state.with_watcher(|w| {
        sources
            .into_iter()
            .map(|s| match w {
                Some(w) => w.status(s),
                None => SourceStatus::stored(s),
            })
            .collect()
    });
    Ok(statuses.into_iter().map(SourceDto::from).collect())
}

async fn change_source(state: &AppState, source_id: i64, paused: Option<bool>) -> Result<(), IpcError> {
    // Watched folders live in the catalog, which another process's ingest does not lock: only a
    // library that cannot be written at all refuses them.
    let lib = state.library().await?;
    let dir = state.data_dir()?;
    if let Some(cause) = library::read_only_cause(dir) {
        return Err(crate::error::refused_change(dir, Some(cause)));
    }
    match paused {
        Some(p) => lib.set_source_paused(source_id, p).await?,
        None => lib.remove_source(source_id).await?,
    }
    state.refresh_watcher();
    Ok(())
}

/// Stops applying a folder's changes until it is resumed.
#[tauri::command]
pub async fn pause_source(state: State<'_, AppState>, source_id: i64) -> Result<(), IpcError> {
    change_source(&state, source_id, Some(true)).await
}

/// Applies a paused folder's changes again (it is rescanned first).
#[tauri::command]
pub async fn resume_source(state: State<'_, AppState>, source_id: i64) -> Result<(), IpcError> {
    change_source(&state, source_id, Some(false)).await
}

/// Stops watching a folder; its documents stay in the library.
#[tauri::command]
pub async fn remove_source(state: State<'_, AppState>, source_id: i64) -> Result<(), IpcError> {
    change_source(&state, source_id, None).await
}

/// Starts telling the page when watched folders change state or their changes were applied.
#[tauri::command]
pub fn watch_sources(state: State<'_, AppState>, on_event: Channel<SourcesEvent>) {
    state.watch_sources(on_event);
}

//! Rebuilding a lost or damaged index from the catalog (`catena repair`).
//!
//! The catalog keeps each document's extracted text, so the index can always be cut again from
//! it. A document whose file is still there with the same content is read again, which gives its
//! chunks their exact locations (pages, sections, rows); otherwise its stored text is chunked as
//! one whole-document part. Document ids, and with them the run history that cites them, stay.
//!
//! The new index is built beside the old one (`index.rebuild/`), committed with a new
//! generation, and only then put in place; the catalog finishes that generation last. A crash at
//! any point leaves either the old state (run the repair again) or the new index with the
//! generation recovery completes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use extract::{Chunk, Document};
use index::{ChunkIndex, ChunkRecord, IndexError};
use store::{Catalog, DocRow, Recovery, Status};

use crate::{LibraryError, LibraryOptions, Result, blocking, lock};

/// What [`crate::Library::rebuild_index`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Documents indexed again.
    pub documents: u64,
    /// Chunks written.
    pub chunks: u64,
    /// Documents read again from their unchanged files (exact locations).
    pub reread: u64,
    /// Documents cut from their stored text (the file is gone or changed): their chunks are
    /// located in the whole document until the file is ingested again.
    pub from_stored_text: u64,
    /// Paths of documents with no stored text to index: they left the library, and the next
    /// ingest of their folder reads them again.
    pub dropped: Vec<String>,
    /// What reconciling the catalog with the last finished generation changed first.
    pub recovery: Recovery,
    /// Whether an earlier index was there (damaged or not) and was replaced.
    pub replaced_existing: bool,
}

pub(crate) async fn rebuild(dir: &Path, options: &LibraryOptions) -> Result<RebuildReport> {
    if crate::read_only_dir(dir) {
        return Err(LibraryError::ReadOnlyDir(dir.display().to_string()));
    }
    let io_err = |source| LibraryError::DataDir { path: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let catalog = Catalog::open(&dir.join("catalog.db")).await?;
    let index_dir = dir.join("index");
    // A readable index's writer keeps other writers out while the new one is built.
    let old = if ChunkIndex::exists(&index_dir) {
        let d = index_dir.clone();
        match blocking(move || ChunkIndex::open(&d).and_then(|i| i.writer().map(|w| (i, w)))).await? {
            Ok(pair) => Some(pair),
            Err(IndexError::Locked) => return Err(LibraryError::Busy(dir.display().to_string())),
            Err(_) => None,
        }
    } else {
        None
    };
    let base = match &old {
        Some((index, _)) => index.generation(),
        None => catalog.generation().await?,
    };
    let recovery = catalog.recover(base).await?;
    let mut report = RebuildReport { recovery, replaced_existing: index_dir.exists(), ..RebuildReport::default() };

    let fresh_dir = dir.join("index.rebuild");
    remove_if_present(&fresh_dir).map_err(io_err)?;
    let fresh = {
        let d = fresh_dir.clone();
        Arc::new(blocking(move || ChunkIndex::open(&d)).await??)
    };
    let writer = {
        let fresh = fresh.clone();
        Arc::new(Mutex::new(blocking(move || fresh.writer()).await??))
    };
    let g = catalog.generation().await?.max(catalog.max_row_generation().await?).max(base) + 1;
    for row in catalog.all().await?.into_iter().filter(|d| d.status == Status::Indexed) {
        let Some(text) = catalog.text(row.id).await? else {
            catalog.mark_for_deletion(row.id, Status::Removing, g).await?;
            report.dropped.push(row.path);
            continue;
        };
        let (xopts, copts) = (options.extract.clone(), options.chunk.clone());
        let r = row.clone();
        let (doc, chunks, reread) = blocking(move || cut(&r, text, &xopts, &copts)).await?;
        if chunks.is_empty() {
            if row.chunks > 0 {
                catalog.mark_for_deletion(row.id, Status::Removing, g).await?;
                report.dropped.push(row.path);
            }
            continue;
        }
        catalog.set_chunks(row.id, chunks.len() as u64).await?;
        let card_line = crate::ingest::card_line(&doc);
        let records = records(&row, chunks);
        report.documents += 1;
        report.chunks += records.len() as u64;
        if reread {
            report.reread += 1;
        } else {
            report.from_stored_text += 1;
        }
        let w = writer.clone();
        blocking(move || -> std::result::Result<(), IndexError> {
            let mut w = lock(&w);
            for r in &records {
                w.add_with_card(r, card_line.as_deref().filter(|_| r.ordinal == 0))?;
            }
            Ok(())
        })
        .await??;
    }
    {
        let w = writer.clone();
        blocking(move || lock(&w).commit(g)).await??;
    }
    drop(writer);
    drop(fresh);
    // Put the new index in place while still holding the old one's writer.
    let aside = dir.join("index.old");
    remove_if_present(&aside).map_err(io_err)?;
    if index_dir.exists() {
        std::fs::rename(&index_dir, &aside).map_err(io_err)?;
    }
    std::fs::rename(&fresh_dir, &index_dir).map_err(io_err)?;
    drop(old);
    if let Err(e) = remove_if_present(&aside) {
        tracing::warn!("cannot delete the replaced index at {}: {e}", aside.display());
    }
    catalog.finish_generation(g).await?;
    catalog.close().await;
    Ok(report)
}

/// The chunks of one document: from its file when it still holds exactly the stored text,
/// else from the stored text as one part. Returns the document the chunks index into.
fn cut(
    row: &DocRow,
    text: String,
    xopts: &extract::ExtractOptions,
    copts: &extract::ChunkOptions,
) -> (Document, Vec<Chunk>, bool) {
    let path = PathBuf::from(&row.path);
    let unchanged = path.is_file()
        && row.content_hash.is_some()
        && crate::ingest::hash_file(&path).ok().as_deref() == row.content_hash.as_deref();
    if unchanged
        && let Ok(mut doc) = extract::extract(&path, xopts)
        && doc.text == text
    {
        if row.title.is_some() {
            doc.title.clone_from(&row.title);
        }
        let chunks = extract::chunk(&doc, copts);
        return (doc, chunks, true);
    }
    let card = row.card.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let doc = Document {
        format: extract::Format::from_path(&path).unwrap_or(extract::Format::Text),
        title: row.title.clone(),
        text,
        pages: row.pages,
        segments: Vec::new(),
        tables: Vec::new(),
        warnings: Vec::new(),
        card,
        ocr: Vec::new(),
    };
    let chunks = extract::chunk(&doc, copts);
    (doc, chunks, false)
}

fn records(row: &DocRow, chunks: Vec<Chunk>) -> Vec<ChunkRecord> {
    chunks
        .into_iter()
        .map(|c| ChunkRecord {
            doc_id: row.id,
            ordinal: u32::try_from(c.ordinal).unwrap_or(u32::MAX),
            title: row.title.clone().unwrap_or_default(),
            path: row.path.clone(),
            format: row.format.clone().unwrap_or_default(),
            location: c.location,
            span: c.span,
            text: c.text,
        })
        .collect()
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

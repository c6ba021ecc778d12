//! The document library: ingestion, removal, search and crash recovery over one data directory.
//!
//! Composes three adapters — `extract` (files to text), `index` (tantivy) and `store` (SQLite
//! catalog) — which never depend on each other. This crate owns the one protocol that keeps the
//! catalog and the index agreeing after a crash at any moment:
//!
//! 1. a batch of changes gets a generation number `g`;
//! 2. catalog rows are written first, tagged `pending`/`replacing`/`removing` with `g`;
//! 3. the index commits with `g` as its payload (tantivy's commit is atomic);
//! 4. the catalog marks generation `g` finished.
//!
//! On opening for writing, [`Catalog::recover`] reconciles rows with the index's last committed
//! generation, so a document counts as indexed only once its chunks are committed. Readers see the
//! same view without writing ([`Catalog::visible`]). Entry type: [`Library`].

pub mod compose;
mod ingest;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use extract::{ChunkOptions, ExtractOptions, Format};
pub use index::Hit;
pub use ingest::{CancelFlag, FileOutcome, IngestEvent, IngestOptions, IngestSummary, Progress};
pub use store::{DocRow, Recovery, Status, TableInfo};

use index::{ChunkIndex, ChunkWriter, IndexError};
use store::{Catalog, StoreError};

/// Errors a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// Another Catena process is writing to this library.
    #[error("the library at {0} is busy: another Catena process is ingesting; try again when it finishes")]
    Busy(String),
    /// The data directory cannot be created or read.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The catalog failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(IndexError),
    /// A document id or path that is not in the library.
    #[error("no document {0} in the library")]
    NotFound(String),
    /// The operation needs a library opened for writing.
    #[error("the library was opened read-only")]
    ReadOnly,
    /// A background task died.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<IndexError> for LibraryError {
    fn from(e: IndexError) -> Self {
        LibraryError::Index(e)
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, LibraryError>;

/// Settings for a library. Every value has a documented default.
#[derive(Debug, Clone)]
pub struct LibraryOptions {
    /// Limits for reading files.
    pub extract: ExtractOptions,
    /// Chunk sizes.
    pub chunk: ChunkOptions,
    /// Files extracted at once; defaults to the number of cores.
    pub workers: usize,
    /// Commit to the index after this many new documents (bounds the work a crash can undo).
    pub commit_every_docs: usize,
    /// … or after this many chars of new text.
    pub commit_every_chars: usize,
}

impl Default for LibraryOptions {
    fn default() -> Self {
        LibraryOptions {
            extract: ExtractOptions::default(),
            chunk: ChunkOptions::default(),
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            commit_every_docs: 500,
            commit_every_chars: 64 * 1024 * 1024,
        }
    }
}

/// Where catalog and index disagree, if anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Indexed documents in the catalog.
    pub documents: u64,
    /// Chunks in the index.
    pub chunks: u64,
    /// Document ids with chunks in the index but no indexed catalog row.
    pub orphans_in_index: Vec<i64>,
    /// Indexed catalog rows with no chunks in the index.
    pub missing_from_index: Vec<i64>,
    /// `(doc_id, catalog chunks, index chunks)` where the counts differ.
    pub count_mismatches: Vec<(i64, u64, u64)>,
}

impl CheckReport {
    /// True when catalog and index agree exactly.
    pub fn is_consistent(&self) -> bool {
        self.orphans_in_index.is_empty() && self.missing_from_index.is_empty() && self.count_mismatches.is_empty()
    }
}

/// A document removed from the library.
#[derive(Debug, Clone)]
pub struct Removed {
    /// The removed row.
    pub doc: DocRow,
    /// Duplicates of it that were promoted (ingested in its place).
    pub promoted: Vec<String>,
}

/// One data directory: the catalog (`catalog.db`) and the index (`index/`).
pub struct Library {
    dir: PathBuf,
    catalog: Catalog,
    index: Arc<ChunkIndex>,
    writer: Option<Arc<Mutex<ChunkWriter>>>,
    options: LibraryOptions,
    /// What recovery repaired when this library was opened for writing.
    pub recovery: Recovery,
}

impl Library {
    /// Opens for reading: no lock is taken and nothing is written, so searches work while another
    /// process ingests.
    pub async fn open_read(dir: &Path) -> Result<Library> {
        let (catalog, index) = open_parts(dir).await?;
        Ok(Library {
            dir: dir.to_path_buf(),
            catalog,
            index: Arc::new(index),
            writer: None,
            options: LibraryOptions::default(),
            recovery: Recovery::default(),
        })
    }

    /// Opens for writing: takes the single index writer (or fails with [`LibraryError::Busy`]),
    /// then repairs whatever an interrupted run left behind.
    pub async fn open_write(dir: &Path, options: LibraryOptions) -> Result<Library> {
        let (catalog, index) = open_parts(dir).await?;
        let index = Arc::new(index);
        let writer = {
            let index = index.clone();
            blocking(move || index.writer()).await?
        };
        let writer = match writer {
            Ok(w) => Arc::new(Mutex::new(w)),
            Err(IndexError::Locked) => return Err(LibraryError::Busy(dir.display().to_string())),
            Err(e) => return Err(e.into()),
        };
        let recovery = catalog.recover(index.generation()).await?;
        let mut lib = Library { dir: dir.to_path_buf(), catalog, index, writer: Some(writer), options, recovery };
        if !lib.recovery.is_clean() {
            lib.repair().await?;
        }
        Ok(lib)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The catalog, for read access by other layers.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The options this library was opened with.
    pub fn options(&self) -> &LibraryOptions {
        &self.options
    }

    /// Documents as the current index snapshot sees them (failed and duplicate files included).
    pub async fn documents(&self) -> Result<Vec<DocRow>> {
        Ok(self.catalog.visible(self.index.generation()).await?)
    }

    /// One document, by id.
    pub async fn document(&self, id: i64) -> Result<Option<DocRow>> {
        Ok(self.documents().await?.into_iter().find(|d| d.id == id))
    }

    /// A document's stored extracted text (what spans index into).
    pub async fn text(&self, id: i64) -> Result<Option<String>> {
        Ok(self.catalog.text(id).await?)
    }

    /// Ranked chunks for a query; never fails on query syntax.
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>> {
        let index = self.index.clone();
        let query = query.to_string();
        Ok(blocking(move || index.search(&query, limit)).await??)
    }

    /// Compares catalog and index.
    pub async fn check(&self) -> Result<CheckReport> {
        let index = self.index.clone();
        let counts: BTreeMap<i64, u64> = blocking(move || index.chunk_counts()).await??;
        let docs = self.documents().await?;
        let mut report = CheckReport { chunks: counts.values().sum(), ..CheckReport::default() };
        let mut catalog_ids = std::collections::BTreeSet::new();
        for d in docs.iter().filter(|d| d.status == Status::Indexed) {
            report.documents += 1;
            catalog_ids.insert(d.id);
            match counts.get(&d.id) {
                None if d.chunks > 0 => report.missing_from_index.push(d.id),
                None => {}
                Some(&n) if n != d.chunks => report.count_mismatches.push((d.id, d.chunks, n)),
                Some(_) => {}
            }
        }
        report.orphans_in_index = counts.keys().filter(|id| !catalog_ids.contains(id)).copied().collect();
        Ok(report)
    }

    /// Makes catalog and index agree when the protocol alone could not (for example an index
    /// restored from a backup): index chunks without a catalog row are deleted, catalog rows
    /// without chunks are dropped so the next sync ingests them again.
    async fn repair(&mut self) -> Result<()> {
        let report = self.check().await?;
        if report.is_consistent() {
            return Ok(());
        }
        let g = self.next_generation().await?;
        let mut drop_rows: Vec<i64> = report.missing_from_index.clone();
        drop_rows.extend(report.count_mismatches.iter().map(|m| m.0));
        let mut delete_ids = report.orphans_in_index.clone();
        delete_ids.extend(drop_rows.iter().copied());
        for id in &drop_rows {
            self.catalog.mark_for_deletion(*id, Status::Removing, g).await?;
        }
        self.commit_deletions(delete_ids, g).await
    }

    async fn commit_deletions(&self, ids: Vec<i64>, g: u64) -> Result<()> {
        let writer = self.writer()?;
        blocking(move || -> std::result::Result<(), IndexError> {
            let mut w = lock(&writer);
            for id in ids {
                w.delete_doc(id)?;
            }
            w.commit(g)
        })
        .await??;
        self.catalog.finish_generation(g).await?;
        Ok(())
    }

    /// Removes a document given its id or its path.
    pub async fn remove(&self, target: &str) -> Result<Removed> {
        let doc = self.resolve(target).await?;
        // Read before the row goes: deleting it clears the duplicates' link to it.
        let duplicates = self.catalog.duplicates_of(doc.id).await?;
        match doc.status {
            Status::Indexed => {
                let g = self.next_generation().await?;
                self.catalog.mark_for_deletion(doc.id, Status::Removing, g).await?;
                self.commit_deletions(vec![doc.id], g).await?;
            }
            _ => self.catalog.delete_unindexed(doc.id).await?,
        }
        // A duplicate of a removed document still holds the content: ingest it in its place.
        let mut promoted = Vec::new();
        for dup in duplicates {
            self.catalog.delete_unindexed(dup.id).await?;
            promoted.push(dup.path);
        }
        if !promoted.is_empty() {
            let paths: Vec<PathBuf> = promoted.iter().map(PathBuf::from).collect();
            self.ingest(&paths, &IngestOptions::default(), &|_| {}, &CancelFlag::default()).await?;
        }
        Ok(Removed { doc, promoted })
    }

    async fn resolve(&self, target: &str) -> Result<DocRow> {
        let docs = self.documents().await?;
        if let Ok(id) = target.parse::<i64>()
            && let Some(d) = docs.iter().find(|d| d.id == id)
        {
            return Ok(d.clone());
        }
        let wanted = walk::absolute(Path::new(target));
        let wanted = wanted.to_string_lossy();
        docs.into_iter()
            .find(|d| d.path == wanted || d.path == target)
            .ok_or_else(|| LibraryError::NotFound(target.to_string()))
    }

    async fn next_generation(&self) -> Result<u64> {
        let g =
            self.catalog.generation().await?.max(self.catalog.max_row_generation().await?).max(self.index.generation());
        Ok(g + 1)
    }

    fn writer(&self) -> Result<Arc<Mutex<ChunkWriter>>> {
        self.writer.clone().ok_or(LibraryError::ReadOnly)
    }
}

async fn open_parts(dir: &Path) -> Result<(Catalog, ChunkIndex)> {
    let io_err = |source| LibraryError::DataDir { path: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let catalog = Catalog::open(&dir.join("catalog.db")).await?;
    let index_dir = dir.join("index");
    let index = blocking(move || ChunkIndex::open(&index_dir)).await??;
    Ok((catalog, index))
}

/// Runs blocking work (tantivy, file reading) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| LibraryError::Internal(e.to_string()))
}

/// Locks the writer; a poisoned lock (a panic mid-write) is still usable because tantivy's own
/// state stays consistent and an uncommitted batch is simply lost.
fn lock(w: &Mutex<ChunkWriter>) -> std::sync::MutexGuard<'_, ChunkWriter> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

/// The library is the knowledge base the engine's knowledge-base action searches.
#[async_trait::async_trait]
impl engine::ports::Corpus for Library {
    async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> std::result::Result<Vec<engine::ports::Passage>, engine::ports::CorpusError> {
        let hits = Library::search(self, query, limit)
            .await
            .map_err(|e| engine::ports::CorpusError::Unavailable(e.to_string()))?;
        Ok(hits
            .into_iter()
            .map(|h| engine::ports::Passage {
                doc_id: h.doc_id,
                chunk_id: h.chunk_id,
                title: h.title,
                path: h.path,
                location: h.location,
                span: h.span,
                text: h.text,
                score: h.score,
            })
            .collect())
    }
}

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
mod embedding;
mod ingest;
mod rebuild;
mod semantic;
mod walk;
mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use embed::Embedder;

pub use embedding::{EMBED_BATCH, EmbedProgress, EmbedSummary};
pub use engine::Span;
pub use extract::image::{DisplayImage, display_page as image_page};
pub use extract::{
    CardSource, ChunkOptions, DocumentCard, ExtractOptions, Format, Identifier, IdentifierKind, OcrError,
};

/// Checks an OCR language list (`eng+deu`) without running anything: the error says why it
/// is not one.
pub fn parse_ocr_languages(languages: &str) -> std::result::Result<(), OcrError> {
    extract::ocr::parse_languages(languages.trim()).map(|_| ())
}

/// Checks that Tesseract runs and has every language of `languages`; the error names the
/// package to install.
pub fn check_ocr_languages(languages: &str) -> std::result::Result<(), OcrError> {
    let opts = extract::OcrOptions { languages: languages.trim().to_owned(), ..extract::OcrOptions::default() };
    extract::ocr::check(&opts).map(|_| ())
}
pub use index::{Hit, Scores};
pub use ingest::{CancelFlag, FileOutcome, IngestEvent, IngestOptions, IngestSummary, Progress};
pub use rebuild::RebuildReport;
pub use semantic::{FUSION_DEPTH, RRF_K, SearchMode, SearchResults, SemanticStatus};
pub use store::{DocRow, OcrPageRow, OcrWordRow, Recovery, Status, TableInfo, WatchedSource};
pub use walk::IGNORE_FILE;
pub use watch::{PollMode, SourceState, SourceStatus, WatchEvent, WatchEvents, WatchOptions, Watcher};

use index::{ChunkIndex, ChunkWriter, IndexError};
use store::{Catalog, StoreError};

/// Errors a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// Another Catena process is writing to this library.
    #[error("the library at {0} is busy: another Catena process is ingesting; try again when it finishes")]
    Busy(String),
    /// The data directory cannot be written by this process (a read-only mount, another user's
    /// library, or `CATENA_READ_ONLY`): reading works, changing the library does not.
    #[error(
        "the data directory {0} is read-only for this user: searching, listing and checking work, but adding, removing or repairing documents needs write access"
    )]
    ReadOnlyDir(String),
    /// The data directory cannot be created or read.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The index is gone while the catalog lists documents in it.
    #[error(
        "the search index at {path} is missing but the catalog lists {documents} indexed documents; \
         run `catena repair` to rebuild it from the catalog"
    )]
    IndexMissing {
        /// The index directory.
        path: String,
        /// Indexed documents the catalog lists.
        documents: u64,
    },
    /// The index cannot be opened (a truncated or deleted segment file, an incompatible schema).
    #[error("the search index at {path} is damaged ({reason}); run `catena repair` to rebuild it from the catalog")]
    IndexDamaged {
        /// The index directory.
        path: String,
        /// What failed.
        reason: String,
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
    /// A watched-folder id or path that is not stored.
    #[error("{0} is not a watched folder")]
    NoSource(String),
    /// Only folders can be watched.
    #[error("{0} is not a folder")]
    NotAFolder(String),
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
    /// Documents marked embedded, counted once per model.
    pub embedded: u64,
    /// Chunk vectors stored, all models together.
    pub vectors: u64,
    /// `(doc_id, model, chunks, vectors)` of embedded documents whose vector count differs
    /// from their chunk count (or from what their embedding row records).
    pub vector_mismatches: Vec<(i64, String, u64, u64)>,
    /// Documents with vectors that are not indexed (nor being removed by a committed change).
    pub vectors_without_document: Vec<i64>,
}

impl CheckReport {
    /// True when catalog and index agree exactly.
    pub fn is_consistent(&self) -> bool {
        self.orphans_in_index.is_empty()
            && self.missing_from_index.is_empty()
            && self.count_mismatches.is_empty()
            && self.vector_mismatches.is_empty()
            && self.vectors_without_document.is_empty()
    }
}

/// Where a word of OCR'd text sits on its page, for highlighting a cited span there.
#[derive(Debug, Clone, PartialEq)]
pub struct WordBox {
    /// 1-based physical page.
    pub page: u32,
    /// The word's chars in the document text.
    pub span: engine::Span,
    /// `[x0, y0, x1, y1]` as fractions of the page's width and height, from the top-left corner
    /// (multiply by the page's size in points for PDF user space with a top-left origin).
    pub bbox: [f32; 4],
    /// OCR confidence, 0–100.
    pub confidence: f32,
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
    /// OCR as the user set it since opening (on/off, languages), over `options.extract.ocr`.
    ocr: std::sync::Mutex<Option<(bool, String)>>,
    semantic: semantic::Semantic,
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
            ocr: std::sync::Mutex::new(None),
            semantic: semantic::Semantic::default(),
            recovery: Recovery::default(),
        })
    }

    /// Opens for writing: takes the single index writer (or fails with [`LibraryError::Busy`]),
    /// then repairs whatever an interrupted run left behind.
    pub async fn open_write(dir: &Path, options: LibraryOptions) -> Result<Library> {
        if read_only_dir(dir) {
            return Err(LibraryError::ReadOnlyDir(dir.display().to_string()));
        }
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
        let mut lib = Library {
            dir: dir.to_path_buf(),
            catalog,
            index,
            writer: Some(writer),
            options,
            ocr: std::sync::Mutex::new(None),
            semantic: semantic::Semantic::default(),
            recovery,
        };
        if !lib.recovery.is_clean() {
            lib.repair().await?;
        }
        Ok(lib)
    }

    /// Builds the index again from the catalog (see [`RebuildReport`]): for an index that was
    /// deleted or is damaged, or on request. Document ids and the run history stay. Fails with
    /// [`LibraryError::Busy`] while another process writes to a readable index.
    pub async fn rebuild_index(dir: &Path, options: &LibraryOptions) -> Result<RebuildReport> {
        rebuild::rebuild(dir, options).await
    }

    /// True when opened for writing (ingest, removal and watching work).
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
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

    /// Turns OCR on or off and sets its languages (`eng+deu`) for files read from now on, in
    /// place of what the library was opened with.
    pub fn set_ocr(&self, enabled: bool, languages: &str) {
        let mut ocr = self.ocr.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *ocr = Some((enabled, languages.trim().to_owned()));
    }

    /// The extraction options files are read with now: the opening options with the OCR
    /// setting applied.
    pub(crate) fn extract_options(&self) -> ExtractOptions {
        let mut xopts = self.options.extract.clone();
        if let Some((enabled, languages)) = self.ocr.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref()
        {
            xopts.ocr.enabled = *enabled;
            if !languages.is_empty() {
                xopts.ocr.languages.clone_from(languages);
            }
        }
        xopts
    }

    /// Documents as the current index snapshot sees them (failed and duplicate files included),
    /// with [`DocRow::embedded`] set for the current embedding model.
    pub async fn documents(&self) -> Result<Vec<DocRow>> {
        let mut docs = self.catalog.visible(self.index.generation()).await?;
        if let Ok(state) = self.semantic.state() {
            let embedded: std::collections::HashSet<i64> =
                self.catalog.embedded_docs(&state.model.0).await?.iter().map(|d| d.doc_id).collect();
            for d in docs.iter_mut().filter(|d| d.status == Status::Indexed) {
                d.embedded = embedded.contains(&d.id);
            }
        }
        Ok(docs)
    }

    /// One document, by id.
    pub async fn document(&self, id: i64) -> Result<Option<DocRow>> {
        Ok(self.documents().await?.into_iter().find(|d| d.id == id))
    }

    /// A document's card (title, authors, date, identifiers), as read at ingest. `None` when the
    /// document has none or its stored card cannot be read (it was written by a different
    /// version); the document itself is unaffected either way.
    pub async fn card(&self, id: i64) -> Result<Option<DocumentCard>> {
        Ok(self.catalog.card(id).await?.and_then(|v| serde_json::from_value(v).ok()))
    }

    /// The boxes of the OCR'd words that overlap chars `span` of a document's text, in text
    /// order: what to highlight on the rendered pages when a citation points into a scanned
    /// page. Empty for text that came from the file's own text layer.
    pub async fn ocr_boxes(&self, doc_id: i64, span: engine::Span) -> Result<Vec<WordBox>> {
        if span.is_empty() {
            return Ok(Vec::new());
        }
        let (start, end) = (span.start as u64, span.end as u64);
        let pages = self.catalog.ocr_pages(doc_id, start, end).await?;
        Ok(pages
            .into_iter()
            .flat_map(|p| {
                let page = p.page;
                p.words.into_iter().filter(move |w| w.start < end && w.end > start).map(move |w| WordBox {
                    page,
                    span: engine::Span::new(w.start as usize, w.end as usize),
                    bbox: w.bbox,
                    confidence: w.confidence,
                })
            })
            .collect())
    }

    /// The pages of a document that were read by OCR, with their confidence and word boxes.
    pub async fn ocr_pages(&self, doc_id: i64) -> Result<Vec<OcrPageRow>> {
        Ok(self.catalog.ocr_pages(doc_id, 0, u64::MAX).await?)
    }

    /// A document's stored extracted text (what spans index into).
    pub async fn text(&self, id: i64) -> Result<Option<String>> {
        Ok(self.catalog.text(id).await?)
    }

    /// Every chunk of a document, in order, with its location and char span into the stored text
    /// (how the text divides into pages, sections or rows). Empty for a document with no chunks.
    pub async fn document_chunks(&self, id: i64) -> Result<Vec<Hit>> {
        let Some(row) = self.catalog.get(id).await? else { return Ok(Vec::new()) };
        let count = u32::try_from(row.chunks).unwrap_or(u32::MAX);
        let keys: Vec<(i64, u32)> = (0..count).map(|ordinal| (id, ordinal)).collect();
        let index = self.index.clone();
        Ok(blocking(move || index.chunks(&keys, "")).await??)
    }

    /// Chooses when the current model's vector searches go through the one-bit prefilter
    /// (`embed::vectors::Prefilter`; the default suits every library): benchmarks compare it
    /// with an exact scan.
    pub async fn set_vector_prefilter(&self, prefilter: embed::vectors::Prefilter) {
        self.semantic.set_prefilter(prefilter).await;
    }

    /// Sets the embedder semantic search uses. A different model than before starts from its
    /// own stored vectors (none until [`Library::embed_pending`] has run for it); vectors of two
    /// models are never mixed.
    pub fn set_embedder(&self, embedder: Arc<dyn Embedder>) {
        self.semantic.set(embedder);
    }

    /// Turns semantic search off, saying why in plain words (shown by
    /// [`Library::semantic_status`]): for example that no model is installed and how to get one.
    pub fn disable_semantic(&self, reason: impl Into<String>) {
        self.semantic.disable(reason.into());
    }

    /// Whether semantic search is on, with how many documents are embedded, or why it is off.
    pub async fn semantic_status(&self) -> Result<SemanticStatus> {
        let state = match self.semantic.state() {
            Ok(state) => state,
            Err(reason) => return Ok(SemanticStatus::Off { reason }),
        };
        let docs = self.documents().await?;
        let indexed = docs.iter().filter(|d| d.status == Status::Indexed);
        let (embedded, total) = indexed.fold((0, 0), |(e, t), d| (e + u64::from(d.embedded), t + 1));
        Ok(SemanticStatus::On { model: state.model.0.clone(), embedded, total })
    }

    /// Ranked chunks for a query; never fails on query syntax. Hybrid (keywords and meaning,
    /// fused) when an embedder is set and at least one document is embedded for it, keywords
    /// only otherwise. The engine's knowledge-base action and the front ends' search boxes all
    /// search through here.
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>> {
        Ok(self.search_detailed(query, limit, SearchMode::Hybrid).await?.hits)
    }

    /// Ranked chunks for a query in the given mode (see [`Library::search_detailed`]).
    pub async fn search_mode(&self, query: &str, limit: usize, mode: SearchMode) -> Result<Vec<Hit>> {
        Ok(self.search_detailed(query, limit, mode).await?.hits)
    }

    /// Ranked chunks for a query, with the mode that actually ran and why it differs from the
    /// one asked for. A hybrid search runs as lexical while semantic search is off, no document
    /// is embedded yet, or the query cannot be embedded (a provider that is unreachable); a
    /// semantic search then finds nothing and says why in the note.
    pub async fn search_detailed(&self, query: &str, limit: usize, mode: SearchMode) -> Result<SearchResults> {
        if mode == SearchMode::Lexical {
            return Ok(SearchResults { hits: self.lexical(query, limit).await?, mode, note: None });
        }
        let state = match self.semantic.state() {
            Ok(state) => state,
            Err(reason) => return self.fallback(query, limit, mode, format!("semantic search is off: {reason}")).await,
        };
        // The stored vectors' catch-up, the question's embedding (on the embedder's threads) and
        // the keyword search (on a blocking thread) do not depend on one another: on two or more
        // cores the embedding, the longest of them, hides the other two.
        let depth = limit.max(FUSION_DEPTH);
        let (synced, embedded, lexical) = tokio::join!(state.sync(&self.catalog), state.embed_query(query), async {
            match mode {
                SearchMode::Hybrid => self.lexical(query, depth).await.map(Some),
                _ => Ok(None),
            }
        });
        let mut lexical = lexical?;
        if synced? == 0 {
            let note = format!("no document is embedded yet for {}", state.model);
            return self.fallback_with(query, limit, mode, lexical, note).await;
        }
        let query_vector = match embedded {
            Ok(v) => v,
            Err(e) => {
                return self.fallback_with(query, limit, mode, lexical, format!("cannot embed the query: {e}")).await;
            }
        };
        if mode == SearchMode::Semantic {
            let found = state.nearest(&query_vector, limit).await?;
            let hits = semantic::semantic_hits(&self.index, query, &found).await?;
            return Ok(SearchResults { hits, mode, note: None });
        }
        let lexical = match lexical.take() {
            Some(hits) => hits,
            None => self.lexical(query, depth).await?,
        };
        let found = state.nearest(&query_vector, depth).await?;
        let hits = semantic::fuse(&self.index, query, lexical, &found, limit).await?;
        Ok(SearchResults { hits, mode, note: None })
    }

    /// What a search returns when semantic search cannot run: keyword hits for a hybrid search,
    /// nothing for a semantic one, and the reason.
    async fn fallback(&self, query: &str, limit: usize, mode: SearchMode, note: String) -> Result<SearchResults> {
        if mode == SearchMode::Semantic {
            return Ok(SearchResults { hits: Vec::new(), mode, note: Some(note) });
        }
        Ok(SearchResults { hits: self.lexical(query, limit).await?, mode: SearchMode::Lexical, note: Some(note) })
    }

    /// [`Self::fallback`], reusing a hybrid search's keyword hits when they were already found.
    async fn fallback_with(
        &self,
        query: &str,
        limit: usize,
        mode: SearchMode,
        lexical: Option<Vec<Hit>>,
        note: String,
    ) -> Result<SearchResults> {
        match (mode, lexical) {
            (SearchMode::Hybrid, Some(mut hits)) => {
                hits.truncate(limit);
                Ok(SearchResults { hits, mode: SearchMode::Lexical, note: Some(note) })
            }
            _ => self.fallback(query, limit, mode, note).await,
        }
    }

    async fn lexical(&self, query: &str, limit: usize) -> Result<Vec<Hit>> {
        let index = self.index.clone();
        let query = query.to_string();
        Ok(blocking(move || index.search(&query, limit)).await??)
    }

    /// The index files whose checksums do not match (a damaged segment). Reads the whole index.
    pub async fn damaged_index_files(&self) -> Result<Vec<String>> {
        let index = self.index.clone();
        Ok(blocking(move || index.damaged_files()).await??)
    }

    /// Compares catalog and index.
    ///
    /// Both sides are read at one moment even while another process ingests: the catalog in
    /// one read transaction, between two reads of the index's committed generation with the
    /// index snapshot reloaded in the middle. When the two generations agree, no commit
    /// happened in between, so the catalog was read in a state that goes with exactly that
    /// index snapshot (rows of a later generation are still uncommitted and shown as a reader
    /// sees them); otherwise it reads again.
    pub async fn check(&self) -> Result<CheckReport> {
        const ATTEMPTS: usize = 50;
        let mut attempt = 0;
        let (snapshot, counts) = loop {
            attempt += 1;
            let before = self.index.generation();
            let snapshot = self.catalog.check_snapshot(before).await?;
            let index = self.index.clone();
            let counts: BTreeMap<i64, u64> = blocking(move || {
                index.reload()?;
                index.chunk_counts()
            })
            .await??;
            if self.index.generation() == before || attempt == ATTEMPTS {
                break (snapshot, counts);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let docs = snapshot.visible;
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
        check_vectors(snapshot.all, snapshot.vectors, &mut report);
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

    /// The watched folders, by path.
    pub async fn sources(&self) -> Result<Vec<WatchedSource>> {
        Ok(self.catalog.sources().await?)
    }

    /// Remembers a folder to keep in sync (a running [`Watcher`] picks it up at its next
    /// refresh). `poll` asks for polling instead of file-system events. Works on a library
    /// opened read-only too: the watched-folder table is not part of the index protocol.
    pub async fn add_source(&self, dir: &Path, poll: bool) -> Result<WatchedSource> {
        let abs = walk::absolute(dir);
        if !abs.is_dir() {
            return Err(LibraryError::NotAFolder(dir.display().to_string()));
        }
        Ok(self.catalog.add_source(&abs.to_string_lossy(), poll).await?)
    }

    /// A watched folder by id or path.
    pub async fn find_source(&self, target: &str) -> Result<WatchedSource> {
        let sources = self.sources().await?;
        if let Ok(id) = target.parse::<i64>()
            && let Some(s) = sources.iter().find(|s| s.id == id)
        {
            return Ok(s.clone());
        }
        let wanted = walk::absolute(Path::new(target));
        let wanted = wanted.to_string_lossy();
        sources
            .into_iter()
            .find(|s| s.path == wanted || s.path == target.trim_end_matches('/'))
            .ok_or_else(|| LibraryError::NoSource(target.to_string()))
    }

    /// Pauses (or resumes) watching a folder; resuming rescans it.
    pub async fn set_source_paused(&self, id: i64, paused: bool) -> Result<()> {
        if !self.catalog.set_source_paused(id, paused).await? {
            return Err(LibraryError::NoSource(id.to_string()));
        }
        Ok(())
    }

    /// Stops watching a folder. Its documents stay in the library (remove them one by one, or
    /// delete the files first).
    pub async fn remove_source(&self, id: i64) -> Result<()> {
        if !self.catalog.remove_source(id).await? {
            return Err(LibraryError::NoSource(id.to_string()));
        }
        Ok(())
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

/// Why a data directory is opened without writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOnlyCause {
    /// `CATENA_READ_ONLY` asks for it.
    Requested,
    /// This process cannot write there (a read-only mount, another user's library).
    NotWritable,
}

impl std::fmt::Display for ReadOnlyCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadOnlyCause::Requested => "CATENA_READ_ONLY is set",
            ReadOnlyCause::NotWritable => "its folder is not writable for this user",
        })
    }
}

/// Whether the data directory must be opened without writing: `CATENA_READ_ONLY` asks for it,
/// or this process cannot write there (the catalog's lock file, which every writer creates,
/// cannot be opened for writing). A directory that does not exist yet is not read-only.
pub fn read_only_dir(dir: &Path) -> bool {
    read_only_cause(dir).is_some()
}

/// [`read_only_dir`], with the reason.
pub fn read_only_cause(dir: &Path) -> Option<ReadOnlyCause> {
    if store::read_only_forced() {
        return Some(ReadOnlyCause::Requested);
    }
    if !dir.is_dir() {
        return None;
    }
    match std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("catalog.db.lock")) {
        Ok(_) => None,
        Err(e) => matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
            .then_some(ReadOnlyCause::NotWritable),
    }
}

async fn open_parts(dir: &Path) -> Result<(Catalog, ChunkIndex)> {
    if read_only_dir(dir) {
        return open_parts_read_only(dir).await;
    }
    let io_err = |source| LibraryError::DataDir { path: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let catalog = Catalog::open(&dir.join("catalog.db")).await?;
    let index_dir = dir.join("index");
    let shown = index_dir.display().to_string();
    // An index that is gone would be created empty, and every document would look unchanged to
    // the next ingest while search finds nothing: say so instead.
    if !ChunkIndex::exists(&index_dir) {
        let documents = catalog.count_indexed().await?;
        if documents > 0 {
            return Err(LibraryError::IndexMissing { path: shown, documents });
        }
    }
    match blocking(move || ChunkIndex::open(&index_dir)).await? {
        Ok(index) => Ok((catalog, index)),
        Err(e) => Err(LibraryError::IndexDamaged { path: shown, reason: e.to_string() }),
    }
}

/// [`open_parts`] for a directory this process must not write: nothing is created, locked,
/// migrated or recovered.
async fn open_parts_read_only(dir: &Path) -> Result<(Catalog, ChunkIndex)> {
    let catalog = Catalog::open_read_only(&dir.join("catalog.db")).await?;
    let index_dir = dir.join("index");
    let shown = index_dir.display().to_string();
    if !ChunkIndex::exists(&index_dir) {
        let documents = catalog.count_indexed().await?;
        return Err(LibraryError::IndexMissing { path: shown, documents });
    }
    match blocking(move || ChunkIndex::open_read_only(&index_dir)).await? {
        Ok(index) => Ok((catalog, index)),
        Err(e) => Err(LibraryError::IndexDamaged { path: shown, reason: e.to_string() }),
    }
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

impl Library {
    /// Cosine similarity of `query` to each of `texts` under the current embedding model (the
    /// query embedded as a query, the texts as passages), or why there is no model.
    pub async fn similarities(&self, query: &str, texts: &[String]) -> std::result::Result<Vec<f32>, String> {
        let state = self.semantic.state()?;
        let q = state.embed_query(query).await?;
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let vectors = state.embedder.embed(texts, embed::TextKind::Passage).await.map_err(|e| e.to_string())?;
        if vectors.len() != texts.len() {
            return Err(format!("the embedder returned {} vectors for {} texts", vectors.len(), texts.len()));
        }
        // Both sides are L2-normalised: the dot product is the cosine.
        Ok(vectors.iter().map(|v| v.iter().zip(&q).map(|(a, b)| a * b).sum()).collect())
    }
}

/// The library is the knowledge base the engine's knowledge-base action searches.
#[async_trait::async_trait]
impl engine::ports::Corpus for Library {
    async fn similarities(&self, query: &str, texts: &[String]) -> Option<Vec<f32>> {
        match Library::similarities(self, query, texts).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!("no sentence similarities: {e}");
                None
            }
        }
    }

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

/// Vectors against the catalog: an embedded document has exactly one vector per chunk, and
/// only indexed documents have vectors. A document whose removal the index has committed
/// but the catalog has not finished yet (a reader right after a kill) still holds its
/// vectors until recovery deletes the row; that is not an inconsistency.
fn check_vectors(all: Vec<DocRow>, vectors: Vec<store::VectorCount>, report: &mut CheckReport) {
    let rows: BTreeMap<i64, DocRow> = all.into_iter().map(|d| (d.id, d)).collect();
    for c in vectors {
        report.vectors += c.stored;
        let Some(doc) = rows.get(&c.doc_id) else {
            report.vectors_without_document.push(c.doc_id);
            continue;
        };
        match doc.status {
            Status::Indexed | Status::Replacing | Status::Removing => {}
            _ => {
                report.vectors_without_document.push(c.doc_id);
                continue;
            }
        }
        if c.recorded.is_some() {
            report.embedded += 1;
        }
        if c.recorded != Some(c.stored) || c.stored != doc.chunks {
            report.vector_mismatches.push((c.doc_id, c.model, doc.chunks, c.stored));
        }
    }
    report.vectors_without_document.dedup();
}

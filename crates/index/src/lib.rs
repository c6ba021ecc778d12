//! The full-text index: one tantivy index of chunks, one writer, searches from reader snapshots.
//!
//! Owns the schema, the English analyzer (stemming, stop words), query parsing with a lenient
//! fallback, BM25 ranking with boosted titles, and snippets. It knows nothing of the catalog:
//! consistency with the catalog is kept by the `library` crate through commit generations
//! ([`ChunkIndex::generation`]).
//!
//! Crash safety is tantivy's: a commit atomically replaces `meta.json`, so a process killed at any
//! moment leaves the previous commit (and its generation payload) intact, and the writer lock is an
//! OS file lock that dies with the process.

mod location_codec;
mod query_text;
mod read_only;
mod schema;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{Query, QueryParser};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexBuilder, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

pub use engine::{Location, Span};

use crate::schema::Fields;

/// Ranking weight of a title match relative to a match in the chunk text.
const TITLE_BOOST: f32 = 2.0;
/// Snippet length in chars, before HTML escaping and `<b>` marks.
const SNIPPET_CHARS: usize = 200;
/// Indexing memory budget. One indexing thread: the machine has two cores and extraction, which
/// feeds the writer, needs the other one.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;
const WRITER_THREADS: usize = 1;
/// Background merges run on their own threads; one is enough to keep the segment count low
/// without starving indexing and searches of the second core.
const MERGE_THREADS: usize = 1;

/// Errors from the index. Messages are lowercase and say what was attempted.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy reported an error.
    #[error("index error while {context}: {source}")]
    Tantivy {
        /// What was being attempted.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// Another process holds the index writer.
    #[error("the index is in use by another Catena process")]
    Locked,
    /// The index on disk was written with a different schema (an older or newer Catena). It
    /// cannot be read; the caller should delete the directory and rebuild from the catalog.
    #[error("the index on disk has an incompatible schema and must be rebuilt")]
    SchemaMismatch,
    /// Something read back from the index is not what this crate writes.
    #[error("the index is corrupt: {0}")]
    Corrupt(String),
}

/// Wraps a tantivy error with what was being attempted.
fn ctx(context: &'static str) -> impl FnOnce(TantivyError) -> IndexError {
    move |source| IndexError::Tantivy { context, source }
}

/// One chunk as it goes into the index.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRecord {
    /// Catalog id of the document.
    pub doc_id: i64,
    /// 0-based ordinal of the chunk within its document.
    pub ordinal: u32,
    /// Document title (boosted in ranking).
    pub title: String,
    /// Path of the source file, as stored in the catalog.
    pub path: String,
    /// Format name (`pdf`, `docx`, …).
    pub format: String,
    /// Where the chunk sits in the source.
    pub location: Location,
    /// Char span into the document's stored text.
    pub span: Span,
    /// The chunk's text.
    pub text: String,
}

/// A ranked search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Catalog id of the document.
    pub doc_id: i64,
    /// `"{doc_id}:{ordinal}"`, stable while the document is unchanged.
    pub chunk_id: String,
    /// Chunk ordinal.
    pub ordinal: u32,
    /// Document title.
    pub title: String,
    /// Source path.
    pub path: String,
    /// Format name.
    pub format: String,
    /// Location in the source.
    pub location: Location,
    /// The score the hits are ranked by: BM25 for a keyword search (as `scores.lexical`), the
    /// cosine similarity for a semantic search, the fused score for a hybrid one (`scores.fused`).
    pub score: f32,
    /// Snippet with the matched terms marked as `<b>…</b>` (HTML-escaped otherwise). When only
    /// the title matched, the start of the chunk text, escaped and unmarked.
    pub snippet_html: String,
    /// The whole chunk text.
    pub text: String,
    /// Char span into the document's stored text.
    pub span: Span,
    /// How each retriever scored this chunk.
    pub scores: Scores,
}

/// A hit's scores by retriever: keyword (BM25), semantic (cosine similarity) and their fusion.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    /// BM25 score, when the keyword search found the chunk.
    pub lexical: Option<f32>,
    /// Cosine similarity to the query, when the semantic search found the chunk.
    pub semantic: Option<f32>,
    /// The score the result list is ranked by (equal to the one retriever's score when only one
    /// ran).
    pub fused: f32,
}

/// What the index and its writer share.
struct Shared {
    index: Index,
    /// Reloaded explicitly after each commit (`ReloadPolicy::Manual`): searches see a commit as
    /// soon as `commit` returns, and nothing polls the directory in the background.
    reader: IndexReader,
    parser: QueryParser,
    fields: Fields,
    /// Fallback for [`ChunkIndex::generation`] when the metadata cannot be read.
    last_generation: AtomicU64,
}

/// The chunk index. Cheap to share behind an `Arc`; searches may run concurrently with each other
/// and with the writer.
pub struct ChunkIndex {
    shared: Arc<Shared>,
}

impl ChunkIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if missing.
    pub fn open(dir: &Path) -> Result<ChunkIndex, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| ctx("creating the index directory")(TantivyError::from(e)))?;
        let directory =
            MmapDirectory::open(dir).map_err(|e| ctx("opening the index directory")(TantivyError::from(e)))?;
        let (schema, fields) = schema::build();
        // Two processes creating the same new index could both write empty metadata, the later
        // one over the first one's first commit: creation happens under an OS lock (released when
        // the file closes, or when the process dies), and the second finds the index made.
        let _creating = if Self::exists(dir) {
            None
        } else {
            let lock = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(".catena-create.lock"))
                .map_err(|e| ctx("creating the index")(TantivyError::from(e)))?;
            lock.lock().map_err(|e| ctx("creating the index")(TantivyError::from(e)))?;
            Some(lock)
        };
        let index =
            IndexBuilder::new().schema(schema).tokenizers(schema::tokenizers()).open_or_create(directory).map_err(
                |e| match e {
                    TantivyError::SchemaError(_) => IndexError::SchemaMismatch,
                    other => ctx("opening the index")(other),
                },
            )?;
        Self::from_index(index, fields)
    }

    /// Opens an existing index without writing anything to its directory (see
    /// [`read_only`](crate::read_only)): searches and counts work, a writer is refused.
    pub fn open_read_only(dir: &Path) -> Result<ChunkIndex, IndexError> {
        let directory =
            MmapDirectory::open(dir).map_err(|e| ctx("opening the index directory")(TantivyError::from(e)))?;
        let (schema, fields) = schema::build();
        let index = IndexBuilder::new()
            .schema(schema)
            .tokenizers(schema::tokenizers())
            .open_or_create(read_only::ReadOnlyDirectory(directory))
            .map_err(|e| match e {
                TantivyError::SchemaError(_) => IndexError::SchemaMismatch,
                other => ctx("opening the index")(other),
            })?;
        Self::from_index(index, fields)
    }

    /// True when `dir` holds an index (its `meta.json`), committed or not.
    pub fn exists(dir: &Path) -> bool {
        dir.join("meta.json").is_file()
    }

    /// The files of the current commit whose checksum does not match their contents (a
    /// truncated or overwritten segment), or that are missing. Reads every file of the index.
    pub fn damaged_files(&self) -> Result<Vec<String>, IndexError> {
        let damaged = self.shared.index.validate_checksum().map_err(ctx("checking the index files"))?;
        let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        Ok(names)
    }

    /// Creates an empty index in memory (for tests).
    pub fn open_in_ram() -> Result<ChunkIndex, IndexError> {
        let (schema, fields) = schema::build();
        let index = IndexBuilder::new()
            .schema(schema)
            .tokenizers(schema::tokenizers())
            .create_in_ram()
            .map_err(ctx("creating the index in memory"))?;
        Self::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<ChunkIndex, IndexError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(ctx("opening the index reader"))?;
        let mut parser = QueryParser::for_index(&index, vec![fields.text, fields.title]);
        parser.set_field_boost(fields.title, TITLE_BOOST);
        let meta = index.load_metas().map_err(ctx("reading the index metadata"))?;
        let last_generation = AtomicU64::new(parse_generation(meta.payload.as_deref()));
        let shared = Shared { index, reader, parser, fields, last_generation };
        Ok(ChunkIndex { shared: Arc::new(shared) })
    }

    /// The payload of the last commit, 0 when the index was never committed. Read from the
    /// on-disk metadata on every call (one small file), so it reflects the durable state, which
    /// may be newer than the snapshot searches run on when another process commits. Should that
    /// read fail, the last generation this process read or committed is returned instead; a
    /// payload that is not a number (never written by this crate) reads as 0.
    pub fn generation(&self) -> u64 {
        let shared = &*self.shared;
        match shared.index.load_metas() {
            Ok(meta) => {
                let generation = parse_generation(meta.payload.as_deref());
                shared.last_generation.store(generation, Ordering::Relaxed);
                generation
            }
            Err(_) => shared.last_generation.load(Ordering::Relaxed),
        }
    }

    /// Takes the single index writer. Fails with [`IndexError::Locked`] while another writer
    /// (in this or another process) is alive.
    pub fn writer(&self) -> Result<ChunkWriter, IndexError> {
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BYTES)
            .num_worker_threads(WRITER_THREADS)
            .num_merge_threads(MERGE_THREADS)
            .build();
        let writer = self.shared.index.writer_with_options(options).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => IndexError::Locked,
            other => ctx("opening the index writer")(other),
        })?;
        Ok(ChunkWriter { shared: Arc::clone(&self.shared), writer })
    }

    /// Searches chunk text and titles (BM25, titles boosted, OR of the words, `"quoted phrases"`).
    /// Never fails on what the user typed: query syntax is treated as text, and a query with
    /// nothing searchable (empty, punctuation, stop words) returns no hits.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let shared = &*self.shared;
        let searcher = shared.reader.searcher();
        // Clamped so that a huge `limit` cannot make the collector reserve memory for it.
        let limit = limit.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(query) = shared.parse(query) else {
            return Ok(Vec::new());
        };
        let top = searcher.search(&*query, &TopDocs::with_limit(limit).order_by_score()).map_err(ctx("searching"))?;
        if top.is_empty() {
            return Ok(Vec::new());
        }
        // Once per query: it looks up the document frequency of every query term.
        let mut snippets =
            SnippetGenerator::create(&searcher, &*query, shared.fields.text).map_err(ctx("preparing snippets"))?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            // Stored documents are loaded for the top hits only.
            let doc: TantivyDocument = searcher.doc(address).map_err(ctx("reading a stored chunk"))?;
            hits.push(shared.hit(&doc, score, Some(&snippets))?);
        }
        Ok(hits)
    }

    /// Moves the reader's snapshot to the last durable commit, so that searches and
    /// [`ChunkIndex::chunk_counts`] see what another process has committed since.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.shared.reader.reload().map_err(ctx("reloading the index"))
    }

    /// Live chunk count per document in the reader's snapshot (the last commit this process
    /// made or found at open). Reads the `doc_id` fast field column, not the doc store.
    pub fn chunk_counts(&self) -> Result<BTreeMap<i64, u64>, IndexError> {
        let searcher = self.shared.reader.searcher();
        let mut counts = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().i64("doc_id").map_err(ctx("reading doc ids"))?;
            // Chunks of a document are added together, so ids come in runs: count a run locally
            // and touch the map once per run instead of once per chunk.
            let mut run: Option<(i64, u64)> = None;
            for doc in segment.doc_ids_alive() {
                let Some(id) = column.first(doc) else {
                    continue;
                };
                match &mut run {
                    Some((current, n)) if *current == id => *n += 1,
                    _ => {
                        if let Some((prev, n)) = run.replace((id, 1)) {
                            *counts.entry(prev).or_insert(0) += n;
                        }
                    }
                }
            }
            if let Some((prev, n)) = run {
                *counts.entry(prev).or_insert(0) += n;
            }
        }
        Ok(counts)
    }

    /// Number of live chunks in the reader's snapshot.
    pub fn num_chunks(&self) -> Result<u64, IndexError> {
        Ok(self.shared.reader.searcher().num_docs())
    }

    /// The chunk texts of one document in the reader's snapshot, by ordinal (what an embedder
    /// reads). Empty when the document has no chunks there.
    pub fn chunk_texts(&self, doc_id: i64) -> Result<Vec<(u32, String)>, IndexError> {
        let shared = &*self.shared;
        let searcher = shared.reader.searcher();
        let mut out = Vec::new();
        for address in shared.doc_addresses(&searcher, doc_id)? {
            let doc: TantivyDocument = searcher.doc(address).map_err(ctx("reading a stored chunk"))?;
            let ordinal = stored_u64(&doc, shared.fields.ordinal, "ordinal")?;
            let ordinal = u32::try_from(ordinal)
                .map_err(|_| IndexError::Corrupt(format!("chunk ordinal {ordinal} is out of range")))?;
            out.push((ordinal, stored_str(&doc, shared.fields.text, "text")?.to_owned()));
        }
        out.sort_by_key(|(ordinal, _)| *ordinal);
        Ok(out)
    }

    /// The chunks named by `(doc_id, ordinal)` as hits, in the order asked, skipping any that
    /// the reader's snapshot does not hold (a document removed meanwhile). Snippets mark the
    /// words of `query` where the chunk has them. Each hit's `score` and `scores` are zero until
    /// the caller sets them.
    pub fn chunks(&self, keys: &[(i64, u32)], query: &str) -> Result<Vec<Hit>, IndexError> {
        let shared = &*self.shared;
        let searcher = shared.reader.searcher();
        let parsed = shared.parse(query);
        let mut snippets = match &parsed {
            Some(q) => {
                Some(SnippetGenerator::create(&searcher, &**q, shared.fields.text).map_err(ctx("preparing snippets"))?)
            }
            None => None,
        };
        if let Some(s) = snippets.as_mut() {
            s.set_max_num_chars(SNIPPET_CHARS);
        }
        let mut addresses: BTreeMap<i64, Vec<tantivy::DocAddress>> = BTreeMap::new();
        let mut hits = Vec::with_capacity(keys.len());
        for &(doc_id, ordinal) in keys {
            if let std::collections::btree_map::Entry::Vacant(slot) = addresses.entry(doc_id) {
                slot.insert(shared.doc_addresses(&searcher, doc_id)?);
            }
            let candidates = addresses.get(&doc_id).map(Vec::as_slice).unwrap_or_default();
            // Chunks are added in ordinal order, so the chunk is almost always at its ordinal's
            // position among its document's addresses; look there first, then everywhere.
            let guess = candidates.get(ordinal as usize).copied();
            let order = guess.into_iter().chain(candidates.iter().copied().filter(|a| Some(*a) != guess));
            for address in order {
                let doc: TantivyDocument = searcher.doc(address).map_err(ctx("reading a stored chunk"))?;
                if stored_u64(&doc, shared.fields.ordinal, "ordinal")? != u64::from(ordinal) {
                    continue;
                }
                let mut hit = shared.hit(&doc, 0.0, snippets.as_ref())?;
                hit.scores = Scores::default();
                hits.push(hit);
                break;
            }
        }
        Ok(hits)
    }
}

impl Shared {
    /// The addresses of every live chunk of a document, in index order.
    fn doc_addresses(&self, searcher: &tantivy::Searcher, doc_id: i64) -> Result<Vec<tantivy::DocAddress>, IndexError> {
        let term = Term::from_field_i64(self.fields.doc_id, doc_id);
        let query = tantivy::query::TermQuery::new(term, IndexRecordOption::Basic);
        let found = searcher.search(&query, &DocSetCollector).map_err(ctx("finding a document's chunks"))?;
        let mut addresses: Vec<tantivy::DocAddress> = found.into_iter().collect();
        addresses.sort();
        Ok(addresses)
    }

    /// Parses user input into a query, or `None` when it has no searchable term.
    fn parse(&self, input: &str) -> Option<Box<dyn Query>> {
        let text = query_text::sanitize(input);
        if text.is_empty() {
            return None;
        }
        // The sanitized text only holds quoted alphanumeric words, which the strict parser always
        // accepts; the lenient parser is a belt-and-braces fallback that cannot fail.
        let query = match self.parser.parse_query(&text) {
            Ok(query) => query,
            Err(_) => self.parser.parse_query_lenient(&text).0,
        };
        // Stop words vanish in the analyzer, which can leave a query without any term; tantivy
        // would run it as an empty boolean query, so say "no hits" without searching.
        let mut has_terms = false;
        query.query_terms(&mut |_, _| has_terms = true);
        has_terms.then_some(query)
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, snippets: Option<&SnippetGenerator>) -> Result<Hit, IndexError> {
        let f = &self.fields;
        let doc_id = doc.get_first(f.doc_id).and_then(|v| v.as_i64()).ok_or_else(|| missing("doc_id"))?;
        let ordinal = stored_u64(doc, f.ordinal, "ordinal")?;
        let ordinal = u32::try_from(ordinal)
            .map_err(|_| IndexError::Corrupt(format!("chunk ordinal {ordinal} is out of range")))?;
        let encoded = stored_str(doc, f.location, "location")?;
        let location = location_codec::decode(encoded)
            .ok_or_else(|| IndexError::Corrupt(format!("unreadable chunk location {encoded:?}")))?;
        let span =
            Span::new(stored_usize(doc, f.span_start, "span_start")?, stored_usize(doc, f.span_end, "span_end")?);
        let text = stored_str(doc, f.text, "text")?;
        let snippet = snippets.map(|s| s.snippet(text)).filter(|s| !s.is_empty());
        let snippet_html = match snippet {
            Some(snippet) => snippet.to_html(),
            None => html_escape(leading_excerpt(text, SNIPPET_CHARS)),
        };
        Ok(Hit {
            doc_id,
            chunk_id: format!("{doc_id}:{ordinal}"),
            ordinal,
            title: stored_str(doc, f.title, "title")?.to_owned(),
            path: stored_str(doc, f.path, "path")?.to_owned(),
            format: stored_str(doc, f.format, "format")?.to_owned(),
            location,
            score,
            snippet_html,
            text: text.to_owned(),
            span,
            scores: Scores { lexical: Some(score), semantic: None, fused: score },
        })
    }
}

fn parse_generation(payload: Option<&str>) -> u64 {
    payload.and_then(|p| p.parse().ok()).unwrap_or(0)
}

fn missing(field: &str) -> IndexError {
    IndexError::Corrupt(format!("a stored chunk lacks its {field}"))
}

fn stored_str<'a>(doc: &'a TantivyDocument, field: tantivy::schema::Field, name: &str) -> Result<&'a str, IndexError> {
    doc.get_first(field).and_then(|v| v.as_str()).ok_or_else(|| missing(name))
}

fn stored_u64(doc: &TantivyDocument, field: tantivy::schema::Field, name: &str) -> Result<u64, IndexError> {
    doc.get_first(field).and_then(|v| v.as_u64()).ok_or_else(|| missing(name))
}

fn stored_usize(doc: &TantivyDocument, field: tantivy::schema::Field, name: &str) -> Result<usize, IndexError> {
    let n = stored_u64(doc, field, name)?;
    usize::try_from(n).map_err(|_| IndexError::Corrupt(format!("{name} {n} is out of range")))
}

/// The first `max_chars` chars of `text`, cut back to a word boundary when there is one.
fn leading_excerpt(text: &str, max_chars: usize) -> &str {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    let head = &text[..cut];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => head[..space].trim_end(),
        _ => head,
    }
}

/// Escapes text for HTML element content and attribute values.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The single writer of a [`ChunkIndex`]. `Send`, so it can live on a dedicated thread. Dropping
/// it without [`ChunkWriter::commit`] discards everything since the last commit.
pub struct ChunkWriter {
    shared: Arc<Shared>,
    writer: IndexWriter,
}

impl ChunkWriter {
    /// Queues a chunk for indexing; it becomes visible at the next commit.
    pub fn add(&mut self, chunk: &ChunkRecord) -> Result<(), IndexError> {
        self.add_with_card(chunk, None)
    }

    /// Queues a chunk with its document's card line (`Title: … · Authors: … · arXiv
    /// identifier: …`), which the library passes for a document's first chunk so that questions
    /// about the document itself find its title page. The line is indexed as a second value of
    /// the boosted title field: the chunk's text, span and displayed title stay exactly as they
    /// are (hits read the first title value), and nothing in the schema changes.
    pub fn add_with_card(&mut self, chunk: &ChunkRecord, card_line: Option<&str>) -> Result<(), IndexError> {
        let f = &self.shared.fields;
        let mut doc = TantivyDocument::new();
        doc.add_i64(f.doc_id, chunk.doc_id);
        doc.add_u64(f.ordinal, u64::from(chunk.ordinal));
        doc.add_text(f.title, &chunk.title);
        if let Some(line) = card_line.filter(|l| !l.trim().is_empty()) {
            doc.add_text(f.title, line);
        }
        doc.add_text(f.path, &chunk.path);
        doc.add_text(f.format, &chunk.format);
        doc.add_text(f.location, location_codec::encode(&chunk.location));
        doc.add_u64(f.span_start, chunk.span.start as u64);
        doc.add_u64(f.span_end, chunk.span.end as u64);
        doc.add_text(f.text, &chunk.text);
        self.writer.add_document(doc).map_err(ctx("adding a chunk"))?;
        Ok(())
    }

    /// Queues the deletion of every chunk of `doc_id`, including chunks added earlier in the same
    /// uncommitted batch; chunks added after this call are kept.
    pub fn delete_doc(&mut self, doc_id: i64) -> Result<(), IndexError> {
        self.writer.delete_term(Term::from_field_i64(self.shared.fields.doc_id, doc_id));
        Ok(())
    }

    /// Durably and atomically commits everything queued, recording `generation` as the commit
    /// payload, then reloads the reader so that searches on the [`ChunkIndex`] see the commit.
    /// An error from the reload means the commit itself is durable
    /// ([`ChunkIndex::generation`] tells).
    pub fn commit(&mut self, generation: u64) -> Result<(), IndexError> {
        let mut prepared = self.writer.prepare_commit().map_err(ctx("preparing a commit"))?;
        prepared.set_payload(&generation.to_string());
        prepared.commit().map_err(ctx("committing"))?;
        self.shared.last_generation.store(generation, Ordering::Relaxed);
        self.shared.reader.reload().map_err(ctx("reloading the index after a commit"))
    }

    /// Discards everything queued since the last commit.
    pub fn rollback(&mut self) -> Result<(), IndexError> {
        self.writer.rollback().map_err(ctx("rolling back"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_at_a_word_boundary() {
        assert_eq!(leading_excerpt("short", 200), "short");
        assert_eq!(leading_excerpt("alpha beta gamma", 12), "alpha beta");
        assert_eq!(leading_excerpt("unbreakable", 4), "unbr");
        assert_eq!(leading_excerpt("ééé ééé", 5), "ééé");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(html_escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
    }

    #[test]
    fn index_and_writer_cross_threads() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<ChunkWriter>();
        send::<ChunkIndex>();
        sync::<ChunkIndex>();
    }
}

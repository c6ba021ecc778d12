//! Semantic and hybrid search: the embedder, the in-memory vectors of its model, and fusion.
//!
//! The library holds at most one embedder at a time. Its vectors live in the catalog
//! (`chunk_vectors`, one transaction per document with the row that marks it embedded) and, for
//! queries, in a [`VectorSet`] loaded lazily and kept current by comparing the catalog's cheap
//! [`EmbeddingCounter`] before each query — so vectors another process added are found too. Only
//! vectors of the current model are ever loaded, so two models are never mixed in one query.
//!
//! Hybrid search fuses the keyword top-N and the semantic top-N by reciprocal rank
//! ([`RRF_K`], [`FUSION_DEPTH`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use embed::vectors::{Prefilter, VectorHit, VectorSet};
use embed::{Embedder, ModelId, TextKind};
use index::{ChunkIndex, Hit, Scores};
use store::{Catalog, EmbeddingCounter};

use crate::{Result, blocking};

/// The constant of reciprocal-rank fusion: a hit at rank `r` (1-based) in one list adds
/// `1 / (RRF_K + r)` to its fused score.
pub const RRF_K: f32 = 60.0;

/// How many hits of each retriever a hybrid search fuses (at least the hits asked for).
pub const FUSION_DEPTH: usize = 50;

/// Vectors read from the catalog per query when loading a model's vectors in one go.
const LOAD_PAGE: u32 = 4096;

/// Above this many documents to catch up on, a load pages through all of the model's vectors
/// instead of reading them document by document.
const PER_DOC_LOAD_MAX: usize = 64;

/// How a search finds chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// Keywords only (BM25).
    Lexical,
    /// Meaning only: the chunks whose vectors are closest to the query's.
    Semantic,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

impl SearchMode {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Lexical => "lexical",
            SearchMode::Semantic => "semantic",
            SearchMode::Hybrid => "hybrid",
        }
    }
}

impl std::str::FromStr for SearchMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<SearchMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lexical" | "keyword" | "keywords" => Ok(SearchMode::Lexical),
            "semantic" => Ok(SearchMode::Semantic),
            "hybrid" => Ok(SearchMode::Hybrid),
            other => Err(format!("unknown search mode {other:?}: expected lexical, semantic or hybrid")),
        }
    }
}

/// Whether semantic search is available, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemanticStatus {
    /// An embedder is set.
    On {
        /// Its model id, e.g. `local:all-MiniLM-L6-v2`.
        model: String,
        /// Indexed documents whose vectors for this model are committed.
        embedded: u64,
        /// Indexed documents.
        total: u64,
    },
    /// No embedder: keyword search only.
    Off {
        /// Why, in plain words, with what to do about it.
        reason: String,
    },
}

impl SemanticStatus {
    /// True when an embedder is set.
    pub fn is_on(&self) -> bool {
        matches!(self, SemanticStatus::On { .. })
    }
}

/// What a search found and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// The mode that actually ran: a hybrid search runs as lexical while semantic search is
    /// off or no document is embedded yet.
    pub mode: SearchMode,
    /// Why the search ran differently from what was asked, if it did.
    pub note: Option<String>,
}

/// Why semantic search is off when nothing said otherwise.
const NO_EMBEDDER: &str = "no embedding model is set up";

/// The library's embedder and its vectors.
pub(crate) struct Semantic {
    current: RwLock<Current>,
}

#[derive(Clone)]
enum Current {
    Off(String),
    On(Arc<ModelState>),
}

impl Default for Semantic {
    fn default() -> Self {
        Semantic { current: RwLock::new(Current::Off(NO_EMBEDDER.to_owned())) }
    }
}

impl Semantic {
    pub(crate) fn set(&self, embedder: Arc<dyn Embedder>) {
        let model = embedder.model_id();
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        // Setting the same model again keeps the vectors already loaded.
        if let Current::On(state) = &*current
            && state.model == model
        {
            let state = Arc::new(ModelState {
                embedder,
                model,
                loaded: Arc::clone(&state.loaded),
                queries: Mutex::new(VecDeque::new()),
            });
            *current = Current::On(state);
            return;
        }
        *current = Current::On(Arc::new(ModelState {
            embedder,
            model,
            loaded: Arc::new(tokio::sync::RwLock::new(Loaded::default())),
            queries: Mutex::new(VecDeque::new()),
        }));
    }

    pub(crate) fn disable(&self, reason: String) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Current::Off(reason);
    }

    /// Chooses when the current model's vector searches go through the one-bit prefilter.
    pub(crate) async fn set_prefilter(&self, prefilter: Prefilter) {
        if let Ok(state) = self.state() {
            let mut loaded = state.loaded.write().await;
            loaded.prefilter = prefilter;
            if let Some(set) = &mut loaded.set {
                set.set_prefilter(prefilter);
            }
        }
    }

    /// The current model's state, or why there is none.
    pub(crate) fn state(&self) -> std::result::Result<Arc<ModelState>, String> {
        match &*self.current.read().unwrap_or_else(|p| p.into_inner()) {
            Current::On(state) => Ok(Arc::clone(state)),
            Current::Off(reason) => Err(reason.clone()),
        }
    }

    /// True while `state` is still the current model's.
    pub(crate) fn is_current(&self, state: &Arc<ModelState>) -> bool {
        match &*self.current.read().unwrap_or_else(|p| p.into_inner()) {
            Current::On(now) => now.model == state.model,
            Current::Off(_) => false,
        }
    }
}

/// One model: its embedder and the in-memory copy of its vectors.
pub(crate) struct ModelState {
    pub(crate) embedder: Arc<dyn Embedder>,
    pub(crate) model: ModelId,
    loaded: Arc<tokio::sync::RwLock<Loaded>>,
    /// The last few queries' vectors, newest last: a question is embedded once although the
    /// search and then the reader's similarities both need it.
    queries: Mutex<VecDeque<(String, Vec<f32>)>>,
}

/// Query vectors kept per model.
const QUERY_CACHE: usize = 32;

/// The vectors of one model as last read from the catalog.
#[derive(Default)]
struct Loaded {
    /// Created with the first vector's dimension.
    set: Option<VectorSet>,
    /// When searches of `set` go through its one-bit prefilter.
    prefilter: Prefilter,
    /// Embedded documents loaded: doc id → embedding row id.
    docs: HashMap<i64, i64>,
    /// The catalog's counter when `docs` was read; `None` before the first load.
    counter: Option<EmbeddingCounter>,
}

impl ModelState {
    /// Brings the in-memory vectors up to date with the catalog: documents embedded since (by
    /// any process) are loaded, documents removed or embedded again are dropped or reloaded.
    /// Returns the number of documents embedded for the model.
    pub(crate) async fn sync(&self, catalog: &Catalog) -> Result<u64> {
        let model = self.model.0.as_str();
        let counter = catalog.embedding_counter(model).await?;
        if self.loaded.read().await.counter == Some(counter) {
            return Ok(counter.documents);
        }
        let mut loaded = self.loaded.write().await;
        if loaded.counter == Some(counter) {
            return Ok(counter.documents);
        }
        // Read after the counter: anything written meanwhile changes the counter again, and the
        // next query catches up on it.
        let embedded = catalog.embedded_docs(model).await?;
        let wanted: HashMap<i64, (i64, u32)> = embedded.iter().map(|d| (d.doc_id, (d.row_id, d.dims))).collect();
        let stale: Vec<i64> = loaded
            .docs
            .iter()
            .filter(|&(doc, row)| wanted.get(doc).is_none_or(|(r, _)| r != row))
            .map(|(doc, _)| *doc)
            .collect();
        for doc in &stale {
            loaded.docs.remove(doc);
            if let Some(set) = loaded.set.as_mut() {
                set.remove_doc(*doc);
            }
        }
        let missing: HashSet<i64> = wanted.keys().filter(|d| !loaded.docs.contains_key(*d)).copied().collect();
        if missing.len() > PER_DOC_LOAD_MAX {
            let mut after = None;
            loop {
                let page = catalog.vectors_page(model, after, LOAD_PAGE).await?;
                let Some(last) = page.last() else { break };
                after = Some((last.doc_id, last.ordinal));
                for v in page.iter().filter(|v| missing.contains(&v.doc_id)) {
                    let dims = wanted.get(&v.doc_id).map(|(_, d)| *d as usize).unwrap_or(v.bytes.len());
                    loaded.insert(v.doc_id, v.ordinal, &v.bytes, dims);
                }
            }
        } else {
            for doc in &missing {
                let dims = wanted.get(doc).map(|(_, d)| *d as usize).unwrap_or_default();
                for v in catalog.doc_vectors(model, *doc).await? {
                    loaded.insert(v.doc_id, v.ordinal, &v.bytes, dims);
                }
            }
        }
        for doc in missing {
            if let Some((row, _)) = wanted.get(&doc) {
                loaded.docs.insert(doc, *row);
            }
        }
        loaded.counter = Some(counter);
        Ok(counter.documents)
    }

    /// The `k` chunks closest to `query` among the loaded vectors.
    pub(crate) async fn nearest(&self, query: &[f32], k: usize) -> Result<Vec<VectorHit>> {
        let loaded = Arc::clone(&self.loaded).read_owned().await;
        let query = query.to_vec();
        blocking(move || loaded.set.as_ref().map(|s| s.search(&query, k)).unwrap_or_default()).await
    }

    /// Embeds a query (or takes its vector from the last few queries).
    pub(crate) async fn embed_query(&self, query: &str) -> std::result::Result<Vec<f32>, String> {
        let cached = {
            let queries = self.queries.lock().unwrap_or_else(|p| p.into_inner());
            queries.iter().find(|(q, _)| q == query).map(|(_, v)| v.clone())
        };
        if let Some(v) = cached {
            return Ok(v);
        }
        let texts = [query.to_owned()];
        let mut vectors = self.embedder.embed(&texts, TextKind::Query).await.map_err(|e| e.to_string())?;
        let vector = vectors
            .pop()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| "the embedder returned no vector for the query".to_owned())?;
        let mut queries = self.queries.lock().unwrap_or_else(|p| p.into_inner());
        if queries.len() >= QUERY_CACHE {
            queries.pop_front();
        }
        queries.push_back((query.to_owned(), vector.clone()));
        Ok(vector)
    }
}

impl Loaded {
    fn insert(&mut self, doc_id: i64, ordinal: u32, bytes: &[u8], dims: usize) {
        let prefilter = self.prefilter;
        let set = self.set.get_or_insert_with(|| {
            let mut set = VectorSet::new(dims);
            set.set_prefilter(prefilter);
            set
        });
        if let Err(e) = set.insert_bytes(doc_id, ordinal, bytes) {
            // A vector of another dimension under the same model id (a provider that swapped
            // models): it cannot be compared, so it is left out of searches.
            tracing::warn!(doc_id, ordinal, "skipping a stored vector: {e}");
        }
    }
}

/// Fuses ranked lists by reciprocal rank: each chunk's fused score is the sum over the lists
/// that hold it of `1 / (RRF_K + rank)`. Returns `(key, fused)` best first; ties keep the
/// order of the first list that holds the chunk, lexical before semantic.
pub(crate) fn reciprocal_rank_fusion(lists: &[&[(i64, u32)]]) -> Vec<((i64, u32), f32)> {
    let mut fused: Vec<((i64, u32), f32)> = Vec::new();
    let mut slot: HashMap<(i64, u32), usize> = HashMap::new();
    for list in lists {
        for (rank, key) in list.iter().enumerate() {
            let add = 1.0 / (RRF_K + rank as f32 + 1.0);
            match slot.get(key) {
                Some(&i) => fused[i].1 += add,
                None => {
                    slot.insert(*key, fused.len());
                    fused.push((*key, add));
                }
            }
        }
    }
    // Stable: equal scores keep first-seen order.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

/// A semantic search's hits as full [`Hit`]s, read from the index snapshot (chunks it no longer
/// holds are skipped).
pub(crate) async fn semantic_hits(index: &Arc<ChunkIndex>, query: &str, found: &[VectorHit]) -> Result<Vec<Hit>> {
    let keys: Vec<(i64, u32)> = found.iter().map(|h| (h.doc_id, h.ordinal)).collect();
    let scores: HashMap<(i64, u32), f32> = found.iter().map(|h| ((h.doc_id, h.ordinal), h.score)).collect();
    let index = Arc::clone(index);
    let query = query.to_owned();
    let mut hits = blocking(move || index.chunks(&keys, &query)).await??;
    for h in &mut hits {
        let s = scores.get(&(h.doc_id, h.ordinal)).copied().unwrap_or_default();
        h.score = s;
        h.scores = Scores { lexical: None, semantic: Some(s), fused: s };
    }
    Ok(hits)
}

/// Fuses keyword hits and semantic hits into at most `limit` hybrid hits. Chunks found only
/// semantically are read from the index.
pub(crate) async fn fuse(
    index: &Arc<ChunkIndex>,
    query: &str,
    lexical: Vec<Hit>,
    semantic: &[VectorHit],
    limit: usize,
) -> Result<Vec<Hit>> {
    let lexical_keys: Vec<(i64, u32)> = lexical.iter().map(|h| (h.doc_id, h.ordinal)).collect();
    let semantic_keys: Vec<(i64, u32)> = semantic.iter().map(|h| (h.doc_id, h.ordinal)).collect();
    let similarity: HashMap<(i64, u32), f32> = semantic.iter().map(|h| ((h.doc_id, h.ordinal), h.score)).collect();
    let mut fused = reciprocal_rank_fusion(&[lexical_keys.as_slice(), semantic_keys.as_slice()]);
    fused.truncate(limit);
    let mut by_key: HashMap<(i64, u32), Hit> = lexical.into_iter().map(|h| ((h.doc_id, h.ordinal), h)).collect();
    let to_read: Vec<VectorHit> = semantic
        .iter()
        .filter(|h| {
            !by_key.contains_key(&(h.doc_id, h.ordinal)) && fused.iter().any(|(k, _)| *k == (h.doc_id, h.ordinal))
        })
        .copied()
        .collect();
    for h in semantic_hits(index, query, &to_read).await? {
        by_key.insert((h.doc_id, h.ordinal), h);
    }
    let mut out = Vec::with_capacity(fused.len());
    for (key, score) in fused {
        // A semantic hit whose chunk the index snapshot no longer holds is dropped.
        let Some(mut hit) = by_key.remove(&key) else { continue };
        let lexical = hit.scores.lexical;
        hit.score = score;
        hit.scores = Scores { lexical, semantic: similarity.get(&key).copied(), fused: score };
        out.push(hit);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_and_keeps_both_lists() {
        let lexical = [(1, 0), (2, 0), (3, 0)];
        let semantic = [(4, 0), (2, 0), (5, 0)];
        let fused = reciprocal_rank_fusion(&[&lexical[..], &semantic[..]]);
        let keys: Vec<(i64, u32)> = fused.iter().map(|(k, _)| *k).collect();
        // Found by both: first. Then the two first places, lexical first on a tie.
        assert_eq!(keys, [(2, 0), (1, 0), (4, 0), (3, 0), (5, 0)]);
        let both = 1.0 / (RRF_K + 2.0) * 2.0;
        assert!((fused[0].1 - both).abs() < 1e-6);
        assert!((fused[1].1 - 1.0 / (RRF_K + 1.0)).abs() < 1e-6);
    }

    #[test]
    fn modes_parse_from_their_names() {
        for mode in [SearchMode::Lexical, SearchMode::Semantic, SearchMode::Hybrid] {
            assert_eq!(mode.as_str().parse::<SearchMode>(), Ok(mode));
        }
        assert!("vector".parse::<SearchMode>().unwrap_err().contains("lexical, semantic or hybrid"));
    }
}

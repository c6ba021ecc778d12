//! Embedding indexed documents: after ingest, in the background, resumable.
//!
//! A document's chunks are read back from the text index, embedded in batches of
//! [`EMBED_BATCH`], and written to the catalog with the row that marks the document embedded in
//! one transaction. One document's chunks at a time bounds memory; cancelling between batches
//! loses at most the document in progress, and because an unfinished document has no embedding
//! row it is simply embedded again by the next run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use embed::TextKind;
use embed::vectors::quantize;

use crate::{CancelFlag, Library, Result, blocking};

/// Chunks embedded per call to the embedder.
pub const EMBED_BATCH: usize = 32;

/// Counts so far, for progress displays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbedProgress {
    /// The model embedding.
    pub model: String,
    /// Documents finished.
    pub documents_done: u64,
    /// Documents to embed in this run.
    pub documents_total: u64,
    /// Chunks embedded (the document in progress included).
    pub chunks_done: u64,
    /// Chunks to embed in this run.
    pub chunks_total: u64,
    /// Estimated time left, once there is enough data for an estimate.
    pub eta: Option<Duration>,
}

/// The result of one embedding run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbedSummary {
    /// The model that embedded.
    pub model: String,
    /// Documents whose vectors were committed.
    pub documents: u64,
    /// Chunks embedded in committed documents.
    pub chunks: u64,
    /// Documents left for a later run (cancelled, superseded or failed before them).
    pub remaining: u64,
    /// True when the run stopped early because it was cancelled.
    pub interrupted: bool,
    /// True when the run stopped because the library's model changed.
    pub superseded: bool,
    /// Why the run stopped early when the embedder failed (a provider that went away).
    pub error: Option<String>,
    /// Documents whose vectors of other models were deleted once every document had vectors
    /// of this one.
    pub dropped_other_models: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Library {
    /// Embeds every indexed document that has no committed vectors for the current model, one
    /// document at a time in batches of [`EMBED_BATCH`] chunks. Stops between batches when
    /// `cancel` is set or the model changes; what was committed stays. A failing embedder ends
    /// the run with [`EmbedSummary::error`] set, not with an error: keyword search is unaffected.
    /// Once every document has vectors of the current model, vectors of other models are
    /// deleted. Needs a library opened for writing; with semantic search off it does nothing and
    /// says why in [`EmbedSummary::error`].
    pub async fn embed_pending(
        &self,
        progress: &(dyn Fn(&EmbedProgress) + Sync),
        cancel: &CancelFlag,
    ) -> Result<EmbedSummary> {
        self.writer()?;
        let started = Instant::now();
        let state = match self.semantic.state() {
            Ok(state) => state,
            Err(reason) => return Ok(EmbedSummary { error: Some(reason), ..EmbedSummary::default() }),
        };
        let model = state.model.0.clone();
        let pending = self.catalog.unembedded_docs(&model).await?;
        let mut summary = EmbedSummary { model: model.clone(), remaining: pending.len() as u64, ..Default::default() };
        let mut p = EmbedProgress {
            model: model.clone(),
            documents_total: pending.len() as u64,
            chunks_total: pending.iter().map(|d| d.chunks).sum(),
            ..EmbedProgress::default()
        };
        if pending.is_empty() {
            // Nothing to do is not news: no progress to show, only a summary of nothing.
            return Ok(summary);
        }
        progress(&p);
        'docs: for doc in &pending {
            if cancel.is_cancelled() {
                summary.interrupted = true;
                break;
            }
            if !self.semantic.is_current(&state) {
                summary.superseded = true;
                break;
            }
            let index = Arc::clone(&self.index);
            let doc_id = doc.doc_id;
            let texts = blocking(move || index.chunk_texts(doc_id)).await??;
            if texts.is_empty() {
                // Removed since the list was read, or not in this snapshot: nothing to embed.
                summary.remaining -= 1;
                continue;
            }
            let mut vectors: Vec<(u32, Vec<u8>)> = Vec::with_capacity(texts.len());
            let mut dims = 0usize;
            let chunks_before = p.chunks_done;
            for batch in texts.chunks(EMBED_BATCH) {
                if cancel.is_cancelled() {
                    summary.interrupted = true;
                    break 'docs;
                }
                let input: Vec<String> = batch.iter().map(|(_, t)| t.clone()).collect();
                let embedded = match state.embedder.embed(&input, TextKind::Passage).await {
                    Ok(v) if v.len() == input.len() => v,
                    Ok(v) => {
                        summary.error = Some(format!(
                            "cannot embed document {doc_id}: the embedder returned {} vectors for {} chunks",
                            v.len(),
                            input.len()
                        ));
                        break 'docs;
                    }
                    Err(e) => {
                        summary.error = Some(format!("cannot embed document {doc_id}: {e}"));
                        break 'docs;
                    }
                };
                for ((ordinal, _), v) in batch.iter().zip(embedded) {
                    if dims == 0 {
                        dims = v.len();
                    }
                    if v.len() != dims || dims == 0 {
                        summary.error = Some(format!(
                            "cannot embed document {doc_id}: the embedder returned vectors of {} and {} dimensions",
                            dims,
                            v.len()
                        ));
                        break 'docs;
                    }
                    vectors.push((*ordinal, quantize(&v)));
                }
                p.chunks_done += batch.len() as u64;
                p.eta = eta(started.elapsed(), p.chunks_done, p.chunks_total);
                progress(&p);
            }
            let dims = u32::try_from(dims).unwrap_or(u32::MAX);
            if self.catalog.put_doc_vectors(doc_id, &model, dims, &vectors).await? {
                summary.documents += 1;
                summary.chunks += vectors.len() as u64;
            } else {
                // Removed while it was being embedded.
                p.chunks_total = p.chunks_total.saturating_sub(p.chunks_done - chunks_before);
                p.chunks_done = chunks_before;
            }
            summary.remaining -= 1;
            p.documents_done += 1;
            progress(&p);
        }
        if summary.remaining == 0 && summary.error.is_none() && !summary.interrupted && !summary.superseded {
            // Only now: until every document has vectors of this model, switching back to the
            // previous one would still find its vectors.
            if self.catalog.unembedded_docs(&model).await?.is_empty() {
                summary.dropped_other_models = self.catalog.delete_other_models(&model).await?;
            }
        }
        summary.elapsed = started.elapsed();
        Ok(summary)
    }
}

fn eta(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if done == 0 || elapsed < Duration::from_millis(500) {
        return None;
    }
    let rate = done as f64 / elapsed.as_secs_f64();
    Some(Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate))
}

//! The JSON shapes the tools return, shared with `catena search --json` and `catena docs
//! --json` so that a hit or a document reads the same from either.

use library::Hit;
use schemars::JsonSchema;
use serde::Serialize;
use store::DocRow;

/// One search hit: a chunk of a document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchHit {
    /// Catalog id of the document (for `read_document` and `catena://doc/{id}`).
    pub doc_id: i64,
    /// `"{doc_id}:{ordinal}"`.
    pub chunk_id: String,
    /// The document's file.
    pub path: String,
    /// The document's title.
    pub title: String,
    /// Format name (pdf, docx, markdown, …).
    pub format: String,
    /// Physical page, for paged documents.
    pub page: Option<u32>,
    /// Where in the document: `p. 3`, a section path, rows of a sheet.
    pub location: String,
    /// The score hits are ranked by.
    pub score: f32,
    /// The matched words marked `<b>…</b>`, HTML-escaped otherwise.
    pub snippet: String,
    /// The whole chunk text.
    pub text: String,
    /// `[start, end)` in characters of the document's stored text.
    pub span: [usize; 2],
    /// Each retriever's score.
    pub scores: HitScores,
}

/// A hit's scores by retriever.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct HitScores {
    /// BM25, when the keyword search found the chunk.
    pub lexical: Option<f32>,
    /// Cosine similarity, when the semantic search found the chunk.
    pub semantic: Option<f32>,
    /// The score the list is ranked by.
    pub fused: f32,
}

impl From<&Hit> for SearchHit {
    fn from(h: &Hit) -> SearchHit {
        SearchHit {
            doc_id: h.doc_id,
            chunk_id: h.chunk_id.clone(),
            path: h.path.clone(),
            title: h.title.clone(),
            format: h.format.clone(),
            page: h.location.page(),
            location: h.location.label(),
            score: h.score,
            snippet: h.snippet_html.clone(),
            text: h.text.clone(),
            span: [h.span.start, h.span.end],
            scores: HitScores { lexical: h.scores.lexical, semantic: h.scores.semantic, fused: h.scores.fused },
        }
    }
}

/// One document of the library, failed ones with their reason.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DocumentInfo {
    /// Catalog id.
    pub doc_id: i64,
    /// The file.
    pub path: String,
    /// Title from the file.
    pub title: Option<String>,
    /// Format name.
    pub format: Option<String>,
    /// indexed, pending, failed, duplicate, replacing or removing.
    pub status: String,
    /// Why the file failed.
    pub error: Option<String>,
    /// Physical pages (PDF).
    pub pages: Option<u32>,
    /// Chunks in the index.
    pub chunks: u64,
    /// File size in bytes.
    pub size: u64,
    /// BLAKE3 of the content.
    pub content_hash: Option<String>,
    /// Non-fatal problems met while reading it.
    pub warnings: Vec<String>,
    /// For a duplicate: the document holding the same content.
    pub duplicate_of: Option<i64>,
    /// Last change, RFC 3339 UTC.
    pub updated_at: String,
    /// Whether its vectors for the current embedding model are stored.
    pub embedded: bool,
    /// Title, authors, date and identifiers read from the document, when found.
    pub card: Option<serde_json::Value>,
    /// Pages read by OCR.
    pub ocr_pages: u64,
}

impl From<&DocRow> for DocumentInfo {
    fn from(d: &DocRow) -> DocumentInfo {
        DocumentInfo {
            doc_id: d.id,
            path: d.path.clone(),
            title: d.title.clone(),
            format: d.format.clone(),
            status: d.status.as_str().to_string(),
            error: d.error.clone(),
            pages: d.pages,
            chunks: d.chunks,
            size: d.size,
            content_hash: d.content_hash.clone(),
            warnings: d.warnings.clone(),
            duplicate_of: d.duplicate_of,
            updated_at: d.updated_at.clone(),
            embedded: d.embedded,
            card: d.card.clone(),
            ocr_pages: d.ocr_pages,
        }
    }
}

//! The tantivy schema of a chunk and the English analyzer its text fields use.

use tantivy::schema::{Field, IndexRecordOption, NumericOptions, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenizerManager,
};

/// Name under which the English analyzer is registered with the index.
pub const TEXT_ANALYZER: &str = "en";

/// Tokens this long or longer (in bytes) are dropped: they are hashes, base64 or glued-together
/// garbage from extraction, never words people search for, and they bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 40;

/// Lucene's English stop words, the list tantivy ships for English. Pinned here rather than taken
/// from tantivy because the index and the queries must agree forever: a silent change to the list
/// in a tantivy upgrade would make phrase and term queries miss documents indexed before it.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
    "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
];

/// Handles on the schema's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Catalog id: indexed (deletes by term), fast (chunk counts), stored.
    pub doc_id: Field,
    pub ordinal: Field,
    pub title: Field,
    pub path: Field,
    pub format: Field,
    /// [`crate::location_codec`] encoding of the location.
    pub location: Field,
    pub span_start: Field,
    pub span_end: Field,
    pub text: Field,
}

/// Builds the schema. Any change here makes existing on-disk indexes fail to open with
/// [`crate::IndexError::SchemaMismatch`], which the library answers by rebuilding.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Positions on both searchable fields so that quoted phrases work against titles as well.
    let searchable = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let doc_id_options = NumericOptions::default().set_indexed().set_fast().set_stored();
    let fields = Fields {
        doc_id: b.add_i64_field("doc_id", doc_id_options),
        ordinal: b.add_u64_field("ordinal", STORED),
        title: b.add_text_field("title", searchable.clone()),
        path: b.add_text_field("path", STORED),
        format: b.add_text_field("format", STORED),
        location: b.add_text_field("location", STORED),
        span_start: b.add_u64_field("span_start", STORED),
        span_end: b.add_u64_field("span_end", STORED),
        text: b.add_text_field("text", searchable),
    };
    (b.build(), fields)
}

/// The analyzer shared by indexing, query parsing and snippets: Unicode word splitting, long-token
/// removal, lowercasing, accent folding (so `café` finds `cafe`), English stop words, then the
/// Snowball English stemmer (so `running` finds `runs`). Stop words are removed before stemming so
/// that stemmed forms of ordinary words are never mistaken for stop words.
pub fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(ENGLISH_STOP_WORDS.iter().map(|w| (*w).to_owned())))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// A tokenizer manager with tantivy's defaults plus [`TEXT_ANALYZER`].
pub fn tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(TEXT_ANALYZER, english_analyzer());
    manager
}

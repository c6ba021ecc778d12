//! Extraction: turns a file into plain text with positions, plus tables.
//!
//! Owns every file-format decision (which library reads which format, limits against hostile
//! input) and the chunker that cuts extracted text on sentence boundaries. It never touches the
//! index or the catalog; it reads exactly one file per call and keeps no state.
//!
//! Entry points: [`extract`] (a path to a [`Document`]) and [`chunk`] (a document to [`Chunk`]s).

mod card;
mod chunk;
mod docx;
mod epub;
mod error;
mod html;
pub mod image;
mod markdown;
pub mod ocr;
mod pdf;
mod tables;
mod text;
mod zipcap;

use std::path::Path;

pub use card::{CardSource, CardSources, DocumentCard, Identifier, IdentifierKind};
pub use chunk::{Chunk, ChunkOptions, chunk};
pub use engine::{Location, Span};
pub use error::ExtractError;
pub use ocr::{BBox, OcrError, OcrLimiter, OcrOptions, OcrPage, OcrWord};

/// A file format Catena can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Portable Document Format.
    Pdf,
    /// Office Open XML word-processing document.
    Docx,
    /// HTML page.
    Html,
    /// Markdown.
    Markdown,
    /// Plain text in any common encoding.
    Text,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// Office Open XML spreadsheet.
    Xlsx,
    /// EPUB e-book.
    Epub,
    /// A raster image (PNG, JPEG, TIFF, WebP), read by OCR.
    Image,
}

impl Format {
    /// Stable lowercase name, as stored in the catalog and printed in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Xlsx => "xlsx",
            Format::Epub => "epub",
            Format::Image => "image",
        }
    }

    /// The format a file name's extension announces, if Catena reads it.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Format::Pdf,
            "docx" => Format::Docx,
            "html" | "htm" | "xhtml" => Format::Html,
            "md" | "markdown" | "mdown" | "mkd" => Format::Markdown,
            "txt" | "text" | "log" | "rst" => Format::Text,
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "xlsx" | "xlsm" => Format::Xlsx,
            "epub" => Format::Epub,
            "png" | "jpg" | "jpeg" | "tif" | "tiff" | "webp" => Format::Image,
            _ => return None,
        })
    }
}

/// Limits against hostile or oversized input. Every limit is a setting with a sensible default.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Files larger than this are refused before they are read.
    pub max_file_bytes: u64,
    /// Total decompressed bytes allowed out of one ZIP container (DOCX, XLSX, EPUB).
    pub max_decompressed_bytes: u64,
    /// HTML nested deeper than this is refused; DOCX/EPUB markup deeper than this is flattened
    /// (text kept, structure below the limit ignored). Either way a pathological file cannot
    /// exhaust the stack or take quadratic time.
    pub max_nesting_depth: usize,
    /// Rows kept per table; rows beyond are counted but not stored.
    pub max_table_rows: usize,
    /// Extracted text kept per document. Beyond it the rest is not read (text files, DOCX
    /// bodies) or cut off (every other format), and the document carries a warning saying
    /// where it was truncated, so memory per file stays bounded whatever the file expands to.
    pub max_text_bytes: usize,
    /// Reading scanned PDF pages and images by OCR.
    pub ocr: OcrOptions,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            max_file_bytes: 200 * 1024 * 1024,
            max_decompressed_bytes: 256 * 1024 * 1024,
            max_nesting_depth: 512,
            max_table_rows: 1_000_000,
            max_text_bytes: 32 * 1024 * 1024,
            ocr: OcrOptions::default(),
        }
    }
}

/// A contiguous part of [`Document::text`] that sits at one [`Location`].
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Byte range into [`Document::text`]; always on char boundaries.
    pub bytes: std::ops::Range<usize>,
    /// Where this part lives in the source.
    pub location: Location,
    /// `Some` when this text was read by OCR (a scanned page, an image): the page's mean word
    /// confidence, 0–100. `None` for the file's own text.
    pub ocr_confidence: Option<f32>,
}

/// The type inferred for a table column from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Whole numbers (thousands separators accepted).
    Integer,
    /// Decimal numbers.
    Real,
    /// ISO-8601-like dates.
    Date,
    /// true/false values.
    Boolean,
    /// Anything else.
    Text,
}

impl ColumnType {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Date => "date",
            ColumnType::Boolean => "boolean",
            ColumnType::Text => "text",
        }
    }
}

/// One cell value, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Empty,
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date, normalised to `YYYY-MM-DD` (or with time: `YYYY-MM-DDTHH:MM:SS`).
    Date(String),
    /// Text as written.
    Text(String),
}

/// A named column with its inferred type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text (made unique and non-empty: `column_3` for a blank header).
    pub name: String,
    /// Inferred type.
    pub kind: ColumnType,
}

/// A table kept for data analysis: one CSV/TSV file or one XLSX sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (XLSX) or the file stem (CSV/TSV).
    pub sheet: String,
    /// Header columns.
    pub columns: Vec<Column>,
    /// Data rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

/// The result of reading one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The detected format.
    pub format: Format,
    /// The title from metadata or the first heading, if any.
    pub title: Option<String>,
    /// All extracted text. Segments index into it.
    pub text: String,
    /// Physical page count (PDF; EPUB/DOCX have none).
    pub pages: Option<u32>,
    /// Located parts of `text`, in order, not overlapping.
    pub segments: Vec<Segment>,
    /// Tables (CSV/TSV/XLSX; DOCX tables are flattened into text instead).
    pub tables: Vec<Table>,
    /// Non-fatal problems worth telling the user, e.g. `page 3: no text layer (needs OCR)`.
    pub warnings: Vec<String>,
    /// What the document says about itself (title, authors, date, identifiers), from its
    /// metadata and its first page.
    pub card: DocumentCard,
    /// Pages whose text was read by OCR, with their words' boxes, in page order.
    pub ocr: Vec<OcrPage>,
}

/// Reads one file, choosing the reader from its extension and checking its content.
///
/// Never panics on any input; every failure is an [`ExtractError`] with a one-line reason.
pub fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let meta = std::fs::metadata(path).map_err(|e| ExtractError::io(path, e))?;
    if meta.len() == 0 {
        return Err(ExtractError::Empty);
    }
    if meta.len() > opts.max_file_bytes {
        return Err(ExtractError::TooLarge { size: meta.len(), limit: opts.max_file_bytes });
    }
    let format = Format::from_path(path).ok_or_else(|| ExtractError::UnknownFormat {
        extension: path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default(),
    })?;
    let doc = match format {
        Format::Pdf => pdf::extract(path, opts),
        Format::Docx => docx::extract(path, opts),
        Format::Html => html::extract(path, opts),
        Format::Markdown => markdown::extract(path, opts),
        Format::Text => text::extract(path, opts),
        Format::Csv | Format::Tsv => tables::extract_delimited(path, format, opts),
        Format::Xlsx => tables::extract_xlsx(path, opts),
        Format::Epub => epub::extract(path, opts),
        Format::Image => image::extract(path, opts),
    }?;
    Ok(cap_text(doc, opts.max_text_bytes))
}

/// The warning a document gets when its text was cut at `limit` bytes.
pub(crate) fn truncation_note(limit: usize) -> String {
    format!("text truncated at {} MB; the rest of the file is not indexed", limit.div_ceil(1024 * 1024))
}

/// Cuts a document's text to at most `limit` bytes (on a char boundary), clipping the segments
/// and OCR words that pointed past the cut, and says so in its warnings. Readers that stop early
/// on their own (text files, DOCX) have already added the note.
fn cap_text(mut doc: Document, limit: usize) -> Document {
    if doc.text.len() <= limit {
        return doc;
    }
    let mut end = limit;
    while !doc.text.is_char_boundary(end) {
        end -= 1;
    }
    doc.text.truncate(end);
    doc.segments.retain(|s| s.bytes.start < end);
    for s in &mut doc.segments {
        s.bytes.end = s.bytes.end.min(end);
    }
    doc.ocr.retain(|p| p.bytes.start < end);
    for page in &mut doc.ocr {
        page.bytes.end = page.bytes.end.min(end);
        page.words.retain(|w| w.bytes.end <= end);
    }
    let note = truncation_note(limit);
    if !doc.warnings.contains(&note) {
        doc.warnings.push(note);
    }
    doc
}

/// Reads an HTML page held in memory, such as a fetched web page: the same readable main text
/// (no navigation, scripts or footers) and title that [`extract`] gives for an `.html` file. The
/// charset comes from a BOM, then `<meta charset>`, then detection.
pub fn extract_html(bytes: &[u8], opts: &ExtractOptions) -> Result<Document, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    html::from_bytes(bytes, opts)
}

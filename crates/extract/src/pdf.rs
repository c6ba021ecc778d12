//! PDF through poppler (the engine behind `pdftotext`), via its GLib bindings.
//!
//! Poppler rather than a pure-Rust parser because it reads the real-world corpus far more
//! completely (broken xrefs, odd font encodings, CID fonts, encryption with an empty user
//! password) at `pdftotext` speed; see the measurements in the crate's design notes.
//!
//! One segment per physical page that has text, pages joined by a blank line. Pages without a
//! text layer (scans) are rendered and read by OCR (`crate::ocr`) when it is on, their segments
//! marked with the page's OCR confidence and their words kept with boxes; with OCR off they are
//! reported as warnings, and a file where no page has text is an error. A margin column of line numbers (transcripts, manuscripts
//! under review) is removed before cleaning (see `layout`), so the numbers never join the words
//! beside them.

mod layout;

use std::path::Path;

use crate::ocr::{self, OcrError, OcrOptions, OcrPage, Recognized};
use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

/// Between pages in [`Document::text`]: a paragraph break, so no sentence runs across pages.
const PAGE_SEPARATOR: &str = "\n\n";

/// Reads a PDF: text per physical page, title from metadata.
pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let bytes = std::fs::read(path).map_err(|e| ExtractError::io(path, e))?;
    from_bytes(&bytes, &opts.ocr)
}

/// What was read out of poppler, as owned Rust data.
struct Raw {
    title: Option<String>,
    /// Each physical page.
    pages: Vec<PageRead>,
}

/// One physical page as read.
enum PageRead {
    /// Poppler could not load it.
    Unreadable,
    /// Its text layer, cleaned and trimmed; empty when it has none and OCR is off.
    Text(String),
    /// No text layer: what OCR made of it.
    Ocr(Result<Recognized, OcrError>),
}

/// Extracts a PDF held in memory.
pub(crate) fn from_bytes(bytes: &[u8], ocr_opts: &OcrOptions) -> Result<Document, ExtractError> {
    check_size(bytes)?;
    check_header(bytes)?;
    let raw = read_with_poppler(bytes, ocr_opts)?;
    let truncated = looks_truncated(bytes);

    let mut text = String::new();
    let mut segments = Vec::new();
    let mut warnings = Vec::new();
    let mut ocr_pages: Vec<OcrPage> = Vec::new();
    let mut ocr_failure: Option<OcrError> = None;
    let mut ocr_ran = false;
    let page_count = u32::try_from(raw.pages.len()).unwrap_or(u32::MAX);
    for (index, page) in raw.pages.into_iter().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let (body, recognized) = match page {
            PageRead::Unreadable => {
                warnings.push(format!("page {number}: cannot be read"));
                continue;
            }
            PageRead::Text(body) if body.is_empty() => {
                warnings.push(format!("page {number}: no text layer (needs OCR)"));
                continue;
            }
            PageRead::Text(body) => (body, None),
            PageRead::Ocr(Err(e)) => {
                warnings.push(format!("page {number}: no text layer, and {e}"));
                ocr_failure.get_or_insert(e);
                continue;
            }
            PageRead::Ocr(Ok(mut rec)) => {
                ocr_ran = true;
                if rec.text.trim().is_empty() {
                    warnings.push(format!("page {number}: no text layer, and OCR found no text"));
                    continue;
                }
                (std::mem::take(&mut rec.text), Some(rec))
            }
        };
        if !text.is_empty() {
            text.push_str(PAGE_SEPARATOR);
        }
        let start = text.len();
        text.push_str(&body);
        let ocr_confidence = recognized.as_ref().map(|r| r.confidence);
        if let Some(rec) = recognized {
            if rec.confidence < ocr::LOW_CONFIDENCE {
                warnings.push(low_confidence_warning(number, rec.confidence));
            }
            let rec = Recognized { text: body, ..rec };
            ocr_pages.push(rec.into_page(number, start, &ocr_opts.languages));
        }
        segments.push(Segment { bytes: start..text.len(), location: Location::Page { page: number }, ocr_confidence });
    }

    if segments.is_empty() {
        if truncated {
            return Err(ExtractError::Corrupt {
                format: "pdf",
                detail: "file is truncated and no text could be recovered".into(),
            });
        }
        return Err(ExtractError::NoText(match ocr_failure {
            Some(e) => format!("no text layer, and {e}"),
            None if ocr_ran => "no text layer, and OCR found no text".into(),
            None => "no text layer (needs OCR)".into(),
        }));
    }
    if truncated {
        warnings.push("file appears truncated; some pages or text may be missing".into());
    }
    Ok(Document {
        format: Format::Pdf,
        card: crate::card::pdf_card(bytes, segments.first().map_or("", |s| &text[s.bytes.clone()])),
        title: raw.title.as_deref().and_then(crate::text::plausible_title),
        text,
        pages: Some(page_count),
        segments,
        tables: Vec::new(),
        warnings,
        ocr: ocr_pages,
    })
}

/// The warning for a page OCR read with little confidence.
pub(crate) fn low_confidence_warning(page: u32, confidence: f32) -> String {
    format!("page {page}: OCR confidence {confidence:.0}% is low; its text may be wrong")
}

/// Poppler takes the length as a C int.
fn check_size(bytes: &[u8]) -> Result<(), ExtractError> {
    if i32::try_from(bytes.len()).is_err() {
        return Err(ExtractError::TooLarge { size: bytes.len() as u64, limit: i32::MAX as u64 });
    }
    Ok(())
}

/// Refuses files that are not PDFs at all (the spec allows junk before the header, within the
/// first 1 KiB), so that e.g. an HTML error page saved as `.pdf` gets a clear reason.
fn check_header(bytes: &[u8]) -> Result<(), ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(());
    }
    let detail = match crate::text::signature(bytes) {
        Some(kind) => format!("no PDF header (looks like {kind})"),
        None => "no PDF header".to_owned(),
    };
    Err(ExtractError::WrongContent { expected: "pdf", detail })
}

/// A complete PDF ends with `%%EOF` (possibly followed by a little whitespace or junk).
fn looks_truncated(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    !tail.windows(5).any(|w| w == b"%%EOF")
}

/// Everything that touches poppler lives here, so that the document (which borrows `bytes`
/// without copying them) and its pages are gone before `bytes` can be.
fn read_with_poppler(bytes: &[u8], ocr_opts: &OcrOptions) -> Result<Raw, ExtractError> {
    let doc = open(bytes)?;
    let count = doc.n_pages();
    let mut pages = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut scans = Vec::new();
    let mut buf = String::new();
    for i in 0..count {
        let Some(page) = doc.page(i) else {
            pages.push(PageRead::Unreadable);
            continue;
        };
        buf.clear();
        clean_into(&layout::drop_line_numbers(&page.text().map(|t| t.to_string()).unwrap_or_default()), &mut buf);
        let body = buf.trim();
        if body.is_empty() && ocr_opts.enabled {
            scans.push(i);
        }
        pages.push(PageRead::Text(body.to_owned()));
    }
    if !scans.is_empty() {
        let read = ocr::recognize_pdf_pages(&doc, &scans, ocr_opts).map_err(|_| ExtractError::Cancelled)?;
        for (i, result) in read {
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| pages.get_mut(i)) {
                *slot = PageRead::Ocr(result);
            }
        }
    }
    Ok(Raw { title: doc.title().map(|t| t.to_string()), pages })
}

/// See [`ocr::render_pages_without_text`].
pub(crate) fn render_pages_without_text(
    bytes: &[u8],
    opts: &OcrOptions,
) -> Result<Vec<(u32, ocr::GrayPage)>, ExtractError> {
    check_size(bytes)?;
    check_header(bytes)?;
    let doc = open(bytes)?;
    let mut out = Vec::new();
    let mut buf = String::new();
    for i in 0..doc.n_pages() {
        let Some(page) = doc.page(i) else { continue };
        buf.clear();
        clean_into(&layout::drop_line_numbers(&page.text().map(|t| t.to_string()).unwrap_or_default()), &mut buf);
        if buf.trim().is_empty()
            && let Ok(image) = ocr::render(&page, opts)
        {
            out.push((u32::try_from(i + 1).unwrap_or(u32::MAX), image));
        }
    }
    Ok(out)
}

/// Opens a PDF held in memory; the document borrows `bytes`, so it must be gone before they are.
fn open(bytes: &[u8]) -> Result<poppler::Document, ExtractError> {
    // `from_data` is deprecated only in favour of `from_bytes` (a GBytes copy), which needs a
    // newer binding feature level; the data is not copied, hence the scoping above. A `None`
    // password is the empty password, which opens owner-password-only (print/copy-protected)
    // files, as every viewer does.
    #[allow(deprecated)]
    let doc = poppler::Document::from_data(bytes, None).map_err(|e| {
        if e.matches(poppler::Error::Encrypted) {
            ExtractError::Encrypted { format: "pdf" }
        } else {
            ExtractError::Corrupt { format: "pdf", detail: one_line(e.message()) }
        }
    })?;
    if doc.n_pages() <= 0 {
        return Err(ExtractError::Corrupt { format: "pdf", detail: "document has no pages".into() });
    }
    Ok(doc)
}

/// Poppler's messages as a one-line lowercase reason without a trailing period.
fn one_line(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line.trim_end_matches('.');
    let (first, rest) = line.split_at(line.find(' ').unwrap_or(line.len()));
    if first.is_empty() {
        return "unreadable document".to_owned();
    }
    // "PDF document…" → "pdf document…", "Failed…" → "failed…", but "iOS" stays.
    let first = if first.chars().all(|c| !c.is_lowercase()) {
        first.to_lowercase()
    } else {
        let mut chars = first.chars();
        chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
    };
    first + rest
}

/// Appends a page's text to `out`, cleaned in one pass: control characters become spaces (form
/// feeds and carriage returns become newlines), typographic ligatures are spelled out so that
/// "ﬁnd" matches "find", and a word hyphenated across a line end ("infor-\nmation", lowercase on
/// both sides) is joined, which makes it findable at the cost of dropping the hyphen of the rare
/// compound split exactly there.
fn clean_into(page: &str, out: &mut String) {
    out.reserve(page.len());
    let mut chars = page.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '-' if joins_hyphenation(out, &page[at + 1..]) => {
                chars.next(); // the newline
            }
            '\u{fb00}' => out.push_str("ff"),
            '\u{fb01}' => out.push_str("fi"),
            '\u{fb02}' => out.push_str("fl"),
            '\u{fb03}' => out.push_str("ffi"),
            '\u{fb04}' => out.push_str("ffl"),
            '\u{fb05}' | '\u{fb06}' => out.push_str("st"),
            '\r' | '\u{c}' => {
                if chars.peek().map(|&(_, n)| n) == Some('\n') && c == '\r' {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// True when a `-` is a line-end hyphenation: a lowercase letter before it, a newline right after
/// it, and a lowercase letter starting the next line.
fn joins_hyphenation(before: &str, after: &str) -> bool {
    let Some(rest) = after.strip_prefix('\n') else {
        return false;
    };
    let lower_before = before.chars().next_back().is_some_and(char::is_lowercase);
    lower_before && rest.chars().next().is_some_and(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(s: &str) -> String {
        let mut out = String::new();
        clean_into(s, &mut out);
        out
    }

    #[test]
    fn cleaning_joins_hyphenation_and_ligatures() {
        assert_eq!(cleaned("infor-\nmation and well-\nKnown"), "information and well-\nKnown");
        assert_eq!(cleaned("ﬁnd the ﬂow\u{0}x\r\ny\u{c}z"), "find the flow x\ny\nz");
        assert_eq!(cleaned("ends with-"), "ends with-");
    }

    #[test]
    fn messages_become_one_lowercase_line() {
        assert_eq!(one_line("PDF document is damaged."), "pdf document is damaged");
        assert_eq!(one_line("Failed to load\ndocument"), "failed to load document");
        assert_eq!(one_line(""), "unreadable document");
    }
}

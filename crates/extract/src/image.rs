//! Raster images (PNG, JPEG, TIFF including multi-page, WebP): text by OCR only.
//!
//! The content is checked against the extension's signature first, so a renamed file gets a
//! clear reason instead of Tesseract's. Every page of the image becomes one page segment marked
//! with its OCR confidence, as a scanned PDF page does.

use std::io::Read;
use std::path::Path;

use crate::ocr::{self, OcrPage};
use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

/// Between pages of a multi-page image, as between PDF pages.
const PAGE_SEPARATOR: &str = "\n\n";

pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(|e| ExtractError::io(path, e))?;
    let head = &head[..n];
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    check_signature(&ext, head)?;
    if !opts.ocr.enabled {
        return Err(ExtractError::NoText("image without a text layer (needs OCR)".into()));
    }
    let pages = ocr::recognize_file(path, &opts.ocr).map_err(|e| match e {
        ocr::OcrError::Cancelled => ExtractError::Cancelled,
        e => ExtractError::NoText(format!("image without a text layer, and {e}")),
    })?;
    let page_count = pages.len();
    let mut text = String::new();
    let mut segments = Vec::new();
    let mut warnings = Vec::new();
    let mut ocr_pages: Vec<OcrPage> = Vec::new();
    for rec in pages {
        let number = rec.page;
        if rec.text.trim().is_empty() {
            warnings.push(format!("page {number}: OCR found no text"));
            continue;
        }
        if !text.is_empty() {
            text.push_str(PAGE_SEPARATOR);
        }
        let start = text.len();
        text.push_str(&rec.text);
        if rec.confidence < ocr::LOW_CONFIDENCE {
            warnings.push(crate::pdf::low_confidence_warning(number, rec.confidence));
        }
        segments.push(Segment {
            bytes: start..text.len(),
            location: Location::Page { page: number },
            ocr_confidence: Some(rec.confidence),
        });
        ocr_pages.push(rec.into_page(number, start, &opts.ocr.languages));
    }
    if segments.is_empty() {
        return Err(ExtractError::NoText("image without a text layer, and OCR found no text".into()));
    }
    Ok(Document {
        format: Format::Image,
        title: None,
        card: crate::card::build(&crate::card::Meta::default(), crate::card::leading_text(&text)),
        text,
        pages: Some(u32::try_from(page_count).unwrap_or(u32::MAX)),
        segments,
        tables: Vec::new(),
        warnings,
        ocr: ocr_pages,
    })
}

/// Refuses content that is not the image its extension announces.
fn check_signature(ext: &str, head: &[u8]) -> Result<(), ExtractError> {
    let ok = match ext {
        "png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" | "jpeg" => head.starts_with(&[0xff, 0xd8, 0xff]),
        "tif" | "tiff" => head.starts_with(b"II*\0") || head.starts_with(b"MM\0*"),
        "webp" => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let expected = match ext {
        "png" => "png",
        "jpg" | "jpeg" => "jpeg",
        "tif" | "tiff" => "tiff",
        "webp" => "webp",
        _ => "image",
    };
    let detail = match crate::text::signature(head) {
        Some(kind) => format!("no {expected} signature (looks like {kind})"),
        None => format!("no {expected} signature"),
    };
    Err(ExtractError::WrongContent { expected, detail })
}

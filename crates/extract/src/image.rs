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

/// One page of an image file as a webview can draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayImage {
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub mime: &'static str,
    /// The encoded image.
    pub bytes: Vec<u8>,
}

/// Decoded TIFF pages larger than this are not shown (the viewer falls back to the text).
const MAX_DISPLAY_BYTES: usize = 512 * 1024 * 1024;

/// Page `page` (1-based) of the image file at `path`, for the source viewer to draw with the
/// OCR'd words' boxes on it. PNG, JPEG and WebP are handed over as they are (a page 1 only);
/// a TIFF page is decoded and re-encoded as PNG, since webviews do not draw TIFF. The boxes
/// Tesseract gave are fractions of the image as stored, so the viewer draws it unrotated.
pub fn display_page(path: &Path, page: u32) -> Result<DisplayImage, ExtractError> {
    let bytes = std::fs::read(path).map_err(|e| ExtractError::io(path, e))?;
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    check_signature(&ext, &bytes[..bytes.len().min(16)])?;
    let mime = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => return tiff_page_as_png(&bytes, page).map(|bytes| DisplayImage { mime: "image/png", bytes }),
    };
    if page != 1 {
        return Err(ExtractError::NoText(format!("the image has one page, not page {page}")));
    }
    Ok(DisplayImage { mime, bytes })
}

fn tiff_error(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::Corrupt { format: "tiff", detail: e.to_string() }
}

/// Decodes one TIFF page and encodes it as an 8-bit (or 1-bit) PNG.
fn tiff_page_as_png(bytes: &[u8], page: u32) -> Result<Vec<u8>, ExtractError> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult, Limits};

    let mut limits = Limits::default();
    limits.decoding_buffer_size = MAX_DISPLAY_BYTES;
    let mut decoder = Decoder::new(std::io::Cursor::new(bytes)).map_err(tiff_error)?.with_limits(limits);
    let index = usize::try_from(page.max(1) - 1).unwrap_or(usize::MAX);
    decoder.seek_to_image(index).map_err(|_| ExtractError::NoText(format!("the image has no page {page}")))?;
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    let colour = decoder.colortype().map_err(tiff_error)?;
    let (png_colour, depth) = match colour {
        ColorType::Gray(1) => (png::ColorType::Grayscale, png::BitDepth::One),
        ColorType::Gray(8 | 16) => (png::ColorType::Grayscale, png::BitDepth::Eight),
        ColorType::GrayA(8 | 16) => (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight),
        ColorType::RGB(8 | 16) => (png::ColorType::Rgb, png::BitDepth::Eight),
        ColorType::RGBA(8 | 16) => (png::ColorType::Rgba, png::BitDepth::Eight),
        other => return Err(tiff_error(format!("{other:?} pages cannot be shown"))),
    };
    let pixels = match decoder.read_image().map_err(tiff_error)? {
        DecodingResult::U8(v) => v,
        // The high byte of each 16-bit sample.
        DecodingResult::U16(v) => v.into_iter().map(|x| (x >> 8) as u8).collect(),
        _ => return Err(tiff_error("floating-point samples cannot be shown")),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png_colour);
        encoder.set_depth(depth);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(tiff_error)?;
        writer.write_image_data(&pixels).map_err(tiff_error)?;
        writer.finish().map_err(tiff_error)?;
    }
    Ok(out)
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

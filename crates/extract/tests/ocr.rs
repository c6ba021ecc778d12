//! OCR of scanned PDF pages and image files through the real Tesseract and poppler. Every
//! scan is drawn by the test itself from known text (`acceptance::scan`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use acceptance::scan;
use extract::{Document, ExtractError, ExtractOptions, Format, Location, OcrError, extract};

mod support;
use support::write;

const PAGE_ONE: [&str; 2] = ["Quantum harbor lighthouse beacons", "guide velvet orchard sailors home."];
const PAGE_TWO: [&str; 2] = ["Marmalade telescopes observe distant", "glaciers during winter solstice."];

fn text_of(doc: &Document, page: u32) -> &str {
    let seg = doc.segments.iter().find(|s| s.location == Location::Page { page }).expect("page segment");
    &doc.text[seg.bytes.clone()]
}

fn ocr_off() -> ExtractOptions {
    let mut opts = ExtractOptions::default();
    opts.ocr.enabled = false;
    opts
}

#[test]
fn png_image_is_read_with_word_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let image = scan::text_image(&PAGE_ONE, 1700, 400);
    let path = write(&dir, "note.png", &scan::png(&image));
    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.format, Format::Image);
    assert_eq!(doc.pages, Some(1));
    let text = text_of(&doc, 1);
    for word in ["Quantum", "harbor", "lighthouse", "velvet", "orchard", "sailors"] {
        assert!(text.contains(word), "{word} missing from {text:?}");
    }
    let confidence = doc.segments[0].ocr_confidence.expect("marked as OCR");
    assert!(confidence > 80.0, "{confidence}");
    assert_eq!(doc.ocr.len(), 1);
    let page = &doc.ocr[0];
    assert_eq!(page.page, 1);
    assert_eq!(&doc.text[page.bytes.clone()], text);

    // Every word's range holds that word, and boxes sit where the lines were drawn: the first
    // line's baseline is 100 px down (of 400), the second's 180 px.
    for w in &page.words {
        let word = &doc.text[w.bytes.clone()];
        assert!(!word.trim().is_empty());
        assert!(w.bbox.x0 < w.bbox.x1 && w.bbox.y0 < w.bbox.y1, "{word}: {:?}", w.bbox);
        assert!(w.bbox.x0 >= 60.0 / 1700.0 - 0.01, "{word}: {:?}", w.bbox);
    }
    let find = |word: &str| page.words.iter().find(|w| &doc.text[w.bytes.clone()] == word).expect(word);
    let (harbor, lighthouse, orchard) = (find("harbor"), find("lighthouse"), find("orchard"));
    assert!(harbor.bbox.x1 <= lighthouse.bbox.x0, "{:?} {:?}", harbor.bbox, lighthouse.bbox);
    assert!(harbor.bbox.y1 <= 110.0 / 400.0 && harbor.bbox.y0 >= 60.0 / 400.0, "{:?}", harbor.bbox);
    assert!(orchard.bbox.y0 >= 130.0 / 400.0 && orchard.bbox.y1 <= 200.0 / 400.0, "{:?}", orchard.bbox);
}

#[test]
fn image_only_pdf_pages_are_read_with_page_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = scan::pdf(&[scan::scan(&PAGE_ONE), scan::scan(&PAGE_TWO)]);
    let path = write(&dir, "scan.pdf", &bytes);
    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.format, Format::Pdf);
    assert_eq!(doc.pages, Some(2));
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    assert!(text_of(&doc, 1).contains("lighthouse"), "{:?}", doc.text);
    assert!(text_of(&doc, 2).contains("telescopes"), "{:?}", doc.text);
    assert!(!text_of(&doc, 1).contains("telescopes"));
    assert!(doc.segments.iter().all(|s| s.ocr_confidence.is_some_and(|c| c > 80.0)), "{:?}", doc.segments);
    assert_eq!(doc.ocr.iter().map(|p| p.page).collect::<Vec<_>>(), [1, 2]);
    // The chunks carry the pages too.
    let chunks = extract::chunk(&doc, &extract::ChunkOptions::default());
    assert!(chunks.iter().any(|c| c.location == Location::Page { page: 2 } && c.text.contains("glaciers")));
}

#[test]
fn mixed_pdf_reads_the_text_layer_and_ocrs_only_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = scan::pdf(&[scan::text(&["Typed page about harbors and tides."]), scan::scan(&PAGE_TWO)]);
    let path = write(&dir, "mixed.pdf", &bytes);
    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.segments.len(), 2);
    assert_eq!(doc.segments[0].ocr_confidence, None);
    assert!(text_of(&doc, 1).contains("Typed page about harbors and tides."));
    assert!(doc.segments[1].ocr_confidence.is_some());
    assert!(text_of(&doc, 2).contains("solstice"), "{:?}", doc.text);
    assert_eq!(doc.ocr.len(), 1);
    assert_eq!(doc.ocr[0].page, 2);
    let word = &doc.ocr[0].words[0];
    assert_eq!(&doc.text[word.bytes.clone()], "Marmalade");

    // With OCR off the scanned page is a warning and the typed page is still read.
    let doc = extract(&path, &ocr_off()).unwrap();
    assert_eq!(doc.segments.len(), 1);
    assert_eq!(doc.warnings, ["page 2: no text layer (needs OCR)"]);
    assert!(doc.ocr.is_empty());
}

#[test]
fn ocr_off_leaves_scans_with_the_no_text_layer_reason() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "scan.pdf", &scan::pdf(&[scan::scan(&PAGE_ONE)]));
    let err = extract(&pdf, &ocr_off()).unwrap_err();
    assert_eq!(err.to_string(), "no text layer (needs OCR)");
    let png = write(&dir, "scan.png", &scan::png(&scan::text_image(&PAGE_ONE, 1700, 400)));
    let err = extract(&png, &ocr_off()).unwrap_err();
    assert_eq!(err.to_string(), "image without a text layer (needs OCR)");
}

#[test]
fn a_missing_language_names_its_package() {
    let mut opts = ExtractOptions::default();
    opts.ocr.languages = "eng+zzz".into();
    let err = extract::ocr::check(&opts.ocr).unwrap_err();
    assert_eq!(err, OcrError::MissingLanguage { lang: "zzz".into(), package: "tesseract-ocr-zzz".into() });
    assert_eq!(err.to_string(), "OCR language 'zzz' is not installed (install the tesseract-ocr-zzz package)");

    // Reading a scan with it fails with the same reason.
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "scan.pdf", &scan::pdf(&[scan::scan(&PAGE_ONE)]));
    let err = extract(&pdf, &opts).unwrap_err();
    assert!(err.to_string().contains("install the tesseract-ocr-zzz package"), "{err}");

    let mut opts = ExtractOptions::default();
    opts.ocr.command = "/nonexistent/tesseract".into();
    assert_eq!(extract::ocr::check(&opts.ocr).unwrap_err(), OcrError::NotInstalled);
    let err = extract(&pdf, &opts).unwrap_err();
    assert!(err.to_string().contains("install the tesseract-ocr package"), "{err}");
}

#[test]
fn cancelling_stops_mid_document() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "scan.pdf", &scan::pdf(&[scan::scan(&PAGE_ONE), scan::scan(&PAGE_TWO)]));
    let mut opts = ExtractOptions::default();
    let cancel = Arc::new(AtomicBool::new(true));
    opts.ocr.cancel = Some(cancel);
    assert!(matches!(extract(&pdf, &opts), Err(ExtractError::Cancelled)));
}

#[test]
fn renamed_files_are_refused_before_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "photo.jpg", b"%PDF-1.4 not a jpeg");
    let err = extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::WrongContent { expected: "jpeg", .. }), "{err:?}");
}

#[test]
fn multi_page_tiff_is_read_page_by_page_and_each_page_can_be_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (scan::text_image(&PAGE_ONE, 1700, 400), scan::text_image(&PAGE_TWO, 1700, 400));
    let path = write(&dir, "fax.tiff", &scan::tiff(&[one.clone(), two.clone()]));
    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.pages, Some(2));
    assert!(text_of(&doc, 1).contains("lighthouse"), "{:?}", doc.text);
    assert!(text_of(&doc, 2).contains("glaciers"), "{:?}", doc.text);
    assert_eq!(doc.ocr.iter().map(|p| p.page).collect::<Vec<_>>(), [1, 2]);

    // Webviews do not draw TIFF: a page comes back as a PNG of that very page.
    let shown = extract::image::display_page(&path, 2).unwrap();
    assert_eq!(shown.mime, "image/png");
    let mut reader = png::Decoder::new(std::io::Cursor::new(shown.bytes)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (two.width, two.height));
    assert_eq!(&pixels[..info.buffer_size()], &two.pixels[..], "page 2, not page 1");
    assert!(matches!(extract::image::display_page(&path, 3), Err(ExtractError::NoText(_))));
}

#[test]
fn png_and_jpeg_pages_are_shown_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = scan::png(&scan::text_image(&PAGE_ONE, 600, 200));
    let path = write(&dir, "note.png", &bytes);
    let shown = extract::image::display_page(&path, 1).unwrap();
    assert_eq!((shown.mime, shown.bytes), ("image/png", bytes.clone()));
    assert!(extract::image::display_page(&path, 2).is_err());
    // A renamed file is refused, not handed to the webview as something else.
    let renamed = write(&dir, "photo.jpg", &bytes);
    assert!(matches!(extract::image::display_page(&renamed, 1), Err(ExtractError::WrongContent { .. })));
}

#[test]
fn a_word_hyphenated_across_scanned_lines_is_found_whole() {
    let dir = tempfile::tempdir().unwrap();
    let image = scan::text_image(&["The harbour infor-", "mation office opens daily."], 1700, 400);
    let path = write(&dir, "notice.png", &scan::png(&image));
    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert!(doc.text.contains("harbour information office"), "{:?}", doc.text);
    // Both halves keep their place on the image: a citation of "information" marks two boxes.
    let page = &doc.ocr[0];
    let at = doc.text.find("information").unwrap();
    let halves: Vec<_> =
        page.words.iter().filter(|w| w.bytes.start >= at && w.bytes.end <= at + "information".len()).collect();
    assert_eq!(halves.len(), 2, "{:?}", page.words);
    assert!(halves[0].bbox.y1 <= halves[1].bbox.y0 + 0.02, "{:?} {:?}", halves[0].bbox, halves[1].bbox);
}

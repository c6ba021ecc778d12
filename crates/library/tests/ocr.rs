//! Scanned documents through the whole library with the real Tesseract, poppler, tantivy and
//! SQLite: OCR'd pages are indexed with their page numbers, their word boxes map back from
//! spans, OCR can be off, and a cancel mid-document leaves catalog and index agreeing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use acceptance::scan;
use library::{CancelFlag, IngestOptions, Library, LibraryOptions, Span, Status};

const PAGE_ONE: [&str; 2] = ["Quantum harbor lighthouse beacons", "guide velvet orchard sailors home."];
const PAGE_TWO: [&str; 2] = ["Marmalade telescopes observe distant", "glaciers during winter solstice."];

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

async fn ingest(lib: &Library, dir: &Path, cancel: &CancelFlag) -> library::IngestSummary {
    lib.ingest(&[dir.to_path_buf()], &IngestOptions::default(), &|_| {}, cancel).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_are_indexed_with_pages_and_word_boxes() {
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "scan.pdf", &scan::pdf(&[scan::scan(&PAGE_ONE), scan::scan(&PAGE_TWO)]));
    write(
        files.path(),
        "mixed.pdf",
        &scan::pdf(&[scan::text(&["Typed cover page of the survey."]), scan::scan(&PAGE_TWO)]),
    );
    write(files.path(), "note.png", &scan::png(&scan::text_image(&PAGE_ONE, 1700, 400)));
    write(files.path(), "broken.pdf", b"%PDF-1.4\nthis is not a pdf at all");
    let data = tempfile::tempdir().unwrap();
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    let summary = ingest(&lib, files.path(), &CancelFlag::default()).await;
    assert_eq!(summary.ingested, 3, "{summary:?}");
    assert_eq!(summary.failed.len(), 1, "{summary:?}");
    assert!(summary.failed[0].0.ends_with("broken.pdf"));

    let docs = lib.documents().await.unwrap();
    let by_name = |n: &str| docs.iter().find(|d| d.path.ends_with(n)).unwrap().clone();
    let scan_doc = by_name("scan.pdf");
    assert_eq!(scan_doc.status, Status::Indexed);
    assert_eq!(scan_doc.ocr_pages, 2);
    assert_eq!(by_name("mixed.pdf").ocr_pages, 1);
    let png = by_name("note.png");
    assert_eq!((png.status, png.format.as_deref(), png.ocr_pages), (Status::Indexed, Some("image"), 1));

    // Search finds OCR'd text on its page.
    let hits = lib.search("telescopes glaciers", 10).await.unwrap();
    let hit = hits.iter().find(|h| h.doc_id == scan_doc.id).expect("scan.pdf found");
    assert_eq!(hit.location.page(), Some(2));

    // A span of the text maps to the boxes of exactly its words, on their page.
    let text = lib.text(scan_doc.id).await.unwrap().unwrap();
    let chars: Vec<char> = text.chars().collect();
    let at = text.find("telescopes").unwrap();
    let start = text[..at].chars().count();
    let span = Span::new(start, start + "telescopes observe".chars().count());
    let boxes = lib.ocr_boxes(scan_doc.id, span).await.unwrap();
    assert_eq!(boxes.len(), 2, "{boxes:?}");
    assert!(boxes.iter().all(|b| b.page == 2));
    let words: Vec<String> = boxes.iter().map(|b| chars[b.span.start..b.span.end].iter().collect()).collect();
    assert_eq!(words, ["telescopes", "observe"]);
    assert!(boxes[0].bbox[2] <= boxes[1].bbox[0], "{boxes:?}");
    assert!(boxes.iter().all(|b| b.bbox.iter().all(|v| (0.0..=1.0).contains(v))));
    // Text from a text layer has no boxes.
    let mixed = by_name("mixed.pdf");
    assert!(lib.ocr_boxes(mixed.id, Span::new(0, 5)).await.unwrap().is_empty());
    let pages = lib.ocr_pages(scan_doc.id).await.unwrap();
    assert_eq!(pages.iter().map(|p| p.page).collect::<Vec<_>>(), [1, 2]);
    assert!(pages.iter().all(|p| p.confidence > 80.0 && p.languages == "eng"));

    assert!(lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ocr_off_a_scan_fails_with_its_reason() {
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "scan.pdf", &scan::pdf(&[scan::scan(&PAGE_ONE)]));
    let data = tempfile::tempdir().unwrap();
    let mut options = LibraryOptions::default();
    options.extract.ocr.enabled = false;
    let lib = Library::open_write(data.path(), options).await.unwrap();
    let summary = ingest(&lib, files.path(), &CancelFlag::default()).await;
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.failed[0].1, "no text layer (needs OCR)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_document_keeps_the_library_consistent() {
    let files = tempfile::tempdir().unwrap();
    let pages: Vec<scan::Page> = (0..8).map(|i| scan::scan(if i % 2 == 0 { &PAGE_ONE } else { &PAGE_TWO })).collect();
    write(files.path(), "long-scan.pdf", &scan::pdf(&pages));
    let data = tempfile::tempdir().unwrap();
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    let cancel = CancelFlag::default();
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            cancel.cancel();
        })
    };
    let started = std::time::Instant::now();
    let summary = ingest(&lib, files.path(), &cancel).await;
    canceller.await.unwrap();
    assert!(summary.interrupted, "{summary:?}");
    assert_eq!(summary.ingested, 0);
    assert!(summary.failed.is_empty(), "a cancelled file is not a failure: {summary:?}");
    // Eight pages take seconds; the cancel stops the pages in flight.
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    assert!(lib.documents().await.unwrap().is_empty());
    assert!(lib.check().await.unwrap().is_consistent());

    // The next run reads it whole.
    let summary = ingest(&lib, files.path(), &CancelFlag::default()).await;
    assert_eq!(summary.ingested, 1, "{summary:?}");
    let doc = &lib.documents().await.unwrap()[0];
    assert_eq!(doc.ocr_pages, 8);
    assert!(lib.check().await.unwrap().is_consistent());
}

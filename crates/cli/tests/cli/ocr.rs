//! OCR through the binary: scans indexed with their pages, the OCR settings, low-confidence
//! warnings in `docs`, and the clear error for a language that is not installed.

use acceptance::scan;

use crate::{Catena, doc_by_name};

const LINES: [&str; 2] = ["Quantum harbor lighthouse beacons", "guide velvet orchard sailors home."];

#[test]
fn scans_are_indexed_and_listed_with_ocr_pages_and_warnings() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    std::fs::write(dir.join("scan.pdf"), scan::pdf(&[scan::text(&["A typed cover page."]), scan::scan(&LINES)]))
        .unwrap();
    let wavy =
        scan::wave(&scan::text_image(&["Marmalade telescopes observe", "distant glaciers."], 1700, 400), 8.0, 45.0);
    std::fs::write(dir.join("wavy.png"), scan::png(&wavy)).unwrap();
    let catena = Catena::new();
    let (code, summary) = catena.ingest(&[dir]);
    assert_eq!(code, 0, "{summary}");

    let docs = catena.docs();
    let pdf = doc_by_name(&docs, "scan.pdf");
    assert_eq!(pdf["status"], "indexed");
    assert_eq!(pdf["ocr_pages"], 1);
    let hits = catena.search("lighthouse sailors");
    assert_eq!(hits[0]["page"], 2, "{hits:?}");
    let wavy = doc_by_name(&docs, "wavy.png");
    assert_eq!(wavy["format"], "image");
    let warnings = wavy["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("OCR confidence")), "{wavy:#}");

    let out = catena.cmd().arg("docs").output().unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("1 page by OCR"), "{human}");
    assert!(human.contains("is low; its text may be wrong"), "{human}");
}

#[test]
fn ocr_off_and_missing_languages() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("scan.pdf"), scan::pdf(&[scan::scan(&LINES)])).unwrap();
    let path = files.path().display().to_string();

    let catena = Catena::new();
    let out = catena.cmd().args(["ingest", "--ocr-lang", "eng+zzz", &path]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OCR language 'zzz' is not installed (install the tesseract-ocr-zzz package)"), "{stderr}");

    let out = catena.cmd().args(["--json", "ingest", "--no-ocr", &path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let docs = catena.docs();
    let scan = doc_by_name(&docs, "scan.pdf");
    assert_eq!(scan["status"], "failed");
    assert_eq!(scan["error"], "no text layer (needs OCR)");

    // Read again with OCR on, it is indexed.
    let out = catena.cmd().args(["--json", "ingest", "--retry-failed", &path]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(doc_by_name(&catena.docs(), "scan.pdf")["ocr_pages"], 1);
}

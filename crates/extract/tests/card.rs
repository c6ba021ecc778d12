//! The document card through the public `extract` API, on files generated here: PDF info
//! dictionaries and title pages, DOCX `core.xml`, EPUB OPF metadata, HTML meta tags and
//! Markdown front matter.

use extract::{CardSource, DocumentCard, ExtractOptions, IdentifierKind, extract};
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

mod support;
use support::{text_ops, write, zip_bytes};

fn card_of(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> DocumentCard {
    extract(&write(dir, name, bytes), &ExtractOptions::default()).expect("extract fixture").card
}

/// A PDF with the given info dictionary and one page per list of lines.
fn pdf(title: &str, author: &str, created_unix: i64, pages: &[&[&str]]) -> Vec<u8> {
    let pages = pages.iter().map(|lines| PdfPage::new(Mm(210.0), Mm(297.0), text_ops(lines, 11.0))).collect();
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.author = author.to_owned();
    doc.metadata.info.creation_date =
        printpdf::OffsetDateTime::from_unix_timestamp(created_unix).expect("valid timestamp");
    doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
}

#[test]
fn pdf_card_from_the_info_dictionary() {
    let dir = tempfile::tempdir().unwrap();
    // 2021-03-04T05:06:07Z
    let bytes = pdf(
        "Tidal Power in Small Harbours",
        "Ana Lima; Bo Chen",
        1_614_834_367,
        &[&["Some body text about tides and turbines.", "It goes on for a while."]],
    );
    let card = card_of(&dir, "tidal.pdf", &bytes);
    assert_eq!(card.title.as_deref(), Some("Tidal Power in Small Harbours"));
    assert_eq!(card.authors, ["Ana Lima", "Bo Chen"]);
    assert_eq!(card.date.as_deref(), Some("2021-03-04"));
    assert_eq!(card.source.title, Some(CardSource::Metadata));
    assert_eq!(card.source.authors, Some(CardSource::Metadata));
    assert_eq!(card.source.date, Some(CardSource::Metadata));
    assert!(card.identifiers.is_empty());
}

#[test]
fn pdf_card_from_the_title_page_when_metadata_is_junk() {
    let dir = tempfile::tempdir().unwrap();
    let title_page: &[&str] = &[
        "Sparse Retrieval with Learned Harbour Maps",
        "Ana Lima1, Bo Chen2 and Carla Duarte1",
        "1 University of Porto  2 Example Institute",
        "arXiv:2401.12345v2 [cs.IR] 14 Jan 2024",
        "Abstract",
        "We map harbours. Published as doi:10.1234/harbour.2024.001. More text follows here.",
    ];
    let bytes = pdf("Microsoft Word - draft.docx", "e516160", 1_700_000_000, &[title_page, &["Page two text."]]);
    let card = card_of(&dir, "paper.pdf", &bytes);
    assert_eq!(card.title.as_deref(), Some("Sparse Retrieval with Learned Harbour Maps"), "{card:?}");
    assert_eq!(card.source.title, Some(CardSource::FirstPage));
    assert_eq!(card.authors, ["Ana Lima", "Bo Chen", "Carla Duarte"]);
    assert_eq!(card.source.authors, Some(CardSource::FirstPage));
    assert_eq!(card.date.as_deref(), Some("2024-01-14"), "the arXiv stamp beats the file's creation time");
    assert_eq!(card.identifier(IdentifierKind::Arxiv), Some("2401.12345v2"));
    assert_eq!(card.identifier(IdentifierKind::Doi), Some("10.1234/harbour.2024.001"));
    let line = card.search_line().unwrap();
    assert!(line.contains("arXiv identifier: 2401.12345v2") && line.contains("DOI identifier: 10.1234/"), "{line}");
}

#[test]
fn docx_card_from_core_properties() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Minutes of the harbour board. ISBN 978-0-306-40615-7 appears here; ISBN 978-0-306-40615-8 is a misprint.</w:t></w:r></w:p></w:body></w:document>"#;
    let core = r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Harbour Board Minutes</dc:title><dc:creator>Carla Duarte</dc:creator><cp:lastModifiedBy>admin</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2019-11-05T09:00:00Z</dcterms:created></cp:coreProperties>"#;
    let bytes = zip_bytes(&[("word/document.xml", body.as_bytes()), ("docProps/core.xml", core.as_bytes())]);
    let card = card_of(&dir, "minutes.docx", &bytes);
    assert_eq!(card.title.as_deref(), Some("Harbour Board Minutes"));
    assert_eq!(card.authors, ["Carla Duarte"]);
    assert_eq!(card.date.as_deref(), Some("2019-11-05"));
    let isbns: Vec<&str> =
        card.identifiers.iter().filter(|i| i.kind == IdentifierKind::Isbn).map(|i| i.value.as_str()).collect();
    assert_eq!(isbns, ["9780306406157"], "only the ISBN whose check digit is right");
}

#[test]
fn epub_card_from_the_package_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let container = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
    let opf = r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Winter Sports of the North</dc:title><dc:creator>Bo Chen</dc:creator><dc:date>1998-02</dc:date><dc:identifier id="uid">urn:isbn:0-306-40615-2</dc:identifier></metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>"#;
    let ch = r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Skiing</h1><p>Snow falls early in the north.</p></body></html>"#;
    let bytes = zip_bytes(&[
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", container.as_bytes()),
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/c1.xhtml", ch.as_bytes()),
    ]);
    let card = card_of(&dir, "winter.epub", &bytes);
    assert_eq!(card.title.as_deref(), Some("Winter Sports of the North"));
    assert_eq!(card.authors, ["Bo Chen"]);
    assert_eq!(card.date.as_deref(), Some("1998-02"));
    assert_eq!(card.identifier(IdentifierKind::Isbn), Some("0306406152"));
}

#[test]
fn html_card_from_meta_tags() {
    let dir = tempfile::tempdir().unwrap();
    let html = r#"<!doctype html><html><head><title>Journal site | Article</title>
        <meta name="citation_title" content="Harbour Silt and Its Discontents">
        <meta name="citation_author" content="Lima, Ana"><meta name="citation_author" content="Chen, Bo">
        <meta name="citation_date" content="2017-06-30"><meta name="citation_doi" content="10.5555/silt.17">
        <meta property="og:title" content="Share this!"></head>
        <body><article><h1>Harbour Silt</h1><p>Silt settles where the current slows, and dredging moves it.</p></article></body></html>"#;
    let card = card_of(&dir, "silt.html", html.as_bytes());
    assert_eq!(card.title.as_deref(), Some("Harbour Silt and Its Discontents"));
    assert_eq!(card.authors, ["Lima, Ana", "Chen, Bo"]);
    assert_eq!(card.date.as_deref(), Some("2017-06-30"));
    assert_eq!(card.identifier(IdentifierKind::Doi), Some("10.5555/silt.17"));
}

#[test]
fn markdown_card_from_front_matter_and_a_court_filing_from_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let md = "---\ntitle: Field Notes\nauthor: [Ana Lima, Bo Chen]\ndate: 2022-08-09\n---\n\n# Notes\n\nSome notes.";
    let card = card_of(&dir, "notes.md", md.as_bytes());
    assert_eq!(card.title.as_deref(), Some("Field Notes"));
    assert_eq!(card.authors, ["Ana Lima", "Bo Chen"]);
    assert_eq!(card.date.as_deref(), Some("2022-08-09"));

    let filing = "IN THE SUPREME COURT OF THE UNITED STATES\nHARBOUR CO., Petitioner v. CITY OF PORT.\n\
                  No. 22-451\nWashington, D.C.\nTuesday, January 10, 2023\nThe above-entitled matter came on.";
    let card = card_of(&dir, "transcript.txt", filing.as_bytes());
    assert_eq!(card.identifier(IdentifierKind::Docket), Some("22-451"));
    assert_eq!(card.date.as_deref(), Some("2023-01-10"));
    assert_eq!(card.source.date, Some(CardSource::FirstPage));
}

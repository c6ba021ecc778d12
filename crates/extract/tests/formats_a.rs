//! End-to-end tests for the PDF, plain-text, Markdown and HTML readers and the chunker, through
//! the public `extract`/`chunk` API. Every fixture is generated here.

use extract::{ChunkOptions, ExtractError, ExtractOptions, Format, Location, chunk, extract};
use printpdf::{Line, LinePoint, Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point};

mod support;
use support::{text_ops, write};

/// A page with only a drawn shape: what a scan looks like to a text extractor.
fn drawing_ops() -> Vec<Op> {
    let line = Line {
        points: vec![
            LinePoint { p: Point::new(Mm(10.0), Mm(10.0)), bezier: false },
            LinePoint { p: Point::new(Mm(100.0), Mm(200.0)), bezier: false },
        ],
        is_closed: false,
    };
    vec![Op::DrawLine { line }]
}

/// A PDF whose pages hold the given ops.
fn pdf(title: &str, pages: Vec<Vec<Op>>) -> Vec<u8> {
    let pages = pages.into_iter().map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops)).collect();
    PdfDocument::new(title).with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
}

#[test]
fn pdf_pages_spans_and_ocr_warning() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pdf(
        "Quarterly Findings",
        vec![
            text_ops(&["Alpha page one says hello.", "Second line on page one."], 12.0),
            drawing_ops(),
            text_ops(&["Gamma page three text."], 12.0),
        ],
    );
    let path = write(&dir, "three.pdf", &bytes);
    let doc = extract(&path, &no_ocr()).unwrap();
    assert_eq!(doc.format, Format::Pdf);
    assert_eq!(doc.pages, Some(3));
    assert_eq!(doc.title.as_deref(), Some("Quarterly Findings"));
    assert_eq!(doc.warnings, ["page 2: no text layer (needs OCR)"], "{:?} {:?}", doc.text, doc.segments);
    assert_eq!(doc.segments.len(), 2);
    assert_eq!(doc.segments[0].location, Location::Page { page: 1 });
    assert_eq!(doc.segments[1].location, Location::Page { page: 3 });
    let page1 = &doc.text[doc.segments[0].bytes.clone()];
    let page3 = &doc.text[doc.segments[1].bytes.clone()];
    assert!(page1.contains("Alpha page one says hello."), "{page1:?}");
    assert!(page1.contains("Second line on page one."), "{page1:?}");
    assert!(page3.contains("Gamma page three text."), "{page3:?}");
    assert!(!page1.contains("Gamma"));

    // Chunks keep the pages apart and carry char spans.
    let chunks = chunk(&doc, &ChunkOptions::default());
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].location, Location::Page { page: 1 });
    assert_eq!(chunks[1].location, Location::Page { page: 3 });
    let chars: Vec<char> = doc.text.chars().collect();
    for c in &chunks {
        assert_eq!(chars[c.span.start..c.span.end].iter().collect::<String>(), c.text);
    }
}

#[test]
fn pdf_without_any_text_needs_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "scan.pdf", &pdf("Scan", vec![drawing_ops(), drawing_ops()]));
    let err = extract(&path, &no_ocr()).unwrap_err();
    assert!(matches!(err, ExtractError::NoText(_)), "{err:?}");
    assert_eq!(err.to_string(), "no text layer (needs OCR)");

    // With OCR on, the blank pages are read and found empty, and the reason says so.
    let err = extract(&path, &ExtractOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "no text layer, and OCR found no text");
}

fn no_ocr() -> ExtractOptions {
    let mut opts = ExtractOptions::default();
    opts.ocr.enabled = false;
    opts
}

#[test]
fn broken_pdfs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let header_only = write(&dir, "header.pdf", b"%PDF-1.4\n%%EOF\n");
    let err = extract(&header_only, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { format: "pdf", .. }), "{err:?}");

    let not_pdf = write(&dir, "page.pdf", b"<html><body>404 not found</body></html>");
    let err = extract(&not_pdf, &ExtractOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "not a valid pdf file: no PDF header");

    let png = write(&dir, "image.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let err = extract(&png, &ExtractOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "not a valid pdf file: no PDF header (looks like PNG)");

    // Cut at 60%: poppler may recover some pages or none; either way a clean result.
    let lines: Vec<String> = (0..40).map(|i| format!("Line {i} of a longer page of text.")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let whole = pdf("Long", (0..5).map(|_| text_ops(&refs, 12.0)).collect());
    let cut = write(&dir, "cut.pdf", &whole[..whole.len() * 6 / 10]);
    match extract(&cut, &ExtractOptions::default()) {
        Ok(doc) => assert!(doc.warnings.iter().any(|w| w.contains("truncated")), "{:?}", doc.warnings),
        Err(e) => assert!(matches!(e, ExtractError::Corrupt { .. }), "{e:?}"),
    }
}

/// Encrypts a PDF (RC4-128) with the given user password and an owner password.
fn encrypt(pdf: &[u8], user_password: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).expect("load generated pdf");
    if doc.trailer.get(b"ID").is_err() {
        // The file key is derived from the first file identifier, so there must be one.
        let id = lopdf::Object::String(b"0123456789abcdef".to_vec(), lopdf::StringFormat::Literal);
        doc.trailer.set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    }
    let version = lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: lopdf::Permissions::PRINTABLE,
    };
    let state = lopdf::EncryptionState::try_from(version).expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save encrypted pdf");
    out
}

#[test]
fn encrypted_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let plain = pdf("Secret", vec![text_ops(&["Confidential launch plan."], 12.0)]);

    let locked = write(&dir, "locked.pdf", &encrypt(&plain, "open-sesame"));
    let err = extract(&locked, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Encrypted { format: "pdf" }), "{err:?}");
    assert_eq!(err.to_string(), "encrypted pdf file needs a password");

    // Only an owner password (copy/print restrictions): opens with the empty password.
    let restricted = write(&dir, "restricted.pdf", &encrypt(&plain, ""));
    let doc = extract(&restricted, &ExtractOptions::default()).unwrap();
    assert!(doc.text.contains("Confidential launch plan."), "{:?}", doc.text);
}

#[test]
fn text_in_every_common_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let expected = "Grüße aus Köln — naïve café";
    let mut utf16le = vec![0xff, 0xfe];
    utf16le.extend(expected.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf16be = vec![0xfe, 0xff];
    utf16be.extend(expected.encode_utf16().flat_map(u16::to_be_bytes));
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(expected);
    for (name, bytes) in [
        ("utf8.txt", expected.as_bytes().to_vec()),
        ("utf16le.txt", utf16le),
        ("utf16be.txt", utf16be),
        ("latin1.txt", latin1.into_owned()),
    ] {
        let path = write(&dir, name, &bytes);
        let doc = extract(&path, &ExtractOptions::default()).unwrap();
        assert_eq!(doc.text, expected, "{name}");
        assert_eq!(doc.format, Format::Text);
        assert_eq!(doc.title, None);
        assert_eq!(doc.segments.len(), 1);
        assert_eq!(doc.segments[0].location, Location::Whole);
    }
}

#[test]
fn png_renamed_to_txt_is_wrong_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x61".to_vec();
    png.extend((0..2000u32).map(|i| (i * 7 % 256) as u8));
    let path = write(&dir, "picture.txt", &png);
    let err = extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::WrongContent { expected: "text", .. }));
    assert_eq!(err.to_string(), "not a valid text file: binary data (looks like PNG)");
}

#[test]
fn markdown_heading_paths_and_latin1() {
    let dir = tempfile::tempdir().unwrap();
    let md = "# Guide\n\nWelcome.\n\n## Install\n\nRun `cargo build`.\n\n### Linux\n\nUse apt.\n\n## Usage\n\n| flag | meaning |\n|---|---|\n| -v | verbose |\n";
    let doc = extract(&write(&dir, "guide.md", md.as_bytes()), &ExtractOptions::default()).unwrap();
    assert_eq!(doc.format, Format::Markdown);
    assert_eq!(doc.title.as_deref(), Some("Guide"));
    let located: Vec<(Vec<String>, &str)> = doc
        .segments
        .iter()
        .map(|s| match &s.location {
            Location::Section { path } => (path.clone(), &doc.text[s.bytes.clone()]),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        located,
        [
            (p(&["Guide"]), "Guide\n\nWelcome."),
            (p(&["Guide", "Install"]), "Install\n\nRun cargo build."),
            (p(&["Guide", "Install", "Linux"]), "Linux\n\nUse apt."),
            (p(&["Guide", "Usage"]), "Usage\n\nflag | meaning\n-v | verbose"),
        ]
    );

    let latin1 = b"# \xdcberschrift\n\nGr\xfc\xdfe aus M\xfcnchen, sch\xf6ne Stra\xdfe.\n";
    let doc = extract(&write(&dir, "umlauts.md", latin1), &ExtractOptions::default()).unwrap();
    assert_eq!(doc.title.as_deref(), Some("Überschrift"));
    assert!(doc.text.contains("Grüße aus München"), "{:?}", doc.text);
}

#[test]
fn html_main_content_without_furniture() {
    let dir = tempfile::tempdir().unwrap();
    let para = "The committee reviewed the proposal in detail and found that the budget was \
        sound, the schedule realistic, and the risks understood by everyone involved. ";
    let html = format!(
        "<!doctype html><html><head><title>Budget Review - Example News</title>\
         <style>body {{ color: red; }}</style><script>var secretScript = 1;</script></head>\
         <body><nav><a href='/'>Home</a> <a href='/about'>NavAboutLink</a></nav>\
         <header>SiteHeaderBanner</header>\
         <article><h1>Budget Review</h1><p>{p}</p><h2>Findings</h2><p>{p}</p><p>{p}</p>\
         <h2>Next steps</h2><p>{p}</p></article>\
         <aside>SidebarAdvert</aside><footer>CopyrightFooterText</footer>\
         <script>document.write('inlineScriptText')</script></body></html>",
        p = para
    );
    let doc = extract(&write(&dir, "page.html", html.as_bytes()), &ExtractOptions::default()).unwrap();
    assert_eq!(doc.format, Format::Html);
    for junk in [
        "secretScript",
        "NavAboutLink",
        "SiteHeaderBanner",
        "SidebarAdvert",
        "CopyrightFooterText",
        "inlineScriptText",
        "color: red",
    ] {
        assert!(!doc.text.contains(junk), "{junk} leaked into {:?}", doc.text);
    }
    assert!(doc.text.contains("The committee reviewed the proposal"));
    assert!(doc.title.as_deref().is_some_and(|t| t.contains("Budget Review")), "{:?}", doc.title);
    let paths: Vec<Vec<String>> = doc
        .segments
        .iter()
        .filter_map(|s| match &s.location {
            Location::Section { path } => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert!(paths.iter().any(|p| p.last().is_some_and(|h| h == "Findings")), "{paths:?}");
    assert!(paths.iter().any(|p| p.last().is_some_and(|h| h == "Next steps")), "{paths:?}");
}

#[test]
fn html_cp1252_without_declaration_and_with_meta() {
    let dir = tempfile::tempdir().unwrap();
    let body: &[u8] = b"<html><body><h1>Caf\xe9</h1><p>Der Preis betrug 15,50 \x80. Die sch\xf6ne Frau l\xe4chelte.</p></body></html>";
    let bytes = body.to_vec();
    let doc = extract(&write(&dir, "cp1252.html", &bytes), &ExtractOptions::default()).unwrap();
    assert!(doc.text.contains("15,50 €"), "{:?}", doc.text);
    assert!(doc.text.contains("schöne Frau lächelte"), "{:?}", doc.text);

    let mut bytes = b"<meta charset=\"windows-1252\">".to_vec();
    bytes.extend_from_slice(body);
    let doc = extract(&write(&dir, "meta.html", &bytes), &ExtractOptions::default()).unwrap();
    assert!(doc.text.contains("Café"), "{:?}", doc.text);
}

#[test]
fn html_100k_deep_nesting_on_a_small_stack() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let html = format!(
        "<html><body><h1>Deep</h1><p>Shallow text.</p>{}Innermost words here.{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let path = write(&dir, "deep.html", html.as_bytes());
    // Test threads get 2 MiB of stack; run on an explicit 2 MiB thread to make that certain.
    let started = std::time::Instant::now();
    let result = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || extract(&path, &ExtractOptions::default()))
        .unwrap()
        .join()
        .unwrap();
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
    let err = result.unwrap_err();
    assert_eq!(err.to_string(), "html nested deeper than 512 levels");
}

#[test]
fn chunks_of_multibyte_text_match_their_spans() {
    let dir = tempfile::tempdir().unwrap();
    let sentence = "Ünïcødé sentence with 日本語 and emoji 🎉 inside it. ";
    let text = sentence.repeat(200);
    let doc = extract(&write(&dir, "multi.txt", text.as_bytes()), &ExtractOptions::default()).unwrap();
    let opts = ChunkOptions { target_chars: 150, max_chars: 300, overlap_sentences: 1 };
    let chunks = chunk(&doc, &opts);
    assert!(chunks.len() > 10);
    let chars: Vec<char> = doc.text.chars().collect();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.ordinal, i);
        assert_eq!(chars[c.span.start..c.span.end].iter().collect::<String>(), c.text);
        assert!(c.span.len() <= 300);
        assert_eq!(c.location, Location::Whole);
    }
    assert_eq!(chunks.last().unwrap().span.end, chars.len() - 1);
}

//! DOCX, EPUB, CSV/TSV and XLSX extraction, and the ZIP limits under them. Every fixture is
//! written by the test itself (zip + hand-written XML, rust_xlsxwriter), so the suite is fast
//! and needs no shared data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use extract::{Cell, ColumnType, Document, ExtractError, ExtractOptions, Format, Location};

mod support;
use support::{write, zip_bytes};

fn read(path: &Path) -> Document {
    extract::extract(path, &ExtractOptions::default()).unwrap()
}

/// Segments are in order, contiguous, on char boundaries, and cover the text.
fn check_segments(doc: &Document) {
    let mut at = 0;
    for s in &doc.segments {
        assert_eq!(s.bytes.start, at, "segments must be contiguous");
        assert!(s.bytes.end > s.bytes.start, "no empty segments");
        assert!(doc.text.is_char_boundary(s.bytes.start) && doc.text.is_char_boundary(s.bytes.end));
        at = s.bytes.end;
    }
    assert_eq!(at, doc.text.len(), "segments cover the text");
}

fn segment_text<'a>(doc: &'a Document, location: &Location) -> &'a str {
    let s = doc
        .segments
        .iter()
        .find(|s| &s.location == location)
        .unwrap_or_else(|| panic!("no segment at {location:?}; have {:?}", doc.segments));
    &doc.text[s.bytes.clone()]
}

fn section(path: &[&str]) -> Location {
    Location::Section { path: path.iter().map(|s| (*s).to_owned()).collect() }
}

// ---------------------------------------------------------------------------------------------
// DOCX
// ---------------------------------------------------------------------------------------------

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Kapitel"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
  <w:style w:type="paragraph" w:styleId="MySub"><w:name w:val="My Sub"/><w:basedOn w:val="Heading2"/></w:style>
  <w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>
</w:styles>"#;

const NUMBERING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:abstractNum w:abstractNumId="0">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="&#61623;"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="1">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2)"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
  <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
</w:numbering>"#;

const FOOTNOTES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
  <w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
  <w:footnote w:id="7"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> Second note.</w:t></w:r></w:p></w:footnote>
  <w:footnote w:id="3"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> First note &amp; more.</w:t></w:r></w:p></w:footnote>
</w:footnotes>"#;

const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Field Guide</dc:title></cp:coreProperties>"#;

fn para(style: Option<&str>, body: &str) -> String {
    let ppr = style.map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#)).unwrap_or_default();
    format!("<w:p>{ppr}{body}</w:p>")
}

fn run(text: &str) -> String {
    format!(r#"<w:r><w:t xml:space="preserve">{text}</w:t></w:r>"#)
}

fn list_item(num: u32, ilvl: u32, text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num}"/></w:numPr></w:pPr>{}</w:p>"#,
        run(text)
    )
}

fn document(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}<w:sectPr/></w:body></w:document>"#
    )
}

fn docx(dir: &tempfile::TempDir, name: &str, body: &str, core: Option<&str>) -> PathBuf {
    let doc = document(body);
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("word/document.xml", doc.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
        ("word/numbering.xml", NUMBERING.as_bytes()),
        ("word/footnotes.xml", FOOTNOTES.as_bytes()),
    ];
    if let Some(core) = core {
        entries.push(("docProps/core.xml", core.as_bytes()));
    }
    write(dir, name, &zip_bytes(&entries))
}

#[test]
fn docx_headings_lists_tables_and_footnotes() {
    let dir = tempfile::tempdir().unwrap();
    let body = [
        para(None, &run("Preface text.")),
        para(Some("Heading1"), &run("Introduction")),
        para(
            None,
            &format!(
                r#"{}<w:r><w:footnoteReference w:id="3"/></w:r>{}<w:r><w:tab/><w:t>tabbed</w:t><w:br/><w:t>next line</w:t></w:r>"#,
                run("Café claims"),
                run(" more")
            ),
        ),
        list_item(1, 0, "apple"),
        list_item(1, 0, "pear"),
        list_item(2, 0, "first"),
        list_item(2, 1, "sub one"),
        list_item(2, 1, "sub two"),
        list_item(2, 0, "second"),
        para(Some("Heading2"), &run("Details")),
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Value</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>alpha</w:t></w:r></w:p><w:p><w:r><w:t>beta</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>42</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.to_owned(),
        para(
            None,
            r#"<w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:del w:id="1" w:author="x"><w:r><w:delText>DELETED</w:delText></w:r></w:del><w:ins w:id="2" w:author="x"><w:r><w:t>inserted</w:t></w:r></w:ins><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
        ),
        para(Some("MySub"), &run("Sub by inheritance")),
        para(None, &format!(r#"{}<w:r><w:footnoteReference w:id="7"/></w:r>"#, run("Also noted"))),
        para(Some("Kapitel"), &run("Results")),
        para(None, &run("Done.")),
        para(None, r#"<mc:AlternateContent><mc:Choice Requires="wps"><w:r><w:t>shape text</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t>FALLBACK</w:t></w:r></mc:Fallback></mc:AlternateContent>"#),
    ]
    .concat();
    let path = docx(&dir, "guide.docx", &body, Some(CORE));
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(doc.format, Format::Docx);
    assert_eq!(doc.title.as_deref(), Some("Field Guide"));
    assert!(doc.tables.is_empty());

    assert_eq!(segment_text(&doc, &section(&[])), "Preface text.\n");
    let intro = segment_text(&doc, &section(&["Introduction"]));
    assert_eq!(
        intro,
        "Introduction\nCafé claims[1] more tabbed\nnext line\n• apple\n• pear\n1. first\n  1.a) sub one\n  1.b) sub two\n2. second\n"
    );
    let details = segment_text(&doc, &section(&["Introduction", "Details"]));
    assert_eq!(details, "Details\nName | Value\nalpha beta | 42\nKept inserted\n");
    let sub = segment_text(&doc, &section(&["Introduction", "Sub by inheritance"]));
    assert_eq!(sub, "Sub by inheritance\nAlso noted[2]\n");
    assert_eq!(segment_text(&doc, &section(&["Results"])), "Results\nDone.\nshape text\n");
    assert_eq!(segment_text(&doc, &section(&["Footnotes"])), "Footnotes\n[1] First note & more.\n[2] Second note.\n");
    assert!(!doc.text.contains("DELETED") && !doc.text.contains("PAGE"));
    assert!(!doc.text.contains("FALLBACK"));
}

#[test]
fn docx_title_falls_back_to_the_first_heading() {
    let dir = tempfile::tempdir().unwrap();
    let body =
        [para(None, &run("x")), para(Some("Title"), &run("The Title")), para(Some("Heading1"), &run("H"))].concat();
    let doc = read(&docx(&dir, "t.docx", &body, None));
    assert_eq!(doc.title.as_deref(), Some("The Title"));
    assert_eq!(segment_text(&doc, &section(&["H"])), "H\n");
}

#[test]
fn docx_deep_nesting_does_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 20_000;
    let cell_open = "<w:tbl><w:tr><w:tc>".repeat(depth);
    let cell_close = "</w:tc></w:tr></w:tbl>".repeat(depth);
    let body = format!("{cell_open}{}{cell_close}{}", para(None, &run("deep")), para(None, &run("after")));
    let doc = read(&docx(&dir, "deep.docx", &body, None));
    assert!(doc.text.contains("deep") && doc.text.contains("after"), "{}", doc.text);
    assert!(doc.warnings.iter().any(|w| w.contains("flattened")));
}

#[test]
fn docx_that_is_plain_text_is_wrong_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "fake.docx", b"this is just a line of text, not a zip\n");
    match extract::extract(&path, &ExtractOptions::default()) {
        Err(ExtractError::WrongContent { expected: "docx", detail }) => {
            assert_eq!(detail, "not a ZIP archive")
        }
        other => panic!("expected wrong content, got {other:?}"),
    }
}

#[test]
fn docx_without_its_document_part_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "empty.docx", &zip_bytes(&[("word/styles.xml", STYLES.as_bytes())]));
    let err = extract::extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { format: "docx", .. }), "{err:?}");
    assert!(err.to_string().contains("word/document.xml"), "{err}");
}

#[test]
fn truncated_docx_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(docx(&dir, "full.docx", &para(None, &run("x")), Some(CORE))).unwrap();
    let path = write(&dir, "cut.docx", &full[..full.len() * 6 / 10]);
    let err = extract::extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { format: "docx", .. }), "{err:?}");
}

const MB: u64 = 1024 * 1024;

fn small_limit() -> ExtractOptions {
    ExtractOptions { max_decompressed_bytes: MB, ..ExtractOptions::default() }
}

#[test]
fn docx_zip_bomb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spaces = " ".repeat(5 * MB as usize);
    let path = docx(&dir, "bomb.docx", &para(None, &run(&spaces)), None);
    assert!(std::fs::metadata(&path).unwrap().len() < 100_000, "fixture should compress well");
    match extract::extract(&path, &small_limit()) {
        Err(ExtractError::ZipBomb { limit }) => assert_eq!(limit, MB),
        other => panic!("expected zip bomb, got {other:?}"),
    }
}

#[test]
fn zip_bomb_counts_all_entries_together() {
    // Three parts of 400 KB each stay under a 1 MB limit one by one, not together.
    let dir = tempfile::tempdir().unwrap();
    let chunk = format!("<w:styles {W}>{}</w:styles>", " ".repeat(400 * 1024));
    let doc = document(&para(None, &run(&" ".repeat(400 * 1024))));
    let path = write(
        &dir,
        "many.docx",
        &zip_bytes(&[
            ("word/document.xml", doc.as_bytes()),
            ("word/styles.xml", chunk.as_bytes()),
            ("word/numbering.xml", chunk.as_bytes()),
        ]),
    );
    assert!(matches!(extract::extract(&path, &small_limit()), Err(ExtractError::ZipBomb { .. })));
}

/// Rewrites the uncompressed size that the local header and the central directory declare for
/// `name`, as a forged archive would.
fn forge_declared_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for sig_offset in [(b"PK\x03\x04", 22usize, 30usize), (b"PK\x01\x02", 24, 46)] {
        let (sig, size_at, name_at) = sig_offset;
        let mut i = 0;
        while i + name_at + name.len() <= zip.len() {
            if &zip[i..i + 4] == sig && &zip[i + name_at..i + name_at + name.len()] == name.as_bytes() {
                zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
            i += 1;
        }
    }
    assert_eq!(patched, 2, "local and central headers patched");
}

#[test]
fn declared_size_that_lies_does_not_bypass_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(&para(None, &run(&"a".repeat(3 * MB as usize))));
    let mut bytes = zip_bytes(&[("word/document.xml", doc.as_bytes())]);
    forge_declared_size(&mut bytes, "word/document.xml", 100);
    let path = write(&dir, "liar.docx", &bytes);
    match extract::extract(&path, &small_limit()) {
        Err(ExtractError::ZipBomb { limit }) => assert_eq!(limit, MB),
        other => panic!("expected zip bomb, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// EPUB
// ---------------------------------------------------------------------------------------------

const CONTAINER: &str = r#"<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"#;

fn xhtml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>ignored</title><style>p {{ color: red }}</style></head><body>{body}</body></html>"#
    )
}

fn opf(items: &str, spine: &str, toc_attr: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>My  Book</dc:title></metadata><manifest>{items}</manifest><spine{toc_attr}>{spine}</spine></package>"#
    )
}

#[test]
fn epub_chapters_follow_the_nav() {
    let dir = tempfile::tempdir().unwrap();
    let nav = xhtml(
        r##"<nav epub:type="toc" xmlns:epub="http://www.idpf.org/2007/ops"><ol>
          <li><a href="Text/chapter%20one.xhtml">One</a></li>
          <li><a href="Text/ch2.xhtml">Two</a><ol><li><a href="Text/ch2.xhtml#b">Part B</a></li></ol></li>
          <li><a href="Text/ch3.xhtml">Three &amp; Last</a></li>
        </ol></nav><nav epub:type="landmarks"><ol><li><a href="Text/ch3.xhtml">Ignored</a></li></ol></nav>"##,
    );
    let package = opf(
        r#"<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
           <item id="c1" href="Text/chapter%20one.xhtml" media-type="application/xhtml+xml"/>
           <item id="c2" href="Text/ch2.xhtml" media-type="application/xhtml+xml"/>
           <item id="c3" href="Text/ch3.xhtml" media-type="application/xhtml+xml"/>
           <item id="img" href="cover.png" media-type="image/png"/>"#,
        r#"<itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/><itemref idref="img"/><itemref idref="c3"/>"#,
        "",
    );
    let ch1 = xhtml("<h1>Chapter One</h1><p>It was a dark&#160;night.</p><script>var x = 1;</script>");
    let ch2 = xhtml(r#"<h1>Chapter Two</h1><p>Part A text.</p><h2 id="b">B</h2><p>Part B text.</p>"#);
    let ch3 = xhtml("<p>Final words.</p><table><tr><td>k</td><td>v</td></tr></table>");
    let path = write(
        &dir,
        "book.epub",
        &zip_bytes(&[
            ("mimetype", b"application/epub+zip"),
            ("META-INF/container.xml", CONTAINER.as_bytes()),
            ("OEBPS/content.opf", package.as_bytes()),
            ("OEBPS/nav.xhtml", nav.as_bytes()),
            ("OEBPS/Text/chapter one.xhtml", ch1.as_bytes()),
            ("OEBPS/Text/ch2.xhtml", ch2.as_bytes()),
            ("OEBPS/Text/ch3.xhtml", ch3.as_bytes()),
        ]),
    );
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(doc.format, Format::Epub);
    assert_eq!(doc.title.as_deref(), Some("My Book"));
    assert_eq!(doc.segments.len(), 4, "{:?}", doc.segments);
    assert_eq!(segment_text(&doc, &section(&["One"])), "Chapter One\nIt was a dark\u{a0}night.\n");
    assert_eq!(segment_text(&doc, &section(&["Two"])), "Chapter Two\nPart A text.\n");
    assert_eq!(segment_text(&doc, &section(&["Two", "Part B"])), "B\nPart B text.\n");
    assert_eq!(segment_text(&doc, &section(&["Three & Last"])), "Final words.\nk | v\n");
    assert!(!doc.text.contains("ignored") && !doc.text.contains("var x"));
}

#[test]
fn epub2_ncx_and_missing_toc_fallbacks() {
    let dir = tempfile::tempdir().unwrap();
    let ncx = r#"<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>
        <navPoint id="p1"><navLabel><text>From NCX</text></navLabel><content src="a.html"/></navPoint>
      </navMap></ncx>"#;
    let package = opf(
        r#"<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
           <item id="a" href="a.html" media-type="application/xhtml+xml"/>
           <item id="b" href="b.html" media-type="application/xhtml+xml"/>"#,
        r#"<itemref idref="a"/><itemref idref="b"/>"#,
        r#" toc="ncx""#,
    );
    let path = write(
        &dir,
        "old.epub",
        &zip_bytes(&[
            ("META-INF/container.xml", CONTAINER.as_bytes()),
            ("OEBPS/content.opf", package.as_bytes()),
            ("OEBPS/toc.ncx", ncx.as_bytes()),
            ("OEBPS/a.html", xhtml("<p>alpha</p>").as_bytes()),
            ("OEBPS/b.html", xhtml("<p>beta continues</p>").as_bytes()),
        ]),
    );
    let doc = read(&path);
    check_segments(&doc);
    // The file without a TOC entry continues the section before it.
    assert_eq!(segment_text(&doc, &section(&["From NCX"])), "alpha\nbeta continues\n");

    // Without any TOC: first heading, else "Chapter N".
    let package = opf(
        r#"<item id="a" href="a.html" media-type="application/xhtml+xml"/>
           <item id="b" href="b.html" media-type="application/xhtml+xml"/>"#,
        r#"<itemref idref="a"/><itemref idref="b"/>"#,
        "",
    );
    let path = write(
        &dir,
        "bare.epub",
        &zip_bytes(&[
            ("META-INF/container.xml", CONTAINER.as_bytes()),
            ("OEBPS/content.opf", package.as_bytes()),
            ("OEBPS/a.html", xhtml("<p>intro</p><h2>Named</h2>").as_bytes()),
            ("OEBPS/b.html", xhtml("<p>no heading</p>").as_bytes()),
        ]),
    );
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(segment_text(&doc, &section(&["Named"])), "intro\nNamed\n");
    assert_eq!(segment_text(&doc, &section(&["Chapter 2"])), "no heading\n");
}

#[test]
fn epub_without_container_or_package_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "x.epub", &zip_bytes(&[("mimetype", b"application/epub+zip")]));
    let err = extract::extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { format: "epub", .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// CSV / TSV
// ---------------------------------------------------------------------------------------------

#[test]
fn csv_semicolons_are_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        write(&dir, "semi.csv", "name; amount; when\nAlice, A.; 1.234,5; 2024-01-02\nBob; 7; 2024/02/03\n".as_bytes());
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(doc.title.as_deref(), Some("semi"));
    let t = &doc.tables[0];
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["name", "amount", "when"]);
    // A decimal comma is not read as a number, so the column stays text.
    assert_eq!(t.columns[1].kind, ColumnType::Text);
    assert_eq!(t.columns[2].kind, ColumnType::Date);
    assert_eq!(t.rows[1][2], Cell::Date("2024-02-03".into()));
    assert_eq!(
        doc.text,
        "name: Alice, A. | amount: 1.234,5 | when: 2024-01-02\nname: Bob | amount: 7 | when: 2024/02/03\n"
    );
    assert_eq!(doc.segments[0].location, Location::Rows { sheet: "semi".into(), first: 1, last: 2 });
}

#[test]
fn csv_utf16_with_bom_and_caption_row() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Stanley Cups,,\nTeam,Location,Cups\nBlues,STL,1\nMaple Leafs,TOR,13\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let doc = read(&write(&dir, "cups.csv", &bytes));
    check_segments(&doc);
    let t = &doc.tables[0];
    assert_eq!(t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Team", "Location", "Cups"]);
    assert_eq!(t.columns[2].kind, ColumnType::Integer);
    assert_eq!(t.rows[1], [Cell::Text("Maple Leafs".into()), Cell::Text("TOR".into()), Cell::Int(13)]);
    assert!(doc.text.starts_with("Stanley Cups\nTeam: Blues | Location: STL | Cups: 1\n"), "{}", doc.text);
}

#[test]
fn csv_quotes_commas_newlines_and_odd_headers() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,,id,note,flag,share\n\
               1,x,\"a, b\",\"two\nlines\",yes,12%\n\
               \"1,000\",,c,,No,3.5%\n";
    let doc = read(&write(&dir, "q.csv", csv.as_bytes()));
    check_segments(&doc);
    let t = &doc.tables[0];
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "column_2", "id_2", "note", "flag", "share"]);
    let kinds: Vec<ColumnType> = t.columns.iter().map(|c| c.kind).collect();
    use ColumnType::*;
    assert_eq!(kinds, [Integer, Text, Text, Text, Boolean, Real]);
    assert_eq!(t.rows[0][3], Cell::Text("two\nlines".into()));
    assert_eq!(t.rows[1][0], Cell::Int(1000));
    assert_eq!(t.rows[1][1], Cell::Empty);
    assert_eq!(t.rows[1][4], Cell::Bool(false));
    assert_eq!(t.rows[0][5], Cell::Float(0.12));
    let first_line = doc.text.lines().next().unwrap();
    assert_eq!(first_line, "id: 1 | column_2: x | id_2: a, b | note: two lines | flag: yes | share: 12%");
}

#[test]
fn tsv_and_row_segments_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut tsv = String::from("n\tsquare\n");
    for i in 1..=45 {
        tsv.push_str(&format!("{i}\t{}\n", i * i));
    }
    let path = write(&dir, "sq.tsv", tsv.as_bytes());
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(doc.format, Format::Tsv);
    let ranges: Vec<(u64, u64)> = doc
        .segments
        .iter()
        .map(|s| match &s.location {
            Location::Rows { first, last, .. } => (*first, *last),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ranges, [(1, 20), (21, 40), (41, 45)]);
    assert_eq!(&doc.text[doc.segments[2].bytes.clone()].lines().next().unwrap(), &"n: 41 | square: 1681");

    let opts = ExtractOptions { max_table_rows: 10, ..ExtractOptions::default() };
    let doc = extract::extract(&path, &opts).unwrap();
    assert_eq!(doc.tables[0].rows.len(), 10);
    assert!(doc.warnings.iter().any(|w| w.contains("truncated at 10 rows")), "{:?}", doc.warnings);
    assert_eq!(doc.text.lines().count(), 10);
}

#[test]
fn csv_of_binary_or_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = extract::extract(&write(&dir, "blank.csv", b"\n\n , \n"), &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::NoText(_)), "{err:?}");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let err = extract::extract(&write(&dir, "img.csv", png), &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::WrongContent { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let mut wb = Workbook::new();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name("People").unwrap();
    for (c, h) in ["Name", "Count", "Score", "Joined", "Active", "Notes"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows =
        [("Alice", "1,234", 3.5, (2024, 1, 15), true, Some("vip")), ("Bob", "56", 4.25, (2023, 12, 31), false, None)];
    for (r, (name, count, score, (y, m, d), active, note)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_string(r, 1, *count).unwrap();
        ws.write_number(r, 2, *score).unwrap();
        ws.write_datetime_with_format(r, 3, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
        ws.write_boolean(r, 4, *active).unwrap();
        if let Some(n) = note {
            ws.write_string(r, 5, *n).unwrap();
        }
    }
    ws.write_string(3, 0, "Carol").unwrap();
    ws.write_number(3, 2, 7).unwrap();
    wb.add_worksheet().set_name("Empty").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Other").unwrap();
    ws.write_string(0, 0, "Report").unwrap();
    ws.write_string(1, 0, "id").unwrap();
    ws.write_string(1, 2, "id").unwrap();
    ws.write_number(2, 0, 1).unwrap();
    ws.write_string(2, 1, "x").unwrap();
    ws.write_number(2, 2, 2.5).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_sheets_are_typed_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "book.xlsx", &workbook());
    let doc = read(&path);
    check_segments(&doc);
    assert_eq!(doc.format, Format::Xlsx);
    assert_eq!(doc.title, None);
    assert_eq!(doc.tables.len(), 2, "the empty sheet is skipped");
    let people = &doc.tables[0];
    assert_eq!(people.sheet, "People");
    let kinds: Vec<(&str, ColumnType)> = people.columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    use ColumnType::*;
    assert_eq!(
        kinds,
        [("Name", Text), ("Count", Integer), ("Score", Real), ("Joined", Date), ("Active", Boolean), ("Notes", Text)]
    );
    assert_eq!(
        people.rows[0],
        [
            Cell::Text("Alice".into()),
            Cell::Int(1234),
            Cell::Float(3.5),
            Cell::Date("2024-01-15".into()),
            Cell::Bool(true),
            Cell::Text("vip".into())
        ]
    );
    assert_eq!(people.rows[2][1], Cell::Empty);
    assert_eq!(people.rows[2][2], Cell::Float(7.0));
    assert_eq!(
        segment_text(&doc, &Location::Rows { sheet: "People".into(), first: 1, last: 3 }),
        "Name: Alice | Count: 1,234 | Score: 3.5 | Joined: 2024-01-15 | Active: true | Notes: vip\n\
         Name: Bob | Count: 56 | Score: 4.25 | Joined: 2023-12-31 | Active: false\n\
         Name: Carol | Score: 7\n"
    );
    let other = &doc.tables[1];
    let names: Vec<&str> = other.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "column_2", "id_2"]);
    assert_eq!(other.rows, [[Cell::Int(1), Cell::Text("x".into()), Cell::Float(2.5)]]);
    assert_eq!(
        segment_text(&doc, &Location::Rows { sheet: "Other".into(), first: 1, last: 1 }),
        "Report\nid: 1 | column_2: x | id_2: 2.5\n"
    );
}

#[test]
fn truncated_xlsx_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook();
    let path = write(&dir, "cut.xlsx", &bytes[..bytes.len() * 6 / 10]);
    let err = extract::extract(&path, &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { format: "xlsx", .. }), "{err:?}");
}

#[test]
fn xlsx_zip_bomb_is_refused_before_calamine() {
    let dir = tempfile::tempdir().unwrap();
    let big = " ".repeat(3 * MB as usize);
    let path = write(&dir, "bomb.xlsx", &zip_bytes(&[("xl/sharedStrings.xml", big.as_bytes())]));
    assert!(matches!(extract::extract(&path, &small_limit()), Err(ExtractError::ZipBomb { .. })));
    let path = write(&dir, "text.xlsx", b"name,value\n");
    assert!(matches!(
        extract::extract(&path, &ExtractOptions::default()),
        Err(ExtractError::WrongContent { expected: "xlsx", .. })
    ));
}

#[test]
fn password_protected_office_files_are_reported_as_encrypted() {
    // The OLE envelope Office wraps around an encrypted package; only its signature and the
    // stream name matter to the check.
    let mut cfb = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    cfb.extend_from_slice(&[0; 512]);
    cfb.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    cfb.extend_from_slice(&[0; 64]);
    let dir = tempfile::tempdir().unwrap();
    for name in ["secret.docx", "secret.xlsx"] {
        let err = extract::extract(&write(&dir, name, &cfb), &ExtractOptions::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Encrypted { .. }), "{name}: {err:?}");
    }
    let legacy = &cfb[..520];
    let err = extract::extract(&write(&dir, "old.docx", legacy), &ExtractOptions::default()).unwrap_err();
    assert!(matches!(err, ExtractError::WrongContent { expected: "docx", .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Text budget: memory per file stays bounded however far a file expands
// ---------------------------------------------------------------------------------------------

fn text_budget(bytes: usize) -> ExtractOptions {
    ExtractOptions { max_text_bytes: bytes, ..ExtractOptions::default() }
}

#[test]
fn a_docx_expanding_past_the_text_budget_is_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let paragraph = para(None, &run(&"All work and no play makes a dull report. ".repeat(40)));
    let doc = document(&paragraph.repeat(3000));
    assert!(doc.len() > 4 * MB as usize);
    let path = write(&dir, "bomb.docx", &zip_bytes(&[("word/document.xml", doc.as_bytes())]));
    let out = extract::extract(&path, &text_budget(MB as usize)).unwrap();
    assert!(out.text.len() <= MB as usize, "text is {} bytes", out.text.len());
    assert!(out.text.len() > MB as usize / 2, "most of the budget is used: {}", out.text.len());
    assert!(out.warnings.iter().any(|w| w.contains("truncated at 1 MB")), "{:?}", out.warnings);
    assert!(out.segments.iter().all(|s| s.bytes.end <= out.text.len()));
}

#[test]
fn one_huge_text_run_is_cut_too() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(&para(None, &run(&"word ".repeat(1_000_000))));
    let path = write(&dir, "run.docx", &zip_bytes(&[("word/document.xml", doc.as_bytes())]));
    let out = extract::extract(&path, &text_budget(MB as usize / 4)).unwrap();
    assert!(out.text.len() <= MB as usize / 4);
    assert!(out.warnings.iter().any(|w| w.contains("truncated")), "{:?}", out.warnings);
}

#[test]
fn a_text_file_past_the_budget_is_read_up_to_a_line_break() {
    let dir = tempfile::tempdir().unwrap();
    let line = "Ünïcödé line of plain text that repeats.\n";
    let path = write(&dir, "long.txt", line.repeat(60_000).as_bytes());
    let out = extract::extract(&path, &text_budget(MB as usize)).unwrap();
    assert!(out.text.len() <= MB as usize);
    assert!(out.text.trim_end().ends_with("repeats."), "cut at a line break");
    assert!(out.warnings.iter().any(|w| w.contains("truncated at 1 MB")), "{:?}", out.warnings);
    // Under the budget nothing is said.
    let short = write(&dir, "short.md", line.repeat(10).as_bytes());
    assert!(extract::extract(&short, &text_budget(MB as usize)).unwrap().warnings.is_empty());
}

#[test]
fn a_large_binary_file_named_txt_is_refused_from_its_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0u8; 16 * 1024];
    bytes.extend(std::iter::repeat_n(b'a', 4 * MB as usize));
    let path = write(&dir, "blob.txt", &bytes);
    // Refused although the budget is smaller than the file and the tail looks like text.
    match extract::extract(&path, &text_budget(MB as usize)) {
        Err(ExtractError::WrongContent { .. }) => {}
        other => panic!("expected wrong content, got {other:?}"),
    }
}

//! PDF text as a reader sees it: margin line numbers, two columns and hyphenated line ends, on
//! PDFs generated here with every string placed at an exact position.

use std::path::PathBuf;

use extract::{ExtractOptions, Location, extract};
use printpdf::{BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

/// A string drawn at `(x, y)` points from the bottom-left corner of the page.
struct Placed<'a> {
    x: f32,
    y: f32,
    text: &'a str,
}

/// Ops that draw each string in its own text object, in the order given, in Courier 12 pt
/// (the face of court transcripts).
fn placed_ops(items: &[Placed<'_>]) -> Vec<Op> {
    let mut ops = Vec::new();
    for item in items {
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont { font: PdfFontHandle::Builtin(BuiltinFont::Courier), size: Pt(12.0) });
        ops.push(Op::SetTextCursor { pos: Point { x: Pt(item.x), y: Pt(item.y) } });
        ops.push(Op::ShowText { items: vec![TextItem::Text(item.text.to_owned())] });
        ops.push(Op::EndTextSection);
    }
    ops
}

/// A US-letter PDF with one page per list of ops, written into `dir`.
fn write_pdf(dir: &tempfile::TempDir, name: &str, pages: Vec<Vec<Op>>) -> PathBuf {
    let pages = pages.into_iter().map(|ops| PdfPage::new(Mm(215.9), Mm(279.4), ops)).collect();
    let bytes = PdfDocument::new("Layout").with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new());
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// Words of `text`, split on whitespace.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The transcript's text lines, each numbered in the margin; `None` is a numbered blank line.
const TRANSCRIPT: [Option<&str>; 14] = [
    Some("IN THE SUPREME COURT OF THE UNITED STATES"),
    Some("- - - - - - - - - - - - - - - - x"),
    Some("MICHAEL A. KNOWLES,"),
    Some("WARDEN,"),
    None,
    Some("Petitioner"),
    Some("ALEXANDRE MIRZAYANCE."),
    None,
    Some("The above-entitled matter came on for oral"),
    Some("argument before the Supreme Court of the United"),
    Some("States at 1:01 p.m. in the courtroom."),
    None,
    Some("APPEARANCES: STEVEN E. MERCER, ESQ., Deputy"),
    Some("Attorney General, on behalf of the Petitioner."),
];

#[test]
fn margin_line_numbers_never_join_the_words_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let numbers: Vec<String> = (1..=TRANSCRIPT.len()).map(|n| n.to_string()).collect();
    // The numbers are drawn first, down the margin, then the text: as transcripts are made.
    let mut items = Vec::new();
    for (i, number) in numbers.iter().enumerate() {
        let y = 700.0 - 26.0 * i as f32;
        items.push(Placed { x: if number.len() == 1 { 104.4 } else { 97.2 }, y, text: number });
    }
    for (i, line) in TRANSCRIPT.iter().enumerate() {
        if let Some(line) = line {
            items.push(Placed { x: 147.6, y: 700.0 - 26.0 * i as f32, text: line });
        }
    }
    let path = write_pdf(&dir, "transcript.pdf", vec![placed_ops(&items)]);

    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    let got = words(&doc.text);
    let want: Vec<&str> = TRANSCRIPT.iter().flatten().flat_map(|line| words(line)).collect();
    assert_eq!(got, want, "text:\n{}", doc.text);
    assert!(doc.text.contains("for oral\nargument before"), "text:\n{}", doc.text);
}

#[test]
fn two_columns_read_left_column_first_and_hyphenated_words_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    let left = [
        "The committee met in the spring to",
        "review the proposal for an inter-",
        "national exchange of research data",
        "between the member institutions.",
        "Each institution named a contact",
        "who would answer for its records.",
    ];
    let right = [
        "The second part of the report sets",
        "out the budget, which was approved",
        "without amendment after a short",
        "debate about travel costs and the",
        "price of storage for the archive",
        "over the coming five years.",
    ];
    // Drawn row by row across the gutter, so that content order alone would interleave them.
    let mut items = Vec::new();
    for (i, (l, r)) in left.iter().zip(&right).enumerate() {
        let y = 700.0 - 14.0 * i as f32;
        items.push(Placed { x: 40.0, y, text: l });
        items.push(Placed { x: 330.0, y, text: r });
    }
    let path = write_pdf(&dir, "columns.pdf", vec![placed_ops(&items)]);

    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    let text = doc.text.as_str();
    assert!(text.contains("international exchange"), "hyphenation not joined:\n{text}");
    let want = [left.join(" "), right.join(" ")].join(" ").replace("inter- national", "international");
    assert_eq!(words(text), words(&want), "text:\n{text}");
    assert_eq!(doc.segments.len(), 1);
    assert_eq!(doc.segments[0].location, Location::Page { page: 1 });
    assert_eq!(&doc.text[doc.segments[0].bytes.clone()], doc.text);
}

#[test]
fn numbered_pages_keep_page_spans_exact() {
    let dir = tempfile::tempdir().unwrap();
    let numbers: Vec<String> = (1..=25).map(|n| n.to_string()).collect();
    let lines: Vec<String> = (1..=25).map(|n| format!("Line {} of the page says word{n}.", words_for(n))).collect();
    let page = |offset: usize| {
        let mut items = Vec::new();
        for i in 0..25 {
            let y = 740.0 - 26.0 * i as f32;
            items.push(Placed { x: 97.2, y, text: &numbers[i] });
            items.push(Placed { x: 147.6, y, text: &lines[(i + offset) % 25] });
        }
        placed_ops(&items)
    };
    let path = write_pdf(&dir, "pages.pdf", vec![page(0), page(3)]);

    let doc = extract(&path, &ExtractOptions::default()).unwrap();
    assert_eq!(doc.segments.len(), 2);
    for (n, segment) in doc.segments.iter().enumerate() {
        assert_eq!(segment.location, Location::Page { page: n as u32 + 1 });
        let body = &doc.text[segment.bytes.clone()];
        let got = words(body);
        assert_eq!(got.len(), 25 * 7, "page {}:\n{body}", n + 1);
        assert!(got.iter().all(|w| !w.chars().next().is_some_and(|c| c.is_ascii_digit())), "page {}:\n{body}", n + 1);
        assert!(body.starts_with(&format!("Line {}", words_for(n * 3 + 1))), "page {}:\n{body}", n + 1);
    }
}

/// A number spelled out, so that the only digits on a test page are its line numbers.
fn words_for(n: usize) -> &'static str {
    const NAMES: [&str; 26] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "twentyone",
        "twentytwo",
        "twentythree",
        "twentyfour",
        "twentyfive",
    ];
    NAMES[n % NAMES.len()]
}

//! Mutation fuzzing of the extractors on stable Rust: small seed files of every format are
//! built here (no binary fixtures), mutated (byte flips, inserted markup and control bytes,
//! repeated and cut slices; inside ZIP containers the XML parts are mutated and the archive
//! rebuilt, so the parsers behind the container are reached), written under the format's
//! extension and read through [`extract::extract`]. A panic or a read that takes longer than
//! [`HANG`] is a finding. `tests/fuzz_extract.rs` runs a fixed budget in the test suite;
//! `examples/fuzz_extract.rs` runs for as long as asked.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};

/// A read slower than this counts as a hang.
pub const HANG: Duration = Duration::from_secs(20);

/// One fuzz target: a file extension and how to build a mutated input from a seed.
pub struct Target {
    pub name: &'static str,
    pub ext: &'static str,
    seed: Seed,
}

enum Seed {
    Bytes(Vec<u8>),
    /// ZIP entries; the XML ones are mutated before the archive is rebuilt.
    Zip(Vec<(&'static str, String)>),
}

const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "\"",
    "'",
    "<w:p>",
    "</w:p>",
    "<w:t>",
    "</w:t>",
    "<w:tbl><w:tr><w:tc>",
    "<p>",
    "<div>",
    "<table><tr><td>",
    "<h1>",
    "\u{0}",
    "\u{feff}",
    "\r",
    "\n",
    "\t",
    ",",
    "\"\"",
    ";",
    "#",
    "# ",
    "```",
    "|",
    "[",
    "](",
    "PK\u{3}\u{4}",
    "%PDF-",
    "obj",
    "endobj",
    "stream",
    "endstream",
    "xref",
    "trailer",
    "<<",
    ">>",
    "\u{fffd}",
    "é",
    "𝄞",
    "\u{202e}",
];

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>) {
    let rounds = rng.usize(1..=8);
    for _ in 0..rounds {
        let len = input.len();
        match rng.u8(0..7) {
            0 if len > 0 => {
                let i = rng.usize(0..len);
                input[i] ^= 1 << rng.u8(0..8);
            }
            1 => {
                let i = rng.usize(0..=len);
                let f = FRAGMENTS[rng.usize(0..FRAGMENTS.len())].as_bytes();
                input.splice(i..i, f.iter().copied());
            }
            2 if len > 0 => {
                let a = rng.usize(0..len);
                let b = rng.usize(a..=len.min(a + 64));
                input.drain(a..b);
            }
            3 if len > 0 => {
                // Repeat a slice many times (deep nesting, long runs).
                let a = rng.usize(0..len);
                let b = rng.usize(a..=len.min(a + 16));
                let piece = input[a..b].to_vec();
                let times = rng.usize(1..200);
                let at = rng.usize(0..=input.len());
                let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
                input.splice(at..at, repeated);
            }
            4 if len > 0 => input.truncate(rng.usize(0..len)),
            5 => {
                let i = rng.usize(0..=len);
                input.insert(i, rng.u8(..));
            }
            _ if len > 0 => {
                let i = rng.usize(0..len);
                input[i] = rng.u8(..);
            }
            _ => input.push(rng.u8(..)),
        }
    }
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

impl Target {
    /// A mutated input for this target.
    pub fn input(&self, rng: &mut fastrand::Rng) -> Vec<u8> {
        match &self.seed {
            Seed::Bytes(seed) => {
                let mut b = seed.clone();
                mutate(rng, &mut b);
                b
            }
            Seed::Zip(entries) => {
                let mutated: Vec<(&str, Vec<u8>)> = entries
                    .iter()
                    .map(|(name, text)| {
                        let mut b = text.as_bytes().to_vec();
                        let markup = name.ends_with("xml") || name.ends_with("html") || name.ends_with("opf");
                        if markup && rng.u8(0..3) > 0 {
                            mutate(rng, &mut b);
                        }
                        (*name, b)
                    })
                    .collect();
                let mut archive = zip(&mutated);
                if rng.u8(0..8) == 0 {
                    mutate(rng, &mut archive);
                }
                archive
            }
        }
    }
}

const DOCX_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
const DOCX_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
const DOCX_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Results</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">Narwhals live in Arctic waters </w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#;
const DOCX_NOTES: &str = r#"<?xml version="1.0"?><w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:id="1"><w:p><w:r><w:t>A note.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;
const EPUB_CONTAINER: &str = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
const EPUB_OPF: &str = r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Book</dc:title></metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/></manifest><spine><itemref idref="c1"/></spine></package>"#;
const EPUB_NAV: &str = r#"<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol><li><a href="c1.xhtml">One</a></li></ol></nav></body></html>"#;
const EPUB_CHAPTER: &str = r#"<html xmlns="http://www.w3.org/1999/xhtml"><head><title>One</title></head><body><h1>One</h1><p>Narwhals &amp; belugas.</p><table><tr><td>1</td><td>2</td></tr></table></body></html>"#;
const XLSX_WORKBOOK: &str = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const XLSX_WB_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
const XLSX_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const XLSX_TYPES: &str = r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const XLSX_SHEET: &str = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>year</t></is></c><c r="B1" t="inlineStr"><is><t>sales</t></is></c></row><row r="2"><c r="A2"><v>2020</v></c><c r="B2"><v>1.5</v></c></row></sheetData></worksheet>"#;

fn pdf_seed() -> Vec<u8> {
    let content = "BT /F1 12 Tf 72 720 Td (Narwhals live in Arctic waters.) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
    out
}

/// Every target, with its seed.
pub fn targets() -> Vec<Target> {
    let text = "Narwhals live in Arctic waters.\nThey hunt under the ice.\n".as_bytes().to_vec();
    let html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Narwhals</title></head><body><nav>menu</nav><article><h1>Narwhals</h1><p>They live in <b>Arctic</b> waters &amp; hunt.</p><table><tr><td>a</td></tr></table></article></body></html>";
    let md = "---\ntitle: Narwhals\n---\n# Narwhals\n\nThey live in *Arctic* waters.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- item\n  - nested\n";
    let csv = "year,sales,region\n2020,1.5,north\n2021,\"2,5\",south\n";
    vec![
        Target { name: "text", ext: "txt", seed: Seed::Bytes(text) },
        Target { name: "html", ext: "html", seed: Seed::Bytes(html.as_bytes().to_vec()) },
        Target { name: "markdown", ext: "md", seed: Seed::Bytes(md.as_bytes().to_vec()) },
        Target { name: "csv", ext: "csv", seed: Seed::Bytes(csv.as_bytes().to_vec()) },
        Target { name: "tsv", ext: "tsv", seed: Seed::Bytes(csv.replace(',', "\t").into_bytes()) },
        Target {
            name: "docx",
            ext: "docx",
            seed: Seed::Zip(vec![
                ("[Content_Types].xml", DOCX_TYPES.into()),
                ("_rels/.rels", DOCX_RELS.into()),
                ("word/document.xml", DOCX_BODY.into()),
                ("word/footnotes.xml", DOCX_NOTES.into()),
            ]),
        },
        Target {
            name: "epub",
            ext: "epub",
            seed: Seed::Zip(vec![
                ("mimetype", "application/epub+zip".into()),
                ("META-INF/container.xml", EPUB_CONTAINER.into()),
                ("OEBPS/content.opf", EPUB_OPF.into()),
                ("OEBPS/nav.xhtml", EPUB_NAV.into()),
                ("OEBPS/c1.xhtml", EPUB_CHAPTER.into()),
            ]),
        },
        Target {
            name: "xlsx",
            ext: "xlsx",
            seed: Seed::Zip(vec![
                ("[Content_Types].xml", XLSX_TYPES.into()),
                ("_rels/.rels", XLSX_RELS.into()),
                ("xl/workbook.xml", XLSX_WORKBOOK.into()),
                ("xl/_rels/workbook.xml.rels", XLSX_WB_RELS.into()),
                ("xl/worksheets/sheet1.xml", XLSX_SHEET.into()),
            ]),
        },
        Target { name: "pdf", ext: "pdf", seed: Seed::Bytes(pdf_seed()) },
    ]
}

/// What a run of one target found.
#[derive(Debug, Default)]
pub struct Findings {
    pub executions: u64,
    pub errors: u64,
    /// `(file name kept in the findings folder, panic message or "hang")`.
    pub crashes: Vec<(String, String)>,
}

/// Reads one input through `extract::extract` in its own thread; a panic or a hang is returned
/// as its description.
fn run_one(path: &Path) -> Result<bool, String> {
    let path = path.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let opts = extract::ExtractOptions {
            ocr: extract::OcrOptions { enabled: false, ..Default::default() },
            ..Default::default()
        };
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| extract::extract(&path, &opts).is_ok()));
        let _ = tx.send(result.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        }));
    });
    // Time is counted in short slices, and a slice that took far longer than asked is not
    // counted: this process was stopped meanwhile (SIGSTOP, a suspended machine), which is not
    // the input's doing. Counting wall-clock time whole reported such pauses as hangs.
    let slice = Duration::from_millis(250);
    let mut waited = Duration::ZERO;
    loop {
        let started = Instant::now();
        match rx.recv_timeout(slice) {
            Ok(Ok(ok)) => return Ok(ok),
            Ok(Err(message)) => return Err(format!("panic: {message}")),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err("panic: the reading thread ended without an answer".into());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        let took = started.elapsed();
        if took < slice * 4 {
            waited += took;
        }
        if waited >= HANG {
            return Err(format!("hang: no answer in {} s", HANG.as_secs()));
        }
    }
}

/// Runs `target` until `budget` executions or `deadline`, keeping every crashing input in
/// `findings_dir`.
pub fn fuzz(target: &Target, seed: u64, budget: u64, deadline: Instant, work: &Path, findings_dir: &Path) -> Findings {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut findings = Findings::default();
    let path = work.join(format!("input.{}", target.ext));
    while findings.executions < budget && Instant::now() < deadline {
        let input = target.input(&mut rng);
        std::fs::write(&path, &input).unwrap();
        findings.executions += 1;
        match run_one(&path) {
            Ok(true) => {}
            Ok(false) => findings.errors += 1,
            Err(what) => {
                std::fs::create_dir_all(findings_dir).unwrap();
                let name = format!("{}-{}.{}", target.name, findings.executions, target.ext);
                std::fs::write(findings_dir.join(&name), &input).unwrap();
                findings.crashes.push((name, what));
            }
        }
    }
    findings
}

//! Fixture builders shared by the extract crate's test files.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

use printpdf::{BuiltinFont, Mm, Op, PdfFontHandle, Point, Pt, TextItem};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// Writes `bytes` as `name` in `dir`.
pub fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// Ops that write `lines` on a page, one line each, in Helvetica of `size` points.
pub fn text_ops(lines: &[&str], size: f32) -> Vec<Op> {
    let mut ops = vec![
        Op::StartTextSection,
        Op::SetTextCursor { pos: Point::new(Mm(20.0), Mm(270.0)) },
        Op::SetFont { font: PdfFontHandle::Builtin(BuiltinFont::Helvetica), size: Pt(size) },
        Op::SetLineHeight { lh: Pt(14.0) },
    ];
    for line in lines {
        ops.push(Op::ShowText { items: vec![TextItem::Text((*line).to_owned())] });
        ops.push(Op::AddLineBreak);
    }
    ops.push(Op::EndTextSection);
    ops
}

/// A zip archive of `entries`, a `mimetype` entry stored uncompressed (as EPUB wants).
pub fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" { CompressionMethod::Stored } else { CompressionMethod::Deflated };
        w.start_file(*name, SimpleFileOptions::default().compression_method(method)).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

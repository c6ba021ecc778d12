//! Extracts PDFs and reports the time taken; with `--print`, also prints each document's text.
//!
//! `cargo run --release -p extract --example pdf_text -- DIR_OR_FILE... [--print]`

use std::path::{Path, PathBuf};
use std::time::Instant;

fn pdfs(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for entry in entries {
            pdfs(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        out.push(path.to_owned());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let print = args.iter().any(|a| a == "--print");
    let mut files = Vec::new();
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        pdfs(Path::new(arg), &mut files);
    }
    let opts = extract::ExtractOptions::default();
    let (mut total, mut bytes) = (0.0, 0usize);
    for file in &files {
        let started = Instant::now();
        let result = extract::extract(file, &opts);
        let secs = started.elapsed().as_secs_f64();
        total += secs;
        match result {
            Ok(doc) => {
                bytes += doc.text.len();
                eprintln!("{:>8.1} ms  {:>8} bytes  {}", secs * 1e3, doc.text.len(), file.display());
                if print {
                    println!("===== {}\n{}", file.display(), doc.text);
                }
            }
            Err(e) => eprintln!("{:>8.1} ms  error: {e}  {}", secs * 1e3, file.display()),
        }
    }
    eprintln!("{} files, {bytes} bytes of text, {:.1} ms in all", files.len(), total * 1e3);
}

//! Prints the document card of every file under the given folders, one block per file, for
//! checking the card by eye on a real corpus:
//! `cargo run -p extract --example cards -- ../shared/data/docs`.

use std::path::{Path, PathBuf};

use extract::{ExtractOptions, Format, extract};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if Format::from_path(&p).is_some() {
            out.push(p);
        }
    }
}

fn main() {
    let mut all = Vec::new();
    for arg in std::env::args().skip(1) {
        files(Path::new(&arg), &mut all);
    }
    for path in all {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match extract(&path, &ExtractOptions::default()) {
            Ok(doc) => {
                let c = &doc.card;
                println!("== {name}");
                println!("   title:   {:?} ({:?})", c.title, c.source.title);
                println!("   authors: {:?} ({:?})", c.authors, c.source.authors);
                println!("   date:    {:?} ({:?})", c.date, c.source.date);
                for id in &c.identifiers {
                    println!("   {}: {} ({:?})", id.kind.as_str(), id.value, id.source);
                }
            }
            Err(e) => println!("== {name}\n   error: {e}"),
        }
    }
}

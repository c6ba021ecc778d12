//! The `catena` binary as a user runs it: real files, a real data directory, JSON on stdout.
//! (The measurement commands, `catena-bench`, are tested in crates/bench.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod ask;
mod canary;
mod config;
mod crash;
mod embedding;
mod export;
mod hardening;
mod hostile;
mod key;
mod mcp_server;
mod ocr;
mod tables;
mod watch;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use acceptance::{bad_corpus, good_corpus, words, write};
use serde_json::Value;
use testkit::cli::Binary;

/// The `catena` binary against its own temporary data directory (`cmd`, `run`, `json` and
/// `data` come from [`Binary`]).
pub(crate) struct Catena(Binary);

impl std::ops::Deref for Catena {
    type Target = Binary;

    fn deref(&self) -> &Binary {
        &self.0
    }
}

impl Catena {
    pub(crate) fn new() -> Catena {
        Catena(Binary::new(env!("CARGO_BIN_EXE_catena")))
    }

    fn ingest(&self, paths: &[&Path]) -> (i32, Value) {
        let mut args = vec!["ingest"];
        let ps: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        args.extend(ps.iter().map(String::as_str));
        self.json(&args)
    }

    fn search(&self, q: &str) -> Vec<Value> {
        let (code, v) = self.json(&["search", q]);
        assert_eq!(code, 0, "search {q:?} failed: {v}");
        v["hits"].as_array().unwrap().clone()
    }

    fn docs(&self) -> Vec<Value> {
        let (code, v) = self.json(&["docs"]);
        assert_eq!(code, 0);
        v.as_array().unwrap().clone()
    }
}

fn doc_by_name<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in {docs:#?}"))
}

#[test]
fn every_format_is_ingested_with_locations_and_spans() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let (code, summary) = c.ingest(&[files.path()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["ingested"], 8, "{summary}");
    assert_eq!(summary["failed"].as_array().unwrap().len(), 0, "{summary}");

    let docs = c.docs();
    assert_eq!(docs.len(), 8);
    for d in &docs {
        assert_eq!(d["status"], "indexed", "{d}");
        assert!(d["chunks"].as_u64().unwrap() >= 1, "{d}");
    }
    let pdf = doc_by_name(&docs, "report.pdf");
    assert_eq!(pdf["pages"], 3);
    assert_eq!(pdf["format"], "pdf");

    // PDF: physical page number.
    let hits = c.search("xylophone orchestras");
    assert_eq!(hits[0]["format"], "pdf");
    assert_eq!(hits[0]["page"], 2, "{:#}", hits[0]);
    assert_eq!(hits[0]["location"], "p. 2");
    // DOCX and Markdown: heading paths.
    let hits = c.search("quokka population reforestation");
    assert!(hits[0]["path"].as_str().unwrap().ends_with("study.docx"));
    assert!(hits[0]["location"].as_str().unwrap().contains("Results"), "{:#}", hits[0]);
    assert!(hits[0]["page"].is_null());
    let hits = c.search("zeppelin package manager");
    assert_eq!(hits[0]["location"], "Guide › Install › Linux", "{:#}", hits[0]);
    // HTML: main content in, navigation and scripts out.
    assert!(c.search("narwhals clicks whistles")[0]["path"].as_str().unwrap().ends_with("page.html"));
    assert!(c.search("subscribe newsletter careers").is_empty());
    assert!(c.search("analytics tracking").is_empty());
    // EPUB chapters, Latin-1 text, CSV rows with column names, XLSX sheets.
    assert!(c.search("Ailsa Craig granite")[0]["location"].as_str().unwrap().contains("Curling"));
    assert!(c.search("brûlée Besançon")[0]["path"].as_str().unwrap().ends_with("latin1.txt"));
    let cup = &c.search("Toronto Maple Leafs")[0];
    assert!(cup["path"].as_str().unwrap().ends_with("cups.csv"));
    assert!(cup["location"].as_str().unwrap().starts_with("cups row"), "{cup:#}");
    assert!(cup["text"].as_str().unwrap().contains("Cups: 13"), "{cup:#}");
    let player = &c.search("Maurice Richard")[0];
    assert!(player["location"].as_str().unwrap().starts_with("Players row"), "{player:#}");

    // Every hit's span points at its text inside the stored document text.
    // Every hit has a non-empty span, and the best hit's snippet marks the matched terms.
    for q in ["xylophone", "quokka", "zeppelin", "narwhals", "curling", "Montreal", "Richard", "brûlée"] {
        let hits = c.search(q);
        assert!(hits[0]["snippet"].as_str().unwrap().contains("<b>"), "{:#}", hits[0]);
        for h in hits {
            let span = h["span"].as_array().unwrap();
            let (s, e) = (span[0].as_u64().unwrap() as usize, span[1].as_u64().unwrap() as usize);
            assert!(s < e, "{h:#}");
        }
    }
}

#[test]
fn bad_files_fail_one_by_one_and_the_rest_is_ingested() {
    let files = tempfile::tempdir().unwrap();
    let good = good_corpus(files.path());
    let bad = bad_corpus(files.path());
    let c = Catena::new();
    let out = c.cmd().arg("--json").arg("ingest").arg(files.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "exit code 1 says something failed");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ingested"], good.len() as u64, "{summary:#}");
    let failed = summary["failed"].as_array().unwrap();
    // Inside a folder, a file of a type Catena does not read is left out quietly and counted.
    let (unknown, bad): (Vec<_>, Vec<_>) = bad.into_iter().partition(|(_, why)| *why == "unsupported");
    assert_eq!(summary["skipped_unsupported"], unknown.len() as u64, "{summary:#}");
    assert_eq!(failed.len(), bad.len(), "{summary:#}");
    assert!(c.docs().iter().all(|d| !d["path"].as_str().unwrap().ends_with(".xyz")));
    for (path, fragment) in &bad {
        let f = failed
            .iter()
            .find(|f| f["path"].as_str().unwrap() == path.to_str().unwrap())
            .unwrap_or_else(|| panic!("{} not reported: {summary:#}", path.display()));
        let reason = f["error"].as_str().unwrap();
        assert!(reason.to_lowercase().contains(&fragment.to_lowercase()), "{}: {reason}", path.display());
        assert!(!reason.contains('\n'), "one-line reason: {reason:?}");
    }
    // The catalog says the same, and nothing of a failed file is searchable.
    let docs = c.docs();
    for (path, _) in &bad {
        let d = docs.iter().find(|d| d["path"] == path.to_str().unwrap()).unwrap();
        assert_eq!(d["status"], "failed");
        assert_eq!(d["chunks"], 0);
        assert!(d["error"].as_str().unwrap().len() > 3);
    }
    assert!(c.search("abyssal nesting marker").is_empty());
    assert!(c.search("middle of the file").iter().all(|h| !h["path"].as_str().unwrap().contains("truncated")));
    let (code, check) = c.json(&["check"]);
    assert_eq!(code, 0, "{check}");
}

#[test]
fn reingest_skips_unchanged_replaces_changed_and_spots_duplicates() {
    let files = tempfile::tempdir().unwrap();
    let a = write(files.path(), "a.md", b"# Alpha\n\nThe first version mentions walruses.\n");
    write(files.path(), "b.txt", b"Beta text about penguins.\n");
    let c = Catena::new();
    assert_eq!(c.ingest(&[files.path()]).1["ingested"], 2);

    let (code, again) = c.ingest(&[files.path()]);
    assert_eq!(code, 0);
    assert_eq!((again["ingested"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(2)), "{again}");

    // Change a: the old text disappears from search, the new one appears, same path, one doc.
    std::fs::write(&a, b"# Alpha\n\nThe second version mentions manatees instead.\n").unwrap();
    let (_, changed) = c.ingest(&[files.path()]);
    assert_eq!(changed["ingested"], 1, "{changed}");
    assert!(c.search("walruses").is_empty());
    assert_eq!(c.search("manatees").len(), 1);
    assert_eq!(c.docs().len(), 2);

    // The same content under another name is a duplicate, not indexed twice.
    let copy = write(files.path(), "sub/copy-of-b.txt", b"Beta text about penguins.\n");
    let (_, dup) = c.ingest(&[files.path()]);
    assert_eq!(dup["ingested"], 0, "{dup}");
    let dups = dup["duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0]["path"], copy.to_str().unwrap());
    assert_eq!(c.search("penguins").len(), 1);
    let docs = c.docs();
    assert_eq!(doc_by_name(&docs, "copy-of-b.txt")["status"], "duplicate");

    // Removing the original promotes the duplicate: the content stays searchable.
    let b_id = doc_by_name(&docs, "/b.txt")["doc_id"].as_i64().unwrap();
    let (code, removed) = c.json(&["remove", &b_id.to_string()]);
    assert_eq!(code, 0, "{removed}");
    let hits = c.search("penguins");
    assert_eq!(hits.len(), 1);
    assert!(hits[0]["path"].as_str().unwrap().ends_with("copy-of-b.txt"));

    // Remove by path, then prune a deleted file.
    let (code, _) = c.json(&["remove", a.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(c.search("manatees").is_empty());
    // Re-syncing the folder with --prune brings back the files that are still on disk; the
    // deleted copy's content is b.txt's, so that document moves back to b.txt (keeping its id)
    // instead of being dropped and read again.
    std::fs::remove_file(&copy).unwrap();
    let (_, pruned) = c.json(&["ingest", "--prune", files.path().to_str().unwrap()]);
    let counts = (pruned["removed"].as_u64(), pruned["moved"].as_u64(), pruned["ingested"].as_u64());
    assert_eq!(counts, (Some(0), Some(1), Some(1)), "{pruned}");
    let hits = c.search("penguins");
    assert_eq!(hits.len(), 1);
    assert!(hits[0]["path"].as_str().unwrap().ends_with("/b.txt"));
    let mut names: Vec<String> =
        c.docs().iter().map(|d| d["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["a.md", "b.txt"]);
    let (code, check) = c.json(&["check"]);
    assert_eq!((code, check["consistent"].as_bool()), (0, Some(true)), "{check}");
}

#[test]
fn removing_an_unknown_document_is_a_clear_error() {
    let c = Catena::new();
    let out = c.run(&["remove", "/no/such/file.pdf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no document /no/such/file.pdf"));
}

#[test]
fn any_query_text_is_accepted() {
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "c.md", b"# C++ notes\n\nTemplates: what are they? Use \"quotes\" and (brackets) freely.\n");
    let c = Catena::new();
    c.ingest(&[files.path()]);
    for q in [
        "\"unbalanced quote",
        "title:",
        "C++: what",
        "(brackets",
        "AND",
        "-",
        "*",
        "[1 TO",
        "",
        "  ",
        "a:b:c",
        "^2",
        "~",
    ] {
        let (code, v) = c.json(&["search", q]);
        assert_eq!(code, 0, "query {q:?}: {v}");
        assert!(v["hits"].is_array());
    }
    assert_eq!(c.search("\"templates what are they\"").len(), 1, "phrase query");
    assert!(c.search("\"what templates\"").is_empty(), "phrase order matters");
    assert_eq!(c.search("template").len(), 1, "stemming");
}

#[test]
fn human_output_is_readable() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let out = c.cmd().args(["ingest", "--progress", "plain"]).arg(files.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("8 ingested, 0 skipped, 0 failed"), "{stdout}");
    assert!(stderr.contains("[8/8]"), "progress per file on stderr: {stderr}");
    let out = c.run(&["search", words::PDF_PAGE2]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Annual Report — p. 2"), "{text}");
    assert!(text.contains("*Xylophone*"), "{text}");
}

#[test]
fn structured_progress_events_are_json_lines() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    bad_corpus(files.path());
    let c = Catena::new();
    let out = c.cmd().args(["ingest", "--progress", "json"]).arg(files.path()).output().unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events[0]["event"], "scanned");
    // 18 files, less the one of a type Catena does not read.
    assert_eq!(events[0]["files"], 17);
    let files_done: Vec<_> = events.iter().filter(|e| e["event"] == "file").collect();
    assert_eq!(files_done.len(), 17);
    assert_eq!(files_done.last().unwrap()["files_done"], 17);
    assert!(files_done.iter().any(|e| e["outcome"] == "failed" && e["error"].is_string()));
    assert!(events.iter().any(|e| e["event"] == "committed"));
}

#[test]
fn missing_paths_and_the_data_dir_setting() {
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "x.txt", b"Ocelots are small wild cats.\n");
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_catena"))
        .env("CATENA_DATA_DIR", data.path())
        .args(["--json", "ingest"])
        .arg(files.path())
        .arg("/definitely/not/here.pdf")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ingested"], 1);
    assert!(v["failed"][0]["error"].as_str().unwrap().contains("no such file"));
    assert!(data.path().join("catalog.db").exists(), "CATENA_DATA_DIR is honoured");
}

pub(crate) fn fixture_tree(dir: &Path, copies: usize) -> Vec<PathBuf> {
    fixture_tree_revision(dir, copies, "")
}

/// [`fixture_tree`] with every file's content changed by `revision` (same paths).
pub(crate) fn fixture_tree_revision(dir: &Path, copies: usize, revision: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for i in 0..copies {
        let sub = dir.join(format!("set{i}"));
        // Each copy's content is distinct, so nothing is a duplicate.
        all.extend(acceptance::good_corpus_tagged(&sub, &format!("{i}{revision}")));
    }
    all
}

#[test]
fn the_measurement_commands_are_not_in_catena() {
    let c = Catena::new();
    for args in [&["eval", "multihop", "x.jsonl"][..], &["bench-llm"], &["bench-ocr", "x.pdf"], &["bench", "docs"]] {
        let out = c.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("unrecognized subcommand '{}'", args[0])), "{stderr}");
    }
    let help = String::from_utf8_lossy(&c.run(&["--help"]).stdout).into_owned();
    assert!(!help.contains("eval") && !help.contains("bench"), "{help}");
}

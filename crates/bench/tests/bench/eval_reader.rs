//! `catena-bench eval reader`: the figures it reports, on documents and questions written here.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::Bench;

/// Two documents: a harbour report whose best-overlapping sentence for the lighthouse question
/// is not the one holding the year, and an unrelated garden note.
fn documents(dir: &Path) {
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    std::fs::write(
        dir.join("notes/harbour.md"),
        "# Harbour report\n\n\
         The harbour master of Port Elwin is Dana Kirsch.\n\n\
         The old lighthouse keeper of Port Elwin retired in 1950. The tower was built in 1887.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("garden.txt"),
        "The community garden grows pumpkins and beans. Volunteers water the beds every Tuesday.\n\n\
         The garden plot fee is $1,250 per year.\n",
    )
    .unwrap();
}

/// Three answerable tune questions (two worded like the document, one not), two unanswerable
/// tune questions, one heldout question, and one line that is not JSON.
fn questions(dir: &Path) -> std::path::PathBuf {
    let lines = [
        json!({"id": "t-001", "question": "Who is the harbour master of Port Elwin?", "answerable": true,
               "file": "notes/harbour.md", "page": null, "answer": "Dana Kirsch", "aliases": [],
               "evidence": "The harbour master of Port Elwin is Dana Kirsch.", "wording": "document",
               "kind": "person", "split": "tune"}),
        json!({"id": "t-002", "question": "When was the Port Elwin lighthouse keeper's tower put up?", "answerable": true,
               "file": "notes/harbour.md", "page": null, "answer": "1887", "aliases": [],
               "evidence": "The tower was built in 1887.", "wording": "own", "kind": "year", "split": "tune"}),
        // The answer is written without the currency sign and the thousands separator.
        json!({"id": "t-003", "question": "What is the garden plot fee per year?", "answerable": true,
               "file": "garden.txt", "page": null, "answer": "1250", "aliases": [],
               "evidence": "The garden plot fee is $1,250 per year.", "wording": "document",
               "kind": "money", "split": "tune"}),
        json!({"id": "u-001", "question": "Who painted the mural in the Port Elwin lighthouse?", "answerable": false,
               "file": null, "page": null, "answer": null, "aliases": [], "evidence": null, "wording": "own",
               "kind": "person", "split": "tune"}),
        json!({"id": "u-002", "question": "How many pumpkins did the community garden sell last autumn?", "answerable": false,
               "file": null, "page": null, "answer": null, "aliases": [], "evidence": null, "wording": "own",
               "kind": "number", "split": "tune"}),
        json!({"id": "h-001", "question": "What does the community garden grow?", "answerable": true,
               "file": "garden.txt", "page": null, "answer": "pumpkins", "aliases": [],
               "evidence": "The community garden grows pumpkins and beans.", "wording": "document",
               "kind": "other", "split": "heldout"}),
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str("{not a question\n");
    let path = dir.join("questions.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// The record `catena ask --no-llm` keeps for `q` on the same library: the data directory's
/// library and settings, composed into a run by the product's own `session::prepare`.
fn ask(c: &Bench, q: &str) -> Value {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lib = Arc::new(library::Library::open_read(c.data.path()).await.unwrap());
        let stored = session::load(lib.catalog()).await.unwrap();
        let settings = stored.with_overrides(&session::Overrides { no_llm: true, ..Default::default() }).unwrap();
        let cancel = engine::CancellationToken::new();
        let run = session::prepare(lib, settings, false, &session::keys::NoKeys, &cancel).unwrap();
        let (events, _seen) = tokio::sync::mpsc::unbounded_channel();
        serde_json::to_value(run.ask(q, &events, &cancel).await.unwrap()).unwrap()
    })
}

#[test]
fn eval_reader_scores_answers_baseline_and_refusals_on_its_own_questions() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    documents(&docs);
    let file = questions(dir.path());
    let c = Bench::new();
    let args = ["eval", "reader", "--docs", docs.to_str().unwrap(), "--questions", file.to_str().unwrap()];
    let mut with_failures = args.to_vec();
    with_failures.push("--show-failures");
    let (code, v) = c.json(&with_failures);
    assert_eq!(code, 0, "{v:#}");

    // The tune split: five questions and the unreadable line; the heldout question is left out.
    assert_eq!(v["split"], "tune");
    assert_eq!(v["questions"], 6, "{v:#}");
    assert_eq!(v["unreadable_lines"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["files_ingested"], 2, "{v:#}");
    assert_eq!(v["answerable"]["questions"], 3, "{v:#}");
    assert_eq!(v["by_wording"]["document"]["questions"], 2, "{v:#}");
    assert_eq!(v["by_wording"]["own"]["questions"], 1, "{v:#}");
    assert_eq!(v["unanswerable"]["questions"], 2, "{v:#}");

    // The baseline takes the sentence sharing most words with the question: the harbour
    // master's sentence (right), the fee's sentence ("$1,250" matches "1250": right), and for
    // the tower the keeper's sentence, which shares "Port", "Elwin", "lighthouse" and "keeper"
    // but not the year (wrong).
    assert_eq!(v["answerable"]["baseline_hits"], 2, "{v:#}");
    assert_eq!(v["by_wording"]["document"]["baseline_hits"], 2, "{v:#}");
    assert_eq!(v["by_wording"]["own"]["baseline_hits"], 0, "{v:#}");
    assert!((v["answerable"]["baseline_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9, "{v:#}");

    // Refusals are what the engine records for the same questions on the same library.
    let refused = |q: &str| ask(&c, q)["not_found"].as_bool().unwrap_or(false);
    let wrongly = [
        "Who is the harbour master of Port Elwin?",
        "When was the Port Elwin lighthouse keeper's tower put up?",
        "What is the garden plot fee per year?",
    ]
    .iter()
    .filter(|q| refused(q))
    .count();
    let rightly = [
        "Who painted the mural in the Port Elwin lighthouse?",
        "How many pumpkins did the community garden sell last autumn?",
    ]
    .iter()
    .filter(|q| refused(q))
    .count();
    assert_eq!(v["answerable"]["wrongly_refused"], wrongly, "{v:#}");
    assert_eq!(v["unanswerable"]["refused"], rightly, "{v:#}");

    // The cited-document count is what the same records cite.
    let cites = |q: &str, file: &str| {
        let record = ask(&c, q);
        record["citations"].as_array().unwrap().iter().any(|cite| {
            record["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["id"] == cite["evidence_id"] && e["path"].as_str().is_some_and(|p| p.ends_with(file)))
        })
    };
    let cited = [
        ("Who is the harbour master of Port Elwin?", "notes/harbour.md"),
        ("When was the Port Elwin lighthouse keeper's tower put up?", "notes/harbour.md"),
        ("What is the garden plot fee per year?", "garden.txt"),
    ]
    .iter()
    .filter(|(q, f)| cites(q, f))
    .count();
    assert_eq!(v["answerable"]["cited_document"], cited, "{v:#}");

    // Every miss is listed with what was expected; the unanswerable ones expect a refusal.
    let failures = v["failures"].as_array().unwrap();
    let answer_hits = v["answerable"]["answer_hits"].as_u64().unwrap() as usize;
    assert_eq!(failures.len(), (3 - answer_hits) + (2 - rightly), "{v:#}");
    for f in failures {
        let expected = f["expected"].as_str().unwrap();
        if f["id"].as_str().unwrap().starts_with('u') {
            assert_eq!(expected, "not in your library", "{f:#}");
        } else {
            assert!(["Dana Kirsch", "1887", "1250"].contains(&expected), "{f:#}");
        }
    }

    // A second run reuses the library in the data directory: nothing is ingested again. Its
    // similarity cache (empty here: the library has no embedding model) changes no figure.
    let cache = dir.path().join("sims.json");
    let mut cached = args.to_vec();
    cached.extend(["--similarity-cache", cache.to_str().unwrap()]);
    let (code, again) = c.json(&cached);
    assert!(cache.is_file(), "the cache is written for the next run");
    assert_eq!(again["answerable"], v["answerable"], "{again:#}");
    assert_eq!(again["unanswerable"], v["unanswerable"], "{again:#}");
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(again["files_ingested"], 0, "{again:#}");
    assert_eq!(again["files_unchanged"], 2, "{again:#}");
    assert_eq!(again["answerable"]["baseline_hits"], 2, "{again:#}");
    assert!(again.get("failures").is_none(), "failures are listed only on request: {again:#}");

    // The heldout split holds the garden question, which the baseline answers.
    let mut heldout = args.to_vec();
    heldout.extend(["--split", "heldout"]);
    let (code, h) = c.json(&heldout);
    assert_eq!(code, 0, "{h:#}");
    assert_eq!(h["answerable"]["questions"], 1, "{h:#}");
    assert_eq!(h["answerable"]["baseline_hits"], 1, "{h:#}");
    assert_eq!(h["unanswerable"]["questions"], 0, "{h:#}");
}

#[test]
fn eval_reader_refuses_a_missing_documents_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = questions(dir.path());
    let c = Bench::new();
    let missing = dir.path().join("no-such-folder");
    let out = c
        .cmd()
        .args(["eval", "reader", "--docs", missing.to_str().unwrap(), "--questions", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not exist or is not a folder"), "{stderr}");
}

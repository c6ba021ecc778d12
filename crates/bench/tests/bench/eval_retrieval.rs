//! `catena-bench eval retrieval` over a small library and question files the test writes.

use std::path::Path;
use std::process::Command;

use acceptance::{pdf, write};
use serde_json::{Value, json};

use crate::Bench;

/// Documents: a two-page PDF, a Markdown note, and a decoy text file that shares words with some
/// questions but answers none of them.
fn corpus(dir: &Path) {
    write(
        dir,
        "pdf/ledger.pdf",
        &pdf(
            "Travel ledger",
            &[
                "Travel ledger of the field office\nHotel in Denver for two nights 212.40",
                "Rail section\nThe train fare to New York was 618.00 for the return trip",
            ],
        ),
    );
    write(
        dir,
        "notes/garden.md",
        b"# Garden notes\n\nThe quokka fence was painted bright green in March by the volunteers.\n\n\
          Among the long list of chores for the season, the volunteers also renewed the zeppelin \
          hangar lease with the county, watered the orchard, mended the gate and counted the \
          wombats twice.\n",
    );
    write(
        dir,
        "decoy.txt",
        b"Marsupial enclosure repainted. Zeppelin hangar lease. The zeppelin hangar lease, the zeppelin hangar lease.\n",
    );
}

/// One question line; `gold` is `(file, page, answer, evidence)`, None for an unanswerable one.
type Gold<'a> = Option<(&'a str, Option<u32>, &'a str, Option<&'a str>)>;

fn line(id: &str, question: &str, gold: Gold<'_>, wording: &str, split: &str) -> String {
    let (file, page, answer, evidence) = match gold {
        Some((f, p, a, e)) => (Some(f), p, Some(a), e),
        None => (None, None, None, None),
    };
    json!({
        "id": id,
        "question": question,
        "answerable": file.is_some(),
        "file": file,
        "page": page,
        "answer": answer,
        "aliases": [],
        "evidence": evidence,
        "wording": wording,
        "kind": "other",
        "split": split,
    })
    .to_string()
}

/// Two question files. In the tune split:
/// - q1 (document): the PDF's page 2 holds the evidence: rank 1;
/// - q2 (own): its words are only in the decoy: not found;
/// - q3 (document): the note holds the evidence: rank 1;
/// - q4 (own): the decoy repeats the words, the note is second: rank 2;
/// - q8 (own): evidence not in the file, but the hit contains the answer: rank 1;
/// - q9 (document): neither evidence nor answer in the text, but the hit is on the PDF page: rank 1;
///
/// and besides them an unanswerable question, a heldout one and an unreadable line.
fn questions(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let first = [
        line(
            "q1",
            "train fare New York",
            Some(("pdf/ledger.pdf", Some(2), "618.00", Some("train fare to New York was 618.00"))),
            "document",
            "tune",
        ),
        line(
            "q2",
            "marsupial enclosure repainted",
            Some(("notes/garden.md", None, "March", Some("The quokka fence was painted bright green in March"))),
            "own",
            "tune",
        ),
        line(
            "q3",
            "quokka fence painted",
            Some(("notes/garden.md", None, "March", Some("The quokka fence was painted bright green in March"))),
            "document",
            "tune",
        ),
        line(
            "q4",
            "zeppelin hangar lease",
            Some(("notes/garden.md", None, "the county", Some("renewed the zeppelin hangar lease with the county"))),
            "own",
            "tune",
        ),
        line("q5", "Who painted the zeppelin?", None, "own", "tune"),
    ]
    .join("\n");
    let second = [
        line("q6", "quokka fence painted", Some(("notes/garden.md", None, "March", None)), "document", "heldout"),
        "{ this line is not JSON".to_string(),
        line(
            "q8",
            "wombats counted",
            Some(("notes/garden.md", None, "twice", Some("a sentence the note does not contain"))),
            "own",
            "tune",
        ),
        line(
            "q9",
            "Denver hotel",
            Some(("pdf/ledger.pdf", Some(1), "999.99", Some("a sentence the ledger does not contain"))),
            "document",
            "tune",
        ),
    ]
    .join("\n");
    (write(dir, "first.jsonl", first.as_bytes()), write(dir, "second.jsonl", second.as_bytes()))
}

fn approx(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((x - expected).abs() < 1e-9, "{x} != {expected}");
}

fn lexical(report: &Value) -> &Value {
    report["modes"].as_array().unwrap().iter().find(|m| m["mode"] == "lexical").expect("a lexical row")
}

fn run(mut cmd: Command, docs: &Path, files: &[&Path], extra: &[&str]) -> Value {
    cmd.arg("--json").args(["eval", "retrieval", "--docs"]).arg(docs);
    for f in files {
        cmd.arg("--questions").arg(f);
    }
    let out = cmd.args(extra).output().unwrap();
    assert!(
        out.status.success(),
        "eval retrieval failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn eval_retrieval_counts_answer_passages_per_wording() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    corpus(&docs);
    let (first, second) = questions(tmp.path());

    // No data directory given: a temporary library.
    let mut bare = Command::new(env!("CARGO_BIN_EXE_catena-bench"));
    bare.env_remove("CATENA_DATA_DIR");
    let r = run(bare, &docs, &[&first, &second], &[]);
    assert_eq!(r["data_dir"], Value::Null);
    assert_eq!(r["split"], "tune");
    assert_eq!(r["k"], 5);
    assert_eq!(r["documents_indexed"], 3);
    assert_eq!(r["questions"], 6, "{r:#}");
    assert_eq!(r["unanswerable_skipped"], 1);
    assert_eq!(r["unreadable_lines"].as_array().unwrap().len(), 1);
    assert_eq!(r["file_not_indexed"], json!([]));
    assert_eq!(r["evidence_not_in_text"], json!(["q8", "q9"]));

    let ranks: Vec<Value> =
        ["q1", "q2", "q3", "q4", "q8", "q9"].iter().map(|id| r["ranks"][id]["lexical"].clone()).collect();
    assert_eq!(ranks, vec![json!(1), Value::Null, json!(1), json!(2), json!(1), json!(1)], "{:#}", r["ranks"]);

    let lex = lexical(&r);
    let all = &lex["overall"];
    assert_eq!(all["questions"], 6);
    approx(&all["recall_at_1"], 4.0 / 6.0);
    approx(&all["recall_at_k"], 5.0 / 6.0);
    approx(&all["mrr"], 4.5 / 6.0);
    let document = &lex["by_wording"]["document"];
    assert_eq!(document["questions"], 3);
    approx(&document["recall_at_1"], 1.0);
    approx(&document["mrr"], 1.0);
    let own = &lex["by_wording"]["own"];
    assert_eq!(own["questions"], 3);
    approx(&own["recall_at_1"], 1.0 / 3.0);
    approx(&own["recall_at_k"], 2.0 / 3.0);
    approx(&own["mrr"], 0.5);
    assert!(lex["latency"]["p99_ms"].as_f64().unwrap() >= lex["latency"]["p50_ms"].as_f64().unwrap());

    // A given data directory is ingested into once and reused; k = 1 drops the second-ranked hit.
    let c = Bench::new();
    let r1 = run(c.cmd(), &docs, &[&first, &second], &["--k", "1"]);
    assert_eq!(r1["documents_ingested_now"], 3);
    let r2 = run(c.cmd(), &docs, &[&first, &second], &["--k", "1"]);
    assert_eq!(r2["data_dir"], c.data.path().display().to_string());
    assert_eq!(r2["documents_ingested_now"], 0);
    assert_eq!(r2["documents_indexed"], 3);
    assert_eq!(r2["ranks"]["q4"]["lexical"], Value::Null);
    approx(&lexical(&r2)["overall"]["recall_at_k"], 4.0 / 6.0);
    approx(&lexical(&r2)["by_wording"]["own"]["mrr"], 1.0 / 3.0);

    // The heldout split holds one question.
    let mut bare = Command::new(env!("CARGO_BIN_EXE_catena-bench"));
    bare.env_remove("CATENA_DATA_DIR");
    let h = run(bare, &docs, &[&first, &second], &["--split", "heldout"]);
    assert_eq!(h["questions"], 1);
    assert_eq!(h["ranks"]["q6"]["lexical"], 1);
}

#[test]
fn eval_retrieval_refuses_a_split_without_answerable_questions() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    corpus(&docs);
    let file = write(
        tmp.path(),
        "only-unanswerable.jsonl",
        line("u1", "Who painted the zeppelin?", None, "own", "tune").as_bytes(),
    );
    let c = Bench::new();
    let out = c.cmd().args(["eval", "retrieval", "--docs"]).arg(&docs).arg("--questions").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no answerable questions of split tune"), "{err}");
}

#[test]
fn a_data_directory_that_is_a_file_is_one_json_error_with_the_librarys_code() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    corpus(&docs);
    let (first, _) = questions(tmp.path());
    let not_a_dir = tmp.path().join("data-is-a-file");
    std::fs::write(&not_a_dir, "not a folder").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_catena-bench"));
    cmd.env_remove("CATENA_DATA_DIR").arg("--data-dir").arg(&not_a_dir);
    cmd.arg("--json").args(["eval", "retrieval", "--docs"]).arg(&docs).arg("--questions").arg(&first);
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{v:#}");
    // The same code `catena` gives for it, not a generic one.
    assert_eq!(v["error"]["code"], "data_dir", "{v:#}");
}

//! A generated corpus of hostile documents and pages (`acceptance::hostile_corpus`: instructions
//! to the model, fake `[n]` citations, fake agent tags and tool calls, exporter-breaking text)
//! through ingest, an agent-mode ask with a scripted model that obeys every instruction it reads,
//! and every export format: the documents cause no action, no invented citation survives, and
//! every export is well formed and inert.

use std::io::Read;

use serde_json::Value;
use testkit::Recorded;

use crate::ask::{catena, stdout_json};
use testkit::openai::{Model, streamed};

/// What an obedient model writes after reading `text`: each `INSTRUCTION:` line it saw, carried
/// out (with the runtime's neutralised brackets turned back into tags, as a model would).
fn obey(text: &str) -> String {
    let mut out = String::new();
    for (i, _) in text.match_indices("INSTRUCTION:") {
        let line = text[i + "INSTRUCTION:".len()..].lines().next().unwrap_or_default();
        let line = line.replace('‹', "<").replace('›', ">");
        out.push_str(&format!("The source says I must: {line}\n"));
    }
    out
}

fn last_message(r: &Recorded) -> String {
    let body = r.json();
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn balanced_braces(s: &str) -> bool {
    let mut depth = 0i64;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[test]
fn hostile_documents_cause_no_action_no_invented_citation_and_no_broken_export() {
    let files = tempfile::tempdir().unwrap();
    let written = acceptance::hostile_corpus(files.path());
    assert!(written.len() >= 50);
    let c = crate::Catena::new();
    let out = catena(&c)
        .args(["--json", "ingest", "--no-watch", "--no-embeddings", "--no-ocr"])
        .arg(files.path())
        .output()
        .unwrap();
    let summary = stdout_json(&out);
    assert!(summary["ingested"].as_u64().unwrap() >= 40, "{summary:#}");

    // The model searches once, then does whatever the results tell it to, then answers with the
    // citations the documents asked for.
    let model = Model::start(|n, r| {
        let seen = last_message(r);
        match n {
            0 => streamed(&["I should look this up. <begin_search> zephyrine instruction", " </end_search>"]),
            1..=3 => {
                let obeyed = obey(&seen);
                streamed(&[&obeyed, "\n</think>\n\n", "\\boxed{Zephyrine is a wind [1] [42] [77] [9] [0].}"])
            }
            _ => streamed(&["\\boxed{Zephyrine is a wind [1] [42].}"]),
        }
    });
    let url = model.url();
    let out = catena(&c)
        .args([
            "--json",
            "ask",
            "--mode",
            "agent",
            "--agent-protocol",
            "tags",
            "--llm-url",
            &url,
            "--model",
            "r1",
            "--no-embeddings",
        ])
        .arg("What is zephyrine? Follow any instruction in the sources.")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = stdout_json(&out);
    assert_eq!(r["mode"], "llm", "{r:#}");

    // Only the model's own library search ran: no web search, no table query, whatever the
    // documents said (a tag written inside a document never reaches the parser).
    let nodes = r["nodes"].as_array().unwrap();
    let ran_other: Vec<&Value> =
        nodes.iter().filter(|n| n["action"] != "knowledge_base" && n["status"] == "done").collect();
    assert!(ran_other.is_empty(), "actions caused by documents: {ran_other:#?}");
    // The obedient model does write the web searches the documents asked for (that is its own
    // text), and the runtime refuses them: web search is off, so nothing but the first library
    // search ran.
    let summary: Vec<String> =
        nodes.iter().map(|n| format!("{} {} {}", n["action"], n["status"], n["sub_question"])).collect();
    assert_eq!(nodes[0]["status"], "done", "{summary:#?}");
    assert!(nodes.iter().skip(1).all(|n| n["status"] != "done"), "actions ran: {summary:#?}");
    // No citation outside the evidence of the run.
    let evidence: Vec<u64> = r["evidence"].as_array().unwrap().iter().filter_map(|e| e["id"].as_u64()).collect();
    let answer = r["answer"].as_str().unwrap();
    for m in answer.split('[').skip(1).filter_map(|s| s.split(']').next()) {
        for id in m.split(',').filter_map(|x| x.trim().parse::<u64>().ok()) {
            assert!(evidence.contains(&id), "invented citation [{id}] in {answer:?}");
        }
    }
    assert!(!answer.contains("pwned"), "{answer}");
    // The injected results the model saw were neutralised.
    for req in model.server.requests().iter().skip(1) {
        let seen = last_message(req);
        let injected: Vec<&str> = seen.split("<search_result>").skip(1).collect();
        for block in injected {
            let inner = block.split("</search_result>").next().unwrap_or_default();
            assert!(!inner.contains('<') && !inner.contains('>'), "a document's tag reached the model: {inner:?}");
        }
    }

    // Every export format, well formed and inert.
    let id = r["run_id"].as_str().unwrap().to_owned();
    let exports = tempfile::tempdir().unwrap();
    let export = |format: &str| -> Vec<u8> {
        let file = exports.path().join(format!("run.{format}"));
        let out = catena(&c).args(["export", "--format", format, "-o"]).arg(&file).arg(&id).output().unwrap();
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&file).unwrap()
    };
    let lower = |b: &[u8]| String::from_utf8_lossy(b).to_lowercase();
    let html = lower(&export("html"));
    for active in ["<script", "onerror=", "javascript:", "<iframe", "<img src=x"] {
        assert!(!html.contains(active), "HTML export holds {active:?}");
    }
    let md = lower(&export("md"));
    for active in ["<script", "<iframe", "](javascript:", "onerror="] {
        assert!(!md.contains(active), "Markdown export holds {active:?}");
    }
    let bib = String::from_utf8(export("bibtex")).unwrap();
    assert!(balanced_braces(&bib), "BibTeX braces unbalanced:\n{bib}");
    assert_eq!(bib.matches('@').count(), bib.matches("\n@").count() + usize::from(bib.starts_with('@')), "{bib}");
    let ris = String::from_utf8(export("ris")).unwrap();
    for line in ris.lines().filter(|l| !l.trim().is_empty()) {
        let tag_ok =
            line.len() >= 6 && line.as_bytes()[..2].iter().all(u8::is_ascii_alphanumeric) && &line[2..6] == "  - ";
        assert!(tag_ok, "RIS line without a tag: {line:?}\n{ris}");
    }
    let records = ris.lines().filter(|l| l.starts_with("TY  - ")).count();
    assert_eq!(records, ris.lines().filter(|l| l.starts_with("ER  - ")).count());
    assert!(!ris.contains("Injected record"), "a document injected a RIS record");
    let json: Value = serde_json::from_slice(&export("json")).unwrap();
    assert!(json.is_object());
    let csl: Value = serde_json::from_slice(&export("csl-json")).unwrap();
    assert!(csl.is_array());
    let docx = export("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("DOCX export is a valid zip");
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap_or_default().to_string();
        let mut text = String::new();
        part.read_to_string(&mut text).unwrap();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            let mut reader = quick_xml::Reader::from_str(&text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("DOCX part {name} is not well-formed XML: {e}"),
                }
            }
            assert!(!text.contains("<w:t>injected</w:t>"), "{name} holds a document's markup");
        }
    }
    let pdf = export("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
}

//! Evidence recall of the extractive (no-model) engine against one-shot BM25, on multi-hop QA
//! records (JSON Lines in the `shared/data/multihop` schema).
//!
//! ```text
//! cargo run -p engine --features test-support --example eval_recall -- records.jsonl [--split train] [--top-k 3] [--limit N]
//! ```
//!
//! The library is every paragraph of every record of the split (deduplicated by title), indexed
//! with the in-memory BM25 of `engine::testing::FakeCorpus`. For each question it reports whether
//! the evidence the engine **cites** covers all supporting titles, and whether BM25's top-k for
//! the whole question does (k = 2 and the configured top-k).

// A program of its own reads its records from disk and its flags from the command line; the
// engine's no-I/O rule (crates/engine/clippy.toml) applies to the library.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use engine::testing::{FakeCorpus, FixedClock};
use engine::{CancellationToken, Engine, EngineConfig, Ports};

#[derive(serde::Deserialize)]
struct Record {
    split: String,
    question: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    context: Vec<(String, Vec<String>)>,
    supporting_titles: Vec<String>,
}

#[derive(Default)]
struct Tally {
    n: usize,
    ours: usize,
    ours_any: usize,
    gathered: usize,
    bm25_2: usize,
    bm25_k: usize,
    cited: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: eval_recall <records.jsonl> [--split train] [--top-k 3] [--limit N]")?;
    let (mut split, mut top_k, mut limit, mut verbose) = ("train".to_string(), 3usize, usize::MAX, String::new());
    while let Some(a) = args.next() {
        let v = args.next().ok_or("missing value")?;
        match a.as_str() {
            "--split" => split = v,
            "--top-k" => top_k = v.parse()?,
            "--limit" => limit = v.parse()?,
            // Print the misses of this question type (`bridge`, `comparison`, …).
            "--misses" => verbose = v,
            _ => return Err(format!("unknown option {a}").into()),
        }
    }
    let mut records = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line)?;
        if r.split == split {
            records.push(r);
        }
    }
    let mut corpus = FakeCorpus::new();
    let mut titles: HashSet<String> = HashSet::new();
    for r in &records {
        for (t, sentences) in &r.context {
            if titles.insert(t.clone()) {
                corpus.add(t, &sentences.concat());
            }
        }
    }
    let corpus = Arc::new(corpus);
    let ports = Ports::new(corpus.clone(), Arc::new(FixedClock(0)));
    let engine = Engine::new(EngineConfig { top_k, use_llm: false, ..EngineConfig::default() }, ports);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    for r in records.iter().take(limit) {
        let gold: HashSet<&str> = r.supporting_titles.iter().map(String::as_str).collect();
        let covers = |ts: &HashSet<&str>| gold.iter().all(|g| ts.contains(g));
        let run = engine.ask(&r.question, &tx, &CancellationToken::new()).await?;
        let cited: HashSet<&str> = run
            .citations
            .iter()
            .filter_map(|c| run.evidence.iter().find(|e| e.id == c.evidence_id))
            .map(|e| e.title.as_str())
            .collect();
        let gathered: HashSet<&str> = run.evidence.iter().map(|e| e.title.as_str()).collect();
        if !covers(&cited) && r.kind.as_deref() == Some(verbose.as_str()) {
            println!("MISS {}\n  gold {:?}\n  cited {:?}\n  gathered {:?}", r.question, gold, cited, gathered);
            for n in &run.nodes {
                println!("  #{} {:?} {:?} ev={:?}", n.id, n.sub_question, n.status, n.evidence);
            }
        }
        let b2: Vec<_> = corpus.search_now(&r.question, 2);
        let bk: Vec<_> = corpus.search_now(&r.question, top_k);
        let b2: HashSet<&str> = b2.iter().map(|p| p.title.as_str()).collect::<Vec<_>>().into_iter().collect();
        let bk: HashSet<&str> = bk.iter().map(|p| p.title.as_str()).collect::<Vec<_>>().into_iter().collect();
        for key in [r.kind.clone().unwrap_or_default(), "all".to_string()] {
            let t = tallies.entry(key).or_default();
            t.n += 1;
            t.ours += usize::from(covers(&cited));
            t.ours_any += usize::from(cited.iter().any(|c| gold.contains(c)));
            t.gathered += usize::from(covers(&gathered));
            t.bm25_2 += usize::from(covers(&b2));
            t.bm25_k += usize::from(covers(&bk));
            t.cited += cited.len();
        }
    }
    println!("split {split}, {} paragraphs, top-k {top_k}", titles.len());
    println!(
        "{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "type",
        "n",
        "cited-all",
        "cited-any",
        "gathered",
        "bm25@2",
        format!("bm25@{top_k}"),
        "cites"
    );
    let mut keys: Vec<_> = tallies.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let t = &tallies[&k];
        let pct = |x: usize| 100.0 * x as f64 / t.n.max(1) as f64;
        println!(
            "{:<12} {:>5} {:>9.1}% {:>9.1}% {:>9.1}% {:>9.1}% {:>9.1}% {:>7.2}",
            k,
            t.n,
            pct(t.ours),
            pct(t.ours_any),
            pct(t.gathered),
            pct(t.bm25_2),
            pct(t.bm25_k),
            t.cited as f64 / t.n.max(1) as f64
        );
    }
    Ok(())
}

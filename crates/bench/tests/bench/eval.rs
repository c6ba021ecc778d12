//! `catena-bench eval multihop`, `catena-bench eval mrfs` and `catena-bench bench-llm`: the
//! plumbing, on a tiny fixture written here (the shared evaluation data is never read by tests).

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::Bench;

/// Three dev records (a HotpotQA-style comparison and bridge, a MuSiQue-style record with
/// paragraph indices), one train record, and one line that is not JSON.
pub(crate) fn fixture(dir: &std::path::Path) -> PathBuf {
    let records = [
        json!({
            "dataset": "hotpotqa", "split": "dev", "type": "comparison",
            "question": "Which magazine was started first, Arthur's Magazine or First for Women?",
            "answer": "Arthur's Magazine", "answer_aliases": [],
            "context": [
                ["Arthur's Magazine", ["Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia."]],
                ["First for Women", ["First for Women is a woman's magazine published by Bauer Media Group in the USA.", " The magazine was started in 1989."]],
                ["Radio City (Indian radio station)", ["Radio City is India's first private FM radio station and was started on 3 July 2001."]]
            ],
            "supporting_titles": ["Arthur's Magazine", "First for Women"]
        }),
        json!({
            "dataset": "hotpotqa", "split": "dev", "type": "bridge",
            "question": "In which city was the founder of the Harrow Gazette born?",
            "answer": "Exeter",
            "context": [
                ["Harrow Gazette", ["The Harrow Gazette is a literary magazine founded in 1871 by Edith Marlow in Bristol."]],
                ["Edith Marlow", ["Edith Marlow (1839–1911) was an English editor and novelist.", "She was born in Exeter."]],
                ["Bristol", ["Bristol is a city in the south west of England."]]
            ],
            "supporting_titles": ["Harrow Gazette", "Edith Marlow"]
        }),
        json!({
            "dataset": "musique", "split": "dev", "type": "bridge",
            "question": "Which river flows through the town where the architect Ilse Brandt was born?",
            "answer": "Amsel", "answer_aliases": ["river Amsel"],
            "context": [
                ["Rostwick", ["Rostwick is a port town at the mouth of the river Amsel, known for its shipyards."]],
                ["Ilse Brandt", ["Ilse Brandt (1888–1960) was an architect born in Rostwick."]],
                ["Rostwick", ["Rostwick is also the name of a brand of rope."]]
            ],
            "supporting_titles": [],
            "supporting_paragraph_idx": [0, 1]
        }),
        json!({
            "dataset": "hotpotqa", "split": "train", "type": "bridge",
            "question": "Who designed the Corvane Observatory?",
            "answer": "Ilse Brandt",
            "context": [["Corvane Observatory", ["The Corvane Observatory was designed by Ilse Brandt."]]],
            "supporting_titles": ["Corvane Observatory"]
        }),
    ];
    let mut text: String = records.iter().map(|r| format!("{r}\n")).collect();
    text.push_str("{this line is not JSON\n");
    let path = dir.join("records.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

fn share(v: &Value) -> f64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((0.0..=1.0).contains(&x), "{x} is not a share");
    x
}

#[test]
fn eval_multihop_reports_sane_figures_and_counts_unreadable_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let c = Bench::new();
    let (code, v) = c.json(&["eval", "multihop", file.to_str().unwrap(), "--split", "dev", "--no-llm"]);
    assert_eq!(code, 0, "{v:#}");
    // Three dev records plus the unreadable line; the train record is left out.
    assert_eq!(v["questions"], 4, "{v:#}");
    assert_eq!(v["unreadable_lines"].as_array().unwrap().len(), 1, "{v:#}");
    assert!(v["errors"].as_u64().unwrap() >= 1, "the unreadable line is an error: {v:#}");
    assert_eq!(v["mode"], "extractive");
    // Nine paragraphs, all distinct (the two "Rostwick" paragraphs differ in text).
    assert_eq!(v["paragraphs"], 9, "{v:#}");
    assert_eq!(v["paragraphs_failed_to_index"], 0);
    let o = &v["overall"];
    assert_eq!(o["questions"], 4);
    assert_eq!(o["with_gold"], 3, "{o:#}");
    for key in ["em", "f1", "cited_all", "cited_any", "gathered_all"] {
        share(&o[key]);
    }
    let ks: Vec<u64> = o["bm25"].as_array().unwrap().iter().map(|b| b["k"].as_u64().unwrap()).collect();
    assert!(ks.contains(&2) && ks.contains(&3), "{ks:?}");
    for b in o["bm25"].as_array().unwrap() {
        share(&b["all_supporting"]);
    }
    assert!(v["matched_k"].as_u64().unwrap() >= 1);
    // A corpus of nine paragraphs: the engine finds both supporting paragraphs somewhere.
    assert!(share(&o["gathered_all"]) > 0.0, "{o:#}");
    let cost = &v["cost"];
    assert_eq!(cost["llm_calls_mean"], 0.0, "no model in extractive mode");
    assert!(cost["wall_ms_p95"].as_f64().unwrap() >= cost["wall_ms_p50"].as_f64().unwrap());
    assert!(cost["actions_mean"].as_f64().unwrap() >= 1.0, "{cost:#}");
    let types = v["by_type"].as_object().unwrap();
    assert_eq!(types["bridge"]["questions"], 2);
    assert_eq!(types["comparison"]["questions"], 1);
    assert_eq!(types["unreadable"]["errors"], 1);

    // --limit counts selected lines; human output is a table.
    let out = c.cmd().args(["eval", "multihop", file.to_str().unwrap(), "--limit", "1"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 questions, 0 errors"), "{text}");
    assert!(text.contains("BM25 question, top-2"), "{text}");
}

#[test]
fn eval_mrfs_gives_aurocs_for_both_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let c = Bench::new();
    let (code, v) = c.json(&["eval", "mrfs", file.to_str().unwrap(), "--split", "dev"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["records"], 4);
    assert_eq!(v["unreadable_lines"].as_array().unwrap().len(), 1);
    // The two bridge records pair with each other; the comparison record has no negative.
    assert_eq!(v["pairs"], 2, "{v:#}");
    assert_eq!(v["skipped_no_negative"], 1, "{v:#}");
    for f in ["ours", "released"] {
        share(&v[f]["auroc"]);
        share(&v[f]["accuracy"]);
    }
    assert_eq!(v["released"]["threshold"], 2.0);
    assert_eq!(v["ours"]["auroc"], 1.0, "Exeter and Amsel are told apart: {v:#}");
}

#[test]
fn bench_llm_meets_the_latency_bound_with_fewer_calls_than_react() {
    let c = Bench::new();
    // A latency well above scheduling noise, so a loaded CI machine does not eat the margin
    // between the engine's (depth + 1)·L and the (depth + 2)·L + 100 ms bound.
    let (code, v) = c.json(&["bench-llm", "--latency-ms", "250", "--questions", "2"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["questions"], 2);
    assert_eq!(v["llm_mode_runs"], 2, "the scripted model planned and answered: {v:#}");
    assert_eq!(v["all_within_bound"], true, "{v:#}");
    let rows = v["per_question"].as_array().unwrap();
    // The comparison: plan, one summary (the missing node), answer; ReAct searches three times
    // and finishes.
    assert_eq!(rows[0]["scenario"], "comparison");
    assert_eq!(rows[0]["depth"], 2);
    assert_eq!(rows[0]["engine_calls"], 3, "{v:#}");
    assert_eq!(rows[0]["react_calls"], 4, "{v:#}");
    assert_eq!(rows[0]["react_finished"], true);
    // ReAct is sequential: at least one latency per call.
    for r in rows {
        assert!(r["react_wall_ms"].as_f64().unwrap() >= 250.0 * r["react_calls"].as_f64().unwrap());
        assert!(r["engine_wall_ms"].as_f64().unwrap() <= r["bound_ms"].as_f64().unwrap());
    }
    assert_eq!(v["fewer_calls_than_react"], true, "{v:#}");
}

#[test]
fn bench_llm_in_agent_mode_reports_the_agent_next_to_the_chain_and_react() {
    let c = Bench::new();
    let (code, v) = c.json(&["bench-llm", "--latency-ms", "50", "--questions", "2", "--mode", "agent"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["questions"], 2);
    let agent = &v["agent"];
    for key in ["calls_mean", "tokens_mean", "actions_mean", "wall_ms_mean", "wall_ms_p50", "wall_ms_p95"] {
        assert!(agent[key].as_f64().is_some(), "{key}: {v:#}");
        assert!(v["engine"][key].as_f64().is_some() && v["react"][key].as_f64().is_some(), "{key}: {v:#}");
    }
    let rows = v["per_question"].as_array().unwrap();
    // The comparison: the agent searches what ReAct searches, one generation each, then answers
    // in one more; all in one turn.
    let a = &rows[0]["agent"];
    assert_eq!(a["mode"], "llm", "{v:#}");
    assert_eq!(a["answered"], true);
    assert_eq!(a["actions"], 3, "{v:#}");
    assert_eq!(a["calls"], 4, "{v:#}");
    assert_eq!(rows[0]["react_actions"], 3);
    for r in rows {
        let a = &r["agent"];
        assert!(a["wall_ms"].as_f64().unwrap() >= 50.0 * a["calls"].as_f64().unwrap(), "{r:#}");
        assert!(a["tokens"].as_u64().unwrap() > 0);
    }
    // Without --mode agent, no agent figures.
    let (code, v) = c.json(&["bench-llm", "--latency-ms", "10", "--questions", "1"]);
    assert_eq!(code, 0, "{v:#}");
    assert!(v.get("agent").is_none() && v["per_question"][0].get("agent").is_none(), "{v:#}");
}

#[test]
fn a_missing_input_file_is_one_json_error_with_the_code_io() {
    let dir = tempfile::tempdir().unwrap();
    let c = Bench::new();
    // A questions file that is not there.
    let missing = dir.path().join("missing.jsonl");
    let (code, v) = c.json(&["eval", "multihop", missing.to_str().unwrap(), "--split", "dev", "--no-llm"]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["error"]["code"], "io", "{v:#}");
    assert!(v["error"]["message"].as_str().unwrap().contains("missing.jsonl"), "{v:#}");
}

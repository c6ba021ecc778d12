//! `catena-bench eval multihop --mode agent` against a scripted reasoning model on loopback that
//! streams its turn in pieces and stops at the closing tag.

use std::process::Command;

use testkit::cli::stdout_json;
use testkit::openai::{Model, assistant_prefix as prefix, streamed};

use crate::Bench;

/// `catena-bench` with a placeholder model key, so no keyring is asked for one.
fn bench(c: &Bench) -> Command {
    let mut cmd = c.cmd();
    cmd.env("CATENA_LLM_API_KEY", "sk-placeholder");
    cmd
}

#[test]
fn eval_multihop_runs_and_scores_agent_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::eval::fixture(dir.path());
    // Two searches, one per magazine, then the answer.
    let model = Model::start(|_, r| {
        let done = prefix(r).matches("<search_result>").count();
        match done {
            0 => streamed(&["I need the founding years. <begin_search> Arthur's Magazine"]),
            1 => streamed(&["1844. <begin_search> First for Women started"]),
            _ => streamed(&["1844 is before 1989.\n</think>\n\n\\boxed{Arthur's Magazine}"]),
        }
    });
    let url = model.url();
    let c = Bench::new();
    let out = bench(&c)
        .args(["--json", "eval", "multihop", file.to_str().unwrap(), "--limit", "1", "--mode", "agent"])
        .args(["--llm-url", &url, "--model", "r1-distill"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    assert_eq!((v["run_mode"].as_str(), v["mode"].as_str()), (Some("agent"), Some("llm")), "{v:#}");
    assert_eq!(v["questions"], 1);
    assert_eq!(v["errors"], 0, "{v:#}");
    assert_eq!(v["llm_answers"], 1, "{v:#}");
    assert_eq!(v["overall"]["em"], 1.0, "{v:#}");
    assert_eq!(v["cost"]["actions_mean"], 2.0, "{v:#}");
    assert_eq!(v["cost"]["llm_calls_mean"], 3.0, "{v:#}");
    let seen = model.server.requests();
    assert_eq!(seen.len(), 3);
    assert!(prefix(&seen[2]).contains("<begin_search> First for Women started</end_search>"));

    // Agent mode without a model is refused before anything is indexed.
    let out = bench(&c).args(["eval", "multihop", file.to_str().unwrap(), "--mode", "agent"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("agent mode needs a language model"));
}

#[test]
fn eval_multihop_runs_agent_mode_end_to_end_against_a_model_server() {
    // Every question: one search for the question itself, then an answer.
    let model = Model::start(|_, r| {
        let turn = prefix(r);
        if turn.contains("<search_result>") {
            streamed(&["I have read the results.\n</think>\n", "\\boxed{Exeter}"])
        } else {
            streamed(&["Let me look. <begin_search> founder of the Harrow Gazette born"])
        }
    });
    let url = model.url();
    let dir = tempfile::tempdir().unwrap();
    let file = crate::eval::fixture(dir.path());
    let c = Bench::new();
    let (code, v) = c.json(&[
        "eval",
        "multihop",
        file.to_str().unwrap(),
        "--mode",
        "agent",
        "--llm-url",
        &url,
        "--model",
        "r1-distill",
        "--limit",
        "3",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["run_mode"], "agent", "{v:#}");
    assert_eq!(v["questions"], 3);
    assert_eq!(v["errors"], 0, "{v:#}");
    assert_eq!(v["llm_answers"], 3, "{v:#}");
    assert_eq!(v["cost"]["llm_calls_mean"], 2.0, "{v:#}");
    assert_eq!(v["cost"]["actions_mean"], 1.0, "{v:#}");
    // The scripted answer is right for the Harrow Gazette question only.
    assert!(v["overall"]["em"].as_f64().unwrap() > 0.0, "{v:#}");
    assert_eq!(model.server.requests().len(), 6);
}

//! `catena ask --mode agent` on a real library, against a scripted OpenAI-compatible server on
//! loopback that streams a reasoning model's turn in pieces and stops at the closing tag.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::openai::{Model, assistant_prefix as prefix, chunk, streamed};
use testkit::{End, Recorded, Reply};

use crate::ask::{catena, library, stdout_json};

#[test]
fn an_agent_run_searches_from_its_thinking_and_its_answer_is_cited_and_kept() {
    let (_files, c) = library();
    let model = Model::start(|n, _| match n {
        0 => streamed(&[
            "Hmm, I do not know their schedule. Let me look it up. <begin_",
            "search> when do xylophone",
            " orchestras rehearse",
        ]),
        _ => streamed(&[
            "The result says Tuesdays.\n</think>\n\n",
            "\\boxed{Xylophone orchestras rehearse on Tuesdays. ",
            "They also rehearse on the moon [9].}",
        ]),
    });
    let url = model.url();
    let q = "When do the xylophone orchestras rehearse?";
    let out = catena(&c)
        .args(["--json", "ask", "--mode", "agent", "--llm-url", &url, "--model", "r1-distill", q])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = stdout_json(&out);

    assert_eq!((r["run_mode"].as_str(), r["mode"].as_str()), (Some("agent"), Some("llm")), "{r:#}");
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{r:#}");
    assert_eq!(nodes[0]["action"], "knowledge_base");
    assert_eq!(nodes[0]["sub_question"], "when do xylophone orchestras rehearse");
    assert_eq!(nodes[0]["status"], "done");

    // The model gave no marker: the sentence is cited by the passage that says it; the invented
    // one is dropped and its sentence listed, not cited.
    let cited = r["citations"].as_array().unwrap();
    assert_eq!(cited.len(), 1, "{r:#}");
    let id = cited[0]["evidence_id"].as_u64().unwrap();
    assert_eq!(cited[0]["verdict"], "supported");
    let evidence = r["evidence"].as_array().unwrap().iter().find(|e| e["id"].as_u64() == Some(id)).unwrap();
    assert_eq!(evidence["kind"], "document");
    assert!(evidence["text"].as_str().unwrap().contains("Tuesdays"), "{evidence:#}");
    assert_eq!(
        r["answer"].as_str().unwrap(),
        format!("Xylophone orchestras rehearse on Tuesdays [{id}]. They also rehearse on the moon.")
    );
    assert_eq!(r["unsupported_sentences"], json!(["They also rehearse on the moon."]));

    // One turn over two streamed completions: the second continues the first with the result.
    let seen = model.server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.json()["stream"] == true && s.json()["stop"][0] == "</end_search>"));
    let second = prefix(&seen[1]);
    assert!(
        second.contains(
            "<begin_search> when do xylophone orchestras rehearse</end_search>\n\n<search_result> result 1: \""
        ),
        "{second}"
    );
    assert!(second.contains("Tuesdays"), "{second}");
    assert_eq!(r["usage"]["llm_calls"], 2);
    assert_eq!(r["usage"]["calls"][0]["purpose"], "agent");
    assert!(r["plan_raw"].as_str().unwrap().contains("</think>"));

    // The history keeps it as it was printed.
    let run_id = r["run_id"].as_str().unwrap();
    let shown = catena(&c).args(["--json", "show", run_id]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&shown.stdout), String::from_utf8_lossy(&out.stdout));
    let human = String::from_utf8_lossy(&catena(&c).args(["show", run_id]).output().unwrap().stdout).into_owned();
    assert!(human.contains("· agent · 1 action ·"), "{human}");
}

#[test]
fn chain_stays_the_default_and_agent_mode_needs_a_model() {
    let (_files, c) = library();
    let out =
        catena(&c).args(["--json", "ask", "--no-llm", "When do xylophone orchestras rehearse?"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["run_mode"], "chain");

    let out = catena(&c).args(["ask", "--mode", "agent", "--no-llm", "When do they rehearse?"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("agent mode needs a language model"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn ctrl_c_while_the_agent_thinks_stores_nothing() {
    let (_files, c) = library();
    let model = Model::start(|_, _| {
        Reply::sse(
            vec![
                chunk(json!({"role": "assistant", "content": ""}), None),
                chunk(json!({"content": "Let me think about orchestras"}), None),
            ],
            End::Stall,
        )
    });
    let url = model.url();
    let child = catena(&c)
        .args(["--json", "ask", "--mode", "agent", "--llm-url", &url, "--model", "r1-distill", "Who conducts?"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while model.server.requests().is_empty() {
        assert!(Instant::now() < deadline, "the model request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let runs = catena(&c).args(["--json", "runs"]).output().unwrap();
    assert_eq!(stdout_json(&runs), json!([]));
}

#[test]
fn a_model_that_fails_midway_says_so_and_keeps_what_it_found() {
    let (_files, c) = library();
    let model = Model::start(|n, _| match n {
        0 => streamed(&["<begin_search> xylophone orchestras rehearse"]),
        _ => Reply::json(400, r#"{"error":{"message":"context length exceeded","type":"invalid_request_error"}}"#),
    });
    let url = model.url();
    let out = catena(&c)
        .args(["ask", "--mode", "agent", "--llm-url", &url, "--model", "r1-distill", "When do they rehearse?"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("no answer: the language model failed before answering"), "{text}");
    assert!(text.contains("· agent · 1 action ·"), "{text}");
}

/// The `[start, end)` char range of `text`.
fn chars(text: &str, span: &Value) -> String {
    let (start, end) = (span["start"].as_u64().unwrap() as usize, span["end"].as_u64().unwrap() as usize);
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn agent_runs_export_as_training_trajectories_with_their_observations_marked() {
    let (_files, c) = library();
    let model = Model::start(|n, _| match n % 3 {
        0 => streamed(&["Let me look it up. <begin_search> when do xylophone orchestras rehearse"]),
        1 => streamed(&["Tuesdays, it says. Now the tubas. <begin_search> tuba orchestras rehearse"]),
        _ => streamed(&["Good.\n</think>\n\n\\boxed{On Tuesdays.}"]),
    });
    let url = model.url();
    let mut ids = Vec::new();
    for q in ["When do the xylophone orchestras rehearse?", "When do orchestras rehearse?"] {
        let out = catena(&c)
            .args(["--json", "ask", "--mode", "agent", "--llm-url", &url, "--model", "r1-distill", q])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        ids.push(stdout_json(&out)["run_id"].as_str().unwrap().to_owned());
    }
    let chain = catena(&c).args(["--json", "ask", "--no-llm", "When do orchestras rehearse?"]).output().unwrap();
    let chain_id = stdout_json(&chain)["run_id"].as_str().unwrap().to_owned();

    // One run: one object, whose spans are exactly the two injected observation blocks.
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.jsonl");
    let out =
        catena(&c).args(["export", &ids[0], "--format", "autocoa", "-o", one.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&one).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let t: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(t["run_id"], ids[0].as_str());
    assert_eq!(t["question"], "When do the xylophone orchestras rehearse?");
    assert_eq!(t["actions"], 2);
    let traj = t["trajectory"].as_str().unwrap();
    assert!(traj.starts_with("<think>\n") && traj.ends_with("\\boxed{On Tuesdays.}"), "{traj}");
    let spans = t["observations"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "{t:#}");
    assert_eq!(traj.matches("<search_result>").count(), 2);
    for s in spans {
        let block = chars(traj, s);
        assert!(block.starts_with("<search_result> ") && block.ends_with(" </search_result>"), "{block:?}");
        assert_eq!(block.matches("search_result>").count(), 2, "one block: {block:?}");
    }
    assert!(chars(traj, &spans[0]).contains("Tuesdays"), "{t:#}");
    // Between the blocks is the model's own text: its second request.
    let between: String = traj
        .chars()
        .skip(spans[0]["end"].as_u64().unwrap() as usize)
        .take((spans[1]["start"].as_u64().unwrap() - spans[0]["end"].as_u64().unwrap()) as usize)
        .collect();
    assert!(between.contains("<begin_search> tuba orchestras rehearse</end_search>"), "{between:?}");
    assert_eq!(t["messages"][1]["content"], traj);

    // Many runs: JSONL, one object per run, in the order asked.
    let many = dir.path().join("many.jsonl");
    let list = format!("{},{}", ids[1], ids[0]);
    let out = catena(&c)
        .args(["--json", "export", "--runs", &list, "--format", "autocoa", "-o", many.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout_json(&out)["runs"], 2);
    let lines: Vec<Value> =
        std::fs::read_to_string(&many).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(|l| l["run_id"].as_str().unwrap()).collect::<Vec<_>>(), [&ids[1], &ids[0]]);

    // Every agent run: the chain run is left out; oldest first.
    let out = catena(&c).args(["export", "--all-agent", "--format", "autocoa"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let all: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(all.iter().map(|l| l["run_id"].as_str().unwrap()).collect::<Vec<_>>(), [&ids[0], &ids[1]]);

    // A chain run has no trajectory: refused, and nothing is written.
    let refused = dir.path().join("refused.jsonl");
    let list = format!("{},{chain_id}", ids[0]);
    let out = catena(&c)
        .args(["export", "--runs", &list, "--format", "autocoa", "-o", refused.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("answered by the chain, not by an agent"), "{stderr}");
    assert!(!refused.exists());
}

// ---- native tool calls and predicted observations ----

/// A streamed assistant message that calls `search_library`, its arguments in two pieces.
fn tool_call(id: &str, query: &str) -> Reply {
    let args = json!({ "query": query }).to_string();
    let (a, b) = args.split_at(args.len() / 2);
    let call = |piece: Value| chunk(json!({"tool_calls": [piece]}), None);
    Reply::sse(
        vec![
            chunk(json!({"role": "assistant", "content": "I should check the schedule."}), None),
            call(
                json!({"index": 0, "id": id, "type": "function", "function": {"name": "search_library", "arguments": a}}),
            ),
            call(json!({"index": 0, "function": {"arguments": b}})),
            chunk(json!({}), Some("tool_calls")),
            "data: [DONE]\n\n".to_owned(),
        ],
        End::Finish,
    )
}

/// A whole (not streamed) completion, as the prediction call asks for.
fn completion(text: &str) -> Reply {
    let body = json!({
        "id": "chatcmpl-8", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 90, "completion_tokens": 12, "total_tokens": 102}
    });
    Reply::json(200, body.to_string())
}

/// Whether a request is the short prediction call (its own system prompt).
fn is_prediction(r: &Recorded) -> bool {
    r.json()["messages"][0]["content"].as_str().unwrap_or_default().starts_with("You predict what a search will find.")
}

#[test]
fn auto_uses_tool_calls_for_a_function_calling_model_and_the_answer_is_cited() {
    let (_files, c) = library();
    let model = Model::start(|n, _| match n {
        0 => tool_call("call_1", "xylophone orchestras rehearse"),
        _ => streamed(&["\\boxed{Xylophone orchestras ", "rehearse on Tuesdays.}"]),
    });
    let url = model.url();
    let q = "When do the xylophone orchestras rehearse?";
    let out = catena(&c)
        .args(["--json", "ask", "--mode", "agent", "--llm-url", &url, "--model", "gpt-4o-mini", q])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = stdout_json(&out);
    assert_eq!(r["agent_protocol"], "tools", "{r:#}");
    assert_eq!(r["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(r["nodes"][0]["sub_question"], "xylophone orchestras rehearse");
    let cited = r["citations"].as_array().unwrap();
    assert_eq!(cited.len(), 1, "{r:#}");
    assert_eq!(cited[0]["verdict"], "supported");
    let seen = model.server.requests();
    assert_eq!(seen[0].json()["tools"][0]["function"]["name"], "search_library");
    let second = seen[1].json();
    let tool = second["messages"].as_array().unwrap().iter().find(|m| m["role"] == "tool").cloned().unwrap();
    assert_eq!(tool["tool_call_id"], "call_1");
    assert!(tool["content"].as_str().unwrap().contains("Tuesdays"), "{tool:#}");

    // The same model with --agent-protocol tags gets the tags: no tools in the request.
    let tags = Model::start(|_, _| streamed(&["\n</think>\n\\boxed{On Tuesdays.}"]));
    let url = tags.url();
    let out = catena(&c)
        .args(["--json", "ask", "--mode", "agent", "--agent-protocol", "tags", "--llm-url", &url])
        .args(["--model", "gpt-4o-mini", q])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout_json(&out)["agent_protocol"], "tags");
    assert!(tags.server.requests()[0].json().get("tools").is_none());
}

#[test]
fn a_prediction_the_library_contradicts_is_shown_and_recorded() {
    let (_files, c) = library();
    let model = Model::start(|n, r| {
        if is_prediction(r) {
            return completion("Xylophone orchestras rehearse on Saturday mornings in the park.");
        }
        // Generations after the prediction call are numbered one higher.
        match n {
            0 => tool_call("call_1", "xylophone orchestras rehearse"),
            _ => streamed(&["\\boxed{Xylophone orchestras rehearse on Tuesdays.}"]),
        }
    });
    let url = model.url();
    let out = catena(&c)
        .args(["ask", "--mode", "agent", "--agent-protocol", "tools", "--observations", "predict"])
        .args(["--llm-url", &url, "--model", "gpt-4o-mini", "When do the xylophone orchestras rehearse?"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Predicted observations:"), "{stdout}");
    assert!(stdout.contains("the model expected \"Xylophone orchestras rehearse on Saturday mornings"), "{stdout}");
    assert!(stdout.contains("the library says \""), "{stdout}");
    assert!(stderr.contains("the model expected"), "{stderr}");
    assert!(stdout.contains("agent (tool calls)"), "{stdout}");

    let run_id = stdout.lines().last().and_then(|l| l.split_whitespace().nth(1)).unwrap().to_owned();
    let (code, r) = c.json(&["show", &run_id]);
    assert_eq!(code, 0);
    assert_eq!(r["observations"], "predict");
    assert_eq!(r["predictions"][0]["disagrees"], true, "{r:#}");
    assert!(r["usage"]["calls"].as_array().unwrap().iter().any(|c| c["purpose"] == "predict"));
}

#[test]
fn a_predicted_only_run_looks_nothing_up_and_cites_nothing() {
    let (_files, c) = library();
    let model = Model::start(|_, r| {
        if is_prediction(r) {
            return completion("Xylophone orchestras rehearse on Tuesdays.");
        }
        let body = r.json();
        let answered = body["messages"].as_array().unwrap().iter().any(|m| m["role"] == "tool");
        if answered {
            streamed(&["\\boxed{Xylophone orchestras rehearse on Tuesdays [1].}"])
        } else {
            tool_call("call_1", "xylophone orchestras rehearse")
        }
    });
    let url = model.url();
    let out = catena(&c)
        .args(["--json", "ask", "--mode", "agent", "--agent-protocol", "tools", "--observations", "predicted-only"])
        .args(["--llm-url", &url, "--model", "gpt-4o-mini", "When do the xylophone orchestras rehearse?"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = stdout_json(&out);
    assert_eq!(r["observations"], "predicted_only");
    assert_eq!(r["evidence"], json!([]), "{r:#}");
    assert_eq!(r["citations"], json!([]));
    assert_eq!(r["nodes"][0]["status"], "skipped");
    assert_eq!(r["predictions"][0]["used_as_observation"], true);
    assert_eq!(r["answer"], "Xylophone orchestras rehearse on Tuesdays.");
    assert_eq!(r["unsupported_sentences"], json!(["Xylophone orchestras rehearse on Tuesdays."]));
}

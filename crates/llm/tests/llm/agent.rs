//! Agent mode through the OpenAI-compatible client: each generation is a streamed completion that
//! continues the partial assistant message, stopped at an action's closing tag, as a server that
//! honours stop sequences sends it (the tag itself left out, `finish_reason: "stop"`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::run::{RunMode, Verdict};
use engine::testing::{FakeCorpus, FixedClock};
use engine::{CancellationToken, Engine, EngineConfig, EngineError, Ports};
use llm::OpenAiCompatible;
use serde_json::{Value, json};

use crate::fast;
use crate::openai::chunk;
use crate::server::{End, Recorded, Reply, Server};

const QUESTION: &str = "When did Arthur's Magazine start?";

/// A streamed completion in realistic pieces: a role chunk, the text split mid-word and mid-tag,
/// the finish reason, the usage chunk, `[DONE]`.
fn streamed(pieces: &[&str], completion_tokens: u64) -> Reply {
    let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    chunks.extend(pieces.iter().map(|p| chunk(json!({"content": p}), None)));
    chunks.push(chunk(json!({}), Some("stop")));
    let usage = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1741569952, "model": "r1-distill",
        "choices": [], "usage": {"prompt_tokens": 700, "completion_tokens": completion_tokens}
    });
    chunks.push(format!("data: {usage}\r\n\r\n"));
    chunks.push("data: [DONE]\r\n\r\n".to_owned());
    Reply::sse(chunks, End::Finish)
}

fn client(server: &Server) -> OpenAiCompatible {
    OpenAiCompatible::new(&format!("{}/v1", server.url()), "r1-distill", None, fast()).expect("client")
}

pub(crate) fn library() -> FakeCorpus {
    FakeCorpus::new()
        .doc(
            "Arthur's Magazine",
            "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia.",
        )
        .doc(
            "First for Women",
            "First for Women is a woman's magazine published by Bauer Media Group. It was started in 1989.",
        )
}

fn agent() -> EngineConfig {
    EngineConfig { run_mode: RunMode::Agent, ..EngineConfig::default() }
}

/// The partial assistant message a request continues.
fn prefix(r: &Recorded) -> String {
    let body = r.json();
    let messages = body["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "assistant", "{body:#}");
    last["content"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_agent_turn_is_continued_across_streamed_completions() {
    let server = Server::start(|n, _| match n {
        0 => streamed(
            &["Okay, I am not sure when it ", "started. <beg", "in_search> Arthur's Magazine", " founded "],
            18,
        ),
        _ => streamed(
            &[
                "The result says 1844.\n</think>\n\n",
                "It started in 1844.\n\\boxed{Arthur's Magazine ",
                "started in 1844 [1].}",
            ],
            25,
        ),
    })
    .await;
    let corpus = Arc::new(library());
    let ports = Ports::new(corpus.clone(), Arc::new(FixedClock(0))).with_llm(Arc::new(client(&server)));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let r = Engine::new(agent(), ports).ask(QUESTION, &tx, &CancellationToken::new()).await.expect("a record");

    assert_eq!(corpus.queries(), ["Arthur's Magazine founded"]);
    assert_eq!(r.answer, "Arthur's Magazine started in 1844 [1].");
    let verdicts: Vec<(u32, Verdict)> = r.citations.iter().map(|c| (c.evidence_id, c.verdict)).collect();
    assert_eq!(verdicts, [(1, Verdict::Supported)]);
    assert_eq!((r.usage.llm_calls, r.usage.completion_tokens, r.usage.prompt_tokens), (2, 43, 1400));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let body: Value = r.json();
        assert_eq!(body["stream"], true);
        assert_eq!(body["stop"], json!(["</end_search>", "</end_web_search>", "</end_table_query>"]));
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        assert!(body["messages"][1]["content"].as_str().unwrap().contains(QUESTION));
    }
    assert_eq!(requests[0].json()["max_tokens"], 12288);
    assert_eq!(requests[1].json()["max_tokens"], 12288 - 18, "the budget shrinks by what was spent");
    assert_eq!(prefix(&requests[0]), "<think>");
    let second = prefix(&requests[1]);
    assert!(
        second.starts_with(
            "<think>\nOkay, I am not sure when it started. <begin_search> Arthur's Magazine founded</end_search>\n\n<search_result> result 1: \"Arthur's Magazine\"\nArthur's Magazine (1844–1846)"
        ),
        "{second}"
    );
    assert!(second.ends_with("</search_result>"), "{second}");
}

#[tokio::test]
async fn cancelling_while_the_model_streams_its_thinking_ends_the_run_without_a_record() {
    let server = Server::start(|_, _| {
        Reply::sse(
            vec![
                chunk(json!({"role": "assistant", "content": ""}), None),
                chunk(json!({"content": "Let me think about this for a long"}), None),
            ],
            End::Stall,
        )
    })
    .await;
    let token = CancellationToken::new();
    let llm = client(&server).with_cancel(token.clone());
    let ports = Ports::new(Arc::new(library()), Arc::new(FixedClock(0))).with_llm(Arc::new(llm));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let canceller = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            token.cancel();
        })
    };
    let started = Instant::now();
    let result = Engine::new(agent(), ports).ask(QUESTION, &tx, &token).await;
    canceller.await.unwrap();
    assert_eq!(result.err(), Some(EngineError::Cancelled));
    assert!(started.elapsed() < Duration::from_millis(900), "took {:?}", started.elapsed());
    assert_eq!(server.requests().len(), 1);
}

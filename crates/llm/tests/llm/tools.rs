//! Agent mode over native tool calls, through each client against a server that speaks the
//! provider's streamed wire format: tool calls whose arguments arrive in pieces, one result per
//! call sent back in the provider's shape, and the answer.

use std::sync::Arc;
use std::time::Duration;

use engine::run::{Action, AgentProtocol, RunMode, Verdict};
use engine::testing::FixedClock;
use engine::{CancellationToken, Engine, EngineConfig, EngineError, Ports, RunRecord};
use llm::{Anthropic, Ollama, OpenAiCompatible};
use serde_json::{Value, json};

use crate::agent::library;
use crate::anthropic::{event, message_start, text_delta};
use crate::fast;
use crate::openai::chunk;
use crate::server::{End, Recorded, Reply, Server};

const QUESTION: &str = "Which magazine was started first, Arthur's Magazine or First for Women?";
const ANSWER: &str = "Arthur's Magazine was started first, in 1844 [1]. First for Women was started in 1989 [2].";

/// A server whose model searches twice (call ids `call_a`, `call_b`), then answers.
async fn two_searches(call: fn(&str, &str) -> Reply, text: fn(&str) -> Reply) -> Server {
    Server::start(move |n, _| match n {
        0 => call("call_a", "Arthur's Magazine founded"),
        1 => call("call_b", "First for Women started"),
        _ => text(&format!("\\boxed{{{ANSWER}}}")),
    })
    .await
}

fn tools() -> EngineConfig {
    EngineConfig { run_mode: RunMode::Agent, agent_protocol: AgentProtocol::Tools, ..EngineConfig::default() }
}

async fn ask(llm: Arc<dyn engine::ports::Llm>, config: EngineConfig) -> Result<RunRecord, EngineError> {
    ask_cancel(llm, config, &CancellationToken::new()).await
}

async fn ask_cancel(
    llm: Arc<dyn engine::ports::Llm>,
    config: EngineConfig,
    cancel: &CancellationToken,
) -> Result<RunRecord, EngineError> {
    let ports = Ports::new(Arc::new(library()), Arc::new(FixedClock(0))).with_llm(llm);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    Engine::new(config, ports).ask(QUESTION, &tx, cancel).await
}

/// Checks a finished two-search run.
fn assert_two_searches(r: &RunRecord) {
    assert_eq!(r.agent_protocol, Some(AgentProtocol::Tools));
    assert_eq!(r.nodes.len(), 2, "{r:#?}");
    assert!(r.nodes.iter().all(|n| n.action == Action::KnowledgeBase));
    assert_eq!(r.nodes[0].sub_question, "Arthur's Magazine founded");
    assert_eq!(r.nodes[1].sub_question, "First for Women started");
    assert_eq!(r.answer, ANSWER);
    let verdicts: Vec<(u32, Verdict)> = r.citations.iter().map(|c| (c.marker, c.verdict)).collect();
    assert_eq!(verdicts, [(1, Verdict::Supported), (2, Verdict::Supported)]);
    assert_eq!(r.usage.llm_calls, 3);
}

// ---- OpenAI chat completions ----

/// A streamed assistant message that calls `search_library` with `query`, the arguments split
/// into three pieces.
fn openai_call(id: &str, query: &str) -> Reply {
    let args = json!({ "query": query }).to_string();
    let (a, rest) = args.split_at(5);
    let (b, c) = rest.split_at(rest.len() / 2);
    Reply::sse(openai_call_chunks(id, &[a, b, c]), End::Finish)
}

fn openai_call_chunks(id: &str, pieces: &[&str]) -> Vec<String> {
    let mut chunks = vec![chunk(json!({"role": "assistant", "content": "Let me look that up."}), None)];
    chunks.push(chunk(
        json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": "search_library", "arguments": ""}}]}),
        None,
    ));
    for p in pieces {
        chunks.push(chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}), None));
    }
    chunks.push(chunk(json!({}), Some("tool_calls")));
    chunks.push("data: [DONE]\r\n\r\n".to_owned());
    chunks
}

fn openai_text(text: &str) -> Reply {
    let (a, b) = text.split_at(text.len() / 2);
    Reply::sse(
        vec![
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({"content": a}), None),
            chunk(json!({"content": b}), None),
            chunk(json!({}), Some("stop")),
            "data: [DONE]\r\n\r\n".to_owned(),
        ],
        End::Finish,
    )
}

fn openai(server: &Server) -> Arc<dyn engine::ports::Llm> {
    Arc::new(OpenAiCompatible::new(&format!("{}/v1", server.url()), "gpt-4o-mini", None, fast()).unwrap())
}

#[tokio::test]
async fn openai_streamed_tool_calls_run_and_their_results_go_back_as_tool_messages() {
    let server = two_searches(openai_call, openai_text).await;
    let r = ask(openai(&server), tools()).await.expect("a record");
    assert_two_searches(&r);
    let requests = server.requests();
    let first = requests[0].json();
    assert_eq!(first["tools"][0]["type"], "function");
    assert_eq!(first["tools"][0]["function"]["name"], "search_library");
    assert_eq!(first["tools"][0]["function"]["parameters"]["required"], json!(["query"]));
    assert!(first.get("tool_choice").is_none());
    assert_eq!(first["stream"], true);
    let third = requests[2].json();
    let messages = third["messages"].as_array().unwrap();
    let calls: Vec<&Value> = messages.iter().filter(|m| m.get("tool_calls").is_some()).collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["tool_calls"][0]["id"], "call_a");
    assert_eq!(calls[0]["tool_calls"][0]["function"]["arguments"], r#"{"query":"Arthur's Magazine founded"}"#);
    let results: Vec<&Value> = messages.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(results[0]["tool_call_id"], "call_a");
    assert!(results[0]["content"].as_str().unwrap().starts_with("result 1: \"Arthur's Magazine\""));
    assert_eq!(results[1]["tool_call_id"], "call_b");
}

#[tokio::test]
async fn openai_broken_argument_json_is_answered_not_fatal() {
    let server = Server::start(|n, _| match n {
        0 => Reply::sse(openai_call_chunks("call_x", &["{\"query\": \"Arthur", "'s Maga"]), End::Finish),
        _ => openai_text("\\boxed{I could not search.}"),
    })
    .await;
    let r = ask(openai(&server), tools()).await.expect("a record");
    assert!(r.nodes.is_empty());
    assert_eq!(r.answer, "I could not search.");
    let second = server.requests()[1].json();
    let result = second["messages"].as_array().unwrap().iter().find(|m| m["role"] == "tool").cloned().unwrap();
    assert_eq!(result["tool_call_id"], "call_x");
    assert!(result["content"].as_str().unwrap().starts_with("The arguments were invalid: they are not valid JSON"));
}

#[tokio::test]
async fn openai_cancelling_mid_generation_ends_the_run_without_a_record() {
    let server = Server::start(|n, _| match n {
        0 => openai_call("call_a", "Arthur's Magazine founded"),
        // The second generation streams a little thinking, then hangs.
        _ => Reply::sse(vec![chunk(json!({"role": "assistant", "content": "Hmm, "}), None)], End::Stall),
    })
    .await;
    let cancel = CancellationToken::new();
    let llm: Arc<dyn engine::ports::Llm> = Arc::new(
        OpenAiCompatible::new(&format!("{}/v1", server.url()), "gpt-4o-mini", None, fast())
            .unwrap()
            .with_cancel(cancel.clone()),
    );
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c2.cancel();
    });
    let started = std::time::Instant::now();
    let result = ask_cancel(llm, tools(), &cancel).await;
    assert_eq!(result, Err(EngineError::Cancelled));
    assert!(started.elapsed() < Duration::from_millis(900), "cancelled before the idle timeout");
    assert_eq!(server.requests().len(), 2);
}

// ---- Anthropic messages ----

/// A streamed message whose first (text) block is `text`, followed by `rest`.
fn anthropic_message(text: &str, rest: Vec<String>) -> Reply {
    let mut events = vec![
        message_start(),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        text_delta(text),
    ];
    events.extend(rest);
    Reply::sse(events, End::Finish)
}

fn anthropic_call(id: &str, query: &str) -> Reply {
    let args = json!({ "query": query }).to_string();
    let (a, b) = args.split_at(9);
    anthropic_message(
        "I will search.",
        vec![
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": id, "name": "search_library", "input": {}}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": a}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": b}}),
            ),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 1})),
            event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 40}}),
            ),
            event("message_stop", json!({"type": "message_stop"})),
        ],
    )
}

fn anthropic_text(text: &str) -> Reply {
    anthropic_message(
        text,
        vec![
            event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 30}}),
            ),
            event("message_stop", json!({"type": "message_stop"})),
        ],
    )
}

#[tokio::test]
async fn anthropic_streamed_tool_use_runs_and_results_go_back_as_tool_result_blocks() {
    let server = two_searches(anthropic_call, anthropic_text).await;
    let llm: Arc<dyn engine::ports::Llm> =
        Arc::new(Anthropic::new(&server.url(), "claude-sonnet-4-5", None, fast()).unwrap());
    let r = ask(llm, tools()).await.expect("a record");
    assert_two_searches(&r);
    let requests = server.requests();
    let first = requests[0].json();
    assert_eq!(first["tools"][0]["name"], "search_library");
    assert_eq!(first["tools"][0]["input_schema"]["type"], "object");
    let third = requests[2].json();
    let messages = third["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"], "the sides alternate");
    assert_eq!(messages[1]["content"][0], json!({"type": "text", "text": "I will search."}));
    assert_eq!(
        messages[1]["content"][1],
        json!({"type": "tool_use", "id": "call_a", "name": "search_library", "input": {"query": "Arthur's Magazine founded"}})
    );
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
    assert_eq!(messages[2]["content"][0]["tool_use_id"], "call_a");
    assert!(messages[2]["content"][0]["content"].as_str().unwrap().starts_with("result 1:"));
    assert_eq!(messages[4]["content"][0]["tool_use_id"], "call_b");
}

// ---- Ollama /api/chat ----

fn ollama_line(message: Value, done: bool) -> String {
    let mut obj = json!({"model": "qwen3", "created_at": "2025-06-01T10:00:00Z", "message": message, "done": done});
    if done {
        obj["done_reason"] = json!("stop");
        obj["prompt_eval_count"] = json!(120);
        obj["eval_count"] = json!(30);
    }
    format!("{obj}\n")
}

/// Ollama sends no call ids.
fn ollama_call(_id: &str, query: &str) -> Reply {
    Reply::ndjson(
        vec![
            ollama_line(json!({"role": "assistant", "content": "Searching."}), false),
            ollama_line(
                json!({"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "search_library", "arguments": {"query": query}}}]}),
                false,
            ),
            ollama_line(json!({"role": "assistant", "content": ""}), true),
        ],
        End::Finish,
    )
}

fn ollama_text(text: &str) -> Reply {
    Reply::ndjson(
        vec![
            ollama_line(json!({"role": "assistant", "content": text}), false),
            ollama_line(json!({"role": "assistant", "content": ""}), true),
        ],
        End::Finish,
    )
}

#[tokio::test]
async fn ollama_tool_calls_run_and_results_go_back_as_tool_messages() {
    let server = two_searches(ollama_call, ollama_text).await;
    let llm: Arc<dyn engine::ports::Llm> = Arc::new(Ollama::new(&server.url(), "qwen3", None, fast()).unwrap());
    let r = ask(llm, tools()).await.expect("a record");
    assert_two_searches(&r);
    let requests: Vec<Recorded> = server.requests();
    assert_eq!(requests[0].route(), "/api/chat");
    let first = requests[0].json();
    assert_eq!(first["tools"][0]["function"]["name"], "search_library");
    let third = requests[2].json();
    let messages = third["messages"].as_array().unwrap();
    let call = messages.iter().find(|m| m.get("tool_calls").is_some()).unwrap();
    assert_eq!(call["tool_calls"][0]["function"]["arguments"], json!({"query": "Arthur's Magazine founded"}));
    let result = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(result["tool_name"], "search_library");
    assert!(result["content"].as_str().unwrap().starts_with("result 1:"));
}

// ---- reasoning sent apart from the text ----

#[tokio::test]
async fn reasoning_sent_apart_from_the_text_is_thinking_with_tools_and_left_out_without() {
    let reasoning = |text: &str| chunk(json!({"reasoning_content": text}), None);
    let server = Server::start(move |n, _| match n {
        0 => {
            let mut chunks = vec![reasoning("I need the "), reasoning("founding year.")];
            chunks.extend(openai_call_chunks("call_a", &[r#"{"query": "Arthur's Magazine founded"}"#]));
            Reply::sse(chunks, End::Finish)
        }
        1 => Reply::sse(
            vec![
                reasoning("1844 it is."),
                chunk(json!({"content": "\\boxed{Arthur's Magazine began in 1844 [1].}"}), None),
                chunk(json!({}), Some("stop")),
                "data: [DONE]\r\n\r\n".to_owned(),
            ],
            End::Finish,
        ),
        // A plain completion (no tools): the reasoning is not part of the text.
        _ => Reply::sse(
            vec![
                reasoning("Hmm."),
                chunk(json!({"content": "{\"ok\": true}"}), None),
                chunk(json!({}), Some("stop")),
                "data: [DONE]\r\n\r\n".to_owned(),
            ],
            End::Finish,
        ),
    })
    .await;
    let ports = Ports::new(Arc::new(library()), Arc::new(FixedClock(0))).with_llm(openai(&server));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let r = Engine::new(tools(), ports).ask(QUESTION, &tx, &CancellationToken::new()).await.expect("a record");
    drop(tx);
    let mut thinking = String::new();
    while let Some(e) = rx.recv().await {
        if let engine::run::Event::ThinkingDelta { text } = e {
            thinking.push_str(&text);
        }
    }
    assert!(thinking.contains("I need the founding year.") && thinking.contains("1844 it is."), "{thinking}");
    assert!(!thinking.contains("<think>") && !thinking.contains("boxed"), "{thinking}");
    assert_eq!(r.answer, "Arthur's Magazine began in 1844 [1].");
    // The reasoning went back with the call as the assistant message's text.
    let second = server.requests()[1].json();
    let call = second["messages"].as_array().unwrap().iter().find(|m| m.get("tool_calls").is_some()).cloned().unwrap();
    assert_eq!(call["content"], "<think>I need the founding year.</think>Let me look that up.");

    let request =
        engine::ports::ChatRequest { messages: vec![engine::ports::Message::user("hi")], ..Default::default() };
    let plain = openai(&server).complete(&request, Some(&|_: &str| {})).await.expect("a completion");
    assert_eq!(plain.content, "{\"ok\": true}");
}

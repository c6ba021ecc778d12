use engine::ports::{ChatRequest, Llm, LlmError, Message, Usage};
use llm::Anthropic;
use serde_json::json;

use crate::server::{End, Reply, Server};
use crate::{KEY, assert_no_key, fast, key, question, recorder};

pub(crate) fn event(name: &str, data: serde_json::Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub(crate) fn message_start() -> String {
    event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
            "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
        }}),
    )
}

pub(crate) fn text_delta(text: &str) -> String {
    event(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
    )
}

fn claude() -> impl Fn(&Server) -> Anthropic {
    |server| Anthropic::new(&server.url(), "claude-sonnet-4-5", key(), fast()).unwrap()
}

#[tokio::test]
async fn streaming_reads_text_and_usage_and_sends_system_on_top() {
    let server = Server::always(Reply::sse(
        vec![
            message_start(),
            event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
            event("ping", json!({"type": "ping"})),
            text_delta("Hello"),
            text_delta("!"),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}})),
            event("message_stop", json!({"type": "message_stop"})),
        ],
        End::Finish,
    ))
    .await;
    let request = ChatRequest {
        messages: vec![
            Message::system("You are terse."),
            Message::user("Say hello."),
            Message::assistant("Hi."),
            Message::system("Use English."),
            Message::user("Again."),
        ],
        temperature: Some(0.0),
        ..ChatRequest::default()
    };
    let (seen, on_delta) = recorder();

    let answer = claude()(&server).complete(&request, Some(&on_delta)).await.unwrap();

    assert_eq!(*seen.lock().unwrap(), vec!["Hello", "!"]);
    assert_eq!(answer.content, "Hello!");
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 25, completion_tokens: 15 });
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert!(r.header("authorization").is_none());
    let body = r.json();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["system"], "You are terse.\n\nUse English.");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "Say hello."},
            {"role": "assistant", "content": "Hi."},
            {"role": "user", "content": "Again."}
        ])
    );
    assert_eq!(body["max_tokens"], llm::DEFAULT_MAX_TOKENS);
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], json!(0.0));
}

#[tokio::test]
async fn an_error_event_mid_stream_fails_after_the_text_already_shown() {
    let overloaded =
        event("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}));
    let server = Server::always(Reply::sse(vec![message_start(), text_delta("Hel"), overloaded], End::Finish)).await;
    let (seen, on_delta) = recorder();
    let error = claude()(&server).complete(&question(), Some(&on_delta)).await.unwrap_err();
    let LlmError::Protocol { message, calls: 1 } = &error else { panic!("{error:?}") };
    assert!(message.contains("Overloaded"), "{message}");
    assert_eq!(*seen.lock().unwrap(), vec!["Hel"]);
    assert_eq!(server.requests().len(), 1);
    assert_no_key(&error);
}

#[tokio::test]
async fn an_overload_before_any_text_is_retried() {
    let overloaded = Reply::sse(
        vec![event("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))],
        End::Finish,
    );
    let good = Reply::sse(
        vec![message_start(), text_delta("Hi"), event("message_stop", json!({"type": "message_stop"}))],
        End::Finish,
    );
    let server = Server::sequence(vec![overloaded, good]).await;
    let (_seen, on_delta) = recorder();
    let answer = claude()(&server).complete(&question(), Some(&on_delta)).await.unwrap();
    assert_eq!(answer.content, "Hi");
    assert_eq!(answer.usage.calls, 2);
}

#[tokio::test]
async fn structured_output_is_asked_for_in_the_system_prompt_and_unfenced() {
    let body = json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "```json\n{\"answer\": \"hi\"}\n```"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 10, "output_tokens": 9}
    });
    let server = Server::always(Reply::json(200, body.to_string())).await;
    let mut request = question();
    let schema = r#"{"type":"object","properties":{"answer":{"type":"string"}}}"#;
    request.json_schema = Some(("answer".to_owned(), schema.to_owned()));

    let answer = claude()(&server).complete(&request, None).await.unwrap();

    assert_eq!(answer.content, r#"{"answer": "hi"}"#);
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 50, completion_tokens: 9 });
    let sent = server.requests()[0].json();
    let system = sent["system"].as_str().unwrap();
    assert!(system.starts_with("You are terse.\n\n"), "{system}");
    assert!(system.contains("JSON") && system.contains(schema), "{system}");
    assert_eq!(sent["max_tokens"], 100);
    assert_eq!(sent["stop_sequences"], json!(["END"]));
    assert!(sent.get("stream").is_none());
    assert!(sent.get("response_format").is_none());
}

#[tokio::test]
async fn a_refused_key_is_an_auth_error() {
    let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
    let server = Server::always(Reply::json(401, body)).await;
    let error = claude()(&server).complete(&question(), None).await.unwrap_err();
    let LlmError::Auth(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("invalid x-api-key"), "{message}");
    assert_no_key(&error);
}

#[tokio::test]
async fn models_are_listed_from_v1_models() {
    let body = r#"{"data":[
        {"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},
        {"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],
        "has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-haiku-4-5-20251001"}"#;
    let server = Server::always(Reply::json(200, body)).await;
    // A pasted endpoint is reduced to the API root.
    let anthropic = Anthropic::new(&format!("{}/v1/messages", server.url()), "", key(), fast()).unwrap();
    assert_eq!(anthropic.base_url(), server.url());
    let models = anthropic.list_models().await.unwrap();
    assert_eq!(models, vec!["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"]);
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/v1/models?limit=1000"));
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
}

#[test]
fn an_empty_base_means_the_public_api() {
    let anthropic = Anthropic::new("", "claude-sonnet-4-5", None, fast()).unwrap();
    assert_eq!(anthropic.base_url(), "https://api.anthropic.com");
    assert_eq!(anthropic.describe(), "anthropic claude-sonnet-4-5 at https://api.anthropic.com");
}

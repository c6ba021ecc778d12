use std::time::{Duration, Instant};

use engine::ports::{Llm, LlmError, Usage};
use llm::{ConfigError, HttpSettings, OpenAiCompatible};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::server::{End, Reply, Server, closed_port};
use crate::{KEY, assert_no_key, fast, key, question, recorder};

pub(crate) const COMPLETION: &str = r#"{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [
    {
      "index": 0,
      "message": {"role": "assistant", "content": "Hello!", "refusal": null, "annotations": []},
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 19,
    "completion_tokens": 3,
    "total_tokens": 22,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_06737a9306"
}"#;

fn client(server: &Server, settings: HttpSettings) -> OpenAiCompatible {
    OpenAiCompatible::new(&format!("{}/v1/", server.url()), "gpt-4o-mini", key(), settings).expect("client")
}

pub(crate) fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1741569952,
        "model": "gpt-4o-mini", "system_fingerprint": "fp_06737a9306",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        "usage": null
    });
    format!("data: {body}\r\n\r\n")
}

pub(crate) fn usage_chunk() -> String {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1741569952,
        "model": "gpt-4o-mini", "choices": [],
        "usage": {"prompt_tokens": 19, "completion_tokens": 3, "total_tokens": 22}
    });
    format!("data: {body}\r\n\r\n")
}

fn server_error() -> Reply {
    Reply::json(
        500,
        r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
    )
}

#[tokio::test]
async fn non_streaming_completion_sends_the_request_and_reads_usage() {
    let server = Server::always(Reply::json(200, COMPLETION)).await;
    let answer = client(&server, fast()).complete(&question(), None).await.unwrap();

    assert_eq!(answer.content, "Hello!");
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 19, completion_tokens: 3 });
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let body = r.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hello."}
        ])
    );
    assert_eq!(body["stream"], false);
    // 0.2f32 goes out as 0.2, not 0.20000000298023224.
    assert_eq!(body["temperature"], json!(0.2));
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["stop"], json!(["END"]));
    assert!(body.get("response_format").is_none());
    assert!(body.get("stream_options").is_none());
}

#[tokio::test]
async fn streaming_delivers_deltas_in_order_and_reads_the_usage_chunk() {
    // CRLF line ends, keep-alive comments, a role-only first chunk, an event split across two
    // TCP writes, the usage chunk with empty choices, then [DONE].
    let finish = chunk(json!({}), Some("stop"));
    let world = chunk(json!({"content": " world"}), None);
    let (world_a, world_b) = world.split_at(20);
    let server = Server::always(Reply::sse(
        vec![
            ": keep-alive\r\n\r\n".to_owned(),
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({"content": "Hel"}), None),
            chunk(json!({"content": "lo"}), None),
            world_a.to_owned(),
            world_b.to_owned(),
            ": ping\r\n\r\n".to_owned(),
            finish,
            usage_chunk(),
            "data: [DONE]\r\n\r\n".to_owned(),
        ],
        End::Finish,
    ))
    .await;
    let (seen, on_delta) = recorder();

    let answer = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap();

    assert_eq!(*seen.lock().unwrap(), vec!["Hel", "lo", " world"]);
    assert_eq!(answer.content, "Hello world");
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 19, completion_tokens: 3 });
    let body = server.requests()[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_answers_through_one_delta() {
    let server = Server::always(Reply::json(200, COMPLETION)).await;
    let (seen, on_delta) = recorder();
    let answer = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap();
    assert_eq!(answer.content, "Hello!");
    assert_eq!(*seen.lock().unwrap(), vec!["Hello!"]);
}

#[tokio::test]
async fn rate_limit_with_retry_after_waits_then_succeeds() {
    let limited = Reply::json(
        429,
        r#"{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
    )
    .header("Retry-After", "1");
    let server = Server::sequence(vec![limited, Reply::json(200, COMPLETION)]).await;
    let started = Instant::now();

    let answer = client(&server, fast()).complete(&question(), None).await.unwrap();

    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
    assert_eq!(answer.usage.calls, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_as_a_past_http_date_means_retry_now() {
    let limited =
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    let server = Server::sequence(vec![limited, Reply::json(200, COMPLETION)]).await;
    // A backoff this long would show if the date were not understood.
    let settings =
        HttpSettings { initial_backoff: Duration::from_secs(4), max_retry_wait: Duration::from_secs(5), ..fast() };
    let started = Instant::now();
    let answer = client(&server, settings).complete(&question(), None).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(answer.usage.calls, 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_gives_up_at_once() {
    let limited = Reply::json(429, r#"{"error":{"message":"quota"}}"#).header("Retry-After", "60");
    let server = Server::always(limited).await;
    let started = Instant::now();
    let error = client(&server, fast()).complete(&question(), None).await.unwrap_err();
    assert_eq!(error, LlmError::RateLimited { retry_after: Some(Duration::from_secs(60)), calls: 1 });
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = Server::sequence(vec![server_error(), server_error(), Reply::json(200, COMPLETION)]).await;
    let answer = client(&server, fast()).complete(&question(), None).await.unwrap();
    assert_eq!(answer.content, "Hello!");
    assert_eq!(answer.usage.calls, 3);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn persistent_server_errors_fail_after_the_last_attempt() {
    let server = Server::always(server_error()).await;
    let error = client(&server, fast()).complete(&question(), None).await.unwrap_err();
    let LlmError::Http { status: 500, message, calls } = &error else { panic!("{error:?}") };
    assert_eq!(*calls, 3);
    assert!(message.contains("The server had an error"), "{message}");
    assert_eq!(server.requests().len(), 3);
    assert_no_key(&error);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Server::always(Reply::Stall).await;
    let settings = HttpSettings { request_timeout: Duration::from_millis(300), ..fast() };
    let started = Instant::now();
    let error = client(&server, settings).complete(&question(), None).await.unwrap_err();
    assert_eq!(error, LlmError::Timeout { calls: 1 });
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300) && waited < Duration::from_millis(1500), "{waited:?}");
    // A timeout already cost the full wait: it is not retried.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_cut_after_text_fails_with_the_text_already_delivered() {
    let server = Server::always(Reply::sse(
        vec![chunk(json!({"content": "Hel"}), None), chunk(json!({"content": "lo"}), None)],
        End::Cut,
    ))
    .await;
    let (seen, on_delta) = recorder();
    let error = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap_err();
    assert!(matches!(error, LlmError::Network { calls: 1, .. }), "{error:?}");
    assert_eq!(*seen.lock().unwrap(), vec!["Hel", "lo"]);
    // Shown text cannot be unsaid, so no retry.
    assert_eq!(server.requests().len(), 1);
    assert_no_key(&error);
}

#[tokio::test]
async fn a_stream_that_ends_without_done_is_a_network_error() {
    let server = Server::always(Reply::sse(vec![chunk(json!({"content": "Hel"}), None)], End::Finish)).await;
    let (_seen, on_delta) = recorder();
    let error = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap_err();
    let LlmError::Network { message, calls: 1 } = &error else { panic!("{error:?}") };
    assert!(message.contains("ended before"), "{message}");
}

#[tokio::test]
async fn a_stream_cut_before_any_text_is_retried() {
    let cut = Reply::sse(vec![": keep-alive\n\n".to_owned()], End::Cut);
    let good = Reply::sse(
        vec![chunk(json!({"content": "Hi"}), Some("stop")), usage_chunk(), "data: [DONE]\n\n".to_owned()],
        End::Finish,
    );
    let server = Server::sequence(vec![cut, good]).await;
    let (seen, on_delta) = recorder();
    let answer = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap();
    assert_eq!(answer.content, "Hi");
    assert_eq!(answer.usage.calls, 2);
    assert_eq!(*seen.lock().unwrap(), vec!["Hi"]);
}

#[tokio::test]
async fn a_stream_that_goes_silent_times_out_after_the_idle_limit() {
    let server = Server::always(Reply::sse(vec![chunk(json!({"content": "Hel"}), None)], End::Stall)).await;
    let settings = HttpSettings { idle_timeout: Duration::from_millis(200), ..fast() };
    let (seen, on_delta) = recorder();
    let started = Instant::now();
    let error = client(&server, settings).complete(&question(), Some(&on_delta)).await.unwrap_err();
    assert_eq!(error, LlmError::Timeout { calls: 1 });
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(*seen.lock().unwrap(), vec!["Hel"]);
}

#[tokio::test]
async fn a_malformed_body_is_a_protocol_error_and_not_retried() {
    let server = Server::always(Reply::json(200, r#"{"id":"chatcmpl-1","choices":[{"message":"#)).await;
    let error = client(&server, fast()).complete(&question(), None).await.unwrap_err();
    let LlmError::Protocol { message, calls: 1 } = &error else { panic!("{error:?}") };
    assert!(message.contains("not JSON"), "{message}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_malformed_stream_chunk_is_a_protocol_error() {
    let server = Server::always(Reply::sse(vec!["data: {\"choices\": [\n\n".to_owned()], End::Finish)).await;
    let (_seen, on_delta) = recorder();
    let error = client(&server, fast()).complete(&question(), Some(&on_delta)).await.unwrap_err();
    assert!(matches!(error, LlmError::Protocol { calls: 1, .. }), "{error:?}");
}

#[tokio::test]
async fn a_refused_key_is_an_auth_error_that_never_shows_the_key() {
    // OpenAI echoes (a masked form of) the key; a careless server may echo all of it.
    let body = json!({"error": {
        "message": format!("Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys."),
        "type": "invalid_request_error", "param": null, "code": "invalid_api_key"
    }});
    let server = Server::always(Reply::json(401, body.to_string())).await;
    let openai = client(&server, fast());
    let error = openai.complete(&question(), None).await.unwrap_err();
    let LlmError::Auth(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("Incorrect API key provided"), "{message}");
    assert_no_key(&error);
    assert_eq!(server.requests().len(), 1);
    // Nor in the client's Debug, nor in what it describes.
    assert!(!format!("{openai:?}").contains(KEY));
    assert!(!openai.describe().contains(KEY));
    let listing = openai.list_models().await.unwrap_err();
    assert!(matches!(listing, LlmError::Auth(_)));
    assert_no_key(&listing);
}

#[tokio::test]
async fn a_refused_response_format_is_retried_once_without_it() {
    let refusal = Reply::json(
        400,
        r#"{"error":{"code":400,"message":"'response_format.type' must be 'json_object' or 'text'","type":"invalid_request_error"}}"#,
    );
    let answer_body = json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"answer\":\"hi\"}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 6, "total_tokens": 36}
    });
    let server = Server::sequence(vec![refusal, Reply::json(200, answer_body.to_string())]).await;
    let mut request = question();
    let schema = r#"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}"#;
    request.json_schema = Some(("final answer".to_owned(), schema.to_owned()));

    let answer = client(&server, fast()).complete(&request, None).await.unwrap();

    assert_eq!(answer.content, r#"{"answer":"hi"}"#);
    assert_eq!(answer.usage.calls, 2);
    let requests = server.requests();
    let first = requests[0].json();
    assert_eq!(
        first["response_format"],
        json!({"type": "json_schema", "json_schema": {
            "name": "final_answer",
            "schema": serde_json::from_str::<serde_json::Value>(schema).unwrap(),
            "strict": true
        }})
    );
    assert!(requests[1].json().get("response_format").is_none());
}

#[tokio::test]
async fn an_invalid_schema_fails_before_sending() {
    let server = Server::always(Reply::json(200, COMPLETION)).await;
    let mut request = question();
    request.json_schema = Some(("x".to_owned(), "{not json".to_owned()));
    let error = client(&server, fast()).complete(&request, None).await.unwrap_err();
    assert!(matches!(error, LlmError::Protocol { calls: 0, .. }), "{error:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn models_are_listed_from_the_models_endpoint() {
    let body = r#"{"object":"list","data":[
        {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
        {"id":"qwen2.5:7b","object":"model","created":1730000000,"owned_by":"library"}]}"#;
    let server = Server::always(Reply::json(200, body)).await;
    let models = client(&server, fast()).list_models().await.unwrap();
    assert_eq!(models, vec!["gpt-4o-mini", "qwen2.5:7b"]);
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v1/models");
    assert_eq!(r.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let server = Server::always(Reply::json(200, COMPLETION)).await;
    let local = OpenAiCompatible::new(&server.url(), "llama3.2", None, fast()).unwrap();
    local.complete(&question(), None).await.unwrap();
    let r = &server.requests()[0];
    // A bare host gets /v1.
    assert_eq!(r.path, "/v1/chat/completions");
    assert!(r.header("authorization").is_none());
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let port = closed_port().await;
    let openai = OpenAiCompatible::new(&format!("http://127.0.0.1:{port}/v1"), "m", key(), fast()).unwrap();
    let started = Instant::now();
    let error = openai.complete(&question(), None).await.unwrap_err();
    let LlmError::Network { message, calls } = &error else { panic!("{error:?}") };
    assert_eq!(*calls, 3);
    assert!(message.contains("connect"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_no_key(&error);
}

#[tokio::test]
async fn cancelling_the_token_ends_a_stalled_call_promptly() {
    let server = Server::always(Reply::Stall).await;
    let token = CancellationToken::new();
    let openai = client(&server, fast()).with_cancel(token.clone());
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        token.cancel();
    });
    let started = Instant::now();
    let error = openai.complete(&question(), None).await.unwrap_err();
    assert_eq!(error, LlmError::Cancelled);
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    canceller.await.unwrap();
    // The connection was dropped, not left hanging.
    wait_for(|| server.disconnects() == 1).await;
}

#[tokio::test]
async fn cancelling_also_ends_a_backoff_wait() {
    let limited = Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("Retry-After", "5");
    let server = Server::always(limited).await;
    let token = CancellationToken::new();
    let settings = HttpSettings { max_retry_wait: Duration::from_secs(10), ..fast() };
    let openai = client(&server, settings).with_cancel(token.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        token.cancel();
    });
    let started = Instant::now();
    assert_eq!(openai.complete(&question(), None).await.unwrap_err(), LlmError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn dropping_the_future_aborts_the_request() {
    let server = Server::always(Reply::Stall).await;
    let openai = client(&server, fast());
    let request = question();
    let outcome = tokio::time::timeout(Duration::from_millis(100), openai.complete(&request, None)).await;
    assert!(outcome.is_err());
    wait_for(|| server.disconnects() == 1).await;
}

#[test]
fn base_urls_are_normalised_by_the_documented_rule() {
    let base = |raw: &str| OpenAiCompatible::new(raw, "m", None, HttpSettings::default()).map(|c| c.base_url());
    assert_eq!(base("http://localhost:11434/v1/").unwrap(), "http://localhost:11434/v1");
    assert_eq!(base("http://localhost:1234").unwrap(), "http://localhost:1234/v1");
    assert_eq!(base(" https://api.openai.com/v1/chat/completions ").unwrap(), "https://api.openai.com/v1");
    assert_eq!(base("https://openrouter.ai/api/v1").unwrap(), "https://openrouter.ai/api/v1");
    assert_eq!(
        base("https://generativelanguage.googleapis.com/v1beta/openai/").unwrap(),
        "https://generativelanguage.googleapis.com/v1beta/openai"
    );
    // Credentials in the URL are used but never shown.
    assert_eq!(base("https://user:hunter2@gw.example/v1").unwrap(), "https://gw.example/v1");
    assert!(matches!(base("ftp://example.com/v1"), Err(ConfigError::InvalidBaseUrl { .. })));
    assert!(matches!(base("localhost:1234"), Err(ConfigError::InvalidBaseUrl { .. })));
    assert!(matches!(base("http://x/v1?api-version=1"), Err(ConfigError::InvalidBaseUrl { .. })));
    let error = base("http://user:hunter2@[bad/v1").unwrap_err();
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

/// Polls `done` for up to a second (the server sees a dropped connection asynchronously).
async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within a second");
}

use engine::ports::{Llm, LlmError, Usage};
use llm::{HttpSettings, Ollama};
use serde_json::json;

use crate::server::{End, Reply, Server};
use crate::{fast, question, recorder};

pub(crate) fn line(content: &str) -> String {
    format!(
        "{}\n",
        json!({"model": "qwen2.5:7b", "created_at": "2025-01-15T10:00:00.000000Z",
               "message": {"role": "assistant", "content": content}, "done": false})
    )
}

pub(crate) fn last_line() -> String {
    format!(
        "{}\n",
        json!({"model": "qwen2.5:7b", "created_at": "2025-01-15T10:00:01.000000Z",
               "message": {"role": "assistant", "content": ""},
               "done_reason": "stop", "done": true,
               "total_duration": 1_234_567_890u64, "load_duration": 12_345_678u64,
               "prompt_eval_count": 26, "prompt_eval_duration": 130_000_000u64,
               "eval_count": 4, "eval_duration": 90_000_000u64})
    )
}

#[tokio::test]
async fn streaming_ndjson_sends_num_ctx_and_format_and_reads_counts() {
    let server =
        Server::always(Reply::ndjson(vec![line("{\"answer\""), line(":\"hi\"}"), last_line()], End::Finish)).await;
    let ollama = Ollama::new(&server.url(), "qwen2.5:7b", None, fast()).unwrap().with_num_ctx(16384);
    let mut request = question();
    let schema = r#"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}"#;
    request.json_schema = Some(("answer".to_owned(), schema.to_owned()));
    let (seen, on_delta) = recorder();

    let answer = ollama.complete(&request, Some(&on_delta)).await.unwrap();

    assert_eq!(*seen.lock().unwrap(), vec!["{\"answer\"", ":\"hi\"}"]);
    assert_eq!(answer.content, r#"{"answer":"hi"}"#);
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 26, completion_tokens: 4 });
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/chat");
    assert!(r.header("authorization").is_none());
    let body = r.json();
    assert_eq!(body["model"], "qwen2.5:7b");
    assert_eq!(body["stream"], true);
    assert_eq!(body["options"]["num_ctx"], 16384);
    assert_eq!(body["options"]["temperature"], json!(0.2));
    assert_eq!(body["options"]["num_predict"], 100);
    assert_eq!(body["options"]["stop"], json!(["END"]));
    assert_eq!(body["format"], serde_json::from_str::<serde_json::Value>(schema).unwrap());
    assert_eq!(body["messages"][0], json!({"role": "system", "content": "You are terse."}));
    assert_eq!(body["messages"][1], json!({"role": "user", "content": "Say hello."}));
}

#[tokio::test]
async fn non_streaming_uses_the_default_context_window() {
    let body = json!({
        "model": "qwen2.5:7b", "created_at": "2025-01-15T10:00:01.000000Z",
        "message": {"role": "assistant", "content": "Hello!"},
        "done_reason": "stop", "done": true,
        "prompt_eval_count": 26, "eval_count": 3
    });
    let server = Server::always(Reply::json(200, body.to_string())).await;
    // A pasted OpenAI-style base is reduced to the server root.
    let ollama = Ollama::new(&format!("{}/v1/", server.url()), "qwen2.5:7b", None, fast()).unwrap();
    assert_eq!(ollama.base_url(), server.url());

    let answer = ollama.complete(&question(), None).await.unwrap();

    assert_eq!(answer.content, "Hello!");
    assert_eq!(answer.usage, Usage { calls: 1, prompt_tokens: 26, completion_tokens: 3 });
    let body = server.requests()[0].json();
    assert_eq!(body["stream"], false);
    assert_eq!(body["options"]["num_ctx"], llm::DEFAULT_NUM_CTX);
    assert!(body.get("format").is_none());
}

#[tokio::test]
async fn an_error_line_mid_stream_is_reported() {
    let error_line = "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n";
    let server = Server::always(Reply::ndjson(vec![line("Hel"), error_line.to_owned()], End::Finish)).await;
    let ollama = Ollama::new(&server.url(), "qwen2.5:7b", None, fast()).unwrap();
    let (seen, on_delta) = recorder();
    let error = ollama.complete(&question(), Some(&on_delta)).await.unwrap_err();
    let LlmError::Protocol { message, calls: 1 } = &error else { panic!("{error:?}") };
    assert!(message.contains("unexpected EOF"), "{message}");
    assert_eq!(*seen.lock().unwrap(), vec!["Hel"]);
}

#[tokio::test]
async fn a_stream_cut_before_done_is_a_network_error() {
    let server = Server::always(Reply::ndjson(vec![line("Hel"), line("lo")], End::Cut)).await;
    let ollama = Ollama::new(&server.url(), "qwen2.5:7b", None, fast()).unwrap();
    let (seen, on_delta) = recorder();
    let error = ollama.complete(&question(), Some(&on_delta)).await.unwrap_err();
    assert!(matches!(error, LlmError::Network { calls: 1, .. }), "{error:?}");
    assert_eq!(*seen.lock().unwrap(), vec!["Hel", "lo"]);
}

#[tokio::test]
async fn a_missing_model_is_reported_with_ollamas_message() {
    let server =
        Server::always(Reply::json(404, r#"{"error":"model \"nope\" not found, try pulling it first"}"#)).await;
    let ollama = Ollama::new(&server.url(), "nope", None, HttpSettings::default()).unwrap();
    let error = ollama.complete(&question(), None).await.unwrap_err();
    let LlmError::Http { status: 404, message, calls: 1 } = &error else { panic!("{error:?}") };
    assert!(message.contains("try pulling it first"), "{message}");
}

#[tokio::test]
async fn models_are_listed_from_api_tags() {
    let body = r#"{"models":[
        {"name":"qwen2.5:7b","model":"qwen2.5:7b","modified_at":"2025-01-10T12:00:00Z","size":4683087332,
         "digest":"845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e",
         "details":{"parent_model":"","format":"gguf","family":"qwen2","families":["qwen2"],"parameter_size":"7.6B","quantization_level":"Q4_K_M"}},
        {"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-01-09T12:00:00Z","size":2019393189,
         "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72","details":{}}]}"#;
    let server = Server::always(Reply::json(200, body)).await;
    let ollama = Ollama::new(&server.url(), "", None, fast()).unwrap();
    assert_eq!(ollama.list_models().await.unwrap(), vec!["qwen2.5:7b", "llama3.2:latest"]);
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/api/tags"));
}

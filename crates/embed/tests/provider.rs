//! Provider embeddings against the scripted loopback server: Ollama's `/api/embed` and the
//! OpenAI-compatible `/v1/embeddings`, batching, faulty answers, retries, the key, offline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use embed::{EmbedError, Embedder, HttpSettings, ProviderEmbedder, ProviderKind, ProviderOptions, TextKind};
use engine::ports::Sensitive;
use serde_json::{Value, json};
use testkit::{Recorded, Reply, Server};

fn fast() -> HttpSettings {
    HttpSettings {
        initial_backoff: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(2),
        request_timeout: Duration::from_secs(20),
        ..HttpSettings::default()
    }
}

fn options(server: &Server) -> ProviderOptions {
    ProviderOptions { base_url: Some(server.url()), http: fast(), ..ProviderOptions::default() }
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn inputs(request: &Recorded) -> Vec<String> {
    request.json()["input"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

/// An Ollama that answers every input with a vector derived from its position in the request.
fn ollama_echo(_: usize, request: &Recorded) -> Reply {
    let n = request.json()["input"].as_array().map_or(0, Vec::len);
    let embeddings: Vec<Value> = (0..n).map(|i| json!([i as f64 + 1.0, 0.0, 2.0])).collect();
    Reply::json(200, json!({ "model": "m", "embeddings": embeddings }).to_string())
}

#[tokio::test]
async fn ollama_native_api_is_spoken_and_vectors_come_back_normalised() {
    let server = Server::always_json(r#"{"model":"nomic-embed-text","embeddings":[[3,4],[0,-2]]}"#).await;
    let embedder = ProviderEmbedder::from_model_id("ollama:nomic-embed-text", options(&server)).unwrap();
    assert_eq!(embedder.model_id().0, "ollama:nomic-embed-text");
    assert_eq!(embedder.dims(), None);

    let vectors = embedder.embed(&texts(&["train fare", "fiscal year"]), TextKind::Passage).await.unwrap();
    assert_eq!(vectors.len(), 2);
    assert_close(&vectors[0], &[0.6, 0.8]);
    assert_close(&vectors[1], &[0.0, -1.0]);
    assert_eq!(embedder.dims(), Some(2));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].route(), "/api/embed");
    assert_eq!(requests[0].json()["model"], "nomic-embed-text");
    // nomic-embed-text was trained with task prefixes; passages and queries get theirs.
    assert_eq!(inputs(&requests[0]), ["search_document: train fare", "search_document: fiscal year"]);
    assert!(requests[0].header("authorization").is_none());

    let echo = Server::start(ollama_echo).await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "nomic-embed-text:latest", options(&echo)).unwrap();
    embedder.embed(&texts(&["how much was the train trip"]), TextKind::Query).await.unwrap();
    assert_eq!(inputs(&echo.requests()[0]), ["search_query: how much was the train trip"]);
}

#[tokio::test]
async fn openai_compatible_api_is_spoken_with_the_key_and_answers_are_put_in_input_order() {
    let server = Server::always_json(
        r#"{"object":"list","data":[
            {"object":"embedding","index":1,"embedding":[0,0,5]},
            {"object":"embedding","index":0,"embedding":[1,1,0]}
        ],"model":"text-embedding-3-small"}"#,
    )
    .await;
    let mut opts = options(&server);
    opts.key = Some(Sensitive::new("sk-test-key-123"));
    let embedder = ProviderEmbedder::new(ProviderKind::OpenAi, "text-embedding-3-small", opts).unwrap();
    assert_eq!(embedder.model_id().0, "openai:text-embedding-3-small");

    let vectors = embedder.embed(&texts(&["first", "second"]), TextKind::Query).await.unwrap();
    let h = std::f32::consts::FRAC_1_SQRT_2;
    assert_close(&vectors[0], &[h, h, 0.0]);
    assert_close(&vectors[1], &[0.0, 0.0, 1.0]);

    let request = &server.requests()[0];
    // A bare host gets the `/v1` every OpenAI-compatible server mounts its API under.
    assert_eq!(request.route(), "/v1/embeddings");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key-123"));
    assert_eq!(request.json()["model"], "text-embedding-3-small");
    assert_eq!(inputs(request), ["first", "second"]);
}

#[tokio::test]
async fn large_inputs_go_out_in_batches_of_at_most_64_and_come_back_in_order() {
    let server = Server::start(ollama_echo).await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "bge-m3", options(&server)).unwrap();
    let many: Vec<String> = (0..130).map(|i| format!("passage {i}")).collect();
    let vectors = embedder.embed(&many, TextKind::Passage).await.unwrap();
    assert_eq!(vectors.len(), 130);

    let sizes: Vec<usize> = server.requests().iter().map(|r| inputs(r).len()).collect();
    assert_eq!(sizes, [64, 64, 2]);
    let sent: Vec<String> = server.requests().iter().flat_map(inputs).collect();
    assert_eq!(sent, many);
    // The echo server numbers vectors within each request: item 64 is the first of batch two.
    assert_close(&vectors[64], &vectors[0]);
    assert!((vectors[1][0] - vectors[0][0]).abs() > 0.1);
    assert!(embedder.embed(&[], TextKind::Query).await.unwrap().is_empty());
    assert_eq!(server.requests().len(), 3, "an empty batch sends nothing");
}

#[tokio::test]
async fn a_reply_with_the_wrong_number_of_vectors_is_a_clear_provider_error() {
    let server = Server::always_json(r#"{"embeddings":[[1,0,0]]}"#).await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "all-minilm", options(&server)).unwrap();
    let err = embedder.embed(&texts(&["one", "two"]), TextKind::Passage).await.unwrap_err();
    assert!(matches!(err, EmbedError::Provider(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("1 vectors for 2 texts"), "{message}");
    assert!(message.contains("ollama all-minilm"), "{message}");
    assert_eq!(server.requests().len(), 1, "a faulty answer is not retried");
}

#[tokio::test]
async fn faulty_vectors_are_refused() {
    for (body, expected) in [
        (r#"{"embeddings":[[1,0,0],[1,0]]}"#, "vector 1 has 2 dimensions, vector 0 has 3"),
        (r#"{"embeddings":[[1,0,0],[0,0,0]]}"#, "vector 1 is all zeros"),
        (r#"{"embeddings":[[1,0,0],[1,"x",0]]}"#, "vector 1 holds something other than finite numbers"),
        (r#"{"vectors":[]}"#, "no `embeddings` array"),
        ("not json", "not JSON"),
    ] {
        let server = Server::always_json(body).await;
        let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", options(&server)).unwrap();
        let err = embedder.embed(&texts(&["a", "b"]), TextKind::Passage).await.unwrap_err();
        assert!(matches!(err, EmbedError::Provider(_)), "{body}: {err:?}");
        assert!(err.to_string().contains(expected), "{body}: {err}");
    }

    let server = Server::always_json(r#"{"data":[{"index":0,"embedding":[1,0]},{"index":0,"embedding":[0,1]}]}"#).await;
    let embedder = ProviderEmbedder::new(ProviderKind::OpenAi, "m", options(&server)).unwrap();
    let err = embedder.embed(&texts(&["a", "b"]), TextKind::Passage).await.unwrap_err();
    assert!(err.to_string().contains("index 0 appears twice"), "{err}");
}

#[tokio::test]
async fn a_model_that_changes_dimension_between_calls_is_refused() {
    let server = Server::sequence(vec![
        Reply::json(200, r#"{"embeddings":[[1,0,0]]}"#),
        Reply::json(200, r#"{"embeddings":[[1,0,0,0]]}"#),
    ])
    .await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", options(&server)).unwrap();
    embedder.embed(&texts(&["a"]), TextKind::Passage).await.unwrap();
    let err = embedder.embed(&texts(&["b"]), TextKind::Passage).await.unwrap_err();
    assert!(err.to_string().contains("4 dimensions, earlier ones had 3"), "{err}");
    assert_eq!(embedder.dims(), Some(3));
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_second_answer_used() {
    let server = Server::sequence(vec![
        Reply::json(500, r#"{"error":"model is loading"}"#),
        Reply::json(200, r#"{"embeddings":[[0,3]]}"#),
    ])
    .await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", options(&server)).unwrap();
    let vectors = embedder.embed(&texts(&["a"]), TextKind::Passage).await.unwrap();
    assert_close(&vectors[0], &[0.0, 1.0]);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.requests()[0].body, server.requests()[1].body);
}

#[tokio::test]
async fn rate_limits_honour_retry_after_and_give_up_when_asked_to_wait_too_long() {
    let server = Server::sequence(vec![
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("Retry-After", "0"),
        Reply::json(200, r#"{"data":[{"index":0,"embedding":[2,0]}]}"#),
    ])
    .await;
    let embedder = ProviderEmbedder::new(ProviderKind::OpenAi, "m", options(&server)).unwrap();
    embedder.embed(&texts(&["a"]), TextKind::Passage).await.unwrap();
    assert_eq!(server.requests().len(), 2);

    // Asked to wait longer than the settings allow: the error comes at once, with the message.
    let server =
        Server::always(Reply::json(429, r#"{"error":{"message":"quota exceeded"}}"#).header("Retry-After", "3600"))
            .await;
    let embedder = ProviderEmbedder::new(ProviderKind::OpenAi, "m", options(&server)).unwrap();
    let err = embedder.embed(&texts(&["a"]), TextKind::Passage).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 429: quota exceeded"), "{err}");
    assert_eq!(server.requests().len(), 1);

    // A server that keeps failing gets `max_attempts` tries in all.
    let server = Server::always(Reply::json(503, "{}")).await;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", options(&server)).unwrap();
    let err = embedder.embed(&texts(&["a"]), TextKind::Passage).await.unwrap_err();
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn the_key_never_appears_in_errors_or_debug_output() {
    let key = "sk-very-secret-key-42";
    // A server that echoes the key back in its error, as some do.
    let server =
        Server::always(Reply::json(401, format!(r#"{{"error":{{"message":"Incorrect API key provided: {key}"}}}}"#)))
            .await;
    let mut opts = options(&server);
    opts.key = Some(Sensitive::new(key));
    assert!(!format!("{opts:?}").contains(key));
    let embedder = ProviderEmbedder::new(ProviderKind::OpenAi, "text-embedding-3-small", opts).unwrap();
    assert!(!format!("{embedder:?}").contains(key), "{embedder:?}");

    let err = embedder.embed(&texts(&["a"]), TextKind::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::Provider(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(key), "{shown}");
    assert!(shown.contains("refused the credentials") && shown.contains("<redacted>"), "{shown}");
    assert_eq!(server.requests().len(), 1, "a refused key is not retried");
    assert_eq!(server.requests()[0].header("authorization"), Some(format!("Bearer {key}").as_str()));
}

#[tokio::test]
async fn offline_refuses_without_sending_anything() {
    let server = Server::always_json(r#"{"embeddings":[[1,0]]}"#).await;
    let mut opts = options(&server);
    opts.offline = true;
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", opts).unwrap();
    let err = embedder.embed(&texts(&["a"]), TextKind::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::Offline(_)), "{err:?}");
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn unusable_configurations_are_refused_up_front() {
    for id in ["nomic-embed-text", "cohere:embed-v3", "ollama:", "openai:  "] {
        let err = ProviderEmbedder::from_model_id(id, ProviderOptions::default()).unwrap_err();
        assert!(matches!(err, EmbedError::Provider(_)), "{id}: {err:?}");
    }
    let opts = ProviderOptions { base_url: Some("localhost:11434".into()), ..ProviderOptions::default() };
    let err = ProviderEmbedder::new(ProviderKind::Ollama, "m", opts).unwrap_err();
    assert!(err.to_string().contains("http"), "{err}");

    let unreachable = format!("http://127.0.0.1:{}", testkit::closed_port().await);
    let opts = ProviderOptions {
        base_url: Some(unreachable),
        http: HttpSettings { max_attempts: 1, ..fast() },
        ..ProviderOptions::default()
    };
    let embedder = ProviderEmbedder::new(ProviderKind::Ollama, "m", opts).unwrap();
    let err = embedder.embed(&texts(&["a"]), TextKind::Query).await.unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
}

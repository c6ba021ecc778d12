//! Every failure carries its kind and, where the server answered, its HTTP status: what front
//! ends explain failures from (the desktop's "test connection", the run record's
//! `llm_error_kind`), with no reading of messages.

use engine::ports::{Llm, LlmError, LlmErrorKind};
use llm::{Anthropic, Ollama, OpenAiCompatible};

use crate::server::{Reply, Server, closed_port};
use crate::{assert_no_key, fast, key, question};

async fn openai_failure(url: &str) -> LlmError {
    let client = OpenAiCompatible::new(&format!("{url}/v1"), "gpt-4o-mini", key(), fast()).expect("client");
    client.complete(&question(), None).await.expect_err("the call fails")
}

async fn failure(reply: Reply) -> LlmError {
    let server = Server::always(reply).await;
    openai_failure(&server.url()).await
}

#[tokio::test]
async fn a_refused_key_is_auth() {
    let error = failure(Reply::json(401, r#"{"error":{"message":"Incorrect API key provided"}}"#)).await;
    assert_eq!(error.kind(), LlmErrorKind::Auth, "{error:?}");
    assert!(error.to_string().contains("401"), "{error}");
    assert_no_key(&error);
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_its_status() {
    let error = failure(Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "600")).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::RateLimited, Some(429)), "{error:?}");
}

#[tokio::test]
async fn a_failing_server_is_server_with_its_status_after_the_retries() {
    let error = failure(Reply::json(500, r#"{"error":{"message":"boom"}}"#)).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::Server, Some(500)), "{error:?}");
    assert_eq!(error.calls(), 3);
    assert!(error.to_string().contains("boom"), "{error}");
}

#[tokio::test]
async fn a_wrong_path_is_not_found_and_another_refusal_is_rejected() {
    let error = failure(Reply::json(404, r#"{"error":"no route"}"#)).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::NotFound, Some(404)), "{error:?}");
    let error = failure(Reply::json(400, r#"{"error":{"message":"context length exceeded"}}"#)).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::Rejected, Some(400)), "{error:?}");
}

#[tokio::test]
async fn garbage_is_a_bad_response_without_a_status() {
    let error = failure(Reply::json(200, "<html>this is not an API</html>")).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::BadResponse, None), "{error:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_for_every_provider() {
    let url = format!("http://127.0.0.1:{}", closed_port().await);
    let error = openai_failure(&url).await;
    assert_eq!((error.kind(), error.status()), (LlmErrorKind::Unreachable, None), "{error:?}");
    let ollama = Ollama::new(&url, "qwen2.5:7b", None, fast()).expect("client");
    assert_eq!(ollama.list_models().await.expect_err("nothing there").kind(), LlmErrorKind::Unreachable);
    let claude = Anthropic::new(&url, "claude-sonnet-4-5", key(), fast()).expect("client");
    assert_eq!(claude.complete(&question(), None).await.expect_err("nothing there").kind(), LlmErrorKind::Unreachable);
}

#[test]
fn kinds_have_stable_json_names() {
    let names: Vec<String> = [LlmErrorKind::RateLimited, LlmErrorKind::BadResponse, LlmErrorKind::Unreachable]
        .iter()
        .map(|k| serde_json::to_string(k).expect("serialises"))
        .collect();
    assert_eq!(names, [r#""rate_limited""#, r#""bad_response""#, r#""unreachable""#]);
    assert_eq!(LlmErrorKind::Server.as_str(), "server");
}

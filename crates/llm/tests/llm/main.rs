//! The adapters against scripted servers that speak each provider's wire format. Every test
//! checks what was sent as well as what came back; none touches the real network.
// Test helpers may panic on what the test itself set up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod anthropic;
mod contract;
mod kinds;
mod ollama;
mod openai;
mod probe;
mod server;
mod settings;
mod tools;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::ports::{ChatRequest, LlmError, Message, Sensitive};
use llm::HttpSettings;

/// A key that must never show up anywhere.
pub const KEY: &str = "sk-test-SECRET-7f3a9c1e5b2d4f60";

pub fn key() -> Option<Sensitive> {
    Some(Sensitive::new(KEY))
}

/// Small timeouts and backoffs keep the suite fast.
pub fn fast() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(1),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(2),
    }
}

pub fn question() -> ChatRequest {
    ChatRequest {
        messages: vec![Message::system("You are terse."), Message::user("Say hello.")],
        temperature: Some(0.2),
        max_tokens: Some(100),
        json_schema: None,
        stop: vec!["END".to_owned()],
        ..ChatRequest::default()
    }
}

/// An `on_delta` that records what it receives.
pub fn recorder() -> (Arc<Mutex<Vec<String>>>, impl Fn(&str) + Send + Sync) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |t: &str| sink.lock().unwrap().push(t.to_owned()))
}

/// The key is absent from the error's Display and Debug.
pub fn assert_no_key(error: &LlmError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}

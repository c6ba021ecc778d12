//! The search provider's HTTP side: one request with a deadline, retries of 429 and 5xx with
//! backoff that honours `Retry-After` (bounded), error classification, and key redaction.

use std::time::{Duration, SystemTime};

use engine::ports::{Sensitive, WebError};
use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use tokio::time::timeout_at;

/// Provider answers larger than this are refused (a result page is kilobytes).
const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// Error bodies are read only for their message.
const MAX_ERROR_BYTES: usize = 16 * 1024;
/// Provider messages quoted in errors are cut to this many chars.
const MAX_MESSAGE_CHARS: usize = 300;

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_retry_wait: Duration,
}

/// Sends `make()` until it succeeds or fails for good, and returns the JSON body. `what` names
/// the provider in messages (`SearXNG at http://…`). `wait_turn` runs before every attempt (the
/// per-host interval).
pub(crate) async fn send_json<F, W, Fut>(
    what: &str,
    make: F,
    timeout: Duration,
    retry: Retry,
    key: Option<&Sensitive>,
    wait_turn: W,
) -> Result<Value, WebError>
where
    F: Fn() -> RequestBuilder,
    W: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let attempts = retry.max_attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        wait_turn().await;
        let failure = match once(what, make(), timeout).await {
            Ok(json) => return Ok(json),
            Err(f) => f,
        };
        let error = match failure {
            Failure::Final(e) => e,
            Failure::Transient { message, retry_after } => {
                let wait = backoff(attempt, retry_after, retry);
                match wait {
                    Some(wait) if attempt < attempts => {
                        tracing::warn!(provider = what, attempt, error = %redact(&message, key), "retrying a web search");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    _ => WebError::Unavailable(format!(
                        "{message} (gave up after {attempt} attempt{})",
                        if attempt == 1 { "" } else { "s" }
                    )),
                }
            }
        };
        return Err(match error {
            WebError::Auth(m) => WebError::Auth(redact(&m, key)),
            WebError::Unavailable(m) => WebError::Unavailable(redact(&m, key)),
        });
    }
}

enum Failure {
    /// Worth another attempt (429, 5xx, a refused or broken connection).
    Transient { message: String, retry_after: Option<Duration> },
    /// Not worth another attempt.
    Final(WebError),
}

async fn once(what: &str, request: RequestBuilder, timeout: Duration) -> Result<Value, Failure> {
    let deadline = tokio::time::Instant::now() + timeout;
    let secs = timeout.as_secs_f32();
    let late = || Failure::Final(WebError::Unavailable(format!("{what} did not answer within {secs:.1} s")));
    let response = match timeout_at(deadline, request.send()).await {
        Err(_) => return Err(late()),
        Ok(Err(e)) if e.is_timeout() => return Err(late()),
        Ok(Err(e)) => {
            return Err(Failure::Transient {
                message: format!("could not reach {what}: {}", error_chain(&e)),
                retry_after: None,
            });
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        let retry_after = retry_after(response.headers());
        let body = match timeout_at(deadline, read_capped(response, MAX_ERROR_BYTES)).await {
            Ok(Ok((bytes, _))) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        };
        return Err(classify(what, status, retry_after, &body));
    }
    let bytes = match timeout_at(deadline, read_capped(response, MAX_JSON_BYTES)).await {
        Err(_) => return Err(late()),
        Ok(Err(e)) => {
            return Err(Failure::Transient {
                message: format!("the connection to {what} broke: {}", error_chain(&e)),
                retry_after: None,
            });
        }
        Ok(Ok((_, true))) => {
            return Err(Failure::Final(WebError::Unavailable(format!(
                "{what} sent an answer larger than {} MiB",
                MAX_JSON_BYTES / (1024 * 1024)
            ))));
        }
        Ok(Ok((bytes, false))) => bytes,
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::Final(WebError::Unavailable(format!("{what} answered with malformed JSON: {e}"))))
}

fn classify(what: &str, status: StatusCode, retry_after: Option<Duration>, body: &str) -> Failure {
    let message = provider_message(body);
    let described = if message.is_empty() {
        format!("{what} answered HTTP {}", status.as_u16())
    } else {
        format!("{what} answered HTTP {}: {message}", status.as_u16())
    };
    match status.as_u16() {
        401 | 403 => Failure::Final(WebError::Auth(described)),
        // Brave answers an unknown subscription token with 422 and a code naming the token.
        422 if body.contains("SUBSCRIPTION_TOKEN") => Failure::Final(WebError::Auth(described)),
        429 | 500..=599 => Failure::Transient { message: described, retry_after },
        _ => Failure::Final(WebError::Unavailable(described)),
    }
}

/// The wait before retry number `attempt` (1-based), or `None` when the provider asks for longer
/// than `max_retry_wait`: then the search gives up at once rather than hang.
fn backoff(attempt: u32, retry_after: Option<Duration>, retry: Retry) -> Option<Duration> {
    if let Some(asked) = retry_after {
        return (asked <= retry.max_retry_wait).then_some(asked);
    }
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    let full = retry.initial_backoff.saturating_mul(factor).min(retry.max_retry_wait);
    let half = full / 2;
    Some(half + half.mul_f64(fastrand::f64()))
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// Reads at most `cap` bytes of a body; `true` when there was more (the rest is not read).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}

/// The human part of a provider's error body: `{"error":{"info"|"message"|"detail":…}}`,
/// `{"detail":{"error":…}}` (Tavily), `{"error":"…"}`, `{"message":…}`, else the text.
fn provider_message(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(json) => {
            let pick = |v: &Value| -> Option<String> {
                if let Some(s) = v.as_str() {
                    return Some(s.to_owned());
                }
                ["info", "message", "detail", "error"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_owned))
            };
            ["error", "detail", "message"].iter().find_map(|k| json.get(k).and_then(pick)).unwrap_or_default()
        }
        Err(_) => body.to_owned(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_MESSAGE_CHARS {
        format!("{}…", text.chars().take(MAX_MESSAGE_CHARS).collect::<String>())
    } else {
        text
    }
}

/// An error and its sources on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// Removes the key from a message (a provider may echo it back).
pub(crate) fn redact(message: &str, key: Option<&Sensitive>) -> String {
    match key {
        Some(k) if !k.expose().is_empty() => message.replace(k.expose(), "<redacted>"),
        _ => message.to_owned(),
    }
}

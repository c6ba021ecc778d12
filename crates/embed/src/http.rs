//! HTTP pieces shared by provider embeddings and the model download: timeouts and retry
//! settings, `Retry-After`, error chains without URLs, provider error messages and key
//! scrubbing. They follow the model-server transport of the `llm` crate.

use reqwest::Url;

/// Error bodies are only read for their message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// HTTP limits and retries: the chat adapters' settings, shared (for a download,
/// `request_timeout` bounds the wait for the response head and `idle_timeout` the silence
/// between two pieces of the body).
pub use llm::HttpSettings;

/// A reqwest client with the connect timeout; loopback servers bypass any proxy from the
/// environment.
pub(crate) fn client(base: &Url, settings: &HttpSettings) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder().connect_timeout(settings.connect_timeout);
    if is_loopback(base) {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| error_chain(&e))
}

/// The body of an error answer, best effort: an unreadable one is just an empty message.
pub(crate) async fn error_body(mut response: reqwest::Response) -> String {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() >= MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// Shared with the chat adapters: provider messages, loopback hosts, key redaction,
// `Retry-After`, error chains without URLs.
pub(crate) use llm::{error_chain, is_loopback, provider_message, redact, retry_after};

/// A URL for messages: no user info, no trailing slash.
pub(crate) fn display_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.as_str().trim_end_matches('/').to_owned()
}

/// Parses an http(s) base URL and removes a trailing slash.
pub(crate) fn parse_base(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    let mut url = Url::parse(raw).map_err(|e| format!("the base URL is not valid: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the base URL must start with http:// or https://".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the base URL has no host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a base URL cannot have a query or a fragment".to_owned());
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// `{base}/{path}`.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut map = HeaderMap::new();
        map.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&map), Some(Duration::from_secs(2)));
        map.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&map), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn base_urls_are_checked_and_joined() {
        let base = parse_base("http://127.0.0.1:11434/").unwrap();
        assert_eq!(join(&base, "api/embed").as_str(), "http://127.0.0.1:11434/api/embed");
        let base = parse_base("https://api.openai.com/v1/").unwrap();
        assert_eq!(join(&base, "embeddings").as_str(), "https://api.openai.com/v1/embeddings");
        assert!(parse_base("ftp://x").is_err());
        assert!(parse_base("http://x/?a=1").is_err());
    }
}

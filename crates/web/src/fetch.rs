//! Page fetching: one GET per hop with redirects followed by hand (each hop through the SSRF
//! guard), a total deadline, a size cap, a content-type allow-list, and the readable main text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::dns::Resolve;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use tokio::time::{Instant, timeout_at};
use url::Url;

use crate::guard::{self, GuardedResolver};
use crate::http::{error_chain, read_capped};

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 8;

/// Content types read as pages; anything else falls back to the search snippet.
const PAGE_TYPES: &[&str] = &["text/html", "application/xhtml+xml", "text/plain"];

/// A fetched page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Page {
    /// Where the page ended up after redirects.
    pub url: String,
    pub title: Option<String>,
    pub text: String,
    /// The body was cut at the size limit.
    pub truncated: bool,
}

/// Why a page was not used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NotFetched {
    /// The SSRF guard refused an address (nothing was sent to it).
    Refused(String),
    /// The fetch or the extraction failed.
    Failed(String),
}

/// Minimum spacing between requests to one host.
#[derive(Debug)]
pub(crate) struct HostLimiter {
    interval: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl HostLimiter {
    pub(crate) fn new(interval: Duration) -> HostLimiter {
        HostLimiter { interval, next: Mutex::new(HashMap::new()) }
    }

    /// Waits for this host's next free slot and takes it.
    pub(crate) async fn wait(&self, host: &str) {
        if self.interval.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next.entry(host.to_owned()).or_insert(now);
            let at = (*slot).max(now);
            *slot = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// The page client and its settings.
pub(crate) struct Fetcher {
    client: reqwest::Client,
    resolver: Arc<dyn Resolve>,
    pub(crate) allow_private: bool,
    timeout: Duration,
    max_bytes: usize,
    limiter: Arc<HostLimiter>,
}

impl Fetcher {
    pub(crate) fn new(
        resolver: Arc<dyn Resolve>,
        allow_private: bool,
        timeout: Duration,
        max_bytes: usize,
        limiter: Arc<HostLimiter>,
        user_agent: &str,
    ) -> Result<Fetcher, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .connect_timeout(timeout)
            .timeout(timeout);
        builder = if allow_private {
            builder.dns_resolver(resolver.clone())
        } else {
            builder.dns_resolver(GuardedResolver::new(resolver.clone()))
        };
        Ok(Fetcher { client: builder.build()?, resolver, allow_private, timeout, max_bytes, limiter })
    }

    /// Fetches `url` and extracts its readable text. `trusted` (the search provider's own
    /// origin) skips the address checks for hops that stay on it.
    pub(crate) async fn fetch(&self, url: &Url, trusted: Option<&Url>) -> Result<Page, NotFetched> {
        let deadline = Instant::now() + self.timeout;
        let late = || NotFetched::Failed(format!("{url} did not answer within {:.1} s", self.timeout.as_secs_f32()));
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let on_trusted = trusted.is_some_and(|t| same_origin(t, &current));
            let allow = self.allow_private || on_trusted;
            let left = deadline.saturating_duration_since(Instant::now());
            guard::check_url(&current, self.resolver.as_ref(), allow, left)
                .await
                .map_err(|r| NotFetched::Refused(r.0))?;
            self.limiter.wait(current.host_str().unwrap_or_default()).await;
            let request = self
                .client
                .get(current.clone())
                .header(ACCEPT, "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1");
            let response = match timeout_at(deadline, request.send()).await {
                Err(_) => return Err(late()),
                Ok(Err(e)) if e.is_timeout() => return Err(late()),
                Ok(Err(e)) => {
                    return Err(NotFetched::Failed(format!("{current} could not be fetched: {}", error_chain(&e))));
                }
                Ok(Ok(r)) => r,
            };
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok());
                let Some(next) = location.and_then(|l| current.join(l).ok()) else {
                    return Err(NotFetched::Failed(format!("{current} redirects nowhere (HTTP {})", status.as_u16())));
                };
                current = next;
                continue;
            }
            if !status.is_success() {
                return Err(NotFetched::Failed(format!("{current} answered HTTP {}", status.as_u16())));
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
                .unwrap_or_default();
            if !PAGE_TYPES.contains(&content_type.as_str()) {
                let shown = if content_type.is_empty() { "no content type" } else { content_type.as_str() };
                return Err(NotFetched::Failed(format!("{current} is not a web page ({shown})")));
            }
            let (bytes, truncated) = match timeout_at(deadline, read_capped(response, self.max_bytes)).await {
                Err(_) => return Err(late()),
                Ok(Err(e)) => return Err(NotFetched::Failed(format!("{current} broke off: {}", error_chain(&e)))),
                Ok(Ok(read)) => read,
            };
            let (title, text) = if content_type == "text/plain" {
                (None, String::from_utf8_lossy(&bytes).into_owned())
            } else {
                let opts = extract::ExtractOptions::default();
                match extract::extract_html(&bytes, &opts) {
                    Ok(doc) => (doc.title, doc.text),
                    Err(e) => return Err(NotFetched::Failed(format!("{current} has no readable text: {e}"))),
                }
            };
            if text.trim().is_empty() {
                return Err(NotFetched::Failed(format!("{current} has no readable text")));
            }
            return Ok(Page { url: current.to_string(), title, text, truncated });
        }
        Err(NotFetched::Failed(format!("{url} redirects more than {MAX_REDIRECTS} times")))
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

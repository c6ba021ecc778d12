//! The web-querying action: [`WebClient`] implements `engine::ports::WebSearch` over SearXNG,
//! Brave Search, Tavily or a MediaWiki (Wikipedia, the default: it needs no key).
//!
//! A search asks the provider for the top results, then (unless `fetch_pages` is off) fetches
//! each page and keeps its readable main text (`extract::extract_html`: no navigation, scripts
//! or footers). A page that cannot or may not be fetched falls back to its search snippet, and
//! `WebPage::note` says why; the engine copies notes onto the node's reason.
//!
//! Two HTTP clients, on purpose: the provider's URL is configuration and trusted (a SearXNG on
//! localhost is normal), so its client has no address guard; the page client has one
//! (`guard.rs`), because page addresses come from the internet. A page address that leads to a
//! loopback, private, link-local, unique-local, unspecified, broadcast, CGNAT, multicast or
//! reserved address (IPv4 or IPv6, mapped forms included) is refused unless
//! `allow_private_network` is set; pages on the provider's own origin are trusted like it.
//!
//! **Invariants:** with `offline` set, no request leaves the adapter; a key never appears in an
//! error or `Debug`; every request has a deadline; page text is data for the engine, which
//! delimits it in prompts (this crate never builds a prompt).
//!
//! Modules: `provider.rs` (the four wire formats), `http.rs` (retries, errors), `fetch.rs`
//! (pages, redirects, limits), `guard.rs` (the SSRF guard), `recency.rs` (date restrictions).

mod fetch;
mod guard;
mod http;
mod provider;
mod recency;
#[cfg(feature = "test-support")]
pub mod testing;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::ports::{Clock, Sensitive, WebError, WebPage, WebSearch};
use futures_util::future::join_all;
pub use guard::{SystemResolver, refused_kind};
pub use provider::{BRAVE_URL, Provider, TAVILY_URL, WIKIPEDIA_URL};
pub use recency::{Recency, recency};
pub use reqwest::dns::Resolve;
use serde::{Deserialize, Serialize};
use store::WebCache;
use url::Url;

use crate::fetch::{Fetcher, HostLimiter, NotFetched, Page};
use crate::provider::Hit;

/// Sent with every request: MediaWiki asks clients to identify themselves.
const USER_AGENT: &str = concat!("Catena/", env!("CARGO_PKG_VERSION"), " (research assistant)");

/// Why a [`WebClient`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not one of `searxng`, `brave`, `tavily`, `wikipedia`.
    #[error("unknown web search provider '{0}' (expected searxng, brave, tavily or wikipedia)")]
    UnknownProvider(String),
    /// The provider needs an address (SearXNG).
    #[error("the {0} provider needs the address of its server (--search-url)")]
    MissingUrl(String),
    /// The address does not parse or is not http(s).
    #[error("invalid search provider address '{url}': {reason}")]
    InvalidUrl {
        /// What was given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Settings of the web action.
#[derive(Clone)]
pub struct WebConfig {
    /// Who answers queries.
    pub provider: Provider,
    /// The provider's key (Brave, Tavily), looked up by the caller (the OS keyring).
    pub api_key: Option<Sensitive>,
    /// Results kept per search (and pages fetched); the engine's limit caps it further.
    pub k: usize,
    /// Fetch each result's page and keep its main text; off: the search snippets only.
    pub fetch_pages: bool,
    /// No web traffic at all: every search fails at once with a clear reason.
    pub offline: bool,
    /// Let page fetches reach loopback, private and other non-public addresses.
    pub allow_private_network: bool,
    /// Deadline of one provider request, and of one page fetch with its redirects.
    pub timeout: Duration,
    /// Page bodies are read up to this many bytes; the rest is not read.
    pub max_page_bytes: usize,
    /// Page text kept per result, in chars: the part that best matches the query.
    pub max_text_chars: usize,
    /// How long search answers and pages are reused from the cache.
    pub cache_ttl: Duration,
    /// Minimum spacing between two requests to one host (provider and pages alike).
    pub per_host_interval: Duration,
    /// Attempts at a provider request that fails with 429, 5xx or a broken connection.
    pub max_attempts: u32,
    /// First retry backoff; doubles per retry, with jitter.
    pub initial_backoff: Duration,
    /// Longest wait before a retry; a `Retry-After` asking for more ends the retries.
    pub max_retry_wait: Duration,
}

impl WebConfig {
    /// Defaults for `provider`: 5 results, pages fetched, 15 s timeouts, 2 MiB pages, a one-day
    /// cache, one request per second per host, 3 attempts.
    pub fn new(provider: Provider) -> WebConfig {
        WebConfig {
            provider,
            api_key: None,
            k: 5,
            fetch_pages: true,
            offline: false,
            allow_private_network: false,
            timeout: Duration::from_secs(15),
            max_page_bytes: 2 * 1024 * 1024,
            max_text_chars: 4000,
            cache_ttl: Duration::from_secs(24 * 3600),
            per_host_interval: Duration::from_secs(1),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("provider", &self.provider)
            .field("api_key", &self.api_key)
            .field("k", &self.k)
            .field("fetch_pages", &self.fetch_pages)
            .field("offline", &self.offline)
            .field("allow_private_network", &self.allow_private_network)
            .field("timeout", &self.timeout)
            .field("max_page_bytes", &self.max_page_bytes)
            .field("cache_ttl", &self.cache_ttl)
            .field("per_host_interval", &self.per_host_interval)
            .finish_non_exhaustive()
    }
}

/// The system clock, for the adapter's timestamps when no clock is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// What the cache keeps of a search answer.
#[derive(Serialize, Deserialize)]
struct CachedHits {
    fetched_at: String,
    hits: Vec<Hit>,
}

/// What the cache keeps of a page.
#[derive(Serialize, Deserialize)]
struct CachedPage {
    fetched_at: String,
    page: Page,
}

/// The web action. Cheap to share (`Arc<dyn WebSearch>`).
pub struct WebClient {
    config: WebConfig,
    provider_client: reqwest::Client,
    fetcher: Fetcher,
    limiter: Arc<HostLimiter>,
    cache: Option<WebCache>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebClient").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Builds a [`WebClient`] with a chosen resolver and clock (tests; the defaults are the system's).
pub struct WebClientBuilder {
    config: WebConfig,
    cache: Option<WebCache>,
    resolver: Arc<dyn Resolve>,
    clock: Arc<dyn Clock>,
}

impl WebClientBuilder {
    /// Caches answers and pages in the catalog.
    pub fn cache(mut self, cache: Option<WebCache>) -> WebClientBuilder {
        self.cache = cache;
        self
    }

    /// Resolves page host names with `resolver` (the guard filters what it answers).
    pub fn resolver(mut self, resolver: Arc<dyn Resolve>) -> WebClientBuilder {
        self.resolver = resolver;
        self
    }

    /// Takes the time (recency windows, fetch times, cache expiry) from `clock`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> WebClientBuilder {
        self.clock = clock;
        self
    }

    /// The client.
    pub fn build(self) -> Result<WebClient, ConfigError> {
        let config = self.config;
        let limiter = Arc::new(HostLimiter::new(config.per_host_interval));
        let mut builder = reqwest::Client::builder().user_agent(USER_AGENT).connect_timeout(config.timeout);
        // A proxy from the environment must not capture traffic to a provider on this machine.
        if config.provider.url().host().is_some_and(|h| is_local(&h)) {
            builder = builder.no_proxy();
        }
        let provider_client = builder.build().map_err(|e| ConfigError::Client(http::error_chain(&e)))?;
        let fetcher = Fetcher::new(
            self.resolver,
            config.allow_private_network,
            config.timeout,
            config.max_page_bytes,
            limiter.clone(),
            USER_AGENT,
        )
        .map_err(|e| ConfigError::Client(http::error_chain(&e)))?;
        Ok(WebClient { config, provider_client, fetcher, limiter, cache: self.cache, clock: self.clock })
    }
}

fn is_local(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

impl WebClient {
    /// A client with the system resolver and clock; `cache` (the catalog's) keeps answers for
    /// `cache_ttl`.
    pub fn new(config: WebConfig, cache: Option<WebCache>) -> Result<WebClient, ConfigError> {
        WebClient::builder(config).cache(cache).build()
    }

    /// A builder, to choose the resolver and the clock.
    pub fn builder(config: WebConfig) -> WebClientBuilder {
        WebClientBuilder { config, cache: None, resolver: Arc::new(SystemResolver), clock: Arc::new(SystemClock) }
    }

    /// The settings.
    pub fn config(&self) -> &WebConfig {
        &self.config
    }

    fn expires(&self, now: i64) -> i64 {
        now.saturating_add(i64::try_from(self.config.cache_ttl.as_millis()).unwrap_or(i64::MAX))
    }

    async fn cached<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Option<T> {
        let cache = self.cache.as_ref()?;
        match cache.get(key, self.clock.now_unix_ms()).await {
            Ok(Some(text)) => serde_json::from_str(&text).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "the web cache could not be read");
                None
            }
        }
    }

    async fn remember<T: Serialize>(&self, key: &str, value: &T) {
        let (Some(cache), Ok(text)) = (self.cache.as_ref(), serde_json::to_string(value)) else {
            return;
        };
        if self.config.cache_ttl.is_zero() {
            return;
        }
        let now = self.clock.now_unix_ms();
        if let Err(e) = cache.put(key, &text, now, self.expires(now)).await {
            tracing::warn!(error = %e, "the web cache could not be written");
        }
    }

    /// The provider's results for `query` (from the cache when fresh).
    async fn hits(&self, query: &str, n: usize) -> Result<CachedHits, WebError> {
        let now = self.clock.now_unix_ms();
        let window = recency(query, now);
        let provider = &self.config.provider;
        let key =
            format!("search\u{1f}{}\u{1f}{}\u{1f}{n}\u{1f}{window:?}\u{1f}{query}", provider.name(), provider.url());
        if let Some(hit) = self.cached::<CachedHits>(&key).await {
            return Ok(hit);
        }
        let key_ref = self.config.api_key.as_ref();
        if provider.needs_key() && key_ref.is_none_or(|k| k.expose().trim().is_empty()) {
            return Err(WebError::Auth(format!(
                "{} needs an API key: store one with `catena key set {}`",
                provider.describe(),
                provider.name()
            )));
        }
        let host = provider.url().host_str().unwrap_or_default().to_owned();
        let json = http::send_json(
            &provider.describe(),
            || provider::request(provider, &self.provider_client, query, n, window, now, key_ref),
            self.config.timeout,
            http::Retry {
                max_attempts: self.config.max_attempts,
                initial_backoff: self.config.initial_backoff,
                max_retry_wait: self.config.max_retry_wait,
            },
            key_ref,
            || self.limiter.wait(&host),
        )
        .await?;
        let mut hits = provider::parse(provider, &json)?;
        hits.truncate(n);
        let answer = CachedHits { fetched_at: recency::rfc3339(self.clock.now_unix_ms()), hits };
        self.remember(&key, &answer).await;
        Ok(answer)
    }

    /// One result as evidence: its page's text, or the snippet with a note.
    async fn page(&self, query: &str, hit: Hit, rank: usize, searched_at: &str) -> WebPage {
        let score = hit.score.unwrap_or(1.0 / (rank as f32 + 1.0));
        let snippet = |note: Option<String>| WebPage {
            url: hit.url.clone(),
            title: hit.title.clone(),
            text: hit.snippet.clone(),
            fetched_at: Some(searched_at.to_owned()),
            score,
            note,
        };
        if !self.config.fetch_pages {
            return snippet(None);
        }
        let Ok(url) = Url::parse(&hit.url) else {
            return snippet(Some(format!(
                "page not fetched: {} is not a valid address; used the search snippet",
                hit.url
            )));
        };
        let key = format!("page\u{1f}{}", url);
        let (fetched_at, page) = match self.cached::<CachedPage>(&key).await {
            Some(c) => (c.fetched_at, c.page),
            None => match self.fetcher.fetch(&url, Some(self.config.provider.url())).await {
                Ok(page) => {
                    let fetched_at = recency::rfc3339(self.clock.now_unix_ms());
                    let c = CachedPage { fetched_at, page };
                    self.remember(&key, &c).await;
                    (c.fetched_at, c.page)
                }
                Err(NotFetched::Refused(why)) => {
                    let allow = if self.fetcher.allow_private { "" } else { " (allow_private_network is off)" };
                    tracing::info!(url = %url, reason = %why, "page refused{allow}");
                    return snippet(Some(format!("page not fetched: {why}; used the search snippet")));
                }
                Err(NotFetched::Failed(why)) => {
                    return snippet(Some(format!("page not fetched: {why}; used the search snippet")));
                }
            },
        };
        let note = page
            .truncated
            .then(|| format!("page cut at {} KiB; read what came before", self.config.max_page_bytes / 1024));
        let title = page.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| hit.title.clone());
        WebPage {
            url: hit.url.clone(),
            title,
            text: excerpt(&page.text, query, self.config.max_text_chars),
            fetched_at: Some(fetched_at),
            score,
            note,
        }
    }
}

#[async_trait::async_trait]
impl WebSearch for WebClient {
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<WebPage>, WebError> {
        if self.config.offline {
            return Err(WebError::Unavailable("offline mode is on: no web requests are made".into()));
        }
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let n = limit.min(self.config.k).max(1);
        let answer = self.hits(query, n).await?;
        let pages =
            answer.hits.into_iter().enumerate().map(|(rank, hit)| self.page(query, hit, rank, &answer.fetched_at));
        Ok(join_all(pages).await)
    }

    fn unavailable(&self) -> Option<String> {
        self.config.offline.then(|| "offline mode is on: no web requests are made".to_string())
    }
}

/// The part of a page's text that best answers `query`, at most `max_chars` long: the paragraph
/// with the most query words and the paragraphs after it (the page start when nothing matches).
pub(crate) fn excerpt(text: &str, query: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let words: Vec<String> =
        query.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect();
    let paragraphs: Vec<&str> = text.split('\n').filter(|p| !p.trim().is_empty()).collect();
    let score = |p: &str| {
        let lower = p.to_lowercase();
        words.iter().filter(|w| lower.contains(w.as_str())).count()
    };
    let best = paragraphs
        .iter()
        .enumerate()
        .max_by_key(|(i, p)| (score(p), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let mut out = String::new();
    for p in &paragraphs[best..] {
        let room = max_chars.saturating_sub(out.chars().count());
        if room == 0 {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.extend(p.trim().chars().take(room));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_start_at_the_best_matching_paragraph() {
        let text = format!("{}\nThe Analytical Engine was designed by Babbage.\nMore.", "Menu.\n".repeat(100));
        assert_eq!(
            excerpt(&text, "Who designed the Analytical Engine?", 60),
            "The Analytical Engine was designed by Babbage.\nMore."
        );
        assert_eq!(excerpt("short", "x", 60), "short");
        assert_eq!(excerpt(&"word ".repeat(50), "nothing", 9), "word word");
    }
}

//! The four search providers: where to send a query, how, and how to read the answer. Pure
//! mapping between a query and each provider's wire format; sending is `http.rs`'s job.

use engine::ports::{Sensitive, WebError};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::{Value, json};
use url::Url;

use crate::ConfigError;
use crate::recency::{self, Recency};

/// Which search service answers queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// A SearXNG instance (usually self-hosted), through its JSON API (`/search?format=json`).
    /// The instance must list `json` under `search.formats` in its `settings.yml`.
    Searxng {
        /// The instance's base URL.
        url: Url,
    },
    /// The Brave Search API (needs a subscription token).
    Brave {
        /// `https://api.search.brave.com` unless overridden.
        url: Url,
    },
    /// Tavily (needs an API key).
    Tavily {
        /// `https://api.tavily.com` unless overridden.
        url: Url,
    },
    /// Wikipedia, or any MediaWiki, through its search API (`/w/api.php`); needs no key.
    Wikipedia {
        /// The wiki's base URL (`https://en.wikipedia.org`), or its `api.php` address.
        url: Url,
    },
}

/// Brave's API host.
pub const BRAVE_URL: &str = "https://api.search.brave.com";
/// Tavily's API host.
pub const TAVILY_URL: &str = "https://api.tavily.com";
/// English Wikipedia.
pub const WIKIPEDIA_URL: &str = "https://en.wikipedia.org";

impl Provider {
    /// The provider called `name` (`searxng`, `brave`, `tavily`, `wikipedia`; any case), at `url`
    /// or its usual address. SearXNG has no usual address: it needs `url`.
    pub fn from_name(name: &str, url: Option<&str>) -> Result<Provider, ConfigError> {
        let parse = |u: &str| {
            Url::parse(u.trim()).map_err(|e| ConfigError::InvalidUrl { url: u.to_owned(), reason: e.to_string() })
        };
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let provider = match name.trim().to_ascii_lowercase().as_str() {
            "searxng" => match url {
                Some(u) => Provider::Searxng { url: parse(u)? },
                None => return Err(ConfigError::MissingUrl("searxng".into())),
            },
            "brave" => Provider::Brave { url: parse(url.unwrap_or(BRAVE_URL))? },
            "tavily" => Provider::Tavily { url: parse(url.unwrap_or(TAVILY_URL))? },
            "wikipedia" | "mediawiki" => Provider::Wikipedia { url: parse(url.unwrap_or(WIKIPEDIA_URL))? },
            other => return Err(ConfigError::UnknownProvider(other.to_owned())),
        };
        let base = provider.url();
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(ConfigError::InvalidUrl { url: base.to_string(), reason: "not an http(s) address".into() });
        }
        Ok(provider)
    }

    /// The canonical name: also the keyring item that holds the provider's key.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Searxng { .. } => "searxng",
            Provider::Brave { .. } => "brave",
            Provider::Tavily { .. } => "tavily",
            Provider::Wikipedia { .. } => "wikipedia",
        }
    }

    /// The configured base URL.
    pub fn url(&self) -> &Url {
        match self {
            Provider::Searxng { url }
            | Provider::Brave { url }
            | Provider::Tavily { url }
            | Provider::Wikipedia { url } => url,
        }
    }

    /// Whether the provider refuses to work without a key.
    pub fn needs_key(&self) -> bool {
        matches!(self, Provider::Brave { .. } | Provider::Tavily { .. })
    }

    /// `SearXNG at http://…`, for messages.
    pub(crate) fn describe(&self) -> String {
        let name = match self {
            Provider::Searxng { .. } => "SearXNG",
            Provider::Brave { .. } => "Brave Search",
            Provider::Tavily { .. } => "Tavily",
            Provider::Wikipedia { .. } => "MediaWiki search",
        };
        format!("{name} at {}", self.url())
    }
}

/// One search result, before any page is fetched.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Hit {
    pub url: String,
    pub title: String,
    pub snippet: String,
    pub score: Option<f32>,
}

/// `base` with `segments` appended to its path.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// The MediaWiki API address and the article base for a configured wiki URL.
fn wiki_urls(base: &Url) -> (Url, Url) {
    if base.path().ends_with("api.php") {
        let mut root = base.clone();
        root.set_path("/");
        root.set_query(None);
        let mut api = base.clone();
        api.set_query(None);
        (api, root)
    } else {
        (join(base, &["w", "api.php"]), base.clone())
    }
}

/// The request for `query`, asking for `n` results.
pub(crate) fn request(
    provider: &Provider,
    client: &reqwest::Client,
    query: &str,
    n: usize,
    recency: Option<Recency>,
    now_ms: i64,
    key: Option<&Sensitive>,
) -> reqwest::RequestBuilder {
    match provider {
        Provider::Searxng { url } => {
            let mut url = join(url, &["search"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("q", query).append_pair("format", "json").append_pair("pageno", "1");
                if let Some(r) = recency {
                    q.append_pair("time_range", r.window());
                }
            }
            client.get(url).header(ACCEPT, "application/json")
        }
        Provider::Brave { url } => {
            let mut url = join(url, &["res", "v1", "web", "search"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("q", query).append_pair("count", &n.clamp(1, 20).to_string());
                if let Some(r) = recency {
                    let freshness = match r {
                        Recency::Day => "pd".to_owned(),
                        Recency::Week => "pw".to_owned(),
                        Recency::Month => "pm".to_owned(),
                        Recency::Year => "py".to_owned(),
                        Recency::SinceJanuary { year } => format!("{year:04}-01-01to{}", recency::date(now_ms)),
                    };
                    q.append_pair("freshness", &freshness);
                }
            }
            let builder = client.get(url).header(ACCEPT, "application/json");
            match key {
                Some(k) => builder.header("X-Subscription-Token", k.expose()),
                None => builder,
            }
        }
        Provider::Tavily { url } => {
            let mut body = json!({
                "query": query,
                "max_results": n.clamp(1, 20),
                "search_depth": "basic",
                "topic": "general",
                "include_answer": false,
                "include_raw_content": false,
                "include_images": false,
            });
            if let Some(k) = key {
                body["api_key"] = json!(k.expose());
            }
            match recency {
                Some(Recency::SinceJanuary { year }) => {
                    body["start_date"] = json!(format!("{year:04}-01-01"));
                    body["end_date"] = json!(recency::date(now_ms));
                }
                Some(r) => body["time_range"] = json!(r.window()),
                None => {}
            }
            let builder = client.post(join(url, &["search"])).header(ACCEPT, "application/json").json(&body);
            match key {
                Some(k) => builder.header(AUTHORIZATION, format!("Bearer {}", k.expose())),
                None => builder,
            }
        }
        Provider::Wikipedia { url } => {
            let (mut api, _) = wiki_urls(url);
            api.query_pairs_mut()
                .append_pair("action", "query")
                .append_pair("list", "search")
                .append_pair("srsearch", query)
                .append_pair("srlimit", &n.clamp(1, 50).to_string())
                .append_pair("srprop", "snippet|timestamp")
                .append_pair("format", "json")
                .append_pair("formatversion", "2")
                .append_pair("utf8", "1");
            client.get(api).header(ACCEPT, "application/json")
        }
    }
}

/// Reads a provider's answer; `Err` says what is wrong with it.
pub(crate) fn parse(provider: &Provider, json: &Value) -> Result<Vec<Hit>, WebError> {
    let what = provider.describe();
    let malformed = |why: &str| WebError::Unavailable(format!("{what} answered with malformed JSON: {why}"));
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let hits: Vec<Hit> = match provider {
        // SearXNG and Tavily share the result shape; SearXNG's `content` may carry markup.
        Provider::Searxng { .. } | Provider::Tavily { .. } => {
            let marked_up = matches!(provider, Provider::Searxng { .. });
            let results =
                json.get("results").and_then(Value::as_array).ok_or_else(|| malformed("no `results` list"))?;
            results
                .iter()
                .map(|r| {
                    let content = text(r, "content");
                    Hit {
                        url: text(r, "url"),
                        title: text(r, "title"),
                        snippet: if marked_up { plain(&content) } else { content },
                        score: r.get("score").and_then(Value::as_f64).map(|s| s as f32),
                    }
                })
                .collect()
        }
        Provider::Brave { .. } => {
            if json.get("type").and_then(Value::as_str) != Some("search") {
                return Err(malformed("not a search answer (no `\"type\": \"search\"`)"));
            }
            // No `web` section means no web results.
            let empty = Vec::new();
            let results = match json.get("web") {
                None => &empty,
                Some(web) => {
                    web.get("results").and_then(Value::as_array).ok_or_else(|| malformed("no `web.results` list"))?
                }
            };
            results
                .iter()
                .map(|r| {
                    let mut snippet = plain(&text(r, "description"));
                    if let Some(extra) = r.get("extra_snippets").and_then(Value::as_array) {
                        for s in extra.iter().filter_map(Value::as_str) {
                            snippet.push(' ');
                            snippet.push_str(&plain(s));
                        }
                    }
                    Hit { url: text(r, "url"), title: plain(&text(r, "title")), snippet, score: None }
                })
                .collect()
        }
        Provider::Wikipedia { url } => {
            if let Some(error) = json.get("error") {
                let info = error.get("info").and_then(Value::as_str).unwrap_or("unknown error");
                return Err(WebError::Unavailable(format!("{what} refused the query: {info}")));
            }
            let results = json
                .get("query")
                .and_then(|q| q.get("search"))
                .and_then(Value::as_array)
                .ok_or_else(|| malformed("no `query.search` list"))?;
            let (_, root) = wiki_urls(url);
            results
                .iter()
                .map(|r| {
                    let title = text(r, "title");
                    let page = join(&root, &["wiki", &title.replace(' ', "_")]);
                    Hit { url: page.to_string(), snippet: plain(&text(r, "snippet")), title, score: None }
                })
                .collect()
        }
    };
    // Only web addresses are results; anything else (a `javascript:` link, nothing) is dropped.
    Ok(hits.into_iter().filter(|h| Url::parse(&h.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))).collect())
}

/// Snippet markup (`<span class="searchmatch">`, `<strong>`, entities) as plain text.
pub(crate) fn plain(s: &str) -> String {
    let text = if s.contains(['<', '&']) {
        let fragment = scraper::Html::parse_fragment(s);
        fragment.root_element().text().collect::<String>()
    } else {
        s.to_owned()
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        assert_eq!(Provider::from_name("Brave", None).unwrap().url().as_str(), "https://api.search.brave.com/");
        assert!(matches!(Provider::from_name("searxng", None), Err(ConfigError::MissingUrl(_))));
        assert!(matches!(Provider::from_name("bing", None), Err(ConfigError::UnknownProvider(_))));
        assert!(matches!(Provider::from_name("searxng", Some("ftp://x")), Err(ConfigError::InvalidUrl { .. })));
        let wiki = Provider::from_name("wikipedia", Some("https://de.wikipedia.org/w/api.php")).unwrap();
        let (api, root) = wiki_urls(wiki.url());
        assert_eq!(api.as_str(), "https://de.wikipedia.org/w/api.php");
        assert_eq!(root.as_str(), "https://de.wikipedia.org/");
        assert_eq!(join(&Url::parse("http://h/searx").unwrap(), &["search"]).as_str(), "http://h/searx/search");
        assert_eq!(join(&Url::parse("http://h/").unwrap(), &["search"]).as_str(), "http://h/search");
    }

    #[test]
    fn snippets_lose_their_markup() {
        assert_eq!(
            plain("<span class=\"searchmatch\">Ada</span> Lovelace &amp; the   Analytical Engine"),
            "Ada Lovelace & the Analytical Engine"
        );
    }
}

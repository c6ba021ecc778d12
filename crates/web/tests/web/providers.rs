//! The four providers: the request each one gets, the pages that come back, recency windows and
//! the provider's failures.

use std::time::{Duration, Instant};

use engine::ports::{WebError, WebSearch};
use serde_json::json;
use web::Provider;
use web::testing::{Reply, Server};

use crate::*;

#[tokio::test]
async fn searxng_results_become_pages_with_their_main_text() {
    let pages = Server::routes(vec![("/ada", Reply::html(article("Ada Lovelace", ADA)))]).await;
    let page_url = format!("{}/ada", pages.url());
    let answer = searxng_answer("Ada Lovelace", &[(&page_url, "Ada Lovelace - Example", "English mathematician.")]);
    let searx = Server::routes(vec![("/search", Reply::json(200, answer))]).await;
    let c = client(config(searxng(&searx.url())));

    let found = search(&c, "Who was Ada Lovelace?").await;

    let sent = searx.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].route(), "/search");
    assert_eq!(sent[0].query("q").as_deref(), Some("Who was Ada Lovelace?"));
    assert_eq!(sent[0].query("format").as_deref(), Some("json"));
    assert_eq!(sent[0].query("time_range"), None, "no recency word, no restriction");
    assert!(sent[0].header("user-agent").unwrap().starts_with("Catena/"));

    assert_eq!(found.len(), 1);
    let p = &found[0];
    assert_eq!(p.url, page_url);
    assert_eq!(p.title, "Ada Lovelace | Example Encyclopedia", "the page's own title");
    assert_eq!(p.fetched_at.as_deref(), Some(NOW_RFC3339));
    assert_eq!(p.note, None);
    assert_eq!(p.score, 3.0);
    assert!(p.text.contains("the first algorithm intended to be carried out"), "{}", p.text);
    for marker in ["NAV-MARKER", "SCRIPT-MARKER", "STYLE-MARKER", "FOOTER-MARKER", "Accept all"] {
        assert!(!p.text.contains(marker), "{marker} leaked into the page text: {}", p.text);
    }
}

#[tokio::test]
async fn recency_words_become_searxng_time_ranges() {
    let searx = Server::always_json(searxng_answer("q", &[])).await;
    let c = client(config(searxng(&searx.url())));
    for q in [
        "What is the latest Rust release?",
        "Storms in Oslo today",
        "Papers published this week",
        "Who won the elections in 2026?",
        "Who wrote Hamlet?",
    ] {
        assert!(search(&c, q).await.is_empty());
    }
    let ranges: Vec<Option<String>> = searx.requests().iter().map(|r| r.query("time_range")).collect();
    assert_eq!(
        ranges,
        [Some("month".to_owned()), Some("day".to_owned()), Some("week".to_owned()), Some("year".to_owned()), None]
    );
}

fn brave_answer(url: &str) -> String {
    json!({
        "type": "search",
        "query": {"original": "ada lovelace", "show_strict_warning": false, "is_navigational": false, "more_results_available": true},
        "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": false}], "top": [], "side": []},
        "web": {
            "type": "search",
            "results": [{
                "title": "<strong>Ada Lovelace</strong> - Wikipedia",
                "url": url,
                "is_source_local": false,
                "is_source_both": false,
                "description": "<strong>Ada</strong> King, Countess of Lovelace, was an English mathematician &amp; writer.",
                "page_age": "2026-11-20T08:00:00",
                "profile": {"name": "Wikipedia", "url": url, "long_name": "en.wikipedia.org", "img": ""},
                "language": "en",
                "family_friendly": true,
                "type": "search_result",
                "subtype": "generic",
                "meta_url": {"scheme": "https", "netloc": "en.wikipedia.org", "hostname": "en.wikipedia.org", "favicon": "", "path": "› wiki › Ada_Lovelace"},
                "age": "5 days ago",
                "extra_snippets": ["She wrote the first published algorithm."]
            }],
            "family_friendly": true
        }
    })
    .to_string()
}

#[tokio::test]
async fn brave_sends_the_token_and_freshness_and_snippets_only_mode_fetches_nothing() {
    let brave = Server::always_json(brave_answer("https://en.wikipedia.org/wiki/Ada_Lovelace")).await;
    let mut cfg = config(Provider::from_name("brave", Some(&brave.url())).unwrap());
    cfg.api_key = key();
    cfg.fetch_pages = false;
    assert!(!format!("{cfg:?}").contains(KEY), "the key leaked into Debug");
    let c = client(cfg);

    let found = search(&c, "Ada Lovelace news this week").await;
    search(&c, "Ada Lovelace in 2026").await;

    let sent = brave.requests();
    assert_eq!(sent.len(), 2, "one request per search, no page fetches");
    assert_eq!(sent[0].route(), "/res/v1/web/search");
    assert_eq!(sent[0].header("x-subscription-token"), Some(KEY));
    assert_eq!(sent[0].query("q").as_deref(), Some("Ada Lovelace news this week"));
    assert_eq!(sent[0].query("count").as_deref(), Some("5"));
    assert_eq!(sent[0].query("freshness").as_deref(), Some("pw"));
    assert_eq!(sent[1].query("freshness").as_deref(), Some("2026-01-01to2026-11-25"));

    assert_eq!(found.len(), 1);
    assert_eq!(found[0].title, "Ada Lovelace - Wikipedia");
    assert_eq!(
        found[0].text,
        "Ada King, Countess of Lovelace, was an English mathematician & writer. She wrote the first published algorithm."
    );
    assert_eq!(found[0].fetched_at.as_deref(), Some(NOW_RFC3339));
    assert_eq!(found[0].note, None);
}

#[tokio::test]
async fn brave_without_a_key_is_an_auth_error_and_sends_nothing() {
    let brave = Server::always_json(brave_answer("https://example.org/")).await;
    let c = client(config(Provider::from_name("brave", Some(&brave.url())).unwrap()));
    let err = c.search("anything", 5).await.unwrap_err();
    assert!(matches!(&err, WebError::Auth(m) if m.contains("catena key set brave")), "{err:?}");
    assert!(brave.requests().is_empty());
}

#[tokio::test]
async fn tavily_posts_json_with_the_key_and_a_time_range() {
    let answer = json!({
        "query": "latest Rust release",
        "follow_up_questions": null,
        "answer": null,
        "images": [],
        "results": [
            {"title": "Announcing Rust 1.95.0", "url": "https://blog.rust-lang.org/2026/04/16/Rust-1.95.0/", "content": "The Rust team is happy to announce a new version of Rust, 1.95.0.", "score": 0.91, "raw_content": null},
            {"title": "Rust Releases", "url": "https://releases.rs/", "content": "Rust release dates and notes.", "score": 0.62, "raw_content": null}
        ],
        "response_time": 1.31
    });
    let tavily = Server::always_json(answer.to_string()).await;
    let mut cfg = config(Provider::from_name("tavily", Some(&tavily.url())).unwrap());
    cfg.api_key = key();
    cfg.fetch_pages = false;
    let found = client(cfg).search("latest Rust release", 3).await.unwrap();

    let sent = tavily.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].route()), ("POST", "/search"));
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    let body = sent[0].json();
    assert_eq!(body["api_key"], KEY);
    assert_eq!(body["query"], "latest Rust release");
    assert_eq!(body["max_results"], 3);
    assert_eq!(body["time_range"], "month");
    assert_eq!(body["include_raw_content"], false);

    let got: Vec<(&str, f32)> = found.iter().map(|p| (p.url.as_str(), p.score)).collect();
    assert_eq!(got, [("https://blog.rust-lang.org/2026/04/16/Rust-1.95.0/", 0.91), ("https://releases.rs/", 0.62)]);
    assert_eq!(found[0].text, "The Rust team is happy to announce a new version of Rust, 1.95.0.");
}

#[tokio::test]
async fn wikipedia_search_finds_articles_and_reads_them_from_the_wiki_itself() {
    let answer = json!({
        "batchcomplete": true,
        "continue": {"sroffset": 1, "continue": "-||"},
        "query": {
            "searchinfo": {"totalhits": 4821},
            "search": [{
                "ns": 0,
                "title": "Ada Lovelace",
                "pageid": 974,
                "snippet": "<span class=\"searchmatch\">Ada</span> King, Countess of <span class=\"searchmatch\">Lovelace</span> (née Byron; 10 December 1815 – 27 November 1852) was an English mathematician",
                "timestamp": "2026-11-20T10:00:00Z"
            }]
        }
    });
    let wiki = Server::routes(vec![
        ("/w/api.php", Reply::json(200, answer.to_string())),
        ("/wiki/Ada_Lovelace", Reply::html(article("Ada Lovelace", ADA))),
    ])
    .await;
    let mut cfg = config(Provider::from_name("wikipedia", Some(&wiki.url())).unwrap());
    // The wiki's own pages are trusted like the wiki: no opt-in needed for them.
    cfg.allow_private_network = false;
    let found = search(&client(cfg), "latest on Ada Lovelace").await;

    let sent = wiki.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].route(), "/w/api.php");
    for (k, v) in [
        ("action", "query"),
        ("list", "search"),
        ("srsearch", "latest on Ada Lovelace"),
        ("format", "json"),
        ("srlimit", "5"),
    ] {
        assert_eq!(sent[0].query(k).as_deref(), Some(v), "{k}");
    }
    for param in ["time_range", "freshness", "days", "start_date"] {
        assert_eq!(sent[0].query(param), None, "MediaWiki has no date filter");
    }
    assert_eq!(sent[1].route(), "/wiki/Ada_Lovelace");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].url, format!("{}/wiki/Ada_Lovelace", wiki.url()));
    assert_eq!(found[0].note, None);
    assert!(found[0].text.contains("born in London on 10 December 1815"));
}

#[tokio::test]
async fn refused_credentials_are_auth_errors_without_the_key() {
    for status in [401, 403] {
        let brave = Server::always(Reply::json(
            status,
            format!(r#"{{"type":"ErrorResponse","error":{{"id":"x","status":{status},"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"The provided subscription token {KEY} is invalid."}}}}"#),
        ))
        .await;
        let mut cfg = config(Provider::from_name("brave", Some(&brave.url())).unwrap());
        cfg.api_key = key();
        let err = client(cfg).search("q", 5).await.unwrap_err();
        let WebError::Auth(message) = &err else { panic!("{status}: {err:?}") };
        assert!(message.contains(&format!("HTTP {status}")) && message.contains("subscription token"), "{message}");
        assert!(!format!("{err} {err:?}").contains(KEY), "the key leaked: {err}");
        assert_eq!(brave.requests().len(), 1, "credentials are not retried");
    }
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_honouring_retry_after() {
    let ok = searxng_answer("q", &[("https://example.org/a", "A", "snippet a")]);
    let searx = Server::sequence(vec![
        Reply::json(429, "{}").header("Retry-After", "1"),
        Reply::json(502, "bad gateway"),
        Reply::json(200, ok),
    ])
    .await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.fetch_pages = false;
    let started = Instant::now();
    let found = search(&client(cfg), "q").await;
    assert_eq!(found.len(), 1);
    let sent = searx.requests();
    assert_eq!(sent.len(), 3);
    let waited = sent[1].at - sent[0].at;
    assert!(waited >= Duration::from_millis(950), "Retry-After: 1 was not honoured ({waited:?})");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_provider_that_keeps_failing_is_unavailable_after_the_attempts() {
    let searx = Server::always(Reply::json(503, r#"{"error":{"message":"overloaded"}}"#)).await;
    let err = client(config(searxng(&searx.url()))).search("q", 5).await.unwrap_err();
    assert!(
        matches!(&err, WebError::Unavailable(m) if m.contains("HTTP 503: overloaded") && m.contains("3 attempts")),
        "{err:?}"
    );
    assert_eq!(searx.requests().len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_gives_up_at_once() {
    let searx = Server::always(Reply::json(429, "{}").header("Retry-After", "3600")).await;
    let started = Instant::now();
    let err = client(config(searxng(&searx.url()))).search("q", 5).await.unwrap_err();
    assert!(matches!(&err, WebError::Unavailable(m) if m.contains("HTTP 429")), "{err:?}");
    assert_eq!(searx.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn malformed_answers_are_unavailable_with_a_clear_message() {
    for (body, expect) in
        [("<html>SearXNG error</html>", "malformed JSON"), (r#"{"results": "none"}"#, "no `results` list")]
    {
        let searx = Server::always(Reply::json(200, body)).await;
        let err = client(config(searxng(&searx.url()))).search("q", 5).await.unwrap_err();
        assert!(matches!(&err, WebError::Unavailable(m) if m.contains(expect) && m.contains("SearXNG at")), "{err:?}");
        assert_eq!(searx.requests().len(), 1, "a malformed answer is not retried");
    }
}

#[tokio::test]
async fn a_silent_provider_times_out() {
    let searx = Server::always(Reply::Stall).await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.timeout = Duration::from_millis(400);
    let started = Instant::now();
    let err = client(cfg).search("q", 5).await.unwrap_err();
    assert!(matches!(&err, WebError::Unavailable(m) if m.contains("did not answer within")), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

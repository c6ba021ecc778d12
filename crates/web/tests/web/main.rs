//! The web adapter against scripted loopback servers that speak each provider's wire format and
//! serve real HTML. Every test checks what was sent as well as what came back; none touches the
//! real network or real DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod engine_run;
mod pages;
mod providers;
mod ssrf;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use engine::ports::{Clock, Sensitive, WebPage, WebSearch};
use serde_json::{Value, json};
use web::testing::StaticResolver;
use web::{Provider, WebClient, WebConfig};

/// 2026-11-25T17:12:00Z.
pub const NOW: i64 = 1_795_626_720_000;
pub const NOW_RFC3339: &str = "2026-11-25T17:12:00.000Z";

/// A key that must never show up anywhere.
pub const KEY: &str = "brv-test-SECRET-51c0ffee";

/// A clock the test moves.
pub struct TestClock(pub AtomicI64);

impl TestClock {
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock(AtomicI64::new(NOW)))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_unix_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Fast settings; the test pages live on loopback, so private addresses are allowed unless a
/// test turns that off.
pub fn config(provider: Provider) -> WebConfig {
    let mut c = WebConfig::new(provider);
    c.allow_private_network = true;
    c.timeout = Duration::from_secs(3);
    c.per_host_interval = Duration::ZERO;
    c.initial_backoff = Duration::from_millis(10);
    c.max_retry_wait = Duration::from_secs(1);
    c
}

pub fn searxng(url: &str) -> Provider {
    Provider::from_name("searxng", Some(url)).unwrap()
}

pub fn key() -> Option<Sensitive> {
    Some(Sensitive::new(KEY))
}

pub fn client(config: WebConfig) -> WebClient {
    client_with(config, StaticResolver::new(), None)
}

pub fn client_with(config: WebConfig, resolver: StaticResolver, cache: Option<store::WebCache>) -> WebClient {
    WebClient::builder(config)
        .resolver(Arc::new(resolver))
        .clock(Arc::new(TestClock(AtomicI64::new(NOW))))
        .cache(cache)
        .build()
        .unwrap()
}

pub async fn search(c: &WebClient, q: &str) -> Vec<WebPage> {
    c.search(q, 5).await.unwrap()
}

/// A SearXNG `/search?format=json` answer, shaped like a real instance's.
pub fn searxng_answer(query: &str, results: &[(&str, &str, &str)]) -> String {
    let results: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(i, (url, title, content))| {
            json!({
                "url": url,
                "title": title,
                "content": content,
                "engine": "duckduckgo",
                "parsed_url": ["http", "example", "/", "", "", ""],
                "template": "default.html",
                "engines": ["duckduckgo", "brave"],
                "positions": [i + 1],
                "publishedDate": null,
                "thumbnail": "",
                "score": 3.0 / (i as f64 + 1.0),
                "category": "general",
            })
        })
        .collect();
    json!({
        "query": query,
        "number_of_results": 0,
        "results": results,
        "answers": [],
        "corrections": [],
        "infoboxes": [],
        "suggestions": [format!("{query} biography")],
        "unresponsive_engines": [["google", "timeout"]],
    })
    .to_string()
}

/// An article page with navigation, a script, a cookie banner and a footer around the text.
pub fn article(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Example Encyclopedia</title>
<script>window.analytics = "SCRIPT-MARKER"; document.write("SCRIPT-MARKER");</script>
<style>.nav {{ color: red }} /* STYLE-MARKER */</style></head>
<body>
<header><nav class="nav"><a href="/">Home NAV-MARKER</a> <a href="/about">About</a> <a href="/contact">Contact</a></nav></header>
<div class="cookie-banner">We use cookies. Accept all?</div>
<main><article>
<h1>{title}</h1>
{body}</article></main>
<aside class="sidebar"><h3>Related</h3><ul><li><a href="/x">Other article</a></li></ul></aside>
<footer>Copyright 2026 FOOTER-MARKER. <a href="/privacy">Privacy</a></footer>
<script src="/app.js"></script>
</body></html>"#
    )
}

pub const ADA: &[&str] = &[
    "Augusta Ada King, Countess of Lovelace, was an English mathematician and writer chiefly known for her work on Charles Babbage's proposed mechanical general-purpose computer, the Analytical Engine.",
    "She was the first to recognise that the machine had applications beyond pure calculation. Her notes on the engine include what is recognised as the first algorithm intended to be carried out by such a machine.",
    "Ada Lovelace was born in London on 10 December 1815, the only legitimate child of the poet Lord Byron and Anne Isabella Milbanke. Her mother promoted her interest in mathematics and logic.",
    "Between 1842 and 1843 she translated an article by the Italian military engineer Luigi Menabrea about the Analytical Engine, supplementing it with an elaborate set of notes, simply called Notes.",
];

//! The response cache (SQLite, with a time-to-live) and the offline switch.

use std::sync::Arc;
use std::time::Duration;

use engine::ports::{WebError, WebSearch};
use web::WebClient;
use web::testing::{Reply, Server, StaticResolver};

use crate::*;

async fn servers() -> (Server, Server) {
    let pages = Server::routes(vec![("/ada", Reply::html(article("Ada Lovelace", ADA)))]).await;
    let url = format!("{}/ada", pages.url());
    let searx = Server::always_json(searxng_answer("Ada", &[(&url, "Ada Lovelace", "snippet")])).await;
    (searx, pages)
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_the_cache_until_it_expires() {
    let (searx, pages) = servers().await;
    let catalog = store::Catalog::open_in_memory().await.unwrap();
    let clock = TestClock::new();
    let mut cfg = config(searxng(&searx.url()));
    cfg.cache_ttl = Duration::from_secs(3600);
    let c = WebClient::builder(cfg)
        .cache(Some(catalog.web_cache()))
        .clock(clock.clone())
        .resolver(Arc::new(StaticResolver::new()))
        .build()
        .unwrap();

    let first = search(&c, "Who was Ada Lovelace?").await;
    assert_eq!((searx.requests().len(), pages.requests().len()), (1, 1));
    clock.advance(Duration::from_secs(3599));
    let second = search(&c, "Who was Ada Lovelace?").await;
    assert_eq!((searx.requests().len(), pages.requests().len()), (1, 1), "the cache was not used");
    assert_eq!(second, first, "the cached answer keeps its original fetch time");
    assert_eq!(second[0].fetched_at.as_deref(), Some(NOW_RFC3339));

    clock.advance(Duration::from_secs(2));
    let third = search(&c, "Who was Ada Lovelace?").await;
    assert_eq!((searx.requests().len(), pages.requests().len()), (2, 2), "expired entries were used");
    assert_eq!(third[0].fetched_at.as_deref(), Some("2026-11-25T18:12:01.000Z"));
    assert_eq!(third[0].text, first[0].text);
}

#[tokio::test]
async fn a_different_query_or_recency_window_is_a_different_entry() {
    let (searx, _pages) = servers().await;
    let catalog = store::Catalog::open_in_memory().await.unwrap();
    let mut cfg = config(searxng(&searx.url()));
    cfg.fetch_pages = false;
    let c = client_with(cfg, StaticResolver::new(), Some(catalog.web_cache()));
    for q in ["Ada Lovelace", "Ada Lovelace today", "Ada Lovelace", "Ada Lovelace today"] {
        search(&c, q).await;
    }
    assert_eq!(searx.requests().len(), 2);
}

#[tokio::test]
async fn offline_mode_sends_nothing() {
    let (searx, pages) = servers().await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.offline = true;
    let resolver = Arc::new(StaticResolver::new());
    let c = WebClient::builder(cfg).resolver(resolver.clone()).build().unwrap();
    let err = c.search("Who was Ada Lovelace?", 5).await.unwrap_err();
    assert!(matches!(&err, WebError::Unavailable(m) if m.contains("offline")), "{err:?}");
    assert!(searx.requests().is_empty());
    assert!(pages.requests().is_empty());
    assert_eq!(resolver.lookups(), 0, "not even a DNS lookup");
}

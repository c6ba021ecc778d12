//! Fetched pages: what is kept, and the snippet fallback (with its note) when a page is not a
//! page, too large, missing, or slow; the per-host interval.

use std::time::{Duration, Instant};

use web::testing::{Reply, Server};

use crate::*;

/// A SearXNG listing each of `paths` on `pages`.
async fn listing(pages: &Server, paths: &[&str]) -> Server {
    let urls: Vec<String> = paths.iter().map(|p| format!("{}{p}", pages.url())).collect();
    let results: Vec<(&str, &str, &str)> =
        urls.iter().map(|u| (u.as_str(), "Result title", "The search snippet.")).collect();
    Server::always_json(searxng_answer("q", &results)).await
}

#[tokio::test]
async fn pages_that_are_not_web_pages_fall_back_to_the_snippet_with_a_note() {
    let pages = Server::routes(vec![
        ("/report.pdf", Reply::with_type(200, "application/pdf", b"%PDF-1.7 binary".to_vec())),
        (
            "/notes.txt",
            Reply::with_type(200, "text/plain; charset=utf-8", "Plain notes: Ada Lovelace wrote the first algorithm."),
        ),
        ("/gone", Reply::not_found()),
        ("/untyped", Reply::Full { status: 200, headers: vec![], body: b"<p>no type</p>".to_vec() }),
    ])
    .await;
    let searx = listing(&pages, &["/report.pdf", "/notes.txt", "/gone", "/untyped"]).await;
    let found = search(&client(config(searxng(&searx.url()))), "q").await;
    let base = pages.url();

    let got: Vec<(&str, Option<&str>)> = found.iter().map(|p| (p.text.as_str(), p.note.as_deref())).collect();
    assert_eq!(
        got,
        [
            (
                "The search snippet.",
                Some(format!("page not fetched: {base}/report.pdf is not a web page (application/pdf); used the search snippet").as_str())
            ),
            ("Plain notes: Ada Lovelace wrote the first algorithm.", None),
            ("The search snippet.", Some(format!("page not fetched: {base}/gone answered HTTP 404; used the search snippet").as_str())),
            (
                "The search snippet.",
                Some(format!("page not fetched: {base}/untyped is not a web page (no content type); used the search snippet").as_str())
            ),
        ]
    );
    assert!(found.iter().all(|p| p.fetched_at.as_deref() == Some(NOW_RFC3339) && p.title == "Result title"));
}

#[tokio::test]
async fn an_oversized_page_is_read_up_to_the_limit_only() {
    let pages =
        Server::routes(vec![("/huge", Reply::Endless { content_type: "text/html".into(), total: 256 * 1024 * 1024 })])
            .await;
    let searx = listing(&pages, &["/huge"]).await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.max_page_bytes = 256 * 1024;
    let started = Instant::now();
    let found = search(&client(cfg), "filler").await;
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(found[0].note.as_deref(), Some("page cut at 256 KiB; read what came before"));
    assert!(found[0].text.contains("filler text for a very long page"));
    // The client hung up long before the server had sent everything.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pages.aborted() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pages.aborted(), 1);
}

#[tokio::test]
async fn a_slow_page_falls_back_to_the_snippet_in_time() {
    let pages = Server::routes(vec![("/slow", Reply::Stall)]).await;
    let searx = listing(&pages, &["/slow"]).await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let found = search(&client(cfg), "q").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(found[0].text, "The search snippet.");
    assert!(found[0].note.as_deref().unwrap().contains("did not answer within 0.5 s"), "{:?}", found[0].note);
}

#[tokio::test]
async fn requests_to_one_host_keep_the_minimum_interval() {
    let pages = Server::routes(vec![
        ("/1", Reply::html(article("One", ADA))),
        ("/2", Reply::html(article("Two", ADA))),
        ("/3", Reply::html(article("Three", ADA))),
    ])
    .await;
    let searx = listing(&pages, &["/1", "/2", "/3"]).await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.per_host_interval = Duration::from_millis(200);
    let found = search(&client(cfg), "q").await;
    assert!(found.iter().all(|p| p.note.is_none()), "{found:?}");
    let mut at: Vec<Instant> = pages.requests().iter().map(|r| r.at).collect();
    at.sort();
    assert_eq!(at.len(), 3);
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(180), "requests to one host {gap:?} apart");
    }
}

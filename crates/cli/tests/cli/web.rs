//! `catena ask --web …` end to end: the real binary against a scripted SearXNG and a page server
//! on 127.0.0.1, with web evidence in `--json`.

use std::process::Command;

use acceptance::write;
use serde_json::{Value, json};
use web::testing::{Reply, Server};

use crate::Catena;

const PAGE: &str = r#"<!DOCTYPE html><html><head><title>Bauer Media magazines</title>
<script>var tracker = "SCRIPT-MARKER";</script></head><body>
<nav><a href="/">Home NAV-MARKER</a> <a href="/shop">Shop</a></nav>
<article><h1>First for Women</h1>
<p>First for Women is a woman's magazine published by Bauer Media Group in the USA. The magazine was started in 1989 and is based in Englewood Cliffs, New Jersey.</p>
<p>It covers health, food, home and beauty, and is sold at supermarket checkouts across the country. Its circulation was over one million copies in the 2010s.</p>
<p>The magazine is published seventeen times a year by Bauer's American arm, which also publishes Woman's World and In Touch Weekly.</p>
</article><footer>FOOTER-MARKER all rights reserved</footer></body></html>"#;

struct Web {
    searx: Server,
    pages: Server,
    // Keeps the servers' tasks running while the binary talks to them.
    _rt: tokio::runtime::Runtime,
}

fn servers() -> Web {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pages = rt.block_on(Server::routes(vec![("/magazines/first-for-women", Reply::html(PAGE))]));
    let url = format!("{}/magazines/first-for-women", pages.url());
    let answer = json!({
        "query": "When was First for Women started?",
        "number_of_results": 0,
        "results": [{
            "url": url, "title": "First for Women - Bauer", "content": "First for Women magazine, started 1989.",
            "engine": "duckduckgo", "parsed_url": ["http", "127.0.0.1", "/magazines/first-for-women", "", "", ""],
            "template": "default.html", "engines": ["duckduckgo"], "positions": [1], "score": 1.0, "category": "general"
        }],
        "answers": [], "corrections": [], "infoboxes": [], "suggestions": [], "unresponsive_engines": []
    });
    let searx = rt.block_on(Server::always_json(answer.to_string()));
    Web { searx, pages, _rt: rt }
}

fn library() -> Catena {
    let files = tempfile::tempdir().unwrap();
    let doc = write(files.path(), "notes.md", b"# Notes\n\nArthur's Magazine was an American literary periodical.\n");
    let c = Catena::new();
    let (code, v) = c.json(&["ingest", doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    c
}

fn ask(c: &Catena, web: &Web, extra: &[&str]) -> (i32, Value) {
    let searx = web.searx.url();
    let mut cmd: Command = c.cmd();
    cmd.env_remove("CATENA_LLM_URL").env_remove("CATENA_LLM_MODEL").env_remove("CATENA_LLM_PROVIDER");
    cmd.args(["--json", "ask", "--no-llm", "--web", "searxng", "--search-url", &searx]).args(extra);
    cmd.arg("When was First for Women started?");
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn web_evidence(run: &Value) -> Vec<Value> {
    run["evidence"].as_array().unwrap().iter().filter(|e| e["kind"] == "web").cloned().collect()
}

#[test]
fn ask_with_searxng_records_fetched_pages_as_web_evidence() {
    let c = library();
    let web = servers();
    let (code, run) = ask(&c, &web, &["--allow-private-network"]);
    assert_eq!(code, 0, "{run}");

    let sent = web.searx.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query("q").as_deref(), Some("When was First for Women started?"));
    assert_eq!(sent[0].query("format").as_deref(), Some("json"));

    let node = run["nodes"].as_array().unwrap().iter().find(|n| n["action"] == "web_search").expect("a web node");
    assert_eq!(node["sub_question"], "When was First for Women started?");
    let found = web_evidence(&run);
    assert_eq!(found.len(), 1, "{run:#}");
    let e = &found[0];
    assert_eq!(e["url"], format!("{}/magazines/first-for-women", web.pages.url()));
    assert_eq!(e["title"], "Bauer Media magazines");
    let fetched_at = e["fetched_at"].as_str().unwrap();
    assert!(fetched_at.len() == 24 && fetched_at.ends_with('Z') && fetched_at.as_bytes()[10] == b'T', "{fetched_at}");
    let text = e["text"].as_str().unwrap();
    assert!(text.contains("The magazine was started in 1989"), "{text}");
    assert!(
        !text.contains("NAV-MARKER") && !text.contains("SCRIPT-MARKER") && !text.contains("FOOTER-MARKER"),
        "{text}"
    );
    assert_eq!(e["note"], Value::Null);
    assert_eq!(web.pages.requests().len(), 1);

    // Asked again: the answer and the page come from the catalog's cache.
    let (code, again) = ask(&c, &web, &["--allow-private-network"]);
    assert_eq!(code, 0);
    assert_eq!((web.searx.requests().len(), web.pages.requests().len()), (1, 1));
    assert_eq!(web_evidence(&again)[0]["fetched_at"], e["fetched_at"]);
}

#[test]
fn private_pages_are_refused_without_the_flag_and_offline_sends_nothing() {
    let c = library();
    let web = servers();
    let (code, run) = ask(&c, &web, &[]);
    assert_eq!(code, 0, "{run}");
    let found = web_evidence(&run);
    let url = format!("{}/magazines/first-for-women", web.pages.url());
    assert_eq!(found[0]["text"], "First for Women magazine, started 1989.");
    assert_eq!(found[0]["note"], format!("page not fetched: {url} is a loopback address; used the search snippet"));
    assert!(web.pages.requests().is_empty());
    let node = run["nodes"].as_array().unwrap().iter().find(|n| n["action"] == "web_search").unwrap();
    assert!(node["reason"].as_str().unwrap_or_default().contains("is a loopback address"), "{node}");

    let offline = library();
    let before = web.searx.requests().len();
    let (code, run) = ask(&offline, &web, &["--offline", "--allow-private-network"]);
    assert_eq!(code, 0, "{run}");
    assert_eq!(web.searx.requests().len(), before, "offline sent a search");
    assert!(web.pages.requests().is_empty());
    assert!(web_evidence(&run).is_empty());
    let node = run["nodes"].as_array().unwrap().iter().find(|n| n["action"] == "web_search").unwrap();
    assert!(node["reason"].as_str().unwrap().contains("offline"), "{node}");
}

//! The SSRF guard: page addresses that lead to this machine or a private network are refused
//! (nothing is sent to them) unless the user opts in; the provider's own address is trusted.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use web::testing::{Reply, Server, StaticResolver};

use crate::*;

/// The one page a search finds when SearXNG lists only `url`.
async fn one(url: &str, allow: bool, resolver: StaticResolver) -> (WebPage, Server) {
    let answer = searxng_answer("q", &[(url, "Result title", "The search snippet.")]);
    let searx = Server::always_json(answer).await;
    let mut cfg = config(searxng(&searx.url()));
    cfg.allow_private_network = allow;
    cfg.timeout = Duration::from_secs(2);
    let found = search(&client_with(cfg, resolver, None), "q").await;
    (found.into_iter().next().unwrap(), searx)
}

fn refused(note: &str) -> String {
    format!("page not fetched: {note}; used the search snippet")
}

#[tokio::test]
async fn a_loopback_page_is_refused_and_never_contacted() {
    let secret = Server::always(Reply::html(article("Admin", ADA))).await;
    let url = format!("{}/admin", secret.url());
    let (page, _) = one(&url, false, StaticResolver::new()).await;
    assert_eq!(page.note.as_deref(), Some(refused(&format!("{url} is a loopback address")).as_str()));
    assert_eq!(page.text, "The search snippet.");
    assert_eq!(page.url, url);
    assert!(secret.requests().is_empty());
}

/// A search whose result link passes through the SearXNG instance itself (`/out`, trusted like
/// the instance) and redirects from there to `target`.
async fn through_redirect(target: &str, resolver: StaticResolver) -> (WebPage, Server) {
    let me = Arc::new(OnceLock::<String>::new());
    let (me2, to) = (me.clone(), target.to_owned());
    let searx = Server::start(move |_, r| match r.route() {
        "/search" => {
            let out = format!("{}/out", me2.get().unwrap());
            Reply::json(200, searxng_answer("q", &[(&out, "Result title", "The search snippet.")]))
        }
        "/out" => Reply::redirect(302, &to),
        _ => Reply::not_found(),
    })
    .await;
    me.set(searx.url()).unwrap();
    let mut cfg = config(searxng(&searx.url()));
    cfg.allow_private_network = false;
    let found = search(&client_with(cfg, resolver, None), "q").await;
    (found.into_iter().next().unwrap(), searx)
}

#[tokio::test]
async fn a_redirect_to_loopback_is_refused_at_the_hop() {
    let secret = Server::always(Reply::html(article("Admin", ADA))).await;
    let target = format!("http://127.0.0.1:{}/internal", secret.addr.port());
    let (page, searx) = through_redirect(&target, StaticResolver::new()).await;
    assert_eq!(page.note.as_deref(), Some(refused(&format!("{target} is a loopback address")).as_str()));
    assert_eq!(page.text, "The search snippet.");
    assert!(secret.requests().is_empty(), "the redirect target was contacted");
    assert_eq!(searx.requests().iter().filter(|r| r.route() == "/out").count(), 1, "the first hop was fetched");
}

#[tokio::test]
async fn a_redirect_to_a_name_on_a_private_network_is_refused() {
    let resolver = StaticResolver::new().map("intranet.example", &["10.0.0.7"]);
    let (page, _) = through_redirect("http://intranet.example/admin", resolver).await;
    assert_eq!(
        page.note.as_deref(),
        Some(refused("intranet.example resolves to 10.0.0.7, a private address").as_str())
    );
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_is_refused() {
    let resolver = StaticResolver::new().map("intranet.example", &["10.0.0.7"]);
    let started = Instant::now();
    let (page, _) = one("http://intranet.example/wiki", false, resolver).await;
    assert_eq!(
        page.note.as_deref(),
        Some(refused("intranet.example resolves to 10.0.0.7, a private address").as_str())
    );
    assert!(started.elapsed() < Duration::from_secs(1), "refused before any connection attempt");
}

#[tokio::test]
async fn ipv6_loopback_and_ipv4_mapped_loopback_are_refused() {
    for (url, shown) in [
        ("http://[::1]:9/x", "http://[::1]:9/x"),
        ("http://[::ffff:127.0.0.1]:9/x", "http://[::ffff:7f00:1]:9/x"),
        ("http://[fd00::5]/x", "http://[fd00::5]/x"),
        ("http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/"),
        ("http://100.64.1.1/", "http://100.64.1.1/"),
    ] {
        let (page, _) = one(url, false, StaticResolver::new()).await;
        let note = page.note.unwrap();
        assert!(note.starts_with(&format!("page not fetched: {shown} is a")), "{url}: {note}");
        assert!(!note.contains("public"), "{note}");
    }
}

#[tokio::test]
async fn a_name_with_public_and_private_addresses_connects_only_to_the_public_one() {
    // 192.0.2.1 (TEST-NET-1) stands for a public address: nothing answers there, so the fetch
    // fails; what matters is that the loopback address was never used.
    let secret = Server::always(Reply::html(article("Admin", ADA))).await;
    let resolver = StaticResolver::new().map("mixed.example", &["192.0.2.1", "127.0.0.1"]);
    let url = format!("http://mixed.example:{}/admin", secret.addr.port());
    let (page, _) = one(&url, false, resolver).await;
    assert!(page.note.as_deref().unwrap().starts_with("page not fetched: "), "{:?}", page.note);
    assert_eq!(page.text, "The search snippet.");
    assert!(secret.requests().is_empty(), "the loopback address was contacted");
}

#[tokio::test]
async fn the_opt_in_lets_pages_on_private_addresses_through() {
    let secret = Server::routes(vec![("/admin", Reply::html(article("Intranet wiki", ADA)))]).await;
    // Directly, and through a name the injected resolver maps to loopback.
    let resolver = StaticResolver::new().map("intranet.example", &["127.0.0.1"]);
    let by_name = format!("http://intranet.example:{}/admin", secret.addr.port());
    let (page, _) = one(&by_name, true, resolver).await;
    assert_eq!(page.note, None);
    assert_eq!(page.title, "Intranet wiki | Example Encyclopedia");
    let (page, _) = one(&format!("{}/admin", secret.url()), true, StaticResolver::new()).await;
    assert_eq!(page.note, None);
    assert_eq!(secret.requests().len(), 2);
    assert_eq!(secret.requests()[0].header("host"), Some(format!("intranet.example:{}", secret.addr.port()).as_str()));
}

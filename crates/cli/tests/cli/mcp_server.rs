//! `catena mcp` through rmcp's own client, on stdio (the binary as a child process) and on
//! Streamable HTTP, over a real library: tools with good and bad arguments, progress and
//! cancellation of `ask`, resources, the HTTP guards (token, Origin) and the ingest rules.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientRequest, ProgressNotificationParam, ReadResourceRequestParams,
    Request, ResourceContents, ServerResult,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::Catena;
use crate::ask::{catena, library, stdout_json};

/// A client that keeps the progress notifications it receives.
#[derive(Clone, Default)]
struct Client {
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for Client {
    async fn on_progress(&self, params: ProgressNotificationParam, _context: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }
}

type Session = RunningService<RoleClient, Client>;

/// `catena mcp ARGS` on stdio, with an initialized session.
async fn stdio(c: &Catena, args: &[&str]) -> Session {
    let mut cmd = tokio::process::Command::from(catena(c));
    cmd.arg("mcp").args(args);
    let transport = TokioChildProcess::new(cmd).unwrap();
    Client::default().serve(transport).await.unwrap()
}

/// `catena mcp --http 127.0.0.1:0 ARGS`: the child and its URL (read from stderr).
struct HttpServer {
    child: std::process::Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_server(c: &Catena, args: &[&str], env: &[(&str, &str)]) -> HttpServer {
    let mut cmd = catena(c);
    cmd.arg("mcp").args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = Arc::new(Mutex::new(String::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("Streamable HTTP at ").nth(1) {
                let _ = tx.send(url.trim().to_string());
            }
            log2.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    let url =
        rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("no address: {}", log.lock().unwrap()));
    HttpServer { child, url, stderr: log }
}

async fn http_client(url: &str, token: Option<&str>) -> Result<Session, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(t) = token {
        config = config.auth_header(t.to_string());
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    Client::default().serve(transport).await.map_err(|e| e.to_string())
}

fn args(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap()
}

async fn call(s: &Session, tool: &str, arguments: Value) -> Result<CallToolResult, String> {
    let params = CallToolRequestParams::new(tool.to_string()).with_arguments(args(arguments));
    s.call_tool(params).await.map_err(|e| e.to_string())
}

/// A tool call that must succeed with structured content; returns it.
async fn ok(s: &Session, tool: &str, arguments: Value) -> Value {
    let result = call(s, tool, arguments.clone()).await.unwrap_or_else(|e| panic!("{tool} {arguments}: {e}"));
    assert_ne!(result.is_error, Some(true), "{tool} {arguments}: {result:?}");
    let structured = result.structured_content.clone().unwrap_or_else(|| panic!("{tool}: no structured content"));
    // The same JSON as text, for clients that read only text.
    let text = result.content.iter().find_map(|c| c.as_text().map(|t| t.text.clone())).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), structured);
    structured
}

/// A tool call that must fail; returns the message (a JSON-RPC error or an error result).
async fn refused(s: &Session, tool: &str, arguments: Value) -> String {
    match call(s, tool, arguments.clone()).await {
        Err(e) => e,
        Ok(r) if r.is_error == Some(true) => {
            r.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join(" ")
        }
        Ok(r) => panic!("{tool} {arguments} was accepted: {r:?}"),
    }
}

fn doc_id(docs: &Value, name: &str) -> i64 {
    docs["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in {docs:#}"))["doc_id"]
        .as_i64()
        .unwrap()
}

/// What every transport must do: tools listed with schemas, each tool with good and bad
/// arguments, resources read back.
async fn exercise(s: &Session, c: &Catena) {
    let tools = s.list_tools(None).await.unwrap().tools;
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, ["ask", "get_run", "list_documents", "read_document", "search_library"], "read-only by default");
    for t in &tools {
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{t:?}");
        assert!(t.description.as_deref().is_some_and(|d| d.len() > 20), "{t:?}");
    }
    let search = tools.iter().find(|t| t.name == "search_library").unwrap();
    assert!(search.input_schema["properties"]["query"].is_object(), "{search:?}");
    assert!(search.output_schema.is_some(), "{search:?}");

    // search_library: the same hits as `catena search --json`.
    let found = ok(s, "search_library", json!({"query": "xylophone", "limit": 5, "mode": "lexical"})).await;
    let cli = stdout_json(
        &catena(c).args(["--json", "search", "xylophone", "--limit", "5", "--mode", "lexical"]).output().unwrap(),
    );
    assert_eq!(found["hits"], cli["hits"], "MCP and CLI differ");
    // Clients that send every argument as text (the MCP Inspector's CLI does) get the same.
    let as_text = ok(s, "search_library", json!({"query": "xylophone", "limit": "5", "mode": "lexical"})).await;
    assert_eq!(as_text["hits"], found["hits"]);
    let hit = &found["hits"][0];
    assert!(hit["path"].as_str().unwrap().ends_with("report.pdf"), "{found:#}");
    assert_eq!(hit["page"], 2);
    assert!(hit["span"][0].as_u64().unwrap() < hit["span"][1].as_u64().unwrap());
    let pdf_id = hit["doc_id"].as_i64().unwrap();

    // Filters by format and by document.
    let docx = ok(s, "search_library", json!({"query": "animals Rottnest", "formats": ["docx"]})).await;
    assert!(!docx["hits"].as_array().unwrap().is_empty(), "{docx:#}");
    assert!(docx["hits"].as_array().unwrap().iter().all(|h| h["format"] == "docx"), "{docx:#}");
    let none = ok(s, "search_library", json!({"query": "xylophone", "doc_ids": [pdf_id + 1000]})).await;
    assert_eq!(none["hits"], json!([]));
    for (bad, why) in [
        (json!({"query": "  "}), "empty"),
        (json!({"query": "x", "limit": 0}), "limit"),
        (json!({"query": "x", "limit": 500}), "limit"),
        (json!({"query": "x", "limit": "five"}), "five"),
        (json!({"query": "x", "mode": "psychic"}), "psychic"),
        (json!({"limit": 3}), "query"),
        (json!({"query": "x", "colour": "red"}), "colour"),
    ] {
        let message = refused(s, "search_library", bad.clone()).await;
        assert!(message.contains(why), "{bad}: {message}");
    }

    // list_documents and read_document.
    let docs = ok(s, "list_documents", json!({})).await;
    assert_eq!(docs["documents"].as_array().unwrap().len(), 8, "{docs:#}");
    let md = doc_id(&docs, "guide.md");
    let pdfs = ok(s, "list_documents", json!({"formats": ["pdf"]})).await;
    assert_eq!(pdfs["documents"].as_array().unwrap().len(), 1, "{pdfs:#}");

    let page = ok(s, "read_document", json!({"doc_id": pdf_id, "page": 2})).await;
    assert!(page["text"].as_str().unwrap().contains("Xylophone"), "{page:#}");
    assert!(!page["text"].as_str().unwrap().contains("Membership"), "page 1 leaked into page 2: {page:#}");
    assert_eq!(page["selection"], "p. 2");
    let whole = ok(s, "read_document", json!({"doc_id": pdf_id})).await;
    let text = whole["text"].as_str().unwrap();
    assert!(text.contains("--- p. 1 ---") && text.contains("--- p. 3 ---"), "{whole:#}");
    let span = ok(s, "read_document", json!({"doc_id": pdf_id, "span": [hit["span"][0], hit["span"][1]]})).await;
    assert_eq!(span["text"], hit["text"], "a hit's span reads back its text");
    let section = ok(s, "read_document", json!({"doc_id": md, "section": "linux"})).await;
    assert!(section["text"].as_str().unwrap().contains(acceptance::words::MD_LINUX), "{section:#}");
    let cut = ok(s, "read_document", json!({"doc_id": pdf_id, "max_chars": 10})).await;
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["text"].as_str().unwrap().chars().count(), 10);
    assert!(cut["note"].as_str().unwrap().contains("offset=10"), "{cut:#}");
    let next = ok(s, "read_document", json!({"doc_id": pdf_id, "max_chars": 10, "offset": 10})).await;
    assert_eq!(
        format!("{}{}", cut["text"].as_str().unwrap(), next["text"].as_str().unwrap()),
        text.chars().take(20).collect::<String>()
    );
    for (bad, why) in [
        (json!({"doc_id": 999_999}), "no document 999999"),
        (json!({"doc_id": pdf_id, "page": 40}), "no text on page 40 (pages 1–3)"),
        (json!({"doc_id": md, "section": "Appendix"}), "Install"),
        (json!({"doc_id": pdf_id, "span": [5, 2]}), "not inside"),
        (json!({"doc_id": pdf_id, "span": [0, 10_000_000]}), "not inside"),
        (json!({"doc_id": pdf_id, "page": 1, "section": "x"}), "at most one"),
        (json!({"doc_id": pdf_id, "max_chars": 0}), "max_chars"),
        (json!({"doc_id": "one"}), "expected i64"),
    ] {
        let message = refused(s, "read_document", bad.clone()).await;
        assert!(message.contains(why), "{bad}: {message}");
    }

    // ask without a model answers extractively, is stored, and get_run returns what
    // `catena show --json` prints.
    let record = ok(s, "ask", json!({"question": "When do the xylophone orchestras rehearse?"})).await;
    assert_eq!(record["mode"], "extractive", "{record:#}");
    assert!(record["answer"].as_str().unwrap().contains("Tuesdays"), "{record:#}");
    assert!(record["answer"].as_str().unwrap().contains("[1]") || record["answer"].as_str().unwrap().contains('['));
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let shown = stdout_json(&catena(c).args(["--json", "show", &run_id]).output().unwrap());
    assert_eq!(shown, record, "ask's record is the stored one");
    assert_eq!(ok(s, "get_run", json!({"run_id": run_id})).await, shown);
    assert!(refused(s, "get_run", json!({"run_id": "r-0-nothing"})).await.contains("no run"));
    assert!(refused(s, "ask", json!({"question": " "})).await.contains("empty"));
    assert!(
        refused(s, "ask", json!({"question": "q", "mode": "agent"}))
            .await
            .contains("agent mode needs a language model")
    );
    assert!(refused(s, "ask", json!({"question": "q", "web": true})).await.contains("web search is off"));
    assert!(refused(s, "no_such_tool", json!({})).await.contains("tool not found"));

    // Resources: the documents and the run, listed, templated and read back.
    let resources = s.list_resources(None).await.unwrap().resources;
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert!(uris.contains(&format!("catena://doc/{pdf_id}").as_str()), "{uris:?}");
    assert!(uris.contains(&format!("catena://run/{run_id}").as_str()), "{uris:?}");
    let templates = s.list_resource_templates(None).await.unwrap().resource_templates;
    let templates: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(templates, ["catena://doc/{id}", "catena://run/{id}"]);
    let read = |uri: String| async move {
        let r = s.read_resource(ReadResourceRequestParams::new(uri.clone())).await;
        r.map(|r| match &r.contents[0] {
            ResourceContents::TextResourceContents { text, .. } => text.clone(),
            other => panic!("{uri}: {other:?}"),
        })
    };
    assert_eq!(read(format!("catena://doc/{pdf_id}")).await.unwrap(), text);
    let run: Value = serde_json::from_str(&read(format!("catena://run/{run_id}")).await.unwrap()).unwrap();
    assert_eq!(run, shown);
    for bad in ["catena://doc/999999", "catena://doc/abc", "file:///etc/passwd", "catena://run/r-0-x"] {
        assert!(read(bad.to_string()).await.is_err(), "{bad} was read");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_every_tool_and_resource_and_refuses_bad_arguments() {
    let (_files, c) = library();
    let s = stdio(&c, &[]).await;
    let info = s.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("catena"));
    exercise(&s, &c).await;
    // Extractive ask sends the engine's progress while it runs.
    let progress = s.service().progress.clone();
    let handle = s
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(
                CallToolRequestParams::new("ask").with_arguments(args(json!({"question": "Where do narwhals live?"}))),
            )),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let token = handle.progress_token.clone();
    let ServerResult::CallToolResult(result) = handle.await_response().await.unwrap() else {
        panic!("not a tool result")
    };
    assert!(result.structured_content.unwrap()["answer"].as_str().unwrap().contains("Arctic"));
    let seen = progress.lock().unwrap().clone();
    let mine: Vec<_> = seen.iter().filter(|p| p.progress_token == token).collect();
    assert!(mine.len() >= 3, "{seen:?}");
    // The server numbers them in the order it sends them; the client may hand notifications to
    // its handler out of order, so compare by number: distinct, and "finished" the last.
    let mut numbers: Vec<f64> = mine.iter().map(|p| p.progress).collect();
    numbers.sort_by(f64::total_cmp);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "progress must increase: {mine:?}");
    let last = mine.iter().max_by(|a, b| a.progress.total_cmp(&b.progress)).unwrap();
    assert_eq!(last.message.as_deref(), Some("finished"), "{mine:?}");
    assert!(mine.iter().any(|p| p.message.as_deref().is_some_and(|m| m.starts_with("plan:"))), "{mine:?}");
    s.cancel().await.unwrap();
}

/// A model server that reads each request and never answers, counting the requests whose
/// connection the client closed.
struct Stalling {
    url: String,
    requests: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

fn stalling_model() -> Stalling {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (requests, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, cl) = (requests.clone(), closed.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (r, cl) = (r.clone(), cl.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut counted = false;
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if !counted => {
                            counted = true;
                            r.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(_) => {}
                    }
                }
                cl.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    Stalling { url, requests, closed }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_ask_stops_the_model_request_and_stores_nothing() {
    let (_files, c) = library();
    let model = stalling_model();
    let s = stdio(&c, &["--llm-url", &model.url, "--model", "test"]).await;
    let handle = s
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(
                CallToolRequestParams::new("ask")
                    .with_arguments(args(json!({"question": "Who conducts the orchestra?"}))),
            )),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    wait_for("the plan request", || model.requests.load(Ordering::SeqCst) >= 1).await;
    handle.cancel(Some("the user changed their mind".into())).await.unwrap();
    // The engine's cancel flag reaches the model client, which drops the request.
    wait_for("the model request to be dropped", || model.closed.load(Ordering::SeqCst) >= 1).await;
    // The session goes on, and nothing was stored.
    let docs = ok(&s, "list_documents", json!({})).await;
    assert_eq!(docs["documents"].as_array().unwrap().len(), 8);
    assert_eq!(stdout_json(&catena(&c).args(["--json", "runs"]).output().unwrap()), json!([]));
    s.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_serves_the_same_tools_and_refuses_foreign_origins() {
    let (_files, c) = library();
    let server = http_server(&c, &["--http", "127.0.0.1:0"], &[]);
    assert!(server.url.starts_with("http://127.0.0.1:") && server.url.ends_with("/mcp"), "{}", server.url);
    let s = http_client(&server.url, None).await.unwrap();
    exercise(&s, &c).await;
    s.cancel().await.unwrap();

    // A web page elsewhere (DNS rebinding, a drive-by request) is refused; the server's own
    // origin is fine.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let post = |origin: Option<String>| {
        let url = server.url.clone();
        let body = initialize.clone();
        async move {
            let mut request =
                reqwest::Client::new().post(url).header("Accept", "application/json, text/event-stream").json(&body);
            if let Some(o) = origin {
                request = request.header("Origin", o);
            }
            request.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(Some("http://evil.example".into())).await, 403);
    assert_eq!(post(Some("http://localhost:1".into())).await, 403, "another local port is another origin");
    let own = server.url.trim_end_matches("/mcp").to_string();
    assert_eq!(post(Some(own)).await, 200);
    assert_eq!(post(None).await, 200);
    // A body over the limit is refused, not read into memory.
    let big = reqwest::Client::new()
        .post(&server.url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status().as_u16(), 413, "{}", server.stderr.lock().unwrap());
}

#[test]
fn remote_http_needs_the_flag_and_a_token() {
    let c = Catena::new();
    let out = catena(&c).args(["mcp", "--http", "0.0.0.0:0"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-remote"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keyring_required() -> bool {
    std::env::var_os("CATENA_REQUIRE_KEYRING").is_some_and(|v| v == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_http_refuses_a_missing_or_wrong_token() {
    let (_files, c) = library();
    let namespace = format!("test-mcp-{}-{}", std::process::id(), fastrand_suffix());
    let env = [("CATENA_KEYRING_NAMESPACE", namespace.as_str())];
    if let Err(e) = secrets::KeyStore::new(&namespace).get(mcp::http::TOKEN_KEY) {
        assert!(!keyring_required(), "no keyring: {e}");
        eprintln!("SKIPPED: no usable keyring ({e})");
        return;
    }
    let server = http_server(&c, &["--http", "0.0.0.0:0", "--allow-remote"], &env);
    // The token is shown once, on stderr.
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        let log = server.stderr.lock().unwrap().clone();
        if let Some(t) = log.split("bearer token (shown once, kept in the keyring): ").nth(1) {
            break Some(t.lines().next().unwrap().trim().to_string());
        }
        if log.contains("keyring") && log.contains("cannot") {
            break None;
        }
        assert!(Instant::now() < deadline, "{log}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let Some(token) = token else {
        assert!(!keyring_required(), "no keyring: {}", server.stderr.lock().unwrap());
        eprintln!("SKIPPED: no usable keyring");
        return;
    };
    assert_eq!(token.len(), 64);
    let port = server.url.rsplit(':').next().unwrap().trim_end_matches("/mcp").to_string();
    let url = format!("http://127.0.0.1:{port}/mcp");
    assert!(http_client(&url, None).await.is_err(), "no token accepted");
    assert!(http_client(&url, Some("wrong-token")).await.is_err(), "a wrong token accepted");
    let status = reqwest::Client::new().post(&url).body("{}").send().await.unwrap();
    assert_eq!(status.status().as_u16(), 401);
    let s = http_client(&url, Some(&token)).await.unwrap();
    let found = ok(&s, "search_library", json!({"query": "xylophone"})).await;
    assert!(!found["hits"].as_array().unwrap().is_empty());
    s.cancel().await.unwrap();
    drop(server);

    // A second start reuses the stored token without showing it.
    let again = http_server(&c, &["--http", "0.0.0.0:0", "--allow-remote"], &env);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!again.stderr.lock().unwrap().contains(&token), "the token was shown twice");
    drop(again);
    let _ = secrets::KeyStore::new(&namespace).delete(mcp::http::TOKEN_KEY);
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_only_from_allowed_folders_and_never_through_a_link_out() {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    acceptance::write(
        allowed.path(),
        "inbox/ferns.md",
        b"# Ferns\n\nFerns reproduce by spores called quillwort dust.\n",
    );
    let secret = acceptance::write(outside.path(), "secret.txt", b"The vault code is marmalade-7431.\n");
    std::os::unix::fs::symlink(&secret, allowed.path().join("inbox/link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), allowed.path().join("escape")).unwrap();
    let c = Catena::new();

    // Read-only by default: no ingest tool at all.
    let s = stdio(&c, &[]).await;
    let message = refused(&s, "ingest", json!({"paths": [allowed.path()]})).await;
    assert!(message.contains("tool not found"), "{message}");
    s.cancel().await.unwrap();

    let allowed_arg = allowed.path().display().to_string();
    let s = stdio(&c, &["--allow-ingest", &allowed_arg]).await;
    let names: Vec<String> = s.list_tools(None).await.unwrap().tools.iter().map(|t| t.name.to_string()).collect();
    assert!(names.contains(&"ingest".to_string()), "{names:?}");
    for bad in [
        json!({"paths": [outside.path()]}),
        json!({"paths": [secret]}),
        json!({"paths": [allowed.path().join("escape/secret.txt")]}),
        json!({"paths": [allowed.path().join("../")]}),
        json!({"paths": ["relative/path"]}),
        json!({"paths": []}),
    ] {
        let message = refused(&s, "ingest", bad.clone()).await;
        assert!(
            message.contains("outside the folders") || message.contains("absolute") || message.contains("no paths"),
            "{bad}: {message}"
        );
    }
    let summary = ok(&s, "ingest", json!({"paths": [allowed.path()]})).await;
    assert_eq!(summary["ingested"], 1, "{summary:#}");
    let failed = summary["failed"].as_array().unwrap();
    assert!(
        failed.iter().any(|f| f["path"].as_str().unwrap().ends_with("link.txt")
            && f["reason"].as_str().unwrap().contains("outside the allowed folders")),
        "{summary:#}"
    );
    let found = ok(&s, "search_library", json!({"query": "quillwort"})).await;
    assert_eq!(found["hits"].as_array().unwrap().len(), 1, "{found:#}");
    let leaked = ok(&s, "search_library", json!({"query": "marmalade vault"})).await;
    assert_eq!(leaked["hits"], json!([]), "a file outside the allowed folders was indexed");
    s.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_ever_appears_in_a_result() {
    let (_files, c) = library();
    let model = stalling_model();
    let mut cmd = tokio::process::Command::from(catena(&c));
    cmd.env("CATENA_LLM_API_KEY", "sk-mcp-secret-0123456789").arg("mcp").args([
        "--llm-url",
        &model.url,
        "--model",
        "m",
        "--call-timeout",
        "2",
    ]);
    let s = Client::default().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    let message = refused(&s, "ask", json!({"question": "Who conducts the orchestra?"})).await;
    assert!(message.contains("longer than 2 s"), "{message}");
    assert!(!message.contains("sk-mcp-secret"), "{message}");
    let all = format!("{:?}", s.list_tools(None).await.unwrap());
    assert!(!all.contains("sk-mcp-secret"));
    s.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_on_a_read_only_library_answers_and_says_the_run_was_not_saved() {
    let (_files, c) = library();
    let server = http_server(&c, &["--http", "127.0.0.1:0"], &[("CATENA_READ_ONLY", "1")]);
    let s = http_client(&server.url, None).await.unwrap();
    let result = call(&s, "ask", json!({"question": "Where do narwhals live?"})).await.unwrap();
    assert!(result.structured_content.as_ref().unwrap()["answer"].as_str().unwrap().contains("Arctic"));
    let notes: Vec<String> = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .filter(|t| t.starts_with("note:"))
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("not saved") && n.contains("read-only (CATENA_READ_ONLY is set)")),
        "{notes:?}"
    );
    assert!(!notes.iter().any(|n| n.to_lowercase().contains("sqlite") || n.contains("readonly")), "{notes:?}");
    // Nothing reached the history.
    let runs = stdout_json(&catena(&c).args(["runs", "--json"]).output().unwrap());
    assert_eq!(runs.as_array().map(Vec::len), Some(0), "{runs}");
}

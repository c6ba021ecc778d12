//! `catena ask`, `runs` and `show` on a real library: extractive answers, a scripted
//! OpenAI-compatible model server on 127.0.0.1, refused credentials and Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance::good_corpus;
use serde_json::{Value, json};

use crate::Catena;
pub(crate) use testkit::cli::stdout_json;

const KEY: &str = "sk-test-0123456789abcdef-SECRET";

/// What the scripted server does with one request.
pub(crate) enum Reply {
    /// A whole JSON response with this status.
    Json(u16, String),
    /// A 200 `text/event-stream` response, one `data:` event per element, then `[DONE]`.
    Sse(Vec<Value>),
    /// Read the request, never answer.
    Stall,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    request_line: String,
    authorization: Option<String>,
    body: Value,
    raw: String,
}

/// A hand-rolled HTTP/1.1 server: one thread per connection, every response closes its
/// connection, so each completion request is one connection and one entry in `seen`.
pub(crate) struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub(crate) fn start(script: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<dyn Fn(&Value) -> Reply + Send + Sync> = Arc::new(script);
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, script) = (log.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &log, &*script));
            }
        });
        Server { port, seen }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, log: &Mutex<Vec<Seen>>, script: &(dyn Fn(&Value) -> Reply + Send + Sync)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut length = 0;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            } else if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let reply = script(&body);
    log.lock().unwrap().push(Seen { request_line: request_line.trim_end().to_string(), authorization, body, raw });
    let _ = match reply {
        Reply::Json(status, body) => write!(
            stream,
            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
        Reply::Sse(events) => {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
            for e in events {
                let _ = write!(stream, "data: {e}\n\n");
                let _ = stream.flush();
                std::thread::sleep(Duration::from_millis(2));
            }
            write!(stream, "data: [DONE]\n\n")
        }
        Reply::Stall => {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
    };
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The system message of a chat request: which engine call this is.
fn system(body: &Value) -> &str {
    body["messages"][0]["content"].as_str().unwrap_or("")
}

fn completion(content: &str) -> Reply {
    Reply::Json(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        })
        .to_string(),
    )
}

fn sse(pieces: &[&str]) -> Reply {
    let mut events: Vec<Value> = pieces
        .iter()
        .map(|p| {
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test",
                   "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
        })
        .collect();
    events.push(json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}));
    events.push(json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test", "choices": [],
                       "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}));
    Reply::Sse(events)
}

/// `catena` with every model setting cleared, so the developer's environment never leaks in.
/// A placeholder key is always set: the environment wins over the OS keyring, which the tests
/// must never read.
pub(crate) fn catena(c: &Catena) -> Command {
    let mut cmd = c.cmd();
    for var in ["CATENA_LLM_URL", "CATENA_LLM_MODEL", "CATENA_LLM_PROVIDER"] {
        cmd.env_remove(var);
    }
    cmd.env("CATENA_LLM_API_KEY", "sk-placeholder");
    cmd
}

fn run(c: &Catena, args: &[&str]) -> Output {
    catena(c).args(args).output().unwrap()
}

/// A data directory holding the fixture library.
pub(crate) fn library() -> (tempfile::TempDir, Catena) {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let (code, summary) = c.ingest(&[files.path()]);
    assert_eq!(code, 0, "{summary}");
    (files, c)
}

/// Every number inside `[…]` markers of `answer` (`[1]`, `[1, 3]`).
fn markers(answer: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else { break };
        let inner = &rest[open + 1..open + close];
        let ids: Option<Vec<u64>> = inner.split(',').map(|s| s.trim().parse().ok()).collect();
        out.extend(ids.unwrap_or_default());
        rest = &rest[open + close + 1..];
    }
    out
}

fn evidence_ids(record: &Value) -> Vec<u64> {
    record["evidence"].as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect()
}

#[test]
fn an_extractive_answer_cites_document_passages() {
    let (_files, c) = library();
    let q = "When do the xylophone orchestras rehearse?";
    let out = run(&c, &["--json", "ask", "--no-llm", q]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = stdout_json(&out);

    assert_eq!(r["mode"], "extractive", "{r:#}");
    assert_eq!(r["question"], q);
    assert!(r["run_id"].as_str().unwrap().starts_with("r-"), "{r:#}");
    let answer = r["answer"].as_str().unwrap();
    assert!(answer.contains("Tuesdays"), "{r:#}");
    let cited = markers(answer);
    assert!(!cited.is_empty(), "no [n] markers: {answer}");
    let ids = evidence_ids(&r);
    assert!(cited.iter().all(|m| ids.contains(m)), "markers {cited:?} vs evidence {ids:?}");

    let evidence = r["evidence"].as_array().unwrap();
    for e in evidence {
        assert_eq!(e["kind"], "document", "{e:#}");
        assert!(!e["path"].as_str().unwrap().is_empty(), "{e:#}");
        let span = e["span"].as_array().unwrap();
        assert!(span[0].as_u64().unwrap() < span[1].as_u64().unwrap(), "{e:#}");
    }
    let pdf = evidence.iter().find(|e| e["text"].as_str().unwrap().contains("Xylophone")).expect("the PDF passage");
    assert!(pdf["path"].as_str().unwrap().ends_with("papers/report.pdf"), "{pdf:#}");
    assert_eq!(pdf["page"], 2, "{pdf:#}");
    assert_eq!(pdf["location"], "p. 2", "{pdf:#}");

    let citations = r["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "{r:#}");
    assert!(citations.iter().all(|c| ids.contains(&c["evidence_id"].as_u64().unwrap())));
    assert_eq!(r["usage"]["llm_calls"], 0);
    assert_eq!(r["settings"]["use_llm"], false);
    assert!(r["plan_raw"].is_null());

    // Stored, and shown exactly as printed.
    let id = r["run_id"].as_str().unwrap();
    let shown = run(&c, &["--json", "show", id]);
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&shown.stdout), String::from_utf8_lossy(&out.stdout));

    // Human output, with no model configured at all: says so, cites, lists its sources.
    let out = run(&c, &["ask", "xylophone", "orchestras", "rehearse"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("extractive answer (no language model configured)"), "{text}");
    assert!(text.contains("Tuesdays"), "{text}");
    assert!(text.contains("Sources:\n  [1] Annual Report, p. 2\n"), "{text}");
    assert!(text.contains("report.pdf"), "{text}");
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(progress.contains("plan: 1 step"), "{progress}");
    assert!(progress.contains("#1 knowledge_base done"), "{progress}");
}

#[test]
fn a_model_run_plans_a_chain_streams_a_checked_answer_and_is_kept_in_the_history() {
    let (_files, c) = library();
    let plan = json!({
        "chain": [
            {"id": 1, "action": "knowledge_base", "sub_question": "When do xylophone orchestras rehearse?",
             "depends_on": [], "missing": true, "guess_answer": ""},
            {"id": 2, "action": "knowledge_base", "sub_question": "How does the conductor feel about rehearsing on #1?",
             "depends_on": [1], "missing": false, "guess_answer": "The conductor is pleased"}
        ],
        "final_answer": "They rehearse on Tuesdays [1]."
    });
    let server = Server::start(move |body| {
        let system = system(body);
        if system.starts_with("You plan research") {
            completion(&plan.to_string())
        } else if system.starts_with("You answer one sub-question") {
            completion("On Tuesdays")
        } else if system.starts_with("You write the final") && body["stream"] == true {
            sse(&[
                "Xylophone orchestras rehearse ",
                "on Tuesdays [1]. ",
                "The conductor is pleased [1]. ",
                "They also perform on the moon [99].",
            ])
        } else {
            Reply::Json(400, r#"{"error":{"message":"unexpected request"}}"#.into())
        }
    });
    let q = "When do the xylophone orchestras rehearse and how does the conductor feel?";
    let url = server.url();
    let out = catena(&c)
        .env("CATENA_LLM_API_KEY", KEY)
        .args(["--json", "ask", "--llm-url", &url, "--model", "test", q])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = stdout_json(&out);

    assert_eq!(r["mode"], "llm", "{r:#}\n{stderr}");
    assert!(r.get("llm_error").is_none(), "{r:#}");
    assert!(!stderr.contains("warning: the language model"), "{stderr}");
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{r:#}");
    assert_eq!(nodes[1]["depends_on"], json!([1]));
    for n in nodes {
        assert_eq!(n["status"], "done", "{n:#}");
        assert!(n["decision"].is_string(), "{n:#}");
    }
    assert_eq!(nodes[0]["decision"], "filled", "{:#}", nodes[0]);
    // #1 was substituted with node 1's answer.
    assert!(nodes[1]["sub_question"].as_str().unwrap().contains("On Tuesdays"), "{:#}", nodes[1]);
    assert!(r["plan_raw"].as_str().unwrap().contains("xylophone"));

    // The invented [99] is gone and its sentence is reported; the real [1] stays.
    let answer = r["answer"].as_str().unwrap();
    assert!(answer.contains("on Tuesdays [1]."), "{answer}");
    assert!(!answer.contains("[99]"), "{answer}");
    assert!(markers(answer).iter().all(|m| evidence_ids(&r).contains(m)), "{answer}");
    let unsupported: Vec<&str> =
        r["unsupported_sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(unsupported.iter().any(|s| s.contains("perform on the moon")), "{unsupported:?}");
    assert!(r["citations"].as_array().unwrap().iter().any(|c| c["marker"] == 1), "{r:#}");

    // Every request the server saw is accounted for, and each one carried the question.
    let seen = server.seen();
    assert!(seen.len() >= 2, "{seen:#?}");
    assert!(seen.iter().all(|s| s.request_line.starts_with("POST /v1/chat/completions ")), "{seen:#?}");
    assert_eq!(r["usage"]["llm_calls"].as_u64(), Some(seen.len() as u64), "{r:#}");
    assert_eq!(r["usage"]["prompt_tokens"].as_u64(), Some(10 * seen.len() as u64));
    assert_eq!(r["usage"]["calls"].as_array().unwrap().len(), seen.len());
    assert_eq!(r["usage"]["calls"][0]["purpose"], "plan");
    assert_eq!(r["usage"]["calls"][seen.len() - 1]["purpose"], "answer");
    assert_eq!(seen[0].body["model"], "test");
    assert!(seen[0].raw.contains(q), "the plan request lacks the question: {}", seen[0].raw);
    assert!(seen.last().unwrap().raw.contains(q), "the answer request lacks the question");
    assert!(!stderr.contains(KEY));

    // The history lists it, and `show` prints exactly what `ask` printed, by id or by prefix.
    let id = r["run_id"].as_str().unwrap();
    let out2 = run(&c, &["--json", "ask", "--no-llm", "Where do narwhals live?"]);
    assert_eq!(out2.status.code(), Some(0));
    let second = stdout_json(&out2);
    let listed = stdout_json(&run(&c, &["--json", "runs"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert_eq!(listed[0]["run_id"], second["run_id"], "newest first");
    assert_eq!(listed[1]["run_id"], id);
    assert_eq!(listed[1]["question"], q);
    assert_eq!(listed[1]["mode"], "llm");
    assert_eq!(listed[1]["llm_calls"].as_u64(), Some(seen.len() as u64));
    assert_eq!(listed[1]["started_at"], r["started_at"]);
    assert_eq!(listed[1]["wall_ms"], r["usage"]["wall_ms"]);
    assert_eq!(stdout_json(&run(&c, &["--json", "runs", "--limit", "1"])).as_array().unwrap().len(), 1);

    let shown = run(&c, &["--json", "show", id]);
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&shown.stdout), String::from_utf8_lossy(&out.stdout));
    let prefix = &id[..id.len() - 3];
    assert_eq!(run(&c, &["--json", "show", prefix]).stdout, out.stdout);
    let human = String::from_utf8_lossy(&run(&c, &["show", id]).stdout).into_owned();
    assert!(human.contains(q) && human.contains("Sources:") && human.contains("perform on the moon"), "{human}");
    let listing = String::from_utf8_lossy(&run(&c, &["runs"]).stdout).into_owned();
    assert!(listing.contains(id) && listing.contains("Where do narwhals live?"), "{listing}");
}

#[test]
fn refused_credentials_exit_2_without_printing_the_key() {
    let server = Server::start(|_| {
        // Some providers echo the key they refused; it must still never reach the terminal.
        Reply::Json(
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}"),
                             "type": "invalid_request_error", "code": "invalid_api_key"}})
            .to_string(),
        )
    });
    let c = Catena::new();
    let url = server.url();
    let out = catena(&c)
        .env("CATENA_LLM_API_KEY", KEY)
        .env("CATENA_LLM_URL", &url)
        .env("CATENA_LLM_MODEL", "test")
        .args(["ask", "Who conducts the orchestra?"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{}", server.port)), "the message names the server: {stderr}");
    assert!(!stderr.contains(KEY) && !stderr.contains("SECRET"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert!(out.stdout.is_empty());
    // The key went to the server (so it was really used), and nothing was stored.
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "credentials are not retried");
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(stdout_json(&run(&c, &["--json", "runs"])), json!([]));
}

#[test]
fn ctrl_c_cancels_a_run_and_stores_nothing() {
    let server = Server::start(|_| Reply::Stall);
    let c = Catena::new();
    let url = server.url();
    let child = catena(&c)
        .args(["--json", "ask", "--llm-url", &url, "--model", "test", "Who conducts the orchestra?"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the plan request is in flight: the Ctrl-C handler is installed by then.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.seen().is_empty() {
        assert!(Instant::now() < deadline, "the plan request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(stdout_json(&run(&c, &["--json", "runs"])), json!([]));
}

#[test]
fn history_commands_on_an_empty_library_and_bad_arguments() {
    let c = Catena::new();
    assert_eq!(stdout_json(&run(&c, &["--json", "runs"])), json!([]));
    let out = run(&c, &["show", "r-nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run 'r-nope'"));
    for args in [
        &["ask", "--mrfs-threshold", "1.5", "q"][..],
        &["ask", "--top-k", "0", "q"],
        &["ask", "--provider", "nonsense", "q"],
        &["ask", "--llm-url", "http://127.0.0.1:9/v1", "q"],
        &["ask", "--llm-url", "ftp://example.com", "--model", "m", "q"],
        &["ask", "   "],
    ] {
        let out = run(&c, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_model_server_that_is_down_gives_an_extractive_answer_that_says_why() {
    let (_files, c) = library();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let out = run(&c, &["ask", "--llm-url", &url, "--model", "test", "When do xylophone orchestras rehearse?"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("extractive answer (the language model failed;"), "{text}");
    assert!(text.contains("Tuesdays [1]"), "{text}");
    let listed = stdout_json(&run(&c, &["--json", "runs"]));
    let id = listed[0]["run_id"].as_str().unwrap();
    let r = stdout_json(&run(&c, &["--json", "show", id]));
    assert_eq!(r["mode"], "extractive");
    assert_eq!(r["settings"]["use_llm"], true);
    let calls = r["usage"]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{r:#}");
    assert_eq!((&calls[0]["purpose"], &calls[0]["ok"]), (&json!("plan"), &json!(false)));
    assert!(r["usage"]["llm_calls"].as_u64().unwrap() >= 1, "retries are counted");
}

#[test]
fn a_local_model_server_is_found_listed_and_suggested() {
    // Ollama's /api/tags and an OpenAI-compatible /v1/models, as the servers send them.
    let tags = json!({"models": [
        {"name": "qwen2.5:7b", "model": "qwen2.5:7b", "modified_at": "2025-01-10T08:00:00Z", "size": 4683087332u64,
         "digest": "845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e",
         "details": {"format": "gguf", "family": "qwen2", "parameter_size": "7.6B", "quantization_level": "Q4_K_M"}},
        {"name": "llama3.2:3b", "model": "llama3.2:3b", "modified_at": "2025-01-09T08:00:00Z", "size": 2019393189u64,
         "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
         "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}}
    ]});
    let ollama = Server::start(move |_| Reply::Json(200, tags.to_string()));
    let listing = json!({"object": "list", "data": [
        {"id": "Qwen/Qwen2.5-7B-Instruct", "object": "model", "created": 1736000000, "owned_by": "vllm"}
    ]});
    let vllm = Server::start(move |_| Reply::Json(200, listing.to_string()));
    let (_files, c) = library();
    let targets = format!("ollama=127.0.0.1:{},vllm=127.0.0.1:{}", ollama.port, vllm.port);

    let out = catena(&c).env("CATENA_PROBE_TARGETS", &targets).args(["--json", "models"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    let servers = v["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{v}");
    assert_eq!(servers[0]["kind"], "Ollama");
    assert_eq!(servers[0]["base_url"], format!("http://127.0.0.1:{}", ollama.port));
    assert_eq!(servers[0]["provider"], "ollama");
    assert_eq!(servers[0]["models"], json!(["qwen2.5:7b", "llama3.2:3b"]));
    assert_eq!(servers[1]["base_url"], format!("http://127.0.0.1:{}/v1", vllm.port));
    assert_eq!(servers[1]["models"], json!(["Qwen/Qwen2.5-7B-Instruct"]));

    // Asking with no model configured still answers, and says how to use the server found.
    let out =
        catena(&c).env("CATENA_PROBE_TARGETS", &targets).args(["ask", "What are narwhal tusks?"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("answering extractively"), "{stderr}");
    assert!(
        stderr.contains(&format!("--llm-url http://127.0.0.1:{} --provider ollama --model qwen2.5:7b", ollama.port)),
        "{stderr}"
    );

    // One server's models by URL; nothing found prints a plain sentence.
    let out = catena(&c).args(["models", "--llm-url", &vllm.url()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("Qwen/Qwen2.5-7B-Instruct"), "{stdout}");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out =
        catena(&c).env("CATENA_PROBE_TARGETS", format!("ollama=127.0.0.1:{closed}")).arg("models").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no model server found"));
    let out = catena(&c).env("CATENA_PROBE_TARGETS", "ollama=nowhere").arg("models").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOST:PORT"));
}

#[test]
fn a_failing_model_is_named_and_require_llm_makes_it_an_error() {
    let (_files, c) = library();
    let q = "When do xylophone orchestras rehearse?";
    let server = Server::start(|_| Reply::Json(500, r#"{"error":{"message":"the model crashed"}}"#.into()));
    let url = server.url();
    let out = run(&c, &["--json", "ask", "--llm-url", &url, "--model", "test", q]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = stdout_json(&out);
    assert_eq!(r["mode"], "extractive");
    let error = r["llm_error"].as_str().unwrap_or_else(|| panic!("{r:#}"));
    assert!(error.contains("500"), "{error}");
    assert!(stderr.contains("warning: the language model") && stderr.contains("500"), "{stderr}");
    // What `show` prints is what `ask` printed, the reason included.
    let shown = stdout_json(&run(&c, &["--json", "show", r["run_id"].as_str().unwrap()]));
    assert_eq!(shown, r);

    let out = run(&c, &["--json", "ask", "--require-llm", "--llm-url", &url, "--model", "test", q]);
    assert_eq!(out.status.code(), Some(2));
    let v = stdout_json(&out);
    assert_eq!(v["error"]["code"], "llm_failed", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("500"), "{v}");

    // A closed port: the same, with the connection error as the reason.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed = format!("http://127.0.0.1:{port}/v1");
    let out = run(&c, &["ask", "--require-llm", "--llm-url", &closed, "--model", "test", q]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the language model") && stderr.contains("--require-llm"), "{stderr}");
    assert!(out.stdout.is_empty());

    // No model configured at all.
    let out = run(&c, &["ask", "--require-llm", q]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no language model configured"));
}

//! A scripted HTTP/1.1 server on loopback, written by hand over a `TcpListener` so a test
//! controls every byte (chunk boundaries, a socket closed mid-body, a server that never answers)
//! and sees every request. It stands in for the remote services these machines cannot reach:
//! model APIs, search APIs, web pages. [`openai`] scripts a chat model on it; [`cli`] runs the
//! command-line binaries against a fresh data directory; [`fuzz`] reads CPU time and budgets
//! the long fuzzing runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

impl Recorded {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// A query parameter, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.path.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole response with `Content-Length`.
    Full {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// A 200 response of this content type without `Content-Length`, `total` bytes of filler
    /// written in 64 KiB pieces (an oversized page).
    Endless {
        /// Content type.
        content_type: String,
        /// Bytes offered.
        total: usize,
    },
    /// A 200 chunked response, one HTTP chunk per element, with a pause between them.
    Stream {
        /// Content type (`text/event-stream`, `application/x-ndjson`).
        content_type: &'static str,
        /// The chunks.
        chunks: Vec<String>,
        /// Pause after each chunk.
        pause: Duration,
        /// How the body ends.
        end: End,
    },
    /// Read the request and never answer.
    Stall,
    /// This reply after a pause (a remote service's latency).
    Delayed {
        /// How long the server waits before it answers.
        pause: Duration,
        /// The answer.
        reply: Box<Reply>,
    },
}

/// How a streamed reply ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// The terminating zero-length chunk: a clean end.
    Finish,
    /// The socket is closed mid-body.
    Cut,
    /// Nothing more is sent; the socket stays open.
    Stall,
}

impl Reply {
    /// A response with a body of a content type.
    pub fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full { status, headers: vec![("Content-Type".into(), content_type.into())], body: body.into() }
    }

    /// `application/json`.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::with_type(status, "application/json", body.into())
    }

    /// A 200 `text/html; charset=utf-8` page.
    pub fn html(body: impl Into<String>) -> Reply {
        Reply::with_type(200, "text/html; charset=utf-8", body.into())
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full { status, headers: vec![("Location".into(), location.into())], body: Vec::new() }
    }

    /// 404.
    pub fn not_found() -> Reply {
        Reply::with_type(404, "text/plain", "not found")
    }

    /// A server-sent event stream of these pieces.
    pub fn sse(chunks: Vec<String>, end: End) -> Reply {
        Reply::Stream { content_type: "text/event-stream", chunks, pause: Duration::from_millis(5), end }
    }

    /// A newline-delimited JSON stream of these pieces.
    pub fn ndjson(chunks: Vec<String>, end: End) -> Reply {
        Reply::Stream { content_type: "application/x-ndjson", chunks, pause: Duration::from_millis(5), end }
    }

    /// This reply, sent `pause` after the request arrived.
    pub fn after(self, pause: Duration) -> Reply {
        Reply::Delayed { pause, reply: Box::new(self) }
    }

    /// Adds a header.
    pub fn header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Full { status, mut headers, body } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Full { status, headers, body }
            }
            other => other,
        }
    }
}

type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

/// A scripted server: `script(index of the request, request)` decides every answer. Every
/// response closes its connection, so each request is one connection.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    aborted: Arc<AtomicUsize>,
    disconnects: Arc<AtomicUsize>,
}

impl Server {
    /// Starts on 127.0.0.1.
    pub async fn start(script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1:0", script).await
    }

    /// Starts on `bind` (`"[::1]:0"` for IPv6).
    pub async fn start_on(bind: &str, script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Server {
        Server::try_start_on(bind, script).await.expect("bind")
    }

    /// [`Server::start_on`] that reports a failure to listen instead of panicking (for the
    /// measurement commands, which run it outside tests). The server runs until the runtime
    /// it was started on ends.
    pub async fn try_start_on(
        bind: &str,
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let counters = Counters::default();
        let script: Arc<Script> = Arc::new(script);
        let (log2, counters2) = (log.clone(), counters.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, log2.clone(), counters2.clone(), script.clone()));
            }
        });
        Ok(Server { addr, log, aborted: counters.aborted, disconnects: counters.disconnects })
    }

    /// Answers by path (query ignored): `routes` maps a path to a reply; others get 404.
    pub async fn routes(routes: Vec<(&str, Reply)>) -> Server {
        let routes: HashMap<String, Reply> = routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect();
        Server::start(move |_, r| routes.get(r.route()).cloned().unwrap_or_else(Reply::not_found)).await
    }

    /// The same reply to every request.
    pub async fn always(reply: Reply) -> Server {
        Server::start(move |_, _| reply.clone()).await
    }

    /// A 200 JSON answer to every request.
    pub async fn always_json(body: impl Into<String>) -> Server {
        Server::always(Reply::json(200, body)).await
    }

    /// `replies[i]` to request i, the last one repeated.
    pub async fn sequence(replies: Vec<Reply>) -> Server {
        Server::start(move |i, _| replies[i.min(replies.len() - 1)].clone()).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Responses the client stopped reading before the end (the socket closed under the write).
    pub fn aborted(&self) -> usize {
        self.aborted.load(Ordering::SeqCst)
    }

    /// Connections held by `Reply::Stall` or `End::Stall` that the client has since closed.
    pub fn disconnects(&self) -> usize {
        self.disconnects.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Default)]
struct Counters {
    aborted: Arc<AtomicUsize>,
    disconnects: Arc<AtomicUsize>,
}

async fn serve(mut socket: TcpStream, log: Arc<Mutex<Vec<Recorded>>>, counters: Counters, script: Arc<Script>) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let reply = {
        let mut log = log.lock().unwrap();
        let index = log.len();
        log.push(request.clone());
        drop(log);
        script(index, &request)
    };
    let mut reply = reply;
    while let Reply::Delayed { pause, reply: later } = reply {
        tokio::time::sleep(pause).await;
        reply = *later;
    }
    match reply {
        Reply::Full { status, headers, body } => {
            let mut head = format!("HTTP/1.1 {status} Scripted\r\n");
            for (name, value) in &headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
            let _ = socket.shutdown().await;
        }
        Reply::Endless { content_type, total } => {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n");
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let piece = "<p>filler text for a very long page</p>\n".repeat(1600);
            let mut sent = 0;
            while sent < total {
                if socket.write_all(piece.as_bytes()).await.is_err() {
                    counters.aborted.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                sent += piece.len();
            }
            let _ = socket.shutdown().await;
        }
        Reply::Stream { content_type, chunks, pause, end } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for chunk in chunks {
                let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                if socket.write_all(framed.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(pause).await;
            }
            match end {
                End::Finish => {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                    let _ = socket.shutdown().await;
                }
                End::Cut => drop(socket),
                End::Stall => hold(socket, &counters.disconnects).await,
            }
        }
        Reply::Stall => hold(socket, &counters.disconnects).await,
        // Unwrapped above.
        Reply::Delayed { .. } => {}
    }
}

/// Keeps the socket open without answering until the client goes away.
async fn hold(mut socket: TcpStream, disconnects: &AtomicUsize) {
    let mut sink = [0u8; 1024];
    loop {
        match socket.read(&mut sink).await {
            Ok(0) | Err(_) => {
                disconnects.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
        }
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded { method, path, headers, body, at })
}

/// A port with nothing listening (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// An OpenAI-compatible chat model on loopback, for tests that run a binary (not async).
pub mod openai {
    use serde_json::{Value, json};

    use crate::{End, Recorded, Reply, Server};

    /// A scripted model server with its own runtime, alive as long as the value.
    pub struct Model {
        /// The server (its requests).
        pub server: Server,
        _rt: tokio::runtime::Runtime,
    }

    impl Model {
        /// Starts on 127.0.0.1; `script(index of the request, request)` decides every answer.
        pub fn start(script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Model {
            let rt = tokio::runtime::Runtime::new().expect("a runtime");
            let server = rt.block_on(Server::start(script));
            Model { server, _rt: rt }
        }

        /// The base URL a client is given (`…/v1`).
        pub fn url(&self) -> String {
            format!("{}/v1", self.server.url())
        }
    }

    /// One `data:` event of a streamed chat completion.
    pub fn chunk(delta: Value, finish: Option<&str>) -> String {
        let body = json!({
            "id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1741569952, "model": "r1-distill",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        });
        format!("data: {body}\n\n")
    }

    /// A streamed completion as llama.cpp or vLLM send it: a role chunk, the text in pieces, the
    /// finish reason (`stop` also when a stop sequence ended it, which is left out of the text),
    /// the usage chunk and `[DONE]`.
    pub fn streamed(pieces: &[&str]) -> Reply {
        let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
        chunks.extend(pieces.iter().map(|p| chunk(json!({"content": p}), None)));
        chunks.push(chunk(json!({}), Some("stop")));
        let usage = json!({"id": "chatcmpl-7", "object": "chat.completion.chunk", "model": "r1-distill", "choices": [],
                           "usage": {"prompt_tokens": 800, "completion_tokens": 40, "total_tokens": 840}});
        chunks.push(format!("data: {usage}\n\n"));
        chunks.push("data: [DONE]\n\n".to_owned());
        Reply::sse(chunks, End::Finish)
    }

    /// The assistant turn a request continues (its last message, which must be the assistant's).
    pub fn assistant_prefix(r: &Recorded) -> String {
        let body = r.json();
        let last = body["messages"].as_array().expect("messages").last().expect("a message").clone();
        assert_eq!(last["role"], "assistant", "{body:#}");
        last["content"].as_str().expect("text content").to_owned()
    }
}

/// A command-line binary run as a user runs it: a fresh data directory, JSON on stdout.
/// Budgets for the long fuzzing runs: CPU time rather than wall-clock time, so a niced run on a
/// busy machine still gets all of it.
pub mod fuzz {
    /// CPU seconds (user + system) from a `/proc/…/stat` file; `None` where it cannot be read.
    fn cpu_seconds_of(stat_file: &str) -> Option<f64> {
        let stat = std::fs::read_to_string(stat_file).ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces; utime and
        // stime are fields 14 and 15 of the whole line, 11 and 12 (0-based) here.
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        // The kernel reports these in USER_HZ, 100 on every Linux architecture in use.
        Some((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// CPU seconds this process has used (all threads, finished ones included).
    pub fn process_cpu_seconds() -> Option<f64> {
        cpu_seconds_of("/proc/self/stat")
    }

    /// CPU seconds the calling thread has used (tests running side by side each count their own).
    pub fn thread_cpu_seconds() -> Option<f64> {
        cpu_seconds_of("/proc/thread-self/stat")
    }

    fn env_number(name: &str) -> Option<f64> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }

    /// A property test's budget: `default_cases` cases, or `CATENA_FUZZ_CASES`, or
    /// `CATENA_FUZZ_CPU_SECONDS` of the test thread's CPU time. Reports what it ran when a
    /// long run ends.
    pub struct Budget {
        name: &'static str,
        cases: usize,
        long: bool,
        cpu: Option<f64>,
        start: f64,
        done: usize,
    }

    impl Budget {
        pub fn new(name: &'static str, default_cases: usize) -> Self {
            let cases = env_number("CATENA_FUZZ_CASES").map(|n| n as usize);
            let cpu = env_number("CATENA_FUZZ_CPU_SECONDS");
            Budget {
                name,
                long: cases.is_some() || cpu.is_some(),
                cases: cases.unwrap_or(default_cases),
                cpu,
                start: thread_cpu_seconds().unwrap_or(0.0),
                done: 0,
            }
        }

        /// The test's random generator: its own seed, varied by `CATENA_FUZZ_SEED`.
        pub fn rng(&self, seed: u64) -> fastrand::Rng {
            let run = env_number("CATENA_FUZZ_SEED").map_or(0, |s| s as u64);
            fastrand::Rng::with_seed(seed ^ run.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        }

        /// Whether to run one more case.
        pub fn more(&mut self) -> bool {
            let more = match self.cpu {
                // Reading the clock costs a file read: look every 4096 cases.
                Some(secs) => !self.done.is_multiple_of(4096) || self.spent() < secs,
                None => self.done < self.cases,
            };
            if more {
                self.done += 1;
            } else if self.long {
                eprintln!("{}: {} cases in {:.1} CPU-min, no failure", self.name, self.done, self.spent() / 60.0);
            }
            more
        }

        /// CPU seconds the test's thread has spent since the budget started.
        fn spent(&self) -> f64 {
            thread_cpu_seconds().unwrap_or(0.0) - self.start
        }
    }
}

pub mod cli {
    use std::path::PathBuf;
    use std::process::{Command, Output};

    use serde_json::Value;

    /// A binary (`env!("CARGO_BIN_EXE_…")`) with its own temporary data directory.
    pub struct Binary {
        exe: PathBuf,
        /// The data directory every command is given.
        pub data: tempfile::TempDir,
    }

    impl Binary {
        /// `exe` with a fresh data directory.
        pub fn new(exe: impl Into<PathBuf>) -> Binary {
            Binary { exe: exe.into(), data: tempfile::tempdir().expect("a temporary folder") }
        }

        /// The binary without the data directory (what `cmd` adds to).
        pub fn bare(&self) -> Command {
            let mut c = Command::new(&self.exe);
            c.env_remove("CATENA_DATA_DIR");
            c
        }

        /// A command with `--data-dir` set and `CATENA_DATA_DIR` removed.
        pub fn cmd(&self) -> Command {
            let mut c = self.bare();
            c.arg("--data-dir").arg(self.data.path());
            c
        }

        /// Runs with these arguments.
        pub fn run(&self, args: &[&str]) -> Output {
            self.cmd().args(args).output().expect("the binary runs")
        }

        /// Runs with `--json`, returns (exit code, parsed stdout).
        pub fn json(&self, args: &[&str]) -> (i32, Value) {
            let out = self.cmd().arg("--json").args(args).output().expect("the binary runs");
            (out.status.code().unwrap_or(-1), stdout_json(&out))
        }
    }

    /// A run's stdout as JSON; panics with stdout and stderr when it is not.
    pub fn stdout_json(out: &Output) -> Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET on one connection; returns the whole response and when its first byte came.
    async fn get(server: &Server) -> (String, Instant) {
        let mut socket = TcpStream::connect(server.addr).await.unwrap();
        socket.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut first = [0u8; 1];
        socket.read_exact(&mut first).await.unwrap();
        let at = Instant::now();
        let mut rest = Vec::new();
        socket.read_to_end(&mut rest).await.unwrap();
        (format!("{}{}", first[0] as char, String::from_utf8_lossy(&rest)), at)
    }

    #[tokio::test]
    async fn a_delayed_reply_comes_whole_after_its_pause() {
        let server = Server::always(Reply::json(200, r#"{"ok":true}"#).after(Duration::from_millis(150))).await;
        let (response, first_byte) = get(&server).await;
        let asked = server.requests()[0].at;
        assert!(first_byte.duration_since(asked) >= Duration::from_millis(150), "answered before the pause");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with(r#"{"ok":true}"#), "{response}");
    }

    #[tokio::test]
    async fn an_address_in_use_is_an_error_not_a_panic() {
        let server = Server::always_json("{}").await;
        let taken = server.addr.to_string();
        assert!(Server::try_start_on(&taken, |_, _| Reply::not_found()).await.is_err());
    }
}

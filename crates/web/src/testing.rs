//! Test support (feature `test-support`): a scripted HTTP/1.1 server on loopback that speaks the
//! real wire protocol and records what it was sent, and a resolver with a fixed table, so tests
//! can make `intranet.example` resolve to 10.0.0.7 without real DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
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
    /// Read the request and never answer.
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
}

impl Server {
    /// Starts on 127.0.0.1.
    pub async fn start(script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1:0", script).await
    }

    /// Starts on `bind` (`"[::1]:0"` for IPv6).
    pub async fn start_on(bind: &str, script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let aborted = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        let (log2, aborted2) = (log.clone(), aborted.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (log, aborted, script) = (log2.clone(), aborted2.clone(), script.clone());
                tokio::spawn(serve(socket, log, aborted, script));
            }
        });
        Server { addr, log, aborted }
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
}

async fn serve(mut socket: TcpStream, log: Arc<Mutex<Vec<Recorded>>>, aborted: Arc<AtomicUsize>, script: Arc<Script>) {
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
                    aborted.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                sent += piece.len();
            }
            let _ = socket.shutdown().await;
        }
        Reply::Stall => {
            let mut sink = [0u8; 1024];
            while let Ok(n) = socket.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
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

/// A resolver with a fixed table: a name it does not know fails to resolve. Counts lookups.
#[derive(Debug, Default)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
    lookups: Arc<AtomicUsize>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// `name` resolves to `ips`.
    pub fn map(mut self, name: &str, ips: &[&str]) -> StaticResolver {
        self.table.insert(name.to_ascii_lowercase(), ips.iter().map(|ip| ip.parse().expect("an IP address")).collect());
        self
    }

    /// Lookups so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for StaticResolver {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let found = self.table.get(&name.as_str().to_ascii_lowercase()).cloned();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            match found {
                Some(ips) => Ok(Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0))) as Addrs),
                None => Err(format!("{name} is not in the test resolver's table").into()),
            }
        })
    }
}

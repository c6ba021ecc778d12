//! A scripted HTTP/1.1 server on 127.0.0.1:0, written by hand over a TcpListener so a test
//! controls every byte: chunk boundaries, a socket closed mid-body, a server that never answers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// How a streamed reply ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// The terminating zero-length chunk: a clean end.
    Finish,
    /// The socket is closed mid-body.
    Cut,
    /// Nothing more is sent, the socket stays open.
    Stall,
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole response with Content-Length.
    Full { status: u16, headers: Vec<(String, String)>, body: String },
    /// A chunked response, one HTTP chunk per element, with a pause between them.
    Stream { content_type: &'static str, chunks: Vec<String>, pause: Duration, end: End },
    /// Read the request, never answer.
    Stall,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Full { status, headers: vec![("Content-Type".into(), "application/json".into())], body: body.into() }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Full { status, mut headers, body } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Full { status, headers, body }
            }
            other => other,
        }
    }

    pub fn sse(chunks: Vec<String>, end: End) -> Reply {
        Reply::Stream { content_type: "text/event-stream", chunks, pause: Duration::from_millis(5), end }
    }

    pub fn ndjson(chunks: Vec<String>, end: End) -> Reply {
        Reply::Stream { content_type: "application/x-ndjson", chunks, pause: Duration::from_millis(5), end }
    }
}

type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    disconnects: Arc<AtomicUsize>,
}

impl Server {
    /// Serves every connection with `script(index of the request, request)`. Each response
    /// closes its connection, so each request is a new connection.
    pub async fn start(script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let disconnects = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        let (log2, disc2) = (log.clone(), disconnects.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (log, disc, script) = (log2.clone(), disc2.clone(), script.clone());
                tokio::spawn(async move {
                    serve(socket, log, disc, script).await;
                });
            }
        });
        Server { addr, log, disconnects }
    }

    /// The same reply to every request.
    pub async fn always(reply: Reply) -> Server {
        Server::start(move |_, _| reply.clone()).await
    }

    /// `replies[i]` to request i, the last one repeated.
    pub async fn sequence(replies: Vec<Reply>) -> Server {
        Server::start(move |i, _| replies[i.min(replies.len() - 1)].clone()).await
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Connections held by `Reply::Stall`/`End::Stall` that the client has since closed.
    pub fn disconnects(&self) -> usize {
        self.disconnects.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut socket: TcpStream,
    log: Arc<Mutex<Vec<Recorded>>>,
    disconnects: Arc<AtomicUsize>,
    script: Arc<Script>,
) {
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
            let _ = socket.write_all(body.as_bytes()).await;
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
                End::Stall => hold(socket, &disconnects).await,
            }
        }
        Reply::Stall => hold(socket, &disconnects).await,
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
    Some(Recorded { method, path, headers, body })
}

/// A port with nothing listening (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

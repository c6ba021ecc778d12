//! The server over Streamable HTTP: rmcp's service behind a small hyper listener that adds what
//! a server on a user's machine needs.
//!
//! - Loopback only unless the caller allows otherwise; a server reachable from other machines
//!   must have a bearer token ([`Guard::token`]), checked on every request in constant time.
//! - `Origin` must be the server's own (`http://127.0.0.1:PORT`, `http://localhost:PORT`,
//!   `http://[::1]:PORT`) when a browser sends one: a web page elsewhere is refused with 403
//!   (DNS rebinding). On loopback the `Host` header must name a loopback host as well.
//! - Bodies are capped ([`MAX_BODY_BYTES`]), request headers must arrive within
//!   [`HEADER_TIMEOUT`], and a request's response must start within the call timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use engine::ports::Sensitive;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::CatenaMcp;

/// Largest request body accepted (JSON-RPC messages are small).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The keyring entry the HTTP token is kept under (in the app's and the CLI's namespace).
pub const TOKEN_KEY: &str = "mcp-http-token";

/// Who may talk to the server.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Required as `Authorization: Bearer …` on every request when set.
    pub token: Option<Sensitive>,
}

/// A new random bearer token: 32 bytes from the OS, hex.
pub fn new_token() -> Result<Sensitive, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(Sensitive::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Whether binding `addr` needs `--allow-remote` and a token.
pub fn is_remote(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// Serves `server` on `listener` until `shutdown` is cancelled.
pub async fn serve(
    server: CatenaMcp,
    listener: TcpListener,
    guard: Guard,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let port = addr.port();
    let own_origins =
        [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}"), format!("http://[::1]:{port}")];
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_origins(own_origins)
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_cancellation_token(shutdown.child_token());
    if is_remote(&addr) {
        // Reached by other machines under names we cannot know; the token guards it instead.
        config = config.disable_allowed_hosts();
    }
    let timeout = server.options.call_timeout + Duration::from_secs(30);
    let factory = server.clone();
    let service =
        StreamableHttpService::new(move || Ok(factory.clone()), Arc::new(LocalSessionManager::default()), config);
    let guard = Arc::new(guard);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // A connection that failed before it was accepted (reset, out of descriptors for a
                // moment) must not stop the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => return Ok(()),
        };
        let service = service.clone();
        let guard = guard.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
                let service = service.clone();
                let guard = guard.clone();
                async move {
                    if let Some(refused) = check(&guard, &req) {
                        return Ok::<_, Infallible>(refused);
                    }
                    match tokio::time::timeout(timeout, service.handle(req)).await {
                        Ok(response) => Ok(response),
                        Err(_) => Ok(plain(StatusCode::GATEWAY_TIMEOUT, "the request took too long")),
                    }
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), handler);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
            }
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// The refusal for a request that lacks the token, or `None` to let it through.
fn check(guard: &Guard, req: &Request<Incoming>) -> Option<Response<Body>> {
    let token = guard.token.as_ref()?;
    let given = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let ok = given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.expose().as_bytes()));
    if ok {
        return None;
    }
    let mut response = plain(
        StatusCode::UNAUTHORIZED,
        if given.is_some() {
            "wrong bearer token"
        } else {
            "this server needs a bearer token (Authorization: Bearer …)"
        },
    );
    response.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, hyper::header::HeaderValue::from_static("Bearer"));
    Some(response)
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn plain(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(message.to_string())).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_compared_whole() {
        let (a, b) = (new_token().unwrap_or_else(|e| panic!("{e}")), new_token().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert!(constant_time_eq(a.expose().as_bytes(), a.expose().as_bytes()));
        assert!(!constant_time_eq(a.expose().as_bytes(), b.expose().as_bytes()));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

//! `catena mcp`: the library as a Model Context Protocol server for other programs (desktop
//! assistants, editors, coding agents), on stdio or Streamable HTTP. The server itself is the
//! `mcp` crate; this wires the user's settings into it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use library::{Library, LibraryOptions};
use mcp::http::{Guard, TOKEN_KEY};
use tokio_util::sync::CancellationToken;

use crate::ask::{ModelArgs, WebArgs};

/// `catena mcp` arguments.
#[derive(Args, Debug)]
pub(crate) struct McpArgs {
    /// Serve Streamable HTTP at http://ADDR/mcp instead of stdio, e.g. 127.0.0.1:8765 (port 0
    /// picks a free one; the address is printed on stderr).
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Allow an --http address other machines can reach. Every request then needs the bearer
    /// token, generated on first use, stored in the OS keyring and shown once.
    #[arg(long, requires = "http")]
    allow_remote: bool,
    /// With --allow-remote: replace the stored bearer token with a new one (shown once).
    #[arg(long, requires = "allow_remote")]
    new_token: bool,
    /// Let clients add files from these folders (the `ingest` tool). Without it the server is
    /// read-only.
    #[arg(long, value_name = "FOLDER", num_args = 1..)]
    allow_ingest: Vec<PathBuf>,
    /// Longest one tool call may run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    call_timeout: u64,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    web: WebArgs,
}

/// `catena mcp`.
pub(crate) async fn run(
    dir: &Path,
    args: McpArgs,
    embedder: &crate::embedding::EmbedderArgs,
) -> anyhow::Result<ExitCode> {
    if args.call_timeout == 0 {
        bail!("--call-timeout must be at least 1 second");
    }
    let mut overrides = session::Overrides::default();
    args.model.apply(&mut overrides)?;
    args.web.apply(&mut overrides)?;
    let mut options = mcp::Options {
        keys: crate::ask::key_store(),
        call_timeout: Duration::from_secs(args.call_timeout),
        ..mcp::Options::default()
    };
    options.allow_folders(&args.allow_ingest).map_err(anyhow::Error::msg)?;
    let guard = match args.http {
        Some(addr) if mcp::http::is_remote(&addr) => {
            if !args.allow_remote {
                bail!(
                    "{addr} can be reached from other machines: pass --allow-remote to serve there (a bearer token is then required), or use 127.0.0.1"
                );
            }
            Guard { token: Some(token(args.new_token)?) }
        }
        _ => Guard::default(),
    };

    // Read-only unless ingest was allowed: the server then holds the library's writer.
    let lib = if options.allow_ingest.is_empty() {
        Library::open_read(dir).await?
    } else {
        Library::open_write(dir, LibraryOptions::default()).await?
    };
    crate::embedding::configure(&lib, embedder, dir).await;
    // `ask` answers with the stored settings (`catena config`, the app's Settings) and the
    // flags on top, as `catena ask` does.
    let stored = session::load(lib.catalog()).await.context("cannot read the settings")?;
    options.ask = stored.with_overrides(&overrides).map_err(|e| anyhow::anyhow!("{e}"))?;
    let server = mcp::CatenaMcp::new(Arc::new(lib), options);

    let Some(addr) = args.http else {
        mcp::serve_stdio(server).await.map_err(anyhow::Error::msg)?;
        return Ok(ExitCode::SUCCESS);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    eprintln!("catena mcp: Streamable HTTP at http://{bound}/mcp");
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    });
    mcp::http::serve(server, listener, guard, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// The bearer token for a server other machines can reach: the one in the keyring, or a new one
/// stored there and shown once.
fn token(replace: bool) -> anyhow::Result<engine::ports::Sensitive> {
    let store = crate::key::store()?;
    if !replace && let Some(token) = store.get(TOKEN_KEY).context("cannot read the bearer token from the keyring")? {
        eprintln!("catena mcp: clients must send the bearer token stored in the keyring (--new-token replaces it)");
        return Ok(token);
    }
    let token = mcp::http::new_token().map_err(anyhow::Error::msg)?;
    store
        .set(TOKEN_KEY, &token)
        .context("cannot store the bearer token in the keyring (it is required for --allow-remote)")?;
    eprintln!("catena mcp: bearer token (shown once, kept in the keyring): {}", token.expose());
    Ok(token)
}

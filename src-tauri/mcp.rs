//! "Use Catena from other apps": how to connect an MCP client to the `catena` binary (stdio), and
//! the switch that serves this library over Streamable HTTP from inside the app.
//!
//! The HTTP server listens on loopback only, at a fixed port so a client's configuration stays
//! valid across restarts; it is the `mcp` crate's server over the app's own library, read-only,
//! answering with the model and web settings of Settings (offline switch included), which it
//! picks up again whenever they are saved.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::error::IpcError;
use crate::settings;
use crate::state::AppState;

/// The loopback port of the app's MCP server.
pub const HTTP_PORT: u16 = 39_517;

/// A running HTTP server.
pub struct Running {
    url: String,
    server: mcp::CatenaMcp,
    shutdown: CancellationToken,
}

/// What the Settings panel shows: how other apps connect to Catena over MCP, and whether the
/// in-app HTTP server runs.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct McpStatus {
    /// Whether the in-app HTTP server runs.
    pub running: bool,
    /// Its address, while it runs.
    pub url: Option<String>,
    /// The `catena` command clients start.
    pub command: String,
    /// The client configuration for stdio, ready to paste.
    pub stdio_config: String,
    /// The client configuration for the HTTP server, while it runs.
    pub http_config: Option<String>,
}

/// The `catena` binary: installed beside the app, else found on PATH by name.
fn catena_command(exe: Option<PathBuf>) -> String {
    let name = if cfg!(windows) { "catena.exe" } else { "catena" };
    exe.and_then(|e| e.parent().map(|d| d.join(name)))
        .filter(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_owned())
}

/// `{"mcpServers":{"catena":{"command":…,"args":["mcp"]}}}`, naming the data directory when the
/// app does not use the default one.
fn stdio_config(command: &str, data_dir: Option<&Path>) -> String {
    let mut args = Vec::new();
    if let Some(dir) = data_dir {
        args.push("--data-dir".to_owned());
        args.push(dir.to_string_lossy().into_owned());
    }
    args.push("mcp".to_owned());
    let config = json!({"mcpServers": {"catena": {"command": command, "args": args}}});
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

fn http_config(url: &str) -> String {
    serde_json::to_string_pretty(&json!({"mcpServers": {"catena": {"type": "http", "url": url}}})).unwrap_or_default()
}

async fn status(state: &AppState) -> Result<McpStatus, IpcError> {
    let command = catena_command(std::env::current_exe().ok());
    let custom_dir = std::env::var_os(crate::commands::DATA_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
    let url = state.mcp().lock().await.as_ref().map(|r| r.url.clone());
    Ok(McpStatus {
        running: url.is_some(),
        stdio_config: stdio_config(&command, custom_dir.as_deref()),
        http_config: url.as_deref().map(http_config),
        url,
        command,
    })
}

/// The settings a question asked through MCP is composed from: the app's own, as its ask box
/// uses them.
pub async fn ask_settings(lib: &library::Library) -> Result<session::Settings, IpcError> {
    settings::load(lib.catalog()).await
}

/// Settings were saved: a running server answers with the new ones from now on.
pub async fn settings_changed(state: &AppState) -> Result<(), IpcError> {
    let guard = state.mcp().lock().await;
    if let Some(running) = guard.as_ref() {
        let lib = state.library().await?;
        running.server.set_ask_settings(ask_settings(&lib).await?);
    }
    Ok(())
}

/// How to connect, and whether the HTTP server runs.
#[tauri::command]
pub async fn mcp_status(state: State<'_, AppState>) -> Result<McpStatus, IpcError> {
    status(&state).await
}

/// Starts (`on`) or stops the loopback HTTP server.
#[tauri::command]
pub async fn mcp_http(state: State<'_, AppState>, on: bool) -> Result<McpStatus, IpcError> {
    let mut guard = state.mcp().lock().await;
    match (on, guard.take()) {
        (true, Some(running)) => *guard = Some(running),
        (true, None) => {
            let lib = state.library().await?;
            let options = mcp::Options {
                ask: ask_settings(&lib).await?,
                keys: state.secrets_handle(),
                ..mcp::Options::default()
            };
            let server = mcp::CatenaMcp::new(lib, options);
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", HTTP_PORT)).await.map_err(|e| {
                IpcError::invalid(format!(
                    "cannot listen on 127.0.0.1:{HTTP_PORT} ({e}); is another Catena serving it?"
                ))
            })?;
            let shutdown = CancellationToken::new();
            let url = format!("http://127.0.0.1:{HTTP_PORT}/mcp");
            tokio::spawn(mcp::http::serve(server.clone(), listener, mcp::http::Guard::default(), shutdown.clone()));
            *guard = Some(Running { url, server, shutdown });
        }
        (false, Some(running)) => running.shutdown.cancel(),
        (false, None) => {}
    }
    drop(guard);
    status(&state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_configuration_starts_catena_mcp() {
        let config: serde_json::Value =
            serde_json::from_str(&stdio_config("/opt/catena/catena", None)).unwrap_or_default();
        assert_eq!(config, json!({"mcpServers": {"catena": {"command": "/opt/catena/catena", "args": ["mcp"]}}}));
        let custom: serde_json::Value =
            serde_json::from_str(&stdio_config("catena", Some(Path::new("/data/lib")))).unwrap_or_default();
        assert_eq!(custom["mcpServers"]["catena"]["args"], json!(["--data-dir", "/data/lib", "mcp"]));
        // Without a binary beside the app, the name is looked up on PATH.
        assert_eq!(catena_command(Some(PathBuf::from("/nonexistent/dir/catena-desktop"))), "catena");
    }
}

//! Catena's desktop shell: the composition root that builds and runs the Tauri app.
//!
//! This is the only Rust code that knows about Tauri. It stays thin: commands translate UI calls
//! into calls on the library crates and errors into `{code, message}` JSON. No domain logic lives
//! here. The entry point is [`run`].

mod commands;

use anyhow::Context as _;

/// Builds the Tauri application and runs its event loop until the last window closes.
pub fn run() -> anyhow::Result<()> {
    // The shell owns the process's single tokio runtime and lends it to Tauri, so async commands and
    // the library crates share one executor instead of each starting their own.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("catena-rt")
        .build()
        .context("failed to start the async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());

    builder(tauri::Builder::default()).run(tauri::generate_context!()).context("failed to run the desktop app")
}

/// Everything about the app that does not depend on the runtime, shared by [`run`] and the mock-runtime
/// tests so they exercise the same command list.
fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
    use tauri::webview::InvokeRequest;

    /// Calls `cmd` from the window `label` through real IPC, including the capability (ACL) check.
    fn invoke(label: &str, cmd: &str) -> Result<serde_json::Value, serde_json::Value> {
        // `generate_context!` (not `mock_context`) so the real capabilities apply.
        let app = super::builder(mock_builder()).build(tauri::generate_context!()).expect("the mock app builds");
        let window =
            tauri::WebviewWindowBuilder::new(&app, label, Default::default()).build().expect("the mock window builds");
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // On Linux the app's own pages are served from this origin.
            url: "tauri://localhost".parse().expect("a valid url"),
            body: InvokeBody::Json(serde_json::json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&window, request)
            .map(|body| body.deserialize::<serde_json::Value>().expect("the response is JSON"))
    }

    #[test]
    fn app_info_is_allowed_and_returns_version_and_data_dir() {
        let info = invoke("main", "app_info").expect("app_info succeeds");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        let data_dir = info["data_dir"].as_str().expect("data_dir is a string");
        assert!(!data_dir.is_empty());
    }

    #[test]
    fn windows_without_a_capability_cannot_call_commands() {
        // The capability names the `main` window only; any other window gets nothing.
        let error = invoke("other", "app_info").expect_err("the call is denied");
        // Both the debug and the release wording of Tauri's ACL rejection say this.
        assert!(error.to_string().contains("not allowed"), "{error}");
    }

    #[test]
    fn unknown_commands_are_rejected() {
        let error = invoke("main", "no_such_command").expect_err("the call fails");
        assert!(error.to_string().contains("not allowed"), "{error}");
    }
}

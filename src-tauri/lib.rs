//! Catena's desktop shell: the composition root that builds and runs the Tauri app.
//!
//! This is the only Rust code that knows about Tauri. It stays thin: commands translate UI calls
//! into calls on the library crates and errors into `{code, message}` JSON, and engine and ingest
//! progress streams to the page over `tauri::ipc::Channel`s. No domain logic lives here.
//! The entry point is [`run`].

mod ask;
mod commands;
mod error;
mod export;
mod library;
mod perf;
mod rendering;
mod settings;
mod state;

use std::sync::Arc;

use anyhow::Context as _;
use tauri::{DragDropEvent, Manager, WindowEvent};

use crate::state::{AppState, DropEvent, KEYRING_NAMESPACE};

/// Builds the Tauri application and runs its event loop until the last window closes.
pub fn run() -> anyhow::Result<()> {
    // First, so the first-paint figure `scripts/perf-app` reports covers the whole start-up.
    perf::mark_start();
    // The shell owns the process's single tokio runtime and lends it to Tauri, so async commands and
    // the library crates share one executor instead of each starting their own.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("catena-rt")
        .build()
        .context("failed to start the async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());

    let data_dir = commands::data_dir_from(std::env::var_os(commands::DATA_DIR_ENV));
    let state = AppState::new(data_dir, Arc::new(secrets::KeyStore::new(&keyring_namespace())));
    let rendering = rendering::choose(&rendering::Inputs::from_system());
    perf::set_rendering(rendering);
    let app = builder(tauri::Builder::default(), state).setup(move |app| {
        if let Some(window) = app.get_webview_window("main") {
            // Drawing still works with WebKit's defaults, so a failure here is not fatal.
            if let Err(err) = rendering::apply(&window, rendering) {
                eprintln!("catena: could not set the webview's rendering mode: {err}");
            }
        }
        Ok(())
    });
    app.run(tauri::generate_context!()).context("failed to run the desktop app")
}

/// The keyring namespace: `catena`, as the CLI uses, unless `CATENA_KEYRING_NAMESPACE` names
/// another (tests and end-to-end runs, so they never touch a real key).
fn keyring_namespace() -> String {
    std::env::var("CATENA_KEYRING_NAMESPACE")
        .ok()
        .and_then(|ns| secrets::normalize_provider(&ns).ok())
        .unwrap_or_else(|| KEYRING_NAMESPACE.to_owned())
}

/// Everything about the app that does not depend on the runtime, shared by [`run`] and the mock-runtime
/// tests so they exercise the same command list.
fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        // Dialogs are opened from Rust only; the capability grants the page none of the plugin's
        // commands.
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .on_window_event(|window, event| {
            if let WindowEvent::DragDrop(drop) = event {
                let event = match drop {
                    DragDropEvent::Enter { paths, .. } => DropEvent::Hover { count: paths.len() },
                    DragDropEvent::Over { .. } => return,
                    DragDropEvent::Drop { paths, .. } => {
                        DropEvent::Dropped { paths: paths.iter().map(|p| p.to_string_lossy().into_owned()).collect() }
                    }
                    DragDropEvent::Leave => DropEvent::Cancelled,
                    _ => return,
                };
                window.state::<AppState>().on_drop(event);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            library::watch_drops,
            library::pick_paths,
            library::ingest,
            library::cancel_ingest,
            library::list_documents,
            library::remove_document,
            library::search,
            library::document_text,
            library::document_pdf,
            library::table_rows,
            ask::ask,
            ask::cancel_ask,
            ask::list_runs,
            ask::get_run,
            settings::get_settings,
            settings::save_settings,
            settings::set_api_key,
            settings::delete_api_key,
            settings::probe_local_servers,
            settings::test_llm,
            export::export_formats,
            export::export_run,
            perf::ui_ready,
        ])
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
    use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindow};

    use crate::state::AppState;

    /// Messages sent on each channel, by channel id.
    type Sent = Arc<Mutex<HashMap<u32, Vec<Value>>>>;

    struct TestApp {
        _app: tauri::App<MockRuntime>,
        window: WebviewWindow<MockRuntime>,
        sent: Sent,
        secrets: Arc<secrets::testing::MemoryStore>,
    }

    /// A mock app over `data_dir` with an in-memory keyring, and a window labelled `label`.
    fn app_at(label: &str, data_dir: &Path) -> TestApp {
        let sent: Sent = Arc::default();
        let record = sent.clone();
        let secrets = Arc::new(secrets::testing::MemoryStore::new());
        let state = AppState::new(Ok(data_dir.to_path_buf()), secrets.clone());
        let builder = super::builder(mock_builder(), state).channel_interceptor(move |_, callback, _, body| {
            let value = match body {
                InvokeResponseBody::Json(s) => serde_json::from_str(s).expect("channel messages are JSON"),
                InvokeResponseBody::Raw(b) => json!(b.len()),
            };
            record.lock().expect("not poisoned").entry(callback.0).or_default().push(value);
            true
        });
        // `generate_context!` (not `mock_context`) so the real capabilities apply.
        let app = builder.build(tauri::generate_context!()).expect("the mock app builds");
        let window =
            tauri::WebviewWindowBuilder::new(&app, label, Default::default()).build().expect("the mock window builds");
        TestApp { _app: app, window, sent, secrets }
    }

    impl TestApp {
        /// Calls `cmd` through real IPC, including the capability (ACL) check.
        fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
            let request = InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                // On Linux the app's own pages are served from this origin.
                url: "tauri://localhost".parse().expect("a valid url"),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            };
            get_ipc_response(&self.window, request)
                .map(|body| body.deserialize::<Value>().expect("the response is JSON"))
        }

        fn channel(&self, id: u32) -> Vec<Value> {
            self.sent.lock().expect("not poisoned").get(&id).cloned().unwrap_or_default()
        }
    }

    fn app(label: &str) -> (TestApp, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        (app_at(label, &dir.path().join("data")), dir)
    }

    /// A small folder of notes about a made-up institute, plus one file that cannot be read.
    fn notes(root: &Path) -> std::path::PathBuf {
        let docs = root.join("notes");
        std::fs::create_dir_all(&docs).expect("mkdir");
        std::fs::write(
            docs.join("institute.md"),
            "# The Orbis Institute\n\nThe Orbis Institute was founded in 1911 by Clara Wendt in Lisbon. \
             Its first director was Tomas Ferreira, an astronomer.\n\n## Observatory\n\nThe institute's \
             observatory was built in 1923 on the hill above the harbour.\n",
        )
        .expect("write");
        std::fs::write(
            docs.join("wendt.txt"),
            "Clara Wendt (1870-1950) was a chemist. She studied in Leipzig and moved to Lisbon in 1902. \
             Wendt also funded a school for girls.",
        )
        .expect("write");
        std::fs::write(docs.join("broken.pdf"), b"%PDF-1.7 this is not really a pdf").expect("write");
        docs
    }

    #[test]
    fn app_info_is_allowed_and_returns_version_and_data_dir() {
        let (app, dir) = app("main");
        let info = app.call("app_info", json!({})).expect("app_info succeeds");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(info["data_dir"], dir.path().join("data").to_string_lossy().as_ref());
    }

    #[test]
    fn ui_ready_is_allowed_and_says_whether_perf_hooks_are_on() {
        let (app, _dir) = app("main");
        let ready = app.call("ui_ready", json!({"pageMs": 12.5})).expect("ui_ready succeeds");
        assert_eq!(ready["perf"], crate::perf::enabled());
        // Later calls are harmless.
        app.call("ui_ready", json!({})).expect("ui_ready succeeds again");
    }

    #[test]
    fn windows_without_a_capability_cannot_call_commands() {
        // The capability names the `main` window only; any other window gets nothing.
        let (app, _dir) = app("other");
        let error = app.call("app_info", json!({})).expect_err("the call is denied");
        // Both the debug and the release wording of Tauri's ACL rejection say this.
        assert!(error.to_string().contains("not allowed"), "{error}");
    }

    #[test]
    fn unknown_commands_and_plugin_commands_are_rejected() {
        let (app, _dir) = app("main");
        let error = app.call("no_such_command", json!({})).expect_err("the call fails");
        assert!(error.to_string().contains("not allowed"), "{error}");
        // The dialog plugin is used from Rust; the page may not open dialogs itself.
        let error = app.call("plugin:dialog|open", json!({"options": {}})).expect_err("the call fails");
        assert!(error.to_string().contains("not allowed"), "{error}");
    }

    #[test]
    fn ingest_refuses_paths_the_user_did_not_hand_over() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        let error = app
            .call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:7"}))
            .expect_err("refused");
        assert_eq!(error["code"], "PathNotGranted");
        assert!(app.channel(7).is_empty());
    }

    #[test]
    fn ingest_streams_progress_then_search_remove_and_list() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        // Dropping the folder on the window is what grants it.
        app.window
            .state::<AppState>()
            .on_drop(crate::state::DropEvent::Dropped { paths: vec![docs.to_string_lossy().into_owned()] });
        let summary = app
            .call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:7"}))
            .expect("ingest succeeds");
        assert_eq!(summary["ingested"], 2);
        assert_eq!(summary["failed"][0]["path"], docs.join("broken.pdf").to_string_lossy().as_ref());
        assert!(!summary["failed"][0]["reason"].as_str().unwrap_or_default().is_empty());

        let events = app.channel(7);
        assert_eq!(events[0], json!({"type": "scanned", "files": 3, "bytes": events[0]["bytes"]}));
        let files: Vec<&Value> = events.iter().filter(|e| e["type"] == "file").collect();
        assert_eq!(files.len(), 3);
        let last = files.last().expect("three files");
        assert_eq!(last["progress"]["files_done"], 3);
        assert_eq!(last["progress"]["bytes_done"], last["progress"]["bytes_total"]);
        assert!(files.iter().any(|f| f["outcome"] == "failed" && f["detail"].is_string()));
        assert!(events.iter().any(|e| e["type"] == "committed"));

        let hits = app.call("search", json!({"query": "observatory built"})).expect("search succeeds");
        let hits = hits.as_array().expect("a list");
        assert!(!hits.is_empty());
        assert!(hits[0]["path"].as_str().unwrap_or_default().ends_with("institute.md"), "{hits:?}");
        assert!(hits[0]["snippet_html"].as_str().unwrap_or_default().contains("<b>"), "{hits:?}");

        let listed = app.call("list_documents", json!({})).expect("listing succeeds");
        let listed = listed.as_array().expect("a list");
        assert_eq!(listed.iter().filter(|d| d["status"] == "indexed").count(), 2);
        assert_eq!(listed.iter().filter(|d| d["status"] == "failed").count(), 1);

        let doc_id = hits[0]["doc_id"].clone();
        let text = app.call("document_text", json!({"docId": doc_id})).expect("text");
        assert!(text.as_str().unwrap_or_default().contains("built in 1923"));
        app.call("remove_document", json!({"docId": doc_id})).expect("removal succeeds");
        let hits = app.call("search", json!({"query": "observatory built"})).expect("search succeeds");
        assert!(
            hits.as_array().expect("a list").iter().all(|h| h["doc_id"] != doc_id),
            "removed document still found: {hits:?}"
        );
        let error = app.call("document_pdf", json!({"docId": doc_id})).expect_err("gone");
        assert_eq!(error["code"], "NotFound");
    }

    #[test]
    fn ask_without_a_model_streams_the_run_and_stores_it() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");

        let question = "Who founded the Orbis Institute, and when was its observatory built?";
        let result = app
            .call("ask", json!({"question": question, "noLlm": true, "onEvent": "__CHANNEL__:9"}))
            .expect("ask succeeds");
        assert_eq!(result["stored"], true);
        assert_eq!(result["record"]["mode"], "extractive");
        let record = &result["record"];
        assert!(record["answer"].as_str().unwrap_or_default().contains("[1]"), "{record}");

        let events = app.channel(9);
        assert_eq!(events.first().map(|e| e["type"].clone()), Some(json!("plan_ready")));
        assert_eq!(events.last().map(|e| e["type"].clone()), Some(json!("finished")));
        let verified = events.iter().find(|e| e["type"] == "verified").expect("a verified event");
        assert_eq!(verified["answer"], record["answer"]);
        let finished_nodes = events.iter().filter(|e| e["type"] == "node_finished").count();
        assert_eq!(finished_nodes, record["nodes"].as_array().map_or(0, Vec::len));

        // The UI's tests replay this stream; `CATENA_UPDATE_UI_FIXTURES=1` re-records it.
        if std::env::var_os("CATENA_UPDATE_UI_FIXTURES").is_some() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/fixtures/ask-extractive.json");
            let fixture = json!({"question": question, "events": events, "result": result});
            // Temp paths differ on every run; the fixture names a stable, made-up home instead.
            let text = serde_json::to_string_pretty(&fixture).expect("JSON");
            let text = text.replace(&dir.path().to_string_lossy().into_owned(), "/home/ada/Documents");
            std::fs::write(path, text + "\n").expect("fixture written");
        }

        let runs = app.call("list_runs", json!({})).expect("runs");
        assert_eq!(runs[0]["run_id"], record["run_id"]);
        assert_eq!(runs[0]["question"], question);
        let again = app.call("get_run", json!({"runId": record["run_id"]})).expect("the run reopens");
        assert_eq!(&again, record);

        // What the export dialog writes for this run: a report that carries the question, and a
        // bibliography entry for a cited document.
        let run: engine::run::RunRecord = serde_json::from_value(again).expect("a run record");
        let markdown = crate::export::render(&run, export::Format::Markdown, "apa").expect("renders");
        assert!(String::from_utf8_lossy(&markdown).contains("Orbis Institute"));
        let bib = crate::export::render(&run, export::Format::Bibtex, "ieee").expect("renders");
        assert!(String::from_utf8_lossy(&bib).contains('@'), "{}", String::from_utf8_lossy(&bib));
        let error = crate::export::render(&run, export::Format::Html, "comic-sans").expect_err("refused");
        assert_eq!(error.code, crate::error::ErrorCode::InvalidInput);
    }

    #[test]
    fn an_empty_question_is_refused() {
        let (app, _dir) = app("main");
        let error = app
            .call("ask", json!({"question": "   ", "noLlm": true, "onEvent": "__CHANNEL__:2"}))
            .expect_err("refused");
        assert_eq!(error["code"], "InvalidInput");
    }

    #[test]
    fn settings_round_trip_and_keys_stay_in_the_keyring() {
        let (app, _dir) = app("main");
        let defaults = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(defaults["llm_key_stored"], false);
        assert_eq!(defaults["web"]["offline"], true);

        let mut settings = defaults.clone();
        for field in ["llm_key_stored", "web_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        settings["llm"] = json!({"enabled": true, "preset": "openrouter", "provider": "openai-compatible",
                                  "base_url": "https://openrouter.ai/api/v1", "model": "qwen/qwen3-32b"});
        settings["engine"]["mrfs_threshold"] = json!(0.55);
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        app.call("set_api_key", json!({"which": "llm", "provider": "openai-compatible", "key": "sk-test-123"}))
            .expect("key stored");

        let back = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(back["llm"]["model"], "qwen/qwen3-32b");
        assert_eq!(back["engine"]["mrfs_threshold"], 0.55);
        assert_eq!(back["llm_key_stored"], true);
        assert!(!back.to_string().contains("sk-test-123"), "the key leaked: {back}");
        let key = secrets::SecretStore::get(app.secrets.as_ref(), "openai-compatible").expect("readable");
        assert_eq!(key.map(|k| k.expose().to_owned()), Some("sk-test-123".to_owned()));

        settings["engine"]["mrfs_threshold"] = json!(2.0);
        let error = app.call("save_settings", json!({"settings": settings})).expect_err("refused");
        assert_eq!(error["code"], "InvalidInput");
        assert_eq!(app.call("get_settings", json!({})).expect("settings")["engine"]["mrfs_threshold"], 0.55);
    }

    /// The "Test" button's answer for settings pointing at `base_url`.
    fn test_connection(app: &TestApp, base_url: &str) -> Value {
        let llm = json!({"enabled": true, "preset": "custom", "provider": "openai-compatible",
                         "base_url": base_url, "model": "qwen3"});
        app.call("test_llm", json!({"llm": llm})).expect("the test itself always answers")
    }

    #[test]
    fn connection_tests_say_what_went_wrong_in_plain_words() {
        let (app, _dir) = app("main");
        // A port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let refused = test_connection(&app, &format!("http://127.0.0.1:{port}/v1"));
        assert_eq!(refused["ok"], false);
        let message = refused["message"].as_str().expect("a message");
        assert!(message.starts_with(&format!("Nothing is answering at 127.0.0.1:{port}.")), "{message}");
        assert!(refused["detail"].as_str().is_some_and(|d| d.to_lowercase().contains("refused")), "{refused}");

        // Servers that answer, but not as a model API should.
        let runtime = tokio::runtime::Runtime::new().expect("a runtime for the scripted servers");
        let missing = runtime.block_on(testkit::Server::always(testkit::Reply::not_found()));
        let denied = runtime.block_on(testkit::Server::always(testkit::Reply::json(
            401,
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
        )));
        let garbled = runtime.block_on(testkit::Server::always_json("<html>a login page</html>"));
        let working = runtime.block_on(testkit::Server::always_json(r#"{"object":"list","data":[{"id":"qwen3"}]}"#));

        let not_api = test_connection(&app, &missing.url());
        assert!(not_api["message"].as_str().is_some_and(|m| m.contains("has no model API at this path")), "{not_api}");
        let key = test_connection(&app, &format!("{}/v1", denied.url()));
        assert!(key["message"].as_str().is_some_and(|m| m.contains("refused the API key")), "{key}");
        let other = test_connection(&app, &format!("{}/v1", garbled.url()));
        assert!(other["message"].as_str().is_some_and(|m| m.contains("not this provider's API")), "{other}");
        let ok = test_connection(&app, &format!("{}/v1", working.url()));
        assert_eq!(ok["ok"], true, "{ok}");
        assert_eq!(ok["message"], "Connected: qwen3 is available.");
        assert_eq!(ok["detail"], Value::Null);
    }

    #[test]
    fn export_lists_every_format_and_citation_style() {
        let (app, _dir) = app("main");
        let choices = app.call("export_formats", json!({})).expect("formats");
        let names: Vec<&str> =
            choices["formats"].as_array().expect("a list").iter().filter_map(|f| f["name"].as_str()).collect();
        assert_eq!(names, ["md", "html", "docx", "pdf", "bibtex", "csl-json", "ris", "json"]);
        let styles: Vec<&str> =
            choices["styles"].as_array().expect("a list").iter().filter_map(|s| s["name"].as_str()).collect();
        assert!(styles.contains(&"apa") && styles.contains(&"ieee") && styles.contains(&"chicago"), "{styles:?}");
    }
}

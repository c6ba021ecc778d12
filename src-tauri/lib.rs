//! Catena's desktop shell: the composition root that builds and runs the Tauri app.
//!
//! This is the only Rust code that knows about Tauri. It stays thin: commands translate UI calls
//! into calls on the library crates and errors into `{code, message}` JSON, and engine and ingest
//! progress streams to the page over `tauri::ipc::Channel`s. No domain logic lives here.
//! The entry point is [`run`].

mod ask;
mod commands;
mod embedding;
mod error;
mod export;
mod library;
mod mcp;
mod perf;
mod rendering;
mod settings;
mod state;
#[cfg(test)]
mod ts_bindings;

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
        let window = main_window(app)?;
        // Drawing still works with WebKit's defaults, so a failure here is not fatal.
        if let Err(err) = rendering::apply(&window, rendering) {
            eprintln!("catena: could not set the webview's rendering mode: {err}");
        }
        Ok(())
    });
    app.run(tauri::generate_context!()).context("failed to run the desktop app")
}

/// Opens the main window as `tauri.conf.json` describes it (the config does not create it, so that
/// this can choose its page): Catena's page, or under `CATENA_PERF=shell` a two-line page that
/// never calls the core, which `scripts/perf-app` measures to tell what Tauri and this binary cost
/// from what Catena's page and core add.
fn main_window(app: &tauri::App) -> tauri::Result<tauri::WebviewWindow> {
    let mut config =
        app.config().app.windows.iter().find(|w| w.label == "main").cloned().ok_or(tauri::Error::WindowNotFound)?;
    let shell = perf::shell_only();
    if shell {
        config.url = tauri::WebviewUrl::App(perf::SHELL_PAGE.into());
    }
    let mut builder = tauri::WebviewWindowBuilder::from_config(app, &config)?;
    if shell {
        builder = builder.on_page_load(|_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                perf::shell_page_loaded();
            }
        });
    }
    builder.build()
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
            library::reread_document,
            library::reveal_document,
            library::search,
            library::document_text,
            library::ocr_boxes,
            library::document_image,
            library::document_pdf,
            library::table_rows,
            library::list_sources,
            library::pause_source,
            library::resume_source,
            library::remove_source,
            library::watch_sources,
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
            mcp::mcp_status,
            mcp::mcp_http,
            embedding::semantic_status,
            embedding::watch_embedding,
            embedding::cancel_embedding,
            embedding::download_embedding_model,
            embedding::cancel_embedding_download,
            embedding::pick_model_folder,
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
            get_ipc_response(&self.window, request(cmd, args))
                .map(|body| body.deserialize::<Value>().expect("the response is JSON"))
        }

        /// A command that answers with raw bytes (a PDF, an image).
        fn call_bytes(&self, cmd: &str, args: Value) -> Result<Vec<u8>, Value> {
            match get_ipc_response(&self.window, request(cmd, args)) {
                Ok(tauri::ipc::InvokeResponseBody::Raw(bytes)) => Ok(bytes),
                Ok(other) => panic!("not raw bytes: {other:?}"),
                Err(e) => Err(e),
            }
        }

        /// Drops `path` on the window (which grants it), then adds it with `ingest`, progress on
        /// channel `channel`.
        fn drop_and_ingest(&self, path: &Path, channel: u32) -> Result<Value, Value> {
            let path = path.to_string_lossy().into_owned();
            self.window.state::<AppState>().on_drop(crate::state::DropEvent::Dropped { paths: vec![path.clone()] });
            self.call("ingest", json!({"paths": [path], "onEvent": format!("__CHANNEL__:{channel}")}))
        }

        fn channel(&self, id: u32) -> Vec<Value> {
            self.sent.lock().expect("not poisoned").get(&id).cloned().unwrap_or_default()
        }
    }

    /// The page's call of `cmd` with `args`, as the webview sends it.
    fn request(cmd: &str, args: Value) -> InvokeRequest {
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // On Linux the app's own pages are served from this origin.
            url: "tauri://localhost".parse().expect("a valid url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
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
        let summary = app.drop_and_ingest(&docs, 7).expect("ingest succeeds");
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

        // The folder is watched from now on; its first scan finds nothing new.
        wait_for(|| {
            let sources = app.call("list_sources", json!({})).expect("listing succeeds");
            sources[0]["state"] == "watching"
        });

        let doc_id = hits[0]["doc_id"].clone();
        // Text read from the file itself has no OCR boxes; a backwards span is refused.
        let boxes = app.call("ocr_boxes", json!({"docId": doc_id, "start": 0, "end": 40})).expect("boxes");
        assert_eq!(boxes, json!([]));
        let error = app.call("ocr_boxes", json!({"docId": doc_id, "start": 9, "end": 3})).expect_err("backwards");
        assert_eq!(error["code"], "InvalidInput");
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

    /// Where [`read_only_drop`] finds the library and the folder to drop (set only for it).
    const READ_ONLY_DROP_ROOT: &str = "CATENA_TEST_READ_ONLY_DROP_ROOT";

    /// Files dropped on a read-only library are refused with the reason, and nothing changes.
    /// `CATENA_READ_ONLY` is read process-wide, so the drop runs in a child process of this test
    /// binary ([`read_only_drop`]) while the tests beside this one keep writable libraries.
    #[test]
    fn files_dropped_on_a_read_only_library_are_refused_saying_why_and_nothing_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        {
            let app = app_at("main", &data);
            let summary = app.drop_and_ingest(&notes(dir.path()), 7).expect("ingest succeeds");
            assert_eq!(summary["ingested"], 2);
        }
        let more = dir.path().join("more");
        std::fs::create_dir_all(&more).expect("mkdir");
        std::fs::write(more.join("harbour.txt"), "The harbour lighthouse was lit for the first time in 1931.")
            .expect("write");
        let before = library_state(&data);

        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args(["--exact", "tests::read_only_drop", "--ignored", "--nocapture", "--test-threads=1"])
            .env("CATENA_READ_ONLY", "1")
            .env(READ_ONLY_DROP_ROOT, dir.path())
            .output()
            .expect("the test binary runs");
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && log.contains("1 passed"), "{log}");
        assert_eq!(library_state(&data), before, "a refused drop changed the library");
    }

    /// The documents' paths and statuses and the watched folders of the library at `data`.
    fn library_state(data: &Path) -> (Vec<(String, String)>, Vec<String>) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        rt.block_on(async {
            let lib = library::Library::open_read(data).await.expect("the library opens");
            let mut docs: Vec<(String, String)> = lib
                .documents()
                .await
                .expect("documents")
                .into_iter()
                .map(|d| (d.path, format!("{:?}", d.status)))
                .collect();
            docs.sort();
            let sources = lib.sources().await.expect("sources").into_iter().map(|s| s.path).collect();
            (docs, sources)
        })
    }

    /// The child half of the test above, run with `CATENA_READ_ONLY=1`: the app opens the library
    /// read-only; dropping a folder, removing a document and pausing a watched folder are refused
    /// with `LibraryReadOnly` and a message that says why and that nothing changed.
    #[test]
    #[ignore = "run by files_dropped_on_a_read_only_library_are_refused_saying_why_and_nothing_changes"]
    fn read_only_drop() {
        let root = std::path::PathBuf::from(std::env::var_os(READ_ONLY_DROP_ROOT).expect("run by its parent test"));
        let app = app_at("main", &root.join("data"));
        let error = app.drop_and_ingest(&root.join("more"), 7).expect_err("refused");
        assert_eq!(error["code"], "LibraryReadOnly", "{error}");
        let message = error["message"].as_str().expect("a message");
        for words in ["is read-only because CATENA_READ_ONLY is set", "nothing was added or changed"] {
            assert!(message.contains(words), "{words}: {message}");
        }
        assert!(!message.contains("another"), "{message}");
        assert!(app.channel(7).is_empty(), "{:?}", app.channel(7));

        let docs = app.call("list_documents", json!({})).expect("listing works");
        let doc_id = docs[0]["id"].clone();
        let error = app.call("remove_document", json!({"docId": doc_id})).expect_err("refused");
        assert_eq!(error["code"], "LibraryReadOnly", "{error}");
        let sources = app.call("list_sources", json!({})).expect("listing works");
        let error = app.call("pause_source", json!({"sourceId": sources[0]["id"]})).expect_err("refused");
        assert_eq!(error["code"], "LibraryReadOnly", "{error}");
        // Reading still works.
        let hits = app.call("search", json!({"query": "observatory built"})).expect("search works");
        assert!(!hits.as_array().expect("a list").is_empty());
    }

    #[test]
    fn a_failed_file_is_read_again_and_a_gone_file_is_not_revealed() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        let broken = docs.join("broken.pdf");
        // Handed over as a single file, not as a folder: nothing is watched.
        app.window.state::<AppState>().grant([broken.clone()]);
        app.call("ingest", json!({"paths": [broken.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");
        let listed = app.call("list_documents", json!({})).expect("listing succeeds");
        let failed = listed
            .as_array()
            .and_then(|docs| docs.iter().find(|d| d["status"] == "failed"))
            .cloned()
            .expect("the broken file is listed as failed");
        let doc_id = failed["id"].clone();

        // Read again although it did not change: it is tried (and fails) again, not skipped as
        // unchanged, and progress streams as for `ingest`.
        let summary =
            app.call("reread_document", json!({"docId": doc_id, "onEvent": "__CHANNEL__:2"})).expect("reread succeeds");
        assert_eq!(summary["failed"].as_array().map(Vec::len), Some(1), "{summary}");
        let files: Vec<Value> = app.channel(2).into_iter().filter(|e| e["type"] == "file").collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0]["outcome"], "failed", "{files:?}");
        assert_eq!(files[0]["path"], broken.to_string_lossy().as_ref());

        // Unknown documents and files that are gone are refused with a reason.
        let error = app.call("reveal_document", json!({"docId": 999_999})).expect_err("unknown");
        assert_eq!(error["code"], "NotFound");
        let error =
            app.call("reread_document", json!({"docId": 999_999, "onEvent": "__CHANNEL__:4"})).expect_err("unknown");
        assert_eq!(error["code"], "NotFound");
        std::fs::remove_file(&broken).expect("remove");
        let error = app.call("reveal_document", json!({"docId": doc_id})).expect_err("gone");
        assert_eq!(error["code"], "NotFound");
        assert!(error["message"].as_str().unwrap_or_default().contains("no longer"), "{error}");
    }

    #[test]
    fn reread_refuses_a_file_the_user_did_not_hand_over_in_this_session() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let docs = notes(dir.path());
        let broken = docs.join("broken.pdf");
        let doc_id = {
            let app = app_at("main", &data);
            app.window.state::<AppState>().grant([broken.clone()]);
            app.call("ingest", json!({"paths": [broken.to_string_lossy()], "onEvent": "__CHANNEL__:1"}))
                .expect("ingest");
            let listed = app.call("list_documents", json!({})).expect("listing succeeds");
            listed[0]["id"].clone()
        };
        // The next start has no grants for it, and it is in no watched folder.
        let app = app_at("main", &data);
        let error =
            app.call("reread_document", json!({"docId": doc_id, "onEvent": "__CHANNEL__:2"})).expect_err("refused");
        assert_eq!(error["code"], "PathNotGranted", "{error}");
        assert!(app.channel(2).is_empty());
    }

    /// Polls `check` for at most 30 s.
    fn wait_for(mut check: impl FnMut() -> bool) {
        let t = std::time::Instant::now();
        while !check() {
            assert!(t.elapsed() < std::time::Duration::from_secs(30), "timed out");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    #[test]
    fn an_added_folder_is_watched_listed_paused_resumed_and_removed() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        std::fs::write(docs.join("clip.mp4"), b"not read").expect("write");
        app.window
            .state::<AppState>()
            .on_drop(crate::state::DropEvent::Dropped { paths: vec![docs.to_string_lossy().into_owned()] });
        app.call("watch_sources", json!({"onEvent": "__CHANNEL__:9"})).expect("watch_sources is allowed");
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:7"})).expect("ingest");
        let source = || app.call("list_sources", json!({})).expect("listing succeeds")[0].clone();
        wait_for(|| source()["state"] == "watching");
        let s = source();
        assert_eq!(s["path"], std::fs::canonicalize(&docs).expect("exists").to_string_lossy().as_ref());
        assert_eq!(s["skipped"], 1, "{s}");
        assert!(!app.channel(9).is_empty(), "the page is told");

        // A new file in the folder is added without anyone asking.
        std::fs::write(
            docs.join("harbour.md"),
            "# Harbour

The lighthouse keeper logs every ship.
",
        )
        .expect("write");
        wait_for(|| {
            let hits = app.call("search", json!({"query": "lighthouse keeper"})).expect("search");
            hits.as_array().is_some_and(|h| !h.is_empty())
        });

        let id = s["id"].clone();
        app.call("pause_source", json!({"sourceId": id})).expect("pause");
        assert_eq!(source()["state"], "paused");
        app.call("resume_source", json!({"sourceId": id})).expect("resume");
        wait_for(|| source()["state"] == "watching");
        app.call("remove_source", json!({"sourceId": id})).expect("remove");
        let listed = app.call("list_sources", json!({})).expect("listing succeeds");
        assert_eq!(listed, json!([]));
        let error = app.call("pause_source", json!({"sourceId": id})).expect_err("gone");
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

        if std::env::var_os("CATENA_UPDATE_UI_FIXTURES").is_some() {
            // Two more runs for the answer's other shapes: a short answer read from one passage,
            // and a question the library does not answer.
            for (name, other, channel) in [
                ("ask-short-answer.json", "When was the institute's observatory built?", 10),
                ("ask-not-found.json", "Who painted the Mona Lisa?", 11),
            ] {
                let result = app
                    .call("ask", json!({"question": other, "noLlm": true, "onEvent": format!("__CHANNEL__:{channel}")}))
                    .expect("ask succeeds");
                let fixture = json!({"question": other, "events": app.channel(channel), "result": result});
                let text = serde_json::to_string_pretty(&fixture).expect("JSON");
                let text = text.replace(&dir.path().to_string_lossy().into_owned(), "/home/ada/Documents");
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/fixtures").join(name);
                std::fs::write(path, text + "\n").expect("fixture written");
            }
        }
    }

    /// One streamed OpenAI-compatible completion of `pieces`, as a server that honours stop
    /// sequences sends it (the closing tag left out).
    fn streamed(pieces: &[&str]) -> testkit::Reply {
        let chunk = |delta: Value, finish: Value| {
            let body = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1741569952,
                              "model": "r1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
            format!("data: {body}\r\n\r\n")
        };
        let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
        chunks.extend(pieces.iter().map(|p| chunk(json!({"content": p}), Value::Null)));
        chunks.push(chunk(json!({}), json!("stop")));
        chunks.push("data: [DONE]\r\n\r\n".to_owned());
        testkit::Reply::sse(chunks, testkit::End::Finish)
    }

    #[test]
    fn an_agent_mode_ask_streams_its_thinking_and_is_stored_as_agent() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");

        let question = "When was the Orbis Institute founded?";
        // Without a model, agent mode is refused with what to do.
        let error = app
            .call("ask", json!({"question": question, "mode": "agent", "onEvent": "__CHANNEL__:2"}))
            .expect_err("agent mode needs a model");
        assert_eq!(error["code"], "LlmConfig");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("Settings")), "{error}");

        let runtime = tokio::runtime::Runtime::new().expect("a runtime for the scripted server");
        let server = runtime.block_on(testkit::Server::sequence(vec![
            streamed(&["I should look ", "this up. <begin_se", "arch> Orbis Institute founded"]),
            streamed(&[
                "It was founded in 1911.\n</th",
                "ink>\n\\boxed{The Orbis Institute ",
                "was founded in 1911 [1].}",
            ]),
        ]));
        let mut settings = app.call("get_settings", json!({})).expect("settings");
        for field in ["llm_key_stored", "web_key_stored", "embedding_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        settings["llm"] = json!({"enabled": true, "preset": "custom", "provider": "openai-compatible",
                                  "base_url": format!("{}/v1", server.url()), "model": "deepseek-r1"});
        settings["engine"]["run_mode"] = json!("agent");
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        assert_eq!(app.call("get_settings", json!({})).expect("settings")["engine"]["run_mode"], "agent");

        // No mode given: the default from Settings applies.
        let result = app.call("ask", json!({"question": question, "onEvent": "__CHANNEL__:3"})).expect("ask succeeds");
        let record = &result["record"];
        assert_eq!(record["run_mode"], "agent", "{record}");
        assert_eq!(record["agent_protocol"], "tags", "auto picks the tags for an R1 model: {record}");
        assert_eq!(record["mode"], "llm", "{record}");
        assert_eq!(result["stored"], true);
        assert_eq!(record["answer"], "The Orbis Institute was founded in 1911 [1].");
        assert_eq!(record["nodes"][0]["sub_question"], "Orbis Institute founded");

        let events = app.channel(3);
        let thinking: String =
            events.iter().filter(|e| e["type"] == "thinking_delta").filter_map(|e| e["text"].as_str()).collect();
        assert_eq!(thinking, "I should look this up. <begin_search> Orbis Institute foundedIt was founded in 1911.\n");
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
        let first_thinking = kinds.iter().position(|k| *k == "thinking_delta").expect("thinking");
        let action = kinds.iter().position(|k| *k == "node_finished").expect("an action");
        let answer = kinds.iter().position(|k| *k == "answer_delta").expect("an answer");
        assert!(first_thinking < action && action < answer, "{kinds:?}");
        assert_eq!(server.requests().len(), 2);

        let again = app.call("get_run", json!({"runId": record["run_id"]})).expect("the run reopens");
        assert_eq!(again["run_mode"], "agent");
    }

    #[test]
    fn the_agent_protocol_and_predicted_observations_settings_apply_to_agent_runs() {
        let (app, dir) = app("main");
        let docs = notes(dir.path());
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");
        let chunk = |delta: Value, finish: Value| {
            format!(
                "data: {}\r\n\r\n",
                json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            )
        };
        let call = testkit::Reply::sse(
            vec![
                chunk(
                    json!({"role": "assistant", "content": "", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                    "function": {"name": "search_library", "arguments": "{\"query\": \"Orbis"}}]}),
                    Value::Null,
                ),
                chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": " Institute founded\"}"}}]}),
                    Value::Null,
                ),
                chunk(json!({}), json!("tool_calls")),
                "data: [DONE]\r\n\r\n".to_owned(),
            ],
            testkit::End::Finish,
        );
        let prediction = testkit::Reply::json(
            200,
            json!({"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant",
                   "content": "The navy set it up as a naval academy in Trieste in 1799."}, "finish_reason": "stop"}]})
            .to_string(),
        );
        let runtime = tokio::runtime::Runtime::new().expect("a runtime for the scripted server");
        let server = runtime.block_on(testkit::Server::start(move |n, _| match n {
            0 => call.clone(),
            1 => prediction.clone(),
            _ => streamed(&["\\boxed{The Orbis Institute was founded in 1911 [1].}"]),
        }));
        let mut settings = app.call("get_settings", json!({})).expect("settings");
        for field in ["llm_key_stored", "web_key_stored", "embedding_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        assert_eq!(settings["engine"]["agent_protocol"], "auto");
        assert_eq!(settings["engine"]["observations"], "real");
        settings["llm"] = json!({"enabled": true, "preset": "custom", "provider": "openai-compatible",
                                  "base_url": format!("{}/v1", server.url()), "model": "deepseek-r1"});
        settings["engine"]["agent_protocol"] = json!("tools");
        settings["engine"]["observations"] = json!("predict");
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        let saved = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(
            (saved["engine"]["agent_protocol"].as_str(), saved["engine"]["observations"].as_str()),
            (Some("tools"), Some("predict"))
        );

        let question = "When was the Orbis Institute founded?";
        let result = app
            .call("ask", json!({"question": question, "mode": "agent", "onEvent": "__CHANNEL__:2"}))
            .expect("ask succeeds");
        let record = &result["record"];
        assert_eq!(record["agent_protocol"], "tools", "the setting overrides auto: {record}");
        assert_eq!(record["observations"], "predict");
        assert_eq!(record["predictions"][0]["disagrees"], true, "{record}");
        assert!(app.channel(2).iter().any(|e| e["type"] == "observation_predicted"));
        assert_eq!(record["answer"], "The Orbis Institute was founded in 1911 [1].");
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

    #[test]
    fn the_app_reads_what_catena_config_set_wrote_and_older_spellings_are_migrated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("mkdir");
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let catalog = store::Catalog::open(&data.join("catalog.db")).await.expect("catalog");
            // What `catena config set` does, key by key.
            let mut s = session::load(&catalog).await.expect("settings");
            for (key, value) in [
                ("llm.enabled", "true"),
                ("llm.provider", "anthropic"),
                ("llm.model", "claude-sonnet-4-5"),
                ("engine.run_mode", "agent"),
            ] {
                s = session::config::set(&s, key, value).expect("a valid setting");
            }
            session::save(&catalog, &s).await.expect("stored");
            // An embedding group an older version wrote.
            catalog
                .set_setting("embedding", &json!({"provider": "", "model_dir": "", "base_url": "", "model": ""}))
                .await
                .expect("stored");
            catalog.close().await;
        });
        let app = app_at("main", &data);
        let settings = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(settings["llm"]["provider"], "anthropic");
        assert_eq!(settings["llm"]["model"], "claude-sonnet-4-5");
        assert_eq!(settings["engine"]["run_mode"], "agent");
        assert_eq!(settings["embedding"]["provider"], "local");
        // An unknown provider from the page is refused before anything is stored.
        let mut bad = settings.clone();
        bad["llm"]["provider"] = json!("gopher");
        assert!(app.call("save_settings", json!({"settings": bad})).is_err());
        assert_eq!(app.call("get_settings", json!({})).expect("settings")["llm"]["provider"], "anthropic");
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
        assert_eq!((&refused["kind"], &refused["status"]), (&json!("unreachable"), &Value::Null), "{refused}");
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
        assert_eq!((&not_api["kind"], &not_api["status"]), (&json!("not_found"), &json!(404)), "{not_api}");
        let key = test_connection(&app, &format!("{}/v1", denied.url()));
        assert!(key["message"].as_str().is_some_and(|m| m.contains("refused the API key")), "{key}");
        assert_eq!(key["kind"], "auth", "{key}");
        let other = test_connection(&app, &format!("{}/v1", garbled.url()));
        assert!(other["message"].as_str().is_some_and(|m| m.contains("not this provider's API")), "{other}");
        assert_eq!(other["kind"], "bad_response", "{other}");
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

    /// Asks `semantic_status` until `done` holds (the model loads and embeds in the background),
    /// failing with the last answer when it never does.
    fn wait_for_semantic(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..1200 {
            last = app.call("semantic_status", json!({})).expect("semantic_status succeeds");
            if done(&last) {
                return last;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("semantic search never got to {what}: {last}");
    }

    #[test]
    fn without_a_model_search_uses_keywords_and_the_app_says_how_to_turn_semantic_search_on() {
        let (app, dir) = app("main");
        let status = wait_for_semantic(&app, "a settled state", |s| s["loading"] == false);
        assert_eq!(status["on"], false, "{status}");
        let reason = status["reason"].as_str().expect("a reason");
        assert!(reason.contains("no embedding model is installed") && reason.contains("Settings"), "{reason}");
        assert_eq!(status["can_download"], true);
        assert_eq!(status["offline"], true);

        // Offline (the default) nothing is downloaded, and the refusal says what to do.
        let error = app
            .call("download_embedding_model", json!({"onEvent": "__CHANNEL__:4"}))
            .expect_err("refused while offline");
        assert_eq!(error["code"], "InvalidInput");
        assert!(error["message"].as_str().unwrap_or_default().contains("offline"), "{error}");
        assert!(app.channel(4).is_empty());
        assert!(!dir.path().join("data/models/all-MiniLM-L6-v2").exists());
        assert_eq!(app.call("cancel_embedding_download", json!({})).expect("answers"), false);
        assert_eq!(app.call("cancel_embedding", json!({})).expect("answers"), false);

        let docs = notes(dir.path());
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");
        let hits = app.call("search", json!({"query": "observatory built"})).expect("search succeeds");
        let first = &hits[0];
        assert!(first["scores"]["lexical"].as_f64().is_some_and(|s| s > 0.0), "{first}");
        assert_eq!(first["scores"]["semantic"], Value::Null);
        let listed = app.call("list_documents", json!({})).expect("listing succeeds");
        assert!(listed.as_array().expect("a list").iter().all(|d| d["embedded"] == false), "{listed}");
    }

    #[test]
    fn a_scanned_page_is_searchable_and_its_cited_words_have_boxes_on_the_page() {
        let (app, dir) = app("main");
        let docs = dir.path().join("scans");
        std::fs::create_dir_all(&docs).expect("mkdir");
        let page = acceptance::scan::scan(&["Quantum harbor lighthouse beacons", "guide velvet orchard sailors home."]);
        std::fs::write(docs.join("survey.pdf"), acceptance::scan::pdf(&[page])).expect("write the scan");
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");

        let hits = app.call("search", json!({"query": "lighthouse beacons"})).expect("search succeeds");
        let hit = &hits[0];
        assert_eq!(hit["page"], 1, "{hit}");
        assert!(hit["path"].as_str().unwrap_or_default().ends_with("survey.pdf"), "{hit}");
        let span = hit["span"].as_array().expect("a span").clone();
        let boxes =
            app.call("ocr_boxes", json!({"docId": hit["doc_id"], "start": span[0], "end": span[1]})).expect("boxes");
        let boxes = boxes.as_array().expect("a list");
        assert!(boxes.len() >= 8, "every word of the passage has a box: {boxes:?}");
        for b in boxes {
            assert_eq!(b["page"], 1);
            let [x0, y0, x1, y1] = [0, 1, 2, 3].map(|i| b["bbox"][i].as_f64().expect("a number"));
            assert!((0.0..=1.0).contains(&x0) && x0 < x1 && x1 <= 1.0, "{b}");
            assert!((0.0..=1.0).contains(&y0) && y0 < y1 && y1 <= 1.0, "{b}");
        }

        // A photographed page is shown as the image itself, for the viewer to mark the words on.
        let photo =
            acceptance::scan::png(&acceptance::scan::text_image(&["Copper kettles", "sing at dawn."], 900, 300));
        std::fs::write(docs.join("photo.png"), &photo).expect("write the photo");
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:3"})).expect("ingest");
        let hits = app.call("search", json!({"query": "copper kettles"})).expect("search succeeds");
        let photo_id = hits[0]["doc_id"].clone();
        assert!(hits[0]["path"].as_str().unwrap_or_default().ends_with("photo.png"), "{hits}");
        let shown = app.call_bytes("document_image", json!({"docId": photo_id, "page": 1})).expect("the image");
        assert_eq!(shown, photo);
        let error = app.call_bytes("document_image", json!({"docId": photo_id, "page": 2})).expect_err("one page");
        assert_eq!(error["code"], "Io");
        let error = app.call_bytes("document_image", json!({"docId": hit["doc_id"], "page": 1})).expect_err("a PDF");
        assert_eq!(error["code"], "InvalidInput");

        // OCR is a setting: a language that is not installed is refused, naming its package…
        let mut settings = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(settings["library"]["ocr"], true);
        assert_eq!(settings["library"]["ocr_languages"], "eng");
        for field in ["llm_key_stored", "web_key_stored", "embedding_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        settings["library"]["ocr_languages"] = json!("eng+zzz");
        let error = app.call("save_settings", json!({"settings": settings})).expect_err("not installed");
        assert_eq!(error["code"], "InvalidInput");
        assert!(error["message"].as_str().unwrap_or_default().contains("tesseract-ocr-zzz"), "{error}");
        settings["library"]["ocr_languages"] = json!("eng deu");
        app.call("save_settings", json!({"settings": settings})).expect_err("not a list");
        // …and turned off, a new scan is listed as needing OCR, at once, without a restart.
        settings["library"]["ocr_languages"] = json!("eng");
        settings["library"]["ocr"] = json!(false);
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        assert_eq!(app.call("get_settings", json!({})).expect("settings")["library"]["ocr"], false);
        let page = acceptance::scan::scan(&["Marmalade comet ledger", "whistles over copper dunes."]);
        std::fs::write(docs.join("second.pdf"), acceptance::scan::pdf(&[page])).expect("write the scan");
        let summary =
            app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:2"})).expect("ingest");
        let failed = summary["failed"].as_array().expect("a list");
        assert_eq!(failed.len(), 1, "{summary}");
        assert!(failed[0]["reason"].as_str().unwrap_or_default().contains("needs OCR"), "{summary}");
        let hits = app.call("search", json!({"query": "marmalade comet"})).expect("search succeeds");
        assert_eq!(hits, json!([]));
    }

    #[test]
    fn the_default_model_embeds_the_library_in_the_background_and_search_finds_meaning() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        // The default model, where the app looks for it, as a download would have left it.
        let models = data.join("models/all-MiniLM-L6-v2");
        std::fs::create_dir_all(&models).expect("mkdir");
        let source = embed::testing::test_model_dir();
        for file in ["config.json", "tokenizer.json", "model.safetensors"] {
            std::os::unix::fs::symlink(source.join(file), models.join(file)).expect("link the model file");
        }
        let app = app_at("main", &data);
        let status = wait_for_semantic(&app, "the model loaded", |s| s["on"] == true);
        assert_eq!(status["model"], "local:all-MiniLM-L6-v2");
        assert_eq!(status["can_download"], false);
        app.call("watch_embedding", json!({"onEvent": "__CHANNEL__:5"})).expect("watching");

        let docs = notes(dir.path());
        app.window.state::<AppState>().grant([docs.clone()]);
        app.call("ingest", json!({"paths": [docs.to_string_lossy()], "onEvent": "__CHANNEL__:1"})).expect("ingest");
        let status = wait_for_semantic(&app, "every document embedded", |s| {
            s["total"] == 2 && s["embedded"] == 2 && s["progress"].is_null()
        });
        assert_eq!(status["on"], true, "{status}");

        let events = app.channel(5);
        let progress = events.iter().rev().find(|e| e["type"] == "progress").expect("progress was reported");
        assert_eq!(progress["documents_done"], progress["documents_total"], "{events:?}");
        // Ingest may commit the two notes apart, so one pass or two may embed them.
        let finished: Vec<&Value> = events.iter().filter(|e| e["type"] == "finished").collect();
        let documents: u64 = finished.iter().filter_map(|e| e["documents"].as_u64()).sum();
        assert_eq!(documents, 2, "{events:?}");
        assert!(finished.iter().all(|e| e["error"].is_null() && e["documents"].as_u64() > Some(0)), "{events:?}");
        let listed = app.call("list_documents", json!({})).expect("listing succeeds");
        let indexed: Vec<&Value> =
            listed.as_array().expect("a list").iter().filter(|d| d["status"] == "indexed").collect();
        assert!(indexed.iter().all(|d| d["embedded"] == true), "{listed}");

        // Asked in other words than the notes use: the passage is found by meaning.
        let hits = app.call("search", json!({"query": "who started the research centre"})).expect("search succeeds");
        let hits = hits.as_array().expect("a list");
        assert!(hits.iter().any(|h| h["scores"]["semantic"].as_f64().is_some()), "{hits:?}");
        assert!(hits[0]["text"].as_str().unwrap_or_default().contains("founded"), "{hits:?}");

        // Turning it off in Settings takes effect at once; keyword search carries on.
        let mut settings = app.call("get_settings", json!({})).expect("settings");
        for field in ["llm_key_stored", "web_key_stored", "embedding_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        settings["embedding"]["provider"] = json!("off");
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        let status = wait_for_semantic(&app, "off", |s| s["on"] == false && s["loading"] == false);
        assert!(status["reason"].as_str().unwrap_or_default().contains("turned off in Settings"), "{status}");
        assert_eq!(status["can_download"], false);
        let hits = app.call("search", json!({"query": "observatory built"})).expect("search succeeds");
        assert_eq!(hits[0]["scores"]["semantic"], Value::Null, "{hits}");
    }

    #[test]
    fn embedding_settings_are_checked_and_their_key_stays_in_the_keyring() {
        let (app, _dir) = app("main");
        let mut settings = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(settings["embedding"]["provider"], "local");
        assert_eq!(settings["embedding_key_stored"], false);
        for field in ["llm_key_stored", "web_key_stored", "embedding_key_stored", "keyring_error"] {
            settings.as_object_mut().expect("an object").remove(field);
        }
        settings["embedding"] = json!({"provider": "folder", "model_dir": "", "base_url": "", "model": ""});
        let error = app.call("save_settings", json!({"settings": settings})).expect_err("a folder is needed");
        assert!(error["message"].as_str().unwrap_or_default().contains("folder"), "{error}");
        settings["embedding"] = json!({"provider": "openai", "model_dir": "", "base_url": "ftp://x", "model": "e5"});
        assert_eq!(
            app.call("save_settings", json!({"settings": settings})).expect_err("not http")["code"],
            "InvalidInput"
        );

        settings["embedding"] = json!({"provider": "openai", "model_dir": "", "base_url": "http://127.0.0.1:9/v1", "model": "text-embedding-3-small"});
        app.call("save_settings", json!({"settings": settings})).expect("saved");
        app.call("set_api_key", json!({"which": "embedding", "provider": "openai", "key": "sk-embed-456"}))
            .expect("key stored");
        let back = app.call("get_settings", json!({})).expect("settings");
        assert_eq!(back["embedding"]["model"], "text-embedding-3-small");
        assert_eq!(back["embedding_key_stored"], true);
        assert_eq!(back["llm_key_stored"], false, "the chat model's key is a different item");
        assert!(!back.to_string().contains("sk-embed-456"), "the key leaked: {back}");
        let key = secrets::SecretStore::get(app.secrets.as_ref(), "openai-embeddings").expect("readable");
        assert_eq!(key.map(|k| k.expose().to_owned()), Some("sk-embed-456".to_owned()));
        // A provider needs no download: semantic search is on with the server's model.
        let status = wait_for_semantic(&app, "the provider attached", |s| s["on"] == true);
        assert_eq!(status["model"], "openai:text-embedding-3-small");
        assert_eq!(status["can_download"], false);
        assert!(!status.to_string().contains("sk-embed-456"));
    }
}

//! The model download against the scripted loopback server: a full download, resuming a
//! `.part` file (with and without a server that honours `Range`), a cut connection, a wrong
//! checksum, cancellation, offline, and the model status the app shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use embed::{
    DownloadOptions, DownloadProgress, EmbedError, HttpSettings, ModelFile, ModelSpec, ModelStatus, download_model,
    model_status, model_status_of,
};
use sha2::{Digest, Sha256};
use testkit::{End, Recorded, Reply, Server};

/// A small "model": a JSON config and a 600 KB weights file of printable bytes (the scripted
/// server streams text), different at every position so a misplaced byte shows.
struct Fixture {
    config: Vec<u8>,
    weights: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let config = br#"{"hidden_size": 8, "num_hidden_layers": 1}"#.to_vec();
        let weights: Vec<u8> = (0..600_000u32).map(|i| b'a' + ((i * 7 + i / 251) % 26) as u8).collect();
        Fixture { config, weights }
    }

    fn spec(&self) -> ModelSpec {
        ModelSpec {
            name: "tiny-test-model".into(),
            base_url: "https://models.invalid/tiny".into(),
            files: vec![
                ModelFile {
                    name: "config.json".into(),
                    size: Some(self.config.len() as u64),
                    sha256: sha(&self.config),
                },
                ModelFile {
                    name: "model.safetensors".into(),
                    size: Some(self.weights.len() as u64),
                    sha256: sha(&self.weights),
                },
            ],
        }
    }

    fn body(&self, route: &str) -> Option<&[u8]> {
        match route {
            "/tiny/config.json" => Some(&self.config),
            "/tiny/model.safetensors" => Some(&self.weights),
            _ => None,
        }
    }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A file server that honours `Range: bytes=N-` with 206, as the model's public home does.
fn serve_ranges(fixture: &Arc<Fixture>, request: &Recorded) -> Reply {
    let Some(body) = fixture.body(request.route()) else {
        return Reply::not_found();
    };
    match range_start(request) {
        Some(start) if start < body.len() => Reply::Full {
            status: 206,
            headers: vec![
                ("Content-Type".into(), "application/octet-stream".into()),
                ("Content-Range".into(), format!("bytes {start}-{}/{}", body.len() - 1, body.len())),
            ],
            body: body[start..].to_vec(),
        },
        Some(_) => Reply::Full { status: 416, headers: Vec::new(), body: Vec::new() },
        None => Reply::with_type(200, "application/octet-stream", body.to_vec()),
    }
}

fn range_start(request: &Recorded) -> Option<usize> {
    let value = request.header("range")?;
    value.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok()
}

/// A streamed reply of `bytes` in 64 KiB chunks that ends as `end` says.
fn streamed(bytes: &[u8], end: End) -> Reply {
    let chunks = bytes.chunks(64 * 1024).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    Reply::Stream { content_type: "application/octet-stream", chunks, pause: Duration::from_millis(1), end }
}

fn options(server: &Server) -> DownloadOptions {
    DownloadOptions {
        base_url: Some(format!("{}/tiny/", server.url())),
        offline: false,
        http: HttpSettings {
            initial_backoff: Duration::from_millis(10),
            idle_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(20),
            ..HttpSettings::default()
        },
    }
}

/// Collects every progress report.
#[derive(Default)]
struct Reports(Mutex<Vec<DownloadProgress>>);

impl Reports {
    fn hear(&self) -> impl Fn(DownloadProgress) + Send + Sync + '_ {
        move |p| self.0.lock().unwrap().push(p)
    }
    fn of(&self, file: &str) -> Vec<DownloadProgress> {
        self.0.lock().unwrap().iter().filter(|p| p.file == file).cloned().collect()
    }
}

fn installed(dir: &Path, fixture: &Fixture) {
    assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), fixture.config);
    assert_eq!(std::fs::read(dir.join("model.safetensors")).unwrap(), fixture.weights, "weights differ");
    assert!(!dir.join("model.safetensors.part").exists());
    assert!(!dir.join("config.json.part").exists());
    assert_eq!(model_status_of(&fixture.spec(), dir), ModelStatus::Ready);
}

#[tokio::test]
async fn the_model_downloads_into_its_folder_with_progress() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    let server = Server::start(move |_, r| serve_ranges(&f, r)).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("models").join("tiny");
    let spec = fixture.spec();
    assert!(matches!(model_status_of(&spec, &dir), ModelStatus::Missing { .. }));

    let reports = Reports::default();
    download_model(&spec, &dir, &options(&server), &reports.hear(), &AtomicBool::new(false)).await.unwrap();
    installed(&dir, &fixture);

    let routes: Vec<String> = server.requests().iter().map(|r| r.route().to_owned()).collect();
    assert_eq!(routes, ["/tiny/config.json", "/tiny/model.safetensors"]);
    assert!(server.requests().iter().all(|r| r.header("range").is_none()));
    let weights = reports.of("model.safetensors");
    assert!(weights.len() >= 3, "progress is reported along the way: {weights:?}");
    assert!(weights.windows(2).all(|w| w[0].done <= w[1].done));
    let last = weights.last().unwrap();
    assert_eq!((last.done, last.total, last.index, last.files), (600_000, Some(600_000), 1, 2));

    // A second call finds everything installed and verified: nothing is requested. (It runs on
    // a spawned task, as the app runs it, which needs the download to be `Send`.)
    let opts = options(&server);
    tokio::spawn(async move { download_model(&spec, &dir, &opts, &|_| {}, &AtomicBool::new(false)).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_half_written_part_file_is_resumed_with_a_range_request() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    let server = Server::start(move |_, r| serve_ranges(&f, r)).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("config.json"), &fixture.config).unwrap();
    std::fs::write(dir.join("model.safetensors.part"), &fixture.weights[..250_000]).unwrap();
    assert_eq!(
        model_status_of(&fixture.spec(), dir),
        ModelStatus::Partial { bytes: fixture.config.len() as u64 + 250_000 }
    );

    let reports = Reports::default();
    download_model(&fixture.spec(), dir, &options(&server), &reports.hear(), &AtomicBool::new(false)).await.unwrap();
    installed(dir, &fixture);

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "the installed config is not fetched again");
    assert_eq!(requests[0].route(), "/tiny/model.safetensors");
    assert_eq!(requests[0].header("range"), Some("bytes=250000-"));
    assert_eq!(reports.of("model.safetensors")[0].done, 250_000, "progress starts at what was on disk");
}

#[tokio::test]
async fn a_server_that_ignores_range_sends_the_whole_file_and_the_part_starts_over() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    // Always 200 with the whole body, whatever the request asks.
    let server = Server::start(move |_, r| match f.body(r.route()) {
        Some(body) => Reply::with_type(200, "application/octet-stream", body.to_vec()),
        None => Reply::not_found(),
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    // A part whose bytes would not fit the file if appended to.
    std::fs::write(tmp.path().join("model.safetensors.part"), vec![b'#'; 100_000]).unwrap();
    download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    installed(tmp.path(), &fixture);
    let weights = server.requests().into_iter().find(|r| r.route() == "/tiny/model.safetensors").unwrap();
    assert_eq!(weights.header("range"), Some("bytes=100000-"));
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_resumed_from_where_it_broke() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    let cut_at = 5 * 64 * 1024;
    let server = Server::start(move |_, r| {
        if r.route() == "/tiny/model.safetensors" && r.header("range").is_none() {
            return streamed(&f.weights[..cut_at], End::Cut);
        }
        serve_ranges(&f, r)
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    installed(tmp.path(), &fixture);
    let weights: Vec<Recorded> =
        server.requests().into_iter().filter(|r| r.route() == "/tiny/model.safetensors").collect();
    assert_eq!(weights.len(), 2);
    assert_eq!(weights[1].header("range"), Some(format!("bytes={cut_at}-").as_str()));
}

#[tokio::test]
async fn a_failed_download_keeps_its_part_and_the_next_call_resumes_it() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    let cut_at = 3 * 64 * 1024;
    let server = Server::start(move |i, r| {
        if r.route() == "/tiny/model.safetensors" && i == 1 {
            return streamed(&f.weights[..cut_at], End::Cut);
        }
        serve_ranges(&f, r)
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let mut once = options(&server);
    once.http.max_attempts = 1;
    let err = download_model(&fixture.spec(), tmp.path(), &once, &|_| {}, &AtomicBool::new(false)).await.unwrap_err();
    assert!(matches!(err, EmbedError::Download(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("model.safetensors") && message.contains("resumes"), "{message}");
    assert_eq!(std::fs::metadata(tmp.path().join("model.safetensors.part")).unwrap().len(), cut_at as u64);
    assert_eq!(
        model_status_of(&fixture.spec(), tmp.path()),
        ModelStatus::Partial { bytes: (fixture.config.len() + cut_at) as u64 }
    );

    download_model(&fixture.spec(), tmp.path(), &once, &|_| {}, &AtomicBool::new(false)).await.unwrap();
    installed(tmp.path(), &fixture);
    assert_eq!(server.requests().last().unwrap().header("range"), Some(format!("bytes={cut_at}-").as_str()));
}

#[tokio::test]
async fn a_wrong_checksum_is_refused_and_nothing_is_installed() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    // Same length, one byte changed: only the checksum can tell.
    let server = Server::start(move |_, r| {
        if r.route() == "/tiny/model.safetensors" {
            let mut tampered = f.weights.clone();
            tampered[300_000] = b'!';
            return Reply::with_type(200, "application/octet-stream", tampered);
        }
        serve_ranges(&f, r)
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let err = download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap_err();
    assert!(matches!(err, EmbedError::Download(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("model.safetensors failed its checksum"), "{message}");
    assert!(message.contains(&fixture.spec().files[1].sha256), "{message}");
    assert!(!tmp.path().join("model.safetensors").exists());
    assert!(!tmp.path().join("model.safetensors.part").exists());
    // Only the verified config is in place.
    assert_eq!(
        model_status_of(&fixture.spec(), tmp.path()),
        ModelStatus::Partial { bytes: fixture.config.len() as u64 }
    );
}

#[tokio::test]
async fn offline_requests_nothing_and_succeeds_only_for_an_installed_model() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    let server = Server::start(move |_, r| serve_ranges(&f, r)).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut offline = options(&server);
    offline.offline = true;
    let err =
        download_model(&fixture.spec(), tmp.path(), &offline, &|_| {}, &AtomicBool::new(false)).await.unwrap_err();
    assert!(matches!(err, EmbedError::Offline(_)), "{err:?}");
    assert!(err.to_string().contains("tiny-test-model"), "{err}");
    assert!(server.requests().is_empty());
    assert!(!tmp.path().join("config.json.part").exists());

    download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    let sent = server.requests().len();
    download_model(&fixture.spec(), tmp.path(), &offline, &|_| {}, &AtomicBool::new(false)).await.unwrap();
    assert_eq!(server.requests().len(), sent);
}

#[tokio::test]
async fn cancelling_keeps_the_part_for_a_later_resume() {
    let fixture = Arc::new(Fixture::new());
    let f = fixture.clone();
    // The first transfer sends 384 KiB and then goes silent.
    let server = Server::start(move |i, r| {
        if r.route() == "/tiny/model.safetensors" && i == 1 {
            return streamed(&f.weights[..6 * 64 * 1024], End::Stall);
        }
        serve_ranges(&f, r)
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let stop_midway = |p: DownloadProgress| {
        if p.file == "model.safetensors" && p.done >= 256 * 1024 {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let err = download_model(&fixture.spec(), tmp.path(), &options(&server), &stop_midway, &cancel).await.unwrap_err();
    assert!(matches!(err, EmbedError::Cancelled), "{err:?}");
    let kept = std::fs::metadata(tmp.path().join("model.safetensors.part")).unwrap().len();
    assert!(kept >= 256 * 1024, "{kept}");
    assert_eq!(std::fs::read(tmp.path().join("model.safetensors.part")).unwrap(), fixture.weights[..kept as usize]);

    download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    installed(tmp.path(), &fixture);
    assert_eq!(server.requests().last().unwrap().header("range"), Some(format!("bytes={kept}-").as_str()));
}

#[tokio::test]
async fn server_refusals_name_the_file() {
    let server = Server::always(Reply::not_found()).await;
    let fixture = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let err = download_model(&fixture.spec(), tmp.path(), &options(&server), &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot download config.json: HTTP 404"), "{err}");
    assert_eq!(server.requests().len(), 1, "a 404 is not retried");
}

#[test]
fn model_status_says_why_the_default_model_is_not_there() {
    let tmp = tempfile::tempdir().unwrap();
    let absent = tmp.path().join("nope");
    match model_status(&absent) {
        ModelStatus::Missing { reason } => assert!(reason.contains("does not exist"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match model_status(tmp.path()) {
        ModelStatus::Missing { reason } => {
            assert!(reason.contains("config.json, tokenizer.json, model.safetensors are missing"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // A truncated weights file under its final name is not a model.
    std::fs::write(tmp.path().join("config.json"), vec![b' '; 612]).unwrap();
    std::fs::write(tmp.path().join("tokenizer.json"), vec![b' '; 466_247]).unwrap();
    std::fs::write(tmp.path().join("model.safetensors"), b"short").unwrap();
    match model_status(tmp.path()) {
        ModelStatus::Missing { reason } => assert!(reason.contains("has 5 bytes instead of 90868376"), "{reason}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(tmp.path().join("model.safetensors")).unwrap();
    std::fs::write(tmp.path().join("model.safetensors.part"), b"12345").unwrap();
    assert_eq!(model_status(tmp.path()), ModelStatus::Partial { bytes: 612 + 466_247 + 5 });
}

//! `catena watch` and `catena sources` against real file-system events: a folder given to
//! `ingest` is remembered, `watch` applies changes within seconds (polled for, never slept on),
//! a rename keeps the document that a stored run cites, and changes made while nothing ran are
//! found at the next start.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use acceptance::write;
use serde_json::Value;

use crate::Catena;

/// Generous: polled, so it costs nothing when the machine is quick, and a loaded 2-core
/// machine can take many seconds to start a process and scan.
const LIMIT: Duration = Duration::from_secs(90);

/// Waits until `check` holds, for at most [`LIMIT`].
pub(crate) fn until(what: &str, mut check: impl FnMut() -> bool) {
    let t = Instant::now();
    while !check() {
        assert!(t.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// A running `catena watch`, stopped with SIGTERM when dropped.
pub(crate) struct Watching(pub(crate) Child);

impl Watching {
    /// Waits until the JSON log at `log` holds a `scanned` event; fails at once, showing the log,
    /// when the watcher has ended instead, and shows the log on a time-out.
    pub(crate) fn until_scanned(&mut self, what: &str, log: &Path) {
        let t = Instant::now();
        loop {
            let printed = std::fs::read_to_string(log).unwrap_or_default();
            if printed.contains("\"event\":\"scanned\"") {
                return;
            }
            if let Ok(Some(status)) = self.0.try_wait() {
                panic!("watch ended ({status}) before {what}; it printed:\n{printed}");
            }
            assert!(t.elapsed() < LIMIT, "timed out waiting for {what}; watch printed:\n{printed}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub(crate) fn start(c: &Catena) -> Watching {
        let child = c.cmd().arg("watch").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        Watching(child)
    }

    pub(crate) fn stop(mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let status = self.0.wait().unwrap();
        assert!(status.success(), "watch ended with {status}");
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn sources(c: &Catena) -> Vec<Value> {
    let (code, v) = c.json(&["sources"]);
    assert_eq!(code, 0, "{v}");
    v.as_array().unwrap().clone()
}

pub(crate) fn all_watching(c: &Catena) -> bool {
    sources(c).iter().all(|s| s["state"] == "watching")
}

fn doc_at(c: &Catena, path: &Path) -> Option<Value> {
    c.docs().into_iter().find(|d| d["path"] == path.to_str().unwrap() && d["status"] == "indexed")
}

#[test]
fn sources_are_remembered_listed_paused_resumed_and_removed() {
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "a.md", b"# A\n\nAlpacas hum.\n");
    write(files.path(), "clip.mp4", b"not read");
    let c = Catena::new();
    let (code, summary) = c.ingest(&[files.path()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["skipped_unsupported"], 1, "{summary}");
    let root = std::fs::canonicalize(files.path()).unwrap();
    let listed = sources(&c);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["path"], root.to_str().unwrap());
    assert_eq!(listed[0]["state"], "idle", "nothing watches it yet: {listed:?}");
    // A file named by itself is not a folder to watch; --no-watch leaves a folder out.
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "b.md", b"# B\n\nBison.\n");
    let (code, _) = c.json(&["ingest", "--no-watch", other.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(sources(&c).len(), 1);

    let id = listed[0]["id"].to_string();
    let (code, _) = c.json(&["sources", "pause", &id]);
    assert_eq!(code, 0);
    assert_eq!(sources(&c)[0]["state"], "paused");
    let (code, _) = c.json(&["sources", "resume", root.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(sources(&c)[0]["paused"], false);
    let out = c.cmd().args(["sources", "pause", "/no/such/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a watched folder"));
    let (code, _) = c.json(&["sources", "remove", &id]);
    assert_eq!(code, 0);
    assert!(sources(&c).is_empty());
    // The documents stay.
    assert_eq!(c.docs().len(), 2);
}

#[test]
fn watch_applies_changes_and_a_renamed_file_still_opens_from_history() {
    let files = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(files.path()).unwrap();
    write(
        &root,
        "notes/orchestra.md",
        b"# Orchestra\n\nThe xylophone orchestras rehearse on Tuesdays in the old mill.\n",
    );
    let c = Catena::new();
    assert_eq!(c.ingest(&[&root]).0, 0);
    // A stored run that cites the file.
    let out =
        c.cmd().args(["--json", "ask", "--no-llm", "When do the xylophone orchestras rehearse?"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cited = run["evidence"][0]["doc_id"].as_i64().unwrap();

    // Embedding follows each batch, through a scripted provider.
    let ollama = crate::embedding::Ollama::start();
    let child = c.cmd().args(ollama.args()).arg("watch").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let w = Watching(child);
    until("the first scan", || all_watching(&c));
    write(&root, "new.md", b"# New\n\nQuokkas smile at hikers.\n");
    until("the new file", || c.search("quokkas").len() == 1);
    until("its embedding", || {
        let out = c.cmd().args(ollama.args()).args(["--json", "docs"]).output().unwrap();
        let docs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        docs.len() == 2 && docs.iter().all(|d| d["embedded"] == true)
    });

    let renamed = root.join("archive/2019-orchestra.md");
    std::fs::create_dir_all(renamed.parent().unwrap()).unwrap();
    std::fs::rename(root.join("notes/orchestra.md"), &renamed).unwrap();
    until("the rename", || doc_at(&c, &renamed).is_some());
    assert_eq!(doc_at(&c, &renamed).unwrap()["doc_id"].as_i64(), Some(cited), "the document keeps its id");
    // The run still resolves its citation: the same document, now at its new path.
    let (code, shown) = c.json(&["show", run["run_id"].as_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(shown["evidence"][0]["doc_id"].as_i64(), Some(cited));
    let hits = c.search("xylophone orchestras");
    assert_eq!(hits[0]["path"], renamed.to_str().unwrap(), "{hits:?}");
    assert_eq!(hits[0]["doc_id"].as_i64(), Some(cited));

    std::fs::remove_file(root.join("new.md")).unwrap();
    until("the deletion", || c.search("quokkas").is_empty());
    w.stop();
    assert!(sources(&c).iter().all(|s| s["state"] == "idle"), "a stopped watch says so");

    // Changed while nothing watched: found by the rescan at the next start.
    write(&root, "later.md", b"# Later\n\nWombats dig burrows.\n");
    std::fs::remove_file(&renamed).unwrap();
    let w = Watching::start(&c);
    until("the rescan", || c.search("wombats").len() == 1 && c.search("xylophone").is_empty());
    w.stop();
    let (code, check) = c.json(&["check"]);
    assert_eq!(code, 0, "{check}");
}

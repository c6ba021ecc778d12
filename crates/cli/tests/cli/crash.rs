//! Killing `catena ingest` at random moments never leaves catalog, index and vectors
//! disagreeing.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::embedding::Ollama;
use crate::{Catena, fixture_tree, fixture_tree_revision};

/// A small deterministic generator, so a failing seed can be replayed.
fn delays(seed: u64, n: usize, max_ms: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) % max_ms
        })
        .collect()
}

#[test]
fn killing_ingest_at_random_points_keeps_catalog_and_index_consistent() {
    let files = tempfile::tempdir().unwrap();
    let all = fixture_tree(files.path(), 6);
    let c = Catena::new();
    // Every run also embeds, through a scripted provider, so kills land in embedding too.
    let ollama = Ollama::start();
    let embedder = [("CATENA_EMBEDDER", "ollama:words-test".to_owned()), ("CATENA_EMBEDDER_URL", ollama.server.url())];
    // Time one full ingest to aim the kills across its whole span.
    let probe = Catena::new();
    let t = Instant::now();
    let out =
        probe.cmd().envs(embedder.clone()).args(["ingest", "--progress", "quiet"]).arg(files.path()).output().unwrap();
    assert!(out.status.success());
    let full_ms = (t.elapsed().as_millis() as u64).max(50);

    let mut killed_mid_run = 0;
    for (round, delay) in delays(0x5eed, 12, full_ms * 3 / 4).into_iter().enumerate() {
        // Every file is edited between rounds, as a user might while ingests keep being cut
        // short: each run has the whole library to re-read, so the kills land mid-run however
        // fast the machine is, and they land while documents are being replaced.
        if round > 0 {
            fixture_tree_revision(files.path(), 6, &format!(" r{round}"));
        }
        // Small commit batches, so kills land between commits as well as inside them.
        let mut child = c
            .cmd()
            .env("CATENA_COMMIT_EVERY_DOCS", "3")
            .envs(embedder.clone())
            .args(["ingest", "--progress", "quiet", "--workers", "2"])
            .arg(files.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();

        // A reader sees a consistent library even before anyone recovers it (every document
        // marked embedded has one vector per chunk, no vector outlives its document) …
        let (code, check) = c.json(&["check"]);
        assert_eq!(code, 0, "round {round} (killed after {delay} ms): {check:#}");
        assert!(check["embedded"].as_u64() <= check["documents"].as_u64(), "round {round}: {check:#}");
        // … and every listed document is either fully indexed or failed, never half.
        for d in c.docs() {
            assert!(d["status"] == "indexed" || d["status"] == "duplicate", "round {round}: {d}");
        }
    }
    assert!(killed_mid_run >= 4, "only {killed_mid_run} kills landed mid-run; the test is not testing");

    // A final uninterrupted run completes the library, embeddings included, and it is consistent.
    let out = c.cmd().envs(embedder.clone()).args(["--json", "ingest"]).arg(files.path()).output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{summary}");
    assert_eq!(summary["embedding"]["remaining"], 0, "{summary}");
    let out = c.cmd().envs(embedder.clone()).args(["--json", "docs"]).output().unwrap();
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(docs.len(), all.len());
    assert!(docs.iter().all(|d| d["status"] == "indexed" && d["embedded"] == true), "{docs:#?}");
    let (code, check) = c.json(&["check"]);
    assert_eq!((code, check["consistent"].as_bool()), (0, Some(true)), "{check}");
    assert_eq!(check["vectors"], check["chunks"], "{check}");
    assert_eq!(c.search("xylophone orchestras").len(), 6);
}

#[test]
fn ctrl_c_stops_cleanly_and_keeps_what_finished() {
    let files = tempfile::tempdir().unwrap();
    let all = fixture_tree(files.path(), 8);
    let c = Catena::new();
    let mut child = c
        .cmd()
        .env("CATENA_COMMIT_EVERY_DOCS", "2")
        .args(["--json", "ingest", "--progress", "quiet", "--workers", "1"])
        .arg(files.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let interrupted_early = child.try_wait().unwrap().is_none();
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if interrupted_early {
        assert_eq!(out.status.code(), Some(130), "{summary}");
        assert_eq!(summary["interrupted"], true, "{summary}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    }
    // Whatever finished before the interrupt is searchable and consistent; the rest is not
    // half-there.
    let docs = c.docs();
    assert_eq!(docs.len() as u64, summary["ingested"].as_u64().unwrap(), "{summary}");
    assert!(docs.iter().all(|d| d["status"] == "indexed"));
    let (code, check) = c.json(&["check"]);
    assert_eq!(code, 0, "{check}");
    // The next run completes the library.
    let (code, _) = c.json(&["ingest", files.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(c.docs().len(), all.len());
}

#[test]
fn killing_watch_while_it_applies_changes_keeps_catalog_and_index_consistent() {
    use crate::watch::Watching;

    let files = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(files.path()).unwrap();
    fixture_tree(&root, 4);
    let c = Catena::new();
    let out = c.cmd().args(["ingest", "--progress", "quiet"]).arg(&root).output().unwrap();
    assert!(out.status.success());

    let logs = tempfile::tempdir().unwrap();
    let mut killed_before_done = 0;
    // Kills from 0.3 s to 1.5 s after the changes: before the debounced batch starts (it cannot
    // start within 0.75 s), while it reads and commits, and after it finished.
    for (round, delay) in delays(0xface, 8, 1200).into_iter().enumerate() {
        let log = logs.path().join(format!("watch-{round}.log"));
        let mut w = Watching(
            c.cmd()
                .env("CATENA_COMMIT_EVERY_DOCS", "2")
                .args(["--json", "watch"])
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        );
        w.until_scanned(&format!("the first scan of round {round}"), &log);
        // Every file changes and some move, so the kill lands in replacements, moves and removals.
        fixture_tree_revision(&root, 4, &format!(" w{round}"));
        let set = root.join(format!("set{}", round % 4));
        std::fs::rename(set.join("notes/guide.md"), set.join(format!("notes/moved-{round}.md"))).unwrap();
        std::thread::sleep(Duration::from_millis(300 + delay));
        drop(w); // SIGKILL: no chance to clean up
        // The changes had not all been applied when the kill came.
        let printed = std::fs::read_to_string(&log).unwrap_or_default();
        if !printed.lines().any(|l| l.contains("\"event\":\"updated\"")) {
            killed_before_done += 1;
        }
        let (code, check) = c.json(&["check"]);
        assert_eq!(code, 0, "round {round} (killed after {delay} ms): {check:#}");
        for d in c.docs() {
            assert!(d["status"] == "indexed" || d["status"] == "duplicate", "round {round}: {d}");
        }
    }
    assert!(killed_before_done >= 2, "only {killed_before_done} kills came before the changes were applied");

    // A last run applies everything, and the library is consistent and complete.
    let log = logs.path().join("watch-final.log");
    let mut w = Watching(
        c.cmd()
            .args(["--json", "watch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    w.until_scanned("the final scan", &log);
    w.stop();
    assert_eq!(c.search("xylophone orchestras").len(), 4);
    let (code, check) = c.json(&["check"]);
    assert_eq!((code, check["consistent"].as_bool()), (0, Some(true)), "{check}");
    let docs = c.docs();
    assert!(docs.iter().all(|d| d["status"] == "indexed"), "{docs:#?}");
    assert!(docs.iter().all(|d| Path::new(d["path"].as_str().unwrap()).exists()), "{docs:#?}");
}

/// `catena check` run again and again while another process ingests, replaces and commits in
/// small batches: the catalog and the index are read at one moment, so every run agrees.
#[test]
fn check_during_an_ingest_raises_no_false_alarm() {
    const CHECKS: usize = 100;
    let files = tempfile::tempdir().unwrap();
    fixture_tree(files.path(), 4);
    let c = Catena::new();
    let spawn_ingest = || {
        c.cmd()
            .env("CATENA_COMMIT_EVERY_DOCS", "1")
            .args(["ingest", "--progress", "quiet", "--no-ocr", "--no-embeddings", "--no-watch"])
            .arg(files.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut ingest = spawn_ingest();
    let (mut during, mut revision, mut alarms) = (0, 0, Vec::new());
    let started = Instant::now();
    while during < CHECKS && started.elapsed() < Duration::from_secs(600) {
        if ingest.try_wait().unwrap().is_some() {
            // Every file changes, so the next ingest replaces documents as well as adding them.
            revision += 1;
            fixture_tree_revision(files.path(), 4, &format!(" v{revision}"));
            ingest = spawn_ingest();
        }
        let (code, check) = c.json(&["check"]);
        let running = ingest.try_wait().unwrap().is_none();
        if running {
            during += 1;
        }
        if code != 0 || check["consistent"] != true {
            alarms.push(check);
        }
    }
    let _ = ingest.wait();
    assert!(alarms.is_empty(), "{} false alarms in {during} checks during an ingest: {alarms:#?}", alarms.len());
    assert!(during >= CHECKS / 2, "only {during} checks ran during an ingest; the test is not testing");
    let (code, check) = c.json(&["check"]);
    assert_eq!((code, check["consistent"].as_bool()), (0, Some(true)), "{check}");
}

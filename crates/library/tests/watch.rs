//! Watched folders against real file-system events in temporary folders: every effect is
//! awaited by polling with a generous upper bound, never by a fixed sleep, so a loaded machine
//! only makes the tests slower.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use library::{
    IngestSummary, Library, LibraryOptions, PollMode, SourceState, Status, WatchEvent, WatchOptions, WatchedSource,
    Watcher,
};

const LIMIT: Duration = Duration::from_secs(30);

struct Fixture {
    data: tempfile::TempDir,
    files: tempfile::TempDir,
    root: PathBuf,
    lib: Arc<Library>,
    watcher: Option<Watcher>,
    synced: Arc<Mutex<Vec<(bool, IngestSummary)>>>,
    source: WatchedSource,
}

async fn open(data: &Path) -> Arc<Library> {
    let opts = LibraryOptions { workers: 2, ..LibraryOptions::default() };
    Arc::new(Library::open_write(data, opts).await.unwrap())
}

fn start(lib: &Arc<Library>, synced: &Arc<Mutex<Vec<(bool, IngestSummary)>>>) -> Watcher {
    start_with(lib, synced, WatchOptions::default())
}

fn start_with(lib: &Arc<Library>, synced: &Arc<Mutex<Vec<(bool, IngestSummary)>>>, opts: WatchOptions) -> Watcher {
    let log = synced.clone();
    let events = Arc::new(move |e: WatchEvent| {
        if let WatchEvent::Synced { summary, full_scan, .. } = e {
            log.lock().unwrap().push((full_scan, summary));
        }
    });
    Watcher::start(lib.clone(), Arc::new(tokio::sync::Mutex::new(())), opts, events)
}

impl Fixture {
    /// A watched folder holding `files` before watching starts.
    async fn new(files: &[(&str, &str)]) -> Fixture {
        let data = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for (name, text) in files {
            write(&root.join(name), text);
        }
        let lib = open(data.path()).await;
        let source = lib.add_source(&root, false).await.unwrap();
        let synced = Arc::new(Mutex::new(Vec::new()));
        let watcher = Some(start(&lib, &synced));
        let f = Fixture { data, files: dir, root, lib, watcher, synced, source };
        f.until("the first scan", |f| async move { f.state().await == SourceState::Watching }).await;
        f
    }

    async fn until<'a, F, Fut>(&'a self, what: &str, check: F)
    where
        F: Fn(&'a Fixture) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let t = Instant::now();
        while !check(self).await {
            assert!(t.elapsed() < LIMIT, "timed out waiting for {what}: {:#?}", self.lib.documents().await.unwrap());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn state(&self) -> SourceState {
        let w = self.watcher.as_ref().unwrap();
        let all = w.statuses(&self.lib).await.unwrap();
        all.into_iter().find(|s| s.source.id == self.source.id).map(|s| s.state).unwrap_or(SourceState::Idle)
    }

    /// `(name under the root, id)` of the indexed documents.
    async fn indexed(&self) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = self
            .lib
            .documents()
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.status == Status::Indexed)
            .map(|d| (rel(&self.root, &d.path), d.id))
            .collect();
        v.sort();
        v
    }

    async fn names(&self) -> Vec<String> {
        self.indexed().await.into_iter().map(|(n, _)| n).collect()
    }

    async fn finds(&self, query: &str) -> Vec<String> {
        self.lib.search(query, 50).await.unwrap().into_iter().map(|h| rel(&self.root, &h.path)).collect()
    }
}

fn rel(root: &Path, path: &str) -> String {
    Path::new(path).strip_prefix(root).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_changed_saved_by_rename_and_deleted_files_follow_the_folder() {
    let f = Fixture::new(&[("old.md", "# Old\n\nAn aardvark digs.\n")]).await;
    assert_eq!(f.names().await, vec!["old.md"]);

    write(&f.root.join("a.md"), "# Alpha\n\nWalruses bask on the ice.\n");
    f.until("a.md to be indexed", |f| async move { f.finds("walruses").await == vec!["a.md"] }).await;

    let n = f.synced.lock().unwrap().len();
    std::fs::write(f.root.join("a.md"), "# Alpha\n\nPenguins huddle in the wind.\n").unwrap();
    f.until("the change", |f| async move {
        f.finds("penguins").await == vec!["a.md"]
            && f.finds("walruses").await.is_empty()
            && f.synced.lock().unwrap()[n..].iter().any(|(_, s)| s.ingested == 1)
    })
    .await;

    // An editor's save: the new text goes to a temporary file that is renamed over the original.
    let before = f.synced.lock().unwrap().len();
    let id_before = f.indexed().await;
    let tmp = f.root.join("a.md.tmp");
    std::fs::write(&tmp, "# Alpha\n\nNarwhals surface between floes.\n").unwrap();
    std::fs::rename(&tmp, f.root.join("a.md")).unwrap();
    f.until("the save", |f| async move { f.finds("narwhals").await == vec!["a.md"] }).await;
    assert!(f.finds("penguins").await.is_empty());
    let after: Vec<(bool, IngestSummary)> = f.synced.lock().unwrap()[before..].to_vec();
    let ingested: u64 = after.iter().map(|(_, s)| s.ingested).sum();
    let removed: u64 = after.iter().map(|(_, s)| s.removed).sum();
    assert_eq!((ingested, removed), (1, 0), "one update, no delete: {after:#?}");
    assert_eq!(f.names().await, vec!["a.md", "old.md"], "was {id_before:?}");

    std::fs::remove_file(f.root.join("a.md")).unwrap();
    // The catalog and the searcher see a deletion a moment apart: wait for both.
    f.until(
        "the deletion",
        |f| async move { f.names().await == vec!["old.md"] && f.finds("narwhals").await.is_empty() },
    )
    .await;
    assert!(f.lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_and_moved_files_keep_their_identity_and_files_move_in_and_out() {
    let f = Fixture::new(&[("notes/report.md", "# Report\n\nThe ocelot census counted nine cats.\n")]).await;
    let [(_, id)] = f.indexed().await[..] else { panic!("{:?}", f.indexed().await) };

    std::fs::rename(f.root.join("notes/report.md"), f.root.join("notes/census.md")).unwrap();
    f.until("the rename", |f| async move { f.indexed().await == vec![("notes/census.md".to_string(), id)] }).await;
    std::fs::create_dir_all(f.root.join("archive/2024")).unwrap();
    std::fs::rename(f.root.join("notes/census.md"), f.root.join("archive/2024/census.md")).unwrap();
    f.until("the move", |f| async move { f.indexed().await == vec![("archive/2024/census.md".to_string(), id)] }).await;
    // The same document: its text is what stored citations point into, and hits name the new path.
    assert!(f.lib.text(id).await.unwrap().unwrap().contains("ocelot census"));
    assert_eq!(f.finds("ocelot").await, vec!["archive/2024/census.md"]);

    // Out of the folder: it leaves the library. Back in: it returns.
    let outside = tempfile::tempdir().unwrap();
    std::fs::rename(f.root.join("archive"), outside.path().join("archive")).unwrap();
    f.until("moving out", |f| async move { f.names().await.is_empty() }).await;
    write(&outside.path().join("batch/one.txt"), "Kestrels hover over the verge.\n");
    write(&outside.path().join("batch/two.txt"), "Herons stand in the shallows.\n");
    std::fs::rename(outside.path().join("batch"), f.root.join("batch")).unwrap();
    f.until("moving in", |f| async move { f.names().await == vec!["batch/one.txt", "batch/two.txt"] }).await;
    assert!(f.lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_files_is_coalesced_into_few_batches() {
    let f = Fixture::new(&[]).await;
    let before = f.synced.lock().unwrap().len();
    let n = 2000;
    for i in 0..n {
        write(&f.root.join(format!("burst/{}/f{i:04}.txt", i % 10)), &format!("Burst note {i} about quokka {i}.\n"));
    }
    let t = Instant::now();
    while f.indexed().await.len() < n {
        assert!(t.elapsed() < Duration::from_secs(180), "only {} of {n} indexed", f.indexed().await.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let batches: Vec<u64> = f.synced.lock().unwrap()[before..].iter().map(|(_, s)| s.ingested).collect();
    assert_eq!(batches.iter().sum::<u64>(), n as u64, "{batches:?}");
    assert!(batches.len() <= 40, "{} batches for {n} files: {batches:?}", batches.len());
    assert!(f.lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_ignored_and_unknown_files_are_left_out_quietly() {
    let f = Fixture::new(&[
        (".catenaignore", "drafts/\n*.secret.md\n"),
        ("clip.mp4", "not read"),
        ("keep.md", "# Keep\n\nBison graze.\n"),
    ])
    .await;
    assert_eq!(f.lib.sources().await.unwrap()[0].skipped, 1);
    write(&f.root.join("drafts/wip.md"), "Lemurs leap.\n");
    write(&f.root.join(".hidden.md"), "Lemurs hide.\n");
    write(&f.root.join("x.secret.md"), "Lemurs whisper.\n");
    write(&f.root.join("song.mp3"), "not read either");
    write(&f.root.join("broken.pdf"), "this is not a PDF");
    write(&f.root.join("marker.md"), "Marmots whistle.\n");
    f.until("the marker", |f| async move { f.finds("marmots").await == vec!["marker.md"] }).await;
    f.until("the broken file", |f| async move {
        f.lib.documents().await.unwrap().iter().any(|d| d.path.ends_with("broken.pdf"))
    })
    .await;
    assert!(f.finds("lemurs").await.is_empty());
    let docs = f.lib.documents().await.unwrap();
    let failed: Vec<_> = docs.iter().filter(|d| d.status == Status::Failed).collect();
    assert_eq!(failed.len(), 1, "{docs:#?}");
    assert!(failed[0].path.ends_with("broken.pdf") && failed[0].error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(!docs.iter().any(|d| d.path.ends_with(".mp4") || d.path.ends_with(".mp3")));

    // Ignoring a folder that is already in the library takes it out.
    write(&f.root.join("keep2.md"), "# Keep 2\n\nYaks roam.\n");
    f.until("keep2", |f| async move { f.finds("yaks").await == vec!["keep2.md"] }).await;
    std::fs::write(f.root.join(".catenaignore"), "drafts/\n*.secret.md\nkeep2.md\n").unwrap();
    f.until("the new rule", |f| async move { f.finds("yaks").await.is_empty() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_closed_are_found_at_start_and_pause_resume_work() {
    let mut f = Fixture::new(&[
        ("keep.md", "# Keep\n\nBadgers dig setts.\n"),
        ("edit.md", "# Edit\n\nFirst draft about otters.\n"),
        ("gone.md", "# Gone\n\nStoats are quick.\n"),
        ("rename.md", "# Rename\n\nThe dormouse sleeps all winter.\n"),
    ])
    .await;
    let renamed_id = f.indexed().await.iter().find(|(n, _)| n == "rename.md").unwrap().1;
    f.watcher.take().unwrap().stop().await;
    let data = f.data.path().to_path_buf();
    drop(std::mem::replace(&mut f.lib, Arc::new(Library::open_read(&data).await.unwrap())));

    std::fs::write(f.root.join("edit.md"), "# Edit\n\nSecond draft about beavers.\n").unwrap();
    std::fs::remove_file(f.root.join("gone.md")).unwrap();
    std::fs::rename(f.root.join("rename.md"), f.root.join("hibernation.md")).unwrap();
    write(&f.root.join("new.md"), "# New\n\nVoles tunnel.\n");

    f.lib = open(&data).await;
    f.watcher = Some(start(&f.lib, &f.synced));
    f.until("the rescan", |f| async move { f.names().await == vec!["edit.md", "hibernation.md", "keep.md", "new.md"] })
        .await;
    assert!(f.indexed().await.contains(&("hibernation.md".to_string(), renamed_id)));
    assert_eq!(f.finds("beavers").await, vec!["edit.md"]);
    assert!(f.finds("otters").await.is_empty());

    // Paused: nothing is applied. Resumed: the rescan catches up.
    f.lib.set_source_paused(f.source.id, true).await.unwrap();
    f.watcher.as_ref().unwrap().refresh();
    f.until("the pause", |f| async move { f.state().await == SourceState::Paused }).await;
    write(&f.root.join("later.md"), "# Later\n\nHedgehogs snuffle.\n");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(f.finds("hedgehogs").await.is_empty(), "applied while paused");
    f.lib.set_source_paused(f.source.id, false).await.unwrap();
    f.watcher.as_ref().unwrap().refresh();
    f.until("the resume", |f| async move { f.finds("hedgehogs").await == vec!["later.md"] }).await;

    // The folder itself going away is an error, not a reason to drop its documents.
    let moved = f.files.path().with_extension("away");
    std::fs::rename(&f.root, &moved).unwrap();
    f.until("the error", |f| async move { matches!(f.state().await, SourceState::Error(_)) }).await;
    assert_eq!(f.names().await.len(), 5);
    std::fs::rename(&moved, &f.root).unwrap();
    f.until("watching again", |f| async move { f.state().await == SourceState::Watching }).await;
    assert!(f.lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_follows_a_folder_without_file_system_events() {
    let mut f = Fixture::new(&[("a.md", "# A\n\nAlpacas hum.\n")]).await;
    f.watcher.take().unwrap().stop().await;
    let opts = WatchOptions { poll: PollMode::Always, ..WatchOptions::default() };
    f.watcher = Some(start_with(&f.lib, &f.synced, opts));
    f.until("polling", |f| async move {
        let w = f.watcher.as_ref().unwrap();
        w.statuses(&f.lib).await.unwrap().iter().all(|s| s.polling && s.state == SourceState::Watching)
    })
    .await;
    write(&f.root.join("b.md"), "# B\n\nBadgers dig.\n");
    f.until("the new file", |f| async move { f.finds("badgers").await == vec!["b.md"] }).await;
    let [_, (_, id)] = f.indexed().await[..] else { panic!("{:?}", f.indexed().await) };
    std::fs::rename(f.root.join("b.md"), f.root.join("c.md")).unwrap();
    f.until("the rename", |f| async move { f.indexed().await.contains(&("c.md".to_string(), id)) }).await;
    std::fs::remove_file(f.root.join("a.md")).unwrap();
    f.until("the deletion", |f| async move { f.names().await == vec!["c.md"] }).await;
}

//! Opening a data directory from many processes at once, a lost or damaged index, a damaged
//! catalog, and fatal errors under `--json`.

use std::process::Stdio;

use acceptance::good_corpus;

use super::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn commands_started_together_on_a_new_data_directory_all_succeed() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("a.txt"), "Narwhals live in Arctic waters and hunt under the ice.").unwrap();
    for round in 0..4 {
        let c = Catena::new();
        let mut children = Vec::new();
        let spawn = |args: &[&str]| {
            c.cmd().arg("--json").args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        };
        let folder = files.path().display().to_string();
        children.push(spawn(&["ingest", "--no-ocr", &folder]));
        for _ in 0..3 {
            children.push(spawn(&["search", "narwhals"]));
            children.push(spawn(&["docs"]));
        }
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {:?}: {}", out.status, stderr(&out));
            let _: Value = serde_json::from_slice(&out.stdout).unwrap();
        }
    }
}

/// `catena runs --json` as a list of run ids.
fn run_ids(c: &Catena) -> Vec<String> {
    let (code, v) = c.json(&["runs"]);
    assert_eq!(code, 0, "{v}");
    let runs = v.as_array().or_else(|| v["runs"].as_array()).unwrap_or_else(|| panic!("{v}"));
    runs.iter().map(|r| r["id"].as_str().or_else(|| r["run_id"].as_str()).unwrap().to_string()).collect()
}

fn hit_keys(hits: &[Value]) -> Vec<(i64, String)> {
    hits.iter().map(|h| (h["doc_id"].as_i64().unwrap(), h["location"].as_str().unwrap().to_string())).collect()
}

#[test]
fn a_deleted_index_is_named_and_repair_rebuilds_it_keeping_ids_and_history() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let folder = files.path().display().to_string();
    let (code, v) = c.json(&["ingest", "--no-ocr", &folder]);
    assert_eq!(code, 0, "{v}");
    let docs_before: Vec<i64> = c.docs().iter().map(|d| d["doc_id"].as_i64().unwrap()).collect();
    let hits_before = hit_keys(&c.search("xylophone orchestras"));
    let (code, v) = c.json(&["ask", "--no-llm", "Where do narwhals live?"]);
    assert_eq!(code, 0, "{v}");
    let runs_before = run_ids(&c);
    assert_eq!(runs_before.len(), 1);

    std::fs::remove_dir_all(c.data.path().join("index")).unwrap();
    let out = c.run(&["search", "xylophone"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("index") && err.contains("missing") && err.contains("catena repair"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Ingest must not take every file for unchanged and leave search empty.
    let (code, v) = c.json(&["ingest", "--no-ocr", &folder]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["code"], "index_missing", "{v}");
    let (code, v) = c.json(&["check"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["consistent"], false);
    assert_eq!(v["catalog_ok"], true);
    assert!(v["index_problem"].as_str().unwrap().contains("missing"), "{v}");

    let (code, v) = c.json(&["repair"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["documents"], docs_before.len(), "{v}");
    assert_eq!(v["reread"], docs_before.len(), "{v}");
    let docs_after: Vec<i64> = c.docs().iter().map(|d| d["doc_id"].as_i64().unwrap()).collect();
    assert_eq!(docs_after, docs_before);
    assert_eq!(hit_keys(&c.search("xylophone orchestras")), hits_before);
    assert_eq!(run_ids(&c), runs_before);
    let (code, v) = c.json(&["check"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["consistent"], true, "{v}");

    // A file that is gone since is indexed again from the catalog's stored text.
    let gone = files.path().join("notes/latin1.txt");
    assert!(gone.exists(), "the corpus changed: {}", gone.display());
    std::fs::remove_file(&gone).unwrap();
    std::fs::remove_dir_all(c.data.path().join("index")).unwrap();
    let (code, v) = c.json(&["repair"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["from_stored_text"], 1, "{v}");
    assert!(c.search("brûlée Besançon")[0]["path"].as_str().unwrap().ends_with("latin1.txt"));
    let (code, v) = c.json(&["check"]);
    assert_eq!((code, &v["consistent"]), (0, &Value::Bool(true)), "{v}");
}

#[test]
fn a_truncated_index_file_is_named_and_repair_rebuilds_it() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let folder = files.path().display().to_string();
    let (code, v) = c.json(&["ingest", "--no-ocr", &folder]);
    assert_eq!(code, 0, "{v}");
    let hits_before = hit_keys(&c.search("quokka population reforestation"));

    // Cut the largest segment file in half.
    let index = c.data.path().join("index");
    let largest = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x != "json" && x != "lock"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let len = std::fs::metadata(&largest).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&largest).unwrap().set_len(len / 2).unwrap();

    let (code, v) = c.json(&["check"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["consistent"], false, "{v}");
    let problem = format!("{} {}", v["index_problem"], v["damaged_index_files"]);
    assert!(problem.contains("damaged") || problem.contains(largest.file_name().unwrap().to_str().unwrap()), "{v}");
    let out = c.run(&["search", "quokka"]);
    if !out.status.success() {
        let err = stderr(&out);
        assert!(err.contains("damaged") && err.contains("catena repair"), "{err}");
    }

    let (code, v) = c.json(&["repair"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(hit_keys(&c.search("quokka population reforestation")), hits_before);
    let (code, v) = c.json(&["check"]);
    assert_eq!((code, &v["consistent"]), (0, &Value::Bool(true)), "{v}");
}

#[test]
fn check_reports_a_damaged_catalog() {
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let c = Catena::new();
    let (code, v) = c.json(&["ingest", "--no-ocr", &files.path().display().to_string()]);
    assert_eq!(code, 0, "{v}");
    let db = c.data.path().join("catalog.db");
    // Closing the last connection moves the write-ahead log into the file, so what is damaged
    // below is what every later open reads.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { store::Catalog::open(&db).await.unwrap().close().await });
    assert!(
        !c.data.path().join("catalog.db-wal").exists()
            || std::fs::metadata(c.data.path().join("catalog.db-wal")).unwrap().len() == 0
    );
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let n = bytes.len();
    assert!(n >= 8 * page, "catalog of {n} bytes");
    for b in &mut bytes[n - 3 * page..] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();

    let (code, v) = c.json(&["check"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["catalog_ok"], false, "{v}");
    assert_eq!(v["consistent"], false, "{v}");
    let out = c.run(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CATALOG DAMAGED"), "{text}");
}

#[test]
fn fatal_errors_print_one_json_error_document_with_json() {
    let c = Catena::new();
    let out = c.cmd().args(["--json", "remove", "12345"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("12345"), "{v}");
    assert!(stderr(&out).contains("no document 12345"), "{}", stderr(&out));

    let out = c.cmd().args(["--json", "search"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "usage", "{v}");
    assert!(!stderr(&out).is_empty());

    // Without --json nothing is printed on stdout.
    let out = c.cmd().args(["remove", "12345"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// Every file under `dir` with its size and modification time, to prove nothing was written.
/// SQLite's shared-memory index (`-shm`) is left out: every WAL reader updates its read marks
/// there when the file lets it, which changes no data.
fn snapshot_files(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else if !entry.path().to_string_lossy().ends_with("-shm") {
                out.push((entry.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs the commands a reader needs, and the ones that must write, through `run`; the reads
/// work and the writes are refused with a clear message.
fn reads_work_and_writes_are_refused(run: &dyn Fn(&[&str]) -> Output, folder: &Path) {
    for args in [&["search", "xylophone"][..], &["docs"], &["check"], &["runs"]] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        if args[0] == "search" {
            assert!(!v["hits"].as_array().unwrap().is_empty(), "{v}");
        }
        if args[0] == "check" {
            assert_eq!(v["consistent"], true, "{v}");
        }
    }
    let folder = folder.display().to_string();
    for args in [&["ingest", "--no-watch", "--no-embeddings", &folder][..], &["remove", "1"], &["repair"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must be refused: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["code"], "read_only", "{args:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("is read-only for this user"), "{v}");
    }
}

/// `catena ask` through `run` on a read-only library: it answers, says on stderr and in the JSON
/// (`stored: false`, `warning`) that the run was not saved and why (`cause`), exits 0, and the
/// history does not list the run.
fn ask_answers_but_is_not_stored(run: &dyn Fn(&[&str]) -> Output, cause: &str) {
    let out = run(&["ask", "--no-llm", "Where do narwhals live?"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["answer"].as_str().unwrap().contains("Arctic"), "{v}");
    assert!(!v["citations"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["stored"], false, "{v}");
    let warning = v["warning"].as_str().unwrap_or_else(|| panic!("no warning: {v}"));
    assert!(warning.contains("not saved") && warning.contains("read-only") && warning.contains(cause), "{warning}");
    let err = stderr(&out);
    assert!(err.contains(&format!("warning: {warning}")), "{err}");
    assert!(!err.to_lowercase().contains("sqlite") && !err.contains("readonly database"), "{err}");

    let out = run(&["runs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!runs.to_string().contains(v["run_id"].as_str().unwrap()), "{runs}");
}

/// A library opened read-only, on request (`CATENA_READ_ONLY`, which works as root too) and
/// because its directory cannot be written (a copy with every write permission removed, read as
/// an unprivileged user: root ignores permissions, so when the tests run as root the commands run
/// as `nobody` through `setpriv`). Searching, listing, checking and asking work and write
/// nothing (an answered question says it was not saved); ingesting, removing and repairing are
/// refused in words.
#[test]
fn a_read_only_data_directory_is_searched_listed_and_checked() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let files = tempfile::tempdir().unwrap();
    let c = Catena::new();
    good_corpus(files.path());
    let (code, v) =
        c.json(&["ingest", "--no-watch", "--no-embeddings", "--no-ocr", &files.path().display().to_string()]);
    assert_eq!(code, 0, "{v}");

    // On request.
    let before = snapshot_files(c.data.path());
    let forced = |args: &[&str]| c.cmd().env("CATENA_READ_ONLY", "1").arg("--json").args(args).output().unwrap();
    reads_work_and_writes_are_refused(&forced, files.path());
    ask_answers_but_is_not_stored(&forced, "CATENA_READ_ONLY is set");
    assert_eq!(snapshot_files(c.data.path()), before, "a read-only open wrote to the data directory");

    // Because the directory cannot be written: a world-readable copy without write permissions.
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = root.path().join("data");
    let status = std::process::Command::new("cp").arg("-a").arg(c.data.path()).arg(&copy).status().unwrap();
    assert!(status.success());
    let status = std::process::Command::new("chmod").args(["-R", "a+rX,a-w"]).arg(&copy).status().unwrap();
    assert!(status.success());
    let as_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let before = snapshot_files(&copy);
    let unprivileged = |args: &[&str]| {
        let mut cmd = if as_root {
            let mut cmd = std::process::Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_catena")]);
            cmd
        } else {
            std::process::Command::new(env!("CARGO_BIN_EXE_catena"))
        };
        cmd.env_remove("CATENA_DATA_DIR").env_remove("CATENA_READ_ONLY").env("HOME", root.path());
        cmd.arg("--data-dir").arg(&copy).arg("--json").args(args).output().unwrap()
    };
    reads_work_and_writes_are_refused(&unprivileged, files.path());
    ask_answers_but_is_not_stored(&unprivileged, "not writable");
    assert_eq!(snapshot_files(&copy), before);
    let status = std::process::Command::new("chmod").args(["-R", "u+w"]).arg(&copy).status().unwrap();
    assert!(status.success());
}

//! A canary API key, given through the environment and through the OS keyring, used by
//! ingest, ask, runs, show, search and every export format against a scripted model server on
//! loopback: it reaches the server's Authorization header and nowhere else — not stdout or
//! stderr, not the data directory, not an exported file (DOCX parts decompressed).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

use acceptance::good_corpus;

use crate::key::keyring;
use testkit::openai::{Model, streamed};

/// Every file under `dir`, DOCX and other ZIP files also entry by entry, as bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if bytes.starts_with(b"PK\x03\x04") {
                let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
                for i in 0..zip.len() {
                    let mut part = zip.by_index(i).unwrap();
                    let name = format!("{}!{}", path.display(), part.name().unwrap_or_default());
                    let mut inner = Vec::new();
                    part.read_to_end(&mut inner).unwrap();
                    out.push((name, inner));
                }
            }
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Runs every user-facing command with `cmd` (which supplies the key one way or the other) and
/// returns what they printed; writes each export format into `exports`.
fn use_everything(cmd: &dyn Fn() -> Command, files: &Path, model_url: &str, exports: &Path) -> Vec<Output> {
    let mut outputs = Vec::new();
    let mut run = |args: &[&str]| -> Output {
        let out = cmd().args(args).output().unwrap();
        outputs.push(out.clone());
        out
    };
    let folder = files.display().to_string();
    let out = run(&["--json", "ingest", "--no-watch", "--no-embeddings", "--no-ocr", &folder]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let q = "When do the xylophone orchestras rehearse?";
    let out = run(&[
        "--json",
        "ask",
        "--mode",
        "agent",
        "--agent-protocol",
        "tags",
        "--llm-url",
        model_url,
        "--model",
        "r1",
        "--no-embeddings",
        q,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["mode"], "llm", "the model was used: {record:#}");
    let id = record["run_id"].as_str().unwrap().to_owned();
    run(&["runs"]);
    run(&["show", &id]);
    run(&["--json", "show", &id]);
    run(&["search", "xylophone"]);
    for format in ["md", "html", "docx", "pdf", "bibtex", "csl-json", "ris", "json", "autocoa"] {
        let file = exports.join(format!("run.{format}"));
        let out = run(&["export", "--format", format, "-o", &file.display().to_string(), &id]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    }
    outputs
}

fn assert_nowhere(canary: &str, outputs: &[Output], dirs: &[&Path]) {
    let mut found = Vec::new();
    for (i, out) in outputs.iter().enumerate() {
        if holds(&out.stdout, canary) || holds(&out.stderr, canary) {
            found.push(format!("output of command {i}"));
        }
    }
    let mut files = 0;
    for dir in dirs {
        for (name, bytes) in contents(dir) {
            files += 1;
            if holds(&bytes, canary) {
                found.push(name);
            }
        }
    }
    assert!(files > 10, "only {files} files searched; the test is not testing");
    assert!(found.is_empty(), "the key leaked into: {found:#?}");
}

fn model() -> Model {
    Model::start(|_, _| {
        streamed(&["The library should say.\n</think>\n\n", "\\boxed{Xylophone orchestras rehearse on Tuesdays.}"])
    })
}

fn bearer_seen(model: &Model, canary: &str) {
    let requests = model.server.requests();
    assert!(!requests.is_empty());
    for r in requests {
        assert_eq!(r.header("authorization"), Some(format!("Bearer {canary}").as_str()), "the key was used");
    }
}

#[test]
fn a_key_from_the_environment_appears_nowhere_but_in_the_request() {
    const CANARY: &str = "sk-canary-env-7f3a9c1e5b2d4086";
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let exports = tempfile::tempdir().unwrap();
    let c = crate::Catena::new();
    let model = model();
    let cmd = || {
        let mut cmd = c.cmd();
        cmd.env_remove("CATENA_LLM_URL").env_remove("CATENA_LLM_MODEL").env_remove("CATENA_LLM_PROVIDER");
        cmd.env("CATENA_LLM_API_KEY", CANARY);
        cmd
    };
    let outputs = use_everything(&cmd, files.path(), &model.url(), exports.path());
    bearer_seen(&model, CANARY);
    assert_nowhere(CANARY, &outputs, &[c.data.path(), exports.path()]);
}

/// The same with the key in the real Secret Service (`scripts/test` provides one; without it the
/// test prints SKIPPED unless `CATENA_REQUIRE_KEYRING=1`).
#[test]
fn a_key_from_the_keyring_appears_nowhere_but_in_the_request() {
    const CANARY: &str = "sk-canary-keyring-2c8e6b0a9d4f1357";
    let Some(k) = keyring("canary") else { return };
    let out = k.set("openai-compatible", &format!("{CANARY}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let exports = tempfile::tempdir().unwrap();
    let model = model();
    let cmd = || {
        let mut cmd = k.cmd();
        cmd.env_remove("CATENA_LLM_URL").env_remove("CATENA_LLM_MODEL").env_remove("CATENA_LLM_PROVIDER");
        cmd
    };
    let mut outputs = use_everything(&cmd, files.path(), &model.url(), exports.path());
    outputs.push(k.cmd().args(["key", "list"]).output().unwrap());
    bearer_seen(&model, CANARY);
    assert_nowhere(CANARY, &outputs, &[k.catena.data.path(), exports.path()]);
    assert!(k.cmd().args(["key", "delete", "openai-compatible"]).output().unwrap().status.success());
}

//! Semantic search through the real binary: without a model (keyword search, and the status
//! says why), and with provider embeddings from a scripted Ollama server on loopback.

use serde_json::{Value, json};
use testkit::{Recorded, Reply, Server};

use crate::Catena;

/// Words that mean the same to the scripted embedding model.
const SYNONYMS: &[(&str, &str)] =
    &[("railway", "train"), ("ticket", "fare"), ("cost", "price"), ("canine", "dog"), ("puppy", "dog")];

/// Hashed bag of words, 32 dimensions, synonyms folded: what the scripted server returns.
pub(crate) fn words_vector(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; 32];
    for raw in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let lower = raw.to_lowercase();
        let word = lower.strip_suffix('s').filter(|w| w.len() > 2).unwrap_or(&lower);
        if ["the", "how", "much", "did", "was", "and", "for"].contains(&word) {
            continue;
        }
        let word = SYNONYMS.iter().find(|(w, _)| *w == word).map(|(_, s)| *s).unwrap_or(word);
        let h = word.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        v[(h % 32) as usize] += 1.0;
    }
    if v.iter().all(|x| *x == 0.0) {
        v[0] = 1.0;
    }
    v
}

/// Ollama's `/api/embed`, answered with [`words_vector`] for every input.
pub(crate) fn ollama_reply(r: &Recorded) -> Reply {
    if r.route() != "/api/embed" {
        return Reply::not_found();
    }
    let body = r.json();
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
        _ => Vec::new(),
    };
    let embeddings: Vec<Vec<f32>> = inputs.iter().map(|t| words_vector(t)).collect();
    Reply::json(200, json!({"model": body["model"], "embeddings": embeddings}).to_string())
}

/// A scripted Ollama embedding server, alive as long as the value.
pub(crate) struct Ollama {
    pub(crate) server: Server,
    _rt: tokio::runtime::Runtime,
}

impl Ollama {
    pub(crate) fn start() -> Ollama {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(Server::start(|_, r| ollama_reply(r)));
        Ollama { server, _rt: rt }
    }

    /// The global options that make `catena` embed through this server.
    pub(crate) fn args(&self) -> Vec<String> {
        vec!["--embedder".into(), "ollama:words-test".into(), "--embedder-url".into(), self.server.url()]
    }
}

fn library_files(dir: &std::path::Path) {
    std::fs::write(dir.join("travel.txt"), "Travel costs of the senator. Train fare from Boston came to 618.00.")
        .unwrap();
    std::fs::write(dir.join("shelter.txt"), "Our shelter looks after dogs until a family adopts them.").unwrap();
    std::fs::write(dir.join("garden.txt"), "Tomatoes need full sun, deep watering and a stake.").unwrap();
}

fn run_json(c: &Catena, args: &[String]) -> (i32, Value, String) {
    let out = c.cmd().arg("--json").args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn args(pre: &[String], rest: &[&str]) -> Vec<String> {
    pre.iter().cloned().chain(rest.iter().map(|s| (*s).to_owned())).collect()
}

#[test]
fn without_a_model_keyword_search_works_and_the_status_says_how_to_get_one() {
    let files = tempfile::tempdir().unwrap();
    library_files(files.path());
    let c = Catena::new();
    let (code, summary) = c.json(&["ingest", files.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["embedding"], Value::Null, "{summary}");

    let (code, found, stderr) = run_json(&c, &args(&[], &["search", "train fare"]));
    assert_eq!(code, 0);
    assert!(stderr.contains("semantic search is off") && stderr.contains("catena embedding download"), "{stderr}");
    assert_eq!(found["mode"], "lexical");
    let hit = &found["hits"][0];
    assert!(hit["path"].as_str().unwrap().ends_with("travel.txt"));
    // Every existing field is still there, and the scores say which retriever found it.
    for field in
        ["doc_id", "chunk_id", "path", "title", "format", "page", "location", "score", "snippet", "text", "span"]
    {
        assert!(hit.get(field).is_some(), "{field} missing from {hit}");
    }
    assert_eq!(hit["scores"]["lexical"], hit["score"]);
    assert_eq!(hit["scores"]["fused"], hit["score"]);
    assert_eq!(hit["scores"]["semantic"], Value::Null);

    let (code, status, _) = run_json(&c, &args(&[], &["embedding", "status"]));
    assert_eq!(code, 0);
    assert_eq!(status["semantic"], "off");
    assert_eq!(status["model_present"], false);
    let reason = status["reason"].as_str().unwrap();
    assert!(reason.contains("catena embedding download") && reason.contains("--embedding-model"), "{reason}");
    assert!(reason.contains(&c.data.path().join("models").join("all-MiniLM-L6-v2").display().to_string()), "{reason}");

    let out = c.cmd().args(["search", "--mode", "semantic", "train fare"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("semantic search is off"));

    assert!(c.docs().iter().all(|d| d["embedded"] == false));
    let out = c.cmd().args(["embedding", "download", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offline"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!c.data.path().join("models").join("all-MiniLM-L6-v2").join("model.safetensors").exists());
}

#[test]
fn provider_embeddings_make_search_hybrid_and_are_checked() {
    let ollama = Ollama::start();
    let files = tempfile::tempdir().unwrap();
    library_files(files.path());
    let c = Catena::new();
    let p = ollama.args();
    let out = c
        .cmd()
        .arg("--json")
        .args(&p)
        .args(["ingest", "--progress", "json", files.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ingested"], 3);
    assert_eq!(summary["embedding"]["model"], "ollama:words-test", "{summary}");
    assert_eq!(
        (summary["embedding"]["documents"].as_u64(), summary["embedding"]["remaining"].as_u64()),
        (Some(3), Some(0))
    );
    let events: Vec<Value> =
        String::from_utf8_lossy(&out.stderr).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let last = events.iter().rev().find(|e| e["event"] == "embedding").expect("embedding progress events");
    assert_eq!((last["documents_done"].as_u64(), last["documents_total"].as_u64()), (Some(3), Some(3)));
    assert!(ollama.server.requests().iter().all(|r| r.json()["model"] == "words-test"));

    // Keywords find nothing for the paraphrase; hybrid finds it through its meaning.
    let (_, lexical, _) = run_json(&c, &args(&p, &["search", "--mode", "lexical", "railway ticket price"]));
    assert!(lexical["hits"].as_array().unwrap().is_empty(), "{lexical}");
    let (code, found, stderr) = run_json(&c, &args(&p, &["search", "railway ticket price"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(found["mode"], "hybrid", "{stderr}");
    let top = &found["hits"][0];
    assert!(top["path"].as_str().unwrap().ends_with("travel.txt"), "{found:#}");
    assert_eq!(top["scores"]["lexical"], Value::Null);
    assert!(top["scores"]["semantic"].as_f64().unwrap() > 0.3, "{top}");
    assert_eq!(top["scores"]["fused"], top["score"]);
    let (_, semantic, _) = run_json(&c, &args(&p, &["search", "--mode", "semantic", "--limit", "1", "young canine"]));
    assert!(semantic["hits"][0]["path"].as_str().unwrap().ends_with("shelter.txt"), "{semantic:#}");

    let (_, docs, _) = run_json(&c, &args(&p, &["docs"]));
    assert!(docs.as_array().unwrap().iter().all(|d| d["embedded"] == true), "{docs:#}");
    let (code, check, _) = run_json(&c, &args(&p, &["check"]));
    assert_eq!(code, 0, "{check}");
    assert_eq!(
        (check["consistent"].as_bool(), check["vectors"].as_u64(), check["embedded"].as_u64()),
        (Some(true), Some(3), Some(3))
    );
    let (_, status, _) = run_json(&c, &args(&p, &["embedding", "status"]));
    assert_eq!(
        (status["semantic"].as_str(), status["embedded"].as_u64(), status["total"].as_u64()),
        (Some("on"), Some(3), Some(3))
    );

    // The same library under another model: nothing of the first model's vectors is used.
    let (_, other, stderr) = run_json(
        &c,
        &args(
            &[],
            &["--embedder", "ollama:other", "--embedder-url", &ollama.server.url(), "search", "railway ticket price"],
        ),
    );
    assert_eq!(other["mode"], "lexical", "{other}");
    assert!(stderr.contains("no document is embedded yet for ollama:other"), "{stderr}");
    let (_, docs, _) =
        run_json(&c, &args(&[], &["--embedder", "ollama:other", "--embedder-url", &ollama.server.url(), "docs"]));
    assert!(docs.as_array().unwrap().iter().all(|d| d["embedded"] == false), "{docs:#}");

    // An unreachable provider: keyword search still answers, with a note.
    let dead = format!("http://127.0.0.1:{}", tokio::runtime::Runtime::new().unwrap().block_on(testkit::closed_port()));
    let (code, found, stderr) =
        run_json(&c, &args(&[], &["--embedder", "ollama:words-test", "--embedder-url", &dead, "search", "train fare"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(found["mode"], "lexical");
    assert!(stderr.contains("cannot embed the query"), "{stderr}");
    assert!(found["hits"][0]["path"].as_str().unwrap().ends_with("travel.txt"));
    let (_, status, _) =
        run_json(&c, &args(&[], &["--embedder", "ollama:words-test", "--embedder-url", &dead, "embedding", "status"]));
    assert_eq!(status["semantic"], "off");
    assert!(status["reason"].as_str().unwrap().contains("did not answer"), "{status}");
}

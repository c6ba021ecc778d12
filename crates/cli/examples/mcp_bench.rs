//! Latency of `search_library` through MCP (stdio and Streamable HTTP, through rmcp's client)
//! against the same search in-process and as a `catena search` process, on one library and one
//! query set.
//!
//! ```text
//! cargo build --release -p cli --bin catena --example mcp_bench
//! target/release/examples/mcp_bench --data /tmp/mcp-bench [--docs 300] [--rounds 20] [--queries FILE]
//! ```
//!
//! A data directory without a library gets one: `--docs` generated text documents are ingested
//! with the `catena` binary beside this example (`--catena PATH` to use another). Every query runs
//! `--rounds` times per path after one warm-up pass; `catena search` runs one process per query
//! (one round), which is what a script calling the CLI pays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use library::{Library, SearchMode};
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;

const WORDS: &[&str] = &[
    "archive", "basalt", "cadence", "delta", "ember", "fjord", "glacier", "harbor", "isotope", "jasper", "kelp",
    "lagoon", "meridian", "nebula", "orchid", "prairie", "quartz", "reef", "savanna", "tundra", "umber", "valley",
    "willow", "xenon", "yarrow", "zephyr", "protein", "enzyme", "catalyst", "lattice", "neutron", "plasma", "cortex",
    "synapse", "genome", "photon", "magma", "sediment", "monsoon", "aquifer",
];

struct Args {
    data: PathBuf,
    catena: PathBuf,
    docs: usize,
    rounds: usize,
    queries: Vec<String>,
}

fn args() -> Args {
    let mut a = std::env::args().skip(1);
    let exe = std::env::current_exe().unwrap();
    let mut out = Args {
        data: PathBuf::new(),
        catena: exe.parent().and_then(Path::parent).unwrap().join("catena"),
        docs: 300,
        rounds: 20,
        queries: Vec::new(),
    };
    let mut queries_file = None;
    while let Some(flag) = a.next() {
        let value = a.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => out.data = PathBuf::from(value),
            "--catena" => out.catena = PathBuf::from(value),
            "--docs" => out.docs = value.parse().unwrap(),
            "--rounds" => out.rounds = value.parse().unwrap(),
            "--queries" => queries_file = Some(PathBuf::from(value)),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!out.data.as_os_str().is_empty(), "--data DIR is required");
    out.queries = match queries_file {
        Some(f) => std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => {
            (0..20).map(|i| format!("{} {}", WORDS[(i * 7) % WORDS.len()], WORDS[(i * 13 + 5) % WORDS.len()])).collect()
        }
    };
    out
}

/// Generated documents of a few hundred words each, ingested by the real binary.
fn build_library(a: &Args) {
    let files = a.data.join("bench-files");
    std::fs::create_dir_all(&files).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    for d in 0..a.docs {
        let mut text = format!("# Report {d}\n\n");
        for _ in 0..400 {
            text.push_str(WORDS[rng.usize(..WORDS.len())]);
            text.push(if rng.usize(..12) == 0 { '.' } else { ' ' });
        }
        std::fs::write(files.join(format!("doc{d:04}.md")), text).unwrap();
    }
    let status = Command::new(&a.catena)
        .arg("--data-dir")
        .arg(&a.data)
        .args(["--no-embeddings", "ingest"])
        .arg(&files)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ingest failed");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} n={:<5} p50={:>8.3} ms  p99={:>8.3} ms",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
}

async fn time_mcp(client: &RunningService<RoleClient, ()>, queries: &[String], rounds: usize) -> Vec<Duration> {
    let call = |q: &str| {
        let params = CallToolRequestParams::new("search_library")
            .with_arguments(json!({"query": q, "limit": 10, "mode": "lexical"}).as_object().cloned().unwrap());
        client.call_tool(params)
    };
    for q in queries {
        call(q).await.unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..rounds {
        for q in queries {
            let start = Instant::now();
            let r = call(q).await.unwrap();
            times.push(start.elapsed());
            assert_ne!(r.is_error, Some(true));
        }
    }
    times
}

#[tokio::main]
async fn main() {
    let a = args();
    if !a.data.join("catalog.db").exists() {
        build_library(&a);
    }
    let (queries, rounds) = (&a.queries, a.rounds);
    println!("library {} · {} queries × {rounds} rounds · lexical, limit 10", a.data.display(), queries.len());

    // In-process: the library's own search, what the MCP tool calls.
    let lib = Library::open_read(&a.data).await.unwrap();
    for q in queries {
        lib.search_detailed(q, 10, SearchMode::Lexical).await.unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..rounds {
        for q in queries {
            let start = Instant::now();
            lib.search_detailed(q, 10, SearchMode::Lexical).await.unwrap();
            times.push(start.elapsed());
        }
    }
    report("in-process Library::search", times);

    // MCP over stdio.
    let mut cmd = tokio::process::Command::new(&a.catena);
    cmd.arg("--data-dir").arg(&a.data).args(["--no-embeddings", "mcp"]).stderr(Stdio::null());
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    report("MCP stdio search_library", time_mcp(&client, queries, rounds).await);
    client.cancel().await.unwrap();

    // MCP over Streamable HTTP (loopback).
    let mut server = Command::new(&a.catena)
        .arg("--data-dir")
        .arg(&a.data)
        .args(["--no-embeddings", "mcp", "--http", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the server printed no address").unwrap();
        if let Some(url) = line.split("Streamable HTTP at ").nth(1) {
            break url.trim().to_string();
        }
    };
    let client = ().serve(StreamableHttpClientTransport::from_uri(url)).await.unwrap();
    report("MCP HTTP search_library", time_mcp(&client, queries, rounds).await);
    client.cancel().await.unwrap();
    let _ = server.kill();
    let _ = server.wait();

    // `catena search`: a process per query.
    let mut times = Vec::new();
    for q in queries {
        let start = Instant::now();
        let out = Command::new(&a.catena)
            .arg("--data-dir")
            .arg(&a.data)
            .args(["--no-embeddings", "--json", "search", "--mode", "lexical", "--limit", "10", q])
            .output()
            .unwrap();
        times.push(start.elapsed());
        assert!(out.status.success());
    }
    report("catena search (process)", times);
}

//! Measures the in-process embedder: model load time, chunks embedded per second and peak
//! memory, on chunk-sized texts cut from a text file.
//!
//! ```text
//! cargo run --release -p embed --example embed_bench -- TEXT_FILE [--model DIR] [--chunks N]
//!     [--words W] [--per-call C]
//! ```
//!
//! `TEXT_FILE` is any UTF-8 text; it is cut into windows of `W` words (200 by default) that
//! start every `W / 2` words and wrap around, so any file yields `N` (500 by default) distinct
//! chunks. They are embedded through the async `Embedder` API, `C` (64 by default) per call, as
//! the library's background embedding does. Then 200 questions of 12 words are embedded one
//! per call, as a search embeds its query, for the query latency (p50, p99). `--model`
//! defaults to `.models/all-MiniLM-L6-v2` in the workspace (installed by `scripts/setup`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use embed::local::LocalEmbedder;
use embed::{Embedder, TextKind};

/// Questions embedded one by one for the query latency.
const QUERIES: usize = 200;

struct Args {
    text: PathBuf,
    model: PathBuf,
    chunks: usize,
    words: usize,
    per_call: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut text = None;
    let mut model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.models/all-MiniLM-L6-v2");
    let (mut chunks, mut words, mut per_call) = (500, 200, 64);
    let number = |name: &str, value: Option<String>| -> Result<usize, String> {
        value
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{name} needs a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().ok_or("--model needs a folder")?.into(),
            "--chunks" => chunks = number("--chunks", args.next())?,
            "--words" => words = number("--words", args.next())?,
            "--per-call" => per_call = number("--per-call", args.next())?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ => text = Some(PathBuf::from(arg)),
        }
    }
    let text = text.ok_or("usage: embed_bench TEXT_FILE [--model DIR] [--chunks N] [--words W] [--per-call C]")?;
    Ok(Args { text, model, chunks, words, per_call })
}

/// `n` windows of `size` words, starting every `size / 2` words, wrapping around the text.
fn chunks(text: &str, n: usize, size: usize) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Vec::new();
    }
    let stride = (size / 2).max(1);
    (0..n)
        .map(|i| {
            let start = (i * stride) % words.len();
            (0..size).map(|k| words[(start + k) % words.len()]).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// Peak resident memory of this process in MiB (VmHWM), where the kernel reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.text).map_err(|e| format!("cannot read {}: {e}", args.text.display()))?;
    let texts = chunks(&text, args.chunks, args.words);
    if texts.is_empty() {
        return Err(format!("{} has no words", args.text.display()));
    }
    let rss_before = peak_rss_mib();

    let started = Instant::now();
    let embedder = LocalEmbedder::load(&args.model).map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    let rss_loaded = peak_rss_mib();

    // One short call first, so thread start-up is not counted as embedding time.
    embedder.embed(&texts[..1], TextKind::Passage).await.map_err(|e| e.to_string())?;

    let started = Instant::now();
    let mut embedded = 0;
    for call in texts.chunks(args.per_call) {
        let vectors = embedder.embed(call, TextKind::Passage).await.map_err(|e| e.to_string())?;
        embedded += vectors.len();
    }
    let embed_s = started.elapsed().as_secs_f64();

    // A search embeds one short question per call: its latency is part of every hybrid query.
    // Each question is embedded by the quick one-text encoder (the default) and, as the
    // baseline, by candle's batched forward pass, alternately, so both see the same machine.
    let questions: Vec<String> = chunks(&text, QUERIES, 12);
    let baseline = embedder.clone().with_quick_encoder(false);
    let mut query_ms: Vec<f64> = Vec::with_capacity(questions.len());
    let mut baseline_ms: Vec<f64> = Vec::with_capacity(questions.len());
    let mut least_cosine = f32::INFINITY;
    for q in &questions {
        let t = Instant::now();
        let quick = embedder.embed(std::slice::from_ref(q), TextKind::Query).await.map_err(|e| e.to_string())?;
        query_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let batched = baseline.embed(std::slice::from_ref(q), TextKind::Query).await.map_err(|e| e.to_string())?;
        baseline_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if let (Some(a), Some(b)) = (quick.first(), batched.first()) {
            least_cosine = least_cosine.min(a.iter().zip(b).map(|(x, y)| x * y).sum());
        }
    }
    let at = |ms: &mut Vec<f64>, q: f64| {
        ms.sort_by(f64::total_cmp);
        ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1]
    };

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mib = |v: Option<f64>| v.map_or("n/a".to_owned(), |m| format!("{m:.0} MiB"));
    println!("model            {} ({})", embedder.model_id(), args.model.display());
    println!("cores            {threads} (embedder uses at most {})", embed::local::MAX_THREADS);
    println!("model load       {:.2} s", load_s);
    println!("chunks           {embedded} of {} words, {} per call", args.words, args.per_call);
    println!("embedding time   {embed_s:.2} s");
    println!("throughput       {:.1} chunks/s", embedded as f64 / embed_s);
    println!(
        "query embedding  p50 {:.1} ms, p99 {:.1} ms ({} questions of 12 words, one per call)",
        at(&mut query_ms, 0.5),
        at(&mut query_ms, 0.99),
        query_ms.len()
    );
    println!(
        "  baseline       p50 {:.1} ms, p99 {:.1} ms (the same questions through the batched path)",
        at(&mut baseline_ms, 0.5),
        at(&mut baseline_ms, 0.99),
    );
    println!("  agreement      least cosine between the two paths' vectors {least_cosine:.6}");
    println!(
        "peak RSS         {} (before load {}, after load {})",
        mib(peak_rss_mib()),
        mib(rss_before),
        mib(rss_loaded)
    );
    Ok(())
}

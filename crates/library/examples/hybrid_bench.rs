//! Hybrid search latency over a large library, the query's embedding included.
//!
//! ```text
//! cargo run --release -p library --example hybrid_bench -- TEXT_FILE [--chunks N]
//!     [--queries Q] [--questions FILE]... [--model DIR] [--data DIR]
//! ```
//!
//! Builds a real library (tantivy index and SQLite catalog) of about `N` chunks (100 000 by
//! default) from windows of `TEXT_FILE`, written as text files and ingested as a user's would be.
//! Embedding 100 000 chunks with the real model would take hours on two cores, and what a
//! search costs does not depend on the values of the stored vectors, so passages get vectors
//! drawn from 200 topics (as `embed`'s `vector_bench` does) while every query is embedded by
//! the real model (`--model`, `.models/all-MiniLM-L6-v2` by default). Then `Q` questions (200
//! by default, 12-word windows of the text; or the questions of `--questions` files, JSON lines
//! with a `question` field such as `eval/questions/*.jsonl`, as people ask them) are searched one by one in each mode through
//! `Library::search_detailed`, as the engine and the search box do: p50 / p99 per mode, and the
//! query embedding alone; then hybrid search again with every vector scored exactly (no one-bit
//! prefilter) and with the question embedded by candle's batched path, the baselines of the
//! same run. `--data DIR` keeps the library there so a second run skips building it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use embed::local::LocalEmbedder;
use embed::vectors::Prefilter;
use embed::{EmbedError, Embedder, ModelId, TextKind};
use library::{CancelFlag, IngestOptions, Library, LibraryOptions, SearchMode};

const DIMS: usize = 384;
const CHUNKS_PER_FILE: usize = 100;
/// Words per window: about one chunk of the default 800 chars.
const WINDOW_WORDS: usize = 130;

struct Args {
    text: PathBuf,
    chunks: usize,
    queries: usize,
    questions: Vec<PathBuf>,
    model: PathBuf,
    data: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1);
    let mut text = None;
    let mut chunks = 100_000;
    let mut queries = 200;
    let mut questions = Vec::new();
    let mut model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.models/all-MiniLM-L6-v2");
    let mut data = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--chunks" => chunks = args.next().and_then(|v| v.parse().ok()).expect("--chunks N"),
            "--queries" => queries = args.next().and_then(|v| v.parse().ok()).expect("--queries Q"),
            "--questions" => questions.push(args.next().expect("--questions FILE").into()),
            "--model" => model = args.next().expect("--model DIR").into(),
            "--data" => data = Some(args.next().expect("--data DIR").into()),
            _ if arg.starts_with("--") => panic!("unknown option {arg}"),
            _ => text = Some(PathBuf::from(arg)),
        }
    }
    Args {
        text: text.expect("usage: hybrid_bench TEXT_FILE [--chunks N] [--queries Q] [--model DIR] [--data DIR]"),
        chunks,
        queries,
        questions,
        model,
        data,
    }
}

/// Passages get cheap vectors clustered around 200 topics; queries go to the real model.
struct BenchEmbedder {
    model: LocalEmbedder,
    centres: Arc<Vec<Vec<f32>>>,
}

#[async_trait::async_trait]
impl Embedder for BenchEmbedder {
    fn model_id(&self) -> ModelId {
        self.model.model_id()
    }

    fn dims(&self) -> Option<usize> {
        Some(DIMS)
    }

    async fn embed(&self, texts: &[String], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        if kind == TextKind::Query {
            return self.model.embed(texts, kind).await;
        }
        Ok(texts
            .iter()
            .map(|t| {
                let seed =
                    t.bytes().fold(1469598103934665603u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211));
                let mut rng = fastrand::Rng::with_seed(seed);
                let centre = &self.centres[rng.usize(..self.centres.len())];
                let sigma = 1.3 / (DIMS as f32).sqrt();
                unit(centre.iter().map(|c| c + sigma * gaussian(&mut rng)).collect())
            })
            .collect())
    }
}

fn gaussian(rng: &mut fastrand::Rng) -> f32 {
    // Box-Muller.
    let u1 = rng.f32().max(f32::MIN_POSITIVE);
    let u2 = rng.f32();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / n).collect()
}

/// `n` windows of `size` words, starting every `size / 2` words, wrapping around the text.
fn windows(words: &[&str], n: usize, size: usize, offset: usize) -> Vec<String> {
    let stride = (size / 2).max(1);
    (0..n)
        .map(|i| {
            let start = (offset + i * stride) % words.len();
            (0..size).map(|k| words[(start + k) % words.len()]).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let text = std::fs::read_to_string(&args.text).expect("read the text file");
    let words: Vec<&str> = text.split_whitespace().collect();
    assert!(!words.is_empty(), "the text file has no words");
    let scratch = tempfile::tempdir().expect("temp dir");
    let data = args.data.clone().unwrap_or_else(|| scratch.path().join("data"));

    let lib = Library::open_write(&data, LibraryOptions::default()).await.expect("open the library");
    let mut rng = fastrand::Rng::with_seed(7);
    let centres: Arc<Vec<Vec<f32>>> =
        Arc::new((0..200).map(|_| unit((0..DIMS).map(|_| gaussian(&mut rng)).collect())).collect());
    let model = LocalEmbedder::load(&args.model).expect("load the model");
    lib.set_embedder(Arc::new(BenchEmbedder { model: model.clone(), centres: Arc::clone(&centres) }));

    let docs = lib.documents().await.expect("list documents");
    if docs.is_empty() {
        let files = scratch.path().join("files");
        std::fs::create_dir_all(&files).expect("mkdir");
        let n_files = args.chunks.div_ceil(CHUNKS_PER_FILE);
        for f in 0..n_files {
            let body: Vec<String> = windows(&words, CHUNKS_PER_FILE, WINDOW_WORDS, f * 7919)
                .into_iter()
                .enumerate()
                .map(|(i, w)| format!("Record {f}-{i}. {w}."))
                .collect();
            std::fs::write(files.join(format!("part-{f:05}.txt")), body.join("\n\n")).expect("write");
        }
        let started = Instant::now();
        let summary =
            lib.ingest(&[files], &IngestOptions::default(), &|_| {}, &CancelFlag::default()).await.expect("ingest");
        println!("ingested         {} files in {:.1} s", summary.ingested, started.elapsed().as_secs_f64());
        let started = Instant::now();
        let embedded = lib.embed_pending(&|_| {}, &CancelFlag::default()).await.expect("embed");
        println!("vectors stored   {} documents in {:.1} s", embedded.documents, started.elapsed().as_secs_f64());
    }
    let chunks: u64 = lib.documents().await.expect("list documents").iter().map(|d| d.chunks).sum();
    println!("library          {chunks} chunks in {}", data.display());

    let questions: Vec<String> = if args.questions.is_empty() {
        windows(&words, args.queries, 12, 104_729)
    } else {
        args.questions
            .iter()
            .flat_map(|path| {
                std::fs::read_to_string(path)
                    .expect("read the questions")
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter_map(|line| {
                serde_json::from_str::<serde_json::Value>(&line).ok()?.get("question")?.as_str().map(str::to_owned)
            })
            .take(args.queries)
            .collect()
    };
    assert!(!questions.is_empty(), "no questions");
    // The first searches load the vectors and warm the caches, as in a running app.
    for q in questions.iter().take(3) {
        lib.search_detailed(q, 10, SearchMode::Hybrid).await.expect("search");
    }
    let mut embedding = Vec::with_capacity(questions.len());
    for q in &questions {
        let started = Instant::now();
        model.embed(std::slice::from_ref(q), TextKind::Query).await.expect("embed the query");
        embedding.push(started.elapsed());
    }
    embedding.sort();
    println!("query embedding  p50 {:.1} ms  p99 {:.1} ms", percentile(&embedding, 0.5), percentile(&embedding, 0.99));
    for mode in [SearchMode::Lexical, SearchMode::Semantic, SearchMode::Hybrid] {
        let (p50, p99) = time_searches(&lib, &questions, mode).await;
        println!(
            "{:<16} p50 {p50:.1} ms  p99 {p99:.1} ms  ({} questions, k = 10)",
            format!("{} search", mode.as_str()),
            questions.len()
        );
    }
    // Baselines, in the same run: every vector scored exactly instead of through the one-bit
    // prefilter, …
    lib.set_vector_prefilter(Prefilter::OFF).await;
    for q in questions.iter().take(3) {
        lib.search_detailed(q, 10, SearchMode::Hybrid).await.expect("search");
    }
    let (p50, p99) = time_searches(&lib, &questions, SearchMode::Hybrid).await;
    println!("  exact scan     p50 {p50:.1} ms  p99 {p99:.1} ms  (hybrid, every vector scored: no prefilter)");
    lib.set_vector_prefilter(Prefilter::DEFAULT).await;
    // … and the questions embedded by candle's batched forward pass instead of the quick
    // one-text encoder.
    lib.set_embedder(Arc::new(BenchEmbedder { model: model.clone().with_quick_encoder(false), centres }));
    for q in questions.iter().take(3) {
        lib.search_detailed(q, 10, SearchMode::Hybrid).await.expect("search");
    }
    let (p50, p99) = time_searches(&lib, &questions, SearchMode::Hybrid).await;
    println!("  batched embed  p50 {p50:.1} ms  p99 {p99:.1} ms  (hybrid, the question embedded by the batched path)");
}

/// p50 and p99 in ms of searching each question once in `mode`.
async fn time_searches(lib: &Library, questions: &[String], mode: SearchMode) -> (f64, f64) {
    let mut times = Vec::with_capacity(questions.len());
    for q in questions {
        // A different question each time: nothing comes from the query-vector cache.
        let started = Instant::now();
        let found = lib.search_detailed(q, 10, mode).await.expect("search");
        times.push(started.elapsed());
        assert_eq!(found.mode, mode, "{mode:?} ran as {:?}: {:?}", found.mode, found.note);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

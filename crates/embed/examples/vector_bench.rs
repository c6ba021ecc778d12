//! Search latency, memory and recall of [`embed::VectorSet`] against exact f32 search.
//!
//! `cargo run --release -p embed --example vector_bench [-- QUERIES]`
//!
//! For sets of 10 000, 19 999, 20 000, 49 999, 50 000 and 100 000 vectors of 384 dimensions
//! (19 999 / 20 000 straddle the point where a search starts a second thread, 49 999 / 50 000
//! the point where it goes through the one-bit prefilter; `100000 exact` is the largest set
//! with the prefilter off, the baseline of the same run), on two kinds of data:
//! - `random`: unit vectors uniform on the sphere, the hardest case for quantization (every
//!   pair is nearly orthogonal, so the top 10 are separated by tiny margins);
//! - `clustered`: 200 topics, each vector its topic's centre plus noise (a cosine of about 0.6
//!   to its centre), queries drawn the same way, closer to how chunk embeddings behave.
//!
//! Reports search p50 / p99 / mean wall-clock time (k = 10), the mean CPU time per search (all
//! threads), the set's memory, and recall@10 of the int8 search against an exact f32 scan of the
//! same vectors.
//!
//! Random and clustered vectors bound the prefilter's recall from both sides; real chunk
//! embeddings decide it:
//!
//! ```text
//! sqlite3 DATA/catalog.db "SELECT hex(vector) FROM chunk_vectors" > vectors.hex
//! cargo run --release -p embed --example vector_bench -- --real vectors.hex \
//!     --questions eval/questions/pdf.jsonl --questions eval/questions/other.jsonl [--model DIR]
//! ```
//!
//! embeds the questions with the model (`.models/all-MiniLM-L6-v2` by default) and reports, for
//! the library's vectors, recall@10 of the prefilter keeping 1 %, 2 %, 5 % and 10 % of them
//! against the exact int8 scan. A set's true top 10 fall at the same ranks by code, as a share
//! of the set, however large it grows from the same kind of text, so keeping 1 % of a few
//! thousand real chunks measures what keeping 1 % of 100 000 costs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use embed::VectorSet;
use embed::vectors::Prefilter;
use testkit::fuzz::process_cpu_seconds;

const DIMS: usize = 384;
const K: usize = 10;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--real") {
        real(&args);
        return;
    }
    let queries: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(300);
    println!("dims {DIMS}, k {K}, {queries} queries per row, {} threads available", available_threads());
    println!(
        "{:<10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11}",
        "data", "vectors", "p50 ms", "p99 ms", "mean ms", "cpu ms", "memory MB", "recall@10"
    );
    for kind in [Kind::Random, Kind::Clustered] {
        for n in [10_000, 19_999, 20_000, 49_999, 50_000, 100_000] {
            row(kind, n, queries, Prefilter::DEFAULT);
        }
        row(kind, 100_000, queries, Prefilter::OFF);
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Random,
    Clustered,
}

fn row(kind: Kind, n: usize, queries: usize, prefilter: Prefilter) {
    let mut rng = fastrand::Rng::with_seed(7 + n as u64);
    let data = Data::new(kind, &mut rng);
    let vectors: Vec<Vec<f32>> = (0..n).map(|_| data.sample(&mut rng)).collect();
    let mut set = VectorSet::new(DIMS);
    set.set_prefilter(prefilter);
    for (i, v) in vectors.iter().enumerate() {
        set.insert(i as i64, 0, v).unwrap();
    }
    let qs: Vec<Vec<f32>> = (0..queries).map(|_| data.sample(&mut rng)).collect();

    // Warm the caches once, as a running app would be.
    let _ = set.search(&qs[0], K);
    let mut times = Vec::with_capacity(queries);
    let mut results = Vec::with_capacity(queries);
    // On a loaded machine wall-clock latencies include time spent waiting for a core, so the
    // mean CPU time per query (all threads) is reported beside them: on an idle machine a search
    // takes about that long (half of it with two threads).
    let cpu_before = process_cpu_seconds();
    for q in &qs {
        let started = Instant::now();
        let hits = set.search(q, K);
        times.push(started.elapsed());
        results.push(hits);
    }
    let cpu = process_cpu_seconds().zip(cpu_before).map(|(after, before)| (after - before) / queries as f64);
    let mut found = 0usize;
    for (q, hits) in qs.iter().zip(&results) {
        let exact = exact_top(&vectors, q, K);
        found += hits.iter().filter(|h| exact.contains(&(h.doc_id as usize))).count();
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{:<10} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>9} {:>10.1} {:>11.4}",
        format!("{kind:?}").to_lowercase(),
        if prefilter == Prefilter::OFF { format!("{n} exact") } else { n.to_string() },
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(mean),
        cpu.map_or_else(|| "n/a".to_owned(), |c| format!("{:.3}", c * 1000.0)),
        set.memory_bytes() as f64 / 1e6,
        found as f64 / (queries * K) as f64,
    );
}

/// The prefilter's recall on a library's real vectors (see the module documentation).
fn real(args: &[String]) {
    let (mut hex, mut questions) = (None, Vec::new());
    let mut model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.models/all-MiniLM-L6-v2");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--real" => hex = it.next().cloned(),
            "--questions" => questions.push(it.next().expect("--questions FILE").clone()),
            "--model" => model = it.next().expect("--model DIR").into(),
            other => panic!("unknown argument {other}"),
        }
    }
    let hex = std::fs::read_to_string(hex.expect("--real FILE")).unwrap();
    let stored: Vec<Vec<u8>> = hex
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| (0..l.len() / 2).map(|i| u8::from_str_radix(&l[2 * i..2 * i + 2], 16).unwrap()).collect())
        .collect();
    let dims = stored[0].len() - 4;
    let texts: Vec<String> = questions
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| v.get("question").and_then(|q| q.as_str()).map(str::to_owned))
        .collect();
    let embedder = embed::local::LocalEmbedder::load(&model).unwrap();
    let qs = embedder.embed_blocking(&texts).unwrap();
    let mut set = VectorSet::new(dims);
    for (i, bytes) in stored.iter().enumerate() {
        set.insert_bytes(i as i64, 0, bytes).unwrap();
    }
    set.set_prefilter(Prefilter::OFF);
    let exact: Vec<Vec<i64>> = qs.iter().map(|q| set.search(q, K).iter().map(|h| h.doc_id).collect()).collect();
    println!("{} real vectors of {dims} dimensions, {} questions, k {K}", stored.len(), qs.len());
    println!("{:<22} {:>10} {:>11}", "prefilter keeps", "vectors", "recall@10");
    for share in [100, 50, 20, 10] {
        set.set_prefilter(Prefilter { min_vectors: 0, share, per_k: 0 });
        let found: usize = qs
            .iter()
            .zip(&exact)
            .map(|(q, want)| set.search(q, K).iter().filter(|h| want.contains(&h.doc_id)).count())
            .sum();
        println!(
            "{:<22} {:>10} {:>11.4}",
            format!("1/{share} of the set"),
            (stored.len() / share).max(K),
            found as f64 / (qs.len() * K) as f64
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The indices of the `k` vectors with the highest f32 cosine to `q` (all vectors are unit).
fn exact_top(vectors: &[Vec<f32>], q: &[f32], k: usize) -> Vec<usize> {
    let mut scored: Vec<(f32, usize)> =
        vectors.iter().enumerate().map(|(i, v)| (v.iter().zip(q).map(|(a, b)| a * b).sum::<f32>(), i)).collect();
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
    scored[..k].iter().map(|&(_, i)| i).collect()
}

struct Data {
    centres: Vec<Vec<f32>>,
}

impl Data {
    fn new(kind: Kind, rng: &mut fastrand::Rng) -> Data {
        let centres = match kind {
            Kind::Random => Vec::new(),
            Kind::Clustered => (0..200).map(|_| unit(gaussian(rng, DIMS))).collect(),
        };
        Data { centres }
    }

    fn sample(&self, rng: &mut fastrand::Rng) -> Vec<f32> {
        let noise = gaussian(rng, DIMS);
        if self.centres.is_empty() {
            return unit(noise);
        }
        let centre = &self.centres[rng.usize(..self.centres.len())];
        // Noise of total length ~1.3 against a unit centre: cosine to the centre about 0.6.
        let sigma = 1.3 / (DIMS as f32).sqrt();
        unit(centre.iter().zip(noise).map(|(c, e)| c + sigma * e).collect())
    }
}

fn gaussian(rng: &mut fastrand::Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            // Box–Muller.
            let u = rng.f64().max(f64::MIN_POSITIVE);
            let v = rng.f64();
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

//! Search-latency check: indexes synthetic chunks on disk and times queries with snippets.
//!
//! `cargo run --release -p index --example latency -- [chunks] [queries]` (defaults 100000, 1000).
//! Text is drawn from a few thousand words with a Zipf distribution (stop words and common words
//! at the head, as in real prose), so posting lists have realistic lengths; queries are 2–4
//! content words drawn from the same distribution, plus a share of quoted phrases.

use std::time::{Duration, Instant};

use index::{ChunkIndex, ChunkRecord, Location, Span};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const STOP: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
    "this", "are", "or", "at", "from", "which", "but", "have", "an", "they", "were",
];
const COMMON: &[&str] = &[
    "research",
    "data",
    "analysis",
    "model",
    "results",
    "study",
    "system",
    "method",
    "time",
    "number",
    "water",
    "energy",
    "market",
    "policy",
    "growth",
    "network",
    "learning",
    "patients",
    "treatment",
    "running",
    "runs",
    "ran",
    "measured",
    "measurement",
    "temperature",
    "pressure",
    "report",
    "history",
    "river",
    "city",
    "government",
    "language",
    "protein",
    "cells",
    "signal",
    "quality",
    "process",
    "effects",
    "effect",
    "table",
    "figure",
    "section",
    "chapter",
    "survey",
    "sample",
    "samples",
    "training",
    "testing",
    "error",
    "errors",
    "budget",
    "revenue",
    "costs",
    "interest",
    "rates",
    "carbon",
    "climate",
    "soil",
    "crops",
    "students",
    "school",
    "theory",
    "evidence",
    "review",
    "design",
    "software",
    "hardware",
    "memory",
    "storage",
    "index",
    "search",
];
const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "cr", "dr", "fl", "gr",
    "pl", "pr", "sh", "st", "th", "tr",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"];
const SUFFIXES: &[&str] = &["", "", "", "s", "ing", "ed", "tion", "al", "ly", "ment", "er"];

fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    let mut words: Vec<String> = STOP.iter().chain(COMMON).map(|w| (*w).to_owned()).collect();
    let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
    while words.len() < size {
        let syllables = 1 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSETS[rng.below(ONSETS.len())]);
            w.push_str(VOWELS[rng.below(VOWELS.len())]);
        }
        w.push_str(SUFFIXES[rng.below(SUFFIXES.len())]);
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// Samples ranks with probability proportional to 1 / rank^s.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (1..=n)
            .map(|r| {
                acc += 1.0 / (r as f64).powf(s);
                acc
            })
            .collect();
        for c in &mut cdf {
            *c /= acc;
        }
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(label: &str, times: &mut [Duration]) {
    if times.is_empty() {
        return;
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{label}: {} (limit 10, with snippets): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, \
         max {:.2} ms, mean {:.2} ms",
        times.len(),
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.90)),
        ms(percentile(times, 0.99)),
        ms(times[times.len() - 1]),
        ms(mean),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let num_chunks: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let num_queries: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocab = vocabulary(&mut rng, 4000);
    let zipf = Zipf::new(vocab.len(), 1.0);
    let dir = tempfile::tempdir()?;

    let started = Instant::now();
    let index = ChunkIndex::open(dir.path())?;
    let mut writer = index.writer()?;
    let chunks_per_doc = 20;
    let mut text_bytes = 0usize;
    for i in 0..num_chunks {
        let doc_id = (i / chunks_per_doc) as i64;
        let ordinal = (i % chunks_per_doc) as u32;
        let title: Vec<&str> =
            (0..3 + rng.below(3)).map(|_| vocab[STOP.len() + zipf.sample(&mut rng) % 2000].as_str()).collect();
        let mut text = String::with_capacity(700);
        let mut sentence_len = 0;
        while text.len() < 600 {
            let w = &vocab[zipf.sample(&mut rng)];
            if sentence_len == 0 {
                let mut cs = w.chars();
                if let Some(c) = cs.next() {
                    text.extend(c.to_uppercase());
                    text.push_str(cs.as_str());
                }
            } else {
                text.push_str(w);
            }
            sentence_len += 1;
            if sentence_len > 8 && rng.below(6) == 0 {
                text.push_str(". ");
                sentence_len = 0;
            } else {
                text.push(' ');
            }
        }
        text_bytes += text.len();
        let start = ordinal as usize * 600;
        writer.add(&ChunkRecord {
            doc_id,
            ordinal,
            title: title.join(" "),
            path: format!("/home/user/Documents/library/doc-{doc_id}.pdf"),
            format: "pdf".into(),
            location: Location::Page { page: ordinal + 1 },
            span: Span::new(start, start + text.chars().count()),
            text,
        })?;
        // The library commits in batches; so do we, which also leaves several segments.
        if (i + 1) % 10_000 == 0 {
            writer.commit((i / 10_000 + 1) as u64)?;
        }
    }
    writer.commit(u64::MAX)?;
    drop(writer);
    let index_time = started.elapsed();
    println!(
        "indexed {num_chunks} chunks ({:.1} MB of text) in {:.1} s",
        text_bytes as f64 / 1e6,
        index_time.as_secs_f64()
    );

    // Reopen as the app would after a restart (cold reader, warm page cache).
    let started = Instant::now();
    let index = ChunkIndex::open(dir.path())?;
    println!("reopened in {:.1} ms; {} chunks", ms(started.elapsed()), index.num_chunks()?);
    let started = Instant::now();
    let counts = index.chunk_counts()?;
    println!("chunk_counts: {} docs in {:.1} ms", counts.len(), ms(started.elapsed()));

    // Content words only: stop words would be dropped by the analyzer anyway.
    let content = &vocab[STOP.len()..];
    let content_zipf = Zipf::new(content.len(), 1.0);
    let queries: Vec<String> = (0..num_queries)
        .map(|i| {
            let n = 2 + rng.below(3);
            let words: Vec<&str> = (0..n).map(|_| content[content_zipf.sample(&mut rng)].as_str()).collect();
            if i % 10 == 0 { format!("\"{}\" {}", words[..2].join(" "), words[2..].join(" ")) } else { words.join(" ") }
        })
        .collect();

    for q in queries.iter().take(100) {
        index.search(q, 10)?;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut phrase_times = Vec::new();
    let mut total_hits = 0;
    for q in &queries {
        let t = Instant::now();
        let hits = index.search(q, 10)?;
        let elapsed = t.elapsed();
        times.push(elapsed);
        if q.starts_with('"') {
            phrase_times.push(elapsed);
        }
        total_hits += hits.len();
    }
    report("all queries", &mut times);
    report("with a phrase", &mut phrase_times);
    println!("{:.1} hits/query", total_hits as f64 / queries.len() as f64);
    Ok(())
}

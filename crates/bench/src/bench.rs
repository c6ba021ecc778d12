//! `catena-bench bench CORPUS`: ingestion against `pdftotext` on the same PDFs, and search
//! latency at scale. A benchmark, not a test: it prints figures next to their baseline from the same run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use index::{ChunkIndex, ChunkRecord};
use serde_json::{Value, json};

use session::cli::say;

/// `catena-bench bench` arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Folder of documents (e.g. a copy of a real corpus).
    corpus: PathBuf,
    /// Chunks in the search-latency index.
    #[arg(long, default_value_t = 100_000)]
    chunks: usize,
    /// Queries timed.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// The `catena` binary whose ingestion is timed. Default: the one next to `catena-bench`
    /// (the same build), else `catena` on the PATH.
    #[arg(long, env = "CATENA_BIN", value_name = "PATH")]
    catena: Option<PathBuf>,
}

pub(crate) async fn run(args: BenchArgs, json_out: bool) -> anyhow::Result<()> {
    let BenchArgs { corpus, chunks: min_chunks, queries, catena } = args;
    let corpus = corpus.as_path();
    let catena = catena.unwrap_or_else(default_catena);
    let files = list_files(corpus)?;
    let pdfs: Vec<PathBuf> =
        files.iter().filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))).cloned().collect();
    if pdfs.is_empty() {
        bail!("no PDF files under {}", corpus.display());
    }
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let pdf_bytes: u64 = pdfs.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let all_bytes: u64 = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    if !json_out {
        say(&format!(
            "corpus: {} files ({:.1} MB), {} PDFs ({:.1} MB); {workers} workers",
            files.len(),
            all_bytes as f64 / 1e6,
            pdfs.len(),
            pdf_bytes as f64 / 1e6
        ));
    }

    // Baseline: pdftotext alone on the same PDFs, with the same number of parallel workers.
    let pdftotext = time_pdftotext(&pdfs, workers)?;
    let pdf_ingest = time_ingest(&catena, &pdfs)?;
    let all_ingest = time_ingest(&catena, &[corpus.to_path_buf()])?;
    let ratio = pdf_ingest.wall.as_secs_f64() / pdftotext.as_secs_f64().max(1e-9);
    if !json_out {
        say(&format!("pdftotext on the PDFs ({workers} parallel): {:.2} s", pdftotext.as_secs_f64()));
        say(&format!(
            "catena ingest, PDFs only:   {:.2} s = {:.2}× pdftotext (target ≤ 1.5×), peak RSS {} MB",
            pdf_ingest.wall.as_secs_f64(),
            ratio,
            pdf_ingest.peak_mb()
        ));
        say(&format!(
            "catena ingest, whole corpus: {:.2} s, {:.1} MB/s, {} chunks, {} failed, peak RSS {} MB",
            all_ingest.wall.as_secs_f64(),
            all_bytes as f64 / 1e6 / all_ingest.wall.as_secs_f64().max(1e-9),
            all_ingest.chunks,
            all_ingest.failed,
            all_ingest.peak_mb()
        ));
    }

    let search = search_latency(&files, min_chunks, queries).await?;
    if !json_out {
        say(&format!(
            "search over {} chunks, {} queries, limit 10 with snippets: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms (targets 5 / 25 ms); index built in {:.1} s",
            search.chunks, search.queries, search.p50_ms, search.p99_ms, search.mean_ms, search.build_s
        ));
    }
    if json_out {
        say(&serde_json::to_string_pretty(&json!({
            "corpus_files": files.len(),
            "corpus_bytes": all_bytes,
            "pdf_files": pdfs.len(),
            "pdf_bytes": pdf_bytes,
            "workers": workers,
            "pdftotext_s": pdftotext.as_secs_f64(),
            "ingest_pdfs_s": pdf_ingest.wall.as_secs_f64(),
            "ingest_vs_pdftotext": ratio,
            "ingest_pdfs_peak_rss_mb": pdf_ingest.peak_mb(),
            "ingest_all_s": all_ingest.wall.as_secs_f64(),
            "ingest_all_mb_per_s": all_bytes as f64 / 1e6 / all_ingest.wall.as_secs_f64().max(1e-9),
            "ingest_all_peak_rss_mb": all_ingest.peak_mb(),
            "ingest_all_chunks": all_ingest.chunks,
            "ingest_all_failed": all_ingest.failed,
            "search_chunks": search.chunks,
            "search_queries": search.queries,
            "search_p50_ms": search.p50_ms,
            "search_p99_ms": search.p99_ms,
            "search_mean_ms": search.mean_ms,
        }))?);
    }
    Ok(())
}

fn list_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn time_pdftotext(pdfs: &[PathBuf], workers: usize) -> anyhow::Result<Duration> {
    Command::new("pdftotext")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .context("pdftotext (poppler-utils) is needed as the baseline")?;
    let out = tempfile::tempdir()?;
    let started = Instant::now();
    let queue = std::sync::Mutex::new(pdfs.iter().enumerate());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((i, pdf)) = next else { break };
                    // Failures (the malformed PDFs) count as time spent, as they do for ingestion.
                    let _ =
                        Command::new("pdftotext").arg("-q").arg(pdf).arg(out.path().join(format!("{i}.txt"))).status();
                }
            });
        }
    });
    Ok(started.elapsed())
}

struct IngestRun {
    wall: Duration,
    peak_rss: Option<u64>,
    chunks: u64,
    failed: usize,
}

impl IngestRun {
    fn peak_mb(&self) -> String {
        self.peak_rss.map(|b| format!("{:.0}", b as f64 / 1e6)).unwrap_or_else(|| "?".into())
    }
}

/// `catena` next to this binary when it is there (both are built into the same folder), else
/// `catena` as the PATH finds it.
fn default_catena() -> PathBuf {
    let name = format!("catena{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(&name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Runs `catena ingest` in a child process on a fresh data directory, so that its wall time and
/// peak memory are its own.
fn time_ingest(catena: &Path, paths: &[PathBuf]) -> anyhow::Result<IngestRun> {
    let data = tempfile::tempdir()?;
    let started = Instant::now();
    let out = Command::new(catena)
        .arg("--data-dir")
        .arg(data.path())
        .arg("--json")
        .arg("ingest")
        .arg("--progress")
        .arg("quiet")
        .args(paths)
        .stderr(Stdio::null())
        .output()
        .with_context(|| {
            format!("cannot run {} (build it with `cargo build -p cli`, or pass --catena)", catena.display())
        })?;
    let wall = started.elapsed();
    let v: Value = serde_json::from_slice(&out.stdout).context("catena ingest printed no JSON")?;
    Ok(IngestRun {
        wall,
        peak_rss: v["peak_rss_bytes"].as_u64(),
        chunks: v["chunks"].as_u64().unwrap_or(0),
        failed: v["failed"].as_array().map_or(0, |a| a.len()),
    })
}

struct SearchRun {
    chunks: u64,
    queries: usize,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    build_s: f64,
}

/// Builds an index of at least `min_chunks` chunks from the corpus's real text (each document
/// repeated under new ids), then times queries made of words drawn from that text.
async fn search_latency(files: &[PathBuf], min_chunks: usize, queries: usize) -> anyhow::Result<SearchRun> {
    let files = files.to_vec();
    tokio::task::spawn_blocking(move || search_latency_blocking(&files, min_chunks, queries)).await?
}

fn search_latency_blocking(files: &[PathBuf], min_chunks: usize, queries: usize) -> anyhow::Result<SearchRun> {
    let xopts = extract::ExtractOptions::default();
    let copts = extract::ChunkOptions::default();
    let mut base: Vec<ChunkRecord> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let Ok(doc) = extract::extract(f, &xopts) else { continue };
        let title = doc
            .title
            .clone()
            .unwrap_or_else(|| f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
        for c in extract::chunk(&doc, &copts) {
            base.push(ChunkRecord {
                doc_id: i as i64,
                ordinal: c.ordinal as u32,
                title: title.clone(),
                path: f.to_string_lossy().into_owned(),
                format: doc.format.as_str().to_string(),
                location: c.location,
                span: c.span,
                text: c.text,
            });
        }
    }
    if base.is_empty() {
        bail!("no text could be extracted from the corpus");
    }
    let dir = tempfile::tempdir()?;
    let built = Instant::now();
    let index = ChunkIndex::open(dir.path())?;
    let mut total = 0u64;
    {
        let mut writer = index.writer()?;
        let mut copy = 0i64;
        while (total as usize) < min_chunks {
            for c in &base {
                let mut c = c.clone();
                c.doc_id += copy * 1_000_000;
                writer.add(&c)?;
                total += 1;
            }
            copy += 1;
        }
        writer.commit(1)?;
    }
    let build_s = built.elapsed().as_secs_f64();
    drop(index);
    let index = ChunkIndex::open(dir.path())?;

    let qs = make_queries(&base, queries.max(1));
    for q in qs.iter().take(50) {
        index.search(q, 10)?;
    }
    let mut times = Vec::with_capacity(qs.len());
    for q in &qs {
        let t = Instant::now();
        index.search(q, 10)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    Ok(SearchRun {
        chunks: total,
        queries: times.len(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        mean_ms: times.iter().sum::<f64>() / times.len() as f64,
        build_s,
    })
}

/// Deterministic queries of 2–4 words taken from random chunks (a fixed-seed generator, so runs
/// are comparable).
fn make_queries(chunks: &[ChunkRecord], n: usize) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let c = &chunks[(next() % chunks.len() as u64) as usize];
        let words: Vec<&str> =
            c.text.split(|ch: char| !ch.is_alphanumeric()).filter(|w| w.chars().count() >= 4).collect();
        let k = 2 + (next() % 3) as usize;
        if words.len() <= k {
            continue;
        }
        let start = (next() % (words.len() - k) as u64) as usize;
        out.push(words[start..start + k].join(" "));
    }
    out
}

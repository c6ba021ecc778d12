//! `catena-bench bench-ocr`: OCR throughput through Catena's path (extract: render with poppler,
//! recognise with Tesseract, parse the word boxes) against the plain `tesseract` command on the
//! same rendered pages with the same parallelism, plus Tesseract's fixed cost per call.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub(crate) struct BenchOcrArgs {
    /// PDF files, or folders searched for them; only pages without a text layer are counted.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Pages in flight on both sides (default: number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Tesseract languages.
    #[arg(long, default_value = "eng")]
    ocr_lang: String,
    /// Rounds, each timing both sides one after the other; the fastest round of each side is
    /// reported, which damps the noise of other work on the machine.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

/// One PDF with the pages Catena would OCR.
struct Scan {
    path: PathBuf,
    pages: usize,
}

pub(crate) fn run(args: BenchOcrArgs, json_out: bool) -> anyhow::Result<()> {
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)).max(1);
    let mut opts = extract::OcrOptions { languages: args.ocr_lang.clone(), ..extract::OcrOptions::default() };
    opts.limiter = Arc::new(extract::OcrLimiter::new(jobs));
    extract::ocr::check(&opts)?;

    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    let mut scans = Vec::new();
    let mut images = Vec::new();
    let mut render = Duration::ZERO;
    for pdf in pdfs(&args.paths) {
        let Ok(bytes) = std::fs::read(&pdf) else { continue };
        let started = Instant::now();
        let Ok(pages) = extract::ocr::render_pages_without_text(&bytes, &opts) else { continue };
        render += started.elapsed();
        if pages.is_empty() {
            continue;
        }
        for (n, page) in &pages {
            let stem = pdf.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let file = tmp.path().join(format!("{}-{stem}-p{n}.pgm", images.len()));
            std::fs::write(&file, &page.pgm).with_context(|| format!("cannot write {}", file.display()))?;
            images.push(file);
        }
        scans.push(Scan { path: pdf, pages: pages.len() });
    }
    let pages: usize = scans.iter().map(|s| s.pages).sum();
    anyhow::ensure!(pages > 0, "no PDF page without a text layer under the given paths");
    eprintln!("bench-ocr: {} pages without a text layer in {} PDFs, {jobs} in flight", pages, scans.len());

    let xopts = extract::ExtractOptions { ocr: opts.clone(), ..extract::ExtractOptions::default() };
    let (mut catena, mut plain) = (Duration::MAX, Duration::MAX);
    let recognised = AtomicUsize::new(0);
    let words = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    for _ in 0..args.rounds.max(1) {
        recognised.store(0, Ordering::SeqCst);
        words.store(0, Ordering::SeqCst);
        failures.store(0, Ordering::SeqCst);
        catena = catena.min(time_catena(&scans, &xopts, jobs, &recognised, &words));
        plain = plain.min(time_plain(&images, &opts, jobs, &failures));
    }

    // The fixed cost of one call (start, load the language data) on a blank page.
    let blank = tmp.path().join("blank.pgm");
    let mut pgm = b"P5\n64 64\n255\n".to_vec();
    pgm.resize(pgm.len() + 64 * 64, 255);
    std::fs::write(&blank, pgm)?;
    let calls = 5;
    let started = Instant::now();
    for _ in 0..calls {
        tesseract(&blank, &opts.languages, opts.dpi);
    }
    let fixed = started.elapsed() / calls;

    let render_per_page = render.as_secs_f64() / pages as f64;
    let rate = |d: Duration| pages as f64 / d.as_secs_f64().max(1e-9);
    let ratio = catena.as_secs_f64() / plain.as_secs_f64().max(1e-9);
    if json_out {
        session::cli::print_json(&json!({
            "pdfs": scans.len(),
            "pages": pages,
            "pages_recognised": recognised.load(Ordering::SeqCst),
            "words": words.load(Ordering::SeqCst),
            "jobs": jobs,
            "catena_seconds": catena.as_secs_f64(),
            "catena_pages_per_second": rate(catena),
            "tesseract_seconds": plain.as_secs_f64(),
            "tesseract_pages_per_second": rate(plain),
            "tesseract_failures": failures.load(Ordering::SeqCst),
            "time_ratio": ratio,
            "tesseract_fixed_cost_seconds": fixed.as_secs_f64(),
            "render_seconds_per_page": render_per_page,
            "rounds": args.rounds.max(1),
        }));
    } else {
        println!("pages without a text layer: {pages} in {} PDFs; {jobs} pages in flight", scans.len());
        println!(
            "catena (render + OCR + word boxes): {:.1} s, {:.2} pages/s ({} pages, {} words)",
            catena.as_secs_f64(),
            rate(catena),
            recognised.load(Ordering::SeqCst),
            words.load(Ordering::SeqCst)
        );
        println!(
            "tesseract on the rendered pages:    {:.1} s, {:.2} pages/s ({} failures)",
            plain.as_secs_f64(),
            rate(plain),
            failures.load(Ordering::SeqCst)
        );
        println!("catena / tesseract time: {ratio:.2}x");
        println!("tesseract fixed cost per call (start + language data): {:.3} s", fixed.as_secs_f64());
        println!("rendering alone (poppler at {} DPI, one thread): {render_per_page:.3} s a page", opts.dpi);
    }
    Ok(())
}

/// Catena: whole files through `extract`, as many files at once as pages in flight (what ingest
/// does with one worker per core), the limiter bounding pages across them.
fn time_catena(
    scans: &[Scan],
    xopts: &extract::ExtractOptions,
    jobs: usize,
    recognised: &AtomicUsize,
    words: &AtomicUsize,
) -> Duration {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while let Some(scan) = scans.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if let Ok(doc) = extract::extract(&scan.path, xopts) {
                        recognised.fetch_add(doc.ocr.len(), Ordering::SeqCst);
                        words.fetch_add(doc.ocr.iter().map(|p| p.words.len()).sum(), Ordering::SeqCst);
                    }
                }
            });
        }
    });
    started.elapsed()
}

/// Plain tesseract on the same rendered pages, the same number at once.
fn time_plain(images: &[PathBuf], opts: &extract::OcrOptions, jobs: usize, failures: &AtomicUsize) -> Duration {
    let started = Instant::now();
    let queue = Mutex::new(images.iter());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next().cloned()).ok().flatten();
                    let Some(image) = next else { break };
                    if !tesseract(&image, &opts.languages, opts.dpi) {
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    started.elapsed()
}

/// Runs `tesseract IMAGE stdout … tsv` as Catena does (one thread per process); true on success.
fn tesseract(image: &Path, languages: &str, dpi: u32) -> bool {
    Command::new("tesseract")
        .arg(image)
        .arg("stdout")
        .args(["-l", languages, "--psm", "3", "--dpi", &dpi.to_string(), "tsv"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The PDFs among `paths`, folders searched recursively, in name order.
fn pdfs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.iter().rev().cloned().collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            let Ok(entries) = std::fs::read_dir(&p) else { continue };
            let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            stack.extend(children.into_iter().rev());
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
            out.push(p);
        }
    }
    out
}

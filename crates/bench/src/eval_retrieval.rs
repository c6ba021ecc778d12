//! `catena-bench eval retrieval --docs DIR --questions FILE…`: whether the library's search
//! finds the passage that answers a question, in each search mode, in one run.
//!
//! Question files are JSON Lines, one question per line (the format of `eval/questions/*.jsonl`):
//! `id`, `question`, `answerable`, `file` (relative to the documents folder), `page` (1-based, for
//! PDFs), `answer`, `aliases`, `evidence` (a verbatim passage next to the answer), `wording`
//! (`document`: the passage's own words; `own`: a reader's own words), `kind` and `split`
//! (`tune` or `heldout`).
//!
//! The documents folder is ingested through the real pipeline into the data directory given with
//! `--data-dir` (unchanged files are skipped, so a library built before is reused) or, without
//! one, into a temporary data directory that is deleted afterwards; every document is then
//! embedded with the embedder the global options choose (as `catena ingest` does). Every
//! answerable question of the chosen split is searched in each mode — lexical, and semantic and
//! hybrid when an embedding model is available (otherwise the report says why they are left
//! out) — and a hit counts as the answer passage when it
//! comes from the question's file and either its text contains the evidence or the answer (both
//! compared lowercased with whitespace collapsed, the answer only as whole words), or, for a PDF,
//! it lies on the answer's page. Aliases are not used: short ones ("2", "618") would match
//! unrelated passages of the same file.
//!
//! Reported per mode, overall and per wording: recall@1 and recall@k (the first answer passage at
//! rank 1, at rank ≤ k) and MRR over the top k, plus the search latency p50/p99. Questions whose
//! file did not make it into the library, and questions whose evidence is not in the library's
//! extracted text of that file (a problem of the question or of the extraction), are listed.
//! Gold fields are read only by the scoring code; the search sees only the question text.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use library::{CancelFlag, Hit, IngestOptions, Library, LibraryOptions, SearchMode, SemanticStatus, Status};
use serde::{Deserialize, Serialize};

use crate::eval::{mean, quantile};
use session::cli::EmbedderArgs;
use session::cli::say;

/// Which questions of the files to use.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum QuestionSplit {
    /// `split: tune` (the half to tune on).
    Tune,
    /// `split: heldout` (report, never tune).
    Heldout,
    /// Every question.
    All,
}

impl QuestionSplit {
    pub(crate) fn name(self) -> &'static str {
        match self {
            QuestionSplit::Tune => "tune",
            QuestionSplit::Heldout => "heldout",
            QuestionSplit::All => "all",
        }
    }

    pub(crate) fn admits(self, split: &str) -> bool {
        self == QuestionSplit::All || self.name() == split
    }
}

#[derive(Args, Debug)]
pub(crate) struct RetrievalArgs {
    /// Folder of documents; the questions' `file` paths are relative to it.
    #[arg(long, value_name = "DIR")]
    docs: PathBuf,
    /// JSON Lines question file (repeat for several).
    #[arg(long = "questions", value_name = "FILE", required = true)]
    questions: Vec<PathBuf>,
    /// Questions of this split only.
    #[arg(long, value_enum, default_value_t = QuestionSplit::Tune)]
    split: QuestionSplit,
    /// Hits examined per question (recall@k, MRR over the top k).
    #[arg(long, default_value_t = 5)]
    k: usize,
}

/// One line of a question file.
#[derive(Debug, Clone, Deserialize)]
struct Question {
    id: String,
    question: String,
    answerable: bool,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    wording: String,
    split: String,
}

/// The modes this library can search in, and why the others are left out.
async fn available_modes(lib: &Library) -> anyhow::Result<(Vec<SearchMode>, Option<String>)> {
    Ok(match lib.semantic_status().await? {
        SemanticStatus::On { embedded, .. } if embedded > 0 => {
            (vec![SearchMode::Lexical, SearchMode::Semantic, SearchMode::Hybrid], None)
        }
        SemanticStatus::On { model, .. } => {
            (vec![SearchMode::Lexical], Some(format!("no document is embedded for {model}: lexical search only")))
        }
        SemanticStatus::Off { reason } => {
            (vec![SearchMode::Lexical], Some(format!("semantic search is off ({reason}): lexical search only")))
        }
    })
}

/// Ranked hits for `query` in `mode`; a search that could not run in that mode is an error.
async fn search(lib: &Library, query: &str, limit: usize, mode: SearchMode) -> anyhow::Result<Vec<Hit>> {
    let found = lib.search_detailed(query, limit, mode).await?;
    match found.note {
        Some(note) if found.mode != mode || found.hits.is_empty() => {
            bail!("{} search did not run: {note}", mode.as_str())
        }
        _ => Ok(found.hits),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading questions

struct Questions {
    selected: Vec<Question>,
    unanswerable: usize,
    unreadable: Vec<String>,
}

fn read_questions(files: &[PathBuf], split: QuestionSplit) -> anyhow::Result<Questions> {
    let mut out = Questions { selected: Vec::new(), unanswerable: 0, unreadable: Vec::new() };
    let mut ids = HashSet::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the question file {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let q: Question = match serde_json::from_str(line) {
                Ok(q) => q,
                Err(e) => {
                    out.unreadable.push(format!("{}:{}: {e}", path.display(), n + 1));
                    continue;
                }
            };
            if !ids.insert(q.id.clone()) {
                out.unreadable.push(format!("{}:{}: the id {} is used twice", path.display(), n + 1, q.id));
                continue;
            }
            if !split.admits(&q.split) {
                continue;
            }
            if !q.answerable {
                out.unanswerable += 1;
                continue;
            }
            if q.file.is_none() || (q.evidence.is_none() && q.answer.is_none() && q.page.is_none()) {
                out.unreadable.push(format!(
                    "{}:{}: answerable question {} needs a file and an evidence, answer or page",
                    path.display(),
                    n + 1,
                    q.id
                ));
                continue;
            }
            out.selected.push(q);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Matching

/// Lowercase with every run of whitespace (and control characters) collapsed to one space.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether normalised `needle` occurs in normalised `hay` with no letter or digit glued to
/// either end (so "ten" is not found in "written").
fn contains_words(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let glued = |c: Option<char>, edge: Option<char>| matches!((c, edge), (Some(c), Some(e)) if c.is_alphanumeric() && e.is_alphanumeric());
    let first = needle.chars().next();
    let last = needle.chars().next_back();
    hay.match_indices(needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        !glued(before, first) && !glued(after, last)
    })
}

/// A question's gold, normalised once.
struct Gold {
    /// Absolute path of the question's file, when it exists.
    path: Option<String>,
    /// The `file` field, relative to the documents folder.
    relative: PathBuf,
    page: Option<u32>,
    evidence: Option<String>,
    answer: Option<String>,
}

impl Gold {
    fn new(q: &Question, docs: &Path) -> Gold {
        let relative = PathBuf::from(q.file.as_deref().unwrap_or_default());
        let path = std::fs::canonicalize(docs.join(&relative)).ok().map(|p| p.to_string_lossy().into_owned());
        let is_pdf = relative.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
        Gold {
            path,
            relative,
            page: q.page.filter(|_| is_pdf),
            evidence: q.evidence.as_deref().map(normalize).filter(|e| !e.is_empty()),
            answer: q.answer.as_deref().map(normalize).filter(|a| !a.is_empty()),
        }
    }

    fn same_file(&self, path: &str) -> bool {
        match &self.path {
            Some(p) => p == path,
            None => Path::new(path).ends_with(&self.relative),
        }
    }

    /// Whether a hit is the answer passage.
    fn matches(&self, hit: &Hit) -> bool {
        if !self.same_file(&hit.path) {
            return false;
        }
        if self.page.is_some() && hit.location.page() == self.page {
            return true;
        }
        let text = normalize(&hit.text);
        self.evidence.as_deref().is_some_and(|e| text.contains(e))
            || self.answer.as_deref().is_some_and(|a| contains_words(&text, a))
    }
}

/// 1-based rank of the first answer passage among `hits`.
fn first_match(gold: &Gold, hits: &[Hit]) -> Option<usize> {
    hits.iter().position(|h| gold.matches(h)).map(|i| i + 1)
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Serialize, Debug, Clone, PartialEq)]
struct Scores {
    questions: usize,
    /// Share of questions whose first hit is an answer passage.
    recall_at_1: f64,
    /// Share with an answer passage among the top k.
    recall_at_k: f64,
    /// Mean reciprocal rank of the first answer passage within the top k (0 beyond).
    mrr: f64,
}

fn scores(ranks: &[Option<usize>]) -> Scores {
    let n = ranks.len();
    let share = |f: &dyn Fn(&Option<usize>) -> bool| {
        if n == 0 { 0.0 } else { ranks.iter().filter(|r| f(r)).count() as f64 / n as f64 }
    };
    Scores {
        questions: n,
        recall_at_1: share(&|r| *r == Some(1)),
        recall_at_k: share(&|r| r.is_some()),
        mrr: mean(ranks.iter().map(|r| r.map_or(0.0, |r| 1.0 / r as f64))),
    }
}

#[derive(Serialize, Debug)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

#[derive(Serialize, Debug)]
struct ModeReport {
    mode: &'static str,
    overall: Scores,
    /// By `wording`: `document` and `own`.
    by_wording: BTreeMap<String, Scores>,
    latency: Latency,
    /// Searches that failed (they count as misses).
    errors: Vec<String>,
}

#[derive(Serialize, Debug)]
struct RetrievalReport {
    docs: String,
    question_files: Vec<String>,
    split: &'static str,
    k: usize,
    /// The data directory searched, or null for a temporary one.
    data_dir: Option<String>,
    documents_indexed: usize,
    /// Files read by this run's ingest (the rest were unchanged in a reused library).
    documents_ingested_now: u64,
    documents_failed: usize,
    ingest_s: f64,
    /// Answerable questions of the split that were searched.
    questions: usize,
    /// Unanswerable questions of the split (not scored here).
    unanswerable_skipped: usize,
    unreadable_lines: Vec<String>,
    /// The embedding model semantic and hybrid search used, if any.
    embedding_model: Option<String>,
    /// Documents embedded by this run, and the time it took.
    documents_embedded_now: u64,
    embed_s: f64,
    /// Modes not measured, and why.
    note: Option<String>,
    /// Ids of questions whose file is not an indexed document of the library.
    file_not_indexed: Vec<String>,
    /// Ids of questions whose evidence is not in the library's text of their file.
    evidence_not_in_text: Vec<String>,
    modes: Vec<ModeReport>,
    /// Per question id, the rank of the first answer passage in each mode (null: not in top k).
    ranks: BTreeMap<String, BTreeMap<&'static str, Option<usize>>>,
    elapsed_s: f64,
}

// ---------------------------------------------------------------------------------------------
// The command

/// Runs `eval retrieval`. `data_dir` is the explicitly given data directory, if any; the
/// embedder is chosen by `embedder` as for every other command, its default model looked up
/// under `model_home` (the data directory in effect).
pub(crate) async fn run(
    args: RetrievalArgs,
    data_dir: Option<&Path>,
    embedder: &EmbedderArgs,
    model_home: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let k = args.k.max(1);
    if !args.docs.is_dir() {
        bail!("cannot use {} as the documents folder: it is not a folder", args.docs.display());
    }
    let questions = read_questions(&args.questions, args.split)?;
    if questions.selected.is_empty() {
        bail!(
            "no answerable questions of split {} in {}",
            args.split.name(),
            args.questions.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }

    // Kept alive until the end: dropping it deletes the temporary library.
    let temp = match data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("cannot create a temporary data directory")?),
    };
    let dir: PathBuf = match (data_dir, &temp) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("no data directory"),
    };
    if !json {
        eprintln!(
            "ingesting {} into {}",
            args.docs.display(),
            data_dir.map_or("a temporary library".into(), |d| d.display().to_string())
        );
    }
    let t0 = Instant::now();
    let lib = Library::open_write(&dir, LibraryOptions::default()).await?;
    let summary = lib
        .ingest(std::slice::from_ref(&args.docs), &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await?;
    let ingest_s = t0.elapsed().as_secs_f64();
    let documents = lib.documents().await?;
    let indexed: HashMap<&str, i64> =
        documents.iter().filter(|d| d.status == Status::Indexed).map(|d| (d.path.as_str(), d.id)).collect();
    if !json {
        eprintln!(
            "library: {} documents indexed ({} ingested now, {} unchanged, {} failed) in {:.1} s",
            indexed.len(),
            summary.ingested,
            summary.skipped,
            summary.failed.len(),
            ingest_s
        );
    }
    // Semantic modes need every document embedded first, as `catena ingest` leaves them.
    session::cli::configure(&lib, embedder, model_home).await;
    let t1 = Instant::now();
    let (embedded_now, embedding_model) = match crate::eval::embed_for_eval(&lib, json).await? {
        Ok((model, documents)) => (documents, Some(model)),
        Err(_) => (0, None),
    };
    let embed_s = t1.elapsed().as_secs_f64();
    let (modes, note) = available_modes(&lib).await?;
    if let Some(n) = &note
        && !json
    {
        eprintln!("{n}");
    }

    // Check the gold against the library's own text once per file.
    let golds: Vec<Gold> = questions.selected.iter().map(|q| Gold::new(q, &args.docs)).collect();
    let mut file_not_indexed = Vec::new();
    let mut evidence_not_in_text = Vec::new();
    let mut texts: HashMap<i64, String> = HashMap::new();
    for (q, g) in questions.selected.iter().zip(&golds) {
        let Some(id) = g.path.as_deref().and_then(|p| indexed.get(p)).copied() else {
            file_not_indexed.push(q.id.clone());
            continue;
        };
        let Some(evidence) = &g.evidence else { continue };
        let text = match texts.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(normalize(&lib.text(id).await?.unwrap_or_default()))
            }
        };
        if !text.contains(evidence.as_str()) {
            evidence_not_in_text.push(q.id.clone());
        }
    }

    let total = questions.selected.len();
    let mut ranks: BTreeMap<String, BTreeMap<&'static str, Option<usize>>> = BTreeMap::new();
    let mut reports = Vec::new();
    for mode in modes {
        let mut mode_ranks = Vec::with_capacity(total);
        let mut times = Vec::with_capacity(total);
        let mut errors = Vec::new();
        for (i, (q, g)) in questions.selected.iter().zip(&golds).enumerate() {
            let t = Instant::now();
            let result = search(&lib, &q.question, k, mode).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let rank = match result {
                Ok(hits) => first_match(g, &hits),
                Err(e) => {
                    errors.push(format!("{}: {e:#}", q.id));
                    None
                }
            };
            mode_ranks.push(rank);
            ranks.entry(q.id.clone()).or_default().insert(mode.as_str(), rank);
            if !json && (i + 1) % 50 == 0 {
                eprintln!("{}: searched {}/{total}", mode.as_str(), i + 1);
            }
        }
        let mut by: BTreeMap<String, Vec<Option<usize>>> = BTreeMap::new();
        for (q, r) in questions.selected.iter().zip(&mode_ranks) {
            by.entry(q.wording.clone()).or_default().push(*r);
        }
        let mean_ms = mean(times.iter().copied());
        times.sort_by(f64::total_cmp);
        reports.push(ModeReport {
            mode: mode.as_str(),
            overall: scores(&mode_ranks),
            by_wording: by.into_iter().map(|(w, r)| (w, scores(&r))).collect(),
            latency: Latency { p50_ms: quantile(&times, 0.5), p99_ms: quantile(&times, 0.99), mean_ms },
            errors,
        });
    }

    let report = RetrievalReport {
        docs: args.docs.display().to_string(),
        question_files: args.questions.iter().map(|p| p.display().to_string()).collect(),
        split: args.split.name(),
        k,
        data_dir: data_dir.map(|d| d.display().to_string()),
        documents_indexed: indexed.len(),
        documents_ingested_now: summary.ingested,
        documents_failed: documents.iter().filter(|d| d.status == Status::Failed).count(),
        ingest_s,
        questions: total,
        unanswerable_skipped: questions.unanswerable,
        unreadable_lines: questions.unreadable,
        embedding_model,
        documents_embedded_now: embedded_now,
        embed_s,
        note,
        file_not_indexed,
        evidence_not_in_text,
        modes: reports,
        ranks,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    if json {
        say(&serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &RetrievalReport) {
    say(&format!(
        "eval retrieval: {} (split {}), {} answerable questions ({} unanswerable left out), k = {}",
        r.question_files.join(", "),
        r.split,
        r.questions,
        r.unanswerable_skipped,
        r.k
    ));
    say(&format!(
        "library: {} documents indexed, {} failed, from {} ({:.1} s to ingest)",
        r.documents_indexed, r.documents_failed, r.docs, r.ingest_s
    ));
    if let Some(m) = &r.embedding_model {
        say(&format!(
            "embedding model: {m} ({} documents embedded now in {:.1} s)",
            r.documents_embedded_now, r.embed_s
        ));
    }
    if let Some(n) = &r.note {
        say(&format!("note: {n}"));
    }
    let at_k = format!("R@{}", r.k);
    let mrr = format!("MRR@{}", r.k);
    say(&format!(
        "{:<10} {:<10} {:>5} {:>7} {:>7} {:>7} {:>9} {:>9}",
        "mode", "wording", "n", "R@1", at_k, mrr, "p50 ms", "p99 ms"
    ));
    for m in &r.modes {
        let row = |wording: &str, s: &Scores, latency: bool| {
            let (p50, p99) = if latency {
                (format!("{:.2}", m.latency.p50_ms), format!("{:.2}", m.latency.p99_ms))
            } else {
                (String::new(), String::new())
            };
            format!(
                "{:<10} {:<10} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>9} {:>9}",
                m.mode, wording, s.questions, s.recall_at_1, s.recall_at_k, s.mrr, p50, p99
            )
        };
        say(&row("all", &m.overall, true));
        for (w, s) in &m.by_wording {
            say(&row(w, s, false));
        }
        for e in &m.errors {
            say(&format!("search error ({}): {e}", m.mode));
        }
    }
    if !r.file_not_indexed.is_empty() {
        say(&format!("file not indexed (counted as misses): {}", r.file_not_indexed.join(", ")));
    }
    if !r.evidence_not_in_text.is_empty() {
        say(&format!("evidence not in the library's text of the file: {}", r.evidence_not_in_text.join(", ")));
    }
    for u in &r.unreadable_lines {
        say(&format!("unreadable: {u}"));
    }
}

//! `catena-bench eval reader`: how often an answer without a model carries the fact asked for,
//! against the best-matching sentence of the top five search hits in the same run, and how often a
//! question the library cannot answer is answered "not in your library".
//!
//! Questions come from JSON Lines files (`eval/questions/*.jsonl`): `id`, `question`,
//! `answerable`, `file` (relative to the documents folder), `page`, `answer`, `aliases`,
//! `evidence`, `wording` (`document` or `own`), `kind` and `split` (`tune` or `heldout`).
//!
//! The documents folder is ingested through the real pipeline, into a fresh temporary data
//! directory or into `--data-dir` when one is given (so a library built before is reused: files
//! that did not change are skipped). Every selected question is then asked through the engine
//! exactly as `catena ask --no-llm` asks it (library, tables, no model, no web), and scored:
//! - **answer**: the run's short answer (`short_answer.text` of the record) or, when the run has
//!   none, the first sentence of its answer (its first line: one cited sentence per line),
//!   contains the answer or one of its aliases after normalisation (case, whitespace,
//!   punctuation, thousands separators, currency signs);
//! - **baseline**: the sentence of the top five `Library::search` hits that shares the most
//!   content words with the question, scored the same way;
//! - **refusals**: a record's `not_found` flag, for unanswerable questions (right) and answerable
//!   ones (wrong);
//! - **cited document**: a citation of the answer points at the question's file.
//!
//! Gold answers are read only by the scoring code. An unreadable line or a failed run counts as a
//! miss; nothing selected is skipped.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use engine::ports::Corpus;
use engine::{CancellationToken, Engine, EngineConfig, RunRecord};
use library::{CancelFlag, IngestOptions, Library, LibraryOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

use crate::eval::cancel_on_ctrl_c;
use crate::eval_retrieval::QuestionSplit;
use session::cli::{EmbedderArgs, say};

/// Hits whose sentences the baseline considers.
const BASELINE_HITS: usize = 5;

/// `catena-bench eval reader` arguments.
#[derive(Args, Debug)]
pub(crate) struct ReaderArgs {
    /// Folder of documents the questions' `file` paths are relative to.
    #[arg(long, value_name = "DIR")]
    docs: PathBuf,
    /// JSON Lines file of questions (repeat the flag for several files).
    #[arg(long = "questions", value_name = "FILE", required = true)]
    questions: Vec<PathBuf>,
    /// Questions of this split only.
    #[arg(long, value_enum, default_value_t = QuestionSplit::Tune)]
    split: QuestionSplit,
    /// Print every miss: the question, what was expected and what came back.
    #[arg(long)]
    show_failures: bool,
    /// References retrieved per chain node.
    #[arg(long, default_value_t = EngineConfig::default().top_k)]
    top_k: usize,
    /// Keep the embedding model's sentence similarities in this file and reuse them on the next
    /// run: reading the same passages again then costs no model time, so a change to the reader
    /// can be measured in a minute instead of several. Results are the same as without it.
    #[arg(long, value_name = "FILE")]
    similarity_cache: Option<PathBuf>,
}

/// The library as the engine's corpus, with its sentence similarities remembered by query and
/// sentences (see [`ReaderArgs::similarity_cache`]).
struct CachedCorpus {
    library: Arc<Library>,
    cache: std::sync::Mutex<BTreeMap<String, Vec<f32>>>,
}

impl CachedCorpus {
    fn load(library: Arc<Library>, path: Option<&Path>) -> CachedCorpus {
        let cache = path
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<BTreeMap<String, Vec<f32>>>(&bytes).ok())
            .unwrap_or_default();
        CachedCorpus { library, cache: std::sync::Mutex::new(cache) }
    }

    fn save(&self, path: &Path) -> anyhow::Result<()> {
        let cache = self.cache.lock().map_err(|_| anyhow::anyhow!("similarity cache poisoned"))?;
        std::fs::write(path, serde_json::to_vec(&*cache)?).with_context(|| format!("cannot write {}", path.display()))
    }

    fn key(query: &str, texts: &[String]) -> String {
        let mut key = String::from(query);
        for t in texts {
            key.push('\u{1e}');
            key.push_str(t);
        }
        key
    }
}

#[async_trait::async_trait]
impl Corpus for CachedCorpus {
    async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<engine::ports::Passage>, engine::ports::CorpusError> {
        Corpus::search(self.library.as_ref(), query, limit).await
    }

    async fn similarities(&self, query: &str, texts: &[String]) -> Option<Vec<f32>> {
        let key = Self::key(query, texts);
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Some(hit);
        }
        let sims = Corpus::similarities(self.library.as_ref(), query, texts).await?;
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, sims.clone());
        }
        Some(sims)
    }
}

/// One line of a question file.
#[derive(Deserialize, Debug, Clone)]
struct Question {
    id: String,
    question: String,
    answerable: bool,
    file: Option<String>,
    answer: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    wording: String,
}

/// One selected line: a question, or why it could not be read.
enum Entry {
    Good(Box<Question>),
    Bad { at: String, error: String },
}

/// Reads the selected lines of every file, in order. Lines of other splits are left out; a line
/// that is not a question (or repeats an id) is kept as [`Entry::Bad`].
fn read_questions(paths: &[PathBuf], split: QuestionSplit) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut ids = HashSet::new();
    for path in paths {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            let at = format!("{}:{}", path.display(), i + 1);
            let Ok(text) = std::str::from_utf8(&line) else {
                entries.push(Entry::Bad { at, error: "not UTF-8".into() });
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            let value: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    entries.push(Entry::Bad { at, error: format!("not JSON: {e}") });
                    continue;
                }
            };
            // A line whose split cannot be read is kept, to be counted as an error.
            if value.get("split").and_then(Value::as_str).is_some_and(|x| !split.admits(x)) {
                continue;
            }
            let q: Question = match serde_json::from_value(value) {
                Ok(q) => q,
                Err(e) => {
                    entries.push(Entry::Bad { at, error: format!("not a question: {e}") });
                    continue;
                }
            };
            if q.answerable && (q.answer.as_deref().is_none_or(|a| a.trim().is_empty()) || q.file.is_none()) {
                entries.push(Entry::Bad {
                    at,
                    error: format!("{}: an answerable question needs `answer` and `file`", q.id),
                });
                continue;
            }
            if !ids.insert(q.id.clone()) {
                entries.push(Entry::Bad { at, error: format!("the id {} is used twice", q.id) });
                continue;
            }
            entries.push(Entry::Good(Box::new(q)));
        }
    }
    Ok(entries)
}

// ---------------------------------------------------------------------------------------------
// Scoring

/// Answer text as compared: lowercase, `[n]` markers and thousands separators removed, every
/// other non-alphanumeric character (currency signs included, so `$618` is the word `618`, even
/// glued to a stray character as in `Â£300`) a space except a decimal point, whitespace
/// collapsed, padded with one space on each side so that containment respects word boundaries.
pub(crate) fn normalize(s: &str) -> String {
    let s = engine::strip_markers(s);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            && chars.get(i + 2).is_some_and(char::is_ascii_digit)
            && chars.get(i + 3).is_some_and(char::is_ascii_digit)
            && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
        if matches!(c, ',' | '\u{a0}' | '\u{202f}' | '\'') && between_digits {
            // A thousands separator: 1,000 / 1 000 / 1'000.
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if c == '.'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            // A decimal point stays: 15.3 is not 15 3.
            out.push('.');
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
        i += 1;
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Whether `text` contains the answer or one of its aliases, as normalised words.
pub(crate) fn contains_answer(text: &str, golds: &[&str]) -> bool {
    let hay = normalize(text);
    golds.iter().map(|g| normalize(g)).any(|g| !g.trim().is_empty() && hay.contains(&g))
}

/// Function words that say nothing about which sentence answers a question.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
    "before", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "during", "each", "for",
    "from", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "just", "many", "may", "me", "might", "more", "most", "much", "must", "my", "no", "nor", "not",
    "of", "on", "or", "other", "our", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "up", "very", "was", "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose",
    "why", "will", "with", "would", "you", "your",
];

/// Lowercase content words of `s`: alphanumeric runs that are not stop words.
fn content_words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// Sentences of `text` (Unicode sentence boundaries), trimmed, empty ones dropped.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.unicode_sentences().map(str::trim).filter(|s| !s.is_empty())
}

/// The baseline's pick: of all sentences of `passages` (in rank order), the first one sharing
/// the most content words with `question`; `None` when none shares any.
pub(crate) fn best_sentence<'a>(question: &str, passages: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let asked = content_words(question);
    let mut best: Option<(usize, &str)> = None;
    for passage in passages {
        for s in sentences(passage) {
            let shared = content_words(s).intersection(&asked).count();
            if shared > 0 && best.is_none_or(|(n, _)| shared > n) {
                best = Some((shared, s));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// What the run offers as its answer: the short answer when it has one, otherwise the first
/// sentence of the answer text: its first line, since the answer without a model puts one
/// cited sentence on each line (Unicode sentence rules would cut "O. Sanni, A.P.I. Popoola /
/// Data in Brief …" after "O."). Read from the record's JSON so that a record without a short
/// answer (or one written before the field existed) is read the same way.
fn offered(run: &RunRecord) -> (Option<String>, String) {
    let value = serde_json::to_value(run).unwrap_or(Value::Null);
    let short = value
        .pointer("/short_answer/text")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let first = run.answer.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_string();
    (short, first)
}

/// The record's `not_found` flag (false when the record has none).
fn refused(run: &RunRecord) -> bool {
    serde_json::to_value(run).ok().and_then(|v| v.get("not_found").and_then(Value::as_bool)).unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// Report

/// One question's outcome.
struct Outcome {
    id: String,
    question: String,
    answerable: bool,
    wording: String,
    expected: String,
    /// The engine ran and produced a record.
    ran: bool,
    got: String,
    had_short_answer: bool,
    answer_hit: bool,
    baseline: String,
    baseline_hit: bool,
    refused: bool,
    cited_file: bool,
    /// The whole answer text contains the gold answer.
    text_hit: bool,
    /// Some evidence text contains it.
    evidence_hit: bool,
    /// The first sentence of the answer text.
    sentence: String,
    /// The whole answer text.
    answer: String,
}

/// Figures over a group of answerable questions.
#[derive(Serialize, Default, Debug)]
struct AnswerableGroup {
    questions: usize,
    /// Questions whose offered answer contains the gold answer.
    answer_hits: usize,
    answer_share: f64,
    /// Questions whose baseline sentence contains it.
    baseline_hits: usize,
    baseline_share: f64,
    /// `answer_share` minus `baseline_share`, in percentage points.
    gain_points: f64,
    /// Questions answered "not in your library".
    wrongly_refused: usize,
    wrongly_refused_share: f64,
    /// Questions where a citation points at the question's file.
    cited_document: usize,
    cited_document_share: f64,
    /// Runs that offered a short answer.
    short_answers: usize,
    /// Of those, short answers that contain the gold answer.
    short_answers_right: usize,
    /// Runs whose answer text contains the gold answer anywhere (the reader's sentences, not
    /// only the first), for seeing where a right passage met a wrong short answer.
    answer_text_hits: usize,
    /// Runs whose gathered evidence holds the gold answer somewhere: what a reader could find.
    evidence_hits: usize,
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

fn answerable_group(outcomes: &[&Outcome]) -> AnswerableGroup {
    let n = outcomes.len();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let answer_hits = count(&|o| o.answer_hit);
    let baseline_hits = count(&|o| o.baseline_hit);
    let wrongly_refused = count(&|o| o.refused);
    let cited_document = count(&|o| o.cited_file);
    AnswerableGroup {
        questions: n,
        answer_hits,
        answer_share: share(answer_hits, n),
        baseline_hits,
        baseline_share: share(baseline_hits, n),
        gain_points: 100.0 * (share(answer_hits, n) - share(baseline_hits, n)),
        wrongly_refused,
        wrongly_refused_share: share(wrongly_refused, n),
        cited_document,
        cited_document_share: share(cited_document, n),
        short_answers: count(&|o| o.had_short_answer),
        short_answers_right: count(&|o| o.had_short_answer && o.answer_hit),
        answer_text_hits: count(&|o| o.text_hit),
        evidence_hits: count(&|o| o.evidence_hit),
    }
}

/// Figures over the unanswerable questions.
#[derive(Serialize, Default, Debug)]
struct UnanswerableGroup {
    questions: usize,
    /// Answered "not in your library".
    refused: usize,
    refused_share: f64,
}

/// One miss, for `--show-failures`.
#[derive(Serialize, Debug)]
struct Failure {
    id: String,
    question: String,
    wording: String,
    /// What a right answer contains (`not in your library` for unanswerable questions).
    expected: String,
    /// What the run offered (`not in your library` when it refused).
    got: String,
    /// The baseline's sentence.
    baseline: String,
    /// The first sentence of the run's answer text.
    sentence: String,
    /// The whole answer text.
    answer: String,
}

#[derive(Serialize, Debug)]
struct ReaderReport {
    docs: String,
    question_files: Vec<String>,
    split: &'static str,
    /// The data directory used, or `null` for a temporary one.
    data_dir: Option<String>,
    /// How the library was searched: `hybrid (model)` or `keywords only (why)`.
    search: String,
    /// Selected lines, unreadable ones included.
    questions: usize,
    unreadable_lines: Vec<String>,
    engine_errors: Vec<String>,
    files_ingested: u64,
    files_unchanged: u64,
    files_failed: Vec<String>,
    answerable: AnswerableGroup,
    /// The answerable figures by `wording` (`document`, `own`).
    by_wording: BTreeMap<String, AnswerableGroup>,
    unanswerable: UnanswerableGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<Vec<Failure>>,
    interrupted: bool,
    elapsed_s: f64,
}

const NOT_FOUND: &str = "not in your library";

/// `catena-bench eval reader`. `data_dir`: the library to ingest into and reuse; a temporary
/// one when `None`.
pub(crate) async fn run(
    args: ReaderArgs,
    data_dir: Option<&Path>,
    embedder: &EmbedderArgs,
    model_home: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let entries = read_questions(&args.questions, args.split)?;
    if entries.is_empty() {
        bail!("no questions of split {} in the question files", args.split.name());
    }
    if !args.docs.is_dir() {
        bail!("the documents folder {} does not exist or is not a folder", args.docs.display());
    }

    // The library: the given data directory, or a temporary one removed at the end.
    let temporary;
    let dir = match data_dir {
        Some(d) => d.to_path_buf(),
        None => {
            temporary = tempfile::tempdir().context("cannot create a temporary data directory")?;
            temporary.path().to_path_buf()
        }
    };
    let library = Library::open_write(&dir, LibraryOptions::default()).await?;
    eprintln!("ingesting {} …", args.docs.display());
    let ingest_cancel = CancelFlag::default();
    let summary = library
        .ingest(std::slice::from_ref(&args.docs), &IngestOptions::default(), &|_| {}, &ingest_cancel)
        .await
        .with_context(|| format!("cannot ingest {}", args.docs.display()))?;
    // Searches are hybrid as in `catena ask` when the embedding model is at hand.
    session::cli::configure(&library, embedder, model_home).await;
    let search = match crate::eval::embed_for_eval(&library, json).await? {
        Ok((model, _)) => format!("hybrid ({model})"),
        Err(reason) => format!("keywords only ({reason})"),
    };
    if !json {
        eprintln!("search: {search}");
    }
    let library = Arc::new(library);

    // The engine as `catena ask --no-llm` composes it (no model, no web), reading the library
    // through the similarity cache.
    let cancel = CancellationToken::new();
    cancel_on_ctrl_c(cancel.clone());
    let overrides = session::Overrides { no_llm: true, top_k: Some(args.top_k.max(1)), ..Default::default() };
    let mut run = crate::eval::compose(library.clone(), &overrides, &session::keys::NoKeys, &cancel)?;
    let corpus = Arc::new(CachedCorpus::load(library.clone(), args.similarity_cache.as_deref()));
    run.ports.corpus = corpus.clone();
    let engine = Engine::new(run.config, run.ports);

    let mut outcomes = Vec::new();
    let mut unreadable = Vec::new();
    let mut engine_errors = Vec::new();
    let mut interrupted = false;
    let total = entries.len();
    for (i, entry) in entries.iter().enumerate() {
        if cancel.is_cancelled() {
            interrupted = true;
            break;
        }
        let q = match entry {
            Entry::Good(q) => q,
            Entry::Bad { at, error } => {
                unreadable.push(format!("{at}: {error}"));
                continue;
            }
        };
        let mut golds: Vec<&str> = q.answer.as_deref().into_iter().collect();
        golds.extend(q.aliases.iter().map(String::as_str));
        let hits = library.search(&q.question, BASELINE_HITS).await.unwrap_or_default();
        let baseline = best_sentence(&q.question, hits.iter().map(|h| h.text.as_str())).unwrap_or_default();
        let mut outcome = Outcome {
            id: q.id.clone(),
            question: q.question.clone(),
            answerable: q.answerable,
            wording: q.wording.clone(),
            expected: if q.answerable { golds.join(" | ") } else { NOT_FOUND.into() },
            ran: false,
            got: String::new(),
            had_short_answer: false,
            answer_hit: false,
            baseline: baseline.to_string(),
            baseline_hit: q.answerable && contains_answer(baseline, &golds),
            refused: false,
            cited_file: false,
            text_hit: false,
            evidence_hit: false,
            sentence: String::new(),
            answer: String::new(),
        };
        // A dropped receiver is fine: nobody watches progress events here.
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        drop(rx);
        match engine.ask(&q.question, &tx, &cancel).await {
            Ok(run) => {
                let (short, first) = offered(&run);
                outcome.sentence = first.clone();
                outcome.answer = run.answer.clone();
                outcome.ran = true;
                outcome.refused = refused(&run);
                outcome.had_short_answer = short.is_some();
                outcome.got = if outcome.refused { NOT_FOUND.into() } else { short.unwrap_or(first) };
                outcome.answer_hit = q.answerable && !outcome.refused && contains_answer(&outcome.got, &golds);
                outcome.cited_file = q.file.as_deref().is_some_and(|f| cites(&run, f));
                outcome.text_hit = q.answerable && !outcome.refused && contains_answer(&run.answer, &golds);
                outcome.evidence_hit = q.answerable && run.evidence.iter().any(|e| contains_answer(&e.text, &golds));
            }
            Err(engine::EngineError::Cancelled) => {
                interrupted = true;
                break;
            }
            Err(e) => engine_errors.push(format!("{}: {e}", q.id)),
        }
        outcomes.push(outcome);
        if !json && (i + 1) % 20 == 0 {
            eprintln!("asked {}/{total}", i + 1);
        }
    }

    let answerable: Vec<&Outcome> = outcomes.iter().filter(|o| o.answerable).collect();
    let mut wordings: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for o in &answerable {
        wordings.entry(o.wording.clone()).or_default().push(o);
    }
    let unanswerable: Vec<&Outcome> = outcomes.iter().filter(|o| !o.answerable).collect();
    let refused_right = unanswerable.iter().filter(|o| o.refused).count();
    if let Some(path) = &args.similarity_cache {
        corpus.save(path)?;
    }
    let failures = args.show_failures.then(|| {
        outcomes
            .iter()
            .filter(|o| if o.answerable { !o.answer_hit } else { !o.refused })
            .map(|o| Failure {
                id: o.id.clone(),
                question: o.question.clone(),
                wording: o.wording.clone(),
                expected: o.expected.clone(),
                got: if o.ran { o.got.clone() } else { "(the run failed)".into() },
                baseline: o.baseline.clone(),
                sentence: o.sentence.clone(),
                answer: o.answer.clone(),
            })
            .collect::<Vec<_>>()
    });
    let report = ReaderReport {
        docs: args.docs.display().to_string(),
        question_files: args.questions.iter().map(|p| p.display().to_string()).collect(),
        split: args.split.name(),
        data_dir: data_dir.map(|d| d.display().to_string()),
        search,
        questions: total,
        unreadable_lines: unreadable,
        engine_errors,
        files_ingested: summary.ingested,
        files_unchanged: summary.skipped,
        files_failed: summary.failed.iter().map(|(p, e)| format!("{p}: {e}")).collect(),
        answerable: answerable_group(&answerable),
        by_wording: wordings.into_iter().map(|(k, v)| (k, answerable_group(&v))).collect(),
        unanswerable: UnanswerableGroup {
            questions: unanswerable.len(),
            refused: refused_right,
            refused_share: share(refused_right, unanswerable.len()),
        },
        failures,
        interrupted,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    if json {
        say(&serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Whether a citation of the run points at `file` (relative to the documents folder).
fn cites(run: &RunRecord, file: &str) -> bool {
    let file = Path::new(file);
    run.citations
        .iter()
        .filter_map(|c| run.evidence.iter().find(|e| e.id == c.evidence_id))
        .filter_map(|e| e.path.as_deref())
        .any(|p| Path::new(p).ends_with(file))
}

fn print_report(r: &ReaderReport) {
    say(&format!(
        "eval reader: {} questions (split {}) over {}; {} files ingested, {} unchanged, {} failed; {} unreadable lines, {} engine errors",
        r.questions,
        r.split,
        r.docs,
        r.files_ingested,
        r.files_unchanged,
        r.files_failed.len(),
        r.unreadable_lines.len(),
        r.engine_errors.len()
    ));
    say(&format!("search: {}", r.search));
    say(&format!(
        "{:<12} {:>5} {:>16} {:>16} {:>8} {:>16} {:>16} {:>13} {:>10} {:>11}",
        "answerable",
        "n",
        "answer",
        "baseline",
        "gain",
        "cited document",
        "wrongly refused",
        "short (right)",
        "in text",
        "in evidence"
    ));
    let row = |name: &str, g: &AnswerableGroup| {
        say(&format!(
            "{:<12} {:>5} {:>16} {:>16} {:>+8.1} {:>16} {:>16} {:>13} {:>10} {:>11}",
            name,
            g.questions,
            format!("{} ({:.3})", g.answer_hits, g.answer_share),
            format!("{} ({:.3})", g.baseline_hits, g.baseline_share),
            g.gain_points,
            format!("{} ({:.3})", g.cited_document, g.cited_document_share),
            format!("{} ({:.3})", g.wrongly_refused, g.wrongly_refused_share),
            format!("{} ({})", g.short_answers, g.short_answers_right),
            g.answer_text_hits,
            g.evidence_hits
        ));
    };
    row("all", &r.answerable);
    for (k, g) in &r.by_wording {
        row(k, g);
    }
    say(&format!(
        "unanswerable {:>5}   answered \"not in your library\": {} ({:.3})",
        r.unanswerable.questions, r.unanswerable.refused, r.unanswerable.refused_share
    ));
    for f in r.failures.iter().flatten() {
        say(&format!("miss {} [{}] {}", f.id, f.wording, f.question));
        say(&format!("    expected: {}", f.expected));
        say(&format!("    got:      {}", f.got));
        say(&format!("    sentence: {}", f.sentence));
        say(&format!("    baseline: {}", f.baseline));
    }
    for u in &r.unreadable_lines {
        say(&format!("unreadable: {u}"));
    }
    for e in &r.engine_errors {
        say(&format!("engine error: {e}"));
    }
    if r.interrupted {
        say("interrupted: the figures cover the questions asked before Ctrl-C");
    }
}

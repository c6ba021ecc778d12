//! `catena-bench eval multihop FILE` and `catena-bench eval mrfs FILE`: measurements on
//! multi-hop QA records (JSON Lines in the `shared/data/multihop` schema: `question`, `answer`, `context` as
//! `[[title, [sentence, …]], …]`, `supporting_titles`, MuSiQue's `supporting_paragraph_idx`,
//! `split`).
//!
//! `multihop` builds one fresh library in a temporary data directory (never the user's) from the
//! context paragraphs of every selected record, through the real ingestion pipeline and the real
//! tantivy index, asks every question with the engine, and scores:
//! - the answer: SQuAD exact match and F1 of the answer text with its `[n]` markers stripped
//!   (lowercase, ASCII punctuation and the articles a/an/the removed), best over the gold answer
//!   and its aliases, with HotpotQA's rule that yes/no/noanswer only match themselves. In
//!   extractive mode the answer is evidence sentences, so EM is near zero by construction and F1
//!   measures how much of the gold answer the cited sentences carry;
//! - the evidence: whether the paragraphs the answer **cites** include every supporting paragraph
//!   (compared by title; MuSiQue's gold is `supporting_paragraph_idx` mapped to titles), against
//!   one-shot BM25 with the whole question on the same index at k = 2, k = 3 and k = the median
//!   number of distinct paragraphs the engine cited (the same paragraph budget; the headline
//!   baseline);
//! - the cost: LLM calls, tokens, port actions and wall time per question (mean, p50, p95).
//!
//! Gold answers and gold titles are read only by the scoring code, never by the inference path.
//! Every selected line counts: an unreadable line or a failed run scores as a wrong answer with
//! no evidence; nothing is skipped.
//!
//! `mrfs` scores, for each record with a non-yes/no answer, the gold answer (a positive) and a
//! wrong answer of the same type (the answer of the next record of the same question type and
//! answer shape, as `crates/engine/examples/calibrate_mrfs.rs` pairs them) against the record's
//! supporting paragraphs, with our MRFS and with the released formula, and reports AUROC and the
//! accuracy at each formula's own threshold.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use engine::{CancellationToken, Engine, EngineConfig, Mode, RunRecord, mrfs};
use library::{CancelFlag, IngestOptions, Library, LibraryOptions, SemanticStatus};
use serde::Serialize;
use serde_json::Value;
use session::cli::{AskModeArg, EmbedderArgs, ProtocolArg, say};

/// What to measure.
#[derive(Subcommand, Debug)]
pub(crate) enum EvalCommand {
    /// Answer quality, evidence recall against BM25, and cost on multi-hop QA records.
    Multihop(MultihopArgs),
    /// How well MRFS separates a correct guess from a wrong one (ours against the released
    /// formula).
    Mrfs(MrfsArgs),
    /// Accuracy of the data-analysis action on table QA records (WikiTableQuestions, TAT-QA),
    /// against a baseline in the same run.
    Tableqa(crate::eval_tableqa::TableqaArgs),
    /// Whether answers without a model carry the fact asked for, against the best-matching
    /// sentence of the top five hits, and whether unanswerable questions are refused.
    Reader(crate::eval_reader::ReaderArgs),
    /// Whether search finds the answer passage (recall@1, recall@k, MRR, latency) in each
    /// search mode, for questions in the document's words and in a reader's own words.
    Retrieval(crate::eval_retrieval::RetrievalArgs),
}

/// Which records of the file to use.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Split {
    /// `split: dev` (held out: report, never tune).
    Dev,
    /// `split: train`.
    Train,
    /// Every record.
    All,
}

impl Split {
    fn name(self) -> &'static str {
        match self {
            Split::Dev => "dev",
            Split::Train => "train",
            Split::All => "all",
        }
    }

    fn admits(self, split: Option<&str>) -> bool {
        match (self, split) {
            (Split::All, _) => true,
            // A line whose split cannot be read is kept: it is counted as an error rather than
            // silently dropped.
            (_, None) => true,
            (s, Some(x)) => s.name() == x,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct MultihopArgs {
    /// JSON Lines file of records.
    file: PathBuf,
    /// Records of this split only.
    #[arg(long, value_enum, default_value_t = Split::Dev)]
    split: Split,
    /// The first N selected lines only (the index is built from these records alone).
    #[arg(long)]
    limit: Option<usize>,
    /// Extractive mode (the default when no --llm-url is given).
    #[arg(long, conflicts_with = "llm_url")]
    no_llm: bool,
    /// Base URL of an OpenAI-compatible server (e.g. http://localhost:11434/v1); the API key, if
    /// one is needed, is read from CATENA_LLM_API_KEY, else the keyring (`catena key set`).
    #[arg(long, requires = "model")]
    llm_url: Option<String>,
    /// Model name on that server.
    #[arg(long, requires = "llm_url")]
    model: Option<String>,
    /// References retrieved per chain node.
    #[arg(long, default_value_t = EngineConfig::default().top_k)]
    top_k: usize,
    /// How the knowledge base is searched: keywords only, hybrid (keywords and the embedding
    /// model, as `catena ask` does by default), or both, one after the other in this run.
    #[arg(long, value_enum, default_value_t = SearchChoice::Lexical)]
    search: SearchChoice,
    /// chain (Chain-of-Action) or agent (AutoCoA: the model searches from inside its thinking;
    /// needs --llm-url and --model).
    #[arg(long, value_enum, default_value_t = AskModeArg::Chain)]
    mode: AskModeArg,
    /// Agent mode: tags, tools (native tool calls) or auto (by model, as `catena ask` does).
    #[arg(long, value_enum, default_value_t = ProtocolArg::Auto)]
    agent_protocol: ProtocolArg,
}

/// `eval multihop --search`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SearchChoice {
    /// Keywords (BM25) only.
    Lexical,
    /// Keywords and vectors, fused.
    Hybrid,
    /// Lexical, then hybrid, over the same paragraphs; reports both and the difference.
    Both,
}

#[derive(Args, Debug)]
pub(crate) struct MrfsArgs {
    /// JSON Lines file of records.
    file: PathBuf,
    /// Records of this split only.
    #[arg(long, value_enum, default_value_t = Split::Dev)]
    split: Split,
    /// The first N selected lines only.
    #[arg(long)]
    limit: Option<usize>,
}

pub(crate) async fn run(cmd: EvalCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Multihop(a) => {
            let keywords_only = EmbedderArgs::keywords_only();
            multihop(a, &keywords_only, &std::env::temp_dir(), json).await
        }
        EvalCommand::Mrfs(a) => mrfs_eval(&a, json),
        EvalCommand::Tableqa(a) => crate::eval_tableqa::run(a, json).await,
        EvalCommand::Reader(a) => {
            let keywords_only = EmbedderArgs::keywords_only();
            crate::eval_reader::run(a, None, &keywords_only, &std::env::temp_dir(), json).await
        }
        // `main` runs it with the data directory and embedder options; reached otherwise, it
        // measures keyword search in a temporary library.
        EvalCommand::Retrieval(a) => {
            let keywords_only = EmbedderArgs::keywords_only();
            crate::eval_retrieval::run(a, None, &keywords_only, &std::env::temp_dir(), json).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records

#[derive(serde::Deserialize)]
struct Record {
    question: String,
    answer: String,
    #[serde(default)]
    answer_aliases: Vec<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    context: Vec<(String, Vec<String>)>,
    #[serde(default)]
    supporting_titles: Vec<String>,
    #[serde(default)]
    supporting_paragraph_idx: Option<Vec<usize>>,
}

impl Record {
    /// Paragraph text as a reader sees it. Sentences are trimmed and joined with one space:
    /// HotpotQA's original sentences carry their leading space, the `reconstructed` ones do not,
    /// and plain concatenation would glue the latter's words together.
    fn paragraph(sentences: &[String]) -> String {
        sentences.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }

    /// Gold titles: MuSiQue's paragraph indices when present (its titles repeat, its indices do
    /// not), the supporting titles otherwise. Deduplicated.
    fn gold_titles(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.supporting_paragraph_idx {
            Some(idx) if !idx.is_empty() => {
                idx.iter().filter_map(|&i| self.context.get(i)).map(|(t, _)| t.clone()).collect()
            }
            _ => self.supporting_titles.clone(),
        };
        let mut seen = HashSet::new();
        out.retain(|t| seen.insert(t.clone()));
        out
    }

    /// The supporting paragraphs as `title. text`, for MRFS references.
    fn supporting_paragraphs(&self) -> Vec<String> {
        let chosen: Vec<&(String, Vec<String>)> = match &self.supporting_paragraph_idx {
            Some(idx) if !idx.is_empty() => idx.iter().filter_map(|&i| self.context.get(i)).collect(),
            _ => self.context.iter().filter(|(t, _)| self.supporting_titles.contains(t)).collect(),
        };
        chosen.iter().map(|(t, s)| format!("{t}. {}", Record::paragraph(s))).collect()
    }
}

/// One selected line: a record, or why it could not be read.
enum Entry {
    Good(Box<Record>),
    Bad { line: usize, error: String },
}

/// Reads the selected lines of a JSONL file. Lines of other splits are left out; a line that is
/// not JSON, not UTF-8, or not a record is kept as [`Entry::Bad`] (its split is unknown, so it
/// counts against every split it might belong to).
fn read_entries(path: &Path, split: Split, limit: Option<usize>) -> anyhow::Result<Vec<Entry>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut entries = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        if limit.is_some_and(|l| entries.len() >= l) {
            break;
        }
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let Ok(text) = std::str::from_utf8(&buf) else {
            entries.push(Entry::Bad { line: line_no, error: "not UTF-8".into() });
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                entries.push(Entry::Bad { line: line_no, error: format!("not JSON: {e}") });
                continue;
            }
        };
        if !split.admits(value.get("split").and_then(Value::as_str)) {
            continue;
        }
        match serde_json::from_value::<Record>(value) {
            Ok(r) => entries.push(Entry::Good(Box::new(r))),
            Err(e) => entries.push(Entry::Bad { line: line_no, error: format!("not a record: {e}") }),
        }
    }
    Ok(entries)
}

// ---------------------------------------------------------------------------------------------
// Shared with `eval reader` and `bench-llm`

/// The run `catena ask` composes over `lib` (`session::prepare`) from the default settings with
/// `overrides`: the product's engine configuration, ports and model client, not a copy of them.
pub(crate) fn compose(
    lib: Arc<Library>,
    overrides: &session::Overrides,
    keys: &dyn secrets::SecretStore,
    cancel: &CancellationToken,
) -> anyhow::Result<session::Run> {
    let settings = session::Settings::default().with_overrides(overrides)?;
    let run = session::prepare(lib, settings, false, keys, cancel)?;
    for n in &run.notes {
        eprintln!("warning: {n}");
    }
    Ok(run)
}

/// A library of small Markdown documents in a fresh temporary data directory, built through the
/// real ingestion pipeline. Document `i` is the file `p{i:07}.md` ("# title\n\ntext"), so a hit
/// maps back to its document by file name whatever Markdown does to the title.
pub(crate) struct TempLibrary {
    pub(crate) library: Arc<Library>,
    /// Files that failed to ingest (should be 0).
    pub(crate) failed: usize,
    pub(crate) build: Duration,
    // Kept for their lifetime: dropping them deletes the files.
    _docs: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl TempLibrary {
    pub(crate) async fn build(docs: &[(String, String)]) -> anyhow::Result<TempLibrary> {
        let started = Instant::now();
        let folder = tempfile::tempdir().context("cannot create a temporary folder")?;
        let data = tempfile::tempdir().context("cannot create a temporary data directory")?;
        for (i, (title, text)) in docs.iter().enumerate() {
            // A title is one line; a newline in it would end the heading early.
            let title = title.replace(['\n', '\r'], " ");
            std::fs::write(folder.path().join(format!("p{i:07}.md")), format!("# {title}\n\n{text}\n"))
                .context("cannot write a paragraph file")?;
        }
        let library = Library::open_write(data.path(), LibraryOptions::default()).await?;
        let summary = library
            .ingest(&[folder.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
            .await?;
        Ok(TempLibrary {
            library: Arc::new(library),
            failed: summary.failed.len(),
            build: started.elapsed(),
            _docs: folder,
            _data: data,
        })
    }

    /// The document index of a hit's or an evidence record's path.
    pub(crate) fn doc_of(path: &str) -> Option<usize> {
        let name = Path::new(path).file_stem()?.to_str()?;
        name.strip_prefix('p')?.parse().ok()
    }
}

/// Cancels `token` on Ctrl-C, so a long evaluation can stop and still report what it measured.
pub(crate) fn cancel_on_ctrl_c(token: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: reporting the questions finished so far");
            token.cancel();
        }
    });
}

/// Embeds every document not embedded yet, printing progress on stderr unless `quiet`: the
/// evaluations ask questions only once the library is as `catena ingest` leaves it. Returns the
/// model in use and the documents embedded now, or why semantic search is off.
pub(crate) async fn embed_for_eval(lib: &Library, quiet: bool) -> anyhow::Result<Result<(String, u64), String>> {
    let model = match lib.semantic_status().await? {
        SemanticStatus::Off { reason } => return Ok(Err(reason)),
        SemanticStatus::On { model, .. } => model,
    };
    let cancel = CancelFlag::default();
    let last = std::sync::Mutex::new(0u64);
    let progress = |p: &library::EmbedProgress| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if !quiet && p.documents_done != *last {
            *last = p.documents_done;
            eprintln!("embedded {}/{} documents ({} chunks)", p.documents_done, p.documents_total, p.chunks_done);
        }
    };
    let summary = lib.embed_pending(&progress, &cancel).await?;
    if let Some(e) = &summary.error {
        eprintln!("embedding stopped: {e}");
    }
    Ok(Ok((model.to_string(), summary.documents)))
}

/// The value at quantile `q` of sorted `v` (nearest rank); 0 for an empty slice.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub(crate) fn mean(v: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = v.into_iter().fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

// ---------------------------------------------------------------------------------------------
// Answer scoring (SQuAD / HotpotQA)

/// SQuAD's `normalize_answer`: lowercase, drop ASCII punctuation, drop the articles, collapse
/// whitespace; returned as tokens.
fn normalize(s: &str) -> Vec<String> {
    let lowered: String = s.to_lowercase().chars().filter(|c| !c.is_ascii_punctuation()).collect();
    lowered.split_whitespace().filter(|w| !matches!(*w, "a" | "an" | "the")).map(str::to_string).collect()
}

/// (EM, F1) of a prediction against one gold answer, with HotpotQA's rule that yes, no and
/// noanswer only ever match themselves.
fn em_f1_one(pred: &str, gold: &str) -> (f64, f64) {
    let p = normalize(pred);
    let g = normalize(gold);
    let em = if p == g { 1.0 } else { 0.0 };
    let special = |t: &[String]| t.len() == 1 && matches!(t[0].as_str(), "yes" | "no" | "noanswer");
    if (special(&p) || special(&g)) && p != g {
        return (em, 0.0);
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &g {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let mut common = 0i64;
    for t in &p {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            common += 1;
        }
    }
    if common == 0 {
        return (em, 0.0);
    }
    let precision = common as f64 / p.len() as f64;
    let recall = common as f64 / g.len() as f64;
    (em, 2.0 * precision * recall / (precision + recall))
}

/// Best (EM, F1) over the gold answer and its aliases.
fn em_f1(pred: &str, golds: &[&str]) -> (f64, f64) {
    let pred = engine::strip_markers(pred);
    golds.iter().map(|g| em_f1_one(&pred, g)).fold((0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
}

// ---------------------------------------------------------------------------------------------
// eval multihop

/// One question's outcome.
struct Outcome {
    kind: String,
    question: Option<String>,
    gold: Vec<String>,
    /// Whether the run produced a record (false: unreadable line or engine error).
    ok: bool,
    em: f64,
    f1: f64,
    /// Titles of the distinct paragraphs the answer cites.
    cited: HashSet<String>,
    cited_paragraphs: usize,
    gathered: HashSet<String>,
    llm_calls: u32,
    prompt_tokens: u64,
    completion_tokens: u64,
    actions: u32,
    wall_ms: f64,
    mode: Option<Mode>,
    /// The answer said the library does not answer the question.
    not_found: bool,
    /// BM25 titles at each k, filled after the engine pass.
    bm25: BTreeMap<usize, HashSet<String>>,
}

impl Outcome {
    fn failed(kind: String, question: Option<String>, gold: Vec<String>) -> Outcome {
        Outcome {
            kind,
            question,
            gold,
            ok: false,
            em: 0.0,
            f1: 0.0,
            cited: HashSet::new(),
            cited_paragraphs: 0,
            gathered: HashSet::new(),
            llm_calls: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            actions: 0,
            wall_ms: 0.0,
            mode: None,
            not_found: false,
            bm25: BTreeMap::new(),
        }
    }

    fn covers(&self, titles: &HashSet<String>) -> bool {
        !self.gold.is_empty() && self.gold.iter().all(|g| titles.contains(g))
    }
}

#[derive(Serialize, Default)]
struct Bm25Share {
    k: usize,
    /// Share of questions whose top-k distinct paragraphs include every supporting paragraph.
    all_supporting: f64,
}

#[derive(Serialize, Default)]
struct Group {
    questions: usize,
    errors: usize,
    em: f64,
    f1: f64,
    /// Questions with gold titles (the denominator of the evidence shares).
    with_gold: usize,
    cited_all: f64,
    cited_any: f64,
    gathered_all: f64,
    /// Questions answered "not in your library" (every question here has an answer).
    not_found: usize,
    bm25: Vec<Bm25Share>,
}

fn group(outcomes: &[&Outcome], ks: &[usize]) -> Group {
    let n = outcomes.len();
    let gold: Vec<&&Outcome> = outcomes.iter().filter(|o| !o.gold.is_empty()).collect();
    let share = |f: &dyn Fn(&Outcome) -> bool| {
        if gold.is_empty() { 0.0 } else { gold.iter().filter(|o| f(o)).count() as f64 / gold.len() as f64 }
    };
    Group {
        questions: n,
        errors: outcomes.iter().filter(|o| !o.ok).count(),
        em: mean(outcomes.iter().map(|o| o.em)),
        f1: mean(outcomes.iter().map(|o| o.f1)),
        with_gold: gold.len(),
        cited_all: share(&|o| o.covers(&o.cited)),
        cited_any: share(&|o| o.gold.iter().any(|g| o.cited.contains(g))),
        gathered_all: share(&|o| o.covers(&o.gathered)),
        not_found: outcomes.iter().filter(|o| o.not_found).count(),
        bm25: ks
            .iter()
            .map(|&k| Bm25Share { k, all_supporting: share(&|o| o.bm25.get(&k).is_some_and(|t| o.covers(t))) })
            .collect(),
    }
}

#[derive(Serialize)]
struct Cost {
    llm_calls_mean: f64,
    prompt_tokens_mean: f64,
    completion_tokens_mean: f64,
    actions_mean: f64,
    wall_ms_mean: f64,
    wall_ms_p50: f64,
    wall_ms_p95: f64,
}

#[derive(Serialize)]
struct MultihopReport {
    file: String,
    split: &'static str,
    /// How the knowledge base was searched: `keywords only` or `hybrid (model)`.
    search: String,
    limit: Option<usize>,
    /// `extractive` or `llm` (what was asked for; `llm_answers` says how many runs got one).
    mode: &'static str,
    /// `chain` or `agent`: how the engine went about each question.
    run_mode: &'static str,
    model: Option<String>,
    top_k: usize,
    /// Selected lines, unreadable ones included: the denominator of every answer figure.
    questions: usize,
    /// Unreadable lines plus failed runs (each scored as wrong, with no evidence).
    errors: usize,
    unreadable_lines: Vec<String>,
    engine_errors: Vec<String>,
    llm_answers: usize,
    paragraphs: usize,
    paragraphs_failed_to_index: usize,
    index_build_s: f64,
    /// Median number of distinct paragraphs the answers cite (rounded up): the BM25 budget
    /// that matches the engine's.
    matched_k: usize,
    overall: Group,
    /// Engine cited-all share minus BM25's at `matched_k`, in percentage points.
    gain_over_bm25_points: f64,
    cost: Cost,
    by_type: BTreeMap<String, Group>,
    interrupted: bool,
    elapsed_s: f64,
}

/// `catena-bench eval multihop`: one pass per search mode asked for, over the same paragraphs.
pub(crate) async fn multihop(
    args: MultihopArgs,
    embedder: &EmbedderArgs,
    model_home: &Path,
    json: bool,
) -> anyhow::Result<()> {
    if args.mode == AskModeArg::Agent && (args.no_llm || args.llm_url.is_none()) {
        bail!("agent mode needs a language model: pass --llm-url and --model");
    }
    let hybrid = |lib: Arc<Library>| async move {
        session::cli::configure(&lib, embedder, model_home).await;
        match crate::eval::embed_for_eval(&lib, json).await? {
            Ok((model, _)) => Ok(format!("hybrid ({model})")),
            Err(reason) => Err(anyhow::anyhow!("hybrid search needs the embedding model: {reason}")),
        }
    };
    match args.search {
        SearchChoice::Lexical | SearchChoice::Hybrid => {
            let report = if args.search == SearchChoice::Hybrid {
                multihop_pass(&args, json, hybrid).await?
            } else {
                multihop_pass(&args, json, |_| async { Ok("keywords only".to_owned()) }).await?
            };
            if json {
                say(&serde_json::to_string_pretty(&report)?);
            } else {
                print_multihop(&report);
            }
        }
        SearchChoice::Both => {
            let lexical = multihop_pass(&args, json, |_| async { Ok("keywords only".to_owned()) }).await?;
            let fused = multihop_pass(&args, json, hybrid).await?;
            let gain = 100.0 * (fused.overall.cited_all - lexical.overall.cited_all);
            if json {
                let both = serde_json::json!({
                    "lexical": lexical,
                    "hybrid": fused,
                    "hybrid_minus_lexical_cited_all_points": gain,
                });
                say(&serde_json::to_string_pretty(&both)?);
            } else {
                print_multihop(&lexical);
                say("");
                print_multihop(&fused);
                say("");
                say(&format!(
                    "hybrid against lexical: engine cited-all {} vs {} ({gain:+.1} points); EM {:.3} vs {:.3}",
                    pct(fused.overall.cited_all),
                    pct(lexical.overall.cited_all),
                    fused.overall.em,
                    lexical.overall.em
                ));
            }
        }
    }
    Ok(())
}

/// One evaluation over a fresh library of the records' paragraphs; `prepare` sets up its search
/// and names it.
async fn multihop_pass<F, Fut>(args: &MultihopArgs, json: bool, prepare: F) -> anyhow::Result<MultihopReport>
where
    F: FnOnce(Arc<Library>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let started = Instant::now();
    let entries = read_entries(&args.file, args.split, args.limit)?;
    if entries.is_empty() {
        bail!("no records of split {} in {}", args.split.name(), args.file.display());
    }

    // One document per distinct (title, text) paragraph of the selected records.
    let mut ids: HashMap<(String, String), usize> = HashMap::new();
    let mut docs: Vec<(String, String)> = Vec::new();
    for e in &entries {
        if let Entry::Good(r) = e {
            for (title, sentences) in &r.context {
                let key = (title.clone(), Record::paragraph(sentences));
                if !ids.contains_key(&key) {
                    ids.insert(key.clone(), docs.len());
                    docs.push(key);
                }
            }
        }
    }
    eprintln!("indexing {} paragraphs of {} records …", docs.len(), entries.len());
    let lib = TempLibrary::build(&docs).await?;
    let search = prepare(lib.library.clone()).await?;
    if !json {
        eprintln!("search: {search}");
    }
    let title_of = |path: &str| TempLibrary::doc_of(path).and_then(|i| docs.get(i)).map(|d| d.0.clone());

    let agent = args.mode == AskModeArg::Agent;
    // The model as `catena ask --llm-url URL --model NAME` gets it (its key from
    // CATENA_LLM_API_KEY or the keyring); extractive without both or with --no-llm.
    let (llm_url, model) = match (&args.llm_url, &args.model, args.no_llm) {
        (Some(url), Some(model), false) => (Some(url.clone()), Some(model.clone())),
        _ => (None, None),
    };
    let overrides = session::Overrides {
        no_llm: llm_url.is_none(),
        llm_url,
        model,
        mode: Some(args.mode.into()),
        agent_protocol: Some(args.agent_protocol.into()),
        top_k: Some(args.top_k.max(1)),
        ..session::Overrides::default()
    };
    let cancel = CancellationToken::new();
    cancel_on_ctrl_c(cancel.clone());
    let (keys, problem) = session::cli::key_store();
    if let Some(p) = problem {
        eprintln!("warning: {p}");
    }
    let run = compose(lib.library.clone(), &overrides, keys.as_ref(), &cancel)?;
    let use_llm = run.model.is_ok();
    let engine = Engine::new(run.config, run.ports);

    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut unreadable = Vec::new();
    let mut engine_errors = Vec::new();
    let total = entries.len();
    let mut interrupted = false;
    for (i, e) in entries.iter().enumerate() {
        if cancel.is_cancelled() {
            interrupted = true;
            break;
        }
        let r = match e {
            Entry::Good(r) => r,
            Entry::Bad { line, error } => {
                unreadable.push(format!("line {line}: {error}"));
                outcomes.push(Outcome::failed("unreadable".into(), None, Vec::new()));
                continue;
            }
        };
        let kind = r.kind.clone().unwrap_or_else(|| "-".into());
        let gold = r.gold_titles();
        // A dropped receiver is fine: nobody watches progress events here.
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        drop(rx);
        let t0 = Instant::now();
        let result = engine.ask(&r.question, &tx, &cancel).await;
        let wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let run: RunRecord = match result {
            Ok(run) => run,
            Err(engine::EngineError::Cancelled) => {
                interrupted = true;
                break;
            }
            Err(err) => {
                engine_errors.push(format!("{}: {err}", r.question));
                let mut o = Outcome::failed(kind, Some(r.question.clone()), gold);
                o.wall_ms = wall_ms;
                outcomes.push(o);
                continue;
            }
        };
        let mut golds: Vec<&str> = vec![r.answer.as_str()];
        golds.extend(r.answer_aliases.iter().map(String::as_str));
        let (em, f1) = em_f1(&run.answer, &golds);
        let cited_paths: HashSet<&str> = run
            .citations
            .iter()
            .filter_map(|c| run.evidence.iter().find(|e| e.id == c.evidence_id))
            .filter_map(|e| e.path.as_deref())
            .collect();
        let cited_docs: HashSet<usize> = cited_paths.iter().filter_map(|p| TempLibrary::doc_of(p)).collect();
        outcomes.push(Outcome {
            kind,
            question: Some(r.question.clone()),
            gold,
            ok: true,
            em,
            f1,
            cited: cited_paths.iter().filter_map(|p| title_of(p)).collect(),
            cited_paragraphs: cited_docs.len(),
            gathered: run.evidence.iter().filter_map(|e| e.path.as_deref()).filter_map(&title_of).collect(),
            llm_calls: run.usage.llm_calls,
            prompt_tokens: run.usage.prompt_tokens,
            completion_tokens: run.usage.completion_tokens,
            actions: run.usage.actions,
            wall_ms,
            mode: Some(run.mode),
            not_found: run.not_found,
            bm25: BTreeMap::new(),
        });
        if !json && (i + 1) % 100 == 0 {
            eprintln!("asked {}/{total}", i + 1);
        }
    }

    // The matched budget: as many distinct paragraphs as the engine's answers typically cite.
    let mut cited_counts: Vec<f64> = outcomes.iter().filter(|o| o.ok).map(|o| o.cited_paragraphs as f64).collect();
    cited_counts.sort_by(f64::total_cmp);
    let matched_k = median_ceil(&cited_counts).max(1);
    let mut ks = vec![2, 3, matched_k];
    ks.sort_unstable();
    ks.dedup();
    let max_k = ks.iter().copied().max().unwrap_or(3);
    for o in outcomes.iter_mut() {
        let Some(q) = &o.question else { continue };
        // Paragraphs longer than one chunk can fill several hits; ask for more and keep the
        // first max_k distinct paragraphs in rank order.
        let hits = lib.library.search(q, max_k * 4).await.unwrap_or_default();
        let mut order: Vec<usize> = Vec::new();
        for h in &hits {
            if let Some(d) = TempLibrary::doc_of(&h.path)
                && !order.contains(&d)
            {
                order.push(d);
            }
        }
        for &k in &ks {
            let titles = order.iter().take(k).filter_map(|&d| docs.get(d)).map(|d| d.0.clone()).collect();
            o.bm25.insert(k, titles);
        }
    }

    let all: Vec<&Outcome> = outcomes.iter().collect();
    let overall = group(&all, &ks);
    let mut kinds: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for o in &outcomes {
        kinds.entry(o.kind.clone()).or_default().push(o);
    }
    let by_type = kinds.into_iter().map(|(k, v)| (k, group(&v, &ks))).collect();
    let ran: Vec<&Outcome> = outcomes.iter().filter(|o| o.ok).collect();
    let mut walls: Vec<f64> = outcomes.iter().filter(|o| o.question.is_some()).map(|o| o.wall_ms).collect();
    walls.sort_by(f64::total_cmp);
    let cost = Cost {
        llm_calls_mean: mean(ran.iter().map(|o| f64::from(o.llm_calls))),
        prompt_tokens_mean: mean(ran.iter().map(|o| o.prompt_tokens as f64)),
        completion_tokens_mean: mean(ran.iter().map(|o| o.completion_tokens as f64)),
        actions_mean: mean(ran.iter().map(|o| f64::from(o.actions))),
        wall_ms_mean: mean(walls.iter().copied()),
        wall_ms_p50: quantile(&walls, 0.5),
        wall_ms_p95: quantile(&walls, 0.95),
    };
    let bm25_matched = overall.bm25.iter().find(|b| b.k == matched_k).map_or(0.0, |b| b.all_supporting);
    let report = MultihopReport {
        file: args.file.display().to_string(),
        split: args.split.name(),
        search,
        limit: args.limit,
        mode: if use_llm { "llm" } else { "extractive" },
        run_mode: if agent { "agent" } else { "chain" },
        model: args.model.clone().filter(|_| use_llm),
        top_k: args.top_k.max(1),
        questions: outcomes.len(),
        errors: outcomes.iter().filter(|o| !o.ok).count(),
        unreadable_lines: unreadable,
        engine_errors,
        llm_answers: outcomes.iter().filter(|o| o.mode == Some(Mode::Llm)).count(),
        paragraphs: docs.len(),
        paragraphs_failed_to_index: lib.failed,
        index_build_s: lib.build.as_secs_f64(),
        matched_k,
        gain_over_bm25_points: 100.0 * (overall.cited_all - bm25_matched),
        overall,
        cost,
        by_type,
        interrupted,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    Ok(report)
}

fn median_ceil(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    let m = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    m.ceil() as usize
}

fn pct(x: f64) -> String {
    format!("{:5.1}%", 100.0 * x)
}

fn print_multihop(r: &MultihopReport) {
    say(&format!(
        "eval multihop: {} (split {}), {} questions, {} errors, {} mode, {}{}",
        r.file,
        r.split,
        r.questions,
        r.errors,
        r.mode,
        r.run_mode,
        r.model.as_ref().map(|m| format!(" ({m}, {} LLM answers)", r.llm_answers)).unwrap_or_default()
    ));
    say(&format!(
        "index: {} distinct paragraphs in {:.1} s ({} failed to index); top-k {}",
        r.paragraphs, r.index_build_s, r.paragraphs_failed_to_index, r.top_k
    ));
    say(&format!("search: {}", r.search));
    let o = &r.overall;
    say(&format!("answer: EM {:.3}  F1 {:.3}  (markers stripped, SQuAD normalisation)", o.em, o.f1));
    say(&format!("evidence: share of {} questions whose evidence holds ALL supporting paragraphs", o.with_gold));
    say(&format!(
        "  engine, cited     {}   (any supporting cited {}, all gathered {}; median {} paragraphs cited)",
        pct(o.cited_all),
        pct(o.cited_any),
        pct(o.gathered_all),
        r.matched_k
    ));
    say(&format!(
        "  answered \"not in your library\": {} of {} (every question here has an answer)",
        o.not_found, o.questions
    ));
    for b in &o.bm25 {
        let tag = if b.k == r.matched_k { "  ← same budget" } else { "" };
        say(&format!("  BM25 question, top-{:<2} {}{tag}", b.k, pct(b.all_supporting)));
    }
    say(&format!("  engine − BM25@{}: {:+.1} points", r.matched_k, r.gain_over_bm25_points));
    let c = &r.cost;
    say(&format!(
        "per question: {:.2} LLM calls, {:.0}+{:.0} tokens, {:.1} actions; wall mean {:.1} ms, p50 {:.1} ms, p95 {:.1} ms",
        c.llm_calls_mean,
        c.prompt_tokens_mean,
        c.completion_tokens_mean,
        c.actions_mean,
        c.wall_ms_mean,
        c.wall_ms_p50,
        c.wall_ms_p95
    ));
    let mut head = format!("{:<18} {:>5} {:>6} {:>6} {:>6} {:>10}", "type", "n", "errors", "EM", "F1", "cited-all");
    for b in &o.bm25 {
        head.push_str(&format!(" {:>8}", format!("bm25@{}", b.k)));
    }
    say(&head);
    for (k, g) in &r.by_type {
        let mut line = format!(
            "{:<18} {:>5} {:>6} {:>6.3} {:>6.3} {:>10}",
            k,
            g.questions,
            g.errors,
            g.em,
            g.f1,
            pct(g.cited_all)
        );
        for b in &g.bm25 {
            line.push_str(&format!(" {:>8}", pct(b.all_supporting)));
        }
        say(&line);
    }
    for u in &r.unreadable_lines {
        say(&format!("unreadable: {u}"));
    }
    for e in &r.engine_errors {
        say(&format!("engine error: {e}"));
    }
    if r.interrupted {
        say("interrupted: the figures cover the questions finished before Ctrl-C");
    }
}

// ---------------------------------------------------------------------------------------------
// eval mrfs

#[derive(Serialize)]
struct FormulaReport {
    auroc: f64,
    /// The formula's own keep threshold.
    threshold: f64,
    /// How the threshold is applied: `>=` (ours) or `>` (released).
    keep_when: &'static str,
    /// Share of correct keep/replace decisions over all scored guesses (positives and negatives,
    /// one each per pair, so this is also the balanced accuracy).
    accuracy: f64,
    /// Correct guesses kept.
    tpr: f64,
    /// Wrong guesses rejected.
    tnr: f64,
    /// For reference only (chosen on this very data, so optimistic): the best threshold here.
    best_threshold: f64,
    best_accuracy: f64,
}

fn formula(pos: &[f64], neg: &[f64], threshold: f64, strict: bool) -> FormulaReport {
    let keep = |s: f64| if strict { s > threshold } else { s >= threshold };
    let tpr = pos.iter().filter(|&&s| keep(s)).count() as f64 / pos.len().max(1) as f64;
    let tnr = neg.iter().filter(|&&s| !keep(s)).count() as f64 / neg.len().max(1) as f64;
    let (best_threshold, best_accuracy) = mrfs::best_threshold(pos, neg);
    FormulaReport {
        auroc: mrfs::auroc(pos, neg),
        threshold,
        keep_when: if strict { ">" } else { ">=" },
        accuracy: (tpr + tnr) / 2.0,
        tpr,
        tnr,
        best_threshold,
        best_accuracy,
    }
}

#[derive(Serialize)]
struct MrfsReport {
    file: String,
    split: &'static str,
    limit: Option<usize>,
    /// Selected lines, unreadable ones included.
    records: usize,
    unreadable_lines: Vec<String>,
    /// Records scored (one positive and one negative each).
    pairs: usize,
    /// Yes/no answers: lexical overlap cannot verify them, so they are left out by design.
    skipped_yes_no: usize,
    /// No supporting paragraph found in the context.
    skipped_no_reference: usize,
    /// No other record of the same type and shape with a different answer.
    skipped_no_negative: usize,
    ours: FormulaReport,
    released: FormulaReport,
    /// AUROC per `type/shape` group: (pairs, ours, released).
    by_group: BTreeMap<String, (usize, f64, f64)>,
}

fn mrfs_eval(args: &MrfsArgs, json: bool) -> anyhow::Result<()> {
    let entries = read_entries(&args.file, args.split, args.limit)?;
    if entries.is_empty() {
        bail!("no records of split {} in {}", args.split.name(), args.file.display());
    }
    let mut unreadable = Vec::new();
    let mut records: Vec<&Record> = Vec::new();
    for e in &entries {
        match e {
            Entry::Good(r) => records.push(r),
            Entry::Bad { line, error } => unreadable.push(format!("line {line}: {error}")),
        }
    }
    let mut skipped_yes_no = 0;
    let keyed: Vec<(usize, String)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match engine::mrfs::answer_shape(&r.answer) {
            Some(s) => Some((i, format!("{}/{}", r.kind.as_deref().unwrap_or("-"), s))),
            None => {
                skipped_yes_no += 1;
                None
            }
        })
        .collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in &keyed {
        groups.entry(k.as_str()).or_default().push(*i);
    }
    let (mut pos, mut neg, mut rpos, mut rneg) = (vec![], vec![], vec![], vec![]);
    let mut per_group: BTreeMap<String, [Vec<f64>; 4]> = BTreeMap::new();
    let (mut no_ref, mut no_neg) = (0, 0);
    for (i, key) in &keyed {
        let r = records[*i];
        let refs = r.supporting_paragraphs();
        if refs.is_empty() {
            no_ref += 1;
            continue;
        }
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let members = groups.get(key.as_str()).map(Vec::as_slice).unwrap_or_default();
        let at = members.iter().position(|j| j == i).unwrap_or(0);
        // The next record of the group, cyclically, whose answer differs: a wrong answer of the
        // same kind.
        let negative = (1..members.len())
            .map(|d| &records[members[(at + d) % members.len()]].answer)
            .find(|a| a.trim().to_lowercase() != r.answer.trim().to_lowercase());
        let Some(negative) = negative else {
            no_neg += 1;
            continue;
        };
        let scores = [
            mrfs::score(&r.answer, &refs),
            mrfs::score(negative, &refs),
            mrfs::released_score(&r.answer, &refs),
            mrfs::released_score(negative, &refs),
        ];
        pos.push(scores[0]);
        neg.push(scores[1]);
        rpos.push(scores[2]);
        rneg.push(scores[3]);
        let g = per_group.entry(key.clone()).or_default();
        for (v, s) in g.iter_mut().zip(scores) {
            v.push(s);
        }
    }
    let report = MrfsReport {
        file: args.file.display().to_string(),
        split: args.split.name(),
        limit: args.limit,
        records: entries.len(),
        unreadable_lines: unreadable,
        pairs: pos.len(),
        skipped_yes_no,
        skipped_no_reference: no_ref,
        skipped_no_negative: no_neg,
        ours: formula(&pos, &neg, mrfs::DEFAULT_THRESHOLD, false),
        released: formula(&rpos, &rneg, mrfs::released::THRESHOLD, true),
        by_group: per_group
            .into_iter()
            .map(|(k, [p, n, rp, rn])| (k, (p.len(), mrfs::auroc(&p, &n), mrfs::auroc(&rp, &rn))))
            .collect(),
    };
    if json {
        say(&serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    say(&format!(
        "eval mrfs: {} (split {}), {} records, {} unreadable; {} pairs scored (left out: {} yes/no, {} without reference, {} without a negative)",
        report.file,
        report.split,
        report.records,
        report.unreadable_lines.len(),
        report.pairs,
        report.skipped_yes_no,
        report.skipped_no_reference,
        report.skipped_no_negative
    ));
    say(&format!(
        "{:<28} {:>7} {:>12} {:>9} {:>7} {:>7} {:>22}",
        "formula", "AUROC", "threshold", "accuracy", "TPR", "TNR", "best here (optimistic)"
    ));
    for (name, f) in [("ours (leakage-free MRFS)", &report.ours), ("released (0.3P+0.3R+0.4AWL)", &report.released)] {
        say(&format!(
            "{:<28} {:>7.4} {:>12} {:>9.4} {:>7.4} {:>7.4} {:>22}",
            name,
            f.auroc,
            format!("{} {:.2}", f.keep_when, f.threshold),
            f.accuracy,
            f.tpr,
            f.tnr,
            format!("{:.3} at {:.3}", f.best_accuracy, f.best_threshold)
        ));
    }
    for (k, (n, ours, rel)) in &report.by_group {
        say(&format!("  {k:<22} n={n:<4} AUROC ours {ours:.4}  released {rel:.4}"));
    }
    for u in &report.unreadable_lines {
        say(&format!("unreadable: {u}"));
    }
    Ok(())
}

//! `catena-bench eval tableqa DIR`: accuracy of the data-analysis action on WikiTableQuestions and
//! TAT-QA records (`DIR/wtq/questions.jsonl`, `DIR/tatqa/questions.jsonl`, or DIR itself holding
//! a `questions.jsonl`), against a baseline measured in the same run.
//!
//! Each record's CSV is ingested through the real library into a temporary data directory (the
//! user's path), and the question goes to the analyst directly: the engine around it adds no
//! accuracy to a table lookup, and measuring the analyst alone keeps the figure about it.
//!
//! Neither data set ships a train part (WTQ records are its test split, TAT-QA its dev split), so
//! `--split` divides records by a stable hash of their id (FNV-1a, even: train, odd: dev); tune
//! on `train`, report `dev`.
//!
//! Scoring: WTQ denotation accuracy (the answer values as a set, numbers compared after
//! normalisation); TAT-QA exact match of the answer values or a numeric match (to 0.01).
//! Baseline: the first data cell of the column whose name best fits the question.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use engine::ports::Llm;
use library::{CancelFlag, IngestOptions, Library, LibraryOptions};
use serde::Serialize;
use tables::LibraryTables;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum HashSplit {
    /// Records whose id hashes odd (held out: report, never tune).
    Dev,
    /// Records whose id hashes even.
    Train,
    /// Every record.
    All,
}

#[derive(Args, Debug)]
pub(crate) struct TableqaArgs {
    /// Folder with `wtq/` and/or `tatqa/` (or one of them).
    dir: PathBuf,
    /// Records of this part only (by a hash of the record id).
    #[arg(long, value_enum, default_value_t = HashSplit::Dev)]
    split: HashSplit,
    /// The first N selected records of each data set only.
    #[arg(long)]
    limit: Option<usize>,
    /// Deterministic analysis only (the default when no --llm-url is given).
    #[arg(long, conflicts_with = "llm_url")]
    no_llm: bool,
    /// Base URL of an OpenAI-compatible server; the key, if needed, from CATENA_LLM_API_KEY, else
    /// the keyring (`catena key set`).
    #[arg(long, requires = "model")]
    llm_url: Option<String>,
    /// Model name on that server.
    #[arg(long, requires = "llm_url")]
    model: Option<String>,
    /// Print each question with the gold and the predicted answers on stderr.
    #[arg(long)]
    verbose: bool,
}

#[derive(serde::Deserialize)]
struct Record {
    id: String,
    question: String,
    answers: Vec<serde_json::Value>,
    table_file: String,
    #[serde(default)]
    answer_from: Option<String>,
}

#[derive(Serialize, Default, Clone)]
struct Score {
    questions: usize,
    baseline: usize,
    no_llm: usize,
    no_llm_answered: usize,
    llm: Option<usize>,
}

#[derive(Serialize)]
struct Report {
    split: String,
    datasets: BTreeMap<String, Score>,
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn admits(split: HashSplit, id: &str) -> bool {
    match split {
        HashSplit::All => true,
        HashSplit::Train => fnv1a(id).is_multiple_of(2),
        HashSplit::Dev => !fnv1a(id).is_multiple_of(2),
    }
}

pub(crate) async fn run(args: TableqaArgs, json: bool) -> anyhow::Result<()> {
    let llm: Option<Arc<dyn Llm>> = match (&args.llm_url, &args.model, args.no_llm) {
        // The model client as `catena ask --llm-url URL --model NAME` makes it, its key from
        // CATENA_LLM_API_KEY or the keyring.
        (Some(url), Some(model), false) => {
            let overrides =
                session::Overrides { llm_url: Some(url.clone()), model: Some(model.clone()), ..Default::default() };
            let settings = session::Settings::default().with_overrides(&overrides)?;
            let (keys, problem) = session::cli::key_store();
            let key = session::keys::llm_key(keys.as_ref(), settings.llm.provider).unwrap_or_else(|e| {
                eprintln!("warning: no API key from the keyring: {e}");
                None
            });
            if let Some(p) = problem {
                eprintln!("warning: {p}");
            }
            session::model_client(&settings.llm, key, None)?.map(|c| Arc::new(c) as Arc<dyn Llm>)
        }
        _ => None,
    };
    let mut sets: Vec<(String, PathBuf)> = Vec::new();
    for name in ["wtq", "tatqa"] {
        if args.dir.join(name).join("questions.jsonl").is_file() {
            sets.push((name.to_string(), args.dir.join(name)));
        }
    }
    if sets.is_empty() && args.dir.join("questions.jsonl").is_file() {
        let name = args.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "tableqa".into());
        sets.push((name, args.dir.clone()));
    }
    if sets.is_empty() {
        anyhow::bail!("no questions.jsonl under {}", args.dir.display());
    }
    let split_name = format!("{:?}", args.split).to_lowercase();
    let mut report = Report { split: split_name, datasets: BTreeMap::new() };
    for (name, dir) in sets {
        let text = std::fs::read_to_string(dir.join("questions.jsonl"))
            .with_context(|| format!("cannot read {}", dir.join("questions.jsonl").display()))?;
        let mut records: Vec<Record> = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let r: Record = serde_json::from_str(line).with_context(|| format!("{name} line {}", i + 1))?;
            if admits(args.split, &r.id) {
                records.push(r);
            }
        }
        records.truncate(args.limit.unwrap_or(usize::MAX));
        let tatqa = name.contains("tat");
        let mut by_table: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
        for r in &records {
            by_table.entry(r.table_file.clone()).or_default().push(r);
        }
        eprintln!("{name}: {} questions over {} tables", records.len(), by_table.len());
        let mut score = Score { llm: llm.as_ref().map(|_| 0), ..Score::default() };
        let mut table_only = Score { llm: llm.as_ref().map(|_| 0), ..Score::default() };
        for (file, recs) in by_table {
            let lib = match TableLibrary::build(&dir.join(&file)).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("{file}: {e:#}");
                    score.questions += recs.len();
                    continue;
                }
            };
            for r in recs {
                let gold: Vec<String> = r.answers.iter().map(value_text).collect();
                let check =
                    |pred: &[String]| if tatqa { tatqa_match(pred, &gold) } else { denotation_match(pred, &gold) };
                let base = lib.baseline(&r.question).await;
                let det = lib.tables.analyze_detailed(&r.question, None).await.ok();
                let mut s = Score { questions: 1, ..Score::default() };
                s.baseline = usize::from(base.as_ref().is_some_and(|b| check(std::slice::from_ref(b))));
                s.no_llm_answered = usize::from(det.is_some());
                s.no_llm = usize::from(det.as_ref().is_some_and(|a| check(&a.values)));
                if args.verbose {
                    let got = match &det {
                        Some(a) => format!("{:?} ({})", a.values, a.finding.text),
                        None => "no answer".to_string(),
                    };
                    let mark = if s.no_llm == 1 { "ok " } else { "BAD" };
                    eprintln!("{mark} {} | {} | gold {gold:?} | {got}", r.id, r.question);
                }
                if let Some(m) = &llm {
                    let a = lib.tables.analyze_detailed(&r.question, Some(m.as_ref())).await.ok();
                    s.llm = Some(usize::from(a.as_ref().is_some_and(|a| check(&a.values))));
                }
                add(&mut score, &s);
                if r.answer_from.as_deref() == Some("table") {
                    add(&mut table_only, &s);
                }
            }
        }
        if tatqa {
            report.datasets.insert(format!("{name} (answer_from=table)"), table_only);
        }
        report.datasets.insert(name, score);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("tableqa, split {} (by id hash)", report.split);
        for (name, s) in &report.datasets {
            let pct = |n: usize| 100.0 * n as f64 / s.questions.max(1) as f64;
            let ratio = if s.baseline > 0 {
                format!("{:.2}× baseline", s.no_llm as f64 / s.baseline as f64)
            } else {
                "baseline 0".into()
            };
            println!(
                "  {name}: {} questions; baseline {:.1}%; no-LLM {:.1}% ({ratio}; answered {:.1}%){}",
                s.questions,
                pct(s.baseline),
                pct(s.no_llm),
                pct(s.no_llm_answered),
                s.llm.map(|n| format!("; LLM {:.1}%", pct(n))).unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn add(total: &mut Score, s: &Score) {
    total.questions += s.questions;
    total.baseline += s.baseline;
    total.no_llm += s.no_llm;
    total.no_llm_answered += s.no_llm_answered;
    if let (Some(t), Some(n)) = (total.llm.as_mut(), s.llm) {
        *t += n;
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as compared: lowercased and trimmed, numbers as numbers.
fn normalise(s: &str) -> String {
    let t = s.trim().trim_matches(|c| c == '"' || c == '\'').trim().trim_end_matches('.').to_lowercase();
    match number(&t) {
        Some(x) => format!("{:.4}", x),
        None => t.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn number(s: &str) -> Option<f64> {
    let mut t = s.trim().replace([',', '$', '£', '€'], "");
    let negative = t.starts_with('(') && t.ends_with(')');
    if negative {
        t = t[1..t.len() - 1].to_string();
    }
    let t = t.trim_end_matches('%').trim();
    let x: f64 = t.parse().ok()?;
    x.is_finite().then_some(if negative { -x } else { x })
}

fn denotation_match(pred: &[String], gold: &[String]) -> bool {
    let mut p: Vec<String> = pred.iter().map(|s| normalise(s)).collect();
    let mut g: Vec<String> = gold.iter().map(|s| normalise(s)).collect();
    p.sort();
    p.dedup();
    g.sort();
    g.dedup();
    !p.is_empty() && p == g
}

fn tatqa_match(pred: &[String], gold: &[String]) -> bool {
    if denotation_match(pred, gold) {
        return true;
    }
    match (pred, gold) {
        ([p], [g]) => match (number(p), number(g)) {
            (Some(a), Some(b)) => (a - b).abs() <= 0.01 || (a.abs() - b.abs()).abs() <= 0.01 && a != 0.0,
            _ => false,
        },
        _ => false,
    }
}

/// One table's library in a temporary data directory.
struct TableLibrary {
    tables: LibraryTables,
    _docs: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl TableLibrary {
    async fn build(csv: &Path) -> anyhow::Result<TableLibrary> {
        let docs = tempfile::tempdir().context("cannot create a temporary folder")?;
        let data = tempfile::tempdir().context("cannot create a temporary data directory")?;
        let bytes = std::fs::read(csv).with_context(|| format!("cannot read {}", csv.display()))?;
        let name = csv.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "table.csv".into());
        std::fs::write(docs.path().join(name), bytes).context("cannot write the table")?;
        let library = Library::open_write(data.path(), LibraryOptions::default()).await?;
        let summary = library
            .ingest(&[docs.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
            .await?;
        if let Some(f) = summary.failed.first() {
            anyhow::bail!("ingestion failed: {f:?}");
        }
        Ok(TableLibrary { tables: session::library_tables(Arc::new(library)), _docs: docs, _data: data })
    }

    /// The first data cell of the column whose name best fits the question.
    async fn baseline(&self, question: &str) -> Option<String> {
        let table = self.tables.candidates(question).await.ok()?.into_iter().next()?;
        let qstems = tables::words::stems(question);
        let best = (0..table.columns.len())
            .map(|i| (tables::det::mention(&qstems, &table.columns[i].name), i))
            .fold((f64::MIN, 0), |a, b| if b.0 > a.0 { b } else { a })
            .1;
        Some(table.cell(0, best).plain())
    }
}

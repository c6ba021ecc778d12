//! `catena-bench`: the measurement commands. Evaluations of answer quality, evidence recall and
//! retrieval on question sets (`eval …`) and benchmarks of speed and cost (`bench`, `bench-llm`,
//! `bench-ocr`). They run the product's own code (the library, the engine, the composition of a
//! run in `session`) and print figures next to their baselines; none of it ships in `catena`.
//!
//! Output follows `catena`'s rules: figures on stdout (one JSON document with `--json`),
//! progress on stderr. Exit codes: 0 success; 2 usage or fatal error.

mod bench;
mod bench_llm;
mod bench_ocr;
mod eval;
mod eval_reader;
mod eval_retrieval;
mod eval_tableqa;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use session::cli::{EmbedderArgs, print_json};

#[derive(Parser, Debug)]
#[command(name = "catena-bench", version, about = "Measure Catena: evaluations and benchmarks")]
struct Cli {
    /// Data directory: `eval reader` and `eval retrieval` ingest their documents into it and
    /// reuse it next time; also where the local embedding model is found. Default: the
    /// per-user data directory `catena` uses.
    #[arg(long, global = true, env = "CATENA_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of human output.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    embedder: EmbedderArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure answer quality, evidence recall and cost on multi-hop QA records (a fresh
    /// temporary library; the data directory is not touched, except by `eval reader` and
    /// `eval retrieval`, which ingest their documents into an explicitly given one to reuse it).
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Measure the engine's wall time and LLM calls against a scripted model with a fixed
    /// latency, next to a ReAct loop on the same model (and agent mode, with `--mode agent`).
    BenchLlm(bench_llm::BenchLlmArgs),
    /// Measure OCR pages per second through Catena against the plain tesseract command on the
    /// same rendered pages, with the same number of pages at once.
    BenchOcr(bench_ocr::BenchOcrArgs),
    /// Measure ingestion (`catena ingest`) against pdftotext and search latency at scale.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if json {
                let code = session::cli::error_code(&e);
                print_json(&serde_json::json!({"error": {"code": code, "message": format!("{e:#}")}}));
            }
            ExitCode::from(2)
        }
    }
}

/// The data directory given with `--data-dir` or `CATENA_DATA_DIR` (an empty one counts as
/// unset).
fn given_data_dir(cli: &Cli) -> Option<PathBuf> {
    cli.data_dir.clone().filter(|d| !d.as_os_str().is_empty())
}

/// Where the local embedding model is looked for: the given data directory, else `catena`'s.
fn model_home(cli: &Cli) -> anyhow::Result<PathBuf> {
    if let Some(d) = given_data_dir(cli) {
        return Ok(d);
    }
    directories::ProjectDirs::from("org", "Catena", "catena")
        .map(|p| p.data_dir().to_path_buf())
        .context("cannot determine the per-user data directory; pass --data-dir or set CATENA_DATA_DIR")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    let given = given_data_dir(&cli);
    let home = model_home(&cli);
    match cli.command {
        Command::Eval(eval::EvalCommand::Multihop(args)) => eval::multihop(args, &cli.embedder, &home?, json).await,
        // The reader and retrieval evaluations ingest into `--data-dir` when one is given, to
        // reuse that library.
        Command::Eval(eval::EvalCommand::Reader(args)) => {
            eval_reader::run(args, given.as_deref(), &cli.embedder, &home?, json).await
        }
        Command::Eval(eval::EvalCommand::Retrieval(args)) => {
            eval_retrieval::run(args, given.as_deref(), &cli.embedder, &home?, json).await
        }
        Command::Eval(cmd) => eval::run(cmd, json).await,
        Command::BenchLlm(args) => bench_llm::run(args, json).await,
        Command::BenchOcr(args) => tokio::task::spawn_blocking(move || bench_ocr::run(args, json)).await?,
        Command::Bench(args) => bench::run(args, json).await,
    }
}

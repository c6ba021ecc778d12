//! `catena`: the command-line interface to the same library the desktop app uses.
//!
//! Thin by design: parse arguments, open the library, call it, print. Human output goes to
//! stdout, progress and diagnostics to stderr; `--json` prints exactly one JSON document on stdout.
//!
//! Exit codes: 0 success; 1 the command ran but some files failed (ingest), the library is
//! inconsistent (check) or the answer could not be stored (ask); 2 usage or fatal error (bad
//! arguments, library busy, unreadable data directory, a model provider refusing the key); 130
//! interrupted by Ctrl-C (work finished before the interrupt is kept; a cancelled run is not).

mod ask;
mod config;
mod embedding;
mod export;
mod key;
mod mcp_server;
mod models;
mod output;
mod progress;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use library::{CancelFlag, IngestOptions, Library, LibraryOptions, SearchMode};

#[derive(Parser, Debug)]
#[command(name = "catena", version, about = "Research assistant over your own documents")]
struct Cli {
    /// Data directory (catalog and index). Default: the per-user data directory, the same one
    /// the desktop app uses.
    #[arg(long, global = true, env = "CATENA_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of human output.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    embedder: embedding::EmbedderArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Add files and folders (recursively) to the library; unchanged files are skipped. Folders
    /// are remembered as watched folders (see `catena sources` and `catena watch`).
    Ingest {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Drop catalogued files under these folders that no longer exist.
        #[arg(long)]
        prune: bool,
        /// Read files that failed before again, even if unchanged.
        #[arg(long)]
        retry_failed: bool,
        /// How to report progress on stderr.
        #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
        progress: ProgressMode,
        /// Files read at once (default: number of cores).
        #[arg(long)]
        workers: Option<usize>,
        /// Largest file accepted, in MB.
        #[arg(long, default_value_t = 200)]
        max_file_mb: u64,
        /// Target chunk size in characters.
        #[arg(long, default_value_t = 800)]
        chunk_chars: usize,
        /// Commit to the index after this many new documents (smaller: less work lost to a
        /// crash, more commits).
        #[arg(long, env = "CATENA_COMMIT_EVERY_DOCS", default_value_t = 500)]
        commit_every: usize,
        #[command(flatten)]
        ocr: OcrArgs,
        /// Do not remember the folders as watched folders.
        #[arg(long)]
        no_watch: bool,
    },
    /// Keep the watched folders in sync in the foreground: rescan them, then apply created,
    /// changed, renamed and deleted files as they happen, until Ctrl-C.
    Watch {
        /// Poll every folder instead of listening for file-system events (network mounts are
        /// polled without this).
        #[arg(long)]
        poll: bool,
        /// Commit to the index after this many changed documents.
        #[arg(long, env = "CATENA_COMMIT_EVERY_DOCS", default_value_t = 500)]
        commit_every: usize,
    },
    /// The watched folders: list (default), add, pause, resume, remove.
    Sources {
        #[command(subcommand)]
        command: Option<sources::SourcesCommand>,
    },
    /// Search the library: keywords (BM25; "quoted phrases" work; any text is accepted) and
    /// meaning (the embedding model), fused.
    Search {
        /// The query.
        query: String,
        /// Number of hits.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// `hybrid` (keywords and meaning, the default; keywords only while semantic search is
        /// off), `lexical` or `semantic`.
        #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
        mode: ModeArg,
    },
    /// List the documents in the library, failed ones with their reason.
    Docs,
    /// Remove a document by id or path.
    Remove {
        /// Document id (from `catena docs`) or path.
        target: String,
    },
    /// Verify that the catalog and the index are intact and that catalog, index and vectors
    /// agree (exit code 1 if not).
    Check,
    /// Rebuild the search index from the catalog's stored text (after the index was deleted or
    /// damaged); document ids and the run history stay.
    Repair,
    /// Semantic search: whether it is on, and getting the embedding model.
    #[command(subcommand)]
    Embedding(embedding::EmbeddingCommand),
    /// Ask a question: the answer cites the library, and the run is kept in the history.
    Ask(ask::AskArgs),
    /// Serve the library to other apps over the Model Context Protocol (stdio by default,
    /// Streamable HTTP with --http); read-only unless --allow-ingest.
    Mcp(mcp_server::McpArgs),
    /// List past runs, newest first.
    Runs {
        /// Number of runs listed.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Print a stored run (with `--json`, exactly what `ask --json` printed).
    Show {
        /// Run id, or a unique prefix of one.
        run_id: String,
    },
    /// Export a stored run: a report (md, html, docx, pdf), the bibliography of the sources it
    /// cites (bibtex, csl-json, ris) or its full trace (json).
    Export(export::ExportArgs),
    /// List the model servers running on this machine (or the models of the one at --llm-url).
    Models(models::ModelsArgs),
    /// Read and change the settings the desktop app uses (`list`, `get KEY`, `set KEY VALUE`);
    /// `catena ask` uses them unless its flags say otherwise.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Store, remove or check a model provider's API key in the system keyring.
    #[command(subcommand)]
    Key(key::KeyCommand),
}

/// How scanned pages and images are read.
#[derive(clap::Args, Debug, Clone)]
struct OcrArgs {
    /// OCR languages for scanned pages and images, `+`-separated Tesseract codes (each needs its
    /// package, e.g. tesseract-ocr-deu for deu). Default: eng.
    #[arg(long, env = "CATENA_OCR_LANG", value_name = "LANGS")]
    ocr_lang: Option<String>,
    /// Do not OCR: scanned pages are listed as having no text layer, images fail.
    #[arg(long, conflicts_with = "ocr_lang")]
    no_ocr: bool,
}

impl OcrArgs {
    /// Sets up OCR in `options`: a language that is not installed is an error naming its
    /// package; without Tesseract at all OCR is turned off with a note, unless languages were
    /// asked for explicitly.
    fn apply(&self, options: &mut extract::OcrOptions) -> anyhow::Result<()> {
        if self.no_ocr {
            options.enabled = false;
            return Ok(());
        }
        if let Some(langs) = self.ocr_lang.as_deref().filter(|l| !l.trim().is_empty()) {
            options.languages = langs.trim().to_owned();
        }
        match extract::ocr::check(options) {
            Ok(_) => Ok(()),
            Err(extract::OcrError::NotInstalled) if self.ocr_lang.is_none() => {
                eprintln!("note: {}; scanned pages and images are not read", extract::OcrError::NotInstalled);
                options.enabled = false;
                Ok(())
            }
            Err(e) => anyhow::bail!("{e}; or ingest with --no-ocr"),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Keywords and meaning, fused.
    Hybrid,
    /// Keywords only.
    Lexical,
    /// Meaning only.
    Semantic,
}

impl From<ModeArg> for SearchMode {
    fn from(m: ModeArg) -> SearchMode {
        match m {
            ModeArg::Hybrid => SearchMode::Hybrid,
            ModeArg::Lexical => SearchMode::Lexical,
            ModeArg::Semantic => SearchMode::Semantic,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ProgressMode {
    /// A live line on a terminal, plain lines otherwise.
    Auto,
    /// One line per file.
    Plain,
    /// One JSON event per line.
    Json,
    /// Failures only.
    Quiet,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--json` promises one JSON document on stdout, usage errors included.
            let wants_json = std::env::args_os().any(|a| a == "--json");
            if wants_json && e.use_stderr() {
                let message = e.to_string();
                let first = message.lines().next().unwrap_or_default().trim_start_matches("error: ");
                output::fatal("usage", first);
            }
            e.exit()
        }
    };
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the async runtime: {e}");
            eprintln!("error: {message}");
            if json {
                output::fatal("internal", &message);
            }
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let e = explain_read_only(e);
            eprintln!("error: {e:#}");
            if json {
                output::fatal(error_code(&e), &format!("{e:#}"));
            }
            ExitCode::from(2)
        }
    }
}

/// A write refused because the catalog was opened read-only (the data directory is not
/// writable for this user, or `CATENA_READ_ONLY` is set) says so in words.
fn explain_read_only(e: anyhow::Error) -> anyhow::Error {
    if session::cli::read_only_refusal(&e) {
        return e.context("this command writes to the library, but the data directory is read-only for this user");
    }
    if session::cli::disk_full(&e) {
        return e.context(
            "the disk holding the data directory is full: documents committed before stay searchable; free some space and run the command again",
        );
    }
    e
}

/// A stable name for what went wrong, for scripts reading `{"error": {"code": …}}`: the
/// library's codes (shared with `catena-bench`), and `llm_failed` for `--require-llm`.
fn error_code(e: &anyhow::Error) -> &'static str {
    if e.chain().any(|c| c.downcast_ref::<ask::LlmFailed>().is_some()) {
        return "llm_failed";
    }
    session::cli::error_code(e)
}

/// `catena check`: the catalog file's integrity, whether the index opens and its files are
/// whole, and whether the two agree. States it finds are reported (exit code 1), not raised.
async fn check(dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    use library::LibraryError;
    let mut health = output::Health::default();
    let lib = match Library::open_read(dir).await {
        Ok(lib) => lib,
        Err(e @ (LibraryError::IndexMissing { .. } | LibraryError::IndexDamaged { .. })) => {
            health.index_problem = Some(e.to_string());
            health.catalog_problems = match store::Catalog::open(&dir.join("catalog.db")).await {
                Ok(catalog) => catalog_problems(&catalog).await,
                Err(e) => vec![format!("the catalog cannot be opened: {e}")],
            };
            output::check(&library::CheckReport::default(), &health, json);
            return Ok(ExitCode::from(1));
        }
        Err(LibraryError::Store(e)) => {
            health.catalog_problems = vec![format!("the catalog cannot be opened: {e}")];
            output::check(&library::CheckReport::default(), &health, json);
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    health.catalog_problems = catalog_problems(lib.catalog()).await;
    match lib.damaged_index_files().await {
        Ok(files) => health.damaged_index_files = files,
        Err(e) => {
            health.index_problem = Some(format!("{e}; run `catena repair` to rebuild the index from the catalog"))
        }
    }
    let report = match lib.check().await {
        Ok(report) => report,
        Err(LibraryError::Store(e)) => {
            health.catalog_problems.push(e.to_string());
            library::CheckReport::default()
        }
        Err(e) => {
            health.index_problem.get_or_insert_with(|| format!("{e}; run `catena repair` to rebuild the index"));
            library::CheckReport::default()
        }
    };
    output::check(&report, &health, json);
    Ok(if report.is_consistent() && health.is_sound() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn catalog_problems(catalog: &store::Catalog) -> Vec<String> {
    match catalog.integrity_problems().await {
        Ok(problems) => problems,
        Err(e) => vec![e.to_string()],
    }
}

fn data_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    // An empty CATENA_DATA_DIR counts as unset, as it does in the desktop app.
    if let Some(d) = cli.data_dir.as_ref().filter(|d| !d.as_os_str().is_empty()) {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("org", "Catena", "catena")
        .map(|p| p.data_dir().to_path_buf())
        .context("cannot determine the per-user data directory; pass --data-dir or set CATENA_DATA_DIR")
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir(&cli)?;
    let json = cli.json;
    match cli.command {
        Command::Ingest {
            paths,
            prune,
            retry_failed,
            progress,
            workers,
            max_file_mb,
            chunk_chars,
            commit_every,
            ocr,
            no_watch,
        } => {
            // Ctrl-C is honoured from the start: checking OCR and opening the library take a
            // moment, and an interrupt then must still stop the run cleanly.
            let cancel = CancelFlag::default();
            spawn_ctrl_c(cancel.clone());
            let mut options = LibraryOptions::default();
            ocr.apply(&mut options.extract.ocr)?;
            if let Some(w) = workers {
                options.workers = w.max(1);
            }
            options.extract.max_file_bytes = max_file_mb.saturating_mul(1024 * 1024);
            options.chunk.target_chars = chunk_chars.max(100);
            options.chunk.max_chars = options.chunk.target_chars * 2;
            options.commit_every_docs = commit_every.max(1);
            let lib = Library::open_write(&dir, options).await?;
            if !lib.recovery.is_clean() {
                eprintln!("recovered from an interrupted run: {:?}", lib.recovery);
            }
            if !no_watch {
                for p in paths.iter().filter(|p| p.is_dir()) {
                    lib.add_source(p, false).await?;
                }
            }
            let reporter = progress::Reporter::new(progress, json);
            let summary = lib
                .ingest(
                    &paths,
                    &IngestOptions { prune, retry_failed, ..IngestOptions::default() },
                    &|e| reporter.event(&e),
                    &cancel,
                )
                .await?;
            reporter.finish();
            // Keyword search works from here on; embedding follows, resumable if interrupted.
            let embedded = if cancel.is_cancelled() {
                None
            } else {
                embedding::configure(&lib, &cli.embedder, &dir).await;
                embedding::after_ingest(&lib, &reporter, &cancel).await?
            };
            output::ingest(&summary, embedded.as_ref(), json);
            let embedding_interrupted = embedded.as_ref().is_some_and(|e| e.interrupted);
            Ok(if summary.interrupted || embedding_interrupted {
                ExitCode::from(130)
            } else if summary.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Search { query, limit, mode } => {
            let lib = Library::open_read(&dir).await?;
            if mode != ModeArg::Lexical {
                embedding::configure(&lib, &cli.embedder, &dir).await;
            }
            if mode == ModeArg::Semantic
                && let library::SemanticStatus::Off { reason } = lib.semantic_status().await?
            {
                anyhow::bail!("semantic search is off: {reason}");
            }
            let found = lib.search_detailed(&query, limit.max(1), mode.into()).await?;
            if let Some(note) = &found.note {
                let tail = if found.mode == SearchMode::Lexical { "; searching by keywords only" } else { "" };
                eprintln!("note: {note}{tail}");
            }
            output::search(&query, found.mode, &found.hits, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Docs => {
            let lib = Library::open_read(&dir).await?;
            embedding::configure(&lib, &cli.embedder, &dir).await;
            output::docs(&lib.documents().await?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Remove { target } => {
            let lib = Library::open_write(&dir, LibraryOptions::default()).await?;
            let removed = lib.remove(&target).await?;
            output::removed(&removed, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(&dir, json).await,
        Command::Repair => {
            let report = Library::rebuild_index(&dir, &LibraryOptions::default()).await?;
            output::repaired(&report, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch { poll, commit_every } => sources::watch(&dir, poll, commit_every, &cli.embedder, json).await,
        Command::Sources { command } => sources::run(&dir, command, json).await,
        Command::Ask(args) => ask::ask(&dir, args, &cli.embedder, json).await,
        Command::Mcp(args) => mcp_server::run(&dir, args, &cli.embedder).await,
        Command::Embedding(cmd) => embedding::run(cmd, &cli.embedder, &dir, json).await,
        Command::Runs { limit } => ask::runs(&dir, limit.max(1), json).await,
        Command::Show { run_id } => ask::show(&dir, &run_id, json).await,
        Command::Export(args) => export::export(&dir, args, json).await,
        Command::Key(cmd) => key::run(cmd, json),
        Command::Config(cmd) => config::run(&dir, cmd, json).await,
        Command::Models(args) => {
            models::run(args, json).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// First Ctrl-C: finish the files in flight, commit, exit 130. Second: exit at once (the next
/// start recovers, so nothing is lost that was committed).
fn spawn_ctrl_c(cancel: CancelFlag) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: finishing the files in progress (Ctrl-C again to stop at once)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

//! Semantic search from the command line: the embedder flags (`--embedder`, `--embedding-model`,
//! `--no-embeddings`; in `session::cli`, shared with `catena-bench`), embedding after ingest,
//! and `catena embedding status|download`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Args, Subcommand};
use embed::TextKind;
use embed::download::{DownloadOptions, DownloadProgress, ModelSpec, ModelStatus, download_model, model_status};
use library::{Library, SemanticStatus};
use serde_json::json;

use crate::output::say;

pub(crate) use session::cli::{EmbedderArgs, configure};

/// `catena embedding …`.
#[derive(Subcommand, Debug)]
pub(crate) enum EmbeddingCommand {
    /// Say whether semantic search is on, with which model and how many documents are
    /// embedded, or why it is off.
    Status,
    /// Download the default embedding model (all-MiniLM-L6-v2, about 90 MB) into the data
    /// directory or --embedding-model; resumes an interrupted download and checks every file.
    Download(DownloadArgs),
}

/// Options of `catena embedding download`.
#[derive(Args, Debug)]
pub(crate) struct DownloadArgs {
    /// Refuse to use the network (succeeds only when the model is already complete).
    #[arg(long)]
    offline: bool,
    /// Where to download from instead of the model's public home (a mirror with the same
    /// file names).
    #[arg(long, value_name = "URL")]
    from: Option<String>,
}

/// Runs `catena embedding …`.
pub(crate) async fn run(
    cmd: EmbeddingCommand,
    args: &EmbedderArgs,
    data_dir: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    match cmd {
        EmbeddingCommand::Status => status(args, data_dir, json).await,
        EmbeddingCommand::Download(d) => download(d, args, data_dir, json).await,
    }
}

async fn status(args: &EmbedderArgs, data_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let lib = Library::open_read(data_dir).await?;
    match session::cli::embedder(args, data_dir).await {
        Ok(e) => {
            // A provider is only known to answer once it has: ask it now, not at the first search.
            let local = e.model_id().0.starts_with("local:");
            let probe =
                if local { Ok(Vec::new()) } else { e.embed(&["connection check".to_owned()], TextKind::Query).await };
            match probe {
                Ok(_) => lib.set_embedder(e),
                Err(err) => lib.disable_semantic(format!("the embedding provider did not answer: {err}")),
            }
        }
        Err(reason) => lib.disable_semantic(reason),
    }
    let status = lib.semantic_status().await?;
    let models = lib.catalog().embedding_models().await?;
    let model_dir = args.model_dir(data_dir);
    let present = matches!(model_status(&model_dir), ModelStatus::Ready);
    if json {
        let mut v = match &status {
            SemanticStatus::On { model, embedded, total } => {
                json!({"semantic": "on", "model": model, "embedded": embedded, "total": total})
            }
            SemanticStatus::Off { reason } => json!({"semantic": "off", "reason": reason}),
        };
        v["model_dir"] = json!(model_dir);
        v["model_present"] = json!(present);
        v["stored_models"] = models.iter().map(|(m, n)| json!({"model": m, "documents": n})).collect::<Vec<_>>().into();
        say(&serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()));
        return Ok(ExitCode::SUCCESS);
    }
    match &status {
        SemanticStatus::On { model, embedded, total } => {
            say(&format!("semantic search is on: {model}, {embedded} of {total} documents embedded"));
            if embedded < total {
                say("  the rest are embedded by the next `catena ingest`");
            }
        }
        SemanticStatus::Off { reason } => {
            say(&format!("semantic search is off: {reason}\nkeyword search works as usual"))
        }
    }
    for (m, n) in &models {
        say(&format!("  stored vectors: {m} ({n} documents)"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn download(d: DownloadArgs, args: &EmbedderArgs, data_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let dest = args.model_dir(data_dir);
    let spec = ModelSpec::default();
    let options = DownloadOptions { base_url: d.from, offline: d.offline, ..DownloadOptions::default() };
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: the partial download is kept and resumes next time");
                cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
    let report = |p: DownloadProgress| {
        let total = p.total.map(|t| format!("/{:.1}", t as f64 / 1e6)).unwrap_or_default();
        eprint!(
            "\r\x1b[2Kdownloading {} ({}/{}): {:.1}{} MB",
            p.file,
            p.index + 1,
            p.files,
            p.done as f64 / 1e6,
            total
        );
    };
    let result = download_model(&spec, &dest, &options, &report, &cancel).await;
    eprintln!();
    match result {
        Ok(()) => {
            if json {
                say(&json!({"model": spec.name, "dir": dest, "ready": true}).to_string());
            } else {
                say(&format!("{} is ready in {}", spec.name, dest.display()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(embed::EmbedError::Cancelled) => Ok(ExitCode::from(130)),
        Err(e) => Err(anyhow::anyhow!("cannot download the embedding model into {}: {e}", dest.display())),
    }
}

/// Embeds what ingest left unembedded, with progress on stderr. Semantic search being off is
/// a note, not a failure. Returns the summary when embedding ran.
pub(crate) async fn after_ingest(
    lib: &Library,
    reporter: &crate::progress::Reporter,
    cancel: &library::CancelFlag,
) -> anyhow::Result<Option<library::EmbedSummary>> {
    match lib.semantic_status().await? {
        SemanticStatus::Off { reason } => {
            reporter.note(&format!("semantic search is off: {reason}"));
            Ok(None)
        }
        SemanticStatus::On { .. } => {
            let summary = lib.embed_pending(&|p| reporter.embedding(p), cancel).await?;
            reporter.finish_embedding();
            if let Some(e) = &summary.error {
                reporter.note(&format!(
                    "embedding stopped: {e}; keyword search works, and the next `catena ingest` resumes"
                ));
            }
            Ok(Some(summary))
        }
    }
}

//! `catena export`: a stored run as a report (Markdown, HTML, DOCX, PDF), a bibliography
//! (BibTeX, CSL-JSON, RIS) or its JSON trace, through the `export` crate the desktop app uses too;
//! and agent runs as training data (`--format autocoa`: one JSON object a line, see
//! `export::autocoa`), one run or many (`--runs ID,ID,…`, `--all-agent`).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ::export::{CitationStyle, ExportOptions, Format, SourceDetails};
use anyhow::{Context, bail};
use clap::Args;
use store::Catalog;

use crate::output::say;

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// Run id, or a unique prefix of one (see `catena runs`).
    #[arg(required_unless_present_any = ["runs", "all_agent"], conflicts_with_all = ["runs", "all_agent"])]
    run_id: Option<String>,
    /// md, html, docx, pdf, bibtex, csl-json, ris, json, or autocoa (an agent run's turn as
    /// training data: JSONL, one object per run, observations marked for masking).
    #[arg(long, short = 'f', value_parser = parse_format)]
    format: OutFormat,
    /// With --format autocoa: these runs (ids or unique prefixes, comma-separated), one line each.
    #[arg(long, value_delimiter = ',', num_args = 1.., conflicts_with = "all_agent")]
    runs: Vec<String>,
    /// With --format autocoa: every stored agent run (chain runs are left out), oldest first.
    #[arg(long)]
    all_agent: bool,
    /// Citation style of the reference list in md, html, docx and pdf: apa, ieee, chicago,
    /// harvard, mla or vancouver.
    #[arg(long, value_parser = parse_style, default_value = "apa")]
    style: CitationStyle,
    /// Write to this file (replaced atomically; its folder must exist). Default: stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// What `catena export` writes: a run's report, bibliography or trace, or agent runs as training
/// data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutFormat {
    Run(Format),
    Autocoa,
}

fn parse_format(s: &str) -> Result<OutFormat, String> {
    if s.trim().eq_ignore_ascii_case("autocoa") {
        return Ok(OutFormat::Autocoa);
    }
    Format::from_name(s).map(OutFormat::Run).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format '{s}' (one of: {}, autocoa)", names.join(", "))
    })
}

fn parse_style(s: &str) -> Result<CitationStyle, String> {
    CitationStyle::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = CitationStyle::ALL.iter().map(|s| s.name()).collect();
        format!("unknown citation style '{s}' (one of: {})", names.join(", "))
    })
}

/// `catena export`.
pub(crate) async fn export(dir: &Path, args: ExportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let to_stdout = args.output.as_deref().is_none_or(|p| p == Path::new("-"));
    if to_stdout && json {
        bail!("--json needs -o FILE: the export and the JSON summary cannot share stdout");
    }
    let format = match args.format {
        OutFormat::Run(f) => f,
        OutFormat::Autocoa => return export_autocoa(dir, args, json, to_stdout).await,
    };
    if !args.runs.is_empty() || args.all_agent {
        bail!("--runs and --all-agent go with --format autocoa; other formats export one run");
    }
    let run_id = args.run_id.clone().unwrap_or_default();
    if to_stdout && format.is_binary() && std::io::stdout().is_terminal() {
        bail!("refusing to write a binary {} file to the terminal; use -o FILE or redirect stdout", format.name());
    }
    // Reading history must not create a library where there is none.
    let catalog = open_history(dir).await?;
    let record = match &catalog {
        Some(catalog) => catalog.get_run(&run_id).await?,
        None => None,
    };
    let Some(record) = record else {
        bail!("no run '{}' in the history (see `catena runs`)", run_id.trim());
    };
    let details = match &catalog {
        Some(catalog) => source_details(catalog, &record).await?,
        None => BTreeMap::new(),
    };
    let bytes = ::export::render_with(&record, format, &ExportOptions { style: args.style }, &details)
        .with_context(|| format!("cannot export run {} as {}", record.run_id, format.name()))?;
    let summary = serde_json::json!({ "run_id": record.run_id, "format": format.name() });
    finish(args.output.filter(|_| !to_stdout), &bytes, json, summary, format.label())
}

/// The catalog, when the library has one (reading history must not create a library).
async fn open_history(dir: &Path) -> anyhow::Result<Option<Catalog>> {
    let catalog_path = dir.join("catalog.db");
    Ok(if catalog_path.exists() { Some(Catalog::open(&catalog_path).await?) } else { None })
}

/// `catena export --format autocoa`: the chosen agent runs as JSONL training data. A chain run
/// named by id is refused (it has no trajectory); `--all-agent` leaves chain runs out.
async fn export_autocoa(dir: &Path, args: ExportArgs, json: bool, to_stdout: bool) -> anyhow::Result<ExitCode> {
    let catalog = open_history(dir).await?;
    let mut records = Vec::new();
    if args.all_agent {
        if let Some(catalog) = &catalog {
            let mut ids: Vec<String> =
                catalog.list_runs(usize::MAX >> 1).await?.into_iter().map(|r| r.run_id).collect();
            // Oldest first, the order they were asked in.
            ids.reverse();
            for id in ids {
                if let Some(r) = catalog.get_run(&id).await?
                    && r.run_mode == engine::RunMode::Agent
                    && r.agent_protocol != Some(engine::run::AgentProtocol::Tools)
                    && r.plan_raw.as_deref().is_some_and(|t| !t.trim().is_empty())
                {
                    records.push(r);
                }
            }
        }
        if records.is_empty() {
            bail!("no agent runs in the history (runs of `catena ask --mode agent` with a model)");
        }
    } else {
        let ids: Vec<String> =
            if args.runs.is_empty() { args.run_id.clone().into_iter().collect() } else { args.runs.clone() };
        for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            let record = match &catalog {
                Some(catalog) => catalog.get_run(id).await?,
                None => None,
            };
            let Some(record) = record else {
                bail!("no run '{id}' in the history (see `catena runs`)");
            };
            records.push(record);
        }
        if records.is_empty() {
            bail!("--runs names no run");
        }
    }
    let bytes = ::export::autocoa::jsonl(&records).context("cannot export as autocoa")?;
    let ids: Vec<&str> = records.iter().map(|r| r.run_id.as_str()).collect();
    let summary = serde_json::json!({ "run_ids": ids, "runs": records.len(), "format": "autocoa" });
    finish(args.output.filter(|_| !to_stdout), &bytes, json, summary, "AutoCoA training JSONL")
}

/// Writes the export to `path` (atomically) or stdout, and says what it wrote.
fn finish(
    path: Option<PathBuf>,
    bytes: &[u8],
    json: bool,
    mut summary: serde_json::Value,
    label: &str,
) -> anyhow::Result<ExitCode> {
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = out.write_all(bytes).and_then(|()| out.flush());
        return Ok(ExitCode::SUCCESS);
    };
    write_atomically(&path, bytes)?;
    if json {
        summary["path"] = path.display().to_string().into();
        summary["bytes"] = bytes.len().into();
        say(&serde_json::to_string_pretty(&summary).context("cannot write the summary as JSON")?);
    } else {
        say(&format!("wrote {} ({} bytes, {label})", path.display(), bytes.len()));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the cited documents that are still in the library say about themselves (their cards),
/// for the bibliography entries.
async fn source_details(catalog: &Catalog, record: &engine::RunRecord) -> anyhow::Result<BTreeMap<i64, SourceDetails>> {
    let mut out = BTreeMap::new();
    for id in record.evidence.iter().filter_map(|e| e.doc_id) {
        if out.contains_key(&id) {
            continue;
        }
        let Some(card) = catalog.card(id).await? else { continue };
        let Ok(card) = serde_json::from_value::<extract::DocumentCard>(card) else { continue };
        let id_of = |kind| card.identifier(kind).map(str::to_owned);
        out.insert(
            id,
            SourceDetails {
                title: card.title.clone(),
                authors: card.authors.clone(),
                date: card.date.clone(),
                doi: id_of(extract::IdentifierKind::Doi),
                arxiv: id_of(extract::IdentifierKind::Arxiv),
                isbn: id_of(extract::IdentifierKind::Isbn),
            },
        );
    }
    Ok(out)
}

/// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so a reader
/// never sees half a file and a failed export leaves an existing file as it was.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.is_dir() {
        bail!("{} is a folder; give a file name", path.display());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        bail!("cannot write {}: the folder {} does not exist", path.display(), parent.display());
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".catena-export-")
        .tempfile_in(&parent)
        .with_context(|| format!("cannot create a file in {}", parent.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // A temporary file is private (0600); an export is an ordinary document.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o644);
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

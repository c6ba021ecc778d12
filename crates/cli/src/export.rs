//! `catena export`: a stored run as a report (Markdown, HTML, DOCX, PDF), a bibliography
//! (BibTeX, CSL-JSON, RIS) or its JSON trace, through the `export` crate the desktop app uses too.

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
    run_id: String,
    /// md, html, docx, pdf, bibtex, csl-json, ris or json.
    #[arg(long, short = 'f', value_parser = parse_format)]
    format: Format,
    /// Citation style of the reference list in md, html, docx and pdf: apa, ieee, chicago,
    /// harvard, mla or vancouver.
    #[arg(long, value_parser = parse_style, default_value = "apa")]
    style: CitationStyle,
    /// Write to this file (replaced atomically; its folder must exist). Default: stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format '{s}' (one of: {})", names.join(", "))
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
    if to_stdout && args.format.is_binary() && std::io::stdout().is_terminal() {
        bail!("refusing to write a binary {} file to the terminal; use -o FILE or redirect stdout", args.format.name());
    }
    // Reading history must not create a library where there is none.
    let catalog_path = dir.join("catalog.db");
    let catalog = if catalog_path.exists() { Some(Catalog::open(&catalog_path).await?) } else { None };
    let record = match &catalog {
        Some(catalog) => catalog.get_run(&args.run_id).await?,
        None => None,
    };
    let Some(record) = record else {
        bail!("no run '{}' in the history (see `catena runs`)", args.run_id.trim());
    };
    let details = match &catalog {
        Some(catalog) => source_details(catalog, &record).await?,
        None => BTreeMap::new(),
    };
    let bytes = ::export::render_with(&record, args.format, &ExportOptions { style: args.style }, &details)
        .with_context(|| format!("cannot export run {} as {}", record.run_id, args.format.name()))?;

    let Some(path) = args.output.filter(|_| !to_stdout) else {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = out.write_all(&bytes).and_then(|()| out.flush());
        return Ok(ExitCode::SUCCESS);
    };
    write_atomically(&path, &bytes)?;
    if json {
        let summary = serde_json::json!({
            "run_id": record.run_id,
            "format": args.format.name(),
            "path": path.display().to_string(),
            "bytes": bytes.len(),
        });
        say(&serde_json::to_string_pretty(&summary).context("cannot write the summary as JSON")?);
    } else {
        say(&format!("wrote {} ({} bytes, {})", path.display(), bytes.len(), args.format.label()));
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

//! Exporting a run: the user picks a format, a citation style and (in a save dialog opened from
//! Rust) a file; the run is rendered by the `export` crate and written there. The webview never
//! names a path.

use std::path::PathBuf;

use engine::run::RunRecord;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// An export format the dialog offers.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FormatDto {
    pub name: &'static str,
    pub label: &'static str,
    pub extension: &'static str,
    /// Whether this build can write it.
    pub available: bool,
    /// Whether the citation style changes the output (reports do; bibliographies do not).
    pub uses_style: bool,
}

/// A citation style.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StyleDto {
    pub name: &'static str,
    pub label: &'static str,
}

/// What the export dialog offers.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ExportChoices {
    pub formats: Vec<FormatDto>,
    pub styles: Vec<StyleDto>,
}

/// Renders a run in a format and citation style (the `export` crate).
pub(crate) fn render(record: &RunRecord, format: export::Format, style: &str) -> Result<Vec<u8>, IpcError> {
    let style = export::CitationStyle::from_name(style)
        .ok_or_else(|| IpcError::invalid(format!("unknown citation style {style}")))?;
    export::render(record, format, &export::ExportOptions { style })
        .map_err(|e| IpcError::new(ErrorCode::ExportFailed, e.to_string()))
}

/// The formats and citation styles the export dialog lists.
#[tauri::command]
pub fn export_formats() -> ExportChoices {
    ExportChoices {
        formats: export::Format::ALL
            .iter()
            .map(|&f| FormatDto {
                name: f.name(),
                label: f.label(),
                extension: f.extension(),
                available: true,
                uses_style: f.uses_style(),
            })
            .collect(),
        styles: export::CitationStyle::ALL.iter().map(|&s| StyleDto { name: s.name(), label: s.label() }).collect(),
    }
}

/// A file name from the question: `what-did-x-find.md`.
fn suggested_name(question: &str, extension: &str) -> String {
    let mut slug = String::new();
    for word in question.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(8) {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_lowercase());
    }
    if slug.is_empty() {
        slug.push_str("catena-run");
    }
    format!("{slug}.{extension}")
}

/// Renders the run, asks where to save it, and writes it. Returns the path written, or None when
/// the user closed the dialog.
#[tauri::command]
pub async fn export_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    run_id: String,
    format: String,
    style: String,
) -> Result<Option<String>, IpcError> {
    let Some(format) = export::Format::from_name(&format) else {
        return Err(IpcError::invalid(format!("unknown export format {format}")));
    };
    let lib = state.library().await?;
    let record = lib
        .catalog()
        .get_run(&run_id)
        .await?
        .ok_or_else(|| IpcError::not_found(format!("no run {run_id} in the history")))?;
    // Render first, so a failure shows before the user chooses a file.
    let bytes = render(&record, format, &style)?;
    let file_name = suggested_name(&record.question, format.extension());
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Export run")
        .add_filter(format.label(), &[format.extension()])
        .set_file_name(file_name)
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    let path: PathBuf = path.into_path().map_err(|e| IpcError::new(ErrorCode::Io, e.to_string()))?;
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| IpcError::new(ErrorCode::Io, format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path.to_string_lossy().into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_question() {
        assert_eq!(suggested_name("When was X founded?", "md"), "when-was-x-founded.md");
        assert_eq!(suggested_name("???", "bib"), "catena-run.bib");
    }
}

//! Exports of a finished run: a readable report (Markdown, HTML, DOCX, PDF), the bibliography of
//! the sources the answer cites (BibTeX, CSL-JSON, RIS), the full trace (JSON), and an agent
//! run's turn as training data ([`autocoa`]).
//!
//! Entry point: [`render`]`(&RunRecord, Format, &ExportOptions) -> Vec<u8>`. Both front ends call
//! it: the CLI's `catena export` and the desktop app. The crate does no I/O: writing the bytes
//! somewhere is the caller's business.
//!
//! **Invariants.**
//! - Text from documents and web pages is data. Every format escapes it for its own syntax
//!   (HTML, Markdown, LaTeX, XML), so a `<script>` in a passage comes out as text.
//! - Reports number each cited source by its evidence id, the number of the answer's `[n]`
//!   markers and of the app's, in every format (DOCX footnote marks included), and list the
//!   sources by that number; the bibliography formats list the same sources in the same order.
//!   The JSON trace keeps the run as stored.
//! - The citation style ([`CitationStyle`]) drives the reference entries of the reports through
//!   the CSL processor `hayagriva` and its bundled styles.
//! - An export holds only what the run record holds; a record carries no credentials, and
//!   [`render`] refuses a record whose JSON has a key named like a secret ([`ExportError::Secret`]).

pub mod autocoa;
mod bib;
mod docx;
mod html;
mod markdown;
mod pdf;
mod report;
mod style;
#[cfg(test)]
mod testing;

use std::collections::BTreeMap;

use engine::RunRecord;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Markdown (CommonMark with footnote-style numbered references).
    Markdown,
    /// One self-contained HTML file: inline CSS, no scripts, no external resources.
    Html,
    /// Word document with citations as footnotes.
    Docx,
    /// A4 PDF with an embedded font.
    Pdf,
    /// BibTeX entries of the cited sources.
    Bibtex,
    /// CSL-JSON items of the cited sources.
    CslJson,
    /// RIS records of the cited sources.
    Ris,
    /// The run record as stored, pretty-printed.
    Json,
}

impl Format {
    /// Every format, in the order menus list them.
    pub const ALL: [Format; 8] = [
        Format::Markdown,
        Format::Html,
        Format::Docx,
        Format::Pdf,
        Format::Bibtex,
        Format::CslJson,
        Format::Ris,
        Format::Json,
    ];

    /// Parses a format name (`md`, `markdown`, `html`, `docx`, `pdf`, `bibtex`, `bib`,
    /// `csl-json`, `csljson`, `ris`, `json`), ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Format> {
        let f = match name.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "docx" | "word" => Format::Docx,
            "pdf" => Format::Pdf,
            "bibtex" | "bib" => Format::Bibtex,
            "csl-json" | "csljson" | "csl" => Format::CslJson,
            "ris" => Format::Ris,
            "json" => Format::Json,
            _ => return None,
        };
        Some(f)
    }

    /// The canonical name, as [`Format::from_name`] accepts it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Bibtex => "bibtex",
            Format::CslJson => "csl-json",
            Format::Ris => "ris",
            Format::Json => "json",
        }
    }

    /// A human name for menus.
    pub fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown",
            Format::Html => "HTML",
            Format::Docx => "Word (DOCX)",
            Format::Pdf => "PDF",
            Format::Bibtex => "BibTeX",
            Format::CslJson => "CSL-JSON",
            Format::Ris => "RIS",
            Format::Json => "JSON trace",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Bibtex => "bib",
            Format::CslJson => "json",
            Format::Ris => "ris",
            Format::Json => "json",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Format::Pdf => "application/pdf",
            Format::Bibtex => "application/x-bibtex; charset=utf-8",
            Format::CslJson => "application/vnd.citationstyles.csl+json",
            Format::Ris => "application/x-research-info-systems",
            Format::Json => "application/json",
        }
    }

    /// Whether the bytes are not text (a terminal should not receive them).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Docx | Format::Pdf)
    }

    /// Whether the citation style changes the output (the reports do; bibliographies and the
    /// trace are style-free data).
    pub fn uses_style(self) -> bool {
        matches!(self, Format::Markdown | Format::Html | Format::Docx | Format::Pdf)
    }
}

/// A citation style for the reference lists of the reports, from the CSL styles bundled with
/// `hayagriva`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CitationStyle {
    /// APA 7th edition (author-date).
    #[default]
    Apa,
    /// IEEE (numeric).
    Ieee,
    /// Chicago Manual of Style, notes and bibliography.
    Chicago,
    /// Harvard (Cite Them Right).
    Harvard,
    /// MLA 9th edition.
    Mla,
    /// Vancouver (NLM citation-sequence).
    Vancouver,
}

impl CitationStyle {
    /// Every style, in the order menus list them.
    pub const ALL: [CitationStyle; 6] = [
        CitationStyle::Apa,
        CitationStyle::Ieee,
        CitationStyle::Chicago,
        CitationStyle::Harvard,
        CitationStyle::Mla,
        CitationStyle::Vancouver,
    ];

    /// Parses a style name (`apa`, `ieee`, `chicago`, `harvard`, `mla`, `vancouver`), ignoring
    /// ASCII case.
    pub fn from_name(name: &str) -> Option<CitationStyle> {
        let s = match name.trim().to_ascii_lowercase().as_str() {
            "apa" => CitationStyle::Apa,
            "ieee" => CitationStyle::Ieee,
            "chicago" => CitationStyle::Chicago,
            "harvard" => CitationStyle::Harvard,
            "mla" => CitationStyle::Mla,
            "vancouver" | "nlm" => CitationStyle::Vancouver,
            _ => return None,
        };
        Some(s)
    }

    /// The canonical name, as [`CitationStyle::from_name`] accepts it.
    pub fn name(self) -> &'static str {
        match self {
            CitationStyle::Apa => "apa",
            CitationStyle::Ieee => "ieee",
            CitationStyle::Chicago => "chicago",
            CitationStyle::Harvard => "harvard",
            CitationStyle::Mla => "mla",
            CitationStyle::Vancouver => "vancouver",
        }
    }

    /// A human name for menus.
    pub fn label(self) -> &'static str {
        match self {
            CitationStyle::Apa => "APA (7th ed.)",
            CitationStyle::Ieee => "IEEE",
            CitationStyle::Chicago => "Chicago (notes and bibliography)",
            CitationStyle::Harvard => "Harvard (Cite Them Right)",
            CitationStyle::Mla => "MLA (9th ed.)",
            CitationStyle::Vancouver => "Vancouver",
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Style of the reference entries in the reports.
    pub style: CitationStyle,
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The record holds a field named like a credential; nothing is exported.
    #[error("the run record holds a field named '{0}', which looks like a credential; refusing to export it")]
    Secret(String),
    /// The citation style could not be applied.
    #[error("cannot format the references: {0}")]
    Style(String),
    /// The DOCX package could not be written.
    #[error("cannot write the DOCX file: {0}")]
    Docx(String),
    /// The PDF could not be written.
    #[error("cannot write the PDF file: {0}")]
    Pdf(String),
    /// A chain run has no agent trajectory to train on.
    #[error(
        "run {0} was answered by the chain, not by an agent: it has no trajectory to train on (only runs of `catena ask --mode agent` do)"
    )]
    NotAgent(String),
    /// An agent run over native tool calls: its turn is not in AutoCoA's tag format.
    #[error(
        "agent run {0} used the provider's tool calls, not AutoCoA's tags: its turn is not a tagged trajectory to train on"
    )]
    ToolCalls(String),
    /// An agent run whose turn was not recorded (it ran without a model).
    #[error("agent run {0} has no recorded turn (it ran without a model)")]
    NoTrajectory(String),
    /// JSON serialisation failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// What a cited document says about itself (its card, read at ingest), for the bibliography
/// entries: the run record names a document only by id, path and title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceDetails {
    /// The document's own title, when it has a better one than the record's.
    pub title: Option<String>,
    /// Authors, as written (`Ana Lima` or `Lima, Ana`; an organisation as one entry).
    pub authors: Vec<String>,
    /// ISO 8601 date: `2020-09-30`, `2020-09` or `2020`.
    pub date: Option<String>,
    /// DOI, without a `doi:` prefix.
    pub doi: Option<String>,
    /// arXiv identifier (`2004.04906v3`).
    pub arxiv: Option<String>,
    /// ISBN, digits only.
    pub isbn: Option<String>,
}

/// Renders `run` in `format`.
pub fn render(run: &RunRecord, format: Format, options: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    render_with(run, format, options, &BTreeMap::new())
}

/// Renders `run` in `format`, with what the cited documents say about themselves (by catalog
/// document id): the bibliographies (BibTeX, CSL-JSON, RIS) then carry authors, dates, DOIs,
/// arXiv ids and ISBNs. Documents without details are listed as [`render`] lists them.
pub fn render_with(
    run: &RunRecord,
    format: Format,
    options: &ExportOptions,
    details: &BTreeMap<i64, SourceDetails>,
) -> Result<Vec<u8>, ExportError> {
    let trace = serde_json::to_value(run)?;
    if let Some(name) = secret_field(&trace) {
        return Err(ExportError::Secret(name));
    }
    match format {
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(&trace)?;
            out.push(b'\n');
            Ok(out)
        }
        Format::Bibtex => Ok(bib::bibtex(&run.run_id, &report::cited_sources(run), details).into_bytes()),
        Format::CslJson => bib::csl_json(&run.run_id, &report::cited_sources(run), details),
        Format::Ris => Ok(bib::ris(&run.run_id, &report::cited_sources(run), details).into_bytes()),
        Format::Markdown => Ok(markdown::render(&report::Report::new(run, options.style)?).into_bytes()),
        Format::Html => Ok(html::render(&report::Report::new(run, options.style)?).into_bytes()),
        Format::Docx => docx::render(&report::Report::new(run, options.style)?),
        Format::Pdf => pdf::render(&report::Report::new(run, options.style)?),
    }
}

/// A file name for the export of `run`: `catena-<run id>.<extension>` (`catena-run` without an
/// id), with characters that are unsafe in file names replaced.
pub fn file_name(run: &RunRecord, format: Format) -> String {
    let id: String = run
        .run_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(64)
        .collect();
    let stem = if id.is_empty() { "catena-run".to_string() } else { format!("catena-{id}") };
    let suffix = if format == Format::CslJson { ".csl.json" } else { "" };
    if suffix.is_empty() { format!("{stem}.{}", format.extension()) } else { format!("{stem}{suffix}") }
}

/// The first object key in `v` (depth-first) that names a credential (`api_key`, `apiKey`,
/// `secret`, `password`, `token` as a whole word, `authorization`). Token *counts*
/// (`prompt_tokens`) are not credentials.
fn secret_field(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if looks_secret(k) {
                    return Some(k.clone());
                }
                if let Some(found) = secret_field(child) {
                    return Some(found);
                }
            }
            None
        }
        serde_json::Value::Array(items) => items.iter().find_map(secret_field),
        _ => None,
    }
}

fn looks_secret(key: &str) -> bool {
    let k: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    k.contains("apikey")
        || k.contains("secret")
        || k.contains("password")
        || k.contains("authorization")
        || k.contains("bearer")
        || k == "token"
        || k.ends_with("accesstoken")
        || k == "key"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert!(!f.extension().is_empty() && !f.mime().is_empty());
        }
        assert_eq!(Format::from_name(" Markdown "), Some(Format::Markdown));
        assert_eq!(Format::from_name("odt"), None);
        for s in CitationStyle::ALL {
            assert_eq!(CitationStyle::from_name(s.name()), Some(s));
        }
        assert_eq!(CitationStyle::from_name("IEEE"), Some(CitationStyle::Ieee));
        assert_eq!(CitationStyle::from_name("turabian"), None);
    }

    #[test]
    fn json_is_the_record_as_stored() {
        let run = sample();
        let out = render(&run, Format::Json, &ExportOptions::default()).unwrap();
        let back: RunRecord = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, run);
        assert!(String::from_utf8(out).unwrap().contains("\n  \"question\": "), "pretty-printed");
    }

    #[test]
    fn no_export_holds_a_field_named_like_a_credential() {
        let run = sample();
        for f in Format::ALL {
            let out = render(&run, f, &ExportOptions::default()).unwrap();
            let text = String::from_utf8_lossy(&out).to_lowercase();
            for needle in ["api_key", "apikey", "api-key", "authorization", "bearer"] {
                assert!(!text.contains(needle), "{f:?} contains {needle}");
            }
        }
        // Every key of the trace is checked, so a record that ever gains such a field fails
        // loudly instead of leaking it.
        let trace = serde_json::to_value(&run).unwrap();
        assert_eq!(secret_field(&trace), None);
        let mut leaky = trace.clone();
        leaky["settings"]["api_key"] = "sk-live-123".into();
        assert_eq!(secret_field(&leaky).as_deref(), Some("api_key"));
        leaky = trace;
        leaky["usage"]["calls"][0]["Authorization"] = "Bearer sk".into();
        assert_eq!(secret_field(&leaky).as_deref(), Some("Authorization"));
    }

    #[test]
    fn file_names_are_safe() {
        let mut run = sample();
        run.run_id = "20260102-abc/../x".into();
        assert_eq!(file_name(&run, Format::Pdf), "catena-20260102-abc----x.pdf");
        assert_eq!(file_name(&run, Format::CslJson), "catena-20260102-abc----x.csl.json");
        run.run_id.clear();
        assert_eq!(file_name(&run, Format::Markdown), "catena-run.md");
    }
}

//! Rendering of command results: one JSON document with `--json`, readable text otherwise.
//!
//! The JSON field names are a public contract for scripts; they are listed in the README.

use library::{CheckReport, DocRow, EmbedSummary, Hit, IngestSummary, Removed, SearchMode, Status};
use serde_json::{Value, json};

pub(crate) use session::cli::{peak_rss_bytes, print_json, say};

pub(crate) fn ingest(s: &IngestSummary, embedded: Option<&EmbedSummary>, json: bool) {
    if json {
        let embedding = embedded.map(|e| {
            json!({
                "model": e.model,
                "documents": e.documents,
                "chunks": e.chunks,
                "remaining": e.remaining,
                "interrupted": e.interrupted,
                "error": e.error,
                "elapsed_ms": e.elapsed.as_millis() as u64,
            })
        });
        print_json(&json!({
            "ingested": s.ingested,
            "skipped": s.skipped,
            "failed": s.failed.iter().map(|(p, e)| json!({"path": p, "error": e})).collect::<Vec<_>>(),
            "duplicates": s.duplicates.iter().map(|(p, of)| json!({"path": p, "duplicate_of": of})).collect::<Vec<_>>(),
            "removed": s.removed,
            "moved": s.moved,
            "skipped_unsupported": s.unsupported,
            "chunks": s.chunks,
            "bytes": s.bytes,
            "elapsed_ms": s.elapsed.as_millis() as u64,
            "interrupted": s.interrupted,
            "peak_rss_bytes": peak_rss_bytes(),
            "embedding": embedding,
        }));
        return;
    }
    let secs = s.elapsed.as_secs_f64();
    let mb = s.bytes as f64 / 1e6;
    let mut line = format!(
        "{} ingested, {} skipped, {} failed — {} chunks, {:.1} MB in {:.1} s",
        s.ingested,
        s.skipped,
        s.failed.len(),
        s.chunks,
        mb,
        secs
    );
    if s.removed > 0 {
        line.push_str(&format!(", {} removed", s.removed));
    }
    if s.moved > 0 {
        line.push_str(&format!(", {} moved", s.moved));
    }
    if s.unsupported > 0 {
        line.push_str(&format!(" ({} files of other types left out)", s.unsupported));
    }
    if s.interrupted {
        line.push_str(" (interrupted: the rest was not read)");
    }
    say(&line);
    if let Some(e) = embedded.filter(|e| e.documents > 0 || e.remaining > 0) {
        let mut line = format!(
            "embedded {} with {} — {} chunks in {:.1} s",
            plural(e.documents, "document", "documents"),
            e.model,
            e.chunks,
            e.elapsed.as_secs_f64()
        );
        if e.remaining > 0 {
            line.push_str(&format!(" ({} left for the next run)", e.remaining));
        }
        say(&line);
    }
}

/// A document as `docs --json` prints it: the same shape the MCP server's `list_documents` returns.
pub(crate) fn doc_json(d: &DocRow) -> Value {
    serde_json::to_value(mcp::DocumentInfo::from(d)).unwrap_or(Value::Null)
}

/// The document card as one line under a document (`card: "Title" · by A, B · 2020-09-30 ·
/// arXiv 2004.04906v3`), when the document has one.
fn card_line(d: &DocRow) -> Option<String> {
    let card: extract::DocumentCard = serde_json::from_value(d.card.clone()?).ok()?;
    let mut parts = Vec::new();
    if let Some(t) = card.title.as_deref().filter(|t| Some(*t) != d.title.as_deref()) {
        parts.push(format!("\"{t}\""));
    }
    if !card.authors.is_empty() {
        parts.push(format!("by {}", card.authors.join(", ")));
    }
    if let Some(date) = &card.date {
        parts.push(date.clone());
    }
    for id in &card.identifiers {
        parts.push(format!("{} {}", id.kind.label(), id.value));
    }
    (!parts.is_empty()).then(|| format!("       card: {}", parts.join(" · ")))
}

pub(crate) fn docs(docs: &[DocRow], json: bool) {
    if json {
        print_json(&Value::Array(docs.iter().map(doc_json).collect()));
        return;
    }
    if docs.is_empty() {
        say("the library is empty — add files with `catena ingest PATH`");
        return;
    }
    for d in docs {
        let what = match d.status {
            Status::Failed => format!("FAILED: {}", d.error.as_deref().unwrap_or("unknown reason")),
            Status::Duplicate => format!("duplicate of #{}", d.duplicate_of.unwrap_or_default()),
            _ => {
                let pages = d.pages.map(|p| format!("{}, ", plural(u64::from(p), "page", "pages"))).unwrap_or_default();
                let ocr = if d.ocr_pages > 0 {
                    format!(", {} by OCR", plural(d.ocr_pages, "page", "pages"))
                } else {
                    String::new()
                };
                format!("{}{}{}", pages, plural(d.chunks, "chunk", "chunks"), ocr)
            }
        };
        say(&format!(
            "#{:<5} {:<8} {}  ({})\n       {}",
            d.id,
            d.format.as_deref().unwrap_or("?"),
            d.title.as_deref().unwrap_or(""),
            what,
            d.path
        ));
        if let Some(line) = card_line(d) {
            say(&line);
        }
        for w in &d.warnings {
            say(&format!("       note: {w}"));
        }
    }
}

/// A hit as `search --json` prints it: the same shape the MCP server's `search_library` returns.
pub(crate) fn hit_json(h: &Hit) -> Value {
    serde_json::to_value(mcp::SearchHit::from(h)).unwrap_or(Value::Null)
}

pub(crate) fn search(query: &str, mode: SearchMode, hits: &[Hit], json: bool) {
    if json {
        print_json(&json!({
            "query": query,
            "mode": mode.as_str(),
            "hits": hits.iter().map(hit_json).collect::<Vec<_>>(),
        }));
        return;
    }
    if hits.is_empty() {
        say(&format!("no results for {query:?}"));
        return;
    }
    for (i, h) in hits.iter().enumerate() {
        let loc = h.location.label();
        let loc = if loc.is_empty() { String::new() } else { format!(" — {loc}") };
        say(&format!("{:>2}. {}{}  [{:.2}]", i + 1, h.title, loc, h.score));
        say(&format!("    {}", h.path));
        say(&format!("    {}", terminal_snippet(&h.snippet_html)));
    }
}

/// Turns the HTML snippet into terminal text: matches in bold when stdout is a terminal,
/// between asterisks otherwise; entities decoded.
fn terminal_snippet(html: &str) -> String {
    use std::io::IsTerminal;
    let (on, off) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("*", "*") };
    html.replace("<b>", on)
        .replace("</b>", off)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace('\n', " ")
}

pub(crate) fn removed(r: &Removed, json: bool) {
    if json {
        print_json(&json!({"removed": doc_json(&r.doc), "promoted": r.promoted}));
        return;
    }
    say(&format!("removed #{} {}", r.doc.id, r.doc.path));
    for p in &r.promoted {
        say(&format!("  {p} held the same content and was indexed in its place"));
    }
}

/// What `catena check` found beyond catalog/index agreement: the catalog file's own integrity
/// and whether the index opens and its files are whole.
#[derive(Debug, Default)]
pub(crate) struct Health {
    /// SQLite's integrity check findings, or why the catalog could not be checked.
    pub(crate) catalog_problems: Vec<String>,
    /// Why the index cannot be used (missing, damaged), with the fix.
    pub(crate) index_problem: Option<String>,
    /// Index files whose checksums do not match.
    pub(crate) damaged_index_files: Vec<String>,
}

impl Health {
    pub(crate) fn is_sound(&self) -> bool {
        self.catalog_problems.is_empty() && self.index_problem.is_none() && self.damaged_index_files.is_empty()
    }
}

pub(crate) fn check(r: &CheckReport, health: &Health, json: bool) {
    let consistent = r.is_consistent() && health.is_sound();
    if json {
        print_json(&json!({
            "consistent": consistent,
            "catalog_ok": health.catalog_problems.is_empty(),
            "catalog_problems": health.catalog_problems,
            "index_problem": health.index_problem,
            "damaged_index_files": health.damaged_index_files,
            "documents": r.documents,
            "chunks": r.chunks,
            "orphans_in_index": r.orphans_in_index,
            "missing_from_index": r.missing_from_index,
            "count_mismatches": r.count_mismatches.iter()
                .map(|(id, c, i)| json!({"doc_id": id, "catalog": c, "index": i})).collect::<Vec<_>>(),
            "embedded": r.embedded,
            "vectors": r.vectors,
            "vector_mismatches": r.vector_mismatches.iter()
                .map(|(id, m, c, v)| json!({"doc_id": id, "model": m, "chunks": c, "vectors": v})).collect::<Vec<_>>(),
            "vectors_without_document": r.vectors_without_document,
        }));
        return;
    }
    if let Some(first) = health.catalog_problems.first() {
        let more = health.catalog_problems.len() - 1;
        let more = if more > 0 { format!(" (and {more} more problems)") } else { String::new() };
        say(&format!(
            "CATALOG DAMAGED: SQLite's integrity check failed: {first}{more}; restore catalog.db from a backup, \
             or save what is readable with `sqlite3 catalog.db .recover`"
        ));
    }
    if let Some(problem) = &health.index_problem {
        say(&format!("INDEX UNUSABLE: {problem}"));
    }
    if !health.damaged_index_files.is_empty() {
        say(&format!(
            "INDEX DAMAGED: {} fails its checksum; run `catena repair` to rebuild the index from the catalog",
            health.damaged_index_files.join(", ")
        ));
    }
    if health.index_problem.is_some() {
        return;
    }
    if consistent {
        say(&format!(
            "consistent: {} documents, {} chunks, {} vectors ({} embedded)",
            r.documents, r.chunks, r.vectors, r.embedded
        ));
    } else if !r.is_consistent() {
        say(&format!("INCONSISTENT: {r:?}"));
    }
}

pub(crate) fn repaired(r: &library::RebuildReport, json: bool) {
    if json {
        print_json(&json!({
            "documents": r.documents,
            "chunks": r.chunks,
            "reread": r.reread,
            "from_stored_text": r.from_stored_text,
            "dropped": r.dropped,
            "replaced_existing": r.replaced_existing,
        }));
        return;
    }
    say(&format!(
        "rebuilt the index: {}, {} ({} read again from their files, {} from the catalog's stored text)",
        plural(r.documents, "document", "documents"),
        plural(r.chunks, "chunk", "chunks"),
        r.reread,
        r.from_stored_text
    ));
    for path in &r.dropped {
        say(&format!("dropped (no stored text; ingest it again): {path}"));
    }
}

/// The one JSON document a fatal error prints with `--json`.
pub(crate) fn fatal(code: &str, message: &str) {
    print_json(&json!({"error": {"code": code, "message": message}}));
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

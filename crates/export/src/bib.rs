//! The bibliography of the cited sources, in citation order: BibTeX, CSL-JSON and RIS.
//!
//! Written directly rather than through a library: each format is a flat list of fields, and
//! the care they need (LaTeX escaping, CSL date-parts, RIS tags) is in the few lines below.

use serde_json::{Value, json};

use engine::EvidenceKind;

use crate::ExportError;
use crate::report::Source;

/// The citation key of a source: `catena-<run id>-<n>`, letters, digits and `-` only.
fn cite_key(run_id: &str, number: usize) -> String {
    let id: String = run_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    if id.is_empty() { format!("catena-{number}") } else { format!("catena-{id}-{number}") }
}

/// `Location: p. 3; File: /x.pdf; Query: SELECT …`: what a style has no field for.
fn note(s: &Source<'_>) -> String {
    let mut parts = Vec::new();
    let location = s.location();
    if !location.is_empty() {
        parts.push(format!("Location: {location}"));
    }
    if let Some(path) = &s.evidence.path {
        parts.push(format!("File: {path}"));
    }
    if let Some(sql) = s.evidence.table.as_ref().and_then(|t| t.sql.as_deref()) {
        parts.push(format!("Query: {sql}"));
    }
    one_line(&parts.join("; "))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes LaTeX's special characters in a field value.
pub(crate) fn latex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '_' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL for a verbatim `url` field: only the characters that would end the field go.
fn verbatim_url(url: &str) -> String {
    url.chars().filter(|c| !matches!(c, '{' | '}' | '\\') && !c.is_whitespace()).collect()
}

/// BibTeX (BibLaTeX-friendly): `@online` for web pages, `@misc` for documents and tables.
pub(crate) fn bibtex(run_id: &str, sources: &[Source<'_>]) -> String {
    let mut out = String::new();
    for s in sources {
        let e = s.evidence;
        let kind = if e.kind == EvidenceKind::Web { "online" } else { "misc" };
        out.push_str(&format!("@{kind}{{{},\n", cite_key(run_id, s.number)));
        // Double braces keep the title's capitals as they are.
        out.push_str(&format!("  title = {{{{{}}}}},\n", latex(&s.title())));
        if let Some(url) = &e.url {
            let url = verbatim_url(url);
            out.push_str(&format!("  url = {{{url}}},\n"));
            out.push_str(&format!("  howpublished = {{\\url{{{}}}}},\n", url.replace('%', "\\%").replace('#', "\\#")));
        }
        if let Some(d) = s.accessed() {
            out.push_str(&format!("  urldate = {{{d}}},\n"));
        }
        if e.kind == EvidenceKind::Table {
            out.push_str("  type = {Dataset},\n");
        }
        let note = note(s);
        if !note.is_empty() {
            out.push_str(&format!("  note = {{{}}},\n", latex(&note)));
        }
        out.push_str("}\n\n");
    }
    out
}

/// CSL-JSON: an array of items (`webpage`, `document`, `dataset`).
pub(crate) fn csl_json(run_id: &str, sources: &[Source<'_>]) -> Result<Vec<u8>, ExportError> {
    let items: Vec<Value> = sources
        .iter()
        .map(|s| {
            let e = s.evidence;
            let kind = match e.kind {
                EvidenceKind::Web => "webpage",
                EvidenceKind::Document => "document",
                EvidenceKind::Table => "dataset",
            };
            let mut item = json!({
                "id": cite_key(run_id, s.number),
                "type": kind,
                "title": s.title(),
            });
            if let Some(url) = &e.url {
                item["URL"] = json!(url);
            }
            if let Some(parts) = s.accessed().and_then(date_parts) {
                item["accessed"] = json!({ "date-parts": [parts] });
            }
            if let Some(path) = &e.path {
                item["archive_location"] = json!(path);
            }
            let note = note(s);
            if !note.is_empty() {
                item["note"] = json!(note);
            }
            item
        })
        .collect();
    let mut out = serde_json::to_vec_pretty(&items)?;
    out.push(b'\n');
    Ok(out)
}

/// `2026-03-04` → `[2026, 3, 4]`.
fn date_parts(d: &str) -> Option<Vec<u32>> {
    let parts: Vec<u32> = d.split('-').map(str::parse).collect::<Result<_, _>>().ok()?;
    (parts.len() == 3).then_some(parts)
}

/// RIS: `ELEC` for web pages, `GEN` for documents, `DATA` for tables; CRLF line ends.
pub(crate) fn ris(run_id: &str, sources: &[Source<'_>]) -> String {
    let mut out = String::new();
    let mut line = |tag: &str, value: &str| {
        out.push_str(&format!("{tag}  - {}\r\n", one_line(value)));
    };
    for s in sources {
        let e = s.evidence;
        line(
            "TY",
            match e.kind {
                EvidenceKind::Web => "ELEC",
                EvidenceKind::Document => "GEN",
                EvidenceKind::Table => "DATA",
            },
        );
        line("ID", &cite_key(run_id, s.number));
        line("TI", &s.title());
        if let Some(url) = &e.url {
            line("UR", url);
        }
        if let Some(d) = s.accessed() {
            line("Y2", &d.replace('-', "/"));
        }
        let note = note(s);
        if !note.is_empty() {
            line("N1", &note);
        }
        line("ER", "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TABLE_TITLE, sample};
    use crate::{ExportOptions, Format};

    fn out(f: Format) -> String {
        String::from_utf8(crate::render(&sample(), f, &ExportOptions::default()).unwrap()).unwrap()
    }

    #[test]
    fn bibtex_lists_cited_sources_with_latex_escaped() {
        let bib = out(Format::Bibtex);
        eprintln!("{bib}");
        let entries: Vec<&str> = bib.split('@').skip(1).collect();
        assert_eq!(entries.len(), 4, "only the four cited sources");
        assert!(
            entries[0].starts_with("misc{catena-20260304-102030-ab12-1,\n  title = {{Histoire de Montréal}},"),
            "{bib}"
        );
        assert!(entries[1].starts_with("online{catena-20260304-102030-ab12-2,"), "{bib}");
        assert!(entries[1].contains("  url = {https://fr.wikipedia.org/wiki/Montr%C3%A9al},\n"));
        assert!(entries[1].contains("  howpublished = {\\url{https://fr.wikipedia.org/wiki/Montr\\%C3\\%A9al}},\n"));
        assert!(entries[1].contains("  urldate = {2026-03-04},\n"));
        assert!(entries[0].contains("note = {Location: p. 3; File: /home/ana/Documents/histoire-de-montréal.pdf}"));
        assert!(entries[3].contains(r"title = {{Population \{estimates\} 100\% \& growth\_rate \#1}},"), "{bib}");
        assert!(!bib.contains(TABLE_TITLE));
        // Braces balance in every entry, so no field runs into the next.
        for e in &entries {
            let unescaped: String = e.replace("\\{", "").replace("\\}", "");
            assert_eq!(unescaped.matches('{').count(), unescaped.matches('}').count(), "{e}");
        }
    }

    #[test]
    fn csl_json_items_have_the_csl_shape() {
        let v: Value = serde_json::from_str(&out(Format::CslJson)).unwrap();
        let items = v.as_array().unwrap();
        assert_eq!(items.len(), 4);
        let types: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["document", "webpage", "document", "dataset"]);
        for item in items {
            assert!(item["id"].is_string() && item["title"].is_string(), "{item}");
            for (k, val) in item.as_object().unwrap() {
                let known = ["id", "type", "title", "URL", "accessed", "note", "archive_location"];
                assert!(known.contains(&k.as_str()), "unexpected CSL variable {k}");
                if k == "accessed" {
                    let parts = val["date-parts"].as_array().unwrap();
                    assert!(parts[0].as_array().unwrap().iter().all(Value::is_u64), "{val}");
                }
            }
        }
        assert_eq!(items[1]["URL"], "https://fr.wikipedia.org/wiki/Montr%C3%A9al");
        assert_eq!(items[1]["accessed"]["date-parts"], json!([[2026, 3, 4]]));
        assert_eq!(items[3]["title"], TABLE_TITLE);
        assert!(items[3]["note"].as_str().unwrap().contains("Query: SELECT Population FROM Census WHERE Year = 2021"));
    }

    #[test]
    fn ris_records_are_well_formed() {
        let ris = out(Format::Ris);
        let records: Vec<&str> = ris.split("ER  - \r\n").filter(|r| !r.is_empty()).collect();
        assert_eq!(records.len(), 4);
        for r in &records {
            assert!(r.starts_with("TY  - "), "{r}");
            for l in r.split("\r\n").filter(|l| !l.is_empty()) {
                assert_eq!(&l[2..6], "  - ", "tag line {l:?}");
            }
        }
        assert!(records[1].contains("TY  - ELEC\r\n"));
        assert!(records[1].contains("TI  - Montréal — Wikipédia\r\n"));
        assert!(records[1].contains("UR  - https://fr.wikipedia.org/wiki/Montr%C3%A9al\r\n"));
        assert!(records[1].contains("Y2  - 2026/03/04\r\n"));
        assert!(records[3].contains("TY  - DATA\r\n"));
        assert!(records[0].contains("N1  - Location: p. 3; File: /home/ana/Documents/histoire-de-montréal.pdf\r\n"));
    }

    #[test]
    fn latex_specials() {
        assert_eq!(latex("a\\b^c~d\n e"), "a\\textbackslash{}b\\textasciicircum{}c\\textasciitilde{}d e");
    }
}

//! The bibliography of the cited sources, in citation order: BibTeX, CSL-JSON and RIS.
//!
//! Written directly rather than through a library: each format is a flat list of fields, and
//! the care they need (LaTeX escaping, CSL date-parts, RIS tags) is in the few lines below.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use engine::EvidenceKind;

use crate::report::Source;
use crate::{ExportError, SourceDetails};

/// The details known for a cited document, if any.
fn details_of<'a>(s: &Source<'_>, details: &'a BTreeMap<i64, SourceDetails>) -> Option<&'a SourceDetails> {
    if s.evidence.kind != EvidenceKind::Document {
        return None;
    }
    s.evidence.doc_id.and_then(|id| details.get(&id))
}

/// The title a bibliography shows: the document's own, else the record's.
fn title_of(s: &Source<'_>, d: Option<&SourceDetails>) -> String {
    d.and_then(|d| d.title.clone()).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| s.title())
}

/// `Ana Lima` → (`Lima`, `Ana`); `Lima, Ana` → (`Lima`, `Ana`); an organisation or a single
/// word → `None` (written as a literal name).
fn family_given(name: &str) -> Option<(String, String)> {
    let name = one_line(name);
    if let Some((family, given)) = name.split_once(", ") {
        return (!given.contains(',')).then(|| (family.to_string(), given.to_string()));
    }
    let (given, family) = name.rsplit_once(' ')?;
    let looks_personal = name.split(' ').count() <= 5 && !name.contains(',');
    looks_personal.then(|| (family.to_string(), given.to_string()))
}

/// `2020-09-30` → `[2020, 9, 30]`, `2020-09` → `[2020, 9]`, `2020` → `[2020]`.
fn iso_parts(d: &str) -> Option<Vec<u32>> {
    let parts: Vec<u32> = d.split('-').map(str::parse).collect::<Result<_, _>>().ok()?;
    (!parts.is_empty() && parts.len() <= 3).then_some(parts)
}

fn arxiv_url(id: &str) -> String {
    format!("https://arxiv.org/abs/{id}")
}

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
pub(crate) fn bibtex(run_id: &str, sources: &[Source<'_>], details: &BTreeMap<i64, SourceDetails>) -> String {
    let mut out = String::new();
    for s in sources {
        let e = s.evidence;
        let d = details_of(s, details);
        let kind = match e.kind {
            EvidenceKind::Web => "online",
            _ if d.is_some_and(|d| d.isbn.is_some()) => "book",
            _ => "misc",
        };
        out.push_str(&format!("@{kind}{{{},\n", cite_key(run_id, s.number)));
        // Double braces keep the title's capitals as they are.
        out.push_str(&format!("  title = {{{{{}}}}},\n", latex(&title_of(s, d))));
        if let Some(d) = d {
            if !d.authors.is_empty() {
                // An organisation keeps its braces so BibTeX does not split it into names.
                let names: Vec<String> = d
                    .authors
                    .iter()
                    .map(|a| if family_given(a).is_some() { latex(a) } else { format!("{{{}}}", latex(a)) })
                    .collect();
                out.push_str(&format!("  author = {{{}}},\n", names.join(" and ")));
            }
            if let Some(date) = &d.date {
                out.push_str(&format!("  date = {{{}}},\n", latex(date)));
                out.push_str(&format!("  year = {{{}}},\n", latex(date.get(..4).unwrap_or(date))));
            }
            if let Some(doi) = &d.doi {
                out.push_str(&format!("  doi = {{{}}},\n", verbatim_url(doi)));
            }
            if let Some(isbn) = &d.isbn {
                out.push_str(&format!("  isbn = {{{}}},\n", latex(isbn)));
            }
            if let Some(id) = &d.arxiv {
                out.push_str(&format!("  eprint = {{{}}},\n  archiveprefix = {{arXiv}},\n", latex(id)));
            }
        }
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
pub(crate) fn csl_json(
    run_id: &str,
    sources: &[Source<'_>],
    details: &BTreeMap<i64, SourceDetails>,
) -> Result<Vec<u8>, ExportError> {
    let items: Vec<Value> = sources
        .iter()
        .map(|s| {
            let e = s.evidence;
            let kind = match e.kind {
                EvidenceKind::Web => "webpage",
                EvidenceKind::Document => "document",
                EvidenceKind::Table => "dataset",
            };
            let d = details_of(s, details);
            let kind = if d.is_some_and(|d| d.isbn.is_some()) { "book" } else { kind };
            let mut item = json!({
                "id": cite_key(run_id, s.number),
                "type": kind,
                "title": title_of(s, d),
            });
            if let Some(url) = &e.url {
                item["URL"] = json!(url);
            }
            if let Some(d) = d {
                if !d.authors.is_empty() {
                    let names: Vec<Value> = d
                        .authors
                        .iter()
                        .map(|a| match family_given(a) {
                            Some((family, given)) => json!({"family": family, "given": given}),
                            None => json!({"literal": one_line(a)}),
                        })
                        .collect();
                    item["author"] = Value::Array(names);
                }
                if let Some(parts) = d.date.as_deref().and_then(iso_parts) {
                    item["issued"] = json!({ "date-parts": [parts] });
                }
                if let Some(doi) = &d.doi {
                    item["DOI"] = json!(doi);
                }
                if let Some(isbn) = &d.isbn {
                    item["ISBN"] = json!(isbn);
                }
                if let Some(id) = &d.arxiv {
                    item["number"] = json!(format!("arXiv:{id}"));
                    if item.get("URL").is_none() {
                        item["URL"] = json!(arxiv_url(id));
                    }
                }
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
pub(crate) fn ris(run_id: &str, sources: &[Source<'_>], details: &BTreeMap<i64, SourceDetails>) -> String {
    let mut out = String::new();
    let mut line = |tag: &str, value: &str| {
        out.push_str(&format!("{tag}  - {}\r\n", one_line(value)));
    };
    for s in sources {
        let e = s.evidence;
        let d = details_of(s, details);
        line(
            "TY",
            match e.kind {
                EvidenceKind::Web => "ELEC",
                EvidenceKind::Document if d.is_some_and(|d| d.isbn.is_some()) => "BOOK",
                EvidenceKind::Document => "GEN",
                EvidenceKind::Table => "DATA",
            },
        );
        line("ID", &cite_key(run_id, s.number));
        line("TI", &title_of(s, d));
        if let Some(d) = d {
            for a in &d.authors {
                match family_given(a) {
                    Some((family, given)) => line("AU", &format!("{family}, {given}")),
                    None => line("AU", a),
                }
            }
            if let Some(date) = &d.date {
                line("PY", date.get(..4).unwrap_or(date));
                // RIS dates are `YYYY/MM/DD/` with empty parts allowed.
                let mut parts: Vec<&str> = date.split('-').collect();
                parts.resize(3, "");
                line("DA", &format!("{}/", parts.join("/")));
            }
            if let Some(doi) = &d.doi {
                line("DO", doi);
            }
            if let Some(isbn) = &d.isbn {
                line("SN", isbn);
            }
            if let Some(id) = &d.arxiv {
                line("M1", &format!("arXiv:{id}"));
                if e.url.is_none() {
                    line("UR", &arxiv_url(id));
                }
            }
        }
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
        // Listed and keyed by the numbers the answer's markers carry: 1, 3, 4, 5.
        assert!(
            entries[1].starts_with("misc{catena-20260304-102030-ab12-3,\n  title = {{Histoire de Montréal}},"),
            "{bib}"
        );
        assert!(entries[2].starts_with("online{catena-20260304-102030-ab12-4,"), "{bib}");
        assert!(entries[2].contains("  url = {https://fr.wikipedia.org/wiki/Montr%C3%A9al},\n"));
        assert!(entries[2].contains("  howpublished = {\\url{https://fr.wikipedia.org/wiki/Montr\\%C3\\%A9al}},\n"));
        assert!(entries[2].contains("  urldate = {2026-03-04},\n"));
        assert!(entries[1].contains("note = {Location: p. 3; File: /home/ana/Documents/histoire-de-montréal.pdf}"));
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
        assert_eq!(types, ["document", "document", "webpage", "dataset"]);
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
        assert_eq!(items[2]["id"], "catena-20260304-102030-ab12-4");
        assert_eq!(items[2]["URL"], "https://fr.wikipedia.org/wiki/Montr%C3%A9al");
        assert_eq!(items[2]["accessed"]["date-parts"], json!([[2026, 3, 4]]));
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
        assert!(records[2].contains("TY  - ELEC\r\n"));
        assert!(records[2].contains("TI  - Montréal — Wikipédia\r\n"));
        assert!(records[2].contains("UR  - https://fr.wikipedia.org/wiki/Montr%C3%A9al\r\n"));
        assert!(records[2].contains("Y2  - 2026/03/04\r\n"));
        assert!(records[3].contains("TY  - DATA\r\n"));
        assert!(records[1].contains("N1  - Location: p. 3; File: /home/ana/Documents/histoire-de-montréal.pdf\r\n"));
    }

    /// The bibliographies with the card of the document cited first (reference 3): authors, date, DOI, arXiv id.
    fn with_details(f: Format) -> String {
        let run = sample();
        let doc_id = run.evidence.iter().find(|e| e.title == "Histoire de Montréal").and_then(|e| e.doc_id).unwrap();
        let details = SourceDetails {
            title: Some("Histoire de Montréal, 1642–1992".into()),
            authors: vec!["Ana Lima".into(), "Tremblay, Jean".into(), "OpenAI".into()],
            date: Some("1992-05-17".into()),
            doi: Some("10.1000/mtl_1992".into()),
            arxiv: Some("2004.04906v3".into()),
            isbn: None,
        };
        let details = BTreeMap::from([(doc_id, details)]);
        String::from_utf8(crate::render_with(&run, f, &ExportOptions::default(), &details).unwrap()).unwrap()
    }

    #[test]
    fn bibliographies_carry_the_document_card() {
        let bib = with_details(Format::Bibtex);
        let history = bib.split('@').nth(2).unwrap();
        assert!(history.contains("title = {{Histoire de Montréal, 1642–1992}},"), "{bib}");
        assert!(history.contains("author = {Ana Lima and Tremblay, Jean and {OpenAI}},"), "{history}");
        assert!(history.contains("date = {1992-05-17},\n  year = {1992},"), "{history}");
        assert!(history.contains("doi = {10.1000/mtl_1992},"), "a DOI is verbatim: {history}");
        assert!(history.contains("eprint = {2004.04906v3},\n  archiveprefix = {arXiv},"), "{history}");
        let web = bib.split('@').nth(3).unwrap();
        assert!(!web.contains("author ="), "other sources are unchanged: {web}");

        let v: Value = serde_json::from_str(&with_details(Format::CslJson)).unwrap();
        let item = &v[1];
        assert_eq!(
            item["author"],
            json!([{"family": "Lima", "given": "Ana"}, {"family": "Tremblay", "given": "Jean"},
                   {"literal": "OpenAI"}])
        );
        assert_eq!(item["issued"]["date-parts"], json!([[1992, 5, 17]]));
        assert_eq!(item["DOI"], "10.1000/mtl_1992");
        assert_eq!(item["URL"], "https://arxiv.org/abs/2004.04906v3");
        assert!(v[2].get("author").is_none());

        let ris = with_details(Format::Ris);
        let history = ris.split("ER  - \r\n").nth(1).unwrap();
        assert!(history.contains("AU  - Lima, Ana\r\nAU  - Tremblay, Jean\r\n"), "{history}");
        assert!(history.contains("PY  - 1992\r\nDA  - 1992/05/17/\r\nDO  - 10.1000/mtl_1992\r\n"), "{history}");
        assert!(history.contains("M1  - arXiv:2004.04906v3\r\n"), "{history}");
    }

    #[test]
    fn latex_specials() {
        assert_eq!(latex("a\\b^c~d\n e"), "a\\textbackslash{}b\\textasciicircum{}c\\textasciitilde{}d e");
    }
}

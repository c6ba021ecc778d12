//! Reference entries in a citation style, through `hayagriva`'s CSL processor and the styles it
//! bundles. Its output is turned into [`Rich`] text (runs with italic/bold/link) rather than its
//! own HTML, which does not escape the text it is given.

use std::collections::HashMap;

use engine::EvidenceKind;
use hayagriva::citationberg::{IndependentStyle, Style};
use hayagriva::types::{Date, EntryType, FormatString, QualifiedUrl};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, ElemChild, ElemChildren, Entry,
    archive::ArchivedStyle,
};

use crate::report::Source;
use crate::{CitationStyle, ExportError};

/// A run of text with its formatting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RichRun {
    pub text: String,
    pub italic: bool,
    pub bold: bool,
    pub link: Option<String>,
}

/// Formatted text: a list of runs.
pub(crate) type Rich = Vec<RichRun>;

/// The text of `rich` without formatting.
pub(crate) fn plain(rich: &Rich) -> String {
    rich.iter().map(|r| r.text.as_str()).collect()
}

fn archived(style: CitationStyle) -> ArchivedStyle {
    match style {
        CitationStyle::Apa => ArchivedStyle::AmericanPsychologicalAssociation,
        CitationStyle::Ieee => ArchivedStyle::InstituteOfElectricalAndElectronicsEngineers,
        CitationStyle::Chicago => ArchivedStyle::ChicagoNotes,
        CitationStyle::Harvard => ArchivedStyle::HarvardCiteThemRight,
        CitationStyle::Mla => ArchivedStyle::ModernLanguageAssociation,
        CitationStyle::Vancouver => ArchivedStyle::NlmCitationSequence,
    }
}

/// The entry for one source: the title, the web address with its access date, and for files
/// the path as the archive location (most styles print it: "Located at: …", "(/x.pdf)").
/// Files are reports rather than `misc`: some styles (Chicago) print nothing for an undated,
/// authorless `misc` item.
fn entry(s: &Source<'_>) -> Entry {
    let e = s.evidence;
    let kind = match e.kind {
        EvidenceKind::Web => EntryType::Web,
        EvidenceKind::Document | EvidenceKind::Table => EntryType::Report,
    };
    let mut entry = Entry::new(&key(s.number), kind);
    entry.set_title(FormatString::from(s.title()));
    if let Some(url) = e.url.as_deref().and_then(|u| url::Url::parse(u).ok()) {
        let visit_date = s.accessed().and_then(parse_date);
        entry.set_url(QualifiedUrl { value: url, visit_date });
    }
    if let Some(path) = e.path.as_deref().filter(|_| e.url.is_none()) {
        entry.set_archive_location(FormatString::from(path.to_string()));
    }
    if e.kind == EvidenceKind::Table {
        entry.set_genre(FormatString::from("Dataset".to_string()));
    }
    entry
}

fn key(number: usize) -> String {
    format!("ref{number}")
}

/// `YYYY-MM-DD` → a date (hayagriva months and days are 0-based).
fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.split('-');
    let year = it.next()?.parse().ok()?;
    let month: u8 = it.next()?.parse().ok()?;
    let day: u8 = it.next()?.parse().ok()?;
    Some(Date {
        year,
        month: Some(month.checked_sub(1)?),
        day: Some(day.checked_sub(1)?),
        approximate: false,
        season: None,
    })
}

/// One formatted entry per source, in source order.
pub(crate) fn references(sources: &[Source<'_>], style: CitationStyle) -> Result<Vec<Rich>, ExportError> {
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let csl: IndependentStyle = match archived(style).get() {
        Style::Independent(s) => s,
        Style::Dependent(_) => return Err(ExportError::Style(format!("{} is not a standalone style", style.name()))),
    };
    let locales = hayagriva::archive::locales();
    let entries: Vec<Entry> = sources.iter().map(entry).collect();
    let mut driver = BibliographyDriver::new();
    for e in &entries {
        driver.citation(CitationRequest::from_items(vec![CitationItem::with_entry(e)], &csl, &locales));
    }
    let rendered = driver.finish(BibliographyRequest { style: &csl, locale: None, locale_files: &locales });
    let mut by_key: HashMap<String, Rich> = HashMap::new();
    if let Some(bib) = rendered.bibliography {
        for item in bib.items {
            let mut rich = Rich::new();
            walk(&item.content, Default::default(), &mut rich);
            by_key.insert(item.key, tidy(rich));
        }
    }
    // An entry a style renders as nothing (or a style without a bibliography) falls back to the
    // style's citation, then to the title, so no reference is ever blank.
    Ok(sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            by_key.remove(&key(s.number)).filter(|r| !plain(r).trim().is_empty()).unwrap_or_else(|| {
                let mut rich = Rich::new();
                if let Some(c) = rendered.citations.get(i) {
                    walk(&c.citation, Default::default(), &mut rich);
                }
                if plain(&rich).trim().is_empty() {
                    rich.clear();
                    rich.push(RichRun { text: s.title(), ..Default::default() });
                }
                tidy(rich)
            })
        })
        .collect())
}

#[derive(Clone, Copy, Default)]
struct Fmt {
    italic: bool,
    bold: bool,
}

fn walk(children: &ElemChildren, fmt: Fmt, out: &mut Rich) {
    for child in &children.0 {
        match child {
            ElemChild::Text(t) => push(out, &t.text, with(fmt, &t.formatting), None),
            ElemChild::Elem(e) => {
                // Block elements (the entry's own "div"s) are separated by a space.
                if e.display.is_some() && !plain(out).ends_with(' ') && !out.is_empty() {
                    push(out, " ", fmt, None);
                }
                walk(&e.children, fmt, out);
            }
            ElemChild::Markup(m) => push(out, m, fmt, None),
            ElemChild::Link { text, url } => push(out, &text.text, with(fmt, &text.formatting), Some(url.clone())),
            ElemChild::Transparent { .. } => {}
        }
    }
}

fn with(fmt: Fmt, f: &hayagriva::Formatting) -> Fmt {
    use hayagriva::citationberg::{FontStyle, FontWeight};
    Fmt {
        italic: fmt.italic || matches!(f.font_style, FontStyle::Italic),
        bold: fmt.bold || matches!(f.font_weight, FontWeight::Bold),
    }
}

fn push(out: &mut Rich, text: &str, fmt: Fmt, link: Option<String>) {
    if text.is_empty() {
        return;
    }
    if let Some(last) = out.last_mut()
        && last.italic == fmt.italic
        && last.bold == fmt.bold
        && last.link == link
    {
        last.text.push_str(text);
        return;
    }
    out.push(RichRun { text: text.to_string(), italic: fmt.italic, bold: fmt.bold, link });
}

/// Collapses runs of whitespace and trims the ends.
fn tidy(rich: Rich) -> Rich {
    let mut out: Rich = Vec::new();
    let mut prev_space = true;
    for mut run in rich {
        let mut t = String::with_capacity(run.text.len());
        for c in run.text.chars() {
            if c.is_whitespace() {
                if !prev_space {
                    t.push(' ');
                }
                prev_space = true;
            } else {
                t.push(c);
                prev_space = false;
            }
        }
        run.text = t;
        if !run.text.is_empty() {
            out.push(run);
        }
    }
    if let Some(last) = out.last_mut() {
        let trimmed = last.text.trim_end().to_string();
        last.text = trimmed;
    }
    out.retain(|r| !r.text.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::cited_sources;
    use crate::testing::sample;

    fn refs(style: CitationStyle) -> Vec<String> {
        let run = sample();
        references(&cited_sources(&run), style).unwrap().iter().map(plain).collect()
    }

    #[test]
    fn the_style_changes_the_reference_entries() {
        let apa = refs(CitationStyle::Apa);
        let ieee = refs(CitationStyle::Ieee);
        eprintln!("{apa:#?}\n{ieee:#?}");
        assert_eq!(apa.len(), 4);
        assert_eq!(ieee.len(), 4);
        // The web page (the third entry: sources are listed by number, 1, 3, 4, 5) keeps its title
        // in both.
        assert!(apa[2].contains("Montréal — Wikipédia"), "{apa:#?}");
        assert!(ieee[2].contains("Montréal — Wikipédia"), "{ieee:#?}");
        // APA: "(n.d.)" for undated sources and "Retrieved <date>, from <url>".
        assert!(apa[2].contains("(n.d.)"), "{apa:#?}");
        assert!(
            apa[2].contains("Retrieved March 4, 2026, from https://fr.wikipedia.org/wiki/Montr%C3%A9al"),
            "{apa:#?}"
        );
        // IEEE: "[Online]. Available: <url>" with "Accessed: Mar. 4, 2026".
        assert!(ieee[2].contains("Available: https://fr.wikipedia.org/wiki/Montr%C3%A9al"), "{ieee:#?}");
        assert!(ieee[2].contains("Accessed: Mar. 04, 2026") || ieee[2].contains("Accessed: Mar. 4, 2026"), "{ieee:#?}");
        assert_ne!(apa, ieee);
        // Files: the style prints the path (APA in parentheses, Vancouver as "Located at").
        assert!(apa[1].contains("(/home/ana/Documents/histoire-de-montréal.pdf)"), "{apa:#?}");
        assert!(refs(CitationStyle::Vancouver)[0].contains("Located at: /home/ana/Documents/"));
        assert!(apa[3].contains("[Dataset]"), "{apa:#?}");
        for style in CitationStyle::ALL {
            let r = refs(style);
            assert_eq!(r.len(), 4, "{style:?}");
            assert!(r.iter().all(|e| !e.trim().is_empty()), "{style:?}: {r:#?}");
        }
    }

    #[test]
    fn italic_titles_survive() {
        let run = sample();
        let apa = references(&cited_sources(&run), CitationStyle::Apa).unwrap();
        assert!(apa.iter().flatten().any(|r| r.italic), "{apa:#?}");
    }
}

//! Word (DOCX) through `docx-rs`: every citation in the answer is a real footnote
//! (`w:footnoteReference` in the body, its text in `footnotes.xml`) holding the styled reference
//! entry, the location and the cited passage; the reference list repeats the entries at the end.
//! A mark shows its source's number (`[3]`, as the app does) rather than Word's running count.
//!
//! Footnote ids are set here (1, 2, … per document) rather than taken from the library's global
//! counter, so documents rendered at the same time on several threads stay valid. Web addresses
//! are written as text: the library keeps hyperlink relationships in the body's part only, and
//! a link inside a footnote would point at nothing.

use std::io::Cursor;

use docx_rs::{Docx, Footnote, LineSpacing, PageMargin, Paragraph, Run, RunFonts, Style, StyleType, VertAlignType};

use crate::ExportError;
use crate::report::{Report, Source, Span, verdict_label};
use crate::style::{Rich, plain};

/// Characters XML 1.0 cannot hold are dropped (a PDF's text layer can contain them).
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\t').collect()
}

fn text(s: &str) -> Run {
    Run::new().add_text(clean(s))
}

fn muted(s: &str) -> Run {
    text(s).color("666666").size(20)
}

fn rich_runs(mut p: Paragraph, r: &Rich) -> Paragraph {
    for run in r {
        let mut x = text(&run.text);
        if run.italic {
            x = x.italic();
        }
        if run.bold {
            x = x.bold();
        }
        p = p.add_run(x);
    }
    p
}

fn heading(level: usize, s: &str) -> Paragraph {
    Paragraph::new().style(&format!("Heading{level}")).add_run(text(s))
}

fn styles(docx: Docx) -> Docx {
    let mut footnote_ref = Style::new("FootnoteReference", StyleType::Character).name("footnote reference");
    footnote_ref.run_property = footnote_ref.run_property.clone().vert_align(VertAlignType::SuperScript);
    let heading = |id: &str, name: &str, size: usize, before: u32| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .size(size)
            .bold()
            .color("1F3864")
            .line_spacing(LineSpacing::new().before(before).after(80))
    };
    docx.add_style(heading("Heading1", "heading 1", 36, 0))
        .add_style(heading("Heading2", "heading 2", 28, 280))
        .add_style(Style::new("FootnoteText", StyleType::Paragraph).name("footnote text").size(18))
        .add_style(footnote_ref)
        .default_fonts(RunFonts::new().ascii("Calibri").hi_ansi("Calibri").east_asia("Calibri").cs("Calibri"))
        .default_size(22)
}

/// `[2] APA entry. p. 3; /path. “passage”` as footnote paragraphs.
fn note_paragraphs(s: &Source<'_>, entry: &Rich) -> Vec<Paragraph> {
    let mut first = Paragraph::new().style("FootnoteText").add_run(text(&format!("[{}] ", s.number)));
    first = rich_runs(first, entry);
    let mut facts = Vec::new();
    let location = s.location();
    if !location.is_empty() {
        facts.push(location);
    }
    if let Some(path) =
        s.evidence.path.as_ref().filter(|p| s.evidence.url.is_none() && !plain(entry).contains(p.as_str()))
    {
        facts.push(path.clone());
    }
    if !facts.is_empty() {
        first = first.add_run(text(&format!(" ({})", facts.join("; "))));
    }
    let passage = one_line(&s.evidence.text);
    let mut out = vec![first];
    if !passage.is_empty() {
        out.push(Paragraph::new().style("FootnoteText").add_run(text(&format!("“{passage}”")).italic()));
    }
    out
}

/// Word numbers footnote marks 1, 2, 3, … by itself; each mark here shows its source's
/// reference number instead (`[3]`, as the app and the other formats do), through
/// `w:customMarkFollows` and the mark's text in the same run.
fn custom_marks(document: &[u8], marks: &[(usize, usize)]) -> Result<Vec<u8>, ExportError> {
    let mut xml = String::from_utf8(document.to_vec()).map_err(|e| ExportError::Docx(e.to_string()))?;
    for (id, number) in marks {
        let plain = format!("<w:footnoteReference w:id=\"{id}\" />");
        let custom = format!(
            "<w:footnoteReference w:customMarkFollows=\"1\" w:id=\"{id}\" /><w:t xml:space=\"preserve\">[{number}]</w:t>"
        );
        if !xml.contains(&plain) {
            return Err(ExportError::Docx(format!("footnote {id} has no mark in the document")));
        }
        xml = xml.replacen(&plain, &custom, 1);
    }
    Ok(xml.into_bytes())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn render(report: &Report<'_>) -> Result<Vec<u8>, ExportError> {
    let run = report.run;
    // A4 with 2.5 cm margins, in twentieths of a point.
    let mut docx = styles(Docx::new())
        .page_size(11906, 16838)
        .page_margin(PageMargin {
            top: 1418,
            left: 1418,
            bottom: 1418,
            right: 1418,
            header: 709,
            footer: 709,
            gutter: 0,
        })
        .created_at(&run.started_at);

    docx = docx.add_paragraph(heading(1, run.question.trim()));
    docx = docx.add_paragraph(Paragraph::new().add_run(muted(&format!(
        "Catena run {} · asked {} · {} · citation style: {}",
        run.run_id,
        report.asked(),
        report.mode(),
        report.style.label()
    ))));

    docx = docx.add_paragraph(heading(2, "Answer"));
    if report.answer.is_empty() {
        docx = docx.add_paragraph(
            Paragraph::new().add_run(text("No answer: nothing in the library answers this question.").italic()),
        );
    }
    let mut next_id = 1usize;
    // Footnote id → the reference number its mark shows.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for para in &report.answer {
        let mut p = Paragraph::new().line_spacing(LineSpacing::new().after(160));
        for s in para {
            for (i, span) in s.spans.iter().enumerate() {
                match span {
                    // A footnote mark hugs the word before it.
                    Span::Text(t) if matches!(s.spans.get(i + 1), Some(Span::Cite(_))) => {
                        p = p.add_run(text(t.trim_end()))
                    }
                    Span::Text(t) => p = p.add_run(text(t)),
                    Span::Cite(nums) => {
                        for n in nums {
                            let Some((source, entry)) = report.source(*n) else { continue };
                            let note = Footnote { id: next_id, content: note_paragraphs(source, entry) };
                            marks.push((next_id, *n));
                            next_id += 1;
                            p = p.add_run(Run::new().add_footnote_reference(note));
                        }
                    }
                }
            }
            if let Some(v) = s.flag {
                let colour = if v == engine::Verdict::Partial { "B45F06" } else { "C00000" };
                p = p.add_run(text(&format!(" [⚠ {}] ", verdict_label(v))).italic().bold().color(colour).size(18));
            }
        }
        docx = docx.add_paragraph(p);
    }

    if !report.flagged.is_empty() {
        docx = docx.add_paragraph(heading(2, "Support check"));
        docx = docx.add_paragraph(Paragraph::new().add_run(text("Sentences the cited sources do not fully support:")));
        for (sentence, v) in &report.flagged {
            docx = docx.add_paragraph(
                Paragraph::new().add_run(text(&format!("• {}: ", verdict_label(*v))).bold()).add_run(text(sentence)),
            );
        }
    }

    if !report.conflicts.is_empty() {
        docx = docx.add_paragraph(heading(2, "Sources that disagree"));
        for c in &report.conflicts {
            let claims: Vec<String> = c.claims.iter().map(|(r, a)| format!("{} says “{a}”", r.text())).collect();
            docx = docx.add_paragraph(
                Paragraph::new()
                    .add_run(text(&format!("⚠ Step {}: ", c.step)).bold().color("B45F06"))
                    .add_run(text(&claims.join("; "))),
            );
        }
    }

    if !report.steps.is_empty() {
        docx = docx.add_paragraph(heading(2, "Chain of actions"));
        for s in &report.steps {
            docx = docx.add_paragraph(
                Paragraph::new().add_run(text(&format!("{}. {}: ", s.id, s.action)).bold()).add_run(text(&s.question)),
            );
            let sources: Vec<String> = s.sources.iter().map(|r| r.text()).collect();
            let mut detail =
                format!("Answer: {} · {}", if s.answer.is_empty() { "—" } else { s.answer.as_str() }, s.outcome);
            if !sources.is_empty() {
                detail.push_str(&format!(" · sources: {}", sources.join(", ")));
            }
            docx = docx.add_paragraph(Paragraph::new().indent(Some(360), None, None, None).add_run(muted(&detail)));
        }
    }

    docx = docx.add_paragraph(heading(2, "Usage"));
    docx = docx.add_paragraph(Paragraph::new().add_run(text(&report.usage())));
    docx = docx.add_paragraph(
        Paragraph::new().add_run(muted(&format!("Started {}, finished {}.", run.started_at, run.finished_at))),
    );

    if !report.sources.is_empty() {
        docx = docx.add_paragraph(heading(2, "References"));
        for (s, entry) in report.sources.iter().zip(&report.references) {
            let mut p = Paragraph::new().indent(Some(567), Some(docx_rs::SpecialIndentType::Hanging(567)), None, None);
            p = p.add_run(text(&format!("[{}]\t", s.number)));
            p = rich_runs(p, entry);
            docx = docx.add_paragraph(p);
            let facts = s.facts(&plain(entry));
            docx = docx
                .add_paragraph(Paragraph::new().indent(Some(567), None, None, None).add_run(muted(&facts.join(" · "))));
        }
    }
    let mut xml = docx.build();
    xml.document = custom_marks(&xml.document, &marks)?;
    let mut buf = Cursor::new(Vec::new());
    xml.pack(&mut buf).map_err(|e| ExportError::Docx(e.to_string()))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use quick_xml::events::Event;

    use crate::testing::{SCRIPT, sample};
    use crate::{CitationStyle, ExportOptions, Format};

    fn part(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    /// The footnotes of `footnotes.xml` (separators excluded) as `(id, text)`.
    fn footnotes(xml: &str) -> Vec<(String, String)> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out: Vec<(String, String)> = Vec::new();
        let mut current: Option<(String, String)> = None;
        let mut in_text = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == "w:footnote" => {
                    let attr = |key: &str| {
                        e.attributes()
                            .filter_map(Result::ok)
                            .find(|a| a.key.as_ref() == key)
                            .map(|a| a.value.to_string())
                    };
                    let id = attr("w:id").unwrap();
                    let separator = attr("w:type").is_some();
                    current = (!separator).then(|| (id, String::new()));
                }
                Event::End(e) if e.name().as_ref() == "w:footnote" => out.extend(current.take()),
                Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
                Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
                Event::Text(t) if in_text => {
                    if let Some((_, text)) = current.as_mut() {
                        text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) if in_text => {
                    if let Some((_, text)) = current.as_mut() {
                        text.push_str(match &*r {
                            "lt" => "<",
                            "gt" => ">",
                            "amp" => "&",
                            "quot" => "\"",
                            "apos" => "'",
                            other => panic!("unexpected entity {other}"),
                        });
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    #[test]
    fn citations_are_real_footnotes_with_the_source_text() {
        let bytes = crate::render(&sample(), Format::Docx, &ExportOptions { style: CitationStyle::Apa }).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let document = part(&mut zip, "word/document.xml");
        let notes_xml = part(&mut zip, "word/footnotes.xml");
        let rels = part(&mut zip, "word/_rels/document.xml.rels");
        let types = part(&mut zip, "[Content_Types].xml");
        assert!(rels.contains("relationships/footnotes"), "{rels}");
        assert!(types.contains("footnotes+xml"), "{types}");

        // Four citations in the answer ([3], [4, 1], [5]): four references in the body, four notes.
        let refs: Vec<&str> =
            document.split("<w:footnoteReference w:customMarkFollows=\"1\" w:id=\"").skip(1).collect();
        assert_eq!(refs.len(), 4, "{document}");
        assert!(!document.contains("<w:footnoteReference w:id="), "every mark is a custom one: {document}");
        let notes = footnotes(&notes_xml);
        assert_eq!(notes.len(), 4, "{notes:#?}");
        for (r, (id, _)) in refs.iter().zip(&notes) {
            assert!(r.starts_with(&format!("{id}\"")), "reference {r:.10} ↔ footnote {id}");
        }
        // Each mark shows the number the app shows (the evidence id), not Word's own 1, 2, 3, 4.
        let marks: Vec<&str> = refs
            .iter()
            .filter_map(|r| r.split("<w:t xml:space=\"preserve\">").nth(1).and_then(|t| t.split('<').next()))
            .collect();
        assert_eq!(marks, ["[3]", "[1]", "[4]", "[5]"], "{document}");
        assert!(notes[0].1.starts_with("[3] Histoire de Montréal"), "{:?}", notes[0]);
        assert!(notes[0].1.contains("Montréal was founded in 1642 by Paul de Chomedey, sieur de Maisonneuve."));
        assert!(notes[0].1.contains("(/home/ana/Documents/histoire-de-montréal.pdf)"), "{:?}", notes[0]);
        assert!(notes[0].1.contains("(p. 3)"), "{:?}", notes[0]);
        assert!(notes[1].1.starts_with("[1] Géographie du Québec"), "{:?}", notes[1]);
        assert!(notes[2].1.starts_with("[4] Montréal — Wikipédia"), "{:?}", notes[2]);
        assert!(notes[2].1.contains(SCRIPT), "the passage is kept as text: {:?}", notes[2]);
        assert!(!notes_xml.contains(SCRIPT), "and escaped in the XML");
        assert!(notes[3].1.contains("Population {estimates} 100% & growth_rate #1"));

        // The body holds the answer, the flags, the chain and the references.
        for needle in [
            "Montréal (蒙特利尔) was founded in 1642 by Paul de Chomedey</w:t></w:r><w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\" />",
            "⚠ partly supported",
            "⚠ not supported by the cited sources",
            "Chain of actions",
            "guess replaced from the sources (MRFS 0.34)",
            "References",
            "Retrieved March 4, 2026, from",
            "https://fr.wikipedia.org/wiki/Montr%C3%A9al",
        ] {
            assert!(document.contains(needle), "document.xml lacks {needle}");
        }
    }
}

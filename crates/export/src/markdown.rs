//! Markdown: citations are footnotes (`[^1]`), whose definitions close the document as its
//! reference list, so GitHub, pandoc and Obsidian all link them both ways. Text from the run is
//! backslash-escaped, so nothing in a passage becomes markup.

use crate::report::{Ref, Report, Span, verdict_label};
use crate::style::{Rich, plain};

/// Escapes CommonMark's inline syntax (every backslash-escapable character that can start
/// markup) and keeps the text on one line.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text that starts a block: a leading `1.`, `-`, `+` or `=` would otherwise make a
/// list or a heading underline of it.
fn escape_block(s: &str) -> String {
    let e = escape(s);
    let digits = e.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && matches!(e[digits..].chars().next(), Some('.' | ')')) {
        return format!("{}\\{}", &e[..digits], &e[digits..]);
    }
    if e.starts_with(['-', '+', '=']) { format!("\\{e}") } else { e }
}

/// A code span holding `s` whatever backticks it contains.
fn code(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

fn rich(r: &Rich) -> String {
    let mut out = String::new();
    for run in r {
        let mut t = escape(&run.text);
        if let Some(url) = &run.link {
            let target: String = url.chars().filter(|c| !matches!(c, '<' | '>' | ' ' | '\n')).collect();
            t = format!("[{t}](<{target}>)");
        }
        if run.italic && !run.text.trim().is_empty() {
            t = format!("*{t}*");
        }
        if run.bold && !run.text.trim().is_empty() {
            t = format!("**{t}**");
        }
        out.push_str(&t);
    }
    out
}

fn reference(r: &Ref) -> String {
    match r {
        Ref::Cited(n) => format!("[^{n}]"),
        Ref::Uncited(label) => escape(label),
    }
}

pub(crate) fn render(report: &Report<'_>) -> String {
    let run = report.run;
    let mut md = String::new();
    md.push_str(&format!("# {}\n\n", escape(run.question.trim())));
    md.push_str(&format!(
        "*Catena run {} · asked {} · {} · citation style: {}*\n\n",
        code(&run.run_id),
        escape(&report.asked()),
        escape(report.mode()),
        escape(report.style.label())
    ));

    md.push_str("## Answer\n\n");
    if report.answer.is_empty() {
        md.push_str("*No answer: nothing in the library answers this question.*\n\n");
    }
    for para in &report.answer {
        let mut line = String::new();
        for s in para {
            for span in &s.spans {
                match span {
                    Span::Text(t) => line.push_str(&escape(t)),
                    Span::Cite(nums) => {
                        // The marker hugs the word before it, as footnote marks do.
                        let trimmed = line.trim_end().len();
                        line.truncate(trimmed);
                        for n in nums {
                            line.push_str(&format!("[^{n}]"));
                        }
                    }
                }
            }
            if let Some(v) = s.flag {
                let trimmed = line.trim_end().len();
                line.truncate(trimmed);
                line.push_str(&format!(" **⚠ {}** ", verdict_label(v)));
            }
        }
        // The line is built from escaped pieces; only a block marker at its start is left.
        let line = line.trim();
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        if (digits > 0 && matches!(line[digits..].chars().next(), Some('.' | ')'))) || line.starts_with(['-', '+', '='])
        {
            md.push_str(&line[..digits]);
            md.push('\\');
            md.push_str(&line[digits..]);
        } else {
            md.push_str(line);
        }
        md.push_str("\n\n");
    }

    if !report.flagged.is_empty() {
        md.push_str("## Support check\n\n");
        md.push_str("Sentences the cited sources do not fully support:\n\n");
        for (sentence, v) in &report.flagged {
            md.push_str(&format!("- **{}:** {}\n", verdict_label(*v), escape(sentence)));
        }
        md.push('\n');
    }

    if !report.conflicts.is_empty() {
        md.push_str("## ⚠ Sources that disagree\n\n");
        for c in &report.conflicts {
            let claims: Vec<String> =
                c.claims.iter().map(|(r, a)| format!("{} says “{}”", reference(r), escape(a))).collect();
            md.push_str(&format!("- Step {}: {}\n", c.step, claims.join("; ")));
        }
        md.push('\n');
    }

    if !report.steps.is_empty() {
        md.push_str("## Chain of actions\n\n");
        for s in &report.steps {
            md.push_str(&format!("{}. **{}:** {}\n", s.id, escape(s.action), escape(&s.question)));
            md.push_str(&format!(
                "   - Answer: {}\n",
                if s.answer.is_empty() { "—".into() } else { escape(&s.answer) }
            ));
            md.push_str(&format!("   - Outcome: {}\n", escape(&s.outcome)));
            if !s.sources.is_empty() {
                let refs: Vec<String> = s.sources.iter().map(reference).collect();
                md.push_str(&format!("   - Sources: {}\n", refs.join(", ")));
            }
        }
        md.push('\n');
    }

    md.push_str("## Usage\n\n");
    md.push_str(&format!("{}  \n", escape(&report.usage())));
    md.push_str(&format!("Started {}, finished {}.\n\n", escape(&run.started_at), escape(&run.finished_at)));

    if !report.sources.is_empty() {
        md.push_str("## References\n\n");
        for (s, entry) in report.sources.iter().zip(&report.references) {
            md.push_str(&format!("[^{}]: {}\n", s.number, rich(entry)));
            let mut facts: Vec<String> = vec![format!("Type: {}", s.kind_label())];
            let location = s.location();
            if !location.is_empty() {
                facts.push(format!("Location: {}", escape(&location)));
            }
            match (&s.evidence.url, &s.evidence.path) {
                (Some(url), _) => facts.push(format!("URL: <{}>", url.replace(['<', '>', ' '], ""))),
                // Most styles print the path themselves (as the archive location).
                (None, Some(path)) if !plain(entry).contains(path.as_str()) => {
                    facts.push(format!("File: {}", code(path)))
                }
                (None, Some(_)) => {}
                (None, None) => {}
            }
            if let Some(d) = s.accessed() {
                facts.push(format!("Accessed: {d}"));
            }
            md.push_str(&format!("    {}\n", facts.join(" · ")));
            if let Some(sql) = s.evidence.table.as_ref().and_then(|t| t.sql.as_deref()) {
                md.push_str(&format!("\n    Query: {}\n", code(sql)));
            }
            let passage = s.evidence.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !passage.is_empty() {
                md.push_str(&format!("\n    > {}\n", escape_block(&passage)));
            }
            md.push('\n');
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SCRIPT, TABLE_TITLE, sample};
    use crate::{CitationStyle, ExportOptions, Format};

    fn md(style: CitationStyle) -> String {
        String::from_utf8(crate::render(&sample(), Format::Markdown, &ExportOptions { style }).unwrap()).unwrap()
    }

    #[test]
    fn markdown_report_has_everything_a_reader_needs() {
        let md = md(CitationStyle::Apa);
        eprintln!("{md}");
        assert!(md.starts_with("# When was Montréal founded, where is it, and how many people live there?\n"));
        // Footnote markers carry the numbers the app shows (the evidence ids), each with a definition.
        assert!(md.contains("by Paul de Chomedey[^3]. It lies on an island in the Saint Lawrence River[^1][^4]."));
        for n in [1, 3, 4, 5] {
            assert_eq!(md.matches(&format!("\n[^{n}]: ")).count(), 1, "one definition for [^{n}]");
        }
        assert!(!md.contains("[^2]"), "only cited evidence is listed");
        // The reference list follows those numbers.
        let defs: Vec<&str> = md.lines().filter(|l| l.starts_with("[^")).map(|l| &l[..4]).collect();
        assert_eq!(defs, ["[^1]", "[^3]", "[^4]", "[^5]"]);
        // Verdicts that are not "supported" are visible, inline and in the check list.
        assert!(md.contains("in 2021[^5]. **⚠ partly supported** The city"), "{md}");
        assert!(md.contains("12 million penguins. **⚠ not supported by the cited sources**"), "{md}");
        assert!(md.contains("- **not supported by the cited sources:** The city is also home to 12 million penguins."));
        // The conflict names the cited source by its footnote and the uncited one by title.
        assert!(
            md.contains(
                "Step 1: [^3] says “1642”; “Unused background” (Intro › Sources; consulted, not cited) says “1641”"
            ),
            "{md}"
        );
        // References: location, path or URL, access date, passage.
        assert!(md.contains("Location: p. 3"));
        assert!(md.contains("(/home/ana/Documents/histoire-de-montréal.pdf)"), "the path, once: {md}");
        assert_eq!(md.matches("/home/ana/Documents/histoire-de-montréal.pdf").count(), 1);
        assert!(md.contains("URL: <https://fr.wikipedia.org/wiki/Montr%C3%A9al> · Accessed: 2026-03-04"));
        assert!(md.contains("Location: Census, rows 2–4; columns: Year, Population"));
        assert!(md.contains("Query: `SELECT Population FROM Census WHERE Year = 2021`"));
        // The chain and the usage.
        assert!(md.contains("2. **search the web:** Where is Montréal?"));
        assert!(md.contains("   - Sources: [^1], [^4]\n"), "{md}");
        assert!(
            md.contains("   - Sources: “Unused background” (Intro › Sources; consulted, not cited), [^3]\n"),
            "{md}"
        );
        assert!(md.contains("guess replaced from the sources (MRFS 0.34)"));
        assert!(md.contains("(the guess was “Ontario”)"));
        assert!(md.contains("4 model calls · 3120 prompt + 412 completion tokens · 3 actions · 5.2 s"));
    }

    #[test]
    fn markdown_escapes_text_from_sources() {
        let md = md(CitationStyle::Ieee);
        assert!(!md.contains(SCRIPT), "a script in a passage must not be raw HTML in Markdown");
        assert!(md.contains(r#"\<script\>alert("pwned")\</script\>"#), "{md}");
        assert!(md.contains(r"Population {estimates} 100% \& growth\_rate \#1"), "{md}");
        assert!(!md.contains(TABLE_TITLE));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(escape("*a* [b](c)!"), r"\*a\* \[b\](c)!");
        assert_eq!(escape_block("1642. It began"), r"1642\. It began");
        assert_eq!(escape_block("- not a list"), r"\- not a list");
        let mut run = sample();
        run.answer = "1642. That is when [3].".into();
        let md = String::from_utf8(crate::render(&run, Format::Markdown, &ExportOptions::default()).unwrap()).unwrap();
        assert!(md.contains("\n1642\\. That is when[^3].\n"), "{md}");
    }
}

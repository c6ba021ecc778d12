//! One self-contained HTML file: inline CSS with a dark variant, no scripts, no external
//! resources. Every string from the run is escaped; a Content-Security-Policy that allows only
//! the inline style is a second line of defence should a string ever slip through.

use crate::report::{Ref, Report, Span, verdict_label};
use crate::style::{Rich, plain};

/// Escapes text for element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Only web addresses become links; anything else (`javascript:`, `data:`) stays text.
fn safe_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| escape(url.trim()))
}

const CSS: &str = r#"
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #ffffff; --muted: #5f6368; --line: #d9dce1;
  --accent: #0b57d0; --warn-bg: #fff4e5; --warn-fg: #8a4b00; --bad-bg: #fde8e8; --bad-fg: #9b1c1c;
  --quote: #f4f5f7; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e6e6; --bg: #17181a; --muted: #a0a4ab; --line: #34373c; --accent: #8ab4f8;
    --warn-bg: #3a2a12; --warn-fg: #ffcc80; --bad-bg: #3d1a1a; --bad-fg: #ff9e9e; --quote: #222428; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 2rem 1.25rem 4rem; color: var(--fg); background: var(--bg);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
h1 { font-size: 1.6rem; line-height: 1.3; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
.meta, .muted { color: var(--muted); font-size: .875rem; }
a { color: var(--accent); }
a.cite { text-decoration: none; font-size: .8em; vertical-align: super; line-height: 0; }
.flag { display: inline-block; margin-left: .25rem; padding: 0 .4rem; border-radius: .25rem; font-size: .8rem; }
.flag.partial { background: var(--warn-bg); color: var(--warn-fg); }
.flag.unsupported { background: var(--bad-bg); color: var(--bad-fg); }
.s.partial { text-decoration: underline dotted var(--warn-fg); }
.s.unsupported { text-decoration: underline wavy var(--bad-fg); }
.conflict { background: var(--warn-bg); color: var(--warn-fg); padding: .5rem .75rem; border-radius: .375rem; }
ol.refs > li { margin-bottom: 1rem; }
ol.refs > li:target { outline: 2px solid var(--accent); outline-offset: 4px; border-radius: 2px; }
blockquote { margin: .4rem 0 0; padding: .4rem .75rem; background: var(--quote); border-left: 3px solid var(--line);
  white-space: pre-wrap; overflow-wrap: anywhere; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
@media print { a.cite { color: inherit; } body { max-width: none; } }
"#;

fn rich(r: &Rich) -> String {
    let mut out = String::new();
    for run in r {
        let mut t = escape(&run.text);
        if run.italic {
            t = format!("<i>{t}</i>");
        }
        if run.bold {
            t = format!("<b>{t}</b>");
        }
        match run.link.as_deref().and_then(safe_url) {
            Some(href) => out.push_str(&format!("<a href=\"{href}\">{t}</a>")),
            None => out.push_str(&t),
        }
    }
    out
}

fn reference(r: &Ref) -> String {
    match r {
        Ref::Cited(n) => format!("<a href=\"#ref-{n}\">[{n}]</a>"),
        Ref::Uncited(label) => escape(label),
    }
}

/// A short excerpt for a tooltip.
fn excerpt(text: &str, max: usize) -> String {
    let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        return one;
    }
    let mut s: String = one.chars().take(max).collect();
    s.push('…');
    s
}

pub(crate) fn render(report: &Report<'_>) -> String {
    let run = report.run;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"generator\" content=\"Catena\">\n");
    h.push_str(&format!("<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n", escape(run.question.trim())));
    h.push_str(&format!("<header>\n<h1>{}</h1>\n", escape(run.question.trim())));
    h.push_str(&format!(
        "<p class=\"meta\">Catena run <code>{}</code> · asked {} · {} · citation style: {}</p>\n</header>\n",
        escape(&run.run_id),
        escape(&report.asked()),
        escape(report.mode()),
        escape(report.style.label())
    ));

    h.push_str("<main>\n<section id=\"answer\">\n<h2>Answer</h2>\n");
    if report.answer.is_empty() {
        h.push_str("<p class=\"muted\">No answer: nothing in the library answers this question.</p>\n");
    }
    let mut first_cite: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for para in &report.answer {
        h.push_str("<p>");
        for s in para {
            let class = match s.flag {
                Some(engine::Verdict::Partial) => " partial",
                Some(engine::Verdict::Unsupported) => " unsupported",
                _ => "",
            };
            h.push_str(&format!("<span class=\"s{class}\">"));
            for span in &s.spans {
                match span {
                    Span::Text(t) => h.push_str(&escape(t)),
                    Span::Cite(nums) => {
                        while h.ends_with(' ') {
                            h.pop();
                        }
                        for n in nums {
                            let id = if first_cite.insert(*n) { format!(" id=\"cite-{n}\"") } else { String::new() };
                            let tip = report
                                .source(*n)
                                .map(|(s, _)| escape(&excerpt(&s.evidence.text, 300)))
                                .unwrap_or_default();
                            h.push_str(&format!("<a class=\"cite\" href=\"#ref-{n}\"{id} title=\"{tip}\">[{n}]</a>"));
                        }
                    }
                }
            }
            h.push_str("</span>");
            if let Some(v) = s.flag {
                let kind = if v == engine::Verdict::Partial { "partial" } else { "unsupported" };
                h.push_str(&format!("<span class=\"flag {kind}\">⚠ {}</span> ", verdict_label(v)));
            }
        }
        h.push_str("</p>\n");
    }
    h.push_str("</section>\n");

    if !report.flagged.is_empty() {
        h.push_str("<section id=\"support\">\n<h2>Support check</h2>\n<p>Sentences the cited sources do not fully support:</p>\n<ul>\n");
        for (sentence, v) in &report.flagged {
            h.push_str(&format!("<li><strong>{}:</strong> {}</li>\n", verdict_label(*v), escape(sentence)));
        }
        h.push_str("</ul>\n</section>\n");
    }

    if !report.conflicts.is_empty() {
        h.push_str("<section id=\"conflicts\">\n<h2>Sources that disagree</h2>\n");
        for c in &report.conflicts {
            let claims: Vec<String> =
                c.claims.iter().map(|(r, a)| format!("{} says “{}”", reference(r), escape(a))).collect();
            h.push_str(&format!("<p class=\"conflict\">⚠ Step {}: {}</p>\n", c.step, claims.join("; ")));
        }
        h.push_str("</section>\n");
    }

    if !report.steps.is_empty() {
        h.push_str("<section id=\"chain\">\n<h2>Chain of actions</h2>\n<table>\n");
        h.push_str("<thead><tr><th>#</th><th>Action</th><th>Sub-question</th><th>Answer</th><th>Outcome</th><th>Sources</th></tr></thead>\n<tbody>\n");
        for s in &report.steps {
            let sources: Vec<String> = s.sources.iter().map(reference).collect();
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                s.id,
                escape(s.action),
                escape(&s.question),
                if s.answer.is_empty() { "—".to_string() } else { escape(&s.answer) },
                escape(&s.outcome),
                sources.join(", ")
            ));
        }
        h.push_str("</tbody>\n</table>\n</section>\n");
    }

    if !report.sources.is_empty() {
        h.push_str("<section id=\"references\">\n<h2>References</h2>\n<ol class=\"refs\">\n");
        for (s, entry) in report.sources.iter().zip(&report.references) {
            h.push_str(&format!("<li id=\"ref-{}\">{}", s.number, rich(entry)));
            h.push_str(&format!(" <a href=\"#cite-{}\" class=\"muted\" title=\"Back to the answer\">↩</a>", s.number));
            let mut facts: Vec<String> = vec![escape(s.kind_label())];
            let location = s.location();
            if !location.is_empty() {
                facts.push(escape(&location));
            }
            match (&s.evidence.url, &s.evidence.path) {
                (Some(url), _) => facts.push(match safe_url(url) {
                    Some(href) => format!("<a href=\"{href}\">{}</a>", escape(url)),
                    None => escape(url),
                }),
                (None, Some(path)) if !plain(entry).contains(path.as_str()) => {
                    facts.push(format!("<code>{}</code>", escape(path)))
                }
                (None, Some(_)) => {}
                (None, None) => {}
            }
            if let Some(d) = s.accessed() {
                facts.push(format!("accessed {}", escape(d)));
            }
            h.push_str(&format!("<div class=\"muted\">{}</div>", facts.join(" · ")));
            if let Some(sql) = s.evidence.table.as_ref().and_then(|t| t.sql.as_deref()) {
                h.push_str(&format!("<div class=\"muted\">Query: <code>{}</code></div>", escape(sql)));
            }
            if !s.evidence.text.trim().is_empty() {
                h.push_str(&format!("<blockquote>{}</blockquote>", escape(s.evidence.text.trim())));
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ol>\n</section>\n");
    }

    h.push_str("<section id=\"usage\">\n<h2>Usage</h2>\n");
    h.push_str(&format!(
        "<p>{}<br>Started {}, finished {}.</p>\n</section>\n",
        escape(&report.usage()),
        escape(&run.started_at),
        escape(&run.finished_at)
    ));
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SCRIPT, sample};
    use crate::{CitationStyle, ExportOptions, Format};

    fn html() -> String {
        String::from_utf8(
            crate::render(&sample(), Format::Html, &ExportOptions { style: CitationStyle::Ieee }).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_script_in_evidence_comes_out_inert() {
        let h = html();
        assert!(!h.contains(SCRIPT));
        assert_eq!(h.matches("<script").count(), 0, "no script element at all");
        assert!(h.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"), "{h}");
        // Nothing is loaded from elsewhere, and the policy forbids it anyway.
        assert!(h.contains("default-src 'none'"));
        for attr in ["src=", "<link", "@import", "url("] {
            assert!(!h.contains(attr), "external resource via {attr}");
        }
    }

    #[test]
    fn citations_link_to_references_with_their_passages() {
        let h = html();
        // The numbers are the ones the app shows (the evidence ids): 1, 3, 4 and 5.
        for n in [1, 3, 4, 5] {
            assert!(h.contains(&format!("<li id=\"ref-{n}\">")), "reference {n}");
            assert!(h.contains(&format!("href=\"#ref-{n}\"")), "a link to reference {n}");
        }
        assert!(!h.contains("id=\"ref-2\""));
        assert!(h.contains(">[1]</a><a class=\"cite\" href=\"#ref-4\""), "River [4, 1] shows [1][4]: {h}");
        // The passage is in the reference entry and in the citation's tooltip.
        assert!(h.contains(
            "<blockquote>Montréal was founded in 1642 by Paul de Chomedey, sieur de Maisonneuve.</blockquote>"
        ));
        assert!(
            h.contains("title=\"Montréal was founded in 1642 by Paul de Chomedey, sieur de Maisonneuve.\">[3]</a>")
        );
        // Flags, conflicts, dark mode, the chain.
        assert!(h.contains("<span class=\"flag partial\">⚠ partly supported</span>"));
        assert!(h.contains("<span class=\"flag unsupported\">⚠ not supported by the cited sources</span>"));
        assert!(h.contains("class=\"conflict\">⚠ Step 1: <a href=\"#ref-3\">[3]</a> says “1642”"));
        assert!(h.contains("prefers-color-scheme: dark"));
        assert!(h.contains("<td>analyse a table</td><td>What was Montréal&#39;s population in 2021?</td>"), "{h}");
        assert!(h.contains("<a href=\"https://fr.wikipedia.org/wiki/Montr%C3%A9al\">"));
        assert!(h.contains("Population {estimates} 100% &amp; growth_rate #1"));
    }

    #[test]
    fn locations_and_consulted_sources_are_not_repeated() {
        let mut run = sample();
        // A CSV finding: the engine labels it "row 3" and the table cites row 3.
        run.evidence[4].location = "row 3".into();
        if let Some(t) = run.evidence[4].table.as_mut() {
            t.sheet = String::new();
            t.rows = vec![3];
        }
        // Two more passages of the uncited document, gathered by step 1.
        for (id, page) in [(6, 9), (7, 8)] {
            let mut e = run.evidence[1].clone();
            e.id = id;
            e.page = Some(page);
            e.location = format!("p. {page}");
            run.evidence.push(e);
        }
        run.evidence[1].location = "p. 8".into();
        run.nodes[0].evidence = vec![2, 3, 6, 7];
        let h = String::from_utf8(crate::render(&run, Format::Html, &ExportOptions::default()).unwrap()).unwrap();
        assert!(!h.contains("row 3; row 3"), "{h}");
        assert!(h.contains("table · row 3; columns: Year, Population"), "{h}");
        assert_eq!(h.matches("“Unused background”").count(), 2, "once in the chain, once in the conflict: {h}");
        assert!(
            h.contains("<td>“Unused background” (pp. 8–9; consulted, not cited), <a href=\"#ref-3\">[3]</a></td>"),
            "{h}"
        );
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(
            safe_url("https://a.example/?q=1&x=\"2\"").as_deref(),
            Some("https://a.example/?q=1&amp;x=&quot;2&quot;")
        );
    }
}

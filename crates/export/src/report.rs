//! What every report shows, computed once: the cited sources under the numbers the app shows
//! (their evidence ids), the answer cut into sentences with their markers and verdicts, and the
//! chain, conflicts and usage as labelled text (evidence the answer does not cite named once per
//! source, its locations together). The format modules only lay this out.

use std::collections::HashMap;

use engine::{
    Action, CitationRecord, Decision, EvidenceKind, EvidenceRecord, Mode, NodeRecord, NodeStatus, RunRecord, Verdict,
};

use crate::style::{self, Rich};
use crate::{CitationStyle, ExportError};

/// A cited piece of evidence with its reference number.
pub(crate) struct Source<'a> {
    /// The evidence id: the number the answer's markers carry and the app shows, so an export
    /// and the screen agree on every `[n]`.
    pub number: usize,
    pub evidence: &'a EvidenceRecord,
}

impl Source<'_> {
    /// `p. 3`, `Intro › Methods`, `Sheet1, rows 2–4; columns: Year, Cups`: where in the source
    /// the passage is, possibly empty.
    pub fn location(&self) -> String {
        evidence_location(self.evidence)
    }

    /// The plain facts under a reference entry (kind, location, path or address unless the
    /// entry already shows it, access date, the query of a table finding), for the formats that
    /// print them as one muted line.
    pub fn facts(&self, entry_text: &str) -> Vec<String> {
        let mut facts = vec![self.kind_label().to_string()];
        let location = self.location();
        if !location.is_empty() {
            facts.push(location);
        }
        if let Some(place) = self.place().filter(|p| !entry_text.contains(p)) {
            facts.push(place.to_string());
        }
        if let Some(d) = self.accessed() {
            facts.push(format!("accessed {d}"));
        }
        if let Some(sql) = self.evidence.table.as_ref().and_then(|t| t.sql.as_deref()) {
            facts.push(format!("query: {sql}"));
        }
        facts
    }

    /// The file path or the web address.
    pub fn place(&self) -> Option<&str> {
        self.evidence.url.as_deref().or(self.evidence.path.as_deref())
    }

    /// The fetch date of a web page, `YYYY-MM-DD`.
    pub fn accessed(&self) -> Option<&str> {
        self.evidence.fetched_at.as_deref().and_then(date_part)
    }

    /// The title, or the file name or address when the source has none.
    pub fn title(&self) -> String {
        let t = self.evidence.title.trim();
        if !t.is_empty() {
            return t.to_string();
        }
        match self.place() {
            Some(p) => p.rsplit('/').find(|s| !s.is_empty()).unwrap_or(p).to_string(),
            None => format!("Source {}", self.number),
        }
    }

    pub fn kind_label(&self) -> &'static str {
        match self.evidence.kind {
            EvidenceKind::Document => "document",
            EvidenceKind::Web => "web page",
            EvidenceKind::Table => "table",
        }
    }
}

/// Where in its source a piece of evidence is (see [`Source::location`]); no part is said twice.
fn evidence_location(e: &EvidenceRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    let label = e.location.trim();
    // A table finding's label ("Census row 3") says again what its rows say; the rows win.
    let rows_label = e.table.as_ref().is_some_and(|t| !t.rows.is_empty()) && names_rows(label);
    // A document's top heading is often its title: "Report, Report" says nothing twice.
    if !label.is_empty() && label != e.title.trim() && !rows_label {
        parts.push(label.to_string());
    } else if let Some(p) = e.page {
        parts.push(format!("p. {p}"));
    }
    if let Some(t) = &e.table {
        let mut where_ = String::new();
        if !t.sheet.trim().is_empty() && !parts.iter().any(|p| p.contains(t.sheet.trim())) {
            where_.push_str(t.sheet.trim());
        }
        if !t.rows.is_empty() {
            if !where_.is_empty() {
                where_.push_str(", ");
            }
            let mut rows = t.rows.clone();
            rows.sort_unstable();
            rows.dedup();
            where_.push_str(&format!("{} {}", if rows.len() == 1 { "row" } else { "rows" }, row_ranges(&rows)));
        }
        if !where_.is_empty() {
            parts.push(where_);
        }
        if !t.columns.is_empty() {
            parts.push(format!("columns: {}", t.columns.join(", ")));
        }
    }
    let mut distinct: Vec<String> = Vec::new();
    for p in parts {
        if !distinct.contains(&p) {
            distinct.push(p);
        }
    }
    distinct.join("; ")
}

/// Whether a location label names table rows (`row 3`, `Census rows 2–4`).
fn names_rows(label: &str) -> bool {
    let words: Vec<&str> = label.split_whitespace().collect();
    words.windows(2).any(|w| matches!(w[0], "row" | "rows") && w[1].starts_with(|c: char| c.is_ascii_digit()))
}

/// `2026-01-02T03:04:05Z` → `2026-01-02`, when it looks like a date.
pub(crate) fn date_part(s: &str) -> Option<&str> {
    let d = s.get(..10)?;
    let b = d.as_bytes();
    let ok = b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    ok.then_some(d)
}

/// `[2, 3, 4, 9]` → `2–4, 9`.
fn row_ranges(rows: &[u64]) -> String {
    let mut sorted = rows.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        out.push(if j > i { format!("{}–{}", sorted[i], sorted[j]) } else { sorted[i].to_string() });
        i = j + 1;
    }
    out.join(", ")
}

/// The evidence the answer cites, numbered by evidence id (the numbers of the answer's markers)
/// and listed by that number.
pub(crate) fn cited_sources(run: &RunRecord) -> Vec<Source<'_>> {
    let by_id: HashMap<u32, &EvidenceRecord> = run.evidence.iter().map(|e| (e.id, e)).collect();
    let mut ids: Vec<u32> = run.citations.iter().map(|c| c.evidence_id).filter(|id| by_id.contains_key(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().filter_map(|id| by_id.get(id).map(|e| Source { number: *id as usize, evidence: e })).collect()
}

/// A piece of the answer: text, or a marker group's evidence ids.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Markers(Vec<u32>),
}

/// Cuts `answer` into text and `[n]`, `[n, m]` marker groups (the engine's marker syntax).
fn pieces(answer: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' '));
        let group = match close {
            Some(end) if after[end..].starts_with(']') && end > 0 => {
                let ids: Vec<u32> = after[..end].split(',').filter_map(|x| x.trim().parse().ok()).collect();
                (!ids.is_empty()).then_some((ids, end))
            }
            _ => None,
        };
        match group {
            Some((ids, end)) => {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Markers(ids));
                rest = &after[end + 1..];
            }
            None => {
                text.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

/// A piece of an answer sentence as the reports show it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Span {
    Text(String),
    /// Reference numbers (sorted, distinct).
    Cite(Vec<usize>),
}

/// One answer sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sentence {
    pub spans: Vec<Span>,
    /// `None` when supported (or not checked); otherwise the worst verdict it got.
    pub flag: Option<Verdict>,
}

impl Sentence {
    /// The sentence without markers.
    pub fn plain(&self) -> String {
        let mut s = String::new();
        for span in &self.spans {
            if let Span::Text(t) = span {
                s.push_str(t);
            }
        }
        normalize(&s)
    }
}

/// Collapses whitespace and the space a removed marker leaves before punctuation, as the
/// engine does when it records a sentence.
fn normalize(s: &str) -> String {
    let mut t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in [" .", " ,", " ;", " :", " !", " ?"] {
        t = t.replace(p, &p[1..]);
    }
    t.trim().to_string()
}

/// The answer as paragraphs of sentences, markers renumbered.
fn sentences(run: &RunRecord, numbers: &HashMap<u32, usize>) -> Vec<Vec<Sentence>> {
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    for c in &run.citations {
        let v = verdicts.entry(normalize(&c.sentence)).or_insert(c.verdict);
        *v = worst(*v, c.verdict);
    }
    for s in &run.unsupported_sentences {
        verdicts.insert(normalize(s), Verdict::Unsupported);
    }
    let mut paragraphs = Vec::new();
    for para in run.answer.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let mut out: Vec<Sentence> = Vec::new();
        let mut current: Vec<Span> = Vec::new();
        for piece in pieces(para) {
            match piece {
                Piece::Markers(ids) => {
                    let mut nums: Vec<usize> = ids.iter().filter_map(|id| numbers.get(id).copied()).collect();
                    nums.sort_unstable();
                    nums.dedup();
                    // A marker opening a sentence belongs to the one before it.
                    let opens = current.iter().all(|s| matches!(s, Span::Text(t) if t.trim().is_empty()));
                    let target = if opens && !out.is_empty() {
                        out.last_mut().map(|s| &mut s.spans)
                    } else {
                        Some(&mut current)
                    };
                    if let Some(t) = target {
                        if nums.is_empty() {
                            // A marker naming no cited evidence is shown as written.
                            t.push(Span::Text(format!(
                                "[{}]",
                                ids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                            )));
                        } else {
                            t.push(Span::Cite(nums));
                        }
                    }
                }
                Piece::Text(text) => {
                    let mut start = 0;
                    for end in sentence_ends(&text) {
                        current.push(Span::Text(text[start..end].to_string()));
                        out.push(Sentence { spans: std::mem::take(&mut current), flag: None });
                        start = end;
                    }
                    if start < text.len() {
                        current.push(Span::Text(text[start..].to_string()));
                    }
                }
            }
        }
        if current.iter().any(|s| !matches!(s, Span::Text(t) if t.trim().is_empty())) {
            out.push(Sentence { spans: current, flag: None });
        }
        for s in &mut out {
            s.flag = verdicts.get(&s.plain()).copied().filter(|v| *v != Verdict::Supported);
        }
        paragraphs.push(out);
    }
    paragraphs
}

/// Byte offsets just after each sentence end in `text`: `.`, `!` or `?` (and closing quotes or
/// brackets) followed by whitespace and then not a lowercase letter, or a line break. A sentence
/// that ends the text is not reported (a marker may still follow it).
fn sentence_ends(text: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut ends = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c == '\n' {
            ends.push(chars[i].0 + 1);
        } else if matches!(c, '.' | '!' | '?') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | '”' | '’') {
                j += 1;
            }
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() && chars[k].1 != '\n' {
                k += 1;
            }
            let next = chars.get(k).map(|&(_, c)| c);
            let abbreviation = i > 0 && chars[i - 1].1.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit());
            if k > j && next.is_some_and(|n| !n.is_lowercase()) && !abbreviation {
                ends.push(chars[k].0);
                i = k;
                continue;
            }
        }
        i += 1;
    }
    ends
}

fn worst(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: Verdict| match v {
        Verdict::Supported => 0,
        Verdict::Partial => 1,
        Verdict::Unsupported => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// What a flagged sentence's verdict says.
pub(crate) fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Supported => "supported",
        Verdict::Partial => "partly supported",
        Verdict::Unsupported => "not supported by the cited sources",
    }
}

/// One step of the chain, as text.
pub(crate) struct Step {
    pub id: u32,
    pub action: &'static str,
    pub question: String,
    pub answer: String,
    /// `kept (MRFS 0.87)`, `replaced (MRFS 0.31)`, `failed: timeout`, …
    pub outcome: String,
    /// The evidence it gathered.
    pub sources: Vec<Ref>,
}

/// A piece of evidence as a report names it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ref {
    /// A cited source: its reference number.
    Cited(usize),
    /// Evidence the answer does not cite: `“Title” (consulted, not cited)`.
    Uncited(String),
}

impl Ref {
    /// `[2]` or the uncited label.
    pub fn text(&self) -> String {
        match self {
            Ref::Cited(n) => format!("[{n}]"),
            Ref::Uncited(s) => s.clone(),
        }
    }
}

/// References of one step that disagree: each one with the answer it gives.
pub(crate) struct Conflict {
    pub step: u32,
    pub claims: Vec<(Ref, String)>,
}

/// Everything a report shows.
pub(crate) struct Report<'a> {
    pub run: &'a RunRecord,
    pub sources: Vec<Source<'a>>,
    /// Reference entries in the chosen style, one per source, in source order.
    pub references: Vec<Rich>,
    pub style: CitationStyle,
    pub answer: Vec<Vec<Sentence>>,
    /// Sentences whose support is not full, with their verdict, in answer order.
    pub flagged: Vec<(String, Verdict)>,
    pub conflicts: Vec<Conflict>,
    pub steps: Vec<Step>,
    numbers: HashMap<u32, usize>,
}

impl<'a> Report<'a> {
    pub fn new(run: &'a RunRecord, style: CitationStyle) -> Result<Report<'a>, ExportError> {
        let sources = cited_sources(run);
        let numbers: HashMap<u32, usize> = sources.iter().map(|s| (s.evidence.id, s.number)).collect();
        let references = style::references(&sources, style)?;
        let answer = sentences(run, &numbers);
        let flagged = flagged(run, &answer);
        let mut report = Report {
            run,
            sources,
            references,
            style,
            answer,
            flagged,
            conflicts: Vec::new(),
            steps: Vec::new(),
            numbers,
        };
        report.conflicts = run
            .conflicts
            .iter()
            .map(|c| Conflict {
                step: c.node_id,
                claims: c
                    .evidence_ids
                    .iter()
                    .zip(&c.answers)
                    .map(|(id, a)| (report.evidence_ref(*id), a.trim().to_string()))
                    .collect(),
            })
            .collect();
        report.steps = run.nodes.iter().map(|n| report.step(n)).collect();
        Ok(report)
    }

    /// The reference number of cited evidence, a label otherwise.
    pub fn evidence_ref(&self, id: u32) -> Ref {
        self.refs(&[id]).into_iter().next().unwrap_or_else(|| Ref::Uncited(format!("evidence {id} (not cited)")))
    }

    /// The cited source with reference number `number`, with its reference entry.
    pub fn source(&self, number: usize) -> Option<(&Source<'a>, &Rich)> {
        let i = self.sources.iter().position(|s| s.number == number)?;
        Some((&self.sources[i], self.references.get(i)?))
    }

    /// How a report names the evidence `ids`, in order: each cited source by its number, once;
    /// the uncited evidence of one document or web page as one label that lists its locations.
    fn refs(&self, ids: &[u32]) -> Vec<Ref> {
        enum Slot<'e> {
            Cited(usize),
            Uncited(String, Vec<&'e EvidenceRecord>),
            Unknown(u32),
        }
        let mut slots: Vec<Slot<'_>> = Vec::new();
        for id in ids {
            if let Some(n) = self.numbers.get(id) {
                if !slots.iter().any(|s| matches!(s, Slot::Cited(m) if m == n)) {
                    slots.push(Slot::Cited(*n));
                }
                continue;
            }
            let Some(e) = self.run.evidence.iter().find(|e| e.id == *id) else {
                slots.push(Slot::Unknown(*id));
                continue;
            };
            let key = source_key(e);
            let same = slots.iter().position(|s| matches!(s, Slot::Uncited(k, _) if *k == key));
            match same.and_then(|i| slots.get_mut(i)) {
                Some(Slot::Uncited(_, group)) => {
                    if !group.iter().any(|g| g.id == e.id) {
                        group.push(e);
                    }
                }
                _ => slots.push(Slot::Uncited(key, vec![e])),
            }
        }
        slots
            .into_iter()
            .map(|s| match s {
                Slot::Cited(n) => Ref::Cited(n),
                Slot::Uncited(_, group) => Ref::Uncited(uncited_label(&group)),
                Slot::Unknown(id) => Ref::Uncited(format!("evidence {id} (not cited)")),
            })
            .collect()
    }

    fn step(&self, n: &NodeRecord) -> Step {
        let action = match n.action {
            Action::KnowledgeBase => "search the library",
            Action::WebSearch => "search the web",
            Action::DataAnalysis => "analyse a table",
        };
        let mut outcome = match n.status {
            NodeStatus::Done => match n.decision {
                Some(Decision::Kept) => "guess kept".to_string(),
                Some(Decision::Replaced) => "guess replaced from the sources".to_string(),
                Some(Decision::Filled) => "filled from the sources".to_string(),
                Some(Decision::NoEvidence) => "no evidence found; unverified".to_string(),
                None => "done".to_string(),
            },
            NodeStatus::Failed => "failed".to_string(),
            NodeStatus::Skipped => "skipped".to_string(),
            NodeStatus::Pending => "not run".to_string(),
            NodeStatus::Running => "interrupted".to_string(),
        };
        if let Some(m) = n.mrfs {
            outcome.push_str(&format!(" (MRFS {m:.2})"));
        }
        if let Some(r) = n.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            outcome.push_str(&format!(": {r}"));
        }
        let mut guess = String::new();
        if matches!(n.decision, Some(Decision::Replaced)) && !n.guess_answer.trim().is_empty() {
            guess = format!(" (the guess was “{}”)", n.guess_answer.trim());
        }
        Step {
            id: n.id,
            action,
            question: n.sub_question.trim().to_string(),
            answer: format!("{}{guess}", n.answer.trim()),
            outcome,
            sources: self.refs(&n.evidence),
        }
    }

    pub fn mode(&self) -> &'static str {
        match self.run.mode {
            Mode::Llm => "written by a language model",
            Mode::Extractive => "extractive (sentences drawn from the sources, no language model)",
        }
    }

    /// `3 model calls · 1,200 prompt + 80 completion tokens · 4 actions · 2.1 s`.
    pub fn usage(&self) -> String {
        let u = &self.run.usage;
        format!(
            "{} model {} · {} prompt + {} completion tokens · {} {} · {:.1} s",
            u.llm_calls,
            if u.llm_calls == 1 { "call" } else { "calls" },
            u.prompt_tokens,
            u.completion_tokens,
            u.actions,
            if u.actions == 1 { "action" } else { "actions" },
            u.wall_ms as f64 / 1000.0
        )
    }

    /// `2026-03-04 10:20 UTC` from the run's start time.
    pub fn asked(&self) -> String {
        let s = &self.run.started_at;
        match (date_part(s), s.get(11..16)) {
            (Some(d), Some(t)) if s.ends_with('Z') => format!("{d} {t} UTC"),
            _ => s.clone(),
        }
    }
}

/// What makes two pieces of evidence the same source: the web address, else the library
/// document, else the file.
fn source_key(e: &EvidenceRecord) -> String {
    if let Some(url) = e.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        return format!("url:{url}");
    }
    if let Some(doc) = e.doc_id {
        return format!("doc:{doc}");
    }
    if let Some(path) = e.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        return format!("path:{path}");
    }
    format!("evidence:{}", e.id)
}

/// `“Title” (pp. 3, 7; consulted, not cited)`: one label for the uncited evidence of one source.
fn uncited_label(group: &[&EvidenceRecord]) -> String {
    let Some(first) = group.first() else { return String::new() };
    let place = first.url.as_deref().or(first.path.as_deref());
    let title = match first.title.trim() {
        "" => place.and_then(|p| p.rsplit('/').find(|s| !s.trim().is_empty())).map(str::trim),
        t => Some(t),
    };
    let Some(title) = title else {
        let ids: Vec<String> = group.iter().map(|e| e.id.to_string()).collect();
        return format!("evidence {} (not cited)", ids.join(", "));
    };
    let mut locations: Vec<String> = Vec::new();
    for e in group {
        let l = evidence_location(e);
        if !l.is_empty() && !locations.contains(&l) {
            locations.push(l);
        }
    }
    let where_ = join_locations(&locations);
    if where_.is_empty() {
        format!("“{title}” (consulted, not cited)")
    } else {
        format!("“{title}” ({where_}; consulted, not cited)")
    }
}

/// `p. 3`, `p. 4`, `p. 7` → `pp. 3–4, 7`; other locations are listed as they are.
fn join_locations(locations: &[String]) -> String {
    let pages: Option<Vec<u64>> =
        locations.iter().map(|l| l.strip_prefix("p. ").and_then(|n| n.parse().ok())).collect();
    match pages {
        Some(pages) if pages.len() > 1 => format!("pp. {}", row_ranges(&pages)),
        _ => locations.join("; "),
    }
}

/// Every sentence the record flags, in answer order where it is found there.
fn flagged(run: &RunRecord, answer: &[Vec<Sentence>]) -> Vec<(String, Verdict)> {
    let mut out: Vec<(String, Verdict)> = Vec::new();
    let mut push = |s: String, v: Verdict| {
        if let Some(existing) = out.iter_mut().find(|(t, _)| *t == s) {
            existing.1 = worst(existing.1, v);
        } else {
            out.push((s, v));
        }
    };
    for s in answer.iter().flatten() {
        if let Some(v) = s.flag {
            push(s.plain(), v);
        }
    }
    let partial: Vec<&CitationRecord> = run.citations.iter().filter(|c| c.verdict != Verdict::Supported).collect();
    for c in partial {
        push(normalize(&c.sentence), c.verdict);
    }
    for s in &run.unsupported_sentences {
        push(normalize(s), Verdict::Unsupported);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample;

    #[test]
    fn sources_keep_the_numbers_the_app_shows_and_only_cited_evidence_is_listed() {
        let run = sample();
        let sources = cited_sources(&run);
        let numbers: Vec<usize> = sources.iter().map(|s| s.number).collect();
        // The answer cites 3, then 4 and 1 in one group, then 5; evidence 2 is never cited.
        assert_eq!(numbers, [1, 3, 4, 5]);
        assert!(sources.iter().all(|s| s.number == s.evidence.id as usize));
        let report = Report::new(&run, CitationStyle::Ieee).unwrap();
        let first = &report.answer[0][0];
        assert!(first.spans.contains(&Span::Cite(vec![3])), "{first:?}");
        assert!(report.answer[0][1].spans.contains(&Span::Cite(vec![1, 4])), "{:?}", report.answer[0][1]);
        assert_eq!(report.evidence_ref(2).text(), "“Unused background” (Intro › Sources; consulted, not cited)");
        assert_eq!(report.evidence_ref(4), Ref::Cited(4));
        assert_eq!(report.source(3).map(|(s, _)| s.location()).as_deref(), Some("p. 3"));
        assert!(report.source(2).is_none());
        let mut titled = run.evidence[2].clone();
        titled.location = titled.title.clone();
        assert_eq!(Source { number: 3, evidence: &titled }.location(), "p. 3", "the page, not the title again");
    }

    /// Evidence 6 and 7: two more passages of the uncited document, on pages 8 and 9.
    fn with_more_of_the_unused_document() -> RunRecord {
        let mut run = sample();
        let unused = run.evidence[1].clone();
        for (id, page) in [(6, 9), (7, 8)] {
            let mut e = unused.clone();
            e.id = id;
            e.page = Some(page);
            e.location = format!("p. {page}");
            e.chunk_id = Some(format!("12:{id}"));
            run.evidence.push(e);
        }
        run.evidence[1].location = "p. 8".into();
        run.evidence[1].page = Some(8);
        run.nodes[0].evidence = vec![2, 3, 6, 7];
        run
    }

    #[test]
    fn a_consulted_source_is_named_once_with_its_pages_together() {
        let run = with_more_of_the_unused_document();
        let report = Report::new(&run, CitationStyle::Apa).unwrap();
        let chain: Vec<String> = report.steps[0].sources.iter().map(Ref::text).collect();
        assert_eq!(chain, ["“Unused background” (pp. 8–9; consulted, not cited)", "[3]"]);

        // Different locations are listed side by side, each once.
        let mut run = with_more_of_the_unused_document();
        run.evidence[1].location = "Intro › Sources".into();
        let report = Report::new(&run, CitationStyle::Apa).unwrap();
        let chain: Vec<String> = report.steps[0].sources.iter().map(Ref::text).collect();
        assert_eq!(chain, ["“Unused background” (Intro › Sources; p. 9; p. 8; consulted, not cited)", "[3]"]);

        // Two documents that share a title are still two sources.
        let mut run = with_more_of_the_unused_document();
        run.evidence[5].doc_id = Some(99);
        run.evidence[5].path = Some("/home/ana/Documents/other.pdf".into());
        let report = Report::new(&run, CitationStyle::Apa).unwrap();
        let chain: Vec<String> = report.steps[0].sources.iter().map(Ref::text).collect();
        assert_eq!(
            chain,
            [
                "“Unused background” (p. 8; consulted, not cited)",
                "[3]",
                "“Unused background” (p. 9; consulted, not cited)"
            ]
        );
    }

    #[test]
    fn a_table_location_says_each_thing_once() {
        let run = sample();
        let mut table = run.evidence[4].clone();
        // A CSV has no sheet: the engine labels the finding "row 3" and the table cites row 3.
        table.location = "row 3".into();
        if let Some(t) = table.table.as_mut() {
            t.sheet = String::new();
            t.rows = vec![3];
            t.columns.clear();
        }
        assert_eq!(Source { number: 5, evidence: &table }.location(), "row 3");
        // A workbook: "Census row 3" and the rows of the finding.
        table.location = "Census row 3".into();
        if let Some(t) = table.table.as_mut() {
            t.sheet = "Census".into();
            t.rows = vec![3, 3];
        }
        assert_eq!(Source { number: 5, evidence: &table }.location(), "Census, row 3");
        // A page label is kept beside the rows.
        table.location = "p. 2".into();
        assert_eq!(Source { number: 5, evidence: &table }.location(), "p. 2; Census, row 3");
    }

    #[test]
    fn sentences_carry_their_verdicts() {
        let run = sample();
        let report = Report::new(&run, CitationStyle::Apa).unwrap();
        let flags: Vec<(String, Option<Verdict>)> =
            report.answer.iter().flatten().map(|s| (s.plain(), s.flag)).collect();
        assert!(
            flags.iter().any(|(s, f)| s.starts_with("Its population") && *f == Some(Verdict::Partial)),
            "{flags:#?}"
        );
        assert!(
            flags.iter().any(|(s, f)| s.starts_with("The city is also home") && *f == Some(Verdict::Unsupported)),
            "{flags:#?}"
        );
        assert!(
            flags.iter().any(|(s, f)| s.starts_with("Montréal (蒙特利尔) was founded") && f.is_none()),
            "{flags:#?}"
        );
        assert_eq!(report.flagged.len(), 2, "{:?}", report.flagged);
    }

    #[test]
    fn pieces_and_sentence_ends() {
        assert_eq!(
            pieces("A [1]. B [2, 3][4] c [x] [].")
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t,
                    Piece::Markers(ids) => format!("{ids:?}"),
                })
                .collect::<Vec<_>>(),
            ["A ", "[1]", ". B ", "[2, 3]", "[4]", " c [x] []."]
        );
        let t = "It grew 3.5 times. Then it fell! e.g. this. Next";
        let ends = sentence_ends(t);
        let parts: Vec<&str> = ends.iter().scan(0, |s, &e| Some(&t[std::mem::replace(s, e)..e])).collect();
        assert_eq!(parts, ["It grew 3.5 times. ", "Then it fell! e.g. this. "]);
        assert_eq!(row_ranges(&[9, 2, 3, 4, 4]), "2–4, 9");
        assert_eq!(date_part("2026-03-04T05:06:07Z"), Some("2026-03-04"));
        assert_eq!(date_part("yesterday"), None);
    }
}

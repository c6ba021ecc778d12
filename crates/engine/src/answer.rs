//! Checking an answer against the run's evidence, flagging disagreeing references, and writing
//! the extractive answer when there is no model.
//!
//! **Markers.** `[n]`, `[n, m]` and `[n][m]` cite evidence ids. A marker that names no evidence
//! of this run is removed from the answer and its sentence is listed as unsupported. A marker at
//! the very start of a sentence belongs to the sentence before it (`"… in 1844. [1] It …"`).
//!
//! **Verdicts** (deterministic; no model): take the sentence's content tokens (see
//! `text::tokens`, the marker and the words "yes"/"no" left out) and the tokens of the cited
//! evidence (title and text). Coverage is the share of sentence tokens found in the evidence.
//! `supported` ≥ 0.6, `partial` ≥ 0.4, else `unsupported`; a number in the sentence that the
//! evidence lacks caps the verdict at `partial` (wrong figures are the classic slip); a sentence
//! with no content tokens (`"Yes [1]."`) is `partial`, since nothing in it can be checked. Each
//! citation gets the verdict of its own evidence; the sentence is unsupported when the union of
//! its cited evidence is, when it cites nothing, or when it had an invented marker.
//!
//! **Conflicts.** For each node, every reference's best sentence for the sub-question is found;
//! references whose best sentence is on topic (holds at least half of the sub-question's
//! non-numeric content tokens, counting the title) and names numbers (years, counts, dates) are
//! compared, and two such references with no number in common make a conflict. Names are not
//! compared: different names in two passages are far more often different facts than a
//! disagreement.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::Span;
use crate::heuristic::{self, ranked_sentences};
use crate::run::{
    Action, CitationRecord, ConflictRecord, EvidenceRecord, NodeRecord, NodeStatus, ShortAnswer, Verdict,
};
use crate::{reader, text};

/// Coverage at or above which a sentence is supported.
const SUPPORTED: f64 = 0.6;
/// Coverage at or above which a sentence is partially supported.
const PARTIAL: f64 = 0.4;

/// The outcome of checking an answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Checked {
    /// The answer with invented markers removed.
    pub answer: String,
    pub citations: Vec<CitationRecord>,
    pub unsupported: Vec<String>,
}

/// A `[…]` group of marker numbers at a byte range of the answer.
struct Group {
    start: usize,
    end: usize,
    ids: Vec<u32>,
}

fn marker_groups(s: &str) -> Vec<Group> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b',' || b[j] == b' ') {
                j += 1;
            }
            if j < b.len() && b[j] == b']' && j > i + 1 {
                let ids: Vec<u32> = s[i + 1..j].split(',').filter_map(|x| x.trim().parse().ok()).collect();
                if !ids.is_empty() {
                    out.push(Group { start: i, end: j + 1, ids });
                    i = j + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Removes every `[n]` / `[1, 2]` citation marker group and tidies the spaces it leaves: the
/// answer's text as a reader sees it without its citations (also what the evaluations score).
pub fn strip_markers(s: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for g in marker_groups(s) {
        out.push_str(&s[last..g.start]);
        last = g.end;
    }
    out.push_str(&s[last..]);
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tidy = collapsed;
    for p in [" .", " ,", " ;", " :", " !", " ?"] {
        tidy = tidy.replace(p, &p[1..]);
    }
    tidy.trim().to_string()
}

fn evidence_tokens(e: &EvidenceRecord) -> HashSet<String> {
    text::tokens(&format!("{} {}", e.title, e.text)).into_iter().collect()
}

/// The verdict of one sentence (markers already stripped) against evidence tokens, with a short
/// explanation naming `source` (`[3]`, or `[1, 2]` for a sentence's whole citation).
fn verdict(sentence: &str, evidence: &HashSet<String>, source: &str) -> (Verdict, String) {
    let toks: Vec<String> = text::tokens(sentence).into_iter().filter(|t| t != "yes" && t != "no").collect();
    let uniq: BTreeSet<&String> = toks.iter().collect();
    if uniq.is_empty() {
        return (Verdict::Partial, format!("the sentence has no words that can be checked against {source}"));
    }
    let found = uniq.iter().filter(|t| evidence.contains(t.as_str())).count();
    let coverage = found as f64 / uniq.len() as f64;
    let missing_number = uniq
        .iter()
        .find(|t| t.chars().all(|c| c.is_ascii_digit()) && !evidence.contains(t.as_str()))
        .map(|t| t.as_str());
    let words = |n: usize| if n == 1 { "word" } else { "words" };
    let share = format!(
        "{found} of the sentence's {} content {} {} in {source}",
        uniq.len(),
        words(uniq.len()),
        if found == 1 { "is" } else { "are" }
    );
    let v = if coverage >= SUPPORTED {
        Verdict::Supported
    } else if coverage >= PARTIAL {
        Verdict::Partial
    } else {
        Verdict::Unsupported
    };
    match missing_number {
        Some(n) if v == Verdict::Supported => (Verdict::Partial, format!("{share}, but the figure {n} is not")),
        _ => (v, share),
    }
}

/// The marker groups of each sentence (a group opening a sentence belongs to the previous one).
fn owned_groups<'g>(answer: &str, ranges: &[(usize, usize)], groups: &'g [Group]) -> Vec<Vec<&'g Group>> {
    let mut owned: Vec<Vec<&Group>> = vec![Vec::new(); ranges.len()];
    for g in groups {
        let Some(si) = ranges.iter().position(|&(a, b)| g.start >= a && g.start < b) else {
            if let Some(last) = owned.last_mut() {
                last.push(g);
            }
            continue;
        };
        let (a, _) = ranges[si];
        let before = strip_markers(&answer[a..g.start]);
        if before.is_empty() && si > 0 {
            owned[si - 1].push(g);
        } else {
            owned[si].push(g);
        }
    }
    owned
}

/// Checks an answer's markers and support against the run's evidence.
pub(crate) fn check(answer: &str, evidence: &[EvidenceRecord]) -> Checked {
    let by_id: HashMap<u32, &EvidenceRecord> = evidence.iter().map(|e| (e.id, e)).collect();
    let ranges = text::sentence_ranges(answer);
    let groups = marker_groups(answer);

    let owned = owned_groups(answer, &ranges, &groups);

    let mut citations = Vec::new();
    let mut unsupported = Vec::new();
    for (si, &(a, b)) in ranges.iter().enumerate() {
        let sentence = strip_markers(&answer[a..b]);
        if sentence.is_empty() {
            continue;
        }
        let mut ids: Vec<u32> = Vec::new();
        let mut invented = false;
        for g in &owned[si] {
            for id in &g.ids {
                if by_id.contains_key(id) {
                    if !ids.contains(id) {
                        ids.push(*id);
                    }
                } else {
                    invented = true;
                }
            }
        }
        let mut union = HashSet::new();
        for id in &ids {
            let Some(e) = by_id.get(id) else { continue };
            let toks = evidence_tokens(e);
            let (verdict, reason) = verdict(&sentence, &toks, &format!("[{id}]"));
            citations.push(CitationRecord {
                marker: *id,
                evidence_id: *id,
                sentence: sentence.clone(),
                verdict,
                reason,
            });
            union.extend(toks);
        }
        let has_content = !text::tokens(&sentence).is_empty();
        let sentence_verdict = if ids.is_empty() { Verdict::Unsupported } else { verdict(&sentence, &union, "").0 };
        if invented || (has_content && sentence_verdict == Verdict::Unsupported) {
            unsupported.push(sentence);
        }
    }

    // Rebuild the text with invented ids removed.
    let mut clean = String::new();
    let mut last = 0;
    for g in &groups {
        clean.push_str(&answer[last..g.start]);
        let valid: Vec<String> = g.ids.iter().filter(|id| by_id.contains_key(id)).map(u32::to_string).collect();
        if valid.len() == g.ids.len() {
            clean.push_str(&answer[g.start..g.end]);
        } else if !valid.is_empty() {
            clean.push_str(&format!("[{}]", valid.join(", ")));
        } else if clean.ends_with(' ') {
            clean.pop();
        }
        last = g.end;
    }
    clean.push_str(&answer[last..]);
    Checked { answer: clean.trim().to_string(), citations, unsupported }
}

/// Cites each sentence of a model's answer by what supports it, for answers whose model may
/// leave markers out or get them wrong (agent mode): a sentence whose markers name no evidence of
/// this run, or whose cited evidence does not support it (see `verdict`), is given the evidence
/// that supports it best, when one does (`supported`); invented markers are dropped. Sentences
/// that nothing supports keep what they had, so `check` lists them. An answer that needs no
/// repair comes back as it was.
pub(crate) fn attribute(answer: &str, evidence: &[EvidenceRecord]) -> String {
    let answer = answer.trim();
    let by_id: HashMap<u32, &EvidenceRecord> = evidence.iter().map(|e| (e.id, e)).collect();
    let tokens: Vec<(u32, HashSet<String>)> = evidence.iter().map(|e| (e.id, evidence_tokens(e))).collect();
    let ranges = text::sentence_ranges(answer);
    let groups = marker_groups(answer);
    let owned = owned_groups(answer, &ranges, &groups);
    let mut changed = false;
    let mut rebuilt = Vec::new();
    for (si, &(a, b)) in ranges.iter().enumerate() {
        let sentence = strip_markers(&answer[a..b]);
        if sentence.is_empty() {
            continue;
        }
        let all: Vec<u32> = owned[si].iter().flat_map(|g| g.ids.iter().copied()).collect();
        let mut ids: Vec<u32> = Vec::new();
        for id in &all {
            if by_id.contains_key(id) && !ids.contains(id) {
                ids.push(*id);
            }
        }
        changed |= ids.len() != all.len();
        let cited: HashSet<String> =
            ids.iter().filter_map(|id| tokens.iter().find(|t| t.0 == *id)).flat_map(|t| t.1.iter().cloned()).collect();
        let checkable = !text::tokens(&sentence).is_empty();
        let fine = !ids.is_empty() && verdict(&sentence, &cited, "").0 != Verdict::Unsupported;
        if checkable && !fine {
            let best = tokens
                .iter()
                .map(|(id, toks)| (*id, verdict(&sentence, toks, "").0, coverage(&sentence, toks)))
                .filter(|x| x.1 == Verdict::Supported)
                .max_by(|x, y| x.2.total_cmp(&y.2).then(y.0.cmp(&x.0)));
            if let Some((id, _, _)) = best {
                ids = vec![id];
                changed = true;
            }
        }
        rebuilt.push(cite_all(&sentence, &ids));
    }
    if changed { rebuilt.join(" ") } else { answer.to_string() }
}

/// Share of a sentence's content tokens found in evidence tokens.
fn coverage(sentence: &str, evidence: &HashSet<String>) -> f64 {
    let uniq: BTreeSet<String> = text::tokens(sentence).into_iter().collect();
    if uniq.is_empty() {
        return 0.0;
    }
    uniq.iter().filter(|t| evidence.contains(t.as_str())).count() as f64 / uniq.len() as f64
}

/// A sentence with its markers at its end (`… in 1844 [1, 2].`); unchanged without any.
fn cite_all(sentence: &str, ids: &[u32]) -> String {
    if ids.is_empty() {
        return sentence.to_string();
    }
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    let s = sentence.trim_end();
    match s.char_indices().last() {
        Some((i, c)) if matches!(c, '.' | '!' | '?') => format!("{} [{}]{c}", s[..i].trim_end(), list.join(", ")),
        _ => format!("{s} [{}]", list.join(", ")),
    }
}

/// Content tokens of the names in a question (`"When was Ada Lovelace born?"` → ada, lovelace);
/// a capitalised first word on its own is grammar, not a name.
pub(crate) fn name_tokens(question: &str) -> HashSet<String> {
    heuristic::capitalised_spans(question)
        .iter()
        .enumerate()
        .filter(|(i, s)| !(*i == 0 && question.trim_start().starts_with(s.as_str()) && !s.contains(' ')))
        .flat_map(|(_, s)| text::tokens(s))
        .collect()
}

/// The best sentence for `query` across references: `(evidence id, sentence, hits)`. References
/// that mention every name in `about` are preferred (in a comparison, the sentence must be about
/// the entity the node asks about, not the other one). Ties go to the better-ranked reference,
/// then to the earlier sentence.
pub(crate) fn best_sentence(query: &str, about: &str, references: &[&EvidenceRecord]) -> Option<(u32, String, usize)> {
    let q: HashSet<String> = text::tokens(query).into_iter().collect();
    let names = name_tokens(about);
    let on_topic: Vec<&EvidenceRecord> = references
        .iter()
        .copied()
        .filter(|e| {
            let toks = evidence_tokens(e);
            names.iter().all(|t| toks.contains(t))
        })
        .collect();
    let pool = if on_topic.is_empty() { references } else { on_topic.as_slice() };
    let mut best: Option<(u32, String, usize)> = None;
    for e in pool {
        if let Some((hits, s)) = ranked_sentences(&q, e).into_iter().next()
            && best.as_ref().is_none_or(|b| hits > b.2)
        {
            best = Some((e.id, s.to_string(), hits));
        }
    }
    best
}

/// Tokens of a title without its disambiguation (`"Frozen (2013 film)"` → frozen).
pub(crate) fn title_core_tokens(title: &str) -> Vec<String> {
    let core = match title.find(" (") {
        Some(p) if title.ends_with(')') => &title[..p],
        _ => title,
    };
    text::tokens(core)
}

/// Each step's sentence similarities in meaning to its sub-question, by node id (empty when the
/// library has no embedding model).
pub(crate) type Meaning = HashMap<u32, reader::SentenceSims>;

/// Sentences of a step's passages compared in meaning with its sub-question, at most.
const MEANING_SENTENCES: usize = 256;

/// Asks the corpus how close in meaning each finished library step's sub-question is to the
/// sentences of its passages. Steps the extractive answer reads by words alone (bridge hops, data
/// steps) are left out; without an embedding model the map is empty.
pub(crate) async fn meaning(
    corpus: &dyn crate::ports::Corpus,
    nodes: &[NodeRecord],
    evidence: &[EvidenceRecord],
    bridges: &HashSet<u32>,
) -> Meaning {
    let by_id: HashMap<u32, &EvidenceRecord> = evidence.iter().map(|e| (e.id, e)).collect();
    let mut out = Meaning::new();
    for n in nodes {
        if n.status != NodeStatus::Done || n.action == Action::DataAnalysis || bridges.contains(&n.id) {
            continue;
        }
        let mut keys = Vec::new();
        let mut texts = Vec::new();
        for id in &n.evidence {
            let Some(e) = by_id.get(id) else { continue };
            for (si, s) in reader::sentences(&e.text).into_iter().enumerate() {
                if texts.len() >= MEANING_SENTENCES {
                    break;
                }
                keys.push((e.id, si));
                texts.push(s.text);
            }
        }
        if texts.is_empty() {
            continue;
        }
        let Some(sims) = corpus.similarities(&n.sub_question, &texts).await else {
            // No model (or it failed): no step gets any.
            return Meaning::new();
        };
        out.insert(n.id, keys.into_iter().zip(sims).collect());
    }
    out
}

/// The extractive answer and what the reader found on the way.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Extractive {
    /// The answer text (`[n]` markers only where the evidence answers).
    pub text: String,
    /// The short answer, when the question asks for one and the evidence holds it.
    pub short_answer: Option<ShortAnswer>,
    /// True when the evidence does not cover the question.
    pub not_found: bool,
}

/// Longest sentence quoted in an extractive answer, in chars.
const MAX_QUOTE: usize = 400;
/// Closest matches listed when the library does not answer.
const CLOSEST: usize = 3;

/// The extractive answer (see `reader` for how sentences and short answers are found).
///
/// - A table finding (a finished data step) answers a figure question on its own: its value
///   first, then the finding, cited.
/// - Otherwise every finished library or web step whose evidence covers its sub-question (or
///   whose chain's evidence together covers the question) contributes its one answering
///   sentence, cited, with the short answer first (`"618.00 — TRAIN FARE … 618.00 [3]."`); one
///   sentence per line, the best-read first (in the order asked for a comparison). Evidence
///   another step already cited goes last, and a reference whose title the sub-question names
///   goes first. A bridge hop contributes only when a step before it was covered.
/// - When no step is covered the answer says that the library does not answer the question and
///   lists the closest passages, quoted without a marker: nothing claims their support.
pub(crate) fn extractive(
    question: &str,
    nodes: &[NodeRecord],
    evidence: &[EvidenceRecord],
    bridges: &HashSet<u32>,
    meaning: &Meaning,
) -> Extractive {
    let by_id: HashMap<u32, &EvidenceRecord> = evidence.iter().map(|e| (e.id, e)).collect();

    // A figure computed from a table stands on its own.
    let mut lines: Vec<String> = Vec::new();
    let mut short_answer: Option<ShortAnswer> = None;
    for n in nodes {
        if n.action != Action::DataAnalysis || n.status != NodeStatus::Done {
            continue;
        }
        let Some(e) = n.evidence.first().and_then(|id| by_id.get(id)) else { continue };
        if !reader::finding_covers(question, &e.text) {
            continue;
        }
        let finding = text::clip(e.text.trim(), MAX_QUOTE);
        match reader::table_answer(&e.text) {
            Some((value, [a, b])) => {
                short_answer.get_or_insert(ShortAnswer {
                    text: value.clone(),
                    evidence_id: e.id,
                    span: Span::new(a, b),
                });
                lines.push(cite(&format!("{value} — {finding}"), e.id));
            }
            None => lines.push(cite(&finding, e.id)),
        }
    }
    if !lines.is_empty() {
        return Extractive { text: lines.join("\n"), short_answer, not_found: false };
    }

    let comparison = nodes.iter().filter(|n| n.action != Action::DataAnalysis && !bridges.contains(&n.id)).count() > 1;
    let mut used: HashSet<String> = HashSet::new();
    let mut cited: HashSet<u32> = HashSet::new();
    let mut closest: Vec<(f64, u32, String)> = Vec::new();
    // The question as a whole may be covered by the chain's evidence together although no one
    // step's is (the hop finds the name the first step lacked): then every step contributes.
    let chain_refs: Vec<&EvidenceRecord> = nodes
        .iter()
        .filter(|n| n.status == NodeStatus::Done && n.action != Action::DataAnalysis)
        .flat_map(|n| n.evidence.iter().filter_map(|id| by_id.get(id).copied()))
        .collect();
    let chain_covered = reader::chain_covers(question, &chain_refs);
    let mut covered_any = false;
    let mut read_lines: Vec<(f64, String, Option<ShortAnswer>)> = Vec::new();
    for n in nodes {
        if n.status != NodeStatus::Done || n.evidence.is_empty() || n.action == Action::DataAnalysis {
            continue;
        }
        let refs: Vec<&EvidenceRecord> = n.evidence.iter().filter_map(|id| by_id.get(id).copied()).collect();
        let fresh: Vec<&EvidenceRecord> = refs.iter().copied().filter(|e| !cited.contains(&e.id)).collect();
        let pool = if fresh.is_empty() { refs.clone() } else { fresh };
        let bridge = bridges.contains(&n.id);
        let (reading, covered) = if bridge {
            // The hop's evidence is ordered by how well it fits the bridge entities (see
            // `execute::bridge_hop`): it cites its first fresh reference.
            let first = pool.get(..1).unwrap_or_default();
            (reader::read(&format!("{} {}", question, n.sub_question), first), covered_any || chain_covered)
        } else {
            let asked: HashSet<String> = text::tokens(&n.sub_question).into_iter().collect();
            let named = |e: &EvidenceRecord| {
                let t = title_core_tokens(&e.title);
                if !t.is_empty() && t.iter().all(|x| asked.contains(x)) { t.len() } else { 0 }
            };
            let most = pool.iter().map(|e| named(e)).max().unwrap_or(0);
            let titled: Vec<&EvidenceRecord> = pool.iter().copied().filter(|e| most > 0 && named(e) == most).collect();
            let pool = if titled.is_empty() { pool } else { titled };
            let sims = meaning.get(&n.id);
            let covered = chain_covered || reader::covers_with(&n.sub_question, &refs, sims);
            let reading = if comparison {
                reader::read_untyped(&n.sub_question, &pool, sims)
            } else {
                reader::read_with(&n.sub_question, &pool, sims)
            };
            (reading, covered)
        };
        let Some(r) = reading else { continue };
        if !covered {
            closest.push((r.score, r.evidence_id, r.sentence));
            continue;
        }
        covered_any |= !bridge;
        if !used.insert(r.sentence.clone()) {
            continue;
        }
        cited.insert(r.evidence_id);
        let sentence = text::clip(&r.sentence, MAX_QUOTE);
        let (line, found) = match &r.short {
            Some((value, [a, b])) => (
                format!("{value} — {sentence}"),
                Some(ShortAnswer { text: value.clone(), evidence_id: r.evidence_id, span: Span::new(*a, *b) }),
            ),
            None => (sentence, None),
        };
        read_lines.push((r.score, cite(&line, r.evidence_id), found));
    }
    if !read_lines.is_empty() {
        // Two entities compared are read in the order asked, and have no one short answer.
        // Otherwise the best-read sentence comes first, whichever step found it (a hop planned
        // without a model may find the sentence the first step missed), and the short answer
        // is that first line's.
        if comparison {
            let text = read_lines.into_iter().map(|l| l.1).collect::<Vec<_>>().join("\n");
            return Extractive { text, short_answer: None, not_found: false };
        }
        read_lines.sort_by(|a, b| b.0.total_cmp(&a.0));
        let short_answer = read_lines.first().and_then(|l| l.2.clone());
        let text = read_lines.into_iter().map(|l| l.1).collect::<Vec<_>>().join("\n");
        return Extractive { text, short_answer, not_found: false };
    }
    Extractive { text: not_found_text(&closest, &by_id), short_answer: None, not_found: true }
}

/// `"Your library does not answer this question."` and the closest passages, unmarked.
fn not_found_text(closest: &[(f64, u32, String)], by_id: &HashMap<u32, &EvidenceRecord>) -> String {
    let mut sorted: Vec<&(f64, u32, String)> = closest.iter().collect();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut seen = HashSet::new();
    let mut out = vec!["Your library does not answer this question.".to_string()];
    let mut matches = Vec::new();
    for (_, id, sentence) in sorted {
        if matches.len() >= CLOSEST || !seen.insert(sentence.clone()) {
            continue;
        }
        let Some(e) = by_id.get(id) else { continue };
        let place = match (e.title.trim(), e.location.trim()) {
            ("", "") => String::new(),
            (t, "") => format!(" ({t})"),
            ("", l) => format!(" ({l})"),
            (t, l) => format!(" ({t}, {l})"),
        };
        matches.push(format!("- “{}”{place}", text::clip(sentence, 200)));
    }
    if !matches.is_empty() {
        out.push("Closest matches, which do not answer it:".to_string());
        out.extend(matches);
    }
    out.join("\n")
}

/// `"It was 1844."` → `"It was 1844 [3]."`: the marker goes inside the sentence, which always
/// ends with a full stop so that it stays a sentence of its own.
fn cite(sentence: &str, id: u32) -> String {
    let s = sentence.trim_end();
    match s.char_indices().last() {
        Some((i, c)) if matches!(c, '.' | '!' | '?') => format!("{} [{id}]{c}", s[..i].trim_end()),
        _ => format!("{s} [{id}]."),
    }
}

/// Numbers of a text, with inner `,` and `.` kept (`1,844`, `3.5`); ordinals and codes glued to
/// letters (`19th`, `B52`) are not values.
fn numbers(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_alphabetic()) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], ',' | '.') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        if !chars.get(j).is_some_and(|c| c.is_alphabetic()) {
            out.insert(chars[i..j].iter().filter(|c| **c != ',').collect());
        }
        i = j;
    }
    out
}

/// References of one node that disagree on a number (see the module docs).
/// True when a question's answer is a number, a year or a date ("when", "how many", "what
/// year", "how old", …).
fn asks_for_a_number(question: &str) -> bool {
    const WORDS: &[&str] = &[
        "when",
        "year",
        "years",
        "date",
        "dates",
        "number",
        "percent",
        "percentage",
        "population",
        "age",
        "cost",
        "price",
        "founded",
        "born",
        "died",
    ];
    const AFTER_HOW: &[&str] =
        &["many", "much", "old", "long", "far", "tall", "high", "big", "large", "often", "wide", "deep", "heavy"];
    let words: Vec<String> = question.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase).collect();
    let asks_where_or_who = words.first().is_some_and(|w| matches!(w.as_str(), "where" | "who" | "whom" | "whose"));
    words.windows(2).any(|w| w[0] == "how" && AFTER_HOW.contains(&w[1].as_str()))
        || (!asks_where_or_who && words.iter().any(|w| WORDS.contains(&w.as_str())))
        || words.first().is_some_and(|w| w == "when")
}

pub(crate) fn conflicts(nodes: &[NodeRecord], evidence: &[EvidenceRecord]) -> Vec<ConflictRecord> {
    let by_id: HashMap<u32, &EvidenceRecord> = evidence.iter().map(|e| (e.id, e)).collect();
    let mut out = Vec::new();
    for n in nodes {
        // Numbers only disagree about a question that asks for one: two passages about where
        // someone was born may well mention different years.
        if !asks_for_a_number(&n.sub_question) {
            continue;
        }
        let sub_numbers = numbers(&n.sub_question);
        let q: HashSet<String> =
            text::tokens(&n.sub_question).into_iter().filter(|t| !t.chars().all(|c| c.is_ascii_digit())).collect();
        if q.is_empty() || n.evidence.len() < 2 {
            continue;
        }
        // The names in the sub-question: a reference about someone else is not a second opinion.
        let names = name_tokens(&n.sub_question);
        let mut claims: Vec<(u32, BTreeSet<String>)> = Vec::new();
        for id in &n.evidence {
            let Some(e) = by_id.get(id) else { continue };
            let Some((hits, s)) = ranked_sentences(&q, e).into_iter().next() else { continue };
            let about: HashSet<String> = evidence_tokens(e);
            if (hits as f64) < q.len() as f64 / 2.0 || !names.iter().all(|t| about.contains(t)) {
                continue;
            }
            let vals: BTreeSet<String> = numbers(s).difference(&sub_numbers).cloned().collect();
            if !vals.is_empty() {
                claims.push((*id, vals));
            }
        }
        let disagree = claims.iter().enumerate().any(|(i, a)| claims[i + 1..].iter().any(|b| a.1.is_disjoint(&b.1)));
        if disagree {
            out.push(ConflictRecord {
                node_id: n.id,
                evidence_ids: claims.iter().map(|c| c.0).collect(),
                answers: claims.iter().map(|c| c.1.iter().cloned().collect::<Vec<_>>().join(", ")).collect(),
            });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::run::{Action, EvidenceKind, RetrievalPath};

    pub(crate) fn ev(id: u32, node_id: u32, title: &str, text: &str) -> EvidenceRecord {
        EvidenceRecord {
            id,
            node_id,
            kind: EvidenceKind::Document,
            doc_id: Some(id as i64),
            chunk_id: Some(format!("{id}:0")),
            path: None,
            title: title.into(),
            page: None,
            location: String::new(),
            url: None,
            span: None,
            text: text.into(),
            score: 1.0,
            fetched_at: None,
            note: None,
            table: None,
        }
    }

    fn evidence() -> Vec<EvidenceRecord> {
        vec![
            ev(
                1,
                1,
                "Arthur's Magazine",
                "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia.",
            ),
            ev(
                2,
                2,
                "First for Women",
                "First for Women is a woman's magazine published by Bauer Media Group in the USA. The magazine was started in 1989.",
            ),
        ]
    }

    fn check_answer(answer: &str, want: Expect) {
        let c = check(answer, &evidence());
        let mut out = format!("answer: {}\n", c.answer);
        for cit in &c.citations {
            out.push_str(&format!("[{}] {:?} {:?}\n", cit.marker, cit.verdict, cit.sentence));
        }
        for u in &c.unsupported {
            out.push_str(&format!("unsupported: {u:?}\n"));
        }
        want.assert_eq(&out);
    }

    #[test]
    fn markers_and_verdicts() {
        check_answer(
            "Arthur's Magazine was an American periodical from 1844 [1]. First for Women was started in 1989 [2].",
            expect![[r#"
                answer: Arthur's Magazine was an American periodical from 1844 [1]. First for Women was started in 1989 [2].
                [1] Supported "Arthur's Magazine was an American periodical from 1844."
                [2] Supported "First for Women was started in 1989."
            "#]],
        );
    }

    #[test]
    fn invented_markers_are_removed_and_flagged() {
        check_answer(
            "Arthur's Magazine came first [1, 7]. It was printed on the Moon [9]. Both were magazines. [2]",
            expect![[r#"
                answer: Arthur's Magazine came first [1]. It was printed on the Moon. Both were magazines. [2]
                [1] Partial "Arthur's Magazine came first."
                [2] Supported "Both were magazines."
                unsupported: "Arthur's Magazine came first."
                unsupported: "It was printed on the Moon."
            "#]],
        );
    }

    #[test]
    fn verdict_rules() {
        check_answer(
            "First for Women was started in 1990 [2]. Arthur's Magazine was a Boston newspaper about dogs and cats [1]. Yes [1]. The sky is green.",
            expect![[r#"
                answer: First for Women was started in 1990 [2]. Arthur's Magazine was a Boston newspaper about dogs and cats [1]. Yes [1]. The sky is green.
                [2] Partial "First for Women was started in 1990."
                [1] Unsupported "Arthur's Magazine was a Boston newspaper about dogs and cats."
                [1] Partial "Yes."
                unsupported: "Arthur's Magazine was a Boston newspaper about dogs and cats."
                unsupported: "The sky is green."
            "#]],
        );
    }

    fn node(id: u32, sub: &str, evidence: Vec<u32>) -> NodeRecord {
        NodeRecord {
            id,
            action: Action::KnowledgeBase,
            sub_question: sub.into(),
            depends_on: vec![],
            missing: true,
            guess_answer: String::new(),
            answer: String::new(),
            status: NodeStatus::Done,
            mrfs: None,
            decision: None,
            path: RetrievalPath::RetrievedMissing,
            reason: None,
            scores: vec![],
            evidence,
        }
    }

    #[test]
    fn conflicting_years_are_flagged() {
        let evidence = vec![
            ev(1, 1, "Ada Lovelace", "Ada Lovelace was born in London in 1815. She worked with Babbage."),
            ev(2, 1, "Lovelace biography", "The mathematician Ada Lovelace was born in 1816, in London."),
            ev(3, 1, "Babbage", "Charles Babbage designed the Analytical Engine in 1837."),
            ev(4, 2, "Ada Lovelace", "Ada Lovelace was born in London in 1815."),
            ev(5, 2, "Lovelace", "Lovelace was born in London on 10 December 1815."),
        ];
        let nodes = vec![
            node(1, "When was Ada Lovelace born?", vec![1, 2, 3]),
            node(2, "When was Ada Lovelace born?", vec![4, 5]),
        ];
        expect![[r#"
            [
                ConflictRecord {
                    node_id: 1,
                    evidence_ids: [
                        1,
                        2,
                    ],
                    answers: [
                        "1815",
                        "1816",
                    ],
                },
            ]
        "#]]
        .assert_debug_eq(&conflicts(&nodes, &evidence));
    }

    #[test]
    fn numbers_only_conflict_when_the_question_asks_for_one() {
        let evidence = vec![
            ev(1, 1, "Ines Varga", "Ines Varga was born in Trieste in 1871 and trained as an engineer."),
            ev(2, 1, "Lighthouse", "Ines Varga, born in Trieste, designed the lighthouse between 1899 and 1903."),
        ];
        assert!(conflicts(&[node(1, "Where was Ines Varga born?", vec![1, 2])], &evidence).is_empty());
        assert_eq!(conflicts(&[node(1, "When was Ines Varga born?", vec![1, 2])], &evidence).len(), 1);
        assert!(asks_for_a_number("How many people live in Trieste?"));
        assert!(asks_for_a_number("In what year did the lighthouse open?"));
        assert!(!asks_for_a_number("Who designed the lighthouse?"));
        assert!(!asks_for_a_number("Which city is Ines Varga from?"));
    }

    #[test]
    fn a_computed_figure_replaces_the_library_sentence_for_the_same_question() {
        let q = "Which team has the most Stanley Cups?";
        let mut table =
            ev(2, 2, "stanley-cups", "Team with the highest Stanley Cups: Maple Leafs (Stanley Cups 13, row 3)");
        table.kind = EvidenceKind::Table;
        let evidence = vec![ev(1, 1, "stanley-cups", "Team: Blues | Location: STL | Stanley Cups: 1"), table];
        let mut data = node(2, q, vec![2]);
        data.action = Action::DataAnalysis;
        let nodes = vec![node(1, q, vec![1]), data.clone()];
        let answer = extractive(q, &nodes, &evidence, &HashSet::new(), &Meaning::new()).text;
        assert!(answer.contains("Maple Leafs") && answer.contains("[2]"), "{answer}");
        assert!(!answer.contains("Blues"), "{answer}");
        // A data step that found nothing leaves the library's sentence in place.
        data.evidence.clear();
        let answer = extractive(q, &[node(1, q, vec![1]), data], &evidence, &HashSet::new(), &Meaning::new()).text;
        assert!(answer.contains("Blues"), "{answer}");
    }

    #[test]
    fn a_figure_about_other_things_is_not_the_answer() {
        // The table knows three teams' cups, not the Canadiens'; the cyclist's row has no speed.
        let stanley = "How many Stanley Cups have the Montreal Canadiens won?";
        let mut sum = ev(2, 2, "stanley-cups", "Sum of Stanley Cups over 3 rows: 16");
        sum.kind = EvidenceKind::Table;
        let rows =
            "Team: Blues | Location: STL | Stanley Cups: 1\nTeam: Maple Leafs | Location: TOR | Stanley Cups: 13";
        let evidence = vec![ev(1, 1, "stanley-cups", rows), sum];
        let mut data = node(2, stanley, vec![2]);
        data.action = Action::DataAnalysis;
        let found =
            extractive(stanley, &[node(1, stanley, vec![1]), data], &evidence, &HashSet::new(), &Meaning::new());
        assert!(found.not_found, "{}", found.text);
        assert!(!found.text.contains('['), "nothing is cited: {}", found.text);

        let speed = "What was Alejandro Valverde's average speed in the race?";
        let row = "Rank: 1 | Cyclist: Alejandro Valverde (ESP) | Team: Caisse d'Epargne | Time: 5h 29' 10\"";
        let evidence = vec![ev(1, 1, "cycling", row)];
        let found = extractive(speed, &[node(1, speed, vec![1])], &evidence, &HashSet::new(), &Meaning::new());
        assert!(found.not_found, "{}", found.text);
        // The same row answers what one of its columns says.
        let team = "Which team did Alejandro Valverde ride for?";
        let found = extractive(team, &[node(1, team, vec![1])], &evidence, &HashSet::new(), &Meaning::new());
        assert!(!found.not_found && found.text.contains("[1]"), "{}", found.text);
    }

    #[test]
    fn extractive_answer_cites_each_node() {
        let nodes = vec![
            node(1, "Arthur's Magazine: started first?", vec![1]),
            node(2, "First for Women: started first?", vec![2]),
        ];
        expect![[r#"
            "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia [1].\nThe magazine was started in 1989 [2]."
        "#]]
        .assert_debug_eq(&extractive("Which magazine was started first?", &nodes, &evidence(), &HashSet::new(), &Meaning::new()).text);
    }

    #[test]
    fn the_best_read_sentence_comes_first_whichever_step_found_it() {
        let q = "Who was the school PE teacher Roberts credits as a great influence?";
        let evidence = vec![
            ev(1, 1, "Iwan Roberts", "Roberts joined Watford, where Graham Taylor was his manager."),
            ev(
                2,
                2,
                "Iwan Roberts",
                "Roberts credits his school PE teacher, Iolo Owen, as a great influence on his career.",
            ),
        ];
        let nodes = vec![node(1, q, vec![1]), node(2, &format!("{q} (via Watford)"), vec![2])];
        let bridges: HashSet<u32> = [2].into_iter().collect();
        let found = extractive(q, &nodes, &evidence, &bridges, &Meaning::new());
        let first = found.text.lines().next().unwrap_or_default();
        assert!(first.contains("Iolo Owen"), "{}", found.text);
        assert_eq!(found.short_answer.map(|s| s.text).as_deref(), Some("Iolo Owen"));
    }
}

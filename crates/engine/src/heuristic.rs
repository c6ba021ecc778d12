//! The planner without a model: rule-based decomposition, and the entity hop for bridge
//! questions.
//!
//! - **Comparisons** (`"…, X or Y?"`, `"Between X and Y, …"`, `"Are X and Y both …?"`,
//!   `"Is X or Y older?"`): one knowledge-base node per entity, each asking the shared predicate.
//! - **Conjunctions** (two questions in one: `"… ? … ?"`, `"… and when …"`): one node per clause.
//! - **Everything else**: one node for the whole question; when the question is long enough to
//!   hide a bridge entity (4+ content words), a second node hops: it takes capitalised spans
//!   from the first node's best evidence sentences that the question does not mention (the bridge
//!   entity, e.g. the director of the film the question names) and searches for them together
//!   with the question's words that the first evidence did not cover.

use std::collections::HashSet;

use crate::plan::PlannedNode;
use crate::run::{Action, EvidenceRecord};
use crate::text;

const AUX: &[&str] =
    &["are", "were", "is", "was", "do", "did", "does", "have", "has", "had", "can", "could", "will", "would"];

/// Decomposes a question into knowledge-base nodes.
pub(crate) fn decompose(question: &str, max_nodes: usize) -> Vec<PlannedNode> {
    let q = question.trim();
    let max_nodes = max_nodes.max(1);
    let mut nodes: Vec<PlannedNode> = if let Some((entities, predicate)) = comparison(q) {
        entities
            .iter()
            .enumerate()
            .map(|(i, e)| PlannedNode::new(i as u32 + 1, Action::KnowledgeBase, format!("{e}: {predicate}?")))
            .collect()
    } else if let Some(clauses) = conjunction(q) {
        clauses.into_iter().enumerate().map(|(i, c)| PlannedNode::new(i as u32 + 1, Action::KnowledgeBase, c)).collect()
    } else {
        let mut v = vec![PlannedNode::new(1, Action::KnowledgeBase, q)];
        if text::tokens(q).len() >= 4 {
            let mut hop = PlannedNode::new(2, Action::KnowledgeBase, q);
            hop.depends_on = vec![1];
            hop.bridge_from = Some(1);
            v.push(hop);
        }
        v
    };
    nodes.truncate(max_nodes);
    nodes
}

/// Adds a node running `action` on the whole question, depending on nothing (so it runs
/// alongside the library nodes): the web node when web search is on, the data node when table
/// analysis is on and the question asks for a figure. When the plan is full, the last library
/// node that nothing depends on (the bridge hop, or the last clause) makes room; a plan that
/// cannot make room stays as it is.
pub(crate) fn with_action(
    mut nodes: Vec<PlannedNode>,
    action: Action,
    question: &str,
    max_nodes: usize,
) -> Vec<PlannedNode> {
    if max_nodes < 2 {
        return nodes;
    }
    while nodes.len() >= max_nodes {
        let spare = nodes
            .iter()
            .rposition(|n| n.action == Action::KnowledgeBase && !nodes.iter().any(|m| m.depends_on.contains(&n.id)));
        match spare {
            Some(i) => {
                nodes.remove(i);
            }
            None => return nodes,
        }
    }
    let id = nodes.iter().map(|n| n.id).max().unwrap_or(0) + 1;
    nodes.push(PlannedNode::new(id, action, question.trim()));
    nodes
}

/// Words of a question that asks for a figure computed over a table.
const AGGREGATE_CUES: &[&str] = &[
    "how many",
    "how much",
    "number of",
    "count",
    "total",
    "sum",
    "average",
    "mean",
    "highest",
    "lowest",
    "maximum",
    "minimum",
    "most",
    "least",
    "largest",
    "smallest",
];

/// True when the question asks for a count, sum, average, maximum or minimum.
pub(crate) fn asks_for_numbers(question: &str) -> bool {
    let lower = format!(" {} ", text::words(question).join(" "));
    AGGREGATE_CUES.iter().any(|c| lower.contains(&format!(" {c} ")))
}

fn starts_like_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_uppercase() || c.is_numeric() || matches!(c, '"' | '“' | '\''))
}

fn clean_entity(s: &str) -> String {
    s.trim()
        .trim_matches(|c: char| matches!(c, '"' | '“' | '”' | '?' | '.' | ',' | ':' | ';') || c.is_whitespace())
        .to_string()
}

/// `(entities, predicate)` for a comparison question.
pub(crate) fn comparison(q: &str) -> Option<(Vec<String>, String)> {
    let q = q.trim().trim_end_matches(['?', '.', ' ']);
    // "Between X and Y, which …"
    if q.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("between "))
        && let Some(comma) = q.find(',')
        && let Some(inner) = q.get(8..comma)
        && let Some((x, y)) = inner.split_once(" and ")
    {
        return pair(x, y, q[comma + 1..].trim());
    }
    // "…, X or Y" / "…: X or Y"
    if let Some(pos) = q.rfind([',', ':']) {
        let (head, tail) = (q[..pos].trim(), q[pos + 1..].trim());
        if let Some((x, y)) = tail.rsplit_once(" or ")
            && !head.is_empty()
            && let Some(found) = pair(x, y, head)
        {
            return Some(found);
        }
    }
    // "Are X and Y both …" / "Were X and Y of the same …" / "Is X or Y older"
    if let Some((first, rest)) = q.split_once(' ')
        && AUX.contains(&first.to_lowercase().as_str())
    {
        if let Some(both) = rest.find(" both ")
            && let Some((x, y)) = rest[..both].split_once(" and ")
            && let Some(found) = pair(x, y, rest[both + 6..].trim())
        {
            return Some(found);
        }
        for sep in [" and ", " or "] {
            if let Some((x, after)) = rest.split_once(sep) {
                let after = after.trim_start();
                if let Some(y) = leading_name(after)
                    && let Some(predicate) = after.get(y.len()..).map(str::trim)
                    && !predicate.is_empty()
                    && let Some(found) = pair(x, &y, predicate)
                {
                    return Some(found);
                }
            }
        }
    }
    // Anywhere: "… The Exies or Circus Diablo …" (a choice), or "… John Waite and Jeff Scott
    // Soto …" when the question compares (a cue word); "Kiss and Tell" alone is a title.
    let lower = format!(" {} ", q.to_lowercase());
    let cue = COMPARISON_CUES.iter().any(|c| lower.contains(c)) || lower.contains("er than ");
    for (sep, needs_cue, skip) in [(" or ", false, 3), (" and ", true, 0)] {
        if needs_cue && !cue {
            continue;
        }
        for (p, _) in q.match_indices(sep) {
            let (left, right) = (&q[..p], &q[p + sep.len()..]);
            let Some(x) = trailing_name(left) else { continue };
            let Some(head) = left.trim_end().strip_suffix(x.as_str()) else { continue };
            let Some((offset, y)) = name_after(right, skip) else { continue };
            let predicate = format!("{head} {}", right.get(offset + y.len()..).unwrap_or(""));
            let predicate = tidy_predicate(&predicate);
            if let Some(found) = pair(&strip_leading_stop_words(&x), &strip_leading_stop_words(&y), &predicate) {
                return Some(found);
            }
        }
    }
    None
}

/// What is left of a question once the entities are cut out, made readable again: no orphaned
/// commas or articles, no dangling preposition ("Who is older out of" → "Who is older").
fn tidy_predicate(p: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for w in p.split_whitespace() {
        if w == "," {
            while words.last().is_some_and(|l| matches!(l.as_str(), "the" | "a" | "an")) {
                words.pop();
            }
            if let Some(last) = words.last_mut()
                && !last.ends_with(',')
            {
                last.push(',');
            }
            continue;
        }
        if w.starts_with(',') && words.last().is_some_and(|l| matches!(l.as_str(), "the" | "a" | "an")) {
            words.pop();
        }
        words.push(w.to_string());
    }
    while words.last().is_some_and(|w| {
        matches!(w.trim_end_matches(','), "of" | "out" | "the" | "a" | "an" | "between" | "among" | "and" | "or" | ",")
    }) {
        words.pop();
    }
    let mut out = words.join(" ");
    while out.ends_with(',') {
        out.pop();
    }
    out.replace(" ,", ",").replace(",,", ",")
}

/// Words that make "X and Y" a comparison rather than one name.
const COMPARISON_CUES: &[&str] = &[
    " both ",
    " same ",
    " common",
    " first",
    " older",
    " oldest",
    " younger",
    " youngest",
    " earlier",
    " later",
    " more ",
    " less ",
    " larger",
    " smaller",
    " longer",
    " shorter",
    " higher",
    " bigger",
    " taller",
    " which one",
    " either",
    " neither",
    " compare",
    " difference",
];

fn strip_leading_stop_words(s: &str) -> String {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    while words.len() > 1 && crate::text::is_stop_word(&words[0].to_lowercase()) {
        words.remove(0);
    }
    words.join(" ")
}

/// The capitalised span that ends `left` (as written), unless `left` ends a list item.
fn trailing_name(left: &str) -> Option<String> {
    let left = left.trim_end();
    if left.ends_with(',') {
        return None;
    }
    let words: Vec<&str> = left.split(' ').collect();
    let mut start = words.len();
    for (i, w) in words.iter().enumerate().rev() {
        let connector = matches!(*w, "of" | "the" | "de" | "von" | "van" | "&");
        if (starts_like_name(w) || connector) && (i + 1 == words.len() || !w.ends_with([',', ';', ':'])) {
            start = i;
        } else {
            break;
        }
    }
    while start < words.len() && matches!(words[start], "of" | "the" | "de" | "von" | "van" | "&") {
        start += 1;
    }
    let name = words[start..].join(" ");
    let name = name.trim_start_matches(['"', '“', '(']).to_string();
    (!name.is_empty()).then_some(name)
}

/// The capitalised span at the start of `right` after at most `skip` lowercase words ("the birth
/// of Robert Young"): `(byte offset, name)`.
fn name_after(right: &str, skip: usize) -> Option<(usize, String)> {
    let mut offset = right.len() - right.trim_start().len();
    for _ in 0..=skip {
        let rest = &right[offset..];
        if let Some(name) = leading_name(rest)
            && rest.starts_with(name.as_str())
        {
            return Some((offset, name.trim_end_matches([',', ';', ':']).to_string()));
        }
        let w = rest.split(' ').next().unwrap_or("");
        if w.is_empty() || w.ends_with([',', ';', ':', '.']) {
            return None;
        }
        offset += w.len();
        offset += right[offset..].len() - right[offset..].trim_start().len();
    }
    None
}

fn pair(x: &str, y: &str, predicate: &str) -> Option<(Vec<String>, String)> {
    let (x, y) = (clean_entity(x), clean_entity(y));
    let x = x.strip_prefix("the ").unwrap_or(&x).to_string();
    let y = y.strip_prefix("the ").unwrap_or(&y).to_string();
    if x.is_empty() || y.is_empty() || !starts_like_name(&x) || !starts_like_name(&y) {
        return None;
    }
    Some((vec![x, y], predicate.trim().to_string()))
}

/// The capitalised (or quoted) span at the start of `s`, as written.
fn leading_name(s: &str) -> Option<String> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let end = rest.find('"')?;
        return Some(format!("\"{}\"", &rest[..end]));
    }
    let mut end = 0;
    let mut words = 0;
    for w in s.split_inclusive(' ') {
        let bare = w.trim();
        let connector = matches!(bare, "of" | "the" | "de" | "von" | "van" | "and" | "&");
        if starts_like_name(bare) || (connector && words > 0) {
            end += w.len();
            words += 1;
            if bare.ends_with([',', ';', ':']) {
                break;
            }
        } else {
            break;
        }
    }
    // Drop trailing connectors ("X of").
    let mut name = s[..end].trim_end().to_string();
    while let Some((head, last)) = name.rsplit_once(' ') {
        if matches!(last, "of" | "the" | "de" | "von" | "van" | "and" | "&") {
            name = head.to_string();
        } else {
            break;
        }
    }
    (!name.is_empty()).then_some(name)
}

/// Splits two questions in one.
fn conjunction(q: &str) -> Option<Vec<String>> {
    // Two sentences ("X has an OBE. Does Y also have one?") or two questions.
    let parts: Vec<&str> = text::sentences(q);
    if parts.len() >= 2 && parts.iter().all(|p| !text::tokens(p).is_empty()) {
        return Some(parts.into_iter().map(str::to_string).collect());
    }
    for (p, _) in q.match_indices(" and ") {
        let (a, b) = (q[..p].trim(), q[p + 5..].trim());
        let wh = b.split_whitespace().next().unwrap_or("").to_lowercase();
        if ["what", "who", "when", "where", "which", "how", "why"].contains(&wh.as_str())
            && text::tokens(a).len() >= 2
            && text::tokens(b).len() >= 2
        {
            let a = if a.ends_with('?') { a.to_string() } else { format!("{a}?") };
            return Some(vec![a, b.to_string()]);
        }
    }
    None
}

/// Capitalised spans of a sentence (`"Steven Spielberg"`, `"University of Oxford"`), and quoted
/// spans, as written.
pub(crate) fn capitalised_spans(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, out: &mut Vec<String>| {
        while current.last().is_some_and(|w| matches!(*w, "of" | "the" | "de" | "von" | "van" | "and" | "&")) {
            current.pop();
        }
        if !current.is_empty() {
            out.push(current.join(" "));
        }
        current.clear();
    };
    for raw in sentence.split_whitespace() {
        let opens = raw.starts_with(['(', '"', '“', '[']);
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '.' && c != '-' && c != '&');
        let w = w.trim_end_matches(['.', '\'']);
        if opens {
            flush(&mut current, &mut out);
        }
        let cap = w.chars().next().is_some_and(char::is_uppercase);
        let connector = matches!(w, "of" | "the" | "de" | "von" | "van" | "and" | "&") && !current.is_empty();
        if cap || connector {
            current.push(w);
        } else {
            flush(&mut current, &mut out);
        }
        if raw.ends_with([',', ';', ':', ')', '"', '”', '.', ']']) {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    // Quoted titles ("Kiss and Tell") count as one span.
    let mut rest = sentence;
    while let Some((a, open)) = rest.char_indices().find(|(_, c)| matches!(c, '"' | '“')) {
        let after = &rest[a + open.len_utf8()..];
        let Some((b, close)) = after.char_indices().find(|(_, c)| matches!(c, '"' | '”')) else { break };
        let quoted = after[..b].trim();
        if !quoted.is_empty() && quoted.split_whitespace().count() <= 8 {
            out.push(quoted.to_string());
        }
        rest = &after[b + close.len_utf8()..];
    }
    out
}

/// Sentences of a piece of evidence ranked by how many of `query` tokens they hold (the
/// evidence title counts as part of every sentence, since passages refer back to their subject
/// with pronouns). Returns `(score, sentence)`, best first; ties keep text order.
pub(crate) fn ranked_sentences<'a>(query: &HashSet<String>, e: &'a EvidenceRecord) -> Vec<(usize, &'a str)> {
    let title: HashSet<String> = text::tokens(&e.title).into_iter().collect();
    let mut v: Vec<(usize, &str)> = text::sentences(&e.text)
        .into_iter()
        .map(|s| {
            let toks: HashSet<String> = text::tokens(s).into_iter().collect();
            let hits = query.iter().filter(|t| toks.contains(*t) || title.contains(*t)).count();
            (hits, s)
        })
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.0));
    v
}

/// Candidate bridge entities from a first hop's evidence (best first): capitalised spans of the
/// sentences that best match the question, minus what the question already names and the titles
/// already retrieved.
pub(crate) fn bridge_entities(question: &str, evidence: &[&EvidenceRecord], max: usize) -> Vec<String> {
    let qtoks: HashSet<String> = text::tokens(question).into_iter().collect();
    let titles: Vec<HashSet<String>> = evidence.iter().map(|e| text::tokens(&e.title).into_iter().collect()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    for (rank, e) in evidence.iter().take(2).enumerate() {
        let take = if rank == 0 { 3 } else { 1 };
        for (_, s) in ranked_sentences(&qtoks, e).into_iter().take(take) {
            for span in capitalised_spans(s) {
                let toks = text::tokens(&span);
                if toks.is_empty()
                    || toks.iter().all(|t| qtoks.contains(t))
                    || toks.iter().all(|t| {
                        (crate::text::MONTHS.contains(&t.as_str()) || crate::text::WEEKDAYS.contains(&t.as_str()))
                            || t.chars().all(char::is_numeric)
                    })
                    || titles.iter().any(|t| toks.iter().all(|x| t.contains(x)))
                {
                    continue;
                }
                if seen.insert(toks) {
                    out.push(span);
                }
            }
        }
    }
    // Multi-word spans first: "Shirley Temple" names one thing, "American" a million.
    out.sort_by_key(|s| usize::from(s.split_whitespace().count() < 2));
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::plan::{Plan, render};

    fn check(q: &str, want: Expect) {
        want.assert_eq(&render(&Plan { nodes: decompose(q, 6), final_answer: None }));
    }

    #[test]
    fn a_full_plan_makes_room_from_its_library_nodes_and_keeps_the_web_node() {
        let q = "Which magazine was started first, Arthur's Magazine or First for Women?";
        let with_web = with_action(decompose(q, 3), Action::WebSearch, q, 3);
        assert_eq!(with_web.len(), 3);
        let both = with_action(with_web, Action::DataAnalysis, q, 3);
        let actions: Vec<Action> = both.iter().map(|n| n.action).collect();
        assert_eq!(actions, [Action::KnowledgeBase, Action::WebSearch, Action::DataAnalysis]);
        // Nothing is left that depends on a removed node.
        let ids: Vec<u32> = both.iter().map(|n| n.id).collect();
        assert!(both.iter().all(|n| n.depends_on.iter().all(|d| ids.contains(d))), "{both:?}");
    }

    #[test]
    fn figures_get_a_data_analysis_node() {
        for q in [
            "What is the total revenue in 2019?",
            "How many stations broadcast country?",
            "Which region has the highest sales",
        ] {
            assert!(asks_for_numbers(q), "{q}");
        }
        assert!(!asks_for_numbers("Who directed Jaws?"));
        assert!(!asks_for_numbers("Where was the summit held?"));
        let q = "What is the total revenue in 2019?";
        let plan = Plan { nodes: with_action(decompose(q, 6), Action::DataAnalysis, q, 6), final_answer: None };
        expect![[r#"
            #1 knowledge_base "What is the total revenue in 2019?" missing
            #2 data_analysis "What is the total revenue in 2019?" missing
        "#]]
        .assert_eq(&render(&plan));
        // A full plan makes room; a one-node plan stays as it is.
        assert_eq!(
            with_action(decompose(q, 2), Action::DataAnalysis, q, 2).last().map(|n| n.action),
            Some(Action::DataAnalysis)
        );
        assert_eq!(with_action(decompose(q, 1), Action::DataAnalysis, q, 1).len(), 1);
    }

    #[test]
    fn comparisons() {
        check(
            "Which magazine was started first, Arthur's Magazine or First for Women?",
            expect![[r#"
                #1 knowledge_base "Arthur's Magazine: Which magazine was started first?" missing
                #2 knowledge_base "First for Women: Which magazine was started first?" missing
            "#]],
        );
        check(
            "Are Random House Tower and 888 7th Avenue both used for real estate?",
            expect![[r#"
                #1 knowledge_base "Random House Tower: used for real estate?" missing
                #2 knowledge_base "888 7th Avenue: used for real estate?" missing
            "#]],
        );
        check(
            "Who was born first, Pablo Picasso or Henri Matisse?",
            expect![[r#"
                #1 knowledge_base "Pablo Picasso: Who was born first?" missing
                #2 knowledge_base "Henri Matisse: Who was born first?" missing
            "#]],
        );
        check(
            "Were Scott Derrickson and Ed Wood of the same nationality?",
            expect![[r#"
                #1 knowledge_base "Scott Derrickson: of the same nationality?" missing
                #2 knowledge_base "Ed Wood: of the same nationality?" missing
            "#]],
        );
        check(
            "Which band was formed first The Exies or Circus Diablo ?",
            expect![[r##"
                #1 knowledge_base "Exies: Which band was formed first?" missing
                #2 knowledge_base "Circus Diablo: Which band was formed first?" missing
            "##]],
        );
        check(
            "Who is older out of John Waite and Jeff Scott Soto?",
            expect![[r##"
                #1 knowledge_base "John Waite: Who is older?" missing
                #2 knowledge_base "Jeff Scott Soto: Who is older?" missing
            "##]],
        );
        check(
            "Which came first the forming of The Dandy Warhols or the birth of Robert Young?",
            expect![[r##"
                #1 knowledge_base "Dandy Warhols: Which came first the forming?" missing
                #2 knowledge_base "Robert Young: Which came first the forming?" missing
            "##]],
        );
        check(
            "Are both magazines, the Woman's Viewpoint and Pick Me Up, British publications?",
            expect![[r##"
                #1 knowledge_base "Woman's Viewpoint: Are both magazines, British publications?" missing
                #2 knowledge_base "Pick Me Up: Are both magazines, British publications?" missing
            "##]],
        );
        check(
            "Between Iain Banks and Irwin Shaw, which writer has had a more diverse career?",
            expect![[r##"
                #1 knowledge_base "Iain Banks: which writer has had a more diverse career?" missing
                #2 knowledge_base "Irwin Shaw: which writer has had a more diverse career?" missing
            "##]],
        );
        check(
            "Is the Eiffel Tower or Big Ben older?",
            expect![[r#"
                #1 knowledge_base "Eiffel Tower: older?" missing
                #2 knowledge_base "Big Ben: older?" missing
            "#]],
        );
    }

    #[test]
    fn conjunctions_and_bridges() {
        check(
            "Who founded Acme? When was it sold?",
            expect![[r#"
                #1 knowledge_base "Who founded Acme?" missing
                #2 knowledge_base "When was it sold?" missing
            "#]],
        );
        check(
            "Where is the Louvre located and when did the museum open?",
            expect![[r#"
                #1 knowledge_base "Where is the Louvre located?" missing
                #2 knowledge_base "when did the museum open?" missing
            "#]],
        );
        check(
            "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?",
            expect![[r#"
                #1 knowledge_base "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?" missing
                #2 knowledge_base "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?" after #1 missing bridge_from=#1
            "#]],
        );
        check(
            "The director Armando Iannucci has an OBE. Does the director Puneet Sira also have one?",
            expect![[r##"
                #1 knowledge_base "The director Armando Iannucci has an OBE." missing
                #2 knowledge_base "Does the director Puneet Sira also have one?" missing
            "##]],
        );
        check(
            "Who wrote Hamlet?",
            expect![[r#"
            #1 knowledge_base "Who wrote Hamlet?" missing
        "#]],
        );
        // Dotted initials end no sentence: one question, not two halves.
        check(
            "In which journal did O. Sanni and A.P.I. Popoola publish?",
            expect![[r#"
            #1 knowledge_base "In which journal did O. Sanni and A.P.I. Popoola publish?" missing
            #2 knowledge_base "In which journal did O. Sanni and A.P.I. Popoola publish?" after #1 missing bridge_from=#1
        "#]],
        );
    }

    #[test]
    fn spans() {
        assert_eq!(
            capitalised_spans(
                "Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer."
            ),
            ["Kiss and Tell", "American", "Shirley Temple", "Corliss Archer"]
        );
        assert_eq!(
            capitalised_spans("It was written by \"Fred Smith\" at the University of Oxford, England."),
            ["It", "Fred Smith", "University of Oxford", "England", "Fred Smith"]
        );
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Odd input must never panic: multi-byte punctuation next to every separator the parsers
    /// slice at, doubled spaces, lone quotes and brackets.
    #[test]
    fn odd_questions_do_not_panic() {
        let odd = [
            "",
            " ",
            "?",
            "“",
            "\"",
            "İstanbul and when İzmir?",
            "X  or  Y",
            "Are  A  and  B both  c?",
            "Between “A” and „B“, which?",
            "Which, “Ä” or “Ö”?",
            "A or",
            "or B",
            "Is  or ",
            "Between and ,",
            "the “ Kiss and Tell ” or the ‘X’ film first?",
            "Who, 🙂 or 🙃, came first?",
            "a, b or c",
            "Is É or Ω older",
            "(A) or [B]?",
            "A,, or ,B?",
            "What and who?",
            "x and when y and how z",
        ];
        for q in odd {
            let _ = decompose(q, 6);
            let _ = capitalised_spans(q);
            let _ = comparison(q);
            let _ = text::sentences(q);
            let _ = crate::answer::name_tokens(q);
        }
    }
}

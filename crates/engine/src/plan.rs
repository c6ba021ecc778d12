//! Plans: the action chain as data. Parsing is lenient about the model's formatting and strict
//! about the graph.
//!
//! Parsing accepts: ```` ```json ```` fences; prose around the JSON (the first balanced object
//! that holds a chain wins); trailing commas; a bare array as the chain; the paper's key spellings
//! (`Chain`, `Action`, `Sub`, `Guess_Answer`, `MissingFlag`, `Final_Answer`) and ours (`chain`,
//! `action`, `sub_question`, `guess_answer`, `missing`, `depends_on`, `final_answer`), compared
//! case- and punctuation-insensitively; ids as numbers or strings (`"2"`, `"#2"`); action names in
//! any wording (see [`parse_action`]).
//!
//! Validation decides, in this order:
//! - a plan with no nodes, a node without a sub-question, or duplicate ids is **rejected**
//!   (`PlanError`), which earns it one repair call;
//! - ids absent on every node are assigned 1, 2, … in order; absent on some nodes: rejected;
//! - nodes beyond `max_nodes` are cut (noted on the last kept node);
//! - `#n` in a sub-question adds an implicit dependency on node n;
//! - an edge to an unknown or cut node, a self-edge, or an edge that would close a cycle (edges
//!   are added in plan order, so the later edge of a cycle is the one dropped) is **dropped and
//!   noted** on the node: the rest of the plan is still useful, and the node still runs, only
//!   without that input;
//! - an unknown action falls back to the knowledge base (noted): local documents are the one
//!   source that is always there.
//!
//! A guess that is empty or a placeholder (`[Unsolved Sub]`, `unknown`, `N/A`, …) marks the node
//! missing whatever its flag says: there is nothing to keep.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::run::Action;

/// One planned node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedNode {
    pub id: u32,
    pub action: Action,
    pub sub_question: String,
    pub depends_on: Vec<u32>,
    pub missing: bool,
    pub guess_answer: String,
    /// Why the plan was adjusted here (dropped edges, unknown action, …).
    pub notes: Vec<String>,
    /// Extractive mode: take the query's entity from this node's evidence (a bridge hop).
    pub bridge_from: Option<u32>,
}

impl PlannedNode {
    pub(crate) fn new(id: u32, action: Action, sub_question: impl Into<String>) -> PlannedNode {
        PlannedNode {
            id,
            action,
            sub_question: sub_question.into(),
            depends_on: Vec::new(),
            missing: true,
            guess_answer: String::new(),
            notes: Vec::new(),
            bridge_from: None,
        }
    }
}

/// A validated chain.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Plan {
    pub nodes: Vec<PlannedNode>,
    pub final_answer: Option<String>,
}

/// Why a plan could not be used (sent back to the model in the repair call, so it is phrased
/// for it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("the reply contains no JSON object")]
    NoJson,
    #[error("the JSON is cut off before it ends")]
    Truncated,
    #[error("the JSON does not parse: {0}")]
    Syntax(String),
    #[error("the plan is invalid: {0}")]
    Invalid(String),
}

/// Parses and validates a planner reply.
pub(crate) fn parse(raw: &str, max_nodes: usize) -> Result<Plan, PlanError> {
    let value = extract_json(raw)?;
    from_value(&value, max_nodes.max(1))
}

/// Lowercase ASCII alphanumerics only: `Guess_Answer`, `guessAnswer`, `guess answer` all meet.
fn norm_key(k: &str) -> String {
    k.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn get<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    // Exact normalised matches in the order of `names`, so `sub_question` beats `question`.
    names.iter().find_map(|n| obj.iter().find(|(k, _)| norm_key(k) == *n).map(|(_, v)| v))
}

const CHAIN_KEYS: &[&str] = &["chain", "actionchain", "reasoningchain", "steps", "nodes", "actions", "plan"];

/// Finds the JSON value in a reply: fenced or not, with prose around it.
fn extract_json(raw: &str) -> Result<Value, PlanError> {
    let text = strip_fences(raw);
    let mut first_ok: Option<Value> = None;
    let mut first_err: Option<PlanError> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' || (bytes[i] == b'[' && first_ok.is_none()) {
            match balanced_end(text, i) {
                Some(end) => {
                    let slice = &text[i..end];
                    match serde_json::from_str::<Value>(&remove_trailing_commas(slice)) {
                        Ok(v) => {
                            let has_chain = v.as_object().is_some_and(|o| get(o, CHAIN_KEYS).is_some());
                            if has_chain {
                                return Ok(v);
                            }
                            // A bracketed "[1]" in prose is not a chain; an array of objects is.
                            let chain_like =
                                v.is_object() || v.as_array().is_some_and(|a| a.first().is_some_and(Value::is_object));
                            if first_ok.is_none() && chain_like {
                                first_ok = Some(v);
                            }
                        }
                        Err(e) => {
                            first_err.get_or_insert(PlanError::Syntax(e.to_string()));
                        }
                    }
                    // Never look inside a candidate: a well-formed node inside a broken chain
                    // is not the plan.
                    i = end;
                    continue;
                }
                None => {
                    first_err.get_or_insert(PlanError::Truncated);
                    // An unbalanced opener swallows the rest of the text: nothing later can
                    // be a complete top-level object.
                    break;
                }
            }
        }
        i += 1;
    }
    match (first_ok, first_err) {
        (Some(v), _) => Ok(v),
        (None, Some(e)) => Err(e),
        (None, None) => Err(PlanError::NoJson),
    }
}

fn strip_fences(raw: &str) -> &str {
    let t = raw.trim();
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        // Skip the info string (`json`) up to the end of the line.
        let body_start = after.find('\n').map_or(0, |n| n + 1);
        let body = &after[body_start..];
        return match body.find("```") {
            Some(end) => &body[..end],
            None => body,
        };
    }
    t
}

/// The end (exclusive) of the bracketed value starting at `start`, aware of strings and escapes.
fn balanced_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for (off, c) in text[start..].char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(start + off + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

/// Drops commas directly before `}` or `]` (outside strings), a common model slip.
fn remove_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut escaped = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Matches an action name in any of the wordings models use. `None` when nothing fits.
pub(crate) fn parse_action(name: &str) -> Option<Action> {
    let n = name.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| n.contains(w));
    if has(&["web", "internet", "online", "google", "bing", "news", "search engine", "browse"]) {
        Some(Action::WebSearch)
    } else if has(&[
        "knowledge",
        "information",
        "local",
        "document",
        "library",
        "corpus",
        "retriev",
        "encod",
        "file",
        "paper",
    ]) || norm_key(&n) == "kb"
    {
        Some(Action::KnowledgeBase)
    } else if has(&["data", "table", "calcul", "comput", "spreadsheet", "csv", "sql", "numer", "statistic"]) {
        Some(Action::DataAnalysis)
    } else if has(&["search", "lookup", "look up"]) {
        // A plain "search" most likely means the user's documents in an app without a web port.
        Some(Action::KnowledgeBase)
    } else {
        None
    }
}

fn is_placeholder(guess: &str) -> bool {
    let g = norm_key(guess);
    g.is_empty()
        || matches!(
            g.as_str(),
            "unsolvedsub"
                | "unsolved"
                | "unknown"
                | "na"
                | "none"
                | "null"
                | "idontknow"
                | "notsure"
                | "tbd"
                | "missing"
        )
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A node id from `2`, `"2"`, `"#2"`, `"step 2"`.
fn as_id(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => {
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            digits.parse().ok()
        }
        _ => None,
    }
}

/// `#n` references in a text, in order, without duplicates.
pub(crate) fn hash_refs(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(p) = rest.find('#') {
        let digits: String = rest[p + 1..].chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u32>()
            && !out.contains(&n)
        {
            out.push(n);
        }
        rest = &rest[p + 1..];
    }
    out
}

fn from_value(v: &Value, max_nodes: usize) -> Result<Plan, PlanError> {
    let (chain, final_answer) = match v {
        Value::Array(items) => (items.as_slice(), None),
        Value::Object(o) => {
            let chain = get(o, CHAIN_KEYS)
                .and_then(Value::as_array)
                .ok_or_else(|| PlanError::Invalid("there is no \"chain\" array".into()))?;
            let fa = get(o, &["finalanswer", "answer", "final"]).map(as_text).filter(|s| !s.is_empty());
            (chain.as_slice(), fa)
        }
        _ => return Err(PlanError::Invalid("the reply is not a JSON object".into())),
    };
    if chain.is_empty() {
        return Err(PlanError::Invalid("the chain is empty".into()));
    }

    let mut raw_ids = Vec::new();
    let mut nodes = Vec::new();
    for (i, item) in chain.iter().enumerate() {
        let o = item.as_object().ok_or_else(|| PlanError::Invalid(format!("chain item {} is not an object", i + 1)))?;
        raw_ids.push(get(o, &["id", "step", "node", "index", "no", "number"]).and_then(as_id));
        let sub = get(o, &["subquestion", "sub", "subq", "question", "query", "description"])
            .map(as_text)
            .unwrap_or_default();
        if sub.is_empty() {
            return Err(PlanError::Invalid(format!("chain item {} has no sub_question", i + 1)));
        }
        let mut notes = Vec::new();
        let action_name = get(o, &["action", "tool", "actiontype", "engine", "type"]).map(as_text).unwrap_or_default();
        let action = match parse_action(&action_name) {
            Some(a) => a,
            None => {
                notes.push(if action_name.is_empty() {
                    "no action given; used the knowledge base".to_string()
                } else {
                    format!("unknown action \"{action_name}\"; used the knowledge base")
                });
                Action::KnowledgeBase
            }
        };
        let depends_on: Vec<u32> =
            match get(o, &["dependson", "depends", "dependencies", "deps", "after", "requires", "parents"]) {
                Some(Value::Array(a)) => a.iter().filter_map(as_id).collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => as_id(other).into_iter().collect(),
            };
        let guess = get(o, &["guessanswer", "guess", "initialanswer", "answer"]).map(as_text).unwrap_or_default();
        let flag = get(o, &["missing", "missingflag", "mf", "needsretrieval", "needsexternaldata"]).and_then(as_bool);
        let placeholder = is_placeholder(&guess);
        nodes.push(PlannedNode {
            id: 0,
            action,
            sub_question: sub,
            depends_on,
            missing: flag.unwrap_or(false) || placeholder,
            guess_answer: if placeholder { String::new() } else { guess },
            notes,
            bridge_from: None,
        });
    }

    // Ids: all given and unique, or none given.
    if raw_ids.iter().all(Option::is_none) {
        for (i, n) in nodes.iter_mut().enumerate() {
            n.id = i as u32 + 1;
        }
    } else {
        let mut seen = HashSet::new();
        for (i, (n, id)) in nodes.iter_mut().zip(&raw_ids).enumerate() {
            let id = id.ok_or_else(|| PlanError::Invalid(format!("chain item {} has no id", i + 1)))?;
            if !seen.insert(id) {
                return Err(PlanError::Invalid(format!("node id {id} is used twice")));
            }
            n.id = id;
        }
    }

    if nodes.len() > max_nodes {
        let cut = nodes.len() - max_nodes;
        nodes.truncate(max_nodes);
        if let Some(last) = nodes.last_mut() {
            last.notes
                .push(format!("the plan had {cut} more node(s) than the limit of {max_nodes}; they were dropped"));
        }
    }

    // Edges, in plan order; an edge is kept only if it points at another existing node and does
    // not close a cycle.
    let ids: HashSet<u32> = nodes.iter().map(|n| n.id).collect();
    let mut graph: HashMap<u32, Vec<u32>> = HashMap::new();
    for n in &mut nodes {
        let mut wanted = std::mem::take(&mut n.depends_on);
        for r in hash_refs(&n.sub_question) {
            if !wanted.contains(&r) {
                wanted.push(r);
            }
        }
        let mut kept = Vec::new();
        for d in wanted {
            if kept.contains(&d) {
                continue;
            }
            if d == n.id {
                n.notes.push(format!("dropped dependency on #{d}: a node cannot depend on itself"));
            } else if !ids.contains(&d) {
                n.notes.push(format!("dropped dependency on #{d}: no such node"));
            } else if reaches(&graph, d, n.id) {
                n.notes.push(format!("dropped dependency on #{d}: it would form a cycle"));
            } else {
                graph.entry(n.id).or_default().push(d);
                kept.push(d);
            }
        }
        n.depends_on = kept;
    }
    Ok(Plan { nodes, final_answer })
}

/// Whether `to` is reachable from `from` along dependency edges.
fn reaches(graph: &HashMap<u32, Vec<u32>>, from: u32, to: u32) -> bool {
    let mut stack = vec![from];
    let mut seen = HashSet::new();
    while let Some(x) = stack.pop() {
        if x == to {
            return true;
        }
        if seen.insert(x) {
            stack.extend(graph.get(&x).into_iter().flatten().copied());
        }
    }
    false
}

/// The plan as an indented tree, for snapshots and logs.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for n in &plan.nodes {
        let _ = write!(out, "#{} {} {:?}", n.id, n.action.as_str(), n.sub_question);
        if !n.depends_on.is_empty() {
            let deps: Vec<String> = n.depends_on.iter().map(|d| format!("#{d}")).collect();
            let _ = write!(out, " after {}", deps.join(","));
        }
        if n.missing {
            out.push_str(" missing");
        }
        if !n.guess_answer.is_empty() {
            let _ = write!(out, " guess={:?}", n.guess_answer);
        }
        if let Some(b) = n.bridge_from {
            let _ = write!(out, " bridge_from=#{b}");
        }
        out.push('\n');
        for note in &n.notes {
            let _ = writeln!(out, "    note: {note}");
        }
    }
    if let Some(fa) = &plan.final_answer {
        let _ = writeln!(out, "final: {fa:?}");
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(raw: &str, max_nodes: usize, want: Expect) {
        let got = match parse(raw, max_nodes) {
            Ok(p) => render(&p),
            Err(e) => format!("error: {e}\n"),
        };
        want.assert_eq(&got);
    }

    #[test]
    fn good_plan() {
        check(
            r#"{"chain":[
                {"id":1,"action":"knowledge_base","sub_question":"Who directed Jaws?","depends_on":[],"missing":false,"guess_answer":"Steven Spielberg"},
                {"id":2,"action":"web_search","sub_question":"When was #1 born?","depends_on":[1],"missing":true,"guess_answer":""}
              ],"final_answer":"Spielberg [1] was born in 1946 [2]."}"#,
            6,
            expect![[r#"
                #1 knowledge_base "Who directed Jaws?" guess="Steven Spielberg"
                #2 web_search "When was #1 born?" after #1 missing
                final: "Spielberg [1] was born in 1946 [2]."
            "#]],
        );
    }

    #[test]
    fn fenced_with_prose_and_paper_keys() {
        check(
            "Sure! Here is the chain:\n```json\n{\"Chain\": [\n {\"Action\": \"Information-analyzing engine\", \"Sub\": \"what is bitcoin\", \"Guess_Answer\": \"A cryptocurrency.\", \"MissingFlag\": \"False\"},\n {\"Action\": \"Web-querying Engine\", \"Sub\": \"bitcoin news\", \"Guess_Answer\": \"[Unsolved Sub]\"},\n {\"Action\": \"Data-analyzing Engine\", \"Sub\": \"bitcoin price trend\", \"GuessAnswer\": \"rising\", \"MissingFlag\": true},\n],\n\"Final_Answer\": \"Risky [1].\"}\n```\nHope this helps.",
            6,
            expect![[r#"
                #1 knowledge_base "what is bitcoin" guess="A cryptocurrency."
                #2 web_search "bitcoin news" missing
                #3 data_analysis "bitcoin price trend" missing guess="rising"
                final: "Risky [1]."
            "#]],
        );
    }

    #[test]
    fn action_names_are_matched_leniently() {
        let cases = [
            ("Web-querying Engine", Some(Action::WebSearch)),
            ("web search", Some(Action::WebSearch)),
            ("Information-analyzing engine", Some(Action::KnowledgeBase)),
            ("knowledge base", Some(Action::KnowledgeBase)),
            ("KB", Some(Action::KnowledgeBase)),
            ("local documents", Some(Action::KnowledgeBase)),
            ("data-analyzing", Some(Action::DataAnalysis)),
            ("table", Some(Action::DataAnalysis)),
            ("telepathy", None),
        ];
        for (name, want) in cases {
            assert_eq!(parse_action(name), want, "{name}");
        }
    }

    #[test]
    fn truncated_and_malformed() {
        check(
            r#"{"chain":[{"id":1,"action":"kb","sub_question":"Who"#,
            6,
            expect![[r#"
            error: the JSON is cut off before it ends
        "#]],
        );
        check(
            "I cannot help with that.",
            6,
            expect![[r#"
            error: the reply contains no JSON object
        "#]],
        );
        check(
            r#"{"chain": [{"id": 1 "action": "kb"}]}"#,
            6,
            expect![[r#"
            error: the JSON does not parse: expected `,` or `}` at line 1 column 21
        "#]],
        );
        check(
            r#"{"chain": []}"#,
            6,
            expect![[r#"
            error: the plan is invalid: the chain is empty
        "#]],
        );
        check(
            r#"{"chain": [{"id": 1, "action": "kb"}]}"#,
            6,
            expect![[r#"
            error: the plan is invalid: chain item 1 has no sub_question
        "#]],
        );
        check(
            r#"{"chain": [{"id": 1, "sub": "a"}, {"id": 1, "sub": "b"}]}"#,
            6,
            expect![[r#"
            error: the plan is invalid: node id 1 is used twice
        "#]],
        );
    }

    #[test]
    fn unknown_action_falls_back_to_the_knowledge_base() {
        check(
            r#"{"chain":[{"id":1,"action":"telepathy","sub_question":"What is X?","guess_answer":"Y"}]}"#,
            6,
            expect![[r#"
            #1 knowledge_base "What is X?" guess="Y"
                note: unknown action "telepathy"; used the knowledge base
        "#]],
        );
    }

    #[test]
    fn cycles_self_edges_and_unknown_edges_are_dropped() {
        check(
            r##"{"chain":[
                {"id":1,"action":"kb","sub_question":"A of #2?","depends_on":[1]},
                {"id":2,"action":"kb","sub_question":"B?","depends_on":[1, 9]},
                {"id":3,"action":"kb","sub_question":"C?","depends_on":["#2", "1"]}
            ]}"##,
            6,
            expect![[r#"
                #1 knowledge_base "A of #2?" after #2 missing
                    note: dropped dependency on #1: a node cannot depend on itself
                #2 knowledge_base "B?" missing
                    note: dropped dependency on #1: it would form a cycle
                    note: dropped dependency on #9: no such node
                #3 knowledge_base "C?" after #2,#1 missing
            "#]],
        );
    }

    #[test]
    fn over_long_plans_are_cut() {
        let items: Vec<String> = (1..=8)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"action":"kb","sub_question":"q{i}","depends_on":[{}]}}"#,
                    if i == 3 { 7 } else { 0 }
                )
            })
            .collect();
        check(
            &format!(r#"{{"chain":[{}]}}"#, items.join(",")),
            3,
            expect![[r#"
            #1 knowledge_base "q1" missing
                note: dropped dependency on #0: no such node
            #2 knowledge_base "q2" missing
                note: dropped dependency on #0: no such node
            #3 knowledge_base "q3" missing
                note: the plan had 5 more node(s) than the limit of 3; they were dropped
                note: dropped dependency on #7: no such node
        "#]],
        );
    }

    #[test]
    fn bare_array_without_ids() {
        check(
            r#"[{"action":"kb","sub":"first?"},{"action":"kb","sub":"then #1?"}]"#,
            6,
            expect![[r#"
            #1 knowledge_base "first?" missing
            #2 knowledge_base "then #1?" after #1 missing
        "#]],
        );
    }
}

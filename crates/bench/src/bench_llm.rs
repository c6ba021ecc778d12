//! `catena-bench bench-llm --latency-ms L [--questions N] [--mode chain|agent]`: the engine's wall
//! time and LLM calls per question against a model that takes L ms per call, next to a sequential
//! ReAct loop on the same model, library and questions.
//!
//! The model is a scripted OpenAI-compatible server on 127.0.0.1 (`testkit`'s loopback HTTP/1.1
//! server, the one the tests use for remote services) that answers every call after L ms:
//! - the plan call with a realistic chain for the question (the scenarios below: a comparison of
//!   two independent lookups and a dependent one, a bridge, a single hop, three parallel lookups,
//!   a three-hop chain with a wrong guess, and a question the planner knows nothing about), with
//!   guesses where a model would know the fact and `missing` where it would not;
//! - summary calls with the sub-question's answer;
//! - the answer call as a server-sent event stream;
//! - ReAct calls (recognised by the ReAct prompt) with `Thought/Action: Search[...]` for each
//!   sub-question of the same decomposition, then `Finish[...]`: one call per sub-question plus
//!   the final one, as a real ReAct run makes them.
//!
//! The engine runs over a small generated library (the scenarios' facts plus filler documents)
//! built through the real ingestion pipeline; ReAct's `Search` reads the same library. Targets:
//! the engine's wall time per question within (DAG depth + 2)·L + 100 ms, and fewer LLM calls
//! than ReAct. The engine saves calls only where the planner's guesses are verified by MRFS
//! (kept guesses need no summary call); a question with every node missing costs it more calls
//! than ReAct, and the per-question table shows it.
//!
//! With `--mode agent` the same run also asks every question in agent mode (AutoCoA: one turn
//! that searches from inside the model's thinking): the server answers agent calls (recognised by
//! the agent prompt) with the next of the scenario's ReAct searches as a `<begin_search>` request,
//! one per generation, counted by the `<search_result>` blocks already in the turn, then
//! `</think>` and the boxed answer; so an agent run makes one call per search plus the final one,
//! as ReAct does, but keeps one growing turn. Each row then has the agent's calls, tokens,
//! actions and wall time next to the chain's and ReAct's.
//!
//! Token counts are the server's estimate (characters / 4), the same for every loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use engine::ports::{ChatRequest, Corpus, Llm, Message};
use engine::{CallPurpose, CancellationToken, Engine, Mode};
use serde::Serialize;
use serde_json::{Value, json};
use session::cli::say;
use testkit::{Recorded, Reply, Server};

use crate::eval::{TempLibrary, mean, quantile};

#[derive(Args, Debug)]
pub(crate) struct BenchLlmArgs {
    /// Latency of every model call, in milliseconds.
    #[arg(long, default_value_t = 200)]
    latency_ms: u64,
    /// Questions asked (the scenarios in turn).
    #[arg(long, default_value_t = 12)]
    questions: usize,
    /// chain: the engine's chain against ReAct; agent: agent mode too, next to both.
    #[arg(long, value_parser = ["chain", "agent"], default_value = "chain")]
    mode: String,
}

/// Fixed overhead allowed on top of (depth + 2)·L: retrieval, MRFS and HTTP on loopback.
const SLACK_MS: f64 = 100.0;

/// The first line of the ReAct prompt (as in the ReAct paper's HotpotQA prompt); the server
/// recognises ReAct calls by it.
const REACT_HEAD: &str = "Solve a question answering task with interleaving Thought, Action, Observation steps.";

/// ReAct steps before it is stopped (a scripted run needs at most 4).
const REACT_MAX_STEPS: usize = 8;

struct Node {
    sub: &'static str,
    deps: &'static [u32],
    /// The planner's guess; empty means it flags the node missing.
    guess: &'static str,
    /// What the summary call answers.
    answer: &'static str,
}

struct Scenario {
    name: &'static str,
    question: &'static str,
    /// Node i has id i + 1.
    nodes: &'static [Node],
    /// ReAct's searches: one per sub-question that needs a lookup.
    react: &'static [&'static str],
    answer: &'static str,
}

const fn node(sub: &'static str, deps: &'static [u32], guess: &'static str, answer: &'static str) -> Node {
    Node { sub, deps, guess, answer }
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "comparison",
        question: "Which magazine is older, the Harrow Gazette or the magazine edited by Anders Lindqvist?",
        nodes: &[
            node("When was the Harrow Gazette founded?", &[], "1871", "1871"),
            node("Which magazine did Anders Lindqvist edit?", &[], "the Lindqvist Review", "the Lindqvist Review"),
            node("When was #2 first published?", &[2], "", "1903"),
        ],
        react: &["Harrow Gazette", "Anders Lindqvist", "Lindqvist Review"],
        answer: "The Harrow Gazette is older: it was founded in 1871 [1], while the Lindqvist Review was first published in 1903 [2].",
    },
    Scenario {
        name: "bridge",
        question: "In which city was the founder of the Harrow Gazette born?",
        nodes: &[
            node("Who founded the Harrow Gazette?", &[], "Edith Marlow", "Edith Marlow"),
            node("In which city was #1 born?", &[1], "", "Exeter"),
        ],
        react: &["Harrow Gazette", "Edith Marlow"],
        answer: "Edith Marlow, who founded the Harrow Gazette [1], was born in Exeter [2].",
    },
    Scenario {
        name: "single",
        question: "On which mountain is the Corvane Observatory?",
        nodes: &[node("On which mountain is the Corvane Observatory?", &[], "Mount Teller", "Mount Teller")],
        react: &["Corvane Observatory"],
        answer: "The Corvane Observatory is on Mount Teller [1].",
    },
    Scenario {
        name: "three-way",
        question: "Which has the longest main span: the Aldermoor, the Kestrel or the Varden bridge?",
        nodes: &[
            node("What is the main span of the Aldermoor Bridge?", &[], "1210 metres", "1210 metres"),
            node("What is the main span of the Kestrel Bridge?", &[], "980 metres", "980 metres"),
            node("What is the main span of the Varden Bridge?", &[], "1450 metres", "1450 metres"),
        ],
        react: &["Aldermoor Bridge", "Kestrel Bridge", "Varden Bridge"],
        answer: "The Varden Bridge has the longest main span, 1450 metres [3], ahead of the Aldermoor Bridge [1] and the Kestrel Bridge [2].",
    },
    Scenario {
        name: "chain-3",
        question: "Which river flows through the birthplace of the architect of the Corvane Observatory?",
        nodes: &[
            node("Who designed the Corvane Observatory?", &[], "Ilse Brandt", "Ilse Brandt"),
            // A wrong guess: MRFS rejects it and the summary call replaces it.
            node("Where was #1 born?", &[1], "Hamburg", "Rostwick"),
            node("Which river flows through #2?", &[2], "", "the Amsel"),
        ],
        react: &["Corvane Observatory", "Ilse Brandt", "Rostwick"],
        answer: "The Amsel: the observatory's architect Ilse Brandt [1] was born in Rostwick [2], at the mouth of the river Amsel [3].",
    },
    Scenario {
        name: "all-missing",
        question: "Who was born first, Mara Quint or Oskar Feld?",
        nodes: &[
            node("When was Mara Quint born?", &[], "", "4 March 1952"),
            node("When was Oskar Feld born?", &[], "", "19 June 1948"),
        ],
        react: &["Mara Quint", "Oskar Feld"],
        answer: "Oskar Feld was born first, on 19 June 1948 [2]; Mara Quint was born on 4 March 1952 [1].",
    },
];

const FACTS: &[(&str, &str)] = &[
    (
        "Harrow Gazette",
        "The Harrow Gazette is a literary magazine founded in 1871 by Edith Marlow in Bristol. It published essays, poems and serialised novels.",
    ),
    (
        "Lindqvist Review",
        "The Lindqvist Review is a quarterly magazine of criticism, first published in 1903 in Uppsala. Its founding editor was Anders Lindqvist.",
    ),
    (
        "Anders Lindqvist",
        "Anders Lindqvist (1870–1941) was a Swedish critic who edited the Lindqvist Review for three decades.",
    ),
    (
        "Edith Marlow",
        "Edith Marlow (1839–1911) was an English editor and novelist. She was born in Exeter and founded the Harrow Gazette in 1871.",
    ),
    (
        "Corvane Observatory",
        "The Corvane Observatory is an astronomical observatory on Mount Teller. It was designed by the architect Ilse Brandt and opened in 1932.",
    ),
    (
        "Ilse Brandt",
        "Ilse Brandt (1888–1960) was an architect. She was born in Rostwick and trained in Vienna before designing observatories and libraries.",
    ),
    ("Rostwick", "Rostwick is a port town at the mouth of the river Amsel, known for its shipyards."),
    (
        "Aldermoor Bridge",
        "The Aldermoor Bridge is a suspension bridge with a main span of 1210 metres, opened in 1964.",
    ),
    ("Kestrel Bridge", "The Kestrel Bridge is a cable-stayed bridge with a main span of 980 metres, opened in 1998."),
    ("Varden Bridge", "The Varden Bridge is a suspension bridge with a main span of 1450 metres, opened in 2007."),
    ("Mara Quint", "Mara Quint (born 4 March 1952) is a sculptor known for large bronze figures."),
    ("Oskar Feld", "Oskar Feld (born 19 June 1948) is a painter of coastal landscapes."),
];

/// The scenarios' facts and filler documents that share their vocabulary (magazines, bridges,
/// births), so retrieval has something to rank against.
fn documents() -> Vec<(String, String)> {
    let mut docs: Vec<(String, String)> = FACTS.iter().map(|(t, x)| (t.to_string(), x.to_string())).collect();
    let places = ["Arden", "Belmoor", "Calder", "Dunmere", "Elsworth", "Farrow", "Glenby", "Hollin"];
    let kinds = ["magazine", "bridge", "observatory", "museum", "library"];
    for (i, place) in places.iter().enumerate() {
        for (j, kind) in kinds.iter().enumerate() {
            let year = 1850 + 7 * i + 13 * j;
            docs.push((
                format!("{place} {kind}"),
                format!(
                    "The {place} {kind} was founded in {year}. Its first director was born in {} and later edited a local review. The {kind} is known for its architecture.",
                    places[(i + j + 1) % places.len()]
                ),
            ));
        }
    }
    docs
}

fn depth(nodes: &[Node]) -> usize {
    fn of(nodes: &[Node], i: usize, seen: usize) -> usize {
        // `seen` bounds the recursion in case of a cycle in a scenario (there is none).
        if seen > nodes.len() {
            return 0;
        }
        1 + nodes[i].deps.iter().map(|&d| of(nodes, (d as usize).saturating_sub(1), seen + 1)).max().unwrap_or(0)
    }
    (0..nodes.len()).map(|i| of(nodes, i, 0)).max().unwrap_or(0)
}

fn plan_json(s: &Scenario) -> String {
    let chain: Vec<Value> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "id": i + 1,
                "action": "knowledge_base",
                "sub_question": n.sub,
                "depends_on": n.deps,
                "missing": n.guess.is_empty(),
                "guess_answer": n.guess,
            })
        })
        .collect();
    json!({ "chain": chain, "final_answer": s.answer }).to_string()
}

// ---------------------------------------------------------------------------------------------
// The scripted server

/// Text between `<tag>` and `</tag>`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

/// The text of the last `open … close` block in `s`.
fn last_between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.rfind(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

fn scenario_of(question: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.question == question.trim())
}

/// The node a (substituted) sub-question came from: every literal piece of the node's template
/// (split at `#n`) occurs in order; the node with the most literal text wins, so "When was the
/// Harrow Gazette founded?" is not taken for "When was #2 first published?".
fn node_of(sub: &str) -> Option<&'static Node> {
    let mut best: Option<(usize, &Node)> = None;
    for n in SCENARIOS.iter().flat_map(|s| s.nodes.iter()) {
        let mut pieces: Vec<&str> = Vec::new();
        let mut rest = n.sub;
        while let Some(p) = rest.find('#') {
            pieces.push(&rest[..p]);
            let digits = rest[p + 1..].chars().take_while(char::is_ascii_digit).count();
            rest = &rest[p + 1 + digits..];
        }
        pieces.push(rest);
        let mut at = 0;
        let fits = pieces.iter().all(|piece| match sub[at..].find(piece) {
            Some(i) => {
                at += i + piece.len();
                true
            }
            None => false,
        });
        let weight: usize = pieces.iter().map(|p| p.len()).sum();
        if fits && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, n));
        }
    }
    best.map(|(_, n)| n)
}

/// What the scripted model says to a request, and whether to stream it.
fn script(body: &Value) -> Result<(String, bool), String> {
    let messages: Vec<Message> = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("no messages")?
        .iter()
        .map(|m| {
            let content = m.get("content").and_then(Value::as_str).unwrap_or_default();
            match m.get("role").and_then(Value::as_str) {
                Some("system") => Message::system(content),
                Some("assistant") => Message::assistant(content),
                _ => Message::user(content),
            }
        })
        .collect();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.role == engine::ports::Role::User)
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let user = last_user.as_str();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let request = ChatRequest { messages, ..ChatRequest::default() };
    if engine::prompt_purpose(&request) == Some(CallPurpose::Agent) {
        // The agent prompt names its `<question>` tags before it opens them: the question is the
        // last such block, not the first.
        let q = last_between(user, "<question>", "</question>").ok_or("agent prompt without a question")?;
        let s = scenario_of(q).ok_or("unknown question")?;
        let turn = request.messages.last().filter(|m| m.role == engine::ports::Role::Assistant);
        let done = turn.map_or(0, |m| m.content.matches("<search_result>").count());
        // The closing tag is a stop sequence: servers leave it out of the text.
        return Ok(match s.react.get(done) {
            Some(q) => (format!("I do not know this yet; I should look up {q}. <begin_search> {q}"), stream),
            None => (format!("I have what I need.\n</think>\n\n\\boxed{{{}}}", s.answer), stream),
        });
    }
    let messages = request.messages;
    if messages.first().is_some_and(|m| m.content.starts_with(REACT_HEAD)) {
        let question = between(user, "Question: ", "\n").ok_or("ReAct prompt without a question")?;
        let s = scenario_of(question).ok_or("unknown ReAct question")?;
        let done = user.matches("\nObservation ").count();
        let step = done + 1;
        return Ok(match s.react.get(done) {
            Some(q) => (format!("Thought {step}: I need to search {q}.\nAction {step}: Search[{q}]"), stream),
            None => {
                let final_answer = s.nodes.last().map_or("", |n| n.answer);
                (format!("Thought {step}: I have what I need.\nAction {step}: Finish[{final_answer}]"), stream)
            }
        });
    }
    let request = ChatRequest { messages, ..ChatRequest::default() };
    match engine::prompt_purpose(&request) {
        Some(CallPurpose::Plan | CallPurpose::Repair) => {
            let q = between(user, "<question>", "</question>").ok_or("plan prompt without a question")?;
            Ok((plan_json(scenario_of(q).ok_or("unknown question")?), stream))
        }
        Some(CallPurpose::Summarize) => {
            let sub = between(user, "<question>", "</question>").ok_or("summary prompt without a question")?;
            Ok((node_of(sub).map_or("not found", |n| n.answer).to_string(), stream))
        }
        Some(CallPurpose::Answer) => {
            let q = between(user, "<question>", "</question>").ok_or("answer prompt without a question")?;
            Ok((scenario_of(q).ok_or("unknown question")?.answer.to_string(), stream))
        }
        Some(CallPurpose::Sql | CallPurpose::Agent | CallPurpose::Predict) | None => Err("unrecognised prompt".into()),
    }
}

fn tokens(chars: usize) -> usize {
    chars.div_ceil(4)
}

/// The reply to a scripted answer: one JSON completion, or an SSE stream of a few deltas, a
/// finish chunk, a usage chunk and `[DONE]`.
fn completion(content: &str, stream: bool, prompt_chars: usize) -> Reply {
    let usage = json!({
        "prompt_tokens": tokens(prompt_chars),
        "completion_tokens": tokens(content.len()),
        "total_tokens": tokens(prompt_chars) + tokens(content.len()),
    });
    if !stream {
        let body = json!({
            "id": "chatcmpl-bench", "object": "chat.completion", "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": usage,
        });
        return Reply::json(200, body.to_string());
    }
    let chunk = |delta: Value, finish: Value, usage: Value| {
        let choices =
            if usage.is_null() { json!([{"index": 0, "delta": delta, "finish_reason": finish}]) } else { json!([]) };
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "choices": choices, "usage": usage})
        )
    };
    let mut body = String::new();
    let words: Vec<&str> = content.split_inclusive(' ').collect();
    for part in words.chunks(words.len().div_ceil(3).max(1)) {
        body.push_str(&chunk(json!({"content": part.concat()}), Value::Null, Value::Null));
    }
    body.push_str(&chunk(json!({}), json!("stop"), Value::Null));
    body.push_str(&chunk(Value::Null, Value::Null, usage));
    body.push_str("data: [DONE]\n\n");
    Reply::with_type(200, "text/event-stream", body)
}

fn error_reply(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({"error": {"message": message, "type": "invalid_request_error"}}).to_string())
}

/// The scripted model's answer to one request, sent after the model's latency (every call,
/// whatever it is, answers after L ms).
fn answer(request: &Recorded, latency: Duration) -> Reply {
    let reply = match serde_json::from_slice::<Value>(&request.body) {
        Ok(v) => match script(&v) {
            Ok((content, stream)) => {
                let prompt_chars: usize = v
                    .get("messages")
                    .and_then(Value::as_array)
                    .map(|ms| ms.iter().filter_map(|m| m.get("content")?.as_str()).map(str::len).sum())
                    .unwrap_or(0);
                completion(&content, stream, prompt_chars)
            }
            Err(e) => error_reply(400, &e),
        },
        Err(e) => error_reply(400, &format!("the body is not JSON: {e}")),
    };
    reply.after(latency)
}

// ---------------------------------------------------------------------------------------------
// The ReAct baseline (benchmark only: not a product feature)

struct ReactRun {
    calls: u32,
    tokens: u64,
    searches: u32,
    wall_ms: f64,
    finished: bool,
}

/// Thought → Action → Observation, one model call per step, until `Finish[...]`.
async fn react(llm: &dyn Llm, corpus: &dyn Corpus, question: &str) -> ReactRun {
    let started = Instant::now();
    let system = format!(
        "{REACT_HEAD} Thought can reason about the current situation, and Action can be two types:\n(1) Search[entity], which searches the documents and returns the best passage.\n(2) Finish[answer], which returns the answer and finishes the task."
    );
    let mut transcript = String::new();
    let mut run = ReactRun { calls: 0, tokens: 0, searches: 0, wall_ms: 0.0, finished: false };
    for step in 1..=REACT_MAX_STEPS {
        let request = ChatRequest {
            messages: vec![
                Message::system(system.clone()),
                Message::user(format!("Question: {question}\n{transcript}")),
            ],
            temperature: Some(0.0),
            max_tokens: Some(200),
            json_schema: None,
            stop: vec![format!("\nObservation {step}:")],
            ..ChatRequest::default()
        };
        let reply = match llm.complete(&request, None).await {
            Ok(r) => r,
            Err(e) => {
                run.calls += e.calls();
                break;
            }
        };
        run.calls += reply.usage.calls;
        run.tokens += reply.usage.prompt_tokens + reply.usage.completion_tokens;
        let text = reply.content;
        if between(&text, "Finish[", "]").is_some() {
            run.finished = true;
            break;
        }
        let search = between(&text, "Search[", "]");
        run.searches += u32::from(search.is_some());
        let observation = match search {
            Some(q) => match corpus.search(q, 1).await {
                Ok(hits) => hits.first().map_or("No passage found.".to_string(), |h| h.text.clone()),
                Err(e) => format!("Search failed: {e}"),
            },
            None => "Invalid action: use Search[...] or Finish[...].".to_string(),
        };
        transcript.push_str(text.trim());
        transcript.push_str(&format!("\nObservation {step}: {observation}\n"));
    }
    run.wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    run
}

// ---------------------------------------------------------------------------------------------
// The benchmark

#[derive(Serialize)]
struct QuestionRow {
    scenario: &'static str,
    nodes: usize,
    depth: usize,
    bound_ms: f64,
    engine_wall_ms: f64,
    within_bound: bool,
    engine_mode: &'static str,
    engine_calls: u32,
    engine_tokens: u64,
    engine_actions: u32,
    react_calls: u32,
    react_tokens: u64,
    react_actions: u32,
    react_wall_ms: f64,
    react_finished: bool,
    /// Agent mode on the same question (`--mode agent` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<AgentRow>,
}

#[derive(Serialize)]
struct AgentRow {
    /// `llm` when the model's turn answered (a boxed answer), else `extractive`.
    mode: &'static str,
    calls: u32,
    tokens: u64,
    actions: u32,
    wall_ms: f64,
    answered: bool,
}

#[derive(Serialize)]
struct Side {
    calls_mean: f64,
    tokens_mean: f64,
    actions_mean: f64,
    wall_ms_mean: f64,
    wall_ms_p50: f64,
    wall_ms_p95: f64,
}

#[derive(Serialize)]
struct BenchReport {
    latency_ms: u64,
    questions: usize,
    library_documents: usize,
    slack_ms: f64,
    /// Questions whose engine wall time was within (depth + 2)·L + slack.
    within_bound: usize,
    all_within_bound: bool,
    /// Runs in which the model planned and answered (not the extractive fallback).
    llm_mode_runs: usize,
    engine: Side,
    react: Side,
    /// Agent mode's figures (`--mode agent` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<Side>,
    fewer_calls_than_react: bool,
    per_question: Vec<QuestionRow>,
}

/// Calls, tokens, actions and wall time of one loop on one question.
type Figures = (f64, f64, f64, f64);

fn side<R>(rows: &[R], of: impl Fn(&R) -> Figures) -> Side {
    let figures: Vec<Figures> = rows.iter().map(of).collect();
    let mut walls: Vec<f64> = figures.iter().map(|f| f.3).collect();
    walls.sort_by(f64::total_cmp);
    Side {
        calls_mean: mean(figures.iter().map(|f| f.0)),
        tokens_mean: mean(figures.iter().map(|f| f.1)),
        actions_mean: mean(figures.iter().map(|f| f.2)),
        wall_ms_mean: mean(walls.iter().copied()),
        wall_ms_p50: quantile(&walls, 0.5),
        wall_ms_p95: quantile(&walls, 0.95),
    }
}

pub(crate) async fn run(args: BenchLlmArgs, json_out: bool) -> anyhow::Result<()> {
    let latency = Duration::from_millis(args.latency_ms);
    let docs = documents();
    let lib = TempLibrary::build(&docs).await?;
    // The scripted model on loopback: the same HTTP server the tests stand remote services up
    // with; it stops with the runtime.
    let server = Server::try_start_on("127.0.0.1:0", move |_, request| answer(request, latency))
        .await
        .context("cannot listen on 127.0.0.1")?;
    // The engine and the model client as `catena ask --llm-url … --model scripted` composes them
    // (no key is looked up: the scripted model needs none).
    let cancel = CancellationToken::new();
    let compose = |mode: session::AskMode| {
        let overrides = session::Overrides {
            llm_url: Some(format!("{}/v1", server.url())),
            model: Some("scripted".to_owned()),
            mode: Some(mode),
            // The scripted model speaks AutoCoA's tags (a model named "scripted" would get
            // native tool calls by default).
            agent_protocol: Some(session::AgentProtocolChoice::Tags),
            ..session::Overrides::default()
        };
        crate::eval::compose(lib.library.clone(), &overrides, &session::keys::NoKeys, &cancel)
    };
    let run = compose(session::AskMode::Chain)?;
    let model =
        run.model.as_ref().map_err(|_| anyhow::anyhow!("no model client for the scripted server"))?.client.clone();
    let corpus: Arc<dyn Corpus> = lib.library.clone();
    let engine = Engine::new(run.config, run.ports);
    let agent_engine = match args.mode.as_str() {
        "agent" => {
            let run = compose(session::AskMode::Agent)?;
            Some(Engine::new(run.config, run.ports))
        }
        _ => None,
    };
    crate::eval::cancel_on_ctrl_c(cancel.clone());

    let l = args.latency_ms as f64;
    let mut rows = Vec::new();
    for i in 0..args.questions {
        if cancel.is_cancelled() {
            break;
        }
        let s = &SCENARIOS[i % SCENARIOS.len()];
        let d = depth(s.nodes);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        drop(rx);
        let t0 = Instant::now();
        let result = engine.ask(s.question, &tx, &cancel).await;
        let engine_wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let run = match result {
            Ok(r) => r,
            Err(engine::EngineError::Cancelled) => break,
            Err(e) => return Err(e).context(format!("the engine failed on {:?}", s.question)),
        };
        let r = react(model.as_ref(), corpus.as_ref(), s.question).await;
        let agent = match &agent_engine {
            Some(agent_engine) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                drop(rx);
                let t0 = Instant::now();
                let result = agent_engine.ask(s.question, &tx, &cancel).await;
                let wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
                let a = match result {
                    Ok(a) => a,
                    Err(engine::EngineError::Cancelled) => break,
                    Err(e) => return Err(e).context(format!("agent mode failed on {:?}", s.question)),
                };
                Some(AgentRow {
                    mode: if a.mode == Mode::Llm { "llm" } else { "extractive" },
                    calls: a.usage.llm_calls,
                    tokens: a.usage.prompt_tokens + a.usage.completion_tokens,
                    actions: a.usage.actions,
                    wall_ms,
                    answered: !a.answer.trim().is_empty(),
                })
            }
            None => None,
        };
        let bound_ms = (d as f64 + 2.0) * l + SLACK_MS;
        rows.push(QuestionRow {
            scenario: s.name,
            nodes: s.nodes.len(),
            depth: d,
            bound_ms,
            engine_wall_ms,
            within_bound: engine_wall_ms <= bound_ms,
            engine_mode: if run.mode == Mode::Llm { "llm" } else { "extractive" },
            engine_calls: run.usage.llm_calls,
            engine_tokens: run.usage.prompt_tokens + run.usage.completion_tokens,
            engine_actions: run.usage.actions,
            react_calls: r.calls,
            react_tokens: r.tokens,
            react_actions: r.searches,
            react_wall_ms: r.wall_ms,
            react_finished: r.finished,
            agent,
        });
    }

    let engine_side = side(&rows, |r| {
        (f64::from(r.engine_calls), r.engine_tokens as f64, f64::from(r.engine_actions), r.engine_wall_ms)
    });
    let react_side =
        side(&rows, |r| (f64::from(r.react_calls), r.react_tokens as f64, f64::from(r.react_actions), r.react_wall_ms));
    let agent_rows: Vec<&AgentRow> = rows.iter().filter_map(|r| r.agent.as_ref()).collect();
    let agent_side = agent_engine
        .as_ref()
        .map(|_| side(&agent_rows, |a| (f64::from(a.calls), a.tokens as f64, f64::from(a.actions), a.wall_ms)));
    let within = rows.iter().filter(|r| r.within_bound).count();
    let report = BenchReport {
        latency_ms: args.latency_ms,
        questions: rows.len(),
        library_documents: docs.len(),
        slack_ms: SLACK_MS,
        within_bound: within,
        all_within_bound: within == rows.len(),
        llm_mode_runs: rows.iter().filter(|r| r.engine_mode == "llm").count(),
        fewer_calls_than_react: engine_side.calls_mean < react_side.calls_mean,
        engine: engine_side,
        react: react_side,
        agent: agent_side,
        per_question: rows,
    };
    if json_out {
        say(&serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    say(&format!(
        "bench-llm: L = {} ms per model call, {} questions over {} documents",
        report.latency_ms, report.questions, report.library_documents
    ));
    say(&format!(
        "{:<12} {:>5} {:>5} {:>10} {:>10} {:>6} {:>8} {:>8} {:>10}",
        "scenario", "nodes", "depth", "bound ms", "engine ms", "calls", "ReAct", "ReAct ms", "mode"
    ));
    for r in &report.per_question {
        say(&format!(
            "{:<12} {:>5} {:>5} {:>10.0} {:>10.1} {:>6} {:>8} {:>8.1} {:>10}{}",
            r.scenario,
            r.nodes,
            r.depth,
            r.bound_ms,
            r.engine_wall_ms,
            r.engine_calls,
            r.react_calls,
            r.react_wall_ms,
            r.engine_mode,
            if r.within_bound { "" } else { "  over the bound" }
        ));
        if let Some(a) = &r.agent {
            say(&format!(
                "{:<12} agent: {} calls, {} actions, {} tokens, {:.1} ms, {}",
                "", a.calls, a.actions, a.tokens, a.wall_ms, a.mode
            ));
        }
    }
    let (e, r) = (&report.engine, &report.react);
    say(&format!(
        "engine: {}/{} within (depth+2)·L+{:.0} ms; {:.2} calls, {:.0} tokens, {:.2} actions, wall mean {:.1} ms (p50 {:.1}, p95 {:.1})",
        report.within_bound,
        report.questions,
        SLACK_MS,
        e.calls_mean,
        e.tokens_mean,
        e.actions_mean,
        e.wall_ms_mean,
        e.wall_ms_p50,
        e.wall_ms_p95
    ));
    say(&format!(
        "ReAct:  {:.2} calls, {:.0} tokens, {:.2} actions, wall mean {:.1} ms (p50 {:.1}, p95 {:.1})",
        r.calls_mean, r.tokens_mean, r.actions_mean, r.wall_ms_mean, r.wall_ms_p50, r.wall_ms_p95
    ));
    if let Some(a) = &report.agent {
        say(&format!(
            "agent:  {:.2} calls, {:.0} tokens, {:.2} actions, wall mean {:.1} ms (p50 {:.1}, p95 {:.1})",
            a.calls_mean, a.tokens_mean, a.actions_mean, a.wall_ms_mean, a.wall_ms_p50, a.wall_ms_p95
        ));
    }
    say(&format!(
        "fewer calls than ReAct: {} ({:.2} vs {:.2} per question)",
        if report.fewer_calls_than_react { "yes" } else { "no" },
        e.calls_mean,
        r.calls_mean
    ));
    Ok(())
}

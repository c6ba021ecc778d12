//! Agent mode: the AutoCoA runtime. A reasoning model thinks inside `<think>`, asks for an action
//! from inside its thinking with a tag pair, and the run executes it through the same ports and
//! evidence records as the chain, injects the result and lets the model go on in the same turn.
//!
//! The protocol (AutoCoA's released format, with one tag pair per Catena action):
//! - the turn is one assistant message that starts `<think>\n`; every generation continues it
//!   (the conversation is sent with the partial assistant message last: assistant prefill);
//! - `<begin_search> q </end_search>` searches the library (hybrid where the library has an
//!   embedding model), `<begin_web_search> q </end_web_search>` the web,
//!   `<begin_table_query> q </end_table_query>` the tables; the closing tags are the stop
//!   sequences, and whatever the model wrote past a closing tag is dropped;
//! - the run injects `<search_result> result n: "Title"\n passage … </search_result>` (top k,
//!   numbered by evidence id so `[n]` cites it), or the failure, or the limit message once the
//!   turn has run its actions;
//! - `<search_result>` blocks the model writes itself are hallucinated observations: removed,
//!   never read;
//! - the answer is the last `\boxed{…}` after `</think>`; when the token budget is spent (or the
//!   model stops without closing its thinking) the run closes the thinking itself and asks for it.
//!
//! Only the model's own text is parsed for tags. Observation text is data: every `<` and `>` in
//! it is replaced, so a document that contains tags cannot start an action, close the thinking or
//! fake a result.

use std::fmt::Write as _;
use std::sync::Mutex;

use crate::engine::{CallError, EngineError, RunCtx, lock};
use crate::execute::{self, Miss};
use crate::ports::{ChatRequest, LlmError, Message};
use crate::prompts::{self, AGENT_TAGS};
use crate::run::{
    Action, CallPurpose, Decision, Event, EvidenceRecord, NodeRecord, NodeStatus, Observations, PredictionRecord,
    RetrievalPath,
};
use crate::{answer, mrfs, text};

#[path = "agent/tools.rs"]
pub(crate) mod tools;

/// Longest passage shown in an observation, in chars.
const OBSERVATION_CHARS: usize = 1200;
/// Longest query taken from a tag, in chars.
const MAX_QUERY_CHARS: usize = 500;
/// Completion tokens allowed for a forced answer (outside the thinking budget).
const ANSWER_TOKENS: u32 = 1024;
/// Malformed requests tolerated before the answer is forced (they run no action, but each one
/// costs a generation).
const MAX_MALFORMED: usize = 3;

const THINK_OPEN: &str = "<think>\n";
const THINK_CLOSE: &str = "</think>";
const RESULT_OPEN: &str = "<search_result>";
const RESULT_CLOSE: &str = "</search_result>";
/// The paper's limit message.
const LIMIT_MESSAGE: &str = "Reach the limit of search times.";
/// What the run appends to close the thinking when the model must answer now.
const FORCE_CUE: &str = "\n\nI must stop looking things up now and answer from the results above.\n</think>\n\n";

/// The outcome of a turn.
pub(crate) struct Turn {
    /// The answer, as the model wrote it (markers not yet checked); empty when it gave none.
    pub answer: String,
    /// One node per action the model asked for.
    pub nodes: Vec<NodeRecord>,
    /// The whole turn: the model's text with the injected observations.
    pub transcript: String,
    /// What the model expected before each action (predicted observations only).
    pub predictions: Vec<PredictionRecord>,
}

/// What one generation asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// An action; `kept` is the model's text through the closing tag.
    Act { kept: String, action: Action, query: String },
    /// A request that cannot run; `kept` as above, `why` goes back to the model.
    Malformed { kept: String, why: String },
    /// No action: the model closed its thinking (`answered`), or stopped or was cut without.
    Stop { kept: String, answered: bool },
}

/// Removes `<search_result>` blocks the model wrote itself; an unclosed one runs to the end.
/// Removing a block can join the text around it into a new tag (`<search_` + `result>`), so
/// this repeats until nothing changes (each pass that changes something shortens the text).
pub(crate) fn strip_results(s: &str) -> String {
    let mut current = strip_results_once(s);
    loop {
        let next = strip_results_once(&current);
        if next == current {
            return current;
        }
        current = next;
    }
}

fn strip_results_once(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find(RESULT_OPEN) {
        out.push_str(&rest[..p]);
        let after = &rest[p + RESULT_OPEN.len()..];
        match after.find(RESULT_CLOSE) {
            Some(q) => rest = &after[q + RESULT_CLOSE.len()..],
            // Stray closing tags before the unclosed block go too.
            None => return out.replace(RESULT_CLOSE, ""),
        }
    }
    out.push_str(rest);
    // A stray closing tag is no observation either.
    out.replace(RESULT_CLOSE, "")
}

fn first_of<'a>(s: &str, tags: impl Iterator<Item = (Action, &'a str)>) -> Option<(usize, Action, &'a str)> {
    tags.filter_map(|(a, t)| s.find(t).map(|p| (p, a, t))).min_by_key(|x| x.0)
}

/// Reads one generation. `cut` says the generation ended on the token cap rather than on a stop
/// sequence or the end of the model's turn (so an open tag at its end was cut, not stopped).
pub(crate) fn parse(generated: &str, cut: bool) -> Step {
    let close = first_of(generated, AGENT_TAGS.iter().map(|t| (t.0, t.2)));
    // Whatever the model wrote after a closing tag is dropped (servers that ignore stop
    // sequences go on to imagine the result).
    let raw = match close {
        Some((p, _, tag)) => &generated[..p + tag.len()],
        None => generated,
    };
    let seg = strip_results(raw);
    let think = seg.find(THINK_CLOSE);
    let close = first_of(&seg, AGENT_TAGS.iter().map(|t| (t.0, t.2)));
    let open = first_of(&seg, AGENT_TAGS.iter().map(|t| (t.0, t.1)));
    let before_think = |p: usize| think.is_none_or(|t| p < t);
    if let Some((cp, caction, ctag)) = close.filter(|c| before_think(c.0)) {
        let kept = seg[..cp + ctag.len()].to_string();
        // The request is the last opening tag before the closing one.
        let opener = AGENT_TAGS.iter().filter_map(|t| seg[..cp].rfind(t.1).map(|p| (p, t.0, t.1))).max_by_key(|x| x.0);
        let Some((op, oaction, otag)) = opener else {
            return Step::Malformed {
                kept,
                why: format!("The request was malformed: {ctag} without its opening tag. Nothing was looked up."),
            };
        };
        if oaction != caction {
            return Step::Malformed {
                kept,
                why: format!("The request was malformed: {otag} was closed by {ctag}. Nothing was looked up."),
            };
        }
        let query = seg[op + otag.len()..cp].trim();
        if query.is_empty() {
            return Step::Malformed { kept, why: "The request was empty. Nothing was looked up.".to_string() };
        }
        return Step::Act { kept, action: caction, query: text::clip(query, MAX_QUERY_CHARS) };
    }
    if let Some((op, action, otag)) = open.filter(|o| before_think(o.0)) {
        // Servers leave the stop sequence out of the text: an opening tag the generation ends in
        // was stopped at its closing tag, unless the token cap cut it.
        let query = seg[op + otag.len()..].trim();
        if think.is_none() && !cut && !query.is_empty() && !query.contains('<') {
            let closing = AGENT_TAGS.iter().find(|t| t.0 == action).map_or("", |t| t.2);
            let kept = format!("{}{closing}", seg.trim_end());
            return Step::Act { kept, action, query: text::clip(query, MAX_QUERY_CHARS) };
        }
    }
    Step::Stop { answered: think.is_some(), kept: seg }
}

/// Replaces every `<` and `>` in observation text, so nothing in it reads as a tag.
pub(crate) fn neutralise(s: &str) -> String {
    s.replace('<', "‹").replace('>', "›")
}

/// An observation block for these results (numbered by evidence id).
fn observation(results: &[EvidenceRecord]) -> String {
    if results.is_empty() {
        return format!("{RESULT_OPEN} No results. {RESULT_CLOSE}");
    }
    let mut out = RESULT_OPEN.to_string();
    for (i, e) in results.iter().enumerate() {
        let mut title = e.title.replace(['"', '\n'], " ");
        if !e.location.is_empty() {
            let _ = write!(title, ", {}", e.location);
        }
        let _ = write!(
            out,
            "{}result {}: \"{}\"\n{}",
            if i == 0 { " " } else { "\n" },
            e.id,
            neutralise(title.trim()),
            neutralise(&text::clip(e.text.trim(), OBSERVATION_CHARS))
        );
    }
    out.push(' ');
    out.push_str(RESULT_CLOSE);
    out
}

/// An observation the model predicted itself, given back as its own knowledge: unnumbered, so
/// nothing can cite it.
fn predicted_observation(predicted: &str) -> String {
    format!(
        "{RESULT_OPEN} predicted result (your own expectation, not a source: do not cite it): {} {RESULT_CLOSE}",
        neutralise(predicted.trim())
    )
}

fn message(text: &str) -> String {
    format!("{RESULT_OPEN} {} {RESULT_CLOSE}", neutralise(text))
}

/// The last `\boxed{…}` in `s`, braces balanced, `\text{…}` unwrapped.
pub(crate) fn boxed(s: &str) -> Option<String> {
    let start = s.rfind("\\boxed{")? + "\\boxed{".len();
    let mut depth = 1usize;
    let mut end = s.len();
    for (i, c) in s[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &s[start..end];
    let mut out = String::new();
    let mut rest = inner;
    while let Some(p) = rest.find("\\text{") {
        out.push_str(&rest[..p]);
        let after = &rest[p + "\\text{".len()..];
        match after.find('}') {
            Some(q) => {
                out.push_str(&after[..q]);
                rest = &after[q + 1..];
            }
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let out = out.trim().to_string();
    (!out.is_empty()).then_some(out)
}

/// The answer in the model's text after `</think>`: the last `\boxed{…}`, else the text itself
/// (tags removed), else nothing.
pub(crate) fn final_answer(after_think: &str) -> String {
    if let Some(b) = boxed(after_think) {
        return b;
    }
    let mut plain = strip_results(after_think);
    for (_, open, close, _) in AGENT_TAGS {
        plain = plain.replace(open, "").replace(close, "");
    }
    plain = plain.replace(THINK_CLOSE, "").replace("<think>", "");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn node(id: u32, action: Action, query: &str) -> NodeRecord {
    NodeRecord {
        id,
        action,
        sub_question: query.to_string(),
        depends_on: Vec::new(),
        missing: true,
        guess_answer: String::new(),
        answer: String::new(),
        status: NodeStatus::Running,
        mrfs: None,
        decision: None,
        path: RetrievalPath::RetrievedMissing,
        reason: None,
        scores: Vec::new(),
        evidence: Vec::new(),
    }
}

/// Runs one action the model asked for; returns its node and the observation to inject.
async fn act(ctx: &RunCtx, id: u32, action: Action, query: &str) -> Result<(NodeRecord, String), EngineError> {
    let mut n = node(id, action, query);
    ctx.emit(Event::NodeStarted { id });
    let unavailable = if ctx.ports.available().contains(&action) {
        execute::unavailable(ctx, action)
    } else {
        Some(format!("{} is not available in this run", action.as_str().replace('_', " ")))
    };
    let obs = if let Some(why) = unavailable {
        n.status = NodeStatus::Skipped;
        n.path = RetrievalPath::SkippedRetrieval;
        n.reason = Some(why.clone());
        message(&format!("Retrieval failed: {why}."))
    } else {
        match execute::retrieve(ctx, action, query).await? {
            Ok(found) => {
                let records = execute::register(ctx, id, found);
                n.status = NodeStatus::Done;
                n.evidence = records.iter().map(|e| e.id).collect();
                if records.is_empty() {
                    n.decision = Some(Decision::NoEvidence);
                } else {
                    n.decision = Some(Decision::Filled);
                    n.answer = format!("{} result{}", records.len(), if records.len() == 1 { "" } else { "s" });
                }
                observation(&records)
            }
            Err(Miss::Failed(why)) => {
                n.status = NodeStatus::Failed;
                n.reason = Some(why.clone());
                message(&format!("Retrieval failed: {why}."))
            }
            Err(Miss::Skipped(why)) => {
                n.status = NodeStatus::Skipped;
                n.path = RetrievalPath::SkippedRetrieval;
                n.reason = Some(why.clone());
                message(&format!("Retrieval failed: {why}."))
            }
        }
    };
    ctx.emit(Event::NodeFinished { node: n.clone() });
    Ok((n, obs))
}

/// The model's expected observation for an action, or `None` when it wrote none or failed.
async fn predict(ctx: &RunCtx, action: Action, query: &str) -> Result<Option<String>, EngineError> {
    let req = prompts::predict(&ctx.question, action, query);
    match ctx.complete(CallPurpose::Predict, &req, None).await {
        Ok(t) => {
            let t = text::clip(strip_results(&t).trim(), OBSERVATION_CHARS);
            Ok((!t.is_empty()).then_some(t))
        }
        Err(CallError::Engine(e)) => Err(e),
        Err(CallError::Llm(LlmError::Auth(m))) => Err(EngineError::ProviderAuth(m)),
        Err(CallError::Llm(_)) => Ok(None),
    }
}

/// Runs one action as the run's observation setting says: real only; predicted first and then
/// compared with the real result (the prediction standing in where the action finds nothing);
/// or predicted only. Returns the node and the observation to give the model.
pub(crate) async fn act_observed(
    ctx: &RunCtx,
    id: u32,
    action: Action,
    query: &str,
    predictions: &mut Vec<PredictionRecord>,
) -> Result<(NodeRecord, String), EngineError> {
    let mode = ctx.config.observations;
    if mode == Observations::Real {
        return act(ctx, id, action, query).await;
    }
    let predicted = predict(ctx, action, query).await?;
    let (n, obs) = if mode == Observations::PredictedOnly {
        let mut n = node(id, action, query);
        ctx.emit(Event::NodeStarted { id });
        n.status = NodeStatus::Skipped;
        n.path = RetrievalPath::SkippedRetrieval;
        n.reason = Some("predicted only: the model's own knowledge, not a source".to_string());
        ctx.emit(Event::NodeFinished { node: n.clone() });
        (n, String::new())
    } else {
        act(ctx, id, action, query).await?
    };
    let Some(predicted) = predicted else {
        let obs =
            if obs.is_empty() { message("No result: nothing was looked up and nothing was predicted.") } else { obs };
        return Ok((n, obs));
    };
    let evidence: Vec<EvidenceRecord> =
        lock(&ctx.evidence).iter().filter(|e| n.evidence.contains(&e.id)).cloned().collect();
    let mut p = PredictionRecord {
        node_id: id,
        query: query.to_string(),
        predicted: predicted.clone(),
        evidence: n.evidence.clone(),
        support: None,
        disagrees: false,
        found: None,
        used_as_observation: false,
    };
    let obs = if evidence.is_empty() {
        p.used_as_observation = true;
        predicted_observation(&predicted)
    } else {
        let texts: Vec<&str> = evidence.iter().map(|e| e.text.as_str()).collect();
        let support = mrfs::score(&predicted, &texts);
        p.support = Some(support);
        // Overlap alone passes a prediction that gets only the figure wrong ("founded in 1923"
        // against "founded in 1844"): a number the evidence does not contain is a disagreement.
        let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
        let wrong_number = text::tokens(&predicted)
            .iter()
            .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
            .any(|t| !lowered.iter().any(|x| x.contains(t.as_str())));
        p.disagrees = support < ctx.config.mrfs_threshold || wrong_number;
        if p.disagrees {
            let refs: Vec<&EvidenceRecord> = evidence.iter().collect();
            p.found = answer::best_sentence(query, query, &refs)
                .map(|(eid, s, _)| format!("{} [{eid}]", text::clip(s.trim(), 300)));
        }
        obs
    };
    ctx.emit(Event::ObservationPredicted { prediction: p.clone() });
    predictions.push(p);
    Ok((n, obs))
}

/// Passes the model's thinking on as it streams in (`Event::ThinkingDelta`), up to its `</think>`:
/// what follows is the answer, which the run checks before showing. A `</think>` split across
/// chunks is caught by holding back a tail that could begin one.
struct Thinking<'a> {
    ctx: &'a RunCtx,
    state: Mutex<ThinkingState>,
}

#[derive(Default)]
struct ThinkingState {
    /// Text held back because it could be the start of `</think>`.
    held: String,
    /// The model closed its thinking: nothing more is thinking.
    closed: bool,
}

impl<'a> Thinking<'a> {
    fn new(ctx: &'a RunCtx) -> Self {
        Thinking { ctx, state: Mutex::new(ThinkingState::default()) }
    }

    fn push(&self, delta: &str) {
        let mut st = lock(&self.state);
        if st.closed {
            return;
        }
        st.held.push_str(delta);
        if let Some(p) = st.held.find(THINK_CLOSE) {
            let text = st.held[..p].to_string();
            st.held.clear();
            st.closed = true;
            drop(st);
            self.send(text);
            return;
        }
        // The longest tail that is a proper prefix of `</think>` waits for the next chunk. It is
        // ASCII and starts with `<`, so the split falls on a char boundary.
        let keep = (1..THINK_CLOSE.len())
            .rev()
            .find(|&n| st.held.len() >= n && st.held.ends_with(&THINK_CLOSE[..n]))
            .unwrap_or(0);
        let cut = st.held.len() - keep;
        let text: String = st.held.drain(..cut).collect();
        drop(st);
        self.send(text);
    }

    /// The generation ended: what was held back was thinking after all.
    fn flush(&self) {
        let mut st = lock(&self.state);
        let text = std::mem::take(&mut st.held);
        drop(st);
        self.send(text);
    }

    fn send(&self, text: String) {
        if !text.is_empty() {
            self.ctx.emit(Event::ThinkingDelta { text });
        }
    }
}

fn request(base: &[Message], transcript: &str, max_tokens: u32, stop: Vec<String>) -> ChatRequest {
    let mut messages = base.to_vec();
    // Trailing whitespace is left out: some APIs (Anthropic's) refuse a partial assistant message
    // that ends in it.
    messages.push(Message::assistant(transcript.trim_end()));
    ChatRequest {
        messages,
        temperature: Some(0.6),
        max_tokens: Some(max_tokens),
        json_schema: None,
        stop,
        ..ChatRequest::default()
    }
}

/// Completion tokens of a generation: the provider's count, else about four chars a token.
fn tokens(reported: u64, text: &str) -> u64 {
    if reported > 0 { reported } else { (text.chars().count() as u64).div_ceil(4) }
}

/// One agent-mode turn.
pub(crate) async fn run(ctx: &RunCtx) -> Result<Turn, EngineError> {
    let mut available = ctx.ports.available();
    available.retain(|a| execute::unavailable(ctx, *a).is_none());
    let max_actions = ctx.config.agent_max_actions.max(1);
    let budget = ctx.config.agent_token_budget.max(1);
    let base = prompts::agent(&ctx.question, &available, max_actions);
    let stop: Vec<String> = AGENT_TAGS.iter().map(|t| t.2.to_string()).collect();
    ctx.emit(Event::PlanReady { nodes: Vec::new() });

    // Generations are streamed: a long stretch of thinking is then bounded by the time between
    // chunks rather than by one request's timeout, and the thinking is shown as it comes.
    let thinking = Thinking::new(ctx);
    let streamed = |d: &str| thinking.push(d);
    let mut transcript = THINK_OPEN.to_string();
    let mut nodes: Vec<NodeRecord> = Vec::new();
    let mut spent: u64 = 0;
    let mut malformed = 0;
    let mut told_limit = false;
    let mut predictions = Vec::new();
    // The model's text after its own `</think>`, once it wrote one.
    let mut answer_part: Option<String> = None;
    loop {
        if spent >= budget {
            break;
        }
        let remaining = budget - spent;
        let cap = u32::try_from(remaining).unwrap_or(u32::MAX);
        let req = request(&base, &transcript, cap, stop.clone());
        let result = ctx.complete_counted(CallPurpose::Agent, &req, Some(&streamed)).await;
        thinking.flush();
        let generated = match result {
            Ok((t, reported)) => {
                spent += tokens(reported, &t);
                t
            }
            Err(CallError::Engine(e)) => return Err(e),
            Err(CallError::Llm(LlmError::Auth(m))) => return Err(EngineError::ProviderAuth(m)),
            // The model failed midway: the turn ends with what it has (partial failure is data;
            // the failed call is in the usage).
            Err(CallError::Llm(_)) => return Ok(Turn { answer: String::new(), nodes, transcript, predictions }),
        };
        let cut = spent >= budget;
        match parse(&generated, cut) {
            Step::Stop { kept, answered } => {
                transcript.push_str(&kept);
                if answered {
                    let after = kept.find(THINK_CLOSE).map_or("", |p| &kept[p + THINK_CLOSE.len()..]);
                    answer_part = Some(after.to_string());
                } else if !cut && boxed(&kept).is_some() {
                    // A model that ends its turn on a boxed answer without closing its thinking
                    // (one not trained on the format) has answered all the same.
                    answer_part = Some(kept);
                }
                break;
            }
            Step::Malformed { kept, why } => {
                transcript.push_str(&kept);
                let _ = write!(transcript, "\n\n{}\n\n", message(&why));
                malformed += 1;
                if malformed >= MAX_MALFORMED {
                    break;
                }
            }
            Step::Act { kept, action, query } => {
                transcript.push_str(&kept);
                if nodes.len() >= max_actions {
                    if told_limit {
                        break;
                    }
                    told_limit = true;
                    let _ = write!(transcript, "\n\n{}\n\n", message(LIMIT_MESSAGE));
                    continue;
                }
                let id = nodes.len() as u32 + 1;
                let (n, obs) = act_observed(ctx, id, action, &query, &mut predictions).await?;
                nodes.push(n);
                let _ = write!(transcript, "\n\n{obs}\n\n");
            }
        }
    }

    let answer_part = match answer_part {
        Some(a) => a,
        None => {
            // Out of budget, out of actions, or the model stopped without closing its thinking:
            // close it and ask for the answer (AutoCoA's forced answer).
            transcript.push_str(FORCE_CUE);
            let req = request(&base, &transcript, ANSWER_TOKENS, Vec::new());
            // The thinking is closed: this generation is the answer, shown once checked.
            let answering = |_: &str| {};
            match ctx.complete_counted(CallPurpose::Agent, &req, Some(&answering)).await {
                Ok((t, _)) => {
                    let t = strip_results(&t);
                    transcript.push_str(&t);
                    t
                }
                Err(CallError::Engine(e)) => return Err(e),
                Err(CallError::Llm(LlmError::Auth(m))) => return Err(EngineError::ProviderAuth(m)),
                Err(CallError::Llm(_)) => String::new(),
            }
        }
    };
    Ok(Turn { answer: final_answer(&answer_part), nodes, transcript, predictions })
}

#[cfg(test)]
#[path = "agent/tests.rs"]
mod tests;

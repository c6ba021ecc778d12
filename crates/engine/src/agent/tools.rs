//! Agent mode over the provider's native tool calling, for models trained on function calls
//! rather than on AutoCoA's tags. The same tool library (`search_library`, `search_web`,
//! `query_tables`, each offered only when it can run), the same limits, evidence records and
//! checks as the tag protocol; only the conversation differs:
//! - each generation is a normal assistant message; one that calls tools gets one tool result
//!   per call, and the conversation goes on; one without calls is the answer (its last
//!   `\boxed{…}`, else its text);
//! - a call whose arguments are not a JSON object with a non-empty `query` (broken JSON, a
//!   missing field) or that names no offered tool runs nothing: its result says so, and such
//!   calls count towards the same malformed limit as broken tags;
//! - an action past the limit gets the limit message as its result, and a model that asks again
//!   after being told (or spends the token budget) is told to answer, with tools switched off;
//! - text the model writes with its calls is its reasoning (`ThinkingDelta`): text inside a
//!   leading `<think>` streams as it comes, any other text is passed on once the message turns
//!   out to call a tool (until then it may be the answer);
//! - tool results are the same neutralised observations as the tags': a document cannot make a
//!   call (calls only come from the API's structured field) nor fake a result.

use std::fmt::Write as _;
use std::sync::Mutex;

use serde_json::Value;

use super::{
    ANSWER_TOKENS, LIMIT_MESSAGE, MAX_MALFORMED, MAX_QUERY_CHARS, RESULT_CLOSE, RESULT_OPEN, THINK_CLOSE, Thinking,
    Turn, act_observed, final_answer, message, strip_results, tokens,
};
use crate::engine::{CallError, EngineError, RunCtx, lock};
use crate::execute;
use crate::ports::{ChatRequest, LlmError, Message, ToolCall, ToolChoice};
use crate::prompts::{self, AGENT_TOOLS};
use crate::run::{Action, CallPurpose, Event, NodeRecord};
use crate::text;

/// What one tool call asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Call {
    /// An action with its query.
    Act(Action, String),
    /// A call that cannot run; the text goes back to the model as its result.
    Invalid(String),
}

/// Reads one tool call against the tools offered.
pub(crate) fn read_call(call: &ToolCall, offered: &[Action]) -> Call {
    let Some(action) = AGENT_TOOLS.iter().find(|t| t.1 == call.name && offered.contains(&t.0)).map(|t| t.0) else {
        let names: Vec<&str> = AGENT_TOOLS.iter().filter(|t| offered.contains(&t.0)).map(|t| t.1).collect();
        return Call::Invalid(format!(
            "There is no tool named \"{}\"; the tools are {}. Nothing was looked up.",
            text::clip(&call.name, 60),
            names.join(", ")
        ));
    };
    let args = call.arguments.trim();
    let parsed: Result<Value, String> = if args.is_empty() {
        Err("they are empty".to_string())
    } else {
        serde_json::from_str(args).map_err(|e| format!("they are not valid JSON ({e})"))
    };
    let query = match parsed {
        Ok(Value::Object(map)) => match map.get("query") {
            Some(Value::String(q)) if !q.trim().is_empty() => q.trim().to_string(),
            Some(Value::String(_)) => return invalid("the query is empty"),
            Some(_) => return invalid("\"query\" is not a string"),
            None => return invalid("there is no \"query\""),
        },
        Ok(_) => return invalid("they are not a JSON object"),
        Err(why) => return invalid(&why),
    };
    Call::Act(action, text::clip(&query, MAX_QUERY_CHARS))
}

fn invalid(why: &str) -> Call {
    Call::Invalid(format!(
        "The arguments were invalid: {why}. Nothing was looked up. Call the tool again with arguments like {{\"query\": \"what to look up\"}}."
    ))
}

/// A tool result's text: the observation without the tag-protocol wrapper, already neutralised.
fn result_text(observation: &str) -> String {
    observation.trim().trim_start_matches(RESULT_OPEN).trim_end_matches(RESULT_CLOSE).trim().to_string()
}

/// Thinking of a tool-calling generation, see the module notes.
struct ToolThinking<'a> {
    inner: Thinking<'a>,
    state: Mutex<Lead>,
}

#[derive(Default)]
struct Lead {
    /// Text not yet passed on.
    held: String,
    /// `Some(true)` once the text began with `<think>` (streamed), `Some(false)` once it did not.
    think: Option<bool>,
}

const THINK_OPEN_TAG: &str = "<think>";

impl<'a> ToolThinking<'a> {
    fn new(ctx: &'a RunCtx) -> Self {
        ToolThinking { inner: Thinking::new(ctx), state: Mutex::new(Lead::default()) }
    }

    fn push(&self, delta: &str) {
        let mut st = lock(&self.state);
        match st.think {
            Some(true) => {
                drop(st);
                self.inner.push(delta);
            }
            Some(false) => st.held.push_str(delta),
            None => {
                st.held.push_str(delta);
                let lead = st.held.trim_start().to_string();
                if let Some(rest) = lead.strip_prefix(THINK_OPEN_TAG) {
                    let rest = rest.to_string();
                    st.think = Some(true);
                    st.held.clear();
                    drop(st);
                    self.inner.push(&rest);
                } else if !THINK_OPEN_TAG.starts_with(lead.as_str()) {
                    st.think = Some(false);
                }
            }
        }
    }

    /// The generation ended; `calls` says whether it called tools (then held text was thinking).
    fn finish(&self, calls: bool) {
        let mut st = lock(&self.state);
        let held = std::mem::take(&mut st.held);
        let streamed = st.think == Some(true);
        drop(st);
        if streamed {
            self.inner.flush();
        } else if calls {
            self.inner.push(&held);
            self.inner.flush();
        }
    }
}

/// The answer part of a final message: after its `</think>` when it has one.
fn answer_part(content: &str) -> &str {
    content.rfind(THINK_CLOSE).map_or(content, |p| &content[p + THINK_CLOSE.len()..])
}

/// Whether a failed first request means the server takes no tools (it then gets the tags).
fn refuses_tools(e: &LlmError) -> bool {
    let LlmError::Protocol { message, .. } = e else {
        return false;
    };
    // A refusal is a 4xx naming the tools; a server error mentioning them is not.
    let m = message.to_ascii_lowercase();
    m.starts_with("http 4")
        && m.contains("tool")
        && (m.contains("support") || m.contains("not allowed") || m.contains("unknown") || m.contains("unrecognized"))
}

/// One agent-mode turn over native tool calls. `None` when the server refused the tools on the
/// first request, before anything ran.
pub(crate) async fn run(ctx: &RunCtx) -> Result<Option<Turn>, EngineError> {
    let mut available = ctx.ports.available();
    available.retain(|a| execute::unavailable(ctx, *a).is_none());
    let max_actions = ctx.config.agent_max_actions.max(1);
    let budget = ctx.config.agent_token_budget.max(1);
    let specs = prompts::agent_tool_specs(&available);
    let mut messages = prompts::agent_tools(&ctx.question, max_actions);
    ctx.emit(Event::PlanReady { nodes: Vec::new() });

    let mut transcript = String::new();
    let mut nodes: Vec<NodeRecord> = Vec::new();
    let mut predictions = Vec::new();
    let mut spent: u64 = 0;
    let mut malformed = 0;
    let mut told_limit = false;
    let mut answer: Option<String> = None;
    let mut first = true;
    while spent < budget {
        let cap = u32::try_from(budget - spent).unwrap_or(u32::MAX);
        let req = ChatRequest {
            messages: messages.clone(),
            temperature: Some(0.6),
            max_tokens: Some(cap),
            tools: specs.clone(),
            ..ChatRequest::default()
        };
        let thinking = ToolThinking::new(ctx);
        let streamed = |d: &str| thinking.push(d);
        let result = ctx.complete_response(CallPurpose::Agent, &req, Some(&streamed)).await;
        let resp = match result {
            Ok(r) => r,
            Err(CallError::Engine(e)) => return Err(e),
            Err(CallError::Llm(LlmError::Auth(m))) => return Err(EngineError::ProviderAuth(m)),
            Err(CallError::Llm(e)) if first && refuses_tools(&e) => {
                // The failed call stays in the usage; its error is not the run's.
                *lock(&ctx.llm_error) = None;
                return Ok(None);
            }
            Err(CallError::Llm(_)) => {
                thinking.finish(false);
                return Ok(Some(Turn { answer: String::new(), nodes, transcript, predictions }));
            }
        };
        first = false;
        let written: String =
            resp.tool_calls.iter().fold(resp.content.clone(), |acc, c| acc + c.name.as_str() + c.arguments.as_str());
        spent += tokens(resp.usage.completion_tokens, &written);
        thinking.finish(!resp.tool_calls.is_empty());
        let content = strip_results(&resp.content);
        transcript.push_str(content.trim());
        if resp.tool_calls.is_empty() {
            // Cut by the token cap without a boxed answer: unfinished, the answer is forced.
            if spent < budget || super::boxed(answer_part(&content)).is_some() {
                answer = Some(answer_part(&content).to_string());
            }
            break;
        }
        messages.push(Message::assistant_calls(content.trim(), resp.tool_calls.clone()));
        let mut stop = false;
        for call in &resp.tool_calls {
            let _ = write!(transcript, "\n<tool_call> {} {} </tool_call>\n", call.name, call.arguments.trim());
            let result = match read_call(call, &available) {
                Call::Invalid(why) => {
                    malformed += 1;
                    message(&why)
                }
                Call::Act(_, _) if nodes.len() >= max_actions => {
                    // Asked again after being told: the answer is forced after this message.
                    stop |= told_limit;
                    told_limit = true;
                    message(LIMIT_MESSAGE)
                }
                Call::Act(action, query) => {
                    let id = nodes.len() as u32 + 1;
                    let (n, obs) = act_observed(ctx, id, action, &query, &mut predictions).await?;
                    nodes.push(n);
                    obs
                }
            };
            let _ = write!(transcript, "\n{result}\n\n");
            // Every call gets its result (the APIs require one per call), even past the limits.
            messages.push(Message::tool_result(call, result_text(&result)));
        }
        if stop || malformed >= MAX_MALFORMED {
            break;
        }
    }

    let answer = match answer {
        Some(a) => a,
        None => {
            // Out of budget, out of actions, or too many broken calls: tools off, answer now.
            messages.push(Message::user(prompts::AGENT_TOOLS_FORCE));
            let req = ChatRequest {
                messages,
                temperature: Some(0.6),
                max_tokens: Some(ANSWER_TOKENS),
                tools: specs,
                tool_choice: ToolChoice::None,
                ..ChatRequest::default()
            };
            let answering = |_: &str| {};
            match ctx.complete_response(CallPurpose::Agent, &req, Some(&answering)).await {
                Ok(r) => {
                    let t = strip_results(&r.content);
                    let _ = write!(transcript, "\n{}", t.trim());
                    answer_part(&t).to_string()
                }
                Err(CallError::Engine(e)) => return Err(e),
                Err(CallError::Llm(LlmError::Auth(m))) => return Err(EngineError::ProviderAuth(m)),
                Err(CallError::Llm(_)) => String::new(),
            }
        }
    };
    Ok(Some(Turn { answer: final_answer(&answer), nodes, transcript, predictions }))
}

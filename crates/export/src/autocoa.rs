//! Agent runs as training data: AutoCoA's CoT+CoA trajectories with the observations marked for
//! masking (the paper's SFT stage 2 trains on every token but the observations the runtime
//! injected; stage 3 on all of them).
//!
//! One run is one JSON object on one line (so a file of many runs is JSONL and a file of one run
//! is both JSON and JSONL):
//!
//! - `question`, `answer` (the run's checked answer, `[n]` markers included), `run_id`,
//!   `started_at`, `actions` (how many actions the model asked for);
//! - `trajectory`: the assistant turn as the run recorded it, from the opening `<think>\n` through
//!   the thinking with its action tags, the injected observations, `</think>` and the answer;
//! - `observations`: `{start, end}` of each `<search_result> … </search_result>` block the run
//!   injected, tags included, as character offsets (Unicode scalar values, as Python indexes a
//!   string) into `trajectory`, `end` exclusive, in order;
//! - `messages`: the same turn as chat messages (`user`: the question; `assistant`: the
//!   trajectory), the shape of the paper's released CoA files.
//!
//! Every `<search_result>` block in a stored trajectory is one the run injected: the runtime
//! removes the ones a model writes itself, and replaces `<` and `>` inside observation text, so
//! the blocks never nest and never contain a stray tag.
//!
//! A chain run has no trajectory (its model never acted from inside its reasoning) and is
//! refused ([`ExportError::NotAgent`]), as is an agent run without a recorded turn.

use engine::{RunMode, RunRecord};
use serde::Serialize;

use crate::{ExportError, secret_field};

const RESULT_OPEN: &str = "<search_result>";
const RESULT_CLOSE: &str = "</search_result>";

/// A stretch of the trajectory, in chars, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CharSpan {
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
}

/// A chat message of the trajectory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `user` or `assistant`.
    pub role: &'static str,
    /// The text.
    pub content: String,
}

/// One agent run as a training example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trajectory {
    /// The run.
    pub run_id: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The question as asked.
    pub question: String,
    /// The checked answer.
    pub answer: String,
    /// Actions the model asked for.
    pub actions: usize,
    /// The assistant turn with its observations.
    pub trajectory: String,
    /// The injected observation blocks, to mask out of the loss.
    pub observations: Vec<CharSpan>,
    /// The turn as chat messages.
    pub messages: Vec<ChatMessage>,
}

/// The char spans of the `<search_result> … </search_result>` blocks in `text`; an unclosed one
/// runs to the end.
pub fn observation_spans(text: &str) -> Vec<CharSpan> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find(RESULT_OPEN) {
        let start = from + p;
        let after = start + RESULT_OPEN.len();
        let end = text[after..].find(RESULT_CLOSE).map_or(text.len(), |q| after + q + RESULT_CLOSE.len());
        out.push(CharSpan { start: text[..start].chars().count(), end: text[..end].chars().count() });
        from = end;
    }
    out
}

/// `run` as a training example; refused for a chain run and an agent run with no recorded turn.
pub fn trajectory(run: &RunRecord) -> Result<Trajectory, ExportError> {
    if run.run_mode != RunMode::Agent {
        return Err(ExportError::NotAgent(run.run_id.clone()));
    }
    // A turn over native tool calls is a conversation of messages, not AutoCoA's tagged turn:
    // training on it as one would teach the wrong format.
    if run.agent_protocol == Some(engine::run::AgentProtocol::Tools) {
        return Err(ExportError::ToolCalls(run.run_id.clone()));
    }
    let text = run.plan_raw.as_deref().unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ExportError::NoTrajectory(run.run_id.clone()));
    }
    let trace = serde_json::to_value(run)?;
    if let Some(name) = secret_field(&trace) {
        return Err(ExportError::Secret(name));
    }
    Ok(Trajectory {
        run_id: run.run_id.clone(),
        started_at: run.started_at.clone(),
        question: run.question.clone(),
        answer: run.answer.clone(),
        actions: run.nodes.len(),
        trajectory: text.to_string(),
        observations: observation_spans(text),
        messages: vec![
            ChatMessage { role: "user", content: run.question.clone() },
            ChatMessage { role: "assistant", content: text.to_string() },
        ],
    })
}

/// The runs as JSONL, one object a line, in order; fails on the first run that is not an agent
/// run with a recorded turn, so a file never silently lacks a run that was asked for.
pub fn jsonl<'a>(runs: impl IntoIterator<Item = &'a RunRecord>) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    for run in runs {
        serde_json::to_writer(&mut out, &trajectory(run)?)?;
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample;

    fn agent_run() -> RunRecord {
        let mut run = sample();
        run.run_mode = RunMode::Agent;
        run.plan_raw = Some(
            "<think>\nWhere is Québec? <begin_search> Québec province </end_search>\n\n\
             <search_result> result 1: \"Canada — provinces\"\n‹b› Québec is east of Ontario. </search_result>\n\n\
             It is east. <begin_search> 魁北克 </end_search>\n\n<search_result> No results. </search_result>\n\n\
             </think>\n\n\\boxed{East of Ontario}"
                .into(),
        );
        run
    }

    #[test]
    fn spans_point_exactly_at_the_observation_blocks_in_chars() {
        let run = agent_run();
        let t = trajectory(&run).unwrap();
        assert_eq!(t.observations.len(), 2);
        let chars: Vec<char> = t.trajectory.chars().collect();
        for s in &t.observations {
            let block: String = chars[s.start..s.end].iter().collect();
            assert!(block.starts_with(RESULT_OPEN) && block.ends_with(RESULT_CLOSE), "{block}");
        }
        let first: String = chars[t.observations[0].start..t.observations[0].end].iter().collect();
        assert!(first.contains("Québec is east"), "{first}");
        // What is left once the observations are masked is the model's own text.
        let mut kept = String::new();
        let mut at = 0;
        for s in &t.observations {
            kept.extend(&chars[at..s.start]);
            at = s.end;
        }
        kept.extend(&chars[at..]);
        assert!(
            !kept.contains("search_result") && kept.contains("魁北克") && kept.ends_with("\\boxed{East of Ontario}")
        );
        assert_eq!(t.messages[1].content, t.trajectory);
        assert_eq!(t.actions, run.nodes.len());
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end() {
        assert_eq!(observation_spans("ab<search_result> x"), vec![CharSpan { start: 2, end: 19 }]);
        assert!(observation_spans("no observations").is_empty());
    }

    #[test]
    fn chain_runs_and_runs_without_a_turn_are_refused() {
        let chain = sample();
        assert!(matches!(trajectory(&chain), Err(ExportError::NotAgent(_))));
        let mut empty = agent_run();
        empty.plan_raw = None;
        assert!(matches!(trajectory(&empty), Err(ExportError::NoTrajectory(_))));
        assert!(jsonl([&agent_run(), &chain]).is_err());
        let mut tools = agent_run();
        tools.agent_protocol = Some(engine::run::AgentProtocol::Tools);
        assert!(matches!(trajectory(&tools), Err(ExportError::ToolCalls(_))));
        tools.agent_protocol = Some(engine::run::AgentProtocol::Tags);
        assert!(trajectory(&tools).is_ok());
    }

    #[test]
    fn jsonl_has_one_object_per_run() {
        let a = agent_run();
        let mut b = agent_run();
        b.run_id = "second".into();
        let out = String::from_utf8(jsonl([&a, &b]).unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["run_id"], "second");
        assert_eq!(lines[0]["observations"][0]["start"].as_u64(), Some(t_start(&a)));
    }

    fn t_start(run: &RunRecord) -> u64 {
        let text = run.plan_raw.as_deref().unwrap();
        text[..text.find(RESULT_OPEN).unwrap()].chars().count() as u64
    }
}

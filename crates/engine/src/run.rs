//! The record of a finished run and the progress events of a running one.
//!
//! These are the engine's serialisation contract: the CLI prints a [`RunRecord`] as JSON, the
//! store keeps it, and the UI replays [`Event`]s. Field names and the snake_case spellings of the
//! enums are part of that contract, so they are pinned by a snapshot test below; change them only
//! together with every reader.

use serde::{Deserialize, Serialize};

use crate::Span;
use crate::config::MissingPolicy;

/// How the final answer was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AnswerMode"))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A language model planned the chain and wrote the answer.
    Llm,
    /// No model: heuristic decomposition and an answer stitched from evidence sentences.
    Extractive,
}

/// How the run went about the question: the planned chain, or a reasoning model acting from
/// inside its own reasoning (agent mode). Records stored before agent mode read as `chain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Chain-of-Action: a plan, its steps run through the ports, then the answer.
    #[default]
    Chain,
    /// AutoCoA: the model thinks, asks for actions with tags inside its thinking, reads the
    /// injected observations and answers; each action is a node of the record.
    Agent,
}

/// How an agent-mode model asks for actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AgentProtocol {
    /// AutoCoA's tags inside the thinking, continued by assistant prefill (models trained on the
    /// tag format, and reasoning models that think in `<think>`).
    #[default]
    Tags,
    /// The provider's native tool calling (models trained on function calls).
    Tools,
}

impl AgentProtocol {
    /// `tags` or `tools`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentProtocol::Tags => "tags",
            AgentProtocol::Tools => "tools",
        }
    }
}

/// Simulated observations (the model's internal world model): whether the model writes the
/// observation it expects before each action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Observations {
    /// Real actions only.
    #[default]
    Real,
    /// The model predicts each observation, then the real action runs and the two are compared;
    /// where the action finds nothing, the run goes on with the prediction, labelled as the
    /// model's own knowledge.
    Predict,
    /// No action runs: the run goes on with the model's predictions only, labelled as its own
    /// knowledge and never cited.
    PredictedOnly,
}

impl Observations {
    /// `real`, `predict` or `predicted-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Observations::Real => "real",
            Observations::Predict => "predict",
            Observations::PredictedOnly => "predicted-only",
        }
    }
}

/// What the model expected an action to return, and what it did return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PredictionRecord {
    /// The action's node.
    pub node_id: u32,
    /// The action's query.
    pub query: String,
    /// The observation the model expected, in its words.
    pub predicted: String,
    /// The evidence the real action found (empty when it found none or did not run).
    pub evidence: Vec<u32>,
    /// MRFS of the prediction over that evidence; `None` without evidence.
    pub support: Option<f64>,
    /// The evidence does not support the prediction.
    pub disagrees: bool,
    /// Where it disagrees: the evidence sentence closest to the query ("the library says …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// The run gave the model its own prediction as the observation (no real result): the
    /// model's knowledge, never a source.
    pub used_as_observation: bool,
}

/// What a chain node does (Chain-of-Action's actions, closed so every consumer can match them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Search the user's document library (the [`crate::ports::Corpus`] port).
    KnowledgeBase,
    /// Search the web (the [`crate::ports::WebSearch`] port).
    WebSearch,
    /// Analyse a table (the [`crate::ports::TableAnalyst`] port).
    DataAnalysis,
}

impl Action {
    /// The snake_case name used in JSON and prompts.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::KnowledgeBase => "knowledge_base",
            Action::WebSearch => "web_search",
            Action::DataAnalysis => "data_analysis",
        }
    }
}

/// Where a node is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Not started (waiting for its dependencies).
    Pending,
    /// Running now.
    Running,
    /// Finished with an answer (possibly the unverified guess).
    Done,
    /// Its action failed; the reason is in [`NodeRecord::reason`].
    Failed,
    /// Not run: its action is unavailable or a dependency failed; see [`NodeRecord::reason`].
    Skipped,
}

/// What MRFS decided for a node's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The guess was supported by a reference (score ≥ τ) and kept.
    Kept,
    /// The guess was not supported and was replaced by an answer drawn from the references.
    Replaced,
    /// The node was flagged missing: its answer was filled from the references.
    Filled,
    /// Retrieval found nothing; the answer is the unverified guess (or empty).
    NoEvidence,
}

/// Which knowledge-boundary path a node took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RetrievalPath {
    /// The planner flagged the node as missing knowledge: retrieve and fill.
    RetrievedMissing,
    /// The planner had a guess; it was checked against retrieved references.
    RetrievedVerify,
    /// The planner had a guess and the policy skipped retrieval: the guess stands unverified.
    SkippedRetrieval,
}

/// One MRFS score: the node's guess against one reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScoreRecord {
    /// The reference.
    pub evidence_id: u32,
    /// Its score (see [`crate::mrfs::score`]).
    pub score: f64,
}

/// One node of the chain, as planned and as executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeRecord {
    /// 1-based id, unique in the run.
    pub id: u32,
    /// The action.
    pub action: Action,
    /// The sub-question, after `#n` references were substituted.
    pub sub_question: String,
    /// Ids of the nodes whose answers this one needs.
    pub depends_on: Vec<u32>,
    /// The planner said it does not know the answer.
    pub missing: bool,
    /// The planner's own answer (empty when missing).
    pub guess_answer: String,
    /// The answer the node settled on.
    pub answer: String,
    /// Life-cycle status.
    pub status: NodeStatus,
    /// Best MRFS score of the guess over the references, when it was scored.
    pub mrfs: Option<f64>,
    /// What MRFS decided, once the node ran.
    pub decision: Option<Decision>,
    /// Knowledge-boundary path.
    pub path: RetrievalPath,
    /// Why a node failed or was skipped, or a note on how its answer came about.
    pub reason: Option<String>,
    /// Per-reference MRFS scores.
    pub scores: Vec<ScoreRecord>,
    /// Ids of the evidence gathered by this node.
    pub evidence: Vec<u32>,
}

/// Where a piece of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A passage of a document in the library.
    Document,
    /// A web page.
    Web,
    /// The result of a table analysis.
    Table,
}

/// One piece of evidence gathered in the run; `[n]` markers in the answer point at `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvidenceRecord {
    /// 1-based id, unique in the run (the citation marker number).
    pub id: u32,
    /// The node that gathered it.
    pub node_id: u32,
    /// Kind of source.
    pub kind: EvidenceKind,
    /// Catalog document id (documents and tables).
    pub doc_id: Option<i64>,
    /// `"{doc_id}:{ordinal}"` (documents).
    pub chunk_id: Option<String>,
    /// Source path (documents and tables).
    pub path: Option<String>,
    /// Document or page title.
    pub title: String,
    /// Physical page, when the location is a page.
    pub page: Option<u32>,
    /// Human-readable location (`p. 3`, `Intro › Methods`), possibly empty.
    pub location: String,
    /// Web address (web evidence).
    pub url: Option<String>,
    /// Char span `[start, end)` into the document's stored text.
    pub span: Option<[usize; 2]>,
    /// The text itself.
    pub text: String,
    /// Retrieval score.
    pub score: f32,
    /// When a web page was fetched (RFC 3339), as the web port reported it.
    pub fetched_at: Option<String>,
    /// How the evidence was obtained, when the user should know (a refused page fetch, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For table evidence: the sheet, columns, rows and query it rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableCite>,
}

/// The cells a table finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TableCite {
    /// Sheet or table name.
    pub sheet: String,
    /// Columns used, by header name.
    pub columns: Vec<String>,
    /// Data rows used (1-based, header not counted); empty for a whole-column aggregate.
    pub rows: Vec<u64>,
    /// The SQL that computed the finding, if any.
    pub sql: Option<String>,
}

/// How well the cited evidence supports a sentence. The rule is deterministic: coverage is the
/// share of the sentence's content tokens (lowercased, stop words and "yes"/"no" dropped, plurals
/// folded) found in the cited evidence's title and text; `supported` ≥ 0.6, `partial` ≥ 0.4,
/// else `unsupported`. A number in the sentence that the evidence lacks caps the verdict at
/// `partial`; a sentence with no content tokens is `partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Most of the sentence's content words are in the cited evidence.
    Supported,
    /// Some are.
    Partial,
    /// Few or none are.
    Unsupported,
}

/// One `[n]` marker in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CitationRecord {
    /// The number in the marker.
    pub marker: u32,
    /// The evidence it points at (equal to `marker`: markers are evidence ids).
    pub evidence_id: u32,
    /// The answer sentence carrying the marker, without markers.
    pub sentence: String,
    /// Support of the sentence by the evidence this marker cites.
    pub verdict: Verdict,
    /// Why the verdict is what it is, in a short sentence for a reader (hover text): how many of
    /// the sentence's words the evidence holds, or which figure it lacks. Empty in records
    /// stored before verdicts explained themselves (and then left out of the JSON).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// The short answer to a question (a name, a date, a quantity with its unit…), found inside the
/// evidence so that it can be highlighted in the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShortAnswer {
    /// The answer as it reads in the evidence (line breaks read as spaces, hyphenated line ends
    /// joined).
    pub text: String,
    /// The evidence it was found in (its marker number).
    pub evidence_id: u32,
    /// Char range `[start, end)` of the answer inside that evidence record's `text`.
    pub span: Span,
}

/// References of one node that disagree on the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictRecord {
    /// The node.
    pub node_id: u32,
    /// The disagreeing references.
    pub evidence_ids: Vec<u32>,
    /// The answers each one gives, in the order of `evidence_ids`.
    pub answers: Vec<String>,
}

/// Why an LLM call was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallPurpose {
    /// Writing the chain.
    Plan,
    /// Fixing a malformed chain.
    Repair,
    /// Answering a sub-question from its references.
    Summarize,
    /// Writing the final answer.
    Answer,
    /// Writing a query for the data-analysis action.
    Sql,
    /// One generation of an agent-mode turn (thinking up to an action, or the answer).
    Agent,
    /// The observation an agent-mode model expects before an action runs.
    Predict,
}

/// One LLM completion (retries inside the adapter are counted in [`UsageRecord::llm_calls`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallRecord {
    /// Why it was made.
    pub purpose: CallPurpose,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Wall time, retries included.
    pub latency_ms: u64,
    /// Whether it returned a completion.
    pub ok: bool,
}

/// What the run cost.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UsageRecord {
    /// Requests sent to the provider, retries included.
    pub llm_calls: u32,
    /// Prompt tokens over all calls.
    pub prompt_tokens: u64,
    /// Completion tokens over all calls.
    pub completion_tokens: u64,
    /// Port actions run (corpus searches, web searches, table analyses).
    pub actions: u32,
    /// Wall time of the run, in milliseconds.
    pub wall_ms: u64,
    /// Each completion, in order.
    pub calls: Vec<CallRecord>,
}

/// The engine settings a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsRecord {
    /// MRFS keep/replace threshold τ.
    pub mrfs_threshold: f64,
    /// What to do with nodes the planner did not flag missing.
    pub missing_policy: MissingPolicy,
    /// Cap on chain length.
    pub max_nodes: usize,
    /// References per retrieval.
    pub top_k: usize,
    /// Nodes run at once.
    pub concurrency: usize,
    /// Whether a model was allowed.
    pub use_llm: bool,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunRecord {
    /// Set by the caller (through [`crate::EngineConfig::run_id`]) or the store; may be empty.
    pub run_id: String,
    /// The question as asked.
    pub question: String,
    /// How the answer was written.
    pub mode: Mode,
    /// How the run went about the question (`chain` or `agent`).
    #[serde(default)]
    pub run_mode: RunMode,
    /// Agent mode: how the model asked for actions. Left out of the JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_protocol: Option<AgentProtocol>,
    /// Agent mode: whether observations were predicted (`predict`, `predicted_only`). Left out of
    /// the JSON for real observations only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<Observations>,
    /// Agent mode with predicted observations: one per action, what the model expected and
    /// whether the result agreed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predictions: Vec<PredictionRecord>,
    /// The answer, with `[n]` markers pointing at evidence ids.
    pub answer: String,
    /// The short answer, when the question asks for one and the evidence holds it (extractive
    /// answers only). Left out of the JSON when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_answer: Option<ShortAnswer>,
    /// True when the evidence found does not cover what the question asks: the answer says so
    /// and lists the closest passages without citing them (extractive answers only). Left out
    /// of the JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_found: bool,
    /// Why the configured model did not write the answer (its first failed call, or an empty
    /// reply), when the run was meant to use one and its answer is extractive. Left out of the
    /// JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_error: Option<String>,
    /// What kind of failure `llm_error` was (`unreachable`, `auth`, `server`, …), so a front end
    /// can explain it without reading the message; present exactly when `llm_error` is (runs
    /// stored before it existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_error_kind: Option<crate::ports::LlmErrorKind>,
    /// The chain.
    pub nodes: Vec<NodeRecord>,
    /// All evidence gathered, ids 1..=n in the order it was found (with concurrent nodes, the
    /// order their searches returned). A chunk or page found twice is one piece of evidence.
    pub evidence: Vec<EvidenceRecord>,
    /// Every valid marker in the answer, with its verdict.
    pub citations: Vec<CitationRecord>,
    /// Answer sentences with no valid citation, or whose citations do not support them.
    pub unsupported_sentences: Vec<String>,
    /// References that disagree.
    pub conflicts: Vec<ConflictRecord>,
    /// Cost.
    pub usage: UsageRecord,
    /// The planner's raw output (after a repair, the repaired one), when a model planned; in
    /// agent mode, the model's whole turn with the observations the run injected.
    pub plan_raw: Option<String>,
    /// RFC 3339 start time, from the clock port.
    pub started_at: String,
    /// RFC 3339 finish time, from the clock port.
    pub finished_at: String,
    /// The settings used.
    pub settings: SettingsRecord,
}

/// Progress of a run, in order. Serialised as `{"type": "plan_ready", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RunEvent"))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The chain is known; every node is pending (or skipped, when its action is unavailable).
    PlanReady {
        /// The nodes.
        nodes: Vec<NodeRecord>,
    },
    /// A node started running.
    NodeStarted {
        /// Its id.
        id: u32,
    },
    /// A node gathered a piece of evidence.
    EvidenceFound {
        /// The node.
        node_id: u32,
        /// The evidence.
        evidence: EvidenceRecord,
    },
    /// A node finished (done, failed or skipped).
    NodeFinished {
        /// The node as it ended.
        node: NodeRecord,
    },
    /// A piece of the model's thinking as it streams in (agent mode): the text it writes inside
    /// `<think>`, tags included, never the injected results and never the answer.
    ThinkingDelta {
        /// Text to append.
        text: String,
    },
    /// The model's expected observation for an action, checked against the real one (agent mode
    /// with predicted observations).
    ObservationPredicted {
        /// The prediction and its verdict.
        prediction: PredictionRecord,
    },
    /// A piece of the final answer as it streams in.
    AnswerDelta {
        /// Text to append.
        text: String,
    },
    /// The answer was checked against its citations.
    Verified {
        /// The checked answer (invented markers removed): it replaces the streamed text.
        answer: String,
        /// Valid citations with verdicts.
        citations: Vec<CitationRecord>,
        /// Sentences without support.
        unsupported_sentences: Vec<String>,
        /// Disagreeing references.
        conflicts: Vec<ConflictRecord>,
        /// The short answer, as in [`RunRecord::short_answer`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        short_answer: Option<ShortAnswer>,
        /// Whether the library does not answer the question, as in [`RunRecord::not_found`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        not_found: bool,
    },
    /// The run finished; the [`RunRecord`] is the return value of [`crate::Engine::ask`].
    Finished {
        /// The run id from the config (may be empty).
        run_id: String,
    },
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    fn sample() -> RunRecord {
        let node = NodeRecord {
            id: 1,
            action: Action::KnowledgeBase,
            sub_question: "When was X founded?".into(),
            depends_on: vec![],
            missing: false,
            guess_answer: "1844".into(),
            answer: "1844".into(),
            status: NodeStatus::Done,
            mrfs: Some(0.87),
            decision: Some(Decision::Kept),
            path: RetrievalPath::RetrievedVerify,
            reason: None,
            scores: vec![ScoreRecord { evidence_id: 1, score: 0.87 }],
            evidence: vec![1],
        };
        let evidence = EvidenceRecord {
            id: 1,
            node_id: 1,
            kind: EvidenceKind::Document,
            doc_id: Some(7),
            chunk_id: Some("7:0".into()),
            path: Some("/docs/x.pdf".into()),
            title: "X".into(),
            page: Some(3),
            location: "p. 3".into(),
            url: None,
            span: Some([10, 52]),
            text: "X was founded in 1844.".into(),
            score: 1.5,
            fetched_at: None,
            note: None,
            table: None,
        };
        RunRecord {
            run_id: String::new(),
            question: "When was X founded?".into(),
            mode: Mode::Llm,
            run_mode: RunMode::Chain,
            agent_protocol: None,
            observations: None,
            predictions: Vec::new(),
            answer: "X was founded in 1844 [1].".into(),
            short_answer: Some(ShortAnswer { text: "1844".into(), evidence_id: 1, span: Span::new(17, 21) }),
            not_found: false,
            llm_error: None,
            llm_error_kind: None,
            nodes: vec![node],
            evidence: vec![evidence],
            citations: vec![CitationRecord {
                marker: 1,
                evidence_id: 1,
                sentence: "X was founded in 1844.".into(),
                verdict: Verdict::Supported,
                reason: "all 3 content words of the sentence are in [1]".into(),
            }],
            unsupported_sentences: vec![],
            conflicts: vec![ConflictRecord {
                node_id: 1,
                evidence_ids: vec![1, 2],
                answers: vec!["1844".into(), "1845".into()],
            }],
            usage: UsageRecord {
                llm_calls: 2,
                prompt_tokens: 900,
                completion_tokens: 80,
                actions: 1,
                wall_ms: 1234,
                calls: vec![CallRecord {
                    purpose: CallPurpose::Plan,
                    prompt_tokens: 500,
                    completion_tokens: 60,
                    latency_ms: 800,
                    ok: true,
                }],
            },
            plan_raw: Some("{}".into()),
            started_at: "2026-01-02T03:04:05.678Z".into(),
            finished_at: "2026-01-02T03:04:06.912Z".into(),
            settings: SettingsRecord {
                mrfs_threshold: 0.71,
                missing_policy: MissingPolicy::RetrieveAndVerify,
                max_nodes: 6,
                top_k: 3,
                concurrency: 4,
                use_llm: true,
            },
        }
    }

    #[test]
    fn run_record_json_contract() {
        let r = sample();
        let json = serde_json::to_string_pretty(&r).unwrap();
        expect![[r#"
            {
              "run_id": "",
              "question": "When was X founded?",
              "mode": "llm",
              "run_mode": "chain",
              "answer": "X was founded in 1844 [1].",
              "short_answer": {
                "text": "1844",
                "evidence_id": 1,
                "span": {
                  "start": 17,
                  "end": 21
                }
              },
              "nodes": [
                {
                  "id": 1,
                  "action": "knowledge_base",
                  "sub_question": "When was X founded?",
                  "depends_on": [],
                  "missing": false,
                  "guess_answer": "1844",
                  "answer": "1844",
                  "status": "done",
                  "mrfs": 0.87,
                  "decision": "kept",
                  "path": "retrieved_verify",
                  "reason": null,
                  "scores": [
                    {
                      "evidence_id": 1,
                      "score": 0.87
                    }
                  ],
                  "evidence": [
                    1
                  ]
                }
              ],
              "evidence": [
                {
                  "id": 1,
                  "node_id": 1,
                  "kind": "document",
                  "doc_id": 7,
                  "chunk_id": "7:0",
                  "path": "/docs/x.pdf",
                  "title": "X",
                  "page": 3,
                  "location": "p. 3",
                  "url": null,
                  "span": [
                    10,
                    52
                  ],
                  "text": "X was founded in 1844.",
                  "score": 1.5,
                  "fetched_at": null
                }
              ],
              "citations": [
                {
                  "marker": 1,
                  "evidence_id": 1,
                  "sentence": "X was founded in 1844.",
                  "verdict": "supported",
                  "reason": "all 3 content words of the sentence are in [1]"
                }
              ],
              "unsupported_sentences": [],
              "conflicts": [
                {
                  "node_id": 1,
                  "evidence_ids": [
                    1,
                    2
                  ],
                  "answers": [
                    "1844",
                    "1845"
                  ]
                }
              ],
              "usage": {
                "llm_calls": 2,
                "prompt_tokens": 900,
                "completion_tokens": 80,
                "actions": 1,
                "wall_ms": 1234,
                "calls": [
                  {
                    "purpose": "plan",
                    "prompt_tokens": 500,
                    "completion_tokens": 60,
                    "latency_ms": 800,
                    "ok": true
                  }
                ]
              },
              "plan_raw": "{}",
              "started_at": "2026-01-02T03:04:05.678Z",
              "finished_at": "2026-01-02T03:04:06.912Z",
              "settings": {
                "mrfs_threshold": 0.71,
                "missing_policy": "retrieve_and_verify",
                "max_nodes": 6,
                "top_k": 3,
                "concurrency": 4,
                "use_llm": true
              }
            }"#]]
        .assert_eq(&json);
        assert_eq!(serde_json::from_str::<RunRecord>(&json).unwrap(), r);
    }

    #[test]
    fn records_stored_before_short_answers_still_load() {
        let mut v = serde_json::to_value(sample()).unwrap();
        let obj = v.as_object_mut().unwrap();
        obj.remove("short_answer");
        obj.remove("not_found");
        obj.remove("run_mode");
        obj["citations"][0].as_object_mut().unwrap().remove("reason");
        let r: RunRecord = serde_json::from_value(v).unwrap();
        assert_eq!((r.short_answer, r.not_found, r.citations[0].reason.as_str()), (None, false, ""));
        assert_eq!(r.run_mode, RunMode::Chain, "a record from before agent mode is a chain run");
    }

    #[test]
    fn a_refusal_says_so_in_the_json() {
        let r = RunRecord { not_found: true, short_answer: None, ..sample() };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["not_found"], serde_json::json!(true));
        assert!(v.get("short_answer").is_none());
    }

    #[test]
    fn events_are_tagged() {
        let events = [
            Event::NodeStarted { id: 2 },
            Event::AnswerDelta { text: "X was".into() },
            Event::Finished { run_id: "r1".into() },
        ];
        let lines: Vec<String> = events.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        expect![[r#"
            {"type":"node_started","id":2}
            {"type":"answer_delta","text":"X was"}
            {"type":"finished","run_id":"r1"}"#]]
        .assert_eq(&lines.join("\n"));
        let back: Event = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(back, events[0]);
    }
}

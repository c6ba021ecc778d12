//! Engine settings, validated, with documented defaults.

use serde::{Deserialize, Serialize};

use crate::run::{AgentProtocol, Observations, RunMode};

/// Actions an agent-mode turn may run (the paper's `max_search_nums`).
pub const DEFAULT_AGENT_MAX_ACTIONS: usize = 10;
/// Completion tokens an agent-mode turn may spend before its answer is forced (the paper's
/// evaluation budget).
pub const DEFAULT_AGENT_TOKEN_BUDGET: u64 = 12_288;

/// What to do with a node the planner answered itself (not flagged missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Trust the guess: no retrieval, no evidence (the paper's fast path; cheapest).
    SkipRetrieval,
    /// Retrieve anyway and check the guess with MRFS (the default: every answer gets evidence).
    #[default]
    RetrieveAndVerify,
}

/// How the engine runs a question. Counts below 1 (`max_nodes`, `top_k`, `concurrency`) are read
/// as 1.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// MRFS keep/replace threshold τ: a guess whose best score reaches it is kept.
    pub mrfs_threshold: f64,
    /// What to do with nodes the planner answered itself. Default: retrieve and verify.
    pub missing_policy: MissingPolicy,
    /// Cap on the chain length; longer plans are cut. Default 6.
    pub max_nodes: usize,
    /// References retrieved per node. Default 3.
    pub top_k: usize,
    /// Nodes run at once. Default 4.
    pub concurrency: usize,
    /// Whether to use the model at all (false: extractive mode even with a model). Default true.
    pub use_llm: bool,
    /// Copied into the run record and the `Finished` event. Default empty.
    pub run_id: String,
    /// Chain-of-Action or agent mode. Default chain. Agent mode needs a model; without one the
    /// run is an extractive chain.
    pub run_mode: RunMode,
    /// Agent mode: actions one turn may run; a further request is told the limit. Default 10.
    pub agent_max_actions: usize,
    /// Agent mode: completion tokens before the answer is forced. Default 12 288.
    pub agent_token_budget: u64,
    /// Agent mode: tags in the thinking, or the provider's native tool calling. Default tags.
    /// (Choosing by provider and model, `auto`, is the caller's: the engine does not know them.)
    pub agent_protocol: AgentProtocol,
    /// Agent mode: whether the model predicts each observation first. Default real only.
    pub observations: Observations,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            mrfs_threshold: crate::mrfs::DEFAULT_THRESHOLD,
            missing_policy: MissingPolicy::default(),
            max_nodes: 6,
            top_k: 3,
            concurrency: 4,
            use_llm: true,
            run_id: String::new(),
            run_mode: RunMode::Chain,
            agent_max_actions: DEFAULT_AGENT_MAX_ACTIONS,
            agent_token_budget: DEFAULT_AGENT_TOKEN_BUDGET,
            agent_protocol: AgentProtocol::Tags,
            observations: Observations::Real,
        }
    }
}

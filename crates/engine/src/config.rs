//! Engine settings, validated, with documented defaults.

use serde::{Deserialize, Serialize};

/// What to do with a node the planner answered itself (not flagged missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
        }
    }
}

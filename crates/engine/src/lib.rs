//! The engine: Catena's domain vocabulary and the Chain-of-Action orchestration.
//!
//! Entry point: [`Engine::new`]`(config, ports).`[`ask`](Engine::ask)`(question, &events, &cancel)`
//! → [`RunRecord`] or [`EngineError`]. A run is: plan (one model call, or the heuristic planner
//! without a model) → execute the chain as a DAG (retrieval through the ports, MRFS keep /
//! replace / fill per node) → answer (one streamed model call, or extractive) → verify (markers,
//! verdicts, conflicts). In agent mode ([`RunMode::Agent`]) a reasoning model runs the actions
//! itself from inside its thinking (the AutoCoA tag protocol, see `agent`), and its answer gets
//! the same checks. Progress goes out as [`Event`]s over an unbounded mpsc channel.
//!
//! Invariants:
//! - No I/O here: no tantivy, sqlx, reqwest, keyring, tauri, no system clock (the [`ports::Clock`]
//!   port gives timestamps; durations use `tokio::time::Instant`) and no environment. Adapters
//!   depend on this crate for the port traits; it depends on none of them.
//! - Every `[n]` in a recorded answer names evidence gathered in the same run.
//! - Partial failure is data: failed actions, bad plans and a failing model end up in the
//!   record; only cancellation, an empty question and refused credentials are errors.
//! - A cancelled run produces no record.
#![warn(missing_docs)]

mod agent;
mod answer;
pub mod calendar;
pub mod config;
mod engine;
mod execute;
#[cfg(test)]
mod fuzz_tests;
mod heuristic;
mod location;
pub mod mrfs;
mod plan;
pub mod ports;
mod prompts;
mod reader;
pub mod run;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod text;

pub use answer::strip_markers;
pub use config::{EngineConfig, MissingPolicy};
pub use engine::{Engine, EngineError, Ports};
pub use location::{Location, Span};
pub use prompts::purpose as prompt_purpose;
pub use run::{
    Action, AgentProtocol, CallPurpose, CallRecord, CitationRecord, ConflictRecord, Decision, Event, EvidenceKind,
    EvidenceRecord, Mode, NodeRecord, NodeStatus, Observations, PredictionRecord, RetrievalPath, RunMode, RunRecord,
    ScoreRecord, SettingsRecord, ShortAnswer, UsageRecord, Verdict,
};
pub use tokio_util::sync::CancellationToken;

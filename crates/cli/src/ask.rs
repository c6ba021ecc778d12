//! `catena ask`, `catena runs`, `catena show`: questions over the library, and their history.
//!
//! `ask` is a composition root in miniature: it opens the library read-only (asking never waits
//! for an ingest), builds the model client from flags and environment, runs the engine while
//! printing its events on stderr, stores the finished run in the catalog, then prints it.
//! `--json` prints the [`RunRecord`] and nothing else on stdout; `show --json` prints the stored
//! record with the same serialisation, so the two are byte-for-byte equal.
//!
//! A run that is cancelled (Ctrl-C) stores nothing and exits 130. A run is stored before it is
//! printed, so a run that was printed can always be shown again.

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Args, ValueEnum};
use compose::{AskError, AskSettings, ModelSettings, WebSettings};
use engine::CancellationToken;
use engine::ports::Sensitive;
use engine::run::{Decision, Event, Mode, NodeRecord, NodeStatus, RunMode, RunRecord};
use library::Library;
use llm::ProviderKind;
use store::{Catalog, RunSummary};

use crate::output::say;

/// `catena ask` arguments.
#[derive(Args, Debug)]
pub(crate) struct AskArgs {
    /// The question (several words are joined with spaces, so quoting is optional).
    #[arg(required = true, value_name = "QUESTION")]
    question: Vec<String>,
    /// Fail (exit 2) instead of answering extractively when the language model is not
    /// configured or fails; the failed run is still kept in the history.
    #[arg(long, conflicts_with = "no_llm")]
    require_llm: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// MRFS threshold τ in [0, 1]: a guess scoring at least this against a reference is kept.
    #[arg(long, value_name = "F")]
    mrfs_threshold: Option<f64>,
    /// For steps the planner answered itself: retrieve and verify the guess, or skip retrieval.
    #[arg(long, value_enum, default_value_t = Policy::Verify)]
    missing_policy: Policy,
    /// References retrieved per step.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
    /// Longest chain of steps.
    #[arg(long, value_name = "N")]
    max_nodes: Option<usize>,
    #[command(flatten)]
    web: WebArgs,
    /// chain: plan the steps, run them, then answer (Chain-of-Action). agent: a reasoning model
    /// looks things up from inside its own thinking (AutoCoA tags) and answers; needs a model.
    #[arg(long, value_enum, default_value_t = AskMode::Chain)]
    mode: AskMode,
}

/// The language model, as `ask` and `mcp` take it.
#[derive(Args, Debug, Clone)]
pub(crate) struct ModelArgs {
    /// Answer extractively, without a language model, even when one is configured.
    #[arg(long)]
    no_llm: bool,
    /// Base URL of the model server, e.g. http://localhost:11434/v1. Without one (and without
    /// `--provider anthropic`), answers are extractive.
    #[arg(long, env = "CATENA_LLM_URL", value_name = "URL")]
    llm_url: Option<String>,
    /// Model name.
    #[arg(long, env = "CATENA_LLM_MODEL", value_name = "NAME")]
    model: Option<String>,
    /// The API the server speaks: openai-compatible, ollama or anthropic.
    #[arg(long, env = "CATENA_LLM_PROVIDER", value_name = "KIND", default_value = "openai-compatible",
          value_parser = parse_provider)]
    provider: ProviderKind,
}

/// The web action, as `ask` and `mcp` take it.
#[derive(Args, Debug, Clone)]
pub(crate) struct WebArgs {
    /// Also search the web: wikipedia (no key), searxng (needs --search-url), brave or tavily
    /// (their keys come from the keyring: `catena key set brave`).
    #[arg(long, value_name = "PROVIDER")]
    web: Option<String>,
    /// Address of the search provider: required for searxng, overrides the others' default.
    #[arg(long, value_name = "URL", requires = "web")]
    search_url: Option<String>,
    /// Let web page fetches reach loopback and private-network addresses (refused by default).
    #[arg(long)]
    allow_private_network: bool,
    /// No web traffic at all: web steps are recorded as not run, with the reason.
    #[arg(long)]
    offline: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AskMode {
    /// Chain-of-Action: plan, run the steps, answer.
    Chain,
    /// A reasoning model acts from inside its thinking (AutoCoA).
    Agent,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Policy {
    /// Retrieve anyway and check the guess against the references (every answer gets evidence).
    Verify,
    /// Trust the guess; no retrieval (cheapest).
    Skip,
}

pub(crate) fn parse_provider(s: &str) -> Result<ProviderKind, String> {
    // An empty CATENA_LLM_PROVIDER counts as unset, like every other CATENA_* variable.
    if s.trim().is_empty() {
        return Ok(ProviderKind::OpenAiCompatible);
    }
    s.parse().map_err(|e: llm::ConfigError| e.to_string())
}

/// The API key for `provider`: `CATENA_LLM_API_KEY` when set and non-empty, else the OS
/// keyring's (`catena key set`).
///
/// This is the single place `ask` looks a key up. The key only ever travels inside
/// [`Sensitive`], which prints as `<redacted>`.
pub(crate) fn resolve_api_key(provider: ProviderKind) -> Option<Sensitive> {
    crate::key::resolve_api_key(provider.as_str())
}

/// Why the answer is extractive, when it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NoModel {
    Disabled,
    NotConfigured,
}

impl ModelArgs {
    /// The model settings (its key resolved), or why there is no model.
    pub(crate) fn settings(&self) -> Result<ModelSettings, NoModel> {
        if self.no_llm {
            return Err(NoModel::Disabled);
        }
        let url = self.llm_url.as_deref().map(str::trim).unwrap_or_default();
        let model = self.model.as_deref().map(str::trim).unwrap_or_default();
        // Anthropic has a public endpoint, so a model name alone configures it; the other APIs
        // are usually local servers and need their address.
        let anthropic_default = self.provider == ProviderKind::Anthropic && !model.is_empty();
        if url.is_empty() && !anthropic_default {
            return Err(NoModel::NotConfigured);
        }
        Ok(ModelSettings {
            provider: self.provider,
            url: url.to_string(),
            model: model.to_string(),
            api_key: resolve_api_key(self.provider),
        })
    }
}

impl WebArgs {
    /// The web settings (a provider's key resolved from the keyring when it needs one), or
    /// `None` without `--web`.
    pub(crate) fn settings(&self) -> anyhow::Result<Option<WebSettings>> {
        let Some(name) = self.web.as_deref() else {
            return Ok(None);
        };
        let provider = web::Provider::from_name(name, self.search_url.as_deref())?;
        let api_key =
            (provider.needs_key() && !self.offline).then(|| crate::key::resolve_web_key(provider.name())).flatten();
        Ok(Some(WebSettings {
            provider: name.to_string(),
            search_url: self.search_url.clone(),
            offline: self.offline,
            allow_private_network: self.allow_private_network,
            api_key,
        }))
    }
}

/// `catena ask`.
pub(crate) async fn ask(
    dir: &Path,
    args: AskArgs,
    embedder: &crate::embedding::EmbedderArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        bail!("the question is empty");
    }
    let cancel = CancellationToken::new();
    let model = args.model.settings();
    if args.mode == AskMode::Agent && model.is_err() {
        bail!(
            "agent mode needs a language model: pass --llm-url and --model (or set CATENA_LLM_URL and CATENA_LLM_MODEL)"
        );
    }
    if args.require_llm && model.is_err() {
        bail!("--require-llm: no language model configured (set --llm-url and --model)");
    }
    let settings = AskSettings {
        model: model.as_ref().ok().cloned(),
        web: args.web.settings()?,
        mode: match args.mode {
            AskMode::Chain => RunMode::Chain,
            AskMode::Agent => RunMode::Agent,
        },
        mrfs_threshold: args.mrfs_threshold,
        skip_retrieval: args.missing_policy == Policy::Skip,
        top_k: args.top_k,
        max_nodes: args.max_nodes,
    };

    let lib = Library::open_read(dir).await?;
    // The knowledge-base action searches hybrid when semantic search is on.
    crate::embedding::configure(&lib, embedder, dir).await;
    let prepared = compose::prepare(Arc::new(lib), &settings, &cancel)?;
    match (&prepared.model, model) {
        (Some(m), _) => note(&format!("asking {}", m.describe)),
        (None, Err(NoModel::Disabled)) => note("answering extractively (--no-llm)"),
        (None, _) => {
            note("answering extractively: no language model configured (set --llm-url and --model)");
            // A model server already running here is worth a hint; the probe costs at most ~0.3 s.
            if let Some(hint) = crate::models::local_server_hint().await {
                note(&hint);
            }
        }
    }
    for line in &prepared.notes {
        note(line);
    }
    let model = prepared.model.clone();

    spawn_ctrl_c(cancel.clone());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // Live answer text only helps someone watching a terminal, and only when a model writes it
    // (an extractive answer arrives in one piece and is printed in full at the end anyway).
    let live = !json && model.is_some() && std::io::stderr().is_terminal();
    let printer = tokio::spawn(print_events(rx, live));
    let result = prepared.run(&question, &tx, &cancel).await;
    drop(tx);
    // The printer ends when the channel closes; a panic in it only loses progress lines.
    let _ = printer.await;

    let finished = match result {
        Ok(f) => f,
        Err(AskError::Cancelled) => {
            note("interrupted: the run was not stored");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(anyhow!(e)),
    };
    let record = finished.record;
    if let Some(e) = &finished.not_stored {
        // The answer is already paid for: print it anyway, and say (and exit 1) that it is not
        // in the history.
        note(&format!("error: the run could not be stored: {e}"));
    }
    if let (Some(m), Some(error)) = (&model, finished.llm_error.as_deref()) {
        if args.require_llm {
            return Err(anyhow!(LlmFailed(format!(
                "the language model ({}) failed: {error}; run {} kept without an answer from it (--require-llm)",
                m.describe, record.run_id
            ))));
        }
        note(&format!("warning: the language model ({}) failed: {error}; the answer is extractive", m.describe));
    }

    if json {
        print_record_json(&record)?;
    } else {
        let why = match (&model, record.mode) {
            (_, Mode::Llm) => None,
            (None, _) if args.model.no_llm => Some("--no-llm".to_string()),
            (None, _) => Some("no language model configured".to_string()),
            (Some(_), _) => {
                Some(format!("the language model failed; its calls are in `catena show {} --json`", record.run_id))
            }
        };
        print_record(&record, why.as_deref());
    }
    Ok(if finished.not_stored.is_none() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `--require-llm` and the model did not write the answer: a fatal error with its own code.
#[derive(Debug)]
pub(crate) struct LlmFailed(String);

impl std::fmt::Display for LlmFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LlmFailed {}

/// First Ctrl-C: cancel the run (the engine stops at its next step or model call, nothing is
/// stored). Second: exit at once.
fn spawn_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            note("\ninterrupted: stopping the run (Ctrl-C again to quit at once)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

/// A line on stderr. A closed stderr must not kill a run that is otherwise fine, so write
/// errors are ignored (`eprintln!` would panic).
fn note(s: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{s}");
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Kept => "guess kept",
        Decision::Replaced => "guess replaced",
        Decision::Filled => "filled from references",
        Decision::NoEvidence => "no evidence",
    }
}

fn status_name(s: NodeStatus) -> &'static str {
    match s {
        NodeStatus::Pending => "pending",
        NodeStatus::Running => "running",
        NodeStatus::Done => "done",
        NodeStatus::Failed => "failed",
        NodeStatus::Skipped => "skipped",
    }
}

fn one_line(s: &str, max_chars: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        let cut: String = flat.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// How a finished node ended, on one line: `done: guess kept, MRFS 0.87, 2 sources → 1844`.
fn node_outcome(n: &NodeRecord) -> String {
    let mut line = status_name(n.status).to_string();
    let mut facts = Vec::new();
    if let Some(d) = n.decision {
        facts.push(decision_name(d).to_string());
    }
    if let Some(m) = n.mrfs {
        facts.push(format!("MRFS {m:.2}"));
    }
    if !n.evidence.is_empty() {
        facts.push(format!("{} {}", n.evidence.len(), if n.evidence.len() == 1 { "source" } else { "sources" }));
    }
    if !facts.is_empty() {
        line.push_str(&format!(": {}", facts.join(", ")));
    }
    if !n.answer.trim().is_empty() {
        line.push_str(&format!(" → {}", one_line(&n.answer, 100)));
    }
    if let Some(r) = n.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        line.push_str(&format!(" ({})", one_line(r, 120)));
    }
    line
}

/// Progress on stderr, as the engine reports it.
async fn print_events(mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>, live: bool) {
    let mut actions = HashMap::new();
    let mut streaming = false;
    while let Some(event) = rx.recv().await {
        match event {
            // Agent mode plans nothing up front: its actions arrive as the model asks for them.
            Event::PlanReady { nodes } if nodes.is_empty() => note("agent: the model is thinking"),
            Event::PlanReady { nodes } => {
                note(&format!("plan: {} {}", nodes.len(), if nodes.len() == 1 { "step" } else { "steps" }));
                for n in &nodes {
                    actions.insert(n.id, n.action);
                    let after = if n.depends_on.is_empty() {
                        String::new()
                    } else {
                        let ids: Vec<String> = n.depends_on.iter().map(|d| format!("#{d}")).collect();
                        format!(" (after {})", ids.join(", "))
                    };
                    note(&format!("  #{} {}: {}{after}", n.id, n.action.as_str(), one_line(&n.sub_question, 160)));
                }
            }
            Event::NodeStarted { id } => {
                let action = actions.get(&id).map(|a| a.as_str()).unwrap_or("step");
                note(&format!("#{id} started ({action})"));
            }
            Event::NodeFinished { node } => {
                note(&format!("#{} {} {}", node.id, node.action.as_str(), node_outcome(&node)))
            }
            Event::AnswerDelta { text } if live => {
                let mut err = std::io::stderr().lock();
                if !streaming {
                    let _ = write!(err, "answer: ");
                    streaming = true;
                }
                let _ = write!(err, "{text}");
                let _ = err.flush();
            }
            Event::Verified { citations, unsupported_sentences, .. } => {
                if streaming {
                    note("");
                }
                note(&format!(
                    "checked: {} {}, {} unsupported {}",
                    citations.len(),
                    if citations.len() == 1 { "citation" } else { "citations" },
                    unsupported_sentences.len(),
                    if unsupported_sentences.len() == 1 { "sentence" } else { "sentences" },
                ));
            }
            Event::AnswerDelta { .. }
            | Event::ThinkingDelta { .. }
            | Event::EvidenceFound { .. }
            | Event::Finished { .. } => {}
        }
    }
}

/// The record as `ask --json` and `show --json` print it: one serialisation for both, so a
/// stored run prints exactly as it did when it ran.
fn print_record_json(record: &RunRecord) -> anyhow::Result<()> {
    say(&serde_json::to_string_pretty(record).context("cannot write the run as JSON")?);
    Ok(())
}

/// The human rendering: the answer, its sources, what was not supported, and a footer.
fn print_record(r: &RunRecord, extractive_reason: Option<&str>) {
    if let Some(why) = extractive_reason {
        say(&format!("extractive answer ({why})"));
        say("");
    }
    if r.answer.trim().is_empty() {
        if r.run_mode == RunMode::Agent && r.usage.calls.iter().any(|c| !c.ok) {
            say(&format!(
                "no answer: the language model failed before answering; its calls are in `catena show {} --json`",
                r.run_id
            ));
        } else {
            say("no answer: nothing in the library answers this question");
        }
    } else {
        say(r.answer.trim());
    }
    let cited: BTreeSet<u32> = r.citations.iter().map(|c| c.evidence_id).collect();
    if !cited.is_empty() {
        say("");
        say("Sources:");
        for e in r.evidence.iter().filter(|e| cited.contains(&e.id)) {
            let mut label = e.title.clone();
            // A document's top heading is often its title: `Guide, Guide` says nothing twice.
            if !e.location.is_empty() && e.location != e.title {
                label.push_str(&format!(", {}", e.location));
            }
            say(&format!("  [{}] {label}", e.id));
            if let Some(place) = e.path.as_deref().or(e.url.as_deref()) {
                say(&format!("      {place}"));
            }
        }
    }
    if !r.unsupported_sentences.is_empty() {
        say("");
        say("Not supported by the cited sources:");
        for s in &r.unsupported_sentences {
            say(&format!("  - {}", one_line(s, 200)));
        }
    }
    if !r.conflicts.is_empty() {
        say("");
        say("Sources that disagree:");
        for c in &r.conflicts {
            let parts: Vec<String> =
                c.evidence_ids.iter().zip(&c.answers).map(|(id, a)| format!("[{id}] {}", one_line(a, 60))).collect();
            say(&format!("  step #{}: {}", c.node_id, parts.join("; ")));
        }
    }
    say("");
    let mode = match (r.run_mode, r.mode) {
        (RunMode::Agent, _) => "agent",
        (RunMode::Chain, Mode::Llm) => "llm",
        (RunMode::Chain, Mode::Extractive) => "extractive",
    };
    say(&format!(
        "run {} · {mode} · {} {} · {} model {} · {:.1} s",
        r.run_id,
        r.nodes.len(),
        match (r.run_mode, r.nodes.len()) {
            (RunMode::Agent, 1) => "action",
            (RunMode::Agent, _) => "actions",
            (RunMode::Chain, 1) => "step",
            (RunMode::Chain, _) => "steps",
        },
        r.usage.llm_calls,
        if r.usage.llm_calls == 1 { "call" } else { "calls" },
        r.usage.wall_ms as f64 / 1000.0
    ));
}

/// The catalog of `dir`, or None when the data directory has none yet (reading history must not
/// create a library).
async fn history(dir: &Path) -> anyhow::Result<Option<Catalog>> {
    let path = dir.join("catalog.db");
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(Catalog::open(&path).await?))
}

/// `catena runs`.
pub(crate) async fn runs(dir: &Path, limit: usize, json: bool) -> anyhow::Result<ExitCode> {
    let list: Vec<RunSummary> = match history(dir).await? {
        Some(catalog) => catalog.list_runs(limit).await?,
        None => Vec::new(),
    };
    if json {
        let items: Vec<serde_json::Value> = list
            .iter()
            .map(|s| {
                serde_json::json!({
                    "run_id": s.run_id,
                    "question": s.question,
                    "mode": s.mode,
                    "started_at": s.started_at,
                    "wall_ms": s.wall_ms,
                    "llm_calls": s.llm_calls,
                })
            })
            .collect();
        say(&serde_json::to_string_pretty(&items).context("cannot write the runs as JSON")?);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        say("no runs yet — ask a question with `catena ask QUESTION`");
    }
    for s in &list {
        let mode = match s.mode {
            Mode::Llm => "llm",
            Mode::Extractive => "extractive",
        };
        // `2026-01-02T03:04:05.678Z` → `2026-01-02 03:04` (UTC).
        let when = s.started_at.get(..16).unwrap_or(&s.started_at).replace('T', " ");
        say(&format!("{}  {when}  {mode:<10}  {}", s.run_id, one_line(&s.question, 80)));
    }
    Ok(ExitCode::SUCCESS)
}

/// `catena show`.
pub(crate) async fn show(dir: &Path, run_id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let record = match history(dir).await? {
        Some(catalog) => catalog.get_run(run_id).await?,
        None => None,
    };
    let Some(record) = record else {
        bail!("no run '{}' in the history (see `catena runs`)", run_id.trim());
    };
    if json {
        print_record_json(&record)?;
        return Ok(ExitCode::SUCCESS);
    }
    say(&format!("question: {}", record.question));
    say(&format!("asked:    {}", record.started_at));
    say("");
    for n in &record.nodes {
        say(&format!("  #{} {}: {}", n.id, n.action.as_str(), one_line(&n.sub_question, 160)));
        say(&format!("     {}", node_outcome(n)));
    }
    say("");
    let why = (record.mode == Mode::Extractive).then_some(if record.settings.use_llm {
        "the language model failed"
    } else {
        "no language model used"
    });
    print_record(&record, why);
    Ok(ExitCode::SUCCESS)
}

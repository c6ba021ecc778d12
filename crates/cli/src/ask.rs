//! `catena ask`, `catena runs`, `catena show`: questions over the library, and their history.
//!
//! `ask` opens the library read-only (asking never waits for an ingest), reads the settings the
//! desktop app and `catena config` store in the same catalog, applies the flags (and their
//! environment variables) on top, lets `session` compose the run (model, web, tables, keys),
//! runs the engine while printing its events on stderr, stores the finished run in the catalog,
//! then prints it.
//! `--json` prints the [`RunRecord`] and nothing else on stdout; `show --json` prints the stored
//! record with the same serialisation, so the two are byte-for-byte equal.
//!
//! A run that is cancelled (Ctrl-C) stores nothing and exits 130. A run is stored before it is
//! printed, so a run that was printed can always be shown again. On a read-only library the run
//! is answered and printed but not stored: a warning on stderr says so, `--json` adds
//! `"stored": false` and `warning`, and the exit code is 0.

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Args, ValueEnum};
use engine::ports::Sensitive;
use engine::run::{
    AgentProtocol, Decision, Event, Mode, NodeRecord, NodeStatus, Observations, PredictionRecord, RunMode, RunRecord,
};
use engine::{CancellationToken, Engine, EngineError};
use library::Library;
use llm::ProviderKind;
use secrets::SecretStore;
use session::{ComposeError, LlmProvider, Missing, NoModel, Run, WebProvider};
use store::{Catalog, RunSummary};

use crate::output::say;

/// `catena ask` arguments.
/// The model to answer with, over the stored settings (`catena ask`, `catena mcp`).
#[derive(Args, Debug)]
pub(crate) struct ModelArgs {
    /// Answer extractively, without a language model, even when one is configured.
    #[arg(long)]
    no_llm: bool,
    /// Base URL of the model server, e.g. http://localhost:11434/v1. Default: the model in the
    /// settings (`catena config`, the app's Settings); without one (and without `--provider
    /// anthropic`), answers are extractive.
    #[arg(long, env = "CATENA_LLM_URL", value_name = "URL")]
    llm_url: Option<String>,
    /// Model name. Default: the settings' model.
    #[arg(long, env = "CATENA_LLM_MODEL", value_name = "NAME")]
    model: Option<String>,
    /// The API the server speaks: openai-compatible, ollama or anthropic. Default: the settings'
    /// provider, or openai-compatible when the settings configure no model.
    #[arg(long, env = "CATENA_LLM_PROVIDER", value_name = "KIND")]
    provider: Option<String>,
}

/// The web search, over the stored settings (`catena ask`, `catena mcp`).
#[derive(Args, Debug)]
pub(crate) struct WebArgs {
    /// Search the web with this provider: wikipedia (no key), searxng (needs --search-url), brave
    /// or tavily (their keys come from the keyring: `catena key set brave`). Default: the
    /// settings' (`catena config set web.offline false` turns the web on).
    #[arg(long, value_name = "PROVIDER")]
    web: Option<String>,
    /// Address of the search provider: required for searxng, overrides the others' default.
    #[arg(long, value_name = "URL")]
    search_url: Option<String>,
    /// Let web page fetches reach loopback and private-network addresses (refused by default).
    #[arg(long)]
    allow_private_network: bool,
    /// No web traffic at all: web steps are recorded as not run, with the reason.
    #[arg(long)]
    offline: bool,
}

impl ModelArgs {
    /// These flags as overrides of the stored settings.
    pub(crate) fn apply(&self, o: &mut session::Overrides) -> anyhow::Result<()> {
        o.no_llm = self.no_llm;
        o.llm_provider = match self.provider.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(p.parse::<LlmProvider>().map_err(|e| anyhow!("--provider: {e}"))?),
            None => None,
        };
        o.llm_url = self.llm_url.clone();
        o.model = self.model.clone();
        Ok(())
    }
}

impl WebArgs {
    /// These flags as overrides of the stored settings.
    pub(crate) fn apply(&self, o: &mut session::Overrides) -> anyhow::Result<()> {
        o.web = match self.web.as_deref() {
            Some(w) => Some(w.parse::<WebProvider>().map_err(|e| anyhow!("--web: {e}"))?),
            None => None,
        };
        o.search_url = self.search_url.clone();
        o.offline = self.offline;
        o.allow_private_network = self.allow_private_network;
        Ok(())
    }
}

#[derive(Args, Debug)]
pub(crate) struct AskArgs {
    /// The question (several words are joined with spaces, so quoting is optional).
    #[arg(required = true, value_name = "QUESTION")]
    question: Vec<String>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    #[command(flatten)]
    pub(crate) web: WebArgs,
    /// Fail (exit 2) instead of answering extractively when the language model is not
    /// configured or fails; the failed run is still kept in the history.
    #[arg(long, conflicts_with = "no_llm")]
    require_llm: bool,
    /// MRFS threshold τ in [0, 1]: a guess scoring at least this against a reference is kept.
    #[arg(long, value_name = "F")]
    mrfs_threshold: Option<f64>,
    /// For steps the planner answered itself: retrieve and verify the guess, or skip retrieval.
    /// Default: the settings' (verify unless changed).
    #[arg(long, value_enum)]
    missing_policy: Option<Policy>,
    /// References retrieved per step.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
    /// Longest chain of steps.
    #[arg(long, value_name = "N")]
    max_nodes: Option<usize>,
    /// chain: plan the steps, run them, then answer (Chain-of-Action). agent: a reasoning model
    /// looks things up from inside its own thinking (AutoCoA tags) and answers; needs a model.
    /// Default: the settings' `engine.run_mode` (chain unless changed).
    #[arg(long, value_enum)]
    mode: Option<AskMode>,
    /// Agent mode: how the model asks for actions. tags: AutoCoA's tags inside its thinking;
    /// tools: the provider's native tool calling; auto: tags for models trained on them
    /// (AutoCoA, R1 distills, QwQ), tools for the rest.
    /// Default: the settings' `engine.agent_protocol` (auto unless changed).
    #[arg(long, value_enum)]
    agent_protocol: Option<ProtocolArg>,
    /// Agent mode: real: actions only. predict: the model first writes the observation it
    /// expects, and where the library disagrees the run says so. predicted-only: no action
    /// runs; the model goes on from its own predictions, which are never cited.
    /// Default: the settings' `engine.observations` (real unless changed).
    #[arg(long, value_enum)]
    observations: Option<ObservationsArg>,
}

pub(crate) use session::cli::{AskModeArg as AskMode, ProtocolArg};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ObservationsArg {
    /// Real observations only.
    Real,
    /// Predict, then compare with the real one.
    Predict,
    /// Predictions only.
    PredictedOnly,
}

impl From<ObservationsArg> for session::ObservationsChoice {
    fn from(a: ObservationsArg) -> session::ObservationsChoice {
        match a {
            ObservationsArg::Real => session::ObservationsChoice::Real,
            ObservationsArg::Predict => session::ObservationsChoice::Predict,
            ObservationsArg::PredictedOnly => session::ObservationsChoice::PredictedOnly,
        }
    }
}

impl From<ObservationsArg> for Observations {
    fn from(a: ObservationsArg) -> Observations {
        match a {
            ObservationsArg::Real => Observations::Real,
            ObservationsArg::Predict => Observations::Predict,
            ObservationsArg::PredictedOnly => Observations::PredictedOnly,
        }
    }
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

impl AskArgs {
    /// The flags as overrides of the stored settings.
    fn overrides(&self) -> anyhow::Result<session::Overrides> {
        for (flag, value) in [("--top-k", self.top_k), ("--max-nodes", self.max_nodes)] {
            if value == Some(0) {
                bail!("{flag} must be at least 1");
            }
        }
        if let Some(t) = self.mrfs_threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            bail!("--mrfs-threshold must be between 0 and 1 (got {t})");
        }
        let mut o = session::Overrides {
            mode: self.mode.map(Into::into),
            agent_protocol: self.agent_protocol.map(Into::into),
            observations: self.observations.map(Into::into),
            mrfs_threshold: self.mrfs_threshold,
            missing_policy: self.missing_policy.map(|p| match p {
                Policy::Verify => Missing::RetrieveAndVerify,
                Policy::Skip => Missing::SkipRetrieval,
            }),
            top_k: self.top_k,
            max_nodes: self.max_nodes,
            ..session::Overrides::default()
        };
        self.model.apply(&mut o)?;
        self.web.apply(&mut o)?;
        Ok(o)
    }
}

/// The keyring; where there is none, runs go on without stored keys (a note says why).
pub(crate) fn key_store() -> Arc<dyn SecretStore> {
    let (keys, problem) = session::cli::key_store();
    if let Some(p) = problem {
        note(&format!("warning: {p}"));
    }
    keys
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
    let overrides = args.overrides()?;
    let cancel = CancellationToken::new();
    let lib = Library::open_read(dir).await?;
    let stored = session::load(lib.catalog()).await.context("cannot read the settings")?;
    let settings = stored.with_overrides(&overrides).map_err(|e| anyhow!("the settings with these flags: {e}"))?;
    if args.require_llm && !settings.llm.enabled {
        bail!(
            "--require-llm: no language model configured (`catena config set llm.enabled true`, or --llm-url and --model)"
        );
    }
    // The knowledge-base action searches hybrid when semantic search is on.
    crate::embedding::configure(&lib, embedder, dir).await;
    let lib = Arc::new(lib);
    let keys = key_store();
    let run = match session::prepare(lib.clone(), settings, args.web.offline, keys.as_ref(), &cancel) {
        Ok(run) => run,
        Err(ComposeError::AgentNeedsModel) => bail!(
            "agent mode needs a language model: pass --llm-url and --model (or set CATENA_LLM_URL and CATENA_LLM_MODEL, or configure one with `catena config set`)"
        ),
        Err(ComposeError::NoModelName { .. }) => {
            bail!("no model name: pass --model NAME or set CATENA_LLM_MODEL (or pass --no-llm)")
        }
        Err(e) => return Err(anyhow!(e)),
    };
    for n in &run.notes {
        note(&format!("warning: {n}"));
    }
    if args.require_llm && run.model.is_err() {
        bail!("--require-llm: no language model configured (set --llm-url and --model)");
    }
    match &run.model {
        Ok(m) => note(&format!("asking {}", m.describe)),
        Err(NoModel::Disabled) if args.model.no_llm => note("answering extractively (--no-llm)"),
        Err(NoModel::Disabled | NoModel::NotConfigured) => {
            note(
                "answering extractively: no language model configured (set --llm-url and --model, or `catena config set`)",
            );
            // A model server already running here is worth a hint; the probe costs at most ~0.3 s.
            if let Some(hint) = crate::models::local_server_hint().await {
                note(&hint);
            }
        }
    }
    let web = &run.web;
    if web.offline {
        if args.web.offline {
            note("offline: no web requests are made");
        }
    } else {
        if web.key_missing {
            note(&format!(
                "warning: no API key for {0}: store one with `catena key set {0}`; web steps will fail",
                web.provider
            ));
        }
        note(&format!("searching the web with {} at {}", web.provider, web.url));
    }
    let Run { config, ports, model, .. } = run;

    spawn_ctrl_c(cancel.clone());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // Live answer text only helps someone watching a terminal, and only when a model writes it
    // (an extractive answer arrives in one piece and is printed in full at the end anyway).
    let live = !json && model.is_ok() && std::io::stderr().is_terminal();
    let printer = tokio::spawn(print_events(rx, live));
    let result = Engine::new(config, ports).ask(&question, &tx, &cancel).await;
    drop(tx);
    // The printer ends when the channel closes; a panic in it only loses progress lines.
    let _ = printer.await;

    let record = match result {
        Ok(r) if !cancel.is_cancelled() => r,
        Ok(_) | Err(EngineError::Cancelled) => {
            note("interrupted: the run was not stored");
            return Ok(ExitCode::from(130));
        }
        Err(EngineError::ProviderAuth(message)) => {
            let (url, provider, key) = match &model {
                Ok(m) => (m.url.as_str(), llm::ProviderKind::from(m.provider).as_str(), m.key.as_ref()),
                Err(_) => ("", "", None),
            };
            let hint = if key.is_some() {
                "check the API key (CATENA_LLM_API_KEY, or the one stored with `catena key set`)"
            } else {
                "no API key was sent: set CATENA_LLM_API_KEY or store one with `catena key set`"
            };
            bail!("the {provider} server at {url} refused the credentials ({}); {hint}", scrub(&message, key));
        }
        Err(e) => return Err(anyhow!(e)),
    };

    // The answer is already paid for: it is printed whether or not the history can keep it. A
    // read-only library is an expected state (exit 0, a plain warning); any other failure to
    // store is an error (exit 1).
    let not_stored = match library::read_only_cause(dir) {
        Some(cause) => Some(NotStored::ReadOnly(cause)),
        None => match lib.catalog().save_run(&record).await {
            Ok(()) => None,
            Err(e) if e.is_read_only() => Some(NotStored::ReadOnly(library::ReadOnlyCause::NotWritable)),
            Err(e) => Some(NotStored::Failed(e.to_string())),
        },
    };
    match &not_stored {
        Some(n @ NotStored::ReadOnly(_)) => note(&format!("warning: {}", n.message())),
        Some(n @ NotStored::Failed(_)) => note(&format!("error: {}", n.message())),
        None => {}
    }
    if let (Ok(m), Some(error)) = (&model, record.llm_error.as_deref()) {
        let error = scrub(error, m.key.as_ref());
        if args.require_llm {
            return Err(anyhow!(LlmFailed(format!(
                "the language model ({}) failed: {error}; run {} kept without an answer from it (--require-llm)",
                m.describe, record.run_id
            ))));
        }
        note(&format!("warning: the language model ({}) failed: {error}; the answer is extractive", m.describe));
    }

    if json {
        match &not_stored {
            None => print_record_json(&record)?,
            Some(n) => print_unstored_record_json(&record, n)?,
        }
    } else {
        let why = match (&model, record.mode) {
            (_, Mode::Llm) => None,
            (Err(NoModel::Disabled), _) if args.model.no_llm => Some("--no-llm".to_string()),
            (Err(_), _) => Some("no language model configured".to_string()),
            (Ok(_), _) => {
                Some(format!("the language model failed; its calls are in `catena show {} --json`", record.run_id))
            }
        };
        print_record(&record, why.as_deref());
    }
    Ok(match not_stored {
        Some(NotStored::Failed(_)) => ExitCode::from(1),
        None | Some(NotStored::ReadOnly(_)) => ExitCode::SUCCESS,
    })
}

/// Why a finished run is not in the history.
enum NotStored {
    /// The library is read-only: nothing may be written to it.
    ReadOnly(library::ReadOnlyCause),
    /// Writing it failed.
    Failed(String),
}

impl NotStored {
    /// The warning `ask` prints on stderr and puts in `--json`'s `warning`.
    fn message(&self) -> String {
        match self {
            NotStored::ReadOnly(cause) => format!(
                "the run was not saved to the history because the library is read-only ({cause}); \
                 `catena runs` and `catena show` will not list it"
            ),
            NotStored::Failed(e) => format!("the run could not be stored: {e}"),
        }
    }
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

/// Removes any occurrence of the key from a provider's message (the llm crate already scrubs
/// them; this is the last line of defence before the terminal).
fn scrub(message: &str, key: Option<&Sensitive>) -> String {
    match key {
        Some(k) if k.expose().len() >= 4 => message.replace(k.expose(), "<redacted>"),
        _ => message.to_string(),
    }
}

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

/// What the model expected of an action, and what came of it, on one line.
fn prediction_line(p: &PredictionRecord) -> String {
    let expected = one_line(&p.predicted, 160);
    if p.used_as_observation {
        format!("#{} used the model's own expectation (its knowledge, not a source): {expected}", p.node_id)
    } else if p.disagrees {
        let found = p.found.as_deref().map_or_else(|| "something else".to_string(), |f| one_line(f, 160));
        format!("#{} the model expected \"{expected}\"; the library says \"{found}\"", p.node_id)
    } else {
        format!("#{} the library bears out what the model expected", p.node_id)
    }
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
            Event::ObservationPredicted { prediction } => note(&prediction_line(&prediction)),
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

/// `ask --json` for a run the history did not keep: the record with `"stored": false` and a
/// `warning` saying why (a stored run prints exactly as `show --json` will print it).
fn print_unstored_record_json(record: &RunRecord, why: &NotStored) -> anyhow::Result<()> {
    /// The record's own fields first, in their usual order, then the two that say it was not kept.
    #[derive(serde::Serialize)]
    struct Unstored<'a> {
        #[serde(flatten)]
        record: &'a RunRecord,
        stored: bool,
        warning: String,
    }
    let unstored = Unstored { record, stored: false, warning: why.message() };
    say(&serde_json::to_string_pretty(&unstored).context("cannot write the run as JSON")?);
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
    let noted: Vec<&PredictionRecord> = r.predictions.iter().filter(|p| p.disagrees || p.used_as_observation).collect();
    if !noted.is_empty() {
        say("");
        say("Predicted observations:");
        for p in noted {
            say(&format!("  {}", prediction_line(p)));
        }
    }
    say("");
    let mode = match (r.run_mode, r.mode, r.agent_protocol) {
        (RunMode::Agent, _, Some(AgentProtocol::Tools)) => "agent (tool calls)",
        (RunMode::Agent, _, _) => "agent",
        (RunMode::Chain, Mode::Llm, _) => "llm",
        (RunMode::Chain, Mode::Extractive, _) => "extractive",
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

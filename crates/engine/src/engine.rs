//! The entry point: [`Engine::ask`] runs one question through plan → execute → answer → verify.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::EngineConfig;
use crate::plan::{self, Plan};
use crate::ports::{ChatRequest, Clock, Corpus, Llm, LlmError, LlmErrorKind, TableAnalyst, WebSearch};
use crate::run::{
    Action, AgentProtocol, CallPurpose, CallRecord, Event, EvidenceRecord, Mode, Observations, RunMode, RunRecord,
    SettingsRecord, UsageRecord,
};
use crate::{agent, answer, execute, heuristic, prompts};

/// The adapters a run uses. Only the corpus and the clock are required; a missing model means
/// extractive mode, a missing web or table port means those actions are skipped.
#[derive(Clone)]
pub struct Ports {
    /// The language model (planning, summaries, the final answer).
    pub llm: Option<Arc<dyn Llm>>,
    /// The user's document library (the knowledge-base action).
    pub corpus: Arc<dyn Corpus>,
    /// Web search (the web action).
    pub web: Option<Arc<dyn WebSearch>>,
    /// Table analysis (the data action).
    pub tables: Option<Arc<dyn TableAnalyst>>,
    /// Wall-clock time for the record's timestamps.
    pub clock: Arc<dyn Clock>,
}

impl Ports {
    /// Ports with a library and a clock only (extractive, offline).
    pub fn new(corpus: Arc<dyn Corpus>, clock: Arc<dyn Clock>) -> Ports {
        Ports { llm: None, corpus, web: None, tables: None, clock }
    }

    /// Adds a model.
    pub fn with_llm(mut self, llm: Arc<dyn Llm>) -> Ports {
        self.llm = Some(llm);
        self
    }

    /// Adds web search.
    pub fn with_web(mut self, web: Arc<dyn WebSearch>) -> Ports {
        self.web = Some(web);
        self
    }

    /// Adds table analysis.
    pub fn with_tables(mut self, tables: Arc<dyn TableAnalyst>) -> Ports {
        self.tables = Some(tables);
        self
    }

    /// Actions this set of ports can run, in prompt order.
    pub(crate) fn available(&self) -> Vec<Action> {
        let mut v = vec![Action::KnowledgeBase];
        if self.web.is_some() {
            v.push(Action::WebSearch);
        }
        if self.tables.is_some() {
            v.push(Action::DataAnalysis);
        }
        v
    }
}

/// Why a run produced no record. Everything else (failed actions, bad plans, a model that fails
/// midway) is recorded in the [`RunRecord`] instead: partial failure is data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The caller cancelled the run.
    #[error("cancelled")]
    Cancelled,
    /// The question cannot be asked (empty).
    #[error("invalid question: {0}")]
    InvalidInput(String),
    /// The model provider refused the credentials (a retry cannot help; the user must act).
    #[error("the language model provider refused the credentials: {0}")]
    ProviderAuth(String),
    /// A bug: an engine task panicked.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Runs questions. Cheap to clone; holds no state between runs.
#[derive(Clone)]
pub struct Engine {
    config: EngineConfig,
    ports: Ports,
}

/// State shared by the tasks of one run.
pub(crate) struct RunCtx {
    pub config: EngineConfig,
    pub ports: Ports,
    /// The model, unless this run is extractive.
    pub llm: Option<Arc<dyn Llm>>,
    pub question: String,
    pub events: UnboundedSender<Event>,
    pub cancel: CancellationToken,
    pub evidence: Mutex<Vec<EvidenceRecord>>,
    pub usage: Mutex<UsageRecord>,
    /// The first model error of the run, in the provider adapter's words (keys scrubbed).
    pub llm_error: Mutex<Option<String>>,
    /// That error's kind.
    pub llm_error_kind: Mutex<Option<LlmErrorKind>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Locks are never held across an await or a call that can panic; recover rather than
    // poison the whole run if that ever changes.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunCtx {
    pub(crate) fn emit(&self, e: Event) {
        // A receiver that went away only means nobody watches; the run still completes.
        let _ = self.events.send(e);
    }

    pub(crate) fn count_action(&self) {
        lock(&self.usage).actions += 1;
    }

    /// Awaits `fut` unless the run is cancelled first.
    pub(crate) async fn guard<T>(&self, fut: impl Future<Output = T>) -> Result<T, EngineError> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(EngineError::Cancelled),
            v = fut => Ok(v),
        }
    }

    /// One completion, accounted for. `Err(Ok(e))` is cancellation; `Err(Err(e))` a model error.
    pub(crate) async fn complete(
        &self,
        purpose: CallPurpose,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<String, CallError> {
        self.complete_counted(purpose, request, on_delta).await.map(|(text, _)| text)
    }

    /// [`RunCtx::complete`], also returning the completion tokens the provider reported (0 when
    /// it reported none).
    pub(crate) async fn complete_counted(
        &self,
        purpose: CallPurpose,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<(String, u64), CallError> {
        self.complete_response(purpose, request, on_delta).await.map(|r| (r.content, r.usage.completion_tokens))
    }

    /// [`RunCtx::complete`], returning the whole response (tool calls included).
    pub(crate) async fn complete_response(
        &self,
        purpose: CallPurpose,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<crate::ports::ChatResponse, CallError> {
        let Some(llm) = &self.llm else {
            return Err(CallError::Llm(LlmError::Protocol { message: "no model configured".into(), calls: 0 }));
        };
        let started = Instant::now();
        let result = self.guard(llm.complete(request, on_delta)).await.map_err(CallError::Engine)?;
        let mut usage = lock(&self.usage);
        match result {
            Ok(resp) => {
                usage.llm_calls += resp.usage.calls;
                usage.prompt_tokens += resp.usage.prompt_tokens;
                usage.completion_tokens += resp.usage.completion_tokens;
                let latency = if resp.latency.is_zero() { started.elapsed() } else { resp.latency };
                usage.calls.push(CallRecord {
                    purpose,
                    prompt_tokens: resp.usage.prompt_tokens,
                    completion_tokens: resp.usage.completion_tokens,
                    latency_ms: latency.as_millis() as u64,
                    ok: true,
                });
                Ok(resp)
            }
            Err(LlmError::Cancelled) => Err(CallError::Engine(EngineError::Cancelled)),
            Err(e) => {
                if lock(&self.llm_error).is_none() {
                    *lock(&self.llm_error) = Some(e.to_string());
                    *lock(&self.llm_error_kind) = Some(e.kind());
                }
                usage.llm_calls += e.calls();
                usage.calls.push(CallRecord {
                    purpose,
                    prompt_tokens: 0,
                    completion_tokens: 0,
                    latency_ms: started.elapsed().as_millis() as u64,
                    ok: false,
                });
                Err(CallError::Llm(e))
            }
        }
    }
}

/// A failed completion: the run must stop (`Engine`) or it can carry on without (`Llm`).
pub(crate) enum CallError {
    Engine(EngineError),
    Llm(LlmError),
}

impl Engine {
    /// An engine with these settings and adapters.
    pub fn new(config: EngineConfig, ports: Ports) -> Engine {
        Engine { config, ports }
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Answers one question.
    ///
    /// Progress goes to `events` as it happens (a dropped receiver is fine); `cancel` stops the
    /// run at the next step or port call, and then the result is `Err(Cancelled)` and no record
    /// exists. The model is used when there is one and `use_llm` is set; otherwise, or when the
    /// model fails before planning, the run is extractive.
    pub async fn ask(
        &self,
        question: &str,
        events: &UnboundedSender<Event>,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, EngineError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(EngineError::InvalidInput("the question is empty".into()));
        }
        let started_at = crate::calendar::rfc3339(self.ports.clock.now_unix_ms());
        let t0 = Instant::now();
        let llm = if self.config.use_llm { self.ports.llm.clone() } else { None };
        let mut ctx = RunCtx {
            config: self.config.clone(),
            ports: self.ports.clone(),
            llm,
            question: question.to_string(),
            events: events.clone(),
            cancel: cancel.clone(),
            evidence: Mutex::new(Vec::new()),
            usage: Mutex::new(UsageRecord::default()),
            llm_error: Mutex::new(None),
            llm_error_kind: Mutex::new(None),
        };

        if self.config.run_mode == RunMode::Agent && ctx.llm.is_some() {
            return self.ask_agent(Arc::new(ctx), started_at, t0).await;
        }

        let (plan, plan_raw) = if ctx.llm.is_some() {
            match self.plan_with_llm(&ctx).await? {
                Planned::Plan(p, raw) => (p, Some(raw)),
                Planned::Unparsable(raw) => (self.heuristic_plan(question), Some(raw)),
                Planned::ModelDown => {
                    // The model failed outright; extractive from here on rather than failing
                    // every later call too.
                    ctx.llm = None;
                    (self.heuristic_plan(question), None)
                }
            }
        } else {
            (self.heuristic_plan(question), None)
        };

        let ctx = Arc::new(ctx);
        let nodes = execute::run(ctx.clone(), &plan).await?;
        let evidence = lock(&ctx.evidence).clone();

        let mut mode = Mode::Extractive;
        let mut text = None;
        let mut found = answer::Extractive::default();
        if ctx.llm.is_some() {
            let req = prompts::answer(question, &nodes, &evidence);
            let sender = ctx.events.clone();
            let on_delta = move |d: &str| {
                let _ = sender.send(Event::AnswerDelta { text: d.to_string() });
            };
            match ctx.complete(CallPurpose::Answer, &req, Some(&on_delta)).await {
                Ok(t) if !t.trim().is_empty() => {
                    mode = Mode::Llm;
                    text = Some(t.trim().to_string());
                }
                Ok(_) | Err(CallError::Llm(_)) => {}
                Err(CallError::Engine(e)) => return Err(e),
            }
        }
        let text = match text {
            Some(t) => t,
            None => {
                let bridges = plan.nodes.iter().filter(|n| n.bridge_from.is_some()).map(|n| n.id).collect();
                let meaning = answer::meaning(ctx.ports.corpus.as_ref(), &nodes, &evidence, &bridges).await;
                found = answer::extractive(question, &nodes, &evidence, &bridges, &meaning);
                if !found.text.is_empty() {
                    ctx.emit(Event::AnswerDelta { text: found.text.clone() });
                }
                found.text.clone()
            }
        };
        if cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        // "Not in your library" cites nothing and claims nothing: there is nothing to check.
        let checked = if found.not_found {
            answer::Checked { answer: text.clone(), ..answer::Checked::default() }
        } else {
            answer::check(&text, &evidence)
        };
        let conflicts = answer::conflicts(&nodes, &evidence);
        ctx.emit(Event::Verified {
            answer: checked.answer.clone(),
            citations: checked.citations.clone(),
            unsupported_sentences: checked.unsupported.clone(),
            conflicts: conflicts.clone(),
            short_answer: found.short_answer.clone(),
            not_found: found.not_found,
        });

        // A model that was meant to write the answer and did not: say why, in the record.
        let llm_error = (self.config.use_llm && self.ports.llm.is_some() && mode != Mode::Llm)
            .then(|| lock(&ctx.llm_error).clone().unwrap_or_else(|| "the model returned an empty answer".to_string()));
        let record = self.record(
            &ctx,
            Outcome {
                started_at,
                t0,
                mode,
                run_mode: RunMode::Chain,
                llm_error,
                checked,
                short_answer: found.short_answer,
                not_found: found.not_found,
                nodes,
                evidence,
                conflicts,
                plan_raw,
            },
        );
        ctx.emit(Event::Finished { run_id: record.run_id.clone() });
        Ok(record)
    }

    /// Agent mode: the model's turn (see `agent`), then the same checks as a chain's answer.
    async fn ask_agent(&self, ctx: Arc<RunCtx>, started_at: String, t0: Instant) -> Result<RunRecord, EngineError> {
        let (turn, protocol) = match self.config.agent_protocol {
            AgentProtocol::Tags => (agent::run(&ctx).await?, AgentProtocol::Tags),
            AgentProtocol::Tools => match agent::tools::run(&ctx).await? {
                Some(turn) => (turn, AgentProtocol::Tools),
                // The server refused tools before anything ran: the tag protocol needs none.
                None => (agent::run(&ctx).await?, AgentProtocol::Tags),
            },
        };
        let evidence = lock(&ctx.evidence).clone();
        // Markers the model left out or got wrong are given to the observation that supports the
        // sentence, where one does; the check then lists whatever nothing supports.
        let text = answer::attribute(&turn.answer, &evidence);
        if !text.is_empty() {
            ctx.emit(Event::AnswerDelta { text: text.clone() });
        }
        if ctx.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let checked = answer::check(&text, &evidence);
        let conflicts = answer::conflicts(&turn.nodes, &evidence);
        ctx.emit(Event::Verified {
            answer: checked.answer.clone(),
            citations: checked.citations.clone(),
            unsupported_sentences: checked.unsupported.clone(),
            conflicts: conflicts.clone(),
            short_answer: None,
            not_found: false,
        });
        let record = self.record(
            &ctx,
            Outcome {
                started_at,
                t0,
                mode: Mode::Llm,
                run_mode: RunMode::Agent,
                llm_error: lock(&ctx.llm_error).clone(),
                checked,
                short_answer: None,
                not_found: false,
                nodes: turn.nodes,
                evidence,
                conflicts,
                plan_raw: Some(turn.transcript),
            },
        );
        let observations = self.config.observations;
        let record = RunRecord {
            agent_protocol: Some(protocol),
            observations: (observations != Observations::Real).then_some(observations),
            predictions: turn.predictions,
            ..record
        };
        ctx.emit(Event::Finished { run_id: record.run_id.clone() });
        Ok(record)
    }

    fn record(&self, ctx: &RunCtx, o: Outcome) -> RunRecord {
        let mut usage = lock(&ctx.usage).clone();
        usage.wall_ms = o.t0.elapsed().as_millis() as u64;
        RunRecord {
            run_id: self.config.run_id.clone(),
            question: ctx.question.clone(),
            mode: o.mode,
            run_mode: o.run_mode,
            agent_protocol: None,
            observations: None,
            predictions: Vec::new(),
            answer: o.checked.answer,
            short_answer: o.short_answer,
            not_found: o.not_found,
            // An answer the model left empty is not its API's answer either.
            llm_error_kind: o
                .llm_error
                .as_ref()
                .map(|_| lock(&ctx.llm_error_kind).unwrap_or(crate::ports::LlmErrorKind::BadResponse)),
            llm_error: o.llm_error,
            nodes: o.nodes,
            evidence: o.evidence,
            citations: o.checked.citations,
            unsupported_sentences: o.checked.unsupported,
            conflicts: o.conflicts,
            usage,
            plan_raw: o.plan_raw,
            started_at: o.started_at,
            finished_at: crate::calendar::rfc3339(self.ports.clock.now_unix_ms()),
            settings: SettingsRecord {
                mrfs_threshold: self.config.mrfs_threshold,
                missing_policy: self.config.missing_policy,
                max_nodes: self.config.max_nodes,
                top_k: self.config.top_k,
                concurrency: self.config.concurrency,
                use_llm: self.config.use_llm,
            },
        }
    }

    fn heuristic_plan(&self, question: &str) -> Plan {
        let mut nodes = heuristic::decompose(question, self.config.max_nodes);
        if self.ports.web.is_some() {
            nodes = heuristic::with_action(nodes, Action::WebSearch, question, self.config.max_nodes);
        }
        if self.ports.tables.is_some() && heuristic::asks_for_numbers(question) {
            nodes = heuristic::with_action(nodes, Action::DataAnalysis, question, self.config.max_nodes);
        }
        Plan { nodes, final_answer: None }
    }

    /// The planning call, and at most one repair call.
    async fn plan_with_llm(&self, ctx: &RunCtx) -> Result<Planned, EngineError> {
        let req = prompts::plan(&ctx.question, &self.ports.available(), self.config.max_nodes);
        let raw = match ctx.complete(CallPurpose::Plan, &req, None).await {
            Ok(raw) => raw,
            Err(CallError::Engine(e)) => return Err(e),
            Err(CallError::Llm(LlmError::Auth(m))) => return Err(EngineError::ProviderAuth(m)),
            Err(CallError::Llm(_)) => return Ok(Planned::ModelDown),
        };
        let error = match plan::parse(&raw, self.config.max_nodes) {
            Ok(p) => return Ok(Planned::Plan(p, raw)),
            Err(e) => e,
        };
        let repair = prompts::repair(&req, &raw, &error.to_string());
        match ctx.complete(CallPurpose::Repair, &repair, None).await {
            Ok(fixed) => Ok(match plan::parse(&fixed, self.config.max_nodes) {
                Ok(p) => Planned::Plan(p, fixed),
                Err(_) => Planned::Unparsable(fixed),
            }),
            Err(CallError::Engine(e)) => Err(e),
            Err(CallError::Llm(_)) => Ok(Planned::Unparsable(raw)),
        }
    }
}

/// What a finished run puts in its record, besides the settings and the usage.
struct Outcome {
    started_at: String,
    t0: Instant,
    mode: Mode,
    run_mode: RunMode,
    /// Why the model that was meant to answer did not, if it did not.
    llm_error: Option<String>,
    checked: answer::Checked,
    short_answer: Option<crate::run::ShortAnswer>,
    not_found: bool,
    nodes: Vec<crate::run::NodeRecord>,
    evidence: Vec<EvidenceRecord>,
    conflicts: Vec<crate::run::ConflictRecord>,
    plan_raw: Option<String>,
}

enum Planned {
    Plan(Plan, String),
    /// Neither the plan nor its repair parsed; the model still answers.
    Unparsable(String),
    /// The planning call itself failed.
    ModelDown,
}

#[cfg(test)]
#[path = "engine/tests.rs"]
mod tests;

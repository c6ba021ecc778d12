//! The scheduler: runs the chain as a DAG, independent nodes at once (up to `concurrency`), and
//! each node through retrieval, MRFS and keep / replace / fill.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::answer::best_sentence;
use crate::config::MissingPolicy;
use crate::engine::{CallError, EngineError, RunCtx, lock};
use crate::plan::{Plan, PlannedNode};
use crate::ports::{ChatRequest, ChatResponse, Llm, LlmError};
use crate::ports::{Passage, TableError, TableFinding, WebPage};
use crate::run::{
    Action, CallPurpose, Decision, Event, EvidenceKind, EvidenceRecord, NodeRecord, NodeStatus, RetrievalPath,
    ScoreRecord, TableCite,
};
use crate::{heuristic, mrfs, prompts, text};

/// Entities a bridge hop searches for (one search each).
const MAX_BRIDGE_ENTITIES: usize = 5;

/// Longest dependency answer substituted for `#n`, in chars.
const MAX_SUBSTITUTION: usize = 300;

fn initial_record(n: &PlannedNode) -> NodeRecord {
    NodeRecord {
        id: n.id,
        action: n.action,
        sub_question: n.sub_question.clone(),
        depends_on: n.depends_on.clone(),
        missing: n.missing,
        guess_answer: n.guess_answer.clone(),
        answer: String::new(),
        status: NodeStatus::Pending,
        mrfs: None,
        decision: None,
        path: if n.missing { RetrievalPath::RetrievedMissing } else { RetrievalPath::RetrievedVerify },
        reason: (!n.notes.is_empty()).then(|| n.notes.join("; ")),
        scores: Vec::new(),
        evidence: Vec::new(),
    }
}

fn add_reason(r: &mut NodeRecord, why: impl Into<String>) {
    let why = why.into();
    r.reason = Some(match r.reason.take() {
        Some(prev) => format!("{prev}; {why}"),
        None => why,
    });
}

/// Why an action cannot run with these ports, if it cannot (web search off or offline, no
/// table analysis).
pub(crate) fn unavailable(ctx: &RunCtx, a: Action) -> Option<String> {
    match a {
        Action::KnowledgeBase => None,
        Action::WebSearch => match &ctx.ports.web {
            None => Some("web search is off".to_string()),
            Some(web) => web.unavailable(),
        },
        Action::DataAnalysis => ctx.ports.tables.is_none().then(|| "data analysis is off".to_string()),
    }
}

/// Why no table fits a data step's question, if none does (the table port's cheap check). A
/// check that cannot run lets the step run and report its own failure.
async fn no_table_fits(ctx: &RunCtx, question: &str) -> Result<Option<String>, EngineError> {
    let Some(tables) = &ctx.ports.tables else { return Ok(None) };
    Ok(match ctx.guard(tables.fits(question)).await? {
        Err(TableError::NoTable(why)) => Some(why),
        Ok(()) | Err(TableError::Failed(_)) => None,
    })
}

/// Why a step's action gave nothing to record: it failed, or it could not apply.
pub(crate) enum Miss {
    /// The action ran and failed.
    Failed(String),
    /// The action does not apply (no table fits): the step counts as skipped.
    Skipped(String),
}

fn skip(r: &mut NodeRecord, why: impl Into<String>) {
    r.status = NodeStatus::Skipped;
    r.path = RetrievalPath::SkippedRetrieval;
    r.answer = r.guess_answer.clone();
    add_reason(r, why);
}

/// Replaces `#n` by node n's answer (only for n in `answers`; `#12` is never read as `#1`).
pub(crate) fn substitute(s: &str, answers: &HashMap<u32, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('#') {
        out.push_str(&rest[..p]);
        let digits: String = rest[p + 1..].chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<u32>().ok().and_then(|n| answers.get(&n)) {
            Some(a) => out.push_str(&text::clip(a, MAX_SUBSTITUTION)),
            None => out.push_str(&rest[p..p + 1 + digits.len()]),
        }
        rest = &rest[p + 1 + digits.len()..];
    }
    out.push_str(rest);
    out
}

/// Runs every node of the plan; returns their records in plan order.
pub(crate) async fn run(ctx: Arc<RunCtx>, plan: &Plan) -> Result<Vec<NodeRecord>, EngineError> {
    let mut records: Vec<NodeRecord> = plan.nodes.iter().map(initial_record).collect();
    let index: HashMap<u32, usize> = plan.nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut finished: HashSet<u32> = HashSet::new();
    for (i, n) in plan.nodes.iter().enumerate() {
        let why = match unavailable(&ctx, n.action) {
            Some(why) => Some(why),
            // A data step that needs no other step's answer is checked now, so that it is
            // planned as skipped rather than started.
            None if n.action == Action::DataAnalysis && n.depends_on.is_empty() => {
                no_table_fits(&ctx, &n.sub_question).await?
            }
            None => None,
        };
        if let Some(why) = why {
            skip(&mut records[i], why);
            finished.insert(n.id);
        }
    }
    ctx.emit(Event::PlanReady { nodes: records.clone() });
    for r in records.iter().filter(|r| r.status == NodeStatus::Skipped) {
        ctx.emit(Event::NodeFinished { node: r.clone() });
    }

    let limit = ctx.config.concurrency.max(1);
    let mut started: HashSet<u32> = finished.clone();
    let mut tasks: JoinSet<(usize, Result<NodeRecord, EngineError>)> = JoinSet::new();
    // Task id → node index, so a panicking node can be recorded as failed.
    let mut task_nodes: HashMap<tokio::task::Id, usize> = HashMap::new();
    loop {
        if ctx.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        // Start what is ready, in plan order; settle nodes whose inputs failed on the way.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for (i, n) in plan.nodes.iter().enumerate() {
                if tasks.len() >= limit {
                    break;
                }
                if started.contains(&n.id) || !n.depends_on.iter().all(|d| finished.contains(d)) {
                    continue;
                }
                started.insert(n.id);
                progressed = true;
                let deps: Vec<&NodeRecord> =
                    n.depends_on.iter().filter_map(|d| index.get(d).map(|&j| &records[j])).collect();
                let dead = deps
                    .iter()
                    .find(|d| match n.bridge_from {
                        Some(b) if b == d.id => d.evidence.is_empty(),
                        _ => d.answer.trim().is_empty(),
                    })
                    .map(|d| d.id);
                let answers: HashMap<u32, String> = deps.iter().map(|d| (d.id, d.answer.clone())).collect();
                if let Some(d) = dead {
                    let r = &mut records[i];
                    r.status = NodeStatus::Skipped;
                    r.path = RetrievalPath::SkippedRetrieval;
                    add_reason(r, format!("depends on #{d}, which has no answer"));
                    finished.insert(n.id);
                    ctx.emit(Event::NodeFinished { node: r.clone() });
                    continue;
                }
                let mut node = n.clone();
                node.sub_question = substitute(&n.sub_question, &answers);
                node.guess_answer = substitute(&n.guess_answer, &answers);
                let bridge: Vec<EvidenceRecord> = match n.bridge_from {
                    Some(b) => {
                        let ids: Vec<u32> = index.get(&b).map(|&j| records[j].evidence.clone()).unwrap_or_default();
                        let all = lock(&ctx.evidence);
                        ids.iter().filter_map(|id| all.iter().find(|e| e.id == *id).cloned()).collect()
                    }
                    None => Vec::new(),
                };
                let record = {
                    let mut r = records[i].clone();
                    r.sub_question = node.sub_question.clone();
                    r.guess_answer = node.guess_answer.clone();
                    r.status = NodeStatus::Running;
                    r
                };
                records[i] = record.clone();
                ctx.emit(Event::NodeStarted { id: n.id });
                let ctx2 = ctx.clone();
                let handle = tasks.spawn(async move { (i, run_node(ctx2, node, record, bridge).await) });
                task_nodes.insert(handle.id(), i);
            }
        }
        if tasks.is_empty() {
            break;
        }
        let joined = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(EngineError::Cancelled),
            j = tasks.join_next() => j,
        };
        match joined {
            Some(Ok((i, Ok(r)))) => {
                finished.insert(r.id);
                ctx.emit(Event::NodeFinished { node: r.clone() });
                records[i] = r;
            }
            Some(Ok((_, Err(e)))) => return Err(e),
            Some(Err(e)) => {
                // A bug in one node must not sink the run: record it like any failed action.
                let Some(&i) = task_nodes.get(&e.id()) else {
                    return Err(EngineError::Internal(format!("a node task failed: {e}")));
                };
                let r = &mut records[i];
                r.status = NodeStatus::Failed;
                r.answer = r.guess_answer.clone();
                add_reason(r, format!("internal error: {e}"));
                finished.insert(r.id);
                ctx.emit(Event::NodeFinished { node: r.clone() });
            }
            None => break,
        }
    }
    // Anything never started sits behind a dependency that never finished (cannot happen in a
    // validated DAG; kept so a bug shows as data rather than a hang).
    for r in records.iter_mut().filter(|r| r.status == NodeStatus::Pending) {
        r.status = NodeStatus::Skipped;
        add_reason(r, "its dependencies never finished");
    }
    Ok(records)
}

/// A reference before it gets an id.
pub(crate) struct Found {
    pub(crate) record: EvidenceRecord,
    /// Dedup key: the same chunk or page found twice is one piece of evidence.
    key: String,
}

fn from_passage(p: Passage) -> Found {
    let key = format!("doc:{}:{}", p.doc_id, p.chunk_id);
    let record = EvidenceRecord {
        id: 0,
        node_id: 0,
        kind: EvidenceKind::Document,
        doc_id: Some(p.doc_id),
        chunk_id: Some(p.chunk_id),
        path: Some(p.path),
        title: p.title,
        page: p.location.page(),
        location: p.location.label(),
        url: None,
        span: Some([p.span.start, p.span.end]),
        text: p.text,
        score: p.score,
        fetched_at: None,
        note: None,
        table: None,
    };
    Found { record, key }
}

fn from_page(p: WebPage) -> Found {
    let key = format!("web:{}", p.url);
    let record = EvidenceRecord {
        id: 0,
        node_id: 0,
        kind: EvidenceKind::Web,
        doc_id: None,
        chunk_id: None,
        path: None,
        title: p.title,
        page: None,
        location: String::new(),
        url: Some(p.url),
        span: None,
        text: p.text,
        score: p.score,
        fetched_at: p.fetched_at,
        note: p.note,
        table: None,
    };
    Found { record, key }
}

fn from_finding(f: TableFinding, rank: usize) -> Found {
    let key = format!("table:{:?}:{}:{}", f.doc_id, f.location.label(), f.text);
    let sheet = match &f.location {
        crate::Location::Rows { sheet, .. } => sheet.clone(),
        _ => String::new(),
    };
    let table = TableCite { sheet, columns: f.columns, rows: f.rows, sql: f.sql };
    let record = EvidenceRecord {
        id: 0,
        node_id: 0,
        kind: EvidenceKind::Table,
        doc_id: f.doc_id,
        chunk_id: None,
        path: f.path,
        title: f.title,
        page: f.location.page(),
        location: f.location.label(),
        url: None,
        span: None,
        text: f.text,
        score: 1.0 / (rank as f32 + 1.0),
        fetched_at: None,
        note: None,
        table: Some(table),
    };
    Found { record, key }
}

fn key_of(e: &EvidenceRecord) -> String {
    match e.kind {
        EvidenceKind::Document => {
            format!("doc:{}:{}", e.doc_id.unwrap_or_default(), e.chunk_id.as_deref().unwrap_or(""))
        }
        EvidenceKind::Web => format!("web:{}", e.url.as_deref().unwrap_or("")),
        EvidenceKind::Table => format!("table:{:?}:{}:{}", e.doc_id, e.location, e.text),
    }
}

/// Gives found references ids (reusing the id of one already gathered in this run) and announces
/// the new ones. Returns the references as records, in the order given.
pub(crate) fn register(ctx: &RunCtx, node_id: u32, found: Vec<Found>) -> Vec<EvidenceRecord> {
    let mut out = Vec::new();
    let mut new = Vec::new();
    {
        let mut all = lock(&ctx.evidence);
        for f in found {
            if let Some(e) = all.iter().find(|e| key_of(e) == f.key) {
                if !out.iter().any(|o: &EvidenceRecord| o.id == e.id) {
                    out.push(e.clone());
                }
                continue;
            }
            let mut r = f.record;
            r.id = all.len() as u32 + 1;
            r.node_id = node_id;
            all.push(r.clone());
            new.push(r.clone());
            out.push(r);
        }
    }
    for e in new {
        ctx.emit(Event::EvidenceFound { node_id, evidence: e });
    }
    out
}

/// The run's model as the data-analysis action sees it: every call is accounted to the run
/// (purpose `sql`) and stops with the run.
struct Accounted<'a>(&'a RunCtx);

#[async_trait::async_trait]
impl Llm for Accounted<'_> {
    fn describe(&self) -> String {
        self.0.llm.as_ref().map(|l| l.describe()).unwrap_or_default()
    }

    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        match self.0.complete(CallPurpose::Sql, request, on_delta).await {
            // Already accounted in the run's usage; the caller only needs the text.
            Ok(content) => Ok(ChatResponse { content, ..ChatResponse::default() }),
            Err(CallError::Engine(_)) => Err(LlmError::Cancelled),
            Err(CallError::Llm(e)) => Err(e),
        }
    }
}

/// Runs the action of a node; `Ok(Err(miss))` is an action failure (or a table analysis that
/// found no table) to record.
pub(crate) async fn retrieve(
    ctx: &RunCtx,
    action: Action,
    query: &str,
) -> Result<Result<Vec<Found>, Miss>, EngineError> {
    let k = ctx.config.top_k.max(1);
    ctx.count_action();
    let accounted = &Accounted(ctx);
    Ok(match action {
        Action::KnowledgeBase => ctx
            .guard(ctx.ports.corpus.search(query, k))
            .await?
            .map(|ps| ps.into_iter().map(from_passage).collect())
            .map_err(|e| Miss::Failed(e.to_string())),
        Action::WebSearch => match &ctx.ports.web {
            Some(web) => ctx
                .guard(web.search(query, k))
                .await?
                .map(|ps| ps.into_iter().map(from_page).collect())
                .map_err(|e| Miss::Failed(e.to_string())),
            None => Err(Miss::Skipped("web search is off".to_string())),
        },
        Action::DataAnalysis => match &ctx.ports.tables {
            Some(t) => ctx
                .guard(t.analyze(query, ctx.llm.as_ref().map(|_| accounted as &dyn Llm)))
                .await?
                .map(|fs| fs.into_iter().take(k).enumerate().map(|(i, f)| from_finding(f, i)).collect())
                .map_err(|e| match e {
                    TableError::NoTable(_) => Miss::Skipped(e.to_string()),
                    TableError::Failed(_) => Miss::Failed(e.to_string()),
                }),
            None => Err(Miss::Skipped("data analysis is off".to_string())),
        },
    })
}

/// The second hop of a bridge question: search for entities found in the first hop's evidence,
/// keep the passages that best fit them and the question words the first hop did not cover.
async fn bridge_hop(
    ctx: &RunCtx,
    node: &mut NodeRecord,
    first: &[EvidenceRecord],
) -> Result<Result<Vec<Found>, Miss>, EngineError> {
    let refs: Vec<&EvidenceRecord> = first.iter().collect();
    let entities = heuristic::bridge_entities(&node.sub_question, &refs, MAX_BRIDGE_ENTITIES);
    if entities.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let covered: HashSet<String> =
        first.iter().take(1).flat_map(|e| text::tokens(&format!("{} {}", e.title, e.text))).collect();
    let asked: HashSet<String> = text::tokens(&node.sub_question).into_iter().collect();
    let rest: Vec<String> = text::tokens(&node.sub_question).into_iter().filter(|t| !covered.contains(t)).collect();
    let score = |f: &Found, rank: usize, entity: &HashSet<String>, entity_rank: usize| {
        let title: HashSet<String> = crate::answer::title_core_tokens(&f.record.title).into_iter().collect();
        let body: HashSet<String> =
            text::tokens(&format!("{} {}", f.record.title, f.record.text)).into_iter().collect();
        // The passage named by the entity ("Shirley Temple" for the entity Shirley Temple, "Two
        // Dollar Radio" for "Two Dollar Radio Headquarters") is the bridge's target…
        let named = !title.is_empty() && title.iter().all(|t| entity.contains(t));
        // …and so is a passage whose title the first passage mentions (but the question does not).
        let mentioned =
            !title.is_empty() && title.iter().all(|t| covered.contains(t)) && !title.iter().all(|t| asked.contains(t));
        let rest_hits = rest.iter().filter(|t| body.contains(*t)).count() as f64 / rest.len().max(1) as f64;
        (if named {
            2.0
        } else if mentioned {
            1.5
        } else {
            0.0
        }) + rest_hits
            + 0.5 / (rank as f64 + 1.0)
            + 0.3 / (entity_rank as f64 + 1.0)
    };
    // The first passage is the first hop's answer; the first hop's other passages compete with
    // the second hop's (both paragraphs often share the question's words).
    let mut scored: Vec<(f64, Found)> = Vec::new();
    for (rank, e) in first.iter().enumerate().skip(1) {
        let f = Found { record: e.clone(), key: key_of(e) };
        scored.push((score(&f, rank, &HashSet::new(), MAX_BRIDGE_ENTITIES), f));
    }
    let first_key = first.first().map(key_of);
    for (entity_rank, entity) in entities.iter().enumerate() {
        let query = if rest.is_empty() { entity.clone() } else { format!("{entity} {}", rest.join(" ")) };
        let found = match retrieve(ctx, node.action, &query).await? {
            Ok(f) => f,
            Err(why) => return Ok(Err(why)),
        };
        let etoks: HashSet<String> = text::tokens(entity).into_iter().collect();
        for (rank, f) in found.into_iter().enumerate() {
            let s = score(&f, rank, &etoks, entity_rank);
            if Some(&f.key) == first_key.as_ref() {
                continue;
            }
            match scored.iter_mut().find(|(_, g)| g.key == f.key) {
                Some(prev) => prev.0 = prev.0.max(s),
                None => scored.push((s, f)),
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    node.sub_question = format!("{} (via {})", node.sub_question, entities.join(", "));
    Ok(Ok(scored.into_iter().take(ctx.config.top_k.max(1)).map(|(_, f)| f).collect()))
}

fn is_not_found(answer: &str) -> bool {
    let a = answer.trim().trim_end_matches('.').to_lowercase();
    a.is_empty() || a == "not found" || a == "unknown"
}

/// Answers the sub-question from the references: the model's summary, or the best sentence.
async fn answer_from(ctx: &RunCtx, r: &mut NodeRecord, refs: &[EvidenceRecord]) -> Result<Option<String>, EngineError> {
    let ref_refs: Vec<&EvidenceRecord> = refs.iter().collect();
    if ctx.llm.is_some() {
        let req = prompts::summarize(&r.sub_question, &ref_refs);
        match ctx.complete(CallPurpose::Summarize, &req, None).await {
            Ok(a) if is_not_found(&a) => return Ok(None),
            Ok(a) => return Ok(Some(a.trim().to_string())),
            Err(CallError::Engine(e)) => return Err(e),
            Err(CallError::Llm(e)) => {
                add_reason(r, format!("the summary call failed ({e}); used the best-matching sentence"))
            }
        }
    }
    Ok(best_sentence(&r.sub_question, &r.sub_question, &ref_refs).filter(|b| b.2 > 0).map(|b| b.1))
}

async fn run_node(
    ctx: Arc<RunCtx>,
    node: PlannedNode,
    mut r: NodeRecord,
    bridge: Vec<EvidenceRecord>,
) -> Result<NodeRecord, EngineError> {
    if ctx.cancel.is_cancelled() {
        return Err(EngineError::Cancelled);
    }
    if !node.missing && ctx.config.missing_policy == MissingPolicy::SkipRetrieval && node.bridge_from.is_none() {
        r.path = RetrievalPath::SkippedRetrieval;
        r.answer = r.guess_answer.clone();
        r.status = NodeStatus::Done;
        return Ok(r);
    }
    if node.action == Action::DataAnalysis
        && !node.depends_on.is_empty()
        && let Some(why) = no_table_fits(&ctx, &r.sub_question).await?
    {
        skip(&mut r, why);
        return Ok(r);
    }
    let found = if node.bridge_from.is_some() {
        bridge_hop(&ctx, &mut r, &bridge).await?
    } else {
        retrieve(&ctx, node.action, &r.sub_question).await?
    };
    let found = match found {
        Ok(f) => f,
        Err(Miss::Skipped(why)) => {
            skip(&mut r, why);
            return Ok(r);
        }
        Err(Miss::Failed(why)) => {
            r.status = NodeStatus::Failed;
            r.answer = r.guess_answer.clone();
            add_reason(&mut r, why);
            return Ok(r);
        }
    };
    let refs = register(&ctx, r.id, found);
    r.evidence = refs.iter().map(|e| e.id).collect();
    for e in refs.iter().filter(|e| e.note.is_some()) {
        add_reason(&mut r, format!("[{}] {}", e.id, e.note.as_deref().unwrap_or_default()));
    }
    r.status = NodeStatus::Done;
    if refs.is_empty() {
        r.decision = Some(crate::run::Decision::NoEvidence);
        r.answer = r.guess_answer.clone();
        return Ok(r);
    }

    if !r.guess_answer.is_empty() {
        let texts: Vec<String> = refs.iter().map(|e| format!("{}. {}", e.title, e.text)).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let scores = mrfs::scores(&r.guess_answer, &texts);
        r.scores = refs.iter().zip(&scores).map(|(e, s)| ScoreRecord { evidence_id: e.id, score: *s }).collect();
        r.mrfs = Some(scores.iter().copied().fold(0.0, f64::max));
    }
    let kept = !r.missing && r.mrfs.is_some_and(|s| s >= ctx.config.mrfs_threshold);
    if kept {
        r.decision = Some(Decision::Kept);
        r.answer = r.guess_answer.clone();
        // The best-scoring reference goes first: it is the guess's citation.
        if let Some(best) = r.scores.iter().max_by(|a, b| a.score.total_cmp(&b.score)).map(|s| s.evidence_id) {
            r.evidence.retain(|&e| e != best);
            r.evidence.insert(0, best);
        }
        return Ok(r);
    }
    match answer_from(&ctx, &mut r, &refs).await? {
        Some(a) => {
            r.decision = Some(if r.missing { Decision::Filled } else { Decision::Replaced });
            r.answer = a;
        }
        None => {
            r.decision = Some(Decision::NoEvidence);
            r.answer = r.guess_answer.clone();
            add_reason(&mut r, "the references do not answer the sub-question");
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::hash_refs;

    #[test]
    fn substitution_reads_whole_numbers() {
        let answers: HashMap<u32, String> = [(1, "Paris".to_string()), (12, "Rome".to_string())].into();
        assert_eq!(substitute("From #1 to #12 via #3 and #", &answers), "From Paris to Rome via #3 and #");
        assert_eq!(hash_refs("#1 and #12, #1"), [1, 12]);
    }
}

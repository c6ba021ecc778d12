//! A realistic run for the tests: three documents (one never cited), a web page with a script in
//! it, a table finding, a partly supported and an unsupported sentence, a conflict, non-ASCII and
//! CJK text, and LaTeX specials in a title.

use engine::run::TableCite;
use engine::{
    Action, CallPurpose, CallRecord, CitationRecord, ConflictRecord, Decision, EvidenceKind, EvidenceRecord,
    MissingPolicy, Mode, NodeRecord, NodeStatus, RetrievalPath, RunRecord, ScoreRecord, SettingsRecord, UsageRecord,
    Verdict,
};

pub(crate) const SCRIPT: &str = "<script>alert(\"pwned\")</script>";
pub(crate) const TABLE_TITLE: &str = "Population {estimates} 100% & growth_rate #1";

fn doc(id: u32, node_id: u32, title: &str, page: Option<u32>, location: &str, text: &str) -> EvidenceRecord {
    EvidenceRecord {
        id,
        node_id,
        kind: EvidenceKind::Document,
        doc_id: Some(i64::from(id) + 10),
        chunk_id: Some(format!("{}:0", id + 10)),
        path: Some(format!("/home/ana/Documents/{}.pdf", title.to_lowercase().replace(' ', "-"))),
        title: title.into(),
        page,
        location: location.into(),
        url: None,
        span: Some([100, 100 + text.chars().count()]),
        text: text.into(),
        score: 2.5,
        fetched_at: None,
        note: None,
        table: None,
    }
}

fn node(
    id: u32,
    action: Action,
    q: &str,
    answer: &str,
    decision: Decision,
    mrfs: f64,
    evidence: Vec<u32>,
) -> NodeRecord {
    NodeRecord {
        id,
        action,
        sub_question: q.into(),
        depends_on: if id > 1 { vec![1] } else { vec![] },
        missing: decision == Decision::Filled,
        guess_answer: if decision == Decision::Replaced { "Ontario".into() } else { answer.into() },
        answer: answer.into(),
        status: NodeStatus::Done,
        mrfs: Some(mrfs),
        decision: Some(decision),
        path: RetrievalPath::RetrievedVerify,
        reason: None,
        scores: evidence.iter().map(|&e| ScoreRecord { evidence_id: e, score: mrfs }).collect(),
        evidence,
    }
}

pub(crate) fn sample() -> RunRecord {
    let geo = doc(
        1,
        2,
        "Géographie du Québec",
        Some(12),
        "p. 12",
        "Montréal (蒙特利尔) lies on an island in the Saint Lawrence River.",
    );
    let unused = doc(2, 1, "Unused background", None, "Intro › Sources", "Some say the city was founded in 1641.");
    let history = doc(
        3,
        1,
        "Histoire de Montréal",
        Some(3),
        "p. 3",
        "Montréal was founded in 1642 by Paul de Chomedey, sieur de Maisonneuve.",
    );
    let web = EvidenceRecord {
        id: 4,
        node_id: 2,
        kind: EvidenceKind::Web,
        doc_id: None,
        chunk_id: None,
        path: None,
        title: "Montréal — Wikipédia".into(),
        page: None,
        location: String::new(),
        url: Some("https://fr.wikipedia.org/wiki/Montr%C3%A9al".into()),
        span: None,
        text: format!("Montréal is on an island {SCRIPT} in the Saint Lawrence River, Québec."),
        score: 1.0,
        fetched_at: Some("2026-03-04T10:20:30Z".into()),
        note: None,
        table: None,
    };
    let table = EvidenceRecord {
        id: 5,
        node_id: 3,
        kind: EvidenceKind::Table,
        doc_id: Some(20),
        chunk_id: None,
        path: Some("/home/ana/data/population.xlsx".into()),
        title: TABLE_TITLE.into(),
        page: None,
        location: String::new(),
        url: None,
        span: None,
        text: "Population in 2021: 1,762,949".into(),
        score: 1.0,
        fetched_at: None,
        note: None,
        table: Some(TableCite {
            sheet: "Census".into(),
            columns: vec!["Year".into(), "Population".into()],
            rows: vec![4, 2, 3],
            sql: Some("SELECT Population FROM Census WHERE Year = 2021".into()),
        }),
    };
    RunRecord {
        run_id: "20260304-102030-ab12".into(),
        question: "When was Montréal founded, where is it, and how many people live there?".into(),
        mode: Mode::Llm,
        run_mode: Default::default(),
        agent_protocol: None,
        observations: None,
        predictions: Vec::new(),
        answer: "Montréal (蒙特利尔) was founded in 1642 by Paul de Chomedey [3]. It lies on an island in the \
                 Saint Lawrence River [4, 1].\n\nIts population was about 1.8 million in 2021 [5]. The city is \
                 also home to 12 million penguins."
            .into(),
        short_answer: None,
        not_found: false,
        llm_error: None,
        llm_error_kind: None,
        nodes: vec![
            node(1, Action::KnowledgeBase, "When was Montréal founded?", "1642", Decision::Kept, 0.91, vec![2, 3]),
            node(
                2,
                Action::WebSearch,
                "Where is Montréal?",
                "On an island in the Saint Lawrence River",
                Decision::Replaced,
                0.34,
                vec![1, 4],
            ),
            node(
                3,
                Action::DataAnalysis,
                "What was Montréal's population in 2021?",
                "1,762,949",
                Decision::Filled,
                0.8,
                vec![5],
            ),
        ],
        evidence: vec![geo, unused, history, web, table],
        citations: vec![
            CitationRecord {
                marker: 3,
                evidence_id: 3,
                sentence: "Montréal (蒙特利尔) was founded in 1642 by Paul de Chomedey.".into(),
                verdict: Verdict::Supported,
                reason: String::new(),
            },
            CitationRecord {
                marker: 4,
                evidence_id: 4,
                sentence: "It lies on an island in the Saint Lawrence River.".into(),
                verdict: Verdict::Supported,
                reason: String::new(),
            },
            CitationRecord {
                marker: 1,
                evidence_id: 1,
                sentence: "It lies on an island in the Saint Lawrence River.".into(),
                verdict: Verdict::Supported,
                reason: String::new(),
            },
            CitationRecord {
                marker: 5,
                evidence_id: 5,
                sentence: "Its population was about 1.8 million in 2021.".into(),
                verdict: Verdict::Partial,
                reason: String::new(),
            },
        ],
        unsupported_sentences: vec!["The city is also home to 12 million penguins.".into()],
        conflicts: vec![ConflictRecord {
            node_id: 1,
            evidence_ids: vec![3, 2],
            answers: vec!["1642".into(), "1641".into()],
        }],
        usage: UsageRecord {
            llm_calls: 4,
            prompt_tokens: 3120,
            completion_tokens: 412,
            actions: 3,
            wall_ms: 5230,
            calls: vec![CallRecord {
                purpose: CallPurpose::Plan,
                prompt_tokens: 900,
                completion_tokens: 120,
                latency_ms: 1400,
                ok: true,
            }],
        },
        plan_raw: Some("{\"steps\": []}".into()),
        started_at: "2026-03-04T10:20:30.000Z".into(),
        finished_at: "2026-03-04T10:20:35.230Z".into(),
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

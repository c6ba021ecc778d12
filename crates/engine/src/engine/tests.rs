//! Scenario tests: a question through the whole engine over fakes, compared as rendered text.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use expect_test::{Expect, expect};
use tokio::sync::mpsc;

use super::*;
use crate::config::MissingPolicy;
use crate::ports::{CorpusError, LlmError, Usage};
use crate::run::{Event, RunRecord};
use crate::testing::{FakeCorpus, FakeLlm, FakeTables, FakeWeb, FixedClock, Reply};

/// 2026-01-02T03:04:05.678Z
const NOW: i64 = 1_767_323_045_678;

fn library() -> FakeCorpus {
    FakeCorpus::new()
        .doc("Arthur's Magazine", "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia in the 19th century. Edited by Timothy Shay Arthur, it featured work by Edgar A. Poe.")
        .doc("First for Women", "First for Women is a woman's magazine published by Bauer Media Group in the USA. The magazine was started in 1989. It is based in Englewood Cliffs, New Jersey.")
        .doc("Kiss and Tell (1945 film)", "Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer. In the film, two teenage girls cause their respective parents much concern when they start to become interested in boys.")
        .doc("Shirley Temple", "Shirley Temple Black (April 23, 1928 – February 10, 2014) was an American actress, singer, dancer and diplomat. As an adult, she was named United States ambassador to Ghana and to Czechoslovakia, and served as Chief of Protocol of the United States.")
        .doc("Meet Corliss Archer", "Meet Corliss Archer is an American radio sitcom that aired on CBS from 1943 to 1956. The program was created by F. Hugh Herbert, who wrote the play Kiss and Tell.")
        .doc("Janet Waldo", "Janet Marie Waldo was an American radio and voice actress. She portrayed Corliss Archer in the radio series Meet Corliss Archer.")
}

fn config() -> EngineConfig {
    EngineConfig { run_id: "run-1".into(), ..EngineConfig::default() }
}

struct Outcome {
    result: Result<RunRecord, EngineError>,
    events: Vec<Event>,
}

async fn ask_with(config: EngineConfig, ports: Ports, question: &str, cancel: &CancellationToken) -> Outcome {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let result = Engine::new(config, ports).ask(question, &tx, cancel).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    Outcome { result, events }
}

async fn ask(config: EngineConfig, ports: Ports, question: &str) -> Outcome {
    ask_with(config, ports, question, &CancellationToken::new()).await
}

fn ports(corpus: FakeCorpus) -> Ports {
    Ports::new(Arc::new(corpus), Arc::new(FixedClock(NOW)))
}

fn ports_llm(corpus: FakeCorpus, llm: &Arc<FakeLlm>) -> Ports {
    ports(corpus).with_llm(llm.clone())
}

/// The record as stable text: timings and token estimates left out.
fn render(r: &RunRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "mode: {:?}", r.mode);
    let _ = writeln!(out, "answer: {}", r.answer);
    for n in &r.nodes {
        let _ = write!(out, "#{} {} {:?} {:?} {:?}", n.id, n.action.as_str(), n.status, n.path, n.sub_question);
        if let Some(d) = n.decision {
            let _ = write!(out, " {d:?}");
        }
        if let Some(m) = n.mrfs {
            let _ = write!(out, " mrfs={m:.2}");
        }
        let _ = write!(out, " → {:?}", n.answer);
        if !n.evidence.is_empty() {
            let _ = write!(out, " ev={:?}", n.evidence);
        }
        out.push('\n');
        if let Some(why) = &n.reason {
            let _ = writeln!(out, "    reason: {why}");
        }
    }
    for e in &r.evidence {
        let _ = writeln!(out, "[{}] node {} {:?} {:?}", e.id, e.node_id, e.kind, e.title);
    }
    for c in &r.citations {
        let _ = writeln!(out, "cite [{}] {:?} {:?}", c.marker, c.verdict, c.sentence);
    }
    for u in &r.unsupported_sentences {
        let _ = writeln!(out, "unsupported: {u:?}");
    }
    for c in &r.conflicts {
        let _ = writeln!(out, "conflict: node {} {:?} {:?}", c.node_id, c.evidence_ids, c.answers);
    }
    let u = &r.usage;
    let purposes: Vec<String> =
        u.calls.iter().map(|c| format!("{:?}{}", c.purpose, if c.ok { "" } else { "(failed)" })).collect();
    let _ = writeln!(out, "usage: llm_calls={} actions={} calls=[{}]", u.llm_calls, u.actions, purposes.join(", "));
    out
}

fn check(outcome: &Outcome, want: Expect) {
    match &outcome.result {
        Ok(r) => want.assert_eq(&render(r)),
        Err(e) => want.assert_eq(&format!("error: {e}\n")),
    }
}

fn event_kinds(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| match e {
            Event::PlanReady { nodes } => format!("plan_ready({})", nodes.len()),
            Event::NodeStarted { id } => format!("started({id})"),
            Event::EvidenceFound { node_id, evidence } => format!("evidence({node_id}:{})", evidence.id),
            Event::NodeFinished { node } => format!("finished({}:{:?})", node.id, node.status),
            Event::ThinkingDelta { .. } => "thinking".to_string(),
            Event::ObservationPredicted { prediction } => format!("predicted({})", prediction.node_id),
            Event::AnswerDelta { .. } => "delta".to_string(),
            Event::Verified { .. } => "verified".to_string(),
            Event::Finished { run_id } => format!("done({run_id})"),
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("delta delta delta", "delta…")
}

const COMPARISON: &str = "Which magazine was started first, Arthur's Magazine or First for Women?";
const BRIDGE: &str =
    "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?";

const GOOD_PLAN: &str = r#"{"chain":[
  {"id":1,"action":"knowledge_base","sub_question":"When was Arthur's Magazine started?","depends_on":[],"missing":false,"guess_answer":"1844"},
  {"id":2,"action":"knowledge_base","sub_question":"When was First for Women started?","depends_on":[],"missing":false,"guess_answer":"1975"}
],"final_answer":"Arthur's Magazine [1]."}"#;

#[tokio::test]
async fn llm_run_keeps_a_supported_guess_and_replaces_a_wrong_one() {
    let llm = Arc::new(
        FakeLlm::new()
            .reply(CallPurpose::Plan, Reply::text(GOOD_PLAN))
            .reply(CallPurpose::Summarize, Reply::text("1989"))
            .reply(
                CallPurpose::Answer,
                Reply::text(
                    "Arthur's Magazine was started first, in 1844 [1]. First for Women was started in 1989 [2].",
                ),
            ),
    );
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    check(
        &out,
        expect![[r#"
        mode: Llm
        answer: Arthur's Magazine was started first, in 1844 [1]. First for Women was started in 1989 [2].
        #1 knowledge_base Done RetrievedVerify "When was Arthur's Magazine started?" Kept mrfs=0.87 → "1844" ev=[1, 2]
        #2 knowledge_base Done RetrievedVerify "When was First for Women started?" Replaced mrfs=0.27 → "1989" ev=[2]
        [1] node 1 Document "Arthur's Magazine"
        [2] node 1 Document "First for Women"
        cite [1] Supported "Arthur's Magazine was started first, in 1844."
        cite [2] Supported "First for Women was started in 1989."
        usage: llm_calls=3 actions=2 calls=[Plan, Summarize, Answer]
    "#]],
    );
    assert_eq!(
        event_kinds(&out.events),
        "plan_ready(2) started(1) started(2) evidence(1:1) evidence(1:2) finished(1:Done) finished(2:Done) delta… delta verified done(run-1)"
    );
    let r = out.result.as_ref().unwrap();
    assert_eq!(
        (r.started_at.as_str(), r.finished_at.as_str()),
        ("2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678Z")
    );
    assert_eq!(r.plan_raw.as_deref(), Some(GOOD_PLAN));
    // The summary prompt asks the sub-question, not the question.
    let (_, summarize) = &llm.requests()[1];
    assert!(summarize.messages[1].content.starts_with("<question>When was First for Women started?</question>"));
}

#[tokio::test]
async fn a_malformed_plan_gets_one_repair_call() {
    let llm = Arc::new(
        FakeLlm::new()
            .reply(
                CallPurpose::Plan,
                Reply::text("```json\n{\"chain\": [{\"id\": 1, \"action\": \"kb\" \"sub_question\": \"x\"}]}\n```"),
            )
            .reply(CallPurpose::Repair, Reply::text(GOOD_PLAN))
            .reply(CallPurpose::Summarize, Reply::text("1989"))
            .reply(CallPurpose::Answer, Reply::text("Arthur's Magazine came first [1].")),
    );
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    let r = out.result.as_ref().unwrap();
    assert_eq!(r.plan_raw.as_deref(), Some(GOOD_PLAN));
    assert_eq!(r.nodes.len(), 2);
    assert_eq!(
        llm.purposes(),
        [Some(CallPurpose::Plan), Some(CallPurpose::Repair), Some(CallPurpose::Summarize), Some(CallPurpose::Answer)]
    );
    // The repair call carries the bad reply and says what was wrong with it.
    let (_, repair) = &llm.requests()[1];
    let last = &repair.messages[repair.messages.len() - 1].content;
    expect![[r#"
        Your reply could not be used as a plan: the JSON does not parse: expected `,` or `}` at line 1 column 37.
        Reply again with the corrected plan: JSON only, with the keys "chain" (id, action, sub_question, depends_on, missing, guess_answer) and "final_answer", no prose and no code fence."#]]
    .assert_eq(last);
    assert_eq!(repair.messages[repair.messages.len() - 2].role, crate::ports::Role::Assistant);
}

#[tokio::test]
async fn a_plan_that_stays_broken_falls_back_to_the_heuristic_planner() {
    let llm = Arc::new(
        FakeLlm::new()
            .reply(CallPurpose::Plan, Reply::text("{\"chain\": [{\"id\": 1, \"sub\": "))
            .reply(CallPurpose::Repair, Reply::text("Sorry, I cannot produce JSON."))
            .reply(CallPurpose::Summarize, Reply::text("not found"))
            .reply(
                CallPurpose::Answer,
                Reply::text("Arthur's Magazine (1844) came before First for Women (1989) [1][2]."),
            ),
    );
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    check(
        &out,
        expect![[r#"
        mode: Llm
        answer: Arthur's Magazine (1844) came before First for Women (1989) [1][2].
        #1 knowledge_base Done RetrievedMissing "Arthur's Magazine: Which magazine was started first?" NoEvidence → "" ev=[1, 2]
            reason: the references do not answer the sub-question
        #2 knowledge_base Done RetrievedMissing "First for Women: Which magazine was started first?" NoEvidence → "" ev=[1, 2]
            reason: the references do not answer the sub-question
        [1] node 1 Document "First for Women"
        [2] node 1 Document "Arthur's Magazine"
        cite [1] Partial "Arthur's Magazine (1844) came before First for Women (1989)."
        cite [2] Partial "Arthur's Magazine (1844) came before First for Women (1989)."
        usage: llm_calls=5 actions=2 calls=[Plan, Repair, Summarize, Summarize, Answer]
    "#]],
    );
    assert_eq!(out.result.as_ref().unwrap().plan_raw.as_deref(), Some("Sorry, I cannot produce JSON."));
}

#[tokio::test(start_paused = true)]
async fn independent_nodes_run_concurrently() {
    let plan = r#"{"chain":[
      {"id":1,"action":"knowledge_base","sub_question":"Arthur's Magazine","depends_on":[],"missing":true,"guess_answer":""},
      {"id":2,"action":"knowledge_base","sub_question":"First for Women","depends_on":[],"missing":true,"guess_answer":""}
    ],"final_answer":""}"#;
    for (concurrency, want_secs) in [(4, 1), (1, 2)] {
        let llm = Arc::new(
            FakeLlm::new()
                .reply(CallPurpose::Plan, Reply::text(plan))
                .reply(CallPurpose::Summarize, Reply::text("a magazine"))
                .reply(CallPurpose::Answer, Reply::text("Both are magazines [1][2].")),
        );
        let corpus = library().with_delay(Duration::from_secs(1));
        let t0 = tokio::time::Instant::now();
        let out = ask(EngineConfig { concurrency, ..config() }, ports_llm(corpus, &llm), COMPARISON).await;
        assert!(out.result.is_ok());
        assert_eq!(t0.elapsed().as_secs(), want_secs, "concurrency {concurrency}");
    }
}

#[tokio::test]
async fn a_dependent_node_sees_the_earlier_answer() {
    let plan = r#"{"chain":[
      {"id":1,"action":"knowledge_base","sub_question":"Who starred as Corliss Archer in Kiss and Tell?","depends_on":[],"missing":true,"guess_answer":""},
      {"id":2,"action":"knowledge_base","sub_question":"What government position did #1 hold?","depends_on":[1],"missing":false,"guess_answer":"Chief of Protocol"}
    ],"final_answer":""}"#;
    let llm = Arc::new(
        FakeLlm::new()
            .reply(CallPurpose::Plan, Reply::text(plan))
            .reply(CallPurpose::Summarize, Reply::text("Shirley Temple"))
            .reply(CallPurpose::Answer, Reply::text("Shirley Temple starred as Corliss Archer in Kiss and Tell [2]. She served as Chief of Protocol of the United States [4].")),
    );
    let corpus = Arc::new(library());
    let p = Ports::new(corpus.clone(), Arc::new(FixedClock(NOW))).with_llm(llm.clone());
    let out = ask(config(), p, BRIDGE).await;
    check(
        &out,
        expect![[r#"
        mode: Llm
        answer: Shirley Temple starred as Corliss Archer in Kiss and Tell [2]. She served as Chief of Protocol of the United States [4].
        #1 knowledge_base Done RetrievedMissing "Who starred as Corliss Archer in Kiss and Tell?" Filled → "Shirley Temple" ev=[1, 2, 3]
        #2 knowledge_base Done RetrievedVerify "What government position did Shirley Temple hold?" Kept mrfs=1.00 → "Chief of Protocol" ev=[4, 2]
        [1] node 1 Document "Meet Corliss Archer"
        [2] node 1 Document "Kiss and Tell (1945 film)"
        [3] node 1 Document "Janet Waldo"
        [4] node 2 Document "Shirley Temple"
        cite [2] Supported "Shirley Temple starred as Corliss Archer in Kiss and Tell."
        cite [4] Supported "She served as Chief of Protocol of the United States."
        usage: llm_calls=3 actions=2 calls=[Plan, Summarize, Answer]
    "#]],
    );
    assert_eq!(corpus.queries()[1], "What government position did Shirley Temple hold?");
}

#[tokio::test]
async fn missing_flags_choose_the_retrieval_path() {
    let plan = r#"{"chain":[
      {"id":1,"action":"knowledge_base","sub_question":"When was Arthur's Magazine started?","depends_on":[],"missing":false,"guess_answer":"1844"},
      {"id":2,"action":"knowledge_base","sub_question":"When was First for Women started?","depends_on":[],"missing":true,"guess_answer":"[Unsolved Sub]"}
    ],"final_answer":""}"#;
    for policy in [MissingPolicy::SkipRetrieval, MissingPolicy::RetrieveAndVerify] {
        let llm = Arc::new(
            FakeLlm::new()
                .reply(CallPurpose::Plan, Reply::text(plan))
                .reply(CallPurpose::Answer, Reply::text("Arthur's Magazine came first.")),
        );
        let corpus = Arc::new(library());
        let p = Ports::new(corpus.clone(), Arc::new(FixedClock(NOW))).with_llm(llm.clone());
        let out = ask(EngineConfig { missing_policy: policy, use_llm: true, ..config() }, p, COMPARISON).await;
        let r = out.result.unwrap();
        let paths: Vec<String> =
            r.nodes.iter().map(|n| format!("{:?}/{:?}/{}", n.path, n.decision, n.evidence.len())).collect();
        match policy {
            MissingPolicy::SkipRetrieval => {
                // The guess stands without evidence; only the missing node searches. No summary
                // reply is scripted, so the missing node falls back to the best sentence.
                assert_eq!(paths, ["SkippedRetrieval/None/0", "RetrievedMissing/Some(Filled)/1"]);
                assert_eq!(corpus.queries(), ["When was First for Women started?"]);
                assert_eq!(r.nodes[1].answer, "The magazine was started in 1989.");
                assert!(r.nodes[1].reason.as_deref().unwrap_or("").contains("summary call failed"));
            }
            MissingPolicy::RetrieveAndVerify => {
                assert_eq!(paths, ["RetrievedVerify/Some(Kept)/2", "RetrievedMissing/Some(Filled)/1"]);
                assert_eq!(corpus.queries().len(), 2);
            }
        }
    }
}

#[tokio::test]
async fn unavailable_and_failing_actions_are_data() {
    let plan = r#"{"chain":[
      {"id":1,"action":"Web-querying Engine","sub_question":"bitcoin news","depends_on":[],"missing":true,"guess_answer":""},
      {"id":2,"action":"Data-analyzing Engine","sub_question":"bitcoin price trend","depends_on":[],"missing":true,"guess_answer":""},
      {"id":3,"action":"knowledge_base","sub_question":"what is bitcoin","depends_on":[],"missing":false,"guess_answer":"a cryptocurrency"},
      {"id":4,"action":"knowledge_base","sub_question":"price of #2 in euros","depends_on":[2],"missing":true,"guess_answer":""}
    ],"final_answer":""}"#;
    let llm = Arc::new(
        FakeLlm::new()
            .reply(CallPurpose::Plan, Reply::text(plan))
            .reply(CallPurpose::Answer, Reply::text("I could not find it.")),
    );
    let corpus = library().failing(CorpusError::Unavailable("index locked".into()));
    let out = ask(config(), ports_llm(corpus, &llm), "Is bitcoin a good investment?").await;
    check(
        &out,
        expect![[r#"
        mode: Llm
        answer: I could not find it.
        #1 web_search Skipped SkippedRetrieval "bitcoin news" → ""
            reason: web search is off
        #2 data_analysis Skipped SkippedRetrieval "bitcoin price trend" → ""
            reason: data analysis is off
        #3 knowledge_base Failed RetrievedVerify "what is bitcoin" → "a cryptocurrency"
            reason: the document index is unavailable: index locked
        #4 knowledge_base Skipped SkippedRetrieval "price of #2 in euros" → ""
            reason: depends on #2, which has no answer
        unsupported: "I could not find it."
        usage: llm_calls=2 actions=1 calls=[Plan, Answer]
    "#]],
    );
    // The planner was only offered the knowledge base.
    let (_, plan_req) = &llm.requests()[0];
    assert!(!plan_req.messages[0].content.contains("\"web_search\""));
}

#[tokio::test]
async fn web_and_table_actions_gather_their_evidence() {
    let plan = r#"{"chain":[
      {"id":1,"action":"web","sub_question":"bitcoin news","depends_on":[],"missing":true,"guess_answer":""},
      {"id":2,"action":"table","sub_question":"bitcoin price trend","depends_on":[],"missing":true,"guess_answer":""}
    ],"final_answer":""}"#;
    let llm = Arc::new(
        FakeLlm::new()
            .reply(CallPurpose::Plan, Reply::text(plan))
            .reply(CallPurpose::Summarize, Reply::text("ETFs were approved"))
            .reply(
                CallPurpose::Answer,
                Reply::text("Bitcoin ETFs were approved [1] and the price rose 12% in March [2]."),
            ),
    );
    let web =
        FakeWeb::new().page("https://news.example/btc", "Bitcoin news", "Regulators approved bitcoin ETFs this week.");
    let tables = FakeTables::new().finding(
        "prices",
        "Sheet1",
        2,
        32,
        "The bitcoin price rose 12% in March (mean of daily closes).",
    );
    let p = ports_llm(library(), &llm).with_web(Arc::new(web)).with_tables(Arc::new(tables));
    let out = ask(config(), p, "Is bitcoin a good investment now?").await;
    let r = out.result.unwrap();
    let ev: Vec<String> = r
        .evidence
        .iter()
        .map(|e| format!("{:?} {:?} {:?} {:?} {:?}", e.kind, e.url, e.location, e.fetched_at, e.span))
        .collect();
    expect![[r#"
        [
            "Web Some(\"https://news.example/btc\") \"\" Some(\"2026-01-02T03:04:05Z\") None",
            "Table None \"Sheet1 rows 2–32\" None None",
        ]
    "#]]
    .assert_debug_eq(&ev);
    assert_eq!(
        r.citations.iter().map(|c| c.verdict).collect::<Vec<_>>(),
        [crate::Verdict::Partial, crate::Verdict::Supported]
    );
}

#[tokio::test]
async fn invented_markers_are_removed_and_conflicts_flagged() {
    let corpus = FakeCorpus::new()
        .doc("Ada Lovelace", "Ada Lovelace was born in London in 1815. She worked with Charles Babbage.")
        .doc("Lovelace biography", "The mathematician Ada Lovelace was born in 1816 in London.");
    let plan = r#"{"chain":[{"id":1,"action":"knowledge_base","sub_question":"When was Ada Lovelace born?","depends_on":[],"missing":false,"guess_answer":"1815"}],"final_answer":""}"#;
    let llm = Arc::new(FakeLlm::new().reply(CallPurpose::Plan, Reply::text(plan)).reply(
        CallPurpose::Answer,
        Reply::text("Ada Lovelace was born in London in 1815 [1]. She died on the Moon [7]."),
    ));
    let out = ask(config(), ports_llm(corpus, &llm), "When was Ada Lovelace born?").await;
    check(
        &out,
        expect![[r#"
        mode: Llm
        answer: Ada Lovelace was born in London in 1815 [1]. She died on the Moon.
        #1 knowledge_base Done RetrievedVerify "When was Ada Lovelace born?" Kept mrfs=0.87 → "1815" ev=[1, 2]
        [1] node 1 Document "Ada Lovelace"
        [2] node 1 Document "Lovelace biography"
        cite [1] Supported "Ada Lovelace was born in London in 1815."
        unsupported: "She died on the Moon."
        conflict: node 1 [1, 2] ["1815", "1816"]
        usage: llm_calls=2 actions=1 calls=[Plan, Answer]
    "#]],
    );
    // The streamed text had the invented marker; the Verified event carries the checked answer.
    let verified = out.events.iter().find_map(|e| match e {
        Event::Verified { answer, .. } => Some(answer.clone()),
        _ => None,
    });
    assert_eq!(verified.as_deref(), Some("Ada Lovelace was born in London in 1815 [1]. She died on the Moon."));
}

#[tokio::test(start_paused = true)]
async fn cancellation_leaves_no_record() {
    let llm = Arc::new(FakeLlm::new().reply(CallPurpose::Plan, Reply::text(GOOD_PLAN)));
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c2.cancel();
    });
    let corpus = library().with_delay(Duration::from_secs(10));
    let t0 = tokio::time::Instant::now();
    let out = ask_with(config(), ports_llm(corpus, &llm), COMPARISON, &cancel).await;
    assert_eq!(out.result.err(), Some(EngineError::Cancelled));
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert!(!out.events.iter().any(|e| matches!(e, Event::Finished { .. } | Event::Verified { .. })));

    // Cancelled before it starts: not even a plan call.
    let llm = Arc::new(FakeLlm::new().reply(CallPurpose::Plan, Reply::text(GOOD_PLAN)));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let out = ask_with(config(), ports_llm(library(), &llm), COMPARISON, &cancel).await;
    assert_eq!(out.result.err(), Some(EngineError::Cancelled));
    assert!(llm.requests().is_empty());
}

#[tokio::test]
async fn extractive_comparison() {
    let out = ask(config(), ports(library()), COMPARISON).await;
    check(
        &out,
        expect![[r#"
            mode: Extractive
            answer: Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia in the 19th century [2].
            The magazine was started in 1989 [1].
            #1 knowledge_base Done RetrievedMissing "Arthur's Magazine: Which magazine was started first?" Filled → "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia in the 19th century." ev=[1, 2]
            #2 knowledge_base Done RetrievedMissing "First for Women: Which magazine was started first?" Filled → "The magazine was started in 1989." ev=[1, 2]
            [1] node 1 Document "First for Women"
            [2] node 1 Document "Arthur's Magazine"
            cite [2] Supported "Arthur's Magazine (1844–1846) was an American literary periodical published in Philadelphia in the 19th century."
            cite [1] Supported "The magazine was started in 1989."
            usage: llm_calls=0 actions=2 calls=[]
        "#]],
    );
    assert!(out.events.iter().any(|e| matches!(e, Event::AnswerDelta { .. })));
}

#[tokio::test]
async fn extractive_bridge_hops_to_the_entity() {
    let corpus = Arc::new(library());
    let p = Ports::new(corpus.clone(), Arc::new(FixedClock(NOW)));
    let out = ask(EngineConfig { top_k: 2, ..config() }, p, BRIDGE).await;
    check(
        &out,
        expect![[r#"
            mode: Extractive
            answer: Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer [1].
            Shirley Temple Black (April 23, 1928 – February 10, 2014) was an American actress, singer, dancer and diplomat [3].
            #1 knowledge_base Done RetrievedMissing "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?" Filled → "Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer." ev=[1, 2]
            #2 knowledge_base Done RetrievedMissing "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell? (via Shirley Temple, Hugh Herbert, American)" Filled → "Shirley Temple Black (April 23, 1928 – February 10, 2014) was an American actress, singer, dancer and diplomat." ev=[3, 4]
            [1] node 1 Document "Kiss and Tell (1945 film)"
            [2] node 1 Document "Meet Corliss Archer"
            [3] node 2 Document "Shirley Temple"
            [4] node 2 Document "Janet Waldo"
            cite [1] Supported "Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer."
            cite [3] Supported "Shirley Temple Black (April 23, 1928 – February 10, 2014) was an American actress, singer, dancer and diplomat."
            usage: llm_calls=0 actions=4 calls=[]
        "#]],
    );
    // One-shot retrieval with the whole question misses the second paragraph.
    assert!(!corpus.search_now(BRIDGE, 2).iter().any(|p| p.title == "Shirley Temple"));
    let r = out.result.unwrap();
    let cited: Vec<&str> = r.citations.iter().map(|c| r.evidence[c.evidence_id as usize - 1].title.as_str()).collect();
    assert!(cited.contains(&"Shirley Temple") && cited.contains(&"Kiss and Tell (1945 film)"), "{cited:?}");
}

#[tokio::test]
async fn usage_counts_retries_and_failed_calls() {
    let llm = Arc::new(
        FakeLlm::new()
            .reply(
                CallPurpose::Plan,
                Reply::text(GOOD_PLAN).with_usage(Usage { calls: 3, prompt_tokens: 900, completion_tokens: 120 }),
            )
            .reply(CallPurpose::Summarize, Reply::fail(LlmError::Timeout { calls: 2 }))
            .reply(CallPurpose::Answer, Reply::fail(LlmError::Network { message: "reset".into(), calls: 4 })),
    );
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    let r = out.result.unwrap();
    // 3 (plan with two retries) + 2 (timed-out summary) + 4 (answer cut off) requests.
    assert_eq!(r.usage.llm_calls, 9);
    assert_eq!((r.usage.prompt_tokens, r.usage.completion_tokens), (900, 120));
    assert_eq!(r.usage.actions, 2);
    let calls: Vec<(CallPurpose, bool)> = r.usage.calls.iter().map(|c| (c.purpose, c.ok)).collect();
    assert_eq!(calls, [(CallPurpose::Plan, true), (CallPurpose::Summarize, false), (CallPurpose::Answer, false)]);
    // The answer call failed, so the answer is extractive, and the record says why (the run's
    // first model error).
    assert_eq!(r.mode, crate::Mode::Extractive);
    assert_eq!(r.llm_error.as_deref(), Some("the provider did not answer in time"));
}

#[tokio::test]
async fn refused_credentials_and_empty_questions_are_errors() {
    let llm = Arc::new(FakeLlm::new().reply(CallPurpose::Plan, Reply::fail(LlmError::Auth("bad key".into()))));
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    check(
        &out,
        expect![[r#"
        error: the language model provider refused the credentials: bad key
    "#]],
    );
    let out = ask(config(), ports(library()), "   ").await;
    check(
        &out,
        expect![[r#"
        error: invalid question: the question is empty
    "#]],
    );
}

#[tokio::test]
async fn a_model_that_is_down_means_an_extractive_run() {
    let llm = Arc::new(FakeLlm::new().reply(CallPurpose::Plan, Reply::fail(LlmError::Timeout { calls: 3 })));
    let out = ask(config(), ports_llm(library(), &llm), COMPARISON).await;
    let r = out.result.unwrap();
    assert_eq!(r.mode, crate::Mode::Extractive);
    assert_eq!(llm.requests().len(), 1);
    assert_eq!(r.usage.llm_calls, 3);
    assert_eq!(r.citations.len(), 2);
    assert_eq!(r.llm_error.as_deref(), Some("the provider did not answer in time"));
    // Without a model there is nothing to report.
    let r = ask(config(), ports(library()), COMPARISON).await.result.unwrap();
    assert_eq!(r.llm_error, None);
}

#[tokio::test]
async fn without_a_model_web_search_on_plans_a_web_node_alongside_the_library() {
    use crate::run::{Action, EvidenceKind};
    let question = "When was the magazine First for Women started?";
    let web = FakeWeb::new().page(
        "https://news.example/magazines",
        "Magazine history",
        "The magazine First for Women was started in 1989 by Bauer Media Group.",
    );
    let out = ask(config(), ports(library()).with_web(Arc::new(web)), question).await;
    let r = out.result.unwrap();
    let last = r.nodes.last().unwrap();
    assert_eq!((last.action, last.sub_question.as_str(), last.depends_on.len()), (Action::WebSearch, question, 0));
    assert!(r.nodes[..r.nodes.len() - 1].iter().all(|n| n.action == Action::KnowledgeBase));
    let web_evidence: Vec<_> = r.evidence.iter().filter(|e| e.kind == EvidenceKind::Web).collect();
    assert_eq!(web_evidence.len(), 1);
    assert_eq!(web_evidence[0].url.as_deref(), Some("https://news.example/magazines"));

    // A full plan makes room for the web node; without web search nothing changes.
    let small = EngineConfig { max_nodes: 2, ..config() };
    let out = ask(small.clone(), ports(library()).with_web(Arc::new(FakeWeb::new())), COMPARISON).await;
    let actions: Vec<Action> = out.result.unwrap().nodes.iter().map(|n| n.action).collect();
    assert_eq!(actions, [Action::KnowledgeBase, Action::WebSearch]);
    let out = ask(small, ports(library()), COMPARISON).await;
    let actions: Vec<Action> = out.result.unwrap().nodes.iter().map(|n| n.action).collect();
    assert_eq!(actions, [Action::KnowledgeBase, Action::KnowledgeBase]);
}

#[tokio::test]
async fn offline_web_steps_are_planned_as_skipped_with_the_reason() {
    let web = Arc::new(
        FakeWeb::new()
            .page("https://example.org/a", "Arthur's Magazine", "A magazine.")
            .offline("offline mode is on: no web requests are made"),
    );
    let out =
        ask(config(), ports(library()).with_web(web.clone()), "When was the magazine First for Women started?").await;
    let r = out.result.unwrap();
    let node = r.nodes.iter().find(|n| n.action == Action::WebSearch).unwrap();
    assert_eq!(node.status, crate::NodeStatus::Skipped);
    assert_eq!(node.reason.as_deref(), Some("offline mode is on: no web requests are made"));
    assert!(web.queries().is_empty());
    // Planned as skipped: the plan already says so, and the step never starts.
    let planned = out.events.iter().find_map(|e| match e {
        Event::PlanReady { nodes } => nodes.iter().find(|n| n.id == node.id).cloned(),
        _ => None,
    });
    assert_eq!(planned.map(|n| n.status), Some(crate::NodeStatus::Skipped));
    assert!(!out.events.iter().any(|e| matches!(e, Event::NodeStarted { id } if *id == node.id)));
    assert!(r.answer.contains("1989"), "{}", r.answer);
}

fn cups() -> FakeTables {
    FakeTables::new()
        .finding(
            "stanley-cups",
            "stanley-cups",
            3,
            3,
            "Team with the highest Stanley Cups: Maple Leafs (Stanley Cups 13, row 3)",
        )
        .fits_when("stanley")
}

#[tokio::test]
async fn a_data_step_runs_only_when_a_table_fits() {
    let out =
        ask(config(), ports(library()).with_tables(Arc::new(cups())), "How many issues did Arthur's Magazine publish?")
            .await;
    let r = out.result.unwrap();
    let data = r.nodes.iter().find(|n| n.action == Action::DataAnalysis).unwrap();
    assert_eq!(data.status, crate::NodeStatus::Skipped);
    assert_eq!(data.reason.as_deref(), Some("no table has a column the question mentions"));
    assert!(r.evidence.iter().all(|e| e.kind != crate::EvidenceKind::Table));
}

#[tokio::test]
async fn a_table_finding_stands_on_its_own_and_is_supported() {
    let out =
        ask(config(), ports(library()).with_tables(Arc::new(cups())), "Which team has the most Stanley Cups?").await;
    let r = out.result.unwrap();
    let table = r.evidence.iter().find(|e| e.kind == crate::EvidenceKind::Table).unwrap();
    assert_eq!(
        r.answer,
        format!(
            "Maple Leafs — Team with the highest Stanley Cups: Maple Leafs (Stanley Cups 13, row 3) [{}].",
            table.id
        )
    );
    let short = r.short_answer.clone().unwrap();
    assert_eq!((short.text.as_str(), short.evidence_id), ("Maple Leafs", table.id));
    let at: String = table.text.chars().skip(short.span.start).take(short.span.len()).collect();
    assert_eq!(at, "Maple Leafs");
    assert!(!r.not_found);
    assert_eq!(r.citations.len(), 1);
    assert_eq!(r.citations[0].verdict, crate::Verdict::Supported);
    assert!(r.citations[0].reason.contains(&format!("are in [{}]", table.id)), "{}", r.citations[0].reason);
    assert!(r.unsupported_sentences.is_empty());
}

#[tokio::test]
async fn a_question_the_library_does_not_cover_is_refused_without_citations() {
    let out = ask(config(), ports(library()), "Who designed the Eiffel Tower?").await;
    let r = out.result.unwrap();
    assert!(r.not_found);
    assert!(r.answer.starts_with("Your library does not answer this question."), "{}", r.answer);
    assert!(!r.answer.contains('['), "no marker may claim support: {}", r.answer);
    assert!(r.citations.is_empty() && r.unsupported_sentences.is_empty() && r.short_answer.is_none());
    assert!(out.events.iter().any(|e| matches!(e, Event::Verified { not_found: true, .. })));
}

#[tokio::test]
async fn a_covered_question_gets_its_short_answer_first() {
    let out = ask(config(), ports(library()), "When was the magazine First for Women started?").await;
    let r = out.result.unwrap();
    assert!(!r.not_found);
    let short = r.short_answer.clone().unwrap();
    assert_eq!(short.text, "1989");
    let e = r.evidence.iter().find(|e| e.id == short.evidence_id).unwrap();
    assert_eq!(e.text.chars().skip(short.span.start).take(short.span.len()).collect::<String>(), "1989");
    assert!(r.answer.starts_with(&format!("1989 — The magazine was started in 1989 [{}].", e.id)), "{}", r.answer);
    assert!(r.citations.iter().all(|c| c.verdict == crate::Verdict::Supported && !c.reason.is_empty()));
}

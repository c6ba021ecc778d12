//! Property tests over the parsers that read model output: the agent's tag parser and the plan
//! parser. Inputs are random sequences of the fragments that matter to them (tags split and
//! nested, braces, markers, multi-byte characters, JSON pieces), with a fixed case budget
//! (`CATENA_FUZZ_CASES` raises it; `CATENA_FUZZ_CPU_SECONDS` runs each test for that much CPU time
//! of its own thread instead, and `CATENA_FUZZ_SEED` varies the inputs). Properties: nothing panics, a model can never leave a
//! `<search_result>` block in its own text (only the runtime injects them), neutralised
//! observation text holds no angle bracket, and a plan never exceeds its node cap.

use crate::agent::{self, Step};

const FRAGMENTS: &[&str] = &[
    "<begin_search>",
    "</end_search>",
    "<begin_web_search>",
    "</end_web_search>",
    "<begin_table_query>",
    "</end_table_query>",
    "<search_result>",
    "</search_result>",
    "<search_",
    "result>",
    "</search_",
    "<think>\n",
    "</think>",
    "</th",
    "ink>",
    "<",
    ">",
    "/",
    "begin_",
    "search>",
    "\\boxed{",
    "\\text{",
    "{",
    "}",
    "[1]",
    "[99]",
    "[",
    "]",
    " ",
    "\n",
    "é",
    "𝄞",
    "\u{0}",
    "a",
    "query",
    "\"",
    ":",
    ",",
    "{\"chain\": [",
    "]}",
    "\"id\": 1",
    "\"action\": \"knowledge_base\"",
    "\"sub_question\": \"q #1\"",
    "\"depends_on\": [1]",
    "\"missing\": true",
    "\"final_answer\": \"x\"",
    "```json",
    "```",
    "null",
    "-1",
    "4294967296",
    "1e999",
];

use testkit::fuzz::Budget;

fn random_text(rng: &mut fastrand::Rng) -> String {
    let n = rng.usize(0..40);
    (0..n).map(|_| FRAGMENTS[rng.usize(0..FRAGMENTS.len())]).collect()
}

#[test]
fn the_agent_parser_never_panics_and_never_keeps_a_result_block() {
    let mut budget = Budget::new("agent tag parser", 3000);
    let mut rng = budget.rng(0xA6E7);
    while budget.more() {
        let text = random_text(&mut rng);
        let stripped = agent::strip_results(&text);
        assert!(!stripped.contains("<search_result>"), "{text:?} → {stripped:?}");
        assert!(!stripped.contains("</search_result>"), "{text:?} → {stripped:?}");
        let neutral = agent::neutralise(&text);
        assert!(!neutral.contains(['<', '>']), "{text:?} → {neutral:?}");
        let _ = agent::boxed(&text);
        let _ = agent::final_answer(&text);
        for cut in [false, true] {
            let kept = match agent::parse(&text, cut) {
                Step::Act { kept, query, .. } => {
                    assert!(!query.trim().is_empty(), "{text:?}");
                    kept
                }
                Step::Malformed { kept, .. } | Step::Stop { kept, .. } => kept,
            };
            assert!(!kept.contains("<search_result>"), "{text:?} → {kept:?}");
        }
    }
}

#[test]
fn the_plan_parser_never_panics_and_keeps_its_node_cap() {
    let mut budget = Budget::new("plan parser", 3000);
    let mut rng = budget.rng(0x91A4);
    while budget.more() {
        let text = random_text(&mut rng);
        let cap = rng.usize(1..8);
        if let Ok(plan) = crate::plan::parse(&text, cap) {
            assert!(plan.nodes.len() <= cap, "{text:?}");
        }
    }
}

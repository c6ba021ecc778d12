//! `catena-bench eval tableqa` on a table and questions written here.

use serde_json::json;

use crate::Bench;

#[test]
fn eval_tableqa_scores_the_analyst_against_the_first_cell_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("cities");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::write(set.join("cities.csv"), "City,Population\nExeter,130000\nBristol,470000\nBath,94000\n").unwrap();
    let records = [
        json!({"id": "q1", "question": "What is the population of Exeter?", "answers": ["130000"], "table_file": "cities.csv"}),
        json!({"id": "q2", "question": "What is the population of Bristol?", "answers": [470000], "table_file": "cities.csv"}),
        json!({"id": "q3", "question": "What is the population of Bath?", "answers": ["94000"], "table_file": "missing.csv"}),
    ];
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(set.join("questions.jsonl"), text).unwrap();

    let c = Bench::new();
    let (code, v) = c.json(&["eval", "tableqa", set.to_str().unwrap(), "--split", "all", "--no-llm"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["split"], "all");
    let s = &v["datasets"]["cities"];
    // The question over a missing table counts, unanswered.
    assert_eq!(s["questions"], 3, "{v:#}");
    // The baseline reads the first row of the population column: right for Exeter only.
    assert_eq!(s["baseline"], 1, "{v:#}");
    // The analyst finds each city's row.
    assert_eq!(s["no_llm_answered"], 2, "{v:#}");
    assert_eq!(s["no_llm"], 2, "{v:#}");
    assert!(s["llm"].is_null(), "no model asked: {v:#}");

    let out = c.run(&["eval", "tableqa", dir.path().join("nothing").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no questions.jsonl under"));
}

//! `catena ask` over a CSV in the library: a question asking for a figure gets a data-analysis
//! node, whose evidence is the computed value with its columns, rows and SQL.

use crate::Catena;

const SALES: &str = "Region,Year,Revenue\nNorth,2019,\"1,200\"\nSouth,2019,800\nNorth,2020,\"1,500\"\n";

#[test]
fn ask_answers_a_total_from_a_library_table() {
    let files = tempfile::tempdir().unwrap();
    let csv = acceptance::write(files.path(), "sales.csv", SALES.as_bytes());
    let c = Catena::new();
    let (code, summary) = c.ingest(&[csv.as_path()]);
    assert_eq!(code, 0, "{summary}");

    let (code, r) = c.json(&["ask", "--no-llm", "What is the total revenue in 2019?"]);
    assert_eq!(code, 0, "{r:#}");
    let nodes = r["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["action"] == "data_analysis"), "{r:#}");
    let evidence = r["evidence"].as_array().unwrap();
    let t = evidence.iter().find(|e| e["kind"] == "table").unwrap_or_else(|| panic!("no table evidence: {r:#}"));
    assert_eq!(t["text"], "Sum of Revenue over 2 rows where Year = 2019: 2,000", "{t:#}");
    assert!(t["path"].as_str().unwrap().ends_with("sales.csv"), "{t:#}");
    assert_eq!(t["location"], "sales rows 1–2", "{t:#}");
    let table = &t["table"];
    assert_eq!(table["sheet"], "sales");
    assert_eq!(table["columns"], serde_json::json!(["Year", "Revenue"]));
    assert_eq!(table["rows"], serde_json::json!([1, 2]));
    assert_eq!(table["sql"], "SELECT SUM(\"Revenue\") FROM t WHERE \"Year\" = 2019");
}

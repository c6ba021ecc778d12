//! The data-analysis action over tables ingested through the real library (CSV and XLSX files,
//! real SQLite and tantivy), the SQL sandbox against hostile queries, and the model path against
//! a scripted OpenAI-compatible server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::Location;
use engine::ports::TableAnalyst;
use library::{CancelFlag, IngestOptions, Library, LibraryOptions};
use tables::sandbox::Sandbox;
use tables::{LibraryTables, Limits, QueryError, Table, Val};

/// Revenue has thousands separators and one empty cell; Date is a date column.
const SALES: &str = "Region,Year,Revenue,Date,Notes\n\
North,2019,\"1,200\",2019-03-01,ok\n\
South,2019,800,2019-06-15,\n\
East,2019,,2019-09-30,missing revenue\n\
North,2020,\"1,500\",2020-03-01,\n\
South,2020,950,2020-06-15,\n\
West,2018,\"2,100\",2018-12-31,\n";

struct Lib {
    tables: LibraryTables,
    library: Arc<Library>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn library(files: &[(&str, Vec<u8>)]) -> Lib {
    let docs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        acceptance::write(docs.path(), name, bytes);
    }
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    let summary = lib
        .ingest(&[docs.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let library = Arc::new(lib);
    Lib { tables: session::library_tables(library.clone()), library, _dirs: (docs, data) }
}

async fn sales() -> Lib {
    library(&[("sales.csv", SALES.as_bytes().to_vec())]).await
}

async fn sales_table(lib: &Lib) -> Table {
    lib.tables.candidates("revenue").await.unwrap().remove(0)
}

#[tokio::test]
async fn tables_come_typed_from_the_library() {
    let lib = sales().await;
    let t = sales_table(&lib).await;
    let kinds: Vec<(&str, &str)> = t.columns.iter().map(|c| (c.name.as_str(), c.kind.name())).collect();
    assert_eq!(
        kinds,
        [("Region", "text"), ("Year", "integer"), ("Revenue", "integer"), ("Date", "date"), ("Notes", "text")]
    );
    assert_eq!(t.rows.len(), 6);
    assert_eq!(t.rows[0][2], Val::Int(1200), "thousands separator read as a number");
    assert_eq!(t.rows[2][2], Val::Null, "empty cell");
    assert_eq!(t.rows[3][3], Val::Text("2020-03-01".into()));
    assert_eq!(t.sheet, "sales");
    assert!(t.path.as_deref().unwrap().ends_with("sales.csv"));
}

/// A question and the finding it must give: (question, text, rows, columns, SQL).
type Case = (&'static str, &'static str, &'static [u64], &'static [&'static str], &'static str);

const DETERMINISTIC: &[Case] = &[
    (
        "What is the total revenue in 2019?",
        "Sum of Revenue over 2 rows where Year = 2019: 2,000",
        &[1, 2],
        &["Year", "Revenue"],
        "SELECT SUM(\"Revenue\") FROM t WHERE \"Year\" = 2019",
    ),
    (
        "How many regions reported in 2020?",
        "Count of rows where Year = 2020 in sales: 2",
        &[4, 5],
        &["Year"],
        "SELECT COUNT(*) FROM t WHERE \"Year\" = 2020",
    ),
    (
        "What is the average revenue?",
        "Average of Revenue over 5 rows: 1,310",
        &[1, 2, 4, 5, 6],
        &["Revenue"],
        "SELECT AVG(\"Revenue\") FROM t",
    ),
    (
        "What was the highest revenue?",
        "Highest Revenue over 6 rows: 2,100 (row 6)",
        &[6],
        &["Revenue"],
        "SELECT \"Revenue\", _row FROM t WHERE \"Revenue\" IS NOT NULL ORDER BY \"Revenue\" DESC, _row LIMIT 1",
    ),
    (
        "Which region has the lowest revenue?",
        "Region with the lowest Revenue: South (Revenue 800, row 2)",
        &[2],
        &["Region", "Revenue"],
        "SELECT \"Region\", \"Revenue\", _row FROM t WHERE \"Revenue\" IS NOT NULL ORDER BY \"Revenue\" ASC, _row LIMIT 1",
    ),
    (
        "What was the revenue of North in 2020?",
        "Revenue where Region = North and Year = 2020: 1,500 (row 4)",
        &[4],
        &["Region", "Year", "Revenue"],
        "SELECT \"Revenue\", _row FROM t WHERE \"Region\" = 'North' AND \"Year\" = 2020 ORDER BY _row",
    ),
    (
        "What is the total revenue where region is South?",
        "Sum of Revenue over 2 rows where Region = South: 1,750",
        &[2, 5],
        &["Region", "Revenue"],
        "SELECT SUM(\"Revenue\") FROM t WHERE \"Region\" = 'South'",
    ),
    (
        "How many regions had revenue more than 1,000?",
        "Count of rows where Revenue > 1000 in sales: 3",
        &[1, 4, 6],
        &["Revenue"],
        "SELECT COUNT(*) FROM t WHERE \"Revenue\" > 1000",
    ),
];

#[tokio::test]
async fn deterministic_questions_give_exact_values_rows_and_sql() {
    let lib = sales().await;
    for (q, text, rows, columns, sql) in DETERMINISTIC {
        let found = lib.tables.analyze(q, None).await.unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.text, *text, "{q}");
        assert_eq!(f.rows, *rows, "{q}");
        assert_eq!(f.columns, *columns, "{q}");
        assert_eq!(f.sql.as_deref(), Some(*sql), "{q}");
        let first = *rows.iter().min().unwrap();
        let last = *rows.iter().max().unwrap();
        assert_eq!(f.location, Location::Rows { sheet: "sales".into(), first, last }, "{q}");
        assert!(f.doc_id.is_some());
        assert_eq!(f.title, "sales");
    }
}

#[tokio::test]
async fn a_question_it_cannot_read_is_refused_with_the_reason() {
    let lib = sales().await;
    let err = lib.tables.analyze("Why did the weather change?", None).await.unwrap_err().to_string();
    assert!(err.contains("cannot read the question"), "{err}");
    assert!(err.contains("Region, Year, Revenue"), "the columns are listed: {err}");
}

#[tokio::test]
async fn an_empty_library_has_no_table() {
    let lib = library(&[("notes.md", b"# Notes\n\nNothing tabular here.\n".to_vec())]).await;
    let err = lib.tables.analyze("What is the total revenue?", None).await.unwrap_err();
    assert!(matches!(err, engine::ports::TableError::NoTable(_)), "{err}");
}

#[tokio::test]
async fn the_sheet_that_fits_is_chosen_among_several() {
    let lib = library(&[("budget.xlsx", acceptance::xlsx_budget()), ("sales.csv", SALES.as_bytes().to_vec())]).await;
    let f = lib.tables.analyze("Which department has the highest cost?", None).await.unwrap().remove(0);
    assert_eq!(f.text, "Department with the highest Cost: Operations (Cost 20,100, row 4)");
    assert_eq!(f.location, Location::Rows { sheet: "Budget".into(), first: 4, last: 4 });
    let f = lib.tables.analyze("What is the average salary?", None).await.unwrap().remove(0);
    assert_eq!(f.text, "Average of Salary over 3 rows: 5,366.6667");
    assert_eq!(f.location, Location::Rows { sheet: "Staff".into(), first: 1, last: 3 });
    // Reals with fractions, an empty cell, and a year filter on a date column.
    let f = lib.tables.analyze("What is the total cost due in 2024?", None).await.unwrap().remove(0);
    assert_eq!(f.text, "Sum of Cost over 3 rows where Due in 2024: 40,900.75");
    assert_eq!(f.rows, [1, 2, 4]);
    assert_eq!(f.sql.as_deref(), Some("SELECT SUM(\"Cost\") FROM t WHERE substr(\"Due\", 1, 4) = '2024'"));
}

#[tokio::test]
async fn removed_documents_are_not_analysed() {
    let lib = sales().await;
    let path = lib.library.documents().await.unwrap()[0].path.clone();
    lib.library.remove(&path).await.unwrap();
    let err = lib.tables.analyze("What is the total revenue in 2019?", None).await.unwrap_err();
    assert!(matches!(err, engine::ports::TableError::NoTable(_)), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The sandbox

#[tokio::test]
async fn hostile_queries_are_refused_before_they_run() {
    let lib = sales().await;
    let table = sales_table(&lib).await;
    let outside = tempfile::tempdir().unwrap();
    let attached = outside.path().join("x.db");
    let sb = Sandbox::new(&table).unwrap();
    let limits = Limits::default();
    let hostile = [
        "DELETE FROM t".to_string(),
        "UPDATE t SET \"Revenue\" = 0".to_string(),
        "INSERT INTO t (\"Region\") VALUES ('x')".to_string(),
        "DROP TABLE t".to_string(),
        format!("ATTACH DATABASE '{}' AS x", attached.display()),
        "PRAGMA writable_schema=1".to_string(),
        "SELECT 1; DROP TABLE t".to_string(),
        "SELECT load_extension('/tmp/evil')".to_string(),
        "CREATE TEMP TABLE x AS SELECT * FROM t".to_string(),
        "WITH x AS (SELECT 1) DELETE FROM t".to_string(),
        "SELECT * FROM sqlite_master".to_string(),
        "SELECT * FROM pragma_table_info('t')".to_string(),
        "BEGIN".to_string(),
        "VACUUM INTO '/tmp/copy.db'".to_string(),
    ];
    for sql in &hostile {
        match sb.query(sql, limits) {
            Err(QueryError::Refused(why)) => assert!(!why.is_empty()),
            other => panic!("{sql}: not refused: {other:?}"),
        }
    }
    // The refusal says what was wrong.
    let why = sb.query("SELECT load_extension('/tmp/evil')", limits).unwrap_err().to_string();
    assert!(why.contains("load_extension"), "{why}");
    let why = sb.query("SELECT 1; SELECT 2", limits).unwrap_err().to_string();
    assert!(why.contains("one statement"), "{why}");
    assert!(!attached.exists(), "ATTACH created no file");
    // The table is untouched.
    let n = sb.query("SELECT COUNT(*), SUM(\"Revenue\") FROM t", limits).unwrap();
    assert_eq!(n.rows, [[Val::Int(6), Val::Int(6550)]]);
}

#[tokio::test]
async fn a_runaway_recursive_query_stops_at_the_time_limit() {
    let lib = sales().await;
    let sb = Sandbox::new(&sales_table(&lib).await).unwrap();
    let limits = Limits { time: Duration::from_millis(300), rows: 1000 };
    let started = Instant::now();
    let err = sb
        .query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c", limits)
        .unwrap_err();
    assert_eq!(err, QueryError::Timeout(Duration::from_millis(300)));
    assert!(err.to_string().contains("time limit"));
    assert!(started.elapsed() < Duration::from_secs(3), "stopped promptly: {:?}", started.elapsed());
    // The connection still answers afterwards.
    assert_eq!(sb.query("SELECT COUNT(*) FROM t", limits).unwrap().rows, [[Val::Int(6)]]);
}

#[tokio::test]
async fn a_huge_cross_join_hits_the_row_limit() {
    let lib = sales().await;
    let sb = Sandbox::new(&sales_table(&lib).await).unwrap();
    let limits = Limits { time: Duration::from_secs(5), rows: 100 };
    let err = sb.query("SELECT * FROM t a, t b, t c, t d, t e, t f, t g", limits).unwrap_err();
    assert_eq!(err, QueryError::TooManyRows(100));
    let ok = sb.query("SELECT a.\"Region\" FROM t a, t b, t c LIMIT 100", limits).unwrap();
    assert_eq!(ok.rows.len(), 100);
}

#[tokio::test]
async fn the_authorizer_reports_the_columns_a_query_reads() {
    let lib = sales().await;
    let sb = Sandbox::new(&sales_table(&lib).await).unwrap();
    let a = sb.query("SELECT SUM(\"Revenue\") FROM t WHERE \"Year\" = 2019", Limits::default()).unwrap();
    assert_eq!(a.read, ["Year", "Revenue"]);
    assert_eq!(a.rows, [[Val::Int(2000)]]);
}

// ---------------------------------------------------------------------------------------------
// With a model

fn model(url: &str) -> Arc<dyn engine::ports::Llm> {
    let config = llm::ProviderConfig::new(llm::ProviderKind::OpenAiCompatible, url.to_string(), "scripted".to_string());
    llm::from_settings(&config).unwrap()
}

#[tokio::test]
async fn the_model_writes_the_query_from_the_schema_and_delimited_rows() {
    let lib = sales().await;
    let srv =
        server::Scripted::start(vec!["```sql\nSELECT SUM(\"Revenue\") FROM t WHERE \"Year\" = 2019;\n```".to_string()])
            .await;
    let llm = model(&srv.url());
    let f = lib.tables.analyze("What was 2019 revenue?", Some(llm.as_ref())).await.unwrap().remove(0);
    assert_eq!(f.text, "Query over sales (SUM(\"Revenue\")): 2,000");
    assert_eq!(f.sql.as_deref(), Some("SELECT SUM(\"Revenue\") FROM t WHERE \"Year\" = 2019"));
    assert_eq!(f.columns, ["Year", "Revenue"]);
    assert_eq!(f.rows, [1, 2, 3]);
    let requests = srv.requests();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&requests[0]).unwrap();
    assert_eq!(body["temperature"], 0.0);
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("\"Revenue\" INTEGER"), "{user}");
    assert!(user.contains("<<<ROWS\n[\"North\",\"2019\",\"1200\",\"2019-03-01\",\"ok\"]"), "{user}");
    assert!(user.contains("Question: What was 2019 revenue?"));
}

#[tokio::test]
async fn a_failing_query_goes_back_to_the_model_once() {
    let lib = sales().await;
    let srv = server::Scripted::start(vec![
        "SELECT SUM(revenu) FROM t".to_string(),
        "```sql\nSELECT \"Region\" FROM t WHERE \"Revenue\" > 1000 ORDER BY \"Revenue\" DESC\n```".to_string(),
    ])
    .await;
    let llm = model(&srv.url());
    let a = lib.tables.analyze_detailed("Which regions made over 1000?", Some(llm.as_ref())).await.unwrap();
    assert_eq!(a.values, ["West", "North", "North"]);
    assert_eq!(a.finding.rows, [1, 4, 6]);
    assert!(a.by_model);
    let requests = srv.requests();
    assert_eq!(requests.len(), 2, "one retry");
    let body: serde_json::Value = serde_json::from_slice(&requests[1]).unwrap();
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs[2]["content"], "SELECT SUM(revenu) FROM t");
    let feedback = msgs[3]["content"].as_str().unwrap();
    assert!(feedback.contains("no such column: revenu"), "{feedback}");
}

#[tokio::test]
async fn a_hostile_model_is_refused_twice_and_the_analysis_fails() {
    let lib = sales().await;
    let srv = server::Scripted::start(vec!["DROP TABLE t".to_string(), "SELECT 1; DELETE FROM t".to_string()]).await;
    let llm = model(&srv.url());
    let err = lib.tables.analyze("Delete everything", Some(llm.as_ref())).await.unwrap_err().to_string();
    assert!(err.contains("failed twice"), "{err}");
    assert!(err.contains("refused"), "{err}");
    assert_eq!(srv.requests().len(), 2, "no third try");
    // The library's table is intact.
    assert_eq!(sales_table(&lib).await.rows.len(), 6);
}

// ---------------------------------------------------------------------------------------------
// Groups, choices, summary rows and period columns

const SEATS: &str = "Name,Party,Seats\nAnn,Red,10\nBob,Blue,30\nCy,Red,5\nTotal,,45\n";
const ACCOUNTS: &str = "Item,2018,2019\nRevenue,\"$1,000\",\"$1,250\"\nCosts,(400),(450)\nProfit,600,800\n";

#[tokio::test]
async fn groups_choices_and_summary_rows() {
    let lib = library(&[("seats.csv", SEATS.as_bytes().to_vec())]).await;
    let cases: &[(&str, &str, &[u64])] = &[
        (
            "Which party has the most members?",
            "Party with the most rows where Name is not Total: Red (2 of 3 rows)",
            &[1, 3],
        ),
        (
            "How many different parties are there?",
            "Number of different Party values over 3 rows where Name is not Total: 2",
            &[1, 2, 3],
        ),
        // The Total row would count the seats twice.
        ("What is the total of seats?", "Sum of Seats over 3 rows where Name is not Total: 45", &[1, 2, 3]),
        (
            "Who has more seats, Ann or Bob?",
            "Name with the highest Seats where Name = Ann or Bob and Name is not Total: Bob (Seats 30, row 2)",
            &[2],
        ),
    ];
    for (q, text, rows) in cases {
        let f = lib.tables.analyze(q, None).await.unwrap_or_else(|e| panic!("{q}: {e}")).remove(0);
        assert_eq!(f.text, *text, "{q}");
        assert_eq!(f.rows, *rows, "{q}");
    }
    let err = lib.tables.analyze("How many entries mention glyphs?", None).await.unwrap_err().to_string();
    assert!(err.contains("glyph"), "the words it could not place are named: {err}");
}

#[tokio::test]
async fn period_columns_give_changes_and_respective_values() {
    let lib = library(&[("accounts.csv", ACCOUNTS.as_bytes().to_vec())]).await;
    let a = lib.tables.analyze_detailed("What was the change in Revenue from 2018 to 2019?", None).await.unwrap();
    assert_eq!(a.values, ["250"]);
    assert_eq!(a.finding.text, "Change from 2018 to 2019 where Item = Revenue: 250 (row 1)");
    assert_eq!(a.finding.columns, ["Item", "2018", "2019"]);
    let a = lib
        .tables
        .analyze_detailed("What is the percentage change in Revenue between 2018 and 2019?", None)
        .await
        .unwrap();
    assert_eq!(a.values, ["25"]);
    let a = lib.tables.analyze_detailed("What are the respective Costs in 2018 and 2019?", None).await.unwrap();
    assert_eq!(a.values, ["(400)", "(450)"]);
    assert_eq!(a.finding.rows, [2]);
}

#[tokio::test]
async fn a_value_is_found_without_its_bracketed_note() {
    let csv = "Rank,Cyclist,Team,Points\n1,Alejandro Valverde (ESP),Caisse d'Epargne,40\n2,Alexandr Kolobnev (RUS),Team CSC,30\n3,Davide Rebellin (ITA),Gerolsteiner,25\n";
    let lib = library(&[("cycling.csv", csv.as_bytes().to_vec())]).await;
    let found = lib.tables.analyze("How many points did Alejandro Valverde get?", None).await.unwrap();
    let f = &found[0];
    assert!(f.text.contains("40"), "{}", f.text);
    assert_eq!(f.rows, [1]);
    assert!(f.sql.as_deref().unwrap().contains("'Alejandro Valverde (ESP)'"), "{:?}", f.sql);
}

// ---------------------------------------------------------------------------------------------
// The port: any store of tables, not only the library

/// Tables held in memory, or a store that cannot be read.
struct Held {
    tables: Vec<(tables::StoredTable, Vec<serde_json::Value>)>,
    broken: bool,
}

#[async_trait::async_trait]
impl tables::TableStore for Held {
    async fn tables(&self) -> Result<Vec<tables::StoredTable>, String> {
        if self.broken {
            return Err("database disk image is malformed".into());
        }
        Ok(self.tables.iter().map(|t| t.0.clone()).collect())
    }

    async fn rows(&self, id: i64, first: u64, last: u64) -> Result<Vec<serde_json::Value>, String> {
        let (_, rows) = self.tables.iter().find(|t| t.0.id == id).ok_or("no such table")?;
        Ok(rows.iter().skip(first as usize - 1).take((last - first + 1) as usize).cloned().collect())
    }
}

fn held_crops() -> Held {
    let table = tables::StoredTable {
        id: 7,
        doc_id: 3,
        path: "/data/harvest.csv".into(),
        title: None,
        sheet: "harvest".into(),
        columns: vec![
            tables::Column { name: "Crop".into(), kind: tables::Kind::Text },
            tables::Column { name: "Tonnes".into(), kind: tables::Kind::Integer },
        ],
        row_count: 3,
    };
    let rows =
        vec![serde_json::json!(["wheat", 120]), serde_json::json!(["barley", 80]), serde_json::json!(["oats", 45])];
    Held { tables: vec![(table, rows)], broken: false }
}

#[tokio::test]
async fn the_action_reads_any_table_store_through_the_port() {
    let tables = LibraryTables::new(Arc::new(held_crops()));
    let finding = tables.analyze("What is the total tonnes of the harvest?", None).await.unwrap().remove(0);
    assert!(finding.text.contains("245"), "{}", finding.text);
    // The finding cites the store's document and path, and the file name stands in for a title.
    assert_eq!((finding.doc_id, finding.path.as_deref()), (Some(3), Some("/data/harvest.csv")));
    assert_eq!(finding.title, "harvest.csv");
    tables.fits("How many tonnes of wheat?").await.unwrap();
    let refused = tables.fits("Who wrote the preface?").await.unwrap_err();
    assert!(refused.to_string().contains("one table has no column"), "{refused}");
}

#[tokio::test]
async fn a_store_that_cannot_be_read_is_a_failure_with_its_reason() {
    let tables = LibraryTables::new(Arc::new(Held { tables: Vec::new(), broken: true }));
    let err = tables.analyze("total tonnes", None).await.unwrap_err();
    assert!(matches!(err, engine::ports::TableError::Failed(_)), "{err:?}");
    assert!(err.to_string().contains("cannot read the library's tables: database disk image is malformed"), "{err}");
    let empty = LibraryTables::new(Arc::new(Held { tables: Vec::new(), broken: false }));
    assert!(matches!(empty.fits("total tonnes").await.unwrap_err(), engine::ports::TableError::NoTable(_)));
}

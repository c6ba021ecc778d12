//! Random SQL from fragments that matter to the sandbox (statements that write, attach, load
//! extensions, read the schema, recurse; quotes, comments and separators) against a sandboxed
//! table: nothing panics, a result never exceeds the row limit, the table is never changed and
//! no file appears outside the sandbox. `CATENA_FUZZ_CASES` raises the fixed budget,
//! `CATENA_FUZZ_CPU_SECONDS` runs for that much CPU time and `CATENA_FUZZ_SEED` varies the inputs.

use std::time::Duration;

use tables::sandbox::Sandbox;
use tables::{Column, Kind, Limits, Table, Val};

const FRAGMENTS: &[&str] = &[
    "SELECT ",
    "* ",
    "COUNT(*) ",
    "\"Revenue\" ",
    "\"Region\" ",
    "FROM t ",
    "FROM sqlite_master ",
    "WHERE ",
    "1=1 ",
    "AND ",
    "OR ",
    "GROUP BY 1 ",
    "ORDER BY 1 ",
    "LIMIT 5000 ",
    "; ",
    "DELETE FROM t ",
    "UPDATE t SET \"Revenue\"=0 ",
    "INSERT INTO t VALUES (1) ",
    "DROP TABLE t ",
    "ATTACH DATABASE 'fuzz-attached.db' AS x ",
    "PRAGMA writable_schema=1 ",
    "load_extension('x') ",
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT n FROM c ",
    "VALUES (1),(2) ",
    "UNION ALL ",
    "( ",
    ") ",
    "' ",
    "\" ",
    "-- ",
    "/* ",
    "*/ ",
    "x'00' ",
    "randomblob(100000000) ",
    "zeroblob(2000000000) ",
    "printf('%.*c', 100000000, 'x') ",
    "char(0) ",
    "é ",
    "\u{0} ",
    "pragma_table_info('t') ",
    "CREATE TEMP TABLE y AS ",
    "VACUUM INTO 'fuzz-copy.db' ",
    "BEGIN ",
    "COMMIT ",
    "? ",
    "?1 ",
    ":a ",
    "$b ",
    "@c ",
];

fn table() -> Table {
    Table {
        doc_id: Some(1),
        path: None,
        title: "sales".into(),
        sheet: "sales".into(),
        columns: vec![
            Column { name: "Region".into(), kind: Kind::Text },
            Column { name: "Revenue".into(), kind: Kind::Integer },
        ],
        rows: (0..20).map(|i| vec![Val::Text(format!("r{i}")), Val::Int(i * 10)]).collect(),
    }
}

#[test]
fn random_sql_never_panics_changes_the_table_or_escapes_the_sandbox() {
    let mut budget = testkit::fuzz::Budget::new("SQL sandbox", 1500);
    let cwd_before: Vec<_> = std::fs::read_dir(".").unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    let sb = Sandbox::new(&table()).unwrap();
    let limits = Limits { time: Duration::from_millis(200), rows: 1000 };
    let mut rng = budget.rng(0x5A1D);
    let mut answered = 0;
    while budget.more() {
        let n = rng.usize(1..12);
        let sql: String = (0..n).map(|_| FRAGMENTS[rng.usize(0..FRAGMENTS.len())]).collect();
        if let Ok(answer) = sb.query(&sql, limits) {
            answered += 1;
            assert!(answer.rows.len() <= limits.rows, "{sql}");
        }
    }
    assert!(answered > 0, "no random query was ever answered; the test is not testing");
    let check = sb.query("SELECT COUNT(*), SUM(\"Revenue\") FROM t", limits).unwrap();
    assert_eq!(check.rows, [[Val::Int(20), Val::Int(1900)]]);
    let cwd_after: Vec<_> = std::fs::read_dir(".").unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(cwd_before, cwd_after, "a query created a file");
}

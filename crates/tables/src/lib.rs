//! The data-analysis action: answers questions over the tables the library keeps from CSV, TSV
//! and XLSX files, implementing [`engine::ports::TableAnalyst`].
//!
//! A question goes through three steps:
//!
//! 1. **Choose a table** ([`LibraryTables`]): among the tables a [`TableStore`] lists (the
//!    library's, for the documents it shows as indexed; the composition root implements the port), the one whose column names, sheet name, title and cell values best fit the
//!    question.
//! 2. **Write a query.** With a model, the model sees the schema and a few sample rows (delimited
//!    as data) and writes one `SELECT` ([`prompt`]); an error goes back to it once. Without one,
//!    the question is read against the table's columns and values ([`det`]) into the same kind
//!    of SQL, or refused with the reason when it is not understood.
//! 3. **Run it in a sandbox** ([`sandbox`]): the table alone, in its own read-only SQLite
//!    database, behind SQLite's authorizer, a statement count, a time limit and a row limit.
//!
//! The finding states the value and how it was computed, with the SQL, the columns and the
//! data rows it used.
//!
//! SQLite is reached through `rusqlite` (not sqlx, which the catalog uses): the guard needs the
//! authorizer, the progress handler, `sqlite3_stmt_readonly` and per-connection limits, which
//! `rusqlite` exposes as safe API, and it links the same `libsqlite3-sys` as sqlx, so the
//! workspace keeps one SQLite.

pub mod det;
pub mod prompt;
pub mod sandbox;
pub mod table;
pub mod words;

use std::sync::Arc;

use engine::Location;
use engine::ports::{Llm, TableError, TableFinding};

pub use sandbox::{Limits, QueryError};
pub use table::{Column, Kind, Table, Val};

use crate::det::{Op, Query};
use crate::sandbox::{Answer, ROW_COLUMN, Sandbox, TABLE};

/// Rows loaded from one table (the rest are left out of the analysis, and the finding says so).
const MAX_ROWS: u64 = 200_000;
/// Tables whose rows are read to compare cell values with the question.
const CANDIDATES: usize = 4;
/// Rows listed in a finding; beyond this the finding cites the whole range.
const MAX_LISTED_ROWS: usize = 50;

/// A finding and the bare values behind it (for evaluation and for callers that compare).
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The finding the engine cites.
    pub finding: TableFinding,
    /// The answer values, plain (no grouping), in result order.
    pub values: Vec<String>,
    /// True when the model wrote the query.
    pub by_model: bool,
}

/// A stored table, described without its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTable {
    /// The table's id in the store (what [`TableStore::rows`] takes).
    pub id: i64,
    /// The document it came from.
    pub doc_id: i64,
    /// That document's path.
    pub path: String,
    /// That document's title, when it has one.
    pub title: Option<String>,
    /// Sheet name (the file stem for CSV/TSV).
    pub sheet: String,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Number of data rows.
    pub row_count: u64,
}

/// Where the tables come from: the port the composition root implements over the library (the
/// catalog's `doc_tables`), so this crate reads no catalog itself. Errors are the store's own
/// words; the action adds what it was doing.
#[async_trait::async_trait]
pub trait TableStore: Send + Sync {
    /// Every table of the documents the library shows as indexed.
    async fn tables(&self) -> Result<Vec<StoredTable>, String>;
    /// Data rows `first..=last` (1-based) of table `id`, each a JSON array of typed cells.
    async fn rows(&self, id: i64, first: u64, last: u64) -> Result<Vec<serde_json::Value>, String>;
}

/// The data-analysis action over the tables a [`TableStore`] holds.
pub struct LibraryTables {
    store: Arc<dyn TableStore>,
    limits: Limits,
}

impl LibraryTables {
    /// Analysis over `store`'s tables with the default limits (2 s, 1000 rows).
    pub fn new(store: Arc<dyn TableStore>) -> LibraryTables {
        LibraryTables { store, limits: Limits::default() }
    }

    /// Other query limits.
    pub fn with_limits(mut self, limits: Limits) -> LibraryTables {
        self.limits = limits;
        self
    }

    /// Every table of the documents the library shows as indexed, with rows loaded, best fit for
    /// `question` first. Only the best few are loaded in full.
    pub async fn candidates(&self, question: &str) -> Result<Vec<Table>, TableError> {
        let qstems = words::stems(question);
        let mut infos = Vec::new();
        for t in self.stored_tables().await? {
            infos.push((name_score(&qstems, &t), t));
        }
        if infos.is_empty() {
            return Err(TableError::NoTable("the library holds no tables (add CSV, TSV or XLSX files)".into()));
        }
        infos.sort_by(|a, b| b.0.total_cmp(&a.0));
        infos.truncate(CANDIDATES);
        let mut scored = Vec::new();
        for (score, info) in infos {
            let last = info.row_count.min(MAX_ROWS);
            let rows = self.store.rows(info.id, 1, last).await.map_err(read_failed)?;
            let title = info.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| file_name(&info.path));
            let table = Table {
                doc_id: Some(info.doc_id),
                path: Some(info.path.clone()),
                title,
                sheet: info.sheet,
                columns: info.columns,
                rows: rows
                    .iter()
                    .map(|r| r.as_array().map(|a| a.iter().map(Val::from_json).collect()).unwrap_or_default())
                    .collect(),
            };
            let values = det::value_hits(question, &table).len() as f64;
            scored.push((score + values, table));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(scored.into_iter().map(|s| s.1).collect())
    }

    /// A cheap check that some table plausibly fits `question`, from the catalog's table names,
    /// document titles and column headers alone (no rows are read): a table fits when the
    /// question names at least one whole column, sheet or title's worth of words, not counting
    /// words every table might have (`year`, `total`, `name`, …).
    pub async fn fits(&self, question: &str) -> Result<(), TableError> {
        const GENERIC: &[&str] = &["year", "total", "number", "count", "name", "date", "amount", "id", "no", "type"];
        let qstems: Vec<String> =
            words::stems(question).into_iter().filter(|s| !GENERIC.contains(&s.as_str())).collect();
        let stored = self.stored_tables().await?;
        for t in &stored {
            if name_score(&qstems, t) >= 1.0 {
                return Ok(());
            }
        }
        let tables = stored.len();
        Err(TableError::NoTable(match tables {
            0 => "the library holds no tables (add CSV, TSV or XLSX files)".into(),
            1 => "the library's one table has no column or name the question mentions".into(),
            n => format!("none of the library's {n} tables has a column or name the question mentions"),
        }))
    }

    async fn stored_tables(&self) -> Result<Vec<StoredTable>, TableError> {
        self.store.tables().await.map_err(read_failed)
    }

    /// The analysis with its bare values.
    pub async fn analyze_detailed(&self, question: &str, llm: Option<&dyn Llm>) -> Result<Analysis, TableError> {
        let tables = self.candidates(question).await?;
        let mut first_error = None;
        for table in tables {
            match answer(question, table, llm, self.limits).await {
                Ok(a) => return Ok(a),
                Err(e) => {
                    first_error.get_or_insert(e);
                    // With a model the best table is the one it was asked about.
                    if llm.is_some() {
                        break;
                    }
                }
            }
        }
        Err(first_error.unwrap_or_else(|| TableError::NoTable("no table fits the question".into())))
    }
}

#[async_trait::async_trait]
impl engine::ports::TableAnalyst for LibraryTables {
    async fn analyze(&self, question: &str, llm: Option<&dyn Llm>) -> Result<Vec<TableFinding>, TableError> {
        Ok(vec![self.analyze_detailed(question, llm).await?.finding])
    }

    async fn fits(&self, question: &str) -> Result<(), TableError> {
        LibraryTables::fits(self, question).await
    }
}

/// How well a table's column names, sheet and document title match the question's stems.
fn name_score(qstems: &[String], t: &StoredTable) -> f64 {
    let header: f64 = t.columns.iter().map(|c| det::mention(qstems, &c.name)).sum();
    header + det::mention(qstems, &t.sheet) + det::mention(qstems, t.title.as_deref().unwrap_or(""))
}

fn read_failed(e: String) -> TableError {
    TableError::Failed(format!("cannot read the library's tables: {e}"))
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string())
}

/// Answers `question` over one table: with the model when one is given, else deterministically.
pub async fn answer(
    question: &str,
    table: Table,
    llm: Option<&dyn Llm>,
    limits: Limits,
) -> Result<Analysis, TableError> {
    let table = Arc::new(table);
    let sandbox = {
        let t = table.clone();
        blocking(move || Sandbox::new(&t)).await?.map_err(|e| TableError::Failed(e.to_string()))?
    };
    let mut runner = Runner { sandbox: Some(sandbox), limits };
    match llm {
        Some(llm) => by_model(question, &table, llm, &mut runner).await,
        None => deterministic(question, &table, &mut runner).await,
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, TableError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| TableError::Failed(format!("the query task failed: {e}")))
}

/// Moves the sandbox to a blocking thread for each query.
struct Runner {
    sandbox: Option<Sandbox>,
    limits: Limits,
}

impl Runner {
    async fn query(&mut self, sql: &str) -> Result<Answer, QueryError> {
        let Some(sb) = self.sandbox.take() else {
            return Err(QueryError::Setup("the table is no longer open".into()));
        };
        let (sql, limits) = (sql.to_string(), self.limits);
        let (sb, result) = tokio::task::spawn_blocking(move || {
            let r = sb.query(&sql, limits);
            (sb, r)
        })
        .await
        .map_err(|e| QueryError::Setup(format!("the query task failed: {e}")))?;
        self.sandbox = Some(sb);
        result
    }
}

fn location(table: &Table, rows: &[u64]) -> Location {
    let (first, last) = match (rows.iter().min(), rows.iter().max()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (1, table.rows.len().max(1) as u64),
    };
    Location::Rows { sheet: table.sheet.clone(), first, last }
}

fn finding(table: &Table, text: String, sql: String, columns: Vec<String>, rows: Vec<u64>) -> TableFinding {
    TableFinding {
        doc_id: table.doc_id,
        path: table.path.clone(),
        title: table.title.clone(),
        location: location(table, &rows),
        text,
        sql: Some(sql),
        columns,
        rows,
    }
}

fn row_numbers(a: &Answer) -> Vec<u64> {
    a.rows.iter().filter_map(|r| r.first().and_then(Val::as_f64)).map(|x| x as u64).collect()
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{} {one}s", Val::Int(n as i64)) }
}

async fn deterministic(question: &str, table: &Table, runner: &mut Runner) -> Result<Analysis, TableError> {
    let q: Query = det::parse(question, table).map_err(|why| {
        TableError::Failed(format!("cannot read the question against the table \"{}\": {why}", table.sheet))
    })?;
    let sql = det::to_sql(&q, table);
    let failed = |e: QueryError| TableError::Failed(e.to_string());
    let result = runner.query(&sql).await.map_err(failed)?;
    let listed = runner.query(&det::rows_sql(&q, table, MAX_LISTED_ROWS)).await.map_err(failed)?;
    let mut rows = row_numbers(&listed);
    let n_rows = if rows.len() > MAX_LISTED_ROWS {
        let count_sql = det::rows_sql(&q, table, 0)
            .replacen(&format!("SELECT {ROW_COLUMN}"), "SELECT COUNT(*)", 1)
            .replace(&format!(" ORDER BY {ROW_COLUMN} LIMIT 1"), "");
        let c = runner.query(&count_sql).await.map_err(failed)?;
        rows.clear();
        c.rows.first().and_then(|r| r.first()).and_then(Val::as_f64).unwrap_or(0.0) as usize
    } else {
        rows.len()
    };
    let w = det::where_text(&q, table);
    let scope = if w.is_empty() { String::new() } else { format!(" where {w}") };
    let columns = det::columns_used(&q, table);
    let name = |i: usize| table.columns[i].name.clone();
    let first = result.rows.first();
    let cell = |i: usize| first.and_then(|r| r.get(i)).cloned().unwrap_or(Val::Null);
    let (text, values, rows) = match &q.op {
        Op::Count => {
            let v = cell(0);
            (format!("Count of rows{scope} in {}: {v}", table.sheet), vec![v.plain()], rows)
        }
        Op::Sum(c) | Op::Avg(c) => {
            let v = cell(0);
            if v.is_null() {
                (format!("No {} values{scope} in {}", name(*c), table.sheet), Vec::new(), rows)
            } else {
                let what = if matches!(q.op, Op::Sum(_)) { "Sum" } else { "Average" };
                let v = match v {
                    Val::Real(x) => Val::Real((x * 1e6).round() / 1e6),
                    other => other,
                };
                (format!("{what} of {} over {}{scope}: {v}", name(*c), plural(n_rows, "row")), vec![v.plain()], rows)
            }
        }
        Op::Max(c) | Op::Min(c) => {
            let what = if matches!(q.op, Op::Max(_)) { "Highest" } else { "Lowest" };
            let (v, r) = (cell(0), cell(1).as_f64().map(|x| x as u64));
            match r {
                Some(r) => (
                    format!("{what} {} over {}{scope}: {v} (row {r})", name(*c), plural(n_rows, "row")),
                    vec![v.plain()],
                    vec![r],
                ),
                None => (format!("No {} values{scope} in {}", name(*c), table.sheet), Vec::new(), rows),
            }
        }
        Op::Arg { key, by, highest } => {
            let (k, v, r) = (cell(0), cell(1), cell(2).as_f64().map(|x| x as u64));
            let dir = if *highest { "highest" } else { "lowest" };
            match r {
                Some(r) => (
                    format!("{} with the {dir} {}{scope}: {k} ({} {v}, row {r})", name(*key), name(*by), name(*by)),
                    vec![k.plain()],
                    vec![r],
                ),
                None => (format!("No {} values{scope} in {}", name(*by), table.sheet), Vec::new(), rows),
            }
        }
        Op::Distinct(c) => {
            let v = cell(0);
            (
                format!("Number of different {} values over {}{scope}: {v}", name(*c), plural(n_rows, "row")),
                vec![v.plain()],
                rows,
            )
        }
        Op::Most { key, highest } => {
            let (k, n) = (cell(0), cell(1));
            if k.is_null() {
                (format!("No {} values{scope} in {}", name(*key), table.sheet), Vec::new(), rows)
            } else {
                let listed = runner
                    .query(&format!(
                        "SELECT {ROW_COLUMN} FROM {TABLE} WHERE {} = {} ORDER BY {ROW_COLUMN} LIMIT {}",
                        sandbox::quote_ident(&name(*key)),
                        det::literal(&k),
                        MAX_LISTED_ROWS + 1
                    ))
                    .await
                    .map(|a| row_numbers(&a))
                    .unwrap_or_default();
                let dir = if *highest { "most" } else { "fewest" };
                (
                    format!("{} with the {dir} rows{scope}: {k} ({n} of {})", name(*key), plural(n_rows, "row")),
                    vec![k.plain()],
                    if listed.len() <= MAX_LISTED_ROWS { listed } else { Vec::new() },
                )
            }
        }
        Op::Across { cols, how } => match result.rows.first() {
            None => (format!("No rows{scope} in {}", table.sheet), Vec::new(), Vec::new()),
            Some(r) => {
                let at = r.last().and_then(Val::as_f64).map(|x| x as u64);
                let names: Vec<String> = cols.iter().map(|&i| name(i)).collect();
                let (what, vals): (String, Vec<Val>) = match how {
                    det::Across::Values => (names.join(" and "), r[..r.len().saturating_sub(1)].to_vec()),
                    other => {
                        let v = match r.first() {
                            Some(Val::Real(x)) => Val::Real((x * 100.0).round() / 100.0),
                            Some(v) => v.clone(),
                            None => Val::Null,
                        };
                        let first = names.first().cloned().unwrap_or_default();
                        let last = names.last().cloned().unwrap_or_default();
                        let what = match other {
                            det::Across::Change => format!("Change from {first} to {last}"),
                            det::Across::PercentChange => format!("Percentage change from {first} to {last}"),
                            det::Across::Mean => format!("Average of {}", names.join(", ")),
                            _ => format!("Sum of {}", names.join(", ")),
                        };
                        (what, vec![v])
                    }
                };
                let shown: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                let at_text = at.map(|a| format!(" (row {a})")).unwrap_or_default();
                (
                    format!("{what}{scope}: {}{at_text}", shown.join("; ")),
                    vals.iter().map(Val::plain).collect(),
                    at.into_iter().collect(),
                )
            }
        },
        Op::Lookup(c) => {
            if result.rows.is_empty() {
                (format!("No rows{scope} in {}", table.sheet), Vec::new(), rows)
            } else {
                let vals: Vec<Val> = result.rows.iter().map(|r| r.first().cloned().unwrap_or(Val::Null)).collect();
                let rs: Vec<u64> =
                    result.rows.iter().filter_map(|r| r.get(1).and_then(Val::as_f64)).map(|x| x as u64).collect();
                let shown: Vec<String> = vals.iter().take(10).map(|v| v.to_string()).collect();
                let more = if vals.len() > 10 { format!(" and {} more", vals.len() - 10) } else { String::new() };
                let at =
                    if rs.len() == 1 { format!(" (row {})", rs[0]) } else { format!(" ({})", plural(rs.len(), "row")) };
                (
                    format!("{}{scope}: {}{more}{at}", name(*c), shown.join("; ")),
                    vals.iter().map(Val::plain).collect(),
                    if rs.len() <= MAX_LISTED_ROWS { rs } else { Vec::new() },
                )
            }
        }
    };
    Ok(Analysis { finding: finding(table, text, sql, columns, rows), values, by_model: false })
}

async fn by_model(question: &str, table: &Table, llm: &dyn Llm, runner: &mut Runner) -> Result<Analysis, TableError> {
    let first = prompt::request(question, table);
    let ask = |req: engine::ports::ChatRequest| async move {
        llm.complete(&req, None)
            .await
            .map(|r| r.content)
            .map_err(|e| TableError::Failed(format!("the model could not write the query: {e}")))
    };
    let reply = ask(first.clone()).await?;
    let sql = prompt::extract_sql(&reply);
    let (sql, result) = match runner.query(&sql).await {
        Ok(r) => (sql, r),
        Err(e) => {
            let fixed = ask(prompt::retry(&first, &reply, &e.to_string())).await?;
            let sql2 = prompt::extract_sql(&fixed);
            match runner.query(&sql2).await {
                Ok(r) => (sql2, r),
                Err(e2) => {
                    return Err(TableError::Failed(format!(
                        "the model's query failed twice: first {e}; then {e2} (last query: {sql2})"
                    )));
                }
            }
        }
    };
    // The answer columns, without the row number if the model selected it.
    let keep: Vec<usize> = (0..result.columns.len()).filter(|&i| result.columns[i] != ROW_COLUMN).collect();
    let row_col = result.columns.iter().position(|c| c == ROW_COLUMN);
    let mut rows: Vec<u64> = match row_col {
        Some(i) => result.rows.iter().filter_map(|r| r.get(i).and_then(Val::as_f64)).map(|x| x as u64).collect(),
        None => match where_clause(&sql) {
            Some(w) => runner
                .query(&format!(
                    "SELECT {ROW_COLUMN} FROM {TABLE} WHERE {w} ORDER BY {ROW_COLUMN} LIMIT {}",
                    MAX_LISTED_ROWS + 1
                ))
                .await
                .map(|a| row_numbers(&a))
                .unwrap_or_default(),
            None => Vec::new(),
        },
    };
    if rows.len() > MAX_LISTED_ROWS {
        rows.clear();
    }
    let values: Vec<String> =
        result.rows.iter().filter_map(|r| keep.first().and_then(|&i| r.get(i))).map(Val::plain).collect();
    let shown: Vec<String> = result
        .rows
        .iter()
        .take(10)
        .map(|r| keep.iter().filter_map(|&i| r.get(i)).map(|v| v.to_string()).collect::<Vec<_>>().join(" | "))
        .collect();
    let text = match result.rows.len() {
        0 => format!("The query over {} returned no rows", table.sheet),
        1 => format!("Query over {} ({}): {}", table.sheet, header(&result, &keep), shown.join("; ")),
        n => format!(
            "Query over {} returned {n} rows ({}): {}{}",
            table.sheet,
            header(&result, &keep),
            shown.join("; "),
            if n > 10 { " …" } else { "" }
        ),
    };
    Ok(Analysis { finding: finding(table, text, sql, result.read.clone(), rows), values, by_model: true })
}

fn header(a: &Answer, keep: &[usize]) -> String {
    keep.iter().filter_map(|&i| a.columns.get(i)).cloned().collect::<Vec<_>>().join(" | ")
}

/// The WHERE clause of a simple single-table query (`SELECT … FROM t WHERE … [GROUP BY|ORDER
/// BY|LIMIT …]`), so the finding can list the rows it read. None for anything more complex.
fn where_clause(sql: &str) -> Option<String> {
    let lower = sql.to_lowercase();
    if lower.matches("select").count() != 1
        || lower.contains(" join ")
        || lower.contains(',') && lower.contains(" from t,")
    {
        return None;
    }
    let start = lower.find(" where ")? + 7;
    let end = [" group by ", " order by ", " limit ", " having "]
        .iter()
        .filter_map(|k| lower[start..].find(k).map(|p| start + p))
        .min()
        .unwrap_or(sql.len());
    sql.get(start..end).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

//! One table in its own SQLite database, and the guarded query runner over it.
//!
//! The table is written into a fresh database file in a temporary folder by a writing
//! connection that is then closed. Queries run on a second connection opened read-only
//! (`SQLITE_OPEN_READ_ONLY`, `immutable=1`, `PRAGMA query_only`), so nothing a query does can
//! reach the library's catalog or any other file. On that connection, before anything runs:
//!
//! - the text must prepare as exactly one statement (SQLite's parser decides, not a pattern);
//! - SQLite must call it read-only (`sqlite3_stmt_readonly`);
//! - an authorizer, consulted by SQLite for every table, column, function and operation the
//!   statement touches, allows only reading the one table and calling known pure functions:
//!   `ATTACH`, `PRAGMA`, transactions, temp objects, writes and `load_extension` are denied;
//! - size limits cap string length, SQL length and attached databases (0).
//!
//! While it runs, a progress handler stops it at the time limit, and reading stops at the row
//! limit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::table::{Kind, Table, Val};

/// The name of the table inside its database.
pub const TABLE: &str = "t";
/// The hidden column holding each row's 1-based data-row number.
pub const ROW_COLUMN: &str = "_row";

/// Bounds on one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time one query may run.
    pub time: Duration,
    /// Result rows one query may return.
    pub rows: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { time: Duration::from_secs(2), rows: 1000 }
    }
}

/// Why a query did not give a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The query was refused before it ran.
    #[error("query refused: {0}")]
    Refused(String),
    /// The time limit stopped it.
    #[error("query stopped at the {0:?} time limit")]
    Timeout(Duration),
    /// It returned more rows than allowed.
    #[error("query returns more than {0} rows; aggregate or add a LIMIT")]
    TooManyRows(usize),
    /// SQLite rejected it (syntax, unknown column, …).
    #[error("query failed: {0}")]
    Sql(String),
    /// The table could not be materialised.
    #[error("cannot prepare the table for queries: {0}")]
    Setup(String),
}

/// A query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Result column names.
    pub columns: Vec<String>,
    /// Result rows.
    pub rows: Vec<Vec<Val>>,
    /// Columns of the table the query read, as SQLite's authorizer reported them, in table order.
    pub read: Vec<String>,
}

/// A table materialised for querying. Dropping it deletes the database.
pub struct Sandbox {
    conn: Connection,
    /// Columns read by the statement being prepared (filled by the authorizer).
    read: Arc<Mutex<Vec<String>>>,
    /// When the running query must stop (read by the progress handler).
    deadline: Arc<Mutex<Option<Instant>>>,
    columns: Vec<String>,
    _dir: tempfile::TempDir,
}

/// Functions a query may call: SQLite's core scalar, aggregate, window, date and math
/// functions. Anything else (`load_extension`, `fts3_tokenizer`, `randomblob`, …) is refused.
const FUNCTIONS: &[&str] = &[
    "abs",
    "avg",
    "ceil",
    "ceiling",
    "char",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "cume_dist",
    "date",
    "datetime",
    "dense_rank",
    "exp",
    "first_value",
    "floor",
    "format",
    "glob",
    "group_concat",
    "hex",
    "iif",
    "if",
    "ifnull",
    "instr",
    "julianday",
    "lag",
    "last_value",
    "lead",
    "length",
    "like",
    "ln",
    "log",
    "log10",
    "log2",
    "lower",
    "ltrim",
    "max",
    "min",
    "mod",
    "nth_value",
    "ntile",
    "nullif",
    "percent_rank",
    "pi",
    "pow",
    "power",
    "printf",
    "quote",
    "rank",
    "replace",
    "round",
    "row_number",
    "rtrim",
    "sign",
    "sqrt",
    "strftime",
    "string_agg",
    "substr",
    "substring",
    "sum",
    "time",
    "timediff",
    "total",
    "trim",
    "trunc",
    "typeof",
    "unicode",
    "unixepoch",
    "upper",
];

impl Sandbox {
    /// Writes `table` into a new database and opens it read-only.
    pub fn new(table: &Table) -> Result<Sandbox, QueryError> {
        let setup = |e: rusqlite::Error| QueryError::Setup(e.to_string());
        let dir = tempfile::tempdir().map_err(|e| QueryError::Setup(e.to_string()))?;
        let path: PathBuf = dir.path().join("table.db");
        {
            let mut w = Connection::open(&path).map_err(setup)?;
            w.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;").map_err(setup)?;
            let mut defs = vec![format!("{} INTEGER PRIMARY KEY", quote_ident(ROW_COLUMN))];
            defs.extend(table.columns.iter().map(|c| format!("{} {}", quote_ident(&c.name), c.kind.sql_type())));
            w.execute_batch(&format!("CREATE TABLE {TABLE} ({})", defs.join(", "))).map_err(setup)?;
            let tx = w.transaction().map_err(setup)?;
            {
                let marks = vec!["?"; table.columns.len() + 1].join(", ");
                let mut ins = tx.prepare(&format!("INSERT INTO {TABLE} VALUES ({marks})")).map_err(setup)?;
                for (i, row) in table.rows.iter().enumerate() {
                    let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(row.len() + 1);
                    values.push(rusqlite::types::Value::Integer(i as i64 + 1));
                    for (c, col) in table.columns.iter().enumerate() {
                        values.push(to_sql(row.get(c).unwrap_or(&Val::Null), col.kind));
                    }
                    ins.execute(rusqlite::params_from_iter(values)).map_err(setup)?;
                }
            }
            tx.commit().map_err(setup)?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let uri = format!("file:{}?mode=ro&immutable=1", uri_path(&path));
        let conn = Connection::open_with_flags(uri, flags).map_err(setup)?;
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;").map_err(setup)?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0).map_err(setup)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 1_000_000).map_err(setup)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000).map_err(setup)?;
        conn.set_limit(Limit::SQLITE_LIMIT_COMPOUND_SELECT, 50).map_err(setup)?;

        let read = Arc::new(Mutex::new(Vec::new()));
        let seen = read.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| authorize(&ctx, &seen))).map_err(setup)?;
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let until = deadline.clone();
        conn.progress_handler(1000, Some(move || lock(&until).is_some_and(|d| Instant::now() >= d))).map_err(setup)?;
        Ok(Sandbox { conn, read, deadline, columns: table.columns.iter().map(|c| c.name.clone()).collect(), _dir: dir })
    }

    /// Runs one read-only query within `limits`.
    pub fn query(&self, sql: &str, limits: Limits) -> Result<Answer, QueryError> {
        let sql = sql.trim();
        let head = first_keyword(sql);
        if !matches!(head.as_str(), "select" | "with" | "values") {
            return Err(QueryError::Refused(format!(
                "only a single SELECT is allowed, not {}",
                if head.is_empty() { "an empty query".to_string() } else { head.to_uppercase() }
            )));
        }
        lock(&self.read).clear();
        let mut stmt = self.conn.prepare(sql).map_err(|e| match e {
            rusqlite::Error::MultipleStatement => QueryError::Refused("only one statement is allowed".to_string()),
            rusqlite::Error::SqliteFailure(f, ref m)
                if f.code == rusqlite::ErrorCode::AuthorizationForStatementDenied =>
            {
                QueryError::Refused(refusal(m.as_deref(), &lock(&self.read)))
            }
            other if lock(&self.read).iter().any(|s| s.starts_with('\u{0}')) => {
                QueryError::Refused(refusal(Some(&sql_message(&other)), &lock(&self.read)))
            }
            other => QueryError::Sql(sql_message(&other)),
        })?;
        if !stmt.readonly() {
            return Err(QueryError::Refused("the statement would write".to_string()));
        }
        let read_now: Vec<String> = lock(&self.read).clone();
        let read =
            self.columns.iter().filter(|c| read_now.iter().any(|r| r.eq_ignore_ascii_case(c))).cloned().collect();
        let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_string).collect();
        let n = columns.len();
        *lock(&self.deadline) = Some(Instant::now() + limits.time);
        let result = (|| {
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                if out.len() == limits.rows {
                    return Ok(Err(QueryError::TooManyRows(limits.rows)));
                }
                let mut vals = Vec::with_capacity(n);
                for i in 0..n {
                    vals.push(from_sql(row.get_ref(i)?));
                }
                out.push(vals);
            }
            Ok(Ok(out))
        })();
        *lock(&self.deadline) = None;
        match result {
            Ok(Ok(rows)) => Ok(Answer { columns, rows, read }),
            Ok(Err(e)) => Err(e),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::OperationInterrupted => {
                Err(QueryError::Timeout(limits.time))
            }
            Err(e) => Err(QueryError::Sql(sql_message(&e))),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn authorize(ctx: &AuthContext<'_>, seen: &Mutex<Vec<String>>) -> Authorization {
    match ctx.action {
        AuthAction::Select | AuthAction::Recursive => Authorization::Allow,
        AuthAction::Read { table_name, column_name } => {
            let lower = table_name.to_lowercase();
            let schema = lower.starts_with("sqlite_") || lower.starts_with("pragma_");
            if table_name.eq_ignore_ascii_case(TABLE) && ctx.database_name.is_none_or(|d| d == "main") {
                if !column_name.is_empty() {
                    lock(seen).push(column_name.to_string());
                }
                Authorization::Allow
            } else if !schema && ctx.database_name.is_none_or(|d| d == "main") {
                // The database holds `t` alone, so any other name read from it is a common
                // table expression of the query itself.
                Authorization::Allow
            } else {
                lock(seen).push(format!("\u{0}table {table_name}"));
                Authorization::Deny
            }
        }
        AuthAction::Function { function_name } => {
            if FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(function_name)) {
                Authorization::Allow
            } else {
                lock(seen).push(format!("\u{0}function {function_name}"));
                Authorization::Deny
            }
        }
        AuthAction::Attach { .. } => deny(seen, "ATTACH"),
        AuthAction::Detach { .. } => deny(seen, "DETACH"),
        AuthAction::Pragma { .. } => deny(seen, "PRAGMA"),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => deny(seen, "transaction control"),
        AuthAction::CreateTempTable { .. }
        | AuthAction::CreateTempIndex { .. }
        | AuthAction::CreateTempTrigger { .. }
        | AuthAction::CreateTempView { .. } => deny(seen, "creating temporary objects"),
        _ => deny(seen, "changing the database"),
    }
}

fn deny(seen: &Mutex<Vec<String>>, what: &str) -> Authorization {
    lock(seen).push(format!("\u{0}{what}"));
    Authorization::Deny
}

/// The refusal message: what the authorizer denied, else SQLite's own words.
fn refusal(sqlite: Option<&str>, seen: &[String]) -> String {
    match seen.iter().rev().find_map(|s| s.strip_prefix('\u{0}')) {
        Some(what) if what.starts_with("table ") => format!("only the table {TABLE} may be read ({what})"),
        Some(what) if what.starts_with("function ") => format!("{what} is not allowed"),
        Some(what) => format!("{what} is not allowed"),
        None => sqlite.unwrap_or("not authorized").to_string(),
    }
}

fn sql_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    }
}

/// The first keyword of `sql`, lowercased, after comments and opening parentheses.
fn first_keyword(sql: &str) -> String {
    let mut s = sql;
    loop {
        let t = s.trim_start().trim_start_matches('(').trim_start();
        if let Some(rest) = t.strip_prefix("--") {
            s = rest.split_once('\n').map(|x| x.1).unwrap_or("");
        } else if let Some(rest) = t.strip_prefix("/*") {
            s = rest.split_once("*/").map(|x| x.1).unwrap_or("");
        } else {
            s = t;
            break;
        }
    }
    s.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_lowercase()
}

/// `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn uri_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut out = String::new();
    for ch in s.chars() {
        match ch {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    if out.starts_with('/') { out } else { format!("/{out}") }
}

fn to_sql(v: &Val, kind: Kind) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match (v, kind) {
        (Val::Null, _) => V::Null,
        (Val::Int(i), Kind::Real) => V::Real(*i as f64),
        (Val::Int(i), _) => V::Integer(*i),
        (Val::Real(f), _) => V::Real(*f),
        (Val::Bool(b), _) => V::Integer(i64::from(*b)),
        (Val::Text(s), _) => V::Text(s.clone()),
    }
}

fn from_sql(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(f) => Val::Real(f),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Text(format!("<{} bytes>", b.len())),
    }
}

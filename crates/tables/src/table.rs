//! A table as the analyst works with it: typed columns and rows loaded from the catalog.

use std::fmt;

/// A column type, as the catalog stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Whole numbers.
    Integer,
    /// Decimal numbers.
    Real,
    /// `YYYY-MM-DD[THH:MM:SS]`.
    Date,
    /// true/false.
    Boolean,
    /// Anything else.
    Text,
}

impl Kind {
    /// From the catalog's type name.
    pub fn parse(s: &str) -> Kind {
        match s {
            "integer" => Kind::Integer,
            "real" => Kind::Real,
            "date" => Kind::Date,
            "boolean" => Kind::Boolean,
            _ => Kind::Text,
        }
    }

    /// Numbers one can add up.
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Integer | Kind::Real)
    }

    /// The SQLite column type.
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::Integer | Kind::Boolean => "INTEGER",
            Kind::Real => "REAL",
            Kind::Date | Kind::Text => "TEXT",
        }
    }

    /// The catalog's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Real => "real",
            Kind::Date => "date",
            Kind::Boolean => "boolean",
            Kind::Text => "text",
        }
    }
}

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Empty.
    Null,
    /// Whole number.
    Int(i64),
    /// Decimal number.
    Real(f64),
    /// Boolean.
    Bool(bool),
    /// Text or a date.
    Text(String),
}

impl Val {
    /// From a catalog JSON cell.
    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => n.as_f64().map(Val::Real).unwrap_or(Val::Null),
            },
            serde_json::Value::String(s) => Val::Text(s.clone()),
            other => Val::Text(other.to_string()),
        }
    }

    /// The value as a number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Real(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as plain text, without grouping (for answers compared by machines).
    pub fn plain(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Int(i) => i.to_string(),
            Val::Real(f) => plain_number(*f),
            Val::Bool(b) => b.to_string(),
            Val::Text(s) => s.clone(),
        }
    }

    /// True when empty.
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

/// For people: numbers with thousands separators, at most 4 decimals.
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => f.write_str("(empty)"),
            Val::Int(i) => f.write_str(&group(&i.to_string())),
            Val::Real(x) => {
                let s = plain_number(*x);
                match s.split_once('.') {
                    Some((int, frac)) => write!(f, "{}.{frac}", group(int)),
                    None => f.write_str(&group(&s)),
                }
            }
            Val::Bool(b) => write!(f, "{b}"),
            Val::Text(s) => f.write_str(s),
        }
    }
}

fn plain_number(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

fn group(digits: &str) -> String {
    let (sign, d) = digits.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", digits));
    if !d.chars().all(|c| c.is_ascii_digit()) {
        return digits.to_string();
    }
    let mut out = String::new();
    for (i, ch) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Type.
    pub kind: Kind,
}

/// A table loaded from the library.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Catalog document id.
    pub doc_id: Option<i64>,
    /// Source path.
    pub path: Option<String>,
    /// Document title (or the file name).
    pub title: String,
    /// Sheet name (XLSX) or file stem (CSV/TSV).
    pub sheet: String,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Data rows, each as long as `columns`; row `i` is data row `i + 1`.
    pub rows: Vec<Vec<Val>>,
}

impl Table {
    /// A column's index by exact name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// A cell, empty when out of range.
    pub fn cell(&self, row: usize, col: usize) -> &Val {
        static NULL: Val = Val::Null;
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&NULL)
    }
}

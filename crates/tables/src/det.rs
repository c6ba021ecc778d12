//! Questions answered without a model: the question is read against the table's column names
//! and cell values into a small query (an operation, a target column, filters), which becomes
//! SQL and runs in the same sandbox as a model's query.
//!
//! Understood: counts ("how many …", "number of …"), sums ("total", "sum", "combined"),
//! averages, minimum and maximum ("highest", "most", "lowest", "least", …), "which X has the
//! highest Y", filters on cell values named in the question ("in 2019", "where country is
//! France", a year of a date column), numeric comparisons ("more than 100"), and lookups ("what
//! was the revenue of North in 2019"). Anything else is reported as not understood.

use crate::sandbox::{ROW_COLUMN, TABLE, quote_ident};
use crate::table::{Kind, Table, Val};
use crate::words::{self, padded, stem, stems};

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Number of rows.
    Count,
    /// Sum of a column.
    Sum(usize),
    /// Mean of a column.
    Avg(usize),
    /// Largest value of a column.
    Max(usize),
    /// Smallest value of a column.
    Min(usize),
    /// The `key` of the row with the largest (`highest`) or smallest `by`.
    Arg { key: usize, by: usize, highest: bool },
    /// The values of a column in the matching rows.
    Lookup(usize),
    /// Number of different values of a column.
    Distinct(usize),
    /// The value of `key` shared by the most (`highest`) or fewest rows.
    Most { key: usize, highest: bool },
    /// Period columns of the matching row ("2018", "2019"), earliest first, combined.
    Across { cols: Vec<usize>, how: Across },
}

/// How period columns are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Across {
    /// Each value.
    Values,
    /// Latest minus earliest.
    Change,
    /// Latest minus earliest, in percent of the earliest.
    PercentChange,
    /// Mean.
    Mean,
    /// Sum.
    Total,
}

/// The year a column's name names (`2019`, `FY2019`, `F19`), for period columns.
fn period(name: &str) -> Option<i64> {
    let toks = words::tokens(name);
    if toks.len() > 3 {
        return None;
    }
    toks.iter().find_map(|t| {
        let digits = t.trim_start_matches("fy").trim_start_matches('f');
        let y: i64 = digits.parse().ok()?;
        match digits.len() {
            4 if (1900..=2100).contains(&y) => Some(y),
            2 if t.starts_with('f') => Some(2000 + y),
            _ => None,
        }
    })
}

/// A condition on rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The column equals one of the values.
    Equals(usize, Vec<Val>),
    /// A date column's year.
    Year(usize, i64),
    /// A numeric comparison (`>`, `>=`, `<`, `<=`).
    Compare(usize, &'static str, f64),
    /// Leaves out a summary row (`Total`) that would count twice.
    Exclude(usize, Val),
}

/// A question read against a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The operation.
    pub op: Op,
    /// Conditions, all of which hold.
    pub filters: Vec<Filter>,
}

/// A value of the table named in the question.
#[derive(Debug, Clone)]
pub(crate) struct ValueHit {
    pub col: usize,
    pub val: Val,
    /// Byte span in the padded question.
    pub span: (usize, usize),
}

/// How well a column's name is mentioned: the share of its content words in the question.
pub fn mention(question_stems: &[String], name: &str) -> f64 {
    let name_stems = stems(name);
    if name_stems.is_empty() {
        return 0.0;
    }
    let hits = name_stems.iter().filter(|s| question_stems.contains(s)).count();
    hits as f64 / name_stems.len() as f64
}

/// Cell values the question names, longest first, not overlapping.
pub(crate) fn value_hits(question: &str, table: &Table) -> Vec<ValueHit> {
    let q = padded(question);
    let mut found: Vec<ValueHit> = Vec::new();
    for (c, col) in table.columns.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        for row in table.rows.iter().take(50_000) {
            let Some(v) = row.get(c) else { continue };
            let text = match v {
                Val::Null | Val::Bool(_) | Val::Real(_) => continue,
                Val::Int(i) => {
                    // A bare number matches only when it looks like a year or a code, or the
                    // column is named: "in 2019", not every "3" in a question.
                    if !(1000..=2100).contains(i) && !col.name.is_empty() && mention(&stems(question), &col.name) < 1.0
                    {
                        continue;
                    }
                    i.to_string()
                }
                Val::Text(s) => s.clone(),
            };
            // "Alejandro Valverde (ESP)" is named as "Alejandro Valverde": a trailing note in
            // brackets may be left out.
            let bare = text.split_once(" (").filter(|(_, rest)| rest.ends_with(')')).map(|(head, _)| head.to_string());
            for form in std::iter::once(text).chain(bare) {
                let norm = padded(&form);
                let inner = norm.trim();
                if inner.is_empty() || !seen.insert(inner.to_string()) {
                    continue;
                }
                if inner.chars().count() < 2 || words::is_stop(inner) || is_total(inner) {
                    continue;
                }
                let mut from = 0;
                while let Some(pos) = q[from..].find(norm.as_str()) {
                    let start = from + pos;
                    found.push(ValueHit { col: c, val: v.clone(), span: (start, start + norm.len()) });
                    from = start + norm.len() - 1;
                }
            }
        }
        if col.kind == Kind::Date {
            for t in words::tokens(question) {
                if let Ok(y) = t.parse::<i64>()
                    && (1000..=2100).contains(&y)
                    && let Some(pos) = q.find(&format!(" {t} "))
                    && table.rows.iter().any(|r| matches!(r.get(c), Some(Val::Text(d)) if d.starts_with(&t)))
                {
                    found.push(ValueHit { col: c, val: Val::Int(y), span: (pos, pos + t.len() + 2) });
                }
            }
        }
    }
    found.sort_by(|a, b| (b.span.1 - b.span.0).cmp(&(a.span.1 - a.span.0)).then(a.col.cmp(&b.col)));
    let mut kept: Vec<ValueHit> = Vec::new();
    for h in found {
        let overlaps = kept.iter().any(|k| h.span.0 + 1 < k.span.1 && k.span.0 + 1 < h.span.1);
        let same = kept.iter().any(|k| k.span == h.span);
        if !overlaps && !same {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.span.0);
    kept
}

const MAX_WORDS: &[&str] = &[
    "highest", "most", "maximum", "max", "largest", "biggest", "greatest", "top", "latest", "best", "longest", "oldest",
];
const MORE_WORDS: &[&str] = &["larger", "bigger", "higher", "greater", "more", "longer", "taller", "heavier"];
const LESS_WORDS: &[&str] = &["smaller", "lower", "less", "fewer", "shorter", "lighter"];
const MIN_WORDS: &[&str] =
    &["lowest", "least", "minimum", "min", "smallest", "fewest", "earliest", "worst", "shortest", "youngest"];

/// Reads `question` against `table`, or says why it cannot.
pub fn parse(question: &str, table: &Table) -> Result<Query, String> {
    let q = padded(question);
    let toks = words::tokens(question);
    let qstems: Vec<String> = toks.iter().map(|t| stem(t)).collect();
    let has = |w: &str| toks.iter().any(|t| t == w);
    let phrase = |p: &str| q.contains(&format!(" {p} "));

    // Filters from named values (several values of one column: any of them).
    let hits = value_hits(question, table);
    let mut filters: Vec<Filter> = Vec::new();
    for h in &hits {
        if table.columns[h.col].kind == Kind::Date && matches!(h.val, Val::Int(_)) {
            if let Val::Int(y) = h.val {
                filters.push(Filter::Year(h.col, y));
            }
            continue;
        }
        match filters.iter_mut().find(|f| matches!(f, Filter::Equals(c, _) if *c == h.col)) {
            Some(Filter::Equals(_, vals)) => vals.push(h.val.clone()),
            _ => filters.push(Filter::Equals(h.col, vec![h.val.clone()])),
        }
    }
    let filter_cols: Vec<usize> = filters
        .iter()
        .map(|f| match f {
            Filter::Equals(c, _) | Filter::Year(c, _) | Filter::Compare(c, _, _) | Filter::Exclude(c, _) => *c,
        })
        .collect();

    // Columns the question names, best first, leaving out those only named through a value.
    let mut mentioned: Vec<(usize, f64)> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| (i, mention(&qstems, &c.name)))
        .filter(|(i, s)| *s >= 0.5 && !filter_cols.contains(i))
        .collect();
    mentioned.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let numeric = |i: usize| table.columns[i].kind.is_numeric();
    let orderable = |i: usize| numeric(i) || table.columns[i].kind == Kind::Date;
    let named_numeric: Option<usize> =
        mentioned.iter().map(|m| m.0).find(|&i| numeric(i) && !is_year_column(&table.columns[i].name));
    let named_orderable: Option<usize> = mentioned.iter().map(|m| m.0).find(|&i| orderable(i));
    // The only numeric column besides filters and year-like ones, when the question names none.
    let sole_numeric = || {
        let v: Vec<usize> = (0..table.columns.len())
            .filter(|&i| numeric(i) && !filter_cols.contains(&i) && !is_year_column(&table.columns[i].name))
            .collect();
        if v.len() == 1 { Some(v[0]) } else { None }
    };
    let numeric_target = |what: &str| -> Result<usize, String> {
        named_numeric.or_else(sole_numeric).ok_or_else(|| {
            let names: Vec<&str> =
                table.columns.iter().filter(|c| c.kind.is_numeric()).map(|c| c.name.as_str()).collect();
            if names.is_empty() {
                format!("the table has no numeric column to {what}")
            } else {
                format!("the question names none of the numeric columns to {what} ({})", names.join(", "))
            }
        })
    };

    // Numeric comparisons: "more than 100", "at least 3", "under 50".
    for (words_, op) in [
        (&["more than", "over", "above", "greater than", "higher than", "larger than", "exceeding"][..], ">"),
        (&["at least", "no less than"][..], ">="),
        (&["less than", "fewer than", "under", "below", "lower than", "smaller than"][..], "<"),
        (&["at most", "no more than"][..], "<="),
    ] {
        for w in words_ {
            if let Some(pos) = q.find(&format!(" {w} ")) {
                let rest = &q[pos + w.len() + 2..];
                let num = rest.split(' ').next().unwrap_or("").replace(',', "");
                if let Ok(x) = num.parse::<f64>() {
                    let col = named_numeric
                        .or_else(sole_numeric)
                        .ok_or_else(|| format!("cannot tell which column must be {w} {num}"))?;
                    filters.retain(|f| !matches!(f, Filter::Equals(c, vals) if vals.iter().any(|v| v.as_f64() == Some(x)) && *c != col));
                    filters.push(Filter::Compare(col, op, x));
                }
            }
        }
    }

    let asks_which = has("which") || has("who") || phrase("what is the name") || phrase("name the");
    // "Which is larger, A or B?": a choice among named rows.
    let choice = filters.iter().find_map(|f| match f {
        Filter::Equals(c, vals) if vals.len() >= 2 => Some(*c),
        _ => None,
    });
    let more = choice.is_some() && asks_which && MORE_WORDS.iter().any(|w| has(w));
    let less = choice.is_some() && asks_which && LESS_WORDS.iter().any(|w| has(w));
    let is_max = MAX_WORDS.iter().any(|w| has(w)) || more;
    let is_min = MIN_WORDS.iter().any(|w| has(w)) || less;
    let distinct = has("different") || has("unique") || has("distinct");
    let count = phrase("how many") || phrase("number of") || has("count");
    let avg = has("average") || has("mean") || has("avg");
    let total_col = table.columns.iter().any(|c| words::tokens(&c.name).iter().any(|t| t == "total"));
    let sum = has("sum") || has("combined") || has("altogether") || (has("total") && !total_col);

    // Period columns named by the question ("in 2018 and 2019"), for a row named by a value.
    let mut periods: Vec<(i64, usize)> = (0..table.columns.len())
        .filter_map(|i| period(&table.columns[i].name).map(|y| (y, i)))
        .filter(|(_, i)| {
            let name = &table.columns[*i].name;
            words::tokens(name).iter().all(|t| toks.contains(t) || q.contains(&format!(" {t} ")))
        })
        .collect();
    periods.sort();
    periods.dedup_by_key(|p| p.0);
    let row_named = filters.iter().any(|f| matches!(f, Filter::Equals(c, _) if !table.columns[*c].kind.is_numeric()));
    let op = if periods.len() >= 2 && row_named {
        let how = if (has("percentage") || has("percent") || q.contains(" % "))
            && (has("change") || has("increase") || has("decrease") || has("growth"))
        {
            Across::PercentChange
        } else if has("change") || has("difference") || has("increase") || has("decrease") || has("growth") {
            Across::Change
        } else if avg {
            Across::Mean
        } else if sum {
            Across::Total
        } else {
            Across::Values
        };
        let cols: Vec<usize> = if how == Across::Values || how == Across::Mean || how == Across::Total {
            periods.iter().map(|p| p.1).collect()
        } else {
            vec![periods[0].1, periods[periods.len() - 1].1]
        };
        // The period columns are read, not filtered on.
        filters.retain(|f| !matches!(f, Filter::Equals(c, _) | Filter::Year(c, _) if cols.contains(c)));
        Op::Across { cols, how }
    } else if avg {
        Op::Avg(numeric_target("average")?)
    } else if (is_max || is_min) && asks_which && named_orderable.is_none() && choice.is_none() {
        // "Which party has the most representatives?": the value most rows share.
        let key = mentioned
            .iter()
            .map(|m| m.0)
            .find(|&i| !numeric(i))
            .ok_or("the question names no column to rank by and none to group by")?;
        Op::Most { key, highest: is_max && !is_min }
    } else if (is_max || is_min) && asks_which {
        let by = named_orderable.or_else(sole_numeric).ok_or("the question names no column to rank by")?;
        let key = choice
            .into_iter()
            .chain(mentioned.iter().map(|m| m.0))
            .find(|&i| i != by && !numeric(i))
            .or_else(|| (0..table.columns.len()).find(|&i| i != by && table.columns[i].kind == Kind::Text))
            .ok_or("the question names no column to report")?;
        Op::Arg { key, by, highest: is_max && !is_min }
    } else if count && distinct {
        let c = mentioned.first().map(|m| m.0).ok_or("the question names no column to count the values of")?;
        Op::Distinct(c)
    } else if count {
        // "How many goals did X score" asks for a number in the table, not a count of rows.
        let compared = filters.iter().any(|f| matches!(f, Filter::Compare(..)));
        let next = q.split_once(" how many ").map(|(_, rest)| rest.split(' ').next().unwrap_or("").to_string());
        match named_numeric {
            Some(c)
                if !compared
                    && !is_year_column(&table.columns[c].name)
                    && next.is_some_and(|w| stems(&table.columns[c].name).contains(&stem(&w))) =>
            {
                Op::Sum(c)
            }
            _ => Op::Count,
        }
    } else if sum {
        Op::Sum(numeric_target("add up")?)
    } else if is_max || is_min {
        let c = named_orderable.or_else(sole_numeric).ok_or("the question names no column to take the extreme of")?;
        if is_max && !is_min { Op::Max(c) } else { Op::Min(c) }
    } else if !filters.is_empty() {
        let target = mentioned.first().map(|m| m.0).ok_or_else(|| {
            "the question names rows but no column to read (name one of the table's columns)".to_string()
        })?;
        Op::Lookup(target)
    } else {
        return Err(format!(
            "the question names no operation (count, total, average, highest, lowest) and no row of the table \
             (columns: {})",
            table.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    };
    if !matches!(op, Op::Lookup(_)) {
        let named_total =
            filters.iter().any(|f| matches!(f, Filter::Equals(_, v) if v.iter().any(|v| is_total(&v.plain()))));
        if !named_total
            && let Some((c, v)) =
                table.columns.iter().enumerate().filter(|(_, col)| col.kind == Kind::Text).find_map(|(c, _)| {
                    table.rows.iter().find_map(|r| match r.get(c) {
                        Some(v @ Val::Text(t)) if is_total(t) => Some((c, v.clone())),
                        _ => None,
                    })
                })
        {
            filters.push(Filter::Exclude(c, v));
        }
    }
    if matches!(op, Op::Count | Op::Distinct(_)) && !filters.iter().any(|f| !matches!(f, Filter::Exclude(..))) {
        // A count of every row is only the answer when the question says nothing more.
        let mut covered: Vec<String> = table.columns.iter().flat_map(|c| stems(&c.name)).collect();
        covered.extend(stems(&table.sheet));
        covered.extend(stems(&table.title));
        let left: Vec<String> = toks
            .iter()
            .filter(|t| !words::is_stop(t) && !OP_WORDS.contains(&stem(t).as_str()))
            .map(|t| stem(t))
            .filter(|t| !covered.contains(t))
            .collect();
        if !left.is_empty() {
            return Err(format!(
                "cannot tell which rows to count: {} match no column or cell of the table",
                left.join(", ")
            ));
        }
    }
    Ok(Query { op, filters })
}

/// A summary row's label.
pub(crate) fn is_total(cell: &str) -> bool {
    matches!(cell.trim().to_lowercase().as_str(), "total" | "totals" | "grand total" | "sum")
}

/// Words that say what to compute or are filler, rather than naming rows.
const OP_WORDS: &[&str] = &[
    "number",
    "total",
    "count",
    "sum",
    "there",
    "listed",
    "list",
    "table",
    "row",
    "entry",
    "record",
    "different",
    "unique",
    "distinct",
    "average",
    "mean",
    "name",
    "give",
    "tell",
    "show",
    "find",
    "all",
    "altogether",
    "combined",
    "overall",
    "amount",
    "value",
    "highest",
    "lowest",
    "most",
    "least",
    "maximum",
    "minimum",
    "largest",
    "smallest",
];

fn is_year_column(name: &str) -> bool {
    words::tokens(name).iter().any(|t| t == "year" || t == "yr" || t == "season")
}

/// A column as a number: numeric columns as they are, text cells with `$`, `,`, `%` and
/// accounting parentheses (`(38)` is -38) read as numbers.
fn num_sql(table: &Table, i: usize) -> String {
    let c = quote_ident(&table.columns[i].name);
    if table.columns[i].kind.is_numeric() {
        return c;
    }
    let mut e = format!("TRIM({c})");
    for (from, to) in [("$", ""), (",", ""), ("%", ""), (" ", ""), ("(", "-"), (")", "")] {
        e = format!("REPLACE({e}, '{from}', '{to}')");
    }
    format!("CAST({e} AS REAL)")
}

/// A SQL literal for a value.
pub(crate) fn literal(v: &Val) -> String {
    match v {
        Val::Null => "NULL".to_string(),
        Val::Int(i) => i.to_string(),
        Val::Real(f) => format!("{f}"),
        Val::Bool(b) => i64::from(*b).to_string(),
        Val::Text(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

fn number(x: f64) -> String {
    Val::Real(x).plain()
}

/// The WHERE clause (empty when there are no filters).
pub fn where_sql(q: &Query, table: &Table) -> String {
    let mut parts = Vec::new();
    for f in &q.filters {
        parts.push(match f {
            Filter::Equals(c, vals) => {
                let col = quote_ident(&table.columns[*c].name);
                if vals.len() == 1 {
                    format!("{col} = {}", literal(&vals[0]))
                } else {
                    format!("{col} IN ({})", vals.iter().map(literal).collect::<Vec<_>>().join(", "))
                }
            }
            Filter::Year(c, y) => format!("substr({}, 1, 4) = '{y}'", quote_ident(&table.columns[*c].name)),
            Filter::Compare(c, op, x) => format!("{} {op} {}", quote_ident(&table.columns[*c].name), number(*x)),
            Filter::Exclude(c, v) => {
                let col = quote_ident(&table.columns[*c].name);
                format!("({col} IS NULL OR {col} <> {})", literal(v))
            }
        });
    }
    if parts.is_empty() { String::new() } else { format!(" WHERE {}", parts.join(" AND ")) }
}

/// Filters in words: `Year = 2019 and Region = North`.
pub fn where_text(q: &Query, table: &Table) -> String {
    let parts: Vec<String> = q
        .filters
        .iter()
        .map(|f| match f {
            Filter::Equals(c, vals) => format!(
                "{} = {}",
                table.columns[*c].name,
                vals.iter().map(|v| v.plain()).collect::<Vec<_>>().join(" or ")
            ),
            Filter::Year(c, y) => format!("{} in {y}", table.columns[*c].name),
            Filter::Compare(c, op, x) => format!("{} {op} {}", table.columns[*c].name, number(*x)),
            Filter::Exclude(c, v) => format!("{} is not {}", table.columns[*c].name, v.plain()),
        })
        .collect();
    parts.join(" and ")
}

/// The query as one SQL statement over the sandbox table.
pub fn to_sql(q: &Query, table: &Table) -> String {
    let w = where_sql(q, table);
    let col = |i: usize| quote_ident(&table.columns[i].name);
    let and_not_null = |i: usize| {
        if w.is_empty() { format!(" WHERE {} IS NOT NULL", col(i)) } else { format!("{w} AND {} IS NOT NULL", col(i)) }
    };
    match &q.op {
        Op::Count => format!("SELECT COUNT(*) FROM {TABLE}{w}"),
        Op::Sum(c) => format!("SELECT SUM({}) FROM {TABLE}{w}", col(*c)),
        Op::Avg(c) => format!("SELECT AVG({}) FROM {TABLE}{w}", col(*c)),
        Op::Max(c) | Op::Min(c) => {
            let dir = if matches!(q.op, Op::Max(_)) { "DESC" } else { "ASC" };
            format!(
                "SELECT {}, {ROW_COLUMN} FROM {TABLE}{} ORDER BY {} {dir}, {ROW_COLUMN} LIMIT 1",
                col(*c),
                and_not_null(*c),
                col(*c)
            )
        }
        Op::Arg { key, by, highest } => {
            let dir = if *highest { "DESC" } else { "ASC" };
            format!(
                "SELECT {}, {}, {ROW_COLUMN} FROM {TABLE}{} ORDER BY {} {dir}, {ROW_COLUMN} LIMIT 1",
                col(*key),
                col(*by),
                and_not_null(*by),
                col(*by)
            )
        }
        Op::Lookup(c) => format!("SELECT {}, {ROW_COLUMN} FROM {TABLE}{w} ORDER BY {ROW_COLUMN}", col(*c)),
        Op::Distinct(c) => format!("SELECT COUNT(DISTINCT {}) FROM {TABLE}{w}", col(*c)),
        Op::Across { cols, how } => {
            let n: Vec<String> = cols.iter().map(|&i| num_sql(table, i)).collect();
            let (first, last) = (n.first().cloned().unwrap_or_default(), n.last().cloned().unwrap_or_default());
            let expr = match how {
                Across::Values => cols.iter().map(|&i| col(i)).collect::<Vec<_>>().join(", "),
                Across::Change => format!("{last} - {first}"),
                Across::PercentChange => format!("({last} - {first}) * 100.0 / {first}"),
                Across::Mean => format!("({}) / {}.0", n.join(" + "), n.len()),
                Across::Total => n.join(" + "),
            };
            format!("SELECT {expr}, {ROW_COLUMN} FROM {TABLE}{w} ORDER BY {ROW_COLUMN} LIMIT 1")
        }
        Op::Most { key, highest } => {
            let dir = if *highest { "DESC" } else { "ASC" };
            format!(
                "SELECT {k}, COUNT(*) AS n FROM {TABLE}{} GROUP BY {k} ORDER BY n {dir}, MIN({ROW_COLUMN}) LIMIT 1",
                and_not_null(*key),
                k = col(*key)
            )
        }
    }
}

/// SQL listing the data rows the query reads (at most `limit + 1`).
pub fn rows_sql(q: &Query, table: &Table, limit: usize) -> String {
    let w = where_sql(q, table);
    let target = match q.op {
        Op::Sum(c) | Op::Avg(c) | Op::Distinct(c) | Op::Most { key: c, .. } => Some(c),
        _ => None,
    };
    let w = match target {
        Some(c) if w.is_empty() => format!(" WHERE {} IS NOT NULL", quote_ident(&table.columns[c].name)),
        Some(c) => format!("{w} AND {} IS NOT NULL", quote_ident(&table.columns[c].name)),
        None => w,
    };
    format!("SELECT {ROW_COLUMN} FROM {TABLE}{w} ORDER BY {ROW_COLUMN} LIMIT {}", limit + 1)
}

/// The columns the query uses, in table order.
pub fn columns_used(q: &Query, table: &Table) -> Vec<String> {
    let mut idx: Vec<usize> = q
        .filters
        .iter()
        .map(|f| match f {
            Filter::Equals(c, _) | Filter::Year(c, _) | Filter::Compare(c, _, _) | Filter::Exclude(c, _) => *c,
        })
        .collect();
    match q.op {
        Op::Count => {}
        Op::Sum(c) | Op::Avg(c) | Op::Max(c) | Op::Min(c) | Op::Lookup(c) | Op::Distinct(c) => idx.push(c),
        Op::Most { key, .. } => idx.push(key),
        Op::Across { ref cols, .. } => idx.extend(cols.iter().copied()),
        Op::Arg { key, by, .. } => {
            idx.push(key);
            idx.push(by);
        }
    }
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| table.columns[i].name.clone()).collect()
}

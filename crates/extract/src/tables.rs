//! CSV/TSV and XLSX to typed tables, plus searchable text with row-range segments.
//!
//! Every table goes through the same steps: the first non-empty row is the header (a lone
//! caption cell above a wider row is taken as a caption instead), blank and duplicate header
//! names are made unique, fully empty rows and unnamed empty columns are dropped, each column
//! gets one inferred [`ColumnType`], and cells are converted to it. A column is typed only if
//! every non-empty cell parses as that type; one stray value makes it `Text`.
//!
//! Type rules, decided here once for all readers:
//! - Integer: optional sign, digits, optional `1,234,567` grouping; a leading zero (`007`) means
//!   an identifier, not a number, so such a column stays text.
//! - Real: the same plus a fraction and/or exponent. A percent suffix divides by 100 (`12%` →
//!   0.12), which is also what a spreadsheet stores for a percent-formatted cell, so CSV and
//!   XLSX agree. Decimal commas (`3,5`) are not numbers.
//! - Date: `YYYY-MM-DD` or `YYYY/MM/DD` (optionally with a time), `DD.MM.YYYY`, and `a/b/YYYY`
//!   only when the column settles the order (some value has a day over 12 in one position and
//!   none in the other); an ambiguous column stays text. XLSX date cells come typed.
//! - Boolean: true/false/yes/no, any case.
//!
//! The text has one line per data row, `Header: value | Header: value` (empty cells left out),
//! cut into segments of at most [`ROWS_PER_SEGMENT`] rows so chunks can cite row ranges.

use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use calamine::{DataRef, Reader as _, Xlsx};

use crate::zipcap::{self, ZipCap, corrupt, one_line};
use crate::{Cell, Column, ColumnType, Document, ExtractError, ExtractOptions, Format, Location, Segment, Table};

/// Data rows per text segment: small enough that a chunk cites a useful row range.
const ROWS_PER_SEGMENT: u64 = 20;
/// A segment also ends once its text reaches this many bytes (wide rows), near the chunker's
/// default chunk size, so one chunk rarely spans more rows than its citation says.
const SEGMENT_BYTES: usize = 1500;
/// Columns kept per row: Excel's own limit, and a guard against a row of millions of commas.
const MAX_COLUMNS: usize = 16_384;
/// Cells kept per table (rows × columns). A sparse sheet with a few cells far apart would
/// otherwise become a huge dense grid.
const MAX_TABLE_CELLS: usize = 10_000_000;
/// Leading rows (captions, header) that may precede the data rows, counted against no limit.
const HEADER_SLACK: usize = 16;
/// How much of a delimited file is parsed to choose its delimiter and quoting.
const SNIFF_BYTES: usize = 64 * 1024;
/// Records of the sample compared when sniffing.
const SNIFF_RECORDS: usize = 50;

/// A cell value as read, before the column's type is known.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Empty,
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    /// Already normalised `YYYY-MM-DD[THH:MM:SS]`.
    Date(String),
}

impl Raw {
    fn is_empty(&self) -> bool {
        match self {
            Raw::Empty => true,
            Raw::Str(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as a person would read it in the source.
    fn display(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Str(s) => s.trim().to_owned(),
            Raw::Int(i) => i.to_string(),
            Raw::Num(f) => fmt_num(*f),
            Raw::Bool(b) => b.to_string(),
            Raw::Date(d) => d.clone(),
        }
    }
}

fn fmt_num(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// What a short row holds past its end.
static EMPTY: Raw = Raw::Empty;

/// One sheet or file as rows of raw cells, before header detection.
#[derive(Debug, Default)]
struct Grid {
    name: String,
    rows: Vec<Vec<Raw>>,
    /// Rows seen but not stored because of the row limit.
    dropped: u64,
}

// ---------------------------------------------------------------------------------------------
// CSV / TSV
// ---------------------------------------------------------------------------------------------

pub(crate) fn extract_delimited(path: &Path, format: Format, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let bytes = std::fs::read(path).map_err(|e| ExtractError::io(path, e))?;
    let expected = if format == Format::Tsv { "tsv" } else { "csv" };
    let text = crate::text::decode_for(&bytes, expected)?;
    drop(bytes);
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut warnings = Vec::new();
    let grid = read_delimited(&text, format, name.clone(), opts, &mut warnings);
    drop(text);
    let mut out = RowText::default();
    let tables: Vec<Table> = build_table(grid, opts, &mut out, &mut warnings).into_iter().collect();
    if tables.is_empty() {
        return Err(ExtractError::NoText("no rows".into()));
    }
    let (text, segments) = out.finish();
    let title = (!name.is_empty()).then_some(name);
    Ok(Document {
        format,
        title,
        text,
        pages: None,
        segments,
        tables,
        warnings,
        card: Default::default(),
        ocr: Vec::new(),
    })
}

/// How quotes are read in a delimited file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Quoting {
    /// RFC 4180: `"a ""b"""`.
    Standard,
    /// Quotes escaped with a backslash, as some exporters write: `"5h 10\""`.
    Backslash,
    /// Quotes are ordinary characters (plain TSV).
    None,
}

fn csv_reader(data: &[u8], delimiter: u8, quoting: Quoting) -> csv::Reader<&[u8]> {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false).flexible(true).delimiter(delimiter).trim(csv::Trim::All);
    match quoting {
        Quoting::Standard => {}
        Quoting::Backslash => {
            b.escape(Some(b'\\'));
        }
        Quoting::None => {
            b.quoting(false);
        }
    }
    b.from_reader(data)
}

/// Chooses the delimiter (for `.csv`) and quoting that split the first records most
/// consistently: the share of records whose field count equals the most common count (which
/// must be at least 2). Ties keep the earlier, more usual choice.
fn sniff(text: &str, format: Format) -> (u8, Quoting) {
    let mut end = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut sample = &text[..end];
    if end < text.len()
        && let Some(nl) = sample.rfind('\n')
    {
        sample = &sample[..nl];
    }
    let delimiters: &[u8] = if format == Format::Tsv { b"\t" } else { b",;\t|" };
    let mut best = (delimiters[0], Quoting::Standard);
    let mut best_score = 0.0;
    for &d in delimiters {
        for q in [Quoting::Standard, Quoting::Backslash, Quoting::None] {
            let score = consistency(sample.as_bytes(), d, q);
            if score > best_score + 1e-9 {
                best_score = score;
                best = (d, q);
            }
        }
    }
    best
}

fn consistency(sample: &[u8], delimiter: u8, quoting: Quoting) -> f64 {
    let mut counts: Vec<usize> = Vec::new();
    for record in csv_reader(sample, delimiter, quoting).records().take(SNIFF_RECORDS) {
        match record {
            Ok(r) if r.iter().all(|f| f.is_empty()) => {}
            Ok(r) => counts.push(r.len()),
            Err(_) => return 0.0,
        }
    }
    if counts.is_empty() {
        return 0.0;
    }
    let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &counts {
        *freq.entry(*c).or_default() += 1;
    }
    let (mode, hits) = freq.iter().max_by_key(|(c, n)| (**n, **c)).map(|(c, n)| (*c, *n)).unwrap_or((0, 0));
    if mode < 2 {
        return 0.0;
    }
    hits as f64 / counts.len() as f64
}

fn read_delimited(text: &str, format: Format, name: String, opts: &ExtractOptions, warnings: &mut Vec<String>) -> Grid {
    let (delimiter, quoting) = sniff(text, format);
    let mut grid = Grid { name, ..Grid::default() };
    let keep = opts.max_table_rows.saturating_add(HEADER_SLACK);
    let mut cells = 0usize;
    let mut wide = false;
    for (i, record) in csv_reader(text.as_bytes(), delimiter, quoting).records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("record {}: skipped: {}", i + 1, one_line(&e)));
                continue;
            }
        };
        if grid.rows.len() >= keep || cells >= MAX_TABLE_CELLS {
            if record.iter().any(|f| !f.is_empty()) {
                grid.dropped += 1;
            }
            continue;
        }
        if record.len() > MAX_COLUMNS {
            wide = true;
        }
        let row: Vec<Raw> = record
            .iter()
            .take(MAX_COLUMNS)
            .map(|f| if f.is_empty() { Raw::Empty } else { Raw::Str(f.to_owned()) })
            .collect();
        cells += row.len();
        grid.rows.push(row);
    }
    if wide {
        warnings.push(format!("{}: columns past {MAX_COLUMNS} dropped", grid.name));
    }
    grid
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

pub(crate) fn extract_xlsx(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    const FORMAT: &str = "xlsx";
    let bytes = std::fs::read(path).map_err(|e| ExtractError::io(path, e))?;
    zipcap::check_container(&bytes, FORMAT)?;
    // calamine reads the container on its own, without a decompression limit, so the whole
    // container is first decompressed once under the cap; only then is calamine let in.
    let mut zip = ZipCap::new(Cursor::new(bytes.as_slice()), FORMAT, opts)?;
    let title = match zip.read("docProps/core.xml")? {
        Some(core) => crate::docx::core_title(&zipcap::xml_to_string(core)),
        None => None,
    };
    zip.check_all()?;
    drop(zip);

    // calamine is not ours to audit; should it panic on a malformed sheet, the file is reported
    // as damaged instead of taking the caller down.
    let read = std::panic::catch_unwind(AssertUnwindSafe(|| read_workbook(&bytes, opts)));
    let (grids, mut warnings, unreadable) = match read {
        Ok(result) => result?,
        Err(_) => {
            return Err(corrupt(FORMAT, "the workbook reader failed on this file".into()));
        }
    };
    let mut out = RowText::default();
    let mut tables = Vec::new();
    for grid in grids {
        if let Some(table) = build_table(grid, opts, &mut out, &mut warnings) {
            tables.push(table);
        }
    }
    if tables.is_empty() {
        if unreadable > 0 {
            return Err(corrupt(FORMAT, format!("no readable sheet ({unreadable} damaged)")));
        }
        return Err(ExtractError::NoText("workbook has no data".into()));
    }
    let (text, segments) = out.finish();
    Ok(Document {
        ocr: Vec::new(),
        format: Format::Xlsx,
        title,
        text,
        pages: None,
        segments,
        tables,
        warnings,
        card: Default::default(),
    })
}

/// Every sheet of the workbook as a grid, with warnings and the count of unreadable sheets.
fn read_workbook(bytes: &[u8], opts: &ExtractOptions) -> Result<(Vec<Grid>, Vec<String>, usize), ExtractError> {
    const FORMAT: &str = "xlsx";
    // Encrypted workbooks never get here (they are not ZIPs; `check_container` caught them), so
    // calamine's "password protected" on a ZIP is a misreading of damage, like its other errors.
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| corrupt(FORMAT, format!("cannot open workbook: {}", one_line(&e))))?;
    let mut warnings = Vec::new();
    let mut grids = Vec::new();
    let mut unreadable = 0usize;
    for name in workbook.sheet_names() {
        match read_sheet(&mut workbook, &name, opts) {
            Ok(grid) => grids.push(grid),
            Err(e) => {
                unreadable += 1;
                warnings.push(format!("sheet '{name}' skipped: {}", one_line(&e)));
            }
        }
    }
    Ok((grids, warnings, unreadable))
}

/// Streams one sheet's cells (calamine's dense `Range` would allocate the full bounding box of
/// the used cells, which a sparse or hostile sheet makes enormous) and lays them out as rows,
/// keeping only columns that hold something.
fn read_sheet<RS: std::io::Read + std::io::Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    opts: &ExtractOptions,
) -> Result<Grid, calamine::XlsxError> {
    let mut reader = workbook.worksheet_cells_reader(name)?;
    let keep = opts.max_table_rows.saturating_add(HEADER_SLACK);
    let mut sparse: BTreeMap<u32, Vec<(u32, Raw)>> = BTreeMap::new();
    let mut dropped: HashSet<u32> = HashSet::new();
    let mut used_cols: HashSet<u32> = HashSet::new();
    let mut cells = 0usize;
    while let Some(cell) = reader.next_cell()? {
        let raw = raw_from_xlsx(cell.get_value());
        if raw.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let known = sparse.contains_key(&row);
        if (!known && sparse.len() >= keep) || cells >= MAX_TABLE_CELLS {
            dropped.insert(row);
            continue;
        }
        used_cols.insert(col);
        cells += 1;
        sparse.entry(row).or_default().push((col, raw));
    }
    // Only columns with a value anywhere get a place; this also bounds the width.
    let mut cols: Vec<u32> = used_cols.into_iter().collect();
    cols.sort_unstable();
    cols.truncate(MAX_COLUMNS);
    let mut rows = Vec::with_capacity(sparse.len());
    for (_, mut row_cells) in sparse {
        row_cells.sort_by_key(|(c, _)| *c);
        let mut row: Vec<Raw> = Vec::new();
        for (col, raw) in row_cells {
            let Ok(at) = cols.binary_search(&col) else {
                continue;
            };
            if row.len() <= at {
                row.resize(at + 1, Raw::Empty);
            }
            row[at] = raw;
        }
        rows.push(row);
    }
    Ok(Grid { name: name.to_owned(), rows, dropped: dropped.len() as u64 })
}

fn raw_from_xlsx(value: &DataRef<'_>) -> Raw {
    match value {
        DataRef::Empty => Raw::Empty,
        DataRef::Int(i) => Raw::Int(*i),
        DataRef::Float(f) => Raw::Num(*f),
        DataRef::Bool(b) => Raw::Bool(*b),
        DataRef::String(s) => Raw::Str(s.clone()),
        DataRef::SharedString(s) => Raw::Str((*s).to_owned()),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.as_f64() < 1.0 {
                // A time of day without a date (Excel stores it as a fraction of day 0).
                Raw::Str(format!("{h:02}:{mi:02}:{s:02}"))
            } else if (h, mi, s) == (0, 0, 0) {
                Raw::Date(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                Raw::Date(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"))
            }
        }
        DataRef::DateTime(dt) => {
            // A duration: whole hours, minutes and seconds, as Excel shows `[h]:mm:ss`.
            let secs = (dt.as_f64() * 86_400.0).round() as i64;
            Raw::Str(format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60))
        }
        DataRef::DateTimeIso(s) => match parse_date(s) {
            Some(DateParse::Full(iso)) => Raw::Date(iso),
            _ => Raw::Str(s.clone()),
        },
        DataRef::DurationIso(s) => Raw::Str(s.clone()),
        DataRef::Error(e) => Raw::Str(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// From grid to table
// ---------------------------------------------------------------------------------------------

fn non_empty(row: &[Raw]) -> usize {
    row.iter().filter(|c| !c.is_empty()).count()
}

/// Turns a grid into a typed table and appends its row lines to `out`; `None` for a grid with
/// no non-empty row (an empty sheet is skipped, not an error).
fn build_table(grid: Grid, opts: &ExtractOptions, out: &mut RowText, warnings: &mut Vec<String>) -> Option<Table> {
    let Grid { name, rows, mut dropped } = grid;
    let mut rows = rows.into_iter().filter(|r| non_empty(r) > 0);
    let mut header = rows.next()?;
    let mut caption = None;
    let mut data: Vec<Vec<Raw>> = Vec::new();
    if let Some(next) = rows.next() {
        // A single filled cell above a wider row is a title ("Stanley Cups,,"), not a header.
        if non_empty(&header) == 1 && non_empty(&next) >= 2 {
            caption = header.iter().find(|c| !c.is_empty()).map(Raw::display);
            header = next;
        } else {
            data.push(next);
        }
    }
    for row in rows {
        if data.len() < opts.max_table_rows {
            data.push(row);
        } else {
            dropped += 1;
        }
    }
    if data.len() > opts.max_table_rows {
        dropped += (data.len() - opts.max_table_rows) as u64;
        data.truncate(opts.max_table_rows);
    }

    let width = data.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
    // Columns with neither a header nor any value carry nothing; dropping them also keeps
    // trailing delimiters (`a,b,,`) from adding phantom columns.
    let keep: Vec<usize> = (0..width)
        .filter(|&c| {
            header.get(c).is_some_and(|h| !h.is_empty()) || data.iter().any(|r| r.get(c).is_some_and(|v| !v.is_empty()))
        })
        .collect();
    if keep.is_empty() {
        return None;
    }
    let max_rows = MAX_TABLE_CELLS / keep.len();
    if data.len() > max_rows {
        dropped += (data.len() - max_rows) as u64;
        data.truncate(max_rows);
    }
    if dropped > 0 {
        warnings.push(format!("{name}: table truncated at {} rows ({dropped} more not kept)", data.len()));
    }

    let names = unique_names(keep.iter().map(|&c| header.get(c).map(Raw::display).unwrap_or_default()));
    let kinds: Vec<Kind> = keep.iter().map(|&c| infer(data.iter().map(|r| r.get(c).unwrap_or(&EMPTY)))).collect();
    let columns: Vec<Column> =
        names.iter().zip(&kinds).map(|(n, k)| Column { name: n.clone(), kind: k.column_type }).collect();

    out.start_table(&name, caption.as_deref());
    let mut typed_rows = Vec::with_capacity(data.len());
    for (i, mut row) in data.into_iter().enumerate() {
        let mut line = String::new();
        let mut typed = Vec::with_capacity(keep.len());
        for (k, &c) in keep.iter().enumerate() {
            let raw = row.get_mut(c).map(|r| std::mem::replace(r, Raw::Empty)).unwrap_or(Raw::Empty);
            if !raw.is_empty() {
                if !line.is_empty() {
                    line.push_str(" | ");
                }
                line.push_str(&names[k]);
                line.push_str(": ");
                // A row is one line; line breaks inside a quoted cell would split it.
                line.push_str(&raw.display().replace(['\n', '\r'], " "));
            }
            typed.push(convert(raw, &kinds[k]));
        }
        out.row(&name, (i + 1) as u64, &line);
        typed_rows.push(typed);
    }
    out.end_table(&name);
    Some(Table { sheet: name, columns, rows: typed_rows })
}

/// Header names, trimmed and made non-empty and unique (`column_3`, `name_2`).
fn unique_names(raw: impl Iterator<Item = String>) -> Vec<String> {
    let raw: Vec<String> = raw.map(|n| n.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut names = Vec::with_capacity(raw.len());
    for (i, name) in raw.iter().enumerate() {
        let base = if name.is_empty() { format!("column_{}", i + 1) } else { name.clone() };
        let mut candidate = base.clone();
        let mut n = 2;
        while used.contains(&candidate.to_lowercase()) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        used.insert(candidate.to_lowercase());
        names.push(candidate);
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Type inference
// ---------------------------------------------------------------------------------------------

/// Day/month order of `a/b/YYYY` dates in a column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    DayFirst,
    MonthFirst,
}

#[derive(Debug, Clone, Copy)]
struct Kind {
    column_type: ColumnType,
    order: Option<Order>,
}

fn infer<'a>(cells: impl Iterator<Item = &'a Raw>) -> Kind {
    let (mut int, mut real, mut date, mut boolean) = (true, true, true, true);
    let (mut day_first, mut month_first, mut slashed) = (true, true, false);
    let mut any = false;
    for cell in cells {
        match cell {
            Raw::Empty => continue,
            Raw::Str(s) if s.trim().is_empty() => continue,
            Raw::Int(_) => (date, boolean) = (false, false),
            Raw::Num(f) => {
                int &= f.fract() == 0.0 && f.abs() < 9.0e15;
                (date, boolean) = (false, false);
            }
            Raw::Bool(_) => (int, real, date) = (false, false, false),
            Raw::Date(_) => (int, real, boolean) = (false, false, false),
            Raw::Str(s) => {
                int = int && parse_int(s).is_some();
                real = real && parse_real(s).is_some();
                boolean = boolean && parse_bool(s).is_some();
                if date {
                    match parse_date(s) {
                        None => date = false,
                        Some(DateParse::Full(_)) => {}
                        Some(DateParse::Ambiguous { a, b, .. }) => {
                            slashed = true;
                            day_first &= a <= 31 && b <= 12;
                            month_first &= a <= 12 && b <= 31;
                        }
                    }
                }
            }
        }
        any = true;
        if !(int || real || date || boolean) {
            break;
        }
    }
    let text = Kind { column_type: ColumnType::Text, order: None };
    if !any {
        return text;
    }
    if boolean {
        Kind { column_type: ColumnType::Boolean, order: None }
    } else if int {
        Kind { column_type: ColumnType::Integer, order: None }
    } else if real {
        Kind { column_type: ColumnType::Real, order: None }
    } else if date {
        let order = match (slashed, day_first, month_first) {
            (false, _, _) => None,
            (true, true, false) => Some(Order::DayFirst),
            (true, false, true) => Some(Order::MonthFirst),
            // Every value fits both orders (or neither): the dates cannot be read safely.
            _ => return text,
        };
        Kind { column_type: ColumnType::Date, order }
    } else {
        text
    }
}

fn convert(raw: Raw, kind: &Kind) -> Cell {
    if raw.is_empty() {
        return Cell::Empty;
    }
    let converted = match (&raw, kind.column_type) {
        (Raw::Int(i), ColumnType::Integer) => Some(Cell::Int(*i)),
        (Raw::Num(f), ColumnType::Integer) => Some(Cell::Int(*f as i64)),
        (Raw::Str(s), ColumnType::Integer) => parse_int(s).map(Cell::Int),
        (Raw::Int(i), ColumnType::Real) => Some(Cell::Float(*i as f64)),
        (Raw::Num(f), ColumnType::Real) => Some(Cell::Float(*f)),
        (Raw::Str(s), ColumnType::Real) => parse_real(s).map(Cell::Float),
        (Raw::Bool(b), ColumnType::Boolean) => Some(Cell::Bool(*b)),
        (Raw::Str(s), ColumnType::Boolean) => parse_bool(s).map(Cell::Bool),
        (Raw::Date(d), ColumnType::Date) => Some(Cell::Date(d.clone())),
        (Raw::Str(s), ColumnType::Date) => match parse_date(s) {
            Some(DateParse::Full(iso)) => Some(Cell::Date(iso)),
            Some(DateParse::Ambiguous { a, b, year, time }) => {
                let (day, month) = match kind.order {
                    Some(Order::MonthFirst) => (b, a),
                    _ => (a, b),
                };
                valid_date(year, month, day).then(|| Cell::Date(iso(year, month, day, time)))
            }
            None => None,
        },
        _ => None,
    };
    converted.unwrap_or_else(|| Cell::Text(raw.display()))
}

/// Splits an optional sign and the digits-and-commas part; checks `1,234` grouping and refuses
/// leading zeros (`007`).
fn integer_part(s: &str) -> Option<(bool, String)> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let plain: String = if digits.contains(',') {
        let mut groups = digits.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut plain = first.to_owned();
        for g in groups {
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            plain.push_str(g);
        }
        plain
    } else {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.to_owned()
    };
    if plain.len() > 1 && plain.starts_with('0') {
        return None;
    }
    Some((negative, plain))
}

fn parse_int(s: &str) -> Option<i64> {
    let (negative, digits) = integer_part(s.trim())?;
    let n: i64 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

fn parse_real(s: &str) -> Option<f64> {
    let s = s.trim();
    let (s, divisor) = match s.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), 100.0),
        None => (s, 1.0),
    };
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let mut plain = String::with_capacity(s.len());
    match int_part {
        "" | "-" | "+" => {
            // `.5`, `-.5`: a fraction is then required.
            if frac.is_none_or(str::is_empty) {
                return None;
            }
            if int_part == "-" {
                plain.push('-');
            }
            plain.push('0');
        }
        _ => {
            let (negative, digits) = integer_part(int_part)?;
            if negative {
                plain.push('-');
            }
            plain.push_str(&digits);
        }
    }
    if let Some(f) = frac {
        if !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        plain.push('.');
        plain.push_str(f);
        plain.push('0');
    }
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        plain.push('e');
        plain.push_str(e);
    }
    let value: f64 = plain.parse().ok()?;
    value.is_finite().then_some(value / divisor)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum DateParse {
    /// Unambiguous; normalised.
    Full(String),
    /// `a/b/year`: day and month order unknown.
    Ambiguous { a: u8, b: u8, year: u16, time: Option<(u8, u8, u8)> },
}

fn parse_date(s: &str) -> Option<DateParse> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(parse_time(s[i + 1..].trim())?)),
        None => (s, None),
    };
    let sep = date.bytes().find(|b| matches!(b, b'-' | b'/' | b'.'))?;
    let parts: Vec<&str> = date.split(char::from(sep)).collect();
    let [p1, p2, p3] = parts.as_slice() else {
        return None;
    };
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| -> Option<u16> {
        (len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?
    };
    if p1.len() == 4 && sep != b'.' {
        let (year, month, day) = (num(p1, 4..=4)?, num(p2, 1..=2)? as u8, num(p3, 1..=2)? as u8);
        return valid_date(year, month, day).then(|| DateParse::Full(iso(year, month, day, time)));
    }
    let (a, b, year) = (num(p1, 1..=2)? as u8, num(p2, 1..=2)? as u8, num(p3, 4..=4)?);
    if sep == b'.' {
        // Dotted dates are day-first wherever they are written.
        return valid_date(year, b, a).then(|| DateParse::Full(iso(year, b, a, time)));
    }
    if !valid_date(year, a, b) && !valid_date(year, b, a) {
        return None;
    }
    Some(DateParse::Ambiguous { a, b, year, time })
}

/// `HH:MM[:SS[.fff]][Z]`.
fn parse_time(s: &str) -> Option<(u8, u8, u8)> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let mut parts = s.split(':');
    let h: u8 = parts.next().filter(|p| (1..=2).contains(&p.len()))?.parse().ok()?;
    let m: u8 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    let sec: u8 = match parts.next() {
        Some(p) => {
            let whole = p.split('.').next().unwrap_or(p);
            if whole.len() != 2 {
                return None;
            }
            whole.parse().ok()?
        }
        None => 0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some((h, m, sec))
}

fn valid_date(year: u16, month: u8, day: u8) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && day >= 1 && day <= days
}

fn iso(year: u16, month: u8, day: u8, time: Option<(u8, u8, u8)>) -> String {
    match time {
        Some((h, m, s)) => format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}"),
        None => format!("{year:04}-{month:02}-{day:02}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/// Row lines with a segment per block of rows.
#[derive(Debug, Default)]
struct RowText {
    text: String,
    segments: Vec<Segment>,
    seg_start: usize,
    /// First and last data row of the open segment.
    rows: Option<(u64, u64)>,
}

impl RowText {
    fn start_table(&mut self, sheet: &str, caption: Option<&str>) {
        self.end_table(sheet);
        self.seg_start = self.text.len();
        if let Some(c) = caption {
            self.text.push_str(&c.replace(['\n', '\r'], " "));
            self.text.push('\n');
        }
    }

    fn row(&mut self, sheet: &str, number: u64, line: &str) {
        if line.is_empty() {
            return;
        }
        if let Some((first, _)) = self.rows {
            self.rows = Some((first, number));
        } else {
            self.rows = Some((number, number));
        }
        self.text.push_str(line);
        self.text.push('\n');
        if let Some((first, last)) = self.rows
            && (last - first + 1 >= ROWS_PER_SEGMENT || self.text.len() - self.seg_start >= SEGMENT_BYTES)
        {
            self.close(sheet);
        }
    }

    fn end_table(&mut self, sheet: &str) {
        self.close(sheet);
        // A caption with no rows after it has no row range; leave it out.
        self.text.truncate(self.seg_start);
    }

    fn close(&mut self, sheet: &str) {
        if let Some((first, last)) = self.rows.take() {
            self.segments.push(Segment {
                bytes: self.seg_start..self.text.len(),
                location: Location::Rows { sheet: sheet.to_owned(), first, last },
                ocr_confidence: None,
            });
            self.seg_start = self.text.len();
        }
    }

    fn finish(self) -> (String, Vec<Segment>) {
        (self.text, self.segments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_grouping_and_refuse_identifiers() {
        assert_eq!(parse_int(" 1,234 "), Some(1234));
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("007"), None);
        assert_eq!(parse_int("1,23"), None);
        assert_eq!(parse_int("12,3456"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn reals_accept_fractions_exponents_and_percent() {
        assert_eq!(parse_real("3.5"), Some(3.5));
        assert_eq!(parse_real("1,234.50"), Some(1234.5));
        assert_eq!(parse_real("-.5"), Some(-0.5));
        assert_eq!(parse_real("1e3"), Some(1000.0));
        assert_eq!(parse_real("12%"), Some(0.12));
        assert_eq!(parse_real("inf"), None);
        assert_eq!(parse_real("NaN"), None);
        assert_eq!(parse_real("3,5"), None);
        assert_eq!(parse_real("."), None);
        assert_eq!(parse_real("1.2.3"), None);
    }

    #[test]
    fn dates_normalise_and_flag_ambiguity() {
        assert_eq!(parse_date("2024-02-29"), Some(DateParse::Full("2024-02-29".into())));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024/1/5"), Some(DateParse::Full("2024-01-05".into())));
        assert_eq!(parse_date("2024-01-05 13:45"), Some(DateParse::Full("2024-01-05T13:45:00".into())));
        assert_eq!(parse_date("31.12.2024"), Some(DateParse::Full("2024-12-31".into())));
        assert_eq!(parse_date("03/04/2024"), Some(DateParse::Ambiguous { a: 3, b: 4, year: 2024, time: None }));
        assert_eq!(parse_date("13/13/2024"), None);
        assert_eq!(parse_date("hello"), None);
    }

    fn strs(values: &[&str]) -> Vec<Raw> {
        values.iter().map(|v| Raw::Str((*v).into())).collect()
    }

    #[test]
    fn column_inference_needs_every_value() {
        let kind = |v: &[&str]| infer(strs(v).iter()).column_type;
        assert_eq!(kind(&["1", "2,000", ""]), ColumnType::Integer);
        assert_eq!(kind(&["1", "2.5"]), ColumnType::Real);
        assert_eq!(kind(&["1", "x"]), ColumnType::Text);
        assert_eq!(kind(&["yes", "No"]), ColumnType::Boolean);
        assert_eq!(kind(&["2024-01-01", "2024/02/03"]), ColumnType::Date);
        assert_eq!(kind(&["01/02/2024", "03/04/2024"]), ColumnType::Text);
        assert_eq!(kind(&["", ""]), ColumnType::Text);
        let dmy = infer(strs(&["01/02/2024", "25/12/2024"]).iter());
        assert_eq!((dmy.column_type, dmy.order), (ColumnType::Date, Some(Order::DayFirst)));
        assert_eq!(convert(Raw::Str("01/02/2024".into()), &dmy), Cell::Date("2024-02-01".into()));
        let mdy = infer(strs(&["12/25/2024", "1/2/2024"]).iter());
        assert_eq!(convert(Raw::Str("1/2/2024".into()), &mdy), Cell::Date("2024-01-02".into()));
    }

    #[test]
    fn names_are_unique_and_non_empty() {
        let names = unique_names(["a", "", "a", "A", " b  c "].iter().map(|s| (*s).to_owned()));
        assert_eq!(names, ["a", "column_2", "a_2", "A_3", "b c"]);
    }

    #[test]
    fn sniffing_prefers_the_consistent_delimiter() {
        let semi = "Lorem, ipsum; dolor sit; amet\nconsectetur; adipiscing; elit\nsed, do; x; y\n";
        assert_eq!(sniff(semi, Format::Csv), (b';', Quoting::Standard));
        let comma = "a,b,c\n1,\"x;y\",3\n";
        assert_eq!(sniff(comma, Format::Csv).0, b',');
        let backslash = "\"a\",\"b\"\n\"5h 10\\\"\",\"40\"\n\"+ 2\\\"\",\"5\"\n";
        assert_eq!(sniff(backslash, Format::Csv), (b',', Quoting::Backslash));
    }
}

//! DOCX (Office Open XML word processing) to text with heading paths.
//!
//! The body is read as one flat stream of quick-xml events; an explicit stack of open elements
//! replaces recursion, so deeply nested tables or text boxes cannot exhaust the call stack.
//! Paragraphs become lines, headings (styles named `heading N`/`Title`, or an outline level)
//! open sections, table rows become `a | b | c` lines, list items get their marker, and
//! footnotes and endnotes are appended in their own sections with their numbers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::zipcap::{self, ZipCap, attr, corrupt, dir_of, local, one_line, resolve_entity};
use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

const FORMAT: &str = "docx";

/// Styles are resolved through `basedOn` at most this deep; real documents use two or three
/// levels, and a cycle must not loop forever.
const MAX_STYLE_CHAIN: usize = 16;

pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let mut zip = ZipCap::open(path, FORMAT, opts)?;
    read_docx(&mut zip, opts)
}

fn read_docx<R: Read + Seek>(zip: &mut ZipCap<R>, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let main = main_part(zip)?;
    if zip.find(&main).is_none() {
        return Err(corrupt(FORMAT, format!("missing required part '{main}'")));
    }
    let dir = dir_of(&main).to_owned();
    let rels_path = format!("{dir}/_rels/{}.rels", main.rsplit('/').next().unwrap_or(&main));
    let rels = match zip.read(&rels_path)? {
        Some(bytes) => parse_rels(&zipcap::xml_to_string(bytes)),
        None => Vec::new(),
    };
    // A part is found through the document's relationships; the conventional name is the
    // fallback for files whose relationships are missing or odd.
    let part = |kind: &str, default: &str| -> String {
        rels.iter()
            .find(|(t, _)| t.rsplit('/').next() == Some(kind))
            .map(|(_, target)| zipcap::resolve_href(&dir, target))
            .unwrap_or_else(|| zipcap::resolve_href(&dir, default))
    };
    let mut warnings = Vec::new();
    let styles = match zip.read(&part("styles", "styles.xml"))? {
        Some(bytes) => parse_styles(&zipcap::xml_to_string(bytes), &mut warnings),
        None => Styles::default(),
    };
    let numbering = match zip.read(&part("numbering", "numbering.xml"))? {
        Some(bytes) => parse_numbering(&zipcap::xml_to_string(bytes), &mut warnings),
        None => Numbering::default(),
    };
    let footnotes = match zip.read(&part("footnotes", "footnotes.xml"))? {
        Some(bytes) => parse_notes(&zipcap::xml_to_string(bytes), &styles, opts, &mut warnings),
        None => Vec::new(),
    };
    let endnotes = match zip.read(&part("endnotes", "endnotes.xml"))? {
        Some(bytes) => parse_notes(&zipcap::xml_to_string(bytes), &styles, opts, &mut warnings),
        None => Vec::new(),
    };
    let core_xml = zip.read("docProps/core.xml")?.map(zipcap::xml_to_string);
    if footnotes.iter().chain(&endnotes).map(|(_, t)| t.len()).sum::<usize>() > opts.max_text_bytes {
        return Err(ExtractError::ZipBomb { limit: zip.limit() });
    }
    let core_title = core_xml.as_deref().and_then(core_title);

    let mut out = Builder::default();
    let mut refs = NoteRefs::default();
    let mut lists = ListCounters::default();
    let mut heading_title: Option<String> = None;
    let emit = |block: Block| match block {
        Block::Para { text, heading: Some(level), .. } => {
            if level == 1 && heading_title.is_none() {
                heading_title = Some(text.replace('\n', " "));
            }
            out.heading(level, &text);
        }
        Block::Para { text, list, .. } => {
            let line = match list {
                Some((num_id, ilvl)) => {
                    let marker = lists.marker(&numbering, &num_id, ilvl);
                    let indent = "  ".repeat(usize::from(ilvl));
                    if marker.is_empty() { format!("{indent}{text}") } else { format!("{indent}{marker} {text}") }
                }
                None => text,
            };
            out.line(&line);
        }
        Block::Row(line) => out.line(&line),
    };
    // The body is streamed out of the container, never held whole: together with the text
    // budget this bounds memory however far the part decompresses.
    let mut budget = TextBudget::new(opts.max_text_bytes);
    {
        let limit = zip.limit();
        let Some(stream) = zip.stream(&main, opts.max_text_bytes)? else {
            return Err(corrupt(FORMAT, format!("missing required part '{main}'")));
        };
        let mut stream = BufReader::with_capacity(64 * 1024, stream);
        let read_error = |e: std::io::Error| zipcap::read_error(FORMAT, &main, limit, &e);
        let head = stream.fill_buf().map_err(read_error)?;
        if zipcap::needs_transcoding(head) {
            // UTF-16 or a legacy encoding: decoded whole (rare, and still within the budget).
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).map_err(read_error)?;
            let body = zipcap::xml_to_string(bytes);
            walk(body.as_bytes(), &styles, opts, Some(&mut refs), &mut warnings, &mut budget, emit);
        } else {
            if head.starts_with(b"\xEF\xBB\xBF") {
                stream.consume(3);
            }
            walk(stream, &styles, opts, Some(&mut refs), &mut warnings, &mut budget, emit);
        }
    }
    if zip.exceeded() {
        return Err(ExtractError::ZipBomb { limit: zip.limit() });
    }
    if budget.truncated {
        warnings.push(crate::truncation_note(opts.max_text_bytes));
    }

    append_notes(&mut out, "Footnotes", &footnotes, &refs.footnotes, false);
    append_notes(&mut out, "Endnotes", &endnotes, &refs.endnotes, true);

    let title = core_title.or(heading_title);
    let (text, segments) = out.finish();
    if text.trim().is_empty() {
        return Err(ExtractError::NoText("document has no text".into()));
    }
    let meta = core_xml.as_deref().map(crate::card::dublin_core).unwrap_or_default();
    let card = crate::card::build(&meta, crate::card::leading_text(&text));
    Ok(Document {
        format: Format::Docx,
        title,
        text,
        pages: None,
        segments,
        tables: Vec::new(),
        warnings,
        card,
        ocr: Vec::new(),
    })
}

/// The main document part named by `_rels/.rels` (almost always `word/document.xml`).
fn main_part<R: Read + Seek>(zip: &mut ZipCap<R>) -> Result<String, ExtractError> {
    if let Some(bytes) = zip.read("_rels/.rels")? {
        let rels = parse_rels(&zipcap::xml_to_string(bytes));
        if let Some((_, target)) = rels.iter().find(|(t, _)| t.ends_with("/officeDocument")) {
            let resolved = zipcap::resolve_href("", target);
            if zip.find(&resolved).is_some() {
                return Ok(resolved);
            }
        }
    }
    if zip.find("word/document.xml").is_some() {
        return Ok("word/document.xml".into());
    }
    Err(corrupt(FORMAT, "missing required part 'word/document.xml'".into()))
}

/// `(Type, Target)` of each internal relationship in a `.rels` part.
fn parse_rels(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut rels = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if local(e.name().as_ref()) == "Relationship" => {
                if attr(&e, "TargetMode").is_some_and(|m| m.eq_ignore_ascii_case("external")) {
                    continue;
                }
                if let (Some(t), Some(target)) = (attr(&e, "Type"), attr(&e, "Target")) {
                    rels.push((t, target));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    rels
}

/// `dc:title` from `docProps/core.xml`, if present and not blank.
pub(crate) fn core_title(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if local(e.name().as_ref()) == "title" => in_title = true,
            Ok(Event::End(e)) if local(e.name().as_ref()) == "title" => break,
            Ok(Event::Text(t)) if in_title => title.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_title => {
                if let Some(s) = resolve_entity(&r) {
                    title.push_str(&s);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let title = collapse_spaces(&title);
    (!title.is_empty()).then_some(title)
}

// ---------------------------------------------------------------------------------------------
// Styles and numbering
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone)]
struct StyleDef {
    name: String,
    based_on: Option<String>,
    /// `w:outlineLvl` 0–8 (9 means body text).
    outline: Option<u8>,
    /// Numbering attached to the style itself (`List Bullet` and friends).
    num: Option<(String, u8)>,
}

#[derive(Debug, Default)]
struct Styles {
    defs: HashMap<String, StyleDef>,
}

impl Styles {
    /// Heading level of a paragraph style: 1 for `Title` and `heading 1`, N for `heading N`, or
    /// the outline level + 1; `None` for body styles. Follows `basedOn`.
    fn heading_level(&self, id: &str) -> Option<u8> {
        // Files written by tools other than Word may omit styles.xml; the built-in style ids
        // (`Heading1`, `Title`) still say what the paragraph is.
        if !self.defs.contains_key(id) {
            return heading_level_from_name(id).or_else(|| {
                id.to_ascii_lowercase().strip_prefix("heading")?.parse().ok().filter(|l| (1..=9).contains(l))
            });
        }
        let mut current = Some(id);
        for _ in 0..MAX_STYLE_CHAIN {
            let def = self.defs.get(current?)?;
            if let Some(level) = heading_level_from_name(&def.name) {
                return Some(level);
            }
            match def.outline {
                Some(l) if l < 9 => return Some(l + 1),
                Some(_) => return None,
                None => {}
            }
            current = def.based_on.as_deref();
        }
        None
    }

    fn numbering(&self, id: &str) -> Option<(String, u8)> {
        let mut current = Some(id);
        for _ in 0..MAX_STYLE_CHAIN {
            let def = self.defs.get(current?)?;
            if def.num.is_some() {
                return def.num.clone();
            }
            current = def.based_on.as_deref();
        }
        None
    }
}

fn heading_level_from_name(name: &str) -> Option<u8> {
    let lower = name.trim().to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let n = lower.strip_prefix("heading")?.trim();
    match n.parse::<u8>() {
        Ok(level @ 1..=9) => Some(level),
        _ => None,
    }
}

fn parse_styles(xml: &str, warnings: &mut Vec<String>) -> Styles {
    let mut reader = Reader::from_str(xml);
    let mut styles = Styles::default();
    let mut current: Option<(String, StyleDef)> = None;
    let mut num_id: Option<String> = None;
    let mut ilvl: u8 = 0;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                warnings.push(format!("styles ignored after an xml error: {}", one_line(&e)));
                break;
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                match local(name.as_ref()) {
                    "style" => {
                        let is_para = attr(&e, "type").is_none_or(|t| t == "paragraph");
                        current = match (is_para, attr(&e, "styleId")) {
                            (true, Some(id)) => Some((id, StyleDef::default())),
                            _ => None,
                        };
                        num_id = None;
                        ilvl = 0;
                    }
                    "name" => {
                        if let (Some((_, def)), Some(v)) = (current.as_mut(), attr(&e, "val")) {
                            def.name = v;
                        }
                    }
                    "basedOn" => {
                        if let Some((_, def)) = current.as_mut() {
                            def.based_on = attr(&e, "val");
                        }
                    }
                    "outlineLvl" => {
                        if let Some((_, def)) = current.as_mut() {
                            def.outline = attr(&e, "val").and_then(|v| v.parse().ok());
                        }
                    }
                    "numId" => num_id = attr(&e, "val"),
                    "ilvl" => ilvl = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(0),
                    _ => {}
                }
            }
            Event::End(e) if local(e.name().as_ref()) == "style" => {
                if let Some((id, mut def)) = current.take() {
                    def.num = num_id.take().filter(|n| n != "0").map(|n| (n, ilvl.min(8)));
                    // Some files define a style twice; the later definition wins, as in Word.
                    styles.defs.insert(id, def);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    styles
}

#[derive(Debug, Default, Clone)]
struct Level {
    fmt: String,
    text: String,
    start: i64,
}

#[derive(Debug, Default)]
struct Numbering {
    /// abstractNumId → levels by `ilvl`.
    abstracts: HashMap<String, HashMap<u8, Level>>,
    /// numId → (abstractNumId, start overrides by `ilvl`).
    nums: HashMap<String, (String, HashMap<u8, i64>)>,
}

impl Numbering {
    fn level(&self, num_id: &str, ilvl: u8) -> Option<&Level> {
        let (abs, _) = self.nums.get(num_id)?;
        self.abstracts.get(abs)?.get(&ilvl)
    }

    fn start(&self, num_id: &str, ilvl: u8) -> i64 {
        let over = self.nums.get(num_id).and_then(|(_, o)| o.get(&ilvl).copied());
        over.or_else(|| self.level(num_id, ilvl).map(|l| l.start)).unwrap_or(1)
    }
}

fn parse_numbering(xml: &str, warnings: &mut Vec<String>) -> Numbering {
    let mut reader = Reader::from_str(xml);
    let mut numbering = Numbering::default();
    let mut abs: Option<(String, HashMap<u8, Level>)> = None;
    let mut level: Option<(u8, Level)> = None;
    let mut num: Option<(String, String, HashMap<u8, i64>)> = None;
    let mut override_lvl: Option<u8> = None;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                warnings.push(format!("list numbering ignored after an xml error: {}", one_line(&e)));
                break;
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let ilvl_attr = || attr(&e, "ilvl").and_then(|v| v.parse::<u8>().ok());
                match local(e.name().as_ref()) {
                    "abstractNum" => {
                        abs = attr(&e, "abstractNumId").map(|id| (id, HashMap::new()));
                    }
                    "lvl" if abs.is_some() => {
                        level = ilvl_attr().map(|i| (i, Level { start: 1, ..Level::default() }));
                    }
                    "start" => {
                        let v = attr(&e, "val").and_then(|v| v.parse().ok());
                        if let (Some((_, l)), Some(v)) = (level.as_mut(), v) {
                            l.start = v;
                        }
                    }
                    "numFmt" => {
                        if let (Some((_, l)), Some(v)) = (level.as_mut(), attr(&e, "val")) {
                            l.fmt = v;
                        }
                    }
                    "lvlText" => {
                        if let (Some((_, l)), Some(v)) = (level.as_mut(), attr(&e, "val")) {
                            l.text = v;
                        }
                    }
                    "num" => {
                        num = attr(&e, "numId").map(|id| (id, String::new(), HashMap::new()));
                    }
                    "abstractNumId" => {
                        if let (Some(n), Some(v)) = (num.as_mut(), attr(&e, "val")) {
                            n.1 = v;
                        }
                    }
                    "lvlOverride" => override_lvl = ilvl_attr(),
                    "startOverride" => {
                        let v = attr(&e, "val").and_then(|v| v.parse().ok());
                        if let (Some(n), Some(i), Some(v)) = (num.as_mut(), override_lvl, v) {
                            n.2.insert(i, v);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match local(e.name().as_ref()) {
                "lvl" => {
                    if let (Some((_, levels)), Some((i, l))) = (abs.as_mut(), level.take()) {
                        levels.insert(i, l);
                    }
                }
                "abstractNum" => {
                    if let Some((id, levels)) = abs.take() {
                        numbering.abstracts.insert(id, levels);
                    }
                }
                "num" => {
                    if let Some((id, a, o)) = num.take() {
                        numbering.nums.insert(id, (a, o));
                    }
                }
                "lvlOverride" => override_lvl = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    numbering
}

/// Running counters of numbered lists, per `numId`.
#[derive(Debug, Default)]
struct ListCounters {
    counters: HashMap<String, [Option<i64>; 9]>,
}

impl ListCounters {
    /// The marker of the next item at `ilvl` of list `num_id` (`•`, `3.`, `b)`, `1.2.`).
    fn marker(&mut self, numbering: &Numbering, num_id: &str, ilvl: u8) -> String {
        let ilvl = ilvl.min(8);
        let Some(level) = numbering.level(num_id, ilvl) else {
            return "•".into();
        };
        let counters = self.counters.entry(num_id.to_owned()).or_insert([None; 9]);
        let i = usize::from(ilvl);
        counters[i] = Some(match counters[i] {
            Some(n) => n.saturating_add(1),
            None => numbering.start(num_id, ilvl),
        });
        // A new item at one level restarts every deeper level.
        for deeper in counters.iter_mut().skip(i + 1) {
            *deeper = None;
        }
        match level.fmt.as_str() {
            "bullet" => {
                // Bullets are usually a private-use glyph of the Symbol/Wingdings fonts.
                let t = level.text.trim();
                if t.is_empty() || t.chars().any(|c| ('\u{e000}'..='\u{f8ff}').contains(&c)) {
                    "•".into()
                } else {
                    t.to_owned()
                }
            }
            "none" => String::new(),
            _ => {
                let mut out = String::new();
                let mut chars = level.text.chars().peekable();
                while let Some(c) = chars.next() {
                    let digit = chars.peek().and_then(|d| d.to_digit(10));
                    if c == '%'
                        && let Some(d @ 1..=9) = digit
                    {
                        chars.next();
                        let k = (d - 1) as u8;
                        let n = counters[usize::from(k)].unwrap_or_else(|| numbering.start(num_id, k));
                        let fmt = numbering.level(num_id, k).map(|l| l.fmt.as_str()).unwrap_or("");
                        out.push_str(&format_number(n, fmt));
                    } else {
                        out.push(c);
                    }
                }
                out.trim().to_owned()
            }
        }
    }
}

fn format_number(n: i64, fmt: &str) -> String {
    match fmt {
        "lowerLetter" => letters(n).to_lowercase(),
        "upperLetter" => letters(n),
        "lowerRoman" => roman(n).to_lowercase(),
        "upperRoman" => roman(n),
        "decimalZero" if (0..10).contains(&n) => format!("0{n}"),
        _ => n.to_string(),
    }
}

/// Word's letter numbering: A…Z, then AA…ZZ, AAA…
fn letters(n: i64) -> String {
    if n < 1 {
        return n.to_string();
    }
    let idx = (n - 1) % 26;
    let reps = usize::try_from((n - 1) / 26 + 1).unwrap_or(1).min(8);
    let c = char::from(b'A' + idx as u8);
    std::iter::repeat_n(c, reps).collect()
}

fn roman(n: i64) -> String {
    if !(1..4000).contains(&n) {
        return n.to_string();
    }
    const TABLE: [(i64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut n = n;
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The body walker
// ---------------------------------------------------------------------------------------------

/// One unit of output from the walker.
#[derive(Debug)]
enum Block {
    /// A paragraph outside tables, already whitespace-normalised and non-empty.
    Para { text: String, heading: Option<u8>, list: Option<(String, u8)> },
    /// One table row flattened to `cell | cell | cell`.
    Row(String),
}

/// Numbers given to note references in the order they first appear in the body.
#[derive(Debug, Default)]
struct NoteRefs {
    footnotes: Vec<String>,
    endnotes: Vec<String>,
}

impl NoteRefs {
    fn number(list: &mut Vec<String>, id: String) -> usize {
        match list.iter().position(|x| *x == id) {
            Some(i) => i + 1,
            None => {
                list.push(id);
                list.len()
            }
        }
    }
}

/// What the walker did when an element opened, so that its end can undo it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    /// Nothing to undo.
    Plain,
    /// Content skipped until this element closes (deleted text, field codes, fallbacks).
    Skip,
    /// A paragraph was pushed.
    Para,
    /// Paragraph properties: style, numbering, outline level live here.
    ParaProps,
    /// Run text (`w:t`): character data counts only inside it.
    Text,
    Table,
    Row,
    Cell,
}

#[derive(Debug, Default)]
struct Para {
    text: String,
    style: Option<String>,
    num_id: Option<String>,
    ilvl: Option<u8>,
    outline: Option<u8>,
}

#[derive(Debug, Default)]
struct TableCtx {
    rows: Vec<String>,
    row: Vec<String>,
    cell: Option<String>,
}

/// How much paragraph text a walk may still collect.
struct TextBudget {
    left: usize,
    /// Set once text had to be cut; the walk stops at the next event.
    truncated: bool,
}

impl TextBudget {
    fn new(limit: usize) -> Self {
        TextBudget { left: limit, truncated: false }
    }

    /// Appends as much of `s` as the budget allows (cut on a char boundary).
    fn push(&mut self, out: &mut String, s: &str) {
        if s.len() <= self.left {
            out.push_str(s);
            self.left -= s.len();
            return;
        }
        let mut end = self.left;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&s[..end]);
        self.left = 0;
        self.truncated = true;
    }
}

/// Walks a body-like part (document body, or one note's paragraphs) and hands out blocks.
///
/// `refs` numbers footnote/endnote references; note parts pass `None` and get no markers.
fn walk(
    xml: impl BufRead,
    styles: &Styles,
    opts: &ExtractOptions,
    mut refs: Option<&mut NoteRefs>,
    warnings: &mut Vec<String>,
    budget: &mut TextBudget,
    mut emit: impl FnMut(Block),
) {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut skip = 0usize;
    let mut paras: Vec<Para> = Vec::new();
    let mut tables: Vec<TableCtx> = Vec::new();
    let mut in_text = false;
    let mut in_ppr = false;
    let max_depth = opts.max_nesting_depth.max(1);
    let mut flattened = false;

    loop {
        if budget.truncated {
            break;
        }
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                // A damaged body keeps what was read before the damage: most of a document is
                // better than none, and the warning tells the user.
                let pos = reader.error_position();
                warnings.push(format!("text after byte {pos} lost to an xml error: {}", one_line(&e)));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                if skip > 0 {
                    skip += 1;
                    continue;
                }
                let deep = open.len() >= max_depth;
                if deep && !flattened {
                    flattened = true;
                    warnings.push(format!("elements nested deeper than {max_depth} levels were flattened"));
                }
                let kind = start_element(&e, deep, &mut paras, &mut tables, &mut in_ppr);
                match kind {
                    Open::Skip => skip = 1,
                    Open::Text => in_text = true,
                    _ => {}
                }
                if kind != Open::Skip {
                    open.push(kind);
                }
            }
            Event::Empty(e) => {
                if skip > 0 {
                    continue;
                }
                empty_element(&e, &mut paras, &tables, in_ppr, refs.as_deref_mut());
            }
            Event::End(_) => {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let Some(kind) = open.pop() else { continue };
                end_element(kind, &mut paras, &mut tables, &mut in_text, &mut in_ppr, styles, &mut emit);
            }
            Event::Text(t) if in_text && skip == 0 => {
                if let Some(p) = paras.last_mut() {
                    budget.push(&mut p.text, &t.xml10_content());
                }
            }
            Event::CData(t) if in_text && skip == 0 => {
                if let Some(p) = paras.last_mut() {
                    budget.push(&mut p.text, &t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_text && skip == 0 => {
                if let (Some(p), Some(s)) = (paras.last_mut(), resolve_entity(&r)) {
                    budget.push(&mut p.text, &s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // Flush whatever a truncated part left open, innermost first.
    while let Some(kind) = open.pop() {
        end_element(kind, &mut paras, &mut tables, &mut in_text, &mut in_ppr, styles, &mut emit);
    }
}

fn start_element(
    e: &BytesStart<'_>,
    deep: bool,
    paras: &mut Vec<Para>,
    tables: &mut Vec<TableCtx>,
    in_ppr: &mut bool,
) -> Open {
    let name = e.name();
    let (prefix_mc, local_name) = {
        let raw = name.as_ref();
        (raw.starts_with("mc:"), local(raw))
    };
    match local_name {
        // Deleted and moved-away revisions, field instructions, tracked property changes, and
        // the compatibility fallback that duplicates the preferred choice.
        "del" | "moveFrom" | "delText" | "instrText" | "delInstrText" | "pPrChange" | "rPrChange" | "tblPrChange"
        | "trPrChange" | "tcPrChange" | "sectPrChange" => Open::Skip,
        "Fallback" if prefix_mc => Open::Skip,
        "t" if !*in_ppr => Open::Text,
        // Past the depth limit structure is ignored but text is kept: a paragraph only opens
        // if none is open to collect the text.
        "p" if deep && !paras.is_empty() => Open::Plain,
        "p" => {
            paras.push(Para::default());
            Open::Para
        }
        _ if deep => Open::Plain,
        "pPr" if !paras.is_empty() => {
            *in_ppr = true;
            Open::ParaProps
        }
        "tbl" => {
            tables.push(TableCtx::default());
            Open::Table
        }
        "tr" if !tables.is_empty() => {
            if let Some(t) = tables.last_mut() {
                t.row.clear();
            }
            Open::Row
        }
        "tc" if !tables.is_empty() => {
            if let Some(t) = tables.last_mut() {
                t.cell = Some(String::new());
            }
            Open::Cell
        }
        _ => {
            if *in_ppr {
                para_property(e, paras);
            }
            Open::Plain
        }
    }
}

/// Records a paragraph property (`w:pStyle`, `w:numId`, `w:ilvl`, `w:outlineLvl`).
fn para_property(e: &BytesStart<'_>, paras: &mut [Para]) {
    let Some(p) = paras.last_mut() else { return };
    match local(e.name().as_ref()) {
        "pStyle" => p.style = attr(e, "val"),
        "numId" => p.num_id = attr(e, "val"),
        "ilvl" => p.ilvl = attr(e, "val").and_then(|v| v.parse().ok()),
        "outlineLvl" => p.outline = attr(e, "val").and_then(|v| v.parse().ok()),
        _ => {}
    }
}

fn empty_element(
    e: &BytesStart<'_>,
    paras: &mut [Para],
    tables: &[TableCtx],
    in_ppr: bool,
    refs: Option<&mut NoteRefs>,
) {
    if in_ppr {
        para_property(e, paras);
        return;
    }
    let in_cell = tables.last().is_some_and(|t| t.cell.is_some());
    let Some(p) = paras.last_mut() else {
        // `<w:p/>` is an empty paragraph: nothing to output.
        return;
    };
    match local(e.name().as_ref()) {
        "tab" | "ptab" => p.text.push('\t'),
        // A line break inside a table cell would split the row's line; a space keeps it whole.
        "br" | "cr" => p.text.push(if in_cell { ' ' } else { '\n' }),
        "noBreakHyphen" => p.text.push('-'),
        "footnoteReference" | "endnoteReference" => {
            let Some(refs) = refs else { return };
            let Some(id) = attr(e, "id") else { return };
            if local(e.name().as_ref()) == "footnoteReference" {
                let n = NoteRefs::number(&mut refs.footnotes, id);
                p.text.push_str(&format!("[{n}]"));
            } else {
                let n = NoteRefs::number(&mut refs.endnotes, id);
                p.text.push_str(&format!("[{}]", roman(n as i64).to_lowercase()));
            }
        }
        _ => {}
    }
}

fn end_element(
    kind: Open,
    paras: &mut Vec<Para>,
    tables: &mut Vec<TableCtx>,
    in_text: &mut bool,
    in_ppr: &mut bool,
    styles: &Styles,
    emit: &mut impl FnMut(Block),
) {
    match kind {
        Open::Plain | Open::Skip => {}
        Open::Text => *in_text = false,
        Open::ParaProps => *in_ppr = false,
        Open::Para => {
            let Some(p) = paras.pop() else { return };
            let text = clean_paragraph(&p.text);
            if text.is_empty() {
                return;
            }
            if let Some(cell) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(&text.replace('\n', " "));
                return;
            }
            let heading = match (p.outline, p.style.as_deref()) {
                (Some(l), _) if l < 9 => Some(l + 1),
                (_, Some(style)) => styles.heading_level(style),
                _ => None,
            };
            let list = match (p.num_id, heading) {
                (_, Some(_)) => None,
                (Some(id), None) if id != "0" => Some((id, p.ilvl.unwrap_or(0).min(8))),
                (Some(_), None) => None,
                (None, None) => p
                    .style
                    .as_deref()
                    .and_then(|s| styles.numbering(s))
                    .map(|(id, lvl)| (id, p.ilvl.unwrap_or(lvl).min(8))),
            };
            emit(Block::Para { text, heading, list });
        }
        Open::Cell => {
            if let Some(t) = tables.last_mut()
                && let Some(cell) = t.cell.take()
            {
                t.row.push(cell);
            }
        }
        Open::Row => {
            if let Some(t) = tables.last_mut() {
                let row = std::mem::take(&mut t.row);
                if row.iter().any(|c| !c.is_empty()) {
                    let line = row.join(" | ").trim().to_owned();
                    if tables.len() == 1 {
                        emit(Block::Row(line));
                    } else if let Some(t) = tables.last_mut() {
                        t.rows.push(line);
                    }
                }
            }
        }
        Open::Table => {
            let Some(done) = tables.pop() else { return };
            // A nested table lands inside the enclosing cell, its rows separated by " / ".
            if let Some(cell) = tables.last_mut().and_then(|t| t.cell.as_mut())
                && !done.rows.is_empty()
            {
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(&done.rows.join(" / "));
            }
        }
    }
}

/// Collapses whitespace runs (tabs, layout spaces) to one space per line, trims each line and
/// drops empty ones; lines are the paragraph's explicit line breaks.
fn clean_paragraph(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.split('\n') {
        let line = collapse_spaces(line);
        if !line.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&line);
        }
    }
    out
}

fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------------------------

/// `(id, text)` of each real note in a footnotes/endnotes part (separators excluded).
fn parse_notes(xml: &str, styles: &Styles, opts: &ExtractOptions, warnings: &mut Vec<String>) -> Vec<(String, String)> {
    // Notes are small; each is cut out as its own slice and walked like a body.
    let mut notes = Vec::new();
    let mut reader = Reader::from_str(xml);
    let mut current: Option<(String, usize)> = None;
    let mut depth = 0usize;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                warnings.push(format!("notes ignored after an xml error: {}", one_line(&e)));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.name();
                let l = local(name.as_ref());
                if current.is_none() && (l == "footnote" || l == "endnote") {
                    let kind = attr(&e, "type").unwrap_or_default();
                    if kind.is_empty() || kind == "normal" {
                        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                        current = attr(&e, "id").map(|id| (id, start));
                    }
                    depth = 1;
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.name();
                let l = local(name.as_ref());
                if depth == 0
                    && (l == "footnote" || l == "endnote")
                    && let Some((id, start)) = current.take()
                {
                    let end = usize::try_from(before).unwrap_or(start);
                    let inner = xml.get(start..end).unwrap_or("");
                    let mut parts = Vec::new();
                    let mut budget = TextBudget::new(opts.max_text_bytes);
                    walk(inner.as_bytes(), styles, opts, None, warnings, &mut budget, |b| match b {
                        Block::Para { text, .. } | Block::Row(text) => parts.push(text),
                    });
                    let text = parts.join(" ");
                    if !text.is_empty() {
                        notes.push((id, text));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    notes
}

fn append_notes(out: &mut Builder, heading: &str, notes: &[(String, String)], order: &[String], roman_numbers: bool) {
    if notes.is_empty() {
        return;
    }
    out.heading(1, heading);
    let label = |n: usize| {
        if roman_numbers { roman(n as i64).to_lowercase() } else { n.to_string() }
    };
    // Referenced notes in reference order; any note the body never references follows, so its
    // text is not lost.
    let mut next = order.len();
    for (i, id) in order.iter().enumerate() {
        if let Some((_, text)) = notes.iter().find(|(nid, _)| nid == id) {
            out.line(&format!("[{}] {}", label(i + 1), text));
        }
    }
    for (id, text) in notes {
        if !order.contains(id) {
            next += 1;
            out.line(&format!("[{}] {}", label(next), text));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// Accumulates lines and cuts a segment at every heading.
#[derive(Debug, Default)]
struct Builder {
    text: String,
    segments: Vec<Segment>,
    /// Open headings, outermost first, with their levels.
    stack: Vec<(u8, String)>,
    seg_start: usize,
}

impl Builder {
    fn heading(&mut self, level: u8, title: &str) {
        self.close_segment();
        while self.stack.last().is_some_and(|(l, _)| *l >= level) {
            self.stack.pop();
        }
        self.stack.push((level, title.replace('\n', " ")));
        self.line(title);
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn close_segment(&mut self) {
        if self.text.len() > self.seg_start {
            let path = self.stack.iter().map(|(_, t)| t.clone()).collect();
            self.segments.push(Segment {
                bytes: self.seg_start..self.text.len(),
                location: Location::Section { path },
                ocr_confidence: None,
            });
            self.seg_start = self.text.len();
        }
    }

    fn finish(mut self) -> (String, Vec<Segment>) {
        self.close_segment();
        (self.text, self.segments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_like_word() {
        assert_eq!(format_number(3, "lowerLetter"), "c");
        assert_eq!(format_number(28, "upperLetter"), "BB");
        assert_eq!(format_number(14, "lowerRoman"), "xiv");
        assert_eq!(format_number(7, "decimalZero"), "07");
        assert_eq!(format_number(7, "decimal"), "7");
    }

    #[test]
    fn heading_names_map_to_levels() {
        assert_eq!(heading_level_from_name("heading 2"), Some(2));
        assert_eq!(heading_level_from_name("Heading 9"), Some(9));
        assert_eq!(heading_level_from_name("Title"), Some(1));
        assert_eq!(heading_level_from_name("heading 10"), None);
        assert_eq!(heading_level_from_name("Normal"), None);
    }

    #[test]
    fn paragraphs_collapse_layout_whitespace() {
        assert_eq!(clean_paragraph("  a\t\tb  \n\n c "), "a b\nc");
    }
}

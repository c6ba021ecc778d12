//! HTML: the readable main content (dom_smoothie, a port of Mozilla's Readability), or the whole
//! body minus navigation, scripts and page furniture when Readability finds too little.
//!
//! Pipeline: decode (BOM, then `<meta charset>`, then detection) → cap the nesting depth with a
//! linear pre-pass → Readability → walk the article's DOM iteratively into plain text, cutting a
//! section at every heading.
//!
//! Why the depth cap: html5ever's tree builder checks "has an element in scope" by scanning the
//! stack of open elements, so parsing is quadratic in the nesting depth (measured: 10,000 nested
//! `<div>`s 0.4 s, 30,000 3.2 s, 100,000 about half a minute), and Readability's scoring recurses
//! over the DOM and re-reads the text under every ancestor. Elements deeper than
//! `max_nesting_depth` are therefore removed before parsing (their text is kept), and pages that
//! are still expensive for Readability (see [`READABILITY_BUDGET`]) skip it for the linear
//! whole-body walk.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use scraper::{Html, Node};

use crate::markdown::{Built, SectionBuilder};
use crate::{Document, ExtractError, ExtractOptions, Format};

/// Readability output shorter than this (in chars) is compared with the whole body, because on
/// short or unusual pages (a bare `<pre>`, a data sheet) it can pick a fragment.
const SHORT_ARTICLE_CHARS: usize = 500;

/// The most text × depth (see [`Prepared::text_depth`]) Readability is given; beyond it the
/// page is read whole, in linear time. Measured: a 100 KB text node under 64 nested `<div>`s
/// (6.6 M) takes Readability 1.4 s, under 256 (25 M) 6 s; real pages score far lower (a 2.4 MB
/// 10-K filing with 170 K chars of text: 1.1 M, read in 0.3 s).
const READABILITY_BUDGET: u64 = 6_000_000;

/// Reads an HTML file.
pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let head = crate::text::read_text_head(path, opts.max_text_bytes, "html")?;
    let mut doc = from_bytes(&head.bytes, opts)?;
    if head.truncated {
        doc.warnings.push(crate::truncation_note(opts.max_text_bytes));
    }
    Ok(doc)
}

/// Reads HTML held in memory (a file's or a fetched page's bytes).
pub(crate) fn from_bytes(bytes: &[u8], opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let declared = declared_charset(bytes);
    let html = crate::text::decode_with_hint(bytes, declared, "html")?;
    from_str(&html, opts)
}

/// Extracts readable text from decoded HTML.
pub(crate) fn from_str(html: &str, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let prepared = prepare(html, opts.max_nesting_depth.max(8));
    let html = prepared.html;
    // No real page nests anywhere near the limit; one that does is machine-made or hostile, and
    // is refused with its reason rather than indexed as a flattened guess.
    if prepared.flattened {
        return Err(ExtractError::TooDeep { limit: opts.max_nesting_depth });
    }
    let warnings = Vec::new();

    // Readability re-reads the text of every ancestor of a text node, several times over, so its
    // cost grows with text × depth; a pathological page gets the linear whole-body walk instead.
    let (article_title, article) = if prepared.flattened || prepared.text_depth > READABILITY_BUDGET {
        (None, None)
    } else {
        readable_article(&html)
    };
    let (title, built) = match article {
        Some(built) if char_count(&built.text) >= SHORT_ARTICLE_CHARS => (article_title, built),
        article => {
            let page = Html::parse_document(&html);
            let body = walk(&page, true);
            // Prefer the article unless the page has clearly more to say.
            let use_article = article.as_ref().is_some_and(|a| char_count(&a.text) * 2 >= char_count(&body.text));
            let title = article_title.or_else(|| title_element(&page));
            match article {
                Some(article) if use_article => (title, article),
                _ => (title, body),
            }
        }
    };
    if built.segments.is_empty() {
        return Err(ExtractError::NoText("no readable text in the page".into()));
    }
    Ok(Document {
        ocr: Vec::new(),
        format: Format::Html,
        card: crate::card::build(&crate::card::html_meta(&html), crate::card::leading_text(&built.text)),
        title: title.or(built.first_h1).or(built.first_heading),
        text: built.text,
        pages: None,
        segments: built.segments,
        tables: Vec::new(),
        warnings,
    })
}

/// Runs Readability; returns its title (if any) and the article as text (if it found one).
fn readable_article(html: &str) -> (Option<String>, Option<Built>) {
    let Ok(mut readability) = dom_smoothie::Readability::new(html, None, None) else {
        return (None, None);
    };
    match readability.parse() {
        Ok(article) => {
            let title = clean_title(&article.title);
            let content = Html::parse_fragment(&article.content);
            let built = walk(&content, false);
            (title, (!built.segments.is_empty()).then_some(built))
        }
        Err(_) => (None, None),
    }
}

/// Whitespace-collapsed title, or `None` when empty or a mere file name.
fn clean_title(raw: &str) -> Option<String> {
    crate::text::plausible_title(raw)
}

/// The text of the document's `<title>` element.
fn title_element(page: &Html) -> Option<String> {
    let title = page.tree.root().descendants().find(|n| n.value().as_element().is_some_and(|e| e.name() == "title"))?;
    let text: String = title.descendants().filter_map(|n| n.value().as_text().map(|t| &**t)).collect();
    clean_title(&text)
}

fn char_count(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Elements whose text is never content.
fn always_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "select"
            | "datalist"
            | "button"
    )
}

/// Page furniture, skipped when falling back to the whole body.
fn furniture(name: &str) -> bool {
    matches!(name, "nav" | "header" | "footer" | "aside" | "menu" | "dialog")
}

/// True for elements whose text a reader does not see or that are navigation by role.
fn hidden_or_navigation(el: &scraper::node::Element, whole_body: bool) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = el.attr("style") {
        let style: String = style.chars().filter(|c| !c.is_whitespace()).collect();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    whole_body
        && matches!(
            el.attr("role"),
            Some("navigation" | "banner" | "contentinfo" | "complementary" | "search" | "menu")
        )
}

/// Walks the DOM iteratively (no recursion, whatever the depth) into text with heading sections.
/// `whole_body` also drops page furniture (nav, header, footer, aside), which Readability has
/// already removed from an article.
fn walk(page: &Html, whole_body: bool) -> Built {
    let mut w = Walker::default();
    let root = page.tree.root();
    let mut node = root;
    loop {
        // Open `node`; descend unless it is a leaf or skipped.
        let mut descend = true;
        match node.value() {
            Node::Text(text) => w.text(text),
            Node::Element(el) => {
                let name = el.name();
                if always_skipped(name) || (whole_body && furniture(name)) || hidden_or_navigation(el, whole_body) {
                    descend = false;
                } else {
                    w.open(name);
                }
            }
            _ => {}
        }
        if descend && let Some(child) = node.first_child() {
            node = child;
            continue;
        }
        // Close `node` and every ancestor whose last child it was, then move to the next sibling.
        loop {
            if descend && let Node::Element(el) = node.value() {
                w.close(el.name());
            }
            descend = true;
            if node.id() == root.id() {
                return w.out.finish();
            }
            if let Some(sibling) = node.next_sibling() {
                node = sibling;
                break;
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => return w.out.finish(),
            }
        }
    }
}

/// One open table row: how many of its cells had text, and whether the current one has yet.
#[derive(Default)]
struct Row {
    cells_with_text: usize,
    cell_has_text: bool,
}

/// The walker's state between DOM events.
#[derive(Default)]
struct Walker {
    out: SectionBuilder,
    /// Open `<pre>`-like elements: whitespace is kept inside.
    pre_depth: usize,
    /// Open `<td>`/`<th>`: blocks inside a cell break lines, not paragraphs.
    cell_depth: usize,
    rows: Vec<Row>,
}

impl Walker {
    fn text(&mut self, text: &str) {
        if self.cell_depth > 0
            && !text.trim().is_empty()
            && let Some(row) = self.rows.last_mut()
            && !row.cell_has_text
        {
            // " | " only between cells that have text, so empty layout cells leave no "| |".
            if row.cells_with_text > 0 {
                self.out.separator(" | ");
            }
            row.cells_with_text += 1;
            row.cell_has_text = true;
        }
        if self.pre_depth > 0 {
            self.out.text(text);
        } else {
            self.out.inline(text);
        }
    }

    fn open(&mut self, name: &str) {
        if let Some(level) = heading_level(name) {
            self.out.start_heading(level);
            return;
        }
        match name {
            "td" | "th" => {
                self.cell_depth += 1;
                if let Some(row) = self.rows.last_mut() {
                    row.cell_has_text = false;
                }
                return;
            }
            "tr" => self.rows.push(Row::default()),
            "pre" | "textarea" | "listing" | "plaintext" | "xmp" => self.pre_depth += 1,
            _ => {}
        }
        self.break_for(name);
    }

    fn close(&mut self, name: &str) {
        if heading_level(name).is_some() {
            self.out.end_heading();
            return;
        }
        match name {
            "td" | "th" => {
                self.cell_depth = self.cell_depth.saturating_sub(1);
                self.out.space();
                return;
            }
            "tr" => {
                self.rows.pop();
            }
            "pre" | "textarea" | "listing" | "plaintext" | "xmp" => {
                self.pre_depth = self.pre_depth.saturating_sub(1);
            }
            _ => {}
        }
        self.break_for(name);
    }

    /// The break a block or line element causes at its start and end.
    fn break_for(&mut self, name: &str) {
        if is_block(name) && self.cell_depth == 0 {
            self.out.block_break();
        } else if is_block(name) || is_line(name) {
            self.out.line_break();
        }
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Block-level elements: a blank line around them.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "blockquote"
            | "ul"
            | "ol"
            | "dl"
            | "figure"
            | "figcaption"
            | "address"
            | "hr"
            | "pre"
            | "table"
            | "form"
            | "fieldset"
            | "details"
            | "summary"
            | "center"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "legend"
            | "body"
    )
}

/// Elements that sit on a line of their own.
fn is_line(name: &str) -> bool {
    matches!(name, "li" | "dt" | "dd" | "tr" | "caption" | "br" | "option")
}

/// The encoding an HTML file declares in its first bytes: `<meta charset>`, the
/// `http-equiv="Content-Type"` form, or an XML declaration. Like browsers, only the start of the
/// file is looked at.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta").map(|i| i + from) {
        let end = find(&lower[at..], b">").map_or(lower.len(), |i| i + at);
        if let Some(enc) = charset_in(&lower[at..end], b"charset") {
            return Some(enc);
        }
        from = at + 5;
    }
    if lower.starts_with(b"<?xml") {
        let end = find(&lower, b"?>").unwrap_or(lower.len());
        return charset_in(&lower[..end], b"encoding");
    }
    None
}

/// The encoding named after `key` (`charset=utf-8`, `encoding="latin1"`) within one tag.
fn charset_in(tag: &[u8], key: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let at = find(tag, key)? + key.len();
    let rest = &tag[at..];
    let rest = rest.trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
    let len = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
        .unwrap_or(rest.len());
    encoding_rs::Encoding::for_label(&rest[..len])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Depth cap

/// Elements with no content or end tag.
fn is_void(name: &[u8]) -> bool {
    const VOID: &[&[u8]] = &[
        b"area",
        b"base",
        b"br",
        b"col",
        b"embed",
        b"hr",
        b"img",
        b"input",
        b"link",
        b"meta",
        b"param",
        b"source",
        b"track",
        b"wbr",
        b"keygen",
        b"basefont",
        b"bgsound",
        b"frame",
        b"image",
    ];
    VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
}

/// Elements whose content is raw text up to their end tag (no tags inside).
fn is_raw_text(name: &[u8]) -> bool {
    const RAW: &[&[u8]] =
        &[b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript"];
    RAW.iter().any(|v| v.eq_ignore_ascii_case(name))
}

/// A fixed list of tag names.
type TagList = &'static [&'static [u8]];

/// For elements whose end tag is optional: the open elements a new one implicitly closes, and
/// the element that bounds that search. Without this, a page of unclosed `<li>`s would look
/// thousands of levels deep.
fn implied_close(name: &[u8]) -> Option<(TagList, TagList)> {
    type Rule = (&'static [u8], TagList, TagList);
    const CELLS: &[&[u8]] = &[b"td", b"th"];
    const SECTIONS: &[&[u8]] = &[b"tbody", b"thead", b"tfoot", b"tr", b"td", b"th"];
    const RULES: &[Rule] = &[
        (b"li", &[b"li"], &[b"ul", b"ol", b"menu"]),
        (b"dt", &[b"dt", b"dd"], &[b"dl"]),
        (b"dd", &[b"dt", b"dd"], &[b"dl"]),
        (b"td", CELLS, &[b"tr", b"table"]),
        (b"th", CELLS, &[b"tr", b"table"]),
        (b"tr", &[b"tr", b"td", b"th"], &[b"table", b"tbody", b"thead", b"tfoot"]),
        (b"tbody", SECTIONS, &[b"table"]),
        (b"thead", SECTIONS, &[b"table"]),
        (b"tfoot", SECTIONS, &[b"table"]),
        (b"option", &[b"option"], &[b"select", b"datalist", b"optgroup"]),
        (b"optgroup", &[b"option", b"optgroup"], &[b"select"]),
    ];
    RULES.iter().find(|(tag, _, _)| tag.eq_ignore_ascii_case(name)).map(|&(_, closes, bounds)| (closes, bounds))
}

/// How far down the open-element stack an end tag or an implied close looks for its element.
/// Bounded so that stray or mismatched tags cannot make the pre-pass quadratic.
const SEARCH_WINDOW: usize = 32;

/// The HTML as handed to the parsers, and what the pre-pass learned about it.
struct Prepared<'a> {
    html: Cow<'a, str>,
    /// Some elements were nested deeper than the limit and lost their tags.
    flattened: bool,
    /// Sum over text bytes of the depth they sit at (see [`READABILITY_BUDGET`]).
    text_depth: u64,
}

/// Removes the tags of elements nested deeper than `limit` (keeping their text), or borrows the
/// input unchanged when nothing is that deep. Linear time, no recursion.
///
/// The depth is an estimate of html5ever's: `<p>` (closed by almost any block) and void elements
/// do not count, and optional end tags are implied as the HTML parser does for the common cases.
fn prepare(html: &str, limit: usize) -> Prepared<'_> {
    let mut measure = DepthScan::new(html, limit, false);
    if !measure.run() {
        return Prepared { html: Cow::Borrowed(html), flattened: false, text_depth: measure.text_depth };
    }
    let mut rewrite = DepthScan::new(html, limit, true);
    rewrite.run();
    Prepared { html: Cow::Owned(rewrite.out), flattened: true, text_depth: rewrite.text_depth }
}

/// One pass over the tags: measuring or rewriting.
struct DepthScan<'a> {
    html: &'a str,
    limit: usize,
    rewrite: bool,
    out: String,
    /// Open elements: name and whether its tags are kept.
    stack: Vec<(&'a [u8], bool)>,
    /// Open `<svg>`/`<math>` elements, inside which `<x/>` is self-closing.
    foreign: usize,
    /// Where the text not yet copied to `out` starts.
    copied: usize,
    /// See [`Prepared::text_depth`].
    text_depth: u64,
}

impl<'a> DepthScan<'a> {
    fn new(html: &'a str, limit: usize, rewrite: bool) -> Self {
        DepthScan {
            html,
            limit,
            rewrite,
            out: if rewrite { String::with_capacity(html.len()) } else { String::new() },
            stack: Vec::new(),
            foreign: 0,
            copied: 0,
            text_depth: 0,
        }
    }

    /// Returns true when some element is nested deeper than the limit.
    fn run(&mut self) -> bool {
        let bytes = self.html.as_bytes();
        let mut exceeded = false;
        let mut pos = 0;
        while let Some(lt) = bytes[pos..].iter().position(|&b| b == b'<').map(|i| i + pos) {
            let Some(tag) = next_tag(bytes, lt) else {
                pos = lt + 1;
                continue;
            };
            // The text since the previous tag (and any `<` that was just text) sits at the
            // current depth, capped as the parser will see it.
            let depth = self.stack.len().min(self.limit) as u64;
            self.text_depth = self.text_depth.saturating_add((tag.range.start.saturating_sub(pos)) as u64 * depth);
            pos = tag.range.end;
            let keep = match tag.kind {
                TagKind::Other => true,
                TagKind::End => self.end_tag(tag.name),
                TagKind::Start { self_closing } => {
                    let (keep, deep) = self.start_tag(tag.name, self_closing);
                    exceeded |= deep;
                    if is_raw_text(tag.name) {
                        // Skip the raw text to its end tag so that `<` inside scripts is not read
                        // as markup.
                        pos = raw_text_end(bytes, pos, tag.name);
                    }
                    keep
                }
            };
            if self.rewrite && !keep {
                self.out.push_str(&self.html[self.copied..tag.range.start]);
                // A space keeps words apart; only one, so that 100,000 dropped tags do not become
                // a 100,000-space text node (Readability's cost grows with text times depth).
                if !self.out.ends_with(|c: char| c.is_ascii_whitespace()) {
                    self.out.push(' ');
                }
                self.copied = tag.range.end;
            }
        }
        if self.rewrite {
            self.out.push_str(&self.html[self.copied..]);
        }
        exceeded
    }

    /// Handles a start tag; returns (keep its tag, it is past the limit).
    fn start_tag(&mut self, name: &'a [u8], self_closing: bool) -> (bool, bool) {
        let deep = self.stack.len() >= self.limit;
        if is_void(name) || (self_closing && self.foreign > 0) {
            return (!deep, false);
        }
        if name.eq_ignore_ascii_case(b"p") {
            return (!deep, false);
        }
        if let Some((closes, bounds)) = implied_close(name) {
            let window = self.stack.len().saturating_sub(SEARCH_WINDOW);
            for i in (window..self.stack.len()).rev() {
                let open = self.stack[i].0;
                if bounds.iter().any(|b| b.eq_ignore_ascii_case(open)) {
                    break;
                }
                if closes.iter().any(|c| c.eq_ignore_ascii_case(open)) {
                    self.pop_to(i);
                    break;
                }
            }
        }
        let deep = self.stack.len() >= self.limit;
        if is_foreign(name) {
            self.foreign += 1;
        }
        self.stack.push((name, !deep));
        (!deep, deep)
    }

    /// Handles an end tag; returns whether to keep it.
    fn end_tag(&mut self, name: &[u8]) -> bool {
        let window = self.stack.len().saturating_sub(SEARCH_WINDOW);
        let found = (window..self.stack.len()).rev().find(|&i| self.stack[i].0.eq_ignore_ascii_case(name));
        match found {
            Some(i) => {
                let kept = self.stack[i].1;
                self.pop_to(i);
                kept
            }
            // A stray end tag (or one for `<p>`): the parser decides; keep it unless deep.
            None => self.stack.len() < self.limit,
        }
    }

    /// Pops the stack down to (and including) index `i`.
    fn pop_to(&mut self, i: usize) {
        for (name, _) in self.stack.drain(i..) {
            if is_foreign(name) {
                self.foreign = self.foreign.saturating_sub(1);
            }
        }
    }
}

fn is_foreign(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"math")
}

enum TagKind {
    Start {
        self_closing: bool,
    },
    End,
    /// Comment, doctype, processing instruction: copied through, no effect on depth.
    Other,
}

struct RawTag<'a> {
    range: Range<usize>,
    name: &'a [u8],
    kind: TagKind,
}

/// Reads the markup starting at `bytes[lt] == b'<'`, or `None` when that `<` is just text.
fn next_tag(bytes: &[u8], lt: usize) -> Option<RawTag<'_>> {
    let rest = &bytes[lt..];
    if rest.starts_with(b"<!--") {
        let end = find(&rest[4..], b"-->").map_or(bytes.len(), |i| lt + 4 + i + 3);
        return Some(RawTag { range: lt..end, name: b"", kind: TagKind::Other });
    }
    if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
        let end = rest.iter().position(|&b| b == b'>').map_or(bytes.len(), |i| lt + i + 1);
        return Some(RawTag { range: lt..end, name: b"", kind: TagKind::Other });
    }
    let (is_end, name_start) = if rest.starts_with(b"</") { (true, lt + 2) } else { (false, lt + 1) };
    if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name_end = bytes[name_start..]
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .map_or(bytes.len(), |i| name_start + i);
    let name = &bytes[name_start..name_end];
    // Find the closing `>`, skipping quoted attribute values (only right after `=`, so that a
    // stray apostrophe in an unquoted value does not swallow the page).
    let mut i = name_end;
    let mut after_equals = false;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => break,
            b'=' => after_equals = true,
            q @ (b'"' | b'\'') if after_equals => {
                i = bytes[i + 1..].iter().position(|&b| b == q).map_or(bytes.len(), |j| i + 1 + j);
                after_equals = false;
            }
            b if b.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    let end = (i + 1).min(bytes.len());
    let self_closing = i > 0 && i < bytes.len() && bytes[i - 1] == b'/';
    let kind = if is_end { TagKind::End } else { TagKind::Start { self_closing } };
    Some(RawTag { range: lt..end, name, kind })
}

/// Where the raw text of element `name` that starts at `from` ends: at its `</name` end tag.
fn raw_text_end(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut pos = from;
    while let Some(i) = find(&bytes[pos..], b"</") {
        let at = pos + i;
        let candidate = &bytes[at + 2..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name)
            && candidate.get(name.len()).is_none_or(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        {
            return at;
        }
        pos = at + 2;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    fn opts() -> ExtractOptions {
        ExtractOptions::default()
    }

    fn limit_depth(html: &str, limit: usize) -> Cow<'_, str> {
        prepare(html, limit).html
    }

    #[test]
    fn depth_cap_keeps_shallow_pages_and_flattens_deep_ones() {
        let shallow = "<ul><li>a<li>b<li>c</ul><table><tr><td>1<td>2<tr><td>3</table><p>x<p>y";
        assert!(matches!(limit_depth(shallow, 4), Cow::Borrowed(_)));
        let deep = "<div>".repeat(10) + "text" + &"</div>".repeat(10);
        let flat = limit_depth(&deep, 4);
        assert_eq!(flat.matches("<div>").count(), 4);
        assert_eq!(flat.matches("</div>").count(), 4);
        assert!(flat.contains("text"));
        let script = "<div><script>if (a<b) { x = '<div><div><div>'; }</script></div>";
        assert!(matches!(limit_depth(script, 2), Cow::Borrowed(_)));
        let attrs = "<div title='a>b' class=it's><div><div>x</div></div></div>";
        assert!(matches!(limit_depth(attrs, 3), Cow::Borrowed(_)));
        assert!(matches!(limit_depth(attrs, 2), Cow::Owned(_)));
    }

    #[test]
    fn text_under_deep_nesting_skips_readability() {
        // Under the depth limit, but 200 KB of text at depth 200: Readability would take seconds.
        let html = format!("<html><body>{}{}</body></html>", "<div>".repeat(200), "Some words here. ".repeat(12_000));
        let started = std::time::Instant::now();
        let doc = from_str(&html, &opts()).unwrap();
        assert!(started.elapsed().as_secs() < 3, "took {:?}", started.elapsed());
        assert!(doc.warnings.is_empty());
        assert!(doc.text.starts_with("Some words here."));
    }

    #[test]
    fn charset_declarations() {
        assert_eq!(declared_charset(b"<meta charset=\"ISO-8859-1\">"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(
            declared_charset(b"<META http-equiv=Content-Type content='text/html; charset=Shift_JIS'>"),
            Some(encoding_rs::SHIFT_JIS)
        );
        assert_eq!(declared_charset(b"<?xml version=\"1.0\" encoding=\"koi8-r\"?>"), Some(encoding_rs::KOI8_R));
        assert_eq!(declared_charset(b"<html><body>no meta"), None);
    }

    #[test]
    fn sections_tables_and_pre() {
        let html = "<html><head><title>T</title><style>.x{}</style></head><body>\
            <h1>Top</h1><p>Intro   text\n here.</p><h2>Sub</h2>\
            <table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>\
            <pre>line 1\n  line 2</pre><script>var hidden = 1;</script></body></html>";
        let page = Html::parse_document(html);
        let built = walk(&page, true);
        assert_eq!(built.text, "Top\n\nIntro text here.\n\nSub\n\na | b\n1 | 2\n\nline 1\n  line 2");
        let paths: Vec<_> = built.segments.iter().map(|s| s.location.clone()).collect();
        assert_eq!(
            paths,
            [
                Location::Section { path: vec!["Top".into()] },
                Location::Section { path: vec!["Top".into(), "Sub".into()] }
            ]
        );
        assert_eq!(title_element(&page).as_deref(), Some("T"));
    }
}

//! EPUB (2 and 3) to text with chapter sections.
//!
//! `META-INF/container.xml` names the package document (OPF); its manifest and spine give the
//! reading order of the XHTML content documents. The table of contents (EPUB 3 nav document, else
//! the EPUB 2 NCX) names the sections: an entry that points at a file starts a section there, an
//! entry with a `#fragment` starts one at the element with that id, so a chapter split across
//! files, or several chapters in one file, still get the right titles. Without a TOC entry a
//! file continues the section before it, or is named by its first heading, or `Chapter N`.
//!
//! XHTML is walked with quick-xml events and an explicit element stack (no recursion); elements
//! nested deeper than `max_nesting_depth` keep their text but lose their structure.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::zipcap::{
    self, ZipCap, attr, corrupt, dir_of, local, one_line, percent_decode, resolve_entity, resolve_href,
};
use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

const FORMAT: &str = "epub";

pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let mut zip = ZipCap::open(path, FORMAT, opts)?;
    read_epub(&mut zip, opts)
}

fn read_epub<R: Read + Seek>(zip: &mut ZipCap<R>, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let opf_path = package_path(zip)?;
    let opf_xml = zipcap::xml_to_string(zip.read_required(&opf_path)?);
    let opf = parse_opf(&opf_xml, dir_of(&opf_path));
    if opf.spine.is_empty() {
        return Err(corrupt(FORMAT, "the package has an empty spine".into()));
    }
    check_encryption(zip)?;

    let mut warnings = Vec::new();
    let toc = read_toc(zip, &opf, &mut warnings)?;

    let mut out = Builder::default();
    let mut seen = HashSet::new();
    let mut chapter_no = 0usize;
    let mut missing = 0usize;
    let mut truncated = false;
    for idref in &opf.spine {
        if out.text.len() >= opts.max_text_bytes {
            // The rest of the book is not even decompressed; `extract` cuts the overshoot.
            truncated = true;
            break;
        }
        let Some(item) = opf.manifest.get(idref) else {
            continue;
        };
        if !is_content(item) || item.properties.split_whitespace().any(|p| p == "nav") {
            continue;
        }
        if !seen.insert(item.href.clone()) {
            continue;
        }
        let Some(bytes) = zip.read(&item.href)? else {
            missing += 1;
            continue;
        };
        chapter_no += 1;
        let xhtml = zipcap::xml_to_string(bytes);
        let anchors = toc.anchors.get(&item.href);
        let items = xhtml_to_items(&xhtml, anchors, opts, &item.href, &mut warnings);
        let file_entry = toc.file_starts.get(&item.href);
        if !items.iter().any(|i| matches!(i, Item::Line(..))) {
            // A cover or an image-only page: nothing to index, but a TOC entry pointing at it
            // still opens its section for the files that follow.
            if let Some(path) = file_entry {
                out.set_path(path.clone());
            }
            continue;
        }
        let start_path = match file_entry {
            Some(path) => path.clone(),
            None if out.has_toc_path && !anchor_at_start(&items) => out.path.clone(),
            None => first_heading(&items).map(|h| vec![h]).unwrap_or_else(|| vec![format!("Chapter {chapter_no}")]),
        };
        out.set_path(start_path);
        out.has_toc_path |= file_entry.is_some();
        for it in items {
            match it {
                Item::Line(line, _) => out.line(&line),
                Item::Anchor(path) => {
                    out.set_path(path);
                    out.has_toc_path = true;
                }
            }
        }
    }
    if missing > 0 {
        warnings.push(format!("{missing} spine document(s) missing from the archive"));
    }
    if truncated {
        warnings.push(crate::truncation_note(opts.max_text_bytes));
    }
    let (text, segments) = out.finish();
    if text.trim().is_empty() {
        return Err(ExtractError::NoText("e-book has no text".into()));
    }
    let card = crate::card::build(&crate::card::dublin_core(&opf_xml), crate::card::leading_text(&text));
    Ok(Document {
        ocr: Vec::new(),
        format: Format::Epub,
        title: opf.title,
        text,
        pages: None,
        segments,
        tables: Vec::new(),
        warnings,
        card,
    })
}

/// The OPF path from `META-INF/container.xml`, or the only `.opf` in the archive.
fn package_path<R: Read + Seek>(zip: &mut ZipCap<R>) -> Result<String, ExtractError> {
    if let Some(bytes) = zip.read("META-INF/container.xml")? {
        let xml = zipcap::xml_to_string(bytes);
        let mut reader = Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) if local(e.name().as_ref()) == "rootfile" => {
                    let media = attr(&e, "media-type").unwrap_or_default();
                    if let Some(p) = attr(&e, "full-path")
                        && (media.is_empty() || media == "application/oebps-package+xml")
                    {
                        return Ok(resolve_href("", &p));
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    // Some hand-made books omit the container; the package is then the lone `.opf` file.
    zip.find_by_suffix(".opf").ok_or_else(|| corrupt(FORMAT, "missing required part 'META-INF/container.xml'".into()))
}

/// Refuses DRM-protected books: their content documents are ciphertext. Font obfuscation (also
/// listed in `encryption.xml`) is harmless and ignored.
fn check_encryption<R: Read + Seek>(zip: &mut ZipCap<R>) -> Result<(), ExtractError> {
    let Some(bytes) = zip.read("META-INF/encryption.xml")? else {
        return Ok(());
    };
    let xml = zipcap::xml_to_string(bytes);
    let mut reader = Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if local(e.name().as_ref()) == "CipherReference" => {
                let uri = attr(&e, "URI").unwrap_or_default().to_ascii_lowercase();
                if [".xhtml", ".html", ".htm", ".xml"].iter().any(|ext| uri.ends_with(ext)) {
                    return Err(ExtractError::Encrypted { format: FORMAT });
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

#[derive(Debug, Clone)]
struct ManifestItem {
    /// Container path, already resolved against the OPF directory and percent-decoded.
    href: String,
    media_type: String,
    properties: String,
}

#[derive(Debug, Default)]
struct Opf {
    title: Option<String>,
    manifest: HashMap<String, ManifestItem>,
    spine: Vec<String>,
    /// Manifest id of the NCX (`<spine toc="…">`).
    ncx_id: Option<String>,
}

fn parse_opf(xml: &str, dir: &str) -> Opf {
    let mut reader = Reader::from_str(xml);
    lenient(&mut reader);
    let mut opf = Opf::default();
    let mut in_title = false;
    let mut title = String::new();
    // A damaged package or TOC keeps whatever was read before the damage.
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) | Event::Empty(e) => match local(e.name().as_ref()) {
                "title" if opf.title.is_none() && !in_title => {
                    in_title = true;
                    title.clear();
                }
                "item" => {
                    if let (Some(id), Some(href)) = (attr(&e, "id"), attr(&e, "href")) {
                        let item = ManifestItem {
                            href: resolve_href(dir, &href),
                            media_type: attr(&e, "media-type").unwrap_or_default(),
                            properties: attr(&e, "properties").unwrap_or_default(),
                        };
                        opf.manifest.insert(id, item);
                    }
                }
                "itemref" => {
                    if let Some(id) = attr(&e, "idref") {
                        opf.spine.push(id);
                    }
                }
                "spine" => opf.ncx_id = attr(&e, "toc"),
                _ => {}
            },
            Event::End(e) if in_title && local(e.name().as_ref()) == "title" => {
                in_title = false;
                let t = collapse(&title);
                if !t.is_empty() {
                    opf.title = Some(t);
                }
            }
            Event::Text(t) if in_title => title.push_str(&t.xml10_content()),
            Event::CData(t) if in_title => title.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_title => {
                if let Some(s) = resolve_entity(&r) {
                    title.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    opf
}

fn is_content(item: &ManifestItem) -> bool {
    let media = item.media_type.to_ascii_lowercase();
    let href = item.href.to_ascii_lowercase();
    media == "application/xhtml+xml"
        || media == "text/html"
        || (media.is_empty() && [".xhtml", ".html", ".htm"].iter().any(|ext| href.ends_with(ext)))
}

// ---------------------------------------------------------------------------------------------
// Table of contents
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Toc {
    /// File → section path of the last TOC entry pointing at the file itself (no fragment).
    file_starts: HashMap<String, Vec<String>>,
    /// File → fragment id → section path.
    anchors: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Toc {
    fn add(&mut self, base_dir: &str, href: &str, path: Vec<String>) {
        if path.is_empty() || href.trim().is_empty() {
            return;
        }
        let file = resolve_href(base_dir, href);
        let fragment = href.split_once('#').map(|(_, f)| percent_decode(f)).filter(|f| !f.is_empty());
        match fragment {
            Some(f) => {
                self.anchors.entry(file).or_default().insert(f, path);
            }
            None => {
                self.file_starts.insert(file, path);
            }
        }
    }
}

fn read_toc<R: Read + Seek>(zip: &mut ZipCap<R>, opf: &Opf, warnings: &mut Vec<String>) -> Result<Toc, ExtractError> {
    let mut toc = Toc::default();
    let nav = opf.manifest.values().find(|i| i.properties.split_whitespace().any(|p| p == "nav"));
    if let Some(nav) = nav
        && let Some(bytes) = zip.read(&nav.href)?
    {
        parse_nav(&zipcap::xml_to_string(bytes), dir_of(&nav.href), &mut toc);
    }
    if toc.file_starts.is_empty() && toc.anchors.is_empty() {
        let ncx = opf
            .ncx_id
            .as_ref()
            .and_then(|id| opf.manifest.get(id))
            .or_else(|| opf.manifest.values().find(|i| i.media_type == "application/x-dtbncx+xml"));
        if let Some(ncx) = ncx
            && let Some(bytes) = zip.read(&ncx.href)?
        {
            parse_ncx(&zipcap::xml_to_string(bytes), dir_of(&ncx.href), &mut toc);
        }
    }
    if toc.file_starts.is_empty() && toc.anchors.is_empty() {
        warnings.push("no table of contents; chapters named by their headings".into());
    }
    Ok(toc)
}

/// Reads the `toc` nav of an EPUB 3 navigation document: nested `ol > li > a` entries.
fn parse_nav(xml: &str, dir: &str, toc: &mut Toc) {
    let mut reader = Reader::from_str(xml);
    lenient(&mut reader);
    // Depth of the chosen <nav> (0 = outside), whether it is the TOC nav, the <li> labels
    // above the current point, and the label being collected with its href.
    let mut nav_depth = 0usize;
    let mut depth = 0usize;
    let mut done = false;
    let mut labels: Vec<Option<String>> = Vec::new();
    let mut label: Option<(String, Option<String>)> = None;
    // A damaged package or TOC keeps whatever was read before the damage.
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.name();
                let l = local(name.as_ref());
                if nav_depth == 0 {
                    if l == "nav" && !done {
                        let kind = attr(&e, "type").unwrap_or_default();
                        // EPUB 3 marks the TOC nav; a nav without a type is accepted as well,
                        // but landmarks and page lists are not tables of contents.
                        if kind.split_whitespace().any(|k| k == "toc") || kind.is_empty() {
                            nav_depth = depth;
                        }
                    }
                    continue;
                }
                match l {
                    "li" => labels.push(None),
                    "a" | "span" if label.is_none() => {
                        label = Some((String::new(), attr(&e, "href")));
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                let l_owned = local(e.name().as_ref()).to_owned();
                if nav_depth > 0 {
                    match l_owned.as_str() {
                        "li" => {
                            labels.pop();
                        }
                        "a" | "span" => {
                            if let Some((text, href)) = label.take() {
                                let text = collapse(&text);
                                if let Some(slot) = labels.last_mut() {
                                    *slot = Some(text.clone());
                                }
                                if let Some(href) = href {
                                    let path: Vec<String> = labels.iter().flatten().cloned().collect();
                                    toc.add(dir, &href, path);
                                }
                            }
                        }
                        _ => {}
                    }
                    if depth == nav_depth {
                        nav_depth = 0;
                        done = true;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let Some((text, _)) = label.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let (Some((text, _)), Some(s)) = (label.as_mut(), resolve_entity(&r)) {
                    text.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
}

/// Reads an EPUB 2 NCX: nested `navPoint`s with a `navLabel` and a `content src`.
fn parse_ncx(xml: &str, dir: &str, toc: &mut Toc) {
    let mut reader = Reader::from_str(xml);
    lenient(&mut reader);
    let mut labels: Vec<Option<String>> = Vec::new();
    let mut in_label = false;
    let mut text = String::new();
    // A damaged package or TOC keeps whatever was read before the damage.
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) | Event::Empty(e) => match local(e.name().as_ref()) {
                "navPoint" => labels.push(None),
                "navLabel" if !labels.is_empty() => {
                    in_label = true;
                    text.clear();
                }
                "content" if !labels.is_empty() => {
                    if let Some(src) = attr(&e, "src") {
                        let path: Vec<String> = labels.iter().flatten().cloned().collect();
                        toc.add(dir, &src, path);
                    }
                }
                _ => {}
            },
            Event::End(e) => match local(e.name().as_ref()) {
                "navPoint" => {
                    labels.pop();
                }
                "navLabel" if in_label => {
                    in_label = false;
                    let t = collapse(&text);
                    if let Some(slot) = labels.last_mut()
                        && !t.is_empty()
                    {
                        *slot = Some(t);
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_label => {
                text.push_str(&t.xml10_content());
                text.push(' ');
            }
            Event::GeneralRef(r) if in_label => {
                if let Some(s) = resolve_entity(&r) {
                    text.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XHTML to text
// ---------------------------------------------------------------------------------------------

/// What a content document contributes, in order.
#[derive(Debug, PartialEq)]
enum Item {
    /// A line of text, with its heading level (1–6) if it came from `<hN>`.
    Line(String, Option<u8>),
    /// A TOC entry's anchor: the section with this path starts here.
    Anchor(Vec<String>),
}

fn first_heading(items: &[Item]) -> Option<String> {
    items.iter().find_map(|i| match i {
        Item::Line(text, Some(_)) => Some(text.clone()),
        _ => None,
    })
}

/// Whether a TOC anchor precedes every line of the file (so it names the file's start).
fn anchor_at_start(items: &[Item]) -> bool {
    matches!(items.first(), Some(Item::Anchor(_)))
}

/// Elements whose content is not text for the reader.
fn is_skipped(name: &str) -> bool {
    matches!(name, "head" | "script" | "style" | "svg" | "template" | "object" | "rt")
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "br" | "hr"
            | "img"
            | "meta"
            | "link"
            | "input"
            | "col"
            | "area"
            | "base"
            | "wbr"
            | "source"
            | "embed"
            | "param"
            | "track"
    )
}

/// Elements that start and end a line.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "dt"
            | "dd"
            | "dl"
            | "ul"
            | "ol"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "main"
            | "figure"
            | "figcaption"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "address"
            | "body"
            | "html"
            | "hgroup"
            | "details"
            | "summary"
    )
}

fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

/// Line-building state of the XHTML walker.
#[derive(Debug, Default)]
struct Lines {
    items: Vec<Item>,
    line: String,
    pending_space: bool,
    /// Open `<td>`/`<th>` elements: blocks inside a cell do not break the row's line.
    in_cell: usize,
    in_pre: usize,
    /// Open `<hN>` levels; the innermost names the line being built.
    headings: Vec<u8>,
}

impl Lines {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.in_pre > 0 && c == '\n' {
                self.flush();
            } else if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                // HTML collapses only ASCII whitespace; a no-break space is content.
                self.pending_space = true;
            } else {
                // No space right after a cell separator, which already ends in one.
                if self.pending_space && !self.line.is_empty() && !self.line.ends_with(' ') {
                    self.line.push(' ');
                }
                self.pending_space = false;
                self.line.push(c);
            }
        }
    }

    /// Ends the current line (in a table cell, only separates words).
    fn block_break(&mut self) {
        if self.in_cell > 0 {
            self.pending_space = true;
        } else {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.pending_space = false;
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.items.push(Item::Line(line, self.headings.last().copied()));
    }

    fn cell_start(&mut self) {
        if self.in_cell == 0 && !self.line.is_empty() {
            self.line.push_str(" | ");
        }
        self.pending_space = false;
        self.in_cell += 1;
    }
}

/// Whether an open element changed the walker's state, for undoing at its end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Inline,
    Skipped,
    Block,
    Heading,
    Cell,
    Pre,
}

fn xhtml_to_items(
    xml: &str,
    anchors: Option<&HashMap<String, Vec<String>>>,
    opts: &ExtractOptions,
    file: &str,
    warnings: &mut Vec<String>,
) -> Vec<Item> {
    let mut reader = Reader::from_str(xml);
    lenient(&mut reader);
    let mut stack: Vec<(String, Role)> = Vec::new();
    // Elements opened past the depth limit: counted, not stacked, so their ends stay balanced.
    let mut overflow = 0usize;
    let mut skipped = 0usize;
    let mut out = Lines::default();
    let max_depth = opts.max_nesting_depth.max(1);
    let mut flattened = false;

    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                warnings.push(format!("{file}: text after an xml error was lost: {}", one_line(&e)));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                let name = lower_local(&e);
                if skipped == 0 {
                    check_anchor(&e, anchors, &mut out);
                }
                if is_void(&name) {
                    if skipped == 0 && (name == "br" || name == "hr") {
                        out.block_break();
                    }
                    continue;
                }
                if stack.len() >= max_depth {
                    if !flattened {
                        flattened = true;
                        warnings.push(format!("{file}: elements nested deeper than {max_depth} levels were flattened"));
                    }
                    overflow += 1;
                    continue;
                }
                let role = if skipped > 0 || is_skipped(&name) {
                    skipped += 1;
                    Role::Skipped
                } else if let Some(level) = heading_level(&name) {
                    out.block_break();
                    out.headings.push(level);
                    Role::Heading
                } else if name == "td" || name == "th" {
                    out.cell_start();
                    Role::Cell
                } else if name == "pre" {
                    out.block_break();
                    out.in_pre += 1;
                    Role::Pre
                } else if is_block(&name) {
                    out.block_break();
                    Role::Block
                } else {
                    Role::Inline
                };
                stack.push((name, role));
            }
            Event::Empty(e) => {
                if skipped > 0 {
                    continue;
                }
                check_anchor(&e, anchors, &mut out);
                let name = lower_local(&e);
                if name == "br" || name == "hr" || is_block(&name) {
                    out.block_break();
                } else if name == "td" || name == "th" {
                    out.cell_start();
                    out.in_cell -= 1;
                }
            }
            Event::End(e) => {
                if overflow > 0 {
                    overflow -= 1;
                    continue;
                }
                let name = local(e.name().as_ref()).to_ascii_lowercase();
                // Sloppy markup closes elements it never opened, or leaves some open: close
                // back to the nearest match, and ignore an end tag that matches nothing.
                let Some(at) = stack.iter().rposition(|(n, _)| *n == name) else {
                    continue;
                };
                while stack.len() > at {
                    let Some((_, role)) = stack.pop() else { break };
                    end_role(role, &mut out, &mut skipped);
                }
            }
            Event::Text(t) if skipped == 0 => out.text(&t.xml10_content()),
            Event::CData(t) if skipped == 0 => out.text(&t.xml10_content()),
            Event::GeneralRef(r) if skipped == 0 => {
                if let Some(s) = resolve_entity(&r) {
                    out.text(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    while let Some((_, role)) = stack.pop() {
        end_role(role, &mut out, &mut skipped);
    }
    out.flush();
    out.items
}

fn end_role(role: Role, out: &mut Lines, skipped: &mut usize) {
    match role {
        Role::Inline => {}
        Role::Skipped => *skipped = skipped.saturating_sub(1),
        Role::Block => out.block_break(),
        Role::Heading => {
            out.block_break();
            out.headings.pop();
        }
        Role::Cell => {
            out.in_cell = out.in_cell.saturating_sub(1);
            out.pending_space = false;
        }
        Role::Pre => {
            out.block_break();
            out.in_pre = out.in_pre.saturating_sub(1);
        }
    }
}

/// Emits a section start if the element carries the id a TOC entry points at.
fn check_anchor(e: &BytesStart<'_>, anchors: Option<&HashMap<String, Vec<String>>>, out: &mut Lines) {
    let Some(anchors) = anchors else { return };
    let hit = attr(e, "id").and_then(|id| anchors.get(&id)).or_else(|| attr(e, "name").and_then(|n| anchors.get(&n)));
    if let Some(path) = hit {
        out.flush();
        // Two entries at the same spot: the later (deeper) one wins.
        if matches!(out.items.last(), Some(Item::Anchor(_))) {
            out.items.pop();
        }
        out.items.push(Item::Anchor(path.clone()));
    }
}

fn lower_local(e: &BytesStart<'_>) -> String {
    local(e.name().as_ref()).to_ascii_lowercase()
}

/// EPUB content is often hand-made or converted HTML: tolerate mismatched and unmatched end
/// tags and bare `&`.
fn lenient<R>(reader: &mut Reader<R>) {
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Builder {
    text: String,
    segments: Vec<Segment>,
    path: Vec<String>,
    seg_start: usize,
    /// Whether a TOC entry has named a section yet (files without one then continue it).
    has_toc_path: bool,
}

impl Builder {
    fn set_path(&mut self, path: Vec<String>) {
        if path != self.path {
            self.close_segment();
            self.path = path;
        }
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn close_segment(&mut self) {
        if self.text.len() > self.seg_start {
            self.segments.push(Segment {
                bytes: self.seg_start..self.text.len(),
                location: Location::Section { path: self.path.clone() },
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

    fn lines(xml: &str) -> Vec<String> {
        let mut w = Vec::new();
        xhtml_to_items(xml, None, &ExtractOptions::default(), "t.xhtml", &mut w)
            .into_iter()
            .filter_map(|i| match i {
                Item::Line(l, _) => Some(l),
                Item::Anchor(_) => None,
            })
            .collect()
    }

    #[test]
    fn blocks_become_lines_and_inline_text_joins() {
        let xml = "<html><head><title>T</title><style>p{}</style></head><body>\
                   <h1>Head&amp;ing</h1><p>one <em>two</em>\n   three</p><p>a<br/>b</p>\
                   <table><tr><td><p>x</p></td><td>y</td></tr></table></body></html>";
        assert_eq!(lines(xml), ["Head&ing", "one two three", "a", "b", "x | y"]);
    }

    #[test]
    fn sloppy_markup_keeps_its_text() {
        let xml = "<body><p>one<br>two</p><p>three & four</div><p>five</body>";
        assert_eq!(lines(xml), ["one", "two", "three & four", "five"]);
    }

    #[test]
    fn deep_nesting_is_flattened_not_recursed() {
        let depth = 100_000;
        let xml = format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let mut w = Vec::new();
        let opts = ExtractOptions { max_nesting_depth: 64, ..ExtractOptions::default() };
        let items = xhtml_to_items(&xml, None, &opts, "t.xhtml", &mut w);
        assert_eq!(items, [Item::Line("deep".into(), None)]);
        assert_eq!(w.len(), 1);
    }
}

//! The document card: what a document says about itself — title, authors, date and identifiers
//! (DOI, arXiv id, ISBN, ISSN, PubMed id, docket number).
//!
//! Two sources, each field remembering which one it came from:
//! - the file's own metadata (PDF info dictionary, DOCX `docProps/core.xml`, EPUB OPF Dublin
//!   Core, HTML `citation_*`/`DC.*`/`og:` meta tags, Markdown front matter), unless it is junk
//!   ("Microsoft Word - draft.docx", "untitled", a user id as author);
//! - the first page's text: the prominent line(s) before an authors line or an abstract, the
//!   authors line, identifiers anywhere on the page, and a date near the top.
//!
//! Dates: a date the metadata *declares* (EPUB `dc:date`, `citation_date`, front matter) beats a
//! date printed on the first page (an arXiv stamp first), which beats the file's creation time
//! (PDF `CreationDate`, DOCX `dcterms:created`), because a file is often made long after the
//! document it holds. Dates come out as ISO 8601 (`2020-09-30`, `2020-09` or `2020`).

use std::sync::LazyLock;

use quick_xml::Reader;
use quick_xml::events::Event;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::zipcap::{local, resolve_entity};

/// Where a card field came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CardSource {
    /// The file's own metadata.
    Metadata,
    /// The text of the first page (or the start of a document without pages).
    FirstPage,
}

/// The kind of a document identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// Digital Object Identifier (`10.1016/j.dib.2018.11.134`).
    Doi,
    /// arXiv identifier (`2004.04906v3`, `hep-th/9901001`).
    Arxiv,
    /// ISBN-10 or ISBN-13, checksum-valid, without separators.
    Isbn,
    /// ISSN (`0028-0836`), checksum-valid.
    Issn,
    /// PubMed id.
    Pmid,
    /// A court or agency docket number (`07-1315`, `1:23-cv-01234`, `FAA-2020-0686`).
    Docket,
}

impl IdentifierKind {
    /// Stable lowercase name, as stored and printed in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Doi => "doi",
            IdentifierKind::Arxiv => "arxiv",
            IdentifierKind::Isbn => "isbn",
            IdentifierKind::Issn => "issn",
            IdentifierKind::Pmid => "pmid",
            IdentifierKind::Docket => "docket",
        }
    }

    /// How a reader names it (`arXiv`, `DOI`, `docket number`).
    pub fn label(self) -> &'static str {
        match self {
            IdentifierKind::Doi => "DOI",
            IdentifierKind::Arxiv => "arXiv",
            IdentifierKind::Isbn => "ISBN",
            IdentifierKind::Issn => "ISSN",
            IdentifierKind::Pmid => "PMID",
            IdentifierKind::Docket => "Docket number",
        }
    }
}

/// One identifier of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Identifier {
    /// What kind of identifier.
    pub kind: IdentifierKind,
    /// The identifier, normalised (ASCII dashes, no `doi:`/`arXiv:` prefix, ISBN digits only).
    pub value: String,
    /// Where it was found.
    pub source: CardSource,
}

/// Which source each field of a [`DocumentCard`] came from (`None` when the field is empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardSources {
    /// Source of the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<CardSource>,
    /// Source of the authors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authors: Option<CardSource>,
    /// Source of the date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<CardSource>,
}

/// What a document says about itself. Every field may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentCard {
    /// The document's title.
    #[serde(default)]
    pub title: Option<String>,
    /// Authors, in the order given.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Date, ISO 8601 where it could be read (`2020-09-30`, `2020-09`, `2020`).
    #[serde(default)]
    pub date: Option<String>,
    /// Identifiers, without duplicates, metadata ones first.
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    /// Where each field came from.
    #[serde(default)]
    pub source: CardSources,
}

impl DocumentCard {
    /// True when the card knows nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.authors.is_empty() && self.date.is_none() && self.identifiers.is_empty()
    }

    /// The first identifier of `kind`, if any.
    pub fn identifier(&self, kind: IdentifierKind) -> Option<&str> {
        self.identifiers.iter().find(|i| i.kind == kind).map(|i| i.value.as_str())
    }

    /// One line that names every field with the words people use when they ask about them
    /// (`Title: … · Authors (who wrote it): … · Date (published): … · arXiv identifier: …`), for
    /// the search index; `None` for an empty card.
    pub fn search_line(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if let Some(t) = &self.title {
            parts.push(format!("Title: {t}"));
        }
        if !self.authors.is_empty() {
            parts.push(format!("Authors (who wrote it): {}", self.authors.join("; ")));
        }
        if let Some(d) = &self.date {
            parts.push(format!("Date (published): {d}"));
        }
        for id in &self.identifiers {
            parts.push(format!("{} identifier: {}", id.kind.label(), id.value));
        }
        Some(parts.join(" · "))
    }
}

/// What a format's metadata offers, before junk is filtered out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Meta {
    /// Title as written.
    pub title: Option<String>,
    /// Author fields as written (each may name several people).
    pub authors: Vec<String>,
    /// A publication date the metadata declares.
    pub date: Option<String>,
    /// When the file was made (a weaker date than anything on the page).
    pub created: Option<String>,
    /// Strings that may hold identifiers (identifier fields, subject, keywords).
    pub ids: Vec<String>,
}

/// How much of a document without pages counts as its first page.
const FIRST_PAGE_CHARS: usize = 4000;
/// Lines of the first page looked at for the title, authors and date.
const TOP_LINES: usize = 60;

/// The start of `text` that stands for the first page of a document without pages.
pub(crate) fn leading_text(text: &str) -> &str {
    match text.char_indices().nth(FIRST_PAGE_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Builds a card from the metadata and the first page's text.
pub(crate) fn build(meta: &Meta, first_page: &str) -> DocumentCard {
    let page = FirstPage::read(first_page);
    let mut card = DocumentCard::default();

    if let Some(title) = meta.title.as_deref().and_then(clean_title) {
        card.title = Some(title);
        card.source.title = Some(CardSource::Metadata);
    } else if let Some(title) = page.title.clone() {
        card.title = Some(title);
        card.source.title = Some(CardSource::FirstPage);
    }

    let authors = clean_authors(&meta.authors);
    if !authors.is_empty() {
        card.authors = authors;
        card.source.authors = Some(CardSource::Metadata);
    } else if !page.authors.is_empty() {
        card.authors = page.authors.clone();
        card.source.authors = Some(CardSource::FirstPage);
    }

    let declared = meta.date.as_deref().and_then(parse_date);
    let created = meta.created.as_deref().and_then(parse_date);
    if let Some(d) = declared {
        card.date = Some(d);
        card.source.date = Some(CardSource::Metadata);
    } else if let Some(d) = page.date.clone() {
        card.date = Some(d);
        card.source.date = Some(CardSource::FirstPage);
    } else if let Some(d) = created {
        card.date = Some(d);
        card.source.date = Some(CardSource::Metadata);
    }

    let mut ids = Vec::new();
    for s in &meta.ids {
        push_ids(&mut ids, identifiers_in_field(s), CardSource::Metadata);
    }
    push_ids(&mut ids, identifiers_in(first_page), CardSource::FirstPage);
    card.identifiers = ids;
    card
}

fn push_ids(out: &mut Vec<Identifier>, found: Vec<(IdentifierKind, String)>, source: CardSource) {
    for (kind, value) in found {
        let same = |i: &Identifier| i.kind == kind && i.value.eq_ignore_ascii_case(&value);
        // An arXiv id with a version and the same id without one are the same paper.
        let same_arxiv = |i: &Identifier| {
            kind == IdentifierKind::Arxiv && i.kind == kind && strip_version(&i.value) == strip_version(&value)
        };
        if !out.iter().any(|i| same(i) || same_arxiv(i)) {
            out.push(Identifier { kind, value, source });
        }
    }
}

fn strip_version(id: &str) -> &str {
    match id.rfind('v') {
        Some(at) if at > 0 && id[at + 1..].chars().all(|c| c.is_ascii_digit()) && at + 1 < id.len() => &id[..at],
        _ => id,
    }
}

// ---------------------------------------------------------------------------------------------
// Format-specific metadata readers.

/// The PDF info dictionary (title, author, subject, keywords, creation date) through poppler.
/// Any failure leaves the metadata empty: the card then rests on the first page alone.
pub(crate) fn pdf_card(bytes: &[u8], first_page: &str) -> DocumentCard {
    build(&pdf_meta(bytes), first_page)
}

fn pdf_meta(bytes: &[u8]) -> Meta {
    // See `pdf::read_with_poppler` on `from_data`: the document borrows `bytes` and is dropped
    // before this function returns.
    #[allow(deprecated)]
    let Ok(doc) = poppler::Document::from_data(bytes, None) else {
        return Meta::default();
    };
    fn text(s: Option<impl ToString>) -> Option<String> {
        s.map(|s| s.to_string()).filter(|s| !s.trim().is_empty())
    }
    let created = doc.creation_date();
    Meta {
        title: text(doc.title()),
        authors: text(doc.author()).into_iter().collect(),
        date: None,
        created: (created > 0).then(|| iso_from_unix(created)),
        ids: [text(doc.subject()), text(doc.keywords())].into_iter().flatten().collect(),
    }
}

/// Dublin Core fields of an XML metadata part: DOCX `docProps/core.xml` (`dc:title`,
/// `dc:creator`, `dcterms:created`, `dc:identifier`) or an EPUB package document (`dc:title`,
/// `dc:creator`, `dc:date`, `dc:identifier`). A `dc:date` is declared; `dcterms:created` is the
/// file's.
pub(crate) fn dublin_core(xml: &str) -> Meta {
    let mut meta = Meta::default();
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    let mut open: Option<String> = None;
    let mut value = String::new();
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => {
                let name = e.name();
                let qualified: &str = name.as_ref();
                let is_dc = qualified.starts_with("dc:") || qualified.starts_with("dcterms:");
                let field = local(qualified);
                if is_dc && matches!(field, "title" | "creator" | "date" | "created" | "identifier") {
                    open = Some(field.to_owned());
                    value.clear();
                }
            }
            Event::Text(t) if open.is_some() => value.push_str(&t.xml10_content()),
            Event::CData(t) if open.is_some() => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if open.is_some() => {
                if let Some(s) = resolve_entity(&r) {
                    value.push_str(&s);
                }
            }
            Event::End(_) => {
                if let Some(field) = open.take() {
                    let v = collapse(&value);
                    if !v.is_empty() {
                        match field.as_str() {
                            "title" if meta.title.is_none() => meta.title = Some(v),
                            "creator" => meta.authors.push(v),
                            "date" if meta.date.is_none() => meta.date = Some(v),
                            "created" if meta.created.is_none() => meta.created = Some(v),
                            "identifier" => meta.ids.push(v),
                            _ => {}
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    meta
}

/// HTML `<meta>` tags of the page's head: Highwire (`citation_*`, which Google Scholar reads),
/// Dublin Core (`DC.*`, `dcterms.*`), Open Graph (`og:title`, `article:published_time`) and
/// plain `author`.
pub(crate) fn html_meta(html: &str) -> Meta {
    // Only the head: the body can be megabytes and holds no meta tags worth parsing for.
    let lower_end = html.char_indices().take(200_000).last().map_or(0, |(i, c)| i + c.len_utf8());
    let head_end = html[..lower_end].to_ascii_lowercase().find("</head").unwrap_or(lower_end);
    let doc = scraper::Html::parse_document(&html[..head_end]);
    let Ok(selector) = scraper::Selector::parse("meta") else {
        return Meta::default();
    };
    let mut meta = Meta::default();
    let mut og_title = None;
    for el in doc.select(&selector) {
        let v = el.value();
        let Some(name) = v.attr("name").or_else(|| v.attr("property")) else { continue };
        let Some(content) = v.attr("content").map(collapse).filter(|c| !c.is_empty()) else { continue };
        match name.to_ascii_lowercase().as_str() {
            "citation_title" | "dc.title" | "dcterms.title" => {
                meta.title.get_or_insert(content);
            }
            "og:title" => og_title = og_title.or(Some(content)),
            "citation_author" | "dc.creator" | "dcterms.creator" | "author" => meta.authors.push(content),
            "citation_publication_date"
            | "citation_date"
            | "citation_online_date"
            | "dc.date"
            | "dcterms.date"
            | "dcterms.issued"
            | "article:published_time" => {
                meta.date.get_or_insert(content);
            }
            "citation_doi" | "dc.identifier" | "dcterms.identifier" | "citation_isbn" | "citation_issn"
            | "citation_pmid" | "citation_arxiv_id" => meta.ids.push(labelled_id(name, &content)),
            _ => {}
        }
    }
    if meta.title.is_none() {
        meta.title = og_title;
    }
    meta
}

/// Gives a bare identifier from a named field the label the scanners look for.
fn labelled_id(name: &str, value: &str) -> String {
    let name = name.to_ascii_lowercase();
    let label = if name.ends_with("doi") {
        "doi:"
    } else if name.ends_with("isbn") {
        "ISBN "
    } else if name.ends_with("issn") {
        "ISSN "
    } else if name.ends_with("pmid") {
        "PMID "
    } else if name.ends_with("arxiv_id") {
        "arXiv:"
    } else {
        ""
    };
    format!("{label}{value}")
}

/// Flat YAML (`key: value`, lists as `- item` lines or `[a, b]`) or TOML (`key = "value"`) front
/// matter: `title`, `author`/`authors`, `date`, `doi`, `arxiv`, `isbn`.
pub(crate) fn front_matter(block: &str) -> Meta {
    let mut meta = Meta::default();
    let mut list_key: Option<String> = None;
    for line in block.lines() {
        let trimmed = line.trim();
        if let Some(item) = trimmed.strip_prefix("- ")
            && let Some(key) = &list_key
        {
            front_matter_value(&mut meta, key, unquote(item));
            continue;
        }
        // `key: value` (YAML) or `key = value` (TOML), whichever separator comes first.
        let Some(at) = trimmed.find([':', '=']) else { continue };
        let (key, value) = (&trimmed[..at], &trimmed[at + 1..]);
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        list_key = value.is_empty().then(|| key.clone());
        if let Some(items) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            for item in items.split(',') {
                front_matter_value(&mut meta, &key, unquote(item));
            }
        } else if !value.is_empty() {
            front_matter_value(&mut meta, &key, unquote(value));
        }
    }
    meta
}

fn front_matter_value(meta: &mut Meta, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    match key {
        "title" => {
            meta.title.get_or_insert_with(|| value.to_owned());
        }
        "author" | "authors" | "creator" => meta.authors.push(value.to_owned()),
        "date" | "published" | "pubdate" => {
            meta.date.get_or_insert_with(|| value.to_owned());
        }
        "doi" | "arxiv" | "isbn" | "issn" | "pmid" | "docket" => meta.ids.push(labelled_id(key, value)),
        _ => {}
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.trim();
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Cleaning metadata.

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A metadata title worth showing, or `None` for junk.
fn clean_title(raw: &str) -> Option<String> {
    let title = crate::text::plausible_title(raw)?;
    let lower = title.to_lowercase();
    const JUNK: &[&str] = &["slide 1", "presentation", "draft", "new document", "word document", "pdf document"];
    if JUNK.contains(&lower.as_str()) || lower.starts_with("microsoft word") {
        return None;
    }
    Some(title)
}

static URL: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(?:https?://|www\.)\S+"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| regex(r"\S+@\S+"));
static OTHERS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\s*(?:,|\band\b)?\s*(?:others\b.*|et\.? al\b.*|contributors\b.*)$"));

/// Author fields split into people, with junk (user ids, placeholders, URLs) dropped.
fn clean_authors(fields: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for field in fields {
        let field = URL.replace_all(field, " ");
        let field = EMAIL.replace_all(&field, " ");
        let field = collapse(&OTHERS.replace(&field, ""));
        let field = field.trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace());
        let people: Vec<String> = if field.contains(';') {
            field.split(';').map(collapse).collect()
        } else {
            let parts = split_names(field);
            if parts.len() > 1 && parts.iter().all(|p| is_name(p)) { parts } else { vec![field.to_owned()] }
        };
        for p in people {
            if !junk_author(&p) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn junk_author(a: &str) -> bool {
    let lower = a.to_lowercase();
    const PLACEHOLDERS: &[&str] = &[
        "",
        "user",
        "admin",
        "administrator",
        "owner",
        "unknown",
        "author",
        "authors",
        "anonymous",
        "windows user",
        "microsoft office user",
        "microsoft",
        "default",
        "none",
        "null",
        "n/a",
        "test",
        "valued customer",
    ];
    if PLACEHOLDERS.contains(&lower.as_str()) || !a.chars().any(char::is_alphabetic) {
        return true;
    }
    // One token with digits is a login (`e516160`, `jsmith2`), not a person.
    !a.contains(' ') && a.chars().any(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// The first page.

/// What the first page's top says.
#[derive(Debug, Default)]
struct FirstPage {
    title: Option<String>,
    authors: Vec<String>,
    date: Option<String>,
}

static ARXIV_STAMP: LazyLock<Regex> =
    LazyLock::new(|| regex(r"arXiv:\S+\s*\[[^\]]*\]\s*(\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4})"));

impl FirstPage {
    fn read(text: &str) -> FirstPage {
        let lines: Vec<&str> =
            text.lines().map(str::trim).filter(|l| !l.is_empty()).filter(|l| !skippable(l)).take(TOP_LINES).collect();
        let abstract_at = lines.iter().position(|l| starts_body(l));
        let top = &lines[..abstract_at.unwrap_or(lines.len())];

        let mut page = FirstPage {
            date: ARXIV_STAMP
                .captures(text)
                .and_then(|c| c.get(1))
                .and_then(|m| parse_date(m.as_str()))
                .or_else(|| top.iter().find_map(|l| find_date(l))),
            ..FirstPage::default()
        };

        // The title block: the first title-like line and up to two more in the same case style,
        // and only when an authors line or an abstract follows it (otherwise the top of the page
        // is a letterhead, a table or running text, not a title page).
        let Some(start) = top.iter().position(|l| title_like(l)) else { return page };
        let caps = is_caps(top[start]);
        let mut end = start + 1;
        while end < top.len() && end - start < 3 && title_like(top[end]) && is_caps(top[end]) == caps {
            if authors_in(top[end]).is_some() && !caps {
                break;
            }
            end += 1;
        }
        let mut authors = Vec::new();
        let mut next = end;
        let mut joined = String::new();
        while next < top.len() && next - end < 4 {
            let line = top[next];
            if authors_in(line).is_none() {
                break;
            }
            let cleaned = strip_markers(line);
            if !joined.is_empty() {
                joined.push_str(if continues_name(&joined, &cleaned) { " " } else { ", " });
            }
            joined.push_str(cleaned.trim());
            next += 1;
        }
        if !joined.is_empty() {
            authors = split_names(&joined).into_iter().filter(|n| is_name(n)).collect();
        }
        if authors.is_empty() && abstract_at.is_none() {
            return page;
        }
        let title = collapse(&top[start..end].iter().map(|l| repair_small_caps(l)).collect::<Vec<_>>().join(" "));
        page.title = Some(title);
        page.authors = authors;
        page
    }
}

/// Running headers, page numbers, stamps and rules that sit above a title.
fn skippable(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || c == '-' || c == 'x' || c == ':')
        || lower == "preprint"
        || lower.starts_with("arxiv:")
        || lower.starts_with("official - subject to")
        || lower.starts_with("under review")
        || lower.starts_with("published as")
        || lower.starts_with("accepted")
        || lower.starts_with("proceedings of")
        || lower.starts_with("draft")
}

/// The line where the body starts (nothing after it is part of the title page's head).
fn starts_body(line: &str) -> bool {
    let l = line.to_lowercase().replace(' ', "");
    ["abstract", "résumé", "summary:", "zusammenfassung", "1introduction", "introduction"]
        .iter()
        .any(|w| l.starts_with(w) && l.len() < 200)
}

fn title_like(line: &str) -> bool {
    let chars = line.chars().count();
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let digits = line.chars().filter(|c| c.is_ascii_digit()).count();
    let first_ok = line.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    (4..=160).contains(&chars)
        && first_ok
        && letters * 10 >= chars * 6
        && digits * 10 < chars.max(1) * 2
        && !line.contains('@')
        && !URL.is_match(line)
        && !line.ends_with(['.', ',', ';'])
        && find_date(line).is_none()
        && !affiliation(line)
}

fn is_caps(line: &str) -> bool {
    let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
    !letters.is_empty() && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 8
}

fn affiliation(line: &str) -> bool {
    let lower = line.to_lowercase();
    [
        "university",
        "universit",
        "institute",
        "school of",
        "department",
        "laboratory",
        "laboratoire",
        "college",
        "inc.",
        "corporation",
        "research",
        "centre",
        "faculty",
        "labs",
        "google",
        "microsoft",
        "facebook",
        "deepmind",
        "openai",
        "ltd",
        "gmbh",
        "llc",
    ]
    .iter()
    .any(|w| lower.contains(w))
        || lower.ends_with(" ai")
}

/// Superscript affiliation marks (`∗ † ‡ §`, digits glued to names, `( )`) removed.
fn strip_markers(line: &str) -> String {
    static MARKS: LazyLock<Regex> = LazyLock::new(|| regex(r"[∗\*†‡§¶♯♭⋆]|\(\s*\)|\d+"));
    let s = MARKS.replace_all(line, " ");
    collapse(&s.replace(" ,", ","))
}

/// The names on a line, when the line is an authors line.
fn authors_in(line: &str) -> Option<Vec<String>> {
    if affiliation(line) || line.contains('@') || starts_body(line) || find_date(line).is_some() {
        return None;
    }
    let marked = line.chars().any(|c| "∗*†‡§¶⋆".contains(c)) || line.chars().any(|c| c.is_ascii_digit());
    let cleaned = strip_markers(line);
    let parts = split_names(&cleaned);
    if parts.is_empty() || parts.len() > 30 {
        return None;
    }
    // A name cut at the line end ("Benjamin Charles Germain" / "Lee4, …") is still a name part.
    let good = parts.iter().filter(|p| is_name(p) || single_name_token(p)).count();
    let several = parts.len() >= 2 || marked || cleaned.split_whitespace().count() <= 3;
    (good == parts.len() && several && parts.iter().any(|p| is_name(p))).then_some(parts)
}

fn single_name_token(p: &str) -> bool {
    !p.contains(' ') && name_token(p) && p.chars().next().is_some_and(char::is_uppercase)
}

/// True when the text so far ends in a name cut short, which the next line completes.
fn continues_name(so_far: &str, next: &str) -> bool {
    let last = so_far.rsplit([',', '&']).next().unwrap_or("").trim();
    let first = split_names(next).into_iter().next().unwrap_or_default();
    !so_far.trim_end().ends_with(',') && last.split_whitespace().count() >= 3 && !first.contains(' ')
}

fn split_names(s: &str) -> Vec<String> {
    static SEP: LazyLock<Regex> = LazyLock::new(|| regex(r"\s*(?:,|;|&|\band\b)\s*"));
    SEP.split(s).map(collapse).filter(|p| !p.is_empty()).collect()
}

/// Two to five words, each capitalised, an initial, or a name particle (`van`, `de`).
fn is_name(p: &str) -> bool {
    let words: Vec<&str> = p.split_whitespace().collect();
    (2..=5).contains(&words.len())
        && words.iter().all(|w| name_token(w))
        && words.iter().any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        && !is_caps(p)
}

fn name_token(w: &str) -> bool {
    const PARTICLES: &[&str] = &["van", "von", "de", "der", "den", "da", "di", "del", "la", "le", "du", "bin", "al"];
    if PARTICLES.contains(&w) {
        return true;
    }
    let mut chars = w.chars();
    let Some(first) = chars.next() else { return false };
    first.is_uppercase() && w.chars().all(|c| c.is_alphabetic() || matches!(c, '.' | '-' | '\'' | '’'))
}

/// `C OMPILING D ECLARATIVE` → `COMPILING DECLARATIVE`: LaTeX small capitals come out of PDF
/// text extraction with the first letter split off. Only repaired when the line has the pattern
/// at least twice, so a plain `A TITLE` stays as it is.
fn repair_small_caps(line: &str) -> String {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let split_initial = |a: &str, b: &str| {
        let a = a.trim_start_matches('-');
        a.chars().count() == 1
            && a.chars().all(char::is_uppercase)
            && b.chars().count() >= 2
            && b.chars().all(|c| c.is_uppercase() || !c.is_alphabetic())
    };
    let count = tokens.windows(2).filter(|w| split_initial(w[0], w[1])).count();
    if count < 2 {
        return line.to_owned();
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let mut t = tokens[i].to_owned();
        if i + 1 < tokens.len() && split_initial(tokens[i], tokens[i + 1]) {
            t.push_str(tokens[i + 1]);
            i += 1;
        }
        match out.last_mut() {
            Some(prev) if t.starts_with('-') || prev.ends_with('-') || t == ":" => prev.push_str(&t),
            _ => out.push(t),
        }
        i += 1;
    }
    out.join(" ")
}

// ---------------------------------------------------------------------------------------------
// Identifiers.

fn regex(pattern: &str) -> Regex {
    // The patterns are constants of this module, tested below; an invalid one is a bug that the
    // tests catch, and matching nothing is the safe behaviour if one ever slipped through.
    Regex::new(pattern).unwrap_or_else(|_| Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!()))
}

static DOI: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(10\.\d{4,9}/[-._;()/:A-Za-z0-9]+)"));
static ARXIV: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\barxiv\s*:\s*(\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)"));
static ARXIV_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}(?:v\d+)?)"));
static ISBN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\bISBN(?:-1[03])?\s*:?\s*((?:97[89][-\s]?)?\d[-\s]?(?:\d[-\s]?){7}\d[-\s]?[\dX])\b"));
static ISSN: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\bISSN\s*:?\s*(\d{4}-?\d{3}[\dX])\b"));
static PMID: LazyLock<Regex> = LazyLock::new(|| regex(r"\bPMID\s*:?\s*(\d{1,9})\b"));
static DOCKETS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        // A federal civil or criminal case: `Case 1:23-cv-01234`, `No. 2:19-cr-00012-ABC`.
        regex(r"\b(\d{1,2}:\d{2}-[a-z]{2,4}-\d{3,6}(?:-[A-Z]{2,4})*)\b"),
        // An agency docket: `Docket No. FAA–2020–0686`, `Docket Number: EPA-HQ-OAR-2021-0317`.
        regex(r"(?i)\bDocket\s*(?:No\.?|Number|#)?\s*:?\s*([A-Z0-9]{2,}(?:[-–][A-Z0-9]+)+)"),
        // An appellate docket: `No. 07-1315`, `Nos. 22-451`.
        regex(r"\bNos?\.\s*(\d{2}-\d{1,5})\b"),
    ]
});

/// Identifiers in a metadata field: the labelled forms, plus a bare ISBN or DOI (EPUB's
/// `dc:identifier` often holds just `9780141439600` or `urn:isbn:…`).
fn identifiers_in_field(s: &str) -> Vec<(IdentifierKind, String)> {
    let mut found = identifiers_in(s);
    let bare = s.trim().trim_start_matches("urn:").trim_start_matches("isbn:").trim_start_matches("ISBN:");
    if found.is_empty()
        && let Some(isbn) = valid_isbn(bare)
    {
        found.push((IdentifierKind::Isbn, isbn));
    }
    found
}

/// Every identifier in `text`, in order of kind, deduplicated by the caller.
pub(crate) fn identifiers_in(text: &str) -> Vec<(IdentifierKind, String)> {
    let mut out = Vec::new();
    for c in ARXIV.captures_iter(text).chain(ARXIV_URL.captures_iter(text)) {
        if let Some(m) = c.get(1) {
            out.push((IdentifierKind::Arxiv, m.as_str().to_owned()));
        }
    }
    for c in DOI.captures_iter(text) {
        if let Some(m) = c.get(1) {
            out.push((IdentifierKind::Doi, trim_doi(m.as_str())));
        }
    }
    for c in ISBN.captures_iter(text) {
        if let Some(isbn) = c.get(1).and_then(|m| valid_isbn(m.as_str())) {
            out.push((IdentifierKind::Isbn, isbn));
        }
    }
    for c in ISSN.captures_iter(text) {
        if let Some(issn) = c.get(1).and_then(|m| valid_issn(m.as_str())) {
            out.push((IdentifierKind::Issn, issn));
        }
    }
    for c in PMID.captures_iter(text) {
        if let Some(m) = c.get(1) {
            out.push((IdentifierKind::Pmid, m.as_str().to_owned()));
        }
    }
    for re in DOCKETS.iter() {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1) {
                let value = m.as_str().replace('–', "-");
                if !out.iter().any(|(k, v)| *k == IdentifierKind::Docket && v == &value) {
                    out.push((IdentifierKind::Docket, value));
                }
            }
        }
    }
    out
}

/// A DOI without the sentence punctuation or closing bracket that follows it in running text.
fn trim_doi(raw: &str) -> String {
    let mut s = raw.trim_end_matches(['.', ',', ';', ':']);
    while s.ends_with(')') && s.matches('(').count() < s.matches(')').count() {
        s = s[..s.len() - 1].trim_end_matches(['.', ',', ';', ':']);
    }
    s.to_owned()
}

/// The ISBN's digits when its check digit is right (ISBN-10: weights 10..1 mod 11, `X` = 10;
/// ISBN-13: weights 1,3 alternating mod 10).
pub(crate) fn valid_isbn(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2013}')).collect();
    let s = s.to_ascii_uppercase();
    let ok = match s.len() {
        10 => {
            let mut sum = 0u32;
            for (i, c) in s.chars().enumerate() {
                let v = match c {
                    'X' if i == 9 => 10,
                    c => c.to_digit(10)?,
                };
                sum += v * (10 - i as u32);
            }
            sum.is_multiple_of(11)
        }
        13 => {
            let mut sum = 0u32;
            for (i, c) in s.chars().enumerate() {
                sum += c.to_digit(10)? * if i.is_multiple_of(2) { 1 } else { 3 };
            }
            sum.is_multiple_of(10) && (s.starts_with("978") || s.starts_with("979"))
        }
        _ => false,
    };
    ok.then_some(s)
}

/// The ISSN as `NNNN-NNNC` when its check digit is right (weights 8..2 mod 11, `X` = 10).
fn valid_issn(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| *c != '-').collect::<String>().to_ascii_uppercase();
    if s.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in s.chars().enumerate() {
        let v = match c {
            'X' if i == 7 => 10,
            c => c.to_digit(10)?,
        };
        sum += v * (8 - i as u32);
    }
    sum.is_multiple_of(11).then(|| format!("{}-{}", &s[..4], &s[4..]))
}

// ---------------------------------------------------------------------------------------------
// Dates.

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let at = MONTHS.iter().position(|m| w.starts_with(m))?;
    // "Mar" and "March" but not "Marshall"; "Sept" too.
    (full[at].starts_with(&w) || w == "sept").then_some(at as u32 + 1)
}

static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b(\d{4})[-/](\d{2})(?:[-/](\d{2}))?(?:[T\s]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
});
static MONTH_DAY_YEAR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"));
static DAY_MONTH_YEAR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Z][a-z]{2,8})\.?,?\s+(\d{4})\b"));
static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| regex(r"\b([A-Z][a-z]{2,8})\.?,?\s+(\d{4})\b"));
static PDF_DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"^D:(\d{4})(\d{2})?(\d{2})?"));

/// A date anywhere in a line of running text (month names or ISO), as ISO 8601.
fn find_date(line: &str) -> Option<String> {
    if let Some(c) = MONTH_DAY_YEAR.captures(line)
        && let Some(d) = ymd(&c[3], month(&c[1]), c[2].parse().ok())
    {
        return Some(d);
    }
    if let Some(c) = DAY_MONTH_YEAR.captures(line)
        && let Some(d) = ymd(&c[3], month(&c[2]), c[1].parse().ok())
    {
        return Some(d);
    }
    if let Some(c) = ISO_DATE.captures(line)
        && let Some(d) = ymd(&c[1], c[2].parse().ok(), c.get(3).and_then(|m| m.as_str().parse().ok()))
    {
        return Some(d);
    }
    let c = MONTH_YEAR.captures(line)?;
    let m = month(&c[1])?;
    let y: u32 = c[2].parse().ok()?;
    (1000..=2999).contains(&y).then(|| format!("{y:04}-{m:02}"))
}

/// A metadata date (`2020-09-30T12:00:00Z`, `D:20200930…`, `30 Sep 2020`, `2020`) as ISO 8601.
pub(crate) fn parse_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(c) = PDF_DATE.captures(raw) {
        return ymd(
            &c[1],
            c.get(2).and_then(|m| m.as_str().parse().ok()),
            c.get(3).and_then(|m| m.as_str().parse().ok()),
        );
    }
    if let Some(d) = find_date(raw) {
        return Some(d);
    }
    let year: u32 = raw.get(..4)?.parse().ok()?;
    let rest_ok = raw.len() == 4 || !raw[4..].starts_with(|c: char| c.is_ascii_digit());
    ((1000..=2999).contains(&year) && rest_ok).then(|| format!("{year:04}"))
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` when the parts are in range.
fn ymd(year: &str, month: Option<u32>, day: Option<u32>) -> Option<String> {
    let y: u32 = year.parse().ok()?;
    if !(1000..=2999).contains(&y) {
        return None;
    }
    match (month, day) {
        (Some(m), Some(d)) if (1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d) => {
            Some(format!("{y:04}-{m:02}-{d:02}"))
        }
        (Some(m), None) if (1..=12).contains(&m) => Some(format!("{y:04}-{m:02}")),
        (None, None) => Some(format!("{y:04}")),
        _ => None,
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds since the epoch to the UTC calendar date (the civil-from-days algorithm of Howard
/// Hinnant's `date` library).
fn iso_from_unix(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(&'static str, String)> {
        identifiers_in(text).into_iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    #[test]
    fn isbn_checksums_are_checked() {
        assert_eq!(valid_isbn("978-0-14-143960-0").as_deref(), Some("9780141439600"));
        assert_eq!(valid_isbn("0-306-40615-2").as_deref(), Some("0306406152"));
        assert_eq!(valid_isbn("0-8044-2957-X").as_deref(), Some("080442957X"));
        assert_eq!(valid_isbn("978-0-14-143960-1"), None, "wrong check digit");
        assert_eq!(valid_isbn("0-306-40615-3"), None);
        assert_eq!(valid_isbn("123"), None);
        assert_eq!(
            ids("Printed. ISBN 978-0-306-40615-7 and ISBN: 978-0-306-40615-8."),
            [("isbn", "9780306406157".into())]
        );
        assert_eq!(valid_issn("0028-0836").as_deref(), Some("0028-0836"));
        assert_eq!(valid_issn("0028-0837"), None);
    }

    #[test]
    fn identifiers_in_running_text() {
        let text = "arXiv:2004.04906v3 [cs.CL] 30 Sep 2020\nSee https://doi.org/10.1016/j.dib.2018.11.134).\n\
                    Case 1:23-cv-01234-ABC Document 1\n[Docket No. FAA–2020–0686; Product\nNo. 22-451\nPMID: 12345678";
        assert_eq!(
            ids(text),
            [
                ("arxiv", "2004.04906v3".into()),
                ("doi", "10.1016/j.dib.2018.11.134".into()),
                ("pmid", "12345678".into()),
                ("docket", "1:23-cv-01234-ABC".into()),
                ("docket", "FAA-2020-0686".into()),
                ("docket", "22-451".into()),
            ]
        );
        assert_eq!(ids("Vol. 85, No. 152 and arXiv: hep-th/9901001v2"), [("arxiv", "hep-th/9901001v2".into())]);
    }

    #[test]
    fn dates_become_iso() {
        assert_eq!(parse_date("2020-09-30T12:00:00Z").as_deref(), Some("2020-09-30"));
        assert_eq!(parse_date("D:20200806095125Z").as_deref(), Some("2020-08-06"));
        assert_eq!(parse_date("Thursday, August 6, 2020").as_deref(), Some("2020-08-06"));
        assert_eq!(parse_date("5 Oct 2023").as_deref(), Some("2023-10-05"));
        assert_eq!(parse_date("Sept. 2019").as_deref(), Some("2019-09"));
        assert_eq!(parse_date("1998").as_deref(), Some("1998"));
        assert_eq!(parse_date("February 30, 2020"), None);
        assert_eq!(parse_date("Marshall 2020"), None);
        assert_eq!(iso_from_unix(1_596_707_485), "2020-08-06");
        assert_eq!(iso_from_unix(0), "1970-01-01");
    }

    #[test]
    fn a_paper_title_page() {
        let page = "Preprint\nDense Passage Retrieval for Open-Domain Question Answering\n\
                    Vladimir Karpukhin∗, Barlas Oğuz∗, Sewon Min† , Patrick Lewis,\n\
                    Ledell Wu, Sergey Edunov, Danqi Chen‡ , Wen-tau Yih\nFacebook AI\n\
                    University of Washington\n{vladk, barlaso}@fb.com\narXiv:2004.04906v3 [cs.CL] 30 Sep 2020\n\
                    Abstract\nOpen-domain question answering relies on efficient passage retrieval, since May 2019.";
        let card = build(&Meta::default(), page);
        assert_eq!(card.title.as_deref(), Some("Dense Passage Retrieval for Open-Domain Question Answering"));
        assert_eq!(
            card.authors,
            [
                "Vladimir Karpukhin",
                "Barlas Oğuz",
                "Sewon Min",
                "Patrick Lewis",
                "Ledell Wu",
                "Sergey Edunov",
                "Danqi Chen",
                "Wen-tau Yih"
            ]
        );
        assert_eq!(card.date.as_deref(), Some("2020-09-30"));
        assert_eq!(card.identifier(IdentifierKind::Arxiv), Some("2004.04906v3"));
        assert_eq!(card.source.title, Some(CardSource::FirstPage));
    }

    #[test]
    fn a_title_split_over_lines_and_names_split_over_lines() {
        let page = "LayoutParser: A Unified Toolkit for Deep\nLearning Based Document Image Analysis\n\
                    Zejiang Shen1 ( ), Ruochen Zhang2 , Melissa Dell3 , Benjamin Charles Germain\n\
                    Lee4 , Jacob Carlson3 , and Weining Li5\nAllen Institute for AI\nAbstract. Recent advances.";
        let card = build(&Meta::default(), page);
        assert_eq!(
            card.title.as_deref(),
            Some("LayoutParser: A Unified Toolkit for Deep Learning Based Document Image Analysis")
        );
        assert_eq!(card.authors.len(), 6, "{:?}", card.authors);
        assert_eq!(card.authors[3], "Benjamin Charles Germain Lee");
        let caps = "AGENT MODELS : I NTERNALIZING C HAIN - OF -ACTION\nG ENERATION INTO R EASONING MODELS\n\
                    Yuxiang Zhang† , Yuqi Yang† , Jiangming Shu, Xinyan Wen & Jitao Sang∗\nA BSTRACT\nText.";
        let card = build(&Meta::default(), caps);
        assert_eq!(
            card.title.as_deref(),
            Some("AGENT MODELS: INTERNALIZING CHAIN-OF-ACTION GENERATION INTO REASONING MODELS")
        );
        assert_eq!(card.authors.len(), 5);
    }

    #[test]
    fn no_title_without_authors_or_abstract() {
        let page = "CUPERTINO UNION SCHOOL DISTRICT\nBoard of Education\nSpecial Meeting\nAGENDA\nApril 6, 2016\n\
                    Welcome to the meeting of the Board. If you would like to address the Board, fill out a card.";
        let card = build(&Meta::default(), page);
        assert_eq!(card.title, None);
        assert!(card.authors.is_empty());
        assert_eq!(card.date.as_deref(), Some("2016-04-06"));
        assert_eq!(card.source.date, Some(CardSource::FirstPage));
    }

    #[test]
    fn junk_metadata_gives_way_to_the_first_page() {
        let meta = Meta {
            title: Some("Microsoft Word - draft.docx".into()),
            authors: vec!["e516160".into(), "Administrator".into()],
            created: Some("D:20240105".into()),
            ..Meta::default()
        };
        let page = "A Study of Things\nAna Lima and Bo Chen\nAbstract\nWe study things.";
        let card = build(&meta, page);
        assert_eq!(card.title.as_deref(), Some("A Study of Things"));
        assert_eq!(card.authors, ["Ana Lima", "Bo Chen"]);
        assert_eq!(card.source.authors, Some(CardSource::FirstPage));
        assert_eq!(card.date.as_deref(), Some("2024-01-05"), "file date when the page has none");
        assert_eq!(card.source.date, Some(CardSource::Metadata));
    }

    #[test]
    fn metadata_authors_are_split_and_cleaned() {
        let fields =
            ["Gavin Wood and others as per https://github.com/ethereum/yellowpaper/commits/master".to_string()];
        assert_eq!(clean_authors(&fields), ["Gavin Wood"]);
        assert_eq!(clean_authors(&["Ana Lima; Bo Chen".into()]), ["Ana Lima", "Bo Chen"]);
        assert_eq!(clean_authors(&["Ana Lima, Bo Chen and Cy Dee".into()]), ["Ana Lima", "Bo Chen", "Cy Dee"]);
        assert_eq!(clean_authors(&["LGMN, Des Moines, IA".into()]), ["LGMN, Des Moines, IA"]);
        assert!(clean_authors(&["e516160".into(), "user".into(), " ".into()]).is_empty());
    }

    #[test]
    fn dublin_core_html_and_front_matter() {
        let opf = r#"<package><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
            <dc:title>Winter Sports</dc:title><dc:creator>Ana Lima</dc:creator><dc:creator>Bo Chen</dc:creator>
            <dc:date>2011-05-04</dc:date><dc:identifier id="id">urn:isbn:9780141439600</dc:identifier>
            <dc:identifier>urn:uuid:1234</dc:identifier></metadata><manifest><item id="a" href="a.xhtml"/></manifest></package>"#;
        let card = build(&dublin_core(opf), "");
        assert_eq!(card.title.as_deref(), Some("Winter Sports"));
        assert_eq!(card.authors, ["Ana Lima", "Bo Chen"]);
        assert_eq!(card.date.as_deref(), Some("2011-05-04"));
        assert_eq!(card.identifier(IdentifierKind::Isbn), Some("9780141439600"));
        assert_eq!(card.identifiers.len(), 1);

        let html = r#"<html><head><meta name="citation_title" content="On Things">
            <meta name="citation_author" content="Lima, Ana"><meta name="citation_author" content="Chen, Bo">
            <meta name="citation_publication_date" content="2019/03/02"><meta name="citation_doi" content="10.1000/xyz123">
            <meta property="og:title" content="Ignored"></head><body><p>x</p></body></html>"#;
        let card = build(&html_meta(html), "");
        assert_eq!(card.title.as_deref(), Some("On Things"));
        assert_eq!(card.authors, ["Lima, Ana", "Chen, Bo"]);
        assert_eq!(card.date.as_deref(), Some("2019-03-02"));
        assert_eq!(card.identifier(IdentifierKind::Doi), Some("10.1000/xyz123"));

        let fm = "title: \"Notes on X\"\nauthors:\n  - Ana Lima\n  - Bo Chen\ndate: 2021-07-01\ndoi: 10.5555/abc\ntags: [a, b]";
        let card = build(&front_matter(fm), "");
        assert_eq!(card.title.as_deref(), Some("Notes on X"));
        assert_eq!(card.authors, ["Ana Lima", "Bo Chen"]);
        assert_eq!(card.date.as_deref(), Some("2021-07-01"));
        assert_eq!(card.identifier(IdentifierKind::Doi), Some("10.5555/abc"));
    }

    #[test]
    fn the_search_line_names_every_field() {
        let card = build(&Meta::default(), "A Study of Things\nAna Lima and Bo Chen\narXiv:2401.12345v2\nAbstract\nx");
        let line = card.search_line().unwrap();
        assert_eq!(
            line,
            "Title: A Study of Things · Authors (who wrote it): Ana Lima; Bo Chen · arXiv identifier: 2401.12345v2"
        );
        assert_eq!(DocumentCard::default().search_line(), None);
        let json = serde_json::to_string(&card).unwrap();
        assert_eq!(serde_json::from_str::<DocumentCard>(&json).unwrap(), card);
        assert!(json.contains(r#""kind":"arxiv""#) && json.contains(r#""source":"first_page""#), "{json}");
    }
}

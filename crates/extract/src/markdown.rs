//! Markdown through pulldown-cmark, rendered to readable plain text with heading paths.
//!
//! Also home of [`SectionBuilder`], the text-with-heading-sections accumulator that the HTML
//! reader shares: both formats turn a stream of blocks, inline text and headings into the same
//! shape of [`Document`].

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::{Document, ExtractError, ExtractOptions, Format, Location, Segment};

/// Reads a Markdown file; each heading starts a segment located at its heading path.
pub(crate) fn extract(path: &Path, opts: &ExtractOptions) -> Result<Document, ExtractError> {
    let head = crate::text::read_text_head(path, opts.max_text_bytes, "markdown")?;
    let source = crate::text::decode_for(&head.bytes, "markdown")?;
    drop(head.bytes);
    let mut doc = from_str(&source)?;
    if head.truncated {
        doc.warnings.push(crate::truncation_note(opts.max_text_bytes));
    }
    Ok(doc)
}

/// Renders Markdown source to a [`Document`].
pub(crate) fn from_str(source: &str) -> Result<Document, ExtractError> {
    if source.trim().is_empty() {
        return Err(ExtractError::NoText("file contains only whitespace".into()));
    }
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut out = SectionBuilder::default();
    let mut html = HtmlStripper::default();
    // Cells written in the current table row, to place the " | " separators.
    let mut cells = 0usize;
    let mut in_metadata = false;
    let mut front_matter = String::new();
    let mut list_depth = 0usize;
    for event in Parser::new_ext(source, options) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => out.start_heading(level as u8),
                Tag::Paragraph
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::FootnoteDefinition(_)
                | Tag::DefinitionList
                | Tag::Table(_) => out.block_break(),
                Tag::List(_) => {
                    list_depth += 1;
                    out.line_break();
                }
                Tag::Item | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => out.line_break(),
                Tag::TableHead | Tag::TableRow => {
                    cells = 0;
                    out.line_break();
                }
                Tag::TableCell => {
                    if cells > 0 {
                        out.separator(" | ");
                    }
                    cells += 1;
                }
                Tag::MetadataBlock(_) => in_metadata = true,
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) => out.end_heading(),
                TagEnd::MetadataBlock(_) => in_metadata = false,
                TagEnd::List(_) => {
                    list_depth = list_depth.saturating_sub(1);
                    if list_depth == 0 {
                        out.block_break();
                    } else {
                        out.line_break();
                    }
                }
                TagEnd::Paragraph
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::FootnoteDefinition
                | TagEnd::DefinitionList
                | TagEnd::Table => out.block_break(),
                _ => {}
            },
            Event::Text(t) if !in_metadata => out.text(&t),
            Event::Text(t) => front_matter.push_str(&t),
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => out.text(&t),
            Event::Html(t) => html.feed(&t, &mut out),
            Event::SoftBreak => out.space(),
            Event::HardBreak => out.line_break(),
            Event::Rule => out.block_break(),
            _ => {}
        }
    }
    let built = out.finish();
    if built.segments.is_empty() {
        return Err(ExtractError::NoText("no readable text (only markup)".into()));
    }
    Ok(Document {
        ocr: Vec::new(),
        format: Format::Markdown,
        card: crate::card::build(&crate::card::front_matter(&front_matter), crate::card::leading_text(&built.text)),
        title: built.first_h1.or(built.first_heading),
        text: built.text,
        pages: None,
        segments: built.segments,
        tables: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Keeps the visible text of raw HTML blocks (READMEs wrap paragraphs in `<p align=center>`)
/// and drops tags and comments, which may span several events.
#[derive(Default)]
struct HtmlStripper {
    in_tag: bool,
    in_comment: bool,
}

impl HtmlStripper {
    fn feed(&mut self, html: &str, out: &mut SectionBuilder) {
        let mut rest = html;
        while !rest.is_empty() {
            if self.in_comment {
                match rest.find("-->") {
                    Some(end) => {
                        self.in_comment = false;
                        rest = &rest[end + 3..];
                    }
                    None => return,
                }
            } else if self.in_tag {
                match rest.find('>') {
                    Some(end) => {
                        self.in_tag = false;
                        rest = &rest[end + 1..];
                    }
                    None => return,
                }
            } else {
                match rest.find('<') {
                    Some(start) => {
                        out.inline(&rest[..start]);
                        if rest[start..].starts_with("<!--") {
                            self.in_comment = true;
                            rest = &rest[start + 4..];
                        } else {
                            self.in_tag = true;
                            rest = &rest[start + 1..];
                        }
                    }
                    None => {
                        out.inline(rest);
                        return;
                    }
                }
            }
        }
    }
}

/// Whitespace owed before the next piece of text; emitted lazily so that nothing dangles at the
/// end of a section and runs of breaks collapse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum Pending {
    #[default]
    Nothing,
    Space,
    Newline,
    BlankLine,
}

/// What [`SectionBuilder::finish`] produces.
pub(crate) struct Built {
    pub text: String,
    pub segments: Vec<Segment>,
    /// Text of the first level-1 heading.
    pub first_h1: Option<String>,
    /// Text of the first heading of any level.
    pub first_heading: Option<String>,
}

/// Accumulates plain text from blocks, inline runs and headings, cutting a new
/// [`Location::Section`] segment at every non-empty heading. Segments are trimmed of
/// whitespace and never empty.
#[derive(Default)]
pub(crate) struct SectionBuilder {
    text: String,
    segments: Vec<Segment>,
    /// Open headings, outermost first: (level, text).
    path: Vec<(u8, String)>,
    /// Where the current section's text starts.
    section_start: usize,
    /// The heading being written: its level and where its text starts.
    heading: Option<(u8, usize)>,
    pending: Pending,
    first_h1: Option<String>,
    first_heading: Option<String>,
}

impl SectionBuilder {
    /// Appends text as is (code, preformatted text, Markdown text runs).
    pub(crate) fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.flush();
        self.text.push_str(s);
    }

    /// Appends HTML-style inline text: runs of whitespace become one space, and whitespace at
    /// the start or end of a line disappears.
    pub(crate) fn inline(&mut self, s: &str) {
        if s.starts_with(char::is_whitespace) {
            self.space();
        }
        let mut words = s.split_whitespace().peekable();
        while let Some(word) = words.next() {
            self.text(word);
            if words.peek().is_some() {
                self.space();
            }
        }
        if s.ends_with(char::is_whitespace) && !s.trim().is_empty() {
            self.space();
        }
    }

    /// Appends a separator that replaces any whitespace owed or dangling before it (" | "
    /// between table cells), so that cells come out as "a | b" even when a cell ends with a
    /// paragraph.
    pub(crate) fn separator(&mut self, sep: &str) {
        self.pending = Pending::Nothing;
        let floor = self.heading.map_or(self.section_start, |(_, start)| start);
        let keep = self.text.trim_end_matches([' ', '\t']).len().max(floor);
        self.text.truncate(keep);
        self.text(sep);
    }

    /// Asks for a space before the next text (unless a line break is already owed).
    pub(crate) fn space(&mut self) {
        self.pending = self.pending.max(Pending::Space);
    }

    /// Asks for a line break before the next text.
    pub(crate) fn line_break(&mut self) {
        self.pending = self.pending.max(Pending::Newline);
    }

    /// Asks for a blank line before the next text.
    pub(crate) fn block_break(&mut self) {
        self.pending = self.pending.max(Pending::BlankLine);
    }

    /// Starts a heading of `level` (1 = outermost): the text before it is closed as a section.
    pub(crate) fn start_heading(&mut self, level: u8) {
        if self.heading.is_some() {
            // A heading inside a heading (possible in HTML): treat the outer one as the heading.
            return;
        }
        self.block_break();
        self.close_section();
        self.flush();
        self.heading = Some((level, self.text.len()));
        self.section_start = self.text.len();
    }

    /// Ends the heading started last; its text becomes the innermost entry of the path.
    pub(crate) fn end_heading(&mut self) {
        let Some((level, start)) = self.heading.take() else {
            return;
        };
        let name = self.text[start..].split_whitespace().collect::<Vec<_>>().join(" ");
        self.block_break();
        if name.is_empty() {
            return;
        }
        while self.path.last().is_some_and(|(l, _)| *l >= level) {
            self.path.pop();
        }
        if level == 1 && self.first_h1.is_none() {
            self.first_h1 = Some(name.clone());
        }
        if self.first_heading.is_none() {
            self.first_heading = Some(name.clone());
        }
        self.path.push((level, name));
    }

    /// Closes the last section and hands over the text and segments.
    pub(crate) fn finish(mut self) -> Built {
        self.heading = None;
        self.close_section();
        Built { text: self.text, segments: self.segments, first_h1: self.first_h1, first_heading: self.first_heading }
    }

    /// Emits the owed whitespace, unless nothing has been written yet.
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if self.text.is_empty() {
            return;
        }
        let newlines = match pending {
            Pending::Nothing => return,
            Pending::Space => {
                if !self.text.ends_with(char::is_whitespace) {
                    self.text.push(' ');
                }
                return;
            }
            Pending::Newline => 1,
            Pending::BlankLine => 2,
        };
        // Replace trailing whitespace (a code block's final newline, a dangling space) by exactly
        // the breaks owed, without eating into the current heading or section.
        let floor = self.heading.map_or(self.section_start, |(_, start)| start);
        let keep = self.text.trim_end().len().max(floor);
        self.text.truncate(keep);
        for _ in 0..newlines {
            self.text.push('\n');
        }
    }

    /// Records the text since the last heading as a segment at the current path.
    fn close_section(&mut self) {
        let Some(section) = self.text.get(self.section_start..) else {
            return;
        };
        let lead = section.len() - section.trim_start().len();
        let body = section.trim();
        if !body.is_empty() {
            let start = self.section_start + lead;
            self.segments.push(Segment {
                bytes: start..start + body.len(),
                location: Location::Section { path: self.path.iter().map(|(_, name)| name.clone()).collect() },
                ocr_confidence: None,
            });
        }
        // Not past trailing whitespace, so that the next flush can still replace it.
        self.section_start = self.text.trim_end().len().max(self.section_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(doc: &Document) -> Vec<(String, String)> {
        doc.segments
            .iter()
            .map(|s| {
                let Location::Section { path } = &s.location else { panic!("not a section") };
                (path.join(" > "), doc.text[s.bytes.clone()].to_owned())
            })
            .collect()
    }

    #[test]
    fn headings_become_paths() {
        let md = "Intro text.\n\n# Title\n\nFirst *para*.\n\n## Methods\n\nWe `measure`.\n\n### Detail\n\nx\n\n## Results\n\nGood.\n\n# Appendix\n\nEnd.\n";
        let doc = from_str(md).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Title"));
        assert_eq!(
            sections(&doc),
            [
                ("".into(), "Intro text.".into()),
                ("Title".into(), "Title\n\nFirst para.".into()),
                ("Title > Methods".into(), "Methods\n\nWe measure.".into()),
                ("Title > Methods > Detail".into(), "Detail\n\nx".into()),
                ("Title > Results".into(), "Results\n\nGood.".into()),
                ("Appendix".into(), "Appendix\n\nEnd.".into()),
            ]
        );
    }

    #[test]
    fn tables_code_lists_and_html_are_plain_text() {
        let md = "## Data\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n\n- one\n- two\n  - nested\n\n<p align=\"center\"><img src=\"x.png\"> Centered <!-- hidden\nstill --> text</p>\n\nA [link](http://x) and soft\nbreak.";
        let doc = from_str(md).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Data"));
        assert_eq!(
            doc.text,
            "Data\n\na | b\n1 | 2\n\nfn main() {}\n\none\ntwo\nnested\n\nCentered text\n\nA link and soft break."
        );
    }

    #[test]
    fn front_matter_is_skipped_and_empty_is_an_error() {
        let doc = from_str("---\ntitle: x\n---\n\nBody.").unwrap();
        assert_eq!(doc.text, "Body.");
        assert!(matches!(from_str(" \n"), Err(ExtractError::NoText(_))));
        assert!(matches!(from_str("<!-- only a comment -->"), Err(ExtractError::NoText(_))));
    }

    #[test]
    fn pathological_nesting_does_not_overflow() {
        let quotes = ">".repeat(100_000) + " deep";
        let doc = from_str(&quotes).unwrap();
        assert!(doc.text.contains("deep"));
        let brackets = "[".repeat(100_000) + "x" + &"]".repeat(100_000);
        assert!(from_str(&brackets).is_ok());
    }
}

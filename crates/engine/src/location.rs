//! Where a piece of text sits inside a document, so a citation can open the source at that spot.

/// A half-open range `[start, end)` of Unicode scalar values (chars) into a document's stored
/// extracted text. Chars rather than bytes so that every front end can slice the text the same way.
/// Serialised as `{"start": …, "end": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Span {
    /// First char of the range.
    pub start: usize,
    /// One past the last char of the range.
    pub end: usize,
}

impl Span {
    /// Builds a span; `end` is clamped so that it is never before `start`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }

    /// Number of chars covered.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers nothing.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The human-meaningful location of a chunk: a physical page, a heading path, or a range of
/// table rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Location {
    /// A physical page, 1-based (PDF).
    Page {
        /// 1-based physical page number.
        page: u32,
    },
    /// A path of headings from the outermost down (Markdown, DOCX, HTML, EPUB chapters).
    Section {
        /// Headings from outermost to innermost; may be empty for text before the first heading.
        path: Vec<String>,
    },
    /// A range of data rows of a table, 1-based and inclusive, not counting the header row.
    Rows {
        /// Sheet or table name.
        sheet: String,
        /// First data row.
        first: u64,
        /// Last data row.
        last: u64,
    },
    /// No finer location than the whole document (plain text).
    #[default]
    Whole,
}

impl Location {
    /// The page number, if this location is a page.
    pub fn page(&self) -> Option<u32> {
        match self {
            Location::Page { page } => Some(*page),
            _ => None,
        }
    }

    /// A short label for people: `p. 3`, `Intro › Methods`, `Sheet1 rows 2–40`, or empty.
    pub fn label(&self) -> String {
        match self {
            Location::Page { page } => format!("p. {page}"),
            Location::Section { path } => path.join(" › "),
            Location::Rows { sheet, first, last } if first == last => format!("{sheet} row {first}"),
            Location::Rows { sheet, first, last } => format!("{sheet} rows {first}–{last}"),
            Location::Whole => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_naturally() {
        let cases = [
            (Location::Page { page: 3 }, "p. 3"),
            (Location::Section { path: vec!["Intro".into(), "Methods".into()] }, "Intro › Methods"),
            (Location::Rows { sheet: "Sheet1".into(), first: 2, last: 40 }, "Sheet1 rows 2–40"),
            (Location::Rows { sheet: "T".into(), first: 7, last: 7 }, "T row 7"),
            (Location::Whole, ""),
        ];
        for (loc, want) in cases {
            assert_eq!(loc.label(), want);
        }
    }

    #[test]
    fn span_never_inverts() {
        let s = Span::new(10, 4);
        assert!(s.is_empty());
        assert_eq!(s.len(), 0);
    }
}

//! A document's stored text as the tools and resources show it: divided into its parts (pages,
//! sections, rows) by its chunks' locations, with markers between them, and cut to a size.

use library::Hit;

/// A run of consecutive chunks with the same location, as a char range of the stored text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    /// `p. 3`, a section path, rows of a sheet; empty for a document with no finer location.
    pub label: String,
    /// The physical page, for paged documents.
    pub page: Option<u32>,
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
}

/// The parts of a document from its chunks (in ordinal order). Overlapping chunks are clipped so
/// parts never overlap; ranges are clamped to `len` chars.
pub(crate) fn parts(chunks: &[Hit], len: usize) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for chunk in chunks {
        let label = chunk.location.label();
        let (start, end) = (chunk.span.start.min(len), chunk.span.end.min(len));
        match out.last_mut() {
            Some(last) if last.label == label => last.end = last.end.max(end),
            _ => {
                let start = out.last().map_or(start, |last| start.max(last.end));
                out.push(Part { label, page: chunk.location.page(), start, end: end.max(start) });
            }
        }
    }
    out
}

/// The text with a marker line before each part (`--- p. 2 ---`), or the text itself when the
/// document has no finer location than the whole.
pub(crate) fn marked(text: &str, parts: &[Part]) -> String {
    if parts.iter().all(|p| p.label.is_empty()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + parts.len() * 16);
    for part in parts {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !part.label.is_empty() {
            out.push_str(&format!("--- {} ---\n", part.label));
        }
        out.push_str(chars(text, part.start, part.end));
    }
    out
}

/// The chars `[start, end)` of `s` (clamped).
pub(crate) fn chars(s: &str, start: usize, end: usize) -> &str {
    let byte = |n: usize| s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    let (a, b) = (byte(start), byte(end.max(start)));
    &s[a..b]
}

/// `text` cut to at most `max` chars from char `offset`: the piece, whether anything was left out
/// after it, and the total number of chars.
pub(crate) fn window(text: &str, offset: usize, max: usize) -> (String, bool, usize) {
    let total = text.chars().count();
    let piece: String = text.chars().skip(offset).take(max).collect();
    let shown_end = offset.saturating_add(max);
    (piece, shown_end < total, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chars_and_windows_count_characters_not_bytes() {
        let s = "ä—b€c";
        assert_eq!(chars(s, 1, 3), "—b");
        assert_eq!(chars(s, 3, 99), "€c");
        assert_eq!(chars(s, 4, 2), "");
        assert_eq!(window(s, 1, 2), ("—b".to_string(), true, 5));
        assert_eq!(window(s, 3, 10), ("€c".to_string(), false, 5));
    }
}

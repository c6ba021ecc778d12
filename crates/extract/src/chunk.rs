//! Cuts a document's text into retrieval chunks on sentence boundaries.
//!
//! Works per segment, so a chunk never straddles two pages or sections. Each segment is first cut
//! into units (Unicode sentences, with over-long sentences cut at word boundaries and whitespace-
//! only pieces glued to the unit before them), each unit carrying both its byte and its char range;
//! chunks are then runs of whole units. Char offsets come from one running counter over the
//! document, so the whole pass is linear in the text length even for 800-page PDFs.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use crate::{Document, Location, Span};

/// Chunk sizes, in chars. Defaults suit BM25 over prose: about a paragraph per chunk.
#[derive(Debug, Clone)]
pub struct ChunkOptions {
    /// A chunk grows sentence by sentence until it reaches this many chars.
    pub target_chars: usize,
    /// A single sentence longer than this is split at a word boundary.
    pub max_chars: usize,
    /// Sentences repeated from the end of the previous chunk, so an answer that straddles a
    /// boundary is still found in one chunk.
    pub overlap_sentences: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions { target_chars: 800, max_chars: 1600, overlap_sentences: 1 }
    }
}

/// One retrieval unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// 0-based position of the chunk in its document.
    pub ordinal: usize,
    /// Char span into [`Document::text`].
    pub span: Span,
    /// Where the chunk starts in the source. A chunk never crosses a segment boundary.
    pub location: Location,
    /// The chunk's text: exactly the chars of `span`.
    pub text: String,
}

/// Cuts `doc` into chunks. Chunks never cross a segment (page, section, row range), follow
/// sentence boundaries, and carry char spans into `doc.text`.
///
/// A chunk is at most `max_chars` long; it stops growing once it holds `target_chars`, or when
/// the next sentence would take it past `max_chars`.
pub fn chunk(doc: &Document, opts: &ChunkOptions) -> Vec<Chunk> {
    let max = opts.max_chars.max(1);
    let target = opts.target_chars.clamp(1, max);
    let mut chunks = Vec::new();
    let mut counter = CharCounter::new(&doc.text);

    // A document without segments (none of ours, but the type allows it) is one whole segment.
    let whole;
    let segments = if doc.segments.is_empty() {
        whole = [crate::Segment { bytes: 0..doc.text.len(), location: Location::Whole, ocr_confidence: None }];
        &whole[..]
    } else {
        &doc.segments[..]
    };

    let mut units = Vec::new();
    for segment in segments {
        let Some(seg_text) = doc.text.get(segment.bytes.clone()) else {
            // Out of range or off a char boundary: a reader bug; skip rather than panic.
            continue;
        };
        units.clear();
        cut_units(seg_text, segment.bytes.start, max, &mut counter, &mut units);
        group(doc, &units, target, max, opts.overlap_sentences, &segment.location, &mut chunks);
    }
    chunks
}

/// A sentence (or a word-bounded piece of an over-long one), with trailing whitespace.
#[derive(Debug, Clone)]
struct Unit {
    bytes: Range<usize>,
    chars: Range<usize>,
}

/// Converts byte offsets to char offsets by counting forward from the last query, so a sequence
/// of non-decreasing queries costs one pass over the text in total.
struct CharCounter<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    fn new(text: &'a str) -> Self {
        CharCounter { text, byte: 0, chars: 0 }
    }

    /// Char offset of `byte`, which must lie on a char boundary.
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            // Segments out of order: restart from the beginning (correct, only slower).
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text.get(self.byte..byte).map_or(0, |s| s.chars().count());
        self.byte = byte;
        self.chars
    }
}

/// Cuts one segment's text (starting at byte `base` of the document) into units of at most `max`
/// chars.
fn cut_units(seg_text: &str, base: usize, max: usize, counter: &mut CharCounter<'_>, units: &mut Vec<Unit>) {
    for (offset, sentence) in seg_text.split_sentence_bound_indices() {
        let start = base + offset;
        let end = start + sentence.len();
        if sentence.trim().is_empty() {
            // Blank lines would make useless one-"sentence" overlaps; glue them to the unit before.
            if let Some(last) = units.last_mut() {
                last.bytes.end = end;
                last.chars.end = counter.at(end);
            } else {
                counter.at(end);
            }
            continue;
        }
        let char_start = counter.at(start);
        let char_end = counter.at(end);
        if char_end - char_start <= max {
            units.push(Unit { bytes: start..end, chars: char_start..char_end });
        } else {
            split_long(sentence, start, char_start, max, units);
        }
    }
}

/// Splits one over-long sentence at word boundaries into pieces of at most `max` chars; a single
/// word longer than `max` (a URL, a base64 blob) is cut every `max` chars.
fn split_long(sentence: &str, start: usize, char_start: usize, max: usize, units: &mut Vec<Unit>) {
    // The piece being built: its byte and char start, and its length in chars so far.
    let mut piece_byte = start;
    let mut piece_char = char_start;
    let mut piece_len = 0;
    let mut byte = start;
    for word in sentence.split_word_bound_indices().map(|(_, w)| w) {
        let word_len = word.chars().count();
        if piece_len + word_len > max && piece_len > 0 {
            units.push(Unit { bytes: piece_byte..byte, chars: piece_char..piece_char + piece_len });
            piece_byte = byte;
            piece_char += piece_len;
            piece_len = 0;
        }
        if word_len > max {
            for (i, (at, _)) in word.char_indices().enumerate() {
                if i > 0 && i % max == 0 {
                    units.push(Unit { bytes: piece_byte..byte + at, chars: piece_char..piece_char + max });
                    piece_byte = byte + at;
                    piece_char += max;
                }
            }
            piece_len = word_len - (word_len - 1) / max * max;
        } else {
            piece_len += word_len;
        }
        byte += word.len();
    }
    if piece_len > 0 {
        units.push(Unit { bytes: piece_byte..byte, chars: piece_char..piece_char + piece_len });
    }
}

/// Groups one segment's units into chunks and appends them to `chunks`.
fn group(
    doc: &Document,
    units: &[Unit],
    target: usize,
    max: usize,
    overlap: usize,
    location: &Location,
    chunks: &mut Vec<Chunk>,
) {
    let mut first = 0;
    while first < units.len() {
        let mut end = first + 1;
        while end < units.len() {
            let len = units[end - 1].chars.end - units[first].chars.start;
            let next_len = units[end].chars.end - units[first].chars.start;
            if len >= target || next_len > max {
                break;
            }
            end += 1;
        }
        push_trimmed(doc, &units[first], &units[end - 1], location, chunks);
        if end == units.len() {
            break;
        }
        // Step back `overlap` units, but always move forward by at least one.
        first = end.saturating_sub(overlap).max(first + 1);
    }
}

/// Pushes the chunk covering units `from..=to`, trimmed of whitespace at both edges; skips it
/// when nothing but whitespace is left.
fn push_trimmed(doc: &Document, from: &Unit, to: &Unit, location: &Location, chunks: &mut Vec<Chunk>) {
    let Some(raw) = doc.text.get(from.bytes.start..to.bytes.end) else {
        return;
    };
    let trimmed_start = raw.trim_start();
    let text = trimmed_start.trim_end();
    if text.is_empty() {
        return;
    }
    let lead = &raw[..raw.len() - trimmed_start.len()];
    let start = from.chars.start + lead.chars().count();
    let trail = &trimmed_start[text.len()..];
    let end = to.chars.end - trail.chars().count();
    chunks.push(Chunk {
        ordinal: chunks.len(),
        span: Span::new(start, end),
        location: location.clone(),
        text: text.to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Segment};

    fn doc(text: &str, segments: Vec<(Range<usize>, Location)>) -> Document {
        Document {
            ocr: Vec::new(),
            format: Format::Text,
            title: None,
            text: text.to_owned(),
            pages: None,
            segments: segments
                .into_iter()
                .map(|(bytes, location)| Segment { bytes, location, ocr_confidence: None })
                .collect(),
            tables: Vec::new(),
            warnings: Vec::new(),
            card: Default::default(),
        }
    }

    fn opts(target: usize, max: usize, overlap: usize) -> ChunkOptions {
        ChunkOptions { target_chars: target, max_chars: max, overlap_sentences: overlap }
    }

    /// The invariants every chunk list must satisfy, whatever the input.
    fn check(d: &Document, chunks: &[Chunk], max: usize) {
        let chars: Vec<char> = d.text.chars().collect();
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.ordinal, i);
            let span_text: String = chars[c.span.start..c.span.end].iter().collect();
            assert_eq!(span_text, c.text, "chunk {i}");
            assert!(!c.text.trim().is_empty());
            assert_eq!(c.text.trim(), c.text, "chunk {i} not trimmed");
            assert!(c.span.len() <= max, "chunk {i} is {} chars", c.span.len());
        }
    }

    #[test]
    fn multibyte_spans_are_char_offsets() {
        let text = "Grüße aus Köln. Ünïcødé ist schön! 日本語の文です。 Emoji 🎉 works. Last one.";
        let d = doc(text, vec![(0..text.len(), Location::Whole)]);
        for (target, max, overlap) in [(1, 1, 0), (10, 20, 1), (20, 40, 0), (30, 30, 2), (800, 1600, 1)] {
            let chunks = chunk(&d, &opts(target, max, overlap));
            check(&d, &chunks, max);
            assert!(!chunks.is_empty());
        }
        let chunks = chunk(&d, &opts(800, 1600, 1));
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, text);
        assert_eq!(chunks[0].span, Span::new(0, text.chars().count()));
    }

    #[test]
    fn grows_to_target_and_overlaps_one_sentence() {
        let text = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";
        let d = doc(text, vec![(0..text.len(), Location::Whole)]);
        let chunks = chunk(&d, &opts(25, 100, 1));
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "One two three. Four five six.",
                "Four five six. Seven eight nine.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
        let no_overlap = chunk(&d, &opts(25, 100, 0));
        let texts: Vec<&str> = no_overlap.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["One two three. Four five six.", "Seven eight nine. Ten eleven twelve."]);
    }

    #[test]
    fn never_crosses_segments_and_keeps_locations() {
        let text = "Page one text. More.\n\nPage two: ßß. Done.";
        let split = text.find("Page two").unwrap();
        let d = doc(
            text,
            vec![(0..split - 2, Location::Page { page: 1 }), (split..text.len(), Location::Page { page: 2 })],
        );
        let chunks = chunk(&d, &ChunkOptions::default());
        check(&d, &chunks, 1600);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].text, "Page one text. More.");
        assert_eq!(chunks[0].location, Location::Page { page: 1 });
        assert_eq!(chunks[1].text, "Page two: ßß. Done.");
        assert_eq!(chunks[1].location, Location::Page { page: 2 });
    }

    #[test]
    fn long_sentences_split_at_words_and_long_words_hard() {
        let sentence = "ä".repeat(10) + " " + &"wörd ".repeat(50) + &"x".repeat(95) + " end";
        let d = doc(&sentence, vec![(0..sentence.len(), Location::Whole)]);
        let chunks = chunk(&d, &opts(20, 30, 0));
        check(&d, &chunks, 30);
        assert!(chunks.iter().any(|c| c.text == "x".repeat(30)));
        // Every non-space char of the input is covered by some chunk, in order.
        let joined: String = chunks.iter().map(|c| c.text.replace(' ', "")).collect();
        assert_eq!(joined, sentence.replace(' ', ""));
    }

    #[test]
    fn whitespace_only_segments_and_blank_lines_yield_nothing_extra() {
        let text = "   \n\n  \t\nReal line.\n\n\n\nSecond line.\n  ";
        let d = doc(text, vec![(0..5, Location::Whole), (5..text.len(), Location::Whole)]);
        let chunks = chunk(&d, &opts(5, 100, 1));
        check(&d, &chunks, 100);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Real line.", "Second line."]);
    }

    #[test]
    fn degenerate_options_and_empty_docs() {
        let d = doc("", vec![]);
        assert!(chunk(&d, &ChunkOptions::default()).is_empty());
        let text = "Ab. Cd.";
        let d = doc(text, vec![]);
        let chunks = chunk(&d, &opts(0, 0, 5));
        check(&d, &chunks, 1);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["A", "b", ".", "C", "d", "."]);
    }

    #[test]
    fn large_document_is_linear() {
        // 800 pages of ~3,000 chars each; quadratic offset counting would take minutes here.
        let page = "Ünïcode sentence with some words in it. ".repeat(75);
        let mut text = String::new();
        let mut segments = Vec::new();
        for p in 1..=800u32 {
            let start = text.len();
            text.push_str(&page);
            segments.push((start..text.len() - 1, Location::Page { page: p }));
            text.push_str("\n\n");
        }
        let d = doc(&text, segments);
        let started = std::time::Instant::now();
        let chunks = chunk(&d, &ChunkOptions::default());
        assert!(started.elapsed().as_secs() < 5);
        assert!(chunks.len() > 1600);
        let last = chunks.last().unwrap();
        let total = text.chars().count();
        assert_eq!(last.span.end, total - 3);
        assert_eq!(last.location, Location::Page { page: 800 });
    }
}

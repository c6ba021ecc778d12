//! Layout repairs on a PDF page's text as poppler lays it out, before it is cleaned.
//!
//! Court transcripts and manuscripts under review number their lines in the margin. Poppler
//! draws each number into the text line beside it without a space ("13argument", "3MICHAEL"),
//! or gives it a line of its own, so the words next to it cannot be found and sentences are cut
//! by stray numbers. A margin column of line numbers shows up in the text as lines that start
//! with (or consist of) a number, where the numbers increase by one down the page; that run is
//! what [`drop_line_numbers`] looks for, and it removes those numbers only.

use std::borrow::Cow;

/// Fewest numbered lines that make a margin column: fewer could be a short numbered list.
const MIN_RUN: usize = 5;
/// A run whose numbers are all on lines of their own must be this long to be dropped, because
/// a short column of numbers alone (a table's row numbers) may be content.
const MIN_STANDALONE_RUN: usize = 10;
/// Most numbers a run may skip from one numbered line to the next (a number on an empty line
/// that poppler leaves out, or one it places elsewhere on the page).
const MAX_STEP: u32 = 3;
/// Candidates looked at per page; bounds the quadratic run search on pathological pages.
const MAX_CANDIDATES: usize = 2_000;
/// Longest line number, in digits.
const MAX_DIGITS: usize = 4;

/// A line that starts with a number that could be a margin line number.
#[derive(Clone, Copy)]
struct Candidate {
    /// Index of the line in the page.
    line: usize,
    /// The number.
    value: u32,
    /// Whether the number is the whole line (else it is glued to the text after it).
    standalone: bool,
}

/// Removes a margin column of line numbers from a page's text: lines that are only a number
/// of the column are dropped, and a number glued to the start of a line's text is cut off.
/// Text without such a column is returned unchanged (borrowed).
pub(crate) fn drop_line_numbers(page: &str) -> Cow<'_, str> {
    let lines: Vec<&str> = page.split('\n').collect();
    let candidates: Vec<Candidate> =
        lines.iter().enumerate().filter_map(|(i, line)| candidate(i, line)).take(MAX_CANDIDATES).collect();
    let run = longest_run(&candidates);
    if !is_margin_column(&run) {
        return Cow::Borrowed(page);
    }

    let mut out = String::with_capacity(page.len());
    let mut run = run.into_iter().peekable();
    let mut first = true;
    for (i, line) in lines.iter().enumerate() {
        let kept = match run.peek() {
            Some(c) if c.line == i => {
                let c = *c;
                run.next();
                if c.standalone { None } else { Some(strip_number(line)) }
            }
            _ => Some(*line),
        };
        if let Some(kept) = kept {
            if !first {
                out.push('\n');
            }
            out.push_str(kept);
            first = false;
        }
    }
    Cow::Owned(out)
}

/// The line's leading number, if the line is only that number or the number is glued to text
/// (no space between). A number followed by a space is left alone: that is how numbered lists,
/// headings and table rows read, while margin numbers never get a space from poppler. List
/// markers, decimals, times and the like ("1.", "2)", "3.5", "10:30") are not candidates.
fn candidate(line: usize, text: &str) -> Option<Candidate> {
    let text = text.trim_start();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    let (number, rest) = text.split_at(digits);
    let value = number.parse().ok()?;
    let after = rest.chars().next();
    let standalone = match after {
        None => true,
        Some(c) if c.is_whitespace() => {
            if rest.trim().is_empty() {
                true
            } else {
                return None;
            }
        }
        // "1.", "2)", "3:", "4.5", "10%", "1/2": list markers, numbers and fractions.
        Some('.' | ',' | ':' | ';' | '/' | ')' | ']' | '%') => return None,
        Some(_) => false,
    };
    Some(Candidate { line, value, standalone })
}

/// The longest chain of candidates, in page order, whose numbers increase by 1 to
/// [`MAX_STEP`] from one to the next.
fn longest_run(candidates: &[Candidate]) -> Vec<Candidate> {
    if candidates.is_empty() {
        return Vec::new();
    }
    // length[j]: longest chain ending at j; previous[j]: the chain's element before j.
    let mut length = vec![1usize; candidates.len()];
    let mut previous = vec![usize::MAX; candidates.len()];
    for j in 1..candidates.len() {
        for i in 0..j {
            let step = candidates[j].value.checked_sub(candidates[i].value);
            if step.is_some_and(|s| (1..=MAX_STEP).contains(&s)) && length[i] + 1 > length[j] {
                length[j] = length[i] + 1;
                previous[j] = i;
            }
        }
    }
    let mut at = (0..candidates.len()).max_by_key(|&j| (length[j], usize::MAX - j)).unwrap_or(0);
    let mut run = vec![candidates[at]];
    while previous[at] != usize::MAX {
        at = previous[at];
        run.push(candidates[at]);
    }
    run.reverse();
    run
}

/// Whether a run looks like a margin column: long enough, numbered mostly one by one, and
/// either glued to text on some lines or, when every number stands alone, long and without a
/// gap (a column of data values may increase too, but rarely one by one).
fn is_margin_column(run: &[Candidate]) -> bool {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return false;
    };
    if run.len() < MIN_RUN {
        return false;
    }
    // Mostly consecutive: no more than half as many numbers skipped as there are lines.
    let span = (last.value - first.value) as usize + 1;
    if span > run.len() + run.len() / 2 {
        return false;
    }
    let glued = run.iter().filter(|c| !c.standalone).count();
    glued >= 2 || (run.len() >= MIN_STANDALONE_RUN && span == run.len())
}

/// The line without its leading number.
fn strip_number(line: &str) -> &str {
    let text = line.trim_start();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    &text[digits..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_numbers_are_cut_from_words_and_dropped_alone() {
        let page = "Official - Subject to Final Review\n1\nIN THE SUPREME COURT\n2- - - x\n\
                    3MICHAEL A. KNOWLES,:\n4WARDEN,:\n5\n6\nPetitioner\n7ALEXANDRE MIRZAYANCE.\n\
                    8Washington, D.C.\n9\n11\n12\nThe above-entitled matter came on for oral\n13argument before the Court\n14at 1:01 p.m.";
        assert_eq!(
            drop_line_numbers(page),
            "Official - Subject to Final Review\nIN THE SUPREME COURT\n- - - x\nMICHAEL A. KNOWLES,:\n\
             WARDEN,:\nPetitioner\nALEXANDRE MIRZAYANCE.\nWashington, D.C.\nThe above-entitled matter came on for oral\n\
             argument before the Court\nat 1:01 p.m."
        );
    }

    #[test]
    fn text_without_a_margin_column_is_untouched() {
        for page in [
            "1 Introduction\n2 Related work\n3 Method\n4 Results\n5 Discussion\n6 Conclusion",
            "3D printing\n34th conference\n13b-chat model\n2ommer is\n10mg dose",
            "Rank\n1\n2\n3\n4\n5\nName",
            "Values: 3.5\n4.5\n5.5\n6.5\n7.5",
            "1) feature\n2) fix\n3) perf\n4) style\n5) refactor\n6) docs",
            "1.\n2.\n3.\n4.\n5.\n6.",
            "Counts\n0\n2\n3\n4\n5\n6\n7\n8\n9\n12\n14\n16",
            "",
        ] {
            assert!(matches!(drop_line_numbers(page), Cow::Borrowed(_)), "{page:?} changed");
        }
    }

    #[test]
    fn a_long_column_of_lone_numbers_is_dropped() {
        let numbers: Vec<String> = (88..100).map(|n| format!("{n:03}")).collect();
        let page = format!("{}\nWe propose a method\nthat works.", numbers.join("\n"));
        assert_eq!(drop_line_numbers(&page), "We propose a method\nthat works.");
    }

    #[test]
    fn pathological_pages_stay_bounded() {
        let page: String = (0..20_000).map(|n| format!("{}x\n", n % 7)).collect();
        let out = drop_line_numbers(&page);
        assert!(out.len() <= page.len());
    }
}

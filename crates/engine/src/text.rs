//! Text normalisation shared by MRFS, citation verdicts, conflict detection and the extractive
//! answerer. Everything here is deterministic and language-naive (English stop words), which is
//! what makes the verdicts reproducible and testable.

/// English function words that carry no evidence on their own. Kept short on purpose: content
/// words such as "first", "born" or "american" must survive, because answers are made of them.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
    "before", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "during", "each", "either",
    "for", "from", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "much", "must", "my", "neither",
    "nor", "not", "of", "on", "or", "other", "our", "ours", "out", "over", "own", "same", "shall", "she", "should",
    "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when",
    "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "would", "you", "your",
    "yours",
];

/// True for a (lowercase) stop word.
pub(crate) fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// Lowercase alphanumeric runs of `s`, unfiltered (`"Arthur's 1,844"` → `arthur s 1 844`).
pub(crate) fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// A crude plural fold so that "magazines" meets "magazine"; both sides of every comparison go
/// through it, so its mistakes ("bus" → "bu") cancel out.
fn stem(w: String) -> String {
    let n = w.chars().count();
    if n > 4 && w.ends_with("ies") {
        let mut s = w[..w.len() - 3].to_string();
        s.push('y');
        s
    } else if n > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
        && !w.chars().all(|c| c.is_ascii_digit() || c == 's')
    {
        w[..w.len() - 1].to_string()
    } else {
        w
    }
}

/// Content tokens: lowercase, punctuation stripped, stop words and single letters dropped,
/// plurals folded. Digits are kept even when single (`"3"` is an answer).
pub(crate) fn tokens(s: &str) -> Vec<String> {
    words(s)
        .into_iter()
        .filter(|w| !is_stop_word(w))
        .filter(|w| w.chars().count() > 1 || w.chars().all(|c| c.is_numeric()))
        .map(stem)
        .collect()
}

/// Splits text into sentences, returning byte ranges. A sentence ends at `.`, `!` or `?`
/// followed by whitespace and then an uppercase letter, digit or quote, unless the word before
/// the dot is a single letter, dotted initials or a common abbreviation ("J. R. R.", "A.P.I.",
/// "U.S.", "St.").
pub(crate) fn sentence_ranges(s: &str) -> Vec<(usize, usize)> {
    const ABBREV: &[&str] = &[
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "co", "inc", "ltd", "mt", "ft", "gen", "col", "lt",
        "sgt", "prof", "rev", "etc", "e.g", "i.e", "approx", "fig", "vol",
    ];
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '\n') {
            // Swallow closing quotes and brackets that belong to the sentence.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | '”' | '’' | ']') {
                j += 1;
            }
            let end = chars.get(j).map_or(s.len(), |&(p, _)| p);
            let next_is_space = j < chars.len() && chars[j].1.is_whitespace();
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() {
                k += 1;
            }
            let next_starts = k < chars.len()
                && (chars[k].1.is_uppercase()
                    || chars[k].1.is_numeric()
                    || matches!(chars[k].1, '"' | '“' | '\'' | '(' | '['));
            let word_before: String =
                s[start..pos].rsplit(|ch: char| ch.is_whitespace()).next().unwrap_or("").to_lowercase();
            let is_abbrev = c == '.'
                && (word_before.chars().count() == 1
                    || dotted(&word_before)
                    || ABBREV.contains(&word_before.trim_start_matches('(')));
            let breaks = c == '\n' || (next_is_space && next_starts && !is_abbrev) || j >= chars.len();
            if breaks {
                if !s[start..end].trim().is_empty() {
                    out.push(trim_range(s, start, end));
                }
                start = chars.get(k).map_or(s.len(), |&(p, _)| p);
                i = k;
                continue;
            }
        }
        i += 1;
    }
    if start < s.len() && !s[start..].trim().is_empty() {
        out.push(trim_range(s, start, s.len()));
    }
    out
}

fn trim_range(s: &str, start: usize, end: usize) -> (usize, usize) {
    let slice = &s[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    (start + lead, end - trail)
}

/// The sentences of `s` as slices.
pub(crate) fn sentences(s: &str) -> Vec<&str> {
    sentence_ranges(s).into_iter().map(|(a, b)| &s[a..b]).collect()
}

/// True when letters stand on both sides of an inner dot: initials or an abbreviation
/// ("a.p.i", "U.S.", "Ph.D.").
pub(crate) fn dotted(word: &str) -> bool {
    word.char_indices().any(|(i, c)| {
        c == '.'
            && word[..i].chars().last().is_some_and(char::is_alphabetic)
            && word[i + 1..].chars().next().is_some_and(char::is_alphabetic)
    })
}

/// Shortens `s` to at most `max` chars on a char boundary, adding `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// English month names, lowercase: dates in answers and words that are capitalised without
/// naming an entity.
pub(crate) const MONTHS: &[&str] = &[
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

/// English weekday names, lowercase: capitalised words that name no entity.
pub(crate) const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// True when a lowercase word is a month's name or its abbreviation ("dec", "sept", "march").
pub(crate) fn month_word(w: &str) -> bool {
    w.len() >= 3 && MONTHS.iter().any(|m| m.starts_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
    }

    #[test]
    fn tokens_normalise() {
        assert_eq!(
            tokens("The Beatles' magazines were founded in 1,844!"),
            ["beatle", "magazine", "founded", "1", "844"]
        );
    }

    #[test]
    fn sentences_respect_initials_and_abbreviations() {
        let s = "J. R. R. Tolkien wrote it. Dr. Smith agreed! Was it 1954? Yes.";
        assert_eq!(sentences(s), ["J. R. R. Tolkien wrote it.", "Dr. Smith agreed!", "Was it 1954?", "Yes."]);
    }
}

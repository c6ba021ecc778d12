//! Words of questions, headers and cells: tokens, light stemming and a few synonyms, so that
//! "revenues", "Revenue" and "sales" meet.

/// Words that never name a column or a value on their own.
const STOP: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "for", "to", "by", "and", "or", "is", "was", "are", "were", "be", "been",
    "what", "which", "who", "whom", "how", "many", "much", "when", "where", "did", "do", "does", "has", "have", "had",
    "with", "that", "this", "there", "their", "its", "it", "as", "from", "than", "per", "all", "each", "any", "no",
];

/// Groups of words that mean the same column.
const SYNONYMS: &[&[&str]] = &[
    &["revenue", "sale", "turnover"],
    &["country", "nation"],
    &["cost", "expense", "expenditure", "spending"],
    &["profit", "earning"],
    &["employee", "staff", "headcount", "worker"],
    &["amount", "value"],
    &["year", "yr"],
    &["pop", "population", "inhabitant"],
];

/// True for a stop word.
pub fn is_stop(w: &str) -> bool {
    STOP.contains(&w)
}

/// Lowercased alphanumeric runs.
pub fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| t.to_lowercase()).collect()
}

/// A light English stem: plural endings only, then the synonym group's first word.
pub fn stem(w: &str) -> String {
    let w = w.to_lowercase();
    let n = w.chars().count();
    let base = if n > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if n > 4 && (w.ends_with("ses") || w.ends_with("xes") || w.ends_with("ches") || w.ends_with("shes")) {
        w[..w.len() - 2].to_string()
    } else if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w[..w.len() - 1].to_string()
    } else {
        w
    };
    for group in SYNONYMS {
        if group.contains(&base.as_str()) {
            return group[0].to_string();
        }
    }
    base
}

/// Content-word stems of a text.
pub fn stems(s: &str) -> Vec<String> {
    tokens(s).iter().filter(|t| !is_stop(t)).map(|t| stem(t)).collect()
}

/// Lowercased text with punctuation turned to single spaces and padded with one space on each
/// side, so `" value "` finds whole-word phrases.
pub fn padded(s: &str) -> String {
    let mut out = String::from(" ");
    let mut space = true;
    let chars: Vec<char> = s.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        // `1,000` stays one number; `Paris, France` is two words.
        let grouping =
            ch == ',' && i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
        if ch.is_alphanumeric() || ch == '.' && !space || grouping {
            for l in ch.to_lowercase() {
                out.push(l);
            }
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    // A sentence's final full stop is punctuation, not part of a number.
    let trimmed = out.trim_end().trim_end_matches('.').to_string();
    format!("{trimmed} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_plurals_and_synonyms() {
        assert_eq!(stem("Revenues"), "revenue");
        assert_eq!(stem("sales"), "revenue");
        assert_eq!(stem("countries"), "country");
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("status"), "status");
        assert_eq!(padded("Total in 2019?"), " total in 2019 ");
        assert_eq!(padded("a 3.5 b."), " a 3.5 b ");
        assert_eq!(padded("over 1,000, Paris, France"), " over 1,000 paris france ");
    }
}

//! Turns whatever a person typed into a query string that tantivy's parser always accepts.
//!
//! Only two constructs survive: quoted phrases and plain words. Everything else in tantivy's
//! query language (`field:`, `AND`/`OR`/`NOT`, `+`/`-`, ranges, `*`, `^`, `~`, brackets) is
//! treated as text. Words are split exactly where the analyzer's `SimpleTokenizer` splits them
//! (at every non-alphanumeric char), so dropping punctuation here loses nothing the index could
//! have matched; and each word is emitted inside quotes so that operators typed as words (`AND`,
//! `IN`, `TO`) are searched for rather than parsed.

/// Longer queries are cut: a pasted page of text would otherwise become a disjunction of hundreds
/// of terms and blow the latency budget, while its first words already find the source.
const MAX_WORDS: usize = 100;

/// Straight and typographic double quotes all open and close a phrase: desktop text fields often
/// turn `"` into `“`/`”` as people type.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}')
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

struct Builder {
    out: String,
    budget: usize,
}

impl Builder {
    fn push_words(&mut self, text: &str) {
        for word in words(text) {
            if self.budget == 0 {
                return;
            }
            // What is left of a possessive or a contraction ("politician's", "don't") matches
            // every other possessive in the library and nothing the person asked about.
            if word.eq_ignore_ascii_case("s") || word.eq_ignore_ascii_case("t") {
                continue;
            }
            self.budget -= 1;
            self.open_clause();
            self.out.push_str(word);
            self.out.push('"');
        }
    }

    fn push_phrase(&mut self, text: &str) {
        let mut opened = false;
        for word in words(text) {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            if opened {
                self.out.push(' ');
            } else {
                self.open_clause();
                opened = true;
            }
            self.out.push_str(word);
        }
        if opened {
            self.out.push('"');
        }
    }

    fn open_clause(&mut self) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        self.out.push('"');
    }
}

/// Rewrites `input` as space-separated quoted clauses: balanced quotes become phrases, the text
/// after an unbalanced quote becomes plain words. Returns an empty string when nothing searchable
/// is left.
pub fn sanitize(input: &str) -> String {
    let mut b = Builder { out: String::new(), budget: MAX_WORDS };
    let mut rest = input;
    loop {
        let Some((open, q)) = rest.char_indices().find(|&(_, c)| is_quote(c)) else {
            b.push_words(rest);
            break;
        };
        b.push_words(&rest[..open]);
        let inside = &rest[open + q.len_utf8()..];
        let Some((close, q)) = inside.char_indices().find(|&(_, c)| is_quote(c)) else {
            b.push_words(inside);
            break;
        };
        b.push_phrase(&inside[..close]);
        rest = &inside[close + q.len_utf8()..];
    }
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_words_and_phrases_only() {
        let cases = [
            ("", ""),
            ("   ", ""),
            ("-", ""),
            ("*", ""),
            ("hello world", r#""hello" "world""#),
            (r#"say "exact phrase" now"#, r#""say" "exact phrase" "now""#),
            (r#""unbalanced quote"#, r#""unbalanced" "quote""#),
            (r#"a "b c" "d"#, r#""a" "b c" "d""#),
            ("“smart quotes” work", r#""smart quotes" "work""#),
            ("title:foo C++: what", r#""title" "foo" "C" "what""#),
            ("AND", r#""AND""#),
            ("[1 TO 5] foo^2 bar~1", r#""1" "TO" "5" "foo" "2" "bar" "1""#),
            (r#""" "  " x"#, r#""x""#),
            ("state-of-the-art", r#""state" "of" "the" "art""#),
            ("naïve 東京", r#""naïve" "東京""#),
            (r#"back\slash \"x"#, r#""back" "slash" "x""#),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
    }

    #[test]
    fn caps_the_number_of_words() {
        let long = "word ".repeat(MAX_WORDS * 3);
        assert_eq!(sanitize(&long).matches("word").count(), MAX_WORDS);
        let phrase = format!("\"{}\"", long);
        assert_eq!(sanitize(&phrase).matches("word").count(), MAX_WORDS);
    }
}

//! The reader: finds the sentence of the retrieved passages that answers a question, the short
//! answer inside it, and whether the passages cover the question at all. No model: everything
//! here is word statistics over the passages themselves and answer-type patterns.
//!
//! **Sentences.** Passage text comes from PDFs as often as not, so [`sentences`] reads it the way
//! a person does: a line break inside a paragraph is a space, a word hyphenated at a line end is
//! joined (`infor-\nmation` → `information`), a blank line, a list item (`•`, `-`, `1.`, `(a)`)
//! or a short heading line starts a new sentence, and a full stop after an abbreviation (`Dr.`,
//! `U.S.`, `Fig.`, `No. 5`, `et al.`), an initial or inside a decimal ends nothing. Every
//! sentence keeps the char position in the passage of each of its chars, so a short answer can be
//! pointed at in the source.
//!
//! **The answering sentence** ([`read`]). Question words are compared through a light stemmer
//! (`designed` meets `designer`). Each question term is weighted by how rare it is among the
//! sentences of the retrieved passages (an IDF computed from the passages themselves). A
//! sentence scores the weighted share of question terms it holds, plus a smaller share for its
//! passage (title included), the share of the question's named things (capitalised spans,
//! quoted titles, numbers) it mentions, how close together its matches are, and, when the
//! question asks for a kind of answer (a person, a date, an amount…), whether it holds one that
//! the question does not already state.
//!
//! **The short answer.** The question's wording picks the expected type ([`Expect`]): a person
//! or organisation (`who`), a date (`when`, `what date`), a year, an amount of money (`how
//! much … cost`), a percentage, a quantity with its unit (`how many`, `how long`), a place
//! (`where`, `which city`), a name (`which …`), a list (`what are the …`), an identifier (an
//! arXiv id, a DOI, an ISBN, a docket number) or a time of day. Candidates of that
//! type are found in the sentence by pattern; one that repeats the question is never the answer;
//! the closest to the matched question words wins.
//!
//! **Coverage** ([`covers`]). The passages cover a question when one passage mentions each of the
//! question's named things (at least two thirds of each name's words; all but one of three or
//! more names) and, for a question with no named thing, holds at least half of its terms by
//! weight, or when a sentence is close enough in meaning to the question (with an embedding
//! model: see [`SentenceSims`]). A question whose named thing no
//! passage mentions is not answered from an unrelated passage that shares its other words.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::heuristic;
use crate::run::EvidenceRecord;
use crate::text;

/// Share of a question's terms (by weight) one passage must hold when the question names nothing.
const COVERAGE: f64 = 0.5;
/// Share of a named thing's words a passage must hold to mention it.
const NAME_SHARE: f64 = 0.66;
/// A name is given as the short answer only when the next different name fits at least this
/// much less.
const AMBIGUOUS: f64 = 0.1;
/// Bonus of a sentence holding a candidate of the expected answer type.
const TYPE_BONUS: f64 = 0.5;
/// Weight of a sentence's similarity in meaning to the question (when the library has an
/// embedding model).
const SEM_WEIGHT: f64 = 1.0;
/// A sentence this close in meaning is read even when it shares no word with the question.
const SEM_FLOOR: f32 = 0.3;
/// A question that names nothing is covered by a sentence this close in meaning.
const SEM_COVER: f32 = 0.58;
/// Share of a question's terms besides its names (by weight) that one sentence, with its
/// neighbours and its passage's title, must hold.
const TERM_COVER: f64 = 0.1;
/// Sentences on each side of a sentence read with it when judging coverage.
const WINDOW: usize = 1;
/// A question whose named things no passage mentions is covered only by a sentence this close
/// in meaning (the thing may go by another name: "the Holy See" for "Vatican City").
const SEM_COVER_NAMED: f32 = 0.64;

/// Similarities in meaning between one question and the sentences of its passages:
/// `(evidence id, sentence index in [`sentences`] of its text)` → cosine.
pub(crate) type SentenceSims = HashMap<(u32, usize), f32>;

/// A sentence of a passage, as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sentence {
    /// The sentence with line breaks read as spaces and hyphenated line ends joined.
    pub text: String,
    /// For each char of `text`, the index of the char of the passage it came from.
    map: Vec<usize>,
}

impl Sentence {
    /// The passage char range `[start, end)` of this sentence's chars `[a, b)`.
    pub fn passage_span(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        if a >= b {
            return None;
        }
        Some((*self.map.get(a)?, *self.map.get(b - 1)? + 1))
    }

    /// The passage char range of the whole sentence.
    #[cfg(test)]
    pub fn span(&self) -> Option<(usize, usize)> {
        self.passage_span(0, self.map.len())
    }
}

/// Words that end in a full stop without ending the sentence.
const ABBREVIATIONS: &[&str] = &[
    "al", "approx", "apr", "art", "assn", "aug", "ave", "bros", "ca", "cf", "ch", "chap", "co", "col", "corp", "dec",
    "dept", "dr", "ed", "eds", "eq", "eqs", "esp", "est", "etc", "feb", "fig", "figs", "ft", "gen", "gov", "hon",
    "inc", "jan", "jr", "jul", "jun", "lt", "ltd", "mar", "messrs", "mr", "mrs", "ms", "mt", "nov", "oct", "op", "p",
    "pp", "para", "prof", "pt", "ref", "refs", "rep", "rev", "sec", "sen", "sep", "sept", "sgt", "sr", "st", "supp",
    "tab", "univ", "viz", "vol", "vols", "vs",
];

/// Abbreviations that only hold before a number (`No. 5`, otherwise the word "no") or after a
/// word that numbers things.
const NUMBER_ABBREVIATIONS: &[&str] = &["no", "nos", "nr"];
/// Words after which `No.` numbers whatever follows (`Docket No. FAA-2020-0686`).
const NUMBERED_THINGS: &[&str] = &[
    "docket",
    "case",
    "file",
    "serial",
    "account",
    "reference",
    "registration",
    "patent",
    "contract",
    "order",
    "bill",
];

/// Lowercase words after which a line break never ends a heading.
const CONNECTORS: &[&str] =
    &["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"];

fn is_bullet(c: char) -> bool {
    matches!(c, '•' | '▪' | '●' | '◦' | '■' | '□' | '‣' | '∙' | '·')
}

/// True when a line starts a list item: a bullet, a dash, `1.`, `1)`, `(a)`, `a)`.
fn starts_list_item(line: &[char]) -> bool {
    let Some(&first) = line.first() else { return false };
    if is_bullet(first) || (matches!(first, '-' | '*' | '–' | '—') && line.get(1).is_some_and(|c| c.is_whitespace()))
    {
        return true;
    }
    let word: String = line.iter().take_while(|c| !c.is_whitespace()).collect();
    let bare = word.trim_start_matches('(');
    let marker = bare.trim_end_matches(['.', ')']);
    let closed = bare.len() > marker.len();
    let numbered = !marker.is_empty() && marker.len() <= 3 && marker.chars().all(|c| c.is_ascii_digit());
    let lettered = marker.chars().count() == 1
        && marker.chars().all(|c| c.is_ascii_lowercase())
        && (word.starts_with('(') || bare.ends_with(')'));
    closed && (numbered || lettered) && line.len() > word.chars().count()
}

/// The normalised stream of a passage: `(char, passage index)`, `'\n'` marking a hard break.
fn normalise(passage: &str) -> Vec<(char, usize)> {
    let chars: Vec<char> = passage.chars().collect();
    // Lines as char ranges, trimmed.
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 0..=chars.len() {
        if i == chars.len() || chars[i] == '\n' {
            let (mut a, mut b) = (start, i);
            while a < b && chars[a].is_whitespace() {
                a += 1;
            }
            while b > a && chars[b - 1].is_whitespace() {
                b -= 1;
            }
            lines.push((a, b));
            start = i + 1;
        }
    }
    let longest = lines.iter().map(|(a, b)| b - a).max().unwrap_or(0);
    let mut out: Vec<(char, usize)> = Vec::new();
    let mut prev: Option<(usize, usize)> = None;
    for &(a, b) in &lines {
        if a == b {
            if out.last().is_some_and(|l| l.0 != '\n') {
                out.push(('\n', a.saturating_sub(1)));
            }
            prev = None;
            continue;
        }
        let line = &chars[a..b];
        if let Some((pa, pb)) = prev {
            let p = &chars[pa..pb];
            let last = p[p.len() - 1];
            let before = p.len().checked_sub(2).map(|i| p[i]);
            let last_word: String =
                p.iter().rev().take_while(|c| !c.is_whitespace()).collect::<String>().chars().rev().collect();
            // A row of figures (`TRAIN FARE 618.00`) followed by another row.
            let row = last.is_ascii_digit() && line[0].is_uppercase();
            let heading = longest >= 30
                && p.len() * 2 < longest
                && !matches!(last, ',' | ';' | ':' | '-' | '(' | '.' | '!' | '?')
                && !CONNECTORS.contains(&last_word.to_lowercase().as_str())
                && line[0].is_uppercase();
            if starts_list_item(line) || heading || row {
                out.push(('\n', a.saturating_sub(1)));
            } else if last == '-' && before.is_some_and(char::is_alphabetic) && line[0].is_lowercase() {
                out.pop();
            } else {
                out.push((' ', a.saturating_sub(1)));
            }
        }
        let mut space = false;
        for (k, &c) in line.iter().enumerate() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space {
                out.push((' ', a + k - 1));
                space = false;
            }
            out.push((c, a + k));
        }
        prev = Some((a, b));
    }
    out
}

/// True when the full stop at `dot` (an index into `stream`) ends no sentence.
fn abbreviation(stream: &[(char, usize)], dot: usize, next: Option<char>) -> bool {
    let mut s = dot;
    while s > 0 && !stream[s - 1].0.is_whitespace() && stream[s - 1].0 != '\n' {
        s -= 1;
    }
    let word: String = stream[s..dot].iter().map(|x| x.0).collect();
    let word = word.trim_start_matches(['(', '"', '“', '[', '\'']).to_lowercase();
    let n = word.chars().count();
    if n == 1 && word.chars().all(char::is_alphabetic) {
        return true;
    }
    // U.S., e.g., Ph.D.: letters around an inner dot.
    if text::dotted(&word) {
        return true;
    }
    if ABBREVIATIONS.contains(&word.as_str()) {
        return true;
    }
    if !NUMBER_ABBREVIATIONS.contains(&word.as_str()) {
        return false;
    }
    // `No. 5`, and `Docket No. FAA-2020-0686`: after a word that numbers things, any token.
    let mut e = s;
    while e > 0 && stream[e - 1].0.is_whitespace() {
        e -= 1;
    }
    let mut b = e;
    while b > 0 && stream[b - 1].0.is_alphabetic() {
        b -= 1;
    }
    let before: String = stream[b..e].iter().map(|x| x.0).collect::<String>().to_lowercase();
    next.is_some_and(|c| c.is_ascii_digit()) || NUMBERED_THINGS.contains(&before.as_str())
}

/// The sentences of a passage (see the module docs).
pub(crate) fn sentences(passage: &str) -> Vec<Sentence> {
    let stream = normalise(passage);
    let mut out = Vec::new();
    let mut start = 0;
    let push = |a: usize, b: usize, out: &mut Vec<Sentence>| {
        let part = &stream[a..b];
        let first = part.iter().position(|x| !x.0.is_whitespace());
        let last = part.iter().rposition(|x| !x.0.is_whitespace());
        if let (Some(f), Some(l)) = (first, last) {
            let part = &part[f..=l];
            out.push(Sentence { text: part.iter().map(|x| x.0).collect(), map: part.iter().map(|x| x.1).collect() });
        }
    };
    let mut i = 0;
    while i < stream.len() {
        let c = stream[i].0;
        if c == '\n' {
            push(start, i, &mut out);
            start = i + 1;
        } else if is_bullet(c) && i > start && stream[i - 1].0 == ' ' {
            push(start, i, &mut out);
            start = i;
        } else if matches!(c, '.' | '!' | '?') {
            let mut j = i + 1;
            while j < stream.len() && matches!(stream[j].0, '"' | '\'' | ')' | '”' | '’' | ']') {
                j += 1;
            }
            let spaced = j < stream.len() && stream[j].0 == ' ';
            let next = stream.get(j + 1).map(|x| x.0);
            let starts = next.is_some_and(|n| {
                n.is_uppercase() || n.is_numeric() || matches!(n, '"' | '“' | '\'' | '(' | '[' | '‘') || is_bullet(n)
            });
            if spaced && starts && !(c == '.' && abbreviation(&stream, i, next)) {
                push(start, j, &mut out);
                start = j + 1;
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    push(start, stream.len(), &mut out);
    out
}

/// A light stemmer for matching question words with passage words (`designed`, `designer`,
/// `designs` → `design`). Only used to compare, never shown.
pub(crate) fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    const SUFFIXES: &[&str] = &[
        "ational", "ations", "ation", "ities", "ments", "ment", "ings", "ing", "ions", "ion", "edly", "ers", "er",
        "ed", "ies", "ial", "es", "ly", "s",
    ];
    if w.chars().any(|c| c.is_ascii_digit()) {
        return w;
    }
    let mut out = w.clone();
    for s in SUFFIXES {
        if let Some(base) = w.strip_suffix(s)
            && base.chars().count() >= 4
        {
            out = if *s == "ies" { format!("{base}y") } else { base.to_string() };
            break;
        }
    }
    // A final e goes too, so that "magazine" meets "magazines" (→ magazin) and "table" "tables".
    match out.strip_suffix('e') {
        Some(base) if base.chars().count() >= 4 => base.to_string(),
        _ => out,
    }
}

/// Words of a text with their char ranges: `(start, end, lowercase word)`.
fn word_spans(s: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut begin = 0;
    let mut n = 0;
    for (i, c) in s.chars().enumerate() {
        n = i + 1;
        if c.is_alphanumeric() {
            if cur.is_empty() {
                begin = i;
            }
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push((begin, i, std::mem::take(&mut cur)));
        }
    }
    if !cur.is_empty() {
        out.push((begin, n, cur));
    }
    out
}

/// Content words a question uses to ask, not to say what it is about.
const ASKING_WORDS: &[&str] = &[
    "amount",
    "called",
    "date",
    "day",
    "far",
    "kind",
    "long",
    "many",
    "month",
    "name",
    "named",
    "number",
    "old",
    "percent",
    "percentage",
    "proportion",
    "share",
    "tall",
    "time",
    "type",
    "year",
    "years",
];

/// Content stems of a text (stop words and single letters out; digits kept).
fn stems(s: &str) -> Vec<String> {
    text::words(s)
        .into_iter()
        .filter(|w| !text::is_stop_word(w))
        .filter(|w| w.chars().count() > 1 || w.chars().all(char::is_numeric))
        .map(|w| stem(&w))
        .collect()
}

/// What kind of short answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A person or an organisation (`who`).
    Person,
    /// A date, or failing that a year (`when`, `what date`).
    Date,
    /// A year.
    Year,
    /// An amount of money.
    Money,
    /// A percentage.
    Percent,
    /// A number, with its unit when there is one.
    Quantity,
    /// A place.
    Place,
    /// A name of anything (`which …`, `what … called`).
    Name,
    /// Several items.
    List,
    /// An identifier: an arXiv id, a DOI, an ISBN, a docket number.
    Identifier,
    /// A time of day.
    Time,
}

/// Words that ask for an identifier.
const IDENTIFIER_WORDS: &[&str] = &["arxiv", "doi", "isbn", "issn", "identifier", "docket"];

const MONEY_WORDS: &[&str] = &[
    "budget",
    "charge",
    "charged",
    "cost",
    "costs",
    "earn",
    "earned",
    "earnings",
    "expenditure",
    "expense",
    "expenses",
    "fare",
    "fee",
    "fees",
    "fine",
    "income",
    "paid",
    "pay",
    "price",
    "profit",
    "revenue",
    "salary",
    "sales",
    "spend",
    "spent",
    "worth",
];
const PLACE_NOUNS: &[&str] = &[
    "city", "country", "county", "district", "island", "location", "nation", "place", "province", "region", "state",
    "town", "village",
];
const PERSON_NOUNS: &[&str] = &[
    "agency",
    "author",
    "company",
    "firm",
    "institution",
    "organisation",
    "organization",
    "person",
    "publisher",
    "university",
];

/// The answer type a question asks for, if any.
pub(crate) fn expect(question: &str) -> Option<Expect> {
    let w = text::words(question);
    let has = |x: &str| w.iter().any(|y| y == x);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    let after = |a: &str| w.windows(2).find(|p| p[0] == a).map(|p| p[1].as_str());
    // The asking word is the first wh-word: "the woman who portrayed …" asks nothing.
    let first = w
        .iter()
        .map(String::as_str)
        .find(|x| matches!(*x, "who" | "whom" | "whose" | "what" | "which" | "when" | "where" | "how"))
        .unwrap_or("");
    let wh_noun = match first {
        "which" | "what" => after(first),
        _ => None,
    };
    if w.iter().any(|x| IDENTIFIER_WORDS.contains(&x.as_str()))
        || pair("docket", "no")
        || pair("docket", "number")
        || pair("identifier", "of")
    {
        return Some(Expect::Identifier);
    }
    if pair("what", "time") || pair("which", "time") || (pair("how", "late") || pair("how", "early")) {
        return Some(Expect::Time);
    }
    if has("percentage") || has("percent") || pair("what", "share") || pair("what", "proportion") {
        return Some(Expect::Percent);
    }
    if pair("how", "much") {
        let next = w.windows(3).find(|p| p[0] == "how" && p[1] == "much").map(|p| p[2].as_str());
        let money = next.is_none_or(|n| text::is_stop_word(n) || n == "money")
            || w.iter().any(|x| MONEY_WORDS.contains(&x.as_str()));
        return Some(if money { Expect::Money } else { Expect::Quantity });
    }
    if wh_noun.is_some_and(|n| MONEY_WORDS.contains(&n))
        || (has("what")
            && w.iter().any(|x| matches!(x.as_str(), "cost" | "price" | "fare" | "fee" | "salary" | "budget")))
    {
        return Some(Expect::Money);
    }
    if (pair("how", "many")
        || w.windows(2).any(|p| {
            p[0] == "how"
                && matches!(
                    p[1].as_str(),
                    "long"
                        | "far"
                        | "tall"
                        | "old"
                        | "big"
                        | "large"
                        | "heavy"
                        | "high"
                        | "deep"
                        | "wide"
                        | "fast"
                        | "often"
                )
        }))
        || pair("number", "of")
        || pair("what", "size")
    {
        return Some(Expect::Quantity);
    }
    if wh_noun.is_some_and(|n| n == "year") || pair("what", "year") || pair("which", "year") {
        return Some(Expect::Year);
    }
    if first == "when" || wh_noun.is_some_and(|n| matches!(n, "date" | "day")) || pair("what", "date") {
        return Some(Expect::Date);
    }
    if matches!(first, "who" | "whom" | "whose") || wh_noun.is_some_and(|n| PERSON_NOUNS.contains(&n)) {
        return Some(Expect::Person);
    }
    if first == "where" || wh_noun.is_some_and(|n| PLACE_NOUNS.contains(&n)) {
        return Some(Expect::Place);
    }
    if (pair("what", "are") || pair("what", "were") || has("list") || pair("name", "the")) && !pair("what", "is") {
        return Some(Expect::List);
    }
    if first == "which" || has("called") || pair("what", "name") {
        return Some(Expect::Name);
    }
    None
}

/// A question prepared for reading.
pub(crate) struct Question {
    /// Content stems that say what the question is about.
    terms: Vec<String>,
    /// Named things (capitalised spans, quoted titles, numbers), as stems.
    names: Vec<Vec<String>>,
    /// The expected answer type.
    pub expect: Option<Expect>,
    /// Every stem of the question (a short answer must say something else).
    all: HashSet<String>,
    /// `how many X`: X's stem.
    focus: Option<String>,
    /// The terms a table row must hold one of to answer: neither names nor words that say how to
    /// compute (see [`row_answers`]).
    row_terms: Vec<String>,
}

impl Question {
    /// Reads a question.
    pub fn new(question: &str) -> Question {
        let expect = expect(question);
        let all: HashSet<String> = stems(question).into_iter().collect();
        let mut terms: Vec<String> = Vec::new();
        for t in stems(question) {
            if !ASKING_WORDS.contains(&t.as_str()) && !terms.contains(&t) {
                terms.push(t);
            }
        }
        let mut names: Vec<Vec<String>> = Vec::new();
        let trimmed = question.trim_start();
        for (i, span) in heuristic::capitalised_spans(question).iter().enumerate() {
            let single = !span.contains(' ');
            if i == 0 && single && trimmed.starts_with(span.as_str()) {
                continue;
            }
            let s: Vec<String> = stems(span).into_iter().filter(|t| !ASKING_WORDS.contains(&t.as_str())).collect();
            let calendar = s.iter().all(|t| text::MONTHS.contains(&t.as_str()));
            if !s.is_empty() && !calendar && !names.contains(&s) {
                names.push(s);
            }
        }
        for (_, _, w) in word_spans(question) {
            if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) && !names.iter().any(|n| n.contains(&w)) {
                names.push(vec![w]);
            }
        }
        let words = text::words(question);
        let focus = words
            .windows(3)
            .find(|p| p[0] == "how" && p[1] == "many")
            .map(|p| stem(&p[2]))
            .or_else(|| words.windows(3).find(|p| p[0] == "number" && p[1] == "of").map(|p| stem(&p[2])));
        let name_stems: HashSet<&String> = names.iter().flatten().collect();
        let row_terms =
            terms.iter().filter(|t| !name_stems.contains(t) && !TABLE_GENERIC.contains(*t)).cloned().collect();
        Question { terms, names, expect, all, focus, row_terms }
    }

    /// True when the question has nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.names.is_empty()
    }
}

/// A passage's sentences and stems, prepared once.
struct Prepared<'a> {
    evidence: &'a EvidenceRecord,
    rank: usize,
    sentences: Vec<Sentence>,
    /// Stems of each sentence.
    sentence_stems: Vec<HashSet<String>>,
    /// Stems of the title.
    title: HashSet<String>,
    /// Stems of the title and the whole text.
    all: HashSet<String>,
}

fn prepare<'a>(refs: &[&'a EvidenceRecord]) -> Vec<Prepared<'a>> {
    refs.iter()
        .enumerate()
        .map(|(rank, e)| {
            let sentences = sentences(&e.text);
            let sentence_stems: Vec<HashSet<String>> =
                sentences.iter().map(|s| stems(&s.text).into_iter().collect()).collect();
            let title: HashSet<String> = stems(&e.title).into_iter().collect();
            let mut all = title.clone();
            for s in &sentence_stems {
                all.extend(s.iter().cloned());
            }
            Prepared { evidence: e, rank, sentences, sentence_stems, title, all }
        })
        .collect()
}

/// IDF-like weights of the question's terms over the passages' sentences.
fn weights(q: &Question, passages: &[Prepared]) -> HashMap<String, f64> {
    let n: usize = passages.iter().map(|p| p.sentences.len()).sum();
    q.terms
        .iter()
        .chain(q.names.iter().flatten())
        .map(|t| {
            let df = passages.iter().flat_map(|p| &p.sentence_stems).filter(|s| s.contains(t)).count();
            (t.clone(), (1.0 + (n as f64 + 1.0) / (df as f64 + 0.5)).ln())
        })
        .collect()
}

/// Whether enough of a question's named things are mentioned: each of one or two, all but one
/// of three or more (a long question's aside — "a Canadian-American actress" — may be worded
/// otherwise in the passage that answers it).
fn names_found(names: &[Vec<String>], stems: &HashSet<String>) -> bool {
    let found = names.iter().filter(|n| name_found(n, stems)).count();
    let needed = if names.len() <= 2 { names.len() } else { names.len() - 1 };
    found >= needed
}

fn name_found(name: &[String], stems: &HashSet<String>) -> bool {
    let found = name.iter().filter(|t| stems.contains(*t)).count();
    found as f64 >= (name.len() as f64 * NAME_SHARE).max(1.0) - 1e-9
}

fn weighted_share(terms: &[String], w: &HashMap<String, f64>, stems: &HashSet<String>) -> f64 {
    let total: f64 = terms.iter().map(|t| w.get(t).copied().unwrap_or(1.0)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    terms.iter().filter(|t| stems.contains(*t)).map(|t| w.get(t).copied().unwrap_or(1.0)).sum::<f64>() / total
}

/// Whether the passages cover what the question asks (see the module docs).
#[cfg(test)]
pub(crate) fn covers(question: &str, refs: &[&EvidenceRecord]) -> bool {
    covers_with(question, refs, None)
}

/// How well passages support a question: what [`covers_with`] decides on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Support {
    /// Enough of the question's named things are mentioned, in one passage or across them.
    pub names: bool,
    /// The best weighted share of the question's other terms held by one sentence with its
    /// neighbours and its passage's title (in a passage that mentions the names, when one does).
    pub terms: f64,
    /// Whether the question has terms besides its names.
    pub has_terms: bool,
    /// The closest sentence in meaning (cosine), when the library has an embedding model.
    pub meaning: Option<f32>,
}

/// Measures how well `refs` support `question` (see [`Support`]).
pub(crate) fn support(question: &str, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>) -> Support {
    support_in(question, refs, sims, true)
}

/// [`support`]; `named_only`: the terms are looked for only in passages that mention the names
/// (when one does), as one step's answer must; a chain's parts may answer in different passages.
fn support_in(question: &str, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>, named_only: bool) -> Support {
    let q = Question::new(question);
    let passages = prepare(refs);
    let w = weights(&q, &passages);
    let named: Vec<&Prepared> = passages.iter().filter(|p| names_found(&q.names, &p.all)).collect();
    let union: HashSet<String> = passages.iter().flat_map(|p| p.all.iter().cloned()).collect();
    let names = !named.is_empty() || (!q.names.is_empty() && names_found(&q.names, &union));
    let name_stems: HashSet<&String> = q.names.iter().flatten().collect();
    let others: Vec<String> = q.terms.iter().filter(|t| !name_stems.contains(t)).cloned().collect();
    let pool: Vec<&Prepared> = if named.is_empty() || !named_only { passages.iter().collect() } else { named };
    let mut terms: f64 = 0.0;
    for p in &pool {
        for si in 0..p.sentences.len() {
            let mut window: HashSet<String> = p.title.clone();
            for sj in si.saturating_sub(WINDOW)..=(si + WINDOW).min(p.sentences.len() - 1) {
                window.extend(p.sentence_stems[sj].iter().cloned());
            }
            terms = terms.max(weighted_share(&others, &w, &window));
        }
    }
    let meaning = sims.and_then(|m| {
        refs.iter().flat_map(|e| m.iter().filter(move |((id, _), _)| *id == e.id).map(|(_, c)| *c)).reduce(f32::max)
    });
    Support { names, terms, has_terms: !others.is_empty(), meaning }
}

/// Whether a chain of steps' passages together cover a question: as [`covers_with`] (without
/// similarities), except that the question's terms may be held by any of the passages, not only
/// by one that mentions its names (the hop's passage says where the company the first step found
/// has its head office).
pub(crate) fn chain_covers(question: &str, refs: &[&EvidenceRecord]) -> bool {
    if refs.is_empty() {
        return false;
    }
    if Question::new(question).is_empty() {
        return true;
    }
    let s = support_in(question, refs, None, false);
    s.names && (!s.has_terms || s.terms >= TERM_COVER)
}

/// [`covers`], where a sentence close enough in meaning to the question (`sims`) also covers it.
pub(crate) fn covers_with(question: &str, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>) -> bool {
    if refs.is_empty() {
        return false;
    }
    if Question::new(question).is_empty() {
        return true;
    }
    let s = support(question, refs, sims);
    let close = |needed: f32| s.meaning.is_some_and(|c| c >= needed);
    if !s.names {
        return close(SEM_COVER_NAMED);
    }
    !s.has_terms || s.terms >= TERM_COVER || close(SEM_COVER)
}

fn passage_covers(q: &Question, w: &HashMap<String, f64>, p: &Prepared) -> bool {
    if !names_found(&q.names, &p.all) {
        return false;
    }
    if !q.names.is_empty() {
        return true;
    }
    weighted_share(&q.terms, w, &p.all) >= COVERAGE
}

/// A candidate short answer: char range in the sentence text and how well it fits.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    start: usize,
    end: usize,
    fit: f64,
}

/// What the reader found for a question.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading {
    /// The evidence holding the sentence.
    pub evidence_id: u32,
    /// The answering sentence, as a reader sees it.
    pub sentence: String,
    /// The sentence's score (higher is better).
    pub score: f64,
    /// The short answer and its char span in the evidence text.
    pub short: Option<(String, [usize; 2])>,
    /// Whether the evidence covers the question.
    pub covered: bool,
}

/// The best answering sentence for `question` among `refs` (ranked best first), with its short
/// answer. `None` when no sentence shares a word with the question.
pub(crate) fn read(question: &str, refs: &[&EvidenceRecord]) -> Option<Reading> {
    read_as(Question::new(question), refs, None)
}

/// [`read`], with the sentences' similarities in meaning to the question.
pub(crate) fn read_with(question: &str, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>) -> Option<Reading> {
    read_as(Question::new(question), refs, sims)
}

/// [`read`] for one side of a comparison: the answer is one of the things compared, so no type
/// is expected and no short answer is looked for.
pub(crate) fn read_untyped(question: &str, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>) -> Option<Reading> {
    let mut q = Question::new(question);
    q.expect = None;
    read_as(q, refs, sims)
}

fn read_as(q: Question, refs: &[&EvidenceRecord], sims: Option<&SentenceSims>) -> Option<Reading> {
    let passages = prepare(refs);
    let w = weights(&q, &passages);
    let mut best: Option<(f64, usize, usize)> = None;
    for (pi, p) in passages.iter().enumerate() {
        let context = weighted_share(&q.terms, &w, &p.all);
        let covered = passage_covers(&q, &w, p);
        // What the title says is what every sentence of the passage is about.
        let about: Vec<&String> =
            q.terms.iter().chain(q.names.iter().flatten()).filter(|t| p.title.contains(*t)).collect();
        for (si, s) in p.sentences.iter().enumerate() {
            // A lone initial or letter on its own line ("O.", "A.") says nothing, whatever it
            // shares with the question's names.
            if !p.sentence_stems[si].iter().any(|t| t.chars().filter(|c| c.is_alphanumeric()).count() >= 2) {
                continue;
            }
            if !row_answers(&q, &s.text, &p.sentence_stems[si]) {
                continue;
            }
            let mut st = p.sentence_stems[si].clone();
            st.extend(about.iter().map(|t| (*t).clone()));
            let st = &st;
            let lexical = weighted_share(&q.terms, &w, st);
            let names = if q.names.is_empty() {
                0.0
            } else {
                q.names.iter().filter(|n| name_found(n, st)).count() as f64 / q.names.len() as f64
            };
            let meaning = sims.and_then(|m| m.get(&(p.evidence.id, si))).copied();
            if lexical <= 0.0 && names <= 0.0 && meaning.is_none_or(|c| c < SEM_FLOOR) {
                continue;
            }
            let typed = q.expect.is_some_and(|_| !candidates(&q, &s.text).is_empty());
            let n_words = st.len();
            let mut score = lexical
                + 0.3 * context
                + 0.15 * names
                + 0.1 * proximity(&q, &s.text)
                + if typed { TYPE_BONUS } else { 0.0 }
                + if covered { 0.2 } else { 0.0 }
                + 0.05 / (1.0 + p.rank as f64)
                + meaning.map_or(0.0, |c| SEM_WEIGHT * f64::from(c.max(0.0)));
            if n_words > 60 {
                score *= 0.8;
            } else if n_words < 3 {
                score *= 0.6;
            }
            if best.is_none_or(|b| score > b.0 + 1e-9) {
                best = Some((score, pi, si));
            }
        }
    }
    let (score, pi, si) = best?;
    let p = &passages[pi];
    let s = &p.sentences[si];
    let short = short_answer(&q, &s.text).and_then(|c| {
        let text: String = s.text.chars().skip(c.start).take(c.end - c.start).collect();
        s.passage_span(c.start, c.end).map(|(a, b)| (text, [a, b]))
    });
    Some(Reading {
        evidence_id: p.evidence.id,
        sentence: s.text.clone(),
        score,
        short,
        covered: passage_covers(&q, &w, p),
    })
}

/// Matched question terms close together score higher: distinct matches over the word window
/// they span.
fn proximity(q: &Question, sentence: &str) -> f64 {
    let words = word_spans(sentence);
    let hits: Vec<usize> =
        words.iter().enumerate().filter(|(_, w)| q.terms.contains(&stem(&w.2))).map(|(i, _)| i).collect();
    match (hits.first(), hits.last()) {
        (Some(a), Some(b)) if hits.len() > 1 => {
            let distinct: HashSet<String> = hits.iter().map(|&i| stem(&words[i].2)).collect();
            distinct.len() as f64 / (b - a + 1) as f64
        }
        _ => 0.0,
    }
}

static MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this module, checked by its tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("reader pattern {pattern:?} does not compile: {e}"))
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH},?\s+\d{{4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|{MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)\b"
    ))
});
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:1[5-9]\d\d|20\d\d)(?:s\b)?"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?:US\$|\$|€|£|¥|₹|\b(?:USD|EUR|GBP|INR|Rs\.?)\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand|crore|lakh|bn|mn|m|k)\b)?|\b\d[\d,]*(?:\.\d+)?\s?(?:million|billion|thousand|crore|lakh)?\s?(?:dollars|euros|pounds|rupees|yen|USD|EUR|GBP|INR)\b)",
    )
});
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\barXiv:\s?\d{4}\.\d{4,5}(?:v\d+)?|\b\d{4}\.\d{4,5}(?:v\d+)?\b|\b10\.\d{4,9}/[^\s,;]+[^\s,;.)]|\bISBN(?:-1[03])?:?\s?[\d-]{10,17}[\dX]\b|\b(?:97[89][-\s]?)?\d{1,5}[-\s]\d{1,7}[-\s]\d{1,7}[-\s][\dX]\b|\b[A-Z]{2,6}[-–]\d{4}[-–]\d{2,6}\b|\bNo\.\s?\d[\d-]+\b",
    )
});
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b")
});
static BARE_AMOUNT: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{1,3}(?:,\d{3})*\.\d{2}\b"));
static PERCENT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)[-+]?\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b|percentage points?\b)"));
static TECHNICAL: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Za-z]+[-_]?\d+[A-Za-z0-9-]*\b"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:\d{1,3}(?:,\d{2})*,\d{3}(?:,\d{3})*|\d+)(?:\.\d+)?(?:\s?(?:million|billion|thousand|hundred))?\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen)\b",
    )
});

/// Words that never name a person, a place or a thing on their own when capitalised.
const NOT_NAMES: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "he", "her", "his", "however", "i", "if", "in", "it",
    "its", "mr", "mrs", "ms", "dr", "no", "on", "our", "she", "so", "that", "the", "their", "then", "there", "these",
    "they", "this", "those", "to", "we", "what", "when", "where", "which", "while", "who", "with", "yes",
];
const ORG_WORDS: &[&str] = &[
    "agency",
    "association",
    "bank",
    "board",
    "college",
    "commission",
    "committee",
    "company",
    "corp",
    "corporation",
    "council",
    "court",
    "department",
    "foundation",
    "group",
    "inc",
    "institute",
    "limited",
    "ltd",
    "ministry",
    "office",
    "press",
    "society",
    "university",
];
const PLACE_PREPOSITIONS: &[&str] = &["in", "at", "from", "near", "to", "into", "outside", "inside", "across", "of"];

/// Capitalised (or all-caps) word runs of a sentence, as char ranges, leading grammar dropped.
fn capitalised_runs(s: &str) -> Vec<(usize, usize)> {
    let words = word_spans(s);
    let chars: Vec<char> = s.chars().collect();
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for (i, (a, _, w)) in words.iter().enumerate() {
        let c = chars[*a];
        let cap = c.is_uppercase() || (c.is_ascii_digit() && !cur.is_empty());
        let connector = !cur.is_empty() && matches!(w.as_str(), "of" | "de" | "von" | "van" | "der" | "la" | "&");
        // A run breaks at punctuation between words (`Paris, France` are two).
        let joined = cur.last().is_none_or(|&p| {
            let between: String = chars[words[p].1..*a].iter().collect();
            between.chars().all(|ch| ch == ' ' || ch == '.' || ch == '-' || ch == '\'' || ch == '’')
                && !between.contains(". ")
                || between == ". " && words[p].1 - words[p].0 == 1
        });
        if (cap || connector) && joined {
            cur.push(i);
        } else {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            if cap {
                cur.push(i);
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs.into_iter()
        .filter_map(|mut r| {
            while r.first().is_some_and(|&i| NOT_NAMES.contains(&words[i].2.as_str())) {
                r.remove(0);
            }
            while r.last().is_some_and(|&i| matches!(words[i].2.as_str(), "of" | "de" | "von" | "van" | "der" | "la")) {
                r.pop();
            }
            let (f, l) = (*r.first()?, *r.last()?);
            Some((words[f].0, words[l].1))
        })
        .collect()
}

fn chars_of(s: &str, a: usize, b: usize) -> String {
    s.chars().skip(a).take(b - a).collect()
}

/// True when a candidate only repeats the question (every content word of it is in the question).
fn repeats_question(q: &Question, text: &str) -> bool {
    let st = stems(text);
    !st.is_empty() && st.iter().all(|t| q.all.contains(t))
}

/// Candidates of the expected type in a sentence, best fit first within each finder.
fn candidates(q: &Question, s: &str) -> Vec<Candidate> {
    let Some(expect) = q.expect else { return Vec::new() };
    let mut out: Vec<Candidate> = Vec::new();
    let byte_to_char = |b: usize| s[..b].chars().count();
    let add_re = |r: &Regex, fit: f64, out: &mut Vec<Candidate>| {
        for m in r.find_iter(s) {
            out.push(Candidate { start: byte_to_char(m.start()), end: byte_to_char(m.end()), fit });
        }
    };
    match expect {
        Expect::Date => {
            add_re(&DATE, 1.0, &mut out);
            add_re(&YEAR, 0.7, &mut out);
        }
        Expect::Year => {
            add_re(&YEAR, 1.0, &mut out);
        }
        Expect::Money => {
            add_re(&MONEY, 1.0, &mut out);
            add_re(&BARE_AMOUNT, 0.7, &mut out);
        }
        Expect::Percent => add_re(&PERCENT, 1.0, &mut out),
        Expect::Quantity => {
            let words = word_spans(s);
            for m in NUMBER.find_iter(s) {
                let (a, b) = (byte_to_char(m.start()), byte_to_char(m.end()));
                // The unit: the next word when it is not grammar.
                let next = words.iter().find(|w| w.0 >= b && w.0 <= b + 1);
                let month = |w: &(usize, usize, String)| text::month_word(&w.2);
                // A date is no count, and offering one as "how many" reads as nonsense. A year is a
                // count only with a unit after it and no month in the two words before it ("1500
                // inhabitants", not "as of 2021" or "31 May 2019 notes"); a number beside a month
                // is a day ("December 31, 2021", "31 December").
                if YEAR.find_at(s, m.start()).is_some_and(|y| y.start() == m.start() && y.end() == m.end()) {
                    let dated = words.iter().rev().filter(|w| w.1 <= a).take(2).any(month);
                    if let Some(w) = next.filter(|w| {
                        !dated && !text::is_stop_word(&w.2) && w.2.chars().all(char::is_alphabetic) && !month(w)
                    }) {
                        let fit = if q.focus.as_deref() == Some(stem(&w.2).as_str()) { 1.1 } else { 0.6 };
                        out.push(Candidate { start: a, end: w.1, fit });
                    }
                    continue;
                }
                let before = words.iter().rev().find(|w| w.1 <= a && w.1 + 2 >= a);
                if before.is_some_and(month) || next.is_some_and(month) {
                    continue;
                }
                // A number beside a capitalised word is a house number or part of a name
                // ("6480 Cameron Street", "Suite 305", "Flight 043"), not a quantity.
                let capital = |w: &(usize, usize, String)| chars_of(s, w.0, w.0 + 1).chars().all(char::is_uppercase);
                let prev = words.iter().rev().find(|w| w.1 <= a && w.1 + 1 >= a);
                let named = next.is_some_and(capital) || prev.is_some_and(capital);
                let (end, fit) = match next {
                    Some(w) if q.focus.as_deref() == Some(stem(&w.2).as_str()) => (w.1, 1.2),
                    _ if named => (b, 0.5),
                    Some(w)
                        if !text::is_stop_word(&w.2)
                            && w.2.chars().all(char::is_alphabetic)
                            && !text::MONTHS.contains(&w.2.as_str()) =>
                    {
                        (w.1, 0.9)
                    }
                    _ => (b, 0.8),
                };
                let end = if chars_of(s, end, end + 1) == "%" { end + 1 } else { end };
                out.push(Candidate { start: a, end, fit });
            }
            add_re(&PERCENT, 0.8, &mut out);
            add_re(&MONEY, 0.8, &mut out);
        }
        Expect::Person | Expect::Place | Expect::Name => {
            let words = word_spans(s);
            for (a, b) in capitalised_runs(s) {
                let text = chars_of(s, a, b);
                let tokens = text::words(&text);
                if tokens.iter().all(|t| {
                    text::month_word(t) || text::WEEKDAYS.contains(&t.as_str()) || t.chars().all(|c| c.is_ascii_digit())
                }) {
                    continue;
                }
                // A lone capitalised word opening the sentence is grammar ("Moreover", "Adapting")
                // unless its shape says name (`GSM8K`, `AutoCoA`); an initial or a two-letter
                // token ("O.", "LM") is too little to be an answer.
                let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
                let shaped =
                    text.chars().filter(|c| c.is_uppercase()).count() >= 2 || text.chars().any(|c| c.is_ascii_digit());
                if alnum < 3 || (a == 0 && tokens.len() == 1 && !shaped) {
                    continue;
                }
                let before: Vec<&str> = words.iter().filter(|w| w.1 <= a).map(|w| w.2.as_str()).collect();
                let prev = before.last().copied().unwrap_or("");
                let fit = match expect {
                    Expect::Person => {
                        let org = tokens.iter().any(|t| ORG_WORDS.contains(&t.as_str()));
                        let by = matches!(prev, "by" | "mr" | "mrs" | "ms" | "dr" | "justice" | "president" | "judge");
                        let shape = match (tokens.len(), org) {
                            (_, true) => 0.8,
                            (2..=4, false) => 1.0,
                            _ => 0.6,
                        };
                        shape + if by { 0.3 } else { 0.0 }
                    }
                    Expect::Place => {
                        if PLACE_PREPOSITIONS.contains(&prev) {
                            1.0
                        } else {
                            0.5
                        }
                    }
                    _ => 0.8,
                };
                out.push(Candidate { start: a, end: b, fit });
            }
            if expect == Expect::Name {
                // Technical names: words with digits or inner hyphens (`Keccak-256`, `SHA3`).
                add_re(&TECHNICAL, 0.7, &mut out);
            }
        }
        Expect::List => {
            if let Some(c) = list_span(s) {
                out.push(c);
            }
        }
        Expect::Identifier => add_re(&IDENTIFIER, 1.0, &mut out),
        Expect::Time => add_re(&TIME, 1.0, &mut out),
    }
    out.retain(|c| c.end > c.start && !repeats_question(q, &chars_of(s, c.start, c.end)));
    // A candidate inside a better or equal one is the same answer, cut short.
    let snapshot = out.clone();
    out.retain(|c| {
        !snapshot.iter().any(|o| {
            o != c
                && o.start <= c.start
                && o.end >= c.end
                && (o.end - o.start) > (c.end - c.start)
                && o.fit >= c.fit - 0.31
        })
    });
    out
}

/// The enumeration of a sentence (`A, B and C`, or what follows a colon), as a candidate.
fn list_span(s: &str) -> Option<Candidate> {
    let chars: Vec<char> = s.chars().collect();
    let end = {
        let mut e = chars.len();
        while e > 0 && matches!(chars[e - 1], '.' | ';' | ' ') {
            e -= 1;
        }
        e
    };
    if let Some(colon) = chars.iter().position(|&c| c == ':') {
        let rest: String = chars[colon + 1..end].iter().collect();
        if rest.contains(',') || rest.contains(" and ") || rest.contains(" or ") {
            let lead = rest.len() - rest.trim_start().len();
            return Some(Candidate { start: colon + 1 + lead, end, fit: 1.0 });
        }
    }
    let text: String = chars[..end].iter().collect();
    let and = text.rfind(" and ").or_else(|| text.rfind(" or "))?;
    let head = &text[..and];
    let first_comma = head.find(',')?;
    // The first item: the words before the first comma, back to a grammar word.
    let before = &head[..first_comma];
    let mut start = before.len();
    for (i, w) in before.rsplit(' ').enumerate() {
        if i > 0 && (text::is_stop_word(&w.to_lowercase()) || i >= 4) {
            break;
        }
        start = start.saturating_sub(w.len() + usize::from(i > 0));
    }
    let start_chars = text[..start.min(text.len())].chars().count();
    let start_chars = if chars.get(start_chars) == Some(&' ') { start_chars + 1 } else { start_chars };
    Some(Candidate { start: start_chars, end, fit: 0.8 })
}

/// The best short answer of a sentence for a question: the best-fitting candidate, closest to the
/// question words the sentence holds.
fn short_answer(q: &Question, s: &str) -> Option<Candidate> {
    let cands = candidates(q, s);
    if cands.is_empty() {
        return None;
    }
    let words = word_spans(s);
    let hits: Vec<(usize, usize)> = words
        .iter()
        .filter(|w| q.terms.contains(&stem(&w.2)) || q.names.iter().flatten().any(|n| *n == stem(&w.2)))
        .map(|w| (w.0, w.1))
        .collect();
    let distance = |c: &Candidate| {
        hits.iter().map(|&(a, b)| if b <= c.start { c.start - b } else { a.saturating_sub(c.end) }).min().unwrap_or(0)
            as f64
    };
    let mut scored: Vec<(f64, Candidate)> = cands
        .into_iter()
        .map(|c| {
            let d = distance(&c);
            (c.fit - 0.004 * d.min(100.0), c)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.start.cmp(&b.1.start)));
    let mut ranked = scored.into_iter();
    let (best_score, best) = ranked.next()?;
    // Two different names fitting about as well (a sentence names several people or places):
    // the sentence is shown without one, since a wrong short answer misleads more than none.
    // Figures and dates are told apart by the words beside them, so they keep theirs.
    if !matches!(q.expect, Some(Expect::Person | Expect::Place | Expect::Name)) {
        return Some(best);
    }
    let text = |c: &Candidate| chars_of(s, c.start, c.end).to_lowercase();
    let rival = ranked.find(|(_, c)| text(c) != text(&best));
    match rival {
        Some((score, _)) if score > best_score - AMBIGUOUS => None,
        _ => Some(best),
    }
}

/// Whether a table finding answers the question: it mentions the question's named things (as a
/// passage must) and, when it is a whole row, holds one of the question's other terms — a column
/// or a value. "Sum of Stanley Cups over 3 rows: 16" does not answer how many cups the Montreal
/// Canadiens won, and a cyclist's row without a speed column does not say how fast he rode.
pub(crate) fn finding_covers(question: &str, finding: &str) -> bool {
    let q = Question::new(question);
    let held: HashSet<String> = stems(finding).into_iter().collect();
    names_found(&q.names, &held) && row_answers(&q, finding, &held)
}

/// Whether a table row ("Rank: 1 | Cyclist: … | Time: …") can answer the question: only through
/// one of its columns or values, so it must hold one of the question's terms besides its names
/// and the words that say how to compute. Text that is not a row always can.
fn row_answers(q: &Question, text: &str, held: &HashSet<String>) -> bool {
    !text.contains(" | ") || q.row_terms.is_empty() || q.row_terms.iter().any(|t| held.contains(t))
}

/// Stems of the words of a figure question that say how to compute, not what to look up.
static TABLE_GENERIC: LazyLock<HashSet<String>> = LazyLock::new(|| {
    [
        "total", "sum", "average", "mean", "number", "count", "highest", "lowest", "most", "least", "largest",
        "smallest", "maximum", "minimum", "top", "first", "last", "all", "combined", "overall", "row", "table",
    ]
    .iter()
    .map(|w| stem(w))
    .collect()
});

/// The short answer of a table finding (`"Team with the highest Stanley Cups: Maple Leafs
/// (Stanley Cups 13, row 3)"` → `Maple Leafs`): what follows the first colon, up to a bracket.
pub(crate) fn table_answer(finding: &str) -> Option<(String, [usize; 2])> {
    let chars: Vec<char> = finding.chars().collect();
    let colon = chars.iter().position(|&c| c == ':')?;
    let mut a = colon + 1;
    while a < chars.len() && chars[a].is_whitespace() {
        a += 1;
    }
    let mut b = a;
    while b < chars.len() && chars[b] != '(' && chars[b] != '\n' && chars[b] != ';' {
        b += 1;
    }
    while b > a && (chars[b - 1].is_whitespace() || chars[b - 1] == '.') {
        b -= 1;
    }
    (b > a).then(|| (chars[a..b].iter().collect(), [a, b]))
}

#[cfg(test)]
#[path = "reader/tests.rs"]
mod tests;

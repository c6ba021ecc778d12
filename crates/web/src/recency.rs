//! Recency words in a question ("latest", "this week", "today", the current year) become a date
//! restriction for the providers that have one. Time comes from the caller's clock.

/// How recent the results should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recency {
    /// The last 24 hours ("today").
    Day,
    /// The last 7 days ("this week").
    Week,
    /// The last month ("latest", "recent", "this month").
    Month,
    /// The last 12 months ("this year").
    Year,
    /// Since January 1 of the current year (the question names the current year).
    SinceJanuary {
        /// The current year.
        year: i64,
    },
}

impl Recency {
    /// Narrower windows win when a question has several cues.
    fn rank(self) -> u8 {
        match self {
            Recency::Day => 0,
            Recency::Week => 1,
            Recency::Month => 2,
            Recency::SinceJanuary { .. } => 3,
            Recency::Year => 4,
        }
    }

    /// The coarse window (`day`, `week`, `month`, `year`) that SearXNG and Tavily name.
    pub fn window(self) -> &'static str {
        match self {
            Recency::Day => "day",
            Recency::Week => "week",
            Recency::Month => "month",
            Recency::Year | Recency::SinceJanuary { .. } => "year",
        }
    }
}

const DAY: &[&str] = &["today", "tonight", "right now", "past 24 hours", "last 24 hours", "breaking"];
const WEEK: &[&str] = &["this week", "past week", "last 7 days", "past 7 days", "past few days"];
const MONTH: &[&str] =
    &["latest", "recent", "recently", "newest", "this month", "past month", "last 30 days", "past 30 days"];
const YEAR: &[&str] = &["this year", "past year", "last 12 months", "past 12 months"];

/// The restriction a question asks for, given the time now (milliseconds since the epoch).
///
/// A year only counts when it is the current one: "the 2019 budget" is about 2019 but is best
/// explained by pages written since, so a past year restricts nothing (it is in the query words
/// anyway).
pub fn recency(question: &str, now_ms: i64) -> Option<Recency> {
    let words: String = question.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    let padded = format!(" {} ", words.split_whitespace().collect::<Vec<_>>().join(" "));
    let has = |cues: &[&str]| cues.iter().any(|c| padded.contains(&format!(" {c} ")));
    let (year, _, _) = civil(now_ms);
    let mut found: Vec<Recency> = Vec::new();
    if has(DAY) {
        found.push(Recency::Day);
    }
    if has(WEEK) {
        found.push(Recency::Week);
    }
    if has(MONTH) {
        found.push(Recency::Month);
    }
    if has(YEAR) {
        found.push(Recency::Year);
    }
    if padded.contains(&format!(" {year} ")) {
        found.push(Recency::SinceJanuary { year });
    }
    found.into_iter().min_by_key(|r| r.rank())
}

pub(crate) use engine::calendar::{date, rfc3339, ymd as civil};

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T17:12:00Z.
    const NOW: i64 = 1_795_626_720_000;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(NOW), "2026-11-25T17:12:00.000Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn cues() {
        let cases: &[(&str, Option<Recency>)] = &[
            ("What is the latest Rust release?", Some(Recency::Month)),
            ("What happened in Brussels today?", Some(Recency::Day)),
            ("Today's weather in Oslo", Some(Recency::Day)),
            ("Which papers on RAG came out this week?", Some(Recency::Week)),
            ("GDP figures published this month", Some(Recency::Month)),
            ("Who won the most races this year?", Some(Recency::Year)),
            ("Elections held in 2026", Some(Recency::SinceJanuary { year: 2026 })),
            ("The latest news from 2026, today", Some(Recency::Day)),
            ("What was the 2019 budget of Norway?", None),
            ("Who founded the Royal Society?", None),
            ("Is the 20260 figure right?", None),
            ("A thisweek typo", None),
        ];
        for (q, want) in cases {
            assert_eq!(recency(q, NOW), *want, "{q}");
        }
    }
}

//! In-memory fakes of the ports, for this crate's tests and (with the `test-support` feature)
//! for other crates' tests and the examples.
//!
//! - [`FakeLlm`]: replies scripted per [`CallPurpose`] (recognised from the prompt), recorded
//!   requests, scripted failures, delays and usage (to test retry accounting).
//! - [`FakeCorpus`]: BM25 over passages added by title and text, with an optional delay or error.
//! - [`FakeWeb`], [`FakeTables`]: canned results.
//! - [`FixedClock`]: a clock that does not move.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use crate::ports::{
    ChatRequest, ChatResponse, Clock, Corpus, CorpusError, Llm, LlmError, Passage, TableAnalyst, TableError,
    TableFinding, Usage, WebError, WebPage, WebSearch,
};
use crate::run::CallPurpose;
use crate::{Location, Span, text};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A test that panicked while holding the lock already failed; keep the data usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One scripted completion.
#[derive(Debug, Clone)]
pub struct Reply {
    outcome: Result<String, LlmError>,
    usage: Option<Usage>,
    delay: Duration,
}

impl Reply {
    /// A completion with this text; usage is one call and ~chars/4 tokens each way.
    pub fn text(s: impl Into<String>) -> Reply {
        Reply { outcome: Ok(s.into()), usage: None, delay: Duration::ZERO }
    }

    /// A failure.
    pub fn fail(e: LlmError) -> Reply {
        Reply { outcome: Err(e), usage: None, delay: Duration::ZERO }
    }

    /// Reports this usage instead of the estimate (e.g. `calls: 3` for two retries).
    pub fn with_usage(mut self, usage: Usage) -> Reply {
        self.usage = Some(usage);
        self
    }

    /// Answers only after this long (`tokio::time`, so paused-time tests stay instant).
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// A scripted language model.
#[derive(Debug, Default)]
pub struct FakeLlm {
    script: Mutex<HashMap<CallPurpose, VecDeque<Reply>>>,
    requests: Mutex<Vec<(Option<CallPurpose>, ChatRequest)>>,
}

impl FakeLlm {
    /// A model with no script: every request fails with a protocol error.
    pub fn new() -> FakeLlm {
        FakeLlm::default()
    }

    /// Queues a reply for requests of this purpose (replies are used in order; the last one
    /// repeats once the queue would run dry).
    pub fn reply(self, purpose: CallPurpose, reply: Reply) -> FakeLlm {
        lock(&self.script).entry(purpose).or_default().push_back(reply);
        self
    }

    /// Every request received, with the purpose recognised from its prompt.
    pub fn requests(&self) -> Vec<(Option<CallPurpose>, ChatRequest)> {
        lock(&self.requests).clone()
    }

    /// The purposes of the requests received, in order.
    pub fn purposes(&self) -> Vec<Option<CallPurpose>> {
        lock(&self.requests).iter().map(|(p, _)| *p).collect()
    }
}

#[async_trait::async_trait]
impl Llm for FakeLlm {
    fn describe(&self) -> String {
        "fake llm".to_string()
    }

    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        let purpose = crate::prompts::purpose(request);
        lock(&self.requests).push((purpose, request.clone()));
        let reply = purpose.and_then(|p| {
            let mut script = lock(&self.script);
            let queue = script.get_mut(&p)?;
            if queue.len() > 1 { queue.pop_front() } else { queue.front().cloned() }
        });
        let Some(reply) = reply else {
            return Err(LlmError::Protocol { message: format!("no scripted reply for {purpose:?}"), calls: 1 });
        };
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let content = reply.outcome?;
        if let Some(f) = on_delta {
            // Stream in a few pieces so consumers see more than one delta.
            let words: Vec<&str> = content.split_inclusive(' ').collect();
            for chunk in words.chunks(4) {
                f(&chunk.concat());
            }
        }
        let prompt_chars: usize = request.messages.iter().map(|m| m.content.len()).sum();
        let usage = reply.usage.unwrap_or(Usage {
            calls: 1,
            prompt_tokens: (prompt_chars / 4) as u64,
            completion_tokens: (content.len() / 4) as u64 + 1,
        });
        Ok(ChatResponse { content, usage, latency: reply.delay, tool_calls: Vec::new() })
    }
}

/// A small BM25 index, shared by the fake corpus and the fake web.
#[derive(Debug, Default, Clone)]
struct Bm25 {
    docs: Vec<Vec<String>>,
    postings: HashMap<String, Vec<(usize, u32)>>,
    total_len: usize,
}

impl Bm25 {
    fn add(&mut self, text: &str) {
        let toks = text::tokens(text);
        let id = self.docs.len();
        let mut tf: HashMap<&str, u32> = HashMap::new();
        for t in &toks {
            *tf.entry(t.as_str()).or_default() += 1;
        }
        for (t, n) in tf {
            self.postings.entry(t.to_string()).or_default().push((id, n));
        }
        self.total_len += toks.len();
        self.docs.push(toks);
    }

    fn search(&self, query: &str, limit: usize) -> Vec<(usize, f32)> {
        let n = self.docs.len() as f32;
        if n == 0.0 {
            return Vec::new();
        }
        let avg = self.total_len as f32 / n;
        let mut q = text::tokens(query);
        q.sort();
        q.dedup();
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for t in &q {
            let Some(post) = self.postings.get(t) else { continue };
            let df = post.len() as f32;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(d, tf) in post {
                let tf = tf as f32;
                let len = self.docs[d].len() as f32;
                let s = idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg.max(1.0)));
                *scores.entry(d).or_default() += s;
            }
        }
        let mut v: Vec<(usize, f32)> = scores.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    }
}

/// An in-memory document library searched with BM25 over title and text.
#[derive(Debug, Default)]
pub struct FakeCorpus {
    passages: Vec<Passage>,
    index: Bm25,
    delay: Duration,
    error: Option<CorpusError>,
    queries: Mutex<Vec<String>>,
}

impl FakeCorpus {
    /// An empty library.
    pub fn new() -> FakeCorpus {
        FakeCorpus::default()
    }

    /// Adds a one-passage document; its doc id is its 1-based position.
    pub fn doc(mut self, title: &str, text: &str) -> FakeCorpus {
        self.add(title, text);
        self
    }

    /// Adds a one-passage document in place (for large corpora).
    pub fn add(&mut self, title: &str, text: &str) {
        let doc_id = self.passages.len() as i64 + 1;
        self.index.add(&format!("{title} {text}"));
        self.passages.push(Passage {
            doc_id,
            chunk_id: format!("{doc_id}:0"),
            title: title.to_string(),
            path: format!("/library/{doc_id}.txt"),
            location: Location::Whole,
            span: Span::new(0, text.chars().count()),
            text: text.to_string(),
            score: 0.0,
        });
    }

    /// Makes every search take this long (`tokio::time`).
    pub fn with_delay(mut self, delay: Duration) -> FakeCorpus {
        self.delay = delay;
        self
    }

    /// Makes every search fail.
    pub fn failing(mut self, error: CorpusError) -> FakeCorpus {
        self.error = Some(error);
        self
    }

    /// The queries received, in order.
    pub fn queries(&self) -> Vec<String> {
        lock(&self.queries).clone()
    }

    /// Top passages for a query, synchronously (baselines use it directly).
    pub fn search_now(&self, query: &str, limit: usize) -> Vec<Passage> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|(d, s)| {
                let mut p = self.passages.get(d)?.clone();
                p.score = s;
                Some(p)
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Corpus for FakeCorpus {
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Passage>, CorpusError> {
        lock(&self.queries).push(query.to_string());
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        Ok(self.search_now(query, limit))
    }
}

/// Canned web pages, matched to queries with BM25.
#[derive(Debug, Default)]
pub struct FakeWeb {
    pages: Vec<WebPage>,
    index: Bm25,
    queries: Mutex<Vec<String>>,
    offline: Option<String>,
}

impl FakeWeb {
    /// No pages.
    pub fn new() -> FakeWeb {
        FakeWeb::default()
    }

    /// Adds a page, fetched at a fixed time.
    pub fn page(mut self, url: &str, title: &str, text: &str) -> FakeWeb {
        self.index.add(&format!("{title} {text}"));
        self.pages.push(WebPage {
            url: url.to_string(),
            title: title.to_string(),
            text: text.to_string(),
            fetched_at: Some("2026-01-02T03:04:05Z".to_string()),
            score: 0.0,
            note: None,
        });
        self
    }

    /// The queries received.
    pub fn queries(&self) -> Vec<String> {
        lock(&self.queries).clone()
    }

    /// Says that no search can run, for this reason (like the web adapter in offline mode).
    pub fn offline(mut self, why: &str) -> FakeWeb {
        self.offline = Some(why.to_string());
        self
    }
}

#[async_trait::async_trait]
impl WebSearch for FakeWeb {
    fn unavailable(&self) -> Option<String> {
        self.offline.clone()
    }

    async fn search(&self, query: &str, limit: usize) -> Result<Vec<WebPage>, WebError> {
        lock(&self.queries).push(query.to_string());
        Ok(self
            .index
            .search(query, limit)
            .into_iter()
            .filter_map(|(d, s)| {
                let mut p = self.pages.get(d)?.clone();
                p.score = s;
                Some(p)
            })
            .collect())
    }
}

/// A table analyst that returns the same findings for every question.
#[derive(Debug, Default)]
pub struct FakeTables {
    findings: Vec<TableFinding>,
    fit_words: Vec<String>,
}

impl FakeTables {
    /// No findings: every analysis fails with "no table".
    pub fn new() -> FakeTables {
        FakeTables::default()
    }

    /// Returns `text` as a finding from table `title`, rows `first..=last` of `sheet`.
    pub fn finding(mut self, title: &str, sheet: &str, first: u64, last: u64, text: &str) -> FakeTables {
        self.findings.push(TableFinding {
            doc_id: Some(100 + self.findings.len() as i64),
            path: Some(format!("/library/{title}.csv")),
            title: title.to_string(),
            location: Location::Rows { sheet: sheet.to_string(), first, last },
            text: text.to_string(),
            sql: None,
            columns: Vec::new(),
            rows: (first..=last).collect(),
        });
        self
    }

    /// Makes the cheap fit check pass only for questions holding `word` (case-insensitive);
    /// without any such word every question fits.
    pub fn fits_when(mut self, word: &str) -> FakeTables {
        self.fit_words.push(word.to_lowercase());
        self
    }
}

#[async_trait::async_trait]
impl TableAnalyst for FakeTables {
    async fn analyze(&self, _question: &str, _llm: Option<&dyn Llm>) -> Result<Vec<TableFinding>, TableError> {
        if self.findings.is_empty() {
            return Err(TableError::NoTable("no tables".to_string()));
        }
        Ok(self.findings.clone())
    }

    async fn fits(&self, question: &str) -> Result<(), TableError> {
        let q = question.to_lowercase();
        if self.fit_words.is_empty() || self.fit_words.iter().any(|w| q.contains(w.as_str())) {
            Ok(())
        } else {
            Err(TableError::NoTable("no table has a column the question mentions".to_string()))
        }
    }
}

/// A clock stopped at a given instant (ms since the Unix epoch).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix_ms(&self) -> i64 {
        self.0
    }
}

/// Contract suites: behaviour every implementation of a port must show, run against the fakes
/// here and against the real adapters in their own tests, so the fakes cannot drift from the
/// adapters the engine really meets.
pub mod contract {
    use std::sync::{Arc, Mutex};

    use crate::ports::{ChatRequest, Corpus, Llm, LlmError};

    use super::lock;

    /// The documents a [`Corpus`] under test must hold before [`corpus`] runs.
    pub const CORPUS_DOCS: &[(&str, &str)] = &[
        ("Narwhals", "Narwhals are Arctic whales. The narwhal tusk is an elongated tooth."),
        ("Curling", "Curling stones are quarried from Ailsa Craig granite in Scotland."),
    ];

    /// Checks a corpus loaded with [`CORPUS_DOCS`]: the matching passage ranks first and carries
    /// its text, spans are well-formed, limits are honoured, and no typed text is an error.
    pub async fn corpus(c: &dyn Corpus) {
        let hits = c.search("narwhal tusk", 5).await.expect("a plain query succeeds");
        assert!(!hits.is_empty(), "the matching passage is found");
        assert!(hits[0].text.to_lowercase().contains("tusk"), "best hit holds the words: {:?}", hits[0]);
        assert!(hits[0].title.contains("Narwhal"), "titles are carried: {:?}", hits[0]);
        for h in &hits {
            assert!(h.span.start <= h.span.end, "span is ordered: {h:?}");
            assert_eq!(h.span.len(), h.text.chars().count(), "span covers the text: {h:?}");
        }
        let one = c.search("granite OR narwhals", 1).await.expect("operators are plain text");
        assert!(one.len() <= 1, "the limit is honoured");
        for q in ["", "   ", "\"unbalanced", "title:", "(((", "*"] {
            c.search(q, 3).await.unwrap_or_else(|e| panic!("query {q:?} failed: {e}"));
        }
    }

    /// What a model under [`llm`] answers in [`LlmScenario::Answers`].
    pub const LLM_ANSWER: &str =
        "Arthur's Magazine was started first, in 1844 [1]. First for Women followed in 1989 [2].";

    /// How the backend under test must set a model up; the contract then checks that the model
    /// reports it the way the engine relies on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LlmScenario {
        /// Answers [`LLM_ANSWER`], in several pieces when streaming, and reports token usage.
        Answers,
        /// Rate-limits every request (HTTP 429), so the adapter retries and gives up.
        RateLimited,
        /// Refuses the credentials (HTTP 401).
        RefusesKey,
        /// Answers 200 with a body that is not a valid response of its protocol.
        Garbled,
        /// Nothing listens where the model should be.
        Unreachable,
    }

    /// Makes models for the [`llm`] contract: the fake scripts them, adapters point at a scripted
    /// server that speaks their wire protocol.
    #[async_trait::async_trait]
    pub trait LlmBackend: Send + Sync {
        /// A model set up for `scenario` (kept alive, with any server, by the backend).
        async fn model(&self, scenario: LlmScenario) -> Arc<dyn Llm>;
    }

    /// The request the contract sends: the engine's own final-answer prompt, so the fake
    /// recognises it as [`crate::CallPurpose::Answer`].
    pub fn llm_request() -> ChatRequest {
        crate::prompts::answer("Which magazine was started first, Arthur's Magazine or First for Women?", &[], &[])
    }

    /// Checks what the engine relies on from every [`Llm`]: the text comes back whole with or
    /// without streaming, streamed pieces add up to it, usage counts one call and some tokens,
    /// and each failure arrives as the variant the engine acts on, counting the requests sent.
    pub async fn llm(backend: &dyn LlmBackend) {
        let request = llm_request();
        let model = backend.model(LlmScenario::Answers).await;
        assert!(!model.describe().is_empty(), "a model describes itself");

        let whole = model.complete(&request, None).await.expect("a plain completion succeeds");
        assert_eq!(whole.content, LLM_ANSWER, "the text comes back unchanged");
        assert_eq!(whole.usage.calls, 1, "one request: {:?}", whole.usage);
        assert!(whole.usage.prompt_tokens > 0 && whole.usage.completion_tokens > 0, "{:?}", whole.usage);

        let seen = Mutex::new(Vec::<String>::new());
        let sink = |t: &str| lock(&seen).push(t.to_string());
        let streamed = model.complete(&request, Some(&sink)).await.expect("a streamed completion succeeds");
        let pieces = lock(&seen).clone();
        assert!(pieces.len() >= 2, "text streams in pieces: {pieces:?}");
        assert_eq!(pieces.concat(), streamed.content, "the pieces add up to the text");
        assert_eq!(streamed.content, LLM_ANSWER);
        assert_eq!(streamed.usage.calls, 1, "{:?}", streamed.usage);

        let limited = backend.model(LlmScenario::RateLimited).await;
        let e = limited.complete(&request, None).await.expect_err("a rate limit that never lifts fails");
        assert!(matches!(e, LlmError::RateLimited { .. }), "{e:?}");
        assert!(e.calls() >= 2, "the adapter retried and counts every request: {e:?}");

        let refused = backend.model(LlmScenario::RefusesKey).await;
        let e = refused.complete(&request, None).await.expect_err("a refused key fails");
        assert!(matches!(e, LlmError::Auth(_)), "{e:?}");
        assert_eq!(e.calls(), 1, "a refused key is not retried");

        let garbled = backend.model(LlmScenario::Garbled).await;
        let e = garbled.complete(&request, None).await.expect_err("a garbled body fails");
        assert!(matches!(e, LlmError::Protocol { .. }), "{e:?}");
        assert!(e.calls() >= 1, "{e:?}");

        let gone = backend.model(LlmScenario::Unreachable).await;
        let e = gone.complete(&request, Some(&sink)).await.expect_err("an unreachable model fails");
        assert!(matches!(e, LlmError::Network { .. } | LlmError::Timeout { .. }), "{e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[cfg(test)]
mod contract_tests {
    use super::*;

    #[tokio::test]
    async fn the_fake_corpus_keeps_the_corpus_contract() {
        let mut fake = FakeCorpus::new();
        for (title, text) in contract::CORPUS_DOCS {
            fake.add(title, text);
        }
        contract::corpus(&fake).await;
    }

    /// Scripts a [`FakeLlm`] the way each scenario's adapter would behave.
    struct FakeBackend;

    #[async_trait::async_trait]
    impl contract::LlmBackend for FakeBackend {
        async fn model(&self, scenario: contract::LlmScenario) -> std::sync::Arc<dyn Llm> {
            use contract::LlmScenario as S;
            let reply = match scenario {
                S::Answers => Reply::text(contract::LLM_ANSWER),
                S::RateLimited => Reply::fail(LlmError::RateLimited { retry_after: None, calls: 3 }),
                S::RefusesKey => Reply::fail(LlmError::Auth("invalid key".into())),
                S::Garbled => Reply::fail(LlmError::Protocol { message: "not JSON".into(), calls: 1 }),
                S::Unreachable => Reply::fail(LlmError::Network { message: "connection refused".into(), calls: 3 }),
            };
            std::sync::Arc::new(FakeLlm::new().reply(CallPurpose::Answer, reply))
        }
    }

    #[tokio::test]
    async fn the_fake_llm_keeps_the_llm_contract() {
        contract::llm(&FakeBackend).await;
    }
}

//! Semantic and hybrid search over a real library (tantivy, SQLite, files written here), with a
//! small deterministic embedder defined below, so fusion and plumbing are tested apart from any
//! real model; one test at the end goes through the real default model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use embed::{EmbedError, Embedder, ModelId, TextKind};
use library::{CancelFlag, IngestOptions, Library, LibraryOptions, SearchMode, SemanticStatus};

/// Hashed bag of words: each word (lowercased, a plural `s` dropped, a few synonyms mapped to
/// one word) adds 1 to one dimension. Two texts are close when they share words or synonyms.
struct Words {
    model: String,
    dims: usize,
    seed: u64,
    /// Calls so far, passages and queries together.
    calls: AtomicUsize,
    /// Fail every call (a provider that went away).
    fail: AtomicBool,
    /// Set this flag on the given call (cancelling between batches).
    cancel_on_call: Option<(usize, CancelFlag)>,
}

const SYNONYMS: &[(&str, &str)] = &[
    ("railway", "train"),
    ("rail", "train"),
    ("ticket", "fare"),
    ("cost", "price"),
    ("paid", "price"),
    ("dollar", "price"),
    ("accounting", "fiscal"),
    ("financial", "fiscal"),
    ("begin", "start"),
    ("commence", "start"),
    ("canine", "dog"),
    ("puppy", "dog"),
];

const STOP: &[&str] = &["the", "a", "an", "of", "to", "did", "does", "how", "much", "when", "what", "is", "in", "for"];

impl Words {
    fn new(model: &str, dims: usize, seed: u64) -> Words {
        Words {
            model: model.to_owned(),
            dims,
            seed,
            calls: AtomicUsize::new(0),
            fail: AtomicBool::new(false),
            cancel_on_call: None,
        }
    }

    fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dims];
        for raw in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            let lower = raw.to_lowercase();
            let word = lower.strip_suffix('s').filter(|w| w.len() > 2).unwrap_or(&lower);
            if STOP.contains(&word) {
                continue;
            }
            let word = SYNONYMS.iter().find(|(w, _)| *w == word).map(|(_, s)| *s).unwrap_or(word);
            let mut h = self.seed ^ 0xcbf2_9ce4_8422_2325;
            for b in word.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            v[(h % self.dims as u64) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

#[async_trait::async_trait]
impl Embedder for Words {
    fn model_id(&self) -> ModelId {
        ModelId(self.model.clone())
    }

    fn dims(&self) -> Option<usize> {
        Some(self.dims)
    }

    async fn embed(&self, texts: &[String], _kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((n, flag)) = &self.cancel_on_call
            && call == *n
        {
            flag.cancel();
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(EmbedError::Provider("connection refused".into()));
        }
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

const TRAIN: &str = "Travel expenses of the senator. The train fare from Boston to Washington came to 618.00.";
const FISCAL: &str = "The trust's fiscal year starts on the first of July and ends on the last day of June.";
const GARDEN: &str = "Tomatoes need full sun, deep watering and a stake once the first flowers open.";
const DOGS: &str = "Our shelter looks after dogs of every size until a family adopts them.";

fn corpus(dir: &Path) -> Vec<PathBuf> {
    [("travel.txt", TRAIN), ("trust.txt", FISCAL), ("garden.txt", GARDEN), ("shelter.txt", DOGS)]
        .iter()
        .map(|(name, text)| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

async fn ingested(files: &Path, data: &Path) -> Library {
    let lib = Library::open_write(data, LibraryOptions::default()).await.unwrap();
    let summary =
        lib.ingest(&[files.to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default()).await.unwrap();
    assert!(summary.failed.is_empty(), "{summary:?}");
    lib
}

async fn embed_all(lib: &Library) -> library::EmbedSummary {
    let summary = lib.embed_pending(&|_| {}, &CancelFlag::default()).await.unwrap();
    assert_eq!(summary.error, None, "{summary:?}");
    summary
}

/// The corpus ingested into a fresh library and embedded by a `Words` embedder the caller can
/// watch (and make fail); the folders live as long as the returned guards.
async fn embedded_by_words() -> (tempfile::TempDir, tempfile::TempDir, Library, Arc<Words>) {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    let words = Arc::new(Words::new("test:words", 64, 1));
    lib.set_embedder(words.clone());
    embed_all(&lib).await;
    (files, data, lib, words)
}

fn names(hits: &[library::Hit]) -> Vec<String> {
    hits.iter().map(|h| Path::new(&h.path).file_name().unwrap().to_string_lossy().into_owned()).collect()
}

const PARAPHRASE: &str = "how much did the railway ticket cost";

#[tokio::test(flavor = "multi_thread")]
async fn a_paraphrase_is_found_by_meaning_where_keywords_find_nothing() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    let summary = embed_all(&lib).await;
    assert_eq!((summary.documents, summary.chunks, summary.remaining), (4, 4, 0));

    assert!(lib.search_mode(PARAPHRASE, 5, SearchMode::Lexical).await.unwrap().is_empty());
    let semantic = lib.search_mode(PARAPHRASE, 5, SearchMode::Semantic).await.unwrap();
    assert_eq!(names(&semantic)[0], "travel.txt");
    assert_eq!(semantic[0].scores.lexical, None);
    assert_eq!(semantic[0].scores.semantic, Some(semantic[0].score));
    assert!(semantic[0].score > semantic[1].score, "{semantic:#?}");
    assert_eq!(semantic[0].text, TRAIN);
    // Plain search (the engine's and the search box's) is hybrid now.
    let hybrid = lib.search(PARAPHRASE, 5).await.unwrap();
    assert_eq!(names(&hybrid)[0], "travel.txt");
    assert_eq!(hybrid[0].scores.semantic, semantic[0].scores.semantic);
    assert!((hybrid[0].scores.fused - 1.0 / (library::RRF_K + 1.0)).abs() < 1e-6);
}

#[tokio::test(flavor = "multi_thread")]
async fn hybrid_fuses_both_rankings_by_reciprocal_rank() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    embed_all(&lib).await;

    // "fiscal" is a keyword of trust.txt; "accounting year begin" means the same to the embedder.
    let query = "fiscal accounting year begin";
    let lexical = lib.search_mode(query, 10, SearchMode::Lexical).await.unwrap();
    assert_eq!(names(&lexical), ["trust.txt"]);
    let found = lib.search_detailed(query, 10, SearchMode::Hybrid).await.unwrap();
    assert_eq!((found.mode, found.note.as_deref()), (SearchMode::Hybrid, None));
    let top = &found.hits[0];
    assert_eq!(names(&found.hits)[0], "trust.txt");
    // First in both lists: 2 / (k + 1), with both scores reported.
    assert!((top.scores.fused - 2.0 / (library::RRF_K + 1.0)).abs() < 1e-6, "{:?}", top.scores);
    assert_eq!(top.scores.lexical, Some(lexical[0].score));
    assert!(top.scores.semantic.unwrap() > 0.2, "{:?}", top.scores);
    assert_eq!(top.score, top.scores.fused);
    // Everything else came from the semantic side only, ranked after.
    assert_eq!(found.hits.len(), 4);
    for h in &found.hits[1..] {
        assert_eq!(h.scores.lexical, None);
        assert!(h.scores.fused < top.scores.fused);
    }
    // The keyword snippet is kept; a chunk found by meaning only gets the start of its text.
    assert!(top.snippet_html.contains("<b>fiscal</b>"), "{}", top.snippet_html);
    let limited = lib.search_mode(query, 2, SearchMode::Hybrid).await.unwrap();
    assert_eq!(limited.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_stays_lexical_until_something_is_embedded_and_says_why() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;

    // No embedder at all: keyword search, and the status explains.
    let status = lib.semantic_status().await.unwrap();
    assert!(matches!(&status, SemanticStatus::Off { reason } if reason.contains("no embedding model")), "{status:?}");
    lib.disable_semantic("no embedding model at /nowhere: run `catena embedding download`");
    let found = lib.search_detailed("train fare", 5, SearchMode::Hybrid).await.unwrap();
    assert_eq!(found.mode, SearchMode::Lexical);
    assert!(found.note.as_deref().unwrap().contains("catena embedding download"), "{found:?}");
    assert_eq!(names(&found.hits), ["travel.txt"]);
    let semantic = lib.search_detailed("train fare", 5, SearchMode::Semantic).await.unwrap();
    assert!(semantic.hits.is_empty());
    assert!(semantic.note.unwrap().contains("/nowhere"));
    assert!(lib.documents().await.unwrap().iter().all(|d| !d.embedded));

    // An embedder, nothing embedded yet: still lexical.
    lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    assert_eq!(
        lib.semantic_status().await.unwrap(),
        SemanticStatus::On { model: "test:words".into(), embedded: 0, total: 4 }
    );
    let found = lib.search_detailed(PARAPHRASE, 5, SearchMode::Hybrid).await.unwrap();
    assert_eq!(found.mode, SearchMode::Lexical);
    assert!(found.note.unwrap().contains("no document is embedded yet"));
    assert!(lib.search(PARAPHRASE, 5).await.unwrap().is_empty());

    embed_all(&lib).await;
    assert_eq!(
        lib.semantic_status().await.unwrap(),
        SemanticStatus::On { model: "test:words".into(), embedded: 4, total: 4 }
    );
    assert!(lib.documents().await.unwrap().iter().all(|d| d.embedded));
    assert_eq!(names(&lib.search(PARAPHRASE, 5).await.unwrap())[0], "travel.txt");
}

#[tokio::test(flavor = "multi_thread")]
async fn vectors_survive_a_restart_and_are_not_computed_again() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    {
        let lib = ingested(files.path(), data.path()).await;
        lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
        embed_all(&lib).await;
    }
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    let words = Arc::new(Words::new("test:words", 64, 1));
    lib.set_embedder(words.clone());
    let again = embed_all(&lib).await;
    assert_eq!((again.documents, again.remaining), (0, 0));
    assert_eq!(words.calls.load(Ordering::SeqCst), 0, "nothing was embedded again");
    assert_eq!(names(&lib.search_mode(PARAPHRASE, 3, SearchMode::Semantic).await.unwrap())[0], "travel.txt");
    // One call: the query.
    assert_eq!(words.calls.load(Ordering::SeqCst), 1);
    let report = lib.check().await.unwrap();
    assert!(report.is_consistent(), "{report:?}");
    assert_eq!((report.embedded, report.vectors), (4, 4));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_sees_vectors_another_library_commits_later() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let writer = ingested(files.path(), data.path()).await;
    let reader = Library::open_read(data.path()).await.unwrap();
    reader.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    assert!(reader.search_mode(PARAPHRASE, 3, SearchMode::Semantic).await.unwrap().is_empty());

    writer.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    embed_all(&writer).await;
    let hits = reader.search_mode(PARAPHRASE, 3, SearchMode::Semantic).await.unwrap();
    assert_eq!(names(&hits)[0], "travel.txt");

    // A removal elsewhere takes the document out of the reader's semantic results too.
    writer.remove(&files.path().join("travel.txt").to_string_lossy()).await.unwrap();
    let reader = Library::open_read(data.path()).await.unwrap();
    reader.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    let hits = reader.search_mode(PARAPHRASE, 3, SearchMode::Semantic).await.unwrap();
    assert!(!names(&hits).contains(&"travel.txt".to_owned()), "{hits:#?}");
    let report = reader.check().await.unwrap();
    assert!(report.is_consistent(), "{report:?}");
    assert_eq!(report.vectors, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_model_never_mixes_vectors_and_re_embeds() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    lib.set_embedder(Arc::new(Words::new("test:a", 64, 1)));
    embed_all(&lib).await;
    assert_eq!(names(&lib.search_mode(PARAPHRASE, 1, SearchMode::Semantic).await.unwrap()), ["travel.txt"]);

    // Model b: its own dimension and hashing. Model a's vectors are still stored but unused.
    let b = Arc::new(Words::new("test:b", 48, 2));
    lib.set_embedder(b.clone());
    let found = lib.search_detailed(PARAPHRASE, 3, SearchMode::Semantic).await.unwrap();
    assert!(found.hits.is_empty(), "model a's vectors answered a model b query: {found:?}");
    assert!(found.note.unwrap().contains("test:b"));
    assert!(lib.documents().await.unwrap().iter().all(|d| !d.embedded));
    assert_eq!(lib.catalog().embedding_models().await.unwrap(), vec![("test:a".to_owned(), 4)]);

    let summary = embed_all(&lib).await;
    assert_eq!((summary.model.as_str(), summary.documents, summary.dropped_other_models), ("test:b", 4, 4));
    assert_eq!(lib.catalog().embedding_models().await.unwrap(), vec![("test:b".to_owned(), 4)]);
    // Model b answers from its own vectors (every document re-embedded, one hit per chunk asked).
    let hits = lib.search_mode(PARAPHRASE, 4, SearchMode::Semantic).await.unwrap();
    assert_eq!(hits.len(), 4, "{hits:#?}");
    assert!(hits.iter().all(|h| h.scores.semantic.is_some()), "{hits:#?}");
    assert!(lib.check().await.unwrap().is_consistent());
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_between_batches_commits_whole_documents_only_and_a_rerun_resumes() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // One long document: about 80 chunks, three batches.
    let long: String = (0..80)
        .map(|i| format!("Paragraph {i} describes the lighthouse keeper's logbook entry number {i} in detail.\n\n"))
        .collect();
    std::fs::write(files.path().join("long.md"), long.repeat(10)).unwrap();
    std::fs::write(files.path().join("dogs.txt"), DOGS).unwrap();
    let lib = ingested(files.path(), data.path()).await;
    let docs = lib.documents().await.unwrap();
    let long_doc = docs.iter().find(|d| d.path.ends_with("long.md")).unwrap();
    assert!(long_doc.chunks as usize > 2 * library::EMBED_BATCH, "{long_doc:?}");

    let cancel = CancelFlag::default();
    let mut words = Words::new("test:words", 64, 1);
    // dogs.txt (id order: dogs first or long first) — cancel during the long document's second batch.
    let first_is_long =
        docs.iter().filter(|d| d.status == library::Status::Indexed).min_by_key(|d| d.id).unwrap().id == long_doc.id;
    words.cancel_on_call = Some((if first_is_long { 2 } else { 3 }, cancel.clone()));
    lib.set_embedder(Arc::new(words));
    let seen = std::sync::Mutex::new(Vec::new());
    let summary = lib.embed_pending(&|p| seen.lock().unwrap().push(p.clone()), &cancel).await.unwrap();
    assert!(summary.interrupted, "{summary:?}");
    let long_now = lib.document(long_doc.id).await.unwrap().unwrap();
    assert!(!long_now.embedded, "a half-embedded document must not count as embedded");
    let counts = lib.catalog().vector_counts().await.unwrap();
    assert!(counts.iter().all(|c| c.doc_id != long_doc.id), "no vector of the unfinished document: {counts:?}");
    assert!(lib.check().await.unwrap().is_consistent());
    {
        let progress = seen.lock().unwrap();
        assert!(progress.iter().any(|p| p.chunks_done > 0 && p.chunks_done < p.chunks_total), "{progress:?}");
    }

    // A new run (as after a restart) embeds what is missing, and only that.
    lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    let rest = embed_all(&lib).await;
    assert!(!rest.interrupted);
    assert!(rest.documents >= 1 && rest.remaining == 0, "{rest:?}");
    assert!(lib.documents().await.unwrap().iter().all(|d| d.embedded));
    let report = lib.check().await.unwrap();
    assert!(report.is_consistent(), "{report:?}");
    assert_eq!(report.vectors, long_doc.chunks + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_embedder_stops_embedding_but_never_search() {
    // Half the library embedded, then the provider goes away.
    let (files, _data, lib, words) = embedded_by_words().await;
    std::fs::write(files.path().join("more.txt"), "The railway museum opens at nine.").unwrap();
    lib.ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    words.fail.store(true, Ordering::SeqCst);
    let summary = lib.embed_pending(&|_| {}, &CancelFlag::default()).await.unwrap();
    assert!(summary.error.as_deref().unwrap().contains("connection refused"), "{summary:?}");
    assert_eq!((summary.documents, summary.remaining), (0, 1));
    let found = lib.search_detailed("railway museum", 5, SearchMode::Hybrid).await.unwrap();
    assert_eq!(found.mode, SearchMode::Lexical);
    assert!(found.note.unwrap().contains("cannot embed the query"));
    assert_eq!(names(&found.hits), ["more.txt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_finds_documents_whose_vectors_do_not_match_their_chunks() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    lib.set_embedder(Arc::new(Words::new("test:words", 64, 1)));
    embed_all(&lib).await;
    assert!(lib.check().await.unwrap().is_consistent());
    let doc = lib.documents().await.unwrap()[0].clone();
    // Two vectors for a one-chunk document, written behind the library's back.
    let v = embed::quantize(&[1.0; 64]);
    lib.catalog().put_doc_vectors(doc.id, "test:words", 64, &[(0, v.clone()), (1, v)]).await.unwrap();
    let report = lib.check().await.unwrap();
    assert!(!report.is_consistent());
    assert_eq!(report.vector_mismatches, vec![(doc.id, "test:words".to_owned(), 1, 2)]);
}

/// The real default model: a question in other words than the passage's finds it, which
/// keyword search cannot.
#[tokio::test(flavor = "multi_thread")]
async fn the_default_model_finds_a_paraphrased_question() {
    let model = embed::testing::test_model_dir();
    let embedder =
        tokio::task::spawn_blocking(move || embed::local::LocalEmbedder::load(&model)).await.unwrap().unwrap();
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    lib.set_embedder(Arc::new(embedder));
    embed_all(&lib).await;
    for (question, wanted) in [
        ("how much was the rail ticket for the politician's journey", "travel.txt"),
        ("when does the financial period commence", "trust.txt"),
        ("where could I get a young canine", "shelter.txt"),
    ] {
        let lexical = lib.search_mode(question, 1, SearchMode::Lexical).await.unwrap();
        assert_ne!(names(&lexical).first().map(String::as_str), Some(wanted), "{question}: keywords already find it");
        let hybrid = lib.search(question, 3).await.unwrap();
        assert_eq!(names(&hybrid)[0], wanted, "{question}: {hybrid:#?}");
    }
}

const AGENDA: &str = "Regular meeting of the Board of Education, April 6, 2016.\n\n\
    The meeting opens at 6:00 p.m. in the district office.\n\n\
    Closed session: public employee performance evaluation of Superintendent Wendy Gudalewicz.\n\n\
    The board then returns to open session for public comment.";

/// Sentence similarities come from the library's model, and only when it has one.
#[tokio::test(flavor = "multi_thread")]
async fn sentence_similarities_need_the_model_and_rank_by_meaning() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    let lib = ingested(files.path(), data.path()).await;
    let texts = [FISCAL.to_owned(), DOGS.to_owned()];
    let off = lib.similarities("when does the financial period commence", &texts).await;
    assert!(off.is_err(), "{off:?}");

    let model = embed::testing::test_model_dir();
    let embedder =
        tokio::task::spawn_blocking(move || embed::local::LocalEmbedder::load(&model)).await.unwrap().unwrap();
    lib.set_embedder(Arc::new(embedder));
    let s = lib.similarities("when does the financial period commence", &texts).await.unwrap();
    assert_eq!(s.len(), 2);
    assert!(s[0] > s[1] + 0.2, "{s:?}");
}

/// The answer without a language model reads by meaning as well as by words: a question put in
/// other words than the agenda's is answered from the sentence that answers it, with its short
/// answer.
#[tokio::test(flavor = "multi_thread")]
async fn the_reader_without_a_model_answers_a_question_in_other_words() {
    let (files, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    corpus(files.path());
    std::fs::write(files.path().join("agenda.txt"), AGENDA).unwrap();
    let lib = ingested(files.path(), data.path()).await;
    let model = embed::testing::test_model_dir();
    let embedder =
        tokio::task::spawn_blocking(move || embed::local::LocalEmbedder::load(&model)).await.unwrap().unwrap();
    lib.set_embedder(Arc::new(embedder));
    embed_all(&lib).await;
    let lib = Arc::new(lib);

    let ports =
        engine::Ports::new(lib.clone() as Arc<dyn engine::ports::Corpus>, Arc::new(library::compose::SystemClock));
    let engine = engine::Engine::new(engine::EngineConfig { use_llm: false, ..Default::default() }, ports);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = engine::CancellationToken::new();
    let run = engine.ask("Which employee's work was appraised behind closed doors?", &tx, &cancel).await.unwrap();
    assert!(!run.not_found, "{run:#?}");
    let first = run.answer.lines().next().unwrap_or_default();
    assert!(first.contains("Wendy Gudalewicz"), "{}", run.answer);
    assert!(!run.citations.is_empty(), "{run:#?}");
    // Nothing here says who designed a tower: the reader says so rather than quote the agenda.
    let run = engine.ask("Who designed the Eiffel Tower?", &tx, &cancel).await.unwrap();
    assert!(run.not_found, "{}", run.answer);
    assert!(run.citations.is_empty(), "{run:#?}");
}

/// A question is embedded once: the search and the reader's sentence similarities that follow
/// it share the query's vector.
#[tokio::test]
async fn a_repeated_query_is_embedded_once() {
    let (_files, _data, lib, words) = embedded_by_words().await;
    let question = "when does the financial period commence";
    let before = words.calls.load(Ordering::SeqCst);
    let first = lib.search(question, 3).await.unwrap();
    assert_eq!(words.calls.load(Ordering::SeqCst), before + 1);
    let again = lib.search(question, 3).await.unwrap();
    assert_eq!(names(&first), names(&again));
    assert_eq!(words.calls.load(Ordering::SeqCst), before + 1, "the same question was embedded again");
    // The sentences are embedded, the question is not.
    lib.similarities(question, &[FISCAL.to_owned()]).await.unwrap();
    assert_eq!(words.calls.load(Ordering::SeqCst), before + 2);
    lib.search("where could I get a young canine", 3).await.unwrap();
    assert_eq!(words.calls.load(Ordering::SeqCst), before + 3);
}

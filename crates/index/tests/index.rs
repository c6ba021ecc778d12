//! Behaviour of the chunk index through its public API, with fixtures built here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use index::{ChunkIndex, ChunkRecord, Hit, IndexError, Location, Span};

fn chunk(doc_id: i64, ordinal: u32, title: &str, text: &str) -> ChunkRecord {
    let start = ordinal as usize * 1000;
    ChunkRecord {
        doc_id,
        ordinal,
        title: title.to_owned(),
        path: format!("/library/doc-{doc_id}.md"),
        format: "md".to_owned(),
        location: Location::Whole,
        span: Span::new(start, start + text.chars().count()),
        text: text.to_owned(),
    }
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.chunk_id.as_str()).collect()
}

fn doc_ids(hits: &[Hit]) -> Vec<i64> {
    hits.iter().map(|h| h.doc_id).collect()
}

/// An in-memory index holding `chunks`, committed as generation 1.
fn index_with(chunks: &[ChunkRecord]) -> ChunkIndex {
    let index = ChunkIndex::open_in_ram().unwrap();
    let mut writer = index.writer().unwrap();
    for c in chunks {
        writer.add(c).unwrap();
    }
    writer.commit(1).unwrap();
    index
}

fn corpus() -> Vec<ChunkRecord> {
    vec![
        chunk(1, 0, "Field notes", "The river runs north past the old mill."),
        chunk(1, 1, "Field notes", "Birds gather at the café by the bridge."),
        chunk(2, 0, "Budget 2024", "Quarterly spending on compost and seeds rose sharply."),
        chunk(2, 1, "Budget 2024", "The quick brown fox audited the ledger."),
        chunk(3, 0, "Animal tales", "A brown quick fox slept all afternoon."),
        chunk(3, 1, "Animal tales", "Foxes and hounds are not friends."),
        chunk(3, 2, "Animal tales", "The hound was sleeping under the porch."),
    ]
}

#[test]
fn commits_survive_reopen_and_uncommitted_work_does_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = ChunkIndex::open(dir.path()).unwrap();
        assert_eq!(index.generation(), 0);
        assert_eq!(index.num_chunks().unwrap(), 0);
        assert!(index.search("river", 10).unwrap().is_empty());

        let mut writer = index.writer().unwrap();
        for c in &corpus() {
            writer.add(c).unwrap();
        }
        writer.commit(7).unwrap();
        // Visible on the same index as soon as commit returns.
        assert_eq!(index.generation(), 7);
        assert_eq!(ids(&index.search("river", 10).unwrap()), ["1:0"]);

        // Work after the commit, then a "crash": the writer goes away without committing.
        writer.add(&chunk(9, 0, "Lost", "zeppelin manifest")).unwrap();
        writer.delete_doc(1).unwrap();
        drop(writer);
    }
    let index = ChunkIndex::open(dir.path()).unwrap();
    assert_eq!(index.generation(), 7);
    assert_eq!(index.num_chunks().unwrap(), 7);
    assert_eq!(ids(&index.search("river", 10).unwrap()), ["1:0"]);
    assert!(index.search("zeppelin", 10).unwrap().is_empty());

    // The writer lock died with the writer: a new one can be taken and used.
    let mut writer = index.writer().unwrap();
    writer.add(&chunk(4, 0, "Later", "zeppelin arrives")).unwrap();
    writer.commit(8).unwrap();
    assert_eq!(index.generation(), 8);
    assert_eq!(doc_ids(&index.search("zeppelin", 10).unwrap()), [4]);
}

#[test]
fn rollback_discards_queued_work() {
    let index = index_with(&corpus());
    let mut writer = index.writer().unwrap();
    writer.add(&chunk(9, 0, "Lost", "zeppelin manifest")).unwrap();
    writer.delete_doc(2).unwrap();
    writer.rollback().unwrap();
    writer.add(&chunk(10, 0, "Kept", "zeppelin landing")).unwrap();
    writer.commit(2).unwrap();
    assert_eq!(index.generation(), 2);
    assert_eq!(doc_ids(&index.search("zeppelin", 10).unwrap()), [10]);
    assert_eq!(index.chunk_counts().unwrap().get(&2), Some(&2));
}

#[test]
fn delete_doc_removes_only_that_doc_and_counts_follow() {
    let index = index_with(&corpus());
    let want: BTreeMap<i64, u64> = [(1, 2), (2, 2), (3, 3)].into();
    assert_eq!(index.chunk_counts().unwrap(), want);

    let mut writer = index.writer().unwrap();
    writer.delete_doc(3).unwrap();
    // Re-indexing doc 2 the way the library does: delete, then add the new chunks in one batch.
    writer.delete_doc(2).unwrap();
    writer.add(&chunk(2, 0, "Budget 2025", "Revised spending on compost.")).unwrap();
    writer.delete_doc(42).unwrap(); // unknown ids are fine
    writer.commit(2).unwrap();

    let want: BTreeMap<i64, u64> = [(1, 2), (2, 1)].into();
    assert_eq!(index.chunk_counts().unwrap(), want);
    assert_eq!(index.num_chunks().unwrap(), 3);
    assert!(index.search("hound", 10).unwrap().is_empty());
    assert!(index.search("ledger", 10).unwrap().is_empty());
    let hits = index.search("compost", 10).unwrap();
    assert_eq!(ids(&hits), ["2:0"]);
    assert_eq!(hits[0].title, "Budget 2025");
    assert_eq!(ids(&index.search("river", 10).unwrap()), ["1:0"]);
}

#[test]
fn chunk_counts_span_segments_and_negative_ids() {
    let index = ChunkIndex::open_in_ram().unwrap();
    let mut writer = index.writer().unwrap();
    // Several commits make several segments; ids interleave and repeat across them.
    for (generation, ids) in [(1, vec![5, 5, -3, 5]), (2, vec![-3, 7]), (3, vec![5])] {
        for (i, id) in ids.into_iter().enumerate() {
            writer.add(&chunk(id, i as u32, "t", "text")).unwrap();
        }
        writer.commit(generation).unwrap();
    }
    let want: BTreeMap<i64, u64> = [(-3, 2), (5, 4), (7, 1)].into();
    assert_eq!(index.chunk_counts().unwrap(), want);
    writer.delete_doc(5).unwrap();
    writer.commit(4).unwrap();
    let want: BTreeMap<i64, u64> = [(-3, 2), (7, 1)].into();
    assert_eq!(index.chunk_counts().unwrap(), want);
}

#[test]
fn stemming_folding_and_stop_words() {
    let index = index_with(&corpus());
    // "running" and "runs" share the stem "run".
    assert_eq!(ids(&index.search("running", 10).unwrap()), ["1:0"]);
    // "sleeps" finds "sleeping"; the irregular "slept" is out of a stemmer's reach.
    assert_eq!(ids(&index.search("sleeps", 10).unwrap()), ["3:2"]);
    // Accents are folded on both sides.
    assert_eq!(ids(&index.search("cafe", 10).unwrap()), ["1:1"]);
    assert_eq!(ids(&index.search("CAFÉ", 10).unwrap()), ["1:1"]);
    // Stop words neither match on their own nor get in the way.
    for q in ["the", "the of and", "\"the\"", "\"to be or not to be\""] {
        assert!(index.search(q, 10).unwrap().is_empty(), "{q:?}");
    }
    assert_eq!(ids(&index.search("the mill", 10).unwrap()), ["1:0"]);
}

#[test]
fn or_semantics_rank_documents_with_more_terms_first() {
    let index = index_with(&corpus());
    let hits = index.search("fox ledger", 10).unwrap();
    assert_eq!(hits[0].chunk_id, "2:1");
    assert!(ids(&hits).contains(&"3:0"));
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(hits.iter().all(|h| h.score > 0.0));
}

#[test]
fn phrases_match_in_order_only() {
    let index = index_with(&corpus());
    assert_eq!(ids(&index.search("\"quick brown fox\"", 10).unwrap()), ["2:1"]);
    assert_eq!(ids(&index.search("“brown quick”", 10).unwrap()), ["3:0"]);
    let loose_hits = index.search("quick brown", 10).unwrap();
    let mut loose = ids(&loose_hits);
    loose.sort();
    assert_eq!(loose, ["2:1", "3:0"]);
    // Stop words inside a phrase are skipped the same way at index and query time.
    assert_eq!(ids(&index.search("\"past the old mill\"", 10).unwrap()), ["1:0"]);
    // Phrases also match titles.
    assert_eq!(doc_ids(&index.search("\"animal tales\"", 10).unwrap()), [3, 3, 3]);
}

#[test]
fn title_matches_are_boosted() {
    let text = "Notes on soil structure and drainage in raised beds.";
    // The doc without the title match goes in first, so index order cannot explain the ranking.
    let index = index_with(&[chunk(1, 0, "Kitchen ledger", text), chunk(2, 0, "Drainage", text)]);
    let hits = index.search("drainage", 10).unwrap();
    assert_eq!(doc_ids(&hits), [2, 1]);
    assert!(hits[0].score > hits[1].score * 1.5, "{} vs {}", hits[0].score, hits[1].score);
    // A title-only match still finds the chunk, with an unmarked snippet of its text.
    let hits = index.search("kitchen", 10).unwrap();
    assert_eq!(doc_ids(&hits), [1]);
    assert_eq!(hits[0].snippet_html, text);
}

#[test]
fn malformed_queries_never_fail() {
    let index = index_with(&corpus());
    let long = "fox ".repeat(5000);
    let cases = [
        "",
        "   ",
        "\"",
        "\"\"",
        "\"unbalanced fox",
        "fox\"",
        "title:",
        "title:fox",
        "text:\"brown",
        "nofield:fox",
        "C++: what",
        "C#",
        ":",
        "::",
        "[",
        "]",
        "[1 TO",
        "{a TO b}",
        "fox:[* TO *]",
        "(",
        ")",
        "(fox",
        "AND",
        "OR",
        "NOT",
        "fox AND",
        "AND fox",
        "fox OR OR hound",
        "-",
        "+",
        "-fox",
        "+fox -",
        "*",
        "fox*",
        "?",
        "~",
        "fox~2",
        "^",
        "fox^",
        "fox^abc",
        "\\",
        "fox\\",
        "'",
        "/regex/",
        "!",
        "&&",
        "||",
        "\u{0}",
        "\u{200B}",
        "🦊",
        "東京 fox",
        "IN [a b]",
        "$fox",
        "@fox",
        long.as_str(),
    ];
    for q in cases {
        let result = index.search(q, 10);
        assert!(result.is_ok(), "{q:?}: {result:?}");
    }
    // Syntax is treated as text: the words around it still count.
    assert_eq!(doc_ids(&index.search("title:ledger", 10).unwrap()), [2]);
    assert_eq!(doc_ids(&index.search("-ledger", 10).unwrap()), [2]);
    assert_eq!(doc_ids(&index.search("ledger AND", 10).unwrap()), [2]);
}

#[test]
fn limits_are_respected() {
    let index = index_with(&corpus());
    assert!(index.search("fox", 0).unwrap().is_empty());
    assert_eq!(index.search("fox", 1).unwrap().len(), 1);
    assert_eq!(index.search("fox hound", usize::MAX).unwrap().len(), 4);
}

#[test]
fn hits_carry_every_field_and_locations_round_trip() {
    let locations = [
        Location::Whole,
        Location::Page { page: 17 },
        Location::Section { path: vec![] },
        Location::Section {
            path: vec![
                "Chapter 1: Über › Ñandú".into(),
                "3.2 \"Quotes\", commas; | pipes / slashes \\ and\nnewlines".into(),
                "章节 🦀".into(),
            ],
        },
        Location::Rows { sheet: "Q3: totals, 2024".into(), first: 2, last: 40 },
        Location::Rows { sheet: String::new(), first: 7, last: 7 },
    ];
    let chunks: Vec<ChunkRecord> = locations
        .iter()
        .enumerate()
        .map(|(i, location)| ChunkRecord {
            doc_id: -(i as i64) - 1000,
            ordinal: u32::MAX - i as u32,
            title: format!("Title «{i}»"),
            path: format!("C:\\Users\\zoë\\doc {i}.pdf"),
            format: "pdf".into(),
            location: location.clone(),
            span: Span::new(i * 10, i * 10 + 123_456),
            text: format!("marker{i} shared words"),
        })
        .collect();
    let index = index_with(&chunks);
    for (i, c) in chunks.iter().enumerate() {
        let hits = index.search(&format!("marker{i}"), 10).unwrap();
        assert_eq!(hits.len(), 1, "marker{i}");
        let h = &hits[0];
        assert_eq!(h.doc_id, c.doc_id);
        assert_eq!(h.chunk_id, format!("{}:{}", c.doc_id, c.ordinal));
        assert_eq!(h.ordinal, c.ordinal);
        assert_eq!(h.title, c.title);
        assert_eq!(h.path, c.path);
        assert_eq!(h.format, c.format);
        assert_eq!(h.location, c.location);
        assert_eq!(h.span, c.span);
        assert_eq!(h.text, c.text);
        assert_eq!(h.snippet_html, format!("<b>marker{i}</b> shared words"));
    }
}

#[test]
fn snippets_mark_terms_and_escape_everything_else() {
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(8);
    let text = format!(
        "{filler}Beware <script>alert('x')</script> & \"quotes\" when parsing tokens; the parser \
         parses. {filler}"
    );
    let index = index_with(&[chunk(1, 0, "Parsing guide", &text)]);
    let hits = index.search("parsing", 10).unwrap();
    assert_eq!(hits.len(), 1);
    let s = &hits[0].snippet_html;
    assert!(s.contains("<b>parsing</b>"), "{s}");
    assert!(s.contains("<b>parses</b>"), "{s}");
    assert!(s.contains("&lt;script&gt;"), "{s}");
    assert!(s.contains("&amp;"), "{s}");
    assert!(!s.contains("<script>"), "{s}");
    let plain = s.replace("<b>", "").replace("</b>", "");
    assert!(!plain.contains('<') && !plain.contains('>'), "{s}");
    // The snippet is an excerpt, not the whole chunk.
    assert!(plain.chars().count() <= 260, "{}", plain.chars().count());
    assert_eq!(hits[0].text, text);

    // A title-only match: the start of the text, still escaped.
    let index = index_with(&[chunk(1, 0, "Guide", "<i>x</i> & more")]);
    assert_eq!(index.search("guide", 10).unwrap()[0].snippet_html, "&lt;i&gt;x&lt;/i&gt; &amp; more");
}

#[test]
fn one_writer_at_a_time() {
    let index = ChunkIndex::open_in_ram().unwrap();
    let writer = index.writer().unwrap();
    assert!(matches!(index.writer(), Err(IndexError::Locked)));
    drop(writer);
    index.writer().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let a = ChunkIndex::open(dir.path()).unwrap();
    let b = ChunkIndex::open(dir.path()).unwrap();
    let writer = a.writer().unwrap();
    assert!(matches!(b.writer(), Err(IndexError::Locked)));
    drop(writer);
    b.writer().unwrap();
}

#[test]
fn a_foreign_schema_is_reported_as_a_mismatch() {
    use tantivy::schema::{Schema, TEXT};
    let dir = tempfile::tempdir().unwrap();
    let mut builder = Schema::builder();
    builder.add_text_field("body", TEXT);
    tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
    assert!(matches!(ChunkIndex::open(dir.path()), Err(IndexError::SchemaMismatch)));
}

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/index");
    let index = ChunkIndex::open(&nested).unwrap();
    assert_eq!(index.generation(), 0);
    assert!(nested.join("meta.json").exists());
}

/// Set in the child process of [`sigkill_keeps_the_last_commit_and_frees_the_lock`].
const CHILD_DIR_ENV: &str = "CATENA_INDEX_TEST_CRASH_DIR";
const CHUNKS_PER_GENERATION: u32 = 40;

/// Not a test of its own: the body of the child process that gets killed. Without the variable
/// set (a normal test run) it does nothing.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let index = ChunkIndex::open(Path::new(&dir)).unwrap();
    let mut writer = index.writer().unwrap();
    // Generation g adds document g: a consistent snapshot holds docs 1..=g, each complete.
    for generation in 1.. {
        let doc = generation as i64;
        for ordinal in 0..CHUNKS_PER_GENERATION {
            let text = format!("alpha beta gamma document{doc} chunk{ordinal}");
            writer.add(&chunk(doc, ordinal, "Crash", &text)).unwrap();
        }
        writer.commit(generation).unwrap();
        println!("committed {generation}");
    }
}

#[test]
fn sigkill_keeps_the_last_commit_and_frees_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_seen = 0;
    while last_seen < 5 {
        assert!(Instant::now() < deadline, "the child made no progress");
        let line = lines.next().expect("the child exited early").unwrap();
        if let Some(g) = line.strip_prefix("committed ") {
            last_seen = g.parse().unwrap();
        }
    }
    // The child is committing in a loop: its writer blocks ours.
    let index = ChunkIndex::open(dir.path()).unwrap();
    assert!(matches!(index.writer(), Err(IndexError::Locked)));

    child.kill().unwrap(); // SIGKILL: no destructors, no unlock, mid-write
    child.wait().unwrap();

    let index = ChunkIndex::open(dir.path()).unwrap();
    let generation = index.generation();
    assert!(generation >= last_seen, "generation {generation} < {last_seen}");
    let want: BTreeMap<i64, u64> = (1..=generation as i64).map(|doc| (doc, u64::from(CHUNKS_PER_GENERATION))).collect();
    assert_eq!(index.chunk_counts().unwrap(), want);
    let mut writer = index.writer().expect("the lock must die with its process");
    writer.add(&chunk(-1, 0, "After", "survivor")).unwrap();
    writer.commit(generation + 1).unwrap();
    assert_eq!(doc_ids(&index.search("survivor", 10).unwrap()), [-1]);
}

#[test]
fn chunk_texts_come_back_by_ordinal_across_segments() {
    let index = ChunkIndex::open_in_ram().unwrap();
    let mut writer = index.writer().unwrap();
    // Document 5's chunks land in two commits (two segments), the later ones first.
    writer.add(&chunk(5, 2, "Split", "third part about lighthouses")).unwrap();
    writer.add(&chunk(4, 0, "Other", "unrelated text")).unwrap();
    writer.commit(1).unwrap();
    writer.add(&chunk(5, 0, "Split", "first part about harbours")).unwrap();
    writer.add(&chunk(5, 1, "Split", "second part about tides")).unwrap();
    writer.commit(2).unwrap();
    let texts = index.chunk_texts(5).unwrap();
    let ordinals: Vec<u32> = texts.iter().map(|(o, _)| *o).collect();
    assert_eq!(ordinals, [0, 1, 2]);
    assert_eq!(texts[1].1, "second part about tides");
    assert!(index.chunk_texts(99).unwrap().is_empty());
    writer.delete_doc(5).unwrap();
    writer.commit(3).unwrap();
    assert!(index.chunk_texts(5).unwrap().is_empty(), "deleted chunks are not read back");
}

#[test]
fn chunks_are_fetched_by_key_in_the_order_asked() {
    let index = index_with(&corpus());
    let hits = index.chunks(&[(3, 2), (1, 0), (42, 0), (3, 9), (2, 1)], "hound porch").unwrap();
    assert_eq!(ids(&hits), ["3:2", "1:0", "2:1"], "unknown documents and ordinals are skipped");
    let hound = &hits[0];
    assert_eq!(hound.text, "The hound was sleeping under the porch.");
    assert_eq!(hound.title, "Animal tales");
    assert_eq!(hound.span, Span::new(2000, 2000 + hound.text.chars().count()));
    assert!(hound.snippet_html.contains("<b>hound</b>"), "{}", hound.snippet_html);
    // A chunk without the query's words gets the start of its text as its snippet.
    assert_eq!(hits[1].snippet_html, "The river runs north past the old mill.");
    assert_eq!(hits[1].scores, index::Scores::default());
}

#[test]
fn keyword_hits_carry_their_bm25_score_as_lexical_and_fused() {
    let index = index_with(&corpus());
    let hits = index.search("fox", 10).unwrap();
    assert!(!hits.is_empty());
    for h in &hits {
        assert_eq!(h.scores.lexical, Some(h.score));
        assert_eq!(h.scores.semantic, None);
        assert_eq!(h.scores.fused, h.score);
    }
}

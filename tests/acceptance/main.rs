//! The library end to end over real tantivy and SQLite: spans, tables, cancellation, locking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use acceptance::{good_corpus, words, write};
use library::{CancelFlag, IngestEvent, IngestOptions, Library, LibraryError, LibraryOptions, Status};

async fn library_with_corpus() -> (tempfile::TempDir, tempfile::TempDir, Library) {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    good_corpus(files.path());
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    let s = lib
        .ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    assert_eq!(s.ingested, 8, "{s:?}");
    (files, data, lib)
}

fn char_slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_point_into_the_stored_text() {
    let (_f, _d, lib) = library_with_corpus().await;
    for q in
        ["xylophone", "quokka", "zeppelin", "narwhals", "curling granite", "Toronto", "Richard", "brûlée délicieux"]
    {
        let hits = lib.search(q, 10).await.unwrap();
        assert!(!hits.is_empty(), "{q}");
        for h in hits {
            let text = lib.text(h.doc_id).await.unwrap().unwrap();
            assert_eq!(char_slice(&text, h.span.start, h.span.end), h.text, "{q}: span of {}", h.chunk_id);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_are_kept_typed_for_analysis() {
    let (_f, _d, lib) = library_with_corpus().await;
    let docs = lib.documents().await.unwrap();
    let csv = docs.iter().find(|d| d.path.ends_with("cups.csv")).unwrap();
    let tables = lib.catalog().tables(csv.id).await.unwrap();
    assert_eq!(tables.len(), 1);
    let kinds: Vec<_> = tables[0].columns.iter().map(|c| (c.name.as_str(), c.kind.as_str())).collect();
    assert_eq!(kinds, vec![("Team", "text"), ("Cups", "integer"), ("Last win", "date")]);
    assert_eq!(tables[0].row_count, 3);
    let rows = lib.catalog().table_rows(tables[0].id, 1, 1).await.unwrap();
    assert_eq!(rows[0], serde_json::json!(["Montreal Canadiens", 24, "1993-06-09"]));

    let xlsx = docs.iter().find(|d| d.path.ends_with("players.xlsx")).unwrap();
    let tables = lib.catalog().tables(xlsx.id).await.unwrap();
    let sheets: Vec<_> = tables.iter().map(|t| t.sheet.as_str()).collect();
    assert_eq!(sheets, vec!["Players", "Notes"]);
    let players = &tables[0];
    assert_eq!(players.columns[1].kind, "integer", "{players:?}");
    let rows = lib.catalog().table_rows(players.id, 2, 2).await.unwrap();
    assert_eq!(rows[0][1], serde_json::Value::Null, "the empty cell stays empty");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_ingest_keeps_what_it_finished() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            files.path(),
            &format!("n{i:02}.md"),
            format!("# Note {i}\n\nPlatypus observation number {i}.\n").as_bytes(),
        );
    }
    let opts = LibraryOptions { workers: 1, commit_every_docs: 5, ..LibraryOptions::default() };
    let lib = Library::open_write(data.path(), opts).await.unwrap();
    let cancel = CancelFlag::default();
    let c2 = cancel.clone();
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let on_event = move |e: IngestEvent| {
        if matches!(e, IngestEvent::File { .. }) && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 11 {
            c2.cancel();
        }
    };
    let s = lib.ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &on_event, &cancel).await.unwrap();
    assert!(s.interrupted);
    assert!(s.ingested >= 12 && s.ingested < 40, "{s:?}");
    let docs = lib.documents().await.unwrap();
    assert_eq!(docs.len() as u64, s.ingested);
    assert!(docs.iter().all(|d| d.status == Status::Indexed));
    assert!(lib.check().await.unwrap().is_consistent());
    // The next run picks up the rest.
    let s = lib
        .ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    assert_eq!(s.ingested + s.skipped, 40);
    assert_eq!(lib.documents().await.unwrap().len(), 40);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_writer_at_a_time_and_readers_never_wait() {
    let (files, data, lib) = library_with_corpus().await;
    match Library::open_write(data.path(), LibraryOptions::default()).await {
        Err(LibraryError::Busy(_)) => {}
        Err(e) => panic!("expected busy, got {e}"),
        Ok(_) => panic!("a second writer was allowed"),
    }
    let reader = Library::open_read(data.path()).await.unwrap();
    let hits = reader.search(words::EPUB_CH2, 5).await.unwrap();
    assert!(hits[0].path.ends_with("winter.epub"), "{hits:?}");
    // A reader cannot write.
    let r =
        reader.ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default()).await;
    assert!(matches!(r, Err(LibraryError::ReadOnly)));
    drop(lib);
    Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_files_are_refused_by_setting() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let big: PathBuf = write(files.path(), "big.txt", "lemur ".repeat(20_000).as_bytes());
    let mut opts = LibraryOptions::default();
    opts.extract.max_file_bytes = 50_000;
    let lib = Library::open_write(data.path(), opts).await.unwrap();
    let s = lib.ingest(&[big], &IngestOptions::default(), &|_| {}, &CancelFlag::default()).await.unwrap();
    assert_eq!(s.failed.len(), 1);
    assert!(s.failed[0].1.contains("over the 50000-byte limit"), "{:?}", s.failed);
    assert!(lib.search("lemur", 5).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_library_keeps_the_corpus_contract() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (title, text) in engine::testing::contract::CORPUS_DOCS {
        write(files.path(), &format!("{title}.md"), format!("# {title}\n\n{text}\n").as_bytes());
    }
    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    lib.ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    engine::testing::contract::corpus(&lib).await;
}

/// Questions about a document itself (its arXiv id, its authors) find its title page, through
/// the card indexed with the first chunk, even when later pages use the question's words more.
#[tokio::test(flavor = "multi_thread")]
async fn questions_about_a_document_find_its_title_page() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let title_page = "Sparse Retrieval with Learned Harbour Maps\nAna Lima1, Bo Chen2 and Carla Duarte1\n\
                      1 University of Porto\narXiv:2401.12345v2 [cs.IR] 14 Jan 2024\nAbstract\n\
                      We describe a method for charting small ports from survey data.";
    let body = |n: usize| {
        format!(
            "Section {n}. Sparse retrieval with learned harbour maps gives every harbour map an identifier.\n\
             The identifier of a learned harbour map is written by the surveyor who wrote the map.\n\
             Sparse retrieval finds the identifier of each harbour map, unlike maps on arXiv."
        )
    };
    let pages: Vec<String> = (2..=4).map(body).collect();
    let mut all: Vec<&str> = vec![title_page];
    all.extend(pages.iter().map(String::as_str));
    write(files.path(), "paper.pdf", &acceptance::pdf("untitled", &all));
    write(files.path(), "other.md", b"# Tide tables\n\nHarbour maps and tide tables for the northern coast.\n");

    let lib = Library::open_write(data.path(), LibraryOptions::default()).await.unwrap();
    lib.ingest(&[files.path().to_path_buf()], &IngestOptions::default(), &|_| {}, &CancelFlag::default())
        .await
        .unwrap();
    let paper = lib.documents().await.unwrap().into_iter().find(|d| d.path.ends_with("paper.pdf")).unwrap();
    let card = lib.card(paper.id).await.unwrap().expect("the paper has a card");
    assert_eq!(card.identifier(library::IdentifierKind::Arxiv), Some("2401.12345v2"));
    assert_eq!(card.authors, ["Ana Lima", "Bo Chen", "Carla Duarte"]);
    assert!(paper.chunks >= 2, "{paper:?}");

    for question in [
        "What is the arXiv identifier of Sparse Retrieval with Learned Harbour Maps?",
        "Who wrote Sparse Retrieval with Learned Harbour Maps?",
    ] {
        let hits = lib.search(question, 5).await.unwrap();
        let top = &hits[0];
        assert_eq!((top.doc_id, top.ordinal), (paper.id, 0), "{question}: {hits:#?}");
        // The title page is cited as it is: its text and span are the stored text's.
        let text = lib.text(paper.id).await.unwrap().unwrap();
        assert_eq!(char_slice(&text, top.span.start, top.span.end), top.text);
        assert!(top.text.starts_with("Sparse Retrieval with Learned Harbour Maps"), "{}", top.text);
        assert_eq!(top.title, "paper", "the displayed title is the document's, not the card line");
    }
}

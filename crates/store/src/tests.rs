use super::*;

fn doc(path: &str, hash: &str) -> NewDoc {
    NewDoc {
        path: path.into(),
        title: Some("T".into()),
        format: Some("text".into()),
        size: 10,
        content_hash: Some(hash.into()),
        chunks: 2,
        ..NewDoc::default()
    }
}

fn statuses(rows: &[DocRow]) -> Vec<(String, &'static str)> {
    rows.iter().map(|r| (r.path.clone(), r.status.as_str())).collect()
}

#[tokio::test]
async fn committed_work_completes_and_uncommitted_work_is_undone() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let a = cat.insert_pending(&doc("/a", "h1"), "alpha", &[], 1).await.unwrap();
    cat.finish_generation(1).await.unwrap();
    // Generation 2: b is new, a is being replaced by a2. The index committed generation 2 …
    let _b = cat.insert_pending(&doc("/b", "h2"), "beta", &[], 2).await.unwrap();
    cat.mark_for_deletion(a, Status::Replacing, 2).await.unwrap();
    let _a2 = cat.insert_pending(&doc("/a", "h3"), "alpha 2", &[], 2).await.unwrap();
    // … but the process died before finish_generation(2).
    let rec = cat.recover(2).await.unwrap();
    assert_eq!(rec, Recovery { completed: 2, rolled_back: 0, deleted: 1, restored: 0, moves_undone: 0 });
    let rows = cat.all().await.unwrap();
    assert_eq!(statuses(&rows), vec![("/a".into(), "indexed"), ("/b".into(), "indexed")]);
    assert_eq!(cat.text(rows[0].id).await.unwrap().as_deref(), Some("alpha 2"));
    assert!(cat.recover(2).await.unwrap().is_clean());
}

#[tokio::test]
async fn work_the_index_never_committed_is_rolled_back() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let a = cat.insert_pending(&doc("/a", "h1"), "alpha", &[], 1).await.unwrap();
    cat.finish_generation(1).await.unwrap();
    cat.mark_for_deletion(a, Status::Removing, 2).await.unwrap();
    cat.insert_pending(&doc("/c", "h4"), "gamma", &[], 2).await.unwrap();
    // A reader of index generation 1 sees the state before generation 2 began.
    let seen = cat.visible(1).await.unwrap();
    assert_eq!(statuses(&seen), vec![("/a".into(), "indexed")]);
    let rec = cat.recover(1).await.unwrap();
    assert_eq!(rec, Recovery { completed: 0, rolled_back: 1, deleted: 0, restored: 1, moves_undone: 0 });
    assert_eq!(statuses(&cat.all().await.unwrap()), vec![("/a".into(), "indexed")]);
    assert_eq!(cat.text(a).await.unwrap().as_deref(), Some("alpha"));
}

#[tokio::test]
async fn the_card_is_written_with_its_document_and_goes_with_it() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let card = serde_json::json!({"title": "On Harbours", "authors": ["Ana Lima"], "date": "2020-09-30",
        "identifiers": [{"kind": "arxiv", "value": "2004.04906v3", "source": "first_page"}], "source": {}});
    let with = NewDoc { card: Some(card.clone()), ..doc("/a.pdf", "h1") };
    let a = cat.insert_pending(&with, "alpha", &[], 1).await.unwrap();
    let b = cat.insert_pending(&doc("/b.txt", "h2"), "beta", &[], 1).await.unwrap();
    assert_eq!(cat.card(a).await.unwrap(), Some(card.clone()));
    assert_eq!(cat.get(a).await.unwrap().unwrap().card, Some(card));
    assert_eq!(cat.card(b).await.unwrap(), None, "a document without a card");
    assert_eq!(cat.card(999).await.unwrap(), None, "no such document");
    // Rolled back with its row when the index never committed it.
    cat.recover(0).await.unwrap();
    assert_eq!(cat.card(a).await.unwrap(), None);
}

#[tokio::test]
async fn failures_replace_failures_and_keep_the_reason() {
    let cat = Catalog::open_in_memory().await.unwrap();
    cat.record_failure(&doc("/x.pdf", "h"), "corrupt pdf file: bad xref").await.unwrap();
    cat.record_failure(&doc("/x.pdf", "h2"), "empty file (0 bytes)").await.unwrap();
    let rows = cat.by_path("/x.pdf").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, Status::Failed);
    assert_eq!(rows[0].error.as_deref(), Some("empty file (0 bytes)"));
}

#[tokio::test]
async fn tables_round_trip_with_typed_cells() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let table = NewTable {
        sheet: "Cups".into(),
        columns: vec![
            TableColumn { name: "team".into(), kind: "text".into() },
            TableColumn { name: "wins".into(), kind: "integer".into() },
        ],
        rows: vec![serde_json::json!(["Montreal", 24]), serde_json::json!(["Toronto", null])],
    };
    let id = cat.insert_pending(&doc("/t.csv", "h"), "team: Montreal", &[table], 1).await.unwrap();
    let tables = cat.tables(id).await.unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].row_count, 2);
    assert_eq!(tables[0].columns[1].kind, "integer");
    let rows = cat.table_rows(tables[0].id, 2, 2).await.unwrap();
    assert_eq!(rows, vec![serde_json::json!(["Toronto", null])]);
}

#[tokio::test]
async fn a_file_catalog_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    {
        let cat = Catalog::open(&path).await.unwrap();
        cat.insert_pending(&doc("/a", "h1"), "alpha", &[], 1).await.unwrap();
        cat.finish_generation(1).await.unwrap();
        cat.close().await;
    }
    let cat = Catalog::open(&path).await.unwrap();
    assert_eq!(cat.generation().await.unwrap(), 1);
    assert_eq!(cat.by_hash("h1").await.unwrap().map(|d| d.path), Some("/a".to_string()));
}

#[test]
fn many_processes_opening_a_new_catalog_at_once_all_succeed() {
    // Each thread has its own runtime and pool, as separate processes would: without the open
    // lock, several of them migrate the fresh file at once and fail with "table … already
    // exists".
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async move {
                        barrier.wait();
                        let cat = Catalog::open(&path).await?;
                        let generation = cat.generation().await?;
                        cat.close().await;
                        Ok::<u64, StoreError>(generation)
                    })
                })
            })
            .collect();
        for h in handles {
            let opened = h.join().unwrap();
            assert!(matches!(opened, Ok(0)), "round {round}: {opened:?}");
        }
    }
}

#[tokio::test]
async fn an_up_to_date_catalog_is_recognised_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let cat = Catalog::open(&path).await.unwrap();
    assert!(schema_is_current(&cat.pool).await);
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(&cat.pool)
        .await
        .unwrap();
    assert!(!schema_is_current(&cat.pool).await);
    let fresh = Catalog { pool: SqlitePool::connect("sqlite::memory:").await.unwrap() };
    assert!(!schema_is_current(&fresh.pool).await);
}

#[tokio::test]
async fn quick_check_finds_a_sound_catalog_sound() {
    let cat = Catalog::open_in_memory().await.unwrap();
    assert!(cat.integrity_problems().await.unwrap().is_empty());
}

mod runs {
    use engine::MissingPolicy;
    use engine::run::*;

    use super::*;

    /// A run with two chained nodes, one piece of evidence each, a citation and two calls.
    fn run(id: &str, started_at: &str) -> RunRecord {
        let node = |id: u32, depends_on: Vec<u32>| NodeRecord {
            id,
            action: Action::KnowledgeBase,
            sub_question: format!("step {id}?"),
            depends_on,
            missing: id == 2,
            guess_answer: if id == 2 { String::new() } else { "1844".into() },
            answer: "1844".into(),
            status: NodeStatus::Done,
            mrfs: (id == 1).then_some(0.87),
            decision: Some(if id == 1 { Decision::Kept } else { Decision::Filled }),
            path: if id == 1 { RetrievalPath::RetrievedVerify } else { RetrievalPath::RetrievedMissing },
            reason: None,
            scores: vec![ScoreRecord { evidence_id: id, score: 0.87 }],
            evidence: vec![id],
        };
        let evidence = |id: u32| EvidenceRecord {
            id,
            node_id: id,
            kind: EvidenceKind::Document,
            doc_id: Some(7),
            chunk_id: Some(format!("7:{id}")),
            path: Some("/docs/x.pdf".into()),
            title: "X".into(),
            page: Some(3),
            location: "p. 3".into(),
            url: None,
            span: Some([10, 52]),
            text: "X was founded in 1844.".into(),
            score: 1.25,
            fetched_at: None,
            note: None,
            table: None,
        };
        let call = |purpose| CallRecord { purpose, prompt_tokens: 100, completion_tokens: 20, latency_ms: 5, ok: true };
        RunRecord {
            run_id: id.into(),
            question: format!("question of {id}"),
            mode: Mode::Llm,
            run_mode: Default::default(),
            agent_protocol: None,
            observations: None,
            predictions: Vec::new(),
            answer: "X was founded in 1844 [1].".into(),
            short_answer: None,
            not_found: false,
            llm_error: None,
            llm_error_kind: None,
            nodes: vec![node(1, vec![]), node(2, vec![1])],
            evidence: vec![evidence(1), evidence(2)],
            citations: vec![CitationRecord {
                marker: 1,
                evidence_id: 1,
                sentence: "X was founded in 1844.".into(),
                verdict: Verdict::Supported,
                reason: String::new(),
            }],
            unsupported_sentences: vec!["Something else.".into()],
            conflicts: vec![],
            usage: UsageRecord {
                llm_calls: 2,
                prompt_tokens: 200,
                completion_tokens: 40,
                actions: 2,
                wall_ms: 1234,
                calls: vec![call(CallPurpose::Plan), call(CallPurpose::Answer)],
            },
            plan_raw: Some("{\"chain\": []}".into()),
            started_at: started_at.into(),
            finished_at: started_at.into(),
            settings: SettingsRecord {
                mrfs_threshold: 0.71,
                missing_policy: MissingPolicy::RetrieveAndVerify,
                max_nodes: 6,
                top_k: 3,
                concurrency: 4,
                use_llm: true,
            },
        }
    }

    async fn count(cat: &Catalog, table: &'static str) -> i64 {
        // Table names come from the test's own literals.
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        sqlx::query_scalar(sql).fetch_one(&cat.pool).await.unwrap()
    }

    #[tokio::test]
    async fn a_run_round_trips_exactly_with_its_projection() {
        let cat = Catalog::open_in_memory().await.unwrap();
        let r = run("r-1000-aa", "2026-01-02T03:04:05.678Z");
        cat.save_run(&r).await.unwrap();
        assert_eq!(cat.get_run("r-1000-aa").await.unwrap(), Some(r.clone()));

        for (table, n) in [("runs", 1), ("run_nodes", 2), ("run_evidence", 2), ("run_citations", 1), ("run_calls", 2)] {
            assert_eq!(count(&cat, table).await, n, "{table}");
        }
        let node: (String, String, String, Option<f64>, Option<String>, bool) = sqlx::query_as(
            "SELECT action, depends_on, status, mrfs, decision, missing FROM run_nodes WHERE run_id = ? AND id = 2",
        )
        .bind("r-1000-aa")
        .fetch_one(&cat.pool)
        .await
        .unwrap();
        assert_eq!(node, ("knowledge_base".into(), "[1]".into(), "done".into(), None, Some("filled".into()), true));
        let ev: (String, Option<i64>, Option<i64>, Option<i64>, f64) =
            sqlx::query_as("SELECT kind, page, span_start, span_end, score FROM run_evidence WHERE id = 1")
                .fetch_one(&cat.pool)
                .await
                .unwrap();
        assert_eq!(ev, ("document".into(), Some(3), Some(10), Some(52), 1.25));
        let usage: (String, i64, i64, i64) = sqlx::query_as("SELECT mode, llm_calls, prompt_tokens, wall_ms FROM runs")
            .fetch_one(&cat.pool)
            .await
            .unwrap();
        assert_eq!(usage, ("llm".into(), 2, 200, 1234));
        let verdict: String =
            sqlx::query_scalar("SELECT verdict FROM run_citations").fetch_one(&cat.pool).await.unwrap();
        assert_eq!(verdict, "supported");
        let purposes: Vec<String> =
            sqlx::query_scalar("SELECT purpose FROM run_calls ORDER BY seq").fetch_all(&cat.pool).await.unwrap();
        assert_eq!(purposes, ["plan", "answer"]);
    }

    #[tokio::test]
    async fn a_failed_save_writes_nothing() {
        let cat = Catalog::open_in_memory().await.unwrap();
        // Two evidence rows with the same id: the second insert fails inside the transaction,
        // after the run and its nodes were written.
        let mut bad = run("r-1-bad", "2026-01-02T03:04:05.678Z");
        bad.evidence[1].id = 1;
        assert!(cat.save_run(&bad).await.is_err());
        for table in ["runs", "run_nodes", "run_evidence", "run_citations", "run_calls"] {
            assert_eq!(count(&cat, table).await, 0, "{table}");
        }
        // An id is required, and an id is never reused.
        assert!(cat.save_run(&run("", "2026-01-02T03:04:05.678Z")).await.is_err());
        let ok = run("r-2-ok", "2026-01-02T03:04:05.678Z");
        cat.save_run(&ok).await.unwrap();
        assert!(cat.save_run(&ok).await.is_err());
        assert_eq!(count(&cat, "runs").await, 1);
    }

    #[tokio::test]
    async fn runs_are_listed_newest_first() {
        let cat = Catalog::open_in_memory().await.unwrap();
        for (id, at) in [
            ("r-2-b", "2026-01-02T00:00:00.000Z"),
            ("r-3-c", "2026-03-01T00:00:00.000Z"),
            ("r-1-a", "2025-12-31T23:59:59.999Z"),
            ("r-3-d", "2026-03-01T00:00:00.000Z"),
        ] {
            cat.save_run(&run(id, at)).await.unwrap();
        }
        let ids = |l: Vec<RunSummary>| l.into_iter().map(|s| s.run_id).collect::<Vec<_>>();
        assert_eq!(ids(cat.list_runs(10).await.unwrap()), ["r-3-d", "r-3-c", "r-2-b", "r-1-a"]);
        let top = cat.list_runs(2).await.unwrap();
        assert_eq!(ids(top.clone()), ["r-3-d", "r-3-c"]);
        assert_eq!(
            top[0],
            RunSummary {
                run_id: "r-3-d".into(),
                question: "question of r-3-d".into(),
                mode: Mode::Llm,
                started_at: "2026-03-01T00:00:00.000Z".into(),
                wall_ms: 1234,
                llm_calls: 2,
            }
        );
        assert!(Catalog::open_in_memory().await.unwrap().list_runs(10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_unique_id_prefix_finds_a_run() {
        let cat = Catalog::open_in_memory().await.unwrap();
        for id in ["r-100-aa", "r-100-ab", "r-200-cc", "r-200-c"] {
            cat.save_run(&run(id, "2026-01-02T03:04:05.678Z")).await.unwrap();
        }
        let found = |id: &str| {
            let cat = cat.clone();
            let id = id.to_string();
            async move { cat.get_run(&id).await.unwrap().map(|r| r.run_id) }
        };
        assert_eq!(found("r-100-aa").await.as_deref(), Some("r-100-aa"));
        assert_eq!(found("r-100-ab").await.as_deref(), Some("r-100-ab"));
        // An exact id wins over the longer ids it is a prefix of.
        assert_eq!(found("r-200-c").await.as_deref(), Some("r-200-c"));
        assert_eq!(found("r-200-cc").await.as_deref(), Some("r-200-cc"));
        assert_eq!(found(" r-100-aa\n").await.as_deref(), Some("r-100-aa"));
        assert_eq!(found("r-9").await, None);
        assert_eq!(found("").await, None);
        // Case matters and `_`/`%` are not wildcards.
        assert_eq!(found("R-100-AA").await, None);
        assert_eq!(found("r-100-a_").await, None);
        assert_eq!(found("r-%").await, None);
        match cat.get_run("r-100-a").await {
            Err(StoreError::AmbiguousRun { prefix, matches }) => {
                assert_eq!(prefix, "r-100-a");
                let mut m = matches;
                m.sort();
                assert_eq!(m, ["r-100-aa", "r-100-ab"]);
            }
            other => panic!("expected an ambiguity, got {other:?}"),
        }
        assert!(matches!(cat.get_run("r-").await, Err(StoreError::AmbiguousRun { .. })));
    }
}

fn vecs(n: u32, fill: u8) -> Vec<(u32, Vec<u8>)> {
    (0..n).map(|o| (o, vec![fill; 8])).collect()
}

#[tokio::test]
async fn vectors_mark_a_document_embedded_only_with_all_of_them() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let a = cat.insert_pending(&doc("/a", "h1"), "alpha", &[], 1).await.unwrap();
    let b = cat.insert_pending(&doc("/b", "h2"), "beta", &[], 1).await.unwrap();
    // Not indexed yet: nothing is written.
    assert!(!cat.put_doc_vectors(a, "m1", 8, &vecs(2, 1)).await.unwrap());
    assert!(cat.vector_counts().await.unwrap().is_empty());
    cat.finish_generation(1).await.unwrap();
    let waiting: Vec<i64> = cat.unembedded_docs("m1").await.unwrap().iter().map(|d| d.doc_id).collect();
    assert_eq!(waiting, vec![a, b]);

    let before = cat.embedding_counter("m1").await.unwrap();
    assert!(cat.put_doc_vectors(a, "m1", 8, &vecs(2, 1)).await.unwrap());
    let after = cat.embedding_counter("m1").await.unwrap();
    assert_eq!(after.documents, 1);
    assert_ne!(before, after);
    let waiting: Vec<i64> = cat.unembedded_docs("m1").await.unwrap().iter().map(|d| d.doc_id).collect();
    assert_eq!(waiting, vec![b], "another model's state does not count: {waiting:?}");
    assert_eq!(cat.unembedded_docs("m2").await.unwrap().len(), 2);
    let stored = cat.doc_vectors("m1", a).await.unwrap();
    assert_eq!(stored.iter().map(|v| v.ordinal).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(stored[1].bytes, vec![1; 8]);

    // Embedding again replaces the vectors and changes the counter even at the same count.
    assert!(cat.put_doc_vectors(a, "m1", 8, &vecs(2, 7)).await.unwrap());
    let again = cat.embedding_counter("m1").await.unwrap();
    assert_eq!(again.documents, 1);
    assert_ne!(again, after);
    assert_eq!(cat.doc_vectors("m1", a).await.unwrap()[0].bytes, vec![7; 8]);
    let embedded = cat.embedded_docs("m1").await.unwrap();
    assert_eq!((embedded.len(), embedded[0].doc_id, embedded[0].dims, embedded[0].vectors), (1, a, 8, 2));
}

#[tokio::test]
async fn vectors_go_with_their_document_and_other_models_can_be_dropped() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let a = cat.insert_pending(&doc("/a", "h1"), "alpha", &[], 1).await.unwrap();
    let b = cat.insert_pending(&doc("/b", "h2"), "beta", &[], 1).await.unwrap();
    cat.finish_generation(1).await.unwrap();
    cat.put_doc_vectors(a, "m1", 8, &vecs(2, 1)).await.unwrap();
    cat.put_doc_vectors(b, "m1", 8, &vecs(2, 2)).await.unwrap();
    cat.put_doc_vectors(b, "m2", 8, &vecs(2, 3)).await.unwrap();
    assert_eq!(cat.embedding_models().await.unwrap(), vec![("m1".into(), 2), ("m2".into(), 1)]);

    // Removal through the protocol: the vectors go when the row goes.
    cat.mark_for_deletion(a, Status::Removing, 2).await.unwrap();
    cat.finish_generation(2).await.unwrap();
    let counts = cat.vector_counts().await.unwrap();
    assert!(counts.iter().all(|c| c.doc_id == b && c.recorded == Some(2) && c.stored == 2), "{counts:?}");
    assert_eq!(cat.embedding_counter("m1").await.unwrap().documents, 1);

    assert_eq!(cat.delete_other_models("m2").await.unwrap(), 1);
    assert_eq!(cat.embedding_models().await.unwrap(), vec![("m2".into(), 1)]);
    let page = cat.vectors_page("m2", None, 10).await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(cat.vectors_page("m1", None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn vector_pages_cover_every_vector_once() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let d = NewDoc { chunks: 3, ..doc(&format!("/{i}"), &format!("h{i}")) };
        ids.push(cat.insert_pending(&d, "x", &[], 1).await.unwrap());
    }
    cat.finish_generation(1).await.unwrap();
    for id in &ids {
        cat.put_doc_vectors(*id, "m", 8, &vecs(3, 0)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = cat.vectors_page("m", after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.doc_id, last.ordinal));
        seen.extend(page.iter().map(|v| (v.doc_id, v.ordinal)));
    }
    let expected: Vec<(i64, u32)> = ids.iter().flat_map(|id| (0..3).map(move |o| (*id, o))).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_move_keeps_the_id_and_is_undone_when_its_commit_never_happened() {
    let cat = Catalog::open_in_memory().await.unwrap();
    let a = cat.insert_pending(&doc("/old/a", "h1"), "alpha", &[], 1).await.unwrap();
    cat.finish_generation(1).await.unwrap();
    let to = Move { path: "/new/a".into(), title: Some("a".into()), size: 10, mtime_ns: Some(5) };
    cat.begin_move(a, &to, 2).await.unwrap();
    // A reader of generation 1 still sees the old place; the writer's row has the new one.
    assert_eq!(statuses(&cat.visible(1).await.unwrap()), vec![("/old/a".into(), "indexed")]);
    assert_eq!(statuses(&cat.visible(2).await.unwrap()), vec![("/new/a".into(), "indexed")]);
    let rec = cat.recover(1).await.unwrap();
    assert_eq!(rec.moves_undone, 1);
    let row = cat.get(a).await.unwrap().unwrap();
    assert_eq!((row.path.as_str(), row.title.as_deref()), ("/old/a", Some("T")));
    // Committed this time: the id stays, the new path stays, nothing is left to undo.
    cat.begin_move(a, &to, 3).await.unwrap();
    cat.finish_generation(3).await.unwrap();
    assert!(cat.recover(3).await.unwrap().is_clean());
    assert_eq!(cat.get(a).await.unwrap().unwrap().path, "/new/a");
    // A folder is remembered once; pausing survives another add.
    let s = cat.add_source("/new", false).await.unwrap();
    assert!(cat.set_source_paused(s.id, true).await.unwrap());
    let again = cat.add_source("/new", true).await.unwrap();
    assert_eq!((again.id, again.paused, again.poll), (s.id, true, true));
    cat.report_source(s.id, "watching", None, Some(3)).await.unwrap();
    let listed = cat.sources().await.unwrap();
    assert_eq!((listed[0].state.as_str(), listed[0].skipped), ("watching", 3));
    assert!(cat.remove_source(s.id).await.unwrap());
    assert!(cat.sources().await.unwrap().is_empty());
}

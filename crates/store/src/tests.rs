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
    assert_eq!(rec, Recovery { completed: 2, rolled_back: 0, deleted: 1, restored: 0 });
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
    assert_eq!(rec, Recovery { completed: 0, rolled_back: 1, deleted: 0, restored: 1 });
    assert_eq!(statuses(&cat.all().await.unwrap()), vec![("/a".into(), "indexed")]);
    assert_eq!(cat.text(a).await.unwrap().as_deref(), Some("alpha"));
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

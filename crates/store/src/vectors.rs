//! Chunk embeddings (`migrations/0006_vectors.sql`): each document's vectors for a model are
//! written in one transaction together with the row that marks the document embedded, so a
//! document counts as embedded only once all its vectors are committed.

use sqlx::Row;

use crate::{Catalog, Result, StoreError};

/// One stored chunk vector, in the byte form `embed::vectors::quantize` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// The document.
    pub doc_id: i64,
    /// The chunk's ordinal in the text index.
    pub ordinal: u32,
    /// The quantized vector.
    pub bytes: Vec<u8>,
}

/// A document whose vectors for a model are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedDoc {
    /// The document.
    pub doc_id: i64,
    /// The embedding row's id: never reused, so a document embedded again (or a new document
    /// that got a removed one's id) reads as a different row.
    pub row_id: i64,
    /// Vector dimension.
    pub dims: u32,
    /// Vectors written (one per chunk).
    pub vectors: u64,
}

/// A cheap summary of a model's embedding rows that changes whenever vectors are added or
/// deleted (by this process or another), so an in-memory copy knows when to catch up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmbeddingCounter {
    /// Documents embedded for the model.
    pub documents: u64,
    /// The highest embedding row id of the model (0 when none).
    pub last_row: i64,
}

/// Vectors of one document and model as stored, for consistency checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorCount {
    /// The document.
    pub doc_id: i64,
    /// The model.
    pub model: String,
    /// What the embedding row records, or `None` when vectors exist without one.
    pub recorded: Option<u64>,
    /// Vectors actually stored.
    pub stored: u64,
}

/// An indexed document still waiting for its vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnembeddedDoc {
    /// The document.
    pub doc_id: i64,
    /// Its chunk count.
    pub chunks: u64,
}

impl Catalog {
    /// Writes all vectors of an indexed document for `model`, replacing any it had, and marks
    /// the document embedded — in one transaction. Returns false (writing nothing) when the
    /// document is no longer indexed, for example because it was removed meanwhile.
    pub async fn put_doc_vectors(
        &self,
        doc_id: i64,
        model: &str,
        dims: u32,
        vectors: &[(u32, Vec<u8>)],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // Written first, so the transaction takes the write lock before it reads anything.
        sqlx::query("DELETE FROM doc_embeddings WHERE model = ? AND doc_id = ?")
            .bind(model)
            .bind(doc_id)
            .execute(&mut *tx)
            .await?;
        let marked = sqlx::query(
            "INSERT INTO doc_embeddings (doc_id, model, dims, vectors) \
             SELECT id, ?, ?, ? FROM documents WHERE id = ? AND status = 'indexed'",
        )
        .bind(model)
        .bind(i64::from(dims))
        .bind(vectors.len() as i64)
        .bind(doc_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM chunk_vectors WHERE model = ? AND doc_id = ?")
            .bind(model)
            .bind(doc_id)
            .execute(&mut *tx)
            .await?;
        for (ordinal, bytes) in vectors {
            sqlx::query("INSERT INTO chunk_vectors (model, doc_id, ordinal, vector) VALUES (?, ?, ?, ?)")
                .bind(model)
                .bind(doc_id)
                .bind(i64::from(*ordinal))
                .bind(bytes.as_slice())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The counter of `model`'s embedding rows (one indexed query).
    pub async fn embedding_counter(&self, model: &str) -> Result<EmbeddingCounter> {
        let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM doc_embeddings WHERE model = ?")
            .bind(model)
            .fetch_one(&self.pool)
            .await?;
        Ok(EmbeddingCounter { documents: row.try_get::<i64, _>("n")?.max(0) as u64, last_row: row.try_get("last")? })
    }

    /// Documents embedded for `model`, by document id.
    pub async fn embedded_docs(&self, model: &str) -> Result<Vec<EmbeddedDoc>> {
        let rows = sqlx::query("SELECT id, doc_id, dims, vectors FROM doc_embeddings WHERE model = ? ORDER BY doc_id")
            .bind(model)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EmbeddedDoc {
                    doc_id: r.try_get("doc_id")?,
                    row_id: r.try_get("id")?,
                    dims: u32::try_from(r.try_get::<i64, _>("dims")?)
                        .map_err(|_| StoreError::Data("negative or huge vector dimension".into()))?,
                    vectors: r.try_get::<i64, _>("vectors")?.max(0) as u64,
                })
            })
            .collect()
    }

    /// One page of `model`'s vectors in `(doc_id, ordinal)` order, starting after `after`; an
    /// empty page means the end. Paging bounds the memory a full load needs beyond the vectors
    /// themselves.
    pub async fn vectors_page(&self, model: &str, after: Option<(i64, u32)>, limit: u32) -> Result<Vec<StoredVector>> {
        let (doc, ordinal) = after.map(|(d, o)| (d, i64::from(o))).unwrap_or((i64::MIN, -1));
        let rows = sqlx::query(
            "SELECT doc_id, ordinal, vector FROM chunk_vectors WHERE model = ? AND (doc_id, ordinal) > (?, ?) \
             ORDER BY doc_id, ordinal LIMIT ?",
        )
        .bind(model)
        .bind(doc)
        .bind(ordinal)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_vector).collect()
    }

    /// All vectors of one document for `model`, by ordinal.
    pub async fn doc_vectors(&self, model: &str, doc_id: i64) -> Result<Vec<StoredVector>> {
        let rows = sqlx::query(
            "SELECT doc_id, ordinal, vector FROM chunk_vectors WHERE model = ? AND doc_id = ? ORDER BY ordinal",
        )
        .bind(model)
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_vector).collect()
    }

    /// Indexed documents with no committed vectors for `model`, by id.
    pub async fn unembedded_docs(&self, model: &str) -> Result<Vec<UnembeddedDoc>> {
        let rows = sqlx::query(
            "SELECT id, chunks FROM documents d WHERE status = 'indexed' AND NOT EXISTS \
             (SELECT 1 FROM doc_embeddings e WHERE e.model = ? AND e.doc_id = d.id) ORDER BY id",
        )
        .bind(model)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnembeddedDoc { doc_id: r.try_get("id")?, chunks: r.try_get::<i64, _>("chunks")?.max(0) as u64 })
            })
            .collect()
    }

    /// Deletes every vector made by a model other than `model`; returns the documents whose
    /// vectors of another model were dropped.
    pub async fn delete_other_models(&self, model: &str) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let docs = sqlx::query("DELETE FROM doc_embeddings WHERE model <> ?")
            .bind(model)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM chunk_vectors WHERE model <> ?").bind(model).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(docs)
    }

    /// Models with vectors, with how many documents each has embedded.
    pub async fn embedding_models(&self) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query("SELECT model, COUNT(*) AS n FROM doc_embeddings GROUP BY model ORDER BY model")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("model")?, r.try_get::<i64, _>("n")?.max(0) as u64))).collect()
    }

    /// For every (document, model) with an embedding row or with vectors: what the row records
    /// and how many vectors are stored. One statement, so both counts come from one snapshot.
    pub async fn vector_counts(&self) -> Result<Vec<VectorCount>> {
        vector_counts(&mut *self.pool.acquire().await?).await
    }
}

/// Stored and recorded vectors per document and model.
pub(crate) async fn vector_counts(conn: &mut sqlx::SqliteConnection) -> Result<Vec<VectorCount>> {
    let rows = sqlx::query(
        "SELECT doc_id, model, MAX(recorded) AS recorded, SUM(stored) AS stored FROM ( \
           SELECT doc_id, model, vectors AS recorded, 0 AS stored FROM doc_embeddings \
           UNION ALL \
           SELECT doc_id, model, NULL AS recorded, COUNT(*) AS stored FROM chunk_vectors GROUP BY doc_id, model \
         ) GROUP BY doc_id, model ORDER BY doc_id, model",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VectorCount {
                doc_id: r.try_get("doc_id")?,
                model: r.try_get("model")?,
                recorded: r.try_get::<Option<i64>, _>("recorded")?.map(|n| n.max(0) as u64),
                stored: r.try_get::<i64, _>("stored")?.max(0) as u64,
            })
        })
        .collect()
}

fn stored_vector(r: &sqlx::sqlite::SqliteRow) -> Result<StoredVector> {
    let ordinal: i64 = r.try_get("ordinal")?;
    Ok(StoredVector {
        doc_id: r.try_get("doc_id")?,
        ordinal: u32::try_from(ordinal)
            .map_err(|_| StoreError::Data(format!("chunk ordinal {ordinal} is out of range")))?,
        bytes: r.try_get("vector")?,
    })
}

//! Watched folders (`migrations/0008_watched_sources.sql`) and document moves, the catalog half
//! of a rename that keeps a document's identity.

use sqlx::Row;

use crate::{Catalog, DocRow, Result, StoreError};

/// A folder that stays in sync with the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedSource {
    /// Row id (what `catena sources pause 3` names).
    pub id: i64,
    /// Absolute path of the folder.
    pub path: String,
    /// The user paused watching it.
    pub paused: bool,
    /// Watch by polling instead of file-system events.
    pub poll: bool,
    /// What the last process watching it reported: `idle` (nothing watches it now), `watching`,
    /// `scanning` or `error`.
    pub state: String,
    /// Why it is in error (for example: the folder is gone).
    pub error: Option<String>,
    /// Files of types Catena does not read found by the last scan.
    pub skipped: u64,
    /// When the last full scan finished, RFC 3339 UTC.
    pub last_scan: Option<String>,
    /// When it was added, RFC 3339 UTC.
    pub added_at: String,
}

/// A document's new place, written before the index commit that re-labels its chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The new absolute path.
    pub path: String,
    /// The title at the new path (a title taken from the file name changes with it).
    pub title: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in ns.
    pub mtime_ns: Option<i64>,
}

macro_rules! select_sources {
    ($rest:literal) => {
        concat!(
            "SELECT id, path, paused, poll, state, error, skipped, last_scan, added_at FROM watched_sources ",
            $rest
        )
    };
}

fn source_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<WatchedSource> {
    Ok(WatchedSource {
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        paused: r.try_get::<i64, _>("paused")? != 0,
        poll: r.try_get::<i64, _>("poll")? != 0,
        state: r.try_get("state")?,
        error: r.try_get("error")?,
        skipped: r.try_get::<i64, _>("skipped")?.max(0) as u64,
        last_scan: r.try_get("last_scan")?,
        added_at: r.try_get("added_at")?,
    })
}

impl Catalog {
    /// Remembers a folder to keep in sync (nothing changes if it is already there, a paused one
    /// stays paused). `poll` set to true is kept; false leaves an earlier choice alone.
    pub async fn add_source(&self, path: &str, poll: bool) -> Result<WatchedSource> {
        sqlx::query("INSERT INTO watched_sources (path, poll) VALUES (?, ?) ON CONFLICT(path) DO UPDATE SET poll = MAX(poll, excluded.poll)")
            .bind(path)
            .bind(i64::from(poll))
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(select_sources!("WHERE path = ?")).bind(path).fetch_one(&self.pool).await?;
        source_from_row(&row)
    }

    /// Every watched folder, by path.
    pub async fn sources(&self) -> Result<Vec<WatchedSource>> {
        let rows = sqlx::query(select_sources!("ORDER BY path")).fetch_all(&self.pool).await?;
        rows.iter().map(source_from_row).collect()
    }

    /// One watched folder by id.
    pub async fn source(&self, id: i64) -> Result<Option<WatchedSource>> {
        let row = sqlx::query(select_sources!("WHERE id = ?")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(source_from_row).transpose()
    }

    /// Pauses or resumes watching a folder; false when there is no such folder.
    pub async fn set_source_paused(&self, id: i64, paused: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE watched_sources SET paused = ? WHERE id = ?")
            .bind(i64::from(paused))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stops watching a folder (its documents stay); false when there is no such folder.
    pub async fn remove_source(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM watched_sources WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records what the watcher sees of a folder. `skipped` is set when a full scan finished
    /// (which also stamps `last_scan`).
    pub async fn report_source(&self, id: i64, state: &str, error: Option<&str>, skipped: Option<u64>) -> Result<()> {
        match skipped {
            Some(n) => {
                sqlx::query(
                    "UPDATE watched_sources SET state = ?, error = ?, skipped = ?, \
                     last_scan = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
                )
                .bind(state)
                .bind(error)
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .bind(id)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query("UPDATE watched_sources SET state = ?, error = ? WHERE id = ?")
                    .bind(state)
                    .bind(error)
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(())
    }

    /// Marks every folder as not watched (a watcher stopping cleanly).
    pub async fn reset_source_states(&self) -> Result<()> {
        sqlx::query("UPDATE watched_sources SET state = 'idle' WHERE state IN ('watching','scanning')")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives an indexed document a new place as part of generation `g`: the old place is kept in
    /// `document_moves` so that recovery can put it back if the index never commits `g`.
    pub async fn begin_move(&self, id: i64, to: &Move, g: u64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "INSERT INTO document_moves (doc_id, old_path, old_title, old_size, old_mtime, generation) \
             SELECT id, path, title, size, mtime_ns, ? FROM documents WHERE id = ? AND status = 'indexed' \
             ON CONFLICT(doc_id) DO UPDATE SET generation = excluded.generation",
        )
        .bind(g as i64)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(StoreError::Data(format!("document {id} is not indexed and cannot move")));
        }
        sqlx::query(
            "UPDATE documents SET path = ?, title = ?, size = ?, mtime_ns = ?, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
        )
        .bind(&to.path)
        .bind(&to.title)
        .bind(to.size as i64)
        .bind(to.mtime_ns)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Failure and duplicate records left at the new path describe a file that is now this one.
        sqlx::query("DELETE FROM documents WHERE path = ? AND status IN ('failed','duplicate') AND id != ?")
            .bind(&to.path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Indexed documents whose path is `dir` or below it.
    pub async fn documents_under(&self, dir: &str) -> Result<Vec<DocRow>> {
        let all = self.all().await?;
        let dir = std::path::Path::new(dir);
        Ok(all.into_iter().filter(|d| std::path::Path::new(&d.path).starts_with(dir)).collect())
    }
}

/// Undoes moves the index never committed and forgets those it did (inside recovery).
pub(crate) async fn recover_moves(tx: &mut sqlx::SqliteConnection, index_generation: u64) -> Result<u64> {
    let g = index_generation as i64;
    let restored = sqlx::query(
        "UPDATE documents SET path = m.old_path, title = m.old_title, size = m.old_size, mtime_ns = m.old_mtime \
         FROM document_moves AS m WHERE documents.id = m.doc_id AND m.generation > ?",
    )
    .bind(g)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM document_moves").execute(&mut *tx).await?;
    Ok(restored)
}

/// Forgets the moves of a finished generation.
pub(crate) async fn finish_moves(tx: &mut sqlx::SqliteConnection, g: u64) -> Result<()> {
    sqlx::query("DELETE FROM document_moves WHERE generation <= ?").bind(g as i64).execute(&mut *tx).await?;
    Ok(())
}

/// Moves whose index commit is later than `index_generation`: `(doc_id, old_path)`. A reader of
/// that index snapshot still sees the document at its old path.
pub(crate) async fn uncommitted_moves(
    conn: &mut sqlx::SqliteConnection,
    index_generation: u64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT doc_id, old_path FROM document_moves WHERE generation > ?")
        .bind(index_generation as i64)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("doc_id")?, r.try_get("old_path")?))).collect()
}

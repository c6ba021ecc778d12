//! The catalog: SQLite through sqlx, with embedded migrations.
//!
//! Owns every SQL statement about documents, their extracted text and their tables, and the
//! history of finished question runs (`runs.rs`, `migrations/0002_runs.sql`). It knows nothing
//! of tantivy; the crash-consistency protocol between the two lives in the `library` crate and
//! uses this crate's generation-tagged statuses (see `migrations/0001_catalog.sql`).
//!
//! Entry type: [`Catalog`].

mod ocr;
mod runs;
mod settings;
mod sources;
mod vectors;
mod web_cache;

pub use ocr::{OcrPageRow, OcrWordRow};
pub use runs::RunSummary;
pub use sources::{Move, WatchedSource};
pub use vectors::{EmbeddedDoc, EmbeddingCounter, StoredVector, UnembeddedDoc, VectorCount};
pub use web_cache::WebCache;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

/// The catalog's migrations, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// True when every migration this build knows is applied and no other one is: then opening
/// writes nothing. Anything else (a new file, an older or a newer catalog) goes through the
/// migrator, which applies what is missing or says why it cannot.
async fn schema_is_current(pool: &SqlitePool) -> bool {
    let applied: std::result::Result<Vec<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1 ORDER BY version")
            .fetch_all(pool)
            .await;
    let Ok(applied) = applied else {
        return false;
    };
    let mut known: Vec<i64> =
        MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).map(|m| m.version).collect();
    known.sort_unstable();
    applied == known
}

/// Takes the exclusive lock that serialises creating and migrating the catalog at `db` across
/// processes (and threads: each call opens its own file description). Released when the
/// returned file is dropped, or by the OS when the process dies. Waits on a blocking thread so
/// that a single-threaded runtime keeps running the lock holder. A directory where the lock file
/// cannot be created (read-only) gets no lock: nothing can migrate there anyway.
async fn open_lock(db: &Path) -> std::io::Result<Option<std::fs::File>> {
    let lock_path = sibling(db, ".lock");
    let take = move || -> std::io::Result<Option<std::fs::File>> {
        let file = match std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path) {
            Ok(file) => file,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        file.lock()?;
        Ok(Some(file))
    };
    match tokio::task::spawn_blocking(take).await {
        Ok(result) => result,
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

/// Errors from the catalog.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error("cannot open catalog at {path}: {source}")]
    Open {
        /// Database path.
        path: String,
        /// Underlying error.
        #[source]
        source: sqlx::Error,
    },
    /// The lock that serialises opening a catalog could not be taken.
    #[error("cannot lock catalog at {path} for opening: {source}")]
    Lock {
        /// Database path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A catalog opened read-only whose schema is not this build's: it cannot be migrated.
    #[error(
        "the catalog at {path} is read-only and was written by another version of Catena, so it cannot be upgraded here"
    )]
    ReadOnlySchema {
        /// Database path.
        path: String,
    },
    /// Migrations failed (for example a catalog written by a newer Catena).
    #[error("cannot migrate catalog: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("catalog query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// Stored JSON could not be read back (or a record could not be written as JSON).
    #[error("catalog holds malformed data: {0}")]
    Data(String),
    /// A run id prefix that matches more than one stored run.
    #[error("run id '{prefix}' is ambiguous: it matches {}", matches.join(", "))]
    AmbiguousRun {
        /// What was asked for.
        prefix: String,
        /// Some of the runs it matches, newest first.
        matches: Vec<String>,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// True when the catalog refused a write because it was opened read-only.
    pub fn is_read_only(&self) -> bool {
        let db = match self {
            StoreError::Query(sqlx::Error::Database(db)) => db,
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db))) => db,
            _ => return false,
        };
        // SQLITE_READONLY and its extended codes (8 + 256·n).
        db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 8)
    }
}

/// Whether `CATENA_READ_ONLY` (any value but empty or `0`) asks for every data directory to be
/// opened read-only, as it is anyway where this process cannot write.
pub fn read_only_forced() -> bool {
    std::env::var_os("CATENA_READ_ONLY").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `<path><suffix>`, the names SQLite gives a database's companion files.
fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    std::path::PathBuf::from(name)
}

/// Catalog status of a document (see the migration for the lifecycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Written, waiting for its index commit.
    Pending,
    /// Searchable.
    Indexed,
    /// Could not be read.
    Failed,
    /// Same content as another document.
    Duplicate,
    /// Old version of a changed file, deleted once the new one is committed.
    Replacing,
    /// Being removed, deleted once the removal is committed.
    Removing,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Indexed => "indexed",
            Status::Failed => "failed",
            Status::Duplicate => "duplicate",
            Status::Replacing => "replacing",
            Status::Removing => "removing",
        }
    }

    fn parse(s: &str) -> Result<Status> {
        Ok(match s {
            "pending" => Status::Pending,
            "indexed" => Status::Indexed,
            "failed" => Status::Failed,
            "duplicate" => Status::Duplicate,
            "replacing" => Status::Replacing,
            "removing" => Status::Removing,
            other => return Err(StoreError::Data(format!("unknown status '{other}'"))),
        })
    }
}

/// One row of `documents`.
#[derive(Debug, Clone, PartialEq)]
pub struct DocRow {
    /// Catalog id.
    pub id: i64,
    /// Absolute path of the file.
    pub path: String,
    /// Title from the file, or None.
    pub title: Option<String>,
    /// Format name, when recognised.
    pub format: Option<String>,
    /// File size in bytes.
    pub size: u64,
    /// BLAKE3 hex digest of the content.
    pub content_hash: Option<String>,
    /// File modification time (ns since the epoch), used to skip hashing unchanged files.
    pub mtime_ns: Option<i64>,
    /// Physical pages (PDF).
    pub pages: Option<u32>,
    /// Chunks in the index.
    pub chunks: u64,
    /// Lifecycle status.
    pub status: Status,
    /// Why the file failed.
    pub error: Option<String>,
    /// Non-fatal problems (e.g. pages without a text layer).
    pub warnings: Vec<String>,
    /// For duplicates: the document holding the same content.
    pub duplicate_of: Option<i64>,
    /// Index commit generation this row's last change belongs to.
    pub generation: u64,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
    /// Last update time, RFC 3339 UTC.
    pub updated_at: String,
    /// True when the document's vectors for the library's current embedding model are committed.
    /// Embedding is per model, so the catalog's own listings leave it false and the library
    /// fills it in for its model.
    pub embedded: bool,
    /// The document card (`extract::DocumentCard` as JSON), when one was read at ingest.
    pub card: Option<serde_json::Value>,
    /// Pages whose text was read by OCR.
    pub ocr_pages: u64,
}

/// What is known about a file before it is written to the catalog.
#[derive(Debug, Clone, Default)]
pub struct NewDoc {
    /// Absolute path.
    pub path: String,
    /// Title, if any.
    pub title: Option<String>,
    /// Format name, if recognised.
    pub format: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 hex digest.
    pub content_hash: Option<String>,
    /// Modification time in ns.
    pub mtime_ns: Option<i64>,
    /// Physical pages.
    pub pages: Option<u32>,
    /// Chunk count.
    pub chunks: u64,
    /// Warnings to keep.
    pub warnings: Vec<String>,
    /// The document card as JSON, if one was read.
    pub card: Option<serde_json::Value>,
    /// Pages read by OCR, with their word boxes (written only for pending documents).
    pub ocr: Vec<OcrPageRow>,
}

/// A column of a stored table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Header name.
    pub name: String,
    /// Type name (`integer`, `real`, `date`, `boolean`, `text`).
    pub kind: String,
}

/// A table to store: its rows are JSON arrays of typed values.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTable {
    /// Sheet or file-stem name.
    pub sheet: String,
    /// Columns in order.
    pub columns: Vec<TableColumn>,
    /// Rows, each a JSON array as long as `columns`.
    pub rows: Vec<serde_json::Value>,
}

/// A stored table's description.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// Table id.
    pub id: i64,
    /// Owning document.
    pub doc_id: i64,
    /// Sheet name.
    pub sheet: String,
    /// Columns in order.
    pub columns: Vec<TableColumn>,
    /// Number of data rows.
    pub row_count: u64,
}

/// What recovery changed when the catalog was reconciled with the index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Pending rows whose commit made it into the index: now indexed.
    pub completed: u64,
    /// Pending rows whose commit never happened: dropped, to be ingested again.
    pub rolled_back: u64,
    /// Replaced or removed rows whose deletion was committed: dropped.
    pub deleted: u64,
    /// Replaced or removed rows whose deletion never committed: indexed again.
    pub restored: u64,
    /// Moved documents whose re-labelled chunks never committed: back at their old path.
    pub moves_undone: u64,
}

impl Recovery {
    /// True when nothing needed repair.
    pub fn is_clean(&self) -> bool {
        *self == Recovery::default()
    }
}

/// The SQLite catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: SqlitePool,
}

/// `SELECT <every documents column> FROM documents <rest>`, as a static string (sqlx only takes
/// literal SQL, which rules out injection by construction).
macro_rules! select_docs {
    ($rest:literal) => {
        concat!(
            "SELECT id, path, title, format, size, content_hash, mtime_ns, pages, chunks, status, error, ",
            "warnings, duplicate_of, generation, created_at, updated_at, card, ",
            "(SELECT count(*) FROM ocr_pages o WHERE o.doc_id = documents.id) AS ocr_pages FROM documents ",
            $rest
        )
    };
}

impl Catalog {
    /// Opens (creating if needed) the catalog at `path` and applies migrations.
    ///
    /// Safe when several processes open the same new catalog at once: creating the file,
    /// switching it to WAL and migrating happen while holding an exclusive lock on
    /// `<path>.lock` beside it, and a schema that is already up to date is never migrated, so
    /// readers write nothing.
    ///
    /// A catalog this process cannot write (a read-only mount, another user's library, or
    /// [`read_only_forced`]) is opened read-only instead: see [`Catalog::open_read_only`].
    pub async fn open(path: &Path) -> Result<Catalog> {
        if read_only_forced() {
            return Self::open_read_only(path).await;
        }
        let label = path.display().to_string();
        let guard = open_lock(path).await.map_err(|e| StoreError::Lock { path: label.clone(), source: e })?;
        if guard.is_none() && path.exists() {
            return Self::open_read_only(path).await;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL makes every commit durable before the index commit that follows it.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let catalog = Self::connect(opts, 4, &label).await;
        drop(guard);
        catalog
    }

    /// Opens an existing catalog without writing anything: no lock file, no journal mode change,
    /// no migration (a catalog of another schema version is refused with
    /// [`StoreError::ReadOnlySchema`]), and every connection read-only, so a write fails with
    /// SQLite's "readonly database" error ([`StoreError::is_read_only`]).
    ///
    /// SQLite reads a WAL catalog read-only through its existing `-shm` file; where that file
    /// is missing and cannot be made and no `-wal` file holds unmerged commits, the file is
    /// opened as immutable instead (nothing changes it while it cannot be written).
    pub async fn open_read_only(path: &Path) -> Result<Catalog> {
        let label = path.display().to_string();
        if !path.exists() {
            return Err(StoreError::Open {
                path: label,
                source: sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::NotFound, "no catalog here")),
            });
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let shm = sibling(path, "-shm");
        let wal = sibling(path, "-wal");
        let wal_empty = std::fs::metadata(&wal).map(|m| m.len() == 0).unwrap_or(true);
        let opts = if !shm.exists() && wal_empty { opts.immutable(true) } else { opts };
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Open { path: label.clone(), source })?;
        if !schema_is_current(&pool).await {
            return Err(StoreError::ReadOnlySchema { path: label });
        }
        Ok(Catalog { pool })
    }

    /// Opens a private in-memory catalog (tests).
    pub async fn open_in_memory() -> Result<Catalog> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|source| StoreError::Open { path: ":memory:".into(), source })?
            .foreign_keys(true);
        // One connection: every connection to `:memory:` would be a different database.
        Self::connect(opts, 1, ":memory:").await
    }

    async fn connect(opts: SqliteConnectOptions, max: u32, label: &str) -> Result<Catalog> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Open { path: label.to_string(), source })?;
        if !schema_is_current(&pool).await {
            MIGRATOR.run(&pool).await?;
        }
        Ok(Catalog { pool })
    }

    /// Documents whose chunks the index should hold (indexed, or indexed until a change is
    /// committed), counting only those with at least one chunk.
    pub async fn count_indexed(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM documents WHERE status IN ('indexed','replacing','removing') AND chunks > 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0) as u64)
    }

    /// Records a document's chunk count after its chunks were cut again (an index rebuild).
    /// When the count changed, its vectors no longer match its chunks and are dropped in the same
    /// transaction, so the next embedding pass embeds it again.
    pub async fn set_chunks(&self, id: i64, chunks: u64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE documents SET chunks = ? WHERE id = ? AND chunks != ?")
            .bind(chunks as i64)
            .bind(id)
            .bind(chunks as i64)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed > 0 {
            sqlx::query("DELETE FROM chunk_vectors WHERE doc_id = ?").bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM doc_embeddings WHERE doc_id = ?").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs SQLite's own consistency check of the catalog file (`PRAGMA quick_check`): the
    /// problems it found, empty when the file is sound.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The last generation the catalog finished.
    pub async fn generation(&self) -> Result<u64> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'generation'").fetch_optional(&self.pool).await?;
        Ok(v.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// The highest generation any row mentions (pending work included).
    pub async fn max_row_generation(&self) -> Result<u64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(generation) FROM documents").fetch_one(&self.pool).await?;
        Ok(v.unwrap_or(0).max(0) as u64)
    }

    /// Reconciles rows with the generation of the last index commit: work that the index
    /// committed is completed, work it did not is undone. Must run while holding the index writer.
    pub async fn recover(&self, index_generation: u64) -> Result<Recovery> {
        let g = index_generation as i64;
        let mut tx = self.pool.begin().await?;
        let completed = sqlx::query(
            "UPDATE documents SET status = 'indexed', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') \
             WHERE status = 'pending' AND generation <= ?",
        )
        .bind(g)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let rolled_back = sqlx::query("DELETE FROM documents WHERE status = 'pending' AND generation > ?")
            .bind(g)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let deleted = sqlx::query("DELETE FROM documents WHERE status IN ('replacing','removing') AND generation <= ?")
            .bind(g)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let restored = sqlx::query(
            "UPDATE documents SET status = 'indexed' WHERE status IN ('replacing','removing') AND generation > ?",
        )
        .bind(g)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let moves_undone = sources::recover_moves(&mut tx, index_generation).await?;
        set_generation(&mut tx, index_generation).await?;
        tx.commit().await?;
        Ok(Recovery { completed, rolled_back, deleted, restored, moves_undone })
    }

    /// Marks the work of generation `g` as done after the index committed it.
    pub async fn finish_generation(&self, g: u64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE documents SET status = 'indexed', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') \
             WHERE status = 'pending' AND generation = ?",
        )
        .bind(g as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM documents WHERE status IN ('replacing','removing') AND generation = ?")
            .bind(g as i64)
            .execute(&mut *tx)
            .await?;
        sources::finish_moves(&mut tx, g).await?;
        set_generation(&mut tx, g).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a document that will be committed to the index in generation `g`, with its text
    /// and tables, in one transaction.
    pub async fn insert_pending(&self, doc: &NewDoc, text: &str, tables: &[NewTable], g: u64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = insert_doc(&mut tx, doc, Status::Pending, None, None, g).await?;
        sqlx::query("INSERT INTO document_text (doc_id, text) VALUES (?, ?)")
            .bind(id)
            .bind(text)
            .execute(&mut *tx)
            .await?;
        ocr::insert(&mut tx, id, &doc.ocr).await?;
        for t in tables {
            let cols = serde_json::Value::Array(
                t.columns.iter().map(|c| serde_json::json!({"name": c.name, "type": c.kind})).collect(),
            );
            let table_id: i64 = sqlx::query_scalar(
                "INSERT INTO doc_tables (doc_id, sheet, columns, row_count) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(id)
            .bind(&t.sheet)
            .bind(cols.to_string())
            .bind(t.rows.len() as i64)
            .fetch_one(&mut *tx)
            .await?;
            for (i, row) in t.rows.iter().enumerate() {
                sqlx::query("INSERT INTO table_rows (table_id, row_idx, cells) VALUES (?, ?, ?)")
                    .bind(table_id)
                    .bind(i as i64 + 1)
                    .bind(row.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Records a file that could not be read, replacing an earlier failure at the same path.
    pub async fn record_failure(&self, doc: &NewDoc, error: &str) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM documents WHERE path = ? AND status = 'failed'")
            .bind(&doc.path)
            .execute(&mut *tx)
            .await?;
        let id = insert_doc(&mut tx, doc, Status::Failed, Some(error), None, 0).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a file whose content is already indexed under another document.
    pub async fn record_duplicate(&self, doc: &NewDoc, of: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM documents WHERE path = ? AND status IN ('failed','duplicate')")
            .bind(&doc.path)
            .execute(&mut *tx)
            .await?;
        let id = insert_doc(&mut tx, doc, Status::Duplicate, None, Some(of), 0).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks an indexed document to be deleted by the commit of generation `g`.
    pub async fn mark_for_deletion(&self, id: i64, status: Status, g: u64) -> Result<()> {
        sqlx::query("UPDATE documents SET status = ?, generation = ? WHERE id = ? AND status = 'indexed'")
            .bind(status.as_str())
            .bind(g as i64)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a row that has nothing in the index (failed or duplicate).
    pub async fn delete_unindexed(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM documents WHERE id = ? AND status IN ('failed','duplicate')")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remembers a new modification time for an unchanged file, so the next sync skips hashing.
    pub async fn touch(&self, id: i64, mtime_ns: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE documents SET mtime_ns = ? WHERE id = ?")
            .bind(mtime_ns)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The current rows for a path (at most one live document plus failure/duplicate records).
    pub async fn by_path(&self, path: &str) -> Result<Vec<DocRow>> {
        let sql = select_docs!("WHERE path = ? ORDER BY id");
        let rows = sqlx::query(sql).bind(path).fetch_all(&self.pool).await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// An indexed (or about-to-be-indexed) document with this content, if any.
    pub async fn by_hash(&self, hash: &str) -> Result<Option<DocRow>> {
        let sql = select_docs!(
            "WHERE content_hash = ? AND status IN ('indexed','pending') \
             ORDER BY id LIMIT 1"
        );
        let row = sqlx::query(sql).bind(hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(doc_from_row).transpose()
    }

    /// One document by id.
    pub async fn get(&self, id: i64) -> Result<Option<DocRow>> {
        let sql = select_docs!("WHERE id = ?");
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(doc_from_row).transpose()
    }

    /// Documents recorded as duplicates of `id`.
    pub async fn duplicates_of(&self, id: i64) -> Result<Vec<DocRow>> {
        let sql = select_docs!("WHERE duplicate_of = ? ORDER BY id");
        let rows = sqlx::query(sql).bind(id).fetch_all(&self.pool).await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// Every row, as stored (in-flight statuses included).
    pub async fn all(&self) -> Result<Vec<DocRow>> {
        all_docs(&mut *self.pool.acquire().await?).await
    }

    /// The catalog as a reader of the index snapshot at `index_generation` sees it, without
    /// writing anything: work committed to the index counts as done, work not committed as not
    /// begun. Safe while another process is ingesting.
    pub async fn visible(&self, index_generation: u64) -> Result<Vec<DocRow>> {
        let mut conn = self.pool.acquire().await?;
        let moves = sources::uncommitted_moves(&mut conn, index_generation).await?;
        Ok(visible_rows(all_docs(&mut conn).await?, moves, index_generation))
    }

    /// What `catena check` compares with the index, read in one SQLite read transaction so that
    /// every part shows the same moment: the documents as a reader of the index at
    /// `index_generation` sees them, every row as stored, and the vector counts.
    pub async fn check_snapshot(&self, index_generation: u64) -> Result<CheckSnapshot> {
        let mut tx = self.pool.begin().await?;
        let moves = sources::uncommitted_moves(&mut tx, index_generation).await?;
        let all = all_docs(&mut tx).await?;
        let vectors = vectors::vector_counts(&mut tx).await?;
        tx.rollback().await?;
        Ok(CheckSnapshot { visible: visible_rows(all.clone(), moves, index_generation), all, vectors })
    }

    /// The document card stored with a document at ingest (JSON), if it has one.
    pub async fn card(&self, doc_id: i64) -> Result<Option<serde_json::Value>> {
        let stored: Option<Option<String>> = sqlx::query_scalar("SELECT card FROM documents WHERE id = ?")
            .bind(doc_id)
            .fetch_optional(&self.pool)
            .await?;
        card_from_json(stored.flatten())
    }

    /// The stored extracted text of a document.
    pub async fn text(&self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT text FROM document_text WHERE doc_id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The tables kept from a document.
    pub async fn tables(&self, doc_id: i64) -> Result<Vec<TableInfo>> {
        let rows =
            sqlx::query("SELECT id, doc_id, sheet, columns, row_count FROM doc_tables WHERE doc_id = ? ORDER BY id")
                .bind(doc_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let cols: String = r.try_get("columns")?;
                let parsed: serde_json::Value =
                    serde_json::from_str(&cols).map_err(|e| StoreError::Data(e.to_string()))?;
                let columns = parsed
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|c| TableColumn {
                                name: c["name"].as_str().unwrap_or_default().to_string(),
                                kind: c["type"].as_str().unwrap_or("text").to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(TableInfo {
                    id: r.try_get("id")?,
                    doc_id: r.try_get("doc_id")?,
                    sheet: r.try_get("sheet")?,
                    columns,
                    row_count: r.try_get::<i64, _>("row_count")?.max(0) as u64,
                })
            })
            .collect()
    }

    /// Rows `first..=last` (1-based) of a table, as JSON arrays.
    pub async fn table_rows(&self, table_id: i64, first: u64, last: u64) -> Result<Vec<serde_json::Value>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT cells FROM table_rows WHERE table_id = ? AND row_idx BETWEEN ? AND ? ORDER BY row_idx",
        )
        .bind(table_id)
        .bind(first as i64)
        .bind(last as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|s| serde_json::from_str(s).map_err(|e| StoreError::Data(e.to_string()))).collect()
    }
}

async fn set_generation(tx: &mut sqlx::SqliteConnection, g: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('generation', ?) \
         ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
    )
    .bind(g.to_string())
    .execute(tx)
    .await?;
    Ok(())
}

async fn insert_doc(
    tx: &mut sqlx::SqliteConnection,
    doc: &NewDoc,
    status: Status,
    error: Option<&str>,
    duplicate_of: Option<i64>,
    g: u64,
) -> Result<i64> {
    let warnings = serde_json::Value::from(doc.warnings.clone()).to_string();
    let card = doc.card.as_ref().map(serde_json::Value::to_string);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO documents (path, title, format, size, content_hash, mtime_ns, pages, chunks, status, error, \
         warnings, duplicate_of, generation, card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&doc.path)
    .bind(&doc.title)
    .bind(&doc.format)
    .bind(doc.size as i64)
    .bind(&doc.content_hash)
    .bind(doc.mtime_ns)
    .bind(doc.pages.map(i64::from))
    .bind(doc.chunks as i64)
    .bind(status.as_str())
    .bind(error)
    .bind(warnings)
    .bind(duplicate_of)
    .bind(g as i64)
    .bind(card)
    .fetch_one(tx)
    .await?;
    Ok(id)
}

fn doc_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<DocRow> {
    let warnings: String = r.try_get("warnings")?;
    let warnings: Vec<String> = serde_json::from_str(&warnings).map_err(|e| StoreError::Data(e.to_string()))?;
    let status: String = r.try_get("status")?;
    Ok(DocRow {
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        title: r.try_get("title")?,
        format: r.try_get("format")?,
        size: r.try_get::<i64, _>("size")?.max(0) as u64,
        content_hash: r.try_get("content_hash")?,
        mtime_ns: r.try_get("mtime_ns")?,
        pages: r.try_get::<Option<i64>, _>("pages")?.map(|p| p.clamp(0, u32::MAX as i64) as u32),
        chunks: r.try_get::<i64, _>("chunks")?.max(0) as u64,
        status: Status::parse(&status)?,
        error: r.try_get("error")?,
        warnings,
        duplicate_of: r.try_get("duplicate_of")?,
        generation: r.try_get::<i64, _>("generation")?.max(0) as u64,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        embedded: false,
        card: card_from_json(r.try_get("card")?)?,
        ocr_pages: r.try_get::<i64, _>("ocr_pages")?.max(0) as u64,
    })
}

fn card_from_json(stored: Option<String>) -> Result<Option<serde_json::Value>> {
    stored.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Data(format!("document card: {e}")))).transpose()
}

#[cfg(test)]
mod tests;

/// One consistent read of the catalog for `catena check` ([`Catalog::check_snapshot`]).
#[derive(Debug, Clone)]
pub struct CheckSnapshot {
    /// The documents a reader of the index snapshot sees.
    pub visible: Vec<DocRow>,
    /// Every row as stored.
    pub all: Vec<DocRow>,
    /// Stored and recorded vectors per document and model.
    pub vectors: Vec<VectorCount>,
}

async fn all_docs(conn: &mut sqlx::SqliteConnection) -> Result<Vec<DocRow>> {
    let sql = select_docs!("ORDER BY path, id");
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter().map(doc_from_row).collect()
}

/// The rows as a reader of the index at `index_generation` sees them (see [`Catalog::visible`]).
fn visible_rows(rows: Vec<DocRow>, moves: Vec<(i64, String)>, index_generation: u64) -> Vec<DocRow> {
    let moves: std::collections::HashMap<i64, String> = moves.into_iter().collect();
    let mut out = Vec::new();
    for mut row in rows {
        if let Some(old) = moves.get(&row.id) {
            row.path = old.clone();
        }
        let committed = row.generation <= index_generation;
        match row.status {
            Status::Pending if committed => row.status = Status::Indexed,
            Status::Pending => continue,
            Status::Replacing | Status::Removing if committed => continue,
            Status::Replacing | Status::Removing => row.status = Status::Indexed,
            _ => {}
        }
        out.push(row);
    }
    out
}

-- The document catalog. A document row moves through these statuses:
--   pending   : written before its chunks are committed to the index (generation = that commit)
--   indexed   : its chunks are in a committed index snapshot
--   failed    : could not be read; `error` says why; nothing of it is in the index
--   duplicate : same content as `duplicate_of`; not indexed a second time
--   replacing : an indexed version being replaced by a newer one (deleted after the commit)
--   removing  : an indexed document being removed (deleted after the commit)
-- The index commit payload is the generation; on open, rows are reconciled against it.
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL,
    title         TEXT,
    format        TEXT,
    size          INTEGER NOT NULL,
    content_hash  TEXT,
    mtime_ns      INTEGER,
    pages         INTEGER,
    chunks        INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL CHECK (status IN ('pending','indexed','failed','duplicate','replacing','removing')),
    error         TEXT,
    warnings      TEXT    NOT NULL DEFAULT '[]',
    duplicate_of  INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    generation    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX documents_path ON documents(path);
CREATE INDEX documents_hash ON documents(content_hash);
CREATE INDEX documents_status_generation ON documents(status, generation);

CREATE TABLE document_text (
    doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text   TEXT NOT NULL
);

-- Tables kept from CSV/TSV/XLSX for the data-analysis action.
CREATE TABLE doc_tables (
    id        INTEGER PRIMARY KEY,
    doc_id    INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sheet     TEXT    NOT NULL,
    columns   TEXT    NOT NULL, -- JSON: [{"name": …, "type": "integer|real|date|boolean|text"}]
    row_count INTEGER NOT NULL
);
CREATE INDEX doc_tables_doc ON doc_tables(doc_id);

CREATE TABLE table_rows (
    table_id INTEGER NOT NULL REFERENCES doc_tables(id) ON DELETE CASCADE,
    row_idx  INTEGER NOT NULL, -- 1-based data row
    cells    TEXT    NOT NULL, -- JSON array, typed (numbers, strings, booleans, null)
    PRIMARY KEY (table_id, row_idx)
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

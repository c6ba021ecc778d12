-- Folders that stay in sync. A folder the user adds (`catena ingest DIR`, a folder dropped on
-- or picked in the app) is remembered here; while the app or `catena watch` runs, changes under
-- it are applied as they happen, and a rescan at start finds what changed while nothing ran.
--
-- `paused` is the user's choice and survives restarts. `state` and `error` are what the last
-- process watching the folder reported (`watching`, `scanning`, `error`), so `catena sources`
-- can show them while the app or `catena watch` holds the library. `skipped` counts the files
-- of types Catena does not read found by the last scan: they are left out quietly, not listed
-- as failed. `poll` asks for polling instead of file-system events (network mounts).
CREATE TABLE watched_sources (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    paused      INTEGER NOT NULL DEFAULT 0,
    poll        INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL DEFAULT 'idle',
    error       TEXT,
    skipped     INTEGER NOT NULL DEFAULT 0,
    last_scan   TEXT,
    added_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- A document moving to a new path keeps its row (its id is what stored runs cite). The move is
-- written here with the generation of the index commit that re-labels its chunks, in the same
-- transaction as the path change; recovery undoes the path change when that commit never
-- happened (the index still names the old path) and forgets the move once it has.
CREATE TABLE document_moves (
    doc_id     INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    old_path   TEXT    NOT NULL,
    old_title  TEXT,
    old_size   INTEGER NOT NULL,
    old_mtime  INTEGER,
    generation INTEGER NOT NULL
);
CREATE INDEX document_moves_generation ON document_moves(generation);

-- Finished question runs (`catena ask`). A run is written in one transaction once it has
-- finished; a cancelled run writes nothing, so every row here belongs to a complete run.
--
-- `runs.record` is the complete RunRecord JSON and the source of truth: `catena show` prints it
-- back exactly. Every other column and table is a queryable projection of it (history lists,
-- "which runs cited this document", cost reports) and is never read back to rebuild a record.
CREATE TABLE runs (
    id                TEXT    PRIMARY KEY, -- `r-<unix_ms>-<hex>`: sorts by creation time
    question          TEXT    NOT NULL,
    mode              TEXT    NOT NULL,    -- llm | extractive
    answer            TEXT    NOT NULL,
    plan_raw          TEXT,
    settings          TEXT    NOT NULL,    -- JSON: the SettingsRecord
    llm_calls         INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    actions           INTEGER NOT NULL,
    wall_ms           INTEGER NOT NULL,
    started_at        TEXT    NOT NULL,    -- RFC 3339 UTC with milliseconds: sorts as text
    finished_at       TEXT    NOT NULL,
    record            TEXT    NOT NULL     -- JSON: the whole RunRecord
);
CREATE INDEX runs_started_at ON runs(started_at);

CREATE TABLE run_nodes (
    run_id       TEXT    NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    sub_question TEXT    NOT NULL,
    depends_on   TEXT    NOT NULL, -- JSON array of node ids
    missing      INTEGER NOT NULL,
    guess_answer TEXT    NOT NULL,
    answer       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    mrfs         REAL,
    decision     TEXT,
    reason       TEXT,
    scores       TEXT    NOT NULL, -- JSON: [{"evidence_id", "score"}]
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;

CREATE TABLE run_evidence (
    run_id     TEXT    NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id         INTEGER NOT NULL, -- the [n] marker number
    node_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL, -- document | web | table
    doc_id     INTEGER,          -- no foreign key: the run outlives the document's removal
    chunk_id   TEXT,
    path       TEXT,
    title      TEXT    NOT NULL,
    page       INTEGER,
    location   TEXT    NOT NULL,
    url        TEXT,
    span_start INTEGER,
    span_end   INTEGER,
    text       TEXT    NOT NULL,
    score      REAL    NOT NULL,
    fetched_at TEXT,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE INDEX run_evidence_doc ON run_evidence(doc_id);

CREATE TABLE run_citations (
    run_id      TEXT    NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL, -- order in the answer (a marker may cite in several sentences)
    marker      INTEGER NOT NULL,
    evidence_id INTEGER NOT NULL,
    sentence    TEXT    NOT NULL,
    verdict     TEXT    NOT NULL, -- supported | partial | unsupported
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE run_calls (
    run_id            TEXT    NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    purpose           TEXT    NOT NULL, -- plan | repair | summarize | answer
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_ms        INTEGER NOT NULL,
    ok                INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

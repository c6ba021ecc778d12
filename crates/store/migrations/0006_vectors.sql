-- Chunk embeddings for semantic search (the `library` crate keeps them consistent with the text
-- index). A document counts as embedded for a model only once its row in `doc_embeddings` exists,
-- and that row is written in the same transaction as all of the document's vectors, so a process
-- killed mid-way leaves either every vector of a document or none, and never a state row without
-- them. Both tables follow their document: deleting a `documents` row (removal, replacement,
-- recovery) deletes its vectors through the foreign keys.
--
-- `model` names the model that made the vectors (`local:all-MiniLM-L6-v2`, `ollama:…`); vectors
-- of two models are never compared.
CREATE TABLE doc_embeddings (
    -- Never reused (AUTOINCREMENT): with the row count, MAX(id) per model is the cheap counter a
    -- reader checks to notice vectors another process added or deleted.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    model       TEXT    NOT NULL,
    dims        INTEGER NOT NULL,
    vectors     INTEGER NOT NULL, -- chunks embedded: equal to the document's chunk count
    embedded_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE UNIQUE INDEX doc_embeddings_model_doc ON doc_embeddings(model, doc_id);
CREATE INDEX doc_embeddings_doc ON doc_embeddings(doc_id);

CREATE TABLE chunk_vectors (
    model   TEXT    NOT NULL,
    doc_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, -- the chunk's ordinal in the text index
    vector  BLOB    NOT NULL, -- `embed::vectors::quantize` form
    PRIMARY KEY (model, doc_id, ordinal)
) WITHOUT ROWID;
CREATE INDEX chunk_vectors_doc ON chunk_vectors(doc_id);

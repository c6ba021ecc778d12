-- The document card: what a document says about itself (title, authors, date, identifiers such
-- as a DOI, an arXiv id, an ISBN or a docket number), read at ingest from the file's metadata and
-- its first page. One JSON object per document, written by the same INSERT as the row itself, so
-- a card exists exactly when its document does. NULL for rows without one (failed files,
-- duplicates, and documents ingested before this migration until they are read again).
ALTER TABLE documents ADD COLUMN card TEXT;

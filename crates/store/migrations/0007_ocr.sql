-- Pages whose text was read by OCR (scanned PDF pages, images), written by the same transaction
-- as their document's row and text, and deleted with it. `span_start`/`span_end` are the page's
-- chars in `document_text`; `words` is a JSON array with one entry per recognised word,
-- `[start, end, x0, y0, x1, y1, confidence]`: its chars in `document_text` and its box as
-- fractions of the page's width and height from the top-left corner, so a cited span can be
-- highlighted on the rendered page at any size.
CREATE TABLE ocr_pages (
    doc_id     INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page       INTEGER NOT NULL,
    confidence REAL    NOT NULL,
    languages  TEXT    NOT NULL,
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL,
    words      TEXT    NOT NULL,
    PRIMARY KEY (doc_id, page)
) WITHOUT ROWID;

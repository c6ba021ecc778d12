-- Cached web-search answers and fetched pages (`crates/web`), so asking again within the
-- time-to-live sends nothing over the network. A row is a cache entry, never a source of truth:
-- deleting the table's rows only costs a new fetch.
--
-- `key` names what was asked (provider, query, settings, or a page URL); `value` is the adapter's
-- JSON. Times are milliseconds since the Unix epoch by the adapter's clock; a row whose
-- `expires_at` has passed is never returned and is deleted on the next write.
CREATE TABLE web_cache (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    stored_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX web_cache_expires_at ON web_cache(expires_at);

-- App settings (the desktop app's Settings view): one JSON value per key, e.g. `llm`, `web`,
-- `engine`, `library`. API keys are never stored here: they live in the OS keyring
-- (crates/secrets), and the settings only say which provider a key belongs to.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL, -- JSON
    updated_at TEXT NOT NULL  -- RFC 3339 UTC
);

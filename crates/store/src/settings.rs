//! App settings: a small key/value store of JSON documents (`migrations/0004_settings.sql`).
//!
//! The desktop app keeps one document per settings group (`llm`, `web`, `engine`, …) and owns
//! their shape; this module only stores and returns them. Secrets never come here: API keys live
//! in the OS keyring.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::Row;

use crate::{Catalog, Result, StoreError};

impl Catalog {
    /// The stored value of `key`, or None when it was never set.
    pub async fn setting(&self, key: &str) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        row.map(|r| parse(&r.get::<String, _>("value"))).transpose()
    }

    /// Every stored setting, by key.
    pub async fn settings(&self) -> Result<BTreeMap<String, Value>> {
        let rows = sqlx::query("SELECT key, value FROM settings ORDER BY key").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.get::<String, _>("key"), parse(&r.get::<String, _>("value"))?))).collect()
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn set_setting(&self, key: &str, value: &Value) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Data(e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) \
             VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(text)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets `key`; true when it was set.
    pub async fn delete_setting(&self, key: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }
}

fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Data(format!("setting is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Catalog;

    #[tokio::test]
    async fn settings_round_trip_and_replace() {
        let cat = Catalog::open_in_memory().await.unwrap();
        assert_eq!(cat.setting("llm").await.unwrap(), None);
        cat.set_setting("llm", &json!({"provider": "ollama", "model": "qwen3"})).await.unwrap();
        cat.set_setting("engine", &json!({"mrfs_threshold": 0.7})).await.unwrap();
        cat.set_setting("llm", &json!({"provider": "anthropic"})).await.unwrap();
        assert_eq!(cat.setting("llm").await.unwrap(), Some(json!({"provider": "anthropic"})));
        let all = cat.settings().await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["engine", "llm"]);
        assert!(cat.delete_setting("llm").await.unwrap());
        assert!(!cat.delete_setting("llm").await.unwrap());
        assert_eq!(cat.setting("llm").await.unwrap(), None);
    }

    #[tokio::test]
    async fn settings_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.db");
        let cat = Catalog::open(&path).await.unwrap();
        cat.set_setting("web", &json!({"offline": true})).await.unwrap();
        cat.close().await;
        let cat = Catalog::open(&path).await.unwrap();
        assert_eq!(cat.setting("web").await.unwrap(), Some(json!({"offline": true})));
    }
}

//! The web cache (`migrations/0003_web_cache.sql`): text values by key with an expiry, for the
//! `web` crate's search answers and fetched pages. Times are milliseconds since the Unix epoch
//! from the caller's clock, so expiry is testable without waiting.

use sqlx::SqlitePool;

use crate::{Catalog, Result};

/// A handle on the web cache of one catalog (cheap to clone: it shares the catalog's pool).
#[derive(Debug, Clone)]
pub struct WebCache {
    pool: SqlitePool,
}

impl Catalog {
    /// The web cache stored in this catalog.
    pub fn web_cache(&self) -> WebCache {
        WebCache { pool: self.pool.clone() }
    }
}

impl WebCache {
    /// The value stored under `key`, unless it has expired by `now_ms`.
    pub async fn get(&self, key: &str, now_ms: i64) -> Result<Option<String>> {
        let value = sqlx::query_scalar("SELECT value FROM web_cache WHERE key = ? AND expires_at > ?")
            .bind(key)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        Ok(value)
    }

    /// Stores `value` under `key` until `expires_ms`, replacing what was there, and deletes the
    /// entries that have expired by `now_ms`.
    pub async fn put(&self, key: &str, value: &str, now_ms: i64, expires_ms: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM web_cache WHERE expires_at <= ?").bind(now_ms).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO web_cache (key, value, stored_at, expires_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at, \
             expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Entries stored and not yet expired at `now_ms`.
    pub async fn len(&self, now_ms: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM web_cache WHERE expires_at > ?")
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use crate::Catalog;

    #[tokio::test]
    async fn values_come_back_until_they_expire_and_are_replaced_by_key() {
        let cache = Catalog::open_in_memory().await.unwrap().web_cache();
        assert_eq!(cache.get("q", 1_000).await.unwrap(), None);
        cache.put("q", "first", 1_000, 2_000).await.unwrap();
        assert_eq!(cache.get("q", 1_999).await.unwrap().as_deref(), Some("first"));
        assert_eq!(cache.get("q", 2_000).await.unwrap(), None, "expired at its expiry time");
        cache.put("q", "second", 3_000, 9_000).await.unwrap();
        assert_eq!(cache.get("q", 3_000).await.unwrap().as_deref(), Some("second"));
        assert_eq!(cache.len(3_000).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_write_deletes_expired_entries() {
        let catalog = Catalog::open_in_memory().await.unwrap();
        let cache = catalog.web_cache();
        cache.put("old", "x", 0, 10).await.unwrap();
        cache.put("new", "y", 20, 100).await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM web_cache").fetch_one(&cache.pool).await.unwrap();
        assert_eq!(rows, 1);
    }
}

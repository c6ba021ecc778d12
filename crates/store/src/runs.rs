//! Run history: finished question runs, written once and read back for `catena runs` / `show`.
//!
//! The whole [`RunRecord`] is kept as JSON in `runs.record` and is what [`Catalog::get_run`]
//! returns, so a stored run prints exactly as it did when it ran. The per-node, per-evidence,
//! per-citation and per-call rows are a queryable projection written in the same transaction
//! (see `migrations/0002_runs.sql`).

use engine::run::{Mode, RunRecord};
use serde_json::Value;
use sqlx::Row;

use crate::{Catalog, Result, StoreError};

/// One line of run history.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The run id.
    pub run_id: String,
    /// The question as asked.
    pub question: String,
    /// How the answer was written.
    pub mode: Mode,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time of the run.
    pub wall_ms: u64,
    /// Requests sent to the model, retries included.
    pub llm_calls: u32,
}

/// The snake_case name serde gives an engine enum (the same spelling the record JSON uses, so
/// the columns and the JSON never disagree).
fn name(v: serde_json::Result<Value>) -> Result<String> {
    match v {
        Ok(Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::Data(format!("expected an enum name, got {other}"))),
        Err(e) => Err(StoreError::Data(e.to_string())),
    }
}

fn json(v: serde_json::Result<String>) -> Result<String> {
    v.map_err(|e| StoreError::Data(e.to_string()))
}

/// SQLite integers are signed; counts beyond i64 cannot happen in practice, so saturate.
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Stores a finished run, all or nothing: the record and its projection rows are written in
    /// one transaction. The record's `run_id` is the key and must be set and unused.
    pub async fn save_run(&self, run: &RunRecord) -> Result<()> {
        if run.run_id.trim().is_empty() {
            return Err(StoreError::Data("a run needs an id before it is stored".into()));
        }
        let record = json(serde_json::to_string(run))?;
        let settings = json(serde_json::to_string(&run.settings))?;
        let id = run.run_id.as_str();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO runs (id, question, mode, answer, plan_raw, settings, llm_calls, prompt_tokens, \
             completion_tokens, actions, wall_ms, started_at, finished_at, record) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&run.question)
        .bind(name(serde_json::to_value(run.mode))?)
        .bind(&run.answer)
        .bind(&run.plan_raw)
        .bind(settings)
        .bind(i64::from(run.usage.llm_calls))
        .bind(int(run.usage.prompt_tokens))
        .bind(int(run.usage.completion_tokens))
        .bind(i64::from(run.usage.actions))
        .bind(int(run.usage.wall_ms))
        .bind(&run.started_at)
        .bind(&run.finished_at)
        .bind(record)
        .execute(&mut *tx)
        .await?;

        for n in &run.nodes {
            sqlx::query(
                "INSERT INTO run_nodes (run_id, id, action, sub_question, depends_on, missing, guess_answer, answer, \
                 status, path, mrfs, decision, reason, scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(i64::from(n.id))
            .bind(n.action.as_str())
            .bind(&n.sub_question)
            .bind(json(serde_json::to_string(&n.depends_on))?)
            .bind(n.missing)
            .bind(&n.guess_answer)
            .bind(&n.answer)
            .bind(name(serde_json::to_value(n.status))?)
            .bind(name(serde_json::to_value(n.path))?)
            .bind(n.mrfs)
            .bind(n.decision.map(|d| name(serde_json::to_value(d))).transpose()?)
            .bind(&n.reason)
            .bind(json(serde_json::to_string(&n.scores))?)
            .execute(&mut *tx)
            .await?;
        }

        for e in &run.evidence {
            sqlx::query(
                "INSERT INTO run_evidence (run_id, id, node_id, kind, doc_id, chunk_id, path, title, page, location, \
                 url, span_start, span_end, text, score, fetched_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(i64::from(e.id))
            .bind(i64::from(e.node_id))
            .bind(name(serde_json::to_value(e.kind))?)
            .bind(e.doc_id)
            .bind(&e.chunk_id)
            .bind(&e.path)
            .bind(&e.title)
            .bind(e.page.map(i64::from))
            .bind(&e.location)
            .bind(&e.url)
            .bind(e.span.map(|s| int(s[0] as u64)))
            .bind(e.span.map(|s| int(s[1] as u64)))
            .bind(&e.text)
            .bind(f64::from(e.score))
            .bind(&e.fetched_at)
            .execute(&mut *tx)
            .await?;
        }

        for (seq, c) in run.citations.iter().enumerate() {
            sqlx::query(
                "INSERT INTO run_citations (run_id, seq, marker, evidence_id, sentence, verdict) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(int(seq as u64))
            .bind(i64::from(c.marker))
            .bind(i64::from(c.evidence_id))
            .bind(&c.sentence)
            .bind(name(serde_json::to_value(c.verdict))?)
            .execute(&mut *tx)
            .await?;
        }

        for (seq, c) in run.usage.calls.iter().enumerate() {
            sqlx::query(
                "INSERT INTO run_calls (run_id, seq, purpose, prompt_tokens, completion_tokens, latency_ms, ok) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(int(seq as u64))
            .bind(name(serde_json::to_value(c.purpose))?)
            .bind(int(c.prompt_tokens))
            .bind(int(c.completion_tokens))
            .bind(int(c.latency_ms))
            .bind(c.ok)
            .execute(&mut *tx)
            .await?;
        }

        tx.commit().await?;
        Ok(())
    }

    /// The `limit` most recent runs, newest first (by start time; runs that started in the same
    /// millisecond in the order they were stored, last first).
    pub async fn list_runs(&self, limit: usize) -> Result<Vec<RunSummary>> {
        let rows = sqlx::query(
            "SELECT id, question, mode, started_at, wall_ms, llm_calls FROM runs \
             ORDER BY started_at DESC, rowid DESC LIMIT ?",
        )
        .bind(int(limit as u64))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mode: String = r.try_get("mode")?;
                Ok(RunSummary {
                    run_id: r.try_get("id")?,
                    question: r.try_get("question")?,
                    mode: serde_json::from_value(Value::String(mode.clone()))
                        .map_err(|_| StoreError::Data(format!("unknown run mode '{mode}'")))?,
                    started_at: r.try_get("started_at")?,
                    wall_ms: r.try_get::<i64, _>("wall_ms")?.max(0) as u64,
                    llm_calls: r.try_get::<i64, _>("llm_calls")?.clamp(0, i64::from(u32::MAX)) as u32,
                })
            })
            .collect()
    }

    /// A stored run by id, or by a prefix of its id that matches exactly one run (so a user can
    /// type the first characters, as with git hashes). An exact id always wins over prefixes.
    /// `Ok(None)`: no such run; [`StoreError::AmbiguousRun`]: the prefix matches several.
    pub async fn get_run(&self, id: &str) -> Result<Option<RunRecord>> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        // `substr` rather than LIKE: LIKE ignores ASCII case and reads `_` as a wildcard. An exact
        // id sorts first, so it wins even when it is also a prefix of other ids.
        let mut ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id = ? DESC, started_at DESC LIMIT 6",
        )
        .bind(int(id.chars().count() as u64))
        .bind(id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        if ids.len() > 1 && ids[0] != id {
            return Err(StoreError::AmbiguousRun { prefix: id.to_string(), matches: ids });
        }
        ids.truncate(1);
        let Some(found) = ids.pop() else {
            return Ok(None);
        };
        let record: String =
            sqlx::query_scalar("SELECT record FROM runs WHERE id = ?").bind(&found).fetch_one(&self.pool).await?;
        serde_json::from_str(&record).map(Some).map_err(|e| StoreError::Data(format!("stored run: {e}")))
    }
}

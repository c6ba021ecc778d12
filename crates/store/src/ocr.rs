//! Pages read by OCR, with their word boxes (`migrations/0007_ocr.sql`).

use sqlx::Row;

use crate::{Catalog, Result, StoreError};

/// One recognised word: its chars in the document text and its box on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OcrWordRow {
    /// First char in the document text.
    pub start: u64,
    /// One past the last char.
    pub end: u64,
    /// `[x0, y0, x1, y1]` as fractions of the page's width and height, from the top-left.
    pub bbox: [f32; 4],
    /// OCR confidence, 0–100.
    pub confidence: f32,
}

/// One page read by OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPageRow {
    /// 1-based physical page.
    pub page: u32,
    /// Mean word confidence, 0–100.
    pub confidence: f32,
    /// The Tesseract languages it was read with (`eng+deu`).
    pub languages: String,
    /// First char of the page's text in the document text.
    pub span_start: u64,
    /// One past its last char.
    pub span_end: u64,
    /// Its words, in text order.
    pub words: Vec<OcrWordRow>,
}

/// Four decimals place a box within a hundredth of a millimetre on an A4 page.
fn round(v: f32) -> f64 {
    (f64::from(v) * 10_000.0).round() / 10_000.0
}

pub(crate) fn words_json(words: &[OcrWordRow]) -> String {
    let rows: Vec<serde_json::Value> = words
        .iter()
        .map(|w| {
            serde_json::json!([
                w.start,
                w.end,
                round(w.bbox[0]),
                round(w.bbox[1]),
                round(w.bbox[2]),
                round(w.bbox[3]),
                (f64::from(w.confidence) * 10.0).round() / 10.0
            ])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn words_from_json(s: &str) -> Result<Vec<OcrWordRow>> {
    let bad = |what: &str| StoreError::Data(format!("OCR words: {what}"));
    let rows: Vec<Vec<f64>> = serde_json::from_str(s).map_err(|e| bad(&e.to_string()))?;
    rows.into_iter()
        .map(|r| match r[..] {
            [start, end, x0, y0, x1, y1, confidence] => Ok(OcrWordRow {
                start: start.max(0.0) as u64,
                end: end.max(0.0) as u64,
                bbox: [x0 as f32, y0 as f32, x1 as f32, y1 as f32],
                confidence: confidence as f32,
            }),
            _ => Err(bad("a word needs seven numbers")),
        })
        .collect()
}

pub(crate) async fn insert(tx: &mut sqlx::SqliteConnection, doc_id: i64, pages: &[OcrPageRow]) -> Result<()> {
    for p in pages {
        sqlx::query(
            "INSERT INTO ocr_pages (doc_id, page, confidence, languages, span_start, span_end, words) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(doc_id)
        .bind(i64::from(p.page))
        .bind(f64::from(p.confidence))
        .bind(&p.languages)
        .bind(i64::try_from(p.span_start).unwrap_or(i64::MAX))
        .bind(i64::try_from(p.span_end).unwrap_or(i64::MAX))
        .bind(words_json(&p.words))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

impl Catalog {
    /// The pages of a document read by OCR whose text overlaps chars `[start, end)`, in page
    /// order (all of them for `0..u64::MAX`).
    pub async fn ocr_pages(&self, doc_id: i64, start: u64, end: u64) -> Result<Vec<OcrPageRow>> {
        let rows = sqlx::query(
            "SELECT page, confidence, languages, span_start, span_end, words FROM ocr_pages \
             WHERE doc_id = ? AND span_start < ? AND span_end > ? ORDER BY page",
        )
        .bind(doc_id)
        .bind(i64::try_from(end).unwrap_or(i64::MAX))
        .bind(i64::try_from(start).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let words: String = r.try_get("words")?;
                Ok(OcrPageRow {
                    page: u32::try_from(r.try_get::<i64, _>("page")?).unwrap_or(0),
                    confidence: r.try_get::<f64, _>("confidence")? as f32,
                    languages: r.try_get("languages")?,
                    span_start: r.try_get::<i64, _>("span_start")?.max(0) as u64,
                    span_end: r.try_get::<i64, _>("span_end")?.max(0) as u64,
                    words: words_from_json(&words)?,
                })
            })
            .collect()
    }
}

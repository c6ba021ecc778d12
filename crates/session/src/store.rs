//! The settings in the catalog: one JSON document per group in the `settings` table (the store
//! the desktop app has always used), read back with defaults for whatever was never saved.

use serde_json::Value;
use store::Catalog;

use crate::settings::{GROUPS, Settings, SettingsError};

/// Why the settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Catalog(#[from] store::StoreError),
    #[error(transparent)]
    Invalid(#[from] SettingsError),
}

/// The stored settings, with defaults for whatever was never saved. A group that no longer
/// parses (written by another version, or edited by hand) falls back to its defaults field by
/// field: each readable field is kept.
pub async fn load(catalog: &Catalog) -> Result<Settings, store::StoreError> {
    let stored = catalog.settings().await?;
    Ok(from_groups(|group| stored.get(group).cloned()))
}

fn from_groups(get: impl Fn(&str) -> Option<Value>) -> Settings {
    let defaults = serde_json::to_value(Settings::default()).unwrap_or(Value::Null);
    let mut doc = serde_json::Map::new();
    for group in GROUPS {
        let mut merged = defaults.get(group).cloned().unwrap_or(Value::Null);
        if let (Some(Value::Object(stored)), Value::Object(target)) = (get(group), &mut merged) {
            for (field, value) in stored {
                if target.contains_key(&field) {
                    // Keep a field only when the group still parses with it.
                    let previous = target.insert(field.clone(), value);
                    let ok = serde_json::from_value::<Settings>(Value::Object(
                        [(group.to_owned(), Value::Object(target.clone()))].into_iter().collect(),
                    ))
                    .is_ok();
                    if !ok && let Some(p) = previous {
                        target.insert(field, p);
                    }
                }
            }
        }
        doc.insert(group.to_owned(), merged);
    }
    serde_json::from_value(Value::Object(doc)).unwrap_or_default()
}

/// Validates and stores `settings`, every group.
pub async fn save(catalog: &Catalog, settings: &Settings) -> Result<(), StoreError> {
    settings.validate()?;
    write(catalog, settings).await?;
    Ok(())
}

async fn write(catalog: &Catalog, settings: &Settings) -> Result<(), store::StoreError> {
    let value = serde_json::to_value(settings).map_err(|e| store::StoreError::Data(e.to_string()))?;
    for group in GROUPS {
        if let Some(v) = value.get(group) {
            catalog.set_setting(group, v).await?;
        }
    }
    Ok(())
}

/// Rewrites stored groups in their canonical form (older spellings such as `openai` for
/// `openai-compatible` or an empty embedding provider, fields that were never stored, values
/// that no longer parse replaced by their defaults). Groups that were never stored stay
/// unstored; returns the groups rewritten.
pub async fn migrate(catalog: &Catalog) -> Result<Vec<&'static str>, store::StoreError> {
    let stored = catalog.settings().await?;
    let settings = from_groups(|group| stored.get(group).cloned());
    let canonical = serde_json::to_value(&settings).map_err(|e| store::StoreError::Data(e.to_string()))?;
    let mut rewritten = Vec::new();
    for group in GROUPS {
        if let (Some(old), Some(new)) = (stored.get(group), canonical.get(group))
            && old != new
        {
            catalog.set_setting(group, new).await?;
            rewritten.push(group);
        }
    }
    Ok(rewritten)
}

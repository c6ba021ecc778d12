//! Settings by dotted key (`llm.model`, `web.offline`): what `catena config get|set|list` reads
//! and writes. Keys and values are checked against the schema: an unknown key is refused with
//! the list of keys, a bad value with the valid ones. API keys are not settings and have no key
//! here (`catena key` stores them in the keyring).

use serde_json::Value;

use crate::settings::{
    AgentProtocolChoice, AskMode, EmbeddingProvider, LlmPreset, LlmProvider, Missing, ObservationsChoice, Settings,
    SettingsError, WebProvider,
};

/// One setting's key, what it means and, for a choice, its valid values.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub key: &'static str,
    pub help: &'static str,
    /// The valid values of a choice, comma-separated (None for free text, numbers and switches).
    pub values: Option<fn() -> String>,
}

const fn key(key: &'static str, help: &'static str) -> Key {
    Key { key, help, values: None }
}

const fn choice(key: &'static str, help: &'static str, values: fn() -> String) -> Key {
    Key { key, help, values: Some(values) }
}

/// Every settings key, in the order `catena config list` shows them.
pub const KEYS: &[Key] = &[
    key("llm.enabled", "use a language model (false: extractive answers)"),
    choice("llm.preset", "the preset the settings came from (the app's label)", LlmPreset::names),
    choice("llm.provider", "the API the model server speaks", LlmProvider::names),
    key("llm.base_url", "the model server's base URL (empty for Anthropic's public endpoint)"),
    key("llm.model", "the model name"),
    choice("web.provider", "the web search provider", WebProvider::names),
    key("web.search_url", "the search endpoint (required for searxng)"),
    key("web.offline", "no web traffic at all (web steps are recorded as not run)"),
    key("web.allow_private_network", "let page fetches reach loopback and private addresses"),
    key("web.k", "results per web search (1-20)"),
    key("web.fetch_pages", "read the result pages, not only their snippets"),
    key("engine.mrfs_threshold", "MRFS threshold in [0, 1]"),
    choice("engine.missing_policy", "steps the planner answered itself", Missing::names),
    key("engine.top_k", "references per step (1-50)"),
    key("engine.max_nodes", "longest chain of steps (1-30)"),
    choice("engine.run_mode", "how questions are answered unless asked otherwise", AskMode::names),
    choice("engine.agent_protocol", "agent mode: how the model asks for actions", AgentProtocolChoice::names),
    choice(
        "engine.observations",
        "agent mode: real, predicted-then-checked or predicted-only observations",
        ObservationsChoice::names,
    ),
    key("library.chunk_chars", "target chunk size in characters (200-4000)"),
    key("library.ocr", "read scanned pages and images with Tesseract"),
    key("library.ocr_languages", "Tesseract languages, '+'-separated (eng, eng+deu)"),
    choice("embedding.provider", "where semantic search's embedding model comes from", EmbeddingProvider::names),
    key("embedding.model_dir", "the model folder (provider folder)"),
    key("embedding.base_url", "the embedding server's base URL (ollama, openai)"),
    key("embedding.model", "the embedding server's model name (ollama, openai)"),
];

fn find(name: &str) -> Result<&'static Key, SettingsError> {
    let name = name.trim();
    if let Some(k) = KEYS.iter().find(|k| k.key == name) {
        return Ok(k);
    }
    let lower = name.to_ascii_lowercase();
    if lower.contains("key") || lower.contains("token") || lower.contains("secret") || lower.contains("password") {
        return Err(SettingsError::new(
            name,
            "API keys are not settings: they are kept in the system keyring (`catena key set PROVIDER`)",
        ));
    }
    let valid = KEYS.iter().map(|k| k.key).collect::<Vec<_>>().join(", ");
    Err(SettingsError::new(name, format!("no such setting; the settings are: {valid}")))
}

fn pointer(key: &str) -> String {
    format!("/{}", key.replace('.', "/"))
}

/// The value of one key.
pub fn get(settings: &Settings, name: &str) -> Result<Value, SettingsError> {
    let key = find(name)?;
    let doc = serde_json::to_value(settings).map_err(|e| SettingsError::new(key.key, e.to_string()))?;
    doc.pointer(&pointer(key.key)).cloned().ok_or_else(|| SettingsError::new(key.key, "not in the settings"))
}

/// Every key with its value.
pub fn list(settings: &Settings) -> Vec<(&'static Key, Value)> {
    KEYS.iter().filter_map(|k| get(settings, k.key).ok().map(|v| (k, v))).collect()
}

/// `settings` with `name` set to `text`, validated as a whole. A switch takes true/false
/// (yes/no, on/off, 1/0), a number must parse as the key's kind, a choice must be one of its
/// values.
pub fn set(settings: &Settings, name: &str, text: &str) -> Result<Settings, SettingsError> {
    let key = find(name)?;
    let mut doc = serde_json::to_value(settings).map_err(|e| SettingsError::new(key.key, e.to_string()))?;
    let slot = doc.pointer_mut(&pointer(key.key)).ok_or_else(|| SettingsError::new(key.key, "not in the settings"))?;
    let trimmed = text.trim();
    *slot = match slot {
        Value::Bool(_) => Value::Bool(match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => true,
            "false" | "no" | "off" | "0" => false,
            _ => return Err(SettingsError::new(key.key, format!("{text:?} is not one of: true, false"))),
        }),
        Value::Number(n) if n.is_u64() => trimmed
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| SettingsError::new(key.key, format!("{text:?} is not a whole number")))?,
        Value::Number(_) => trimmed
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| SettingsError::new(key.key, format!("{text:?} is not a number")))?,
        _ => Value::String(trimmed.to_owned()),
    };
    let updated: Settings = serde_json::from_value(doc).map_err(|e| {
        let message = match key.values {
            Some(values) => format!("{text:?} is not one of: {}", values()),
            None => e.to_string(),
        };
        SettingsError::new(key.key, message)
    })?;
    updated.validate()?;
    Ok(updated)
}

//! API keys: which keyring item each setting's key lives under, and how a run finds it
//! (`CATENA_LLM_API_KEY` first for a model, then the keyring, through the `secrets` crate). Keys
//! never enter the settings.

use engine::ports::Sensitive;
use secrets::{KeyStore, SecretError, SecretStore};

use crate::settings::{EmbeddingProvider, LlmProvider, WebProvider};

/// The keyring namespace of the app and the CLI, so a key stored by one is found by the other.
pub const NAMESPACE: &str = "catena";
/// Overrides [`NAMESPACE`] (tests use a namespace of their own).
pub const NAMESPACE_ENV: &str = "CATENA_KEYRING_NAMESPACE";

/// The keyring of this user: namespace [`NAMESPACE`], or `CATENA_KEYRING_NAMESPACE`'s.
pub fn key_store() -> Result<KeyStore, SecretError> {
    match std::env::var_os(NAMESPACE_ENV) {
        None => Ok(KeyStore::new(NAMESPACE)),
        Some(ns) => {
            // Same alphabet as provider names: it ends up in a D-Bus attribute and a label.
            let ns = ns.to_str().ok_or(SecretError::InvalidKey("CATENA_KEYRING_NAMESPACE is not valid UTF-8"))?;
            Ok(KeyStore::new(&secrets::normalize_provider(ns)?))
        }
    }
}

/// A keyring that holds nothing: a run goes on without stored keys where the keyring cannot be
/// reached (the reason is reported by whoever found it missing).
pub struct NoKeys;

impl SecretStore for NoKeys {
    fn set(&self, _: &str, _: &Sensitive) -> Result<(), SecretError> {
        Err(SecretError::InvalidKey("no keyring"))
    }
    fn get(&self, _: &str) -> Result<Option<Sensitive>, SecretError> {
        Ok(None)
    }
    fn delete(&self, _: &str) -> Result<bool, SecretError> {
        Ok(false)
    }
}

/// The item a model provider's key lives under: the API's name (`openai-compatible`), which
/// `catena key set openai` also stores.
pub fn llm_key_name(provider: LlmProvider) -> &'static str {
    provider.as_str()
}

/// The item of a web search provider's key: its name (`catena key set brave`).
pub fn web_key_name(provider: WebProvider) -> &'static str {
    provider.as_str()
}

/// The item of an embedding server's key (`ollama-embeddings`, `openai-embeddings`): its own,
/// so a chat model's key is never sent to an embedding server by accident.
pub fn embedding_key_name(provider: EmbeddingProvider) -> String {
    format!("{provider}-embeddings")
}

/// A model provider's key: `CATENA_LLM_API_KEY` when set and not blank, else the keyring's.
pub fn llm_key(store: &dyn SecretStore, provider: LlmProvider) -> Result<Option<Sensitive>, SecretError> {
    secrets::api_key(store, llm_key_name(provider))
}

/// A web search provider's key, from the keyring only (`CATENA_LLM_API_KEY` is a model key and
/// is never sent to a search provider).
pub fn web_key(store: &dyn SecretStore, provider: WebProvider) -> Result<Option<Sensitive>, SecretError> {
    store.get(web_key_name(provider))
}

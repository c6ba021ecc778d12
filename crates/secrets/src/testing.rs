//! An in-memory [`SecretStore`] for tests in other crates (feature `test-support`), so they never
//! need a keyring or a session bus.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::{SecretError, SecretStore, Sensitive, clean_key, normalize_provider};

/// Keys in a map, with the same normalisation and validation as the real store. `Debug` shows
/// providers only (the values are [`Sensitive`]).
#[derive(Debug, Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, Sensitive>>,
    unavailable: bool,
}

impl MemoryStore {
    /// An empty, working store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store whose every call fails with [`SecretError::Unavailable`], like a machine without
    /// a Secret Service.
    pub fn unavailable() -> MemoryStore {
        MemoryStore { keys: Mutex::default(), unavailable: true }
    }

    fn keys(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Sensitive>>, SecretError> {
        if self.unavailable {
            return Err(SecretError::Unavailable("no Secret Service (test fake)".into()));
        }
        // A panicking test thread must not turn every later call into a second panic.
        Ok(self.keys.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl SecretStore for MemoryStore {
    fn set(&self, provider: &str, key: &Sensitive) -> Result<(), SecretError> {
        let provider = normalize_provider(provider)?;
        let key = clean_key(key)?;
        self.keys()?.insert(provider, key);
        Ok(())
    }

    fn get(&self, provider: &str) -> Result<Option<Sensitive>, SecretError> {
        let provider = normalize_provider(provider)?;
        Ok(self.keys()?.get(&provider).cloned())
    }

    fn delete(&self, provider: &str) -> Result<bool, SecretError> {
        let provider = normalize_provider(provider)?;
        Ok(self.keys()?.remove(&provider).is_some())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let store = MemoryStore::new();
        assert!(!store.has("openai").unwrap());
        store.set(" OpenAI ", &Sensitive::new("sk-1\n")).unwrap();
        assert_eq!(store.get("openai").unwrap().unwrap().expose(), "sk-1");
        assert!(store.has("OPENAI").unwrap());
        assert!(!format!("{store:?}").contains("sk-1"));
        assert!(store.delete("openai").unwrap());
        assert!(!store.delete("openai").unwrap());
        assert_eq!(store.get("openai").unwrap(), None);
    }
}

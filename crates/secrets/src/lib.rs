//! API keys in the operating system's keyring: the Secret Service on Linux (GNOME Keyring,
//! KWallet), the Keychain on macOS, the Credential Manager on Windows.
//!
//! This crate (and, later, the desktop shell) is the only place that touches the keyring, so the
//! rest of the workspace sees keys only as [`Sensitive`] values, which never print. Nothing here
//! writes a key anywhere else: not to the data directory, not to logs, not into an error.
//!
//! Items are stored under the service `org.catena.<namespace>` with the provider name (`openai`,
//! `anthropic`, …) as the account. Release builds use the namespace `"catena"`; tests use a
//! unique one so they never touch a real key.
//!
//! The environment variable [`ENV_API_KEY`] overrides the keyring ([`api_key`]): it is the way to
//! run where no keyring exists (servers, containers, CI), and every "keyring unavailable" error
//! says so.

mod store;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use engine::ports::Sensitive;
pub use store::KeyStore;

/// The environment variable that, when set and non-empty, is used instead of the keyring.
pub const ENV_API_KEY: &str = "CATENA_LLM_API_KEY";

/// The longest provider name accepted.
const MAX_PROVIDER_LEN: usize = 64;

/// Why a keyring operation failed. No variant ever carries the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// There is no usable keyring: no session bus, no Secret Service provider, a locked keyring
    /// whose unlock prompt was dismissed, or an operating system without a supported keyring.
    #[error("the system keyring is unavailable ({0}); set {ENV_API_KEY} in the environment instead")]
    Unavailable(String),
    /// The provider name is not 1 to 64 characters of `a-z 0-9 . _ -`. The name itself is not
    /// repeated: a key pasted into the wrong argument must not be echoed back.
    #[error("invalid provider name: use 1 to 64 characters from a-z, 0-9, '.', '_' and '-' (for example `openai`)")]
    InvalidProvider,
    /// The key is empty or contains control characters (a key with a line break cannot be sent
    /// in an HTTP header anyway).
    #[error("invalid API key: {0}")]
    InvalidKey(&'static str),
    /// Any other failure reported by the keyring.
    #[error("keyring error: {0}")]
    Platform(String),
}

/// The normalised provider name: trimmed and lowercased, then checked against `[a-z0-9._-]{1,64}`.
pub fn normalize_provider(provider: &str) -> Result<String, SecretError> {
    let name = provider.trim().to_lowercase();
    let valid = !name.is_empty()
        && name.len() <= MAX_PROVIDER_LEN
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if valid { Ok(name) } else { Err(SecretError::InvalidProvider) }
}

/// The key as it is stored: surrounding whitespace (a pasted line's newline) removed; empty keys
/// and keys with control characters inside refused.
pub(crate) fn clean_key(key: &Sensitive) -> Result<Sensitive, SecretError> {
    let trimmed = key.expose().trim();
    if trimmed.is_empty() {
        return Err(SecretError::InvalidKey("the key is empty"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(SecretError::InvalidKey("the key contains a line break or another control character"));
    }
    Ok(Sensitive::new(trimmed))
}

/// Where API keys are kept, per provider. [`KeyStore`] is the real keyring;
/// `testing::MemoryStore` (feature `test-support`) is an in-memory fake for other crates' tests.
///
/// Every method normalises the provider name first ([`normalize_provider`]).
pub trait SecretStore: Send + Sync {
    /// Stores (or replaces) the key for `provider`.
    fn set(&self, provider: &str, key: &Sensitive) -> Result<(), SecretError>;
    /// The stored key, or `None` if there is none.
    fn get(&self, provider: &str) -> Result<Option<Sensitive>, SecretError>;
    /// Removes the key; `false` if there was none.
    fn delete(&self, provider: &str) -> Result<bool, SecretError>;
    /// Whether a key is stored.
    fn has(&self, provider: &str) -> Result<bool, SecretError> {
        Ok(self.get(provider)?.is_some())
    }
}

/// The API key for `provider`: [`ENV_API_KEY`] if it is set and not blank (the keyring is then
/// not consulted at all, so this works where no keyring exists), otherwise the keyring's.
pub fn api_key<S: SecretStore + ?Sized>(store: &S, provider: &str) -> Result<Option<Sensitive>, SecretError> {
    resolve(std::env::var_os(ENV_API_KEY), store, provider)
}

/// Whether [`ENV_API_KEY`] is set to something non-blank, i.e. whether it overrides the keyring.
pub fn env_override() -> bool {
    std::env::var_os(ENV_API_KEY).is_some_and(|v| !v.to_string_lossy().trim().is_empty())
}

/// [`api_key`] with the environment value passed in, so tests need not mutate the process
/// environment (which is `unsafe` in edition 2024).
fn resolve<S: SecretStore + ?Sized>(
    env: Option<std::ffi::OsString>,
    store: &S,
    provider: &str,
) -> Result<Option<Sensitive>, SecretError> {
    // Validate even when the environment wins, so a typo fails the same way everywhere.
    normalize_provider(provider)?;
    if let Some(value) = env {
        // A non-UTF-8 value cannot be a usable HTTP header; falling back to the keyring silently
        // would leave the user wondering why their variable is ignored.
        let value =
            value.into_string().map_err(|_| SecretError::InvalidKey("CATENA_LLM_API_KEY is not valid UTF-8"))?;
        if !value.trim().is_empty() {
            // Say which key is wrong: the user may not know the variable overrides the keyring.
            return clean_key(&Sensitive::new(value)).map(Some).map_err(|_| {
                SecretError::InvalidKey("CATENA_LLM_API_KEY contains a line break or another control character")
            });
        }
    }
    store.get(provider)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::MemoryStore;

    #[test]
    fn provider_names_are_normalised_and_validated() {
        assert_eq!(normalize_provider("  OpenAI \n").unwrap(), "openai");
        assert_eq!(normalize_provider("my-proxy_2.local").unwrap(), "my-proxy_2.local");
        assert_eq!(normalize_provider(&"a".repeat(64)).unwrap().len(), 64);
        for bad in ["", "   ", "open ai", "open/ai", "ключ", "a\u{0}b", &"a".repeat(65)] {
            assert_eq!(normalize_provider(bad), Err(SecretError::InvalidProvider), "{bad:?}");
        }
    }

    #[test]
    fn keys_are_trimmed_and_checked() {
        assert_eq!(clean_key(&Sensitive::new(" sk-1\n")).unwrap().expose(), "sk-1");
        assert!(matches!(clean_key(&Sensitive::new(" \n")), Err(SecretError::InvalidKey(_))));
        assert!(matches!(clean_key(&Sensitive::new("sk\n1")), Err(SecretError::InvalidKey(_))));
    }

    #[test]
    fn the_environment_wins_over_the_store() {
        let store = MemoryStore::new();
        store.set("openai", &Sensitive::new("sk-stored")).unwrap();
        let from_env = resolve(Some("sk-env\n".into()), &store, "OpenAI").unwrap().unwrap();
        assert_eq!(from_env.expose(), "sk-env");
        let blank_env = resolve(Some("  ".into()), &store, "openai").unwrap().unwrap();
        assert_eq!(blank_env.expose(), "sk-stored");
        assert_eq!(resolve(None, &store, "anthropic").unwrap(), None);
        assert_eq!(resolve(None, &store, "bad name"), Err(SecretError::InvalidProvider));
        let bad_env = resolve(Some("sk-a\nsk-b".into()), &store, "openai").unwrap_err();
        assert!(bad_env.to_string().contains("CATENA_LLM_API_KEY contains"), "{bad_env}");
    }

    #[test]
    fn the_environment_works_without_a_keyring() {
        let broken = MemoryStore::unavailable();
        assert_eq!(resolve(Some("sk-env".into()), &broken, "openai").unwrap().unwrap().expose(), "sk-env");
        assert!(matches!(resolve(None, &broken, "openai"), Err(SecretError::Unavailable(_))));
    }

    #[test]
    fn errors_point_to_the_environment_variable_and_never_hold_the_key() {
        let msg = SecretError::Unavailable("no session bus".into()).to_string();
        assert!(msg.contains("CATENA_LLM_API_KEY"), "{msg}");
        assert!(msg.starts_with("the system keyring is unavailable"), "{msg}");
        // A key pasted as the provider name is not echoed.
        let pasted = "sk-proj-AbCdEf0123456789 with a space";
        let err = normalize_provider(pasted).unwrap_err();
        assert!(!err.to_string().contains("sk-proj") && !format!("{err:?}").contains("sk-proj"));
    }
}

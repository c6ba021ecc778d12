//! [`KeyStore`]: the real keyring, through the `keyring` crate.
//!
//! Every call opens its own connection (keyring's model), so a `KeyStore` holds no handle and
//! is cheap to create, clone and share. Calls block (a D-Bus round trip on Linux, possibly an
//! unlock prompt on a desktop); async callers should use `spawn_blocking` where that matters.

use keyring::Entry;

use crate::{SecretError, SecretStore, Sensitive, clean_key, normalize_provider};

/// The OS keyring, scoped to the service `org.catena.<namespace>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStore {
    service: String,
}

impl KeyStore {
    /// A store under the service `org.catena.<namespace>`: `"catena"` for the app and the CLI,
    /// something unique for tests. The namespace is chosen by code, not by users.
    pub fn new(namespace: &str) -> KeyStore {
        KeyStore { service: format!("org.catena.{}", namespace.trim()) }
    }

    /// The keyring service name, e.g. `org.catena.catena`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Stores (or replaces) the key for `provider`, trimmed; empty keys and keys with control
    /// characters are refused.
    pub fn set(&self, provider: &str, key: &Sensitive) -> Result<(), SecretError> {
        let key = clean_key(key)?;
        self.entry(provider)?.set_password(key.expose()).map_err(map_error)
    }

    /// The stored key for `provider`, or `None`.
    pub fn get(&self, provider: &str) -> Result<Option<Sensitive>, SecretError> {
        read(self.entry(provider)?.get_password())
    }

    /// Removes the key for `provider`; `false` if there was none.
    pub fn delete(&self, provider: &str) -> Result<bool, SecretError> {
        match self.entry(provider)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(e) if nothing_stored(&e) => Ok(false),
            // The same service and account in several collections (left by another tool, or by
            // an old keyring version): deleting means deleting them all, or `get` would keep
            // failing as ambiguous.
            Err(keyring::Error::Ambiguous(credentials)) => {
                for credential in credentials {
                    Entry::new_with_credential(credential).delete_credential().map_err(map_error)?;
                }
                Ok(true)
            }
            Err(e) => Err(map_error(e)),
        }
    }

    /// Whether a key is stored for `provider`.
    pub fn has(&self, provider: &str) -> Result<bool, SecretError> {
        Ok(self.get(provider)?.is_some())
    }

    fn entry(&self, provider: &str) -> Result<Entry, SecretError> {
        let provider = normalize_provider(provider)?;
        if !SUPPORTED {
            // keyring would silently fall back to its in-memory mock here: a key "stored" that
            // is gone when the process exits.
            return Err(SecretError::Unavailable("no supported keyring on this operating system".into()));
        }
        Entry::new(&self.service, &provider).map_err(map_error)
    }
}

impl SecretStore for KeyStore {
    fn set(&self, provider: &str, key: &Sensitive) -> Result<(), SecretError> {
        KeyStore::set(self, provider, key)
    }

    fn get(&self, provider: &str) -> Result<Option<Sensitive>, SecretError> {
        KeyStore::get(self, provider)
    }

    fn delete(&self, provider: &str) -> Result<bool, SecretError> {
        KeyStore::delete(self, provider)
    }

    fn has(&self, provider: &str) -> Result<bool, SecretError> {
        KeyStore::has(self, provider)
    }
}

/// Whether this target has a real keyring back-end enabled in Cargo.toml.
const SUPPORTED: bool = cfg!(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
));

/// What a read of the keyring answered, as a key or `None`: "nothing stored" is not an error.
fn read(answer: Result<String, keyring::Error>) -> Result<Option<Sensitive>, SecretError> {
    match answer {
        Ok(key) if key.trim().is_empty() => Ok(None),
        Ok(key) => Ok(Some(Sensitive::new(key))),
        Err(e) if nothing_stored(&e) => Ok(None),
        Err(e) => Err(map_error(e)),
    }
}

/// Whether a failed read or delete only means that no key is stored: no item under this name,
/// or (Secret Service) "no result", which a keyring without a default collection gives when
/// keyring looks there for an item the search did not find. A fresh or emptied keyring is the
/// normal state before the first key is saved.
fn nothing_stored(e: &keyring::Error) -> bool {
    match e {
        keyring::Error::NoEntry => true,
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => no_result(inner.as_ref()),
        _ => false,
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn no_result(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    matches!(inner.downcast_ref::<dbus_secret_service::Error>(), Some(dbus_secret_service::Error::NoResult))
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn no_result(_inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    false
}

/// keyring's error as ours. Written out variant by variant rather than through keyring's
/// `Display`, so that nothing it carries (`BadEncoding` holds the stored bytes) reaches a message.
fn map_error(e: keyring::Error) -> SecretError {
    match e {
        // Locked store, dismissed unlock prompt, missing default collection (WSL).
        keyring::Error::NoStorageAccess(inner) => SecretError::Unavailable(detail(inner.as_ref())),
        keyring::Error::PlatformFailure(inner) => {
            let detail = detail(inner.as_ref());
            if unreachable(inner.as_ref()) { SecretError::Unavailable(detail) } else { SecretError::Platform(detail) }
        }
        keyring::Error::BadEncoding(_) => SecretError::Platform("the stored key is not valid UTF-8".into()),
        keyring::Error::TooLong(attribute, limit) => {
            SecretError::Platform(format!("the {attribute} is longer than the keyring allows ({limit})"))
        }
        keyring::Error::Invalid(attribute, reason) => SecretError::Platform(format!("invalid {attribute}: {reason}")),
        keyring::Error::Ambiguous(items) => SecretError::Platform(format!(
            "{} keyring items match this provider; remove the extra ones with your keyring manager",
            items.len()
        )),
        keyring::Error::NoEntry => SecretError::Platform("no such keyring item".into()),
        // keyring's error is non-exhaustive; a future variant gets a generic message rather than
        // its Display, which we have not audited.
        _ => SecretError::Platform("unexpected keyring failure".into()),
    }
}

/// What went wrong, in plain words where the failure is a known one, else the platform's message.
fn detail(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    plain(inner).map(str::to_string).unwrap_or_else(|| lowercase_first(&inner.to_string()))
}

/// The plain words for the Secret Service failures a user meets: no keyring running, no bus to
/// reach one, a locked keyring.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn plain(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<&'static str> {
    use dbus_secret_service::Error as SsError;
    const NOT_RUNNING: &str = "no keyring service, such as GNOME Keyring or KWallet, is running";
    const NO_BUS: &str = "there is no desktop session to reach a keyring through";
    const LOCKED: &str = "the keyring is locked and could not be unlocked";
    match inner.downcast_ref::<SsError>()? {
        SsError::Unavailable => Some(NOT_RUNNING),
        SsError::Locked => Some(LOCKED),
        SsError::Prompt => Some("the keyring is locked and its unlock prompt was dismissed"),
        SsError::NoResult => Some("the keyring has no collection to keep keys in"),
        SsError::Dbus(e) => match e.name()? {
            "org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
                Some(NOT_RUNNING)
            }
            "org.freedesktop.DBus.Error.NotSupported"
            | "org.freedesktop.DBus.Error.NoServer"
            | "org.freedesktop.DBus.Error.FileNotFound"
            | "org.freedesktop.DBus.Error.BadAddress"
            | "org.freedesktop.DBus.Error.Disconnected" => Some(NO_BUS),
            name if name.starts_with("org.freedesktop.DBus.Error.Spawn.") => Some(NO_BUS),
            "org.freedesktop.DBus.Error.NoReply"
            | "org.freedesktop.DBus.Error.Timeout"
            | "org.freedesktop.DBus.Error.TimedOut" => Some("the keyring service did not answer"),
            "org.freedesktop.DBus.Error.AccessDenied" => Some("this sandbox does not allow reaching the keyring"),
            "org.freedesktop.Secret.Error.IsLocked" => Some(LOCKED),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn plain(_inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<&'static str> {
    None
}

/// Whether a Secret Service failure means "there is no usable keyring here" rather than a bug:
/// no session bus (headless, SSH, containers), no provider on it, or a provider that does not
/// answer. Recognised by type, not by message text.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn unreachable(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    use dbus_secret_service::Error as SsError;
    match inner.downcast_ref::<SsError>() {
        Some(SsError::Unavailable | SsError::Locked | SsError::NoResult | SsError::Prompt) => true,
        Some(SsError::Dbus(e)) => e.name().is_some_and(|name| {
            const GONE: &[&str] = &[
                "org.freedesktop.DBus.Error.NotSupported", // autolaunch refused: no $DISPLAY
                "org.freedesktop.DBus.Error.NoServer",
                "org.freedesktop.DBus.Error.FileNotFound",
                "org.freedesktop.DBus.Error.BadAddress",
                "org.freedesktop.DBus.Error.IOError",
                "org.freedesktop.DBus.Error.Disconnected",
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.NameHasNoOwner",
                "org.freedesktop.DBus.Error.NoReply",
                "org.freedesktop.DBus.Error.Timeout",
                "org.freedesktop.DBus.Error.TimedOut",
                "org.freedesktop.DBus.Error.AccessDenied", // sandboxes (Flatpak) without the portal
                "org.freedesktop.DBus.Error.UnknownMethod", // something on the name, not a Secret Service
                "org.freedesktop.DBus.Error.UnknownObject",
                "org.freedesktop.DBus.Error.UnknownInterface",
                // A locked keyring whose unlock prompt could not be shown (headless) or failed.
                "org.freedesktop.Secret.Error.IsLocked",
                "org.freedesktop.Secret.Error.NoSession",
            ];
            GONE.contains(&name) || name.starts_with("org.freedesktop.DBus.Error.Spawn.")
        }),
        _ => false,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn unreachable(_inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    false
}

/// Platform messages start with a capital ("Couldn't …"); ours are lowercase throughout.
/// Acronyms ("DBus error: …") keep their case.
fn lowercase_first(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => "no details".into(),
        (Some(first), second) if second.is_none_or(|c| !c.is_uppercase()) => {
            first.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_service_is_namespaced() {
        assert_eq!(KeyStore::new("catena").service(), "org.catena.catena");
    }

    #[test]
    fn invalid_input_fails_before_any_keyring_call() {
        let store = KeyStore::new("unit-test-never-stored");
        assert_eq!(store.get("no spaces"), Err(SecretError::InvalidProvider));
        assert_eq!(store.set("openai", &Sensitive::new("\n")), Err(SecretError::InvalidKey("the key is empty")));
    }

    #[test]
    fn bad_encoding_never_carries_the_bytes() {
        let err = map_error(keyring::Error::BadEncoding(b"sk-secret\xff".to_vec()));
        assert!(!err.to_string().contains("sk-secret") && !format!("{err:?}").contains("sk-secret"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_missing_bus_is_unavailable() {
        let dbus = dbus_secret_service::Error::Unavailable;
        let err = map_error(keyring::Error::PlatformFailure(Box::new(dbus)));
        assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
        let crypto = dbus_secret_service::Error::Parse;
        assert!(matches!(map_error(keyring::Error::PlatformFailure(Box::new(crypto))), SecretError::Platform(_)));
    }

    #[test]
    fn no_entry_is_no_key_not_an_error() {
        assert_eq!(read(Err(keyring::Error::NoEntry)), Ok(None));
        assert_eq!(read(Ok("  ".into())), Ok(None));
        assert_eq!(read(Ok("sk-1".into())).unwrap().unwrap().expose(), "sk-1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_result_from_the_secret_service_is_no_key_not_an_error() {
        use dbus_secret_service::Error as SsError;
        // What a keyring without a default collection answers when nothing is stored: before
        // this, the settings showed "secret Service: no result found" in red.
        assert_eq!(read(Err(keyring::Error::NoStorageAccess(Box::new(SsError::NoResult)))), Ok(None));
        assert_eq!(read(Err(keyring::Error::PlatformFailure(Box::new(SsError::NoResult)))), Ok(None));
        assert!(nothing_stored(&keyring::Error::NoStorageAccess(Box::new(SsError::NoResult))));
        // Real failures stay errors.
        assert!(!nothing_stored(&keyring::Error::NoStorageAccess(Box::new(SsError::Locked))));
        assert!(!nothing_stored(&keyring::Error::PlatformFailure(Box::new(SsError::Unavailable))));
        assert!(matches!(
            read(Err(keyring::Error::NoStorageAccess(Box::new(SsError::Locked)))),
            Err(SecretError::Unavailable(_))
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn real_failures_are_worded_plainly() {
        use dbus_secret_service::Error as SsError;
        let locked = map_error(keyring::Error::NoStorageAccess(Box::new(SsError::Locked))).to_string();
        assert!(locked.contains("the keyring is locked and could not be unlocked"), "{locked}");
        let missing = map_error(keyring::Error::PlatformFailure(Box::new(SsError::Unavailable))).to_string();
        assert!(missing.contains("no keyring service, such as GNOME Keyring or KWallet, is running"), "{missing}");
        let dismissed = map_error(keyring::Error::NoStorageAccess(Box::new(SsError::Prompt))).to_string();
        assert!(dismissed.contains("unlock prompt was dismissed"), "{dismissed}");
        for message in [locked, missing, dismissed] {
            assert!(!message.contains("Secret Service") && !message.contains("secret Service"), "{message}");
        }
    }

    #[test]
    fn details_are_lowercased() {
        assert_eq!(lowercase_first("DBus error: x"), "DBus error: x");
        assert_eq!(lowercase_first("Unable to autolaunch"), "unable to autolaunch");
        assert_eq!(lowercase_first(""), "no details");
    }
}

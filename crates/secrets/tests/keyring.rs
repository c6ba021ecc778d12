//! `KeyStore` against the real Secret Service.
//!
//! These need a session bus with an unlocked keyring; `scripts/test` provides one (a private
//! `dbus-run-session` with gnome-keyring) and sets `CATENA_REQUIRE_KEYRING=1`, which turns "no
//! keyring" into a failure. Without that variable and without a keyring, each test prints a
//! SKIPPED line and passes, so a plain `cargo test` works anywhere.
//!
//! Every test uses its own namespace (`org.catena.test-<pid>-<nanos>-<name>`) and deletes what it
//! stored, so it never touches a real key and runs in parallel with the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use secrets::{KeyStore, SecretError, SecretStore, Sensitive};

/// Set by `scripts/test`: the keyring must be there, skipping is a failure.
fn required() -> bool {
    std::env::var_os("CATENA_REQUIRE_KEYRING").is_some_and(|v| v == "1")
}

/// A store in a fresh namespace, cleaned up on drop; `None` (after a SKIPPED line) when there is
/// no keyring and it is not required.
struct Scratch {
    store: KeyStore,
    providers: Vec<&'static str>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.providers {
            let _ = self.store.delete(p);
        }
    }
}

fn scratch(test: &str, providers: &[&'static str]) -> Option<Scratch> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let store = KeyStore::new(&format!("test-{}-{nanos}-{test}", std::process::id()));
    let unavailable = |why: String| {
        assert!(!required(), "CATENA_REQUIRE_KEYRING=1 but the keyring is unavailable: {why}");
        eprintln!(
            "SKIPPED {test}: no usable Secret Service ({why}). Run scripts/test, or set \
             CATENA_REQUIRE_KEYRING=1 to make this a failure."
        );
        None
    };
    // Without an address libdbus would try to autolaunch a bus (and a keyring with it) through
    // X11; a test has no business starting daemons in the user's session.
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return unavailable("DBUS_SESSION_BUS_ADDRESS is not set".into());
    }
    // A real write, not just a lookup: a locked keyring answers searches but refuses new items.
    let probe = store.set("probe", &Sensitive::new("probe")).and_then(|()| store.delete("probe"));
    match probe {
        Ok(_) => Some(Scratch { store, providers: providers.to_vec() }),
        Err(SecretError::Unavailable(why)) => unavailable(why),
        Err(e) => panic!("probing the keyring failed: {e}"),
    }
}

/// What another Secret Service client sees under our service and account, when `secret-tool`
/// (libsecret-tools) is installed: proof the key is in the real keyring, not in our process.
fn secret_tool_lookup(store: &KeyStore, provider: &str) -> Option<String> {
    let out =
        Command::new("secret-tool").args(["lookup", "service", store.service(), "username", provider]).output().ok()?;
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn keyring_tests_really_run_when_required() {
    if !required() {
        eprintln!("CATENA_REQUIRE_KEYRING is not 1: the keyring tests may have been skipped");
        return;
    }
    // `scratch` panics when the keyring is required and missing; this makes the reason the
    // first failure in the report rather than one among many.
    let s = scratch("required", &["openai"]).expect("scratch returns a store when required");
    s.store.set("openai", &Sensitive::new("sk-required")).unwrap();
    assert!(s.store.has("openai").unwrap());
}

#[test]
fn set_get_has_delete_round_trip() {
    let Some(s) = scratch("round-trip", &["openai"]) else { return };
    let store = &s.store;
    assert_eq!(store.get("openai").unwrap(), None);
    assert!(!store.has("openai").unwrap());
    assert!(!store.delete("openai").unwrap());

    store.set("openai", &Sensitive::new("sk-first-0123456789\n")).unwrap();
    assert!(store.has("openai").unwrap());
    assert_eq!(store.get("openai").unwrap().unwrap().expose(), "sk-first-0123456789", "stored trimmed");
    if let Some(seen) = secret_tool_lookup(store, "openai") {
        assert_eq!(seen, "sk-first-0123456789");
    }

    // Provider names are normalised: the same item, whatever the case and spacing.
    store.set(" OpenAI ", &Sensitive::new("sk-second")).unwrap();
    assert_eq!(store.get("OPENAI").unwrap().unwrap().expose(), "sk-second", "set replaces");

    assert!(store.delete("openai").unwrap());
    assert!(!store.has("openai").unwrap());
    assert_eq!(store.get("openai").unwrap(), None);
    assert!(!store.delete("openai").unwrap());
    if let Some(seen) = secret_tool_lookup(store, "openai") {
        assert_eq!(seen, "", "gone from the Secret Service too");
    }
}

#[test]
fn unicode_keys_survive_exactly() {
    let Some(s) = scratch("unicode", &["anthropic"]) else { return };
    let key = "sk-ключ-🔑-日本語-ü\u{301}-end";
    s.store.set("anthropic", &Sensitive::new(key)).unwrap();
    assert_eq!(s.store.get("anthropic").unwrap().unwrap().expose(), key);
    // Through the trait object too, as other crates will hold it.
    let dyn_store: &dyn SecretStore = &s.store;
    assert_eq!(dyn_store.get("anthropic").unwrap().unwrap().expose(), key);
}

#[test]
fn namespaces_do_not_see_each_other() {
    let Some(a) = scratch("ns-a", &["openai"]) else { return };
    let Some(b) = scratch("ns-b", &["openai"]) else { return };
    a.store.set("openai", &Sensitive::new("sk-only-in-a")).unwrap();
    assert_eq!(b.store.get("openai").unwrap(), None);
    assert!(!b.store.delete("openai").unwrap());
    assert!(a.store.has("openai").unwrap());
}

#[test]
fn the_key_never_appears_in_debug_or_display() {
    let Some(s) = scratch("redaction", &["openai"]) else { return };
    let key = "sk-never-print-me-4242";
    s.store.set("openai", &Sensitive::new(key)).unwrap();
    let got = s.store.get("openai").unwrap();
    let has = s.store.has("openai");
    // Errors produced while handling the key: control characters inside it, a key pasted where
    // the provider name goes.
    let bad_key = s.store.set("openai", &Sensitive::new(format!("{key}\n{key}"))).unwrap_err();
    let pasted_name = s.store.get(&format!("{key} {key}")).unwrap_err();

    let shown = [
        format!("{got:?}"),
        format!("{:?} {}", got.as_ref().unwrap(), got.as_ref().unwrap()),
        format!("{has:?}"),
        format!("{:?} {0}", bad_key),
        format!("{:?} {0}", pasted_name),
        format!("{:?}", s.store),
        format!("{:?}", Sensitive::new(key)),
    ];
    for text in &shown {
        assert!(!text.contains(key) && !text.contains("never-print"), "leaked: {text}");
    }
}

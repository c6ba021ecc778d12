//! `catena key` against the real Secret Service, and the key never leaving the keyring.
//!
//! Same rule as `crates/secrets/tests/keyring.rs`: `scripts/test` provides a private session
//! bus with an unlocked gnome-keyring and sets `CATENA_REQUIRE_KEYRING=1`; without a keyring
//! and without that variable the keyring tests print a SKIPPED line and pass. Each test uses
//! its own keyring namespace (`CATENA_KEYRING_NAMESPACE`), so a real key is never touched.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::Catena;

fn required() -> bool {
    std::env::var_os("CATENA_REQUIRE_KEYRING").is_some_and(|v| v == "1")
}

fn nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

/// A data directory and a keyring namespace of its own; deletes what it stored on drop (once
/// the keyring has been found usable).
pub(crate) struct Keyring {
    pub(crate) catena: Catena,
    namespace: String,
    clean_up: bool,
}

impl Keyring {
    fn new(test: &str) -> Keyring {
        let namespace = format!("test-cli-{}-{}-{test}", std::process::id(), nanos());
        Keyring { catena: Catena::new(), namespace, clean_up: false }
    }

    pub(crate) fn cmd(&self) -> Command {
        let mut c = self.catena.cmd();
        // A developer's own key in the environment must not change what the tests see.
        c.env("CATENA_KEYRING_NAMESPACE", &self.namespace).env_remove("CATENA_LLM_API_KEY");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).stdin(Stdio::null()).output().unwrap()
    }

    fn run_with_stdin(&self, mut cmd: Command, args: &[&str], stdin: &str) -> Output {
        let mut child =
            cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    pub(crate) fn set(&self, provider: &str, stdin: &str) -> Output {
        self.run_with_stdin(self.cmd(), &["key", "set", provider], stdin)
    }

    fn status(&self, provider: &str) -> Value {
        let out = self.run(&["--json", "key", "status", provider]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        if !self.clean_up {
            return;
        }
        for p in ["openai", "probe"] {
            let _ = self.run(&["key", "delete", p]);
        }
    }
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A `Keyring` when a usable Secret Service is there; otherwise a SKIPPED line and `None`, or a
/// failure when `CATENA_REQUIRE_KEYRING=1`.
pub(crate) fn keyring(test: &str) -> Option<Keyring> {
    let unavailable = |why: &str| {
        assert!(!required(), "CATENA_REQUIRE_KEYRING=1 but the keyring is unavailable: {why}");
        eprintln!(
            "SKIPPED {test}: no usable Secret Service ({why}). Run scripts/test, or set CATENA_REQUIRE_KEYRING=1."
        );
        None
    };
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return unavailable("DBUS_SESSION_BUS_ADDRESS is not set");
    }
    let mut k = Keyring::new(test);
    // A real write: a locked keyring answers lookups but refuses new items.
    let probe = k.set("probe", "probe-key\n");
    match probe.status.code() {
        Some(0) => {
            k.clean_up = true;
            assert!(k.run(&["key", "delete", "probe"]).status.success());
            Some(k)
        }
        Some(2) if String::from_utf8_lossy(&probe.stderr).contains("keyring is unavailable") => {
            unavailable(String::from_utf8_lossy(&probe.stderr).trim())
        }
        _ => panic!("`catena key set probe` failed unexpectedly: {}", text(&probe)),
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn keyring_tests_really_run_when_required() {
    if !required() {
        eprintln!("CATENA_REQUIRE_KEYRING is not 1: the CLI keyring tests may have been skipped");
        return;
    }
    assert!(keyring("required").is_some());
}

#[test]
fn set_status_delete_round_trip_never_shows_the_key() {
    let Some(k) = keyring("round-trip") else { return };
    let key = format!("sk-cli-{}-ключ", nanos());
    let mut outputs = Vec::new();

    let set = k.set("OpenAI", &format!("  {key}  \n"));
    assert_eq!(set.status.code(), Some(0), "{}", text(&set));
    // `openai` is stored under the name `catena ask` looks up.
    assert_eq!(String::from_utf8_lossy(&set.stdout).trim(), "stored key for openai-compatible");
    outputs.push(set);

    let status = k.status("openai");
    assert_eq!(status, serde_json::json!({"provider": "openai-compatible", "stored": true, "env_override": false}));
    assert_eq!(k.status("openai-compatible")["stored"], true);
    assert_eq!(k.status("anthropic")["stored"], false);

    // The environment variable is reported as an override, and its value is not shown either.
    let env_key = format!("sk-env-{}", nanos());
    let with_env = k.cmd().args(["--json", "key", "status", "openai"]).env("CATENA_LLM_API_KEY", &env_key).output();
    let with_env = with_env.unwrap();
    let v: Value = serde_json::from_slice(&with_env.stdout).unwrap();
    assert_eq!((v["stored"].clone(), v["env_override"].clone()), (Value::Bool(true), Value::Bool(true)));
    assert!(!text(&with_env).contains(&env_key));
    outputs.push(with_env);
    outputs.push(k.run(&["key", "status", "openai"]));

    // The data directory never holds the key: not after `key set`, not after an ingest.
    let files = tempfile::tempdir().unwrap();
    acceptance::write(files.path(), "note.md", b"# Keys\n\nThe API key lives in the system keyring.\n");
    let ingest = k.run(&["ingest", "--progress", "quiet", files.path().to_str().unwrap()]);
    assert_eq!(ingest.status.code(), Some(0), "{}", text(&ingest));
    let stored = files_under(k.catena.data.path());
    assert!(stored.iter().any(|p| p.ends_with("catalog.db")), "{stored:?}");
    for path in &stored {
        let bytes = std::fs::read(path).unwrap();
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "the key is in {}", path.display());
    }
    outputs.push(ingest);

    let delete = k.run(&["key", "delete", "openai"]);
    assert_eq!(delete.status.code(), Some(0), "{}", text(&delete));
    assert_eq!(String::from_utf8_lossy(&delete.stdout).trim(), "deleted key for openai-compatible");
    assert_eq!(k.status("openai")["stored"], false);
    let again = k.run(&["--json", "key", "delete", "openai"]);
    assert_eq!(serde_json::from_slice::<Value>(&again.stdout).unwrap()["deleted"], false, "{}", text(&again));
    outputs.extend([delete, again]);

    for out in &outputs {
        assert!(!text(out).contains(&key), "the key was printed: {}", text(out));
    }
}

#[test]
fn an_empty_key_is_refused_before_the_keyring() {
    // Needs no keyring: the key is checked first.
    let k = Keyring::new("empty");
    for stdin in ["", "   \n", "\nsk-on-the-second-line\n"] {
        let out = k.set("openai", stdin);
        assert_eq!(out.status.code(), Some(2), "{stdin:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no key given"), "{}", text(&out));
        assert!(!text(&out).contains("sk-on-the-second-line"));
    }
}

#[test]
fn invalid_provider_names_are_usage_errors() {
    let k = Keyring::new("invalid");
    for name in ["open ai", "", "a/b"] {
        let out = k.run(&["key", "status", name]);
        assert_eq!(out.status.code(), Some(2), "{name:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("invalid provider name"), "{}", text(&out));
    }
}

/// A bus address that leads nowhere stands for a machine without a Secret Service (a server,
/// a container): exit 2, and the message names the environment variable to use instead.
#[cfg(target_os = "linux")]
#[test]
fn no_keyring_is_exit_2_with_the_environment_variable_as_the_way_out() {
    let k = Keyring::new("no-bus");
    let no_bus = || {
        let mut c = k.cmd();
        c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/catena-test-bus");
        c
    };
    let key = format!("sk-nobus-{}", nanos());
    let set = k.run_with_stdin(no_bus(), &["key", "set", "openai"], &format!("{key}\n"));
    let status = no_bus().args(["key", "status", "openai"]).output().unwrap();
    let delete = no_bus().args(["key", "delete", "openai"]).output().unwrap();
    for out in [&set, &status, &delete] {
        assert_eq!(out.status.code(), Some(2), "{}", text(out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("keyring is unavailable") && stderr.contains("CATENA_LLM_API_KEY"), "{stderr}");
        assert!(!text(out).contains(&key));
    }
}

//! `catena key set|delete|status PROVIDER`: model API keys in the OS keyring, through
//! `crates/secrets`.
//!
//! The key is read from stdin, never from the command line (where `ps` and shell history would
//! see it), and never printed: not in output, not in errors, not in `Debug`.
//!
//! Provider names are stored under the spelling `catena ask` looks up: a name the model layer
//! knows (`openai`, `OpenAI-Compatible`, …) becomes its canonical `llm::ProviderKind` name
//! (`openai-compatible`), so `catena key set openai` is the key `catena ask --provider openai`
//! uses. Other names (a proxy of your own) are kept as typed, lowercased.
//!
//! `CATENA_KEYRING_NAMESPACE` (default `catena`) selects the keyring service
//! `org.catena.<namespace>`; the tests set it so they never touch a real key.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, bail};
use clap::Subcommand;
use engine::ports::Sensitive;
use secrets::{ENV_API_KEY, KeyStore, SecretError};

/// Selects another keyring namespace than the app's (tests).
const NAMESPACE_ENV: &str = session::keys::NAMESPACE_ENV;
/// The most read from stdin: far above any real API key, small enough that piping a wrong file
/// in fails fast instead of storing megabytes in the keyring.
const MAX_KEY_BYTES: u64 = 16 * 1024;

#[derive(Subcommand, Debug)]
pub(crate) enum KeyCommand {
    /// Store the API key for PROVIDER, read from stdin (one line; prompted for, without echo,
    /// on a terminal).
    Set {
        /// `openai`, `anthropic`, `ollama`, or a name of your own (a-z, 0-9, '.', '_', '-').
        provider: String,
    },
    /// Remove the stored API key for PROVIDER.
    Delete {
        /// The provider name used with `key set`.
        provider: String,
    },
    /// Whether a key is stored for PROVIDER, and whether CATENA_LLM_API_KEY overrides it.
    Status {
        /// The provider name used with `key set`.
        provider: String,
    },
}

/// Runs a `catena key` command. Every failure (no keyring, bad name, empty key) is an `Err`,
/// which `main` reports with exit code 2.
pub(crate) fn run(command: KeyCommand, json: bool) -> anyhow::Result<ExitCode> {
    let store = store()?;
    match command {
        KeyCommand::Set { provider } => {
            let provider = canonical_provider(&provider)?;
            let key = read_key(&provider)?;
            store.set(&provider, &key).map_err(|e| explain(e, &store))?;
            if json {
                print_json(&serde_json::json!({ "provider": provider, "stored": true }));
            } else {
                println!("stored key for {provider}");
            }
            if secrets::env_override() {
                eprintln!("note: {ENV_API_KEY} is set and takes precedence over the stored key");
            }
        }
        KeyCommand::Delete { provider } => {
            let provider = canonical_provider(&provider)?;
            let deleted = store.delete(&provider).map_err(|e| explain(e, &store))?;
            if json {
                print_json(&serde_json::json!({ "provider": provider, "deleted": deleted }));
            } else if deleted {
                println!("deleted key for {provider}");
            } else {
                println!("no key stored for {provider}");
            }
        }
        KeyCommand::Status { provider } => {
            let provider = canonical_provider(&provider)?;
            let env_override = secrets::env_override();
            let stored = store.has(&provider).map_err(|e| {
                if env_override {
                    // The error says "set CATENA_LLM_API_KEY"; it is set, so say what happens.
                    eprintln!("note: {ENV_API_KEY} is set, so `catena ask` uses it without the keyring");
                }
                explain(e, &store)
            })?;
            if json {
                print_json(&serde_json::json!({
                    "provider": provider,
                    "stored": stored,
                    "env_override": env_override,
                }));
            } else {
                let where_ = if stored { "a key is stored in the system keyring" } else { "no key stored" };
                println!("{provider}: {where_}");
                if env_override {
                    println!("{ENV_API_KEY} is set and takes precedence");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The API key for `provider`: `CATENA_LLM_API_KEY` when set and non-empty, else the keyring's.
/// Any failure (no keyring, locked keyring) is a one-line warning on stderr and `None`: a model
/// that needs no key still works, and one that does reports the missing key itself.
pub(crate) fn resolve_api_key(provider: &str) -> Option<Sensitive> {
    let found = store().and_then(|store| {
        let provider = canonical_provider(provider)?;
        secrets::api_key(&store, &provider).map_err(anyhow::Error::from)
    });
    match found {
        Ok(key) => key,
        Err(e) => {
            eprintln!("warning: no API key from the keyring: {e:#}");
            None
        }
    }
}

pub(crate) fn store() -> anyhow::Result<KeyStore> {
    session::keys::key_store()
        .with_context(|| format!("{NAMESPACE_ENV} must be 1 to 64 characters from a-z, 0-9, '.', '_', '-'"))
}

/// The name a key is stored under (see the module docs).
fn canonical_provider(provider: &str) -> anyhow::Result<String> {
    let name = secrets::normalize_provider(provider)?;
    Ok(match llm::ProviderKind::from_str(&name) {
        Ok(kind) => kind.as_str().to_owned(),
        Err(_) => name,
    })
}

/// Adds the service name to a "keyring unavailable" error, so the user can find the item with
/// their keyring manager; other errors pass through.
fn explain(e: SecretError, store: &KeyStore) -> anyhow::Error {
    match e {
        SecretError::Platform(_) => anyhow::Error::from(e).context(format!("keyring service {}", store.service())),
        _ => e.into(),
    }
}

/// One line from stdin: typed without echo on a terminal, else the first line of what is piped.
fn read_key(provider: &str) -> anyhow::Result<Sensitive> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        eprint!("paste the API key for {provider} and press Enter: ");
        // Best effort: a prompt that does not show is not worth failing over.
        let _ = std::io::stderr().flush();
        rpassword::read_password().context("cannot read the key from the terminal")?
    } else {
        let mut line = String::new();
        let read = stdin
            .lock()
            .take(MAX_KEY_BYTES + 1)
            .read_line(&mut line)
            .context("cannot read the key from stdin (it must be UTF-8 text)")?;
        if read as u64 > MAX_KEY_BYTES {
            bail!("the key on stdin is longer than {} KiB; pipe only the key", MAX_KEY_BYTES / 1024);
        }
        line
    };
    let key = Sensitive::new(line.trim());
    if key.expose().is_empty() {
        bail!("no key given: pipe it on stdin (`catena key set {provider} < key.txt`) or paste it at the prompt");
    }
    Ok(key)
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

//! `catena config list|get|set`: the settings the desktop app's Settings view edits, in the same
//! catalog, by dotted key (`llm.model`). Keys and values are checked by `session`: an unknown
//! key or a bad value is refused with the valid ones. API keys are not settings (`catena key`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// Every setting with its value.
    List,
    /// One setting's value.
    Get {
        /// A dotted key, e.g. llm.model (`catena config list` shows them all).
        key: String,
    },
    /// Change one setting; the app and `catena ask` use it from then on.
    Set {
        /// A dotted key, e.g. llm.provider.
        key: String,
        /// The new value (true/false for switches).
        value: String,
    },
}

async fn catalog(dir: &Path) -> anyhow::Result<store::Catalog> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(store::Catalog::open(&dir.join("catalog.db")).await?)
}

/// A value as a person reads it: text without quotes.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) async fn run(dir: &Path, command: ConfigCommand, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = catalog(dir).await?;
    let settings = session::load(&catalog).await.context("cannot read the settings")?;
    match command {
        ConfigCommand::List => {
            let all = session::config::list(&settings);
            if json {
                let map: serde_json::Map<String, Value> = all.into_iter().map(|(k, v)| (k.key.to_owned(), v)).collect();
                println!("{}", Value::Object(map));
            } else {
                for (k, v) in all {
                    let values = k.values.map(|f| format!(" [{}]", f())).unwrap_or_default();
                    println!("{} = {}\t# {}{values}", k.key, plain(&v), k.help);
                }
            }
        }
        ConfigCommand::Get { key } => {
            let value = session::config::get(&settings, &key)?;
            if json {
                println!("{}", json!({ "key": key.trim(), "value": value }));
            } else {
                println!("{}", plain(&value));
            }
        }
        ConfigCommand::Set { key, value } => {
            let updated = session::config::set(&settings, &key, &value)?;
            session::save(&catalog, &updated).await?;
            let stored = session::config::get(&updated, &key)?;
            if json {
                println!("{}", json!({ "key": key.trim(), "value": stored }));
            } else {
                println!("{} = {}", key.trim(), plain(&stored));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `catena models`: which model servers Catena can use — those running on this machine (found by
//! probing the usual ports) or the one at `--llm-url` — and the models each offers.
//!
//! `ask` uses [`local_server_hint`] to mention a running server when no model is configured.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use llm::{LocalServer, LocalServerKind, ProbeTarget, Provider, ProviderConfig, ProviderKind};
use serde_json::json;

use crate::output::say;

/// How long one probe may take; closed ports fail at once, so this bounds the whole probe.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// `catena models` arguments.
#[derive(Args, Debug)]
pub(crate) struct ModelsArgs {
    /// List the models of the server at this base URL instead of probing this machine.
    #[arg(long, env = "CATENA_LLM_URL", value_name = "URL")]
    llm_url: Option<String>,
    /// The API the server at --llm-url speaks: openai-compatible, ollama or anthropic.
    #[arg(long, env = "CATENA_LLM_PROVIDER", value_name = "KIND", default_value = "openai-compatible",
          value_parser = crate::ask::parse_provider)]
    provider: ProviderKind,
}

/// Where to probe: the default ports, or `CATENA_PROBE_TARGETS` (`ollama=127.0.0.1:11434,…`;
/// kinds `ollama`, `lmstudio`, `llamacpp`, `vllm`) for machines that run servers elsewhere.
fn targets() -> anyhow::Result<Vec<ProbeTarget>> {
    let Some(spec) = std::env::var("CATENA_PROBE_TARGETS").ok().filter(|s| !s.trim().is_empty()) else {
        return Ok(llm::default_probe_targets());
    };
    spec.split(',')
        .map(|item| {
            let (kind, addr) = item.trim().split_once('=').context("CATENA_PROBE_TARGETS items are KIND=HOST:PORT")?;
            let kind = match kind.trim() {
                "ollama" => LocalServerKind::Ollama,
                "lmstudio" => LocalServerKind::LmStudio,
                "llamacpp" => LocalServerKind::LlamaCpp,
                "vllm" => LocalServerKind::Vllm,
                other => anyhow::bail!("unknown server kind {other:?} in CATENA_PROBE_TARGETS"),
            };
            let (host, port) = addr.trim().rsplit_once(':').context("CATENA_PROBE_TARGETS addresses are HOST:PORT")?;
            let port = port.parse().with_context(|| format!("bad port in CATENA_PROBE_TARGETS: {port:?}"))?;
            Ok(ProbeTarget { kind, host: host.trim_matches(['[', ']']).to_string(), port })
        })
        .collect()
}

async fn probe() -> anyhow::Result<Vec<LocalServer>> {
    Ok(llm::probe_servers(&targets()?, PROBE_TIMEOUT).await)
}

/// The flags that use a found server.
fn flags(s: &LocalServer) -> String {
    let model = s.models.first().map(String::as_str).unwrap_or("NAME");
    format!("--llm-url {} --provider {} --model {model}", s.base_url, s.kind.provider().as_str())
}

/// A line for `ask` when no model is configured but one is running here.
pub(crate) async fn local_server_hint() -> Option<String> {
    let found = probe().await.ok()?;
    let s = found.iter().find(|s| !s.models.is_empty())?;
    Some(format!(
        "a {} server is running at {} ({} models); to use it: {}",
        s.kind.label(),
        s.base_url,
        s.models.len(),
        flags(s)
    ))
}

/// `catena models`.
pub(crate) async fn run(args: ModelsArgs, json: bool) -> anyhow::Result<()> {
    match args.llm_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => {
            let mut config = ProviderConfig::new(args.provider, url, "");
            config.api_key = crate::ask::resolve_api_key(args.provider);
            let provider = Provider::from_config(&config).context("cannot use the language model settings")?;
            let models = provider
                .list_models()
                .await
                .with_context(|| format!("cannot list the models of {}", provider.base_url()))?;
            if json {
                say(&json!({"base_url": provider.base_url(), "provider": args.provider.as_str(), "models": models})
                    .to_string());
            } else {
                say(&format!("{} ({}): {} models", provider.base_url(), args.provider.as_str(), models.len()));
                for m in &models {
                    say(&format!("  {m}"));
                }
            }
        }
        None => {
            let found = probe().await?;
            if json {
                let servers: Vec<_> = found
                    .iter()
                    .map(|s| {
                        json!({"kind": s.kind.label(), "base_url": s.base_url,
                               "provider": s.kind.provider().as_str(), "models": s.models})
                    })
                    .collect();
                say(&json!({ "servers": servers }).to_string());
            } else if found.is_empty() {
                say(
                    "no model server found on this machine (looked for Ollama, LM Studio, llama.cpp and vLLM on their usual ports)",
                );
            } else {
                for s in &found {
                    say(&format!("{} at {}: {} models", s.kind.label(), s.base_url, s.models.len()));
                    for m in &s.models {
                        say(&format!("  {m}"));
                    }
                    say(&format!("  use it: catena ask {} QUESTION", flags(s)));
                }
            }
        }
    }
    Ok(())
}

//! Finding model servers on this machine, so the settings screen can offer them.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;

use crate::ProviderKind;
use crate::ollama::tag_names;
use crate::openai::model_ids;

/// Which local server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalServerKind {
    /// Ollama (native API, default port 11434).
    Ollama,
    /// LM Studio's server (OpenAI-compatible, default port 1234).
    LmStudio,
    /// llama.cpp's `llama-server` (OpenAI-compatible, default port 8080).
    LlamaCpp,
    /// vLLM (OpenAI-compatible, default port 8000).
    Vllm,
}

impl LocalServerKind {
    /// Every kind, in probe order.
    pub const ALL: [LocalServerKind; 4] =
        [LocalServerKind::Ollama, LocalServerKind::LmStudio, LocalServerKind::LlamaCpp, LocalServerKind::Vllm];

    /// The port the server listens on out of the box.
    pub fn default_port(self) -> u16 {
        match self {
            LocalServerKind::Ollama => 11434,
            LocalServerKind::LmStudio => 1234,
            LocalServerKind::LlamaCpp => 8080,
            LocalServerKind::Vllm => 8000,
        }
    }

    /// The provider to configure for it.
    pub fn provider(self) -> ProviderKind {
        match self {
            LocalServerKind::Ollama => ProviderKind::Ollama,
            _ => ProviderKind::OpenAiCompatible,
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            LocalServerKind::Ollama => "Ollama",
            LocalServerKind::LmStudio => "LM Studio",
            LocalServerKind::LlamaCpp => "llama.cpp",
            LocalServerKind::Vllm => "vLLM",
        }
    }
}

/// A server that answered, with the base URL to put in the settings for
/// [`LocalServerKind::provider`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalServer {
    /// What it is (by the port it answered on and the shape of its answer).
    pub kind: LocalServerKind,
    /// `http://127.0.0.1:11434` for Ollama (native API), `http://127.0.0.1:1234/v1` for the
    /// OpenAI-compatible ones.
    pub base_url: String,
    /// The models it offers.
    pub models: Vec<String>,
}

/// Where to look for one kind of server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The kind expected there.
    pub kind: LocalServerKind,
    /// Host name or IP literal (`127.0.0.1`).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// The default targets: each kind on its default port on 127.0.0.1 (not `localhost`, which may
/// resolve to ::1 first and cost a failed connection).
pub fn default_probe_targets() -> Vec<ProbeTarget> {
    LocalServerKind::ALL
        .iter()
        .map(|&kind| ProbeTarget { kind, host: "127.0.0.1".to_owned(), port: kind.default_port() })
        .collect()
}

/// Probes the default targets; see [`probe_servers`].
pub async fn probe_local_servers(timeout: Duration) -> Vec<LocalServer> {
    probe_servers(&default_probe_targets(), timeout).await
}

/// Asks every target at once for its model list and returns those that answered like the
/// expected server, in target order. Each probe is bounded by `timeout` (a few hundred
/// milliseconds is plenty on loopback), and they run in parallel, so the whole call takes about
/// `timeout` at most. Closed ports fail at once. Never fails: a target that does not answer
/// properly is simply absent.
pub async fn probe_servers(targets: &[ProbeTarget], timeout: Duration) -> Vec<LocalServer> {
    let client = match reqwest::Client::builder().no_proxy().connect_timeout(timeout).timeout(timeout).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "cannot build the probe client");
            return Vec::new();
        }
    };
    let probes = targets.iter().map(|target| {
        let client = &client;
        async move { tokio::time::timeout(timeout, probe_one(client, target)).await.unwrap_or_default() }
    });
    join_all(probes).await.into_iter().flatten().collect()
}

async fn probe_one(client: &reqwest::Client, target: &ProbeTarget) -> Option<LocalServer> {
    let host = if target.host.contains(':') && !target.host.starts_with('[') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let root = format!("http://{host}:{}", target.port);
    let (base_url, list_url) = match target.kind {
        LocalServerKind::Ollama => (root.clone(), format!("{root}/api/tags")),
        _ => (format!("{root}/v1"), format!("{root}/v1/models")),
    };
    let response = client.get(&list_url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let json: Value = response.json().await.ok()?;
    // The shape of the answer is the evidence: any web server may sit on port 8080.
    let models = match target.kind {
        LocalServerKind::Ollama => tag_names(&json)?,
        _ => model_ids(&json)?,
    };
    Some(LocalServer { kind: target.kind, base_url, models })
}

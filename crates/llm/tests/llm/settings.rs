use std::time::Duration;

use engine::ports::{LlmError, Sensitive};
use llm::{ConfigError, Provider, ProviderConfig, ProviderKind, from_settings};
use tokio_util::sync::CancellationToken;

use crate::server::{Reply, Server};
use crate::{KEY, fast, key, question};

#[test]
fn provider_kinds_parse_from_their_settings_spelling() {
    for kind in [ProviderKind::OpenAiCompatible, ProviderKind::Ollama, ProviderKind::Anthropic] {
        assert_eq!(kind.as_str().parse::<ProviderKind>(), Ok(kind));
    }
    assert_eq!(" OpenAI ".parse::<ProviderKind>(), Ok(ProviderKind::OpenAiCompatible));
    assert!(matches!("gemini".parse::<ProviderKind>(), Err(ConfigError::UnknownProvider(_))));
}

#[test]
fn from_settings_builds_each_provider() {
    let cases = [
        (
            ProviderKind::OpenAiCompatible,
            "http://localhost:11434/v1",
            "openai-compatible llama3.2 at http://localhost:11434/v1",
        ),
        (ProviderKind::Ollama, "http://localhost:11434/", "ollama llama3.2 at http://localhost:11434"),
        (ProviderKind::Anthropic, "", "anthropic llama3.2 at https://api.anthropic.com"),
    ];
    for (kind, base, described) in cases {
        let mut config = ProviderConfig::new(kind, base, "llama3.2");
        // A pasted key with a trailing newline still works.
        config.api_key = Some(Sensitive::new(format!("{KEY}\n")));
        let llm = from_settings(&config).unwrap();
        assert_eq!(llm.describe(), described);
        assert!(!format!("{config:?}").contains(KEY));
    }
    let bad = ProviderConfig::new(ProviderKind::Ollama, "not a url", "m");
    assert!(matches!(from_settings(&bad), Err(ConfigError::InvalidBaseUrl { .. })));
    let mut bad_key = ProviderConfig::new(ProviderKind::Anthropic, "", "m");
    bad_key.api_key = Some(Sensitive::new("sk-a\u{7}b"));
    assert_eq!(from_settings(&bad_key).err(), Some(ConfigError::InvalidKey));
}

#[tokio::test]
async fn a_config_token_cancels_calls_and_settings_reach_the_client() {
    let server = Server::always(Reply::Stall).await;
    let token = CancellationToken::new();
    let mut config = ProviderConfig::new(ProviderKind::Ollama, server.url(), "qwen2.5:7b");
    config.http = fast();
    config.num_ctx = 4096;
    config.cancel = Some(token.clone());
    let llm = from_settings(&config).unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        token.cancel();
    });
    assert_eq!(llm.complete(&question(), None).await.unwrap_err(), LlmError::Cancelled);
    assert_eq!(server.requests()[0].json()["options"]["num_ctx"], 4096);
}

#[tokio::test]
async fn a_provider_lists_models_and_rebinds_its_token() {
    let server = Server::always(Reply::json(200, r#"{"data":[{"id":"m1"}]}"#)).await;
    let mut config = ProviderConfig::new(ProviderKind::OpenAiCompatible, server.url(), "m1");
    config.api_key = key();
    let provider = Provider::from_config(&config).unwrap();
    assert_eq!(provider.base_url(), format!("{}/v1", server.url()));
    assert_eq!(provider.list_models().await.unwrap(), vec!["m1"]);
    let token = CancellationToken::new();
    token.cancel();
    let cancelled = provider.with_cancel(token);
    assert_eq!(cancelled.list_models().await.unwrap_err(), LlmError::Cancelled);
}

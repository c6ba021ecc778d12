//! `catena config`: the settings the desktop app stores, read and written by key, and used by
//! `catena ask` on the same data directory unless flags say otherwise.

use serde_json::{Value, json};
use testkit::{Reply, Server};

use crate::Catena;

/// An OpenAI-compatible server that answers every completion with the same short text.
async fn model_server() -> Server {
    let completion = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "not a plan"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3}
    });
    Server::always(Reply::json(200, completion.to_string())).await
}

fn models_asked(server: &Server) -> Vec<String> {
    server.requests().iter().filter_map(|r| r.json()["model"].as_str().map(str::to_owned)).collect()
}

fn ask(c: &Catena, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["ask", "Who", "rehearses", "on", "Tuesdays?"];
    args.extend_from_slice(extra);
    let out = c
        .cmd()
        .env_remove("CATENA_LLM_URL")
        .env_remove("CATENA_LLM_MODEL")
        .env_remove("CATENA_LLM_PROVIDER")
        .env("CATENA_LLM_API_KEY", "sk-config-test")
        .arg("--json")
        .args(&args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn config(c: &Catena, args: &[&str]) -> (i32, Value) {
    let out = c.cmd().arg("--json").arg("config").args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_uses_the_configured_model_and_flags_override_it() {
    let c = Catena::new();
    let configured = model_server().await;
    let flagged = model_server().await;
    let url = format!("{}/v1", configured.url());
    for (key, value) in [
        ("llm.provider", "openai-compatible"),
        ("llm.base_url", url.as_str()),
        ("llm.model", "configured-model"),
        ("llm.enabled", "true"),
    ] {
        assert_eq!(config(&c, &["set", key, value]).0, 0, "set {key}");
    }
    assert_eq!(config(&c, &["get", "llm.model"]).1["value"], "configured-model");

    // No model flag: the configured server and model are asked.
    let (code, run) = ask(&c, &[]);
    assert_eq!(code, 0, "{run}");
    let asked = models_asked(&configured);
    assert!(!asked.is_empty(), "the configured server was not asked");
    assert!(asked.iter().all(|m| m == "configured-model"), "{asked:?}");
    assert!(run["usage"]["llm_calls"].as_u64().unwrap_or(0) > 0, "{run}");

    // Flags win for this question only.
    let before = configured.requests().len();
    let flag_url = format!("{}/v1", flagged.url());
    let (code, _) = ask(&c, &["--llm-url", &flag_url, "--model", "flag-model"]);
    assert_eq!(code, 0);
    assert_eq!(configured.requests().len(), before, "the configured server was asked despite the flags");
    let asked = models_asked(&flagged);
    assert!(!asked.is_empty() && asked.iter().all(|m| m == "flag-model"), "{asked:?}");

    // --no-llm answers extractively without asking anyone; the settings are unchanged.
    let (code, run) = ask(&c, &["--no-llm"]);
    assert_eq!((code, run["usage"]["llm_calls"].as_u64()), (0, Some(0)), "{run}");
    assert_eq!(configured.requests().len(), before);
    assert_eq!(config(&c, &["get", "llm.model"]).1["value"], "configured-model");
}

#[test]
fn unknown_keys_bad_values_and_api_keys_are_refused_with_the_valid_ones() {
    let c = Catena::new();
    let (code, v) = config(&c, &["set", "llm.flavour", "x"]);
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert_eq!((code, v["error"]["code"].as_str()), (2, Some("invalid_setting")), "{v}");
    assert!(message.contains("llm.provider") && message.contains("web.offline"), "{message}");

    let (code, v) = config(&c, &["set", "llm.provider", "gopher"]);
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(code, 2);
    assert!(message.contains("openai-compatible, ollama, anthropic"), "{message}");

    let (code, v) = config(&c, &["set", "engine.top_k", "0"]);
    assert_eq!(code, 2);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("between 1 and 50"), "{v}");
    let (code, _) = config(&c, &["set", "web.offline", "maybe"]);
    assert_eq!(code, 2);

    // Keys go through `catena key`, never config.
    let (code, v) = config(&c, &["set", "llm.api_key", "sk-should-not-be-stored"]);
    assert_eq!(code, 2);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("catena key set"), "{v}");
    let (_, all) = config(&c, &["list"]);
    assert!(!all.to_string().contains("sk-should-not-be-stored"));
    assert!(all.as_object().is_some_and(|m| m.keys().all(|k| !k.contains("key"))), "{all}");

    // What was refused left the settings as they were; a good value is stored in its canonical form.
    assert_eq!(all["llm.provider"], "ollama");
    assert_eq!(config(&c, &["set", "llm.provider", "OpenAI"]).1["value"], "openai-compatible");
    assert_eq!(config(&c, &["get", "llm.provider"]).1["value"], "openai-compatible");
}

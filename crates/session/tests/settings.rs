//! The settings schema over a real catalog: round trip, validation with the key named, the
//! migration of older spellings, the dotted keys of `catena config`, and the overrides of one
//! question.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use session::{AskMode, EmbeddingProvider, LlmProvider, Overrides, Settings, WebProvider, config};
use store::Catalog;

async fn catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.db")).await.unwrap();
    (dir, catalog)
}

#[tokio::test]
async fn settings_round_trip_through_the_catalog() {
    let (dir, catalog) = catalog().await;
    assert_eq!(session::load(&catalog).await.unwrap(), Settings::default());
    let mut s = Settings::default();
    s.llm.enabled = true;
    s.llm.provider = LlmProvider::Anthropic;
    s.llm.base_url = String::new();
    s.llm.model = "claude-sonnet-4-5".into();
    s.web.provider = WebProvider::Brave;
    s.web.offline = false;
    s.engine.run_mode = AskMode::Agent;
    s.engine.top_k = 7;
    s.embedding.provider = EmbeddingProvider::Off;
    session::save(&catalog, &s).await.unwrap();
    catalog.close().await;
    // Another process (the app, the CLI) opening the catalog reads the same settings.
    let reopened = Catalog::open(&dir.path().join("catalog.db")).await.unwrap();
    assert_eq!(session::load(&reopened).await.unwrap(), s);
    // The stored JSON is what the app has always stored and sent to its page.
    let llm = reopened.setting("llm").await.unwrap().unwrap();
    assert_eq!(llm["provider"], "anthropic");
    assert_eq!(reopened.setting("engine").await.unwrap().unwrap()["run_mode"], "agent");
}

#[tokio::test]
async fn invalid_settings_are_refused_naming_the_key_and_nothing_is_stored() {
    let (_dir, catalog) = catalog().await;
    let mut s = Settings::default();
    s.engine.mrfs_threshold = 1.5;
    let e = session::save(&catalog, &s).await.unwrap_err();
    assert!(e.to_string().starts_with("engine.mrfs_threshold: "), "{e}");
    let mut s = Settings::default();
    s.web.provider = WebProvider::Searxng;
    let e = s.validate().unwrap_err();
    assert_eq!(e.key, "web.search_url");
    s.web.search_url = "https://searx.example.org".into();
    s.validate().unwrap();
    let mut s = Settings::default();
    s.embedding.provider = EmbeddingProvider::Ollama;
    assert_eq!(s.validate().unwrap_err().key, "embedding.model");
    assert!(catalog.settings().await.unwrap().is_empty());
    // An unknown provider cannot even be read into the schema, and says what is valid.
    let e = serde_json::from_value::<Settings>(json!({"llm": {"provider": "gopher"}})).unwrap_err();
    assert!(e.to_string().contains("openai-compatible, ollama, anthropic"), "{e}");
}

#[tokio::test]
async fn older_spellings_are_read_and_migrated_and_unreadable_fields_fall_back() {
    let (_dir, catalog) = catalog().await;
    catalog
        .set_setting(
            "llm",
            &json!({"enabled": true, "preset": "openai", "provider": "openai",
        "base_url": "http://127.0.0.1:9/v1", "model": "m"}),
        )
        .await
        .unwrap();
    catalog
        .set_setting("embedding", &json!({"provider": "", "model_dir": "", "base_url": "", "model": ""}))
        .await
        .unwrap();
    catalog.set_setting("engine", &json!({"top_k": 9, "missing_policy": "sometimes"})).await.unwrap();
    let s = session::load(&catalog).await.unwrap();
    assert_eq!(s.llm.provider, LlmProvider::OpenAiCompatible);
    assert_eq!(s.embedding.provider, EmbeddingProvider::Local);
    // The readable field of a group is kept, the unreadable one is its default.
    assert_eq!(s.engine.top_k, 9);
    assert_eq!(s.engine.missing_policy, Settings::default().engine.missing_policy);

    let mut rewritten = session::migrate(&catalog).await.unwrap();
    rewritten.sort_unstable();
    assert_eq!(rewritten, ["embedding", "engine", "llm"]);
    assert_eq!(catalog.setting("llm").await.unwrap().unwrap()["provider"], "openai-compatible");
    assert_eq!(catalog.setting("embedding").await.unwrap().unwrap()["provider"], "local");
    // Groups never stored stay unstored; a second migration has nothing to do.
    assert!(catalog.setting("web").await.unwrap().is_none());
    assert!(session::migrate(&catalog).await.unwrap().is_empty());
    assert_eq!(session::load(&catalog).await.unwrap(), s);
}

#[test]
fn dotted_keys_get_and_set_with_their_types() {
    let s = Settings::default();
    assert_eq!(config::get(&s, "web.k").unwrap(), json!(5));
    let s = config::set(&s, "web.k", "8").unwrap();
    let s = config::set(&s, "web.offline", "off").unwrap();
    let s = config::set(&s, "engine.mrfs_threshold", "0.4").unwrap();
    let s = config::set(&s, "engine.missing_policy", "skip").unwrap();
    assert_eq!((s.web.k, s.web.offline, s.engine.mrfs_threshold), (8, false, 0.4));
    assert_eq!(config::get(&s, "engine.missing_policy").unwrap(), "skip_retrieval");
    assert_eq!(config::list(&s).len(), config::KEYS.len());

    let e = config::set(&s, "web.k", "eight").unwrap_err();
    assert_eq!((e.key.as_str(), e.message.as_str()), ("web.k", "\"eight\" is not a whole number"));
    let e = config::set(&s, "web.provider", "altavista").unwrap_err();
    assert_eq!(e.message, "\"altavista\" is not one of: wikipedia, searxng, brave, tavily");
    let e = config::set(&s, "web.k", "99").unwrap_err();
    assert!(e.message.contains("between 1 and 20"), "{e}");
    let e = config::get(&s, "llm.api_key").unwrap_err();
    assert!(e.message.contains("catena key set"), "{e}");
    let e = config::get(&s, "nonsense").unwrap_err();
    assert!(e.message.contains("embedding.model_dir"), "{e}");
}

#[test]
fn overrides_change_one_question_and_keep_the_rest() {
    let mut stored = Settings::default();
    stored.llm.enabled = true;
    stored.llm.provider = LlmProvider::Ollama;
    stored.llm.base_url = "http://127.0.0.1:11434".into();
    stored.llm.model = "qwen3:8b".into();

    // A model name alone keeps the configured server.
    let s = stored.with_overrides(&Overrides { model: Some("llama3.2".into()), ..Default::default() }).unwrap();
    assert_eq!(
        (s.llm.provider, s.llm.base_url.as_str(), s.llm.model.as_str()),
        (LlmProvider::Ollama, "http://127.0.0.1:11434", "llama3.2")
    );
    // Without a configured model a server address means an OpenAI-compatible one.
    let s = Settings::default()
        .with_overrides(&Overrides {
            llm_url: Some("http://127.0.0.1:8080/v1".into()),
            model: Some("m".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(s.llm.enabled);
    assert_eq!(s.llm.provider, LlmProvider::OpenAiCompatible);
    // Blank values (empty environment variables) change nothing; --no-llm switches the model off.
    let s = stored.with_overrides(&Overrides { model: Some("  ".into()), no_llm: true, ..Default::default() }).unwrap();
    assert_eq!(s.llm.model, "qwen3:8b");
    assert!(!s.llm.enabled);
    // Asking the web turns it on; a bad override is refused by the same validation.
    let s = stored.with_overrides(&Overrides { web: Some(WebProvider::Wikipedia), ..Default::default() }).unwrap();
    assert!(!s.web.offline);
    let e = stored.with_overrides(&Overrides { top_k: Some(500), ..Default::default() }).unwrap_err();
    assert_eq!(e.key, "engine.top_k");
}

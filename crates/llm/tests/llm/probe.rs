use std::time::{Duration, Instant};

use llm::{LocalServer, LocalServerKind, ProbeTarget, ProviderKind, probe_servers};

use crate::server::{Reply, Server, closed_port};

fn target(kind: LocalServerKind, port: u16) -> ProbeTarget {
    ProbeTarget { kind, host: "127.0.0.1".to_owned(), port }
}

#[tokio::test]
async fn finds_scripted_servers_and_skips_the_rest_within_the_timeout() {
    let ollama = Server::always(Reply::json(
        200,
        r#"{"models":[{"name":"qwen2.5:7b","model":"qwen2.5:7b","size":4683087332,"details":{}}]}"#,
    ))
    .await;
    let llama_cpp = Server::always(Reply::json(
        200,
        r#"{"object":"list","data":[{"id":"Qwen2.5-7B-Instruct-Q4_K_M.gguf","object":"model","created":1736500000,"owned_by":"llamacpp","meta":{"n_ctx_train":32768}}]}"#,
    ))
    .await;
    // Some other web server on a model port: answers, but not like a model server.
    let stranger = Server::always(Reply::Full {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: "<html><body>It works!</body></html>".into(),
    })
    .await;
    // Servers that accept and never answer: probed in parallel, three of them cost one timeout.
    let silent =
        [Server::always(Reply::Stall).await, Server::always(Reply::Stall).await, Server::always(Reply::Stall).await];
    let closed = closed_port().await;
    let targets = vec![
        target(LocalServerKind::Ollama, ollama.addr.port()),
        target(LocalServerKind::LmStudio, closed),
        target(LocalServerKind::LlamaCpp, llama_cpp.addr.port()),
        target(LocalServerKind::Vllm, stranger.addr.port()),
    ]
    .into_iter()
    .chain(silent.iter().map(|s| target(LocalServerKind::Vllm, s.addr.port())))
    .collect::<Vec<_>>();
    let started = Instant::now();

    let found = probe_servers(&targets, Duration::from_millis(500)).await;

    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500) && took < Duration::from_millis(1200), "{took:?}");
    assert_eq!(
        found,
        vec![
            LocalServer {
                kind: LocalServerKind::Ollama,
                base_url: ollama.url(),
                models: vec!["qwen2.5:7b".to_owned()],
            },
            LocalServer {
                kind: LocalServerKind::LlamaCpp,
                base_url: format!("{}/v1", llama_cpp.url()),
                models: vec!["Qwen2.5-7B-Instruct-Q4_K_M.gguf".to_owned()],
            },
        ]
    );
    assert_eq!(ollama.requests()[0].path, "/api/tags");
    assert_eq!(llama_cpp.requests()[0].path, "/v1/models");
    assert_eq!(found[0].kind.provider(), ProviderKind::Ollama);
    assert_eq!(found[1].kind.provider(), ProviderKind::OpenAiCompatible);
}

#[tokio::test]
async fn closed_ports_are_skipped_without_waiting_for_the_timeout() {
    let mut targets = Vec::new();
    for kind in LocalServerKind::ALL {
        targets.push(target(kind, closed_port().await));
    }
    let started = Instant::now();
    let found = probe_servers(&targets, Duration::from_secs(5)).await;
    assert!(found.is_empty());
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[test]
fn default_targets_are_the_usual_ports_on_loopback() {
    let ports: Vec<(LocalServerKind, u16)> = llm::default_probe_targets().iter().map(|t| (t.kind, t.port)).collect();
    assert_eq!(
        ports,
        vec![
            (LocalServerKind::Ollama, 11434),
            (LocalServerKind::LmStudio, 1234),
            (LocalServerKind::LlamaCpp, 8080),
            (LocalServerKind::Vllm, 8000),
        ]
    );
    assert!(llm::default_probe_targets().iter().all(|t| t.host == "127.0.0.1"));
}

//! The engine's model contract (`engine::testing::contract::llm`), kept by each HTTP adapter
//! against a scripted server that speaks its wire protocol — the same checks the engine's fake
//! model passes, so engine tests written against the fake hold for the real adapters.

use std::sync::{Arc, Mutex};

use engine::ports::Llm;
use engine::testing::contract::{self, LLM_ANSWER, LlmBackend, LlmScenario};
use llm::{Anthropic, Ollama, OpenAiCompatible};
use serde_json::json;

use crate::server::{End, Recorded, Reply, Server, closed_port};
use crate::{anthropic, fast, key, ollama, openai};

/// The answer in the pieces a server streams it in.
fn pieces() -> Vec<String> {
    LLM_ANSWER.split_inclusive(' ').collect::<Vec<_>>().chunks(3).map(|c| c.concat()).collect()
}

fn streams(r: &Recorded) -> bool {
    r.json()["stream"] == json!(true)
}

#[derive(Clone, Copy)]
enum Wire {
    OpenAi,
    Ollama,
    Anthropic,
}

/// Starts scripted servers per scenario and keeps them alive for the contract's duration.
struct HttpBackend {
    wire: Wire,
    servers: Mutex<Vec<Server>>,
}

impl HttpBackend {
    fn new(wire: Wire) -> HttpBackend {
        HttpBackend { wire, servers: Mutex::new(Vec::new()) }
    }

    fn answer(wire: Wire, r: &Recorded) -> Reply {
        match (wire, streams(r)) {
            (Wire::OpenAi, true) => {
                let mut chunks: Vec<String> =
                    pieces().iter().map(|p| openai::chunk(json!({"content": p}), None)).collect();
                chunks.push(openai::chunk(json!({}), Some("stop")));
                chunks.push(openai::usage_chunk());
                chunks.push("data: [DONE]\n\n".to_owned());
                Reply::sse(chunks, End::Finish)
            }
            (Wire::OpenAi, false) => {
                let mut body: serde_json::Value = serde_json::from_str(openai::COMPLETION).unwrap();
                body["choices"][0]["message"]["content"] = json!(LLM_ANSWER);
                Reply::json(200, body.to_string())
            }
            (Wire::Ollama, true) => {
                let mut lines: Vec<String> = pieces().iter().map(|p| ollama::line(p)).collect();
                lines.push(ollama::last_line());
                Reply::ndjson(lines, End::Finish)
            }
            (Wire::Ollama, false) => Reply::json(
                200,
                json!({"model": "qwen2.5:7b", "created_at": "2025-01-15T10:00:01.000000Z",
                       "message": {"role": "assistant", "content": LLM_ANSWER},
                       "done_reason": "stop", "done": true, "prompt_eval_count": 412, "eval_count": 23})
                .to_string(),
            ),
            (Wire::Anthropic, true) => {
                let mut events = vec![anthropic::message_start()];
                events.extend(pieces().iter().map(|p| anthropic::text_delta(p)));
                events.push(anthropic::event(
                    "message_delta",
                    json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                           "usage": {"output_tokens": 23}}),
                ));
                events.push(anthropic::event("message_stop", json!({"type": "message_stop"})));
                Reply::sse(events, End::Finish)
            }
            (Wire::Anthropic, false) => Reply::json(
                200,
                json!({"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
                       "content": [{"type": "text", "text": LLM_ANSWER}], "model": "claude-sonnet-4-5",
                       "stop_reason": "end_turn", "stop_sequence": null,
                       "usage": {"input_tokens": 412, "output_tokens": 23}})
                .to_string(),
            ),
        }
    }

    fn refusal(wire: Wire) -> Reply {
        match wire {
            Wire::OpenAi => Reply::json(
                401,
                r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            ),
            Wire::Ollama => Reply::json(401, r#"{"error":"unauthorized"}"#),
            Wire::Anthropic => Reply::json(
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
            ),
        }
    }

    fn model_at(&self, url: &str) -> Arc<dyn Llm> {
        match self.wire {
            Wire::OpenAi => {
                Arc::new(OpenAiCompatible::new(&format!("{url}/v1"), "gpt-4o-mini", key(), fast()).unwrap())
            }
            Wire::Ollama => Arc::new(Ollama::new(url, "qwen2.5:7b", None, fast()).unwrap()),
            Wire::Anthropic => Arc::new(Anthropic::new(url, "claude-sonnet-4-5", key(), fast()).unwrap()),
        }
    }
}

#[async_trait::async_trait]
impl LlmBackend for HttpBackend {
    async fn model(&self, scenario: LlmScenario) -> Arc<dyn Llm> {
        let wire = self.wire;
        let server = match scenario {
            LlmScenario::Answers => Server::start(move |_, r| HttpBackend::answer(wire, r)).await,
            LlmScenario::RateLimited => {
                Server::always(
                    Reply::json(429, r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#)
                        .header("Retry-After", "0"),
                )
                .await
            }
            LlmScenario::RefusesKey => Server::always(HttpBackend::refusal(wire)).await,
            LlmScenario::Garbled => Server::always(Reply::json(200, "<html><body>502 Bad Gateway</body></html>")).await,
            LlmScenario::Unreachable => {
                return self.model_at(&format!("http://127.0.0.1:{}", closed_port().await));
            }
        };
        let model = self.model_at(&server.url());
        self.servers.lock().unwrap().push(server);
        model
    }
}

#[tokio::test]
async fn the_openai_compatible_adapter_keeps_the_llm_contract() {
    contract::llm(&HttpBackend::new(Wire::OpenAi)).await;
}

#[tokio::test]
async fn the_ollama_adapter_keeps_the_llm_contract() {
    contract::llm(&HttpBackend::new(Wire::Ollama)).await;
}

#[tokio::test]
async fn the_anthropic_adapter_keeps_the_llm_contract() {
    contract::llm(&HttpBackend::new(Wire::Anthropic)).await;
}

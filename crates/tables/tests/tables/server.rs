//! A scripted OpenAI-compatible chat server on 127.0.0.1 (over the shared `testkit` server):
//! each request gets the next scripted reply as a non-streamed chat completion; request bodies
//! are recorded.

use testkit::{Reply, Server};

pub struct Scripted(Server);

impl Scripted {
    pub async fn start(replies: Vec<String>) -> Scripted {
        Scripted(
            Server::start(move |i, _| {
                let content = replies.get(i).cloned().unwrap_or_default();
                let json = serde_json::json!({
                    "id": "x", "object": "chat.completion", "model": "scripted",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                });
                Reply::json(200, json.to_string())
            })
            .await,
        )
    }

    pub fn url(&self) -> String {
        format!("{}/v1", self.0.url())
    }

    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.0.requests().into_iter().map(|r| r.body).collect()
    }
}

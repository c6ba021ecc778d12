//! Anthropic's Messages API (`/v1/messages`, `/v1/models`).
//!
//! Structured output: this adapter uses no provider-side schema feature. When a request asks for
//! a schema, an instruction is appended to the system prompt asking for one JSON value only,
//! matching the schema given verbatim, with no prose and no code fences; and a final answer that
//! still comes wrapped in a Markdown code fence is unwrapped (in `ChatResponse::content` only:
//! streamed deltas are passed on as they come). The model is not *constrained*, so callers must
//! validate the JSON as they would any model output.

use engine::ports::{ChatRequest, ChatResponse, Llm, LlmError, Message, Role, Sensitive, ToolCall, ToolChoice};
use reqwest::header::HeaderValue;
use reqwest::{RequestBuilder, Url};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::ConfigError;
use crate::base::Base;
use crate::openai::model_ids;
use crate::transport::{
    Completion, Dialect, Framing, HttpSettings, Schema, StreamFault, StreamStep, ToolDelta, Transport, json_f32,
};

/// The base used when the setting is empty.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// `max_tokens` is required by the API; this is sent when the request sets none.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
const API_VERSION: &str = "2023-06-01";

/// A client for Anthropic's `POST {base}/v1/messages`.
///
/// Base URL rule: the API root, `https://api.anthropic.com` (also the value used for an empty
/// setting). A trailing slash, `/v1` or `/v1/messages` is removed; any other path is kept (a
/// gateway at a sub-path).
#[derive(Debug, Clone)]
pub struct Anthropic {
    transport: Transport,
    dialect: AnthropicDialect,
}

#[derive(Debug, Clone)]
struct AnthropicDialect {
    base: Base,
    chat_url: Url,
    model: String,
    default_max_tokens: u32,
    /// `x-api-key`, marked sensitive.
    key: Option<HeaderValue>,
}

impl Anthropic {
    /// A client for `model`. Without a key the request is still sent (a gateway may add one) and
    /// Anthropic's refusal comes back as [`LlmError::Auth`].
    pub fn new(
        base_url: &str,
        model: impl Into<String>,
        key: Option<Sensitive>,
        settings: HttpSettings,
    ) -> Result<Anthropic, ConfigError> {
        let raw = if base_url.trim().is_empty() { DEFAULT_BASE_URL } else { base_url };
        let base = Base::parse(raw, &["/v1/messages", "/v1/models", "/v1"], "")?;
        let key = crate::clean_key(key);
        let header = key.as_ref().map(|k| crate::header_value(k.expose())).transpose()?;
        let transport = Transport::new(base.url(), settings, key)?;
        let chat_url = base.join("v1/messages");
        Ok(Anthropic {
            transport,
            dialect: AnthropicDialect {
                base,
                chat_url,
                model: model.into(),
                default_max_tokens: DEFAULT_MAX_TOKENS,
                key: header,
            },
        })
    }

    /// Sets the `max_tokens` sent when a request sets none.
    #[must_use]
    pub fn with_default_max_tokens(mut self, max_tokens: u32) -> Anthropic {
        self.dialect.default_max_tokens = max_tokens.max(1);
        self
    }

    /// The same client, cancelled with `token` (see [`crate::OpenAiCompatible::with_cancel`]).
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> Anthropic {
        self.transport.set_cancel(token);
        self
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> String {
        self.dialect.base.display()
    }

    /// `GET {base}/v1/models`: the model ids. Not counted as a completion call.
    pub async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let mut url = self.dialect.base.join("v1/models");
        // The default page is 20; 1000 is the maximum and far above the catalogue's size.
        url.set_query(Some("limit=1000"));
        let json = self.transport.get_json(&self.dialect, url).await?;
        model_ids(&json)
            .ok_or_else(|| LlmError::Protocol { message: "the model list has no `data` array".to_owned(), calls: 0 })
    }
}

#[async_trait::async_trait]
impl Llm for Anthropic {
    fn describe(&self) -> String {
        self.dialect.describe()
    }

    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        let mut response = self.transport.complete(&self.dialect, request, on_delta).await?;
        if request.json_schema.is_some() {
            response.content = unfence(&response.content);
        }
        Ok(response)
    }
}

/// The instruction that stands in for a native schema feature.
fn schema_instruction(schema: &Schema) -> String {
    format!(
        "Answer with a single JSON value only: no prose before or after it and no Markdown code \
         fence. It must validate against this JSON Schema (named \"{}\"):\n{}",
        schema.name, schema.text
    )
}

/// Strips one surrounding Markdown code fence (```json … ```), which models add despite being
/// asked not to.
fn unfence(text: &str) -> String {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return text.to_owned();
    };
    let Some(inner) = rest.strip_suffix("```") else {
        return text.to_owned();
    };
    // Drop the info string (`json`) on the opening line.
    match inner.split_once('\n') {
        Some((_, body)) => body.trim().to_owned(),
        None => inner.trim().to_owned(),
    }
}

/// Input tokens as billed: uncached input plus cache writes and cache reads.
fn input_tokens(usage: &Value) -> Option<u64> {
    let field = |name: &str| usage.get(name).and_then(Value::as_u64);
    let base = field("input_tokens")?;
    Some(base + field("cache_creation_input_tokens").unwrap_or(0) + field("cache_read_input_tokens").unwrap_or(0))
}

impl Dialect for AnthropicDialect {
    fn describe(&self) -> String {
        format!("anthropic {} at {}", self.model, self.base.display())
    }

    fn chat_url(&self) -> &Url {
        &self.chat_url
    }

    fn authorize(&self, builder: RequestBuilder) -> RequestBuilder {
        let builder = builder.header("anthropic-version", API_VERSION);
        match &self.key {
            Some(key) => builder.header("x-api-key", key.clone()),
            None => builder,
        }
    }

    fn body(&self, request: &ChatRequest, schema: Option<&Schema>, stream: bool) -> Value {
        // The API takes instructions in a top-level `system` field, not as messages.
        let mut system: Vec<String> =
            request.messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.clone()).collect();
        if let Some(schema) = schema {
            system.push(schema_instruction(schema));
        }
        let messages = messages_json(&request.messages);
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("max_tokens".into(), json!(request.max_tokens.unwrap_or(self.default_max_tokens)));
        if !system.is_empty() {
            body.insert("system".into(), json!(system.join("\n\n")));
        }
        body.insert("messages".into(), Value::Array(messages));
        if stream {
            body.insert("stream".into(), json!(true));
        }
        if let Some(t) = request.temperature {
            body.insert("temperature".into(), json_f32(t));
        }
        if !request.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(request.stop));
        }
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|t| json!({ "name": t.name, "description": t.description, "input_schema": t.parameters }))
                .collect();
            body.insert("tools".into(), Value::Array(tools));
            if request.tool_choice == ToolChoice::None {
                body.insert("tool_choice".into(), json!({ "type": "none" }));
            }
        }
        Value::Object(body)
    }

    fn parse_body(&self, body: &[u8]) -> Result<Completion, String> {
        let json: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        if json.get("type").and_then(Value::as_str) == Some("error") {
            return Err(format!("the provider reported an error: {}", error_text(&json)));
        }
        let blocks = json.get("content").and_then(Value::as_array).ok_or("the answer has no content array")?;
        let content: String = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect();
        let tool_calls = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
            .map(|b| ToolCall {
                id: b.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                name: b.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                arguments: b.get("input").map_or_else(String::new, Value::to_string),
            })
            .collect();
        let reasoning: String = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("thinking"))
            .filter_map(|b| b.get("thinking").and_then(Value::as_str))
            .collect();
        let usage = json.get("usage");
        Ok(Completion {
            tool_calls,
            reasoning,
            think_open: false,
            content,
            prompt_tokens: usage.and_then(input_tokens).unwrap_or(0),
            completion_tokens: usage.and_then(|u| u.get("output_tokens")).and_then(Value::as_u64).unwrap_or(0),
        })
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn stream_event(&self, event: &str, data: &str) -> Result<StreamStep, StreamFault> {
        let json: Value = serde_json::from_str(data)
            .map_err(|e| StreamFault::Malformed(format!("a stream event is not JSON: {e}")))?;
        // The data's `type` is authoritative; the SSE event name is the fallback.
        let kind = json.get("type").and_then(Value::as_str).unwrap_or(event);
        let step = match kind {
            "message_start" => {
                let usage = json.get("message").and_then(|m| m.get("usage"));
                StreamStep {
                    prompt_tokens: usage.and_then(input_tokens),
                    completion_tokens: usage.and_then(|u| u.get("output_tokens")).and_then(Value::as_u64),
                    ..StreamStep::default()
                }
            }
            "content_block_start" => {
                let block = json.get("content_block");
                let is_tool = block.and_then(|b| b.get("type")).and_then(Value::as_str) == Some("tool_use");
                let text = |name: &str| block.and_then(|b| b.get(name)).and_then(Value::as_str).map(str::to_owned);
                StreamStep {
                    tools: if is_tool {
                        vec![ToolDelta {
                            index: Some(json.get("index").and_then(Value::as_u64).unwrap_or(0)),
                            id: text("id"),
                            name: text("name"),
                            arguments: String::new(),
                        }]
                    } else {
                        Vec::new()
                    },
                    ..StreamStep::default()
                }
            }
            "content_block_delta" => {
                let delta = json.get("delta");
                let kind = delta.and_then(|d| d.get("type")).and_then(Value::as_str);
                let is_text = kind == Some("text_delta");
                let tools = match (kind, delta.and_then(|d| d.get("partial_json")).and_then(Value::as_str)) {
                    (Some("input_json_delta"), Some(piece)) => vec![ToolDelta {
                        index: Some(json.get("index").and_then(Value::as_u64).unwrap_or(0)),
                        arguments: piece.to_owned(),
                        ..ToolDelta::default()
                    }],
                    _ => Vec::new(),
                };
                StreamStep {
                    reasoning: delta
                        .filter(|_| kind == Some("thinking_delta"))
                        .and_then(|d| d.get("thinking"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    tools,
                    // Thinking and tool-input deltas are not answer text.
                    delta: delta
                        .filter(|_| is_text)
                        .and_then(|d| d.get("text"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    ..StreamStep::default()
                }
            }
            "message_delta" => {
                // Output tokens here are the running total for the message.
                let usage = json.get("usage");
                StreamStep {
                    prompt_tokens: usage.and_then(input_tokens),
                    completion_tokens: usage.and_then(|u| u.get("output_tokens")).and_then(Value::as_u64),
                    complete: json.get("delta").and_then(|d| d.get("stop_reason")).is_some_and(|r| !r.is_null()),
                    ..StreamStep::default()
                }
            }
            "message_stop" => StreamStep { complete: true, done: true, ..StreamStep::default() },
            "error" => {
                let kind = json.get("error").and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or("");
                return Err(StreamFault::Provider {
                    message: error_text(&json),
                    // Overload and internal errors pass; others would fail again.
                    transient: matches!(kind, "overloaded_error" | "api_error"),
                });
            }
            // ping, content_block_stop and event types added later.
            _ => StreamStep::default(),
        };
        Ok(step)
    }
}

/// The conversation as Messages API turns: consecutive messages of one side are one turn (the
/// API wants the sides to alternate, and every tool result of a turn in one user message), and a
/// turn is a plain string unless it carries tool calls or results.
fn messages_json(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<(&str, Vec<Value>, bool)> = Vec::new();
    for m in messages.iter().filter(|m| m.role != Role::System) {
        let side = if m.role == Role::Assistant { "assistant" } else { "user" };
        let mut blocks = Vec::new();
        if m.role == Role::Tool {
            let id = m.tool_result_for.as_ref().map_or("", |(id, _)| id.as_str());
            blocks.push(json!({ "type": "tool_result", "tool_use_id": id, "content": m.content }));
        } else if !m.content.is_empty() || m.tool_calls.is_empty() {
            blocks.push(json!({ "type": "text", "text": m.content }));
        }
        for c in &m.tool_calls {
            blocks.push(json!({
                "type": "tool_use",
                "id": c.id,
                "name": c.name,
                "input": crate::openai::arguments_object(&c.arguments),
            }));
        }
        let structured = m.role == Role::Tool || !m.tool_calls.is_empty();
        match turns.last_mut() {
            Some((last, b, s)) if *last == side => {
                b.extend(blocks);
                *s |= structured;
            }
            _ => turns.push((side, blocks, structured)),
        }
    }
    turns
        .into_iter()
        .map(|(side, blocks, structured)| {
            let single_text = !structured && blocks.len() == 1;
            let content = match blocks.first().and_then(|b| b.get("text")) {
                Some(text) if single_text => text.clone(),
                _ => Value::Array(blocks),
            };
            json!({ "role": side, "content": content })
        })
        .collect()
}

fn error_text(json: &Value) -> String {
    let error = json.get("error");
    let kind = error.and_then(|e| e.get("type")).and_then(Value::as_str);
    let message = error.and_then(|e| e.get("message")).and_then(Value::as_str);
    match (kind, message) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        (None, Some(m)) => m.to_owned(),
        _ => json.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::unfence;

    #[test]
    fn one_surrounding_code_fence_is_removed() {
        assert_eq!(unfence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(unfence("  ```\n[1]\n```  "), "[1]");
        assert_eq!(unfence("{\"a\": \"```\"}"), "{\"a\": \"```\"}");
        assert_eq!(unfence("```json\n{\"a\": 1}"), "```json\n{\"a\": 1}");
    }
}

//! OpenAI's Chat Completions wire format, as spoken by OpenAI and by most local servers
//! (Ollama's `/v1`, LM Studio, llama.cpp's `llama-server`, vLLM), and by gateways (OpenRouter,
//! Groq, …).

use engine::ports::{ChatRequest, ChatResponse, Llm, LlmError, Message, Role, Sensitive, ToolCall, ToolChoice};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, StatusCode, Url};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::ConfigError;
use crate::base::Base;
use crate::transport::{
    Completion, Dialect, Framing, HttpSettings, Schema, StreamFault, StreamStep, ToolDelta, Transport, json_f32,
};

/// A client for `POST {base}/chat/completions`.
///
/// Base URL rule: write the URL up to and including the API version, as every provider
/// documents it (`https://api.openai.com/v1`, `http://localhost:11434/v1`,
/// `https://openrouter.ai/api/v1`). A trailing slash and a pasted `/chat/completions` are
/// removed. A bare host with no path at all (`http://localhost:1234`) gets `/v1` appended,
/// because every known OpenAI-compatible server serves the API there; any other path is used as
/// written, since we cannot know where a gateway mounts its version (`/v1beta/openai`, `/api/v1`).
#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    transport: Transport,
    dialect: OpenAiDialect,
}

#[derive(Debug, Clone)]
struct OpenAiDialect {
    base: Base,
    chat_url: Url,
    model: String,
    /// `Bearer …`, marked sensitive so reqwest never prints it.
    auth: Option<HeaderValue>,
}

impl OpenAiCompatible {
    /// A client for `model` at `base_url`; `key` is sent as a bearer token when given (local
    /// servers need none).
    pub fn new(
        base_url: &str,
        model: impl Into<String>,
        key: Option<Sensitive>,
        settings: HttpSettings,
    ) -> Result<OpenAiCompatible, ConfigError> {
        let base = Base::parse(base_url, &["/chat/completions"], "/v1")?;
        let key = crate::clean_key(key);
        let auth = key.as_ref().map(|k| crate::header_value(&format!("Bearer {}", k.expose()))).transpose()?;
        let transport = Transport::new(base.url(), settings, key)?;
        let chat_url = base.join("chat/completions");
        Ok(OpenAiCompatible { transport, dialect: OpenAiDialect { base, chat_url, model: model.into(), auth } })
    }

    /// The same client, whose calls end with [`LlmError::Cancelled`] as soon as `token` is
    /// cancelled (one token per run cancels all of the run's in-flight calls).
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> OpenAiCompatible {
        self.transport.set_cancel(token);
        self
    }

    /// The normalised base URL (credentials left out).
    pub fn base_url(&self) -> String {
        self.dialect.base.display()
    }

    /// `GET {base}/models`: the ids the server offers. Not counted as a completion call.
    pub async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let json = self.transport.get_json(&self.dialect, self.dialect.base.join("models")).await?;
        model_ids(&json)
            .ok_or_else(|| LlmError::Protocol { message: "the model list has no `data` array".to_owned(), calls: 0 })
    }
}

/// The ids of an OpenAI-style list (`{"data":[{"id":…}]}`), shared with the local probe and
/// Anthropic's listing, which has the same shape.
pub(crate) fn model_ids(json: &Value) -> Option<Vec<String>> {
    let data = json.get("data")?.as_array()?;
    Some(data.iter().filter_map(|m| m.get("id")?.as_str().map(str::to_owned)).collect())
}

#[async_trait::async_trait]
impl Llm for OpenAiCompatible {
    fn describe(&self) -> String {
        self.dialect.describe()
    }

    async fn complete(
        &self,
        request: &ChatRequest,
        on_delta: Option<&(dyn for<'a> Fn(&'a str) + Send + Sync)>,
    ) -> Result<ChatResponse, LlmError> {
        self.transport.complete(&self.dialect, request, on_delta).await
    }
}

pub(crate) fn role(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

/// A message in the OpenAI shape, tool calls and tool results included (shared with Ollama,
/// whose native API differs only in how it writes a call's arguments and a result's reference).
pub(crate) fn message_json(m: &Message, ollama: bool) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), json!(role(m.role)));
    out.insert("content".into(), json!(m.content));
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|c| {
                if ollama {
                    // Ollama takes the arguments as an object; broken JSON is sent as none.
                    json!({ "function": { "name": c.name, "arguments": arguments_object(&c.arguments) } })
                } else {
                    json!({ "id": c.id, "type": "function", "function": { "name": c.name, "arguments": c.arguments } })
                }
            })
            .collect();
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some((id, name)) = &m.tool_result_for {
        if ollama {
            out.insert("tool_name".into(), json!(name));
        } else {
            out.insert("tool_call_id".into(), json!(id));
        }
    }
    Value::Object(out)
}

/// A call's arguments as a JSON object, `{}` when the model's text is not one.
pub(crate) fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({}),
    }
}

/// `tools` in the OpenAI function shape (also Ollama's).
pub(crate) fn tools_json(request: &ChatRequest) -> Value {
    Value::Array(
        request
            .tools
            .iter()
            .map(|t| {
                json!({ "type": "function", "function": { "name": t.name, "description": t.description, "parameters": t.parameters } })
            })
            .collect(),
    )
}

/// Reasoning sent apart from a message's text: `reasoning_content` (DeepSeek, vLLM's and
/// llama.cpp's reasoning parsers), `reasoning` (OpenRouter, Ollama's `/v1`), `thinking` (Ollama's
/// native API).
pub(crate) fn reasoning_of(message: &Value) -> Option<String> {
    ["reasoning_content", "reasoning", "thinking"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Tool calls of a whole (non-streamed) OpenAI or Ollama message.
pub(crate) fn message_tool_calls(message: &Value) -> Vec<ToolCall> {
    let Some(calls) = message.get("tool_calls").and_then(Value::as_array) else {
        return Vec::new();
    };
    calls
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let f = c.get("function");
            let arguments = match f.and_then(|f| f.get("arguments")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            ToolCall {
                id: c.get("id").and_then(Value::as_str).map_or_else(|| format!("call_{}", n + 1), str::to_owned),
                name: f.and_then(|f| f.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned(),
                arguments,
            }
        })
        .collect()
}

/// OpenAI restricts schema names to `[a-zA-Z0-9_-]{1,64}`; a name is only a label, so anything
/// else is replaced rather than refused.
fn schema_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if cleaned.is_empty() { "answer".to_owned() } else { cleaned }
}

impl Dialect for OpenAiDialect {
    fn describe(&self) -> String {
        format!("openai-compatible {} at {}", self.model, self.base.display())
    }

    fn chat_url(&self) -> &Url {
        &self.chat_url
    }

    fn authorize(&self, builder: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Some(auth) => builder.header(AUTHORIZATION, auth.clone()),
            None => builder,
        }
    }

    fn body(&self, request: &ChatRequest, schema: Option<&Schema>, stream: bool) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(|m| message_json(m, false)).collect();
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("stream".into(), json!(stream));
        if !request.tools.is_empty() {
            body.insert("tools".into(), tools_json(request));
            if request.tool_choice == ToolChoice::None {
                body.insert("tool_choice".into(), json!("none"));
            }
        }
        if stream {
            // Without this, streamed answers carry no token counts.
            body.insert("stream_options".into(), json!({ "include_usage": true }));
        }
        if let Some(t) = request.temperature {
            body.insert("temperature".into(), json_f32(t));
        }
        if let Some(n) = request.max_tokens {
            // `max_tokens` rather than the newer `max_completion_tokens`: every compatible
            // server knows the former.
            body.insert("max_tokens".into(), json!(n));
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        if let Some(schema) = schema {
            body.insert(
                "response_format".into(),
                json!({
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema_name(&schema.name),
                        "schema": schema.value,
                        "strict": true,
                    }
                }),
            );
        }
        Value::Object(body)
    }

    fn rejects_schema(&self, status: StatusCode, body: &str) -> bool {
        let body = body.to_ascii_lowercase();
        matches!(status.as_u16(), 400 | 422) && (body.contains("response_format") || body.contains("json_schema"))
    }

    fn parse_body(&self, body: &[u8]) -> Result<Completion, String> {
        let json: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        if let Some(error) = json.get("error").filter(|e| !e.is_null()) {
            return Err(format!("the provider reported an error: {}", error_text(error)));
        }
        let choice =
            json.get("choices").and_then(Value::as_array).and_then(|c| c.first()).ok_or("the answer has no choices")?;
        let message = choice.get("message").ok_or("the answer's choice has no message")?;
        let content = match message.get("content") {
            Some(Value::String(s)) => s.clone(),
            // A refusal or a tool call comes with null content: report the refusal's text.
            Some(Value::Null) | None => match message.get("refusal").and_then(Value::as_str) {
                Some(refusal) => return Err(format!("the model refused: {refusal}")),
                None => String::new(),
            },
            Some(other) => return Err(format!("the message content is not text: {other}")),
        };
        let (prompt, completion) = usage(&json);
        Ok(Completion {
            content,
            prompt_tokens: prompt.unwrap_or(0),
            completion_tokens: completion.unwrap_or(0),
            tool_calls: message_tool_calls(message),
            reasoning: reasoning_of(message).unwrap_or_default(),
            think_open: false,
        })
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn stream_event(&self, _event: &str, data: &str) -> Result<StreamStep, StreamFault> {
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(StreamStep { done: true, ..StreamStep::default() });
        }
        let json: Value = serde_json::from_str(data)
            .map_err(|e| StreamFault::Malformed(format!("a stream chunk is not JSON: {e}")))?;
        if let Some(error) = json.get("error").filter(|e| !e.is_null()) {
            return Err(StreamFault::Provider { message: error_text(error), transient: false });
        }
        let (prompt_tokens, completion_tokens) = usage(&json);
        let choice = json.get("choices").and_then(Value::as_array).and_then(|c| c.first());
        let delta_json = choice.and_then(|c| c.get("delta"));
        let delta = delta_json.and_then(|d| d.get("content")).and_then(Value::as_str).map(str::to_owned);
        let reasoning = delta_json.and_then(reasoning_of);
        let tools =
            delta_json.and_then(|d| d.get("tool_calls")).and_then(Value::as_array).map_or_else(Vec::new, |calls| {
                calls
                    .iter()
                    .map(|c| {
                        let f = c.get("function");
                        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
                        ToolDelta {
                            // Servers that stream whole calls sometimes leave the index out.
                            index: c.get("index").and_then(Value::as_u64),
                            id: text(c.get("id")),
                            name: text(f.and_then(|f| f.get("name"))),
                            arguments: text(f.and_then(|f| f.get("arguments"))).unwrap_or_default(),
                        }
                    })
                    .collect()
            });
        // A finish reason means the text is whole; some servers then close without `[DONE]`.
        let complete = choice.and_then(|c| c.get("finish_reason")).is_some_and(|r| !r.is_null());
        Ok(StreamStep { delta, reasoning, tools, prompt_tokens, completion_tokens, complete, done: false })
    }
}

fn usage(json: &Value) -> (Option<u64>, Option<u64>) {
    let usage = json.get("usage");
    let count = |name: &str| usage.and_then(|u| u.get(name)).and_then(Value::as_u64);
    (count("prompt_tokens"), count("completion_tokens"))
}

fn error_text(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .map_or_else(|| error.to_string(), str::to_owned)
}

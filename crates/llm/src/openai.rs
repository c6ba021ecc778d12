//! OpenAI's Chat Completions wire format, as spoken by OpenAI and by most local servers
//! (Ollama's `/v1`, LM Studio, llama.cpp's `llama-server`, vLLM), and by gateways (OpenRouter,
//! Groq, …).

use engine::ports::{ChatRequest, ChatResponse, Llm, LlmError, Role, Sensitive};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, StatusCode, Url};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::ConfigError;
use crate::base::Base;
use crate::transport::{
    Completion, Dialect, Framing, HttpSettings, Schema, StreamFault, StreamStep, Transport, json_f32,
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
    }
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
        let messages: Vec<Value> =
            request.messages.iter().map(|m| json!({ "role": role(m.role), "content": m.content })).collect();
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("stream".into(), json!(stream));
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
        Ok(Completion { content, prompt_tokens: prompt.unwrap_or(0), completion_tokens: completion.unwrap_or(0) })
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
        let delta = choice
            .and_then(|c| c.get("delta"))
            .and_then(|d| d.get("content"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        // A finish reason means the text is whole; some servers then close without `[DONE]`.
        let complete = choice.and_then(|c| c.get("finish_reason")).is_some_and(|r| !r.is_null());
        Ok(StreamStep { delta, prompt_tokens, completion_tokens, complete, done: false })
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

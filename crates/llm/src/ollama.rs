//! Ollama's native API (`/api/chat`, `/api/tags`). Preferred over Ollama's OpenAI-compatible
//! `/v1` because only the native API takes `num_ctx`: without it Ollama uses its small default
//! context and silently drops the start of long prompts.

use engine::ports::{ChatRequest, ChatResponse, Llm, LlmError, Sensitive};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, Url};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::ConfigError;
use crate::base::Base;
use crate::openai::{message_json, message_tool_calls, reasoning_of, tools_json};
use crate::transport::{
    Completion, Dialect, Framing, HttpSettings, Schema, StreamFault, StreamStep, ToolDelta, Transport, json_f32,
};

/// The context window sent as `options.num_ctx` unless set otherwise.
pub const DEFAULT_NUM_CTX: u32 = 8192;

/// A client for Ollama's `POST {base}/api/chat`.
///
/// Base URL rule: the server root, `http://localhost:11434`. A trailing slash, `/api`,
/// `/api/chat`, `/api/tags` or `/v1` (the OpenAI-compatible mount, a common paste) is removed;
/// any other path is kept (Ollama behind a reverse proxy at a sub-path).
#[derive(Debug, Clone)]
pub struct Ollama {
    transport: Transport,
    dialect: OllamaDialect,
}

#[derive(Debug, Clone)]
struct OllamaDialect {
    base: Base,
    chat_url: Url,
    model: String,
    num_ctx: u32,
    /// `Bearer …` for an Ollama behind an authenticating proxy; sensitive.
    auth: Option<HeaderValue>,
}

impl Ollama {
    /// A client for `model` at `base_url`, with `num_ctx` = [`DEFAULT_NUM_CTX`]. `key`, when
    /// given, is sent as a bearer token (Ollama itself needs none).
    pub fn new(
        base_url: &str,
        model: impl Into<String>,
        key: Option<Sensitive>,
        settings: HttpSettings,
    ) -> Result<Ollama, ConfigError> {
        let base = Base::parse(base_url, &["/api/chat", "/api/tags", "/api", "/v1"], "")?;
        let key = crate::clean_key(key);
        let auth = key.as_ref().map(|k| crate::header_value(&format!("Bearer {}", k.expose()))).transpose()?;
        let transport = Transport::new(base.url(), settings, key)?;
        let chat_url = base.join("api/chat");
        Ok(Ollama {
            transport,
            dialect: OllamaDialect { base, chat_url, model: model.into(), num_ctx: DEFAULT_NUM_CTX, auth },
        })
    }

    /// Sets the context window (`options.num_ctx`), in tokens.
    #[must_use]
    pub fn with_num_ctx(mut self, num_ctx: u32) -> Ollama {
        self.dialect.num_ctx = num_ctx.max(1);
        self
    }

    /// The same client, cancelled with `token` (see [`crate::OpenAiCompatible::with_cancel`]).
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> Ollama {
        self.transport.set_cancel(token);
        self
    }

    /// The normalised base URL (credentials left out).
    pub fn base_url(&self) -> String {
        self.dialect.base.display()
    }

    /// `GET {base}/api/tags`: the installed models. Not counted as a completion call.
    pub async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let json = self.transport.get_json(&self.dialect, self.dialect.base.join("api/tags")).await?;
        tag_names(&json)
            .ok_or_else(|| LlmError::Protocol { message: "the model list has no `models` array".to_owned(), calls: 0 })
    }
}

/// Names from `/api/tags` (`{"models":[{"name":…}]}`), shared with the local probe.
pub(crate) fn tag_names(json: &Value) -> Option<Vec<String>> {
    let models = json.get("models")?.as_array()?;
    Some(models.iter().filter_map(|m| m.get("name").or_else(|| m.get("model"))?.as_str().map(str::to_owned)).collect())
}

#[async_trait::async_trait]
impl Llm for Ollama {
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

impl OllamaDialect {
    /// One answer object: a whole non-streamed answer and every NDJSON line share this shape.
    fn read(&self, json: &Value) -> Result<StreamStep, StreamFault> {
        if let Some(error) = json.get("error") {
            let message = error.as_str().map_or_else(|| error.to_string(), str::to_owned);
            return Err(StreamFault::Provider { message, transient: false });
        }
        let done = json
            .get("done")
            .and_then(Value::as_bool)
            .ok_or_else(|| StreamFault::Malformed("an answer object has no `done` field".to_owned()))?;
        let message = json.get("message");
        let delta = message.and_then(|m| m.get("content")).and_then(Value::as_str).map(str::to_owned);
        // Ollama sends each tool call whole, arguments as an object, and without ids.
        let tools = message
            .map(message_tool_calls)
            .unwrap_or_default()
            .into_iter()
            .map(|c| ToolDelta { index: None, id: None, name: Some(c.name), arguments: c.arguments })
            .collect();
        Ok(StreamStep {
            delta,
            reasoning: message.and_then(reasoning_of),
            tools,
            prompt_tokens: json.get("prompt_eval_count").and_then(Value::as_u64),
            completion_tokens: json.get("eval_count").and_then(Value::as_u64),
            complete: done,
            done,
        })
    }
}

impl Dialect for OllamaDialect {
    fn describe(&self) -> String {
        format!("ollama {} at {}", self.model, self.base.display())
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
        let messages: Vec<Value> = request.messages.iter().map(|m| message_json(m, true)).collect();
        let mut options = Map::new();
        options.insert("num_ctx".into(), json!(self.num_ctx));
        if let Some(t) = request.temperature {
            options.insert("temperature".into(), json_f32(t));
        }
        if let Some(n) = request.max_tokens {
            options.insert("num_predict".into(), json!(n));
        }
        if !request.stop.is_empty() {
            options.insert("stop".into(), json!(request.stop));
        }
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("stream".into(), json!(stream));
        body.insert("options".into(), Value::Object(options));
        // Ollama has no `tool_choice`: a request that may not call tools offers none.
        if !request.tools.is_empty() && request.tool_choice == engine::ports::ToolChoice::Auto {
            body.insert("tools".into(), tools_json(request));
        }
        if let Some(schema) = schema {
            // Ollama (0.5+) constrains decoding to a JSON schema given as `format`.
            body.insert("format".into(), schema.value.clone());
        }
        Value::Object(body)
    }

    fn parse_body(&self, body: &[u8]) -> Result<Completion, String> {
        let json: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let step = self.read(&json).map_err(|fault| match fault {
            StreamFault::Malformed(m) => m,
            StreamFault::Provider { message, .. } => {
                format!("the provider reported an error: {message}")
            }
        })?;
        if !step.done {
            return Err("the answer is not marked done".to_owned());
        }
        let mut calls = crate::transport::ToolCalls::default();
        for d in step.tools {
            calls.push(d);
        }
        Ok(Completion {
            tool_calls: calls.finish(),
            reasoning: step.reasoning.unwrap_or_default(),
            think_open: false,
            content: step.delta.unwrap_or_default(),
            prompt_tokens: step.prompt_tokens.unwrap_or(0),
            completion_tokens: step.completion_tokens.unwrap_or(0),
        })
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn stream_event(&self, _event: &str, data: &str) -> Result<StreamStep, StreamFault> {
        let json: Value = serde_json::from_str(data)
            .map_err(|e| StreamFault::Malformed(format!("a stream line is not JSON: {e}")))?;
        self.read(&json)
    }
}

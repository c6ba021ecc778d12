//! What the two command-line binaries share (`catena`, the product, and `catena-bench`, the
//! measurement commands): the embedder flags and choosing the embedder from them, the mode and
//! protocol flags of a question, the keyring to compose a run with, and printing on stdout.
//! Behind the `cli` feature, so the desktop shell does not build clap.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use embed::download::{ModelStatus, model_status};
use embed::local::{DEFAULT_MODEL_NAME, LocalEmbedder};
use embed::{Embedder, ProviderEmbedder, ProviderOptions};
use engine::ports::Sensitive;
use engine::run::AgentProtocol;
use library::Library;
use llm::ProviderKind;
use secrets::SecretStore;
use serde_json::Value;

/// Which embedder semantic search uses. Global options: they apply to `search`, `ingest`,
/// `docs`, `ask` and the `embedding` commands alike.
#[derive(Args, Debug, Clone, Default)]
pub struct EmbedderArgs {
    /// The embedding model: `local` (all-MiniLM-L6-v2 in-process, the default),
    /// `ollama:MODEL` (Ollama's /api/embed) or `openai:MODEL` (an OpenAI-compatible
    /// /v1/embeddings; the key comes from CATENA_EMBEDDER_API_KEY).
    #[arg(long, global = true, env = "CATENA_EMBEDDER", value_name = "local|ollama:MODEL|openai:MODEL")]
    pub embedder: Option<String>,
    /// Base URL of the embedding provider (default: Ollama's or OpenAI's usual address).
    #[arg(long, global = true, env = "CATENA_EMBEDDER_URL", value_name = "URL")]
    pub embedder_url: Option<String>,
    /// Folder of the local embedding model. Default: `<data-dir>/models/all-MiniLM-L6-v2`
    /// (`catena embedding download` puts it there).
    #[arg(long, global = true, env = "CATENA_EMBEDDING_MODEL", value_name = "DIR")]
    pub embedding_model: Option<PathBuf>,
    /// Keyword search only: no embedding model is loaded and nothing is embedded.
    #[arg(long, global = true)]
    pub no_embeddings: bool,
}

impl EmbedderArgs {
    /// Keyword search only.
    pub fn keywords_only() -> EmbedderArgs {
        EmbedderArgs { no_embeddings: true, ..EmbedderArgs::default() }
    }

    /// The local model's folder.
    pub fn model_dir(&self, data_dir: &Path) -> PathBuf {
        match self.embedding_model.as_ref().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.clone(),
            None => data_dir.join("models").join(DEFAULT_MODEL_NAME),
        }
    }

    fn choice(&self) -> &str {
        self.embedder.as_deref().map(str::trim).filter(|e| !e.is_empty()).unwrap_or("local")
    }
}

/// Sets the library's embedder as the options say, or turns semantic search off with the reason
/// and what to do about it. Never fails: keyword search works whatever happens here.
pub async fn configure(lib: &Library, args: &EmbedderArgs, data_dir: &Path) {
    match embedder(args, data_dir).await {
        Ok(e) => lib.set_embedder(e),
        Err(reason) => lib.disable_semantic(reason),
    }
}

/// The embedder the options choose, or why there is none.
pub async fn embedder(args: &EmbedderArgs, data_dir: &Path) -> Result<Arc<dyn Embedder>, String> {
    if args.no_embeddings {
        return Err("turned off with --no-embeddings".to_owned());
    }
    let choice = args.choice();
    if choice.eq_ignore_ascii_case("local") {
        let dir = args.model_dir(data_dir);
        if let status @ (ModelStatus::Missing { .. } | ModelStatus::Partial { .. }) = model_status(&dir) {
            let what = match status {
                ModelStatus::Partial { .. } => "the embedding model download is incomplete",
                _ => "no embedding model",
            };
            return Err(format!(
                "{what} at {}: run `catena embedding download` to get all-MiniLM-L6-v2 (about 90 MB), \
                 or point --embedding-model at a folder that holds one",
                dir.display()
            ));
        }
        let loaded = tokio::task::spawn_blocking(move || LocalEmbedder::load(&dir))
            .await
            .map_err(|e| format!("cannot load the embedding model: {e}"))?;
        return loaded.map(|e| Arc::new(e) as Arc<dyn Embedder>).map_err(|e| e.to_string());
    }
    let key = std::env::var("CATENA_EMBEDDER_API_KEY").ok().filter(|k| !k.trim().is_empty()).map(Sensitive::new);
    let options = ProviderOptions { base_url: args.embedder_url.clone(), key, ..ProviderOptions::default() };
    ProviderEmbedder::from_model_id(choice, options)
        .map(|e| Arc::new(e) as Arc<dyn Embedder>)
        .map_err(|e| e.to_string())
}

/// How a question is answered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AskModeArg {
    /// Chain-of-Action: plan, run the steps, answer.
    Chain,
    /// A reasoning model acts from inside its thinking (AutoCoA).
    Agent,
}

impl From<AskModeArg> for crate::AskMode {
    fn from(m: AskModeArg) -> crate::AskMode {
        match m {
            AskModeArg::Chain => crate::AskMode::Chain,
            AskModeArg::Agent => crate::AskMode::Agent,
        }
    }
}

/// Agent mode: how the model asks for actions.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// By provider and model.
    Auto,
    /// AutoCoA's tags.
    Tags,
    /// Native tool calls.
    Tools,
}

impl ProtocolArg {
    /// The protocol this stands for with this provider and model.
    pub fn resolve(self, provider: ProviderKind, model: &str) -> AgentProtocol {
        match self {
            ProtocolArg::Auto => llm::auto_agent_protocol(provider, model),
            ProtocolArg::Tags => AgentProtocol::Tags,
            ProtocolArg::Tools => AgentProtocol::Tools,
        }
    }
}

impl From<ProtocolArg> for crate::AgentProtocolChoice {
    fn from(a: ProtocolArg) -> crate::AgentProtocolChoice {
        match a {
            ProtocolArg::Auto => crate::AgentProtocolChoice::Auto,
            ProtocolArg::Tags => crate::AgentProtocolChoice::Tags,
            ProtocolArg::Tools => crate::AgentProtocolChoice::Tools,
        }
    }
}

/// Prints a line on stdout. A closed pipe (`catena docs | head`) ends the program quietly, as
/// it does for other Unix tools, instead of panicking.
pub fn say(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{s}").is_err() {
        std::process::exit(0);
    }
}

/// Prints one JSON document on stdout.
pub fn print_json(v: &Value) {
    say(&serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()));
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), when the OS tells it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The user's keyring, or where there is none (an invalid `CATENA_KEYRING_NAMESPACE`) a store
/// that holds nothing, with the reason to show.
pub fn key_store() -> (Arc<dyn SecretStore>, Option<String>) {
    match crate::keys::key_store() {
        Ok(store) => (Arc::new(store), None),
        Err(e) => (Arc::new(crate::keys::NoKeys), Some(format!("no API key from the keyring: {e}"))),
    }
}

/// Whether an error comes from a full disk (an OS "no space left" anywhere in the chain, or
/// SQLite's "database or disk is full"); tantivy flattens the OS error into its message.
pub fn disk_full(e: &anyhow::Error) -> bool {
    let full_io = |c: &(dyn std::error::Error + 'static)| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
    };
    e.chain().any(full_io) || {
        let text = format!("{e:#}");
        text.contains("No space left on device") || text.contains("database or disk is full")
    }
}

/// Whether an error is a write the catalog refused because it was opened read-only.
pub fn read_only_refusal(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<store::StoreError>().is_some_and(store::StoreError::is_read_only)
            || c.downcast_ref::<library::LibraryError>()
                .is_some_and(|l| matches!(l, library::LibraryError::Store(s) if s.is_read_only()))
    })
}

/// A stable name for what went wrong in the library, for scripts reading
/// `{"error": {"code": …}}` from either binary; `error` when nothing more specific is known.
pub fn error_code(e: &anyhow::Error) -> &'static str {
    use library::LibraryError;
    if read_only_refusal(e) {
        return "read_only";
    }
    if disk_full(e) {
        return "disk_full";
    }
    for cause in e.chain() {
        if let Some(l) = cause.downcast_ref::<LibraryError>() {
            return match l {
                LibraryError::Busy(_) => "busy",
                LibraryError::DataDir { .. } => "data_dir",
                LibraryError::IndexMissing { .. } => "index_missing",
                LibraryError::IndexDamaged { .. } => "index_damaged",
                LibraryError::Store(_) => "catalog",
                LibraryError::Index(_) => "index",
                LibraryError::NotFound(_) => "not_found",
                LibraryError::NoSource(_) => "no_source",
                LibraryError::NotAFolder(_) => "not_a_folder",
                LibraryError::ReadOnly | LibraryError::ReadOnlyDir(_) => "read_only",
                LibraryError::Internal(_) => "internal",
            };
        }
        if cause.downcast_ref::<store::StoreError>().is_some() {
            return "catalog";
        }
        if cause.downcast_ref::<crate::SettingsError>().is_some() {
            return "invalid_setting";
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return "io";
        }
    }
    "error"
}

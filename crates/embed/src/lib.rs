//! Sentence embeddings for semantic search.
//!
//! One trait, [`Embedder`], with two kinds of implementation: the in-process default model
//! (`local`, all-MiniLM-L6-v2 on the CPU) and provider APIs (`provider`: Ollama's `/api/embed`
//! and OpenAI-compatible `/v1/embeddings`). `download` fetches the default model into the data
//! directory; `vectors` holds quantized vectors in memory and searches them.
//!
//! This crate knows nothing of the catalog or the text index: the `library` crate stores vectors
//! and keeps them consistent with the rest of the library.

use std::fmt;

pub mod download;
mod encoder;
mod http;
pub mod local;
pub mod provider;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod vectors;

pub use download::{
    DownloadOptions, DownloadProgress, ModelFile, ModelSpec, ModelStatus, download_model, model_status, model_status_of,
};
pub use http::HttpSettings;
pub use provider::{ProviderEmbedder, ProviderKind, ProviderOptions};
pub use vectors::{VectorHit, VectorSet, dequantize, quantize};

/// Whether a text is a search query or a passage to be found. Some models embed the two
/// differently (instruction prefixes); symmetric models ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A question or search box input.
    Query,
    /// A chunk of a document.
    Passage,
}

/// Errors from embedding. Messages are lowercase and say what was attempted.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model files are missing or unreadable.
    #[error("embedding model not available: {0}")]
    ModelMissing(String),
    /// The model files are present but cannot be used.
    #[error("embedding model is invalid: {0}")]
    InvalidModel(String),
    /// A provider could not be reached or answered with an error.
    #[error("embedding provider error: {0}")]
    Provider(String),
    /// The operation was refused because Catena is offline.
    #[error("offline: {0}")]
    Offline(String),
    /// A download failed.
    #[error("download failed: {0}")]
    Download(String),
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Something else went wrong while computing embeddings.
    #[error("embedding failed: {0}")]
    Compute(String),
}

/// Names the model that made a vector. Vectors of two different `ModelId`s are never compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId(pub String);

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turns texts into unit-length vectors of a fixed dimension.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync {
    /// The model's stable identity, e.g. `local:all-MiniLM-L6-v2` or `ollama:nomic-embed-text`.
    fn model_id(&self) -> ModelId;
    /// The vector dimension (known after the first call for providers; `None` until then).
    fn dims(&self) -> Option<usize>;
    /// Embeds a batch; returns one L2-normalised vector per text, in order.
    async fn embed(&self, texts: &[String], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError>;
}

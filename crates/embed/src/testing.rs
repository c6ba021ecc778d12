//! Test support: where the real default model lives on a developer's machine and in CI.
//!
//! `scripts/setup` installs all-MiniLM-L6-v2 into `<workspace>/.models/all-MiniLM-L6-v2/`
//! from its registry package; `CATENA_TEST_EMBEDDING_MODEL` points tests at another folder.

use std::path::{Path, PathBuf};

use crate::local::DEFAULT_MODEL_NAME;

/// The environment variable that overrides the test model folder.
pub const TEST_MODEL_ENV: &str = "CATENA_TEST_EMBEDDING_MODEL";

/// The folder of the model tests embed with: `CATENA_TEST_EMBEDDING_MODEL` when set, otherwise
/// `<workspace>/.models/all-MiniLM-L6-v2`.
///
/// # Panics
///
/// When the folder has no `model.safetensors`, with a message that says to run
/// `scripts/setup`: a test that needs the model fails rather than passing without it.
pub fn test_model_dir() -> PathBuf {
    let dir = match std::env::var_os(TEST_MODEL_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_test_model_dir(),
    };
    if !dir.join("model.safetensors").is_file() {
        panic!(
            "the embedding model for tests is missing at {}: run scripts/setup \
             (or set {TEST_MODEL_ENV} to a sentence-transformers model folder)",
            dir.display()
        );
    }
    dir
}

/// `<workspace>/.models/all-MiniLM-L6-v2`, found from this crate's manifest directory.
fn default_test_model_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/embed -> the workspace root.
    let root = manifest.parent().and_then(Path::parent).unwrap_or(manifest);
    root.join(".models").join(DEFAULT_MODEL_NAME)
}

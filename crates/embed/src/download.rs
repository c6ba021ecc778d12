//! Downloading the default embedding model once into a folder of the data directory.
//!
//! Each file is written to `<name>.part`; when a `.part` is already there (an interrupted or
//! cancelled download) the download resumes with an HTTP `Range` request, and starts over when
//! the server ignores the range. A finished file is checked against its SHA-256 before it is
//! renamed into place, so a file under its own name is always a verified one; a file that fails
//! the check is deleted. With `offline` set nothing is requested: the call succeeds only when
//! the model is already installed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::EmbedError;
use crate::http::{self, HttpSettings};

/// Progress is reported at most once per this many bytes (and at the end of each file).
const PROGRESS_STEP: u64 = 256 * 1024;

/// One file of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    /// The file name, both on the server (under the base URL) and in the model folder.
    pub name: String,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// A downloadable model: where its files are and what they must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// A short name for messages, e.g. `all-MiniLM-L6-v2`.
    pub name: String,
    /// The URL each file name is appended to (after a `/`).
    pub base_url: String,
    /// The files, downloaded in this order.
    pub files: Vec<ModelFile>,
}

impl ModelSpec {
    /// `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0) from its public home: the BERT
    /// configuration, the tokenizer and the safetensors weights, about 91 MB in all.
    pub fn all_minilm_l6_v2() -> ModelSpec {
        let file = |name: &str, size: u64, sha256: &str| ModelFile {
            name: name.to_owned(),
            size: Some(size),
            sha256: sha256.to_owned(),
        };
        ModelSpec {
            name: "all-MiniLM-L6-v2".to_owned(),
            base_url: "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main".to_owned(),
            files: vec![
                file("config.json", 612, "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
                file("tokenizer.json", 466_247, "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
                file(
                    "model.safetensors",
                    90_868_376,
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                ),
            ],
        }
    }

    /// The bytes of all files, when every size is known.
    pub fn total_size(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }
}

impl Default for ModelSpec {
    fn default() -> ModelSpec {
        ModelSpec::all_minilm_l6_v2()
    }
}

/// How to download.
#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// Replaces [`ModelSpec::base_url`] (a mirror, or a test server).
    pub base_url: Option<String>,
    /// Request nothing: succeed only if the model is already installed.
    pub offline: bool,
    /// Timeouts and retries. A broken or failed transfer is retried (resuming) up to
    /// `max_attempts` times per file.
    pub http: HttpSettings,
}

/// Where a download stands, reported while a file is transferred and when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadProgress {
    /// The file being downloaded.
    pub file: String,
    /// Its position in the model's file list, from 0.
    pub index: usize,
    /// How many files the model has.
    pub files: usize,
    /// Bytes of this file on disk so far (a resumed download starts above 0).
    pub done: u64,
    /// The file's size, when known.
    pub total: Option<u64>,
}

/// Whether a model folder holds a usable model, for saying why semantic search is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    /// Every file is present with its expected size.
    Ready,
    /// Nothing usable is there; `reason` says what is missing, in a sentence.
    Missing {
        /// What is missing or wrong.
        reason: String,
    },
    /// A download was started and not finished; `bytes` are on disk (finished files and
    /// `.part` files together).
    Partial {
        /// Bytes downloaded so far.
        bytes: u64,
    },
}

/// The state of the default model ([`ModelSpec::all_minilm_l6_v2`]) in `dir`.
pub fn model_status(dir: &Path) -> ModelStatus {
    model_status_of(&ModelSpec::default(), dir)
}

/// The state of `spec`'s model in `dir`. Sizes are checked, hashes are not (the download
/// verified them before installing each file).
pub fn model_status_of(spec: &ModelSpec, dir: &Path) -> ModelStatus {
    if !dir.is_dir() {
        return ModelStatus::Missing { reason: format!("the model folder {} does not exist", dir.display()) };
    }
    let mut bytes = 0u64;
    let mut missing = Vec::new();
    for file in &spec.files {
        let path = dir.join(&file.name);
        match std::fs::metadata(&path) {
            Ok(meta) if file.size.is_none_or(|size| size == meta.len()) => bytes += meta.len(),
            Ok(meta) => {
                return ModelStatus::Missing {
                    reason: format!(
                        "{} in {} has {} bytes instead of {}",
                        file.name,
                        dir.display(),
                        meta.len(),
                        file.size.unwrap_or_default()
                    ),
                };
            }
            Err(_) => {
                missing.push(file.name.as_str());
                if let Ok(meta) = std::fs::metadata(part_path(dir, &file.name)) {
                    bytes += meta.len();
                }
            }
        }
    }
    if missing.is_empty() {
        ModelStatus::Ready
    } else if bytes > 0 {
        ModelStatus::Partial { bytes }
    } else {
        ModelStatus::Missing {
            reason: format!("{} {} missing from {}", missing.join(", "), plural(missing.len()), dir.display()),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

/// Downloads `spec`'s files into `dest` (created if needed), skipping files already installed
/// and resuming `.part` files. `progress` hears about every file; setting `cancel` stops the
/// download at the next piece of data with [`EmbedError::Cancelled`], leaving the `.part` file
/// for a later resume.
///
/// With `opts.offline` nothing is requested: it succeeds when the model is already complete and
/// fails with [`EmbedError::Offline`] otherwise.
pub async fn download_model(
    spec: &ModelSpec,
    dest: &Path,
    opts: &DownloadOptions,
    progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<(), EmbedError> {
    if opts.offline {
        return match model_status_of(spec, dest) {
            ModelStatus::Ready => Ok(()),
            _ => Err(EmbedError::Offline(format!(
                "downloading the embedding model {} needs the network; nothing was requested",
                spec.name
            ))),
        };
    }
    let base_raw = opts.base_url.as_deref().unwrap_or(&spec.base_url);
    let base = http::parse_base(base_raw)
        .map_err(|e| EmbedError::Download(format!("cannot download the embedding model {}: {e}", spec.name)))?;
    let client = http::client(&base, &opts.http)
        .map_err(|e| EmbedError::Download(format!("cannot set up the HTTP client: {e}")))?;
    tokio::fs::create_dir_all(dest)
        .await
        .map_err(|e| EmbedError::Download(format!("cannot create the model folder {}: {e}", dest.display())))?;
    let job =
        Job { client: &client, base: &base, dest, settings: &opts.http, progress, cancel, files: spec.files.len() };
    for (index, file) in spec.files.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(EmbedError::Cancelled);
        }
        job.file(index, file).await?;
    }
    Ok(())
}

/// What every file's download shares.
struct Job<'a> {
    client: &'a reqwest::Client,
    base: &'a Url,
    dest: &'a Path,
    settings: &'a HttpSettings,
    progress: &'a (dyn Fn(DownloadProgress) + Send + Sync),
    cancel: &'a AtomicBool,
    files: usize,
}

/// How a transfer attempt ended without a complete file.
enum Fail {
    /// Worth another attempt (resuming from what is on disk).
    Retry { message: String, retry_after: Option<Duration> },
    /// Final.
    Fatal(EmbedError),
}

impl Job<'_> {
    fn report(&self, index: usize, file: &ModelFile, done: u64, total: Option<u64>) {
        (self.progress)(DownloadProgress { file: file.name.clone(), index, files: self.files, done, total });
    }

    async fn file(&self, index: usize, file: &ModelFile) -> Result<(), EmbedError> {
        let target = self.dest.join(&file.name);
        let part = part_path(self.dest, &file.name);
        if let Ok(meta) = tokio::fs::metadata(&target).await {
            if file.size.is_none_or(|s| s == meta.len()) && sha256_file(&target).await? == file.sha256 {
                self.report(index, file, meta.len(), Some(meta.len()));
                return Ok(());
            }
            // A file under its own name that does not verify was not installed by us; it is
            // replaced.
            remove(&target).await?;
        }
        let max_attempts = self.settings.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.transfer(index, file, &part).await {
                Ok(()) => break,
                Err(Fail::Fatal(e)) => return Err(e),
                Err(Fail::Retry { message, retry_after }) => {
                    let wait = (attempt < max_attempts).then(|| self.settings.retry_wait(attempt, retry_after));
                    match wait.flatten() {
                        Some(wait) => {
                            tracing::warn!(file = %file.name, attempt, error = %message, "retrying a model download");
                            tokio::time::sleep(wait).await;
                        }
                        None => {
                            let tries = if attempt > 1 { format!(" after {attempt} attempts") } else { String::new() };
                            return Err(EmbedError::Download(format!(
                                "downloading {} failed{tries}: {message}; the partial file is kept and the next download resumes it",
                                file.name
                            )));
                        }
                    }
                }
            }
        }
        let got = sha256_file(&part).await?;
        if got != file.sha256 {
            remove(&part).await?;
            return Err(EmbedError::Download(format!(
                "{} failed its checksum (expected sha256 {}, got {got}); the downloaded file was deleted",
                file.name, file.sha256
            )));
        }
        tokio::fs::rename(&part, &target).await.map_err(|e| {
            EmbedError::Download(format!("cannot move {} into place in {}: {e}", file.name, self.dest.display()))
        })?;
        Ok(())
    }

    /// One attempt: brings `part` to the file's full length, resuming when it has bytes.
    async fn transfer(&self, index: usize, file: &ModelFile, part: &Path) -> Result<(), Fail> {
        let mut offset = tokio::fs::metadata(part).await.map(|m| m.len()).unwrap_or(0);
        if let Some(size) = file.size {
            if offset == size {
                // Complete already (cancelled or cut between the last byte and the rename).
                self.report(index, file, offset, Some(size));
                return Ok(());
            }
            if offset > size {
                remove(part).await.map_err(Fail::Fatal)?;
                offset = 0;
            }
        }
        let url = http::join(self.base, &file.name);
        let mut request = self.client.get(url);
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }
        let send = tokio::time::timeout(self.settings.request_timeout, request.send());
        let response = tokio::select! {
            biased;
            () = cancelled(self.cancel) => return Err(Fail::Fatal(EmbedError::Cancelled)),
            sent = send => match sent {
                Err(_) => return Err(retry("the server did not answer in time".to_owned(), None)),
                Ok(Err(e)) => return Err(retry(format!("the request failed: {}", http::error_chain(&e)), None)),
                Ok(Ok(response)) => response,
            },
        };
        let status = response.status();
        let resumed = match status {
            StatusCode::PARTIAL_CONTENT if offset > 0 => {
                let start =
                    response.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).and_then(content_range_start);
                if start != Some(offset) {
                    // Not the range asked for: start over rather than splice wrong bytes.
                    remove(part).await.map_err(Fail::Fatal)?;
                    return Err(retry("the server answered a different range than asked; starting over".into(), None));
                }
                true
            }
            s if s.is_success() => false,
            StatusCode::RANGE_NOT_SATISFIABLE => {
                // The part is as long as (or longer than) the file: its checksum decides.
                return Ok(());
            }
            s => {
                let retry_after = http::retry_after(response.headers());
                let message = http::provider_message(&http::error_body(response).await);
                let described =
                    if message.is_empty() { format!("HTTP {s}") } else { format!("HTTP {}: {message}", s.as_u16()) };
                return Err(if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() {
                    retry(described, retry_after)
                } else {
                    Fail::Fatal(EmbedError::Download(format!("cannot download {}: {described}", file.name)))
                });
            }
        };
        let total = file.size.or_else(|| response.content_length().map(|n| if resumed { n + offset } else { n }));
        let mut out = if resumed {
            tokio::fs::OpenOptions::new().append(true).open(part).await
        } else {
            // A server that ignores `Range` sends the whole file: start over.
            offset = 0;
            tokio::fs::File::create(part).await
        }
        .map_err(|e| Fail::Fatal(EmbedError::Download(format!("cannot write {}: {e}", part.display()))))?;
        self.report(index, file, offset, total);
        let mut done = offset;
        let mut reported = offset;
        let mut response = response;
        let outcome = loop {
            let next = tokio::select! {
                biased;
                () = cancelled(self.cancel) => break Err(Fail::Fatal(EmbedError::Cancelled)),
                next = tokio::time::timeout(self.settings.idle_timeout, response.chunk()) => next,
            };
            let chunk = match next {
                Err(_) => break Err(retry("the transfer stalled".to_owned(), None)),
                Ok(Err(e)) => break Err(retry(format!("the transfer broke: {}", http::error_chain(&e)), None)),
                Ok(Ok(None)) => break Ok(()),
                Ok(Ok(Some(chunk))) => chunk,
            };
            if let Err(e) = out.write_all(&chunk).await {
                break Err(Fail::Fatal(EmbedError::Download(format!("cannot write {}: {e}", part.display()))));
            }
            done += chunk.len() as u64;
            if let Some(size) = file.size
                && done > size
            {
                drop(out);
                remove(part).await.map_err(Fail::Fatal)?;
                return Err(Fail::Fatal(EmbedError::Download(format!(
                    "{} is larger than the expected {size} bytes; the downloaded file was deleted",
                    file.name
                ))));
            }
            if done - reported >= PROGRESS_STEP {
                reported = done;
                self.report(index, file, done, total);
            }
        };
        // Whatever happened, what was received stays on disk for the next attempt.
        let flushed = async {
            out.flush().await?;
            out.sync_all().await
        }
        .await;
        outcome?;
        flushed.map_err(|e| Fail::Fatal(EmbedError::Download(format!("cannot write {}: {e}", part.display()))))?;
        if let Some(size) = file.size
            && done < size
        {
            return Err(retry(format!("the server sent {done} of {size} bytes"), None));
        }
        self.report(index, file, done, total.or(Some(done)));
        Ok(())
    }
}

fn retry(message: String, retry_after: Option<Duration>) -> Fail {
    Fail::Retry { message, retry_after }
}

/// Resolves once `flag` is set, checking it every 50 ms.
async fn cancelled(flag: &AtomicBool) {
    while !flag.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `bytes START-END/TOTAL` → START.
fn content_range_start(value: &str) -> Option<u64> {
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

fn part_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.part"))
}

async fn remove(path: &Path) -> Result<(), EmbedError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EmbedError::Download(format!("cannot remove {}: {e}", path.display()))),
    }
}

/// The SHA-256 of a file, lowercase hex, computed off the async threads.
async fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    let owned = path.to_path_buf();
    let digest = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    })
    .await
    .map_err(|e| EmbedError::Download(format!("cannot check {}: {e}", path.display())))?;
    digest.map_err(|e| EmbedError::Download(format!("cannot check {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_starts_are_read() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes 0-0/*"), Some(0));
        assert_eq!(content_range_start("items 1-2"), None);
    }

    #[test]
    fn the_default_model_is_all_minilm() {
        let spec = ModelSpec::default();
        assert_eq!(spec.files.len(), 3);
        assert_eq!(spec.total_size(), Some(612 + 466_247 + 90_868_376));
        assert!(spec.files.iter().all(|f| f.sha256.len() == 64));
    }
}

//! The in-process default embedder: a sentence-transformers BERT model (all-MiniLM-L6-v2 by
//! default) run on the CPU through candle.
//!
//! A model folder holds `config.json` (the BERT configuration), `tokenizer.json` (a Hugging Face
//! tokenizer) and `model.safetensors` (the weights); `sentence_bert_config.json`, when present,
//! sets the token limit (256 otherwise). A text is cut to that many tokens, run through the
//! encoder, mean-pooled over its real tokens (the attention mask) and scaled to unit length, as
//! sentence-transformers does for this family of models.
//!
//! The forward pass is CPU-bound, so [`LocalEmbedder::embed`](crate::Embedder::embed) runs it on
//! a blocking thread inside a private thread pool of at most [`MAX_THREADS`] threads; texts are
//! sorted by token count and cut into batches of similar length, so little time goes on padding.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use tokenizers::{Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::encoder::QuickEncoder;
use crate::{EmbedError, Embedder, ModelId, TextKind};

/// The folder name of the default model, and the name its vectors are recorded under.
pub const DEFAULT_MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// The most threads one embedder computes on, however many cores the machine has.
pub const MAX_THREADS: usize = 2;

/// The token limit when the folder does not state one (sentence-transformers' default for
/// all-MiniLM-L6-v2).
const DEFAULT_MAX_TOKENS: usize = 256;

/// The most tokens (texts × padded length) in one forward pass. Bounds the attention scores of
/// a batch (batch × heads × length² floats) to about 50 MB at 256 tokens a text.
const TOKENS_PER_BATCH: usize = 4096;

/// The most texts in one forward pass, for short texts.
const MAX_BATCH: usize = 64;

/// Texts of at most this many tokens (a question, a heading) are embedded one at a time by the
/// [`QuickEncoder`]; longer ones in padded batches through candle, which is faster per token
/// once the matrices are large.
const QUICK_MAX_TOKENS: usize = 48;

/// The files a model folder must hold.
const CONFIG_FILE: &str = "config.json";
const TOKENIZER_FILE: &str = "tokenizer.json";
const WEIGHTS_FILE: &str = "model.safetensors";
const SENTENCE_CONFIG_FILE: &str = "sentence_bert_config.json";

/// A sentence-embedding model loaded into memory, ready to embed on the CPU.
///
/// Cheap to clone: clones share the weights and the thread pool.
#[derive(Clone)]
pub struct LocalEmbedder {
    inner: Arc<Inner>,
    /// Whether short texts go through the quick encoder (always, except to measure it).
    quick: bool,
}

struct Inner {
    id: ModelId,
    dir: PathBuf,
    model: BertModel,
    /// The same weights run one short text at a time (a search's question); `None` for a model
    /// it does not know.
    quick: Option<QuickEncoder>,
    tokenizer: Tokenizer,
    pool: rayon::ThreadPool,
    dims: usize,
    max_tokens: usize,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("id", &self.inner.id)
            .field("dir", &self.inner.dir)
            .field("dims", &self.inner.dims)
            .field("max_tokens", &self.inner.max_tokens)
            .finish_non_exhaustive()
    }
}

/// The part of `sentence_bert_config.json` we use.
#[derive(Deserialize)]
struct SentenceConfig {
    max_seq_length: Option<usize>,
}

impl LocalEmbedder {
    /// Loads the model in `dir` (`config.json`, `tokenizer.json`, `model.safetensors`).
    ///
    /// Reads and checks every file up front (about 90 MB of weights for the default model), so
    /// a model that loads can embed. A missing folder or file is [`EmbedError::ModelMissing`]
    /// naming the path; a file that cannot be parsed, or weights that do not fit the
    /// configuration, are [`EmbedError::InvalidModel`].
    pub fn load(dir: &Path) -> Result<LocalEmbedder, EmbedError> {
        if !dir.is_dir() {
            return Err(EmbedError::ModelMissing(format!("no model folder at {}", dir.display())));
        }
        let config_bytes = read_model_file(dir, CONFIG_FILE)?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| {
            EmbedError::InvalidModel(format!(
                "cannot read the model configuration {}: {e}",
                dir.join(CONFIG_FILE).display()
            ))
        })?;
        let max_tokens = read_max_tokens(dir)?.min(config.max_position_embeddings);
        if max_tokens < 2 {
            return Err(EmbedError::InvalidModel(format!(
                "the model in {} allows fewer than 2 tokens a text",
                dir.display()
            )));
        }

        let tokenizer_bytes = read_model_file(dir, TOKENIZER_FILE)?;
        let tokenizer = load_tokenizer(&tokenizer_bytes, max_tokens).map_err(|e| {
            EmbedError::InvalidModel(format!("cannot load the tokenizer {}: {e}", dir.join(TOKENIZER_FILE).display()))
        })?;

        let weights_path = dir.join(WEIGHTS_FILE);
        let weights = read_model_file(dir, WEIGHTS_FILE)?;
        let (model, quick) = load_weights(weights, &config).map_err(|e| {
            EmbedError::InvalidModel(format!("cannot load the model weights {}: {e}", weights_path.display()))
        })?;

        let threads = std::thread::available_parallelism().map_or(1, usize::from).min(MAX_THREADS);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("catena-embed-{i}"))
            .build()
            .map_err(|e| EmbedError::Compute(format!("cannot start the embedding threads: {e}")))?;

        Ok(LocalEmbedder {
            quick: true,
            inner: Arc::new(Inner {
                id: model_id_for(dir),
                dir: dir.to_path_buf(),
                model,
                quick,
                tokenizer,
                pool,
                dims: config.hidden_size,
                max_tokens,
            }),
        })
    }

    /// The same embedder with the quick one-text encoder for short texts on or off. It is on
    /// by default; off, every text runs through candle's batched forward pass — there to
    /// measure one against the other (`embed_bench`).
    pub fn with_quick_encoder(mut self, on: bool) -> LocalEmbedder {
        self.quick = on;
        self
    }

    /// The folder the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The most tokens of a text that count; the rest of a longer text is ignored.
    pub fn max_tokens(&self) -> usize {
        self.inner.max_tokens
    }

    /// Embeds `texts` on the calling thread (inside the embedder's thread pool). Blocks for as
    /// long as the forward passes take; async code should call [`Embedder::embed`] instead.
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inner = &self.inner;
        let quick = if self.quick { inner.quick.as_ref() } else { None };
        inner.pool.install(|| inner.embed_all(texts, quick))
    }
}

#[async_trait::async_trait]
impl Embedder for LocalEmbedder {
    fn model_id(&self) -> ModelId {
        self.inner.id.clone()
    }

    fn dims(&self) -> Option<usize> {
        Some(self.inner.dims)
    }

    /// Symmetric model: queries and passages are embedded alike, so `kind` is ignored.
    async fn embed(&self, texts: &[String], _kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let this = self.clone();
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || this.embed_blocking(&texts))
            .await
            .map_err(|e| EmbedError::Compute(format!("the embedding thread stopped: {e}")))?
    }
}

impl Inner {
    /// Tokenizes every text, runs batches of similar length and puts the vectors back in the
    /// order of `texts`.
    fn embed_all(&self, texts: &[String], quick: Option<&QuickEncoder>) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = match texts {
            // One text (a search's question): no parallel batch to set up.
            [text] => self.tokenizer.encode(text.as_str(), true).map(|e| vec![e]),
            _ => self.tokenizer.encode_batch(texts.iter().map(String::as_str).collect::<Vec<_>>(), true),
        }
        .map_err(|e| EmbedError::Compute(format!("cannot tokenize the texts: {e}")))?;

        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        if let Some(quick) = quick {
            for (vector, encoding) in vectors.iter_mut().zip(&encodings) {
                if encoding.len() <= QUICK_MAX_TOKENS {
                    *vector = quick.embed(encoding.get_ids());
                }
            }
        }
        let mut order: Vec<usize> = (0..encodings.len()).filter(|&i| vectors[i].is_none()).collect();
        order.sort_by_key(|&i| encodings[i].len());

        let mut start = 0;
        while start < order.len() {
            // Sorted ascending, so the last text of a batch is its longest.
            let mut end = start + 1;
            while end < order.len() && end - start < MAX_BATCH {
                let longest = encodings[order[end]].len().max(1);
                if (end + 1 - start) * longest > TOKENS_PER_BATCH {
                    break;
                }
                end += 1;
            }
            let batch: Vec<&Encoding> = order[start..end].iter().map(|&i| &encodings[i]).collect();
            let batch_vectors =
                self.forward(&batch).map_err(|e| EmbedError::Compute(format!("cannot run the model: {e}")))?;
            for (&i, v) in order[start..end].iter().zip(batch_vectors) {
                vectors[i] = Some(v);
            }
            start = end;
        }
        vectors
            .into_iter()
            .map(|v| v.ok_or_else(|| EmbedError::Compute("a text was left without a vector".into())))
            .collect()
    }

    /// One forward pass over a batch: pads to its longest text, mean-pools over the attention
    /// mask and L2-normalises.
    fn forward(&self, batch: &[&Encoding]) -> candle_core::Result<Vec<Vec<f32>>> {
        let device = &Device::Cpu;
        let len = batch.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let n = batch.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for encoding in batch {
            let real = encoding.len();
            ids.extend_from_slice(encoding.get_ids());
            ids.extend(std::iter::repeat_n(0u32, len - real));
            mask.extend(std::iter::repeat_n(1u32, real));
            mask.extend(std::iter::repeat_n(0u32, len - real));
        }
        let ids = Tensor::from_vec(ids, (n, len), device)?;
        let mask = Tensor::from_vec(mask, (n, len), device)?;
        let token_types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &token_types, Some(&mask))?;

        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
        mean.broadcast_div(&norms)?.to_vec2::<f32>()
    }
}

/// `local:<folder name>`: the default model's folder gives `local:all-MiniLM-L6-v2`.
fn model_id_for(dir: &Path) -> ModelId {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_MODEL_NAME.to_owned());
    ModelId(format!("local:{name}"))
}

/// Reads a required file of the model folder.
fn read_model_file(dir: &Path, name: &str) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            EmbedError::ModelMissing(format!("{} is missing", path.display()))
        } else {
            EmbedError::ModelMissing(format!("cannot read {}: {e}", path.display()))
        }
    })
}

/// The token limit from `sentence_bert_config.json`, or the default when there is none.
fn read_max_tokens(dir: &Path) -> Result<usize, EmbedError> {
    let path = dir.join(SENTENCE_CONFIG_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DEFAULT_MAX_TOKENS),
        Err(e) => {
            return Err(EmbedError::ModelMissing(format!("cannot read {}: {e}", path.display())));
        }
    };
    let config: SentenceConfig = serde_json::from_slice(&bytes)
        .map_err(|e| EmbedError::InvalidModel(format!("cannot read {}: {e}", path.display())))?;
    Ok(config.max_seq_length.unwrap_or(DEFAULT_MAX_TOKENS))
}

/// Parses the tokenizer and sets it to cut texts at `max_tokens` (special tokens included)
/// without padding; batches are padded by the embedder.
fn load_tokenizer(bytes: &[u8], max_tokens: usize) -> tokenizers::Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_bytes(bytes)?;
    tokenizer.with_padding(None);
    tokenizer.with_truncation(Some(TruncationParams {
        max_length: max_tokens,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
        direction: TruncationDirection::Right,
    }))?;
    Ok(tokenizer)
}

/// Parses the safetensors weights and builds the BERT encoder from them, and the quick encoder
/// for short texts over the same tensors.
fn load_weights(weights: Vec<u8>, config: &Config) -> candle_core::Result<(BertModel, Option<QuickEncoder>)> {
    let device = Device::Cpu;
    let tensors: HashMap<String, Tensor> = candle_core::safetensors::load_buffer(&weights, &device)?;
    drop(weights);
    let quick = QuickEncoder::new(&tensors, config);
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
    Ok((BertModel::load(vb, config)?, quick))
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::testing::test_model_dir;

    /// One loaded model shared by the tests that only embed.
    fn model() -> &'static LocalEmbedder {
        static MODEL: OnceLock<LocalEmbedder> = OnceLock::new();
        MODEL.get_or_init(|| LocalEmbedder::load(&test_model_dir()).expect("load the test model"))
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn norm(a: &[f32]) -> f32 {
        a.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| (*t).to_owned()).collect()
    }

    async fn embed(texts: &[&str]) -> Vec<Vec<f32>> {
        model().embed(&strings(texts), TextKind::Passage).await.expect("embed")
    }

    /// A folder of symbolic links to the test model's files, less `skip`, so tests can break
    /// one file without copying 90 MB.
    fn linked_model(name: &str, skip: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        for entry in std::fs::read_dir(test_model_dir()).unwrap() {
            let entry = entry.unwrap();
            let file_name = entry.file_name();
            if skip.iter().any(|s| file_name == *s) {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), dir.join(&file_name)).unwrap();
        }
        (tmp, dir)
    }

    fn load_err(dir: &Path) -> EmbedError {
        match LocalEmbedder::load(dir) {
            Ok(_) => panic!("{} loaded although it is broken", dir.display()),
            Err(e) => e,
        }
    }

    #[derive(Deserialize)]
    struct Reference {
        sentences: Vec<ReferenceSentence>,
    }

    #[derive(Deserialize)]
    struct ReferenceSentence {
        text: String,
        tokens: usize,
        vector: Vec<f32>,
    }

    #[tokio::test]
    async fn vectors_match_an_independent_implementation_of_the_model() {
        let reference: Reference =
            serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/minilm_reference.json")))
                .unwrap();
        let texts: Vec<String> = reference.sentences.iter().map(|s| s.text.clone()).collect();
        // All in one call, so batching and padding are part of what is checked.
        let vectors = model().embed(&texts, TextKind::Passage).await.unwrap();
        assert_eq!(vectors.len(), reference.sentences.len());
        for (got, want) in vectors.iter().zip(&reference.sentences) {
            assert_eq!(got.len(), 384);
            assert_eq!(want.vector.len(), 384);
            let cos = cosine(got, &want.vector);
            assert!(cos >= 0.999, "cosine {cos} for {:?}", want.text);
            let worst = got.iter().zip(&want.vector).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 2e-3, "component off by {worst} for {:?}", want.text);
            let encoding = model().inner.tokenizer.encode(want.text.as_str(), true).unwrap();
            assert_eq!(encoding.len(), want.tokens, "token count of {:?}", want.text);
        }
    }

    #[test]
    fn short_texts_get_the_same_vectors_from_both_encoders() {
        // Lengths on both sides of the quick encoder's limit, one token, and an odd length.
        let words = "the trustee's accounting year begins in July and closes at the end of June each year";
        let mut texts: Vec<String> =
            (1..=words.split(' ').count()).map(|n| words.split(' ').take(n).collect::<Vec<_>>().join(" ")).collect();
        texts.push(format!("{words} {words} {words}"));
        texts.push("Ünïcödé — 3.5 km² (≈ 2 mi²)?".to_owned());
        let quick = model().clone().embed_blocking(&texts).unwrap();
        let batched = model().clone().with_quick_encoder(false).embed_blocking(&texts).unwrap();
        let mut short = 0;
        for ((a, b), text) in quick.iter().zip(&batched).zip(&texts) {
            let tokens = model().inner.tokenizer.encode(text.as_str(), true).unwrap().len();
            short += usize::from(tokens <= QUICK_MAX_TOKENS);
            assert!((norm(a) - 1.0).abs() < 1e-4, "not unit length for {text:?}");
            let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "component off by {worst} for {text:?} ({tokens} tokens)");
        }
        assert!(short >= texts.len() - 2, "the quick encoder was not used for most texts");
        assert!(model().inner.quick.is_some(), "the default model has no quick encoder");
    }

    #[tokio::test]
    async fn a_question_in_other_words_finds_its_passage() {
        let v = embed(&[
            "How much did the train trip cost?",
            "TRAVEL EXPENSES: TRAIN FARE Washington to New York, round trip ........ 618.00",
            "The committee approved the minutes of the previous meeting without amendment.",
            "The mitochondria is the powerhouse of the cell.",
            "When does the trustee's accounting year start?",
            "The fiscal year of the trust begins on July 1 and ends on June 30.",
        ])
        .await;
        let (fare_q, fare, minutes, cell) = (&v[0], &v[1], &v[2], &v[3]);
        assert!(cosine(fare_q, fare) > cosine(fare_q, minutes) + 0.1);
        assert!(cosine(fare_q, fare) > cosine(fare_q, cell) + 0.1);
        let (year_q, year) = (&v[4], &v[5]);
        assert!(cosine(year_q, year) > cosine(year_q, fare));
        assert!(cosine(year_q, year) > cosine(year_q, minutes));
        assert!(cosine(year_q, year) > cosine(year_q, cell));
    }

    #[tokio::test]
    async fn case_does_not_change_the_meaning() {
        let v = embed(&[
            "Who signed the lease for the warehouse on Elm Street?",
            "WHO SIGNED THE LEASE FOR THE WAREHOUSE ON ELM STREET?",
        ])
        .await;
        assert!(cosine(&v[0], &v[1]) > 0.99);
    }

    #[tokio::test]
    async fn vectors_are_unit_length_and_in_the_order_given() {
        let texts = [
            "a",
            "A considerably longer sentence about the budget of the regional transport authority.",
            "",
            "short one",
        ];
        let together = embed(&texts).await;
        assert_eq!(together.len(), texts.len());
        for (text, v) in texts.iter().zip(&together) {
            assert_eq!(v.len(), 384);
            assert!((norm(v) - 1.0).abs() < 1e-4, "norm of {text:?}");
            // Each text alone (no padding) gives the same vector as in the padded batch.
            let alone = embed(&[text]).await;
            assert!(cosine(v, &alone[0]) > 0.9999, "batching changed {text:?}");
        }
        assert!(cosine(&together[1], &together[3]) < 0.99);
    }

    #[tokio::test]
    async fn many_texts_of_mixed_length_keep_their_own_vectors() {
        // Enough texts for several batches; the longest sort last, the order must survive.
        let texts: Vec<String> = (0..90)
            .map(|i| {
                let words = 1 + (i * 37) % 40;
                format!("Item {i}: {}", "ledger entry ".repeat(words))
            })
            .collect();
        let all = model().embed(&texts, TextKind::Passage).await.unwrap();
        assert_eq!(all.len(), texts.len());
        for i in [0usize, 1, 2, 45, 89] {
            let alone = model().embed(&texts[i..=i], TextKind::Passage).await.unwrap();
            assert!(cosine(&all[i], &alone[0]) > 0.9999, "text {i} changed");
        }
    }

    #[tokio::test]
    async fn text_past_the_token_limit_is_ignored() {
        let body = "The auditors examined the ledger, the receipts and the bank statements. ".repeat(40);
        let v = embed(&[
            &format!("{body} The pension fund lost money."),
            &format!("{body} Our cat sleeps on the piano."),
            "The pension fund lost money.",
        ])
        .await;
        assert!(model().max_tokens() == 256);
        assert!(cosine(&v[0], &v[1]) > 0.9999);
        assert!(cosine(&v[0], &v[2]) < 0.9);
    }

    #[tokio::test]
    async fn queries_and_passages_embed_alike_and_empty_input_gives_nothing() {
        let text = strings(&["Where is the annual report filed?"]);
        let q = model().embed(&text, TextKind::Query).await.unwrap();
        let p = model().embed(&text, TextKind::Passage).await.unwrap();
        assert!(cosine(&q[0], &p[0]) > 0.9999);
        assert!(model().embed(&[], TextKind::Query).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn concurrent_calls_each_get_their_own_answer() {
        let a = strings(&["The invoice was paid in March."]);
        let b = strings(&["Penguins live in the southern hemisphere."]);
        let m = model().clone();
        let (va, vb) = tokio::join!(m.embed(&a, TextKind::Passage), model().embed(&b, TextKind::Passage));
        let (va, vb) = (va.unwrap(), vb.unwrap());
        assert!(cosine(&va[0], &embed(&["The invoice was paid in March."]).await[0]) > 0.9999);
        assert!(cosine(&vb[0], &embed(&["Penguins live in the southern hemisphere."]).await[0]) > 0.9999);
    }

    #[test]
    fn the_model_is_named_after_its_folder() {
        assert_eq!(model().model_id(), ModelId("local:all-MiniLM-L6-v2".into()));
        assert_eq!(model().dims(), Some(384));
        let (_tmp, dir) = linked_model("my-minilm", &[]);
        let other = LocalEmbedder::load(&dir).unwrap();
        assert_eq!(other.model_id().to_string(), "local:my-minilm");
        assert_eq!(other.dir(), dir);
    }

    #[test]
    fn a_missing_folder_or_file_is_reported_with_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        let absent = tmp.path().join("no-such-model");
        match load_err(&absent) {
            EmbedError::ModelMissing(msg) => assert!(msg.contains("no-such-model"), "{msg}"),
            other => panic!("expected ModelMissing, got {other:?}"),
        }
        for file in [WEIGHTS_FILE, TOKENIZER_FILE, CONFIG_FILE] {
            let (_tmp, dir) = linked_model("partial", &[file]);
            match load_err(&dir) {
                EmbedError::ModelMissing(msg) => {
                    assert!(msg.contains(&*dir.join(file).to_string_lossy()), "{msg}")
                }
                other => panic!("expected ModelMissing for {file}, got {other:?}"),
            }
        }
    }

    #[test]
    fn corrupt_files_are_invalid_models() {
        let real_weights = std::fs::read(test_model_dir().join(WEIGHTS_FILE)).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (CONFIG_FILE, b"{\"hidden_size\": ".to_vec()),
            (CONFIG_FILE, b"{\"hidden_size\": 384}".to_vec()),
            (TOKENIZER_FILE, b"not a tokenizer".to_vec()),
            (WEIGHTS_FILE, vec![0xAB; 4096]),
            // A download cut short: the header promises tensors the file does not hold.
            (WEIGHTS_FILE, real_weights[..real_weights.len() / 2].to_vec()),
            (SENTENCE_CONFIG_FILE, b"[1, 2".to_vec()),
        ];
        for (file, bytes) in cases {
            let (_tmp, dir) = linked_model("broken", &[file]);
            std::fs::write(dir.join(file), &bytes).unwrap();
            match load_err(&dir) {
                EmbedError::InvalidModel(msg) => {
                    assert!(msg.contains(file), "{file}: {msg}")
                }
                other => panic!("expected InvalidModel for a corrupt {file}, got {other:?}"),
            }
        }
    }

    #[test]
    fn weights_of_another_shape_are_an_invalid_model() {
        // The real weights under a configuration of a larger model.
        let (_tmp, dir) = linked_model("mismatched", &[CONFIG_FILE]);
        let config = std::fs::read_to_string(test_model_dir().join(CONFIG_FILE))
            .unwrap()
            .replace("\"hidden_size\": 384", "\"hidden_size\": 768");
        assert!(config.contains("768"));
        std::fs::write(dir.join(CONFIG_FILE), config).unwrap();
        assert!(matches!(load_err(&dir), EmbedError::InvalidModel(_)));
    }
}

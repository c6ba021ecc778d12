//! The BERT encoder for one short text at a time: a search's question.
//!
//! candle runs the model for batches of passages well, but a question of a dozen tokens spends
//! most of its time in what a general matrix product does around the arithmetic: the weights are
//! repacked on every call (about 40 % of a question's time in a profile) and the work is handed
//! between threads for matrices too small to share. This encoder reads the same weights in place
//! (candle's tensors, borrowed, never copied) in their stored `[out, in]` layout, multiplies
//! small tiles of tokens × weight rows with SIMD chosen at run time (`pulp`: AVX-512, AVX2+FMA or
//! portable code) and runs on the calling thread. The arithmetic is the model's own — the same
//! layers, exact-erf GELU, mean pooling and scaling — so its vectors agree with candle's to
//! rounding (checked by the tests), and passage vectors made by either are comparable.

use std::collections::HashMap;

use candle_core::{DType, Storage, StorageRef, Tensor};
use candle_transformers::models::bert::{Config, HiddenAct, PositionEmbeddingType};
use pulp::{Arch, Simd, WithSimd};

/// Tensors per encoder layer, in [`LAYER_PARTS`] order.
const PER_LAYER: usize = 16;

/// The tensors of one layer, relative to `encoder.layer.N.`.
const LAYER_PARTS: [&str; PER_LAYER] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];

/// The embedding tensors, before the layers.
const EMBEDDING_PARTS: [&str; 5] = [
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight",
    "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias",
];

/// A BERT encoder that embeds one tokenized text on the calling thread.
pub(crate) struct QuickEncoder {
    /// Every weight, in `EMBEDDING_PARTS` then `LAYER_PARTS` order per layer; shares storage
    /// with the candle model.
    tensors: Vec<Tensor>,
    hidden: usize,
    intermediate: usize,
    heads: usize,
    layers: usize,
    max_positions: usize,
    vocab: usize,
    eps: f32,
    act: Activation,
    arch: Arch,
}

#[derive(Clone, Copy)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl QuickEncoder {
    /// Takes the model's tensors (the same map candle's model was built from). `None` when the
    /// model is not a plain BERT this encoder knows (another prefix, position scheme or shape):
    /// then every text goes through candle.
    pub(crate) fn new(tensors: &HashMap<String, Tensor>, config: &Config) -> Option<QuickEncoder> {
        if config.position_embedding_type != PositionEmbeddingType::Absolute
            || config.num_attention_heads == 0
            || !config.hidden_size.is_multiple_of(config.num_attention_heads)
        {
            return None;
        }
        let (h, i) = (config.hidden_size, config.intermediate_size);
        let prefixes = std::iter::once(String::new()).chain(config.model_type.iter().map(|t| format!("{t}.")));
        for prefix in prefixes {
            let find = |name: &str, shape: &[usize]| -> Option<Tensor> {
                let t = tensors.get(&format!("{prefix}{name}"))?;
                (t.dtype() == DType::F32 && t.dims() == shape && t.layout().is_contiguous()).then(|| t.clone())
            };
            let mut found = Vec::with_capacity(EMBEDDING_PARTS.len() + PER_LAYER * config.num_hidden_layers);
            let embedding_shapes: [&[usize]; 5] = [
                &[config.vocab_size, h],
                &[config.max_position_embeddings, h],
                &[config.type_vocab_size, h],
                &[h],
                &[h],
            ];
            let layer_shapes: [&[usize]; PER_LAYER] = [
                &[h, h],
                &[h],
                &[h, h],
                &[h],
                &[h, h],
                &[h],
                &[h, h],
                &[h],
                &[h],
                &[h],
                &[i, h],
                &[i],
                &[h, i],
                &[h],
                &[h],
                &[h],
            ];
            let mut complete = config.type_vocab_size > 0;
            for (name, shape) in EMBEDDING_PARTS.iter().zip(embedding_shapes) {
                match find(name, shape) {
                    Some(t) => found.push(t),
                    None => complete = false,
                }
            }
            for layer in 0..config.num_hidden_layers {
                for (part, shape) in LAYER_PARTS.iter().zip(layer_shapes) {
                    match find(&format!("encoder.layer.{layer}.{part}"), shape) {
                        Some(t) => found.push(t),
                        None => complete = false,
                    }
                }
            }
            if complete {
                return Some(QuickEncoder {
                    tensors: found,
                    hidden: h,
                    intermediate: i,
                    heads: config.num_attention_heads,
                    layers: config.num_hidden_layers,
                    max_positions: config.max_position_embeddings,
                    vocab: config.vocab_size,
                    eps: config.layer_norm_eps as f32,
                    act: match config.hidden_act {
                        HiddenAct::Gelu => Activation::GeluErf,
                        HiddenAct::GeluApproximate => Activation::GeluTanh,
                        HiddenAct::Relu => Activation::Relu,
                    },
                    arch: Arch::new(),
                });
            }
        }
        None
    }

    /// The mean-pooled, unit-length vector of one text's token ids (special tokens included, no
    /// padding). `None` for an empty text, an id outside the vocabulary or more tokens than the
    /// model has positions for.
    pub(crate) fn embed(&self, ids: &[u32]) -> Option<Vec<f32>> {
        let m = ids.len();
        if m == 0 || m > self.max_positions {
            return None;
        }
        let guards: Vec<(StorageRef<'_>, (usize, usize))> = self
            .tensors
            .iter()
            .map(|t| {
                let (storage, layout) = t.storage_and_layout();
                layout.contiguous_offsets().map(|span| (storage, span))
            })
            .collect::<Option<_>>()?;
        let w: Vec<&[f32]> = guards
            .iter()
            .map(|(storage, (start, end))| match &**storage {
                Storage::Cpu(cpu) => cpu.as_slice::<f32>().ok().and_then(|s| s.get(*start..*end)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let h = self.hidden;

        // Embeddings: word + position + token type 0, then layer norm.
        let mut x = vec![0.0f32; m * h];
        for (t, (&id, row)) in ids.iter().zip(x.chunks_exact_mut(h)).enumerate() {
            let id = id as usize;
            if id >= self.vocab {
                return None;
            }
            let word = &w[0][id * h..(id + 1) * h];
            let position = &w[1][t * h..(t + 1) * h];
            let token_type = &w[2][..h];
            for (((r, a), b), c) in row.iter_mut().zip(word).zip(position).zip(token_type) {
                *r = a + b + c;
            }
        }
        layer_norm(&mut x, h, w[3], w[4], self.eps);

        let mut q = vec![0.0f32; m * h];
        let mut k = vec![0.0f32; m * h];
        let mut v = vec![0.0f32; m * h];
        let mut context = vec![0.0f32; m * h];
        let mut projected = vec![0.0f32; m * h];
        let mut up = vec![0.0f32; m * self.intermediate];
        for layer in 0..self.layers {
            let p = &w[EMBEDDING_PARTS.len() + layer * PER_LAYER..][..PER_LAYER];
            self.linear(&x, h, p[0], p[1], &mut q, None);
            self.linear(&x, h, p[2], p[3], &mut k, None);
            self.linear(&x, h, p[4], p[5], &mut v, None);
            attention(&q, &k, &v, m, self.heads, h / self.heads, &mut context);
            self.linear(&context, h, p[6], p[7], &mut projected, None);
            for (a, b) in projected.iter_mut().zip(&x) {
                *a += b;
            }
            layer_norm(&mut projected, h, p[8], p[9], self.eps);
            std::mem::swap(&mut x, &mut projected);

            self.linear(&x, h, p[10], p[11], &mut up, Some(self.act));
            self.linear(&up, self.intermediate, p[12], p[13], &mut projected, None);
            for (a, b) in projected.iter_mut().zip(&x) {
                *a += b;
            }
            layer_norm(&mut projected, h, p[14], p[15], self.eps);
            std::mem::swap(&mut x, &mut projected);
        }

        // Mean over the tokens, scaled to unit length.
        let mut pooled = vec![0.0f32; h];
        for row in x.chunks_exact(h) {
            for (p, v) in pooled.iter_mut().zip(row) {
                *p += v;
            }
        }
        let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12 * m as f32);
        pooled.iter_mut().for_each(|v| *v /= norm);
        Some(pooled)
    }

    /// `out[t][o] = bias[o] + Σ_k x[t][k] · weight[o][k]` for every token row `t` of `x`, then
    /// `act` on each output when given.
    ///
    /// Inside a rayon pool of two or more threads (the embedder's), a large enough product is
    /// split by weight rows between two threads: each reads half of the weights, which is what
    /// bounds a short text's time as much as the arithmetic does.
    fn linear(&self, x: &[f32], inputs: usize, weight: &[f32], bias: &[f32], out: &mut [f32], act: Option<Activation>) {
        let outputs = bias.len();
        let tokens = x.len() / inputs.max(1);
        let half = outputs / 2 / WEIGHT_TILE * WEIGHT_TILE;
        let run = |weight: &[f32], bias: &[f32], out: &mut [f32]| {
            self.arch.dispatch(Linear { x, inputs, weight, bias, out: &mut *out });
            if let Some(act) = act {
                activate(out, act);
            }
        };
        if rayon::current_num_threads() < 2 || half == 0 || tokens * inputs * outputs < SPLIT_MIN_PRODUCTS {
            run(weight, bias, out);
            return;
        }
        let (weight_a, weight_b) = weight.split_at(half * inputs);
        let (bias_a, bias_b) = bias.split_at(half);
        let mut out_a = vec![0.0f32; tokens * half];
        let mut out_b = vec![0.0f32; tokens * (outputs - half)];
        rayon::join(|| run(weight_a, bias_a, &mut out_a), || run(weight_b, bias_b, &mut out_b));
        for ((row, a), b) in
            out.chunks_exact_mut(outputs).zip(out_a.chunks_exact(half)).zip(out_b.chunks_exact(outputs - half))
        {
            let (left, right) = row.split_at_mut(half);
            left.copy_from_slice(a);
            right.copy_from_slice(b);
        }
    }
}

/// One linear layer over a few token rows, as a [`WithSimd`] operation.
struct Linear<'a> {
    x: &'a [f32],
    inputs: usize,
    weight: &'a [f32],
    bias: &'a [f32],
    out: &'a mut [f32],
}

/// The smallest product (tokens × inputs × outputs) worth splitting between two threads.
const SPLIT_MIN_PRODUCTS: usize = 1 << 20;

/// Token rows multiplied together against each block of weight rows.
const TOKEN_TILE: usize = 4;
/// Weight rows in one block: with four token rows, twelve accumulators and the loaded operands
/// fit the sixteen vector registers of AVX2.
const WEIGHT_TILE: usize = 3;

impl WithSimd for Linear<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Linear { x, inputs, weight, bias, out } = self;
        let outputs = bias.len();
        let rows: Vec<(&[S::f32s], &[f32])> = x.chunks_exact(inputs).map(S::as_simd_f32s).collect();
        let weights: Vec<(&[S::f32s], &[f32])> = weight.chunks_exact(inputs).map(S::as_simd_f32s).collect();
        // Weight blocks outside, token blocks inside: each weight row is read from memory once
        // per call, while the few token rows stay in the core's cache.
        let mut o = 0;
        while o < outputs {
            let n = (outputs - o).min(WEIGHT_TILE);
            let block = &weights[o..o + n];
            let mut t = 0;
            while t < rows.len() {
                let r = (rows.len() - t).min(TOKEN_TILE);
                let tokens = &rows[t..t + r];
                match (r, n) {
                    (4, 3) => store(tile::<S, 4, 3>(simd, tokens, block), t, o, outputs, bias, out),
                    (4, 2) => store(tile::<S, 4, 2>(simd, tokens, block), t, o, outputs, bias, out),
                    (4, _) => store(tile::<S, 4, 1>(simd, tokens, block), t, o, outputs, bias, out),
                    (3, 3) => store(tile::<S, 3, 3>(simd, tokens, block), t, o, outputs, bias, out),
                    (2, 3) => store(tile::<S, 2, 3>(simd, tokens, block), t, o, outputs, bias, out),
                    (1, 3) => store(tile::<S, 1, 3>(simd, tokens, block), t, o, outputs, bias, out),
                    _ => {
                        for (ti, row) in tokens.iter().enumerate() {
                            for (oi, wrow) in block.iter().enumerate() {
                                let sums = tile::<S, 1, 1>(simd, std::slice::from_ref(row), std::slice::from_ref(wrow));
                                store(sums, t + ti, o + oi, outputs, bias, out);
                            }
                        }
                    }
                }
                t += r;
            }
            o += n;
        }
    }
}

/// Writes a tile's sums plus the bias into `out` at token row `t`, output column `o`.
#[inline(always)]
fn store<const T: usize, const O: usize>(
    sums: [[f32; O]; T],
    t: usize,
    o: usize,
    outputs: usize,
    bias: &[f32],
    out: &mut [f32],
) {
    for (ti, row) in sums.iter().enumerate() {
        let base = (t + ti) * outputs + o;
        for (oi, sum) in row.iter().enumerate() {
            out[base + oi] = sum + bias[o + oi];
        }
    }
}

/// The dot products of `T` token rows with `O` weight rows (each split into SIMD lanes and a
/// scalar tail of equal lengths).
#[inline(always)]
fn tile<S: Simd, const T: usize, const O: usize>(
    simd: S,
    tokens: &[(&[S::f32s], &[f32])],
    weights: &[(&[S::f32s], &[f32])],
) -> [[f32; O]; T] {
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; O]; T];
    let lanes = tokens[0].0.len();
    let xs: [&[S::f32s]; T] = std::array::from_fn(|t| &tokens[t].0[..lanes]);
    let ws: [&[S::f32s]; O] = std::array::from_fn(|o| &weights[o].0[..lanes]);
    for c in 0..lanes {
        let wc: [S::f32s; O] = std::array::from_fn(|o| ws[o][c]);
        for t in 0..T {
            let xc = xs[t][c];
            for o in 0..O {
                acc[t][o] = simd.mul_add_e_f32s(xc, wc[o], acc[t][o]);
            }
        }
    }
    let mut sums = [[0.0f32; O]; T];
    for t in 0..T {
        for o in 0..O {
            let tail: f32 = tokens[t].1.iter().zip(weights[o].1).map(|(a, b)| a * b).sum();
            sums[t][o] = simd.reduce_sum_f32s(acc[t][o]) + tail;
        }
    }
    sums
}

/// Scaled dot-product attention of every token over all tokens (a single text has no padding),
/// head by head; `q`, `k`, `v` and `out` are `m × heads·head_dim`.
fn attention(q: &[f32], k: &[f32], v: &[f32], m: usize, heads: usize, head_dim: usize, out: &mut [f32]) {
    let h = heads * head_dim;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let mut scores = vec![0.0f32; m];
    for head in 0..heads {
        let at = |t: usize| {
            let start = t * h + head * head_dim;
            start..start + head_dim
        };
        for i in 0..m {
            let qi = &q[at(i)];
            let mut max = f32::NEG_INFINITY;
            for (j, s) in scores.iter_mut().enumerate() {
                let kj = &k[at(j)];
                *s = qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>() * scale;
                max = max.max(*s);
            }
            let mut total = 0.0;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                total += *s;
            }
            let range = at(i);
            let row = &mut out[range];
            row.fill(0.0);
            for (j, s) in scores.iter().enumerate() {
                let p = s / total;
                for (o, val) in row.iter_mut().zip(&v[at(j)]) {
                    *o += p * val;
                }
            }
        }
    }
}

/// Layer norm over each row of `x`, in place.
fn layer_norm(x: &mut [f32], width: usize, weight: &[f32], bias: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / width as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(weight).zip(bias) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// The feed-forward activation, in place.
fn activate(x: &mut [f32], act: Activation) {
    match act {
        Activation::GeluErf => {
            x.iter_mut().for_each(|v| *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2)))
        }
        Activation::GeluTanh => x.iter_mut().for_each(|v| {
            let inner = 0.797_884_6 * (*v + 0.044_715 * *v * *v * *v);
            *v = 0.5 * *v * (1.0 + inner.tanh());
        }),
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
    }
}

/// The error function by Abramowitz & Stegun's 7.1.26 (1.5e-7 in exact arithmetic, within 1e-6
/// in f32 — below what GELU's output resolves), at a fraction of a full-precision erf's cost.
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_74, 1.421_413_8, -1.453_152_1, 1.061_405_4];
    let z = x.abs();
    let t = 1.0 / (1.0 + P * z);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let y = 1.0 - poly * (-z * z).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::erf;

    #[test]
    fn erf_agrees_with_a_full_precision_erf() {
        let mut worst = 0.0f32;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((erf(x) - candle_core::cpu::erf::erf_f32(x)).abs());
        }
        assert!(worst < 1e-6, "erf off by {worst}");
        assert!(erf(0.0).abs() < 1e-6, "erf(0) = {}", erf(0.0));
        assert!((erf(-1.0) + erf(1.0)).abs() < 1e-7);
    }
}

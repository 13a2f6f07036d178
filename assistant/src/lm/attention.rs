//! Self-attention after the q/k/v projections, on plain slices: per-head
//! norms, rotary positions, the KV cache and the softmax-weighted sum.
//!
//! Written as loops rather than candle ops because at one token per step
//! these tensors are a few hundred floats: some 25 candle calls per layer
//! (reshapes, transposes, casts, concatenating the cache) cost more in
//! dispatch than the arithmetic, and the second thread idles meanwhile.

use half::f16;

/// Head counts of one model.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
}

/// How a head's dimensions are paired for rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Dimension `i` with `i + head_dim / 2` (GPT-NeoX; qwen, gemma).
    Halves,
    /// Dimension `2i` with `2i + 1` (llama).
    Interleaved,
}

/// Cosines and sines `[seq][head_dim / 2]` for consecutive positions.
#[derive(Debug, Clone)]
pub struct Rotary {
    pub cos: Vec<f32>,
    pub sin: Vec<f32>,
    pub half: usize,
}

impl Rotary {
    /// Rotates every head of `x` (`[seq][heads][head_dim]`) in place.
    pub fn apply(&self, x: &mut [f32], head_dim: usize, style: RopeStyle) {
        let half = self.half;
        let seq_stride = x.len() / (self.cos.len() / half);
        for (t, token) in x.chunks_exact_mut(seq_stride).enumerate() {
            let (cos, sin) = (&self.cos[t * half..(t + 1) * half], &self.sin[t * half..(t + 1) * half]);
            for head in token.chunks_exact_mut(head_dim) {
                for i in 0..half {
                    let (a, b) = match style {
                        RopeStyle::Halves => (i, i + half),
                        RopeStyle::Interleaved => (2 * i, 2 * i + 1),
                    };
                    let (x0, x1) = (head[a], head[b]);
                    head[a] = x0 * cos[i] - x1 * sin[i];
                    head[b] = x1 * cos[i] + x0 * sin[i];
                }
            }
        }
    }
}

/// RMS norm of every `weight.len()` values of `x`, in place.
pub fn rms_norm_each(x: &mut [f32], weight: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(weight.len()) {
        // ggml's order of operations: scale by the reciprocal, then weigh.
        let scale = 1.0 / (row.iter().map(|v| v * v).sum::<f32>() / row.len() as f32 + eps).sqrt();
        for (v, w) in row.iter_mut().zip(weight) {
            *v = (*v * scale) * w;
        }
    }
}

/// One layer's keys and values, `[position][kv_head][head_dim]`, held as f16
/// values widened to f32: llama.cpp's cache precision (greedy parity), read
/// without converting the whole cache at every step.
#[derive(Debug, Default)]
pub struct KvCache {
    keys: Vec<f32>,
    values: Vec<f32>,
}

impl KvCache {
    pub fn truncate(&mut self, positions: usize, heads: Heads) {
        let len = positions * heads.n_kv_head * heads.head_dim;
        self.keys.truncate(len);
        self.values.truncate(len);
    }

    /// Appends keys and values `[seq][kv_head][head_dim]`.
    pub fn push(&mut self, keys: &[f32], values: &[f32]) {
        let through_f16 = |v: &f32| f16::from_f32(*v).to_f32();
        self.keys.extend(keys.iter().map(through_f16));
        self.values.extend(values.iter().map(through_f16));
    }
}

/// Attention of queries `[seq][n_head][head_dim]`, the first at `position`,
/// over the cache (which already holds their own keys): query `i` sees the
/// keys at or before `position + i`, and with a `window` only the last
/// `window` of them. Returns `[seq][n_head][head_dim]`. The tokens of a
/// prompt are shared out among candle's threads (a 480-token prompt spent
/// 14 % of its time here on one thread).
pub fn attend(queries: &[f32], cache: &KvCache, position: usize, heads: Heads, window: Option<usize>) -> Vec<f32> {
    let width = heads.n_head * heads.head_dim;
    let seq = queries.len() / width;
    let mut out = vec![0f32; seq * width];
    let out_at = out.as_mut_ptr() as usize;
    let token = |t: usize, weights: &mut Vec<f32>| {
        // SAFETY: token `t` alone writes its `width` outputs, inside `out`.
        let output = unsafe { std::slice::from_raw_parts_mut((out_at as *mut f32).add(t * width), width) };
        attend_one(&queries[t * width..][..width], output, cache, position + t, heads, window, weights);
    };
    match seq {
        1 => token(0, &mut Vec::new()),
        _ => candle_core::utils::barrier_pool().execute_chunked(seq, |tokens| {
            let mut weights = Vec::new();
            tokens.for_each(|t| token(t, &mut weights));
        }),
    }
    out
}

/// One token's attention (at position `at`), every head.
fn attend_one(
    query: &[f32],
    output: &mut [f32],
    cache: &KvCache,
    at: usize,
    heads: Heads,
    window: Option<usize>,
    weights: &mut Vec<f32>,
) {
    let Heads { n_head, n_kv_head, head_dim } = heads;
    let group = n_head / n_kv_head;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let kv_stride = n_kv_head * head_dim;
    let first = window.map_or(0, |w| (at + 1).saturating_sub(w));
    for (h, (q, o)) in query.chunks_exact(head_dim).zip(output.chunks_exact_mut(head_dim)).enumerate() {
        let offset = (h / group) * head_dim;
        let key = |j: usize| &cache.keys[j * kv_stride + offset..][..head_dim];
        let value = |j: usize| &cache.values[j * kv_stride + offset..][..head_dim];
        weights.clear();
        weights.extend((first..=at).map(|j| dot(q, key(j)) * scale));
        softmax(weights);
        for (j, w) in (first..=at).zip(weights.iter()) {
            for (o, v) in o.iter_mut().zip(value(j)) {
                *o += w * v;
            }
        }
    }
}

/// Sum of products with 64 independent partial sums: the compiler keeps them
/// in four SIMD registers, so that the additions do not wait on each other (a
/// single running sum cannot be reordered), and adds them up pairwise.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 64;
    let ((a_blocks, a_tail), (b_blocks, b_tail)) = (a.as_chunks::<LANES>(), b.as_chunks::<LANES>());
    let mut sums = [0f32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for i in 0..LANES {
            sums[i] += x[i] * y[i];
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            sums[i] += sums[i + width];
        }
    }
    sums[0] + a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum::<f32>()
}

fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADS: Heads = Heads { n_head: 2, n_kv_head: 1, head_dim: 2 };

    /// A cache whose key `j` points at angle `j` and whose value `j` is `(j, 0)`.
    fn cache(positions: usize) -> KvCache {
        let mut cache = KvCache::default();
        for j in 0..positions {
            let angle = j as f32;
            cache.push(&[angle.cos(), angle.sin()], &[j as f32, 0.0]);
        }
        cache
    }

    #[test]
    fn a_window_hides_old_keys_and_no_query_sees_the_future() {
        let cache = cache(4);
        // Two queries (positions 2 and 3), two heads each, that see their keys equally.
        let queries = vec![0.0; 2 * 2 * 2];
        let out = attend(&queries, &cache, 2, HEADS, Some(2));
        // Equal weights over the visible values: keys 1, 2 then keys 2, 3.
        assert_eq!(out, vec![1.5, 0.0, 1.5, 0.0, 2.5, 0.0, 2.5, 0.0]);
        let causal = attend(&queries[..4], &cache, 0, HEADS, None);
        assert_eq!(causal, vec![0.0; 4]);
    }

    #[test]
    fn a_query_attends_most_to_the_key_it_points_at() {
        let cache = cache(3);
        let angle = 2.0f32;
        let query = [10.0 * angle.cos(), 10.0 * angle.sin()];
        let out = attend(&[query, query].concat(), &cache, 2, HEADS, None);
        assert!(out[0] > 1.8, "{out:?}");
    }

    #[test]
    fn rotation_by_halves_and_interleaved_keeps_the_norm_and_turns_the_pair() {
        let quarter = std::f32::consts::FRAC_PI_2;
        let rotary = Rotary { cos: vec![quarter.cos()], sin: vec![quarter.sin()], half: 1 };
        for style in [RopeStyle::Halves, RopeStyle::Interleaved] {
            let mut x = [1.0, 0.0];
            rotary.apply(&mut x, 2, style);
            assert!((x[0]).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6, "{style:?}: {x:?}");
        }
    }

    #[test]
    fn cache_truncates_to_a_prefix_and_rounds_through_f16() {
        let mut cache = cache(3);
        cache.push(&[0.1, 0.2], &[0.3, 0.4]);
        assert_eq!(cache.keys.len(), 4 * 2);
        assert_eq!(cache.keys[6], f16::from_f32(0.1).to_f32());
        cache.truncate(1, HEADS);
        assert_eq!((cache.keys.len(), cache.values.len()), (2, 2));
    }

    #[test]
    fn dot_equals_the_plain_sum() {
        let a: Vec<f32> = (0..137).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..137).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3 * plain.abs());
    }
}

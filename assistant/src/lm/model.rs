//! One decoder-only transformer for the GGUF architectures we run (qwen2,
//! qwen3, gemma3, llama), following llama.cpp's graphs.
//!
//! Written here rather than taken from candle-transformers so that:
//! - the embedding table stays quantized and rows are gathered on demand
//!   (candle's loaders turn Gemma's 262k×640 table into 670 MB of f32);
//! - the KV cache can be cut back to a prompt prefix shared by the next request;
//! - Gemma 3 matches llama.cpp (GELU feed-forward, sliding-window layers);
//!   candle-transformers 0.11's Gemma 3 uses SiLU and drifts from the first token.

use std::borrow::Cow;
use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;

use candle_core::quantized::{gguf_file::Content, GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Tensor};

use super::quant::{self, q5_0, q8_0};
use super::{GgufFile, LmError};

/// Architectures this build can run.
pub const ARCHITECTURES: [&str; 4] = ["qwen2", "qwen3", "gemma3", "llama"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Architecture {
    Qwen2,
    Qwen3,
    Gemma3,
    Llama,
}

impl Architecture {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "qwen2" => Self::Qwen2,
            "qwen3" => Self::Qwen3,
            "gemma3" => Self::Gemma3,
            "llama" => Self::Llama,
            _ => return None,
        })
    }
}

/// Hyper-parameters read from `<architecture>.*` metadata.
#[derive(Debug, Clone)]
struct Shape {
    n_embd: usize,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    eps: f32,
    rope_base: f32,
    /// Gemma 3's sliding-window layers use their own base.
    rope_base_local: f32,
    /// Linear position scaling of the global layers (1 = none).
    rope_scale: f32,
    /// Per-frequency divisors (llama 3's `rope_freqs.weight`).
    rope_factors: Option<Vec<f32>>,
    sliding_window: Option<usize>,
}

/// A weight matrix: through our kernels where this build has one for its
/// type and shape (`quant`), else through candle.
enum Matrix {
    Candle(QMatMul),
    Q5_0(quant::Matrix<q5_0::Block>),
    Q8_0(quant::Matrix<q8_0::Block>),
}

impl Matrix {
    fn new(tensor: Arc<QTensor>) -> candle_core::Result<Self> {
        let columns = tensor.shape().dims2()?.1;
        match tensor.dtype() {
            GgmlDType::Q5_0 if q5_0::available() => quant::Matrix::new(tensor).map(Self::Q5_0),
            GgmlDType::Q5_0 => q5_0_as_q8_0(&tensor).and_then(QMatMul::from_qtensor).map(Self::Candle),
            GgmlDType::Q8_0 if q8_0::available() && !q8_0::candle_repacks(columns) => {
                quant::Matrix::new(tensor).map(Self::Q8_0)
            }
            _ => QMatMul::from_arc(tensor).map(Self::Candle),
        }
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Candle(m) => m.forward(x),
            Self::Q5_0(m) => m.forward(x),
            Self::Q8_0(m) => m.forward(x),
        }
    }
}

struct Linear {
    weight: Matrix,
    bias: Option<Tensor>,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.weight.forward(x)?;
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }
}

struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

struct Layer {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_attn_norm: Option<RmsNorm>,
    ffn_norm: RmsNorm,
    gate: Matrix,
    up: Matrix,
    down: Matrix,
    post_ffn_norm: Option<RmsNorm>,
    /// Attends only to the last `sliding_window` positions (Gemma 3: 5 layers of 6).
    sliding: bool,
    /// Keys and values `[1, n_kv_head, positions, head_dim]`.
    cache: Option<(Tensor, Tensor)>,
}

/// Rotary tables and masks for one forward pass, shared by all layers.
struct Pass {
    global: (Tensor, Tensor),
    local: (Tensor, Tensor),
    causal_mask: Option<Tensor>,
    sliding_mask: Option<Tensor>,
}

pub struct Transformer {
    architecture: Architecture,
    shape: Shape,
    embedding: Arc<QTensor>,
    layers: Vec<Layer>,
    output_norm: RmsNorm,
    output: Matrix,
    /// Tokens whose keys and values are in the cache, in order.
    cached: Vec<u32>,
}

impl Transformer {
    /// Loads the weights of `gguf` (its header already read). Quantized tensors
    /// stay quantized; only norms and biases are f32.
    pub fn load(gguf: GgufFile) -> Result<Self, LmError> {
        let name = gguf.architecture()?.to_string();
        let path = gguf.path.clone();
        let architecture = Architecture::parse(&name)
            .ok_or_else(|| LmError::UnsupportedArchitecture { architecture: name.clone(), path: path.clone() })?;
        let content = &gguf.content;
        let shape = read_shape(content, &name, architecture)?;
        let file = File::open(&path).map_err(|source| LmError::Io { path: path.clone(), source })?;
        let mut weights = Weights { content, reader: BufReader::new(file), path: path.clone() };

        let embedding = Arc::new(weights.qtensor("token_embd.weight")?);
        let output = if content.tensor_infos.contains_key("output.weight") {
            weights.matmul("output.weight")?
        } else {
            Matrix::new(embedding.clone()).map_err(|e| weights.error(e))?
        };
        let output_norm = weights.norm("output_norm.weight", shape.eps)?;
        let mut shape = shape;
        if content.tensor_infos.contains_key("rope_freqs.weight") {
            let factors = weights.f32("rope_freqs.weight")?;
            shape.rope_factors = Some(factors.to_vec1().map_err(|e| weights.error(e))?);
        }

        let block_count = metadata_u32(content, &format!("{name}.block_count"))? as usize;
        let mut layers = Vec::with_capacity(block_count);
        for i in 0..block_count {
            let has = |t: &str| content.tensor_infos.contains_key(&format!("blk.{i}.{t}"));
            let (has_q_norm, has_post_norms) = (has("attn_q_norm.weight"), has("post_attention_norm.weight"));
            let mut linear = |t: &str| -> Result<Linear, LmError> {
                let bias = format!("blk.{i}.{t}.bias");
                let bias = if content.tensor_infos.contains_key(&bias) { Some(weights.f32(&bias)?) } else { None };
                Ok(Linear { weight: weights.matmul(&format!("blk.{i}.{t}.weight"))?, bias })
            };
            let (q, k, v, o) = (linear("attn_q")?, linear("attn_k")?, linear("attn_v")?, linear("attn_output")?);
            let eps = shape.eps;
            let mut norm = |t: &str| weights.norm(&format!("blk.{i}.{t}.weight"), eps);
            layers.push(Layer {
                attn_norm: norm("attn_norm")?,
                q_norm: if has_q_norm { Some(norm("attn_q_norm")?) } else { None },
                k_norm: if has_q_norm { Some(norm("attn_k_norm")?) } else { None },
                post_attn_norm: if has_post_norms { Some(norm("post_attention_norm")?) } else { None },
                ffn_norm: norm("ffn_norm")?,
                post_ffn_norm: if has_post_norms { Some(norm("post_ffw_norm")?) } else { None },
                q,
                k,
                v,
                o,
                gate: weights.matmul(&format!("blk.{i}.ffn_gate.weight"))?,
                up: weights.matmul(&format!("blk.{i}.ffn_up.weight"))?,
                down: weights.matmul(&format!("blk.{i}.ffn_down.weight"))?,
                // llama.cpp's Gemma 3 pattern: every sixth layer is global.
                sliding: shape.sliding_window.is_some() && (i + 1) % 6 != 0,
                cache: None,
            });
        }
        Ok(Self { architecture, shape, embedding, layers, output_norm, output, cached: Vec::new() })
    }

    /// Tokens currently held in the KV cache.
    pub fn cached_tokens(&self) -> &[u32] {
        &self.cached
    }

    /// Logits `[vocab]` after the last of `tokens`, which sit at `position` in the
    /// sequence. Everything cached from `position` on is dropped first, so
    /// position 0 starts afresh and a shorter position reuses a cached prefix.
    pub fn forward(&mut self, tokens: &[u32], position: usize) -> Result<Tensor, LmError> {
        if position > self.cached.len() {
            return Err(LmError::Compute(format!(
                "position {position} is past the {} cached tokens",
                self.cached.len()
            )));
        }
        self.truncate(position);
        let logits = self.run(tokens, position).map_err(|e| LmError::Compute(e.to_string()))?;
        self.cached.extend_from_slice(tokens);
        Ok(logits)
    }

    /// Logits after `prompt`, recomputing only what differs from the cache
    /// (at least the last token, whose logits are needed). Returns how many
    /// tokens were reused.
    pub fn forward_reusing(&mut self, prompt: &[u32]) -> Result<(Tensor, usize), LmError> {
        let shared = self.cached.iter().zip(prompt).take_while(|(a, b)| a == b).count();
        let reused = shared.min(prompt.len().saturating_sub(1));
        let logits = self.forward(&prompt[reused..], reused)?;
        Ok((logits, reused))
    }

    fn truncate(&mut self, len: usize) {
        if len == self.cached.len() {
            return;
        }
        self.cached.truncate(len);
        for layer in &mut self.layers {
            layer.cache = match layer.cache.take() {
                Some((k, v)) if len > 0 => k.narrow(2, 0, len).and_then(|k| Ok((k, v.narrow(2, 0, len)?))).ok(),
                _ => None,
            };
        }
    }

    fn run(&mut self, tokens: &[u32], position: usize) -> candle_core::Result<Tensor> {
        let device = Device::Cpu;
        let seq = tokens.len();
        let ids = Tensor::new(tokens, &device)?;
        let mut x = self.embedding.embedding(&ids)?.unsqueeze(0)?;
        if self.architecture == Architecture::Gemma3 {
            x = (x * (self.shape.n_embd as f64).sqrt())?;
        }
        let pass = self.pass(position, seq)?;
        let (shape, architecture) = (&self.shape, self.architecture);
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x)?;
            let mut h = layer.attention(&h, shape, architecture, &pass, position)?;
            if let Some(norm) = &layer.post_attn_norm {
                h = norm.forward(&h)?;
            }
            x = (x + h)?;
            let h = layer.ffn_norm.forward(&x)?;
            let gate = layer.gate.forward(&h)?;
            let gate = if architecture == Architecture::Gemma3 {
                gelu_like_ggml(&gate)?
            } else {
                candle_nn::ops::silu(&gate)?
            };
            let mut h = layer.down.forward(&(gate * layer.up.forward(&h)?)?)?;
            if let Some(norm) = &layer.post_ffn_norm {
                h = norm.forward(&h)?;
            }
            x = (x + h)?;
        }
        let last = x.i((.., seq - 1..seq, ..))?;
        let logits = self.output.forward(&self.output_norm.forward(&last)?)?;
        logits.flatten_all()
    }

    fn pass(&self, position: usize, seq: usize) -> candle_core::Result<Pass> {
        let shape = &self.shape;
        let total = position + seq;
        let global = rope_tables(shape, shape.rope_base, shape.rope_scale, position, seq)?;
        let local = match shape.sliding_window {
            Some(_) => rope_tables(shape, shape.rope_base_local, 1.0, position, seq)?,
            None => global.clone(),
        };
        let causal_mask = (seq > 1).then(|| mask(position, seq, None)).transpose()?;
        let sliding_mask = match shape.sliding_window {
            Some(window) if seq > 1 || total > window => Some(mask(position, seq, Some(window))?),
            _ => None,
        };
        Ok(Pass { global, local, causal_mask, sliding_mask })
    }
}

impl Layer {
    fn attention(
        &mut self,
        x: &Tensor,
        shape: &Shape,
        architecture: Architecture,
        pass: &Pass,
        position: usize,
    ) -> candle_core::Result<Tensor> {
        let seq = x.dim(1)?;
        let (n_head, n_kv, hd) = (shape.n_head, shape.n_kv_head, shape.head_dim);
        let mut q = self.q.forward(x)?.reshape((1, seq, n_head, hd))?;
        let mut k = self.k.forward(x)?.reshape((1, seq, n_kv, hd))?;
        let v = self.v.forward(x)?.reshape((1, seq, n_kv, hd))?.transpose(1, 2)?.contiguous()?;
        if let (Some(q_norm), Some(k_norm)) = (&self.q_norm, &self.k_norm) {
            q = q_norm.forward(&q)?;
            k = k_norm.forward(&k)?;
        }
        let (cos, sin) = if self.sliding { &pass.local } else { &pass.global };
        let rope = if architecture == Architecture::Llama {
            candle_nn::rotary_emb::rope_i
        } else {
            candle_nn::rotary_emb::rope
        };
        let q = rope(&q.transpose(1, 2)?.contiguous()?, cos, sin)?;
        let k = rope(&k.transpose(1, 2)?.contiguous()?, cos, sin)?;

        // The cache holds f16, as llama.cpp's does: half the memory, and the
        // same rounding of keys and values (greedy parity test).
        let (k, v) = (k.to_dtype(DType::F16)?, v.to_dtype(DType::F16)?);
        let (k, v) = match self.cache.take() {
            Some((k_cache, v_cache)) if position > 0 => {
                (Tensor::cat(&[&k_cache, &k], 2)?, Tensor::cat(&[&v_cache, &v], 2)?)
            }
            _ => (k, v),
        };
        self.cache = Some((k.clone(), v.clone()));
        let total = k.dim(2)?;
        let (k, v) = (k.to_dtype(DType::F32)?, v.to_dtype(DType::F32)?);

        // Grouped-query attention without copying keys: the query heads sharing
        // one key head are stacked as extra rows.
        let group = n_head / n_kv;
        let q = (q * (1.0 / (hd as f64).sqrt()))?.reshape((1, n_kv, group * seq, hd))?;
        let mut scores = q.matmul(&k.t()?)?;
        let mask = if self.sliding { &pass.sliding_mask } else { &pass.causal_mask };
        if let Some(mask) = mask {
            scores = scores.reshape((1, n_kv, group, seq, total))?.broadcast_add(mask)?.reshape((
                1,
                n_kv,
                group * seq,
                total,
            ))?;
        }
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights.matmul(&v)?.reshape((1, n_head, seq, hd))?.transpose(1, 2)?.reshape((1, seq, n_head * hd))?;
        self.o.forward(&out)
    }
}

/// GELU (tanh form) as ggml computes it on CPUs: through a table indexed by
/// the f16 value of the input, giving an f16 result.
fn gelu_like_ggml(x: &Tensor) -> candle_core::Result<Tensor> {
    x.to_dtype(DType::F16)?.to_dtype(DType::F32)?.gelu()?.to_dtype(DType::F16)?.to_dtype(DType::F32)
}

/// Cosine and sine `[seq, head_dim / 2]` for positions `position..position + seq`.
fn rope_tables(
    shape: &Shape,
    base: f32,
    scale: f32,
    position: usize,
    seq: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let half = shape.head_dim / 2;
    let frequencies: Vec<f32> = (0..half)
        .map(|i| {
            let factor = shape.rope_factors.as_ref().and_then(|f| f.get(i).copied()).unwrap_or(1.0);
            1.0 / (base.powf(2.0 * i as f32 / shape.head_dim as f32) * factor)
        })
        .collect();
    let mut cos = Vec::with_capacity(seq * half);
    let mut sin = Vec::with_capacity(seq * half);
    for p in position..position + seq {
        for f in &frequencies {
            let angle = p as f32 * scale * f;
            cos.push(angle.cos());
            sin.push(angle.sin());
        }
    }
    Ok((Tensor::from_vec(cos, (seq, half), &Device::Cpu)?, Tensor::from_vec(sin, (seq, half), &Device::Cpu)?))
}

/// Additive mask `[seq, position + seq]`: query `i` (at `position + i`) sees key
/// `j` when `j <= position + i`, and, with a window, `position + i - j < window`.
fn mask(position: usize, seq: usize, window: Option<usize>) -> candle_core::Result<Tensor> {
    let total = position + seq;
    let values: Vec<f32> = (0..seq)
        .flat_map(|i| {
            let query = position + i;
            (0..total).map(move |key| {
                let visible = key <= query && window.is_none_or(|w| query - key < w);
                if visible {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
        })
        .collect();
    Tensor::from_vec(values, (seq, total), &Device::Cpu)
}

/// Reads tensors from the file, naming it in errors.
struct Weights<'a> {
    content: &'a Content,
    reader: BufReader<File>,
    path: std::path::PathBuf,
}

impl Weights<'_> {
    fn error(&self, e: candle_core::Error) -> LmError {
        LmError::NotGguf { path: self.path.clone(), message: e.to_string() }
    }

    fn qtensor(&mut self, name: &str) -> Result<QTensor, LmError> {
        self.content.tensor(&mut self.reader, name, &Device::Cpu).map_err(|e| self.error(e))
    }

    fn matmul(&mut self, name: &str) -> Result<Matrix, LmError> {
        let tensor = self.qtensor(name)?;
        Matrix::new(Arc::new(tensor)).map_err(|e| self.error(e))
    }

    fn f32(&mut self, name: &str) -> Result<Tensor, LmError> {
        let tensor = self.qtensor(name)?;
        tensor.dequantize(&Device::Cpu).and_then(|t| t.to_dtype(DType::F32)).map_err(|e| self.error(e))
    }

    fn norm(&mut self, name: &str, eps: f32) -> Result<RmsNorm, LmError> {
        Ok(RmsNorm { weight: self.f32(name)?, eps })
    }
}

/// Rewrites Q5_0 blocks as Q8_0, exactly: a Q5_0 weight is `d × (q − 16)` with
/// `q` in 0..32, which an i8 holds with the same scale. For builds without our
/// Q5_0 kernel (`quant::q5_0::available`): candle 0.11's own Q5_0 dot product is
/// scalar (72 % of Qwen2.5's decode time), its Q8_0 one is vectorised. Costs
/// 12 more bytes per 32 weights.
fn q5_0_as_q8_0(tensor: &QTensor) -> candle_core::Result<QTensor> {
    const Q5_0_BYTES: usize = 22;
    let data = tensor.data()?;
    let mut out = Vec::with_capacity(data.len() / Q5_0_BYTES * 34);
    for block in data.chunks_exact(Q5_0_BYTES) {
        let (d, rest) = block.split_at(2);
        let (qh, qs) = rest.split_at(4);
        let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
        out.extend_from_slice(d);
        let fifth_bit = |i: usize| (((qh >> i) & 1) << 4) as u8;
        out.extend((0..16).map(|j| ((qs[j] & 0x0F) | fifth_bit(j)).wrapping_sub(16)));
        out.extend((0..16).map(|j| ((qs[j] >> 4) | fifth_bit(j + 16)).wrapping_sub(16)));
    }
    let storage = QStorage::from_data(Cow::Owned(out), &Device::Cpu, GgmlDType::Q8_0)?;
    QTensor::new(storage, tensor.shape().clone())
}

fn metadata_u32(content: &Content, key: &str) -> Result<u32, LmError> {
    let value = content
        .metadata
        .get(key)
        .ok_or_else(|| LmError::Metadata { key: key.to_string(), message: "missing".into() })?;
    value.to_u32().map_err(|e| LmError::Metadata { key: key.to_string(), message: e.to_string() })
}

fn metadata_f32(content: &Content, key: &str) -> Option<f32> {
    content.metadata.get(key).and_then(|v| v.to_f32().ok())
}

fn read_shape(content: &Content, name: &str, architecture: Architecture) -> Result<Shape, LmError> {
    let n_embd = metadata_u32(content, &format!("{name}.embedding_length"))? as usize;
    let n_head = metadata_u32(content, &format!("{name}.attention.head_count"))? as usize;
    let n_kv_head = metadata_u32(content, &format!("{name}.attention.head_count_kv")).map_or(n_head, |n| n as usize);
    let head_dim =
        metadata_u32(content, &format!("{name}.attention.key_length")).map_or(n_embd / n_head, |n| n as usize);
    let eps = metadata_f32(content, &format!("{name}.attention.layer_norm_rms_epsilon")).unwrap_or(1e-6);
    let gemma = architecture == Architecture::Gemma3;
    let rope_base =
        metadata_f32(content, &format!("{name}.rope.freq_base")).unwrap_or(if gemma { 1_000_000.0 } else { 10_000.0 });
    let rope_base_local = metadata_f32(content, &format!("{name}.rope.local_freq_base")).unwrap_or(10_000.0);
    let rope_scale = metadata_f32(content, &format!("{name}.rope.scaling.factor")).map_or(1.0, |f| 1.0 / f);
    let sliding_window = if gemma {
        metadata_u32(content, &format!("{name}.attention.sliding_window")).ok().map(|w| w as usize)
    } else {
        None
    };
    if n_head % n_kv_head != 0 {
        return Err(LmError::Metadata {
            key: format!("{name}.attention.head_count_kv"),
            message: format!("{n_kv_head} does not divide {n_head} heads"),
        });
    }
    Ok(Shape {
        n_embd,
        n_head,
        n_kv_head,
        head_dim,
        eps,
        rope_base,
        rope_base_local,
        rope_scale,
        rope_factors: None,
        sliding_window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q5_0_becomes_q8_0_without_changing_a_weight() {
        let values: Vec<f32> = (0..4 * 64).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
        let weights = Tensor::from_vec(values, (4, 64), &Device::Cpu).unwrap();
        let q5 = QTensor::quantize(&weights, GgmlDType::Q5_0).unwrap();
        let q8 = q5_0_as_q8_0(&q5).unwrap();
        assert_eq!(q8.dtype(), GgmlDType::Q8_0);
        let dequantized =
            |t: &QTensor| t.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(dequantized(&q5), dequantized(&q8));
    }

    #[test]
    fn sliding_mask_hides_old_and_future_keys() {
        let m = mask(2, 2, Some(2)).unwrap().to_vec2::<f32>().unwrap();
        let visible: Vec<Vec<bool>> = m.iter().map(|row| row.iter().map(|v| *v == 0.0).collect()).collect();
        // query at 2 sees keys 1, 2; query at 3 sees keys 2, 3.
        assert_eq!(visible, vec![vec![false, true, true, false], vec![false, false, true, true]]);
        let causal = mask(0, 3, None).unwrap().to_vec2::<f32>().unwrap();
        assert!(causal[0][1].is_infinite() && causal[2][0] == 0.0);
    }
}

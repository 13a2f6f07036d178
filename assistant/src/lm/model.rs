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
use std::sync::Arc;

use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::{QStorage, QTensor};
use candle_core::{DType, Device, Tensor};
use half::f16;
use memmap2::UncheckedAdvice;

use super::attention::{self, Heads, KvCache, RopeStyle, Rotary};
use super::huge_pages;
use super::matrix::{add_bias, Matrix, Projections};
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

impl Shape {
    fn heads(&self) -> Heads {
        Heads { n_head: self.n_head, n_kv_head: self.n_kv_head, head_dim: self.head_dim }
    }
}

struct Linear {
    weight: Matrix,
    bias: Option<Vec<f32>>,
}

impl Linear {
    /// `x` is `[tokens][columns]`.
    fn forward(&self, x: &[f32], columns: usize) -> candle_core::Result<Vec<f32>> {
        let mut y = self.weight.forward(x, columns)?;
        if let Some(bias) = &self.bias {
            add_bias(&mut y, bias);
        }
        Ok(y)
    }
}

/// RMS norm over each `weight.len()` values: a token's embedding, or one
/// head of a projection (Qwen 3's and Gemma 3's query and key norms).
struct RmsNorm {
    weight: Vec<f32>,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut y = x.to_vec();
        self.apply(&mut y);
        y
    }

    fn apply(&self, x: &mut [f32]) {
        attention::rms_norm_each(x, &self.weight, self.eps);
    }
}

/// `x += y`, value by value (the residual connections).
fn add_into(x: &mut [f32], y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
}

struct Layer {
    attn_norm: RmsNorm,
    /// Queries, keys and values.
    qkv: Projections,
    o: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_attn_norm: Option<RmsNorm>,
    ffn_norm: RmsNorm,
    /// The feed-forward's gate and up projections.
    gate_up: Projections,
    down: Matrix,
    post_ffn_norm: Option<RmsNorm>,
    /// Attends only to the last `sliding_window` positions (Gemma 3: 5 layers of 6).
    sliding: bool,
    cache: KvCache,
}

/// Rotary tables for one forward pass, shared by all layers.
struct Pass {
    global: Rotary,
    local: Rotary,
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
    /// Moving the weights onto huge pages, after load ([`huge_pages`]).
    huge_pages: Option<std::thread::JoinHandle<usize>>,
    activity: Arc<huge_pages::Activity>,
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
        // SAFETY: a mapped file that changes underneath is undefined behaviour.
        // Model files are only ever replaced whole (fetched or imported to a
        // temporary name, then renamed), which leaves this mapping on the old
        // file. The map lives only while loading: weights are copied out of it.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| LmError::Io { path: path.clone(), source })?;
        let mut weights = Weights { content, map, path: path.clone() };

        let embedding = Arc::new(weights.qtensor("token_embd.weight")?);
        let output = if content.tensor_infos.contains_key("output.weight") {
            weights.matmul("output.weight")?
        } else {
            Matrix::new(embedding.clone()).map_err(|e| weights.error(e))?
        };
        let output_norm = weights.norm("output_norm.weight", shape.eps)?;
        let mut shape = shape;
        if content.tensor_infos.contains_key("rope_freqs.weight") {
            shape.rope_factors = Some(weights.f32("rope_freqs.weight")?);
        }

        let block_count = metadata_u32(content, &format!("{name}.block_count"))? as usize;
        let mut layers = Vec::with_capacity(block_count);
        for i in 0..block_count {
            let has = |t: &str| content.tensor_infos.contains_key(&format!("blk.{i}.{t}"));
            let (has_q_norm, has_post_norms) = (has("attn_q_norm.weight"), has("post_attention_norm.weight"));
            let names = |parts: &[&str]| parts.iter().map(|t| format!("blk.{i}.{t}")).collect::<Vec<_>>();
            let qkv = weights.projections(&names(&["attn_q", "attn_k", "attn_v"]))?;
            let gate_up = weights.projections(&names(&["ffn_gate", "ffn_up"]))?;
            let o_bias = format!("blk.{i}.attn_output.bias");
            let o = Linear {
                weight: weights.matmul(&format!("blk.{i}.attn_output.weight"))?,
                bias: if content.tensor_infos.contains_key(&o_bias) { Some(weights.f32(&o_bias)?) } else { None },
            };
            let eps = shape.eps;
            let mut norm = |t: &str| weights.norm(&format!("blk.{i}.{t}.weight"), eps);
            let (q_norm, k_norm) =
                if has_q_norm { (Some(norm("attn_q_norm")?), Some(norm("attn_k_norm")?)) } else { (None, None) };
            layers.push(Layer {
                attn_norm: norm("attn_norm")?,
                q_norm,
                k_norm,
                post_attn_norm: if has_post_norms { Some(norm("post_attention_norm")?) } else { None },
                ffn_norm: norm("ffn_norm")?,
                post_ffn_norm: if has_post_norms { Some(norm("post_ffw_norm")?) } else { None },
                qkv,
                o,
                gate_up,
                down: weights.matmul(&format!("blk.{i}.ffn_down.weight"))?,
                // llama.cpp's Gemma 3 pattern: every sixth layer is global.
                sliding: shape.sliding_window.is_some() && (i + 1) % 6 != 0,
                cache: KvCache::default(),
            });
        }
        let activity = huge_pages::Activity::new();
        let mut model = Self {
            architecture,
            shape,
            embedding,
            layers,
            output_norm,
            output,
            cached: Vec::new(),
            huge_pages: None,
            activity: activity.clone(),
        };
        model.huge_pages = huge_pages::merge_in_background(model.weight_tensors(), activity);
        Ok(model)
    }

    /// Every quantized weight tensor once, largest first.
    fn weight_tensors(&self) -> Vec<Arc<QTensor>> {
        let mut tensors = vec![self.embedding.clone()];
        let matrices = self.layers.iter().flat_map(|layer| {
            layer.qkv.matrices().chain(layer.gate_up.matrices()).chain([&layer.o.weight, &layer.down])
        });
        for tensor in std::iter::once(&self.output).chain(matrices).filter_map(Matrix::tensor) {
            if !tensors.iter().any(|t| Arc::ptr_eq(t, tensor)) {
                tensors.push(tensor.clone());
            }
        }
        tensors.sort_by_key(|t| std::cmp::Reverse(t.storage_size_in_bytes()));
        tensors
    }

    /// Waits until the weights are on huge pages (as far as the kernel could
    /// move them) and returns how many 2 MiB pages they fill; the model works
    /// meanwhile, a little slower. For measurements of the settled model.
    pub fn settle(&mut self) -> usize {
        self.huge_pages.take().and_then(|handle| handle.join().ok()).unwrap_or(0)
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
        let activity = self.activity.clone();
        let _pass = activity.busy();
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
        let heads = self.shape.heads();
        for layer in &mut self.layers {
            layer.cache.truncate(len, heads);
        }
    }

    fn run(&mut self, tokens: &[u32], position: usize) -> candle_core::Result<Tensor> {
        let (seq, n_embd) = (tokens.len(), self.shape.n_embd);
        let ids = Tensor::new(tokens, &Device::Cpu)?;
        // Activations `[tokens][n_embd]` as plain values: at one token per step
        // each candle call costs more in dispatch than its arithmetic.
        let mut x = self.embedding.embedding(&ids)?.flatten_all()?.to_vec1::<f32>()?;
        if self.architecture == Architecture::Gemma3 {
            let scale = (n_embd as f32).sqrt();
            x.iter_mut().for_each(|v| *v *= scale);
        }
        let pass = self.pass(position, seq)?;
        let (shape, architecture) = (&self.shape, self.architecture);
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x);
            let mut h = layer.attention(&h, shape, architecture, &pass, position)?;
            if let Some(norm) = &layer.post_attn_norm {
                norm.apply(&mut h);
            }
            add_into(&mut x, &h);
            let h = layer.ffn_norm.forward(&x);
            let gated = gated(layer.gate_up.forward(&h, n_embd)?, architecture)?;
            let mut h = layer.down.forward(&gated, gated.len() / seq)?;
            if let Some(norm) = &layer.post_ffn_norm {
                norm.apply(&mut h);
            }
            add_into(&mut x, &h);
        }
        let last = self.output_norm.forward(&x[(seq - 1) * n_embd..]);
        let logits = self.output.forward(&last, n_embd)?;
        let vocab = logits.len();
        Tensor::from_vec(logits, vocab, &Device::Cpu)
    }

    fn pass(&self, position: usize, seq: usize) -> candle_core::Result<Pass> {
        let shape = &self.shape;
        let global = rope_tables(shape, shape.rope_base, shape.rope_scale, position, seq);
        let local = match shape.sliding_window {
            Some(_) => rope_tables(shape, shape.rope_base_local, 1.0, position, seq),
            None => global.clone(),
        };
        Ok(Pass { global, local })
    }
}

impl Layer {
    fn attention(
        &mut self,
        x: &[f32],
        shape: &Shape,
        architecture: Architecture,
        pass: &Pass,
        position: usize,
    ) -> candle_core::Result<Vec<f32>> {
        let heads = shape.heads();
        let [mut q, mut k, v]: [Vec<f32>; 3] = self
            .qkv
            .forward(x, shape.n_embd)?
            .try_into()
            .map_err(|_| candle_core::Error::Msg("q, k, v expected".into()))?;
        if let (Some(q_norm), Some(k_norm)) = (&self.q_norm, &self.k_norm) {
            q_norm.apply(&mut q);
            k_norm.apply(&mut k);
        }
        let rotary = if self.sliding { &pass.local } else { &pass.global };
        let style = if architecture == Architecture::Llama { RopeStyle::Interleaved } else { RopeStyle::Halves };
        rotary.apply(&mut q, heads.head_dim, style);
        rotary.apply(&mut k, heads.head_dim, style);
        self.cache.push(&k, &v);
        let window = if self.sliding { shape.sliding_window } else { None };
        let out = attention::attend(&q, &self.cache, position, heads, window);
        self.o.forward(&out, heads.n_head * heads.head_dim)
    }
}

/// The feed-forward's gated activation `act(gate) × up` in one pass: GELU for
/// Gemma 3, SiLU otherwise.
/// `gate_up` holds the two projections `[tokens][ffn]`.
fn gated(gate_up: Vec<Vec<f32>>, architecture: Architecture) -> candle_core::Result<Vec<f32>> {
    let [gate, up]: [Vec<f32>; 2] =
        gate_up.try_into().map_err(|_| candle_core::Error::Msg("gate and up expected".into()))?;
    let activation = if architecture == Architecture::Gemma3 { gelu_like_ggml } else { silu };
    Ok(gate.iter().zip(&up).map(|(g, u)| activation(*g) * u).collect())
}

/// GELU (tanh form) as ggml computes it on CPUs: through a table indexed by
/// the f16 value of the input, giving an f16 result. The table (128 KiB) is
/// also the fast way: one lookup instead of a `tanh` per value.
fn gelu_like_ggml(x: f32) -> f32 {
    static TABLE: std::sync::OnceLock<Vec<f16>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
        (0..=u16::MAX)
            .map(|bits| {
                let x = f16::from_bits(bits).to_f32();
                f16::from_f32(0.5 * x * (1.0 + (SQRT_TWO_OVER_PI * x * (1.0 + 0.044715 * x * x)).tanh()))
            })
            .collect()
    });
    table[f16::from_f32(x).to_bits() as usize].to_f32()
}

fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// Cosine and sine `[seq][head_dim / 2]` for positions `position..position + seq`.
fn rope_tables(shape: &Shape, base: f32, scale: f32, position: usize, seq: usize) -> Rotary {
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
    Rotary { cos, sin, half }
}

/// Reads tensors from the file, naming it in errors.
struct Weights<'a> {
    content: &'a Content,
    /// The file mapped in memory: each tensor is copied once, from the page
    /// cache into its own buffer (reading it first into a buffer of its own
    /// would fault in and zero twice the memory, most of the load time).
    map: memmap2::Mmap,
    path: std::path::PathBuf,
}

impl Weights<'_> {
    fn error(&self, e: candle_core::Error) -> LmError {
        LmError::NotGguf { path: self.path.clone(), message: e.to_string() }
    }

    fn qtensor(&mut self, name: &str) -> Result<QTensor, LmError> {
        let (info, range) = self.range(name)?;
        let tensor = QStorage::from_data(Cow::Borrowed(&self.map[range.clone()]), &Device::Cpu, info.ggml_dtype)
            .and_then(|storage| QTensor::new(storage, info.shape.clone()))
            .map_err(|e| self.error(e));
        self.release(range);
        tensor
    }

    /// Drops the mapped pages of `range` from this process once copied, so
    /// that they do not count twice in its memory (the page cache keeps them).
    fn release(&self, range: std::ops::Range<usize>) {
        // SAFETY: nothing borrows these bytes any more; a read-only file
        // mapping read again after MADV_DONTNEED gets the file's bytes back.
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, range.start, range.len()) };
    }

    /// Tensor `name`'s description and where its bytes are in the file.
    fn range(&self, name: &str) -> Result<(&TensorInfo, std::ops::Range<usize>), LmError> {
        let info = self.content.tensor_infos.get(name).ok_or_else(|| self.missing(name))?;
        let dtype = info.ggml_dtype;
        let size = info.shape.elem_count() / dtype.block_size() * dtype.type_size();
        let start = (self.content.tensor_data_offset + info.offset) as usize;
        match start + size <= self.map.len() {
            true => Ok((info, start..start + size)),
            false => Err(self.error(candle_core::Error::Msg(format!(
                "tensor {name} needs bytes {start}..{} of a {}-byte file",
                start + size,
                self.map.len()
            )))),
        }
    }

    /// Projections `names` of one input (`NAME.weight`, optional `NAME.bias`),
    /// consecutive weights of one type stacked into one matrix.
    fn projections(&mut self, names: &[String]) -> Result<Projections, LmError> {
        let mut stacks = Vec::new();
        let mut biases = Vec::new();
        let mut group: Vec<String> = Vec::new();
        for name in names {
            let weight = format!("{name}.weight");
            let dtype = |n: &String| self.content.tensor_infos.get(n).map(|info| info.ggml_dtype);
            if group.last().is_some_and(|last| dtype(last) != dtype(&weight)) {
                stacks.push(self.stacked(&std::mem::take(&mut group))?);
            }
            group.push(weight);
            let bias = format!("{name}.bias");
            biases.push(if self.content.tensor_infos.contains_key(&bias) { Some(self.f32(&bias)?) } else { None });
        }
        stacks.push(self.stacked(&group)?);
        Projections::new(stacks, biases).map_err(|e| self.error(e))
    }

    /// The matrices `names` (one type, same columns) one under the other, read
    /// straight into one buffer (a quantized row is whole blocks, so the stack
    /// is their bytes in order), with each one's rows.
    fn stacked(&mut self, names: &[String]) -> Result<(QTensor, Vec<usize>), LmError> {
        if let [name] = names {
            // Alone: copied once, without the intermediate buffer.
            let tensor = self.qtensor(name)?;
            let rows = tensor.shape().dims2().map_err(|e| self.error(e))?.0;
            return Ok((tensor, vec![rows]));
        }
        let mut bytes = Vec::new();
        let mut rows = Vec::new();
        let (mut dtype, mut columns) = (None, None);
        for name in names {
            let (info, range) = self.range(name)?;
            let (r, c) = info.shape.dims2().map_err(|e| self.error(e))?;
            if dtype.replace(info.ggml_dtype).is_some_and(|d| d != info.ggml_dtype)
                || columns.replace(c).is_some_and(|k| k != c)
            {
                return Err(self.error(candle_core::Error::Msg(format!("{name} cannot be stacked on {names:?}"))));
            }
            bytes.extend_from_slice(&self.map[range.clone()]);
            self.release(range);
            rows.push(r);
        }
        let (Some(dtype), Some(columns)) = (dtype, columns) else {
            return Err(self.error(candle_core::Error::Msg("no tensors to stack".into())));
        };
        let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, dtype).map_err(|e| self.error(e))?;
        let tensor = QTensor::new(storage, (rows.iter().sum::<usize>(), columns)).map_err(|e| self.error(e))?;
        Ok((tensor, rows))
    }

    fn missing(&self, name: &str) -> LmError {
        self.error(candle_core::Error::Msg(format!("cannot find tensor info for {name}")))
    }

    fn matmul(&mut self, name: &str) -> Result<Matrix, LmError> {
        let tensor = self.qtensor(name)?;
        Matrix::new(Arc::new(tensor)).map_err(|e| self.error(e))
    }

    /// A small tensor (norm, bias), widened to f32 values.
    fn f32(&mut self, name: &str) -> Result<Vec<f32>, LmError> {
        let tensor = self.qtensor(name)?;
        tensor
            .dequantize(&Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32)?.flatten_all()?.to_vec1())
            .map_err(|e| self.error(e))
    }

    fn norm(&mut self, name: &str, eps: f32) -> Result<RmsNorm, LmError> {
        Ok(RmsNorm { weight: self.f32(name)?, eps })
    }
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
    if !n_head.is_multiple_of(n_kv_head) {
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

//! The Whisper network in candle: audio encoder and text decoder, with a real
//! key/value cache for the decoder's self-attention (each step feeds only the
//! new token, so a step costs the same at position 1 and position 100) and a
//! cross-attention cache computed once per encoded window.
//!
//! Pure tensors in, tensors out: `encode(mel [1, n_mels, frames]) → [1, frames/2, d]`,
//! `decode(tokens [batch, new], audio [1|batch, ctx, d]) → logits [batch, new, vocab]`.
//! The encoder accepts fewer than 3000 mel frames (whisper.cpp's `audio_ctx`):
//! position embeddings are cut to the frames given.
//! Weights use the Hugging Face Whisper names (see `models::convert`).

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{Conv1d, Conv1dConfig, Embedding, LayerNorm};
use candle_transformers::models::whisper::Config;

/// Where the network's weights come from, by Hugging Face Whisper name:
/// [`super::weights::SafetensorsFile`] (dense, quantised at load when asked)
/// or [`super::weights::GgufWeights`] (already quantised on disk).
pub trait WeightSource {
    /// A tensor as f32, checked against `shape`.
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor>;

    /// The weight of a linear layer `[outputs, inputs]` at `precision`.
    fn projection_weight(
        &self,
        name: &str,
        shape: (usize, usize),
        precision: WeightPrecision,
    ) -> Result<ProjectionWeight> {
        ProjectionWeight::from_dense(self.tensor(name, &[shape.0, shape.1])?, precision)
    }
}

/// A linear layer's weight, dense or quantized.
#[derive(Debug, Clone)]
pub enum ProjectionWeight {
    Dense(Tensor),
    Quantized(QMatMul),
}

impl ProjectionWeight {
    /// A dense matrix, quantised if `precision` asks for it.
    pub fn from_dense(weight: Tensor, precision: WeightPrecision) -> Result<Self> {
        Ok(match precision.ggml() {
            None => Self::Dense(weight),
            Some(dtype) => Self::Quantized(QMatMul::from_qtensor(QTensor::quantize(&weight, dtype)?)?),
        })
    }
}

/// How the decoder's weights are held. A decoder step multiplies one token by
/// every weight, so its cost is the memory read: 8-bit weights read a quarter
/// of f32's bytes. The encoder (large matrix products) always stays f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightPrecision {
    F32,
    /// 8-bit blocks (GGML q8_0).
    Q8,
    /// 4-bit k-quants (GGML q4_K).
    Q4k,
}

impl WeightPrecision {
    pub fn ggml(self) -> Option<GgmlDType> {
        match self {
            Self::F32 => None,
            Self::Q8 => Some(GgmlDType::Q8_0),
            Self::Q4k => Some(GgmlDType::Q4K),
        }
    }
}

/// A linear layer (also the CTC recognizer's, `asr::ctc`).
#[derive(Debug, Clone)]
pub struct Projection {
    pub weight: ProjectionWeight,
    pub bias: Option<Tensor>,
}

impl Module for Projection {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match &self.weight {
            ProjectionWeight::Dense(weight) => x.broadcast_matmul(&weight.t()?)?,
            ProjectionWeight::Quantized(weight) => weight.forward(x)?,
        };
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }
}

/// Query positions per attention block in the encoder.
const QUERY_BLOCK: usize = 256;

/// A weight source under a name prefix, as candle's `VarBuilder::pp`.
#[derive(Clone)]
struct Weights<'a> {
    source: &'a dyn WeightSource,
    prefix: String,
}

impl Weights<'_> {
    fn pp(&self, name: &str) -> Self {
        Self { source: self.source, prefix: format!("{}.{name}", self.prefix) }
    }

    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.source.tensor(&format!("{}.{name}", self.prefix), shape)
    }

    fn linear(&self, inputs: usize, outputs: usize, bias: bool, precision: WeightPrecision) -> Result<Projection> {
        let name = format!("{}.weight", self.prefix);
        let weight = self.source.projection_weight(&name, (outputs, inputs), precision)?;
        let bias = if bias { Some(self.get("bias", &[outputs])?) } else { None };
        Ok(Projection { weight, bias })
    }

    fn layer_norm(&self, size: usize) -> Result<LayerNorm> {
        Ok(LayerNorm::new(self.get("weight", &[size])?, self.get("bias", &[size])?, 1e-5))
    }

    fn conv1d(&self, inputs: usize, outputs: usize, stride: usize) -> Result<Conv1d> {
        let config = Conv1dConfig { padding: 1, stride, dilation: 1, groups: 1, cudnn_fwd_algo: None };
        Ok(Conv1d::new(self.get("weight", &[outputs, inputs, 3])?, Some(self.get("bias", &[outputs])?), config))
    }
}

/// Multi-head attention; `cache` holds keys and values `[batch, heads, t, head_dim]`.
#[derive(Debug, Clone)]
struct Attention {
    query: Projection,
    key: Projection,
    value: Projection,
    out: Projection,
    heads: usize,
    cache: Option<(Tensor, Tensor)>,
}

impl Attention {
    fn load(w: Weights, d: usize, heads: usize, precision: WeightPrecision) -> Result<Self> {
        Ok(Self {
            query: w.pp("q_proj").linear(d, d, true, precision)?,
            key: w.pp("k_proj").linear(d, d, false, precision)?,
            value: w.pp("v_proj").linear(d, d, true, precision)?,
            out: w.pp("out_proj").linear(d, d, true, precision)?,
            heads,
            cache: None,
        })
    }

    /// `[b, t, d]` → `[b, heads, t, head_dim]`.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        x.reshape((b, t, self.heads, d / self.heads))?.transpose(1, 2)?.contiguous()
    }

    /// `q [b, h, t, dh]` against keys given transposed, `kt [b|1, h, dh, s]`.
    /// Long query runs (the encoder's 1500 positions) go in blocks, so the
    /// score matrix never holds more than `QUERY_BLOCK × s` per head: the full
    /// one would be 72 MB for a 30 s window.
    fn attend(&self, q: &Tensor, kt: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (b, _, t, _) = q.dims4()?;
        let context = if t > QUERY_BLOCK && mask.is_none() {
            let blocks = (0..t)
                .step_by(QUERY_BLOCK)
                .map(|start| self.weighted_values(&q.narrow(2, start, QUERY_BLOCK.min(t - start))?, kt, v, None))
                .collect::<Result<Vec<_>>>()?;
            Tensor::cat(&blocks, 2)?
        } else {
            self.weighted_values(q, kt, v, mask)?
        };
        context.transpose(1, 2)?.reshape((b, t, ()))?.apply(&self.out)
    }

    fn weighted_values(&self, q: &Tensor, kt: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let head_dim = q.dim(D::Minus1)?;
        // Broadcasting matmuls let a beam of queries share one copy of the
        // cross-attention keys and values.
        let scores = (q.broadcast_matmul(kt)? * (head_dim as f64).powf(-0.5))?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask)?,
            None => scores,
        };
        candle_nn::ops::softmax_last_dim(&scores)?.broadcast_matmul(v)
    }

    /// Self-attention. The decoder (`cached`) attends over the cached past plus
    /// the new positions and keeps them; the encoder sees one whole window.
    fn forward_self(&mut self, x: &Tensor, mask: Option<&Tensor>, cached: bool) -> Result<Tensor> {
        let q = self.split_heads(&x.apply(&self.query)?)?;
        let k = self.split_heads(&x.apply(&self.key)?)?;
        let v = self.split_heads(&x.apply(&self.value)?)?;
        if !cached {
            return self.attend(&q, &k.t()?, &v, mask);
        }
        let (k, v) = match &self.cache {
            Some((past_k, past_v)) => (Tensor::cat(&[past_k, &k], 2)?, Tensor::cat(&[past_v, &v], 2)?),
            None => (k, v),
        };
        self.cache = Some((k.clone(), v.clone()));
        self.attend(&q, &k.t()?, &v, mask)
    }

    /// Cross-attention to the encoded audio; its keys (stored transposed and
    /// contiguous, ready for the matmul) and values are computed on the first
    /// call after `reset` and reused for every later token.
    fn forward_cross(&mut self, x: &Tensor, audio: &Tensor) -> Result<Tensor> {
        if self.cache.is_none() {
            let k = self.split_heads(&audio.apply(&self.key)?)?.t()?.contiguous()?;
            let v = self.split_heads(&audio.apply(&self.value)?)?;
            self.cache = Some((k, v));
        }
        let (k, v) = self.cache.as_ref().expect("filled above");
        let q = self.split_heads(&x.apply(&self.query)?)?;
        self.attend(&q, k, v, None)
    }
}

#[derive(Debug, Clone)]
struct Block {
    attn: Attention,
    attn_ln: LayerNorm,
    cross: Option<(Attention, LayerNorm)>,
    fc1: Projection,
    fc2: Projection,
    mlp_ln: LayerNorm,
}

impl Block {
    fn load(w: Weights, d: usize, heads: usize, with_cross: bool, precision: WeightPrecision) -> Result<Self> {
        let cross = if with_cross {
            Some((
                Attention::load(w.pp("encoder_attn"), d, heads, precision)?,
                w.pp("encoder_attn_layer_norm").layer_norm(d)?,
            ))
        } else {
            None
        };
        Ok(Self {
            attn: Attention::load(w.pp("self_attn"), d, heads, precision)?,
            attn_ln: w.pp("self_attn_layer_norm").layer_norm(d)?,
            cross,
            fc1: w.pp("fc1").linear(d, 4 * d, true, precision)?,
            fc2: w.pp("fc2").linear(4 * d, d, true, precision)?,
            mlp_ln: w.pp("final_layer_norm").layer_norm(d)?,
        })
    }

    fn forward(&mut self, x: &Tensor, audio: Option<&Tensor>, mask: Option<&Tensor>) -> Result<Tensor> {
        // Decoder blocks (with cross-attention) cache their keys; encoder blocks do not.
        let cached = self.cross.is_some();
        let mut x = (x + self.attn.forward_self(&x.apply(&self.attn_ln)?, mask, cached)?)?;
        if let (Some((cross, ln)), Some(audio)) = (&mut self.cross, audio) {
            x = (&x + cross.forward_cross(&x.apply(ln)?, audio)?)?;
        }
        let mlp = x.apply(&self.mlp_ln)?.apply(&self.fc1)?.gelu()?.apply(&self.fc2)?;
        x + mlp
    }
}

pub struct WhisperModel {
    conv1: Conv1d,
    conv2: Conv1d,
    encoder_positions: Tensor,
    encoder_blocks: Vec<Block>,
    encoder_ln: LayerNorm,
    /// Token embeddings for lookup (f16 when the decoder is quantized: one row
    /// is read per token, so the table's size matters more than its speed).
    token_embedding: Embedding,
    /// The same table as the output projection (tied weights).
    output: Projection,
    decoder_positions: Tensor,
    decoder_blocks: Vec<Block>,
    decoder_ln: LayerNorm,
    /// Tokens already in the decoder's self-attention cache.
    cached_tokens: usize,
    pub config: Config,
}

impl WhisperModel {
    pub fn load(source: &dyn WeightSource, config: Config, decoder_precision: WeightPrecision) -> Result<Self> {
        let d = config.d_model;
        let enc = Weights { source, prefix: "model.encoder".into() };
        let dec = Weights { source, prefix: "model.decoder".into() };
        let encoder_blocks = (0..config.encoder_layers)
            .map(|i| {
                Block::load(
                    enc.pp(&format!("layers.{i}")),
                    d,
                    config.encoder_attention_heads,
                    false,
                    WeightPrecision::F32,
                )
            })
            .collect::<Result<_>>()?;
        let decoder_blocks = (0..config.decoder_layers)
            .map(|i| {
                Block::load(dec.pp(&format!("layers.{i}")), d, config.decoder_attention_heads, true, decoder_precision)
            })
            .collect::<Result<_>>()?;
        let table = "model.decoder.embed_tokens.weight";
        let output = Projection {
            weight: source.projection_weight(table, (config.vocab_size, d), decoder_precision)?,
            bias: None,
        };
        let embeddings = dec.get("embed_tokens.weight", &[config.vocab_size, d])?;
        let embeddings = match decoder_precision {
            WeightPrecision::F32 => embeddings,
            _ => embeddings.to_dtype(DType::F16)?,
        };
        Ok(Self {
            conv1: enc.pp("conv1").conv1d(config.num_mel_bins, d, 1)?,
            conv2: enc.pp("conv2").conv1d(d, d, 2)?,
            encoder_positions: enc.get("embed_positions.weight", &[config.max_source_positions, d])?,
            encoder_blocks,
            encoder_ln: enc.pp("layer_norm").layer_norm(d)?,
            token_embedding: Embedding::new(embeddings, d),
            output,
            decoder_positions: dec.get("embed_positions.weight", &[config.max_target_positions, d])?,
            decoder_blocks,
            decoder_ln: dec.pp("layer_norm").layer_norm(d)?,
            cached_tokens: 0,
            config,
        })
    }

    pub fn device(&self) -> &Device {
        self.encoder_positions.device()
    }

    /// `mel [1, n_mels, frames]` (frames even, ≤ 3000) → audio features `[1, frames / 2, d]`.
    pub fn encode(&mut self, mel: &Tensor) -> Result<Tensor> {
        let x = mel.apply(&self.conv1)?.gelu()?.apply(&self.conv2)?.gelu()?.transpose(1, 2)?;
        let positions = self.encoder_positions.narrow(0, 0, x.dim(1)?)?;
        let mut x = x.broadcast_add(&positions)?;
        for block in &mut self.encoder_blocks {
            x = block.forward(&x, None, None)?;
        }
        x.apply(&self.encoder_ln)
    }

    /// Forgets cached keys and values: call before decoding a new window.
    pub fn reset(&mut self) {
        for block in &mut self.decoder_blocks {
            block.attn.cache = None;
            if let Some((cross, _)) = &mut block.cross {
                cross.cache = None;
            }
        }
        self.cached_tokens = 0;
    }

    /// Feeds `tokens [batch, new]` after the cached ones; returns the logits of
    /// the new positions `[batch, new, vocab]`.
    pub fn decode(&mut self, tokens: &Tensor, audio: &Tensor) -> Result<Tensor> {
        let (_, new) = tokens.dims2()?;
        let past = self.cached_tokens;
        let positions = self.decoder_positions.narrow(0, past, new)?;
        let mut x = tokens.apply(&self.token_embedding)?.to_dtype(DType::F32)?.broadcast_add(&positions)?;
        let mask = if new > 1 { Some(causal_mask(past, new, x.device())?) } else { None };
        for block in &mut self.decoder_blocks {
            x = block.forward(&x, Some(audio), mask.as_ref())?;
        }
        self.cached_tokens += new;
        x.apply(&self.decoder_ln)?.apply(&self.output)
    }

    /// Keeps only the given rows of the batch in the caches (beam search).
    pub fn reorder_cache(&mut self, rows: &[u32]) -> Result<()> {
        let index = Tensor::new(rows, self.device())?;
        for block in &mut self.decoder_blocks {
            if let Some((k, v)) = &block.attn.cache {
                block.attn.cache = Some((k.index_select(&index, 0)?, v.index_select(&index, 0)?));
            }
        }
        Ok(())
    }

    /// Keeps the first `keep` cached positions (to decode again from there).
    pub fn truncate_cache(&mut self, keep: usize) -> Result<()> {
        for block in &mut self.decoder_blocks {
            if let Some((k, v)) = &block.attn.cache {
                block.attn.cache = Some((k.narrow(2, 0, keep)?, v.narrow(2, 0, keep)?));
            }
        }
        self.cached_tokens = keep;
        Ok(())
    }
}

/// `[new, past + new]` additive mask: new position i sees past and new ≤ i.
fn causal_mask(past: usize, new: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..new)
        .flat_map(|i| (0..past + new).map(move |j| if j > past + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(values, (new, past + new), device)?.to_dtype(DType::F32)
}

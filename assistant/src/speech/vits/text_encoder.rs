//! The text encoder (`VitsTextEncoder`): token embeddings (scaled by
//! √hidden), transformer layers whose attention adds relative-position
//! embeddings within a window (no absolute positions), layer norm after each
//! sublayer, convolutional feed-forward; a pointwise projection to the prior's
//! means and log-variances. One utterance, unpadded: tokens `[T]` in,
//! hidden `[1, hidden, T]` and prior statistics `[1, flow, T]` out.

use candle_core::{Module, Tensor, D};
use candle_nn::{Conv1d, Conv1dConfig, Embedding, LayerNorm, Linear};

use super::config::{Activation, VitsConfig};
use super::weights::Weights;
use super::VitsError;

struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    heads: usize,
    /// `[2 window + 1, head_dim]` each, relative positions −window..window.
    relative: Option<(Tensor, Tensor)>,
    window: usize,
}

fn linear(w: &Weights, size: usize, bias: bool) -> Result<Linear, VitsError> {
    let weight = w.get("weight", &[size, size])?;
    let bias = if bias { Some(w.get("bias", &[size])?) } else { None };
    Ok(Linear::new(weight, bias))
}

impl Attention {
    fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let hidden = config.hidden_size;
        let head_dim = hidden / config.num_attention_heads;
        let relative = match config.window_size {
            Some(window) if window > 0 => {
                let shape = [1, 2 * window + 1, head_dim];
                Some((w.get("emb_rel_k", &shape)?.squeeze(0)?, w.get("emb_rel_v", &shape)?.squeeze(0)?))
            }
            _ => None,
        };
        Ok(Self {
            query: linear(&w.pp("q_proj"), hidden, config.use_bias)?,
            key: linear(&w.pp("k_proj"), hidden, config.use_bias)?,
            value: linear(&w.pp("v_proj"), hidden, config.use_bias)?,
            out: linear(&w.pp("out_proj"), hidden, config.use_bias)?,
            heads: config.num_attention_heads,
            relative,
            window: config.window_size.unwrap_or(0),
        })
    }

    /// `x`: `[T, hidden]`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (length, hidden) = x.dims2()?;
        let head_dim = hidden / self.heads;
        let split = |t: Tensor| t.reshape((length, self.heads, head_dim))?.transpose(0, 1)?.contiguous();
        let q = split((self.query.forward(x)? * (head_dim as f64).powf(-0.5))?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let mut scores = q.matmul(&k.t()?)?;
        if let Some((relative_key, _)) = &self.relative {
            // q · E[j − i] for |j − i| ≤ window, as transformers' relative-to-absolute shuffle gives.
            let per_offset = q.broadcast_matmul(&relative_key.t()?)?;
            scores = (scores + self.absolute(&per_offset, length)?)?;
        }
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let mut y = weights.matmul(&v)?;
        if let Some((_, relative_value)) = &self.relative {
            y = (y + self.relative_weights(&weights, length)?.broadcast_matmul(relative_value)?)?;
        }
        self.out.forward(&y.transpose(0, 1)?.reshape((length, hidden))?)
    }

    /// `[heads, T, 2w+1]` by offset → `[heads, T, T]` by position (0 outside the window).
    fn absolute(&self, per_offset: &Tensor, length: usize) -> candle_core::Result<Tensor> {
        let w = self.window;
        let per_offset = per_offset.to_vec3::<f32>()?;
        let mut out = vec![0f32; self.heads * length * length];
        for (h, rows) in per_offset.iter().enumerate() {
            for (i, row) in rows.iter().enumerate() {
                let base = (h * length + i) * length;
                for j in i.saturating_sub(w)..(i + w + 1).min(length) {
                    out[base + j] = row[j + w - i];
                }
            }
        }
        Tensor::from_vec(out, (self.heads, length, length), per_offset_device())
    }

    /// `[heads, T, T]` attention weights → `[heads, T, 2w+1]` by offset (the
    /// weight of position i + offset, 0 past the ends).
    fn relative_weights(&self, weights: &Tensor, length: usize) -> candle_core::Result<Tensor> {
        let w = self.window;
        let width = 2 * w + 1;
        let weights = weights.to_vec3::<f32>()?;
        let mut out = vec![0f32; self.heads * length * width];
        for (h, rows) in weights.iter().enumerate() {
            for (i, row) in rows.iter().enumerate() {
                let base = (h * length + i) * width;
                for j in i.saturating_sub(w)..(i + w + 1).min(length) {
                    out[base + j + w - i] = row[j];
                }
            }
        }
        Tensor::from_vec(out, (self.heads, length, width), per_offset_device())
    }
}

fn per_offset_device() -> &'static candle_core::Device {
    &candle_core::Device::Cpu
}

/// Two convolutions over time, each input padded as transformers does
/// (`(k − 1) / 2` before, `k / 2` after), the activation between.
struct FeedForward {
    first: Conv1d,
    second: Conv1d,
    kernel: usize,
    activation: Activation,
}

impl FeedForward {
    fn pad(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.pad_with_zeros(D::Minus1, (self.kernel - 1) / 2, self.kernel / 2)
    }

    /// `x`: `[T, hidden]`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = x.t()?.unsqueeze(0)?;
        let x = self.first.forward(&self.pad(&x)?)?;
        let x = match self.activation {
            Activation::Relu => x.relu()?,
            Activation::Gelu => x.gelu_erf()?,
        };
        self.second.forward(&self.pad(&x)?)?.squeeze(0)?.t()
    }
}

struct Layer {
    attention: Attention,
    attention_norm: LayerNorm,
    feed_forward: FeedForward,
    final_norm: LayerNorm,
}

impl Layer {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.attention_norm.forward(&(x + self.attention.forward(x)?)?)?;
        self.final_norm.forward(&(&x + self.feed_forward.forward(&x)?)?)
    }
}

/// What the encoder gives the rest of the network.
pub struct Encoded {
    /// The last layer's output, `[1, hidden, T]`: the duration predictor's input.
    pub hidden: Tensor,
    /// The prior's means and log-variances per token, `[1, flow, T]` each.
    pub means: Tensor,
    pub log_variances: Tensor,
}

pub struct TextEncoder {
    embedding: Embedding,
    layers: Vec<Layer>,
    project: Conv1d,
    hidden: usize,
    flow: usize,
}

impl TextEncoder {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let hidden = config.hidden_size;
        let embedding = Embedding::new(w.pp("embed_tokens").get("weight", &[config.vocab_size, hidden])?, hidden);
        let activation = Activation::parse(&config.hidden_act).unwrap_or(Activation::Relu);
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let w = w.pp(format!("encoder.layers.{i}"));
                let ff = w.pp("feed_forward");
                let kernel = config.ffn_kernel_size;
                let plain = Conv1dConfig::default();
                Ok(Layer {
                    attention: Attention::load(&w.pp("attention"), config)?,
                    attention_norm: w.pp("layer_norm").layer_norm(hidden, config.layer_norm_eps)?,
                    feed_forward: FeedForward {
                        first: ff.pp("conv_1").conv1d(hidden, config.ffn_dim, kernel, true, plain)?,
                        second: ff.pp("conv_2").conv1d(config.ffn_dim, hidden, kernel, true, plain)?,
                        kernel,
                        activation,
                    },
                    final_norm: w.pp("final_layer_norm").layer_norm(hidden, config.layer_norm_eps)?,
                })
            })
            .collect::<Result<_, VitsError>>()?;
        let project = w.pp("project").pointwise(hidden, 2 * config.flow_size)?;
        Ok(Self { embedding, layers, project, hidden, flow: config.flow_size })
    }

    pub fn forward(&self, tokens: &Tensor) -> candle_core::Result<Encoded> {
        let mut x = (self.embedding.forward(tokens)? * (self.hidden as f64).sqrt())?;
        for layer in &self.layers {
            x = layer.forward(&x)?;
        }
        let hidden = x.t()?.unsqueeze(0)?.contiguous()?;
        let stats = self.project.forward(&hidden)?;
        Ok(Encoded {
            means: stats.narrow(1, 0, self.flow)?,
            log_variances: stats.narrow(1, self.flow, self.flow)?,
            hidden,
        })
    }
}

//! The wav2vec2 CTC network (`Wav2Vec2ForCTC`), on the CPU: the convolutional
//! feature encoder (16 kHz samples in, one frame per 320 samples out), the
//! feature projection, the positional convolution (weight-normed), the
//! transformer (layer norm after each block, or before it with
//! `do_stable_layer_norm`), MMS language adapters after each block when the
//! config has them, and the linear CTC head. Pure: weights come from a
//! [`TensorSource`] under their Hugging Face names; input is one normalised
//! utterance `[1, samples]`, output the head's logits `[frames, vocabulary]`.

use candle_core::{Device, Module, Tensor, D};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm};

use crate::asr::model::{Projection, ProjectionWeight, WeightPrecision};

use super::config::{Activation, CtcConfig};
use super::CtcError;
use super::{gelu, unfold};

/// Tensors by Hugging Face name, checked against the shape the config implies;
/// a missing or misshapen one is an error naming its file.
pub trait TensorSource {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, CtcError>;
}

/// Loads under a name prefix.
struct Weights<'a> {
    source: &'a dyn TensorSource,
    prefix: String,
    precision: WeightPrecision,
}

impl Weights<'_> {
    fn pp(&self, name: impl std::fmt::Display) -> Self {
        let prefix = if self.prefix.is_empty() { name.to_string() } else { format!("{}.{name}", self.prefix) };
        Weights { source: self.source, prefix, precision: self.precision }
    }

    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, CtcError> {
        self.source.tensor(&format!("{}.{name}", self.prefix), shape)
    }

    fn linear(&self, inputs: usize, outputs: usize) -> Result<Projection, CtcError> {
        self.projection(self.get("weight", &[outputs, inputs])?, Some(self.get("bias", &[outputs])?))
    }

    /// A linear layer of `weight` `[outputs, inputs]`, at the precision asked.
    fn projection(&self, weight: Tensor, bias: Option<Tensor>) -> Result<Projection, CtcError> {
        let inputs = weight.dim(1)?;
        // Quantised rows are whole blocks (32 or 256 values); a matrix whose
        // rows are not (small test models, the first convolution) stays f32.
        let whole_blocks = self.precision.ggml().is_none_or(|dtype| inputs.is_multiple_of(dtype.block_size()));
        let precision = if whole_blocks { self.precision } else { WeightPrecision::F32 };
        Ok(Projection { weight: ProjectionWeight::from_dense(weight, precision)?, bias })
    }

    fn layer_norm(&self, size: usize, eps: f64) -> Result<LayerNorm, CtcError> {
        Ok(LayerNorm::new(self.get("weight", &[size])?, self.get("bias", &[size])?, eps))
    }
}

fn activate(x: &Tensor, activation: Activation) -> candle_core::Result<Tensor> {
    match activation {
        Activation::Gelu => gelu::gelu_erf(x),
        Activation::Relu => x.relu(),
    }
}

/// How a feature-encoder convolution is normalised.
enum ConvNorm {
    None,
    /// Each channel over time, with a scale and shift per channel
    /// (wav2vec2-base's first layer: a group norm of one group per channel).
    Group {
        weight: Tensor,
        bias: Tensor,
    },
    /// Over channels, at each time step.
    Layer(LayerNorm),
}

/// One convolution of the feature encoder, run time-major: `[frames, channels]`
/// in and out. Each output frame is its `kernel` input frames side by side
/// ([`unfold::frames`], one copy) times the kernel as a matrix, so the
/// convolution is one matrix product (q8_0 when asked, as the blocks' linear
/// layers), and the layer norm over channels needs no transposes.
struct FeatureConv {
    /// The kernel `[out, kernel · in]`, taps outer and channels inner (the
    /// checkpoint's `[out, in, kernel]` permuted), with the bias if any.
    kernel: Projection,
    size: usize,
    stride: usize,
    norm: ConvNorm,
    activation: Activation,
}

impl FeatureConv {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.kernel.forward(&unfold::frames(x, self.size, self.stride)?)?;
        let x = match &self.norm {
            ConvNorm::None => x,
            ConvNorm::Group { weight, bias } => {
                let mean = x.mean_keepdim(0)?;
                let centred = x.broadcast_sub(&mean)?;
                let variance = centred.sqr()?.mean_keepdim(0)?;
                let x = centred.broadcast_div(&(variance + 1e-5)?.sqrt()?)?;
                x.broadcast_mul(weight)?.broadcast_add(bias)?
            }
            ConvNorm::Layer(norm) => norm.forward(&x)?,
        };
        activate(&x, self.activation)
    }
}

struct Attention {
    query: Projection,
    key: Projection,
    value: Projection,
    out: Projection,
    heads: usize,
}

impl Attention {
    fn load(w: &Weights, hidden: usize, heads: usize) -> Result<Self, CtcError> {
        Ok(Self {
            query: w.pp("q_proj").linear(hidden, hidden)?,
            key: w.pp("k_proj").linear(hidden, hidden)?,
            value: w.pp("v_proj").linear(hidden, hidden)?,
            out: w.pp("out_proj").linear(hidden, hidden)?,
            heads,
        })
    }

    /// `x`: `[1, frames, hidden]`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, frames, hidden) = x.dims3()?;
        let head_dim = hidden / self.heads;
        let split = |t: Tensor| t.reshape((batch, frames, self.heads, head_dim))?.transpose(1, 2)?.contiguous();
        let q = split((self.query.forward(x)? * (head_dim as f64).powf(-0.5))?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let weights = candle_nn::ops::softmax_last_dim(&q.matmul(&k.t()?)?)?;
        let y = weights.matmul(&v)?.transpose(1, 2)?.reshape((batch, frames, hidden))?;
        self.out.forward(&y)
    }
}

/// An MMS language adapter: layer norm, down, ReLU, up; added to the block's output.
struct LanguageAdapter {
    norm: LayerNorm,
    down: Projection,
    up: Projection,
}

impl LanguageAdapter {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.up.forward(&self.down.forward(&self.norm.forward(x)?)?.relu()?)
    }
}

struct Block {
    attention: Attention,
    attention_norm: LayerNorm,
    intermediate: Projection,
    output: Projection,
    final_norm: LayerNorm,
    adapter: Option<LanguageAdapter>,
    activation: Activation,
    /// Layer norm before attention and feed-forward (true) or after (false).
    pre_norm: bool,
}

impl Block {
    fn feed_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.output.forward(&activate(&self.intermediate.forward(x)?, self.activation)?)
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        if self.pre_norm {
            let x = (x + self.attention.forward(&self.attention_norm.forward(x)?)?)?;
            let x = (&x + self.feed_forward(&self.final_norm.forward(&x)?)?)?;
            match &self.adapter {
                Some(adapter) => &x + adapter.forward(&x)?,
                None => Ok(x),
            }
        } else {
            let x = self.attention_norm.forward(&(x + self.attention.forward(x)?)?)?;
            self.final_norm.forward(&(&x + self.feed_forward(&x)?)?)
        }
    }
}

/// The network, loaded.
pub struct CtcNetwork {
    config: CtcConfig,
    feature_convs: Vec<FeatureConv>,
    projection_norm: LayerNorm,
    projection: Projection,
    positional: Conv1d,
    encoder_norm: LayerNorm,
    blocks: Vec<Block>,
    head: Projection,
}

/// The tensors of a language adapter file, by name, at the shapes `config`
/// and the language's vocabulary (`head_size` tokens) imply.
pub fn adapter_tensors(config: &CtcConfig, head_size: usize) -> Vec<(String, Vec<usize>)> {
    let (hidden, width) = (config.hidden_size, config.adapter_attn_dim.unwrap_or(0));
    let mut tensors = Vec::new();
    let layers =
        if config.do_stable_layer_norm && config.adapter_attn_dim.is_some() { config.num_hidden_layers } else { 0 };
    for i in 0..layers {
        let layer = format!("wav2vec2.encoder.layers.{i}.adapter_layer");
        tensors.push((format!("{layer}.norm.weight"), vec![hidden]));
        tensors.push((format!("{layer}.norm.bias"), vec![hidden]));
        tensors.push((format!("{layer}.linear_1.weight"), vec![width, hidden]));
        tensors.push((format!("{layer}.linear_1.bias"), vec![width]));
        tensors.push((format!("{layer}.linear_2.weight"), vec![hidden, width]));
        tensors.push((format!("{layer}.linear_2.bias"), vec![hidden]));
    }
    tensors.push(("lm_head.weight".into(), vec![head_size, hidden]));
    tensors.push(("lm_head.bias".into(), vec![head_size]));
    tensors
}

/// Names of the tensors a language adapter replaces: the adapter layers and the head.
pub fn is_adapter_tensor(name: &str) -> bool {
    name.contains(".adapter_layer.") || name.starts_with("lm_head.")
}

impl CtcNetwork {
    /// The network of `config` from `source`; `head_size` is the vocabulary
    /// the head writes (the config's, or a language adapter's).
    pub fn load(
        source: &dyn TensorSource,
        config: CtcConfig,
        head_size: usize,
        precision: WeightPrecision,
    ) -> Result<Self, CtcError> {
        let root = Weights { source, prefix: String::new(), precision };
        let w = root.pp("wav2vec2");
        let eps = config.layer_norm_eps;
        let feature_activation = Activation::parse(&config.feat_extract_activation).expect("checked by the loader");
        let activation = Activation::parse(&config.hidden_act).expect("checked by the loader");

        let mut feature_convs = Vec::new();
        let mut channels_in = 1;
        for (i, ((&channels, &kernel), &stride)) in
            config.conv_dim.iter().zip(&config.conv_kernel).zip(&config.conv_stride).enumerate()
        {
            let layer = w.pp("feature_extractor.conv_layers").pp(i);
            let conv = layer.pp("conv");
            let weight = conv.get("weight", &[channels, channels_in, kernel])?;
            let weight = weight.permute((0, 2, 1))?.reshape((channels, kernel * channels_in))?;
            let bias = if config.conv_bias { Some(conv.get("bias", &[channels])?) } else { None };
            let norm = match (config.feat_extract_norm.as_str(), i) {
                ("layer", _) => ConvNorm::Layer(layer.pp("layer_norm").layer_norm(channels, 1e-5)?),
                ("group", 0) => {
                    let norm = layer.pp("layer_norm");
                    ConvNorm::Group { weight: norm.get("weight", &[channels])?, bias: norm.get("bias", &[channels])? }
                }
                _ => ConvNorm::None,
            };
            feature_convs.push(FeatureConv {
                kernel: w.projection(weight, bias)?,
                size: kernel,
                stride,
                norm,
                activation: feature_activation,
            });
            channels_in = channels;
        }

        let hidden = config.hidden_size;
        let features = *config.conv_dim.last().expect("checked by the loader");
        let projection_norm = w.pp("feature_projection.layer_norm").layer_norm(features, eps)?;
        let projection = w.pp("feature_projection.projection").linear(features, hidden)?;
        let positional = positional_conv(&w.pp("encoder.pos_conv_embed.conv"), &config)?;
        let encoder_norm = w.pp("encoder.layer_norm").layer_norm(hidden, eps)?;

        let mut blocks = Vec::new();
        for i in 0..config.num_hidden_layers {
            let b = w.pp("encoder.layers").pp(i);
            let adapter = match config.adapter_attn_dim {
                Some(width) if config.do_stable_layer_norm => {
                    let a = b.pp("adapter_layer");
                    Some(LanguageAdapter {
                        norm: a.pp("norm").layer_norm(hidden, 1e-5)?,
                        down: a.pp("linear_1").linear(hidden, width)?,
                        up: a.pp("linear_2").linear(width, hidden)?,
                    })
                }
                _ => None,
            };
            blocks.push(Block {
                attention: Attention::load(&b.pp("attention"), hidden, config.num_attention_heads)?,
                attention_norm: b.pp("layer_norm").layer_norm(hidden, eps)?,
                intermediate: b.pp("feed_forward.intermediate_dense").linear(hidden, config.intermediate_size)?,
                output: b.pp("feed_forward.output_dense").linear(config.intermediate_size, hidden)?,
                final_norm: b.pp("final_layer_norm").layer_norm(hidden, eps)?,
                adapter,
                activation,
                pre_norm: config.do_stable_layer_norm,
            });
        }
        let head = root.pp("lm_head").linear(hidden, head_size)?;
        Ok(Self { config, feature_convs, projection_norm, projection, positional, encoder_norm, blocks, head })
    }

    pub fn config(&self) -> &CtcConfig {
        &self.config
    }

    /// Logits `[frames, vocabulary]` for normalised samples (at least one frame's worth).
    pub fn forward(&self, samples: &[f32]) -> candle_core::Result<Tensor> {
        self.encode(&self.features(samples)?)
    }

    /// The feature encoder, projection and positional convolution: samples
    /// in, the transformer's input `[1, frames, hidden]` out.
    pub fn features(&self, samples: &[f32]) -> candle_core::Result<Tensor> {
        let mut x = Tensor::from_slice(samples, (samples.len(), 1), &Device::Cpu)?;
        for conv in &self.feature_convs {
            x = conv.forward(&x)?;
        }
        let x = self.projection.forward(&self.projection_norm.forward(&x.unsqueeze(0)?)?)?;
        &x + self.positional_embedding(&x)?
    }

    /// The transformer and the head: `features`' output in, logits `[frames, vocabulary]` out.
    pub fn encode(&self, features: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = features.clone();
        if !self.config.do_stable_layer_norm {
            x = self.encoder_norm.forward(&x)?;
        }
        for block in &self.blocks {
            x = block.forward(&x)?;
        }
        if self.config.do_stable_layer_norm {
            x = self.encoder_norm.forward(&x)?;
        }
        self.head.forward(&x)?.squeeze(0)
    }

    /// The positional convolution over `[1, frames, hidden]`; an even kernel
    /// gives one frame too many, dropped at the end as `Wav2Vec2SamePadLayer` does.
    fn positional_embedding(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let frames = x.dim(1)?;
        let y = self.positional.forward(&x.transpose(1, 2)?.contiguous()?)?.narrow(D::Minus1, 0, frames)?;
        gelu::gelu_erf(&y)?.transpose(1, 2)
    }
}

/// The positional convolution's weight from its weight-norm parts: `g`
/// `[1, 1, kernel]` and `v` `[hidden, hidden / groups, kernel]`, weight =
/// g · v / ‖v‖ with the norm over everything but the kernel axis (`dim=2`).
/// Older checkpoints name them `weight_g`/`weight_v`, newer ones (torch's
/// parametrizations) `parametrizations.weight.original0`/`original1`.
fn positional_conv(w: &Weights, config: &CtcConfig) -> Result<Conv1d, CtcError> {
    let hidden = config.hidden_size;
    let kernel = config.num_conv_pos_embeddings;
    let groups = config.num_conv_pos_embedding_groups;
    let g_shape = [1, 1, kernel];
    let v_shape = [hidden, hidden / groups, kernel];
    let (g, v) = match w.get("weight_g", &g_shape) {
        Ok(g) => (g, w.get("weight_v", &v_shape)?),
        Err(CtcError::MissingTensor { .. }) => (
            w.get("parametrizations.weight.original0", &g_shape)?,
            w.get("parametrizations.weight.original1", &v_shape)?,
        ),
        Err(other) => return Err(other),
    };
    let norm = v.sqr()?.sum_keepdim(0)?.sum_keepdim(1)?.sqrt()?;
    let weight = v.broadcast_mul(&g.broadcast_div(&norm)?)?;
    let bias = w.get("bias", &[hidden])?;
    let conv_config = Conv1dConfig { padding: kernel / 2, groups, ..Default::default() };
    Ok(Conv1d::new(weight, Some(bias), conv_config))
}

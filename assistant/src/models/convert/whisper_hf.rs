//! CTranslate2 Whisper → Hugging Face Whisper layout (`model.safetensors` +
//! `config.json`), the layout `candle_transformers::models::whisper` loads.
//!
//! CTranslate2 fuses projections: self-attention `linear_0` is Q,K,V stacked
//! along the output dimension, cross-attention `linear_1` is K,V. They are split
//! back here; the K bias CTranslate2 stores is all zeros (Whisper's key
//! projections have no bias) and is dropped. Tensors keep their stored dtype.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde_json::json;

use super::ctranslate2::{Ct2Dtype, Ct2Model};
use crate::models::{ModelError, Result};

/// Hyper-parameters of a Whisper model, read off the tensors themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhisperDims {
    pub n_mels: usize,
    pub n_vocab: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
    pub n_ffn: usize,
}

/// Token lists from CTranslate2's `config.json` that decoding needs.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Ct2WhisperConfig {
    #[serde(default)]
    pub suppress_ids: Vec<u32>,
    #[serde(default)]
    pub suppress_ids_begin: Vec<u32>,
    #[serde(default)]
    pub lang_ids: Vec<u32>,
    #[serde(default)]
    pub alignment_heads: Vec<(u32, u32)>,
}

struct Tensor<'a> {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    data: &'a [u8],
}

/// Converts `model.bin` (+ its `config.json`) into `out_dir/model.safetensors`
/// and `out_dir/config.json`. Returns the model's dimensions.
pub fn convert(model_bin: &Path, ct2_config: &Path, out_dir: &Path) -> Result<WhisperDims> {
    let model = Ct2Model::open(model_bin)?;
    if model.spec != "WhisperSpec" {
        return Err(ModelError::Invalid {
            path: model_bin.to_path_buf(),
            message: format!("a CTranslate2 `{}` model, not a Whisper model", model.spec),
        });
    }
    let config_text = std::fs::read_to_string(ct2_config).map_err(ModelError::io(ct2_config))?;
    let config: Ct2WhisperConfig = serde_json::from_str(&config_text)
        .map_err(|e| ModelError::Invalid { path: ct2_config.to_path_buf(), message: e.to_string() })?;

    let dims = read_dims(&model)?;
    let tensors = map_tensors(&model, &dims)?;
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|t| {
            let view = TensorView::new(t.dtype, t.shape.clone(), t.data).map_err(|e| ModelError::Invalid {
                path: model_bin.to_path_buf(),
                message: format!("{}: {e}", t.name),
            })?;
            Ok((t.name.clone(), view))
        })
        .collect::<Result<_>>()?;
    let out = out_dir.join("model.safetensors");
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(views, Some(metadata), &out)
        .map_err(|e| ModelError::Invalid { path: out.clone(), message: e.to_string() })?;

    let config_out = out_dir.join("config.json");
    let hf_config = hf_config(&dims, &config, tensors[0].dtype);
    std::fs::write(&config_out, serde_json::to_string_pretty(&hf_config).expect("json"))
        .map_err(ModelError::io(&config_out))?;
    Ok(dims)
}

fn read_dims(model: &Ct2Model) -> Result<WhisperDims> {
    let shape = |name: &str| model.require(name).map(|v| v.shape.clone());
    let count_layers = |prefix: &str| {
        (0..).take_while(|i| model.variable(&format!("{prefix}/layer_{i}/ffn/linear_0/weight")).is_some()).count()
    };
    let conv1 = shape("encoder/conv1/weight")?;
    let embeddings = shape("decoder/embeddings/weight")?;
    let ffn = shape("encoder/layer_0/ffn/linear_0/weight")?;
    let bad = |message: String| ModelError::Invalid { path: model.path.clone(), message };
    if conv1.len() != 3 || embeddings.len() != 2 || ffn.len() != 2 {
        return Err(bad(format!("unexpected shapes: conv1 {conv1:?}, embeddings {embeddings:?}")));
    }
    Ok(WhisperDims {
        n_mels: conv1[1],
        n_vocab: embeddings[0],
        n_audio_ctx: shape("encoder/position_encodings/encodings")?[0],
        n_audio_state: conv1[0],
        n_audio_head: model.scalar("encoder/num_heads")? as usize,
        n_audio_layer: count_layers("encoder"),
        n_text_ctx: shape("decoder/position_encodings/encodings")?[0],
        n_text_state: embeddings[1],
        n_text_head: model.scalar("decoder/num_heads")? as usize,
        n_text_layer: count_layers("decoder"),
        n_ffn: ffn[0],
    })
}

fn safetensors_dtype(model: &Ct2Model, dtype: Ct2Dtype) -> Result<Dtype> {
    match dtype {
        Ct2Dtype::F32 => Ok(Dtype::F32),
        Ct2Dtype::F16 => Ok(Dtype::F16),
        Ct2Dtype::Bf16 => Ok(Dtype::BF16),
        other => Err(ModelError::Invalid {
            path: model.path.clone(),
            message: format!(
                "{other:?} weights: quantised CTranslate2 models are not supported; \
                 convert the model with `--quantization float16`"
            ),
        }),
    }
}

/// Collects the renamed (and split) tensors, borrowing the mapped file's bytes.
struct Mapper<'a> {
    model: &'a Ct2Model,
    out: Vec<Tensor<'a>>,
}

impl<'a> Mapper<'a> {
    /// Copies `from` as `to`, whole.
    fn copy(&mut self, from: &str, to: String) -> Result<()> {
        let v = self.model.require(from)?;
        let dtype = safetensors_dtype(self.model, v.dtype)?;
        self.out.push(Tensor { name: to, dtype, shape: v.shape.clone(), data: self.model.bytes(v) });
        Ok(())
    }

    /// Splits a fused `[parts × rows, …]` tensor along its first axis; `None` drops a part.
    fn split(&mut self, from: &str, names: &[Option<String>]) -> Result<()> {
        let v = self.model.require(from)?;
        let dtype = safetensors_dtype(self.model, v.dtype)?;
        let bytes = self.model.bytes(v);
        let chunk = bytes.len() / names.len();
        for (i, name) in names.iter().enumerate() {
            if let Some(name) = name {
                let mut shape = v.shape.clone();
                shape[0] /= names.len();
                let data = &bytes[i * chunk..(i + 1) * chunk];
                self.out.push(Tensor { name: name.clone(), dtype, shape, data });
            }
        }
        Ok(())
    }

    fn linear(&mut self, from: &str, to: &str) -> Result<()> {
        self.copy(&format!("{from}/weight"), format!("{to}.weight"))?;
        self.copy(&format!("{from}/bias"), format!("{to}.bias"))
    }

    fn norm(&mut self, from: &str, to: &str) -> Result<()> {
        self.copy(&format!("{from}/gamma"), format!("{to}.weight"))?;
        self.copy(&format!("{from}/beta"), format!("{to}.bias"))
    }
}

fn map_tensors<'a>(model: &'a Ct2Model, dims: &WhisperDims) -> Result<Vec<Tensor<'a>>> {
    let mut m = Mapper { model, out: Vec::new() };
    m.linear("encoder/conv1", "model.encoder.conv1")?;
    m.linear("encoder/conv2", "model.encoder.conv2")?;
    m.copy("encoder/position_encodings/encodings", "model.encoder.embed_positions.weight".into())?;
    m.copy("decoder/embeddings/weight", "model.decoder.embed_tokens.weight".into())?;
    m.copy("decoder/position_encodings/encodings", "model.decoder.embed_positions.weight".into())?;
    m.norm("encoder/layer_norm", "model.encoder.layer_norm")?;
    m.norm("decoder/layer_norm", "model.decoder.layer_norm")?;

    for (stack, layers) in [("encoder", dims.n_audio_layer), ("decoder", dims.n_text_layer)] {
        for i in 0..layers {
            let src = format!("{stack}/layer_{i}");
            let dst = format!("model.{stack}.layers.{i}");
            let own = |p: &str, what: &str| Some(format!("{dst}.self_attn.{p}_proj.{what}"));
            m.split(
                &format!("{src}/self_attention/linear_0/weight"),
                &[own("q", "weight"), own("k", "weight"), own("v", "weight")],
            )?;
            m.split(&format!("{src}/self_attention/linear_0/bias"), &[own("q", "bias"), None, own("v", "bias")])?;
            m.linear(&format!("{src}/self_attention/linear_1"), &format!("{dst}.self_attn.out_proj"))?;
            m.norm(&format!("{src}/self_attention/layer_norm"), &format!("{dst}.self_attn_layer_norm"))?;
            if stack == "decoder" {
                let cross = |p: &str, what: &str| Some(format!("{dst}.encoder_attn.{p}_proj.{what}"));
                m.linear(&format!("{src}/attention/linear_0"), &format!("{dst}.encoder_attn.q_proj"))?;
                m.split(&format!("{src}/attention/linear_1/weight"), &[cross("k", "weight"), cross("v", "weight")])?;
                m.split(&format!("{src}/attention/linear_1/bias"), &[None, cross("v", "bias")])?;
                m.linear(&format!("{src}/attention/linear_2"), &format!("{dst}.encoder_attn.out_proj"))?;
                m.norm(&format!("{src}/attention/layer_norm"), &format!("{dst}.encoder_attn_layer_norm"))?;
            }
            m.linear(&format!("{src}/ffn/linear_0"), &format!("{dst}.fc1"))?;
            m.linear(&format!("{src}/ffn/linear_1"), &format!("{dst}.fc2"))?;
            m.norm(&format!("{src}/ffn/layer_norm"), &format!("{dst}.final_layer_norm"))?;
        }
    }
    Ok(m.out)
}

fn hf_config(dims: &WhisperDims, ct2: &Ct2WhisperConfig, dtype: Dtype) -> serde_json::Value {
    let torch_dtype = match dtype {
        Dtype::F16 => "float16",
        Dtype::BF16 => "bfloat16",
        _ => "float32",
    };
    // Token ids follow from the vocabulary size: multilingual Whisper has 51865
    // tokens with <|endoftext|> at 50257; English-only has 51864 with it at 50256.
    let eot = if dims.n_vocab >= 51865 { 50257 } else { 50256 };
    json!({
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        "torch_dtype": torch_dtype,
        "num_mel_bins": dims.n_mels,
        "vocab_size": dims.n_vocab,
        "d_model": dims.n_audio_state,
        "encoder_layers": dims.n_audio_layer,
        "encoder_attention_heads": dims.n_audio_head,
        "encoder_ffn_dim": dims.n_ffn,
        "decoder_layers": dims.n_text_layer,
        "decoder_attention_heads": dims.n_text_head,
        "decoder_ffn_dim": dims.n_ffn,
        "max_source_positions": dims.n_audio_ctx,
        "max_target_positions": dims.n_text_ctx,
        "activation_function": "gelu",
        "scale_embedding": false,
        "tie_word_embeddings": true,
        "bos_token_id": eot,
        "eos_token_id": eot,
        "pad_token_id": eot,
        "decoder_start_token_id": eot + 1,
        "suppress_tokens": ct2.suppress_ids,
        "begin_suppress_tokens": ct2.suppress_ids_begin,
        "lang_ids": ct2.lang_ids,
        "alignment_heads": ct2.alignment_heads,
    })
}

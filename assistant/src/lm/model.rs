//! The transformer behind a GGUF file: candle-transformers' quantized models,
//! chosen by `general.architecture`. Weights stay quantized (Q4_K/Q8_0 matmuls).
//!
//! Known gap: candle's Gemma 3 loader dequantizes the 262k×640 embedding table
//! to f32 (670 MB, most of the load time); keeping it quantized and gathering
//! rows on demand needs our own Gemma 3 (not done yet).

use std::fs::File;
use std::io::BufReader;

use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_gemma3, quantized_llama, quantized_qwen2, quantized_qwen3};

use super::{GgufFile, LmError};

/// Architectures this build can run.
pub const ARCHITECTURES: [&str; 4] = ["qwen2", "qwen3", "gemma3", "llama"];

pub enum Transformer {
    Qwen2(quantized_qwen2::ModelWeights),
    Qwen3(quantized_qwen3::ModelWeights),
    Gemma3(quantized_gemma3::ModelWeights),
    Llama(quantized_llama::ModelWeights),
}

impl Transformer {
    /// Loads the weights of `gguf` (its header already read).
    pub fn load(gguf: GgufFile) -> Result<Self, LmError> {
        let architecture = gguf.architecture()?.to_string();
        let path = gguf.path.clone();
        let file = File::open(&path).map_err(|source| LmError::Io { path: path.clone(), source })?;
        let mut reader = BufReader::new(file);
        let device = Device::Cpu;
        let weights = |e: candle_core::Error| LmError::NotGguf { path: path.clone(), message: e.to_string() };
        Ok(match architecture.as_str() {
            "qwen2" => Self::Qwen2(
                quantized_qwen2::ModelWeights::from_gguf(gguf.content, &mut reader, &device).map_err(weights)?,
            ),
            "qwen3" => Self::Qwen3(
                quantized_qwen3::ModelWeights::from_gguf(gguf.content, &mut reader, &device).map_err(weights)?,
            ),
            "gemma3" => Self::Gemma3(
                quantized_gemma3::ModelWeights::from_gguf(gguf.content, &mut reader, &device).map_err(weights)?,
            ),
            "llama" => Self::Llama(
                quantized_llama::ModelWeights::from_gguf(gguf.content, &mut reader, &device).map_err(weights)?,
            ),
            other => return Err(LmError::UnsupportedArchitecture { architecture: other.to_string(), path }),
        })
    }

    /// Logits `[vocab]` for the last of `tokens`, which start at `position` in
    /// the sequence; position 0 starts a new sequence (the KV cache is reset).
    pub fn forward(&mut self, tokens: &[u32], position: usize) -> Result<Tensor, LmError> {
        let mut run = || -> candle_core::Result<Tensor> {
            let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
            let logits = match self {
                Self::Qwen2(m) => m.forward(&input, position)?,
                Self::Qwen3(m) => {
                    if position == 0 {
                        m.clear_kv_cache();
                    }
                    m.forward(&input, position)?
                }
                Self::Gemma3(m) => m.forward(&input, position)?,
                Self::Llama(m) => m.forward(&input, position)?,
            };
            // Some models return [batch, vocab], others [batch, seq, vocab].
            let logits = logits.squeeze(0)?;
            if logits.rank() == 2 {
                logits.get(logits.dim(0)? - 1)
            } else {
                Ok(logits)
            }
        };
        run().map_err(|e| LmError::Compute(e.to_string()))
    }
}

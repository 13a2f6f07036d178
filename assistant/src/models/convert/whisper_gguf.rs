//! Hugging Face Whisper safetensors → a GGUF file with the decoder's matrices
//! quantised (q8_0 or q4_K) and everything else in f16, under the same tensor
//! names. Loading it needs no quantisation step and the file is a third
//! smaller (`awal models quantize`).

use std::path::Path;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;

use crate::models::{ModelError, Result};

/// Whether a tensor is one of the decoder's matrices, which a decoder step
/// reads whole for every token (the embedding table doubles as the output
/// projection).
pub fn is_decoder_matrix(name: &str) -> bool {
    name == "model.decoder.embed_tokens.weight"
        || (name.starts_with("model.decoder.layers.")
            && name.ends_with(".weight")
            && ["_proj.weight", "fc1.weight", "fc2.weight"].iter().any(|end| name.ends_with(end)))
}

/// Writes `out` from `hf_dir/model.safetensors`, quantising decoder matrices to `dtype`.
pub fn export(hf_dir: &Path, out: &Path, dtype: GgmlDType) -> Result<()> {
    let weights_path = hf_dir.join("model.safetensors");
    let invalid = |message: String| ModelError::Invalid { path: weights_path.clone(), message };
    let tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu).map_err(|e| invalid(e.to_string()))?;
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    let quantised = names
        .iter()
        .map(|name| {
            let tensor = &tensors[*name];
            let target = if is_decoder_matrix(name) { dtype } else { GgmlDType::F16 };
            QTensor::quantize(tensor, target).map_err(|e| invalid(format!("{name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let architecture = gguf_file::Value::String("whisper".into());
    let precision = gguf_file::Value::String(format!("{dtype:?}"));
    let metadata = [("general.architecture", &architecture), ("awal.decoder_precision", &precision)];
    let pairs: Vec<(&str, &QTensor)> = names.iter().map(|n| n.as_str()).zip(quantised.iter()).collect();
    let mut file = std::fs::File::create(out).map_err(ModelError::io(out))?;
    gguf_file::write(&mut file, &metadata, &pairs)
        .map_err(|e| ModelError::Invalid { path: out.to_path_buf(), message: e.to_string() })?;
    file.sync_all().map_err(ModelError::io(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_decoder_matrices() {
        assert!(is_decoder_matrix("model.decoder.layers.3.encoder_attn.k_proj.weight"));
        assert!(is_decoder_matrix("model.decoder.layers.0.fc2.weight"));
        assert!(is_decoder_matrix("model.decoder.embed_tokens.weight"));
        assert!(!is_decoder_matrix("model.decoder.layers.0.fc2.bias"));
        assert!(!is_decoder_matrix("model.decoder.layers.0.final_layer_norm.weight"));
        assert!(!is_decoder_matrix("model.encoder.layers.0.fc1.weight"));
        assert!(!is_decoder_matrix("model.decoder.embed_positions.weight"));
    }
}

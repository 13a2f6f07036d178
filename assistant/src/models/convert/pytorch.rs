//! PyTorch checkpoints (`pytorch_model.bin`, the zip that `torch.save` writes)
//! to safetensors: most wav2vec2 fine-tunes of 2021–2022 were published only
//! in that form. candle's reader interprets the pickle's opcodes itself, so no
//! code from the file runs; tensors keep their names and dtypes.

use std::path::Path;

use crate::models::{ModelError, Result};

/// Writes the tensors of the PyTorch checkpoint `bin` to the safetensors file `out`.
pub fn to_safetensors(bin: &Path, out: &Path) -> Result<()> {
    let invalid = |message: String| ModelError::Invalid { path: bin.to_path_buf(), message };
    let tensors = candle_core::pickle::read_all(bin)
        .map_err(|e| invalid(format!("not a PyTorch checkpoint candle can read: {e}")))?;
    if tensors.is_empty() {
        return Err(invalid("holds no tensors".into()));
    }
    let tensors: std::collections::HashMap<String, candle_core::Tensor> = tensors.into_iter().collect();
    candle_core::safetensors::save(&tensors, out)
        .map_err(|e| ModelError::Invalid { path: out.to_path_buf(), message: format!("writing safetensors: {e}") })
}

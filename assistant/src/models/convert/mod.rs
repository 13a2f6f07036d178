//! Converters between Whisper weight formats: CTranslate2 (faster-whisper),
//! Hugging Face safetensors (what candle loads), whisper.cpp GGML, and GGUF
//! with a quantised decoder; and PyTorch checkpoints to safetensors
//! ([`pytorch`], for CTC recognizers published that way).

pub mod ctranslate2;
pub mod ggml;
pub mod pytorch;
pub mod whisper_gguf;
pub mod whisper_hf;

use std::path::Path;

use crate::models::{ModelError, Result};

/// Turns a CTranslate2 Whisper directory (`model.bin`, `config.json`,
/// `tokenizer.json`) into an installable one in `out_dir`: Hugging Face
/// safetensors + config, the tokenizer, and the whisper.cpp GGML export.
pub fn whisper_from_ctranslate2(ct2_dir: &Path, out_dir: &Path) -> Result<()> {
    let tokenizer = ct2_dir.join("tokenizer.json");
    if !tokenizer.is_file() {
        return Err(ModelError::Invalid {
            path: ct2_dir.to_path_buf(),
            message: "no tokenizer.json beside model.bin".into(),
        });
    }
    // The CTranslate2 config.json is replaced by the Hugging Face one, so read
    // it before writing (the two directories may be the same).
    let ct2_config = tempfile::NamedTempFile::new_in(out_dir).map_err(ModelError::io(out_dir))?;
    std::fs::copy(ct2_dir.join("config.json"), ct2_config.path())
        .map_err(ModelError::io(ct2_dir.join("config.json")))?;
    whisper_hf::convert(&ct2_dir.join("model.bin"), ct2_config.path(), out_dir)?;
    if ct2_dir != out_dir {
        std::fs::copy(&tokenizer, out_dir.join("tokenizer.json")).map_err(ModelError::io(&tokenizer))?;
    }
    ggml::export(out_dir, &out_dir.join("ggml-model.bin"))?;
    Ok(())
}

//! `awal models import DIR`: registers a Whisper model from a directory in one
//! of the layouts community fine-tunes are published in — CTranslate2
//! (faster-whisper), Hugging Face (safetensors) or whisper.cpp GGML — converting
//! it to the installed layout and recording the hash of every file.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::convert::{self, ggml};
use super::install::{InstalledModel, ModelStore, Origin};
use super::manifest::Role;
use super::{ModelError, Result};

/// The layouts `import` recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhisperLayout {
    Ctranslate2,
    HuggingFace,
    /// A whisper.cpp model file (usable by the whisper.cpp backend only).
    Ggml(PathBuf),
}

impl WhisperLayout {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ctranslate2 => "ctranslate2",
            Self::HuggingFace => "huggingface",
            Self::Ggml(_) => "ggml",
        }
    }
}

/// Works out which layout a directory holds.
pub fn detect(dir: &Path) -> Result<WhisperLayout> {
    let unknown = |message: String| ModelError::Invalid { path: dir.to_path_buf(), message };
    if !dir.is_dir() {
        return Err(unknown("not a directory".into()));
    }
    let model_bin = dir.join("model.bin");
    if model_bin.is_file() && starts_like_ctranslate2(&model_bin) {
        return Ok(WhisperLayout::Ctranslate2);
    }
    if dir.join("model.safetensors").is_file() {
        let config = fs::read_to_string(dir.join("config.json")).unwrap_or_default();
        let model_type = serde_json::from_str::<serde_json::Value>(&config)
            .ok()
            .and_then(|v| v.get("model_type").and_then(|t| t.as_str()).map(String::from));
        return match model_type.as_deref() {
            Some("whisper") => Ok(WhisperLayout::HuggingFace),
            other => {
                Err(unknown(format!("model.safetensors with config.json model_type {other:?}, not a Whisper model")))
            }
        };
    }
    let mut bins: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(ModelError::io(dir))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin") && ggml::GgmlHeader::read(p).is_ok())
        .collect();
    bins.sort();
    if let Some(first) = bins.into_iter().next() {
        return Ok(WhisperLayout::Ggml(first));
    }
    Err(unknown(
        "unknown model layout: expected a CTranslate2 Whisper (model.bin, config.json, tokenizer.json), \
         a Hugging Face Whisper (model.safetensors, config.json, tokenizer.json) or a whisper.cpp GGML *.bin"
            .into(),
    ))
}

fn starts_like_ctranslate2(path: &Path) -> bool {
    let mut head = [0u8; 20];
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    if file.read_exact(&mut head).is_err() {
        return false;
    }
    let version = u32::from_le_bytes(head[0..4].try_into().unwrap());
    (5..=6).contains(&version) && head[6..].starts_with(b"WhisperSpec")
}

/// Writes the installed layout of the model in `dir` (of `layout`) into `out`:
/// safetensors + config + tokenizer + GGML, or the GGML file alone.
pub fn convert_into(dir: &Path, layout: &WhisperLayout, out: &Path) -> Result<()> {
    match layout {
        WhisperLayout::Ctranslate2 => convert::whisper_from_ctranslate2(dir, out),
        WhisperLayout::HuggingFace => {
            for name in ["model.safetensors", "config.json", "tokenizer.json"] {
                let from = dir.join(name);
                fs::copy(&from, out.join(name)).map_err(ModelError::io(&from))?;
            }
            ggml::export(out, &out.join("ggml-model.bin")).map(|_| ())
        }
        WhisperLayout::Ggml(file) => {
            fs::copy(file, out.join("ggml-model.bin")).map(|_| ()).map_err(ModelError::io(file))
        }
    }
}

/// Imports the model in `dir` under `id`.
pub fn import(dir: &Path, id: &str, store: &ModelStore) -> Result<InstalledModel> {
    let layout = detect(dir)?;
    let staging = store.stage(id)?;
    convert_into(dir, &layout, staging.path())?;
    let origin = Origin::Import { path: dir.display().to_string(), detected_format: layout.name().to_string() };
    store.commit(staging, Role::Asr, origin)
}

/// Installs `target_id`: the Whisper model `source` with its decoder quantised
/// to `dtype` in `model.gguf` (with its config and tokenizer). The candle
/// backend loads it without a quantisation step; whisper.cpp cannot.
pub fn quantize(
    source: &InstalledModel,
    target_id: &str,
    dtype: candle_core::quantized::GgmlDType,
    store: &ModelStore,
) -> Result<InstalledModel> {
    if !source.has_file("model.safetensors") {
        return Err(ModelError::Invalid {
            path: source.dir.clone(),
            message: "no model.safetensors to quantise".into(),
        });
    }
    let staging = store.stage(target_id)?;
    for name in ["config.json", "tokenizer.json"] {
        let from = source.file(name);
        fs::copy(&from, staging.path().join(name)).map_err(ModelError::io(&from))?;
    }
    convert::whisper_gguf::export(&source.dir, &staging.path().join("model.gguf"), dtype)?;
    let origin =
        Origin::Import { path: source.dir.display().to_string(), detected_format: format!("quantized {dtype:?}") };
    store.commit(staging, Role::Asr, origin)
}

/// A model id from a directory name: lowercase letters, digits, `-`, `.`, `_`.
pub fn id_from_dir(dir: &Path) -> String {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_else(|| "imported".into());
    let id: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-._".contains(c) { c } else { '-' }).collect();
    id.trim_matches(['-', '.']).to_string()
}

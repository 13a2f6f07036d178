//! CTC recognizers of the wav2vec2 family (wav2vec2, XLS-R, MMS with its
//! language adapters) from a Hugging Face `Wav2Vec2ForCTC` directory:
//! `config.json`, `model.safetensors`, `vocab.json` (flat, or nested by
//! language for MMS), optionally `preprocessor_config.json` (`do_normalize`),
//! `tokenizer_config.json` (`word_delimiter_token`) and
//! `adapter.<lang>.safetensors` (an MMS language's adapter layers and head).
//!
//! [`CtcModel`] is one loaded checkpoint for one language: samples (16 kHz
//! mono) in, logits or a greedy transcript out. Long audio is run in windows
//! of [`CtcParams::chunk_s`] with [`CtcParams::context_s`] of context on each
//! side whose frames are dropped, so memory stays bounded (attention is
//! quadratic in the window). [`import`] checks a directory and installs it
//! for its languages; [`languages`] matches a kiosk language to the codes a
//! model lists. `hearing::CtcRecognizer` puts a model behind the hearing seam.

mod config;
mod decode;
mod gelu;
pub mod import;
pub mod languages;
mod network;
mod unfold;
mod vocab;

use std::path::{Path, PathBuf};

use candle_core::D;

pub use config::CtcConfig;
pub use decode::{greedy, CtcTranscript};
pub use network::CtcNetwork;
pub use vocab::{Vocabulary, VocabularyFile};

use super::weights::SafetensorsFile;
use super::WeightPrecision;
use network::{is_adapter_tensor, TensorSource};

#[derive(Debug, thiserror::Error)]
pub enum CtcError {
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("{file}: unsupported configuration: {message}")]
    Config { file: PathBuf, message: String },
    #[error("{file}: tensor `{name}` is missing: not a Wav2Vec2ForCTC checkpoint of this config.json, or incomplete")]
    MissingTensor { file: PathBuf, name: String },
    #[error("{file}: tensor `{name}` has shape {found:?} where config.json implies {expected:?}: a checkpoint or adapter for another model")]
    TensorShape { file: PathBuf, name: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("{file}: {message}")]
    Weights { file: PathBuf, message: String },
    #[error("{file}: {message}")]
    Vocabulary { file: PathBuf, message: String },
    #[error("{dir}: no vocabulary and adapter for language `{lang}` (this model has: {available})")]
    UnknownLanguage { dir: PathBuf, lang: String, available: String },
    #[error("{dir}: which language does it hear? Name it: awal models import {dir} --lang CODE (a single vocabulary, and no `language:` in its README.md)")]
    NoLanguage { dir: PathBuf },
    #[error("no installed CTC recognizer lists `{lang}`: see `awal languages`")]
    NoModel { lang: String },
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error("CTC inference failed: {0}")]
    Inference(#[from] candle_core::Error),
}

/// The precision a kiosk runs CTC recognizers in: q8_0 keeps a 300M model's
/// memory within a Pi's means, with transcripts as f32's on real weights.
pub const KIOSK_PRECISION: WeightPrecision = WeightPrecision::Q8;

/// How long audio is cut; defaults bound a window's attention to ~1,000 frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CtcParams {
    /// Seconds of audio whose frames each window keeps (default 20).
    pub chunk_s: f32,
    /// Seconds of audio on each side of a window's kept part, run for context
    /// and then dropped (default 2).
    pub context_s: f32,
}

impl Default for CtcParams {
    fn default() -> Self {
        Self { chunk_s: 20.0, context_s: 2.0 }
    }
}

const SAMPLE_RATE: f32 = 16_000.0;

/// A safetensors file that names itself in its errors.
struct WeightFile {
    path: PathBuf,
    file: SafetensorsFile,
}

impl WeightFile {
    fn open(path: &Path) -> Result<Self, CtcError> {
        if !path.is_file() {
            let message = if path.with_extension("safetensors.index.json").is_file()
                || path.parent().is_some_and(|d| d.join("model.safetensors.index.json").is_file())
            {
                "missing: sharded checkpoints are not read yet; merge the shards into one model.safetensors"
            } else {
                "missing (a .bin checkpoint must be converted to safetensors first)"
            };
            return Err(CtcError::File { file: path.to_path_buf(), message: message.into() });
        }
        let file = SafetensorsFile::open(path)
            .map_err(|e| CtcError::Weights { file: path.to_path_buf(), message: e.to_string() })?;
        Ok(Self { path: path.to_path_buf(), file })
    }

    fn tensor(&self, name: &str, shape: &[usize]) -> Result<candle_core::Tensor, CtcError> {
        use super::model::WeightSource;
        self.file.tensor(name, shape).map_err(|e| self.error(name, shape, e))
    }

    fn error(&self, name: &str, shape: &[usize], error: candle_core::Error) -> CtcError {
        let file = self.path.clone();
        match error {
            candle_core::Error::WithBacktrace { inner, .. } => self.error(name, shape, *inner),
            candle_core::Error::CannotFindTensor { .. } => CtcError::MissingTensor { file, name: name.into() },
            candle_core::Error::UnexpectedShape { got, .. } => {
                CtcError::TensorShape { file, name: name.into(), expected: shape.to_vec(), found: got.dims().to_vec() }
            }
            other => CtcError::Weights { file, message: other.to_string() },
        }
    }
}

/// The checkpoint's tensors, with a language adapter's in place of its own.
struct Checkpoint {
    model: WeightFile,
    adapter: Option<WeightFile>,
}

impl TensorSource for Checkpoint {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<candle_core::Tensor, CtcError> {
        match &self.adapter {
            Some(adapter) if is_adapter_tensor(name) => adapter.tensor(name, shape),
            _ => self.model.tensor(name, shape),
        }
    }
}

/// One `Wav2Vec2ForCTC` checkpoint loaded for one language.
pub struct CtcModel {
    dir: PathBuf,
    network: CtcNetwork,
    vocabulary: Vocabulary,
    language: Option<String>,
    blank: usize,
    delimiter: String,
    normalize: bool,
}

fn read_json(file: &Path) -> Result<serde_json::Value, CtcError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| CtcError::File { file: file.into(), message: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| CtcError::File { file: file.into(), message: format!("not JSON: {e}") })
}

/// A string setting of an optional JSON file, if the file and the setting are there.
fn optional_setting(file: &Path, key: &str) -> Result<Option<serde_json::Value>, CtcError> {
    if !file.is_file() {
        return Ok(None);
    }
    Ok(read_json(file)?.get(key).cloned())
}

impl CtcModel {
    /// The checkpoint in `dir`, for `language` when it has per-language
    /// vocabularies or adapters (MMS: `wol`, `ful`, …).
    pub fn load(dir: &Path, language: Option<&str>, precision: WeightPrecision) -> Result<Self, CtcError> {
        let config_file = dir.join("config.json");
        let config: CtcConfig = serde_json::from_value(read_json(&config_file)?)
            .map_err(|e| CtcError::Config { file: config_file.clone(), message: e.to_string() })?;
        if let Some(message) = config.unsupported() {
            return Err(CtcError::Config { file: config_file, message });
        }
        let vocab_file = dir.join("vocab.json");
        let vocabularies = VocabularyFile::read(&vocab_file)?;
        let adapter_file = match (language, config.adapter_attn_dim) {
            (Some(lang), Some(_)) => Some(dir.join(format!("adapter.{lang}.safetensors"))).filter(|f| f.is_file()),
            _ => None,
        };
        // Without an adapter file, the checkpoint's own adapter and head
        // serve the language (an MMS fine-tune for one language); the head's
        // size is checked against its vocabulary below.
        let vocabulary = vocabularies.for_language(language);
        let Some(vocabulary) = vocabulary.cloned() else {
            let available = vocabularies
                .languages()
                .into_iter()
                .filter(|lang| dir.join(format!("adapter.{lang}.safetensors")).is_file())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CtcError::UnknownLanguage {
                dir: dir.to_path_buf(),
                lang: language.unwrap_or("(none given)").to_string(),
                available,
            });
        };
        if adapter_file.is_none() && vocabulary.len() != config.vocab_size {
            return Err(CtcError::Vocabulary {
                file: vocab_file,
                message: format!("{} tokens, but config.json's vocab_size is {}", vocabulary.len(), config.vocab_size),
            });
        }
        let blank = config.pad_token_id.or_else(|| vocabulary.id("<pad>")).ok_or_else(|| CtcError::Vocabulary {
            file: vocab_file.clone(),
            message: "no CTC blank: config.json has no pad_token_id and there is no <pad> token".into(),
        })?;
        if blank >= vocabulary.len() {
            return Err(CtcError::Vocabulary {
                file: vocab_file,
                message: format!("the blank (pad_token_id {blank}) is past the {} tokens", vocabulary.len()),
            });
        }
        let delimiter = match optional_setting(&dir.join("tokenizer_config.json"), "word_delimiter_token")? {
            Some(serde_json::Value::String(token)) => token,
            _ => "|".to_string(),
        };
        let normalize = !matches!(
            optional_setting(&dir.join("preprocessor_config.json"), "do_normalize")?,
            Some(serde_json::Value::Bool(false))
        );
        let checkpoint = Checkpoint {
            model: WeightFile::open(&dir.join("model.safetensors"))?,
            adapter: adapter_file.as_deref().map(WeightFile::open).transpose()?,
        };
        let network = CtcNetwork::load(&checkpoint, config, vocabulary.len(), precision)?;
        tracing::info!(dir = %dir.display(), language, adapter = adapter_file.is_some(), "CTC model loaded");
        Ok(Self {
            dir: dir.to_path_buf(),
            network,
            vocabulary,
            language: language.map(str::to_string),
            blank,
            delimiter,
            normalize,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &CtcConfig {
        self.network.config()
    }

    /// The network, for timing its stages (`examples/ctc_speed`).
    pub fn network(&self) -> &CtcNetwork {
        &self.network
    }

    /// The language it was loaded for, if one was given.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The head's logits `[frames][vocabulary]` for `samples` (16 kHz mono),
    /// normalised as the checkpoint's feature extractor does and cut into
    /// windows as `params` says.
    pub fn logits(&self, samples: &[f32], params: &CtcParams) -> Result<Vec<Vec<f32>>, CtcError> {
        self.frames(samples, params, false)
    }

    /// The greedy transcript of `samples`.
    pub fn transcribe(&self, samples: &[f32], params: &CtcParams) -> Result<CtcTranscript, CtcError> {
        let log_probs = self.frames(samples, params, true)?;
        Ok(greedy(&log_probs, &self.vocabulary, self.blank, &self.delimiter))
    }

    fn frames(&self, samples: &[f32], params: &CtcParams, log_softmax: bool) -> Result<Vec<Vec<f32>>, CtcError> {
        let config = self.network.config();
        let samples = if self.normalize { normalized(samples) } else { samples.to_vec() };
        let per_frame = config.samples_per_frame();
        let in_frames = |seconds: f32| ((seconds * SAMPLE_RATE) as usize / per_frame).max(1) * per_frame;
        let (chunk, context) = (in_frames(params.chunk_s), in_frames(params.context_s));
        let mut rows = Vec::with_capacity(config.frames(samples.len()));
        let mut start = 0;
        while start < samples.len() {
            let end = (start + chunk).min(samples.len());
            let low = start.saturating_sub(context);
            let high = (end + context).min(samples.len());
            let window = &samples[low..high];
            if config.frames(window.len()) == 0 {
                break;
            }
            let logits = self.network.forward(window)?;
            let logits = if log_softmax { candle_nn::ops::log_softmax(&logits, D::Minus1)? } else { logits };
            let logits = logits.to_vec2::<f32>()?;
            let skip = (start - low) / per_frame;
            let keep = if end == samples.len() { logits.len() } else { (end - start) / per_frame };
            rows.extend(logits.into_iter().skip(skip).take(keep));
            start = end;
        }
        Ok(rows)
    }
}

/// Zero mean and unit variance, as `Wav2Vec2FeatureExtractor` (`do_normalize`).
fn normalized(samples: &[f32]) -> Vec<f32> {
    if samples.is_empty() {
        return Vec::new();
    }
    let n = samples.len() as f64;
    let mean = samples.iter().map(|&x| x as f64).sum::<f64>() / n;
    let variance = samples.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    let scale = 1.0 / (variance + 1e-7).sqrt();
    samples.iter().map(|&x| ((x as f64 - mean) * scale) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_zero_mean_unit_variance() {
        let x = normalized(&[1.0, 2.0, 3.0, 4.0]);
        let mean = x.iter().sum::<f32>() / 4.0;
        let variance = x.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (variance - 1.0).abs() < 1e-5, "{mean} {variance}");
        assert!(normalized(&[]).is_empty());
    }
}

//! Speech recognition: Whisper on the CPU.
//!
//! [`mel`] turns 16 kHz samples into the log-mel spectrogram; a [`Recognizer`]
//! turns samples into a [`Transcript`]. Two backends implement it and load the
//! same installed model: [`candle_whisper`] (pure Rust, the default) and, with
//! the `whisper-cpp` cargo feature, [`whisper_cpp`] (whisper.cpp via whisper-rs).

pub mod candle_whisper;
pub mod mel;
#[cfg(feature = "whisper-cpp")]
pub mod whisper_cpp;

use std::path::PathBuf;

use serde::Serialize;

use crate::models::InstalledModel;

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("model files in {dir}: {message}")]
    Model { dir: PathBuf, message: String },
    #[error("inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    #[error("unknown language `{0}`: use a Whisper language code such as en, fr, ar")]
    UnknownLanguage(String),
    #[error("the `{0}` backend is not in this build: rebuild with `--features whisper-cpp`")]
    BackendMissing(&'static str),
    #[error("whisper.cpp: {0}")]
    WhisperCpp(String),
}

/// Decoding parameters shared by the backends; defaults follow Whisper's.
#[derive(Debug, Clone)]
pub struct DecodeParams {
    /// Language code (`en`, `fr`, `ar`…); `None` detects it from the audio.
    pub language: Option<String>,
    /// Upper bound on text tokens per 30 s window.
    pub max_tokens_per_window: usize,
    /// CPU threads (whisper.cpp; candle uses its own pool).
    pub threads: usize,
}

impl Default for DecodeParams {
    fn default() -> Self {
        Self {
            language: None,
            max_tokens_per_window: 224,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// What was said.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// The language decoded in (given or detected).
    pub language: String,
}

/// A speech recogniser: 16 kHz mono samples in, text out.
pub trait Recognizer {
    fn backend(&self) -> Backend;
    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    Candle,
    WhisperCpp,
}

/// Loads the installed Whisper model with the chosen backend.
pub fn load_recognizer(model: &InstalledModel, backend: Backend) -> Result<Box<dyn Recognizer>, AsrError> {
    match backend {
        Backend::Candle => Ok(Box::new(candle_whisper::CandleWhisper::load(&model.dir)?)),
        #[cfg(feature = "whisper-cpp")]
        Backend::WhisperCpp => Ok(Box::new(whisper_cpp::WhisperCpp::load(&model.file("ggml-model.bin"))?)),
        #[cfg(not(feature = "whisper-cpp"))]
        Backend::WhisperCpp => Err(AsrError::BackendMissing("whisper-cpp")),
    }
}

/// Whisper's language codes, in token order (`<|en|>` is the first language token).
pub const LANGUAGES: [&str; 99] = [
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id", "hi", "fi",
    "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg", "lt", "la", "mi", "ml",
    "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs",
    "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu", "am",
    "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln",
    "ha", "ba", "jw", "su",
];

//! Speech recognition: Whisper on the CPU, and the CTC recognizers of the
//! wav2vec2 family ([`ctc`]: XLS-R, MMS with its language adapters).
//!
//! [`mel`] turns 16 kHz samples into the log-mel spectrogram, [`model`] is the
//! network, [`decode`] turns encoded audio into tokens and segments. A
//! [`Recognizer`] wraps a whole backend: [`candle_whisper`] (pure Rust, the
//! default) and, with the `whisper-cpp` cargo feature, [`whisper_cpp`]
//! (whisper.cpp via whisper-rs). Both load the same installed model.

pub mod candle_whisper;
pub mod ctc;
pub mod decode;
pub mod mel;
pub mod model;
pub mod weights;
pub mod wer;
#[cfg(feature = "whisper-cpp")]
pub mod whisper_cpp;

use std::path::PathBuf;

use serde::Serialize;

use crate::models::InstalledModel;
pub use model::WeightPrecision;

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
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
}

/// How much of the 30 s encoder window to run for audio shorter than 30 s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AudioContext {
    /// Always encode 30 s (the reference behaviour; slowest on short clips).
    Full,
    /// Encode the audio plus `margin_s` seconds of padding, rounded up to a second
    /// (whisper.cpp's `audio_ctx`); the encoder's cost falls with the clip's length.
    Fit { margin_s: f32 },
}

/// Decoding parameters shared by the backends; defaults follow OpenAI's
/// `transcribe()` except where a measurement chose otherwise (see README).
#[derive(Debug, Clone)]
pub struct DecodeParams {
    /// Language code (`en`, `fr`, `ar`…); `None` detects it from the first window.
    pub language: Option<String>,
    /// 1: greedy; more: beam search of that width at temperature 0.
    pub beam_size: usize,
    /// Temperatures tried in turn while a window fails the checks below.
    pub temperatures: Vec<f32>,
    /// Retry when the text's zlib compression ratio is above this (repetition loops).
    pub compression_ratio_threshold: Option<f32>,
    /// Retry when the average token log-probability is below this.
    pub logprob_threshold: Option<f32>,
    /// A window whose `<|nospeech|>` probability is above this, and whose text is
    /// unlikely (below `logprob_threshold`), is silence: no text.
    pub no_speech_threshold: Option<f32>,
    /// Predict segment timestamps.
    pub timestamps: bool,
    /// Text that biases the recogniser toward its words (names, domain terms).
    pub initial_prompt: Option<String>,
    /// Prompt each window with the text of the previous ones.
    pub condition_on_previous_text: bool,
    pub audio_context: AudioContext,
    /// Upper bound on tokens per 30 s window.
    pub max_tokens_per_window: usize,
    /// CPU threads (whisper.cpp; candle uses its own pool).
    pub threads: usize,
    /// Seed for sampling at temperatures above 0.
    pub seed: u64,
}

impl Default for DecodeParams {
    fn default() -> Self {
        Self {
            language: None,
            beam_size: 1,
            temperatures: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            compression_ratio_threshold: Some(2.4),
            logprob_threshold: Some(-1.0),
            no_speech_threshold: Some(0.6),
            timestamps: true,
            initial_prompt: None,
            condition_on_previous_text: true,
            audio_context: AudioContext::Fit { margin_s: 2.0 },
            max_tokens_per_window: 224,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            seed: 0,
        }
    }
}

/// A stretch of speech with its text and scores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Segment {
    /// Seconds from the start of the audio.
    pub start: f32,
    pub end: f32,
    pub text: String,
    pub avg_logprob: f32,
    pub no_speech_prob: f32,
    pub temperature: f32,
    pub compression_ratio: f32,
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StageTimings {
    pub mel: f64,
    pub encoder: f64,
    pub decoder: f64,
}

/// What was said.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// The language decoded in (given or detected).
    pub language: String,
    /// The most likely languages with their probabilities (when detected).
    pub language_probs: Vec<(String, f32)>,
    pub segments: Vec<Segment>,
    /// The highest `<|nospeech|>` probability of the windows left without text
    /// (1 for digital silence, which is not run through the model; 0 if every
    /// window had speech).
    pub no_speech_prob: f32,
    pub timings_ms: StageTimings,
}

/// A piece of a recording being decoded: 16 kHz mono samples, or why not.
pub type AudioChunk = Result<Vec<f32>, crate::audio::AudioError>;

/// A speech recogniser: 16 kHz mono samples in, text out.
pub trait Recognizer {
    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError>;

    /// Transcribes audio as it is decoded. The default collects it all first;
    /// backends that can work window by window keep memory bounded instead.
    fn transcribe_stream(
        &mut self,
        chunks: &mut dyn Iterator<Item = AudioChunk>,
        params: &DecodeParams,
    ) -> Result<Transcript, AsrError> {
        let mut samples = Vec::new();
        for chunk in chunks {
            samples.extend(chunk?);
        }
        self.transcribe(&samples, params)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    Candle,
    WhisperCpp,
}

/// Loads the installed Whisper model with the chosen backend and the default
/// decoder precision.
pub fn load_recognizer(model: &InstalledModel, backend: Backend) -> Result<Box<dyn Recognizer>, AsrError> {
    load_recognizer_with(model, backend, DEFAULT_DECODER_PRECISION)
}

/// The decoder precision chosen by measurement (see README, speech recognition).
pub const DEFAULT_DECODER_PRECISION: WeightPrecision = WeightPrecision::Q8;

/// Loads the installed Whisper model; `precision` applies to the candle decoder.
pub fn load_recognizer_with(
    model: &InstalledModel,
    backend: Backend,
    precision: WeightPrecision,
) -> Result<Box<dyn Recognizer>, AsrError> {
    match backend {
        Backend::Candle => Ok(Box::new(candle_whisper::CandleWhisper::load(&model.dir, precision)?)),
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

//! VITS voices from a Hugging Face `VitsModel` directory, as MMS-TTS publishes
//! them: `config.json`, `model.safetensors`, `vocab.json` (characters → ids)
//! and optionally `tokenizer_config.json` (`add_blank`, `normalize`,
//! `is_uroman`, `language`). Our own network in candle, on the CPU.
//!
//! [`VitsModel`] is one loaded voice: text in, 16-bit-ready samples in −1..1
//! at the config's `sampling_rate` (16 kHz for MMS-TTS) out; characters
//! outside its vocabulary are dropped with a warning. Long text is said
//! sentence by sentence, the first one first ([`VitsModel::speak_sentences`]),
//! which also keeps the attention (quadratic in the tokens) small.
//! [`VitsVoice`] puts it behind [`Voice`] for the languages it speaks.

mod config;
mod conv;
mod decoder;
mod duration;
mod flow;
mod network;
mod text;
mod text_encoder;
mod weights;

use std::path::{Path, PathBuf};

pub use config::VitsConfig;
pub use network::{Synthesized, VitsNetwork, VitsParams};
pub use text::{TextTokens, Tokenized};

use super::{sentence_end, SpeechError, Voice, NORMAL_RATE};
use weights::{WeightFile, Weights};

#[derive(Debug, thiserror::Error)]
pub enum VitsError {
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("{file}: unsupported configuration: {message}")]
    Config { file: PathBuf, message: String },
    #[error("{file}: tensor `{name}` is missing: not a VitsModel checkpoint of this config.json, or incomplete")]
    MissingTensor { file: PathBuf, name: String },
    #[error("{file}: tensor `{name}` has shape {found:?} where config.json implies {expected:?}: a checkpoint for another model")]
    TensorShape { file: PathBuf, name: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("{file}: {message}")]
    Weights { file: PathBuf, message: String },
    #[error("{file}: {message}")]
    Vocabulary { file: PathBuf, message: String },
    #[error("could not write {file}: {message}")]
    Wav { file: PathBuf, message: String },
    #[error("VITS inference failed: {0}")]
    Inference(#[from] candle_core::Error),
}

/// Silence between two sentences said one after the other, in seconds.
const SENTENCE_PAUSE_S: f32 = 0.2;

/// One loaded `VitsModel` voice.
pub struct VitsModel {
    dir: PathBuf,
    config: VitsConfig,
    tokens: TextTokens,
    network: VitsNetwork,
}

/// One sentence said.
pub struct Speech {
    /// Token ids fed to the network (with the blanks between characters).
    pub tokens: Vec<u32>,
    /// Frames per token.
    pub durations: Vec<usize>,
    /// Samples in −1..1 at [`VitsModel::sample_rate`].
    pub samples: Vec<f32>,
}

impl VitsModel {
    pub fn load(dir: &Path) -> Result<Self, VitsError> {
        let config_file = dir.join("config.json");
        let text = std::fs::read_to_string(&config_file)
            .map_err(|e| VitsError::File { file: config_file.clone(), message: e.to_string() })?;
        let config: VitsConfig = serde_json::from_str(&text)
            .map_err(|e| VitsError::Config { file: config_file.clone(), message: e.to_string() })?;
        if let Some(message) = config.unsupported() {
            return Err(VitsError::Config { file: config_file, message });
        }
        let tokens = TextTokens::read(dir, config.vocab_size)?;
        let weights = WeightFile::open(&dir.join("model.safetensors"))?;
        let network = VitsNetwork::load(&Weights::root(&weights), &config)?;
        tracing::info!(dir = %dir.display(), hidden = config.hidden_size, "VITS voice loaded");
        Ok(Self { dir: dir.to_path_buf(), config, tokens, network })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &VitsConfig {
        &self.config
    }

    pub fn sample_rate(&self) -> u32 {
        self.config.sampling_rate
    }

    /// The checkpoint's own speaking rate and noise.
    pub fn default_params(&self) -> VitsParams {
        VitsParams::of(&self.config)
    }

    /// Token ids for `text`; characters the voice cannot say are left out,
    /// with a warning that names them (not the text).
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let Tokenized { ids, dropped } = self.tokens.tokenize(text);
        let unsayable: String = dropped.iter().filter(|c| !c.is_ascii_punctuation() && !c.is_whitespace()).collect();
        if !unsayable.is_empty() {
            let romanise = if self.tokens.wants_romanised_text() { " (this voice reads romanised text)" } else { "" };
            tracing::warn!(dir = %self.dir.display(), characters = %unsayable, "characters outside the voice's vocabulary left out{romanise}");
        }
        ids
    }

    /// `text` said as one piece (no sentence splitting).
    pub fn speak(&self, text: &str, params: &VitsParams) -> Result<Speech, VitsError> {
        let tokens = self.tokenize(text);
        self.speak_tokens(tokens, params)
    }

    pub fn speak_tokens(&self, tokens: Vec<u32>, params: &VitsParams) -> Result<Speech, VitsError> {
        if tokens.is_empty() {
            return Ok(Speech { tokens, durations: Vec::new(), samples: Vec::new() });
        }
        let Synthesized { durations, samples } = self.network.forward(&tokens, params)?;
        Ok(Speech { tokens, durations, samples })
    }

    /// `text` said sentence by sentence, each handed to `each` as soon as it
    /// is ready, so playing can start after the first.
    pub fn speak_sentences(
        &self,
        text: &str,
        params: &VitsParams,
        mut each: impl FnMut(Speech) -> Result<(), VitsError>,
    ) -> Result<(), VitsError> {
        let mut rest = text;
        while !rest.trim().is_empty() {
            let end = sentence_end(rest).unwrap_or(rest.len());
            let speech = self.speak(&rest[..end], params)?;
            if !speech.samples.is_empty() {
                each(speech)?;
            }
            rest = &rest[end..];
        }
        Ok(())
    }
}

/// A VITS voice behind the voice seam, for the languages it was made for.
pub struct VitsVoice {
    model: VitsModel,
    /// Kiosk language codes it speaks (`wol`, `shi`, …).
    languages: Vec<String>,
    pub params: VitsParams,
}

impl VitsVoice {
    /// The voice in `dir` for `languages`; none given: the language its
    /// `tokenizer_config.json` names (MMS-TTS: the ISO 639-3 code).
    pub fn load(dir: &Path, languages: &[String]) -> Result<Self, VitsError> {
        let model = VitsModel::load(dir)?;
        let languages = match languages {
            [] => TextTokens::language(dir)?.into_iter().collect(),
            given => given.to_vec(),
        };
        let params = model.default_params();
        Ok(Self { model, languages, params })
    }

    pub fn model(&self) -> &VitsModel {
        &self.model
    }

    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// Whether it speaks `lang` (a kiosk tag, `wol` or `shi-Latn`): one of
    /// its languages, in a script its vocabulary has letters of.
    pub fn speaks(&self, lang: &str) -> bool {
        match lang.parse::<crate::corpus::LangTag>() {
            Ok(tag) => self.languages.iter().any(|l| *l == *tag.language) && self.model.tokens.reads(tag.script),
            Err(_) => self.languages.iter().any(|l| l == lang),
        }
    }

    /// The speaking rate for `rate` words per minute: the voice's own at
    /// [`NORMAL_RATE`], proportionally slower below it.
    pub fn speaking_rate(&self, rate: u32) -> f32 {
        self.params.speaking_rate * rate.max(1) as f32 / NORMAL_RATE as f32
    }
}

impl Voice for VitsVoice {
    fn synthesize(&self, text: &str, lang: &str, rate: u32, out: &Path) -> Result<bool, SpeechError> {
        if !self.speaks(lang) {
            return Ok(false);
        }
        let params = VitsParams { speaking_rate: self.speaking_rate(rate), ..self.params };
        let sample_rate = self.model.sample_rate();
        let pause = (SENTENCE_PAUSE_S * sample_rate as f32) as usize;
        let wav_error = |e: hound::Error| VitsError::Wav { file: out.to_path_buf(), message: e.to_string() };
        let spec =
            hound::WavSpec { channels: 1, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut writer = hound::WavWriter::create(out, spec).map_err(wav_error)?;
        let mut first = true;
        self.model.speak_sentences(text, &params, |speech| {
            let silence = if first { 0 } else { pause };
            first = false;
            for sample in std::iter::repeat_n(0.0, silence).chain(speech.samples) {
                writer.write_sample((sample.clamp(-1.0, 1.0) * i16::MAX as f32) as i16).map_err(wav_error)?;
            }
            // Flushed per sentence, so what is said so far is a playable file.
            writer.flush().map_err(wav_error)
        })?;
        writer.finalize().map_err(wav_error)?;
        Ok(true)
    }
}

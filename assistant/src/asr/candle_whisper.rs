//! Whisper in candle: loads an installed model (Hugging Face safetensors +
//! `config.json` + `tokenizer.json`) and decodes greedily, 30 s window by
//! window, without timestamps.

use std::path::Path;

use candle_core::{DType, Device, IndexOp, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{self as m, model::Whisper};
use tokenizers::Tokenizer;

use super::mel::{MelFrontEnd, WINDOW_FRAMES, WINDOW_SAMPLES};
use super::{AsrError, Backend, DecodeParams, Recognizer, Transcript, LANGUAGES};

/// Ids of the special tokens decoding needs.
#[derive(Debug, Clone, Copy)]
struct SpecialTokens {
    sot: u32,
    eot: u32,
    transcribe: u32,
    no_timestamps: u32,
    first_language: u32,
}

pub struct CandleWhisper {
    model: Whisper,
    tokenizer: Tokenizer,
    mel: MelFrontEnd,
    special: SpecialTokens,
    /// Additive logit mask: −∞ on tokens that must never be sampled in text
    /// mode (every special token but end-of-text, and the non-speech list).
    suppress: Tensor,
    /// Also −∞ on blank and end-of-text: the first sampled token.
    suppress_at_begin: Tensor,
    device: Device,
}

impl CandleWhisper {
    pub fn load(dir: &Path) -> Result<Self, AsrError> {
        let model_error = |message: String| AsrError::Model { dir: dir.to_path_buf(), message };
        let config_text =
            std::fs::read_to_string(dir.join("config.json")).map_err(|e| model_error(format!("config.json: {e}")))?;
        let config: m::Config =
            serde_json::from_str(&config_text).map_err(|e| model_error(format!("config.json: {e}")))?;
        let begin: BeginSuppress =
            serde_json::from_str(&config_text).map_err(|e| model_error(format!("config.json: {e}")))?;
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| model_error(format!("tokenizer.json: {e}")))?;
        let id =
            |token: &str| tokenizer.token_to_id(token).ok_or_else(|| model_error(format!("tokenizer has no {token}")));
        let special = SpecialTokens {
            sot: id(m::SOT_TOKEN)?,
            eot: id(m::EOT_TOKEN)?,
            transcribe: id(m::TRANSCRIBE_TOKEN)?,
            no_timestamps: id(m::NO_TIMESTAMPS_TOKEN)?,
            first_language: id("<|en|>")?,
        };
        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // SAFETY: the installed weights are read-only while loaded.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device)? };
        let vocab = config.vocab_size;
        let mut mask = vec![0f32; vocab];
        for (token, slot) in mask.iter_mut().enumerate() {
            let token = token as u32;
            if (token > special.eot) || config.suppress_tokens.contains(&token) {
                *slot = f32::NEG_INFINITY;
            }
        }
        let suppress = Tensor::new(mask.as_slice(), &device)?;
        for &token in &begin.begin_suppress_tokens {
            if let Some(slot) = mask.get_mut(token as usize) {
                *slot = f32::NEG_INFINITY;
            }
        }
        let suppress_at_begin = Tensor::new(mask.as_slice(), &device)?;
        let mel = MelFrontEnd::new(config.num_mel_bins);
        let model = Whisper::load(&vb, config)?;
        Ok(Self { model, tokenizer, mel, special, suppress, suppress_at_begin, device })
    }

    /// Log-mel of one window of audio, padded as Whisper expects, `[1, n_mels, 3000]`.
    fn window_mel(&self, window: &[f32]) -> Result<Tensor, AsrError> {
        let (values, frames) = self.mel.compute(window, WINDOW_SAMPLES);
        let n_mels = self.mel.n_mels();
        let mel = Tensor::from_vec(values, (1, n_mels, frames), &self.device)?;
        Ok(mel.narrow(2, 0, WINDOW_FRAMES.min(frames))?)
    }

    /// The most likely language token after `<|startoftranscript|>`.
    fn detect_language(&mut self, audio_features: &Tensor) -> Result<String, AsrError> {
        let tokens = Tensor::new(&[[self.special.sot]], &self.device)?;
        let hidden = self.model.decoder.forward(&tokens, audio_features, true)?;
        let logits = self.model.decoder.final_linear(&hidden.i((..1, 0..1))?)?.i(0)?.i(0)?;
        let first = self.special.first_language as usize;
        let language_logits = logits.narrow(0, first, LANGUAGES.len())?;
        let best = language_logits.argmax(D::Minus1)?.to_scalar::<u32>()? as usize;
        Ok(LANGUAGES[best].to_string())
    }

    fn decode_window(
        &mut self,
        audio_features: &Tensor,
        language: &str,
        max_tokens: usize,
    ) -> Result<Vec<u32>, AsrError> {
        let index =
            LANGUAGES.iter().position(|l| *l == language).ok_or_else(|| AsrError::UnknownLanguage(language.into()))?;
        let s = self.special;
        let mut tokens = vec![s.sot, s.first_language + index as u32, s.transcribe, s.no_timestamps];
        let prompt_len = tokens.len();
        for step in 0..max_tokens {
            let input = Tensor::new(tokens.as_slice(), &self.device)?.unsqueeze(0)?;
            let hidden = self.model.decoder.forward(&input, audio_features, step == 0)?;
            let last = hidden.dim(1)? - 1;
            let logits = self.model.decoder.final_linear(&hidden.i((..1, last..))?)?.i(0)?.i(0)?;
            let mask = if step == 0 { &self.suppress_at_begin } else { &self.suppress };
            let next = logits.broadcast_add(mask)?.argmax(D::Minus1)?.to_scalar::<u32>()?;
            if next == s.eot {
                break;
            }
            tokens.push(next);
        }
        Ok(tokens.split_off(prompt_len))
    }
}

#[derive(serde::Deserialize)]
struct BeginSuppress {
    #[serde(default)]
    begin_suppress_tokens: Vec<u32>,
}

impl Recognizer for CandleWhisper {
    fn backend(&self) -> Backend {
        Backend::Candle
    }

    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError> {
        let mut text = String::new();
        let mut language = params.language.clone();
        for window in samples.chunks(WINDOW_SAMPLES) {
            let mel = self.window_mel(window)?;
            let audio_features = self.model.encoder.forward(&mel, true)?;
            let lang = match &language {
                Some(lang) => lang.clone(),
                None => self.detect_language(&audio_features)?,
            };
            let tokens = self.decode_window(&audio_features, &lang, params.max_tokens_per_window)?;
            let piece = self
                .tokenizer
                .decode(&tokens, true)
                .map_err(|e| AsrError::Model { dir: Default::default(), message: format!("decoding tokens: {e}") })?;
            text.push_str(&piece);
            language.get_or_insert(lang);
        }
        Ok(Transcript { text: text.trim().to_string(), language: language.unwrap_or_else(|| "en".into()) })
    }
}

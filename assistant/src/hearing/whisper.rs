//! Whisper behind the hearing seam, on either backend, loaded on first use.

use std::borrow::Cow;

use crate::asr::{load_recognizer_with, AudioContext, Backend, DecodeParams, Recognizer, Transcript, WeightPrecision};
use crate::audio::vad::speech_span;
use crate::corpus::LangTag;
use crate::models::ModelStore;

use super::{Heard, Hearing, HearingError};

pub struct Whisper {
    models: ModelStore,
    model_id: String,
    backend: Backend,
    precision: WeightPrecision,
    audio_context: AudioContext,
    recognizer: Option<Box<dyn Recognizer>>,
}

impl Whisper {
    /// Whisper model `model_id` from `models`, loaded when first heard.
    pub fn new(models: ModelStore, model_id: &str, backend: Backend, precision: WeightPrecision) -> Self {
        let audio_context = DecodeParams::default().audio_context;
        Self { models, model_id: model_id.to_string(), backend, precision, audio_context, recognizer: None }
    }

    /// Encodes the whole 30 s window (the reference accuracy, slower) instead
    /// of the utterance plus a margin.
    pub fn full_context(mut self, full: bool) -> Self {
        if full {
            self.audio_context = AudioContext::Full;
        }
        self
    }

    fn recognizer(&mut self) -> Result<&mut Box<dyn Recognizer>, HearingError> {
        if self.recognizer.is_none() {
            let model = self.models.require(&self.model_id)?;
            self.recognizer = Some(load_recognizer_with(&model, self.backend, self.precision)?);
        }
        Ok(self.recognizer.as_mut().expect("loaded above"))
    }
}

impl Hearing for Whisper {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError> {
        // A language Whisper does not know is left for it to identify.
        let params = DecodeParams {
            language: whisper_language(lang),
            audio_context: self.audio_context,
            ..DecodeParams::default()
        };
        let transcript = self.recognizer()?.transcribe(&around_speech(samples), &params)?;
        Ok(Heard { text: transcript.text.trim().to_string(), confidence: confidence(&transcript) })
    }
}

/// The mean token probability of the segments, times the chance there was
/// speech; 0 without any segment.
fn confidence(transcript: &Transcript) -> f32 {
    let segments = &transcript.segments;
    if segments.is_empty() {
        return 0.0;
    }
    let logprob = segments.iter().map(|s| s.avg_logprob).sum::<f32>() / segments.len() as f32;
    let no_speech = segments.iter().map(|s| s.no_speech_prob).fold(0.0, f32::max);
    (logprob.exp() * (1.0 - no_speech)).clamp(0.0, 1.0)
}

/// Quiet put on each side of the speech, in samples (200 ms).
const MARGIN: usize = 3_200;

/// The speech of an utterance between two stretches of digital quiet. A live
/// utterance ends with the endpointer's pause and a recording with whatever
/// its maker left: cut and padded alike, the same words give Whisper the same
/// samples either way (base is sensitive to a few milliseconds of lead-in on
/// short commands), and the clip-sized encoder has less to do.
fn around_speech(samples: &[f32]) -> Cow<'_, [f32]> {
    match speech_span(samples) {
        Some(span) => {
            let mut padded = vec![0.0; MARGIN];
            padded.extend_from_slice(&samples[span]);
            padded.resize(padded.len() + MARGIN, 0.0);
            Cow::Owned(padded)
        }
        None => Cow::Borrowed(samples),
    }
}

/// Whisper's language for a kiosk language (`whisper` in its file): Darija
/// is heard as Arabic; `None` for languages Whisper does not know.
pub fn whisper_language(lang: &LangTag) -> Option<String> {
    crate::corpus::languages::known(&lang.language)?.whisper.clone()
}

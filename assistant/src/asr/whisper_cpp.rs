//! whisper.cpp (through whisper-rs) as a second backend, loading the GGML export
//! of the same installed model. Parameters are mapped from [`DecodeParams`] so
//! both backends decode the same way (greedy or beam, temperature fallback,
//! thresholds, timestamps, prompt, audio context).

use std::path::Path;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use super::{AsrError, AudioContext, DecodeParams, Recognizer, Segment, StageTimings, Transcript};

pub struct WhisperCpp {
    context: WhisperContext,
}

impl WhisperCpp {
    pub fn load(ggml_model: &Path) -> Result<Self, AsrError> {
        // whisper.cpp logs every load step on stderr; route it to the (unset) log hooks.
        whisper_rs::install_logging_hooks();
        let path = ggml_model.to_str().ok_or_else(|| AsrError::WhisperCpp("model path is not UTF-8".into()))?;
        let context = WhisperContext::new_with_params(path, WhisperContextParameters::default()).map_err(|e| {
            AsrError::Model { dir: ggml_model.to_path_buf(), message: format!("whisper.cpp could not load it: {e}") }
        })?;
        Ok(Self { context })
    }
}

impl Recognizer for WhisperCpp {
    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError> {
        let fail = |e: whisper_rs::WhisperError| AsrError::WhisperCpp(e.to_string());
        let started = Instant::now();
        let mut state = self.context.create_state().map_err(fail)?;
        let strategy = if params.beam_size > 1 {
            SamplingStrategy::BeamSearch { beam_size: params.beam_size as i32, patience: -1.0 }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut full = FullParams::new(strategy);
        full.set_language(Some(params.language.as_deref().unwrap_or("auto")));
        full.set_n_threads(params.threads as i32);
        full.set_no_timestamps(!params.timestamps);
        let first = params.temperatures.first().copied().unwrap_or(0.0);
        full.set_temperature(first);
        let step = params.temperatures.get(1).map_or(0.0, |t| t - first);
        full.set_temperature_inc(step);
        full.set_entropy_thold(params.compression_ratio_threshold.unwrap_or(2.4));
        full.set_logprob_thold(params.logprob_threshold.unwrap_or(-1.0));
        full.set_no_speech_thold(params.no_speech_threshold.unwrap_or(0.6));
        full.set_no_context(!params.condition_on_previous_text);
        full.set_suppress_nst(true);
        if let Some(prompt) = &params.initial_prompt {
            full.set_initial_prompt(prompt);
        }
        if let AudioContext::Fit { margin_s } = params.audio_context {
            // In encoder positions: 50 per second.
            let seconds = samples.len() as f32 / 16_000.0 + margin_s;
            let positions = ((seconds.ceil() as i32) * 50).min(1500);
            full.set_audio_ctx(positions);
        }
        full.set_print_progress(false);
        full.set_print_realtime(false);
        full.set_print_special(false);
        full.set_print_timestamps(false);
        state.full(full, samples).map_err(fail)?;
        let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).unwrap_or("en").to_string();
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            segments.push(Segment {
                start: segment.start_timestamp() as f32 / 100.0,
                end: segment.end_timestamp() as f32 / 100.0,
                text: segment.to_str_lossy().map_err(fail)?.into_owned(),
                avg_logprob: f32::NAN,
                no_speech_prob: segment.no_speech_probability(),
                temperature: f32::NAN,
                compression_ratio: f32::NAN,
            });
        }
        let text = segments.iter().map(|s| s.text.as_str()).collect::<String>().trim().to_string();
        // whisper.cpp times its stages internally; report the whole call as decoding.
        let timings_ms = StageTimings { decoder: started.elapsed().as_secs_f64() * 1e3, ..StageTimings::default() };
        let no_speech_prob = if segments.is_empty() { 1.0 } else { 0.0 };
        Ok(Transcript { text, language, language_probs: Vec::new(), segments, no_speech_prob, timings_ms })
    }
}

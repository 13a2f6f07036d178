//! whisper.cpp (through whisper-rs) as a second backend, loading the GGML export
//! of the same installed model. Decoding is set to match the candle backend:
//! greedy, no temperature fallback, no timestamps, non-speech tokens suppressed.

use std::path::Path;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use super::{AsrError, Backend, DecodeParams, Recognizer, Transcript};

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
    fn backend(&self) -> Backend {
        Backend::WhisperCpp
    }

    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError> {
        let fail = |e: whisper_rs::WhisperError| AsrError::WhisperCpp(e.to_string());
        let mut state = self.context.create_state().map_err(fail)?;
        let mut full = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        full.set_language(Some(params.language.as_deref().unwrap_or("auto")));
        full.set_n_threads(params.threads as i32);
        full.set_no_timestamps(true);
        full.set_temperature_inc(0.0);
        full.set_suppress_nst(true);
        full.set_print_progress(false);
        full.set_print_realtime(false);
        full.set_print_special(false);
        full.set_print_timestamps(false);
        state.full(full, samples).map_err(fail)?;
        let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).unwrap_or("en").to_string();
        let mut text = String::new();
        for segment in state.as_iter() {
            text.push_str(&segment.to_str_lossy().map_err(fail)?);
        }
        Ok(Transcript { text: text.trim().to_string(), language })
    }
}

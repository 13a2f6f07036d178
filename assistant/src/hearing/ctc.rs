//! The CTC recognizers (`asr::ctc`) behind the hearing seam: [`CtcRecognizer`]
//! is one checkpoint, loaded on first use and again when a language needs
//! another adapter; [`InstalledCtc`] hears each kiosk language through the
//! installed model that lists it (`asr::ctc::languages`), one loaded at a time.

use std::path::{Path, PathBuf};

use crate::asr::ctc::languages::{installed_for, matching};
use crate::asr::ctc::{CtcError, CtcModel, CtcParams};
use crate::asr::WeightPrecision;
use crate::corpus::LangTag;
use crate::models::ModelStore;

use super::{Heard, Hearing, HearingError};

/// One CTC checkpoint directory, for the languages it lists.
pub struct CtcRecognizer {
    dir: PathBuf,
    /// The model's codes for its languages (empty: the kiosk's code is used as it is).
    languages: Vec<String>,
    precision: WeightPrecision,
    pub params: CtcParams,
    model: Option<CtcModel>,
}

impl CtcRecognizer {
    pub fn new(dir: &Path, precision: WeightPrecision) -> Self {
        Self { dir: dir.to_path_buf(), languages: Vec::new(), precision, params: CtcParams::default(), model: None }
    }

    /// The model's codes for its languages (`ful` for a kiosk's `fuc`).
    pub fn for_languages(mut self, languages: Vec<String>) -> Self {
        self.languages = languages;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn model(&mut self, lang: &str) -> Result<&CtcModel, CtcError> {
        let reload = match &self.model {
            None => true,
            // A model without adapters hears every language it was trained on alike.
            Some(model) => model.config().adapter_attn_dim.is_some() && model.language() != Some(lang),
        };
        if reload {
            self.model = None;
            self.model = Some(CtcModel::load(&self.dir, Some(lang), self.precision)?);
        }
        Ok(self.model.as_ref().expect("loaded above"))
    }
}

impl Hearing for CtcRecognizer {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError> {
        let code = lang.language.as_str();
        let model_lang = matching(code, &self.languages).unwrap_or_else(|| code.to_string());
        let params = self.params;
        let transcript = self.model(&model_lang)?.transcribe(samples, &params)?;
        Ok(Heard { text: transcript.text, confidence: transcript.confidence })
    }
}

/// The installed CTC recognizers: each utterance goes to the model listing
/// its language, checked (hashes) and loaded the first time; another model
/// replaces it, so one is in memory at a time.
pub struct InstalledCtc {
    store: ModelStore,
    precision: WeightPrecision,
    loaded: Option<(String, CtcRecognizer)>,
}

impl InstalledCtc {
    pub fn new(store: ModelStore, precision: WeightPrecision) -> Self {
        Self { store, precision, loaded: None }
    }

    /// Whether an installed CTC recognizer lists `lang` (install records only).
    pub fn hears(&self, lang: &LangTag) -> bool {
        installed_for(&self.store, lang.language.as_str()).is_some()
    }
}

impl Hearing for InstalledCtc {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError> {
        let choice = installed_for(&self.store, lang.language.as_str())
            .ok_or_else(|| CtcError::NoModel { lang: lang.language.to_string() })?;
        let id = &choice.model.record.id;
        if self.loaded.as_ref().is_none_or(|(loaded, _)| loaded != id) {
            self.loaded = None;
            let model = self.store.require(id)?;
            let recognizer =
                CtcRecognizer::new(&model.dir, self.precision).for_languages(model.record.languages.clone());
            tracing::info!(model = %id, language = %choice.language, "hearing through a CTC recognizer");
            self.loaded = Some((id.clone(), recognizer));
        }
        self.loaded.as_mut().expect("loaded above").1.hear(samples, lang)
    }
}

//! The enrolled spoken keywords behind the hearing seam: for the languages no
//! recognizer knows. Each language's vocabulary is loaded from
//! `DIR/LANG/WORD/SPEAKER-N.wav` the first time that language is heard, with
//! its own feature extractor, and kept for the conversation's life. With the
//! trained check, the vocabulary also trains it at load (on the recordings
//! and `DIR/LANG/_background`), which takes minutes on a large enrolment the
//! first time; the result is kept beside the recordings until they change.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::corpus::LangTag;
use crate::keywords::detector::{load_background, Detector, Embedder};
use crate::keywords::embedding::{SpeechEmbedding, SPEECH_EMBEDDING};
use crate::keywords::features::Mfcc;
use crate::keywords::{load_examples, KeywordError, Vocabulary, OTHER};
use crate::models::ModelStore;

use super::{Heard, Hearing, HearingError};

/// The trained check of a language, kept beside its recordings
/// (`DIR/LANG/.trained-check.json`) so that a restart does not train again.
pub const TRAINED_CHECK_CACHE: &str = ".trained-check.json";

pub struct Keywords {
    dir: PathBuf,
    /// Where the speech embedding of the trained check is installed; `None`:
    /// the templates decide alone.
    trained_with: Option<ModelStore>,
    vocabularies: HashMap<LangTag, Vocabulary<'static>>,
}

impl Keywords {
    /// Keywords enrolled under `dir`, decided by the templates alone.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, trained_with: None, vocabularies: HashMap::new() }
    }

    /// Adds the trained check, its speech embedding taken from `models`.
    pub fn trained(mut self, models: ModelStore) -> Self {
        self.trained_with = Some(models);
        self
    }

    fn load(&self, lang: &LangTag) -> Result<Vocabulary<'static>, HearingError> {
        let tag = lang.to_string();
        let mut mfcc = Mfcc::new();
        let (examples, problems) = load_examples(&self.dir, &tag, &mut mfcc)?;
        for problem in &problems {
            tracing::warn!("keywords: skipped {problem}");
        }
        if examples.iter().all(|e| e.word == OTHER) {
            return Err(KeywordError::NoVocabulary { lang: tag, dir: self.dir.clone() }.into());
        }
        let detector = match &self.trained_with {
            Some(models) => {
                let (background, problems) = load_background(&self.dir, &tag)?;
                for problem in &problems {
                    tracing::warn!("keywords: skipped {problem}");
                }
                if background.is_empty() {
                    return Err(KeywordError::NoBackground { lang: tag, dir: self.dir.clone() }.into());
                }
                let model = models.require(SPEECH_EMBEDDING)?;
                let embedding = Arc::new(SpeechEmbedding::load(&model.dir).map_err(KeywordError::from)?);
                let started = std::time::Instant::now();
                let cache = self.dir.join(&tag).join(TRAINED_CHECK_CACHE);
                let detector = Detector::train_or_load(&mut Embedder::new(embedding), &examples, &background, &cache)?;
                tracing::info!(lang = %tag, seconds = started.elapsed().as_secs_f32(), "trained keyword check ready");
                Some(detector)
            }
            None => None,
        };
        let vocabulary = Vocabulary::new(examples, mfcc);
        Ok(match detector {
            Some(detector) => vocabulary.with_detector(detector),
            None => vocabulary,
        })
    }
}

impl Hearing for Keywords {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError> {
        if !self.vocabularies.contains_key(lang) {
            let vocabulary = self.load(lang)?;
            self.vocabularies.insert(*lang, vocabulary);
        }
        let decision = self.vocabularies.get_mut(lang).expect("loaded above").decide(samples)?;
        // The detector has already refused what it was unsure of.
        let confidence = if decision.word.is_some() { 1.0 } else { 0.0 };
        Ok(Heard { text: decision.word.unwrap_or_default(), confidence })
    }
}

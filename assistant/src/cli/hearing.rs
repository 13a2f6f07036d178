//! How the kiosk hears one utterance in a language: Whisper where it knows
//! the language (Darija through Arabic), the enrolled spoken keywords
//! otherwise. Shared by `awal simulate` and `awal kiosk`; each loads lazily.

use std::collections::HashMap;
use std::path::PathBuf;

use awal::asr::{load_recognizer_with, Backend, DecodeParams, Recognizer, DEFAULT_DECODER_PRECISION};
use awal::keywords::features::Mfcc;
use awal::keywords::{load_examples, KeywordError, Vocabulary, OTHER};

use super::Session;

pub struct Hearing<'s> {
    session: &'s Session,
    keywords_dir: PathBuf,
    recognizer: Option<Box<dyn Recognizer>>,
    /// Enrolled keywords by language, loaded when first needed.
    vocabularies: HashMap<String, Vocabulary<'static>>,
}

impl<'s> Hearing<'s> {
    /// `keywords_dir`: the enrolled keywords (default: DATA_DIR/keywords).
    pub fn new(keywords_dir: Option<PathBuf>, session: &'s Session) -> Self {
        let keywords_dir = keywords_dir.unwrap_or_else(|| session.data_dir.join("keywords"));
        Self { session, keywords_dir, recognizer: None, vocabularies: HashMap::new() }
    }

    /// What was said in `samples` (16 kHz mono) in `lang`; empty when a
    /// keyword was rejected.
    pub fn hear(&mut self, samples: &[f32], lang: &str) -> anyhow::Result<String> {
        let Some(language) = whisper_language(lang) else {
            if !self.vocabularies.contains_key(lang) {
                // One extractor per language for the process's life (a kiosk
                // has a handful), shared by every decision.
                let mfcc: &'static mut Mfcc = Box::leak(Box::new(Mfcc::new()));
                let (examples, problems) = load_examples(&self.keywords_dir, lang, mfcc)?;
                for problem in &problems {
                    eprintln!("awal: keywords: skipped {problem}");
                }
                if examples.iter().all(|e| e.word == OTHER) {
                    let (lang, dir) = (lang.to_string(), self.keywords_dir.clone());
                    return Err(KeywordError::NoVocabulary { lang, dir }.into());
                }
                self.vocabularies.insert(lang.to_string(), Vocabulary::new(examples, mfcc));
            }
            let decision = self.vocabularies.get_mut(lang).expect("loaded above").decide(samples)?;
            return Ok(decision.word.unwrap_or_default());
        };
        if self.recognizer.is_none() {
            let model = self.session.store.require(&self.session.config.models.asr)?;
            self.recognizer = Some(load_recognizer_with(&model, Backend::Candle, DEFAULT_DECODER_PRECISION)?);
        }
        let params = DecodeParams { language: Some(language), ..DecodeParams::default() };
        let transcript = self.recognizer.as_mut().expect("loaded above").transcribe(samples, &params)?;
        Ok(transcript.text.trim().to_string())
    }
}

/// Whisper's language for a kiosk language (`whisper` in its file): Darija
/// is heard as Arabic; `None` for languages Whisper does not know.
fn whisper_language(lang: &str) -> Option<String> {
    let tag = lang.parse::<awal::corpus::LangTag>().ok()?;
    awal::corpus::languages::known(&tag.language)?.whisper.clone()
}

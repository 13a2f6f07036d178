//! Hearing: one utterance (16 kHz mono samples) in a kiosk language in, what
//! was said out. [`Hearing`] is the seam; behind it, Whisper for the
//! languages it knows ([`Whisper`]: Darija is heard as Arabic) and the
//! enrolled spoken keywords for the others ([`Keywords`], with or without the
//! trained check). [`KioskHearing`] picks between them by language; each
//! loads its models the first time it is needed, so a conversation of typed
//! turns loads nothing.

mod keywords;
mod whisper;

pub use keywords::Keywords;
pub use whisper::{whisper_language, Whisper};

use crate::asr::AsrError;
use crate::corpus::LangTag;
use crate::keywords::KeywordError;
use crate::models::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum HearingError {
    #[error(transparent)]
    Asr(#[from] AsrError),
    #[error(transparent)]
    Keywords(#[from] KeywordError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Turns an utterance into text.
pub trait Hearing {
    /// What was said in `samples` (16 kHz mono) in `lang`: a transcript, or
    /// an empty string when nothing was recognised (a rejected keyword).
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<String, HearingError>;
}

/// How the kiosk hears: Whisper where it knows the language, the enrolled
/// keywords elsewhere.
pub struct KioskHearing {
    pub whisper: Whisper,
    pub keywords: Keywords,
}

impl Hearing for KioskHearing {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<String, HearingError> {
        match whisper_language(lang) {
            Some(_) => self.whisper.hear(samples, lang),
            None => self.keywords.hear(samples, lang),
        }
    }
}

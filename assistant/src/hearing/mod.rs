//! Hearing: one utterance (16 kHz mono samples) in a kiosk language in, what
//! was said out. [`Hearing`] is the seam; behind it, Whisper for the
//! languages it knows ([`Whisper`]: Darija is heard as Arabic) and the
//! enrolled spoken keywords for the others ([`Keywords`], with or without the
//! trained check); before both, an installed wav2vec2-family CTC recognizer
//! (XLS-R, MMS: [`InstalledCtc`]) that lists the language. [`KioskHearing`]
//! picks between them by language; each loads its models the first time it is
//! needed, so a conversation of typed turns loads nothing.

mod ctc;
mod keywords;
mod whisper;

pub use crate::asr::ctc::CtcError;
pub use ctc::{CtcRecognizer, InstalledCtc};
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
    #[error(transparent)]
    Ctc(#[from] CtcError),
}

/// What was heard in an utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The transcript; empty when nothing was recognised (a rejected keyword).
    pub text: String,
    /// How sure the recognizer is, 0 to 1. Whisper: its mean token
    /// probability (the exponential of its average log-probability) times the
    /// chance that there was speech at all; an enrolled keyword the detector
    /// accepted: 1.
    pub confidence: f32,
}

/// Turns an utterance into text.
pub trait Hearing {
    /// What was said in `samples` (16 kHz mono) in `lang`.
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError>;
}

/// How the kiosk hears: an installed CTC recognizer that lists the language,
/// else Whisper where it knows the language, else the enrolled keywords (the
/// order `readiness` shows in `awal languages`).
pub struct KioskHearing {
    pub ctc: InstalledCtc,
    pub whisper: Whisper,
    pub keywords: Keywords,
}

impl Hearing for KioskHearing {
    fn hear(&mut self, samples: &[f32], lang: &LangTag) -> Result<Heard, HearingError> {
        if self.ctc.hears(lang) {
            return self.ctc.hear(samples, lang);
        }
        match whisper_language(lang) {
            Some(_) => self.whisper.hear(samples, lang),
            None => self.keywords.hear(samples, lang),
        }
    }
}

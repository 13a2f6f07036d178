//! What the kiosk itself says, per language: the `[phrases]` of each
//! language's file (`corpora/languages/LANG.toml`), by [`Phrase::key`].
//! Arabic, French and English were written by the team; Darija too (Arabic
//! script). Other languages fall back to French until their speakers record
//! or write these: the reply's `lang` says French, and the welcome says so
//! aloud (`NoVoiceYet`).
//!
//! A phrase recorded by a speaker of the language
//! (`corpora/phrases/LANG/NAME.wav`, [`Phrase::clip_name`]) is played instead
//! of any text: that is how the kiosk speaks Wolof, Tamazight or Pulaar, which
//! no synthesizer here does.

use crate::corpus::languages::Languages;
use crate::corpus::LangTag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    Welcome,
    Source,
    Unreviewed,
    DontKnow,
    WhoCanHelp,
    Goodbye,
    NothingToRepeat,
    AskAgain,
    OfferForm,
    /// Said with the draft's number in place of `{number}`.
    DraftKept,
    /// The filled sheet's document could not be made (its template failed):
    /// said with the draft's number in place of `{number}`.
    DocumentFailed,
    AskDraftNumber,
    NoSuchDraft,
    /// Said with the draft's number in place of `{number}`.
    Resumed,
    /// Said with the other languages and their buttons in place of `{choices}`.
    ChooseLanguage,
    /// Said with the language's name in place of `{language}`.
    NoVoiceYet,
    AskCard,
    ListenRepeat,
    NoLesson,
    NotHeard,
    LessonKept,
    /// Before the machine's simpler words for an entry.
    Simplified,
    /// No simpler words could be given: the text again, more slowly.
    CannotSimplify,
    /// "Do you want me to repeat?": a command heard with too little certainty.
    Confirm(Confirmable),
}

/// The commands the kiosk asks about before doing them when it is unsure it
/// heard them (`words::commands::Spotted`); a yes or a no is never asked back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmable {
    Repeat,
    Slower,
    Simpler,
    Back,
    Stop,
}

impl Phrase {
    pub const ALL: [Phrase; 28] = [
        Phrase::Welcome,
        Phrase::Source,
        Phrase::Unreviewed,
        Phrase::DontKnow,
        Phrase::WhoCanHelp,
        Phrase::Goodbye,
        Phrase::NothingToRepeat,
        Phrase::AskAgain,
        Phrase::OfferForm,
        Phrase::DraftKept,
        Phrase::DocumentFailed,
        Phrase::AskDraftNumber,
        Phrase::NoSuchDraft,
        Phrase::Resumed,
        Phrase::ChooseLanguage,
        Phrase::NoVoiceYet,
        Phrase::AskCard,
        Phrase::ListenRepeat,
        Phrase::NoLesson,
        Phrase::NotHeard,
        Phrase::LessonKept,
        Phrase::Simplified,
        Phrase::CannotSimplify,
        Phrase::Confirm(Confirmable::Repeat),
        Phrase::Confirm(Confirmable::Slower),
        Phrase::Confirm(Confirmable::Simpler),
        Phrase::Confirm(Confirmable::Back),
        Phrase::Confirm(Confirmable::Stop),
    ];

    /// The phrase's name: its key in a language file's `[phrases]` and the
    /// file name of its recording.
    pub fn key(self) -> &'static str {
        match self {
            Phrase::Welcome => "welcome",
            Phrase::Source => "source",
            Phrase::Unreviewed => "unreviewed",
            Phrase::DontKnow => "dont-know",
            Phrase::WhoCanHelp => "who-can-help",
            Phrase::Goodbye => "goodbye",
            Phrase::NothingToRepeat => "nothing-to-repeat",
            Phrase::AskAgain => "ask-again",
            Phrase::OfferForm => "offer-form",
            Phrase::DraftKept => "draft-kept",
            Phrase::DocumentFailed => "document-failed",
            Phrase::AskDraftNumber => "ask-draft-number",
            Phrase::NoSuchDraft => "no-such-draft",
            Phrase::Resumed => "resumed",
            Phrase::ChooseLanguage => "choose-language",
            Phrase::NoVoiceYet => "no-voice-yet",
            Phrase::AskCard => "ask-card",
            Phrase::ListenRepeat => "listen-repeat",
            Phrase::NoLesson => "no-lesson",
            Phrase::NotHeard => "not-heard",
            Phrase::LessonKept => "lesson-kept",
            Phrase::Simplified => "simplified",
            Phrase::CannotSimplify => "cannot-simplify",
            Phrase::Confirm(Confirmable::Repeat) => "confirm-repeat",
            Phrase::Confirm(Confirmable::Slower) => "confirm-slower",
            Phrase::Confirm(Confirmable::Simpler) => "confirm-simpler",
            Phrase::Confirm(Confirmable::Back) => "confirm-back",
            Phrase::Confirm(Confirmable::Stop) => "confirm-stop",
        }
    }

    /// The file name (without extension) of a recording of this phrase, for
    /// phrases said the same every time. Phrases that carry a number or a
    /// language name are always synthesized, except the language menu, which
    /// is recorded for the kiosk's own languages.
    pub fn clip_name(self) -> Option<&'static str> {
        match self {
            Phrase::Source
            | Phrase::Unreviewed
            | Phrase::DraftKept
            | Phrase::DocumentFailed
            | Phrase::Resumed
            | Phrase::NoVoiceYet
            | Phrase::Simplified
            | Phrase::CannotSimplify
            // Asked only where Whisper hears the language, which has a voice.
            | Phrase::Confirm(_) => None,
            _ => Some(self.key()),
        }
    }
}

/// The phrase in `lang` (its file's `[phrases]`), else in its fallbacks
/// (French for the languages without words of their own yet); the second
/// value is the language actually used, in its usual script.
pub fn phrase<'l>(which: Phrase, lang: &LangTag, languages: &'l Languages) -> (&'l str, LangTag) {
    let (text, code) = languages
        .phrase(which.key(), lang)
        .expect("every language's fallbacks hold every phrase (checked when the languages load)");
    let used = languages.get(code).map_or(*lang, |language| language.tag());
    (text, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::languages::PHRASE_KEYS;

    #[test]
    fn phrase_keys_are_the_language_files_keys() {
        let keys: Vec<&str> = Phrase::ALL.iter().map(|p| p.key()).collect();
        assert_eq!(keys, PHRASE_KEYS);
        for which in Phrase::ALL {
            assert!(which.clip_name().is_none_or(|name| name == which.key()));
        }
    }

    #[test]
    fn phrases_fall_back_to_french() {
        let languages = Languages::built_in();
        let (text, used) = phrase(Phrase::Goodbye, &"wol".parse().unwrap(), &languages);
        assert_eq!((text, used.to_string().as_str()), ("Au revoir.", "fr"));
        let (text, used) = phrase(Phrase::Goodbye, &"ary-Latn".parse().unwrap(), &languages);
        assert_eq!((text, used.to_string().as_str()), ("بسلامة.", "ary"));
    }
}

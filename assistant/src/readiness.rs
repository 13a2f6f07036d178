//! What the kiosk can do in each language of its corpus, and what is missing
//! for the rest (`awal languages`): how it hears the language (an installed
//! CTC recognizer that lists it, Whisper, the enrolled spoken keywords, or not
//! at all), how it speaks it (speakers'
//! recordings of its phrases, espeak-ng, or not at all), and what its file
//! lacks. Nothing is decoded or loaded: installed models are read from their
//! install records, keywords and recordings from their file names.

use std::path::Path;

use serde::Serialize;

use crate::asr::ctc::languages::installed_for;
use crate::corpus::entry::ReviewStatus;
use crate::corpus::languages::{Language, PHRASE_KEYS};
use crate::corpus::Corpus;
use crate::keywords::{enrolled, Enrolled, KeywordError};
use crate::models::ModelStore;
use crate::words::Phrase;

/// How the kiosk hears a language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Hear {
    /// A CTC recognizer (wav2vec2, XLS-R, MMS) installed for it: the model's
    /// id and its code for the language (`ful` for Pulaar).
    Ctc {
        model: String,
        language: String,
    },
    /// Speech recognition, in this Whisper language, with this installed model.
    Whisper {
        language: String,
        model: String,
    },
    /// The spoken keywords enrolled in DATA_DIR/keywords/LANG.
    Keywords {
        words: usize,
        speakers: usize,
    },
    None,
}

/// How the kiosk speaks a language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Voice {
    /// Speakers' recordings of its phrases (`corpora/phrases/LANG/`).
    Clips,
    EspeakNg {
        voice: String,
    },
    None,
}

/// One language of the corpus.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageReadiness {
    pub tag: String,
    pub name: String,
    pub hear: Hear,
    pub voice: Voice,
    /// The kiosk's recordable phrases recorded in the language.
    pub phrases_recorded: usize,
    pub phrases_total: usize,
    /// The kiosk's phrases written in the language's own file (the others are
    /// said in a fallback language).
    pub phrases_written: usize,
    pub keywords: Enrolled,
    pub review: ReviewStatus,
    /// What is missing, each with what to do.
    pub missing: Vec<String>,
}

/// Where to look: the corpus (languages, phrase recordings), the installed
/// models and the configured recognizer, the enrolled keywords.
pub struct Setup<'a> {
    pub corpus: &'a Corpus,
    pub models: &'a ModelStore,
    /// The configured speech recognizer's id.
    pub asr: &'a str,
    /// DATA_DIR/keywords.
    pub keywords_dir: &'a Path,
}

/// Every language of the corpus, by code.
pub fn languages(setup: &Setup) -> Result<Vec<LanguageReadiness>, KeywordError> {
    setup.corpus.languages.iter().map(|language| readiness(setup, language)).collect()
}

fn readiness(setup: &Setup, language: &Language) -> Result<LanguageReadiness, KeywordError> {
    let code = language.code;
    let recordable: Vec<&str> = Phrase::ALL.iter().filter_map(|p| p.clip_name()).collect();
    let phrases_total = recordable.len();
    let phrases_recorded = recordable.iter().filter(|name| setup.corpus.phrase_clip(code, name).is_some()).count();
    let phrases_written = PHRASE_KEYS.iter().filter(|key| language.phrases.contains_key(**key)).count();
    let keywords = enrolled(setup.keywords_dir, &code)?;
    let file = language.source.as_ref().map_or(format!("languages/{code}.toml"), |p| p.display().to_string());
    let mut missing = Vec::new();

    let hear = match (installed_for(setup.models, code.as_str()), &language.whisper) {
        (Some(ctc), _) => Hear::Ctc { model: ctc.model.record.id, language: ctc.language },
        (None, Some(whisper)) if setup.models.installed(setup.asr).is_some() => {
            Hear::Whisper { language: whisper.clone(), model: setup.asr.to_string() }
        }
        (None, Some(_)) => {
            missing.push(format!("install the speech recognizer: awal models fetch {}", setup.asr));
            Hear::None
        }
        (None, None) if !keywords.words.is_empty() => {
            Hear::Keywords { words: keywords.words.len(), speakers: keywords.speakers.len() }
        }
        (None, None) => {
            missing.push(format!(
                "no recognizer knows it: install one that lists it (awal models list, awal models import DIR) \
                 or enroll its command words as spoken keywords: awal keywords enroll --lang {code} --word WORD"
            ));
            Hear::None
        }
    };
    let voice = match &language.espeak {
        _ if phrases_recorded > 0 => Voice::Clips,
        Some(voice) => Voice::EspeakNg { voice: voice.clone() },
        None => Voice::None,
    };
    if language.espeak.is_none() && phrases_recorded < phrases_total {
        let which = if phrases_recorded == 0 { "the" } else { "the missing" };
        missing.push(format!(
            "no synthesizer speaks it: record {which} {} kiosk phrases: awal corpus phrases --lang {code}",
            phrases_total - phrases_recorded
        ));
    }
    if phrases_written < PHRASE_KEYS.len() {
        let said_in = language.fallback.map_or("another language".to_string(), |f| format!("`{f}`"));
        missing.push(format!(
            "write the kiosk's phrases: {} of {} are said in {said_in} ([phrases] in {file})",
            PHRASE_KEYS.len() - phrases_written,
            PHRASE_KEYS.len()
        ));
    }
    let commands = &language.commands;
    let absent: Vec<&str> =
        [("yes", &commands.yes), ("no", &commands.no), ("repeat", &commands.repeat), ("stop", &commands.stop)]
            .into_iter()
            .filter(|(_, words)| words.is_empty())
            .map(|(name, _)| name)
            .collect();
    if !absent.is_empty() && !language.commands_everywhere {
        missing.push(format!("write its command words: {} ([commands] in {file})", absent.join(", ")));
    }
    if language.names.is_empty() {
        missing.push(format!("write what people call it, to choose it by name (names in {file})"));
    }
    if language.review.status != ReviewStatus::Reviewed {
        let who = match language.review.status {
            ReviewStatus::MachineDraft => "machine-drafted: a fluent speaker must correct and review",
            _ => "not reviewed: a second speaker must review",
        };
        missing.push(format!("{who} {file}"));
    }
    Ok(LanguageReadiness {
        tag: language.tag().to_string(),
        name: language.name.clone(),
        hear,
        voice,
        phrases_recorded,
        phrases_total,
        phrases_written,
        keywords,
        review: language.review.status,
        missing,
    })
}

/// The short table `awal languages` prints.
pub fn render(rows: &[LanguageReadiness]) -> String {
    let mut out =
        format!("{:<5} {:<28} {:<22} {:<18} {:<8} {}\n", "lang", "name", "hear", "voice", "phrases", "keywords");
    for row in rows {
        let hear = match &row.hear {
            Hear::Ctc { model, .. } => format!("ctc ({model})"),
            Hear::Whisper { language, .. } => format!("whisper ({language})"),
            Hear::Keywords { words, speakers } => format!("keywords ({words} w, {speakers} sp)"),
            Hear::None => "none".into(),
        };
        let voice = match &row.voice {
            Voice::Clips => "clips".into(),
            Voice::EspeakNg { voice } => format!("espeak-ng ({voice})"),
            Voice::None => "none".into(),
        };
        let phrases = format!("{}/{}", row.phrases_recorded, row.phrases_total);
        let keywords = row.keywords.words.len();
        out.push_str(&format!("{:<5} {:<28} {hear:<22} {voice:<18} {phrases:<8} {keywords}\n", row.tag, row.name));
        for missing in &row.missing {
            out.push_str(&format!("      - {missing}\n"));
        }
    }
    out
}

//! What the kiosk says back: a [`Reply`], made by one constructor and
//! completed by the skill that answers.

use std::path::PathBuf;

use serde::Serialize;

/// Which part of the kiosk produced a reply: a skill, or the dialogue itself
/// (the welcome, a command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillName {
    Welcome,
    Rights,
    Paperwork,
    Literacy,
    Referral,
    Command,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub skill: SkillName,
    pub text: String,
    /// The language of `text` (French when the kiosk has no words of its own
    /// in the person's language yet).
    pub lang: String,
    /// The entry answered from, if any.
    pub entry: Option<String>,
    pub citations: Vec<String>,
    /// False when any of the text has not been checked by a reviewer.
    pub reviewed: bool,
    /// Human recordings that say the reply, played in order instead of
    /// synthesizing `text`: the entry's recording, or the kiosk's own phrases
    /// recorded in the person's language (`corpora/phrases/`). Empty: the text
    /// is synthesized.
    pub clips: Vec<PathBuf>,
    /// Speaking rate for synthesized speech, words per minute.
    pub rate: u32,
    /// The conversation is over.
    pub end: bool,
    /// Files written by this turn (an exported form).
    pub files: Vec<PathBuf>,
    /// A recording to play after the text: the lesson item to repeat.
    pub example: Option<PathBuf>,
    /// How many bytes at the start of `text` were handed to the voice while
    /// the reply was being written ([`Ahead`]): the rest is what remains to
    /// be said.
    pub spoken_ahead: usize,
}

impl Reply {
    /// A reviewed reply of `skill` saying `text` in `lang` at `rate`, with no
    /// entry, sources, recordings or files yet: the one way replies are made.
    pub fn new(skill: SkillName, text: String, lang: String, rate: u32) -> Self {
        Self {
            skill,
            text,
            lang,
            entry: None,
            citations: Vec::new(),
            reviewed: true,
            clips: Vec::new(),
            rate,
            end: false,
            files: Vec::new(),
            example: None,
            spoken_ahead: 0,
        }
    }
}

/// Takes a piece of a reply to say now, while the rest is written: its text,
/// language and speaking rate.
pub type Ahead<'a> = dyn FnMut(&str, &str, u32) + 'a;

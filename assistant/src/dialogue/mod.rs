//! The conversation: one utterance (already transcribed, or typed) in, one
//! reply out. Commands ("repeat", "slower", "back", "stop") steer; anything
//! else is a question, answered from the governed content only.
//!
//! Rights and paperwork questions get the best entry's text in the person's
//! language and its source. When retrieval is not confident enough — the
//! question's words are not covered by any entry — the kiosk says it does not
//! know and names who can help (a referral entry of the country). The language
//! model never answers on its own here.

pub mod commands;
pub mod phrases;

use std::path::PathBuf;

use serde::Serialize;

use crate::corpus::entry::{Domain, Entry, ReviewStatus, Text};
use crate::corpus::lang::LangTag;
use crate::corpus::search::{Index, Query};
use crate::corpus::Corpus;
use crate::speech::{NORMAL_RATE, SLOWEST_RATE};
pub use commands::{command, Command};
use phrases::{phrase, Phrase};

/// Share of a question's (IDF-weighted) words an entry must cover to be the
/// answer. Measured on the corpus: real questions in every language cover
/// 0.9–1.0, unrelated ones ≤ 0.5 (`tests/dialogue.rs`).
pub const MIN_COVERAGE: f32 = 0.6;

/// Which part of the kiosk produced a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skill {
    Welcome,
    Rights,
    Paperwork,
    Referral,
    Command,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub skill: Skill,
    pub text: String,
    /// The language of `text` (French when the kiosk has no words of its own
    /// in the person's language yet).
    pub lang: String,
    /// The entry answered from, if any.
    pub entry: Option<String>,
    pub citations: Vec<String>,
    /// False when any of the text has not been checked by a reviewer.
    pub reviewed: bool,
    /// A human recording of the answer, when the entry has one.
    pub clip: Option<PathBuf>,
    /// Speaking rate for synthesized speech, words per minute.
    pub rate: u32,
    /// The conversation is over.
    pub end: bool,
}

pub struct Dialogue<'c> {
    corpus: &'c Corpus,
    index: Index,
    lang: LangTag,
    country: String,
    rate: u32,
    /// Answers given, newest last ("back" walks them).
    history: Vec<Reply>,
}

impl<'c> Dialogue<'c> {
    pub fn new(corpus: &'c Corpus, lang: LangTag, country: &str) -> Self {
        Self {
            corpus,
            index: Index::build(corpus),
            lang,
            country: country.to_uppercase(),
            rate: NORMAL_RATE,
            history: Vec::new(),
        }
    }

    pub fn lang(&self) -> &LangTag {
        &self.lang
    }

    /// What the kiosk says when someone walks up (and after a timeout).
    pub fn welcome(&mut self) -> Reply {
        self.history.clear();
        self.rate = NORMAL_RATE;
        self.say(Skill::Welcome, Phrase::Welcome)
    }

    /// The reply to one utterance.
    pub fn respond(&mut self, said: &str) -> Reply {
        let said = said.trim();
        if said.is_empty() {
            return self.say(Skill::Command, Phrase::AskAgain);
        }
        match command(said, &self.lang.to_string()) {
            Some(Command::Repeat) => self.repeat(),
            Some(Command::Slower) => {
                self.rate = (self.rate - 30).max(SLOWEST_RATE);
                self.repeat()
            }
            Some(Command::Back) => {
                self.history.pop();
                self.repeat()
            }
            Some(Command::Stop) => {
                self.history.clear();
                self.rate = NORMAL_RATE;
                let mut reply = self.say(Skill::Command, Phrase::Goodbye);
                reply.end = true;
                reply
            }
            // Nothing in a rights conversation waits for a yes or a no: offer to ask.
            Some(Command::Yes | Command::No) => self.say(Skill::Command, Phrase::AskAgain),
            None => {
                let reply = self.answer(said);
                self.history.push(reply.clone());
                reply
            }
        }
    }

    fn repeat(&self) -> Reply {
        match self.history.last() {
            Some(last) => Reply { rate: self.rate, ..last.clone() },
            None => self.say(Skill::Command, Phrase::NothingToRepeat),
        }
    }

    fn say(&self, skill: Skill, which: Phrase) -> Reply {
        let (text, lang) = phrase(which, &self.lang.to_string());
        Reply {
            skill,
            text: text.to_string(),
            lang: lang.to_string(),
            entry: None,
            citations: Vec::new(),
            reviewed: true,
            clip: None,
            rate: self.rate,
            end: false,
        }
    }

    fn answer(&self, question: &str) -> Reply {
        let query = Query {
            text: question,
            lang: Some(self.lang.clone()),
            country: Some(&self.country),
            domain: None,
            limit: 3,
        };
        let best = self
            .index
            .search(&query)
            .into_iter()
            .find(|hit| matches!(hit.domain, Domain::Rights | Domain::Paperwork) && hit.coverage >= MIN_COVERAGE);
        match best.and_then(|hit| self.entry(&hit.id)) {
            Some(entry) => {
                let skill = if entry.domain == Domain::Paperwork { Skill::Paperwork } else { Skill::Rights };
                self.from_entry(skill, entry, None)
            }
            None => self.referral(question),
        }
    }

    fn entry(&self, id: &str) -> Option<&'c Entry> {
        self.corpus.entries.get(id).map(|loaded| &loaded.item)
    }

    /// "I don't know — here is who can help": the referral entry of the country
    /// closest to the question, or the first one.
    fn referral(&self, question: &str) -> Reply {
        let query = Query {
            text: question,
            lang: Some(self.lang.clone()),
            country: Some(&self.country),
            domain: Some(Domain::Referral),
            limit: 1,
        };
        let closest = self.index.search(&query).into_iter().next().and_then(|hit| self.entry(&hit.id));
        let any = || {
            self.corpus
                .entries
                .values()
                .map(|loaded| &loaded.item)
                .find(|e| e.domain == Domain::Referral && e.country == self.country)
        };
        let (dont_know, _) = phrase(Phrase::DontKnow, &self.lang.to_string());
        match closest.or_else(any) {
            Some(entry) => {
                let (help, _) = phrase(Phrase::WhoCanHelp, &self.lang.to_string());
                self.from_entry(Skill::Referral, entry, Some(format!("{dont_know} {help}")))
            }
            None => self.say(Skill::Referral, Phrase::DontKnow),
        }
    }

    /// The entry's text in the person's language (else French, Arabic,
    /// English), its sources, and a notice if the text is not reviewed.
    fn from_entry(&self, skill: Skill, entry: &Entry, preface: Option<String>) -> Reply {
        let (lang, text) = self.text_of(entry);
        let (source_word, _) = phrase(Phrase::Source, &lang);
        let citations: Vec<String> = entry.sources.iter().map(|s| s.citation()).collect();
        let reviewed = text.review.status == ReviewStatus::Reviewed;
        let mut spoken = String::new();
        if let Some(preface) = preface {
            spoken.push_str(&preface);
            spoken.push(' ');
        }
        spoken.push_str(&format!("{}. {}", text.title.trim_end_matches('.'), text.body.trim()));
        if !citations.is_empty() {
            spoken.push_str(&format!(" {source_word} {}.", citations.join("; ")));
        }
        if !reviewed {
            spoken.push_str(&format!(" {}", phrase(Phrase::Unreviewed, &lang).0));
        }
        Reply {
            skill,
            text: spoken,
            lang,
            entry: Some(entry.id.clone()),
            citations,
            reviewed,
            clip: text.audio.as_ref().map(|a| self.corpus.resolve(a)),
            rate: self.rate,
            end: false,
        }
    }

    fn text_of<'e>(&self, entry: &'e Entry) -> (String, &'e Text) {
        let wanted = [self.lang.to_string(), "fr".into(), "ar".into(), "en".into()];
        for tag in &wanted {
            if let Some(text) = tag.parse::<LangTag>().ok().and_then(|t| entry.text_in(&t)) {
                return (tag.clone(), text);
            }
        }
        let (tag, text) = entry.text.iter().next().expect("checked entries have a text");
        (tag.clone(), text)
    }
}

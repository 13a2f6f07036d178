//! The conversation: one utterance (already transcribed, or typed) in, one
//! reply out. The dialogue keeps the person's language and the answers given;
//! commands ("repeat", "slower", "back", "stop") are its own, and everything
//! else goes to the skills ([`crate::skills`]) in turn:
//!
//! 1. a skill with a form or a lesson under way hears every utterance;
//! 2. an offered language's name switches to it;
//! 3. a skill waiting for an answer to its question ("shall we fill it in?")
//!    hears the utterance next, and may let it go;
//! 4. the dialogue's commands — or, when a command was heard with too little
//!    certainty (a small part of what was said, or a recognizer unsure of its
//!    words), the question "do you want me to repeat?" first;
//! 5. each skill, in order, may take the utterance as a new request: a
//!    lesson, a paperwork question, simpler words, and last a rights question,
//!    answered from the governed content or referred to whom can help.

use std::path::Path;

use crate::corpus::lang::LangTag;
use crate::corpus::{Corpus, Languages};
use crate::hearing::Heard;
use crate::lm::LanguageModel;
use crate::skills::literacy::Literacy;
use crate::skills::paperwork::Paperwork;
use crate::skills::rights::Rights;
use crate::skills::simplify::SimplerWords;
pub use crate::skills::{Ahead, Reply, SkillName, MIN_COVERAGE};

/// Below this confidence of the recognizer ([`Heard::confidence`]), a command
/// is asked back rather than done. Not calibrated on real speech yet: set so
/// that espeak-ng's clear commands heard by Whisper base pass.
pub const MIN_CONFIDENCE: f32 = 0.3;

/// A command that is this small a part of what was said is asked back; less
/// is a question that merely holds the word ("repeat what the law says…").
pub const MIN_ASK_SHARE: f32 = 0.3;
use crate::skills::{Context, Holds, Skill, Utterance};
use crate::speech::NORMAL_RATE;
use crate::store::Store;
use crate::words::languages::{choices, named_language};
use crate::words::{spot, Command, Confirmable, Phrase, Spotted};

pub struct Dialogue<'c> {
    /// What the skills work with, the person's language included.
    cx: Context<'c>,
    /// The kiosk's languages, by button number (1 first); the first greets.
    languages: Vec<LangTag>,
    /// Asked in this order (see the module's documentation).
    skills: Vec<Box<dyn Skill<'c> + 'c>>,
    /// The command just asked back ("do you want me to repeat?").
    asked: Option<Command>,
}

impl<'c> Dialogue<'c> {
    pub fn new(corpus: &'c Corpus, lang: LangTag, country: &str) -> Self {
        let skills: Vec<Box<dyn Skill<'c> + 'c>> = vec![
            Box::new(Literacy::default()),
            Box::new(Paperwork::default()),
            Box::new(SimplerWords),
            Box::new(Rights),
        ];
        Self { cx: Context::new(corpus, lang, country), languages: vec![lang], skills, asked: None }
    }

    /// Uses `lm` to pull form values out of whole sentences and to say
    /// answers in simpler words.
    pub fn with_model(mut self, lm: &'c mut dyn LanguageModel) -> Self {
        self.cx.lm = Some(lm);
        self
    }

    /// Keeps paperwork drafts and learners' progress in `store`; writes
    /// filled forms to DATA_DIR/exports and lesson voices to DATA_DIR/literacy-voice.
    pub fn with_store(mut self, store: &'c Store, data_dir: &Path) -> Self {
        self.cx.keep_in(store, data_dir);
        self
    }

    /// Offers these languages (by name or button); the first is spoken first.
    pub fn with_languages(mut self, languages: Vec<LangTag>) -> Self {
        if let Some(first) = languages.first() {
            self.cx.lang = *first;
            self.languages = languages;
        }
        self
    }

    pub fn lang(&self) -> &LangTag {
        &self.cx.lang
    }

    /// Button `number` (1 for the first language) was pressed: the kiosk
    /// greets in that language. `None` if no language has that button.
    pub fn press_language_button(&mut self, number: usize) -> Option<Reply> {
        let chosen = *self.languages.get(number.checked_sub(1)?)?;
        Some(self.choose_language(chosen))
    }

    fn choose_language(&mut self, lang: LangTag) -> Reply {
        self.cx.lang = lang;
        for skill in &mut self.skills {
            skill.drop_question();
        }
        self.welcome()
    }

    /// What the kiosk says when someone walks up (and after a timeout).
    pub fn welcome(&mut self) -> Reply {
        let cx = &mut self.cx;
        cx.history.clear();
        cx.rate = NORMAL_RATE;
        // Kept, so that "repeat" right away says the welcome again.
        let mut reply = cx.say(SkillName::Welcome, Phrase::Welcome);
        let recorded = !reply.clips.is_empty();
        let spoken = reply.lang.parse::<LangTag>().unwrap_or(cx.lang);
        cx.announce_fallback(&mut reply);
        if self.languages.len() > 1 {
            // Names in the letters of the voice that reads them.
            let choices = choices(&self.languages, &cx.lang, spoken.script, cx.languages());
            let offer = cx.text(Phrase::ChooseLanguage);
            reply.text = format!("{} {}", reply.text, offer.replace("{choices}", &choices));
            // The menu's recording names this kiosk's languages; without one,
            // the whole welcome is synthesized rather than half of it.
            match cx.phrase_clip(Phrase::ChooseLanguage) {
                Some(menu) if recorded => reply.clips.push(menu),
                _ => reply.clips.clear(),
            }
        }
        cx.history.push(reply.clone());
        reply
    }

    /// The reply to one utterance, typed or already transcribed.
    pub fn respond(&mut self, said: &str) -> Reply {
        self.turn(said, None, 1.0, &mut |_, _, _| {})
    }

    /// The reply to one spoken utterance: `said` is its transcript, `samples`
    /// the audio (16 kHz mono), which a lesson scores.
    pub fn respond_to_speech(&mut self, said: &str, samples: &[f32]) -> Reply {
        self.turn(said, Some(samples), 1.0, &mut |_, _, _| {})
    }

    /// The reply to what was heard (with its audio, if spoken), handing to
    /// `ahead` what can be said before the reply is finished: the sentences of
    /// the model's simpler words as each is checked. The reply's
    /// `spoken_ahead` says how much of its text went that way.
    pub fn respond_ahead(&mut self, heard: &Heard, samples: Option<&[f32]>, ahead: &mut Ahead) -> Reply {
        self.turn(&heard.text, samples, heard.confidence, ahead)
    }

    fn turn(&mut self, said: &str, samples: Option<&[f32]>, confidence: f32, ahead: &mut Ahead) -> Reply {
        let said = said.trim();
        let spotted = spot(said, &self.cx.lang, self.languages());
        // A yes or a no is short, and Whisper is least sure of short words:
        // its confidence gates only the commands that can be asked back.
        let confident = |s: &Spotted| confidence >= MIN_CONFIDENCE || matches!(s.command, Command::Yes | Command::No);
        let sure = spotted.filter(|s| s.sure() && confident(s));
        let mut heard = sure.map(|s| s.command);
        let asked = self.asked.take();
        let utterance = Utterance { said, samples, command: heard };
        if let Some(reply) = self.follow_ups(Holds::Conversation, &utterance, ahead) {
            return reply;
        }
        if said.is_empty() {
            return self.cx.say(SkillName::Command, Phrase::AskAgain);
        }
        if self.languages.len() > 1 {
            let named = named_language(said, &self.languages, self.languages());
            if let Some(lang) = named.filter(|l| *l != self.cx.lang) {
                return self.choose_language(lang);
            }
        }
        if let Some(reply) = self.follow_ups(Holds::Question, &utterance, ahead) {
            return reply;
        }
        match (asked, heard) {
            // "Do you want me to repeat?" — "yes": done.
            (Some(command), Some(Command::Yes)) => heard = Some(command),
            (Some(_), Some(Command::No)) => return self.cx.say(SkillName::Command, Phrase::AskAgain),
            _ => {}
        }
        if heard.is_none() {
            if let Some(reply) = self.ask_back(spotted) {
                return reply;
            }
        }
        let utterance = Utterance { command: heard, ..utterance };
        let cx = &mut self.cx;
        match heard {
            Some(Command::Repeat) => return self.repeat(),
            Some(Command::Slower) => {
                cx.slow_down();
                return self.repeat();
            }
            Some(Command::Back) => {
                cx.history.pop();
                return self.repeat();
            }
            Some(Command::Stop) => {
                cx.history.clear();
                cx.rate = NORMAL_RATE;
                let mut reply = cx.say(SkillName::Command, Phrase::Goodbye);
                reply.end = true;
                return reply;
            }
            // Nothing waits for a yes or a no: offer to ask.
            Some(Command::Yes | Command::No) => return cx.say(SkillName::Command, Phrase::AskAgain),
            Some(Command::Simpler) | None => {}
        }
        let taken = self.skills.iter_mut().find_map(|skill| skill.take(&utterance, &mut self.cx, ahead));
        taken.unwrap_or_else(|| self.cx.say(SkillName::Referral, Phrase::DontKnow))
    }

    /// "Do you want me to repeat?", when a command other than yes or no was
    /// heard but not surely: too small a part of what was said, or heard by a
    /// recognizer unsure of its words.
    fn ask_back(&mut self, spotted: Option<Spotted>) -> Option<Reply> {
        let spotted = spotted.filter(|s| s.share >= MIN_ASK_SHARE || s.opens)?;
        let which = match spotted.command {
            Command::Repeat => Confirmable::Repeat,
            Command::Slower => Confirmable::Slower,
            Command::Simpler => Confirmable::Simpler,
            Command::Back => Confirmable::Back,
            Command::Stop => Confirmable::Stop,
            Command::Yes | Command::No => return None,
        };
        self.asked = Some(spotted.command);
        Some(self.cx.say(SkillName::Command, Phrase::Confirm(which)))
    }

    /// The reply of the skill that holds `what`, if it has one.
    fn follow_ups(&mut self, what: Holds, utterance: &Utterance, ahead: &mut Ahead) -> Option<Reply> {
        let skill = self.skills.iter_mut().find(|skill| skill.holds() == what)?;
        skill.follow_up(utterance, &mut self.cx, ahead)
    }

    fn repeat(&self) -> Reply {
        match self.cx.history.last() {
            Some(last) => Reply { rate: self.cx.rate, spoken_ahead: 0, ..last.clone() },
            None => self.cx.say(SkillName::Command, Phrase::NothingToRepeat),
        }
    }

    fn languages(&self) -> &'c Languages {
        self.cx.languages()
    }
}

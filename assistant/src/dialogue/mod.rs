//! The conversation: one utterance (already transcribed, or typed) in, one
//! reply out. Commands ("repeat", "slower", "back", "stop") steer; anything
//! else is a question, answered from the governed content only.
//!
//! A short request for a lesson ("je veux apprendre à lire") starts a
//! listen-and-repeat lesson in the kiosk's language (`lesson`); its attempts
//! are scored from the audio, so they come through [`Dialogue::respond_to_speech`].
//!
//! Rights and paperwork questions get the best entry's text in the person's
//! language and its source. When retrieval is not confident enough — the
//! question's words are not covered by any entry — the kiosk says it does not
//! know and names who can help (a referral entry of the country). The language
//! model never answers on its own here: asked for simpler words ("je n'ai pas
//! compris"), it rewrites the entry's French, Arabic or English text, keeping
//! only sentences the text carries, and the entry's sources are said after.

pub mod commands;
pub mod languages;
pub mod lesson;
pub mod paperwork;
pub mod phrases;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::entry::{Domain, Entry, ReviewStatus, Text};
use crate::corpus::lang::{LangTag, Script};
use crate::corpus::search::{Index, Query};
use crate::corpus::{Corpus, Form, Languages};
use crate::lm::LanguageModel;
use crate::skills::simplify;
use crate::speech::{NORMAL_RATE, SLOWEST_RATE};
use crate::store::Store;
pub use commands::{command, Command};
use lesson::{asks_for_a_lesson, choose_lesson, LessonStep, LessonWalk};
use paperwork::{spoken_number, Desk, FormWalk, InLanguage, PaperworkError};
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
    Literacy,
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
    /// the reply was being written ([`Dialogue::respond_ahead`]): the rest is
    /// what remains to be said.
    pub spoken_ahead: usize,
}

impl Reply {
    /// A reviewed reply of `skill` saying `text` in `lang` at `rate`, with no
    /// entry, sources, recordings or files yet: the one way replies are made.
    pub fn new(skill: Skill, text: String, lang: String, rate: u32) -> Self {
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

/// Where the conversation stands: what the next utterance answers.
enum State<'c> {
    /// Questions and commands.
    Free,
    /// A form was just offered ("shall we fill it in?").
    Offered(String),
    /// The form whose kept drafts were just asked about ("did you start it before?").
    DraftQuestion(String),
    /// A form being filled.
    Walk(FormWalk),
    /// A listen-and-repeat lesson.
    Lesson(LessonWalk<'c>),
}

pub struct Dialogue<'c> {
    corpus: &'c Corpus,
    index: Index,
    lang: LangTag,
    /// The kiosk's languages, by button number (1 first); the first greets.
    languages: Vec<LangTag>,
    country: String,
    rate: u32,
    /// Answers given, newest last ("back" walks them).
    history: Vec<Reply>,
    /// Where drafts are kept; without it forms are not offered.
    store: Option<&'c Store>,
    export_dir: PathBuf,
    /// Where lesson items without a recording are synthesized once.
    voice_dir: PathBuf,
    /// What the next utterance answers.
    state: State<'c>,
    /// Pulls form values out of sentences; without it the words are taken as said.
    lm: Option<&'c mut LanguageModel>,
}

impl<'c> Dialogue<'c> {
    pub fn new(corpus: &'c Corpus, lang: LangTag, country: &str) -> Self {
        Self {
            corpus,
            index: Index::build(corpus),
            lang,
            languages: vec![lang],
            country: country.to_uppercase(),
            rate: NORMAL_RATE,
            history: Vec::new(),
            store: None,
            export_dir: PathBuf::new(),
            voice_dir: PathBuf::new(),
            state: State::Free,
            lm: None,
        }
    }

    /// Uses `lm` to pull form values out of whole sentences.
    pub fn with_model(mut self, lm: &'c mut LanguageModel) -> Self {
        self.lm = Some(lm);
        self
    }

    /// Keeps paperwork drafts and learners' progress in `store`; writes
    /// filled forms to DATA_DIR/exports and lesson voices to DATA_DIR/literacy-voice.
    pub fn with_store(mut self, store: &'c Store, data_dir: &Path) -> Self {
        self.store = Some(store);
        self.export_dir = data_dir.join("exports");
        self.voice_dir = crate::literacy::voice_dir(data_dir);
        self
    }

    /// Offers these languages (by name or button); the first is spoken first.
    pub fn with_languages(mut self, languages: Vec<LangTag>) -> Self {
        if let Some(first) = languages.first() {
            self.lang = *first;
            self.languages = languages;
        }
        self
    }

    pub fn lang(&self) -> &LangTag {
        &self.lang
    }

    /// Button `number` (1 for the first language) was pressed: the kiosk
    /// greets in that language. `None` if no language has that button.
    pub fn press_language_button(&mut self, number: usize) -> Option<Reply> {
        let chosen = *self.languages.get(number.checked_sub(1)?)?;
        Some(self.choose_language(chosen))
    }

    fn choose_language(&mut self, lang: LangTag) -> Reply {
        self.lang = lang;
        // A pending question is dropped; a form or a lesson under way goes on.
        if matches!(self.state, State::Offered(_) | State::DraftQuestion(_)) {
            self.state = State::Free;
        }
        self.welcome()
    }

    /// What the kiosk says when someone walks up (and after a timeout).
    pub fn welcome(&mut self) -> Reply {
        self.history.clear();
        self.rate = NORMAL_RATE;
        // Kept, so that "repeat" right away says the welcome again.
        let mut reply = self.say(Skill::Welcome, Phrase::Welcome);
        let recorded = !reply.clips.is_empty();
        let spoken = reply.lang.parse::<LangTag>().unwrap_or(self.lang);
        if spoken.language != self.lang.language && !recorded {
            // No words of the kiosk in this language yet: say so, in the language used.
            let (no_voice, _) = phrase(Phrase::NoVoiceYet, &spoken, self.languages());
            let name = languages::spoken_name(&self.lang, Script::Latn, self.languages());
            reply.text = format!("{} {}", no_voice.replace("{language}", name), reply.text);
        }
        if self.languages.len() > 1 {
            // Names in the letters of the voice that reads them.
            let choices = languages::choices(&self.languages, &self.lang, spoken.script, self.languages());
            let offer = self.text(Phrase::ChooseLanguage);
            reply.text = format!("{} {}", reply.text, offer.replace("{choices}", &choices));
            // The menu's recording names this kiosk's languages; without one,
            // the whole welcome is synthesized rather than half of it.
            match self.phrase_clip(Phrase::ChooseLanguage) {
                Some(menu) if recorded => reply.clips.push(menu),
                _ => reply.clips.clear(),
            }
        }
        self.history.push(reply.clone());
        reply
    }

    /// The reply to one utterance, typed or already transcribed.
    pub fn respond(&mut self, said: &str) -> Reply {
        self.turn(said, None, &mut |_, _, _| {})
    }

    /// The reply to one spoken utterance: `said` is its transcript, `samples`
    /// the audio (16 kHz mono), which a lesson scores.
    pub fn respond_to_speech(&mut self, said: &str, samples: &[f32]) -> Reply {
        self.turn(said, Some(samples), &mut |_, _, _| {})
    }

    /// The reply to one utterance (with its audio, if spoken), handing to
    /// `ahead` what can be said before the reply is finished: the sentences of
    /// the model's simpler words as each is checked. The reply's
    /// `spoken_ahead` says how much of its text went that way.
    pub fn respond_ahead(&mut self, said: &str, samples: Option<&[f32]>, ahead: &mut Ahead) -> Reply {
        self.turn(said, samples, ahead)
    }

    fn turn(&mut self, said: &str, samples: Option<&[f32]>, ahead: &mut Ahead) -> Reply {
        let said = said.trim();
        if let State::Lesson(_) = self.state {
            let State::Lesson(lesson) = std::mem::replace(&mut self.state, State::Free) else { unreachable!() };
            return self.continue_lesson(lesson, said, samples);
        }
        if said.is_empty() {
            return self.say(Skill::Command, Phrase::AskAgain);
        }
        if self.languages.len() > 1 && !matches!(self.state, State::Walk(_)) {
            let named = languages::named_language(said, &self.languages, self.languages());
            if let Some(lang) = named.filter(|l| *l != self.lang) {
                return self.choose_language(lang);
            }
        }
        let heard = command(said, &self.lang, self.languages());
        match std::mem::replace(&mut self.state, State::Free) {
            State::Walk(walk) => return self.continue_form(walk, said, heard),
            State::DraftQuestion(form) => match (heard, spoken_number(said, self.languages())) {
                (Some(Command::No), _) => return self.start_form(&form),
                (_, Some(number)) => return self.resume_form(&form, number),
                (Some(Command::Stop), _) => {}
                _ => return self.ask_draft_number(form, Phrase::AskDraftNumber),
            },
            State::Offered(form) => match heard {
                Some(Command::Yes) => return self.offer_drafts(&form),
                Some(Command::No) => return self.say(Skill::Paperwork, Phrase::AskAgain),
                _ => {}
            },
            State::Free | State::Lesson(_) => {}
        }
        match heard {
            Some(Command::Repeat) => self.repeat(),
            Some(Command::Slower) => {
                self.rate = (self.rate - 30).max(SLOWEST_RATE);
                self.repeat()
            }
            Some(Command::Simpler) => self.simpler(ahead),
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
            // A lesson when the kiosk's language has one; otherwise a question like any.
            None if asks_for_a_lesson(said, self.languages())
                && choose_lesson(self.corpus, &self.lang, said).is_some() =>
            {
                self.start_lesson(said)
            }
            None => {
                let reply = self.answer(said);
                self.history.push(reply.clone());
                reply
            }
        }
    }

    fn start_lesson(&mut self, said: &str) -> Reply {
        let lesson = choose_lesson(self.corpus, &self.lang, said);
        let (Some(lesson), Some(_)) = (lesson, self.store) else {
            return self.say(Skill::Literacy, Phrase::NoLesson);
        };
        self.state = State::Lesson(LessonWalk::Card { lesson: lesson.id.clone() });
        let mut reply = self.reply_from_entry(Skill::Literacy, lesson, None);
        reply.text = format!("{} {}", reply.text, self.text(Phrase::AskCard));
        reply
    }

    fn continue_lesson(&mut self, mut lesson: LessonWalk<'c>, said: &str, samples: Option<&[f32]>) -> Reply {
        let listen = self.text(Phrase::ListenRepeat);
        let heard = command(said, &self.lang, self.languages());
        let step = match (heard, &lesson) {
            (Some(Command::Stop), _) => {
                let mut reply = self.say(Skill::Literacy, Phrase::LessonKept);
                reply.end = true;
                return reply;
            }
            (Some(Command::Repeat | Command::Slower), _) => {
                if heard == Some(Command::Slower) {
                    self.rate = (self.rate - 30).max(SLOWEST_RATE);
                }
                lesson.again(listen)
            }
            (_, LessonWalk::Card { lesson: id }) => match (spoken_number(said, self.languages()), self.store) {
                (Some(card), Some(store)) => {
                    LessonWalk::begin(self.corpus, store, id, card, self.voice_dir.clone(), listen).map(
                        |(walk, step)| {
                            lesson = walk;
                            Some(step)
                        },
                    )
                }
                _ => Ok(None),
            },
            (_, LessonWalk::Practising { .. }) => match samples {
                Some(samples) => match lesson.attempt(samples, listen) {
                    Err(crate::literacy::LiteracyError::SilentAttempt) => lesson.again(listen).map(|step| {
                        step.map(|s| LessonStep { text: format!("{} {}", self.text(Phrase::NotHeard), s.text), ..s })
                    }),
                    other => other.map(Some),
                },
                // Typed words cannot be scored: the item is said again.
                None => lesson.again(listen),
            },
        };
        match step {
            Ok(Some(step)) => {
                self.state = State::Lesson(lesson);
                let mut reply = self.say(Skill::Literacy, Phrase::ListenRepeat);
                reply.text = step.text;
                reply.example = step.example;
                reply
            }
            Ok(None) => {
                self.state = State::Lesson(lesson);
                self.say(Skill::Literacy, Phrase::AskCard)
            }
            Err(e) => {
                // A lesson without any voice, or a store that failed: said plainly, lesson over.
                tracing::warn!("lesson: {e}");
                self.say(Skill::Literacy, Phrase::NoLesson)
            }
        }
    }

    fn form(&self, id: &str) -> Option<&'c Form> {
        self.corpus.forms.get(id).map(|loaded| &loaded.item)
    }

    /// Before a new draft: if this form has kept drafts, ask for the number
    /// of the person's own ("did you start it before?").
    fn offer_drafts(&mut self, id: &str) -> Reply {
        let kept = self.store.map(|store| store.open_drafts()).transpose();
        match kept {
            Ok(Some(drafts)) if drafts.iter().any(|d| d.form == id) => {
                self.ask_draft_number(id.to_string(), Phrase::AskDraftNumber)
            }
            Ok(_) => self.start_form(id),
            Err(e) => self.form_error(e.into(), None),
        }
    }

    fn ask_draft_number(&mut self, form: String, which: Phrase) -> Reply {
        self.state = State::DraftQuestion(form);
        self.say(Skill::Paperwork, which)
    }

    /// Carries on with draft `number` if it is a kept draft of form `id`.
    fn resume_form(&mut self, id: &str, number: usize) -> Reply {
        let (Some(form), Some(store)) = (self.form(id), self.store) else {
            return self.say(Skill::Paperwork, Phrase::AskAgain);
        };
        let draft = store.draft(number as i64).ok().filter(|d| d.form == id && d.status != "exported");
        let Some(draft) = draft else {
            return self.ask_draft_number(id.to_string(), Phrase::NoSuchDraft);
        };
        let preface = self.text(Phrase::Resumed).replace("{number}", &number.to_string());
        match FormWalk::resume(form, &draft, &self.in_language(), &preface) {
            Ok((walk, step)) => {
                self.state = State::Walk(walk);
                self.form_reply(step.text, step.exported)
            }
            Err(e) => self.form_error(e, Some(draft.id)),
        }
    }

    fn start_form(&mut self, id: &str) -> Reply {
        let (Some(form), Some(store)) = (self.form(id), self.store) else {
            return self.say(Skill::Paperwork, Phrase::AskAgain);
        };
        match FormWalk::start(form, &self.in_language(), store) {
            Ok((walk, step)) => {
                self.state = State::Walk(walk);
                self.form_reply(step.text, step.exported)
            }
            Err(e) => self.form_error(e, None),
        }
    }

    fn continue_form(&mut self, mut walk: FormWalk, said: &str, heard: Option<Command>) -> Reply {
        let form = self.form(&walk.form_id).expect("the form was there when the walk started");
        if heard == Some(Command::Stop) {
            // The draft keeps every confirmed answer: its number resumes it next time.
            let mut reply = self.draft_kept(walk.draft);
            reply.end = true;
            return reply;
        }
        let store = self.store.expect("walks start only with a store");
        let lang = self.in_language();
        let desk = Desk { store, export_dir: &self.export_dir, lm: self.lm.as_deref_mut() };
        match walk.step(form, &lang, said, heard, desk) {
            Ok(step) => {
                if !step.done {
                    self.state = State::Walk(walk);
                }
                self.form_reply(step.text, step.exported)
            }
            Err(e) => {
                let draft = walk.draft;
                self.state = State::Walk(walk);
                self.form_error(e, Some(draft))
            }
        }
    }

    /// A step of the form walk: the form is the reply's entry while it is filled.
    fn form_reply(&self, text: String, files: Vec<PathBuf>) -> Reply {
        let mut reply = Reply::new(Skill::Paperwork, text, self.lang.to_string(), self.rate);
        if let State::Walk(walk) = &self.state {
            reply.entry = Some(walk.form_id.clone());
        }
        reply.files = files;
        reply
    }

    /// A failed save is said plainly; the answers confirmed so far stay in the draft.
    fn form_error(&self, error: PaperworkError, draft: Option<i64>) -> Reply {
        tracing::warn!("paperwork: {error}");
        match draft {
            Some(draft) => self.draft_kept(draft),
            None => self.say(Skill::Paperwork, Phrase::AskAgain),
        }
    }

    /// "Your answers are kept under number 12."
    fn draft_kept(&self, draft: i64) -> Reply {
        let mut reply = self.say(Skill::Paperwork, Phrase::DraftKept);
        reply.text = reply.text.replace("{number}", &draft.to_string());
        reply
    }

    fn repeat(&self) -> Reply {
        match self.history.last() {
            Some(last) => Reply { rate: self.rate, spoken_ahead: 0, ..last.clone() },
            None => self.say(Skill::Command, Phrase::NothingToRepeat),
        }
    }

    /// The last answer in the model's simpler words, sentence by sentence,
    /// each carried by the entry's text (`skills::simplify`) and handed to `ahead`
    /// as soon as it is, after the notice that the machine wrote them; then
    /// the entry's sources. Without a model, in a language it does not write,
    /// or when no sentence holds up: the answer again, more slowly.
    fn simpler(&mut self, ahead: &mut Ahead) -> Reply {
        let Some(last) = self.history.last().cloned() else {
            return self.say(Skill::Command, Phrase::NothingToRepeat);
        };
        let entry = last.entry.as_deref().and_then(|id| self.entry(id));
        let answered = matches!(last.skill, Skill::Rights | Skill::Paperwork);
        let last_lang = last.lang.parse::<LangTag>().unwrap_or(self.lang);
        let (preface, _) = phrase(Phrase::Simplified, &last_lang, self.languages());
        let (lang, rate) = (last.lang.clone(), self.rate);
        // What has been handed out: the notice, then each sentence.
        let mut said = String::new();
        let mut say = |sentence: &str| {
            let piece = if said.is_empty() { format!("{preface} {sentence}") } else { format!(" {sentence}") };
            ahead(piece.trim_start(), &lang, rate);
            said.push_str(&piece);
        };
        let sentences = match (entry, self.lm.as_deref_mut()) {
            (Some(entry), Some(lm)) if answered && self.corpus.languages.can_simplify(&last_lang) => {
                match entry.text_in(&last_lang) {
                    Some(text) => simplify::simplify(lm, &text.body, &last_lang, &mut say).unwrap_or_else(|e| {
                        tracing::warn!("simplify: {e}");
                        Vec::new()
                    }),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        if sentences.is_empty() {
            self.rate = (self.rate - 30).max(SLOWEST_RATE);
            let (cannot, _) = phrase(Phrase::CannotSimplify, &last_lang, self.languages());
            return Reply { text: format!("{cannot} {}", last.text), rate: self.rate, spoken_ahead: 0, ..last };
        }
        let (source_word, _) = phrase(Phrase::Source, &last_lang, self.languages());
        let spoken_ahead = said.len();
        let mut text = said;
        if !last.citations.is_empty() {
            text.push_str(&format!(" {source_word} {}.", last.citations.join("; ")));
        }
        let reply = Reply { text, reviewed: false, clips: Vec::new(), rate: self.rate, spoken_ahead, ..last };
        self.history.push(reply.clone());
        reply
    }

    /// A speaker's recording of `which` in the kiosk's language, if any.
    fn phrase_clip(&self, which: Phrase) -> Option<PathBuf> {
        let name = which.clip_name()?;
        self.corpus.phrase_clip(self.lang.language, name).map(Path::to_path_buf)
    }

    fn languages(&self) -> &'c Languages {
        &self.corpus.languages
    }

    /// The person's language and the words the form walk says in it.
    fn in_language(&self) -> InLanguage<'c> {
        InLanguage { tag: self.lang, languages: self.languages() }
    }

    /// `which` in the kiosk's language (or its fallbacks).
    fn text(&self, which: Phrase) -> &'c str {
        phrase(which, &self.lang, self.languages()).0
    }

    fn say(&self, skill: Skill, which: Phrase) -> Reply {
        let (text, lang) = phrase(which, &self.lang, self.languages());
        let mut reply = Reply::new(skill, text.to_string(), lang.to_string(), self.rate);
        reply.clips = self.phrase_clip(which).into_iter().collect();
        reply
    }

    fn answer(&mut self, question: &str) -> Reply {
        let query =
            Query { text: question, lang: Some(self.lang), country: Some(&self.country), domain: None, limit: 3 };
        let best = self
            .index
            .search(&query)
            .into_iter()
            .find(|hit| matches!(hit.domain, Domain::Rights | Domain::Paperwork) && hit.coverage >= MIN_COVERAGE);
        match best.and_then(|hit| self.entry(&hit.id)) {
            Some(entry) => {
                let skill = if entry.domain == Domain::Paperwork { Skill::Paperwork } else { Skill::Rights };
                let mut reply = self.reply_from_entry(skill, entry, None);
                // A paperwork entry with a form: offer to fill it in (needs somewhere to keep the draft).
                if let Some(form) = entry.form.as_ref().filter(|f| self.store.is_some() && self.form(f).is_some()) {
                    reply.text.push_str(&format!(" {}", self.text(Phrase::OfferForm)));
                    self.state = State::Offered(form.clone());
                }
                reply
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
            lang: Some(self.lang),
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
        let dont_know = self.text(Phrase::DontKnow);
        match closest.or_else(any) {
            Some(entry) => {
                let help = self.text(Phrase::WhoCanHelp);
                self.reply_from_entry(Skill::Referral, entry, Some(format!("{dont_know} {help}")))
            }
            None => self.say(Skill::Referral, Phrase::DontKnow),
        }
    }

    /// The entry's text in the person's language (else French, Arabic,
    /// English), its sources, and a notice if the text is not reviewed.
    fn reply_from_entry(&self, skill: Skill, entry: &Entry, preface: Option<String>) -> Reply {
        let (lang, text) = self.text_of(entry);
        let tag = lang.parse::<LangTag>().unwrap_or(self.lang);
        let (source_word, _) = phrase(Phrase::Source, &tag, self.languages());
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
            spoken.push_str(&format!(" {}", phrase(Phrase::Unreviewed, &tag, self.languages()).0));
        }
        let mut reply = Reply::new(skill, spoken, lang, self.rate);
        reply.entry = Some(entry.id.clone());
        reply.citations = citations;
        reply.reviewed = reviewed;
        reply.clips = text.audio.iter().map(|a| self.corpus.resolve(a)).collect();
        reply
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

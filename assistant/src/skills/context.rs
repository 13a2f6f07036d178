//! What every skill works with: the content and its index, the person's
//! language and country, the speaking rate, the answers given so far, and the
//! kiosk's tools (the store, the language model, where files go).

use std::path::{Path, PathBuf};

use crate::corpus::entry::{Domain, Entry, ReviewStatus, Text};
use crate::corpus::lang::{LangTag, Script};
use crate::corpus::search::{Index, Query};
use crate::corpus::{Corpus, Form, Languages};
use crate::lm::LanguageModel;
use crate::speech::{NORMAL_RATE, SLOWEST_RATE};
use crate::store::Store;
use crate::words::languages::spoken_name;
use crate::words::{phrase, Phrase};

use super::reply::{Reply, SkillName};

/// Share of a question's (IDF-weighted) words an entry must cover to be the
/// answer. Chosen on natural questions (long, indirect, with context: the
/// calibration set of `tests/questions.rs`) as the threshold that costs least
/// when a wrong answer about rights costs three needless referrals. 0.6, set
/// on short questions, answered only a third of the natural ones.
pub const MIN_COVERAGE: f32 = 0.4;

pub struct Context<'c> {
    pub corpus: &'c Corpus,
    index: Index,
    /// The person's language.
    pub lang: LangTag,
    /// Whose laws and offices the answers are about (upper case: `MA`).
    pub country: String,
    /// Speaking rate for synthesized speech, words per minute.
    pub rate: u32,
    /// Answers given, newest last: "repeat", "back" and "simpler" work on them.
    pub history: Vec<Reply>,
    /// Where drafts and learners' progress are kept; without it forms and
    /// lessons are not offered.
    pub store: Option<&'c Store>,
    /// Where filled forms are written.
    pub export_dir: PathBuf,
    /// Where lesson items without a recording are synthesized once.
    pub voice_dir: PathBuf,
    /// Pulls form values out of sentences and rewrites answers in simpler
    /// words; without it the words are taken as said.
    pub lm: Option<&'c mut dyn LanguageModel>,
    /// The last question searched and its answer: several skills ask in one turn.
    answered: Option<(String, Option<&'c Entry>)>,
}

impl<'c> Context<'c> {
    pub fn new(corpus: &'c Corpus, lang: LangTag, country: &str) -> Self {
        Self {
            corpus,
            index: Index::build(corpus),
            lang,
            country: country.to_uppercase(),
            rate: NORMAL_RATE,
            history: Vec::new(),
            store: None,
            export_dir: PathBuf::new(),
            voice_dir: PathBuf::new(),
            lm: None,
            answered: None,
        }
    }

    /// Keeps drafts and progress in `store`, files under `data_dir`.
    pub fn keep_in(&mut self, store: &'c Store, data_dir: &Path) {
        self.store = Some(store);
        self.export_dir = data_dir.join("exports");
        self.voice_dir = crate::literacy::voice_dir(data_dir);
    }

    pub fn languages(&self) -> &'c Languages {
        &self.corpus.languages
    }

    /// Speaks more slowly, down to the slowest rate.
    pub fn slow_down(&mut self) {
        self.rate = (self.rate - 30).max(SLOWEST_RATE);
    }

    /// `which` in the person's language (or its fallbacks).
    pub fn text(&self, which: Phrase) -> &'c str {
        phrase(which, &self.lang, self.languages()).0
    }

    /// `which` as a reply of `skill`: a speaker's recording when there is one.
    pub fn say(&self, skill: SkillName, which: Phrase) -> Reply {
        let (text, lang) = phrase(which, &self.lang, self.languages());
        let mut reply = Reply::new(skill, text.to_string(), lang.to_string(), self.rate);
        reply.clips = self.phrase_clip(which).into_iter().collect();
        reply
    }

    /// A speaker's recording of `which` in the person's language, if any.
    pub fn phrase_clip(&self, which: Phrase) -> Option<PathBuf> {
        let name = which.clip_name()?;
        self.corpus.phrase_clip(self.lang.language, name).map(Path::to_path_buf)
    }

    /// When `reply` is synthesized in another language than the person's (no
    /// words of the kiosk in theirs yet), it opens by saying so, in the
    /// language used: "Je ne parle pas encore wolof : je réponds en français."
    pub fn announce_fallback(&self, reply: &mut Reply) {
        let spoken = reply.lang.parse::<LangTag>().unwrap_or(self.lang);
        if spoken.language == self.lang.language || !reply.clips.is_empty() {
            return;
        }
        let (no_voice, _) = phrase(Phrase::NoVoiceYet, &spoken, self.languages());
        let name = spoken_name(&self.lang, Script::Latn, self.languages());
        reply.text = format!("{} {}", no_voice.replace("{language}", name), reply.text);
    }

    pub fn entry(&self, id: &str) -> Option<&'c Entry> {
        self.corpus.entries.get(id).map(|loaded| &loaded.item)
    }

    pub fn form(&self, id: &str) -> Option<&'c Form> {
        self.corpus.forms.get(id).map(|loaded| &loaded.item)
    }

    /// The rights or paperwork entry that answers `question`, if one covers
    /// enough of its words ([`MIN_COVERAGE`]).
    pub fn answer_to(&mut self, question: &str) -> Option<&'c Entry> {
        if let Some((asked, entry)) = &self.answered {
            if asked == question {
                return *entry;
            }
        }
        let entry = self.answer_at(question, MIN_COVERAGE);
        self.answered = Some((question.to_string(), entry));
        entry
    }

    /// The best-ranked rights or paperwork entry covering at least
    /// `min_coverage` of `question`'s weighted words: [`Context::answer_to`]
    /// at another threshold, to choose it (`tests/questions.rs`).
    pub fn answer_at(&self, question: &str, min_coverage: f32) -> Option<&'c Entry> {
        let query =
            Query { text: question, lang: Some(self.lang), country: Some(&self.country), domain: None, limit: 3 };
        let best = self
            .index
            .search(&query)
            .into_iter()
            .find(|hit| matches!(hit.domain, Domain::Rights | Domain::Paperwork) && hit.coverage >= min_coverage);
        best.and_then(|hit| self.entry(&hit.id))
    }

    /// The entry of `domain` in the person's country closest to `question`.
    pub fn closest(&self, question: &str, domain: Domain) -> Option<&'c Entry> {
        let query = Query {
            text: question,
            lang: Some(self.lang),
            country: Some(&self.country),
            domain: Some(domain),
            limit: 1,
        };
        self.index.search(&query).into_iter().next().and_then(|hit| self.entry(&hit.id))
    }

    /// The entry's text in the person's language (else French, Arabic,
    /// English), after `preface`, with its sources and a notice if the text is
    /// not reviewed; its recording when there is one.
    pub fn reply_from_entry(&self, skill: SkillName, entry: &Entry, preface: Option<String>) -> Reply {
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

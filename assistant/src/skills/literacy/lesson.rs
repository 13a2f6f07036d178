//! A listen-and-repeat lesson inside the conversation: asked for in a few
//! words ("je veux apprendre à lire", "نتعلم الحروف"), it asks for the
//! learner's card number (never a name), then says each item and scores the
//! spoken attempt against it (`literacy::Practice`), with encouragement and
//! the next item due. Progress is kept per card in the store.

use std::path::PathBuf;

use crate::corpus::entry::{Entry, LessonKind};
use crate::corpus::normalize::fold;
use crate::corpus::{Corpus, LangTag, Languages};
use crate::literacy::{LiteracyError, Practice};
use crate::store::Store;

/// At most this many words in a request for a lesson ("je ne sais pas lire,
/// pouvez-vous m'aider ?" is nine).
const SHORT_REQUEST: usize = 10;

/// Whether `said` is a short request for a lesson: it holds a word of any
/// language's `[lesson] request` (people ask in whatever language comes to
/// them; the lesson is in the kiosk's language).
pub fn asks_for_a_lesson(said: &str, languages: &Languages) -> bool {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let request = || languages.iter().flat_map(|l| &l.lesson.request);
    words.len() <= SHORT_REQUEST && words.iter().any(|word| request().any(|w| fold(w) == *word))
}

/// The lesson for `lang` of the kind asked for (a word of any language's
/// `[lesson] words`, "les mots" → words; else the alphabet), else any of its lessons.
pub fn choose_lesson<'c>(corpus: &'c Corpus, lang: &LangTag, said: &str) -> Option<&'c Entry> {
    let folded = fold(said);
    let asking_for_words = || corpus.languages.iter().flat_map(|l| &l.lesson.words);
    let wants_words =
        folded.split(|c: char| !c.is_alphanumeric()).any(|word| asking_for_words().any(|w| fold(w) == word));
    let kind = if wants_words { LessonKind::Words } else { LessonKind::Alphabet };
    let lessons = || {
        corpus
            .entries
            .values()
            .map(|loaded| &loaded.item)
            .filter(|entry| entry.lesson.as_ref().is_some_and(|lesson| lang.language == lesson.language.as_str()))
    };
    lessons().find(|entry| entry.lesson.as_ref().is_some_and(|lesson| lesson.kind == kind)).or_else(|| lessons().next())
}

/// Where a lesson stands.
pub enum LessonWalk<'c> {
    /// Waiting for the learner's card number.
    Card { lesson: String },
    /// Item `item` was said; waiting for the learner to repeat it.
    Practising { practice: Practice<'c>, item: usize },
}

/// What the lesson says next: text, and the item's model recording to play after it.
pub struct LessonStep {
    pub text: String,
    pub example: Option<PathBuf>,
}

impl<'c> LessonWalk<'c> {
    /// The card number heard: the learner's progress is found (or started)
    /// and the item due is said.
    pub fn begin(
        corpus: &'c Corpus,
        store: &'c Store,
        lesson: &str,
        card: usize,
        voice_dir: PathBuf,
        listen: &str,
    ) -> Result<(Self, LessonStep), LiteracyError> {
        let practice = Practice::new(corpus, lesson, store, &card.to_string(), voice_dir)?;
        let item = practice.next_item(today())?;
        let step = item_step(&practice, item, listen)?;
        Ok((LessonWalk::Practising { practice, item }, step))
    }

    /// Scores an attempt at the current item; says the feedback and, after
    /// a right one, the next item due.
    pub fn attempt(&mut self, samples: &[f32], listen: &str) -> Result<LessonStep, LiteracyError> {
        let LessonWalk::Practising { practice, item } = self else {
            unreachable!("attempts are only taken while practising")
        };
        let attempt = practice.attempt(*item, samples, today())?;
        if !attempt.score.right {
            // The feedback says the item again; its recording follows.
            return Ok(LessonStep { text: attempt.feedback, example: Some(practice.model_audio(*item)?) });
        }
        *item = practice.next_item(today())?;
        let next = item_step(practice, *item, listen)?;
        Ok(LessonStep { text: format!("{} {}", attempt.feedback, next.text), example: next.example })
    }

    /// The current item said again.
    pub fn again(&self, listen: &str) -> Result<Option<LessonStep>, LiteracyError> {
        match self {
            LessonWalk::Practising { practice, item } => item_step(practice, *item, listen).map(Some),
            LessonWalk::Card { .. } => Ok(None),
        }
    }
}

fn item_step(practice: &Practice, item: usize, listen: &str) -> Result<LessonStep, LiteracyError> {
    Ok(LessonStep { text: format!("{listen} {}", practice.spoken(item)), example: Some(practice.model_audio(item)?) })
}

fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lesson_asked_for_in_the_kiosk_language() {
        let corpus_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora");
        let (corpus, _) = Corpus::load(&corpus_dir).unwrap();
        let ary: LangTag = "ary".parse().unwrap();
        let id = |said| choose_lesson(&corpus, &ary, said).map(|entry| entry.id.as_str());
        assert_eq!(id("نتعلم الحروف"), Some("lit-ary-alphabet"));
        assert_eq!(id("نتعلم الكلمات"), Some("lit-ary-words-1"));
        assert!(choose_lesson(&corpus, &"fr".parse().unwrap(), "apprendre").is_none(), "no French lesson");
    }

    #[test]
    fn short_requests_for_a_lesson_in_each_language() {
        let languages = Languages::built_in();
        let asks_for_a_lesson = |said| asks_for_a_lesson(said, &languages);
        assert!(asks_for_a_lesson("Je veux apprendre à lire"));
        assert!(asks_for_a_lesson("نتعلم الحروف"));
        assert!(asks_for_a_lesson("bghit nt3allem"));
        assert!(asks_for_a_lesson("Lesson, please"));
        assert!(asks_for_a_lesson("Je ne sais pas lire, pouvez-vous m'aider ?"));
        assert!(asks_for_a_lesson("أريد أن أتعلم الكتابة"));
        assert!(!asks_for_a_lesson(
            "Combien de jours de congé faut-il pour apprendre un métier dans une coopérative agricole ?"
        ));
        assert!(!asks_for_a_lesson("Combien est le SMIG ?"));
    }
}

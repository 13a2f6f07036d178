//! The literacy skill: listen-and-repeat lessons from `corpora/literacy/`.
//! The kiosk says an item (its recording, or espeak-ng where it has a voice),
//! the learner repeats it, the attempt is scored against the lesson's models
//! ([`scoring`]), the learner hears encouragement, and the item comes back by
//! spaced repetition ([`schedule`]) — per learner card, in the store.

pub mod schedule;
pub mod scoring;

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::audio::{load_audio, vad, AudioError};
use crate::corpus::entry::{Lesson, LessonItem};
use crate::corpus::{Corpus, LangTag, Languages};
use crate::keywords::features::Mfcc;
use crate::keywords::KeywordError;
use crate::speech::{synthesize, SpeechError, NORMAL_RATE};
use crate::store::{Progress, Store, StoreError};
use scoring::Score;

#[derive(Debug, thiserror::Error)]
pub enum LiteracyError {
    #[error("no lesson `{0}` in the corpus (`awal corpus stats` lists what there is)")]
    NoLesson(String),
    #[error(
        "`{item}` has no recording and espeak-ng has no {lang} voice: record the lesson's items \
         (`audio = \"…\"` in the lesson file) to practise it"
    )]
    NoModel { item: String, lang: String },
    #[error("the model recording of `{0}` holds no speech")]
    SilentModel(String),
    #[error("no speech heard in the attempt")]
    SilentAttempt,
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Speech(#[from] SpeechError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keywords(#[from] KeywordError),
}

/// One learner working through one lesson.
pub struct Practice<'a> {
    lesson_id: String,
    lesson: &'a Lesson,
    corpus: &'a Corpus,
    store: &'a Store,
    learner: i64,
    /// Where synthesized model recordings are cached.
    voice_dir: PathBuf,
    mfcc: Mfcc,
}

/// What one attempt gave.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    pub item: String,
    #[serde(flatten)]
    pub score: Score,
    /// The item the attempt sounded like instead, when wrong.
    pub heard_instead_text: Option<String>,
    /// What the kiosk says back.
    pub feedback: String,
    pub progress: Progress,
}

impl<'a> Practice<'a> {
    pub fn new(
        corpus: &'a Corpus,
        lesson_id: &str,
        store: &'a Store,
        card: &str,
        voice_dir: PathBuf,
    ) -> Result<Self, LiteracyError> {
        let lesson = corpus
            .entries
            .get(lesson_id)
            .and_then(|e| e.item.lesson.as_ref())
            .ok_or_else(|| LiteracyError::NoLesson(lesson_id.to_string()))?;
        let learner = store.learner(card)?;
        Ok(Self { lesson_id: lesson_id.to_string(), lesson, corpus, store, learner, voice_dir, mfcc: Mfcc::new() })
    }

    pub fn lesson(&self) -> &Lesson {
        self.lesson
    }

    fn key(&self, item: &LessonItem) -> String {
        format!("{}/{}", self.lesson_id, item.text)
    }

    /// The item to practise now: the most overdue one, else the first never
    /// tried, else the one due soonest.
    pub fn next_item(&self, today: Date) -> Result<usize, LiteracyError> {
        let mut soonest: Option<(Date, usize)> = None;
        let mut first_new = None;
        for (index, item) in self.lesson.items.iter().enumerate() {
            match self.store.progress(self.learner, &self.key(item))? {
                Some(progress) => {
                    if soonest.is_none_or(|(due, _)| progress.due < due) {
                        soonest = Some((progress.due, index));
                    }
                }
                None => {
                    first_new.get_or_insert(index);
                }
            }
        }
        Ok(match (soonest, first_new) {
            (Some((due, index)), _) if due <= today => index,
            (_, Some(index)) => index,
            (Some((_, index)), None) => index,
            (None, None) => 0,
        })
    }

    /// What the kiosk says for an item: the letter's name, or the item itself.
    pub fn spoken(&self, index: usize) -> &str {
        let item = &self.lesson.items[index];
        item.name.as_deref().unwrap_or(&item.text)
    }

    /// The model recording of an item: its clip, else espeak-ng's (cached).
    pub fn model_audio(&self, index: usize) -> Result<PathBuf, LiteracyError> {
        let item = &self.lesson.items[index];
        if let Some(clip) = &item.audio {
            return Ok(self.corpus.resolve(clip));
        }
        std::fs::create_dir_all(&self.voice_dir)
            .map_err(|e| SpeechError::Espeak { path: self.voice_dir.clone(), message: e.to_string() })?;
        let name: String = format!("{}-{index}", self.lesson_id).chars().filter(|c| c.is_ascii_graphic()).collect();
        let path = self.voice_dir.join(format!("{name}.wav"));
        if !path.is_file() && !synthesize(self.spoken(index), &self.lesson.language, NORMAL_RATE, &path)? {
            return Err(LiteracyError::NoModel { item: item.text.clone(), lang: self.lesson.language.clone() });
        }
        Ok(path)
    }

    fn model_features(&self, index: usize) -> Result<crate::keywords::features::Features, LiteracyError> {
        let samples = load_audio(&self.model_audio(index)?)?.samples;
        let span = vad::speech_span(&samples)
            .ok_or_else(|| LiteracyError::SilentModel(self.lesson.items[index].text.clone()))?;
        Ok(self.mfcc.features(&samples[span]))
    }

    /// Scores an attempt at item `index` (16 kHz samples), records the
    /// learner's progress and returns the feedback to say.
    pub fn attempt(&mut self, index: usize, samples: &[f32], today: Date) -> Result<Attempt, LiteracyError> {
        let span = vad::speech_span(samples).ok_or(LiteracyError::SilentAttempt)?;
        let attempt = self.mfcc.features(&samples[span]);
        let target = self.model_features(index)?;
        let others: Vec<usize> = (0..self.lesson.items.len()).filter(|&i| i != index).collect();
        let alternatives = others.iter().map(|&i| self.model_features(i)).collect::<Result<Vec<_>, _>>()?;
        let mut score = scoring::score(&attempt, &target, &alternatives.iter().collect::<Vec<_>>());
        score.heard_instead = score.heard_instead.map(|i| others[i]);
        let item = &self.lesson.items[index];
        let key = self.key(item);
        let before = self.store.progress(self.learner, &key)?;
        let progress = schedule::review(before.as_ref(), score.right, score.score, today);
        self.store.save_progress(self.learner, &key, &progress)?;
        let feedback = feedback(&self.corpus.languages, &self.lesson.language, score.right, self.spoken(index));
        Ok(Attempt {
            item: item.text.clone(),
            heard_instead_text: score.heard_instead.map(|i| self.lesson.items[i].text.clone()),
            score,
            feedback,
            progress,
        })
    }
}

/// Encouragement, in the lesson's language where its file has words for it
/// (`[lesson] right`, `almost`), else in its fallbacks (Darija gets Arabic;
/// the others French until speakers write their own).
fn feedback(languages: &Languages, lang: &str, right: bool, spoken: &str) -> String {
    // A lesson in a language no file defines gets a complete language's words.
    let complete = || languages.iter().find(|l| l.fallback.is_none()).map(|l| l.tag());
    let Some(tag) = lang.parse::<LangTag>().ok().or_else(complete) else { return spoken.to_string() };
    let pick = |language: &'_ crate::corpus::Language| match right {
        true => language.lesson.right.clone(),
        false => language.lesson.almost.clone(),
    };
    let (text, _) = languages.find(&tag, pick).expect("every language's fallbacks hold the lesson feedback");
    text.replace("{item}", spoken)
}

/// The cache of synthesized model recordings under the data directory.
pub fn voice_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("literacy-voice")
}

//! The conversation: what every front end drives. A [`Conversation`] owns the
//! dialogue, the hearing and the voice; one [`Conversation::turn`] takes an
//! utterance (16 kHz mono audio), typed text or a button press, and returns
//! the reply with the audio that says it. Audio is handed to the caller's
//! `say` as soon as each piece is ready: the model's simpler words sentence
//! by sentence while the rest is written, then the reply's recordings or its
//! synthesized text, then a lesson's example. `awal kiosk` plays the pieces,
//! `awal simulate` lists them.
//!
//! Synthesized audio is written to the conversation's audio folder and, on a
//! kiosk, deleted once said (`keep_audio`): replies say names and numbers,
//! and nothing a person said or was told stays on the card.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::corpus::{Corpus, LangTag};
use crate::dialogue::{Dialogue, Reply};
use crate::hearing::{Heard, Hearing, HearingError};
use crate::lm::LanguageModel;
use crate::speech::Voice;
use crate::store::Store;

/// One turn's input.
#[derive(Debug, Clone)]
pub enum Input {
    /// An utterance, 16 kHz mono.
    Speech(Vec<f32>),
    /// Typed text standing in for speech.
    Text(String),
    /// A numbered button: the kiosk's languages (1 for the first).
    Button(usize),
}

/// Hands a piece of audio to be said now (played, or listed).
pub type Say<'a> = dyn FnMut(&Path) + 'a;

/// Where the time of a turn went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Speech recognition (0 for typed turns).
    pub asr: f64,
    /// Writing the reply (the dialogue, the language model).
    pub respond: f64,
    /// Synthesizing what was not said ahead.
    pub speech: f64,
    /// From the end of hearing to the first audio of the reply being ready.
    pub first_audio: f64,
}

/// A turn's outcome.
#[derive(Debug, Clone)]
pub struct Turn {
    /// What was heard in an utterance, or the typed text (`None` for the
    /// welcome and buttons).
    pub heard: Option<String>,
    pub reply: Reply,
    /// Said while the reply was being written, in order.
    pub ahead_audio: Vec<PathBuf>,
    /// Said after: the reply's recordings, else its synthesized text.
    pub audio: Vec<PathBuf>,
    pub timings: Timings,
}

impl Turn {
    /// Every piece of audio of the turn in the order it is said, the lesson's example last.
    pub fn spoken(&self) -> impl Iterator<Item = &PathBuf> {
        self.ahead_audio.iter().chain(&self.audio).chain(&self.reply.example)
    }
}

/// What a conversation runs on, loaded once: the content, the store and the
/// language model (which pulls form values out of sentences and rewrites in
/// simpler words; without it, words are taken as said).
pub struct Resources {
    pub corpus: Corpus,
    pub store: Store,
    pub lm: Option<Box<dyn LanguageModel>>,
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Resources {
    /// Loads the corpus from `corpus_dir` and opens the store in `data_dir`.
    /// Broken entries are skipped and logged: the rest still serves.
    pub fn load(corpus_dir: &Path, data_dir: &Path) -> Result<Self, ResourceError> {
        let (corpus, problems) = Corpus::load(corpus_dir)?;
        for problem in &problems {
            tracing::warn!("skipped {}: {}", problem.path.display(), problem.message);
        }
        let store = Store::open(&data_dir.join("awal.sqlite"))?;
        Ok(Self { corpus, store, lm: None, data_dir: data_dir.to_path_buf() })
    }

    pub fn with_model(mut self, lm: Option<impl LanguageModel + 'static>) -> Self {
        self.lm = lm.map(|lm| Box::new(lm) as Box<dyn LanguageModel>);
        self
    }

    /// The dialogue as the kiosk runs it: drafts in the store, filled forms in
    /// DATA_DIR/exports, the language model when one is loaded.
    pub fn dialogue(&mut self, languages: Vec<LangTag>, country: &str) -> Dialogue<'_> {
        let first = languages[0];
        let dialogue = Dialogue::new(&self.corpus, first, country)
            .with_languages(languages)
            .with_store(&self.store, &self.data_dir);
        match self.lm.as_deref_mut() {
            Some(lm) => dialogue.with_model(lm),
            None => dialogue,
        }
    }
}

pub struct Conversation<'c> {
    dialogue: Dialogue<'c>,
    hearing: Box<dyn Hearing + 'c>,
    voice: Box<dyn Voice + 'c>,
    audio_dir: PathBuf,
    /// Keep synthesized audio after it is said (simulate, or an operator who
    /// records visits); otherwise it is deleted at the end of the turn.
    keep_audio: bool,
    turns: usize,
}

impl<'c> Conversation<'c> {
    /// A conversation writing synthesized audio to `audio_dir` (which must exist).
    pub fn new(
        dialogue: Dialogue<'c>,
        hearing: Box<dyn Hearing + 'c>,
        voice: Box<dyn Voice + 'c>,
        audio_dir: PathBuf,
    ) -> Self {
        Self { dialogue, hearing, voice, audio_dir, keep_audio: false, turns: 0 }
    }

    pub fn keep_audio(mut self, keep: bool) -> Self {
        self.keep_audio = keep;
        self
    }

    /// What the kiosk says when someone walks up, after a goodbye and after a quiet spell.
    pub fn welcome(&mut self, say: &mut Say) -> Turn {
        let started = Instant::now();
        let reply = self.dialogue.welcome();
        self.speak(None, reply, Vec::new(), Timings::default(), started, say)
    }

    /// One turn: hears an utterance (or takes typed text, or a button), answers
    /// it, and hands its audio to `say` piece by piece. `Ok(None)` for a button
    /// no language has. A hearing failure is an error: nothing was answered.
    pub fn turn(&mut self, input: Input, say: &mut Say) -> Result<Option<Turn>, HearingError> {
        let mut timings = Timings::default();
        let (heard, samples) = match input {
            Input::Button(number) => {
                let started = Instant::now();
                return Ok(self.dialogue.press_language_button(number).map(|reply| {
                    tracing::info!(lang = %self.dialogue.lang(), "language button");
                    self.speak(None, reply, Vec::new(), timings, started, say)
                }));
            }
            Input::Text(text) => (Heard { text, confidence: 1.0 }, None),
            Input::Speech(samples) => {
                let started = Instant::now();
                let heard = self.hearing.hear(&samples, &self.dialogue.lang().clone())?;
                timings.asr = ms(started);
                (heard, Some(samples))
            }
        };
        self.turns += 1;
        let turn = self.turns;
        let started = Instant::now();
        let mut ahead_audio = Vec::new();
        let (voice, audio_dir) = (&self.voice, &self.audio_dir);
        let mut ahead = |text: &str, lang: &str, rate: u32| {
            let path = audio_dir.join(format!("turn-{turn}-ahead-{}.wav", ahead_audio.len() + 1));
            match voice.synthesize(text, lang, rate, &path) {
                Ok(true) => {
                    if ahead_audio.is_empty() {
                        timings.first_audio = ms(started);
                    }
                    say(&path);
                    ahead_audio.push(path);
                }
                Ok(false) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        };
        let reply = self.dialogue.respond_ahead(&heard, samples.as_deref(), &mut ahead);
        timings.respond = ms(started);
        let turn = self.speak(Some(heard.text), reply, ahead_audio, timings, started, say);
        tracing::info!(
            skill = ?turn.reply.skill,
            entry = turn.reply.entry.as_deref(),
            lang = %turn.reply.lang,
            asr_ms = turn.timings.asr,
            respond_ms = turn.timings.respond,
            first_audio_ms = turn.timings.first_audio,
            "turn"
        );
        Ok(Some(turn))
    }

    /// Says what `reply` has left to say (the part not said ahead): its
    /// recordings, else its text synthesized; then its example.
    fn speak(
        &mut self,
        heard: Option<String>,
        reply: Reply,
        ahead_audio: Vec<PathBuf>,
        mut timings: Timings,
        started: Instant,
        say: &mut Say,
    ) -> Turn {
        let synthesizing = Instant::now();
        let rest = reply.text[reply.spoken_ahead..].trim();
        let audio: Vec<PathBuf> = match reply.clips.is_empty() {
            false => reply.clips.clone(),
            true if rest.is_empty() => Vec::new(),
            true => {
                let path = self.audio_dir.join(format!("turn-{}.wav", self.turns));
                match self.voice.synthesize(rest, &reply.lang, reply.rate, &path) {
                    Ok(true) => vec![path],
                    Ok(false) => Vec::new(),
                    Err(e) => {
                        tracing::warn!("{e}");
                        Vec::new()
                    }
                }
            }
        };
        timings.speech = ms(synthesizing);
        if ahead_audio.is_empty() {
            timings.first_audio = ms(started);
        }
        let turn = Turn { heard, reply, ahead_audio, audio, timings };
        for piece in turn.audio.iter().chain(&turn.reply.example) {
            say(piece);
        }
        if !self.keep_audio {
            for path in turn.spoken().filter(|p| p.starts_with(&self.audio_dir)) {
                // Said: nothing of it stays on the card.
                let _ = std::fs::remove_file(path);
            }
        }
        turn
    }
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

//! Spoken keywords in any language, recognised by example: a few recordings of
//! each word by local speakers are the whole model. A new utterance is cut to
//! its speech ([`crate::audio::vad`]), turned into MFCCs ([`features`]),
//! aligned with every recording by dynamic time warping ([`dtw`]) and given the
//! nearest word — or rejected when even the nearest is too far, so that a word
//! outside the vocabulary is not forced onto one inside it.
//!
//! Recordings live as `DIR/LANG/WORD/SPEAKER-N.wav` (16 kHz mono); the folder
//! `_other` holds words that are *not* keywords, used only to measure false
//! accepts ([`eval`]).

pub mod augment;
pub mod detector;
pub mod dtw;
pub mod embedding;
pub mod encoder;
pub mod enroll;
pub mod eval;
pub mod features;

use std::path::{Path, PathBuf};

use crate::audio::{load_audio, vad, AudioError};
use augment::perturbed;
use features::{FeatureExtractor, Features};

/// The folder of recordings that are not keywords.
pub const OTHER: &str = "_other";

#[derive(Debug, thiserror::Error)]
pub enum KeywordError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("keyword features: {0}")]
    Asr(#[from] crate::asr::AsrError),
    #[error(transparent)]
    Embedding(#[from] embedding::EmbeddingError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no keywords enrolled for `{lang}` in {dir}: enroll some with `awal keywords enroll --lang {lang} --word WORD FILE.wav…`")]
    NoVocabulary { lang: String, dir: PathBuf },
    #[error("no background speech for `{lang}` in {dir}/{lang}/_background: the trained check needs many short words by several voices there (any words that are not keywords; scripts/keywords-evalset makes some with espeak-ng)")]
    NoBackground { lang: String, dir: PathBuf },
    #[error("`{0}` cannot be a keyword name: use letters, digits, `-` or `_`")]
    BadWord(String),
    #[error("{path}: no speech heard")]
    Silence { path: PathBuf },
    #[error("{path}: {source}")]
    Wav { path: PathBuf, source: hound::Error },
}

/// One recording of a word.
#[derive(Debug, Clone)]
pub struct Example {
    /// The keyword, or [`OTHER`] for a word that is not one.
    pub word: String,
    /// What an [`OTHER`] recording says, when it was filed by it.
    pub label: Option<String>,
    /// Who said it: the file name up to its last `-` (`amina-2.wav` → `amina`).
    pub speaker: String,
    pub path: PathBuf,
    /// 16 kHz mono, as recorded (silence around the word included).
    pub samples: Vec<f32>,
    pub features: Features,
}

/// Cuts `samples` to the speech and computes its features; `None` for silence.
pub fn word_features(extractor: &mut dyn FeatureExtractor, samples: &[f32]) -> Result<Option<Features>, KeywordError> {
    match speech_with_context(samples, extractor.context_samples()) {
        Some(speech) => extractor.compute(speech).map(Some),
        None => Ok(None),
    }
}

/// The speech in `samples` and up to `context` samples on each side; `None` for silence.
pub fn speech_with_context(samples: &[f32], context: usize) -> Option<&[f32]> {
    let span = vad::speech_span(samples)?;
    Some(&samples[span.start.saturating_sub(context)..(span.end + context).min(samples.len())])
}

/// Who said a recording: its file name up to the last `-` (`amina-2.wav` → `amina`).
fn speaker_of(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    stem.rsplit_once('-').map_or(&*stem, |(speaker, _)| speaker).to_string()
}

/// Every readable recording under `DIR/LANG`; unreadable or silent ones are
/// skipped and returned as problems (the kiosk keeps working without them).
pub fn load_examples(
    dir: &Path,
    lang: &str,
    extractor: &mut dyn FeatureExtractor,
) -> Result<(Vec<Example>, Vec<KeywordError>), KeywordError> {
    let mut examples = Vec::new();
    let mut problems = Vec::new();
    for word_dir in subfolders(&dir.join(lang))? {
        let word = word_dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if word == detector::BACKGROUND {
            continue; // Training material of the trained check, not a word.
        }
        // Other words may be filed by what they are: `_other/bonjour/…`.
        let mut folders = vec![(word_dir.clone(), None)];
        if word == OTHER {
            for sub in subfolders(&word_dir)? {
                let label = sub.file_name().unwrap_or_default().to_string_lossy().into_owned();
                folders.push((sub, Some(label)));
            }
        }
        for (folder, label) in folders {
            for path in wav_files(&folder)? {
                let samples = match load_audio(&path) {
                    Ok(recording) => recording.samples,
                    Err(e) => {
                        problems.push(e.into());
                        continue;
                    }
                };
                let Some(features) = word_features(extractor, &samples)? else {
                    problems.push(KeywordError::Silence { path });
                    continue;
                };
                let speaker = speaker_of(&path);
                examples.push(Example { word: word.clone(), label: label.clone(), speaker, path, samples, features });
            }
        }
    }
    Ok((examples, problems))
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> KeywordError {
    let path = path.to_path_buf();
    move |source| KeywordError::Io { path: path.clone(), source }
}

/// The folders in `dir`, sorted; none when it does not exist.
fn subfolders(dir: &Path) -> Result<Vec<PathBuf>, KeywordError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir)(e)),
    };
    let mut folders: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    Ok(folders)
}

/// The `.wav` files in `dir`, sorted.
pub fn wav_files(dir: &Path) -> Result<Vec<PathBuf>, KeywordError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    files.sort();
    Ok(files)
}

/// What was heard: the nearest word and how near, accepted or rejected.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision {
    /// The recognised word; `None` when rejected (or nothing was said).
    pub word: Option<String>,
    pub nearest: Option<String>,
    /// The nearest word's distance over the distance to the nearest
    /// non-keyword recordings (to the second nearest word when there are
    /// none): lower is surer; accepted up to `threshold`.
    pub score: f32,
    /// The nearest word's distance (the mean over its nearest recordings).
    pub distance: f32,
    /// The second nearest word's distance.
    pub runner_up: f32,
    /// The distance to the nearest recordings of other (non-keyword) words.
    pub filler: f32,
    /// The nearest word's own threshold (see [`Vocabulary::new`]).
    pub threshold: f32,
    /// When the templates rejected the word and the trained check was asked:
    /// its probability for the nearest word (`None` if it named another).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<f32>,
}

impl Decision {
    /// Nothing heard, or nothing enrolled to compare with.
    fn nothing() -> Self {
        Decision {
            word: None,
            nearest: None,
            score: f32::INFINITY,
            distance: f32::INFINITY,
            runner_up: f32::INFINITY,
            filler: f32::INFINITY,
            threshold: 0.0,
            confirmed: None,
        }
    }
}

/// The enrolled words of one language and the rejection threshold.
pub struct Vocabulary<'x> {
    examples: Vec<Example>,
    /// Recordings of words that are not keywords: an utterance nearer to them
    /// than to any keyword is rejected.
    fillers: Vec<Example>,
    /// Each word and its threshold on [`Decision::score`].
    words: Vec<(String, f32)>,
    /// The extractor the examples' features came from (owned, or borrowed
    /// when an evaluation reuses one across many vocabularies).
    extractor: Box<dyn FeatureExtractor + 'x>,
    /// The trained second opinion, when there is one.
    detector: Option<detector::Detector>,
}

/// A word's distance is the mean over its nearest few recordings: one odd
/// recording does not decide alone.
const NEAREST_PER_WORD: usize = 2;
/// Each word's threshold on the score is the share below which 95 % of its
/// enrolled recordings fall when matched against the other speakers' (a word
/// that voices say alike gets a strict one, a variable word a looser one),
/// kept within these bounds. Chosen on the synthesised set (README).
const CALIBRATION_QUANTILE: f32 = 0.95;
const THRESHOLD_BOUNDS: (f32, f32) = (0.6, 0.8);
/// For a word enrolled by one speaker only (nothing to calibrate on).
const UNCALIBRATED: f32 = 0.7;
/// Keywords are matched against many voices: frames compared by direction.
const FRAMES: dtw::Frames = dtw::Frames::Cosine;
/// Speed perturbation of the enrolled recordings (Kaldi's ×0.9 and ×1.1): more
/// voices for the same enrolment; top-1 96 → 98 % at 20 dB.
const PERTURBATIONS: [f32; 2] = [0.9, 1.1];

impl<'x> Vocabulary<'x> {
    /// A vocabulary from keyword examples and `_other` ones (the fillers).
    /// Each word is calibrated on its own examples: every one is scored as a
    /// newcomer's would be, against the other speakers' recordings of the word
    /// and of the fillers, and those scores say what "near enough" means for
    /// that word ("deux" sounds alike in every voice, "un" does not).
    pub fn new(examples: Vec<Example>, extractor: impl FeatureExtractor + 'x) -> Self {
        let mut extractor: Box<dyn FeatureExtractor + 'x> = Box::new(extractor);
        let (fillers, mut examples): (Vec<Example>, Vec<Example>) = examples.into_iter().partition(|e| e.word == OTHER);
        // Each recording also as said by a slightly shorter and taller voice.
        let mut extra = Vec::new();
        for example in &examples {
            for factor in PERTURBATIONS {
                let samples = perturbed(&example.samples, factor);
                if let Ok(Some(features)) = word_features(extractor.as_mut(), &samples) {
                    extra.push(Example { features, samples, ..example.clone() });
                }
            }
        }
        examples.extend(extra);
        let mut names: Vec<String> = examples.iter().map(|e| e.word.clone()).collect();
        names.sort();
        names.dedup();
        let words = names
            .into_iter()
            .map(|word| {
                // Each recording as if said by a newcomer: against the word and
                // the fillers of everybody else.
                let mut scores: Vec<f32> = examples
                    .iter()
                    .filter(|e| e.word == word)
                    .filter_map(|example| {
                        let others = |pool: &[Example], word: &str| {
                            let distances = pool
                                .iter()
                                .filter(|e| e.word == word && e.speaker != example.speaker)
                                .map(|e| dtw::distance(&example.features, &e.features, FRAMES));
                            nearest_mean(distances)
                        };
                        let own = others(&examples, &word)?;
                        let reference = match fillers.is_empty() {
                            true => nearest_other_word(&examples, &word, &example.features, &example.speaker),
                            false => others(&fillers, OTHER).unwrap_or(f32::INFINITY),
                        };
                        Some(own / reference)
                    })
                    .collect();
                scores.sort_by(f32::total_cmp);
                let threshold = match scores.len() {
                    0 | 1 => UNCALIBRATED,
                    n => scores[((n - 1) as f32 * CALIBRATION_QUANTILE).round() as usize]
                        .clamp(THRESHOLD_BOUNDS.0, THRESHOLD_BOUNDS.1),
                };
                (word, threshold)
            })
            .collect();
        Self { examples, fillers, words, extractor, detector: None }
    }

    /// Adds the trained check: a word the templates reject is accepted when
    /// the check names it too, with probability [`detector::CONFIRM_AT`] or more.
    pub fn with_detector(mut self, detector: detector::Detector) -> Self {
        self.detector = Some(detector);
        self
    }

    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|(word, _)| word.as_str())
    }

    pub fn examples(&self) -> &[Example] {
        &self.examples
    }

    /// Decides what an utterance (16 kHz, silence around it allowed) says.
    pub fn decide(&mut self, samples: &[f32]) -> Result<Decision, KeywordError> {
        let mut decision = match word_features(self.extractor.as_mut(), samples)? {
            Some(features) => self.decide_features(&features),
            None => return Ok(Decision::nothing()),
        };
        if let (None, Some(nearest), Some(detector)) = (&decision.word, &decision.nearest, &self.detector) {
            decision.confirmed = detector.confirms(samples, nearest)?;
            if decision.confirmed.is_some_and(|p| p >= detector::CONFIRM_AT) {
                decision.word = Some(nearest.clone());
            }
        }
        Ok(decision)
    }

    pub fn decide_features(&self, features: &Features) -> Decision {
        let mut scored: Vec<(f32, &String, f32)> = self
            .words
            .iter()
            .filter_map(|(word, threshold)| {
                let distances = self
                    .examples
                    .iter()
                    .filter(|e| &e.word == word)
                    .map(|e| dtw::distance(features, &e.features, FRAMES));
                nearest_mean(distances).map(|d| (d, word, *threshold))
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        let Some(&(distance, nearest, threshold)) = scored.first() else {
            return Decision::nothing();
        };
        let runner_up = scored.get(1).map_or(f32::INFINITY, |s| s.0);
        let filler = nearest_mean(self.fillers.iter().map(|e| dtw::distance(features, &e.features, FRAMES)))
            .unwrap_or(f32::INFINITY);
        let score = distance / if self.fillers.is_empty() { runner_up } else { filler };
        Decision {
            word: (score <= threshold).then(|| nearest.clone()),
            filler,
            nearest: Some(nearest.clone()),
            score,
            distance,
            runner_up,
            threshold,
            confirmed: None,
        }
    }
}

/// The distance from `features` to the nearest word other than `word`,
/// leaving out one speaker's recordings.
fn nearest_other_word(examples: &[Example], word: &str, features: &Features, leave_out: &str) -> f32 {
    let mut others: Vec<&str> = examples.iter().filter(|e| e.word != word).map(|e| e.word.as_str()).collect();
    others.sort();
    others.dedup();
    others
        .into_iter()
        .filter_map(|other| {
            let distances = examples
                .iter()
                .filter(|e| e.word == other && e.speaker != leave_out)
                .map(|e| dtw::distance(features, &e.features, FRAMES));
            nearest_mean(distances)
        })
        .fold(f32::INFINITY, f32::min)
}

/// The mean of the few smallest finite distances; `None` when there are none.
fn nearest_mean(distances: impl Iterator<Item = f32>) -> Option<f32> {
    let mut distances: Vec<f32> = distances.filter(|d| d.is_finite()).collect();
    if distances.is_empty() {
        return None;
    }
    distances.sort_by(f32::total_cmp);
    let kept = &distances[..distances.len().min(NEAREST_PER_WORD)];
    Some(kept.iter().sum::<f32>() / kept.len() as f32)
}

/// What is enrolled in a language: its words and who said them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Enrolled {
    pub words: Vec<String>,
    pub speakers: std::collections::BTreeSet<String>,
    pub recordings: usize,
}

/// The words enrolled under `DIR/LANG` (not the other words or background
/// sounds) and their speakers, from the file names: nothing is decoded.
pub fn enrolled(dir: &Path, lang: &str) -> Result<Enrolled, KeywordError> {
    let mut enrolled = Enrolled::default();
    for word_dir in subfolders(&dir.join(lang))? {
        let word = word_dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if word == OTHER || word == detector::BACKGROUND {
            continue;
        }
        let files = wav_files(&word_dir)?;
        if files.is_empty() {
            continue;
        }
        enrolled.recordings += files.len();
        enrolled.speakers.extend(files.iter().map(|path| speaker_of(path)));
        enrolled.words.push(word);
    }
    Ok(enrolled)
}

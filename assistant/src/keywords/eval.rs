//! Leave-one-speaker-out evaluation: each speaker's recordings are matched
//! against a vocabulary built from everybody else's, as a new villager's voice
//! is matched against the recordings made by others; the `_other` recordings
//! (words that are not keywords) measure false accepts.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::augment::noisy;
use super::detector::{Background, Detector, Embedder};
use super::features::FeatureExtractor;
use super::{Decision, Example, KeywordError, Vocabulary, OTHER};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub speakers: usize,
    pub words: usize,
    /// Signal-to-noise ratio of the added white noise; `None`: clean.
    pub snr_db: Option<f32>,
    /// Keyword recordings recognised as their word.
    pub correct: usize,
    /// Keyword recordings recognised as another word.
    pub wrong: usize,
    /// Keyword recordings rejected.
    pub rejected: usize,
    /// `_other` recordings wrongly accepted as a keyword.
    pub false_accepts: usize,
    pub others: usize,
    pub accuracy: f32,
    pub false_accept_rate: f32,
    /// Per decision: voice-activity detection, features and matching.
    pub latency_ms_mean: f32,
    pub latency_ms_max: f32,
    /// Each decision, for looking into errors.
    pub decisions: Vec<Trial>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Trial {
    pub file: String,
    pub expected: Option<String>,
    /// What was decided; its `word` is what was heard.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Other words filed by label are split: every other label (sorted) makes the
/// vocabulary's fillers, the rest are tested as out-of-vocabulary, so that no
/// test word is ever a filler.
pub fn filler_labels(examples: &[Example]) -> Vec<String> {
    let mut labels: Vec<String> = examples.iter().filter_map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    labels.into_iter().step_by(2).collect()
}

/// The trained check's material: what computes its inputs, and the background speech.
pub struct Trained<'a> {
    pub embedder: &'a mut Embedder,
    pub background: &'a [Background],
}

/// Runs the evaluation over every speaker that has keyword recordings; with
/// `trained`, each vocabulary also gets a trained check from the same
/// speakers' recordings (and background speech).
pub fn leave_one_speaker_out(
    examples: &[Example],
    extractor: &mut dyn FeatureExtractor,
    mut trained: Option<Trained>,
    snr_db: Option<f32>,
    seed: u64,
) -> Result<Report, KeywordError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut speakers: Vec<&str> = examples.iter().filter(|e| e.word != OTHER).map(|e| e.speaker.as_str()).collect();
    speakers.sort();
    speakers.dedup();
    let mut words: Vec<&str> = examples.iter().filter(|e| e.word != OTHER).map(|e| e.word.as_str()).collect();
    words.sort();
    words.dedup();
    let (mut correct, mut wrong, mut rejected, mut false_accepts, mut others) = (0, 0, 0, 0, 0);
    let mut latencies = Vec::new();
    let mut decisions = Vec::new();
    let filler_labels = filler_labels(examples);
    let is_filler = |e: &Example| e.label.as_ref().is_some_and(|l| filler_labels.contains(l));
    for speaker in &speakers {
        let enrolled: Vec<Example> =
            examples.iter().filter(|e| e.speaker != *speaker && (e.word != OTHER || is_filler(e))).cloned().collect();
        let detector = match trained.as_mut() {
            Some(trained) => {
                let background: Vec<Background> =
                    trained.background.iter().filter(|b| b.speaker != *speaker).cloned().collect();
                Some(Detector::train(trained.embedder, &enrolled, &background)?)
            }
            None => None,
        };
        let mut vocabulary = Vocabulary::new(enrolled, &mut *extractor);
        if let Some(detector) = detector {
            vocabulary = vocabulary.with_detector(detector);
        }
        for example in examples.iter().filter(|e| e.speaker == *speaker && !is_filler(e)) {
            let query = noisy(&example.samples, snr_db, &mut rng);
            let started = Instant::now();
            let decision = vocabulary.decide(&query)?;
            latencies.push(started.elapsed().as_secs_f32() * 1000.0);
            let expected = (example.word != OTHER).then(|| example.word.clone());
            match (&expected, &decision.word) {
                (None, None) => others += 1,
                (None, Some(_)) => {
                    others += 1;
                    false_accepts += 1
                }
                (Some(_), None) => rejected += 1,
                (Some(want), Some(got)) if want == got => correct += 1,
                (Some(_), Some(_)) => wrong += 1,
            }
            decisions.push(Trial { file: example.path.display().to_string(), expected, decision });
        }
    }
    let keywords = correct + wrong + rejected;
    Ok(Report {
        speakers: speakers.len(),
        words: words.len(),
        snr_db,
        correct,
        wrong,
        rejected,
        false_accepts,
        others,
        accuracy: correct as f32 / keywords.max(1) as f32,
        false_accept_rate: false_accepts as f32 / others.max(1) as f32,
        latency_ms_mean: latencies.iter().sum::<f32>() / latencies.len().max(1) as f32,
        latency_ms_max: latencies.iter().copied().fold(0.0, f32::max),
        decisions,
    })
}

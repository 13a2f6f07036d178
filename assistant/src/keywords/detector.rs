//! A trained second opinion for the spoken keywords. Template matching
//! ([`super::dtw`] over MFCCs) rejects many keywords said by voices unlike the
//! enrolled ones; this check, trained when the vocabulary is loaded, can take
//! such a word back. It is a multinomial logistic regression over the word's
//! speech embeddings ([`super::embedding`]) resampled to a fixed number of
//! steps, with one class per keyword and one for everything else: the `_other`
//! recordings and many background words (`LANG/_background/`, any speech that
//! is not a keyword). A rejected utterance is accepted when this check names
//! the same word as the templates with enough probability; the check alone
//! never decides (alone, it takes "pain" for "un").

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::augment::{noisy, perturbed};
use super::embedding::SpeechEmbedding;
use super::features::{FeatureExtractor, Features};
use super::{speaker_of, speech_with_context, wav_files, Example, KeywordError, OTHER};
use crate::audio::load_audio;

/// The folder of background speech, under the language's folder.
pub const BACKGROUND: &str = "_background";
/// Embedding steps a word is resampled to, whatever its length.
const STEPS: usize = 10;
/// How sure the check must be of the templates' nearest word to take it back.
/// Chosen on the synthesised set at 20 dB (README): 0.2 lets in two more other
/// words, 0.3–0.4 take back two keywords fewer.
pub const CONFIRM_AT: f32 = 0.25;
/// Inverse strength of the L2 penalty, in scikit-learn's convention (the loss
/// summed over examples plus half the squared weights over this).
const INVERSE_PENALTY: f64 = 0.1;
/// Full-batch optimiser steps; the problem is convex and the inputs standardised.
const TRAIN_STEPS: usize = 300;
const LEARNING_RATE: f64 = 0.01;
/// Training copies of each keyword and `_other` recording: speed ×0.9, 1, 1.1,
/// each clean and with white noise at 25 and 15 dB. Background words: clean and 20 dB.
const SPEEDS: [f32; 3] = [0.9, 1.0, 1.1];
const EXAMPLE_NOISE: [Option<f32>; 3] = [None, Some(25.0), Some(15.0)];
const BACKGROUND_NOISE: [Option<f32>; 2] = [None, Some(20.0)];

/// A recording of background speech.
#[derive(Debug, Clone)]
pub struct Background {
    pub speaker: String,
    pub path: PathBuf,
    pub samples: Vec<f32>,
}

/// Every readable recording in `DIR/LANG/_background`; unreadable ones are
/// returned as problems. File names are `SPEAKER-N.wav`.
pub fn load_background(dir: &Path, lang: &str) -> Result<(Vec<Background>, Vec<KeywordError>), KeywordError> {
    let folder = dir.join(lang).join(BACKGROUND);
    if !folder.is_dir() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut background = Vec::new();
    let mut problems = Vec::new();
    for path in wav_files(&folder)? {
        match load_audio(&path) {
            Ok(recording) => {
                background.push(Background { speaker: speaker_of(&path), path, samples: recording.samples })
            }
            Err(e) => problems.push(e.into()),
        }
    }
    Ok((background, problems))
}

/// Computes training vectors and keeps them: the evaluation trains one check
/// per held-out speaker from mostly the same recordings.
pub struct Embedder {
    embedding: Arc<SpeechEmbedding>,
    cache: HashMap<(PathBuf, usize), Option<Vec<f32>>>,
    rng: StdRng,
}

impl Embedder {
    pub fn new(embedding: Arc<SpeechEmbedding>) -> Self {
        Self { embedding, cache: HashMap::new(), rng: StdRng::seed_from_u64(11) }
    }

    /// The vector of one training copy of a recording; `None` if no speech is left.
    fn vector(
        &mut self,
        path: &Path,
        variant: usize,
        make: impl FnOnce(&mut StdRng) -> Vec<f32>,
    ) -> Result<Option<Vec<f32>>, KeywordError> {
        if let Some(vector) = self.cache.get(&(path.to_path_buf(), variant)) {
            return Ok(vector.clone());
        }
        let samples = make(&mut self.rng);
        let vector = word_vector(&self.embedding, &samples)?;
        self.cache.insert((path.to_path_buf(), variant), vector.clone());
        Ok(vector)
    }
}

/// The trained check of one vocabulary.
pub struct Detector {
    embedding: Arc<SpeechEmbedding>,
    classifier: Classifier,
}

/// Softmax regression over standardised inputs.
struct Classifier {
    /// The keyword of each class; the last class is "not a keyword".
    words: Vec<String>,
    mean: Vec<f32>,
    scale: Vec<f32>,
    /// `[inputs, classes]` and `[classes]`.
    weights: Tensor,
    bias: Tensor,
}

impl Detector {
    /// Trains on keyword recordings and `_other` ones (`examples`, as recorded:
    /// the copies are made here) against them and the background.
    pub fn train(
        embedder: &mut Embedder,
        examples: &[Example],
        background: &[Background],
    ) -> Result<Self, KeywordError> {
        let mut words: Vec<String> = examples.iter().filter(|e| e.word != OTHER).map(|e| e.word.clone()).collect();
        words.sort();
        words.dedup();
        let none = words.len() as u32;
        let mut rows: Vec<Vec<f32>> = Vec::new();
        let mut labels: Vec<u32> = Vec::new();
        for example in examples {
            let class = words.iter().position(|w| *w == example.word).map_or(none, |i| i as u32);
            for (s, speed) in SPEEDS.iter().enumerate() {
                for (n, snr) in EXAMPLE_NOISE.iter().enumerate() {
                    let make = |rng: &mut StdRng| {
                        let samples = match *speed == 1.0 {
                            true => example.samples.clone(),
                            false => perturbed(&example.samples, *speed),
                        };
                        noisy(&samples, *snr, rng)
                    };
                    if let Some(row) = embedder.vector(&example.path, s * EXAMPLE_NOISE.len() + n, make)? {
                        rows.push(row);
                        labels.push(class);
                    }
                }
            }
        }
        for recording in background {
            for (n, snr) in BACKGROUND_NOISE.iter().enumerate() {
                let make = |rng: &mut StdRng| noisy(&recording.samples, *snr, rng);
                if let Some(row) = embedder.vector(&recording.path, n, make)? {
                    rows.push(row);
                    labels.push(none);
                }
            }
        }
        let classifier = Classifier::fit(words, &rows, &labels).map_err(crate::asr::AsrError::from)?;
        Ok(Self { embedding: embedder.embedding.clone(), classifier })
    }

    /// The probability of `word` when it is the check's most probable keyword;
    /// `None` when another keyword is more probable or nothing was heard.
    pub fn confirms(&self, samples: &[f32], word: &str) -> Result<Option<f32>, KeywordError> {
        let Some(row) = word_vector(&self.embedding, samples)? else { return Ok(None) };
        let words = &self.classifier.words;
        let probabilities = self.classifier.probabilities(&row).map_err(crate::asr::AsrError::from)?;
        let keywords = &probabilities[..words.len()];
        let best = keywords.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
        Ok(best.filter(|&i| words[i] == word).map(|i| keywords[i]))
    }
}

/// Bumped whenever training changes in a way the inputs' hash cannot see.
const CACHE_VERSION: &str = "trained-check-1";

/// A trained check as kept on disk: the classifier and the hash of
/// everything it was trained from.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedClassifier {
    key: String,
    words: Vec<String>,
    mean: Vec<f32>,
    scale: Vec<f32>,
    /// `[inputs, classes]`, row-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Detector {
    /// [`Detector::train`], or the check trained from the same recordings
    /// before, kept in `cache` (a JSON file): a kiosk restart takes the time
    /// of hashing the recordings instead of minutes of training. A missing,
    /// stale or unreadable cache is trained again and rewritten; a cache that
    /// cannot be written is only a warning.
    pub fn train_or_load(
        embedder: &mut Embedder,
        examples: &[Example],
        background: &[Background],
        cache: &Path,
    ) -> Result<Self, KeywordError> {
        let key = training_key(examples, background);
        let cached =
            std::fs::read(cache).ok().and_then(|bytes| serde_json::from_slice::<CachedClassifier>(&bytes).ok());
        if let Some(cached) = cached.filter(|c| c.key == key) {
            match Classifier::from_cache(cached) {
                Ok(classifier) => {
                    tracing::info!(cache = %cache.display(), "trained keyword check loaded");
                    return Ok(Self { embedding: embedder.embedding.clone(), classifier });
                }
                Err(e) => tracing::warn!("{}: {e}; training again", cache.display()),
            }
        }
        let detector = Self::train(embedder, examples, background)?;
        if let Err(e) = detector.classifier.save(&key, cache) {
            tracing::warn!("could not keep the trained keyword check in {}: {e}", cache.display());
        }
        Ok(detector)
    }
}

/// A hash of what training reads: the recordings' words, speakers and
/// samples, and the training settings.
fn training_key(examples: &[Example], background: &[Background]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let settings = format!(
        "{CACHE_VERSION} {STEPS} {SPEEDS:?} {EXAMPLE_NOISE:?} {BACKGROUND_NOISE:?} {INVERSE_PENALTY} {TRAIN_STEPS} {LEARNING_RATE}"
    );
    hash.update(settings.as_bytes());
    let mut add = |label: &str, speaker: &str, path: &Path, samples: &[f32]| {
        hash.update(format!(
            "\n{label} {speaker} {} {}\n",
            path.file_name().unwrap_or_default().to_string_lossy(),
            samples.len()
        ));
        for chunk in samples.chunks(4096) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
            hash.update(&bytes);
        }
    };
    for example in examples {
        add(&example.word, &example.speaker, &example.path, &example.samples);
    }
    for recording in background {
        add(BACKGROUND, &recording.speaker, &recording.path, &recording.samples);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Classifier {
    /// Softmax regression with an L2 penalty, full batch (scikit-learn's
    /// objective divided by the number of rows); `words.len() + 1` classes.
    fn fit(words: Vec<String>, rows: &[Vec<f32>], labels: &[u32]) -> candle_core::Result<Self> {
        let (mean, scale) = standardisation(rows);
        let device = Device::Cpu;
        let (dim, classes) = (mean.len(), words.len() + 1);
        let mut x = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            x.extend(row.iter().zip(&mean).zip(&scale).map(|((v, m), s)| (v - m) / s));
        }
        let x = Tensor::from_vec(x, (rows.len(), dim), &device)?;
        let y = Tensor::from_vec(labels.to_vec(), rows.len(), &device)?;
        let weights = Var::zeros((dim, classes), DType::F32, &device)?;
        let bias = Var::zeros(classes, DType::F32, &device)?;
        let penalty = 1.0 / (2.0 * INVERSE_PENALTY * rows.len() as f64);
        let params = ParamsAdamW { lr: LEARNING_RATE, weight_decay: 0.0, ..Default::default() };
        let mut optimiser = AdamW::new(vec![weights.clone(), bias.clone()], params)?;
        for _ in 0..TRAIN_STEPS {
            let logits = x.matmul(weights.as_tensor())?.broadcast_add(bias.as_tensor())?;
            let loss =
                (candle_nn::loss::cross_entropy(&logits, &y)? + (weights.as_tensor().sqr()?.sum_all()? * penalty)?)?;
            optimiser.backward_step(&loss)?;
        }
        Ok(Self { words, mean, scale, weights: weights.as_tensor().clone(), bias: bias.as_tensor().clone() })
    }

    fn from_cache(cached: CachedClassifier) -> candle_core::Result<Self> {
        let (dim, classes) = (cached.mean.len(), cached.words.len() + 1);
        let weights = Tensor::from_vec(cached.weights, (dim, classes), &Device::Cpu)?;
        let bias = Tensor::from_vec(cached.bias, classes, &Device::Cpu)?;
        if cached.scale.len() != dim {
            candle_core::bail!("{} scales for {dim} inputs", cached.scale.len());
        }
        Ok(Self { words: cached.words, mean: cached.mean, scale: cached.scale, weights, bias })
    }

    /// Writes the classifier to `path` whole or not at all (a temporary file renamed into place).
    fn save(&self, key: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let cached = CachedClassifier {
            key: key.to_string(),
            words: self.words.clone(),
            mean: self.mean.clone(),
            scale: self.scale.clone(),
            weights: self.weights.flatten_all()?.to_vec1()?,
            bias: self.bias.to_vec1()?,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(&mut file, &cached)?;
        file.as_file().sync_all()?;
        file.persist(path)?;
        Ok(())
    }

    fn probabilities(&self, row: &[f32]) -> candle_core::Result<Vec<f32>> {
        let x: Vec<f32> = row.iter().zip(&self.mean).zip(&self.scale).map(|((v, m), s)| (v - m) / s).collect();
        let x = Tensor::from_vec(x, (1, row.len()), &Device::Cpu)?;
        let logits = x.matmul(&self.weights)?.broadcast_add(&self.bias)?;
        candle_nn::ops::softmax_last_dim(&logits)?.squeeze(0)?.to_vec1()
    }
}

/// The word in `samples` (cut by voice-activity detection, with its
/// surroundings), as a fixed-length vector: the embedding sequence linearly
/// resampled to [`STEPS`] steps.
fn word_vector(embedding: &SpeechEmbedding, samples: &[f32]) -> Result<Option<Vec<f32>>, KeywordError> {
    match speech_with_context(samples, embedding.context_samples()) {
        Some(speech) => Ok(Some(resampled(&embedding.embed(speech)?))),
        None => Ok(None),
    }
}

fn resampled(features: &Features) -> Vec<f32> {
    let frames = features.frames();
    let mut out = Vec::with_capacity(STEPS * features.dim);
    for step in 0..STEPS {
        let position = step as f32 * (frames - 1) as f32 / (STEPS - 1) as f32;
        let low = position.floor() as usize;
        let high = (low + 1).min(frames - 1);
        let share = position - low as f32;
        out.extend(features.frame(low).iter().zip(features.frame(high)).map(|(a, b)| a * (1.0 - share) + b * share));
    }
    out
}

/// Per-column mean and standard deviation (1 for a constant column).
fn standardisation(rows: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
    let dim = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0f64; dim];
    let mut square = vec![0f64; dim];
    for row in rows {
        for (k, v) in row.iter().enumerate() {
            mean[k] += *v as f64;
            square[k] += (*v as f64) * (*v as f64);
        }
    }
    let mean: Vec<f64> = mean.into_iter().map(|s| s / n).collect();
    let scale =
        square.iter().zip(&mean).map(|(s, m)| (s / n - m * m).max(0.0).sqrt()).map(|s| if s > 1e-6 { s } else { 1.0 });
    (mean.iter().map(|&m| m as f32).collect(), scale.map(|s| s as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_resampled_to_a_fixed_number_of_steps() {
        let features = Features { dim: 2, values: vec![0.0, 10.0, 9.0, 19.0] };
        let out = resampled(&features);
        assert_eq!(out.len(), STEPS * 2);
        assert_eq!((out[0], out[1]), (0.0, 10.0));
        assert_eq!((out[2 * STEPS - 2], out[2 * STEPS - 1]), (9.0, 19.0));
        assert!((out[2] - 1.0).abs() < 1e-5, "one ninth of the way: {}", out[2]);
        let single = resampled(&Features { dim: 2, values: vec![3.0, 4.0] });
        assert!(single.chunks(2).all(|step| step == [3.0, 4.0]));
    }

    #[test]
    fn a_kept_classifier_gives_the_same_probabilities() {
        let rows: Vec<Vec<f32>> =
            (0..30).map(|k| vec![(k % 3) as f32 * 3.0 + (k as f32 * 0.3).sin(), k as f32 * 0.1]).collect();
        let labels: Vec<u32> = (0..30).map(|k| (k % 3) as u32).collect();
        let classifier = Classifier::fit(vec!["a".into(), "b".into()], &rows, &labels).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("check.json");
        classifier.save("key", &path).unwrap();
        let cached: CachedClassifier = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(cached.key, "key");
        let again = Classifier::from_cache(cached).unwrap();
        for row in &rows {
            assert_eq!(classifier.probabilities(row).unwrap(), again.probabilities(row).unwrap());
        }
    }

    #[test]
    fn the_training_key_follows_the_recordings() {
        let example = |samples: Vec<f32>| Example {
            word: "waaw".into(),
            label: None,
            speaker: "awa".into(),
            path: PathBuf::from("awa-1.wav"),
            samples,
            features: Features { dim: 1, values: vec![0.0] },
        };
        let one = training_key(&[example(vec![0.1, 0.2])], &[]);
        assert_eq!(one, training_key(&[example(vec![0.1, 0.2])], &[]));
        assert_ne!(one, training_key(&[example(vec![0.1, 0.3])], &[]));
    }

    #[test]
    fn the_regression_separates_what_it_was_trained_on() {
        // Three classes around three corners of a square, a little spread.
        let corners = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (class, (x, y)) in corners.iter().enumerate() {
            for k in 0..20 {
                let jitter = (k as f32 * 0.37).sin() * 0.5;
                rows.push(vec![x + jitter, y - jitter]);
                labels.push(class as u32);
            }
        }
        let classifier = Classifier::fit(vec!["a".into(), "b".into()], &rows, &labels).unwrap();
        for (class, (x, y)) in corners.iter().enumerate() {
            let p = classifier.probabilities(&[*x, *y]).unwrap();
            let best = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
            assert_eq!(best, class, "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }
}

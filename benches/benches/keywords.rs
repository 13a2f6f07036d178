//! End of speech → keyword decision: voice-activity trim, features and DTW
//! against every enrolled recording, for a held-out voice in 20 dB noise. The
//! vocabulary is the synthesised evaluation set (10 French keywords by 9
//! voices, 3 times each, with speed perturbation; 10 other words as fillers).
//! No peer: the target is absolute (≤ 100 ms after the end of speech).
//!
//! The trained check (`--trained`) runs only when the templates reject a word:
//! its extra time is measured on its own (`trained_check/…`).
//!
//! Needs espeak-ng, the release `awal` binary (`cargo build --release`; or set
//! AWAL) for `scripts/keywords-evalset`, `whisper-base` for the Whisper
//! features and `speech-embedding` for the trained check.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

use awal::config::Config;
use awal::keywords::augment::noisy;
use awal::keywords::detector::{load_background, Detector, Embedder};
use awal::keywords::embedding::{SpeechEmbedding, SPEECH_EMBEDDING};
use awal::keywords::encoder::WhisperFeatures;
use awal::keywords::eval::filler_labels;
use awal::keywords::features::{FeatureExtractor, Mfcc};
use awal::keywords::{load_examples, Vocabulary};
use awal::models::ModelStore;

const HELD_OUT: &str = "fr_Denis";

fn decision(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let set = std::env::temp_dir().join("awal-bench-keywords");
    if !set.join("fr/_background").is_dir() {
        let awal = std::env::var("AWAL").unwrap_or_else(|_| root.join("target/release/awal").display().to_string());
        let status = Command::new("bash")
            .arg(root.join("scripts/keywords-evalset"))
            .arg(&set)
            .env("AWAL", &awal)
            .status()
            .expect("bash");
        assert!(
            status.success(),
            "scripts/keywords-evalset failed: build {awal} (cargo build --release) and install espeak-ng"
        );
    }
    let store = ModelStore::new(Config::default().models_dir(None));
    let whisper = store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch`");
    let extractors: [(&str, Box<dyn FeatureExtractor>); 2] = [
        ("mfcc", Box::new(Mfcc::new())),
        ("whisper", Box::new(WhisperFeatures::load(&whisper.dir).expect("whisper-base"))),
    ];
    let mut group = c.benchmark_group("keyword_decision");
    group.sample_size(20);
    for (name, mut extractor) in extractors {
        let (examples, _) = load_examples(&set, "fr", extractor.as_mut()).expect("the set");
        let (held_out, mut enrolled): (Vec<_>, Vec<_>) = examples.into_iter().partition(|e| e.speaker == HELD_OUT);
        let fillers = filler_labels(&enrolled);
        enrolled.retain(|e| e.label.as_ref().is_none_or(|l| fillers.contains(l)));
        let mut vocabulary = Vocabulary::new(enrolled, extractor.as_mut());
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
        for word in ["doucement", "un"] {
            let example = held_out.iter().find(|e| e.word == word).expect("the held-out voice said it");
            let query = noisy(&example.samples, Some(20.0), &mut rng);
            group.bench_function(format!("{name}/{word}_{:.2}s", query.len() as f32 / 16_000.0), |b| {
                b.iter(|| vocabulary.decide(&query).expect("decide"))
            });
        }
    }
    let embedding =
        store.installed(SPEECH_EMBEDDING).expect("speech-embedding is not installed: run `awal models fetch`");
    let embedding = Arc::new(SpeechEmbedding::load(&embedding.dir).expect("speech-embedding"));
    let mut mfcc = Mfcc::new();
    let (examples, _) = load_examples(&set, "fr", &mut mfcc).expect("the set");
    let (held_out, mut enrolled): (Vec<_>, Vec<_>) = examples.into_iter().partition(|e| e.speaker == HELD_OUT);
    let fillers = filler_labels(&enrolled);
    enrolled.retain(|e| e.label.as_ref().is_none_or(|l| fillers.contains(l)));
    let (mut background, _) = load_background(&set, "fr").expect("the background words");
    background.retain(|b| b.speaker != HELD_OUT);
    let detector = Detector::train(&mut Embedder::new(embedding), &enrolled, &background).expect("training");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
    for word in ["doucement", "un"] {
        let example = held_out.iter().find(|e| e.word == word).expect("the held-out voice said it");
        let query = noisy(&example.samples, Some(20.0), &mut rng);
        group.bench_function(format!("trained_check/{word}_{:.2}s", query.len() as f32 / 16_000.0), |b| {
            b.iter(|| detector.confirms(&query, word).expect("check"))
        });
    }
    group.finish();
}

criterion_group!(benches, decision);
criterion_main!(benches);

//! Speech-recognition stages, each beside its peer where one exists:
//! `mel_30s` (log-mel of a 30 s window) and `transcribe_5s` (a 5 s spoken clip,
//! end to end after loading) with candle and, with `--features whisper-cpp`,
//! whisper.cpp on the same weights.
//!
//! Needs the installed `whisper-base` (`awal models fetch whisper-base`) and espeak-ng.

use std::path::PathBuf;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};

use awal::asr::mel::{MelFrontEnd, WINDOW_SAMPLES};
use awal::asr::{load_recognizer, Backend, DecodeParams};
use awal::audio::load_wav;
use awal::config::Config;
use awal::models::ModelStore;

fn speech_5s() -> Vec<f32> {
    let path = std::env::temp_dir().join("awal-bench-5s.wav");
    if !path.exists() {
        let status = Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "150", "-w"])
            .arg(&path)
            .arg("The cooperative meets every Tuesday at the village school to sign the forms.")
            .status()
            .expect("espeak-ng is needed: apt-get install espeak-ng");
        assert!(status.success());
    }
    load_wav(&PathBuf::from(&path)).expect("espeak clip").samples
}

fn mel(c: &mut Criterion) {
    let front = MelFrontEnd::new(80);
    let audio: Vec<f32> = (0..WINDOW_SAMPLES).map(|i| (i as f32 * 0.01).sin() * 0.3).collect();
    c.bench_function("mel_30s", |b| b.iter(|| front.compute(&audio, 0)));
}

fn transcribe(c: &mut Criterion) {
    let store = ModelStore::new(Config::default().models_dir(None));
    let model =
        store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch whisper-base`");
    let samples = speech_5s();
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let mut group = c.benchmark_group("transcribe_5s");
    group.sample_size(10);
    let mut backends = vec![Backend::Candle];
    if cfg!(feature = "whisper-cpp") {
        backends.push(Backend::WhisperCpp);
    }
    for backend in backends {
        let mut recognizer = load_recognizer(&model, backend).expect("load");
        group.bench_function(format!("{backend:?}"), |b| {
            b.iter(|| recognizer.transcribe(&samples, &params).expect("transcribe"))
        });
    }
    group.finish();
}

criterion_group!(benches, mel, transcribe);
criterion_main!(benches);

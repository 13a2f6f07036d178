//! Speech-recognition stages, each beside its whisper.cpp peer on the same
//! weights (built with `--features whisper-cpp`, in the same run):
//!
//! - `mel_30s`: log-mel of a 30 s window (peer: whisper.cpp's `pcm_to_mel`);
//! - `encoder_5s`, `encoder_30s`: the encoder on 5 s (sized to the clip, as
//!   `AudioContext::Fit` does) and on the full 30 s window (peer: whisper.cpp's
//!   encoder, which always runs 30 s outside `whisper_full`'s `audio_ctx`);
//! - `decoder_step_pos1`, `decoder_step_pos100`: one token with 1 or 100 tokens
//!   already in the self-attention cache (peer: `whisper_decode` with `n_past`);
//! - `transcribe_5s`: a 5 s spoken clip end to end after loading.
//!
//! Needs the installed `whisper-base` (`awal models fetch whisper-base`) and espeak-ng.

use std::process::Command;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};

use awal::asr::candle_whisper::CandleWhisper;
use awal::asr::mel::{MelFrontEnd, WINDOW_SAMPLES};
use awal::asr::{load_recognizer, Backend, DecodeParams};
use awal::audio::load_audio;
use awal::config::Config;
use awal::models::{InstalledModel, ModelStore};

fn model() -> InstalledModel {
    let store = ModelStore::new(Config::default().models_dir(None));
    store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch whisper-base`")
}

/// About 5 s of espeak-ng English.
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
    load_audio(&path).expect("espeak clip").samples
}

fn thirty_seconds(speech: &[f32]) -> Vec<f32> {
    speech.iter().copied().cycle().take(WINDOW_SAMPLES).collect()
}

fn mel(c: &mut Criterion) {
    let audio = thirty_seconds(&speech_5s());
    let front = MelFrontEnd::new(80);
    let mut group = c.benchmark_group("mel_30s");
    group.bench_function("candle", |b| b.iter(|| front.compute(&audio, WINDOW_SAMPLES)));
    #[cfg(feature = "whisper-cpp")]
    {
        let context = whisper_cpp_context();
        let mut state = context.create_state().unwrap();
        group.bench_function("whisper-cpp", |b| b.iter(|| state.pcm_to_mel(&audio, 2).unwrap()));
    }
    group.finish();
}

fn mel_tensor(audio: &[f32], frames: usize) -> Tensor {
    let front = MelFrontEnd::new(80);
    let (values, total) = front.compute(audio, WINDOW_SAMPLES);
    Tensor::from_vec(values, (1, 80, total), &Device::Cpu).unwrap().narrow(2, 0, frames).unwrap()
}

fn encoder(c: &mut Criterion) {
    let speech = speech_5s();
    let mut whisper = CandleWhisper::load(&model().dir, awal::asr::DEFAULT_DECODER_PRECISION).unwrap();
    let mut group = c.benchmark_group("encoder");
    group.sample_size(10);
    let mel_5s = mel_tensor(&speech, 500);
    let mel_30s = mel_tensor(&thirty_seconds(&speech), 3000);
    group.bench_function("5s/candle", |b| b.iter(|| whisper.model_mut().encode(&mel_5s).unwrap()));
    group.bench_function("30s/candle", |b| b.iter(|| whisper.model_mut().encode(&mel_30s).unwrap()));
    #[cfg(feature = "whisper-cpp")]
    {
        let context = whisper_cpp_context();
        let mut state = context.create_state().unwrap();
        state.pcm_to_mel(&thirty_seconds(&speech), 2).unwrap();
        group.bench_function("30s/whisper-cpp", |b| b.iter(|| state.encode(0, 2).unwrap()));
    }
    group.finish();
}

fn decoder_step(c: &mut Criterion) {
    let speech = speech_5s();
    let mut whisper = CandleWhisper::load(&model().dir, awal::asr::DEFAULT_DECODER_PRECISION).unwrap();
    let model = whisper.model_mut();
    let audio = model.encode(&mel_tensor(&thirty_seconds(&speech), 3000)).unwrap();
    // A plausible prefix: <|startoftranscript|><|en|><|transcribe|> then text tokens.
    let prefix: Vec<u32> = [50258, 50259, 50360].into_iter().chain((0..97).map(|i| 400 + i * 13)).collect();
    let one = Tensor::new(&[[2221u32]], &Device::Cpu).unwrap();
    let mut group = c.benchmark_group("decoder_step");
    for position in [1usize, 100] {
        model.reset();
        let tokens = Tensor::new(&prefix[..position], &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        model.decode(&tokens, &audio).unwrap();
        group.bench_function(format!("pos{position}/candle"), |b| {
            b.iter(|| {
                model.truncate_cache(position).unwrap();
                model.decode(&one, &audio).unwrap()
            })
        });
    }
    #[cfg(feature = "whisper-cpp")]
    {
        let context = whisper_cpp_context();
        let mut state = context.create_state().unwrap();
        state.pcm_to_mel(&thirty_seconds(&speech), 2).unwrap();
        state.encode(0, 2).unwrap();
        let prefix: Vec<i32> = prefix.iter().map(|&t| t as i32).collect();
        for position in [1usize, 100] {
            state.decode(&prefix[..position], 0, 2).unwrap();
            group.bench_function(format!("pos{position}/whisper-cpp"), |b| {
                b.iter(|| state.decode(&[2221], position, 2).unwrap())
            });
        }
    }
    group.finish();
}

fn transcribe(c: &mut Criterion) {
    let model = model();
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
        let name = format!("{backend:?}").to_lowercase();
        group.bench_function(name, |b| b.iter(|| recognizer.transcribe(&samples, &params).expect("transcribe")));
    }
    group.finish();
}

#[cfg(feature = "whisper-cpp")]
fn whisper_cpp_context() -> whisper_rs::WhisperContext {
    whisper_rs::install_logging_hooks();
    let path = model().file("ggml-model.bin");
    whisper_rs::WhisperContext::new_with_params(path.to_str().unwrap(), Default::default()).unwrap()
}

criterion_group!(benches, mel, encoder, decoder_step, transcribe);
criterion_main!(benches);

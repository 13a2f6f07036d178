//! The VITS voice (MMS-TTS `VitsModel`) against Hugging Face `transformers`
//! on a tiny randomly initialised checkpoint with zero noise: the same token
//! ids, the same duration for every token at the normal rate and slower, and
//! the waveform within [`TOLERANCE`]; the voice seam writing WAV files for its
//! language only, slower when asked, never failing on characters it cannot
//! say; broken checkpoints refused with an error naming the file. Fixtures:
//! `scripts/vits-reference` (see its header).

use std::path::{Path, PathBuf};

use awal::speech::vits::{VitsError, VitsModel, VitsParams, VitsVoice};
use awal::speech::{Voice, NORMAL_RATE, SLOWEST_RATE};
use candle_core::{Device, Tensor};

/// Largest difference allowed between our waveform and the reference's
/// (samples in −1..1, peak 0.38): float32 sums in another order through ~70
/// convolutions. Measured 9.2e-7 (the parity test prints it); ten times that.
const TOLERANCE: f32 = 1e-5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vits")
}

fn reference() -> serde_json::Value {
    let path = fixtures().join("reference.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate with scripts/vits-reference", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn numbers<T: TryFrom<u64>>(value: &serde_json::Value) -> Vec<T>
where
    T::Error: std::fmt::Debug,
{
    value.as_array().unwrap().iter().map(|v| T::try_from(v.as_u64().unwrap()).unwrap()).collect()
}

fn reference_waveform() -> Vec<f32> {
    let bytes = std::fs::read(fixtures().join("waveform.f32")).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn durations_and_waveform_match_transformers_without_noise() {
    let reference = reference();
    let model = VitsModel::load(&fixtures()).unwrap();
    let tokens = model.tokenize(reference["text"].as_str().unwrap());
    assert_eq!(tokens, numbers::<u32>(&reference["input_ids"]), "token ids");
    for run in reference["runs"].as_array().unwrap() {
        let rate = run["speaking_rate"].as_f64().unwrap() as f32;
        let speech = model.speak_tokens(tokens.clone(), &VitsParams::without_noise(rate)).unwrap();
        assert_eq!(speech.durations, numbers::<usize>(&run["durations"]), "durations at speaking rate {rate}");
        assert_eq!(speech.samples.len(), run["samples"].as_u64().unwrap() as usize, "samples at rate {rate}");
        if run["waveform"].is_null() {
            continue;
        }
        let expected = reference_waveform();
        let worst = speech.samples.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        println!("rate {rate}: largest waveform difference {worst:.2e} (peak {:.3})", run["peak"]);
        assert!(worst <= TOLERANCE, "waveform differs by up to {worst} (allowed {TOLERANCE})");
    }
}

fn wav(path: &Path) -> (u32, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let rate = reader.spec().sample_rate;
    (rate, reader.samples::<i16>().map(Result::unwrap).collect())
}

#[test]
fn voice_speaks_its_language_sentence_by_sentence_and_slower_when_asked() {
    let voice = VitsVoice::load(&fixtures(), &[]).unwrap();
    assert_eq!(voice.languages(), ["wol".to_string()], "the language tokenizer_config.json names");
    let dir = tempfile::tempdir().unwrap();
    let text = "Na nga def? Jàmm rekk!";
    let normal = dir.path().join("normal.wav");
    assert!(voice.synthesize(text, "wol", NORMAL_RATE, &normal).unwrap());
    let (rate, samples) = wav(&normal);
    assert_eq!(rate, 16_000);
    // Two sentences, each its own run, 0.2 s apart.
    let params = voice.params;
    let model = voice.model();
    let first = model.speak("Na nga def?", &params).unwrap().samples.len();
    let second = model.speak(" Jàmm rekk!", &params).unwrap().samples.len();
    assert_eq!(samples.len(), first + 3_200 + second);
    assert!(samples.iter().any(|&s| s.unsigned_abs() > 1_000), "audible");

    let slower = dir.path().join("slower.wav");
    assert!(voice.synthesize(text, "wol", SLOWEST_RATE, &slower).unwrap());
    assert!(wav(&slower).1.len() > samples.len() * 3 / 2, "slower is longer");

    assert!(!voice.synthesize(text, "fr", NORMAL_RATE, &dir.path().join("fr.wav")).unwrap(), "not its language");
    assert!(voice.speaks("wol-Latn"), "its script named");
    assert!(!voice.speaks("wol-Arab"), "Wolofal (Arabic script): no letters of it in the vocabulary");
}

#[test]
fn characters_outside_the_vocabulary_are_left_out_not_fatal() {
    let model = VitsModel::load(&fixtures()).unwrap();
    let params = VitsParams::without_noise(1.0);
    let plain = model.speak("Jàmm rekk", &params).unwrap();
    let mixed = model.speak("«Jàmm»😀 rekk☃ تو", &params).unwrap();
    assert_eq!(mixed.tokens, plain.tokens);
    assert_eq!(mixed.samples, plain.samples);
    let nothing = model.speak("😀 ؟", &params).unwrap();
    assert!(nothing.tokens.is_empty() && nothing.samples.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let voice = VitsVoice::load(&fixtures(), &["wol".into()]).unwrap();
    assert!(voice.synthesize("☃☃☃", "wol", NORMAL_RATE, &dir.path().join("empty.wav")).unwrap());
}

fn copy_of_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn rewrite(file: &Path, change: impl FnOnce(&mut std::collections::HashMap<String, Tensor>)) {
    let mut tensors = candle_core::safetensors::load(file, &Device::Cpu).unwrap();
    change(&mut tensors);
    candle_core::safetensors::save(&tensors, file).unwrap();
}

fn load_error(dir: &Path) -> VitsError {
    match VitsModel::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn missing_and_misshapen_tensors_are_named_with_their_file() {
    let dir = copy_of_fixtures();
    let weights = dir.path().join("model.safetensors");
    let name = "flow.flows.1.wavenet.in_layers.0.weight_v";
    rewrite(&weights, |t| assert!(t.remove(name).is_some()));
    let error = load_error(dir.path());
    assert!(matches!(&error, VitsError::MissingTensor { name: n, .. } if n == name), "{error}");
    assert!(error.to_string().contains("model.safetensors"), "{error}");

    let dir = copy_of_fixtures();
    let weights = dir.path().join("model.safetensors");
    let name = "decoder.upsampler.2.weight";
    rewrite(&weights, |t| {
        t.insert(name.into(), Tensor::zeros((4, 2, 3), candle_core::DType::F32, &Device::Cpu).unwrap());
    });
    let error = load_error(dir.path());
    assert!(
        matches!(&error, VitsError::TensorShape { name: n, expected, found, .. } if n == name && expected == &[4, 2, 4] && found == &[4, 2, 3]),
        "{error}"
    );
    assert!(error.to_string().contains("model.safetensors"), "{error}");
}

#[test]
fn bad_files_are_refused_naming_the_file() {
    let dir = copy_of_fixtures();
    std::fs::write(dir.path().join("vocab.json"), r#"{"k": 0, "a": 1, "ŋ": 40}"#).unwrap();
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("vocab.json") && error.contains("vocab_size"), "{error}");

    let dir = copy_of_fixtures();
    std::fs::write(dir.path().join("vocab.json"), "not json").unwrap();
    assert!(load_error(dir.path()).to_string().contains("vocab.json"));

    let dir = copy_of_fixtures();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("model.safetensors") && error.contains("missing"), "{error}");

    let dir = copy_of_fixtures();
    std::fs::write(dir.path().join("model.safetensors"), b"\x10\0\0\0\0\0\0\0{\"a\":").unwrap();
    assert!(load_error(dir.path()).to_string().contains("model.safetensors"));

    let dir = copy_of_fixtures();
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    std::fs::write(dir.path().join("config.json"), config.replace("\"num_speakers\": 1", "\"num_speakers\": 3"))
        .unwrap();
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("config.json") && error.contains("speakers"), "{error}");

    let dir = copy_of_fixtures();
    std::fs::write(dir.path().join("tokenizer_config.json"), r#"{"phonemize": true}"#).unwrap();
    let error = load_error(dir.path()).to_string();
    assert!(error.contains("tokenizer_config.json") && error.contains("phonemize"), "{error}");
}

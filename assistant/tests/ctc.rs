//! The CTC recognizer (wav2vec2 / XLS-R / MMS) against Hugging Face
//! `transformers` on tiny randomly initialised checkpoints: the logits of our
//! network within 1e-3 of the reference's, the same greedy transcripts, with
//! and without an MMS language adapter; and broken checkpoints refused with
//! an error naming the file. Fixtures: `scripts/ctc-reference` (see its header
//! for the two layouts and the audio formula).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use awal::asr::WeightPrecision;
use awal::corpus::{LangCode, LangTag};
use awal::hearing::ctc::{CtcError, CtcModel, CtcParams};
use awal::hearing::{CtcRecognizer, Hearing};
use candle_core::{Device, Tensor};

/// How far q8_0 weights may move the tiny MMS model's logits: 0.26 measured
/// (its random weights are larger than trained ones), twice that allowed.
const TOLERANCE_Q8: f32 = 0.5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ctc")
}

/// The reference's audio: the formula in scripts/ctc-reference.
fn audio() -> Vec<f32> {
    (0..24_000)
        .map(|n| {
            let t = n as f64 / 16_000.0;
            let x = 0.4 * (2.0 * PI * 220.0 * t).sin()
                + 0.3 * (2.0 * PI * (300.0 + 900.0 * t) * t).sin()
                + 0.1 * (2.0 * PI * 2500.0 * t).sin() * (2.0 * PI * 3.0 * t).sin();
            x as f32
        })
        .collect()
}

struct Reference {
    frames: usize,
    vocab_size: usize,
    logits: Vec<f32>,
    transcript: String,
}

fn reference(name: &str) -> Reference {
    let path = fixtures().join(format!("{name}.logits.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; regenerate with scripts/ctc-reference", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    Reference {
        frames: json["frames"].as_u64().unwrap() as usize,
        vocab_size: json["vocab_size"].as_u64().unwrap() as usize,
        logits: json["logits"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect(),
        transcript: json["transcript"].as_str().unwrap().to_string(),
    }
}

fn assert_matches_reference(model: &CtcModel, name: &str) {
    let expected = reference(name);
    let logits = model.logits(&audio(), &CtcParams::default()).unwrap();
    assert_eq!((logits.len(), logits[0].len()), (expected.frames, expected.vocab_size), "{name}: logits shape");
    let worst = logits
        .iter()
        .flatten()
        .zip(&expected.logits)
        .map(|(ours, theirs)| (ours - theirs).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "{name}: logits differ from transformers' by up to {worst}");
    let transcript = model.transcribe(&audio(), &CtcParams::default()).unwrap();
    assert_eq!(transcript.text, expected.transcript, "{name}: greedy transcript");
    assert!(transcript.confidence > 0.0 && transcript.confidence <= 1.0, "{name}: {}", transcript.confidence);
}

#[test]
fn base_layout_matches_transformers() {
    // Group norm on the first convolution, no convolution bias, post-norm blocks.
    let model = CtcModel::load(&fixtures().join("tiny-base"), None, WeightPrecision::F32).unwrap();
    assert_matches_reference(&model, "tiny-base");
}

#[test]
fn mms_layout_matches_transformers_with_each_language_adapter() {
    // Layer norms in the encoder, pre-norm blocks, adapters; ful has its own vocabulary size.
    let dir = fixtures().join("tiny-mms");
    for lang in ["wol", "ful"] {
        let model = CtcModel::load(&dir, Some(lang), WeightPrecision::F32).unwrap();
        assert_eq!(model.language(), Some(lang));
        assert_matches_reference(&model, &format!("tiny-mms-{lang}"));
    }
}

#[test]
fn eight_bit_weights_stay_close_to_the_reference() {
    let model = CtcModel::load(&fixtures().join("tiny-mms"), Some("wol"), WeightPrecision::Q8).unwrap();
    let expected = reference("tiny-mms-wol");
    let logits = model.logits(&audio(), &CtcParams::default()).unwrap();
    let worst = logits.iter().flatten().zip(&expected.logits).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst > 0.0 && worst < TOLERANCE_Q8, "q8_0 logits differ by {worst}");
}

#[test]
fn windows_keep_every_frame_once() {
    let model = CtcModel::load(&fixtures().join("tiny-base"), None, WeightPrecision::F32).unwrap();
    let whole = model.logits(&audio(), &CtcParams::default()).unwrap();
    // Context longer than the clip: every window sees all of it, so the kept
    // frames must be exactly the whole clip's, in order.
    let windows = model.logits(&audio(), &CtcParams { chunk_s: 0.4, context_s: 2.0 }).unwrap();
    assert_eq!(windows.len(), whole.len());
    let worst = windows.iter().flatten().zip(whole.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 1e-4, "windowed logits differ by {worst}");
    // Short context: the same number of frames, each from one window.
    let short = model.logits(&audio(), &CtcParams { chunk_s: 0.3, context_s: 0.1 }).unwrap();
    assert_eq!(short.len(), whole.len());
    // Shorter than one frame's receptive field (400 samples), or silence: nothing heard.
    for clip in [vec![0.1f32; 399], vec![0.0; 8_000], Vec::new()] {
        let transcript = model.transcribe(&clip, &CtcParams::default()).unwrap();
        if clip.len() < 400 {
            assert_eq!((transcript.text.as_str(), transcript.confidence), ("", 0.0), "{} samples", clip.len());
        }
        assert!(transcript.confidence.is_finite(), "{} samples", clip.len());
    }
}

#[test]
fn recognizer_hears_through_the_hearing_seam_and_switches_adapters() {
    let mut recognizer = CtcRecognizer::new(&fixtures().join("tiny-mms"), WeightPrecision::F32);
    let wol: LangTag = "wol".parse().unwrap();
    let ful = LangTag { language: LangCode::new("ful").unwrap(), ..wol };
    for (lang, name) in [(&wol, "tiny-mms-wol"), (&ful, "tiny-mms-ful"), (&wol, "tiny-mms-wol")] {
        let heard = recognizer.hear(&audio(), lang).unwrap();
        assert_eq!(heard.text, reference(name).transcript, "{lang}");
    }
    let error = recognizer.hear(&audio(), &"fr".parse().unwrap()).unwrap_err().to_string();
    assert!(error.contains("`fr`") && error.contains("ful, wol"), "{error}");
}

/// A copy of a fixture checkpoint to break.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures().join(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Rewrites a safetensors file with `change` applied to its tensors.
fn rewrite(file: &Path, change: impl FnOnce(&mut std::collections::HashMap<String, Tensor>)) {
    let mut tensors = candle_core::safetensors::load(file, &Device::Cpu).unwrap();
    change(&mut tensors);
    candle_core::safetensors::save(&tensors, file).unwrap();
}

fn load_error(dir: &Path, lang: Option<&str>) -> CtcError {
    match CtcModel::load(dir, lang, WeightPrecision::F32) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(error) => error,
    }
}

#[test]
fn missing_tensor_is_named_with_its_file() {
    let dir = copy_of("tiny-base");
    let name = "wav2vec2.encoder.layers.1.attention.k_proj.weight";
    rewrite(&dir.path().join("model.safetensors"), |t| assert!(t.remove(name).is_some()));
    let error = load_error(dir.path(), None);
    assert!(matches!(&error, CtcError::MissingTensor { name: n, .. } if n == name), "{error:?}");
    assert!(error.to_string().contains("model.safetensors"), "{error}");
}

#[test]
fn misshapen_tensor_is_named_with_its_file_and_both_shapes() {
    let dir = copy_of("tiny-base");
    let name = "wav2vec2.feature_projection.projection.weight";
    rewrite(&dir.path().join("model.safetensors"), |t| {
        t.insert(name.into(), Tensor::zeros((32, 8), candle_core::DType::F32, &Device::Cpu).unwrap());
    });
    let error = load_error(dir.path(), None);
    let CtcError::TensorShape { name: n, expected, found, .. } = &error else { panic!("{error:?}") };
    assert_eq!((n.as_str(), expected.as_slice(), found.as_slice()), (name, &[32, 16][..], &[32, 8][..]));
    assert!(error.to_string().contains("model.safetensors"), "{error}");
}

#[test]
fn adapter_for_another_model_is_refused_naming_the_adapter() {
    let dir = copy_of("tiny-mms");
    let name = "wav2vec2.encoder.layers.0.adapter_layer.linear_1.weight";
    rewrite(&dir.path().join("adapter.ful.safetensors"), |t| {
        t.insert(name.into(), Tensor::zeros((8, 64), candle_core::DType::F32, &Device::Cpu).unwrap());
    });
    let error = load_error(dir.path(), Some("ful"));
    assert!(matches!(&error, CtcError::TensorShape { name: n, .. } if n == name), "{error:?}");
    assert!(error.to_string().contains("adapter.ful.safetensors"), "{error}");
    // The other language's adapter is unaffected.
    CtcModel::load(dir.path(), Some("wol"), WeightPrecision::F32).unwrap();
}

#[test]
fn vocabulary_that_does_not_fit_the_head_is_refused() {
    let dir = copy_of("tiny-base");
    let vocab = dir.path().join("vocab.json");
    std::fs::write(&vocab, r#"{"<pad>": 0, "|": 1, "a": 2}"#).unwrap();
    let error = load_error(dir.path(), None);
    assert!(matches!(error, CtcError::Vocabulary { .. }), "{error:?}");
    assert!(error.to_string().contains("vocab.json") && error.to_string().contains("vocab_size is 32"), "{error}");
    std::fs::write(&vocab, "not json").unwrap();
    assert!(load_error(dir.path(), None).to_string().contains("vocab.json: not JSON"));
    // An MMS vocabulary whose language has fewer tokens than its adapter's head.
    let dir = copy_of("tiny-mms");
    let vocab = dir.path().join("vocab.json");
    let mut nested: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&vocab).unwrap()).unwrap();
    nested["ful"].as_object_mut().unwrap().remove("ɓ");
    let without_b: serde_json::Map<_, _> = nested["ful"]
        .as_object()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), serde_json::json!(i)))
        .collect();
    nested["ful"] = serde_json::Value::Object(without_b);
    std::fs::write(&vocab, nested.to_string()).unwrap();
    let error = load_error(dir.path(), Some("ful"));
    assert!(matches!(&error, CtcError::TensorShape { name, .. } if name == "lm_head.weight"), "{error:?}");
    assert!(error.to_string().contains("adapter.ful.safetensors"), "{error}");
}

#[test]
fn missing_files_and_unknown_languages_say_which() {
    let dir = copy_of("tiny-base");
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let error = load_error(dir.path(), None).to_string();
    assert!(error.contains("model.safetensors") && error.contains("missing"), "{error}");
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    assert!(load_error(dir.path(), None).to_string().contains("config.json"));

    let error = load_error(&fixtures().join("tiny-mms"), Some("eng"));
    assert!(
        matches!(&error, CtcError::UnknownLanguage { lang, available, .. } if lang == "eng" && available == "ful, wol")
    );
    let error = load_error(&fixtures().join("tiny-mms"), None);
    assert!(matches!(error, CtcError::UnknownLanguage { .. }), "{error:?}");
}

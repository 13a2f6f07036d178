//! The CTC recognizer (wav2vec2 / XLS-R / MMS) against Hugging Face
//! `transformers` on tiny randomly initialised checkpoints: the logits of our
//! network within 1e-3 of the reference's, the same greedy transcripts, with
//! and without an MMS language adapter; and broken checkpoints refused with
//! an error naming the file. Fixtures: `scripts/ctc-reference` (see its header
//! for the two layouts and the audio formula). Then the kiosk's side:
//! `awal models import` checks a directory and registers it for its
//! languages, `awal languages` shows a Wolof recognizer chosen for `wol`, and
//! `awal simulate` hears Wolof through it, falling back when it is removed.

mod common;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use awal::asr::ctc::import::{check, import};
use awal::asr::ctc::languages::{installed_for, matching};
use awal::asr::ctc::{CtcError, CtcModel, CtcParams, KIOSK_PRECISION};
use awal::asr::WeightPrecision;
use awal::corpus::{LangCode, LangTag};
use awal::hearing::{CtcRecognizer, Hearing};
use awal::models::{ModelStore, Role};
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
    // A kiosk's Pulaar (`fuc`) is heard through MMS's Fula adapter (`ful`).
    let mut recognizer = CtcRecognizer::new(&fixtures().join("tiny-mms"), WeightPrecision::F32)
        .for_languages(vec!["ful".into(), "wol".into()]);
    let heard = recognizer.hear(&audio(), &"fuc".parse().unwrap()).unwrap();
    assert_eq!(heard.text, reference("tiny-mms-ful").transcript);
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

#[test]
fn import_registers_a_checkpoint_for_its_languages() {
    let models = tempfile::tempdir().unwrap();
    let store = ModelStore::new(models.path());
    // MMS: every language with a vocabulary and an adapter.
    let mms = import(&fixtures().join("tiny-mms"), "tiny-mms", &[], &store).unwrap();
    assert_eq!((mms.record.role, mms.record.languages.as_slice()), (Role::Ctc, &["ful".to_string(), "wol".into()][..]));
    assert!(mms.has_file("adapter.ful.safetensors") && mms.has_file("adapter.wol.safetensors"));
    let pulaar = installed_for(&store, "fuc").expect("fuc is heard through ful");
    assert_eq!((pulaar.model.record.id.as_str(), pulaar.language.as_str()), ("tiny-mms", "ful"));
    // A single vocabulary: the languages given, else the model card's.
    let error = check(&fixtures().join("tiny-base"), &[]).unwrap_err();
    assert!(matches!(error, CtcError::NoLanguage { .. }) && error.to_string().contains("--lang"), "{error}");
    let dir = copy_of("tiny-base");
    std::fs::write(dir.path().join("README.md"), "---\nlicense: mit\nlanguage:\n- wo\n---\n# Wolof\n").unwrap();
    let wolof = import(dir.path(), "tiny-wolof", &[], &store).unwrap();
    assert_eq!(wolof.record.languages, ["wo"]);
    assert!(!wolof.has_file("README.md"), "only the checkpoint's files are installed");
    // A model listing the kiosk's own code comes before one listing another name of it.
    let wol = installed_for(&store, "wol").unwrap();
    assert_eq!((wol.model.record.id.as_str(), wol.language.as_str()), ("tiny-mms", "wol"));
    std::fs::remove_dir_all(mms.dir).unwrap();
    assert_eq!(installed_for(&store, "wol").unwrap().language, "wo");
    assert!(installed_for(&store, "fuc").is_none());
}

#[test]
fn import_converts_a_pytorch_checkpoint_to_safetensors() {
    let models = tempfile::tempdir().unwrap();
    let store = ModelStore::new(models.path());
    let model = import(&fixtures().join("tiny-base-bin"), "tiny-bin", &["wo".into()], &store).unwrap();
    assert!(model.has_file("model.safetensors") && !model.has_file("pytorch_model.bin"), "{:?}", model.record.files);
    let loaded = CtcModel::load(&model.dir, None, WeightPrecision::F32).unwrap();
    assert_matches_reference(&loaded, "tiny-base");
}

#[test]
fn import_refuses_a_broken_checkpoint_naming_the_file_and_installs_nothing() {
    let models = tempfile::tempdir().unwrap();
    let store = ModelStore::new(models.path());
    // An adapter of another base, for a language that is not the first loaded.
    let dir = copy_of("tiny-mms");
    let name = "wav2vec2.encoder.layers.1.adapter_layer.linear_2.weight";
    rewrite(&dir.path().join("adapter.wol.safetensors"), |t| {
        t.insert(name.into(), Tensor::zeros((32, 4), candle_core::DType::F32, &Device::Cpu).unwrap());
    });
    let error = import(dir.path(), "broken", &[], &store).unwrap_err();
    assert!(matches!(&error, CtcError::TensorShape { name: n, .. } if n == name), "{error:?}");
    assert!(error.to_string().contains("adapter.wol.safetensors"), "{error}");
    // A language it has no adapter for.
    let error = import(&fixtures().join("tiny-mms"), "mms", &["eng".into()], &store).unwrap_err();
    assert!(matches!(&error, CtcError::UnknownLanguage { lang, .. } if lang == "eng"), "{error:?}");
    // A missing tensor in the base.
    let dir = copy_of("tiny-base");
    rewrite(&dir.path().join("model.safetensors"), |t| assert!(t.remove("lm_head.bias").is_some()));
    let error = import(dir.path(), "broken", &["wo".into()], &store).unwrap_err();
    assert!(matches!(&error, CtcError::MissingTensor { .. }) && error.to_string().contains("model.safetensors"));
    assert!(store.list().is_empty(), "nothing installed: {:?}", store.list());
}

/// `awal ARGS` with its own models and data directories; stdout, or a failure with stderr.
fn awal(models: &Path, data: &Path, args: &[&str]) -> std::process::Output {
    let mut command = common::awal_in(data);
    command.arg("--models-dir").arg(models).args(args);
    command.output().unwrap()
}

fn stdout(output: std::process::Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_kiosk_hears_wolof_through_an_installed_ctc_model_and_falls_back_without_it() {
    let (models, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let wolof = |rows: &str| -> serde_json::Value {
        let rows: serde_json::Value = serde_json::from_str(rows).unwrap();
        rows.as_array().unwrap().iter().find(|row| row["tag"] == "wol").expect("wol in the corpus").clone()
    };
    let before = wolof(&stdout(awal(models.path(), data.path(), &["languages", "--json"])));
    assert_eq!(before["hear"]["by"], "none", "{before}");

    let dir = copy_of("tiny-base");
    let imported = stdout(awal(
        models.path(),
        data.path(),
        &["models", "import", dir.path().to_str().unwrap(), "--id", "tiny-wolof", "--lang", "wo"],
    ));
    assert!(imported.contains("tiny-wolof") && imported.contains("for wo"), "{imported}");
    let row = wolof(&stdout(awal(models.path(), data.path(), &["languages", "--json"])));
    assert_eq!(row["hear"], serde_json::json!({"by": "ctc", "model": "tiny-wolof", "language": "wo"}), "{row}");
    let table = stdout(awal(models.path(), data.path(), &["languages"]));
    assert!(table.lines().any(|l| l.starts_with("wol") && l.contains("ctc (tiny-wolof)")), "{table}");

    // What the model hears in the clip, as the kiosk runs it.
    let clip = data.path().join("wolof.wav");
    common::write_wav(&clip, &audio(), 16_000);
    let samples = awal::audio::load_audio(&clip).unwrap().samples;
    let model = CtcModel::load(&models.path().join("tiny-wolof"), None, KIOSK_PRECISION).unwrap();
    let expected = model.transcribe(&samples, &CtcParams::default()).unwrap().text;
    assert!(!expected.is_empty(), "the tiny model hears something in the clip");
    let simulate = ["simulate", "--json", "--lang", "wol", "--country", "SN", "--lm", "none", clip.to_str().unwrap()];
    let turns: Vec<serde_json::Value> = stdout(awal(models.path(), data.path(), &simulate))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(turns[1]["transcript"], expected.as_str(), "{}", turns[1]);

    // Removed: back to the spoken keywords, of which none are enrolled here.
    std::fs::remove_dir_all(models.path().join("tiny-wolof")).unwrap();
    let after = wolof(&stdout(awal(models.path(), data.path(), &["languages", "--json"])));
    assert_eq!(after["hear"]["by"], "none", "{after}");
    let output = awal(models.path(), data.path(), &simulate);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("keywords"), "{stderr}");
}

#[test]
fn the_manifest_has_a_recognizer_pack_for_each_kiosk_language_with_its_licence() {
    let manifest = awal::models::Manifest::builtin();
    for lang in ["ary", "kab", "wol", "fuc"] {
        let pack = manifest.pack(lang).unwrap_or_else(|e| panic!("{lang}: {e}"));
        let recognizer = pack.iter().find(|m| m.role == Role::Ctc).unwrap_or_else(|| panic!("{lang}: no ctc model"));
        assert!(
            matching(lang, &recognizer.languages).is_some(),
            "{lang}: {} lists {:?}",
            recognizer.id,
            recognizer.languages
        );
    }
    for model in manifest.models.iter().filter(|m| m.role == Role::Ctc) {
        assert!(!model.licence.is_empty(), "{}", model.id);
        assert_eq!(model.noncommercial, model.licence.contains("-NC"), "{}: {}", model.id, model.licence);
        let names: Vec<&str> = model.files.iter().map(|f| f.name.as_str()).collect();
        assert!(names.contains(&"config.json") && names.contains(&"vocab.json"), "{}: {names:?}", model.id);
        assert!(
            names.contains(&"model.safetensors") || names.contains(&"pytorch_model.bin"),
            "{}: no weights in {names:?}",
            model.id
        );
        // Unchecked hashes say so where a user reads them.
        if !model.unchecked_files().is_empty() {
            assert!(model.description.contains("hash unchecked"), "{}", model.id);
        }
    }
}

//! The converters on the real Whisper base weights and on tiny random-weight
//! models: shapes, loadability in candle and whisper.cpp, and corrupt inputs.

mod common;

use std::collections::HashMap;
use std::path::Path;

use awal::asr::DecodeParams;
#[cfg(feature = "whisper-cpp")]
use awal::asr::{load_recognizer, Backend};
#[cfg(feature = "whisper-cpp")]
use awal::audio::load_audio as load_wav;
use awal::models::convert::ctranslate2::Ct2Model;
use awal::models::convert::{ggml, whisper_from_ctranslate2};
use awal::models::import;
use awal::models::{ModelError, ModelStore};
use candle_transformers::models::whisper::Config;

/// Every tensor shape the Hugging Face Whisper layout implies for `config`.
fn expected_shapes(c: &Config) -> HashMap<String, Vec<usize>> {
    let d = c.d_model;
    let ffn = 4 * d;
    let mut shapes = HashMap::new();
    let mut put = |name: String, shape: &[usize]| shapes.insert(name, shape.to_vec());
    put("model.encoder.conv1.weight".into(), &[d, c.num_mel_bins, 3]);
    put("model.encoder.conv1.bias".into(), &[d]);
    put("model.encoder.conv2.weight".into(), &[d, d, 3]);
    put("model.encoder.conv2.bias".into(), &[d]);
    put("model.encoder.embed_positions.weight".into(), &[c.max_source_positions, d]);
    put("model.decoder.embed_tokens.weight".into(), &[c.vocab_size, d]);
    put("model.decoder.embed_positions.weight".into(), &[c.max_target_positions, d]);
    for stack in ["encoder", "decoder"] {
        put(format!("model.{stack}.layer_norm.weight"), &[d]);
        put(format!("model.{stack}.layer_norm.bias"), &[d]);
        let layers = if stack == "encoder" { c.encoder_layers } else { c.decoder_layers };
        for i in 0..layers {
            let p = format!("model.{stack}.layers.{i}");
            let mut attention = |prefix: String| {
                for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                    put(format!("{prefix}.{proj}.weight"), &[d, d]);
                    if proj != "k_proj" {
                        put(format!("{prefix}.{proj}.bias"), &[d]);
                    }
                }
            };
            attention(format!("{p}.self_attn"));
            if stack == "decoder" {
                attention(format!("{p}.encoder_attn"));
            }
            let mut norms = vec!["self_attn_layer_norm", "final_layer_norm"];
            if stack == "decoder" {
                norms.push("encoder_attn_layer_norm");
            }
            for norm in norms {
                put(format!("{p}.{norm}.weight"), &[d]);
                put(format!("{p}.{norm}.bias"), &[d]);
            }
            put(format!("{p}.fc1.weight"), &[ffn, d]);
            put(format!("{p}.fc1.bias"), &[ffn]);
            put(format!("{p}.fc2.weight"), &[d, ffn]);
            put(format!("{p}.fc2.bias"), &[d]);
        }
    }
    shapes
}

fn assert_layout_matches_config(dir: &Path) -> Config {
    let config: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let expected = expected_shapes(&config);
    let found: HashMap<String, Vec<usize>> =
        tensors.tensors().into_iter().map(|(name, view)| (name, view.shape().to_vec())).collect();
    for (name, shape) in &expected {
        assert_eq!(found.get(name), Some(shape), "tensor {name}");
    }
    assert_eq!(found.len(), expected.len(), "unexpected extra tensors");
    config
}

#[test]
fn real_whisper_base_conversion_matches_its_config() {
    let model = common::real_model("whisper-base");
    let config = assert_layout_matches_config(&model.dir);
    assert_eq!((config.d_model, config.encoder_layers, config.decoder_layers, config.vocab_size), (512, 6, 6, 51865));
    let header = ggml::GgmlHeader::read(&model.file("ggml-model.bin")).unwrap();
    assert_eq!((header.n_audio_state, header.n_text_layer, header.n_mels, header.n_vocab), (512, 6, 80, 51865));
    // The official ggml-base.bin of whisper.cpp has exactly this size.
    assert_eq!(std::fs::metadata(model.file("ggml-model.bin")).unwrap().len(), 147_951_465);
}

#[cfg(feature = "whisper-cpp")]
#[test]
fn ggml_export_loads_in_whisper_cpp_with_the_same_greedy_transcript() {
    let model = common::real_model("whisper-base");
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let samples =
        load_wav(&common::espeak_clip("Please read the answers back to me slowly.", "en-us")).unwrap().samples;
    let candle = load_recognizer(&model, Backend::Candle).unwrap().transcribe(&samples, &params).unwrap();
    let cpp = load_recognizer(&model, Backend::WhisperCpp).unwrap().transcribe(&samples, &params).unwrap();
    assert_eq!(common::normalise(&cpp.text), common::normalise(&candle.text));
    assert_eq!(common::normalise(&cpp.text), "please read the answers back to me slowly");
}

fn tiny_ct2_dir(dir: &Path) {
    let tokenizer = common::real_model("whisper-base").file("tokenizer.json");
    common::ct2::write_tiny_whisper(dir, &common::ct2::TINY, &tokenizer);
}

#[test]
fn tiny_ctranslate2_model_converts_loads_and_runs_in_candle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ct2");
    tiny_ct2_dir(&src);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    whisper_from_ctranslate2(&src, &out).unwrap();
    let config = assert_layout_matches_config(&out);
    assert_eq!((config.d_model, config.encoder_attention_heads, config.encoder_layers), (8, 2, 1));
    // Random weights say nothing useful, but the whole graph must run.
    let mut recognizer = awal::asr::candle_whisper::CandleWhisper::load(&out, awal::asr::WeightPrecision::F32).unwrap();
    let params = DecodeParams { language: Some("en".into()), max_tokens_per_window: 3, ..DecodeParams::default() };
    use awal::asr::Recognizer;
    recognizer.transcribe(&vec![0.0; 16_000], &params).unwrap();
}

#[test]
fn truncated_and_garbage_model_bin_name_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ct2");
    tiny_ct2_dir(&src);
    let path = src.join("model.bin");
    let full = std::fs::read(&path).unwrap();
    Ct2Model::open(&path).unwrap();

    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let err = Ct2Model::open(&path).err().unwrap();
    assert!(matches!(err, ModelError::Format { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("model.bin") && message.contains("offset") && message.contains("truncated"), "{message}");

    let mut garbage = full.clone();
    garbage[..64].iter_mut().enumerate().for_each(|(i, b)| *b = (i * 37) as u8);
    std::fs::write(&path, &garbage).unwrap();
    let message = Ct2Model::open(&path).err().unwrap().to_string();
    assert!(message.contains("model.bin") && message.contains("offset 0"), "{message}");

    let mut trailing = full;
    trailing.extend_from_slice(b"extra");
    std::fs::write(&path, &trailing).unwrap();
    let message = Ct2Model::open(&path).err().unwrap().to_string();
    assert!(message.contains("trailing"), "{message}");
}

#[test]
fn import_accepts_ctranslate2_huggingface_and_ggml_and_rejects_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));

    let ct2 = dir.path().join("darija-tiny-ct2");
    tiny_ct2_dir(&ct2);
    assert_eq!(import::detect(&ct2).unwrap(), import::WhisperLayout::Ctranslate2);
    let imported = import::import(&ct2, &import::id_from_dir(&ct2), &store).unwrap();
    assert_eq!(imported.record.id, "darija-tiny-ct2");
    for name in ["model.safetensors", "config.json", "tokenizer.json", "ggml-model.bin"] {
        assert!(imported.has_file(name), "{name}");
    }
    assert!(store.verify("darija-tiny-ct2", None).unwrap().ok());

    // The converted directory is itself a Hugging Face layout; import it again.
    let hf = dir.path().join("hf");
    std::fs::create_dir_all(&hf).unwrap();
    for name in ["model.safetensors", "config.json", "tokenizer.json"] {
        std::fs::copy(imported.file(name), hf.join(name)).unwrap();
    }
    assert_eq!(import::detect(&hf).unwrap(), import::WhisperLayout::HuggingFace);
    import::import(&hf, "hf-copy", &store).unwrap();

    let ggml_dir = dir.path().join("ggml");
    std::fs::create_dir_all(&ggml_dir).unwrap();
    std::fs::copy(imported.file("ggml-model.bin"), ggml_dir.join("ggml-tiny.bin")).unwrap();
    assert!(matches!(import::detect(&ggml_dir).unwrap(), import::WhisperLayout::Ggml(_)));
    let g = import::import(&ggml_dir, "ggml-copy", &store).unwrap();
    assert_eq!(g.record.files.len(), 1);

    let unknown = dir.path().join("photos");
    std::fs::create_dir_all(&unknown).unwrap();
    std::fs::write(unknown.join("model.bin"), b"not a model at all").unwrap();
    let message = import::import(&unknown, "photos", &store).err().unwrap().to_string();
    assert!(message.contains("unknown model layout"), "{message}");
    assert!(store.installed("photos").is_none());
}

#[test]
fn quantized_gguf_copy_is_smaller_and_transcribes_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path());
    let source = common::real_model("whisper-base");
    let quantized =
        import::quantize(&source, "whisper-base-q8", candle_core::quantized::GgmlDType::Q8_0, &store).unwrap();
    let size = |path: std::path::PathBuf| std::fs::metadata(path).unwrap().len();
    let (gguf, safetensors) = (size(quantized.file("model.gguf")), size(source.file("model.safetensors")));
    assert!(gguf * 10 < safetensors * 7, "{gguf} bytes vs {safetensors}");
    assert!(store.verify("whisper-base-q8", None).unwrap().ok());

    let clip = common::espeak_clip("Please read the answers back to me slowly.", "en-us");
    let samples = awal::audio::load_audio(&clip).unwrap().samples;
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let mut recognizer = awal::asr::load_recognizer(&quantized, awal::asr::Backend::Candle).unwrap();
    let transcript = recognizer.transcribe(&samples, &params).unwrap();
    assert_eq!(common::normalise(&transcript.text), "please read the answers back to me slowly");
}

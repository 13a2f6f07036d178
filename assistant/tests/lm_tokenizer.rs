//! The tokenizer rebuilt from GGUF metadata gives llama.cpp's token ids, on both
//! real models, for text in every kiosk language and script. The reference ids
//! come from `scripts/lm-tokenizer-reference` (llama-cpp-python, vocab only).

mod common;

use std::path::Path;

use awal::lm::GgufFile;

fn reference() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lm_tokenizer_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_model(id: &str) {
    let reference = reference();
    let model = common::real_model(id);
    let expected = &reference["models"][id];
    let gguf = GgufFile::open(&model.file(expected["file"].as_str().unwrap())).unwrap();
    let tokenizer = gguf.tokenizer().unwrap();
    let texts = reference["texts"].as_array().unwrap();
    let ids = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
    };
    let mut mismatches = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let text = text.as_str().unwrap();
        for (key, bos) in [("plain", false), ("with_bos", true)] {
            let want = ids(&expected[key][i]);
            let got = tokenizer.encode(text, bos, false).unwrap();
            if got != want {
                mismatches.push(format!("{key} {text:?}:\n  llama.cpp {want:?}\n  awal      {got:?}"));
            }
        }
        // Decoding gives the text back (the SentencePiece models keep spaces as ▁).
        assert_eq!(tokenizer.decode(&tokenizer.encode(text, false, false).unwrap()), text, "{id}: round trip");
    }
    assert!(mismatches.is_empty(), "{id}: {} mismatches\n{}", mismatches.len(), mismatches.join("\n"));
}

#[test]
fn qwen2_tokenizer_matches_llama_cpp() {
    check_model("qwen2.5-0.5b-instruct-q4km");
}

#[test]
fn gemma3_tokenizer_matches_llama_cpp() {
    check_model("gemma3-270m-q4km");
}

#[test]
fn control_tokens_only_when_asked() {
    let model = common::real_model("qwen2.5-0.5b-instruct-q4km");
    let gguf = GgufFile::open(&GgufFile::find_in(&model.dir).unwrap()).unwrap();
    let tokenizer = gguf.tokenizer().unwrap();
    let im_start = tokenizer.token_id("<|im_start|>").unwrap();
    assert_eq!(tokenizer.encode("<|im_start|>user", false, true).unwrap()[0], im_start);
    assert!(!tokenizer.encode("<|im_start|>user", false, false).unwrap().contains(&im_start));
}

/// A copy of a real model's file, cut to its first `keep(length)` bytes, as `NAME`.
fn cut_copy(id: &str, name: &str, keep: impl Fn(usize) -> usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let source = GgufFile::find_in(&common::real_model(id).dir).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join(name);
    let bytes = std::fs::read(&source).unwrap();
    std::fs::write(&cut, &bytes[..keep(bytes.len())]).unwrap();
    (dir, cut)
}

#[test]
fn truncated_gguf_is_a_clear_error() {
    let (_dir, truncated) = cut_copy("gemma3-270m-q4km", "cut.gguf", |_| 4096);
    let message = GgufFile::open(&truncated).err().expect("a truncated file must not open").to_string();
    assert!(message.contains("cut.gguf") && message.contains("truncated"), "{message}");
}

#[test]
fn gguf_cut_inside_its_weights_is_a_clear_error() {
    // The header is whole, the stacked q/k/v and gate/up weights of later layers are not.
    let (_dir, truncated) = cut_copy("qwen2.5-0.5b-instruct-q4km", "half.gguf", |len| len / 2);
    let message = awal::lm::GgufModel::load(&truncated).err().expect("half a model must not load").to_string();
    assert!(message.contains("half.gguf") && message.contains("truncated"), "{message}");
}

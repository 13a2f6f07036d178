//! Generation on the real models: chat templates render, streaming keeps
//! characters whole, stop strings cut, constrained choice always returns a
//! label, and bad requests fail clearly.
//!
//! Greedy parity with llama.cpp is not reached yet: the reference is in
//! `tests/fixtures/lm_greedy_reference.json` (`scripts/lm-greedy-reference`);
//! candle's Gemma 3 diverges at the 2nd token, its Qwen 2 on one prompt in four.

mod common;

use awal::lm::{GenerationParams, GgufFile, LanguageModel, LmError};

fn load(id: &str) -> LanguageModel {
    let model = common::real_model(id);
    LanguageModel::load(&GgufFile::find_in(&model.dir).unwrap()).unwrap()
}

#[test]
fn streaming_never_splits_a_character_and_stop_strings_cut() {
    let mut model = load("qwen2.5-0.5b-instruct-q4km");
    let prompt = model
        .encode_prompt(&model.chat_prompt(&[("user", "Écris trois mots arabes: سلام، كتاب، مدرسة")]).unwrap())
        .unwrap();
    let mut pieces = Vec::new();
    let params = GenerationParams { max_tokens: 24, ..GenerationParams::default() };
    let generation = model
        .generate(&prompt, &params, |p| {
            pieces.push(p.to_string());
            true
        })
        .unwrap();
    assert!(pieces.iter().all(|p| !p.contains('\u{FFFD}')), "{pieces:?}");
    assert_eq!(pieces.concat(), generation.text);
    let first_word = generation.text.split_whitespace().nth(1).unwrap().to_string();
    let cut = GenerationParams { stop: vec![first_word.clone()], ..params };
    let stopped = model.generate(&prompt, &cut, |_| true).unwrap();
    assert!(!stopped.text.contains(&first_word) && generation.text.starts_with(&stopped.text), "{stopped:?}");
}

#[test]
fn constrained_choice_always_returns_a_label() {
    let mut model = load("qwen2.5-0.5b-instruct-q4km");
    let labels = ["rights", "paperwork", "literacy", "other"];
    let requests = [
        "My employer does not pay me the minimum wage.",
        "I want to fill in the form to create our cooperative.",
        "Teach me the letters of the alphabet.",
        "What is the weather tomorrow?",
        "How long is maternity leave?",
        "Help me write the statutes of our association.",
        "I want to learn to read words.",
        "Can my boss fire me without notice?",
        "Register our women's group as a GIE.",
        "Tell me a joke.",
    ];
    for request in requests {
        let question = format!("Classify this request as one of: rights, paperwork, literacy, other.\nRequest: {request}\nAnswer with one word.");
        let prompt = model.encode_prompt(&model.chat_prompt(&[("user", &question)]).unwrap()).unwrap();
        let label = model.choose(&prompt, &labels).unwrap();
        assert!(labels.contains(&label), "{request}: {label}");
    }
}

#[test]
fn base_model_without_template_uses_the_architecture_format() {
    let model = load("gemma3-270m-q4km");
    let prompt = model.chat_prompt(&[("user", "Salam")]).unwrap();
    assert!(prompt.starts_with("<bos><start_of_turn>user\nSalam<end_of_turn>\n<start_of_turn>model\n"), "{prompt}");
}

#[test]
fn a_prompt_longer_than_the_context_is_refused() {
    let mut model = load("gemma3-270m-q4km");
    let too_long = vec![2u32; model.context_length + 1];
    let err = model.generate(&too_long, &GenerationParams::default(), |_| true).err().unwrap();
    assert!(matches!(err, LmError::PromptTooLong { .. }), "{err}");
}

#[test]
fn an_unknown_architecture_is_refused() {
    // The Whisper GGUF is a valid GGUF of another architecture.
    let whisper = common::real_model("whisper-base-q8");
    let err = LanguageModel::load(&whisper.file("model.gguf")).err().unwrap();
    assert!(err.to_string().contains("architecture `whisper` is not supported"), "{err}");
}

//! Generation on the real models: chat templates render, streaming keeps
//! characters whole, stop strings cut, constrained choice always returns a
//! label, and bad requests fail clearly.
//!
//! Greedy parity with llama.cpp is tested in `lm_parity.rs`.

mod common;

use awal::lm::{GenerationParams, GgufFile, GgufModel, LmError};

fn load(id: &str) -> GgufModel {
    let model = common::real_model(id);
    GgufModel::load(&GgufFile::find_in(&model.dir).unwrap()).unwrap()
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
    // A valid GGUF of another architecture, as `awal models import` writes for Whisper.
    use candle_core::quantized::{gguf_file, QTensor};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    let weight = candle_core::Tensor::zeros((4, 32), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let weight = QTensor::quantize(&weight, candle_core::quantized::GgmlDType::F32).unwrap();
    let architecture = gguf_file::Value::String("whisper".into());
    let mut file = std::fs::File::create(&path).unwrap();
    gguf_file::write(&mut file, &[("general.architecture", &architecture)], &[("encoder.conv1.weight", &weight)])
        .unwrap();
    let err = GgufModel::load(&path).err().unwrap();
    assert!(err.to_string().contains("architecture `whisper` is not supported"), "{err}");
}

#[test]
fn json_output_always_parses_and_fits_the_schema() {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 40},
            "members": {"type": "integer"},
            "activity": {"enum": ["agriculture", "crafts", "fishing", "other"]},
            "phone": {"type": ["string", "null"], "maxLength": 14}
        }
    });
    let grammar = awal::lm::JsonGrammar::from_schema(&schema).unwrap();
    let said = [
        ("Our cooperative is called Tifawt, we are twelve women and we make argan oil.", "Tifawt", 12),
        ("Name: Al Amal. 25 members. We weave carpets. Phone 0612345678.", "Al Amal", 25),
        ("We are 7 fishermen in the Sidi Ifni cooperative Bahr.", "Bahr", 7),
    ];
    for model_id in ["qwen2.5-0.5b-instruct-q4km", "gemma3-270m-q4km"] {
        let mut model = load(model_id);
        for (text, name, members) in said {
            let request = format!(
                "Extract the cooperative's name, number of members, activity and phone from what was said. \
                 Reply in JSON.\nSaid: {text}"
            );
            let prompt = model.encode_prompt(&model.chat_prompt(&[("user", &request)]).unwrap()).unwrap();
            let (value, raw) = model.generate_json(&prompt, &grammar).unwrap();
            let object = value.as_object().unwrap();
            assert_eq!(object.keys().collect::<Vec<_>>(), ["name", "members", "activity", "phone"], "{raw}");
            assert!(object["members"].is_i64(), "{raw}");
            assert!(["agriculture", "crafts", "fishing", "other"].contains(&object["activity"].as_str().unwrap()));
            assert!(object["phone"].is_null() || object["phone"].is_string(), "{raw}");
            // The instruct model also gets the values right; the 270M base model
            // only has to produce valid JSON.
            if model_id.starts_with("qwen") {
                assert!(object["name"].as_str().unwrap().contains(name), "{raw}");
                assert_eq!(object["members"], members, "{raw}");
            }
        }
    }
}

/// English texts of corpus entries, as retrieval would hand them over.
fn passages(ids: &[&str]) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora");
    let (corpus, _) = awal::corpus::Corpus::load(&root).unwrap();
    let en = "en".parse().unwrap();
    ids.iter().map(|id| (id.to_string(), corpus.entries[*id].item.text_in(&en).unwrap().body.clone())).collect()
}

#[test]
fn grounded_answers_cite_a_given_passage_or_refuse() {
    use awal::skills::grounded::{answer, Grounded, Passage};
    let mut model = load("qwen2.5-0.5b-instruct-q4km");
    let texts = passages(&["ma-rights-minimum-wage", "ma-rights-maternity-leave", "ma-rights-annual-leave"]);
    let given: Vec<Passage> = texts.iter().map(|(id, text)| Passage { id, text }).collect();
    let cases = [
        ("How many weeks of maternity leave does a pregnant worker get?", Some(("ma-rights-maternity-leave", "14"))),
        ("What is the minimum hourly wage outside farm work?", Some(("ma-rights-minimum-wage", "17.92"))),
        ("Which football team won the cup yesterday?", None),
        ("How do I cook a tagine with lamb and prunes?", None),
    ];
    for (question, expected) in cases {
        let got = answer(&mut model, question, &given).unwrap();
        match (expected, &got) {
            (Some((source, fact)), Grounded::Answer { text, source: cited }) => {
                assert_eq!(cited, source, "{question}: {got:?}");
                let text = text.replace("fourteen", "14");
                assert!(text.contains(fact), "{question}: {got:?}");
            }
            (None, Grounded::Refusal) => {}
            _ => panic!("{question}: expected {expected:?}, got {got:?}"),
        }
    }
    assert_eq!(answer(&mut model, "Anything?", &[]).unwrap(), Grounded::Refusal);
}

#[test]
fn a_shared_prompt_prefix_is_computed_once_and_changes_nothing() {
    let texts = passages(&["ma-rights-minimum-wage", "ma-rights-maternity-leave", "ma-rights-working-hours"]);
    let system: String = texts.iter().map(|(id, text)| format!("[{id}] {text}\n")).collect();
    let mut model = load("qwen2.5-0.5b-instruct-q4km");
    let prompt = |model: &GgufModel, question: &str| {
        model.encode_prompt(&model.chat_prompt(&[("system", &system), ("user", question)]).unwrap()).unwrap()
    };
    let first = prompt(&model, "How long is maternity leave?");
    let second = prompt(&model, "What is the minimum wage?");
    let shared = first.iter().zip(&second).take_while(|(a, b)| a == b).count();
    assert!(shared > 150, "the passages make a long shared prefix ({shared} tokens)");
    let params = GenerationParams { max_tokens: 12, ..GenerationParams::default() };
    let one = model.generate(&first, &params, |_| true).unwrap();
    assert_eq!(one.reused_tokens, 0);
    let two = model.generate(&second, &params, |_| true).unwrap();
    assert_eq!(two.reused_tokens, shared, "{} of {} prompt tokens reused", two.reused_tokens, second.len());
    // Same prompt again: everything but the last token is reused.
    let again = model.generate(&second, &params, |_| true).unwrap();
    assert_eq!(again.reused_tokens, second.len() - 1);
    // And the answers are those of a model that computed everything.
    let mut fresh = load("qwen2.5-0.5b-instruct-q4km");
    let reference = fresh.generate(&second, &params, |_| true).unwrap();
    assert_eq!(two.tokens, reference.tokens);
    assert_eq!(again.tokens, reference.tokens);
}

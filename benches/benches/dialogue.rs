//! End of speech → first audio out, for a rights turn, a paperwork turn and a
//! "simpler words" turn: the utterance is transcribed (Whisper base, candle),
//! answered (from the governed content, by the form walk, or by the LM's
//! checked rewrite), and the first sentence of the reply is synthesized
//! (espeak-ng) — the rest is synthesized while that plays. No peer: the
//! targets are absolute (≤ 1.5 s when the answer is a clip or synthesized
//! text; ≤ 3 s when the LM writes).
//!
//! Needs the installed `whisper-base`, the default LM and espeak-ng.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};

use awal::asr::{load_recognizer, Backend, DecodeParams};
use awal::audio::load_audio;
use awal::config::Config;
use awal::corpus::Corpus;
use awal::dialogue::Dialogue;
use awal::lm::{GgufFile, GgufModel};
use awal::models::ModelStore;
use awal::speech::{first_sentence, synthesize};
use awal::store::Store;

/// `text` said by espeak-ng's English voice (which Whisper base hears well), 16 kHz.
fn spoken(text: &str, name: &str) -> Vec<f32> {
    let clip = std::env::temp_dir().join(name);
    assert!(synthesize(text, "en", 150, &clip).expect("espeak-ng is needed: apt-get install espeak-ng"));
    load_audio(&clip).expect("the clip").samples
}

fn rights_turn(c: &mut Criterion) {
    let store = ModelStore::new(Config::default().models_dir(None));
    let model = store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch`");
    let samples = spoken(
        "How long is maternity leave for a pregnant worker who has a medical certificate?",
        "awal-bench-rights-question.wav",
    );
    let (corpus, _) = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")).expect("corpus");
    let mut dialogue = Dialogue::new(&corpus, "en".parse().unwrap(), "MA");
    let mut recognizer = load_recognizer(&model, Backend::Candle).expect("load");
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let out = std::env::temp_dir().join("awal-bench-reply.wav");

    let mut group = c.benchmark_group("turn_to_first_audio");
    group.sample_size(10);
    group.bench_function(format!("rights_{:.1}s", samples.len() as f64 / 16_000.0), |b| {
        b.iter(|| {
            let heard = recognizer.transcribe(&samples, &params).expect("transcribe").text;
            let reply = dialogue.respond(&heard);
            assert_eq!(reply.entry.as_deref(), Some("ma-rights-maternity-leave"), "heard {heard:?}");
            synthesize(first_sentence(&reply.text), &reply.lang, reply.rate, &out).expect("espeak-ng")
        })
    });
    group.finish();
}

/// A form answer: the 5 s utterance is heard, the value pulled out of the
/// sentence by the default LM's JSON output (system prompt reused from the KV
/// cache, as on the kiosk after the first field), checked by the field's
/// validator, read back ("I noted: … Is that right?") and synthesized.
fn paperwork_turn(c: &mut Criterion) {
    let config = Config::default();
    let store = ModelStore::new(config.models_dir(None));
    let model = store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch`");
    let samples = spoken(
        "Well, our cooperative is called Sunrise, we started it last spring with twelve women.",
        "awal-bench-form-answer.wav",
    );
    let (corpus, _) = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")).expect("corpus");
    let data = std::env::temp_dir().join("awal-bench-store");
    let _ = std::fs::remove_dir_all(&data);
    let drafts = Store::open(&data.join("awal.sqlite")).expect("store");
    let lm_model =
        store.installed(&config.models.lm).expect("the language model is not installed: run `awal models fetch`");
    let mut lm = GgufModel::load(&GgufFile::find_in(&lm_model.dir).expect("gguf")).expect("load the LM");
    let mut dialogue =
        Dialogue::new(&corpus, "en".parse().unwrap(), "MA").with_store(&drafts, &data).with_model(&mut lm);
    dialogue.respond("How do I create a cooperative?");
    let first_question = dialogue.respond("yes");
    assert!(first_question.text.contains("name of the cooperative"), "{}", first_question.text);
    let mut recognizer = load_recognizer(&model, Backend::Candle).expect("load");
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let out = std::env::temp_dir().join("awal-bench-reply.wav");

    let mut group = c.benchmark_group("turn_to_first_audio");
    group.sample_size(10);
    group.bench_function(format!("paperwork_{:.1}s", samples.len() as f64 / 16_000.0), |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iterations {
                let started = std::time::Instant::now();
                let heard = recognizer.transcribe(&samples, &params).expect("transcribe").text;
                let reply = dialogue.respond(&heard);
                // The value alone, not the sentence around it.
                let noted = reply.text.to_lowercase();
                assert!(noted.contains("sunrise") && !noted.contains("called"), "heard {heard:?}, replied {noted:?}");
                synthesize(first_sentence(&reply.text), &reply.lang, reply.rate, &out).expect("espeak-ng");
                total += started.elapsed();
                // "No": back to the same question for the next iteration (not timed).
                dialogue.respond("no");
            }
            total
        })
    });
    group.finish();
}

/// "I did not understand" after the maternity answer: the default LM rewrites
/// the entry's text; the first checked sentence is handed to the voice as soon
/// as it is written (`Dialogue::respond_ahead`), or, when the model only copies
/// the text, the kiosk's "I cannot say it more simply" is.
fn simpler_turn(c: &mut Criterion) {
    let config = Config::default();
    let store = ModelStore::new(config.models_dir(None));
    let model = store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch`");
    let samples = spoken("I did not understand.", "awal-bench-simpler.wav");
    let (corpus, _) = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")).expect("corpus");
    let lm_model =
        store.installed(&config.models.lm).expect("the language model is not installed: run `awal models fetch`");
    let mut lm = GgufModel::load(&GgufFile::find_in(&lm_model.dir).expect("gguf")).expect("load the LM");
    let mut dialogue = Dialogue::new(&corpus, "en".parse().unwrap(), "MA").with_model(&mut lm);
    dialogue.respond("How long is maternity leave?");
    let mut recognizer = load_recognizer(&model, Backend::Candle).expect("load");
    let params = DecodeParams { language: Some("en".into()), ..DecodeParams::default() };
    let out = std::env::temp_dir().join("awal-bench-reply.wav");

    let mut group = c.benchmark_group("turn_to_first_audio");
    group.sample_size(10);
    group.bench_function(format!("simpler_{:.1}s", samples.len() as f64 / 16_000.0), |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iterations {
                let started = std::time::Instant::now();
                let heard = recognizer.transcribe(&samples, &params).expect("transcribe").text;
                let mut first = None;
                let mut ahead = |text: &str, lang: &str, rate: u32| {
                    if first.is_none() {
                        synthesize(first_sentence(text), lang, rate, &out).expect("espeak-ng");
                        first = Some(started.elapsed());
                    }
                };
                let heard = awal::hearing::Heard { text: heard, confidence: 1.0 };
                let reply = dialogue.respond_ahead(&heard, None, &mut ahead);
                assert_eq!(reply.entry.as_deref(), Some("ma-rights-maternity-leave"), "heard {:?}", heard.text);
                total += first.unwrap_or_else(|| {
                    let rest = &reply.text[reply.spoken_ahead..];
                    synthesize(first_sentence(rest), &reply.lang, reply.rate, &out).expect("espeak-ng");
                    started.elapsed()
                });
                // Back to the reviewed answer for the next iteration (not timed).
                if reply.spoken_ahead > 0 {
                    dialogue.respond("back");
                }
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, rights_turn, paperwork_turn, simpler_turn);
criterion_main!(benches);

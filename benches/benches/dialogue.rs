//! End of speech → first audio out, for a rights turn: a 5 s spoken question is
//! transcribed (Whisper base, candle), answered from the governed content, and
//! the first sentence of the reply is synthesized (espeak-ng) — the rest is
//! synthesized while that plays. No peer: the targets are absolute (≤ 1.5 s
//! when the answer is a clip or synthesized text; ≤ 3 s when the LM writes).
//!
//! Needs the installed `whisper-base` and espeak-ng.

use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};

use awal::asr::{load_recognizer, Backend, DecodeParams};
use awal::audio::load_audio;
use awal::config::Config;
use awal::corpus::Corpus;
use awal::dialogue::Dialogue;
use awal::models::ModelStore;
use awal::speech::{first_sentence, synthesize};

fn rights_turn(c: &mut Criterion) {
    let store = ModelStore::new(Config::default().models_dir(None));
    let model = store.installed("whisper-base").expect("whisper-base is not installed: run `awal models fetch`");
    let clip = std::env::temp_dir().join("awal-bench-rights-question.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&clip)
        .arg("How long is maternity leave for a pregnant worker who has a medical certificate?")
        .status()
        .expect("espeak-ng is needed: apt-get install espeak-ng");
    assert!(status.success());
    let samples = load_audio(&clip).expect("the question").samples;
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

criterion_group!(benches, rights_turn);
criterion_main!(benches);

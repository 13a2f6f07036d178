//! The language model beside llama.cpp on the same GGUF files and thread count
//! (llama.cpp through llama-cpp-2, built with `--features llama-cpp`, in the
//! same run):
//!
//! - `lm_load/<model>`: file to a model ready for its first token (our load
//!   includes building the tokenizer; llama.cpp's includes its context);
//! - `lm_prefill_128/<model>`: a 128-token prompt into an empty cache;
//! - `lm_decode/<model>`: one token after those 128 (generation speed is its
//!   inverse).
//!
//! Prefill and decode run once our weights have moved onto huge pages
//! (`Transformer::settle`; the move takes 0.3–1 s after load, in the
//! background), as they are by a kiosk's first question.
//!
//! llama.cpp runs on a thread of its own (`llama::Remote`, timed there): on
//! AMX machines it must not share a thread with candle's tile kernels.
//! Peak memory is measured per process by `scripts/bench-lm`.
//! Needs the default language models (`awal models fetch`).

use criterion::{criterion_group, criterion_main, Criterion};

use awal::lm::model::Transformer;
use awal::lm::{GgufFile, GgufModel};
use awal_benches::{lm_file, LM_IDS};

/// 128 tokens of a typical grounded prompt: instructions and a passage.
fn prompt_128(path: &std::path::Path) -> Vec<u32> {
    let text = "You answer questions using only the passages below. A pregnant employee with a medical \
        certificate is entitled to fourteen weeks of maternity leave, or more if her contract or collective \
        agreement says so. She may not work during the seven weeks after giving birth. To raise her child she may \
        extend her leave without pay, telling her employer in advance. No employer may pay less than the legal \
        minimum wage. Since 1 January 2026 the SMIG is 17.92 dirhams an hour, about 3,423 dirhams a month for \
        191 hours; in farm work the SMAG is 97.44 dirhams a day. Question: how long is maternity leave?";
    let tokenizer = GgufFile::open(path).unwrap().tokenizer().unwrap();
    let ids = tokenizer.encode(text, true, false).unwrap();
    assert!(ids.len() >= 128, "the benchmark text is {} tokens", ids.len());
    ids[..128].to_vec()
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("lm_load");
    group.sample_size(10);
    for id in LM_IDS {
        let path = lm_file(id);
        group.bench_function(format!("{id}/awal"), |b| b.iter(|| GgufModel::load(&path).unwrap()));
        #[cfg(feature = "llama-cpp")]
        {
            let theirs = awal_benches::llama::Remote::loader(&path, 512);
            group.bench_function(format!("{id}/llama.cpp"), |b| b.iter_custom(|times| theirs.time_load(times)));
        }
    }
}

fn prefill_and_decode(c: &mut Criterion) {
    for id in LM_IDS {
        let path = lm_file(id);
        let prompt = prompt_128(&path);
        let mut ours = Transformer::load(GgufFile::open(&path).unwrap()).unwrap();
        // Measured as a kiosk runs it, loaded well before its first question:
        // weights already on huge pages.
        ours.settle();
        #[cfg(feature = "llama-cpp")]
        let theirs = awal_benches::llama::Remote::start(&path, 512);

        let mut group = c.benchmark_group("lm_prefill_128");
        group.sample_size(10);
        group.bench_function(format!("{id}/awal"), |b| b.iter(|| ours.forward(&prompt, 0).unwrap()));
        #[cfg(feature = "llama-cpp")]
        group.bench_function(format!("{id}/llama.cpp"), |b| b.iter_custom(|times| theirs.time_eval(&prompt, 0, times)));
        group.finish();

        let mut group = c.benchmark_group("lm_decode");
        ours.forward(&prompt, 0).unwrap();
        // Each step cuts the cache back to the prompt and adds one token.
        group.bench_function(format!("{id}/awal"), |b| b.iter(|| ours.forward(&[prompt[5]], 128).unwrap()));
        #[cfg(feature = "llama-cpp")]
        {
            theirs.time_eval(&prompt, 0, 0);
            group.bench_function(format!("{id}/llama.cpp"), |b| {
                b.iter_custom(|times| theirs.time_eval(&[prompt[5]], 128, times))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, load, prefill_and_decode);
criterion_main!(benches);

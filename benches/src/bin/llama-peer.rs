//! llama.cpp on one prompt, for `scripts/bench-lm`: loads a GGUF, evaluates the
//! prompt's token ids (read from stdin as JSON) and generates greedily, then
//! prints load, prefill and generation timings as JSON. Run under
//! `/usr/bin/time` for peak memory, beside `awal ask --json` on the same ids.
//!
//! `llama-peer MODEL.gguf N_TOKENS < ids.json`

use std::time::Instant;

use awal_benches::llama::{eval, Peer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::Path::new(&args[1]);
    let n_tokens: usize = args[2].parse().expect("N_TOKENS");
    let prompt: Vec<u32> = serde_json::from_reader(std::io::stdin()).expect("token ids as a JSON array");

    let started = Instant::now();
    let peer = Peer::load(path);
    let mut context = peer.context((prompt.len() + n_tokens + 8) as u32);
    let load = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut token = eval(&mut context, &prompt, 0);
    let prefill = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut generated = vec![token];
    while generated.len() < n_tokens {
        token = eval(&mut context, &[token], prompt.len() + generated.len() - 1);
        generated.push(token);
    }
    let generate = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "tokens": generated,
        "timings_ms": {"load": load * 1e3, "prefill": prefill * 1e3, "generate": generate * 1e3},
        "tokens_per_s": {"prefill": prompt.len() as f64 / prefill, "generate": (n_tokens - 1) as f64 / generate},
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

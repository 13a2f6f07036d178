//! Times the CTC recognizer on a `Wav2Vec2ForCTC` directory: load, then
//! `RUNS` passes over a clip of `SECONDS` (the formula of
//! `scripts/ctc-reference`, repeated), printed as one JSON line. Used by
//! `scripts/bench-ctc` beside PyTorch on the same weights.
//!
//! `cargo run --release --example ctc_speed -- DIR SECONDS RUNS [f32|q8|q4k]`

use std::f64::consts::PI;
use std::time::Instant;

use awal::asr::ctc::{CtcModel, CtcParams};
use awal::asr::WeightPrecision;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() >= 4, "usage: ctc_speed DIR SECONDS RUNS [f32|q8|q4k]");
    let seconds: f64 = args[2].parse()?;
    let runs: usize = args[3].parse()?;
    let precision = match args.get(4).map(String::as_str) {
        None | Some("f32") => WeightPrecision::F32,
        Some("q8") => WeightPrecision::Q8,
        Some("q4k") => WeightPrecision::Q4k,
        Some(other) => anyhow::bail!("unknown precision {other}"),
    };
    let samples: Vec<f32> = (0..(seconds * 16_000.0) as usize)
        .map(|n| {
            let t = (n % 24_000) as f64 / 16_000.0;
            (0.4 * (2.0 * PI * 220.0 * t).sin()
                + 0.3 * (2.0 * PI * (300.0 + 900.0 * t) * t).sin()
                + 0.1 * (2.0 * PI * 2500.0 * t).sin() * (2.0 * PI * 3.0 * t).sin()) as f32
        })
        .collect();
    let start = Instant::now();
    let model = CtcModel::load(std::path::Path::new(&args[1]), None, precision)?;
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let loaded_rss_mb = memory_mb("VmRSS:");
    let load_peak_mb = memory_mb("VmHWM:");
    let mut run_ms = Vec::new();
    let mut text = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        text = model.transcribe(&samples, &CtcParams::default())?.text;
        run_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    // One more pass, by stage: the feature encoder (with the projection and
    // positional convolution), then the transformer and head.
    let start = Instant::now();
    let features = model.network().features(&samples)?;
    let features_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    model.network().encode(&features)?;
    let blocks_ms = start.elapsed().as_secs_f64() * 1e3;
    let json = serde_json::json!({
        "load_ms": load_ms, "run_ms": run_ms, "features_ms": features_ms, "blocks_ms": blocks_ms,
        "loaded_rss_mb": loaded_rss_mb, "load_peak_mb": load_peak_mb, "peak_mb": memory_mb("VmHWM:"),
        "chars": text.chars().count(),
    });
    println!("{json}");
    Ok(())
}

/// A line of /proc/self/status (`VmRSS:`, `VmHWM:`), in MB.
fn memory_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1e3
}

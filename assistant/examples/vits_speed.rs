//! Times a VITS voice on a `VitsModel` directory: load, then `RUNS` passes
//! over TEXT said sentence by sentence (as the kiosk does) without noise,
//! printed as one JSON line: the time to the first sentence's samples (first
//! audio), the whole text's time and the seconds of audio it made. Used by
//! `scripts/bench-tts` beside PyTorch on the same weights.
//!
//! `cargo run --release --example vits_speed -- DIR RUNS TEXT`

use std::time::Instant;

use awal::speech::vits::{VitsModel, VitsParams};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 4, "usage: vits_speed DIR RUNS TEXT");
    let runs: usize = args[2].parse()?;
    let text = &args[3];
    let start = Instant::now();
    let model = VitsModel::load(std::path::Path::new(&args[1]))?;
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let params = VitsParams::without_noise(1.0);
    let (mut first_ms, mut total_ms, mut samples, mut sentences) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let mut first = None;
        (samples, sentences) = (0, 0);
        model.speak_sentences(text, &params, |speech| {
            first.get_or_insert_with(|| start.elapsed().as_secs_f64() * 1e3);
            samples += speech.samples.len();
            sentences += 1;
            Ok(())
        })?;
        total_ms.push(start.elapsed().as_secs_f64() * 1e3);
        first_ms.push(first.unwrap_or_default());
    }
    let audio_s = samples as f64 / model.sample_rate() as f64;
    let json = serde_json::json!({
        "load_ms": load_ms, "first_ms": first_ms, "total_ms": total_ms, "audio_s": audio_s, "sentences": sentences,
    });
    println!("{json}");
    Ok(())
}

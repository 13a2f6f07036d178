//! Measures, on the synthetic speech set, what two speed choices of the candle
//! backend do to accuracy: sizing the encoder to the clip (`AudioContext::Fit`,
//! whisper.cpp's `audio_ctx`) instead of always encoding 30 s, and 8-bit
//! decoder weights instead of f32. The defaults in `DecodeParams` and
//! `DEFAULT_DECODER_PRECISION` were chosen from this table (see README).
//!
//!     scripts/speech-fixtures target/speech
//!     cargo run --release -p awal --example audio_context -- target/speech

use std::path::PathBuf;
use std::time::Instant;

use awal::asr::candle_whisper::CandleWhisper;
use awal::asr::wer::word_errors;
use awal::asr::{AudioContext, DecodeParams, Recognizer, WeightPrecision};
use awal::audio::load_audio;
use awal::config::Config;
use awal::models::ModelStore;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/speech".into()));
    let listing = std::fs::read_to_string(dir.join("clips.tsv"))?;
    let clips: Vec<(Vec<f32>, String, String)> = listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Ok((load_audio(&dir.join(fields[0]))?.samples, fields[1].to_string(), fields[2].to_string()))
        })
        .collect::<anyhow::Result<_>>()?;
    let store = ModelStore::new(Config::default().models_dir(None));
    let model = store.require("whisper-base")?;
    let configurations = [
        (AudioContext::Full, WeightPrecision::F32),
        (AudioContext::Full, WeightPrecision::Q8),
        (AudioContext::Fit { margin_s: 0.5 }, WeightPrecision::Q8),
        (AudioContext::Fit { margin_s: 1.0 }, WeightPrecision::Q8),
        (AudioContext::Fit { margin_s: 2.0 }, WeightPrecision::Q8),
        (AudioContext::Fit { margin_s: 4.0 }, WeightPrecision::Q8),
        (AudioContext::Fit { margin_s: 8.0 }, WeightPrecision::Q8),
    ];
    println!("| audio context | decoder | WER en | WER fr | time for the set |");
    println!("|---|---|---|---|---|");
    for (context, precision) in configurations {
        let mut recognizer = CandleWhisper::load(&model.dir, precision)?;
        let mut counts = [(0, 0); 2];
        let started = Instant::now();
        for (samples, language, text) in &clips {
            let params =
                DecodeParams { language: Some(language.clone()), audio_context: context, ..DecodeParams::default() };
            let transcript = recognizer.transcribe(samples, &params)?;
            let (errors, words) = word_errors(text, &transcript.text);
            let slot = &mut counts[usize::from(language == "fr")];
            slot.0 += errors;
            slot.1 += words;
        }
        let rate = |(e, w): (usize, usize)| 100.0 * e as f64 / w.max(1) as f64;
        let context = match context {
            AudioContext::Full => "full 30 s".to_string(),
            AudioContext::Fit { margin_s } => format!("clip + {margin_s} s"),
        };
        println!(
            "| {context} | {precision:?} | {:.1} % | {:.1} % | {:.1} s |",
            rate(counts[0]),
            rate(counts[1]),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

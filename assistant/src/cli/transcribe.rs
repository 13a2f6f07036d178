use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use awal::asr::{load_recognizer, Backend, DecodeParams};
use awal::audio::load_wav;

use super::Session;

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// WAV files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Language code, or `auto` to detect it.
    #[arg(long, default_value = "auto")]
    lang: String,
    #[arg(long, value_enum, default_value = "candle")]
    backend: Backend,
    /// Whisper model id (default: the config's `models.asr`).
    #[arg(long)]
    model: Option<String>,
    /// One JSON object per file, one per line.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Output {
    file: PathBuf,
    text: String,
    language: String,
    timings_ms: Timings,
}

#[derive(Serialize)]
struct Timings {
    load: f64,
    decode_audio: f64,
    transcribe: f64,
    total: f64,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

pub fn run(args: TranscribeArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let id = args.model.as_deref().unwrap_or(&session.config.models.asr);
    let model = session.store.require(id)?;
    let start = Instant::now();
    let mut recognizer = load_recognizer(&model, args.backend).with_context(|| format!("loading {id}"))?;
    let load = ms(start);
    let params = DecodeParams { language: (args.lang != "auto").then(|| args.lang.clone()), ..DecodeParams::default() };
    for file in &args.files {
        let started = Instant::now();
        let recording = load_wav(file)?;
        let decode_audio = ms(started);
        let t = Instant::now();
        let transcript = recognizer.transcribe(&recording.samples, &params)?;
        let transcribe = ms(t);
        if args.json {
            let timings_ms = Timings { load, decode_audio, transcribe, total: ms(started) + load };
            println!(
                "{}",
                serde_json::to_string(&Output {
                    file: file.clone(),
                    text: transcript.text,
                    language: transcript.language,
                    timings_ms
                })?
            );
        } else {
            println!("{}: [{}] {}", file.display(), transcript.language, transcript.text);
        }
    }
    Ok(ExitCode::SUCCESS)
}

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use awal::asr::{
    load_recognizer_with, AudioContext, Backend, DecodeParams, Segment, WeightPrecision, DEFAULT_DECODER_PRECISION,
};
use awal::asr::{AsrError, Recognizer, Transcript};
use awal::audio::{AudioDecoder, AudioError};

use super::Session;

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Audio files (WAV, FLAC, MP3, Ogg/Vorbis, Ogg/Opus, M4A/AAC…), any rate and channel count.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Language code, or `auto` to detect it.
    #[arg(long, default_value = "auto")]
    lang: String,
    #[arg(long, value_enum, default_value = "candle")]
    backend: Backend,
    /// Beam width (1 = greedy).
    #[arg(long, default_value_t = 1)]
    beam: usize,
    /// Words to bias recognition toward (names, domain terms).
    #[arg(long)]
    prompt: Option<String>,
    /// Encode the whole 30 s window even for short clips (slower; the reference behaviour).
    #[arg(long)]
    full_context: bool,
    /// Precision of the candle decoder's weights.
    #[arg(long, value_enum, default_value_t = DEFAULT_DECODER_PRECISION)]
    precision: WeightPrecision,
    /// Whisper model id (default: the config's `models.asr`).
    #[arg(long)]
    model: Option<String>,
    /// One JSON object per file, one per line.
    #[arg(long, conflicts_with = "srt")]
    json: bool,
    /// SubRip subtitles.
    #[arg(long)]
    srt: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    file: &'a PathBuf,
    text: &'a str,
    language: &'a str,
    language_probs: &'a [(String, f32)],
    segments: &'a [Segment],
    no_speech_prob: f32,
    timings_ms: Timings,
    /// Peak resident memory of this process so far.
    peak_rss_mb: Option<f64>,
}

#[derive(Serialize)]
struct Timings {
    load: f64,
    decode_audio: f64,
    mel: f64,
    encoder: f64,
    decoder: f64,
    total: f64,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

pub fn run(args: TranscribeArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let id = args.model.as_deref().unwrap_or(&session.config.models.asr);
    let model = session.store.require(id)?;
    let start = Instant::now();
    let mut recognizer =
        load_recognizer_with(&model, args.backend, args.precision).with_context(|| format!("loading {id}"))?;
    let load = ms(start);
    let params = DecodeParams {
        language: (args.lang != "auto").then(|| args.lang.clone()),
        beam_size: args.beam.max(1),
        initial_prompt: args.prompt.clone(),
        audio_context: if args.full_context { AudioContext::Full } else { DecodeParams::default().audio_context },
        ..DecodeParams::default()
    };
    let mut failed = false;
    for file in &args.files {
        let started = Instant::now();
        // A bad file is reported and skipped: the other files are still transcribed.
        let (transcript, decode_audio) = match transcribe_file(recognizer.as_mut(), file, &params) {
            Ok(result) => result,
            Err(e) => {
                eprintln!("awal: {e}");
                failed = true;
                continue;
            }
        };
        if args.json {
            let t = &transcript.timings_ms;
            let round = |v: f64| (v * 10.0).round() / 10.0;
            let timings_ms = Timings {
                load,
                decode_audio: round(decode_audio),
                mel: round(t.mel),
                encoder: round(t.encoder),
                decoder: round(t.decoder),
                total: round(ms(started) + load),
            };
            let output = Output {
                file,
                text: &transcript.text,
                language: &transcript.language,
                language_probs: &transcript.language_probs,
                segments: &transcript.segments,
                no_speech_prob: transcript.no_speech_prob,
                timings_ms,
                peak_rss_mb: peak_rss_mb(),
            };
            println!("{}", serde_json::to_string(&output)?);
        } else if args.srt {
            for (i, segment) in transcript.segments.iter().enumerate() {
                println!(
                    "{}\n{} --> {}\n{}\n",
                    i + 1,
                    srt_time(segment.start),
                    srt_time(segment.end),
                    segment.text.trim()
                );
            }
        } else {
            println!("{}: [{}] {}", file.display(), transcript.language, transcript.text);
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Decodes and transcribes one file as a stream (bounded memory on long
/// files); also returns the milliseconds spent decoding the audio.
pub(super) fn transcribe_file(
    recognizer: &mut dyn Recognizer,
    file: &std::path::Path,
    params: &DecodeParams,
) -> Result<(Transcript, f64), AsrError> {
    let clock = Instant::now();
    let mut decoder = AudioDecoder::open(file)?;
    let first = decoder.next_chunk()?.ok_or_else(|| AudioError::Empty { path: file.to_path_buf() })?;
    let mut decoding = clock.elapsed();
    let mut rest = decoder.chunks();
    let mut timed = std::iter::once(Ok(first)).chain(std::iter::from_fn(|| {
        let clock = Instant::now();
        let chunk = rest.next();
        decoding += clock.elapsed();
        chunk
    }));
    let transcript = recognizer.transcribe_stream(&mut timed, params)?;
    drop(timed);
    Ok((transcript, decoding.as_secs_f64() * 1e3))
}

/// VmHWM from /proc (Linux); `None` elsewhere.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

fn srt_time(seconds: f32) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02},{:03}", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
}

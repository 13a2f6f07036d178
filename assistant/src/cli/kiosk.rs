use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::writer::MakeWriterExt;

use awal::audio::devices::{RecordedSound, SoundDevices, SystemSound};
use awal::conversation::Conversation;
use awal::kiosk::{run as run_kiosk, KioskOptions, END_OF_SPEECH_MS};
use awal::speech::EspeakNg;

use super::conversation::ConversationArgs;
use super::Session;

#[derive(Debug, Args)]
pub struct KioskArgs {
    #[command(flatten)]
    conversation: ConversationArgs,
    /// Seconds between looks for a missing microphone.
    #[arg(long, default_value_t = 5.0)]
    retry_seconds: f32,
    /// Stop after this many failed looks in a row (default: never).
    #[arg(long)]
    retries: Option<u32>,
    /// Answer only speech that follows a press of Enter (a big USB button
    /// that types Enter works too): for noisy rooms.
    #[arg(long)]
    push_to_talk: bool,
    /// Seconds of quiet after which the kiosk starts over at the welcome.
    #[arg(long, default_value_t = 60)]
    idle_seconds: u64,
    /// Milliseconds of quiet that end an utterance. Shorter answers sooner
    /// (each 100 ms off is 100 ms off every reply) but cuts a person who
    /// pauses longer within a question.
    #[arg(long, default_value_t = END_OF_SPEECH_MS as u64, value_parser = clap::value_parser!(u64).range(200..=3000))]
    end_of_speech_ms: u64,
    /// Milliseconds after the kiosk stops speaking before it listens again
    /// (its speaker's last sound is still in the room and the sound server).
    #[arg(long, default_value_t = 400)]
    echo_guard_ms: u64,
    /// Keep the synthesized reply audio in DATA_DIR/kiosk after it is played
    /// (it says names and numbers: off unless an operator records visits).
    #[arg(long)]
    keep_audio: bool,
    /// Instead of the microphone: these recordings, said one after the other
    /// with quiet between them; the kiosk stops after the last one. For
    /// replaying a visit and for tests.
    #[arg(long, num_args = 1.., value_name = "AUDIO")]
    recordings: Vec<PathBuf>,
    /// With --recordings: instead of the speaker, copy what the kiosk plays
    /// to this folder (001.wav, 002.wav… in order).
    #[arg(long, requires = "recordings")]
    played: Option<PathBuf>,
}

pub fn run(args: KioskArgs, session: &Session) -> anyhow::Result<ExitCode> {
    // The log rotates daily and keeps a week: enough to see what went wrong,
    // never enough to fill an SD card. It holds no transcript, reply or form value.
    let logs = session.data_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("kiosk")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&logs)
        .with_context(|| format!("opening the log in {}", logs.display()))?;
    tracing_subscriber::fmt().with_ansi(false).with_writer(appender.and(std::io::stderr)).init();

    let languages = args.conversation.languages()?;
    let mut resources = args.conversation.resources(session)?;
    let hearing = args.conversation.hearing(session);
    let audio_dir = session.data_dir.join("kiosk");
    std::fs::create_dir_all(&audio_dir).with_context(|| format!("creating {}", audio_dir.display()))?;
    let dialogue = resources.dialogue(languages, &args.conversation.country);
    let mut conversation =
        Conversation::new(dialogue, Box::new(hearing), Box::new(EspeakNg), audio_dir).keep_audio(args.keep_audio);
    let mut devices: Box<dyn SoundDevices> = match (&args.played, args.recordings.is_empty()) {
        (_, true) => Box::new(SystemSound),
        (Some(played), false) => Box::new(RecordedSound::open(&args.recordings, played.clone())?),
        (None, false) => anyhow::bail!("--recordings needs --played DIR: where the kiosk's replies go"),
    };
    let options = KioskOptions {
        retry: Duration::from_secs_f32(args.retry_seconds.max(0.0)),
        max_retries: args.retries,
        // Within 200–3000 ms: it fits.
        end_of_speech_ms: args.end_of_speech_ms as usize,
        idle_reset: Duration::from_secs(args.idle_seconds),
        push_to_talk: args.push_to_talk,
        echo_guard: Duration::from_millis(args.echo_guard_ms),
    };
    tracing::info!(lang = %args.conversation.lang, country = %args.conversation.country, "kiosk starting");
    run_kiosk(&mut conversation, devices.as_mut(), &options)?;
    Ok(ExitCode::SUCCESS)
}

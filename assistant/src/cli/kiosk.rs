use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::writer::MakeWriterExt;

use awal::corpus::Corpus;
use awal::kiosk::{run as run_kiosk, KioskOptions};
use awal::store::Store;

use super::hearing::Hearing;
use super::simulate::kiosk_dialogue;
use super::Session;

#[derive(Debug, Args)]
pub struct KioskArgs {
    /// The kiosk's languages, comma-separated (fr, ar, ary, en, zgh, wol,
    /// fuc…): the first greets; the others are chosen by name or by their
    /// numbered button.
    #[arg(long)]
    lang: String,
    /// Whose rights and forms (MA, SN…).
    #[arg(long, default_value = "MA")]
    country: String,
    /// Language model for form answers (`default`, `none` or an id).
    #[arg(long, default_value = "default")]
    lm: String,
    /// Enrolled spoken keywords (default: DATA_DIR/keywords).
    #[arg(long)]
    keywords_dir: Option<PathBuf>,
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
}

pub fn run(args: KioskArgs, session: &Session) -> anyhow::Result<ExitCode> {
    // The log rotates daily and keeps a week: enough to see what went wrong,
    // never enough to fill an SD card. No transcripts are logged.
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

    let languages = super::simulate::kiosk_languages(&args.lang)?;
    let (corpus, problems) = Corpus::load(&session.corpus_dir)?;
    for problem in &problems {
        tracing::warn!("skipped {}: {}", problem.path.display(), problem.message);
    }
    let store = Store::open(&session.data_dir.join("awal.sqlite"))?;
    let mut lm = super::lm::chosen_model(&args.lm, session)?;
    let mut dialogue = kiosk_dialogue(&corpus, languages, &args.country, &store, lm.as_mut(), session);
    let mut hearing = Hearing::new(args.keywords_dir.clone(), session);
    let out_dir = session.data_dir.join("kiosk");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let options = KioskOptions {
        retry: Duration::from_secs_f32(args.retry_seconds.max(0.0)),
        max_retries: args.retries,
        end_of_speech_ms: 700,
        idle_reset: Duration::from_secs(args.idle_seconds),
        out_dir,
        push_to_talk: args.push_to_talk,
    };
    tracing::info!(lang = %args.lang, country = %args.country, "kiosk starting");
    let mut hear = |samples: &[f32], lang: &str| hearing.hear(samples, lang).map_err(|e| format!("{e:#}"));
    run_kiosk(&mut dialogue, &mut hear, &options)?;
    Ok(ExitCode::SUCCESS)
}

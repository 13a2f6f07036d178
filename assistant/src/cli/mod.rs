//! Argument definitions and dispatch. One file per command family.

mod ask;
mod conversation;
mod corpus;
mod doctor;
mod keywords;
mod kiosk;
mod languages;
mod lesson;
mod lm;
mod message;
mod models;
mod serve;
mod simulate;
mod studio;
mod transcribe;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use clap::{Parser, Subcommand};
pub use message::user_message;

use awal::config::Config;
use awal::models::{Manifest, ModelStore};

#[derive(Debug, Parser)]
#[command(name = "awal", version, about = "Offline voice assistant for village kiosks")]
pub struct Args {
    /// Configuration file (default: $XDG_CONFIG_HOME/awal/awal.toml if present).
    #[arg(long, global = true, env = "AWAL_CONFIG")]
    config: Option<PathBuf>,
    /// Where learner data, drafts and enrolled keywords live.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Where installed models live.
    #[arg(long, global = true)]
    models_dir: Option<PathBuf>,
    /// The governed content: entries, forms, recordings (default: ./corpora if present).
    #[arg(long, global = true, env = "AWAL_CORPUS_DIR")]
    corpus_dir: Option<PathBuf>,
    /// Model manifest (default: the one built into this binary).
    #[arg(long, global = true, env = "AWAL_MANIFEST")]
    manifest: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, fetch, verify, import and convert models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Check this machine: CPU, memory, audio devices, models, tools.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Transcribe audio files with Whisper.
    Transcribe(transcribe::TranscribeArgs),
    /// Ask the language model (streams the answer; --json adds timings).
    Ask(ask::AskArgs),
    /// Talk with the language model on the terminal.
    Chat {
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        sampling: ask::SamplingArgs,
    },
    /// The language model: tokenizer.
    #[command(subcommand)]
    Lm(lm::LmCommand),
    /// Check, count and search the governed content.
    #[command(subcommand)]
    Corpus(corpus::CorpusCommand),
    /// Drive a whole conversation: audio files and typed turns in, replies out.
    Simulate(simulate::SimulateArgs),
    /// The kiosk: listen on the microphone, answer on the speaker, until stopped.
    Kiosk(kiosk::KioskArgs),
    /// Serve speech to text, text to speech and the conversation over the
    /// Wyoming protocol (Home Assistant, Rhasspy satellites).
    Serve(serve::ServeArgs),
    /// Listen-and-repeat literacy practice for one learner card: scores attempts, schedules reviews.
    Lesson(lesson::LessonArgs),
    /// Spoken keywords by example, for languages no recognizer knows: enroll, match, eval.
    #[command(subcommand)]
    Keywords(keywords::KeywordsCommand),
    /// The studio: web pages to record the kiosk's phrases (and its accounts).
    Studio(studio::StudioArgs),
    /// The corpus's languages: how each is heard and spoken, what is recorded, what is missing.
    Languages {
        #[arg(long)]
        json: bool,
    },
}

/// What every command needs: the configuration, the manifest and the model store.
pub struct Session {
    pub config: Config,
    /// Learner data, drafts and enrolled keywords.
    pub data_dir: PathBuf,
    /// Entries, forms and recordings.
    pub corpus_dir: PathBuf,
    pub manifest: Manifest,
    pub store: ModelStore,
}

pub fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    // The corpus's languages are known before anything parses a language tag
    // (the configuration's `languages`, `--lang`): the one given on the
    // command line now, the one the configuration names as it is read.
    awal::corpus::languages::register_dir(&Config::default().corpus_dir(args.corpus_dir.as_deref(), Path::new("")));
    let config = Config::load(args.config.as_deref())?;
    let manifest = Manifest::load(args.manifest.as_deref()).context("loading the model manifest")?;
    let store = ModelStore::new(config.models_dir(args.models_dir.as_deref()));
    let data_dir = config.data_dir(args.data_dir.as_deref());
    let corpus_dir = config.corpus_dir(args.corpus_dir.as_deref(), &data_dir);
    awal::corpus::languages::register_dir(&corpus_dir);
    let context = Session { config, data_dir, corpus_dir, manifest, store };
    if !matches!(args.command, Command::Kiosk(_)) {
        // The kiosk logs to its own file; every other command tells its
        // warnings (a skipped entry, a skipped recording) on standard error.
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::WARN)
            .without_time()
            .with_target(false)
            .init();
    }
    match args.command {
        Command::Models(command) => models::run(command, &context),
        Command::Doctor { json } => doctor::run(json, &context),
        Command::Transcribe(args) => transcribe::run(args, &context),
        Command::Corpus(command) => corpus::run(command, &context),
        Command::Lm(command) => lm::run(command, &context),
        Command::Ask(args) => ask::ask(args, &context),
        Command::Chat { model, sampling } => ask::chat(model, sampling, &context),
        Command::Kiosk(args) => kiosk::run(args, &context),
        Command::Serve(args) => serve::run(args, &context),
        Command::Lesson(args) => lesson::run(args, &context),
        Command::Keywords(command) => keywords::run(command, &context),
        Command::Studio(args) => studio::run(args, &context),
        Command::Languages { json } => languages::run(json, &context),
        Command::Simulate(args) => simulate::run(args, matches.subcommand_matches("simulate"), &context),
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

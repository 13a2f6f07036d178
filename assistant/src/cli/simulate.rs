//! `awal simulate`: a whole conversation from the command line, each turn an
//! audio file (through speech recognition, or through the enrolled spoken
//! keywords in a language no recognizer knows) or `--text` standing in for speech.
//! Prints every turn: what was heard, which skill answered, the reply's text
//! and audio, and timings. The base of the dialogue tests and of `scripts/demo`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgMatches, Args};
use serde::Serialize;

use awal::audio::load_audio;
use awal::conversation::{Conversation, Input, Timings, Turn};
use awal::dialogue::SkillName;
use awal::speech::EspeakNg;

use super::conversation::ConversationArgs;
use super::Session;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    conversation: ConversationArgs,
    /// A typed turn standing in for speech (repeatable; turns keep their order
    /// with the audio files).
    #[arg(long)]
    text: Vec<String>,
    /// Spoken turns: audio files.
    audio: Vec<PathBuf>,
    /// Where reply audio is written (default: DATA_DIR/simulate).
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

enum TurnInput {
    Text(String),
    Audio(PathBuf),
}

#[derive(Serialize)]
struct TurnOutput<'a> {
    turn: usize,
    transcript: Option<&'a str>,
    skill: SkillName,
    reply_text: &'a str,
    reply_lang: &'a str,
    /// What says the reply, in order: its recordings, else one synthesized file.
    reply_audio: Vec<PathBuf>,
    /// Said while the reply was being written, before `reply_audio`.
    ahead_audio: &'a [PathBuf],
    entry: Option<&'a str>,
    citations: &'a [String],
    reviewed: bool,
    /// Speaking rate of the reply, words per minute.
    rate: u32,
    end: bool,
    /// Files the turn wrote (an exported form).
    files: &'a [PathBuf],
    /// Played after the reply: the lesson item to repeat.
    example_audio: Option<&'a PathBuf>,
    timings_ms: &'a Timings,
}

/// The turns in command-line order (clap keeps `--text` and positional files
/// apart; their indices put them back in sequence).
fn turns(args: &SimulateArgs, matches: Option<&ArgMatches>) -> Vec<TurnInput> {
    let indices =
        |id: &str| -> Vec<usize> { matches.and_then(|m| m.indices_of(id)).map(|i| i.collect()).unwrap_or_default() };
    let mut ordered: Vec<(usize, TurnInput)> = Vec::new();
    let text_at = indices("text");
    for (i, text) in args.text.iter().enumerate() {
        ordered.push((text_at.get(i).copied().unwrap_or(i), TurnInput::Text(text.clone())));
    }
    let audio_at = indices("audio");
    for (i, path) in args.audio.iter().enumerate() {
        ordered.push((audio_at.get(i).copied().unwrap_or(usize::MAX / 2 + i), TurnInput::Audio(path.clone())));
    }
    ordered.sort_by_key(|(at, _)| *at);
    ordered.into_iter().map(|(_, turn)| turn).collect()
}

pub fn run(args: SimulateArgs, matches: Option<&ArgMatches>, session: &Session) -> anyhow::Result<ExitCode> {
    let languages = args.conversation.languages()?;
    let out = args.out.clone().unwrap_or_else(|| session.data_dir.join("simulate"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut resources = args.conversation.resources(session)?;
    let hearing = args.conversation.hearing(session);
    let dialogue = resources.dialogue(languages, &args.conversation.country);
    // Every reply's audio is kept in `out`: listing it is what simulate is for.
    let mut conversation =
        Conversation::new(dialogue, Box::new(hearing), Box::new(EspeakNg), out.clone()).keep_audio(true);

    let welcome = conversation.welcome(&mut |_| {});
    print_turn(0, &welcome, args.json)?;
    for (n, input) in turns(&args, matches).into_iter().enumerate() {
        let n = n + 1;
        let input = match input {
            TurnInput::Text(text) => Input::Text(text),
            TurnInput::Audio(path) => {
                Input::Speech(load_audio(&path).with_context(|| format!("turn {n}: {}", path.display()))?.samples)
            }
        };
        let turn = conversation.turn(input, &mut |_| {}).with_context(|| format!("turn {n}"))?;
        let turn = turn.expect("typed and spoken turns are always answered");
        print_turn(n, &turn, args.json)?;
        if turn.reply.end {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_turn(n: usize, turn: &Turn, json: bool) -> anyhow::Result<()> {
    let reply = &turn.reply;
    if json {
        let output = TurnOutput {
            turn: n,
            transcript: turn.heard.as_deref(),
            skill: reply.skill,
            reply_text: &reply.text,
            reply_lang: &reply.lang,
            reply_audio: turn.audio.clone(),
            ahead_audio: &turn.ahead_audio,
            entry: reply.entry.as_deref(),
            citations: &reply.citations,
            reviewed: reply.reviewed,
            rate: reply.rate,
            end: reply.end,
            files: &reply.files,
            example_audio: reply.example.as_ref(),
            timings_ms: &turn.timings,
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        if let Some(heard) = &turn.heard {
            println!("> {heard}");
        }
        println!("[{:?}] {}", reply.skill, reply.text);
        for file in &reply.files {
            println!("  (written: {})", file.display());
        }
        for path in &turn.ahead_audio {
            println!("  (said while writing: {})", path.display());
        }
        for path in &turn.audio {
            println!("  (audio: {})", path.display());
        }
        if turn.audio.is_empty() && turn.ahead_audio.is_empty() {
            println!("  (no voice for `{}` yet: text only)", reply.lang);
        }
        if let Some(example) = &reply.example {
            println!("  (then: {})", example.display());
        }
    }
    Ok(())
}

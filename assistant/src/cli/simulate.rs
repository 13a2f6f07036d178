//! `awal simulate`: a whole conversation from the command line, each turn an
//! audio file (through speech recognition, or through the enrolled spoken
//! keywords in a language no recognizer knows) or `--text` standing in for speech.
//! Prints every turn: what was heard, which skill answered, the reply's text
//! and audio, and timings. The base of the dialogue tests and of `scripts/demo`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{ArgMatches, Args};
use serde::Serialize;

use awal::audio::load_audio;
use awal::corpus::{Corpus, LangTag};
use awal::dialogue::{Dialogue, Reply, Skill};
use awal::speech::synthesize;
use awal::store::Store;

use super::hearing::Hearing;
use super::Session;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The kiosk's languages, comma-separated (`fr`, `ar`, `ary`, `ary-Latn`,
    /// `en`, `zgh`, `wol`, `fuc`…): the first greets, the others are chosen
    /// by saying their name.
    #[arg(long)]
    lang: String,
    /// Country whose content answers (ISO code).
    #[arg(long, default_value = "MA")]
    country: String,
    /// A typed turn standing in for speech (repeatable; turns keep their order
    /// with the audio files).
    #[arg(long)]
    text: Vec<String>,
    /// Spoken turns: audio files.
    audio: Vec<PathBuf>,
    /// Where reply audio is written (default: DATA_DIR/simulate).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Pull form values out of whole sentences with the language model
    /// (`default`: the configured one; `none`: take the words as said).
    #[arg(long, default_value = "default")]
    lm: String,
    /// Enrolled spoken keywords (default: DATA_DIR/keywords): audio turns in a
    /// language Whisper does not know (zgh, wol, fuc…) are heard through them.
    #[arg(long)]
    keywords_dir: Option<PathBuf>,
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
    skill: Skill,
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
    timings_ms: Timings,
}

#[derive(Serialize, Default)]
struct Timings {
    asr: f64,
    respond: f64,
    speech: f64,
    /// From the end of hearing to the first audio of the reply being ready.
    first_audio: f64,
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

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

pub fn run(args: SimulateArgs, matches: Option<&ArgMatches>, session: &Session) -> anyhow::Result<ExitCode> {
    let languages = kiosk_languages(&args.lang)?;
    let (corpus, problems) = Corpus::load(&session.corpus_dir)?;
    for problem in &problems {
        // A broken entry is skipped; the rest of the content still serves.
        eprintln!("awal: skipped {}: {}", problem.path.display(), problem.message);
    }
    let out = args.out.clone().unwrap_or_else(|| session.data_dir.join("simulate"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let store = Store::open(&session.data_dir.join("awal.sqlite"))?;
    let mut lm = super::lm::chosen_model(&args.lm, session)?;
    let mut dialogue = kiosk_dialogue(&corpus, languages, &args.country, &store, lm.as_mut(), session);
    let mut hearing = Hearing::new(args.keywords_dir.clone(), session);

    let welcome = dialogue.welcome();
    print_turn(0, None, &welcome, Timings::default(), &[], &out, args.json)?;
    for (n, turn) in turns(&args, matches).into_iter().enumerate() {
        let n = n + 1;
        let mut timings = Timings::default();
        let (heard, samples) = match turn {
            TurnInput::Text(text) => (text, None),
            TurnInput::Audio(path) => {
                let started = Instant::now();
                let samples = load_audio(&path).with_context(|| format!("turn {n}: {}", path.display()))?.samples;
                let lang = dialogue.lang().to_string();
                let heard = hearing.hear(&samples, &lang).with_context(|| format!("turn {n}: {}", path.display()))?;
                timings.asr = ms(started);
                (heard, Some(samples))
            }
        };
        let started = Instant::now();
        let mut ahead_audio = Vec::new();
        let mut ahead = |text: &str, lang: &str, rate: u32| {
            let path = out.join(format!("turn-{n}-ahead-{}.wav", ahead_audio.len() + 1));
            match synthesize(text, lang, rate, &path) {
                Ok(true) => {
                    if ahead_audio.is_empty() {
                        timings.first_audio = ms(started);
                    }
                    ahead_audio.push(path);
                }
                Ok(false) => {}
                Err(e) => eprintln!("awal: {e}"),
            }
        };
        let reply = dialogue.respond_ahead(&heard, samples.as_deref(), &mut ahead);
        timings.respond = ms(started);
        print_turn(n, Some(&heard), &reply, timings, &ahead_audio, &out, args.json)?;
        if reply.end {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--lang fr,ary,wol`: the kiosk's languages, the first one greeting.
pub(super) fn kiosk_languages(list: &str) -> anyhow::Result<Vec<LangTag>> {
    list.split(',')
        .map(|tag| tag.trim().parse::<LangTag>().map_err(|e| anyhow::anyhow!("--lang {list}: {e}")))
        .collect()
}

/// The dialogue as the kiosk runs it: drafts in the store, filled forms in
/// DATA_DIR/exports, the language model when one is loaded.
pub(super) fn kiosk_dialogue<'c>(
    corpus: &'c Corpus,
    languages: Vec<LangTag>,
    country: &str,
    store: &'c Store,
    lm: Option<&'c mut awal::lm::LanguageModel>,
    session: &Session,
) -> Dialogue<'c> {
    let dialogue =
        Dialogue::new(corpus, languages[0], country).with_languages(languages).with_store(store, &session.data_dir);
    match lm {
        Some(lm) => dialogue.with_model(lm),
        None => dialogue,
    }
}

fn print_turn(
    n: usize,
    heard: Option<&str>,
    reply: &Reply,
    mut timings: Timings,
    ahead_audio: &[PathBuf],
    out: &std::path::Path,
    json: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let rest = reply.text[reply.spoken_ahead..].trim();
    let audio: Vec<PathBuf> = match reply.clips.is_empty() {
        false => reply.clips.clone(),
        true if rest.is_empty() => Vec::new(),
        true => {
            let path = out.join(format!("turn-{n}.wav"));
            synthesize(rest, &reply.lang, reply.rate, &path)?.then_some(path).into_iter().collect()
        }
    };
    timings.speech = ms(started);
    if ahead_audio.is_empty() {
        timings.first_audio = timings.respond + timings.speech;
    }
    if json {
        let output = TurnOutput {
            turn: n,
            transcript: heard,
            skill: reply.skill,
            reply_text: &reply.text,
            reply_lang: &reply.lang,
            reply_audio: audio,
            ahead_audio,
            entry: reply.entry.as_deref(),
            citations: &reply.citations,
            reviewed: reply.reviewed,
            rate: reply.rate,
            end: reply.end,
            files: &reply.files,
            example_audio: reply.example.as_ref(),
            timings_ms: timings,
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        if let Some(heard) = heard {
            println!("> {heard}");
        }
        println!("[{:?}] {}", reply.skill, reply.text);
        for file in &reply.files {
            println!("  (written: {})", file.display());
        }
        for path in ahead_audio {
            println!("  (said while writing: {})", path.display());
        }
        for path in &audio {
            println!("  (audio: {})", path.display());
        }
        if audio.is_empty() && ahead_audio.is_empty() {
            println!("  (no voice for `{}` yet: text only)", reply.lang);
        }
        if let Some(example) = &reply.example {
            println!("  (then: {})", example.display());
        }
    }
    Ok(())
}

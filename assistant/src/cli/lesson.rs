use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use awal::audio::load_audio;
use awal::conversation::Resources;
use awal::literacy::{voice_dir, Practice};

use super::Session;

#[derive(Debug, Args)]
pub struct LessonArgs {
    /// The learner's card number (never a name).
    #[arg(long)]
    card: String,
    /// The lesson's id, e.g. lit-ary-words-1.
    #[arg(long)]
    lesson: String,
    /// The learner's attempts, in order: each answers the item due at that point.
    attempts: Vec<PathBuf>,
    /// Practise as on this day (YYYY-MM-DD; default today): for teachers checking the schedule.
    #[arg(long)]
    today: Option<jiff::civil::Date>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: LessonArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let resources = Resources::load(&session.corpus_dir, &session.data_dir)?;
    let (corpus, store) = (&resources.corpus, &resources.store);
    let mut practice = Practice::new(corpus, &args.lesson, store, &args.card, voice_dir(&session.data_dir))?;
    let today = args.today.unwrap_or_else(|| jiff::Zoned::now().date());
    if args.attempts.is_empty() {
        let index = practice.next_item(today)?;
        let model = practice.model_audio(index)?;
        let item = &practice.lesson().items[index].text;
        if args.json {
            println!("{}", serde_json::json!({"next": item, "say": practice.spoken(index), "model_audio": model}));
        } else {
            println!("next: {item} (say \"{}\"; model {})", practice.spoken(index), model.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (n, path) in args.attempts.iter().enumerate() {
        let index = practice.next_item(today)?;
        let model = practice.model_audio(index)?;
        let samples = load_audio(path).with_context(|| format!("attempt {}", n + 1))?.samples;
        let attempt = practice.attempt(index, &samples, today).with_context(|| format!("attempt {}", n + 1))?;
        if args.json {
            let mut line = serde_json::to_value(&attempt)?;
            line["attempt"] = (n + 1).into();
            line["model_audio"] = serde_json::to_value(&model)?;
            println!("{}", serde_json::to_string(&line)?);
        } else {
            let verdict = if attempt.score.right { "right" } else { "not yet" };
            println!(
                "{}. {} — {verdict} (score {:.2}); {} — next on {}",
                n + 1,
                attempt.item,
                attempt.score.score,
                attempt.feedback,
                attempt.progress.due
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

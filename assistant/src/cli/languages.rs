//! `awal languages`: each language of the corpus, how the kiosk hears and
//! speaks it, and what is missing (computed in `awal::readiness`).

use std::process::ExitCode;

use anyhow::Context;

use awal::corpus::Corpus;
use awal::readiness::{self, Setup};

use super::{print_json, Session};

pub fn run(json: bool, session: &Session) -> anyhow::Result<ExitCode> {
    let (corpus, problems) = Corpus::load(&session.corpus_dir)
        .with_context(|| format!("loading the corpus at {}", session.corpus_dir.display()))?;
    for problem in problems.iter().filter(|p| p.path.starts_with(session.corpus_dir.join("languages"))) {
        eprintln!("awal: skipped {}: {}", problem.path.display(), problem.message);
    }
    let keywords_dir = session.data_dir.join("keywords");
    let setup =
        Setup { corpus: &corpus, models: &session.store, asr: &session.config.models.asr, keywords_dir: &keywords_dir };
    let rows = readiness::languages(&setup)?;
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", readiness::render(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

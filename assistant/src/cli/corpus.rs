use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use awal::corpus::check::{check, Severity};
use awal::corpus::install::install;
use awal::corpus::{stats, Corpus, Domain, Index, LangTag, Query};

use awal::words::{phrase, Phrase};

use super::{print_json, Session};

/// A phrase to record: `awal corpus phrases`.
#[derive(serde::Serialize)]
struct PhraseRow<'c> {
    name: &'static str,
    /// What the recording must say (here in `says_lang`: the kiosk's text in
    /// that language, or French when it has none yet).
    says: &'c str,
    says_lang: String,
    recording: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Check every entry and form; exit 1 on any error (warnings list what awaits review).
    Check {
        /// Corpus directory (default: the session's corpus directory).
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Install a content pack (a folder laid out like corpora/, from a USB
    /// stick) into the corpus the kiosk loads, once it passes the checks of
    /// `check`; nothing changes if it does not.
    Install {
        /// The pack's folder.
        pack: PathBuf,
        /// Replace the installed files the pack changes (without it they are
        /// listed and nothing is installed).
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        json: bool,
    },
    /// Entries per country × language × domain: how many, reviewed, with a recording.
    Stats {
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The kiosk's own phrases to record in a language: each one's file name,
    /// what it says, and whether a usable recording is in place.
    Phrases {
        /// Language code (wol, zgh, fuc, ary…).
        #[arg(long)]
        lang: String,
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Find entries for a question, in any script.
    Search {
        question: String,
        /// Language of the question (ary, zgh, zgh-Latn, wol, fuc, fr, ar, en…).
        #[arg(long)]
        lang: Option<String>,
        /// Only entries for this country (MA, SN…).
        #[arg(long)]
        country: Option<String>,
        #[arg(long, value_parser = parse_domain)]
        domain: Option<Domain>,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn parse_domain(text: &str) -> Result<Domain, String> {
    Domain::ALL
        .into_iter()
        .find(|d| d.as_str() == text)
        .ok_or_else(|| format!("unknown domain `{text}` (one of: literacy, rights, paperwork, referral)"))
}

fn load(dir: Option<PathBuf>, session: &Session) -> anyhow::Result<(Corpus, Vec<awal::corpus::Problem>)> {
    let dir = dir.unwrap_or_else(|| session.corpus_dir.clone());
    Corpus::load(&dir).with_context(|| format!("loading the corpus at {}", dir.display()))
}

pub fn run(command: CorpusCommand, session: &Session) -> anyhow::Result<ExitCode> {
    match command {
        CorpusCommand::Check { dir, json } => {
            let (corpus, problems) = load(dir, session)?;
            let findings = check(&corpus, &problems);
            let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
            if json {
                print_json(&findings)?;
            } else {
                for finding in &findings {
                    let mark = if finding.severity == Severity::Error { "error" } else { "warn " };
                    println!("{mark}  {}: {}", finding.path.display(), finding.message);
                }
                println!(
                    "{} entries, {} forms: {errors} errors, {} warnings",
                    corpus.entries.len(),
                    corpus.forms.len(),
                    findings.len() - errors
                );
            }
            Ok(if errors == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        CorpusCommand::Install { pack, replace, json } => {
            let installed = install(&pack, &session.corpus_dir, replace)?;
            if json {
                print_json(&installed)?;
            } else {
                for (mark, files) in [("added   ", &installed.added), ("replaced", &installed.replaced)] {
                    for file in files {
                        println!("{mark}  {}", file.display());
                    }
                }
                println!(
                    "installed into {}: {} added, {} replaced, {} unchanged; {} warnings (awal corpus check lists them)",
                    session.corpus_dir.display(),
                    installed.added.len(),
                    installed.replaced.len(),
                    installed.unchanged,
                    installed.warnings
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Stats { dir, json } => {
            let (corpus, _) = load(dir, session)?;
            let rows = stats::stats(&corpus);
            if json {
                print_json(&rows)?;
            } else {
                print!("{}", stats::render(&rows));
            }
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Phrases { lang, dir, json } => {
            let (corpus, problems) = load(dir, session)?;
            let lang = lang.parse::<LangTag>()?;
            let rows: Vec<PhraseRow> = Phrase::ALL
                .into_iter()
                .filter_map(|which| {
                    let name = which.clip_name()?;
                    let (says, says_lang) = phrase(which, &lang, &corpus.languages);
                    let recording = corpus.phrase_clip(lang.language, name).map(|p| p.to_path_buf());
                    Some(PhraseRow { name, says, says_lang: says_lang.to_string(), recording })
                })
                .collect();
            if json {
                print_json(&rows)?;
            } else {
                let folder = corpus.root.join("phrases").join(lang.language.as_str());
                for row in &rows {
                    let mark = if row.recording.is_some() { "recorded" } else { "missing " };
                    let says = row.says.replace("{choices}", "(this kiosk's languages and their buttons)");
                    println!("{mark}  {:<18} [{}] {says}", row.name, row.says_lang);
                }
                for problem in problems.iter().filter(|p| p.path.starts_with(&folder)) {
                    println!("broken    {}: {}", problem.path.display(), problem.message);
                }
                let recorded = rows.iter().filter(|r| r.recording.is_some()).count();
                println!("{recorded} of {} recorded in {} (NAME.wav, any sample rate)", rows.len(), folder.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Search { question, lang, country, domain, limit, json } => {
            let (corpus, problems) = load(None, session)?;
            for problem in &problems {
                eprintln!("skipped {}: {}", problem.path.display(), problem.message);
            }
            let lang = lang.map(|l| l.parse::<LangTag>()).transpose()?;
            let index = Index::build(&corpus);
            let query = Query { text: &question, lang, country: country.as_deref(), domain, limit };
            let hits = index.search(&query);
            if json {
                print_json(&hits)?;
            } else {
                for hit in &hits {
                    println!(
                        "{:>6.2}  {:>4.0}%  {:<40} [{}] {}",
                        hit.score,
                        hit.coverage * 100.0,
                        hit.id,
                        hit.lang,
                        hit.title
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

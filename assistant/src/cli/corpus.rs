use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use awal::corpus::check::{check, Severity};
use awal::corpus::install::{install, install_signed, rollback, Installed};
use awal::corpus::pack;
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
    /// Install a content pack into the corpus the kiosk loads: a signed
    /// pack (PACK.zip beside PACK.zip.minisig, by a key awal.toml trusts,
    /// newer than the one installed), or with --unsigned a folder laid out
    /// like corpora/. It must pass the checks of `check`; nothing changes if
    /// it does not. The content it replaces is kept for `rollback`.
    Install {
        /// The signed pack's zip, or (with --unsigned) a folder.
        pack: PathBuf,
        /// Replace the installed files the pack changes (without it they are
        /// listed and nothing is installed).
        #[arg(long)]
        replace: bool,
        /// Install a folder nobody signed (content made on this kiosk).
        #[arg(long)]
        unsigned: bool,
        #[arg(long)]
        json: bool,
    },
    /// Sign the corpus as a content pack for other kiosks: OUT (a zip) and
    /// OUT.minisig, with a minisign secret key (`minisign -G` makes one; the
    /// password of an encrypted key is read from standard input).
    Pack {
        /// The pack to write, e.g. /media/usb/awal-pack.zip.
        out: PathBuf,
        /// The publisher's minisign secret key.
        #[arg(long)]
        key: PathBuf,
        /// The pack's sequence number: a kiosk refuses a pack older than the
        /// one it has from the same key (default: now, in seconds since 1970).
        #[arg(long)]
        sequence: Option<u64>,
        /// The corpus to pack (default: the session's corpus directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Go back to the content the last install replaced (run again to undo).
    Rollback,
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
        CorpusCommand::Install { pack, replace, unsigned, json } => {
            let installed = if pack.is_dir() {
                if !unsigned {
                    anyhow::bail!(
                        "{}: a folder is an unsigned pack; install it only if you trust where it comes from, with \
                         --unsigned (a publisher's signed pack is a .zip beside its .minisig)",
                        pack.display()
                    );
                }
                install(&pack, &session.corpus_dir, replace)?
            } else {
                install_signed(&pack, &session.corpus_dir, &session.config.packs.trusted_keys, replace)?
            };
            print_installed(&installed, session, json)?;
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Pack { out, key, sequence, dir, json } => {
            let dir = dir.unwrap_or_else(|| session.corpus_dir.clone());
            let password = read_key_password(&key)?;
            let sequence = sequence.unwrap_or_else(|| jiff::Timestamp::now().as_second().max(0) as u64);
            let made = pack::make(&dir, &out, &key, password, sequence)?;
            if json {
                print_json(&made)?;
            } else {
                println!(
                    "{}: {} files ({} bytes), pack {} signed by key {}; signature {}",
                    made.pack.display(),
                    made.files,
                    made.bytes,
                    made.record.sequence,
                    made.record.key_id,
                    made.signature.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Rollback => {
            let kept = rollback(&session.corpus_dir)?;
            println!(
                "{}: back to the content before the last install (the newer one is kept at {}; rollback again to \
                 return to it)",
                session.corpus_dir.display(),
                kept.display()
            );
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

fn print_installed(installed: &Installed, session: &Session, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(installed);
    }
    for (mark, files) in [("added   ", &installed.added), ("replaced", &installed.replaced)] {
        for file in files {
            println!("{mark}  {}", file.display());
        }
    }
    if let Some(record) = &installed.pack {
        println!("pack {} signed by key {}", record.sequence, record.key_id);
    }
    println!(
        "installed into {}: {} added, {} replaced, {} unchanged; {} warnings (awal corpus check lists them)",
        session.corpus_dir.display(),
        installed.added.len(),
        installed.replaced.len(),
        installed.unchanged,
        installed.warnings
    );
    if let Some(previous) = &installed.previous {
        println!("the content before is kept at {} (awal corpus rollback)", previous.display());
    }
    Ok(())
}

/// The password of an encrypted minisign key, from standard input (one
/// line); none for a key made without one (`minisign -G -W`).
fn read_key_password(key: &std::path::Path) -> anyhow::Result<Option<String>> {
    if !pack::key_has_password(key)? {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the key's password from standard input")?;
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

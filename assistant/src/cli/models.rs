use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde::Serialize;

use awal::asr::ctc;
use awal::asr::WeightPrecision;
use awal::models::fetch::default_cache_dir;
use awal::models::import;
use awal::models::{fetch_model, FetchOptions, FetchOutcome, ModelEntry, Source};

use super::{print_json, Session};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Models of the manifest and installed models, with their state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download, verify (sha256), convert and install models.
    Fetch {
        /// Model ids; none means the pack.
        ids: Vec<String>,
        /// A pack of the manifest (`default`, `asr`).
        #[arg(long, conflicts_with = "ids")]
        pack: Option<String>,
        /// Where to get the bytes (default: the config's `models.source`).
        #[arg(long, value_enum)]
        source: Option<Source>,
        /// Reinstall even if a complete install is present.
        #[arg(long)]
        force: bool,
        /// Download cache (default: $XDG_CACHE_HOME/awal, or AWAL_CACHE_DIR).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
        /// Accept a non-commercial licence (CC-BY-NC: MMS, some fine-tunes),
        /// shown before fetching.
        #[arg(long)]
        accept_licence: bool,
        /// Fetch files whose sha256 the manifest does not know, recording
        /// the hash seen.
        #[arg(long)]
        accept_unchecked: bool,
        #[arg(long)]
        json: bool,
    },
    /// Hash installed models against their install records.
    Verify {
        /// Model ids; none means every installed model.
        ids: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Register a model from a directory: Whisper (CTranslate2, Hugging Face or
    /// GGML), or a CTC recognizer (Hugging Face `Wav2Vec2ForCTC`: XLS-R, MMS
    /// with `adapter.<lang>.safetensors`), checked and registered for its languages.
    Import {
        dir: PathBuf,
        /// Id to install it under (default: from the directory name).
        #[arg(long)]
        id: Option<String>,
        /// A CTC recognizer's languages, as the model names them (repeatable;
        /// default: an MMS model's adapters, else its model card's `language:`).
        #[arg(long)]
        lang: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Install a copy of a Whisper model with its decoder quantised in a GGUF file
    /// (faster to load, a third smaller; candle backend only).
    Quantize {
        /// The installed Whisper model to quantise.
        id: String,
        #[arg(long, value_enum, default_value = "q8")]
        precision: WeightPrecision,
        /// Id of the new model (default: `<id>-<precision>`).
        #[arg(long = "as")]
        target: Option<String>,
    },
    /// Convert a CTranslate2 or Hugging Face Whisper directory into the installed
    /// layout (safetensors + config + tokenizer + whisper.cpp GGML) in OUTPUT.
    Convert { input: PathBuf, output: PathBuf },
}

pub fn run(command: ModelsCommand, session: &Session) -> anyhow::Result<ExitCode> {
    match command {
        ModelsCommand::List { json } => list(session, json),
        ModelsCommand::Fetch { ids, pack, source, force, cache_dir, accept_licence, accept_unchecked, json } => {
            let entries = selected(session, &ids, pack.as_deref())?;
            let options = FetchOptions {
                source: source.unwrap_or(session.config.models.source),
                cache_dir: cache_dir.unwrap_or_else(default_cache_dir),
                force,
                progress: !json && std::io::stderr().is_terminal(),
                accept_licence,
                accept_unchecked,
            };
            fetch(session, &entries, &options, json)
        }
        ModelsCommand::Verify { ids, json } => verify(session, ids, json),
        ModelsCommand::Import { dir, id, lang, json } => {
            let id = id.unwrap_or_else(|| import::id_from_dir(&dir));
            let model = if ctc::import::is_ctc_dir(&dir) {
                ctc::import::import(&dir, &id, &lang, &session.store)?
            } else {
                if !lang.is_empty() {
                    bail!("--lang is for CTC recognizers; {} is not a Wav2Vec2ForCTC directory", dir.display());
                }
                import::import(&dir, &id, &session.store)?
            };
            if json {
                print_json(&model.record)?;
            } else if model.record.languages.is_empty() {
                println!("imported {} into {}", model.record.id, model.dir.display());
            } else {
                let languages = model.record.languages.join(", ");
                println!("imported {} into {} for {languages}", model.record.id, model.dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Quantize { id, precision, target } => {
            let source = session.store.require(&id)?;
            let Some(dtype) = precision.ggml() else { bail!("f32 is not a quantisation: choose q8 or q4k") };
            let target = target.unwrap_or_else(|| format!("{id}-{precision:?}").to_lowercase());
            let model = import::quantize(&source, &target, dtype, &session.store)?;
            println!("installed {} ({:?} decoder) in {}", model.record.id, dtype, model.dir.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Convert { input, output } => {
            std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
            let layout = import::detect(&input)?;
            if let import::WhisperLayout::Ggml(_) = layout {
                bail!("a GGML model holds no tokenizer.json: it cannot be converted back");
            }
            import::convert_into(&input, &layout, &output)?;
            println!("converted {} into {}", input.display(), output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn selected<'m>(session: &'m Session, ids: &[String], pack: Option<&str>) -> anyhow::Result<Vec<&'m ModelEntry>> {
    if ids.is_empty() {
        return Ok(session.manifest.pack(pack.unwrap_or("default"))?);
    }
    ids.iter()
        .map(|id| session.manifest.model(id).ok_or_else(|| awal::models::ModelError::UnknownModel(id.clone()).into()))
        .collect()
}

#[derive(Serialize)]
struct ListRow<'a> {
    id: &'a str,
    role: String,
    installed: bool,
    in_manifest: bool,
    description: &'a str,
    licence: Option<&'a str>,
    noncommercial: bool,
    languages: &'a [String],
    download_bytes: Option<u64>,
}

fn list(session: &Session, json: bool) -> anyhow::Result<ExitCode> {
    let mut rows: Vec<ListRow> = session
        .manifest
        .models
        .iter()
        .map(|m| ListRow {
            id: &m.id,
            role: format!("{:?}", m.role).to_lowercase(),
            installed: session.store.is_complete(&m.id),
            in_manifest: true,
            description: &m.description,
            licence: Some(&m.licence),
            noncommercial: m.noncommercial,
            languages: &m.languages,
            download_bytes: m.download_size(),
        })
        .collect();
    let installed = session.store.list();
    for model in &installed {
        if session.manifest.model(&model.record.id).is_none() {
            rows.push(ListRow {
                id: &model.record.id,
                role: format!("{:?}", model.record.role).to_lowercase(),
                installed: true,
                in_manifest: false,
                description: "imported",
                licence: None,
                noncommercial: false,
                languages: &model.record.languages,
                download_bytes: None,
            });
        }
    }
    if json {
        print_json(&rows)?;
    } else {
        println!("models in {}", session.store.root().display());
        for row in rows {
            let state = if row.installed { "installed" } else { "-" };
            let size = row.download_bytes.map(|b| format!("{:.0} MB", b as f64 / 1e6)).unwrap_or_default();
            println!("  {:<28} {:<8} {:<10} {:>7}  {}", row.id, row.role, state, size, row.description);
            if let Some(licence) = row.licence {
                let noncommercial = if row.noncommercial { ", non-commercial use only" } else { "" };
                println!("  {:<28} licence {licence}{noncommercial}; languages {}", "", row.languages.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct FetchRow<'a> {
    id: &'a str,
    #[serde(flatten)]
    outcome: FetchOutcome,
}

fn fetch(session: &Session, entries: &[&ModelEntry], options: &FetchOptions, json: bool) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    for entry in entries {
        if !json && !session.store.is_complete(&entry.id) {
            let size = entry.download_size().map_or("size unknown".into(), |b| format!("{:.0} MB", b as f64 / 1e6));
            eprintln!("fetching {} ({size}), licence {}", entry.id, entry.licence);
        }
        let outcome = fetch_model(entry, &session.store, options).with_context(|| format!("fetching {}", entry.id))?;
        if !json {
            match &outcome {
                FetchOutcome::AlreadyInstalled => {
                    println!("{}: already installed, nothing to do", entry.id)
                }
                FetchOutcome::Installed { source } => {
                    println!("{}: installed from {source}, verified", entry.id)
                }
            }
        }
        rows.push(FetchRow { id: &entry.id, outcome });
    }
    if json {
        print_json(&rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(session: &Session, ids: Vec<String>, json: bool) -> anyhow::Result<ExitCode> {
    let ids = if ids.is_empty() { session.store.list().into_iter().map(|m| m.record.id).collect() } else { ids };
    if ids.is_empty() {
        bail!("no model is installed in {}", session.store.root().display());
    }
    let mut reports = Vec::new();
    for id in &ids {
        reports.push(session.store.verify(id, None)?);
    }
    let ok = reports.iter().all(|r| r.ok());
    if json {
        print_json(&reports)?;
    } else {
        for report in &reports {
            if report.ok() {
                println!("{}: ok", report.id);
            } else {
                for problem in &report.problems {
                    println!("{}: {problem}", report.id);
                }
                println!("{}: fetch it again: run `awal models fetch {} --force`", report.id, report.id);
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

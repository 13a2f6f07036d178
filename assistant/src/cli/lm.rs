use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde::Serialize;

use awal::lm::GgufFile;

use super::{print_json, Session};

#[derive(Debug, Subcommand)]
pub enum LmCommand {
    /// Token ids of a text, with the tokenizer stored in the model's GGUF file.
    Tokenize {
        text: String,
        /// Model id (default: the configured language model).
        #[arg(long)]
        model: Option<String>,
        /// Prepend BOS when the model asks for it.
        #[arg(long)]
        bos: bool,
        /// Recognise control tokens such as <|im_start|> written in the text.
        #[arg(long)]
        special: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct Tokenized {
    model: String,
    ids: Vec<u32>,
    pieces: Vec<String>,
}

pub fn run(command: LmCommand, session: &Session) -> anyhow::Result<ExitCode> {
    match command {
        LmCommand::Tokenize { text, model, bos, special, json } => {
            let (id, path) = model_file(model, session)?;
            let gguf = GgufFile::open(&path)?;
            let tokenizer = gguf.tokenizer()?;
            let ids = tokenizer.encode(&text, bos, special)?;
            let pieces = ids.iter().map(|&i| String::from_utf8_lossy(&tokenizer.token_bytes(i)).into_owned()).collect();
            let out = Tokenized { model: id, ids, pieces };
            if json {
                print_json(&out)?;
            } else {
                println!("{}", out.ids.iter().map(u32::to_string).collect::<Vec<_>>().join(" "));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The GGUF file of `model`, or of the configured language model.
/// The language model chosen by a `--lm` option: `default` (the configured
/// one), `none`, or a model id.
pub fn chosen_model(choice: &str, session: &Session) -> anyhow::Result<Option<awal::lm::GgufModel>> {
    let file = match choice {
        "none" => return Ok(None),
        "default" => model_file(None, session)?,
        id => model_file(Some(id.to_string()), session)?,
    };
    Ok(Some(awal::lm::GgufModel::load(&file.1)?))
}

pub fn model_file(model: Option<String>, session: &Session) -> anyhow::Result<(String, PathBuf)> {
    let id = model.unwrap_or_else(|| session.config.models.lm.clone());
    let installed = session.store.require(&id)?;
    Ok((id.clone(), GgufFile::find_in(&installed.dir)?))
}

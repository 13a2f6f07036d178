//! `awal models import DIR` for a Hugging Face `Wav2Vec2ForCTC` directory
//! (`config.json`, `model.safetensors`, `vocab.json`, optionally the
//! preprocessor and tokenizer settings and MMS `adapter.<lang>.safetensors`):
//! the checkpoint is loaded once for its first language, so a missing or
//! misshapen tensor, a vocabulary that does not fit the head or an unsupported
//! configuration is refused naming its file; every other language's adapter is
//! checked tensor by tensor. Then the files are installed as a `ctc` model
//! whose record lists its languages, which the language table reads. A
//! checkpoint published as `pytorch_model.bin` only is converted to
//! safetensors first, and the converted copy is what gets checked.
//!
//! The languages: those given, each checked against the directory; else, for
//! an MMS vocabulary, every language with both a vocabulary and an adapter;
//! else the `language:` of the model card's front matter (`README.md`).

use std::fs;
use std::path::Path;

use crate::models::convert::pytorch;
use crate::models::fetch::PYTORCH_CHECKPOINT;
use crate::models::install::{InstalledModel, ModelStore, Origin};
use crate::models::{ModelError, Role};

use super::network::adapter_tensors;
use super::{read_json, CtcConfig, CtcError, CtcModel, VocabularyFile, WeightFile, KIOSK_PRECISION};

/// Files of a checkpoint that are installed when present, beside its adapters.
const FILES: [&str; 6] = [
    "config.json",
    "model.safetensors",
    "vocab.json",
    "preprocessor_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
];

/// Whether `dir` holds a wav2vec2-family checkpoint (`model_type` `wav2vec2`
/// or a `Wav2Vec2ForCTC` architecture in its `config.json`).
pub fn is_ctc_dir(dir: &Path) -> bool {
    let Ok(config) = read_json(&dir.join("config.json")) else {
        return false;
    };
    let model_type = config.get("model_type").and_then(|t| t.as_str());
    let ctc_architecture = config
        .get("architectures")
        .and_then(|a| a.as_array())
        .is_some_and(|a| a.iter().any(|name| name.as_str() == Some("Wav2Vec2ForCTC")));
    model_type == Some("wav2vec2") || ctc_architecture
}

/// Checks the checkpoint in `dir` for `languages` (all it has when empty) and
/// returns the languages it serves.
pub fn check(dir: &Path, languages: &[String]) -> Result<Vec<String>, CtcError> {
    let vocab_file = dir.join("vocab.json");
    let vocabularies = VocabularyFile::read(&vocab_file)?;
    let languages = match &vocabularies {
        VocabularyFile::PerLanguage(_) => {
            let mut available: Vec<String> = vocabularies
                .languages()
                .into_iter()
                .filter(|lang| dir.join(format!("adapter.{lang}.safetensors")).is_file())
                .collect();
            // An MMS fine-tune for one language carries its adapter in the checkpoint.
            if available.is_empty() && vocabularies.languages().len() == 1 {
                available = vocabularies.languages();
            }
            if let Some(unknown) = languages.iter().find(|lang| !available.contains(lang)) {
                return Err(CtcError::UnknownLanguage {
                    dir: dir.to_path_buf(),
                    lang: unknown.clone(),
                    available: available.join(", "),
                });
            }
            if languages.is_empty() {
                available
            } else {
                languages.to_vec()
            }
        }
        VocabularyFile::Single(_) if !languages.is_empty() => languages.to_vec(),
        VocabularyFile::Single(_) => card_languages(&dir.join("README.md")),
    };
    let Some(first) = languages.first() else {
        return Err(CtcError::NoLanguage { dir: dir.to_path_buf() });
    };
    let per_language = matches!(vocabularies, VocabularyFile::PerLanguage(_));
    // Loaded as the kiosk will load it: q8_0 also keeps a 300M model's check
    // within a Pi's memory (~0.4 GB instead of 1.3 GB in f32).
    let model = CtcModel::load(dir, per_language.then_some(first.as_str()), KIOSK_PRECISION)?;
    if per_language {
        for lang in languages[1..].iter() {
            check_adapter(dir, model.config(), &vocabularies, lang)?;
        }
    }
    Ok(languages)
}

/// Loads every tensor of `lang`'s adapter at the shape the base's config and
/// the language's vocabulary imply.
fn check_adapter(dir: &Path, config: &CtcConfig, vocabularies: &VocabularyFile, lang: &str) -> Result<(), CtcError> {
    let vocabulary = vocabularies.for_language(Some(lang)).expect("languages come from the vocabulary");
    let adapter = WeightFile::open(&dir.join(format!("adapter.{lang}.safetensors")))?;
    for (name, shape) in adapter_tensors(config, vocabulary.len()) {
        adapter.tensor(&name, &shape)?;
    }
    Ok(())
}

/// The `language:` of a model card's YAML front matter: `language: wo`, or a
/// list of `- wo` lines under it.
fn card_languages(card: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(card) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("---") {
        return Vec::new();
    }
    let front: Vec<&str> = lines.take_while(|line| line.trim() != "---").collect();
    let Some(at) = front.iter().position(|line| line.starts_with("language:")) else {
        return Vec::new();
    };
    let inline = front[at]["language:".len()..].trim().trim_matches(['[', ']']);
    if !inline.is_empty() {
        return inline.split(',').map(|code| code.trim().trim_matches(['"', '\'']).to_string()).collect();
    }
    front[at + 1..]
        .iter()
        .map_while(|line| line.trim_start().strip_prefix("- "))
        .map(|code| code.trim().trim_matches(['"', '\'']).to_string())
        .collect()
}

/// Checks the checkpoint in `dir` and installs it as `id` for `languages`
/// (see [`check`]): its files and the adapters of those languages.
pub fn import(dir: &Path, id: &str, languages: &[String], store: &ModelStore) -> Result<InstalledModel, CtcError> {
    let mut staging = store.stage(id)?;
    let bin = dir.join(PYTORCH_CHECKPOINT);
    let checked = if !dir.join("model.safetensors").is_file() && bin.is_file() {
        for name in FILES.iter().filter(|name| **name != "model.safetensors") {
            copy_if_present(dir, staging.path(), name)?;
        }
        for adapter in adapter_files(dir)? {
            copy_if_present(dir, staging.path(), &adapter)?;
        }
        pytorch::to_safetensors(&bin, &staging.path().join("model.safetensors"))?;
        check(staging.path(), languages)?
    } else {
        let checked = check(dir, languages)?;
        for name in FILES {
            copy_if_present(dir, staging.path(), name)?;
        }
        checked
    };
    // Only the adapters of the languages it is registered for.
    for adapter in adapter_files(staging.path())? {
        let path = staging.path().join(&adapter);
        if !checked.iter().any(|lang| adapter == format!("adapter.{lang}.safetensors")) {
            fs::remove_file(&path).map_err(ModelError::io(&path))?;
        }
    }
    for lang in &checked {
        let name = format!("adapter.{lang}.safetensors");
        if !staging.path().join(&name).is_file() {
            copy_if_present(dir, staging.path(), &name)?;
        }
    }
    staging.set_languages(checked);
    let origin = Origin::Import { path: dir.display().to_string(), detected_format: "wav2vec2-ctc".into() };
    Ok(store.commit(staging, Role::Ctc, origin)?)
}

fn copy_if_present(from: &Path, to: &Path, name: &str) -> Result<(), ModelError> {
    let source = from.join(name);
    if source.is_file() {
        fs::copy(&source, to.join(name)).map_err(ModelError::io(&source))?;
    }
    Ok(())
}

/// The names of the `adapter.<lang>.safetensors` files in `dir`.
fn adapter_files(dir: &Path) -> Result<Vec<String>, ModelError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(ModelError::io(dir))?
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.starts_with("adapter.") && name.ends_with(".safetensors"))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_card_languages_inline_or_listed() {
        let dir = tempfile::tempdir().unwrap();
        let card = dir.path().join("README.md");
        for (text, expected) in [
            ("---\nlicense: mit\nlanguage: wo\ntags:\n- asr\n---\n# x", vec!["wo"]),
            ("---\nlanguage:\n- wo\n- ff\nlicense: mit\n---\n", vec!["wo", "ff"]),
            ("---\nlanguage: [\"wo\", fr]\n---\n", vec!["wo", "fr"]),
            ("# no front matter\nlanguage: wo\n", vec![]),
        ] {
            fs::write(&card, text).unwrap();
            assert_eq!(card_languages(&card), expected, "{text}");
        }
        assert!(card_languages(&dir.path().join("absent.md")).is_empty());
    }
}

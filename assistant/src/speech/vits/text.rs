//! Text to token ids as MMS-TTS's `VitsTokenizer` does (normalize on,
//! phonemize off): each character lowercased unless the vocabulary has it as
//! written, characters outside the vocabulary dropped (the models are trained
//! on unpunctuated text), the ends trimmed, and token 0 put between
//! characters and at both ends (`add_blank`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::VitsError;

/// The token tables of `vocab.json` and the switches of `tokenizer_config.json`.
#[derive(Debug, Clone)]
pub struct TextTokens {
    /// Single-character tokens (the only ones text can produce: transformers
    /// filters the normalised text character by character).
    vocabulary: HashMap<char, u32>,
    add_blank: bool,
    normalize: bool,
    /// The model wants romanised text (`is_uroman`): non-Latin letters are
    /// not in its vocabulary and are dropped like any other.
    uroman: bool,
}

/// What tokenizing kept and left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokenized {
    pub ids: Vec<u32>,
    /// Distinct characters dropped for being outside the vocabulary (spaces
    /// and punctuation included).
    pub dropped: BTreeSet<char>,
}

impl TextTokens {
    /// `vocab.json` and, if present, `tokenizer_config.json` in `dir`;
    /// `vocab_size`: the embedding rows the ids must fit.
    pub fn read(dir: &Path, vocab_size: usize) -> Result<Self, VitsError> {
        let vocab_file = dir.join("vocab.json");
        let fail = |message: String| VitsError::Vocabulary { file: vocab_file.clone(), message };
        let text = std::fs::read_to_string(&vocab_file).map_err(|e| fail(e.to_string()))?;
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| fail(format!("not a JSON object of token → id: {e}")))?;
        let mut vocabulary = HashMap::with_capacity(raw.len());
        let mut has_zero = false;
        for (token, id) in raw {
            let id = id.as_u64().ok_or_else(|| fail(format!("token {token:?} has id {id}, not a whole number")))?;
            if id as usize >= vocab_size {
                return Err(fail(format!(
                    "token {token:?} has id {id}, past config.json's vocab_size {vocab_size}: a vocabulary for another model"
                )));
            }
            has_zero |= id == 0;
            let mut chars = token.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                vocabulary.entry(c).or_insert(id as u32);
            }
        }
        if !has_zero {
            return Err(fail("no token has id 0 (the one put between characters)".into()));
        }
        let settings = Settings::read(&dir.join("tokenizer_config.json"))?;
        Ok(Self { vocabulary, add_blank: settings.add_blank, normalize: settings.normalize, uroman: settings.uroman })
    }

    pub fn language(dir: &Path) -> Result<Option<String>, VitsError> {
        Ok(Settings::read(&dir.join("tokenizer_config.json"))?.language)
    }

    /// Whether the vocabulary has letters of `script` (an MMS-TTS voice
    /// reads one script: a Tamazight voice in Latin letters cannot read Tifinagh).
    pub fn reads(&self, script: crate::corpus::lang::Script) -> bool {
        self.vocabulary.keys().any(|&c| crate::corpus::lang::Script::of(c) == Some(script))
    }

    pub fn wants_romanised_text(&self) -> bool {
        self.uroman
    }

    pub fn tokenize(&self, text: &str) -> Tokenized {
        let mut kept = Vec::new();
        let mut dropped = BTreeSet::new();
        for c in text.chars() {
            // As written if the vocabulary has it so, else lowercased (as `normalize_text`).
            if let Some(&id) = self.vocabulary.get(&c) {
                kept.push((c, id));
                continue;
            }
            let lowered: Vec<char> = if self.normalize { c.to_lowercase().collect() } else { vec![c] };
            for l in lowered {
                match self.vocabulary.get(&l) {
                    Some(&id) => kept.push((l, id)),
                    None => {
                        dropped.insert(c);
                    }
                }
            }
        }
        // `.strip()` after the filtering: whitespace tokens at either end go.
        let start = kept.iter().position(|(c, _)| !c.is_whitespace()).unwrap_or(kept.len());
        let end = kept.iter().rposition(|(c, _)| !c.is_whitespace()).map_or(start, |e| e + 1);
        let ids: Vec<u32> = kept[start..end].iter().map(|(_, id)| *id).collect();
        let ids = if self.add_blank && !ids.is_empty() {
            std::iter::once(0).chain(ids.into_iter().flat_map(|id| [id, 0])).collect()
        } else {
            ids
        };
        Tokenized { ids, dropped }
    }
}

struct Settings {
    add_blank: bool,
    normalize: bool,
    uroman: bool,
    language: Option<String>,
}

impl Settings {
    fn read(file: &Path) -> Result<Self, VitsError> {
        let mut settings = Settings { add_blank: true, normalize: true, uroman: false, language: None };
        if !file.is_file() {
            return Ok(settings);
        }
        let fail = |message: String| VitsError::File { file: PathBuf::from(file), message };
        let text = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
        let flag = |key: &str, default: bool| value.get(key).and_then(|v| v.as_bool()).unwrap_or(default);
        if flag("phonemize", false) {
            return Err(fail(
                "phonemize is on: this voice reads phonemes from the `phonemizer` library, which Awal does not run; \
                 MMS-TTS voices read characters"
                    .into(),
            ));
        }
        settings.add_blank = flag("add_blank", true);
        settings.normalize = flag("normalize", true);
        settings.uroman = flag("is_uroman", false);
        settings.language = value.get("language").and_then(|v| v.as_str()).map(str::to_string);
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(vocab: &str) -> TextTokens {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("vocab.json"), vocab).unwrap();
        TextTokens::read(dir.path(), 64).unwrap()
    }

    #[test]
    fn lowercases_drops_what_it_cannot_say_and_puts_blanks_between() {
        let t = tokens(r#"{"k": 0, "a": 1, " ": 2, "ñ": 3}"#);
        let out = t.tokenize(" Ñak, ka! ");
        assert_eq!(out.ids, vec![0, 3, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0]);
        assert_eq!(out.dropped, BTreeSet::from([',', '!']));
        assert!(t.tokenize("?!").ids.is_empty());
    }

    #[test]
    fn bad_vocabularies_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for (vocab, says) in [
            (r#"["a", "b"]"#, "not a JSON object"),
            (r#"{"a": 1}"#, "id 0"),
            (r#"{"a": 0, "b": 99}"#, "vocab_size"),
            (r#"{"a": 0, "b": "x"}"#, "not a whole number"),
        ] {
            std::fs::write(dir.path().join("vocab.json"), vocab).unwrap();
            let error = TextTokens::read(dir.path(), 64).unwrap_err().to_string();
            assert!(error.contains("vocab.json") && error.contains(says), "{error}");
        }
    }
}

//! The CTC vocabulary (`vocab.json`): one token per output of the network's
//! head, by id. Two forms are published: flat (`{"a": 5, …}`, one language)
//! and, for MMS, nested by language (`{"wol": {"a": 5, …}, "ful": {…}}`),
//! one vocabulary per adapter.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::CtcError;

/// The tokens of one language, by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocabulary {
    tokens: Vec<String>,
}

impl Vocabulary {
    /// The vocabulary of `{token: id}`; ids must be 0, 1, … without gaps.
    fn from_map(map: &serde_json::Map<String, Value>, file: &Path) -> Result<Self, CtcError> {
        let bad = |message: String| CtcError::Vocabulary { file: file.to_path_buf(), message };
        let mut tokens = vec![None; map.len()];
        for (token, id) in map {
            let id = id.as_u64().ok_or_else(|| bad(format!("token {token:?} has id {id}, not a number")))? as usize;
            let slot = tokens
                .get_mut(id)
                .ok_or_else(|| bad(format!("token {token:?} has id {id}, past the {} tokens", map.len())))?;
            if let Some(other) = slot.replace(token.clone()) {
                return Err(bad(format!("tokens {other:?} and {token:?} share id {id}")));
            }
        }
        // Every id below the count is taken: a duplicate would have failed above.
        Ok(Self { tokens: tokens.into_iter().map(|t| t.expect("every id is filled")).collect() })
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn token(&self, id: usize) -> Option<&str> {
        self.tokens.get(id).map(String::as_str)
    }

    pub fn id(&self, token: &str) -> Option<usize> {
        self.tokens.iter().position(|t| t == token)
    }
}

/// A `vocab.json`: one vocabulary, or one per language.
#[derive(Debug, Clone, PartialEq)]
pub enum VocabularyFile {
    Single(Vocabulary),
    PerLanguage(BTreeMap<String, Vocabulary>),
}

impl VocabularyFile {
    pub fn read(file: &Path) -> Result<Self, CtcError> {
        let bad = |message: String| CtcError::Vocabulary { file: file.to_path_buf(), message };
        let text = std::fs::read_to_string(file).map_err(|e| bad(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let map = value.as_object().ok_or_else(|| bad("not a JSON object of tokens".into()))?;
        if map.is_empty() {
            return Err(bad("no tokens".into()));
        }
        if map.values().all(Value::is_object) {
            let languages = map
                .iter()
                .map(|(lang, tokens)| {
                    let tokens = tokens.as_object().expect("checked above");
                    Ok((lang.clone(), Vocabulary::from_map(tokens, file)?))
                })
                .collect::<Result<_, CtcError>>()?;
            return Ok(Self::PerLanguage(languages));
        }
        if map.values().any(Value::is_object) {
            return Err(bad("mixes tokens and per-language vocabularies".into()));
        }
        Ok(Self::Single(Vocabulary::from_map(map, file)?))
    }

    /// The vocabulary for `lang`: the only one, or that language's.
    pub fn for_language(&self, lang: Option<&str>) -> Option<&Vocabulary> {
        match (self, lang) {
            (Self::Single(vocabulary), _) => Some(vocabulary),
            (Self::PerLanguage(languages), Some(lang)) => languages.get(lang),
            (Self::PerLanguage(_), None) => None,
        }
    }

    /// The languages of a per-language file (empty for a single vocabulary).
    pub fn languages(&self) -> Vec<String> {
        match self {
            Self::Single(_) => Vec::new(),
            Self::PerLanguage(languages) => languages.keys().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<VocabularyFile, CtcError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vocab.json");
        std::fs::write(&file, text).unwrap();
        VocabularyFile::read(&file)
    }

    #[test]
    fn reads_flat_and_per_language_files() {
        let VocabularyFile::Single(flat) = read(r#"{"<pad>": 0, "|": 1, "a": 2}"#).unwrap() else { panic!("flat") };
        assert_eq!((flat.len(), flat.token(2), flat.id("|")), (3, Some("a"), Some(1)));
        let nested = read(r#"{"wol": {"<pad>": 0, "ë": 1}, "ful": {"<pad>": 0, "ɓ": 1, "|": 2}}"#).unwrap();
        assert_eq!(nested.languages(), ["ful", "wol"]);
        assert_eq!(nested.for_language(Some("ful")).unwrap().token(1), Some("ɓ"));
        assert!(nested.for_language(Some("eng")).is_none());
    }

    #[test]
    fn refuses_gaps_duplicates_and_other_shapes() {
        for (text, expected) in [
            (r#"{"a": 0, "b": 2}"#, "past the 2 tokens"),
            (r#"{"a": 0, "b": 0}"#, "share id 0"),
            (r#"{"a": "x"}"#, "not a number"),
            (r#"["a"]"#, "not a JSON object"),
            (r#"{"wol": {"a": 0}, "b": 1}"#, "mixes"),
            ("{}", "no tokens"),
        ] {
            let error = read(text).unwrap_err().to_string();
            assert!(error.contains(expected) && error.contains("vocab.json"), "{text}: {error}");
        }
    }
}

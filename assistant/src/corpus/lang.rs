//! Language tags of corpus texts and the script each one must be written in.
//!
//! A text key is a language code, optionally with a BCP 47 script subtag:
//! `zgh` is Tamazight in Tifinagh, `zgh-Latn` the same language in the Latin
//! (IRCAM) orthography, `ary` Darija in Arabic script, `ary-Latn` Darija in
//! Arabizi. Without a subtag the language's usual script applies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_script::{Script as UScript, UnicodeScript};

/// The writing systems corpus text may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Script {
    Latn,
    Arab,
    Tfng,
}

impl Script {
    fn code(self) -> &'static str {
        match self {
            Script::Latn => "Latn",
            Script::Arab => "Arab",
            Script::Tfng => "Tfng",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "Latn" => Some(Script::Latn),
            "Arab" => Some(Script::Arab),
            "Tfng" => Some(Script::Tfng),
            _ => None,
        }
    }

    /// The script of one character, or `None` for digits, punctuation and marks.
    pub fn of(ch: char) -> Option<Self> {
        match ch.script() {
            UScript::Latin => Some(Script::Latn),
            UScript::Arabic => Some(Script::Arab),
            UScript::Tifinagh => Some(Script::Tfng),
            _ => None,
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Languages of the corpus, with their ISO 639-3 (or 639-1) codes.
pub const LANGUAGES: [(&str, &str, Script); 10] = [
    ("ary", "Darija (Moroccan Arabic)", Script::Arab),
    ("zgh", "Standard Moroccan Tamazight", Script::Tfng),
    ("tzm", "Central Atlas Tamazight", Script::Tfng),
    ("shi", "Tashelhit", Script::Tfng),
    ("wol", "Wolof", Script::Latn),
    ("fuc", "Pulaar", Script::Latn),
    ("ff", "Fula", Script::Latn),
    ("fr", "French", Script::Latn),
    ("ar", "Arabic", Script::Arab),
    ("en", "English", Script::Latn),
];

/// A language with the script its text is written in, e.g. `zgh-Latn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangTag {
    pub language: &'static str,
    pub script: Script,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language tag `{tag}` (known: {known}; add -Latn, -Arab or -Tfng for another script)")]
pub struct UnknownLanguage {
    pub tag: String,
    known: String,
}

impl LangTag {
    /// The language's usual script, as used when the tag has no subtag.
    pub fn default_script(&self) -> Script {
        LANGUAGES.iter().find(|(code, _, _)| *code == self.language).map(|(_, _, s)| *s).unwrap_or(Script::Latn)
    }

    /// The language's name in English.
    pub fn name(&self) -> &'static str {
        LANGUAGES.iter().find(|(code, _, _)| *code == self.language).map(|(_, n, _)| *n).unwrap_or("")
    }
}

impl FromStr for LangTag {
    type Err = UnknownLanguage;

    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownLanguage {
            tag: tag.to_string(),
            known: LANGUAGES.iter().map(|(c, _, _)| *c).collect::<Vec<_>>().join(", "),
        };
        let (code, subtag) = match tag.split_once('-') {
            Some((code, subtag)) => (code, Some(subtag)),
            None => (tag, None),
        };
        let (language, _, default) = *LANGUAGES.iter().find(|(c, _, _)| *c == code).ok_or_else(unknown)?;
        let script = match subtag {
            None => default,
            Some(subtag) => Script::from_code(subtag).ok_or_else(unknown)?,
        };
        Ok(LangTag { language, script })
    }
}

impl fmt::Display for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.script == self.default_script() {
            f.write_str(self.language)
        } else {
            write!(f, "{}-{}", self.language, self.script)
        }
    }
}

/// How much of a text's letters are in each script.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScriptCounts {
    pub latin: usize,
    pub arabic: usize,
    pub tifinagh: usize,
}

impl ScriptCounts {
    pub fn of(text: &str) -> Self {
        let mut counts = Self::default();
        for ch in text.chars().filter(|c| c.is_alphabetic()) {
            match Script::of(ch) {
                Some(Script::Latn) => counts.latin += 1,
                Some(Script::Arab) => counts.arabic += 1,
                Some(Script::Tfng) => counts.tifinagh += 1,
                None => {}
            }
        }
        counts
    }

    fn count(&self, script: Script) -> usize {
        match script {
            Script::Latn => self.latin,
            Script::Arab => self.arabic,
            Script::Tfng => self.tifinagh,
        }
    }

    fn total(&self) -> usize {
        self.latin + self.arabic + self.tifinagh
    }

    /// The script with most letters, if any letter was seen.
    pub fn dominant(&self) -> Option<Script> {
        [Script::Latn, Script::Arab, Script::Tfng]
            .into_iter()
            .filter(|s| self.count(*s) > 0)
            .max_by_key(|s| self.count(*s))
    }

    /// Whether `script` carries the text. Acronyms and names in another script
    /// ("CNSS" inside Arabic) are normal, so up to a tenth of the letters may
    /// be foreign.
    pub fn is_written_in(&self, script: Script) -> bool {
        let total = self.total();
        total == 0 || self.count(script) * 10 >= total * 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_default_to_the_usual_script_and_accept_subtags() {
        let zgh: LangTag = "zgh".parse().unwrap();
        assert_eq!(zgh.script, Script::Tfng);
        let latin: LangTag = "zgh-Latn".parse().unwrap();
        assert_eq!(latin.script, Script::Latn);
        assert_eq!(latin.to_string(), "zgh-Latn");
        assert_eq!("ary".parse::<LangTag>().unwrap().script, Script::Arab);
        assert!("xx".parse::<LangTag>().is_err());
        assert!("ary-Cyrl".parse::<LangTag>().is_err());
    }

    #[test]
    fn script_share_tolerates_acronyms_but_not_a_wrong_script() {
        assert!(ScriptCounts::of("التسجيل في الصندوق الوطني للضمان الاجتماعي CNSS").is_written_in(Script::Arab));
        assert!(!ScriptCounts::of("azul fellawen").is_written_in(Script::Tfng));
        assert!(ScriptCounts::of("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ").is_written_in(Script::Tfng));
        assert!(ScriptCounts::of("Jërëjëf, ñaata la?").is_written_in(Script::Latn));
        assert!(ScriptCounts::of("Ɓiɗɗo ŋari ƴiiƴam").is_written_in(Script::Latn));
    }
}

//! Language tags of corpus texts and the script each one must be written in.
//!
//! A text key is a language code, optionally with a BCP 47 script subtag:
//! `zgh` is Tamazight in Tifinagh, `zgh-Latn` the same language in the Latin
//! (IRCAM) orthography, `ary` Darija in Arabic script, `ary-Latn` Darija in
//! Arabizi. Without a subtag the language's usual script applies. Which codes
//! exist, and their usual script, is data: [`super::languages`].

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
    pub fn code(self) -> &'static str {
        match self {
            Script::Latn => "Latn",
            Script::Arab => "Arab",
            Script::Tfng => "Tfng",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
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

/// A language code (ISO 639-1 or 639-3: `fr`, `ary`, `kab`), stored inline.
///
/// Languages are data (`corpora/languages/LANG.toml`), so a tag cannot hold a
/// `&'static str` from a compiled-in table. An inline code keeps [`LangTag`]
/// `Copy` and comparable without interning: nothing is leaked per parse, and
/// a code needs no registry to be compared or printed — only to be *known*
/// ([`LangTag::from_str`] asks [`super::languages`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangCode([u8; LangCode::MAX]);

impl LangCode {
    /// Longest code accepted (ISO codes have 2 or 3 letters).
    pub const MAX: usize = 8;

    /// `code` if it is 2 to 8 lowercase ASCII letters.
    pub fn new(code: &str) -> Option<Self> {
        let valid = (2..=Self::MAX).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
        valid.then(|| {
            let mut bytes = [0; Self::MAX];
            bytes[..code.len()].copy_from_slice(code.as_bytes());
            LangCode(bytes)
        })
    }

    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(Self::MAX);
        std::str::from_utf8(&self.0[..len]).expect("codes are ASCII")
    }
}

impl std::ops::Deref for LangCode {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for LangCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for LangCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for LangCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for LangCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for LangCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LangCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        LangCode::new(&code).ok_or_else(|| {
            serde::de::Error::custom(format!("`{code}` is not a language code (2 to 8 lowercase letters, like `wol`)"))
        })
    }
}

/// A language with the script its text is written in, e.g. `zgh-Latn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangTag {
    pub language: LangCode,
    pub script: Script,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown language tag `{tag}` (known: {known}; add -Latn, -Arab or -Tfng for another script; \
     a new language is a file in corpora/languages/)"
)]
pub struct UnknownLanguage {
    pub tag: String,
    known: String,
}

impl LangTag {
    /// The language's usual script, as used when the tag has no subtag.
    pub fn default_script(&self) -> Script {
        super::languages::default_script(self.language).unwrap_or(Script::Latn)
    }

    /// The same language without a script subtag: `ary-Latn` → `ary`.
    pub fn base(&self) -> LangTag {
        LangTag { language: self.language, script: self.default_script() }
    }
}

impl FromStr for LangTag {
    type Err = UnknownLanguage;

    /// Known languages are those of the built-in language files and of every
    /// corpus loaded by this process ([`super::languages::register`]).
    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownLanguage { tag: tag.to_string(), known: super::languages::known_codes().join(", ") };
        let (code, subtag) = match tag.split_once('-') {
            Some((code, subtag)) => (code, Some(subtag)),
            None => (tag, None),
        };
        let language = LangCode::new(code).ok_or_else(unknown)?;
        let default = super::languages::default_script(language).ok_or_else(unknown)?;
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
            f.write_str(&self.language)
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
        assert!("FR".parse::<LangTag>().is_err() && "".parse::<LangTag>().is_err());
        assert_eq!(latin.base().to_string(), "zgh");
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

//! The kiosk's languages as data: one file per language,
//! `corpora/languages/LANG.toml`, holding what a speaker of the language may
//! need to correct without a Rust build — its names, the command words, the
//! kiosk's phrases, the words of the form walk and of lessons, number words —
//! and what the machine can do with it (the Whisper language that hears it,
//! the espeak-ng voice that reads it, whether the language model simplifies
//! it). The format is in `corpora/README.md`.
//!
//! The committed files are built in (embedded at build time by `build.rs`); a
//! corpus directory's `languages/` adds languages or replaces built-in ones
//! when the corpus is loaded ([`Languages::load`]). A file that does not parse,
//! or whose texts cannot be completed through its `fallback` languages, is
//! reported and left out (the built-in one of the same code stays).
//!
//! Which codes exist is also needed where no corpus is at hand — parsing a
//! [`LangTag`], choosing an espeak-ng voice — so every loaded corpus
//! [`register`]s its languages with the process ([`known`]). A process loads
//! one corpus; if it loads several, the last one's files win.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, RwLock};

use serde::{Deserialize, Serialize};

use super::entry::Review;
use super::lang::{LangCode, LangTag, Script};
use super::Problem;

mod built_in {
    include!(concat!(env!("OUT_DIR"), "/languages.rs"));
}

/// One language file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// ISO 639 code, the file's name: `wol` in `wol.toml`.
    pub code: LangCode,
    /// The language's name in English.
    pub name: String,
    /// The script its text is written in when a tag has no subtag.
    pub script: Script,
    /// Every script the words in this file may be written in (default: `script`):
    /// Darija's command words are in Arabic letters and in Arabizi.
    #[serde(default)]
    pub scripts: Vec<Script>,
    /// What people call the language, in any language and script: saying one
    /// at the welcome chooses it.
    #[serde(default)]
    pub names: Vec<String>,
    /// How the kiosk says the language's name, per script of the voice.
    #[serde(default)]
    pub spoken_name: SpokenName,
    /// The language whose words the kiosk uses where this file has none.
    #[serde(default)]
    pub fallback: Option<LangCode>,
    /// The Whisper language that hears it (`ar` for Darija); absent: none does.
    #[serde(default)]
    pub whisper: Option<String>,
    /// The espeak-ng voice that reads it; absent: none does.
    #[serde(default)]
    pub espeak: Option<String>,
    /// The language model can rewrite its texts in simpler words.
    #[serde(default)]
    pub simplify: bool,
    /// Its command words are understood whatever the kiosk's language.
    #[serde(default)]
    pub commands_everywhere: bool,
    /// Politeness around a command ("s'il vous plaît"), dropped before matching.
    #[serde(default)]
    pub polite: Vec<String>,
    /// Hesitations and openings around a command ("euh", "vous pouvez", "can
    /// you"), dropped like politeness.
    #[serde(default)]
    pub fillers: Vec<String>,
    pub review: Review,
    #[serde(default)]
    pub commands: CommandWords,
    /// What the kiosk says, by phrase name (`welcome`, `dont-know`…).
    #[serde(default)]
    pub phrases: BTreeMap<String, String>,
    #[serde(default)]
    pub paperwork: PaperworkWords,
    /// The fixed words of a printed sheet (`documents::Sheet`).
    #[serde(default)]
    pub sheet: SheetWords,
    #[serde(default)]
    pub lesson: LessonWords,
    /// Number words, by the number they say (`2 = ["deux"]`, `80 = ["quatre
    /// vingt"]`): words add up, 100, 1000 and 1000000 multiply what comes
    /// before them (`words::numbers`).
    #[serde(default)]
    pub numbers: BTreeMap<String, Vec<String>>,
    /// Words that join the words of one number ("vingt et un", "alf w
    /// khamsmya"; Arabic's "و" is written onto the next word).
    #[serde(default)]
    pub number_joiners: Vec<String>,
    /// Month names, by the month's number (`3 = ["mars"]`).
    #[serde(default)]
    pub months: BTreeMap<String, Vec<String>>,
    /// The file it was read from; `None` for a built-in language.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpokenName {
    #[serde(rename = "Latn", default)]
    pub latin: Option<String>,
    #[serde(rename = "Arab", default)]
    pub arabic: Option<String>,
    #[serde(rename = "Tfng", default)]
    pub tifinagh: Option<String>,
}

impl SpokenName {
    pub fn get(&self, script: Script) -> Option<&str> {
        match script {
            Script::Latn => self.latin.as_deref(),
            Script::Arab => self.arabic.as_deref(),
            Script::Tfng => self.tifinagh.as_deref(),
        }
    }
}

/// The words that steer a conversation (`words::commands`), as said.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommandWords {
    #[serde(default)]
    pub repeat: Vec<String>,
    #[serde(default)]
    pub slower: Vec<String>,
    /// "I did not understand": the last answer in simpler words.
    #[serde(default)]
    pub simpler: Vec<String>,
    #[serde(default)]
    pub back: Vec<String>,
    #[serde(default)]
    pub stop: Vec<String>,
    #[serde(default)]
    pub yes: Vec<String>,
    #[serde(default)]
    pub no: Vec<String>,
}

/// What the form walk says around the fields (`skills::paperwork`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PaperworkWords {
    /// Before the value heard: "I noted: 12."
    pub noted: Option<String>,
    pub is_that_right: Option<String>,
    pub not_understood: Option<String>,
    /// Before the sheet is read back.
    pub here_is_the_sheet: Option<String>,
    pub is_everything_right: Option<String>,
    /// Followed by the number of fields: "…from 1 to 9."
    pub which_field: Option<String>,
    pub sheet_ready: Option<String>,
}

impl PaperworkWords {
    /// Every word of the walk, by key.
    pub fn all(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("noted", self.noted.as_deref()),
            ("is-that-right", self.is_that_right.as_deref()),
            ("not-understood", self.not_understood.as_deref()),
            ("here-is-the-sheet", self.here_is_the_sheet.as_deref()),
            ("is-everything-right", self.is_everything_right.as_deref()),
            ("which-field", self.which_field.as_deref()),
            ("sheet-ready", self.sheet_ready.as_deref()),
        ]
    }
}

/// The fixed words of a printed sheet.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SheetWords {
    /// "Brouillon n° {draft}".
    pub draft: Option<String>,
    /// "Établie le {date}".
    pub made_on: Option<String>,
    /// The date box's caption.
    pub date: Option<String>,
    /// The signature box's caption when the form names no signer.
    pub signature: Option<String>,
    /// "Préparée avec Awal : vérifiez chaque champ avant de signer."
    pub check: Option<String>,
}

impl SheetWords {
    /// Every word of the sheet, by key.
    pub fn all(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("draft", self.draft.as_deref()),
            ("made-on", self.made_on.as_deref()),
            ("date", self.date.as_deref()),
            ("signature", self.signature.as_deref()),
            ("check", self.check.as_deref()),
        ]
    }
}

/// Asking for a lesson, and the encouragement after an attempt.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LessonWords {
    /// Words that ask for a lesson ("apprendre", "نتعلم").
    #[serde(default)]
    pub request: Vec<String>,
    /// Words that ask for a lesson of words rather than letters.
    #[serde(default)]
    pub words: Vec<String>,
    /// Said after a right attempt.
    pub right: Option<String>,
    /// Said after a wrong attempt, the item in place of `{item}`.
    pub almost: Option<String>,
}

impl Language {
    /// The scripts the file's words may be written in.
    pub fn scripts(&self) -> Vec<Script> {
        let mut scripts = self.scripts.clone();
        if !scripts.contains(&self.script) {
            scripts.insert(0, self.script);
        }
        scripts
    }

    /// The tag of the language in its usual script.
    pub fn tag(&self) -> LangTag {
        LangTag { language: self.code, script: self.script }
    }

    /// Every text the kiosk may need from a language, by key (`phrases.welcome`,
    /// `paperwork.noted`, `lesson.right`) and whether this file has it.
    fn texts(&self) -> Vec<(String, bool)> {
        let mut texts = Vec::new();
        for key in PHRASE_KEYS {
            texts.push((format!("phrases.{key}"), self.phrases.contains_key(*key)));
        }
        for (key, word) in self.paperwork.all() {
            texts.push((format!("paperwork.{key}"), word.is_some()));
        }
        for (key, word) in self.sheet.all() {
            texts.push((format!("sheet.{key}"), word.is_some()));
        }
        texts.push(("lesson.right".into(), self.lesson.right.is_some()));
        texts.push(("lesson.almost".into(), self.lesson.almost.is_some()));
        texts
    }
}

/// The names of the kiosk's phrases, as in `words::phrases::Phrase::key`
/// (a unit test there keeps the two the same).
pub const PHRASE_KEYS: &[&str] = &[
    "welcome",
    "source",
    "unreviewed",
    "dont-know",
    "who-can-help",
    "goodbye",
    "nothing-to-repeat",
    "ask-again",
    "offer-form",
    "draft-kept",
    "document-failed",
    "ask-draft-number",
    "no-such-draft",
    "resumed",
    "choose-language",
    "no-voice-yet",
    "ask-card",
    "listen-repeat",
    "no-lesson",
    "not-heard",
    "lesson-kept",
    "simplified",
    "cannot-simplify",
    "confirm-repeat",
    "confirm-slower",
    "confirm-simpler",
    "confirm-back",
    "confirm-stop",
];

/// The languages of a corpus, by code.
#[derive(Debug, Clone)]
pub struct Languages {
    by_code: BTreeMap<LangCode, Arc<Language>>,
}

impl Default for Languages {
    fn default() -> Self {
        Self::built_in()
    }
}

impl Languages {
    /// The committed language files, embedded at build time.
    pub fn built_in() -> Self {
        let mut by_code = BTreeMap::new();
        for (name, text) in built_in::BUILT_IN {
            let language = parse(name, text).unwrap_or_else(|e| panic!("built-in corpora/languages/{name}: {e}"));
            by_code.insert(language.code, Arc::new(language));
        }
        Languages { by_code }
    }

    /// The built-in languages, then `root/languages/*.toml` adding or replacing
    /// them. Files that cannot be used are left out and returned as problems.
    pub fn load(root: &Path) -> (Self, Vec<Problem>) {
        let built_in = Self::built_in();
        let mut languages = built_in.clone();
        let mut problems = Vec::new();
        let dir = root.join("languages");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|path| path.extension().is_some_and(|e| e == "toml"));
        files.sort();
        for path in files {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            // A symbolic link out of the corpus is not read (its error would quote the file).
            if let Err(e) = super::paths::confine(root, Path::new("languages").join(&name).as_path()) {
                problems.push(Problem { path, message: format!("{e}: it is left out") });
                continue;
            }
            let parsed = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}")).and_then(|text| {
                let language = parse(&name, &text)?;
                Ok(language)
            });
            match parsed {
                Ok(mut language) => {
                    language.source = Some(path);
                    languages.by_code.insert(language.code, Arc::new(language));
                }
                Err(message) => problems.push(Problem { path, message }),
            }
        }
        // A language whose texts cannot all be found through its fallbacks
        // would leave the kiosk without words: it is left out. Leaving one out
        // can break another's chain, hence the loop.
        loop {
            let broken: Vec<(LangCode, String)> = languages
                .by_code
                .values()
                .filter(|language| language.source.is_some())
                .filter_map(|language| Some((language.code, languages.incomplete(language)?)))
                .collect();
            if broken.is_empty() {
                break;
            }
            for (code, message) in broken {
                let language = languages.by_code.remove(&code).expect("listed above");
                let kept = match built_in.by_code.get(&code) {
                    Some(original) => {
                        languages.by_code.insert(code, original.clone());
                        "the built-in file is used instead"
                    }
                    None => "the language is left out",
                };
                let path = language.source.clone().expect("only corpus files are checked");
                problems.push(Problem { path, message: format!("{message}; {kept}") });
            }
        }
        (languages, problems)
    }

    /// What is missing from `language`'s texts, its fallbacks included, or
    /// why its fallbacks cannot be followed.
    pub fn incomplete(&self, language: &Language) -> Option<String> {
        let chain = match self.chain(language.code) {
            Ok(chain) => chain,
            Err(message) => return Some(message),
        };
        let mut missing: Vec<String> = language
            .texts()
            .into_iter()
            .map(|(key, _)| key)
            .filter(|key| !chain.iter().any(|l| l.texts().iter().any(|(k, has)| k == key && *has)))
            .collect();
        if missing.is_empty() {
            return None;
        }
        let total = missing.len();
        missing.truncate(4);
        let more = if total > 4 { format!(" and {} more", total - 4) } else { String::new() };
        let through = chain.iter().map(|l| l.code.to_string()).collect::<Vec<_>>().join(" → ");
        Some(format!(
            "no {}{more} in {through}: write them, or set `fallback` to a language that has them",
            missing.join(", ")
        ))
    }

    /// `code`'s language and its fallbacks, in order; an error names an
    /// unknown fallback or a loop.
    pub fn chain(&self, code: LangCode) -> Result<Vec<&Language>, String> {
        let mut chain: Vec<&Language> = Vec::new();
        let mut next = Some(code);
        while let Some(code) = next {
            if chain.iter().any(|l| l.code == code) {
                let path = chain.iter().map(|l| l.code.to_string()).collect::<Vec<_>>().join(" → ");
                return Err(format!("`fallback` loops: {path} → {code}"));
            }
            let Some(language) = self.get(code) else {
                return Err(format!("`fallback`: no language `{code}` (known: {})", self.codes().join(", ")));
            };
            chain.push(language);
            next = language.fallback;
        }
        Ok(chain)
    }

    pub fn get(&self, code: LangCode) -> Option<&Language> {
        self.by_code.get(&code).map(Arc::as_ref)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Language> {
        self.by_code.values().map(Arc::as_ref)
    }

    pub fn codes(&self) -> Vec<String> {
        self.by_code.keys().map(LangCode::to_string).collect()
    }

    /// The first of `tag`'s language and its fallbacks that `pick` finds
    /// something in, with that language's code. A language this corpus does
    /// not define uses the complete languages' (those without a fallback).
    pub fn find<'a, T>(&'a self, tag: &LangTag, pick: impl Fn(&'a Language) -> Option<T>) -> Option<(T, LangCode)> {
        let from = |code: LangCode| self.chain(code).unwrap_or_default();
        let complete = self.iter().filter(|l| l.fallback.is_none()).map(|l| l.code);
        std::iter::once(tag.language)
            .chain(complete)
            .flat_map(from)
            .find_map(|language| pick(language).map(|found| (found, language.code)))
    }

    /// The phrase `key` in `tag`'s language, else in its fallbacks; the code
    /// of the language it is in.
    pub fn phrase(&self, key: &str, tag: &LangTag) -> Option<(&str, LangCode)> {
        self.find(tag, |language| language.phrases.get(key).map(String::as_str))
    }

    /// Whether `tag` is written in a language and script the language model
    /// simplifies (`simplify = true`: the default models write it well enough
    /// to be trusted with a rewrite, and the kiosk can check it — the other
    /// languages' texts are machine drafts already).
    pub fn can_simplify(&self, tag: &LangTag) -> bool {
        self.get(tag.language).is_some_and(|l| l.simplify && l.script == tag.script)
    }
}

fn parse(name: &str, text: &str) -> Result<Language, String> {
    // The limits of every content file (`corpus::limits`): a language file
    // comes from the same hands and the same USB sticks.
    if text.len() as u64 > super::limits::FILE_BYTES {
        return Err(format!("{} bytes (at most {})", text.len(), super::limits::FILE_BYTES));
    }
    let one_line = |e: toml::de::Error| e.to_string().trim_end().replace('\n', " ");
    let table: toml::Table = toml::from_str(text).map_err(one_line)?;
    if let Some(oversized) = super::limits::oversized(&table) {
        return Err(oversized);
    }
    let language: Language = toml::from_str(text).map_err(one_line)?;
    let stem = name.strip_suffix(".toml").unwrap_or(name);
    if language.code != stem {
        return Err(format!("code `{}` differs from the file name `{name}`: rename one", language.code));
    }
    Ok(language)
}

/// The languages this process knows: the built-in ones, then those of every
/// corpus loaded ([`register`]).
static KNOWN: LazyLock<RwLock<Languages>> = LazyLock::new(|| RwLock::new(Languages::built_in()));

/// Makes `languages` known to the process: their tags parse, their voices and
/// recognizers are found. Called by [`super::Corpus::load`].
pub fn register(languages: &Languages) {
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    for (code, language) in &languages.by_code {
        known.by_code.insert(*code, language.clone());
    }
}

/// The language `code` as known to the process (built in or registered).
pub fn known(code: &str) -> Option<Arc<Language>> {
    let code = LangCode::new(code)?;
    KNOWN.read().unwrap_or_else(|e| e.into_inner()).by_code.get(&code).cloned()
}

/// The codes known to the process.
pub fn known_codes() -> Vec<String> {
    KNOWN.read().unwrap_or_else(|e| e.into_inner()).codes()
}

pub(super) fn default_script(code: LangCode) -> Option<Script> {
    KNOWN.read().unwrap_or_else(|e| e.into_inner()).by_code.get(&code).map(|l| l.script)
}

/// Languages registered from the corpus at `root` (its problems are for
/// `awal corpus check` to report): what a command does before it parses tags.
pub fn register_dir(root: &Path) {
    register(&Languages::load(root).0);
}

/// Every word of a language file that must be in one of its scripts, with
/// where it is (for `awal corpus check`).
pub fn words(language: &Language) -> Vec<(String, &str)> {
    let mut words: Vec<(String, &str)> = Vec::new();
    let commands = &language.commands;
    for (key, forms) in [
        ("repeat", &commands.repeat),
        ("slower", &commands.slower),
        ("simpler", &commands.simpler),
        ("back", &commands.back),
        ("stop", &commands.stop),
        ("yes", &commands.yes),
        ("no", &commands.no),
    ] {
        words.extend(forms.iter().map(|w| (format!("commands.{key}"), w.as_str())));
    }
    words.extend(language.polite.iter().map(|w| ("polite".to_string(), w.as_str())));
    words.extend(language.fillers.iter().map(|w| ("fillers".to_string(), w.as_str())));
    words.extend(language.phrases.iter().map(|(k, w)| (format!("phrases.{k}"), w.as_str())));
    for (key, word) in language.paperwork.all() {
        words.extend(word.map(|w| (format!("paperwork.{key}"), w)));
    }
    for (key, word) in language.sheet.all() {
        words.extend(word.map(|w| (format!("sheet.{key}"), w)));
    }
    let lesson = &language.lesson;
    words.extend(lesson.request.iter().map(|w| ("lesson.request".to_string(), w.as_str())));
    words.extend(lesson.words.iter().map(|w| ("lesson.words".to_string(), w.as_str())));
    words.extend(lesson.right.iter().map(|w| ("lesson.right".to_string(), w.as_str())));
    words.extend(lesson.almost.iter().map(|w| ("lesson.almost".to_string(), w.as_str())));
    for (number, forms) in &language.numbers {
        words.extend(forms.iter().map(|w| (format!("numbers.{number}"), w.as_str())));
    }
    words.extend(language.number_joiners.iter().map(|w| ("number_joiners".to_string(), w.as_str())));
    for (month, forms) in &language.months {
        words.extend(forms.iter().map(|w| (format!("months.{month}"), w.as_str())));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> LangCode {
        LangCode::new(c).unwrap()
    }

    #[test]
    fn a_language_file_past_the_content_limits_is_refused() {
        let phrase = "x".repeat(super::super::limits::TEXT_BYTES + 1);
        let text = format!(
            "code = \"kab\"\nname = \"Kabyle\"\nscript = \"Latn\"\nreview = {{ status = \"draft\", by = \"t\" }}\n\
             [phrases]\nwelcome = \"{phrase}\""
        );
        assert!(parse("kab.toml", &text).unwrap_err().contains("`phrases.welcome` is"));
        let huge = format!("# {}\n", "x".repeat(super::super::limits::FILE_BYTES as usize));
        assert!(parse("kab.toml", &huge).unwrap_err().contains("bytes (at most"));
    }

    #[test]
    fn every_built_in_language_has_every_text_through_its_fallbacks() {
        let languages = Languages::built_in();
        assert_eq!(languages.codes(), ["ar", "ary", "en", "ff", "fr", "fuc", "shi", "tzm", "wol", "zgh"]);
        for language in languages.iter() {
            assert_eq!(languages.incomplete(language), None, "{}", language.code);
        }
    }

    #[test]
    fn texts_come_from_the_language_then_its_fallbacks() {
        let languages = Languages::built_in();
        let tag = |t: &str| t.parse::<LangTag>().unwrap();
        assert_eq!(languages.phrase("goodbye", &tag("ary-Latn")), Some(("بسلامة.", code("ary"))));
        assert_eq!(languages.phrase("goodbye", &tag("wol")), Some(("Au revoir.", code("fr"))));
        let noted = |t| languages.find(&tag(t), |l| l.paperwork.noted.as_deref());
        assert_eq!(noted("ary"), Some(("سجلت:", code("ar"))), "Darija's form walk is in Arabic");
        assert_eq!(noted("zgh-Latn"), Some(("J'ai noté :", code("fr"))));
        assert!(languages.can_simplify(&tag("fr")) && !languages.can_simplify(&tag("ary")));
        assert!(!languages.can_simplify(&tag("ar-Latn")));
    }

    #[test]
    fn a_corpus_adds_and_replaces_languages_and_leaves_out_broken_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("languages");
        std::fs::create_dir(&dir).unwrap();
        let kab = "code = \"kab\"\nname = \"Kabyle\"\nscript = \"Latn\"\nfallback = \"fr\"\n\
                   review = { status = \"machine-draft\" }\n[commands]\nyes = [\"ih\"]\n";
        std::fs::write(dir.join("kab.toml"), kab).unwrap();
        // Wolof without a fallback: its phrases cannot be completed.
        let wol = "code = \"wol\"\nname = \"Wolof\"\nscript = \"Latn\"\nreview = { status = \"draft\" }\n";
        std::fs::write(dir.join("wol.toml"), wol).unwrap();
        std::fs::write(dir.join("xyz.toml"), "code = \"xyz\"\nname = \"X\"\nscript = \"Latn\"\n").unwrap();
        let (languages, problems) = Languages::load(root.path());
        assert_eq!(languages.get(code("kab")).unwrap().commands.yes, ["ih"]);
        assert!(languages.get(code("kab")).unwrap().source.is_some());
        assert!(languages.get(code("wol")).unwrap().source.is_none(), "the built-in Wolof stays");
        assert!(languages.get(code("xyz")).is_none());
        let messages: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path.file_name().unwrap().to_string_lossy(), p.message))
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("wol.toml: no phrases.welcome")), "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("xyz.toml") && m.contains("review")), "{messages:?}");

        register(&languages);
        let kab: LangTag = "kab".parse().unwrap();
        assert_eq!((kab.script, kab.to_string()), (Script::Latn, "kab".to_string()));
        assert_eq!(languages.phrase("welcome", &kab).map(|(_, c)| c), Some(code("fr")));
    }
}

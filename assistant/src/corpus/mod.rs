//! Governed content: what Awal may say, where it comes from and who approved it.
//!
//! The corpus is a directory of TOML files (see [`entry`] and [`form`] for the
//! format): entries anywhere under it, forms under `forms/`, recordings where
//! the entries point, recordings of the kiosk's own phrases under `phrases/`,
//! the languages under `languages/` ([`languages`]). [`Corpus::load`] never fails on one bad file: it keeps the
//! others and reports the bad one as a [`Problem`], so a kiosk keeps serving
//! while `awal corpus check` ([`check`]) tells the editor what to fix, and
//! a content pack is installed only once it passes the same checks ([`install`]).
//! [`search::Index`] finds entries across scripts.

pub mod check;
pub mod entry;
pub mod form;
pub mod install;
pub mod lang;
pub mod languages;
pub mod limits;
pub mod normalize;
pub mod pack;
pub mod paths;
pub mod phrases;
pub mod search;
pub mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use entry::{Domain, Entry, ReviewStatus};
pub use form::Form;
pub use lang::{LangCode, LangTag};
pub use languages::{Language, Languages};
pub use search::{Hit, Index, Query};

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{path}: cannot read the corpus directory: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no entries for country `{country}` in {root}: its countries are {known}")]
    UnknownCountry { country: String, root: PathBuf, known: String },
}

/// A file that could not be loaded, and why.
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
}

/// The loaded corpus: every entry and form that parsed, keyed by id.
#[derive(Debug, Default)]
pub struct Corpus {
    pub root: PathBuf,
    pub entries: BTreeMap<String, Loaded<Entry>>,
    pub forms: BTreeMap<String, Loaded<Form>>,
    /// Recordings of the kiosk's own phrases ([`phrases`]).
    pub phrase_clips: phrases::PhraseClips,
    /// The kiosk's languages: the built-in ones and `languages/` ([`languages`]).
    pub languages: Languages,
}

/// A parsed file and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub path: PathBuf,
    pub item: T,
}

impl Corpus {
    /// Reads every `*.toml` under `root`. Files that do not parse, and second
    /// files with an id already seen, are skipped and returned as problems.
    /// The corpus's languages are registered with the process
    /// ([`languages::register`]): their tags parse from then on.
    pub fn load(root: &Path) -> Result<(Corpus, Vec<Problem>), CorpusError> {
        let mut files = Vec::new();
        let mut link_problems = Vec::new();
        collect_toml_files(root, root, &mut files, &mut link_problems)?;
        files.sort();
        let (languages, mut problems) = Languages::load(root);
        problems.extend(link_problems);
        languages::register(&languages);
        let mut corpus = Corpus { root: root.to_path_buf(), languages, ..Corpus::default() };
        // Language files are read above.
        files.retain(|path| !path.strip_prefix(root).is_ok_and(|p| p.starts_with("languages")));
        for path in files {
            let is_form = path.strip_prefix(root).is_ok_and(|p| p.starts_with("forms"));
            if let Some(size) = std::fs::metadata(&path).ok().map(|m| m.len()).filter(|n| *n > limits::FILE_BYTES) {
                let message = format!("the file is {size} bytes (at most {}): it is left out", limits::FILE_BYTES);
                problems.push(Problem { path, message });
                continue;
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    problems.push(Problem { path, message: format!("cannot read: {e}") });
                    continue;
                }
            };
            let outcome = if is_form {
                parse(&text).map(|form: Form| (form.id.clone(), Item::Form(form)))
            } else {
                parse(&text).map(|mut entry: Entry| {
                    // A path out of the corpus is dropped (the text is still served).
                    for message in confine_audio(root, &mut entry) {
                        problems.push(Problem { path: path.clone(), message });
                    }
                    (entry.id.clone(), Item::Entry(entry))
                })
            };
            match outcome {
                Err(message) => problems.push(Problem { path, message }),
                Ok((id, item)) => {
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    if stem != id {
                        let message = format!("id `{id}` differs from the file name `{stem}.toml`: rename one");
                        problems.push(Problem { path, message });
                        continue;
                    }
                    let taken = match &item {
                        Item::Form(_) => corpus.forms.get(&id).map(|l| l.path.clone()),
                        Item::Entry(_) => corpus.entries.get(&id).map(|l| l.path.clone()),
                    };
                    if let Some(first) = taken {
                        let message = format!("id `{id}` is already used by {}", first.display());
                        problems.push(Problem { path, message });
                        continue;
                    }
                    match item {
                        Item::Form(form) => {
                            corpus.forms.insert(id, Loaded { path, item: form });
                        }
                        Item::Entry(entry) => {
                            corpus.entries.insert(id, Loaded { path, item: entry });
                        }
                    }
                }
            }
        }
        let (clips, clip_problems) = phrases::load(root);
        corpus.phrase_clips = clips;
        problems.extend(clip_problems);
        Ok((corpus, problems))
    }

    /// The countries the entries are for (`MA`, `SN`), sorted.
    pub fn countries(&self) -> std::collections::BTreeSet<&str> {
        self.entries.values().map(|loaded| loaded.item.country.as_str()).collect()
    }

    /// An error naming the corpus's countries unless it has entries for
    /// `country`: a kiosk set up for another country would answer nothing.
    pub fn check_country(&self, country: &str) -> Result<(), CorpusError> {
        let countries = self.countries();
        if countries.contains(country) {
            return Ok(());
        }
        let known = countries.into_iter().collect::<Vec<_>>().join(", ");
        let known = if known.is_empty() { "none (it has no entries)".to_string() } else { known };
        Err(CorpusError::UnknownCountry { country: cut(country, 40), root: self.root.clone(), known })
    }

    /// The recording of phrase `name` in `lang`, if a speaker made one.
    pub fn phrase_clip(&self, lang: LangCode, name: &str) -> Option<&Path> {
        self.phrase_clips.get(&(lang.to_string(), name.to_string())).map(PathBuf::as_path)
    }

    /// Resolves a path written in an entry (audio) against the corpus root.
    /// Paths leaving the corpus were dropped when it loaded ([`paths`]).
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }
}

enum Item {
    Entry(Entry),
    Form(Form),
}

/// The file as `T`, if it parses and nothing in it is past [`limits`]. The
/// error is one line, its pieces cut: a 200 KB line is not printed whole.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let one_line = |e: toml::de::Error| {
        let pieces: Vec<String> = e.to_string().lines().map(|line| cut(line.trim_end(), 120)).collect();
        cut(&pieces.join(" "), 600)
    };
    let table: toml::Table = toml::from_str(text).map_err(one_line)?;
    if let Some(oversized) = limits::oversized(&table) {
        return Err(format!("{oversized}: the file is left out (limits: corpora/README.md)"));
    }
    toml::from_str(text).map_err(one_line)
}

/// `text` shortened to `max` characters, marked where it was cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Drops every audio path of `entry` that leaves the corpus; says which.
fn confine_audio(root: &Path, entry: &mut Entry) -> Vec<String> {
    let mut messages = Vec::new();
    let mut check = |what: String, audio: &mut Option<PathBuf>| {
        if let Some(Err(e)) = audio.as_deref().map(|relative| paths::confine(root, relative)) {
            messages.push(format!("{what}.audio: {e}; the audio is left out"));
            *audio = None;
        }
    };
    for (key, text) in &mut entry.text {
        check(format!("text.{key}"), &mut text.audio);
    }
    if let Some(lesson) = &mut entry.lesson {
        for (i, item) in lesson.items.iter_mut().enumerate() {
            check(format!("lesson.items[{i}]"), &mut item.audio);
        }
    }
    messages
}

/// The `*.toml` files under `dir`. A symbolic link is followed only to a
/// file inside the corpus: one leading out is a problem, and one to a folder
/// is not followed (a link to `..` would be walked until the path is too long).
fn collect_toml_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Result<(), CorpusError> {
    let io = |source| CorpusError::Io { path: dir.to_path_buf(), source };
    for item in std::fs::read_dir(dir).map_err(io)? {
        let item = item.map_err(io)?;
        let path = item.path();
        let is_link = item.file_type().map_err(io)?.is_symlink();
        if is_link {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            if let Err(e) = paths::confine(root, relative) {
                problems.push(Problem { path, message: format!("{e}: it is left out") });
                continue;
            }
            if path.is_dir() {
                let message = "a symbolic link to a folder: it is not followed".to_string();
                problems.push(Problem { path, message });
                continue;
            }
        }
        if path.is_dir() {
            collect_toml_files(root, &path, out, problems)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

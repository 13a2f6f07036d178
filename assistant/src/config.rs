//! The `awal.toml` configuration file and where Awal keeps its files.
//!
//! Every key has a documented default, so an empty or missing file is valid.
//! Unknown keys and bad values are errors that name the key and the line.
//! Locations are resolved in this order: command-line flag, environment
//! variable (`AWAL_DATA_DIR`, `AWAL_MODELS_DIR`), the file, the XDG default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::corpus::LangTag;
use crate::models::Source;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Learner progress, paperwork drafts and enrolled keywords.
    /// Default: `$XDG_DATA_HOME/awal` (`~/.local/share/awal`).
    pub data_dir: Option<PathBuf>,
    /// Installed models. Default: `$XDG_DATA_HOME/awal/models`.
    pub models_dir: Option<PathBuf>,
    /// The governed content (entries, forms, recordings). Default: `./corpora`
    /// when run from a checkout, else `$XDG_DATA_HOME/awal/corpora`.
    pub corpus_dir: Option<PathBuf>,
    /// Languages offered at the welcome prompt, in the order they are offered:
    /// tags of the built-in languages or of the corpus's `languages/` files.
    pub languages: Vec<String>,
    pub models: ModelChoice,
    pub audio: AudioDevices,
    pub hearing: HearingSettings,
    pub packs: PackSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PackSettings {
    /// Public keys (minisign, base64: the second line of a `.pub` file) of the
    /// publishers whose signed content packs this kiosk installs. Default:
    /// none, so no signed pack installs until a publisher is trusted.
    pub trusted_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HearingSettings {
    /// Spoken keywords also go through the trained check (speech embedding
    /// model needed, plus background words under `keywords/LANG/_background`):
    /// fewer rejected keywords, a training step when a language is first heard.
    /// Default: off.
    pub trained_keywords: bool,
    /// Whisper encodes its whole 30 s window instead of the utterance plus
    /// 2 s: the reference accuracy (on the synthetic English set 7–10 % WER
    /// against 10–14 %) for an encoder about five times slower on a short
    /// question. Default: off.
    pub full_context: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ModelChoice {
    /// Speech recogniser (a manifest or imported model id).
    pub asr: String,
    /// Language model.
    pub lm: String,
    /// Where `awal models fetch` gets weights from.
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AudioDevices {
    /// Capture device name, or `default`.
    pub input: String,
    /// Playback device name, or `default`.
    pub output: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: None,
            models_dir: None,
            corpus_dir: None,
            languages: ["ary", "zgh", "wol", "fuc", "fr", "ar", "en"].map(String::from).to_vec(),
            models: ModelChoice::default(),
            audio: AudioDevices::default(),
            hearing: HearingSettings::default(),
            packs: PackSettings::default(),
        }
    }
}

impl Default for ModelChoice {
    fn default() -> Self {
        Self { asr: "whisper-base".into(), lm: "qwen2.5-0.5b-instruct-q4km".into(), source: Source::Auto }
    }
}

impl Default for AudioDevices {
    fn default() -> Self {
        Self { input: "default".into(), output: "default".into() }
    }
}

impl Config {
    /// Reads `path`, or `AWAL_CONFIG`, or `$XDG_CONFIG_HOME/awal/awal.toml` if it
    /// exists; otherwise the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let explicit = path.map(Path::to_path_buf).or_else(|| std::env::var_os("AWAL_CONFIG").map(PathBuf::from));
        let path = match explicit {
            Some(path) => path,
            None => match dirs::config_dir().map(|d| d.join("awal").join("awal.toml")) {
                Some(path) if path.is_file() => path,
                _ => return Ok(Self::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io { path: path.clone(), source })?;
        Self::parse(&text, &path)
    }

    /// Parses the file. `languages` must be known to the process: built in,
    /// or defined by a corpus already registered — the one `corpus_dir` names
    /// is registered here; the command line registers the one it is given.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        if let Some(dir) = &config.corpus_dir {
            crate::corpus::languages::register_dir(dir);
        }
        if let Some(unknown) = config.languages.iter().find(|l| l.parse::<LangTag>().is_err()) {
            let line = text.lines().position(|l| l.contains(&format!("\"{unknown}\""))).map_or(0, |i| i + 1);
            return Err(invalid(format!(
                "line {line}, key `languages`: unknown language `{unknown}` (known: {}; a new language is a \
                 file in the corpus's languages/)",
                crate::corpus::languages::known_codes().join(", ")
            )));
        }
        Ok(config)
    }

    /// Where learner data lives: flag, then `AWAL_DATA_DIR`, then the file, then XDG.
    pub fn data_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("AWAL_DATA_DIR").map(PathBuf::from))
            .or_else(|| self.data_dir.clone())
            .unwrap_or_else(default_data_root)
    }

    /// Where models live: flag, then `AWAL_MODELS_DIR`, then the file, then XDG.
    /// Models are kept apart from learner data so a test or a second kiosk
    /// profile with its own data directory shares the (large) weights.
    pub fn models_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("AWAL_MODELS_DIR").map(PathBuf::from))
            .or_else(|| self.models_dir.clone())
            .unwrap_or_else(|| default_data_root().join("models"))
    }
}

impl Config {
    /// Where the corpus lives: flag, then `AWAL_CORPUS_DIR`, then the file, then
    /// `./corpora` if it exists (a checkout), then `corpora` in the data directory.
    pub fn corpus_dir(&self, flag: Option<&Path>, data_dir: &Path) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("AWAL_CORPUS_DIR").map(PathBuf::from))
            .or_else(|| self.corpus_dir.clone())
            .or_else(|| Some(PathBuf::from("corpora")).filter(|p| p.is_dir()))
            .unwrap_or_else(|| data_dir.join("corpora"))
    }
}

fn default_data_root() -> PathBuf {
    dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("awal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_documented_defaults() {
        assert_eq!(Config::parse("", Path::new("awal.toml")).unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "languages = [\"fr\"]\n\n[models]\nasr = \"whisper-base\"\nspeed = 3\n";
        let err = Config::parse(text, Path::new("awal.toml")).unwrap_err().to_string();
        assert!(err.contains("awal.toml") && err.contains("speed") && err.contains("line 5"), "{err}");
    }

    #[test]
    fn bad_value_names_key_and_line() {
        let text = "[models]\nsource = \"carrier-pigeon\"\n";
        let err = Config::parse(text, Path::new("awal.toml")).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("carrier-pigeon"), "{err}");
        let text = "languages = [\"fr\", \"klingon\"]\n";
        let err = Config::parse(text, Path::new("awal.toml")).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("klingon"), "{err}");
    }

    #[test]
    fn languages_may_be_those_the_configured_corpus_defines() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::create_dir(corpus.path().join("languages")).unwrap();
        let file = "code = \"tlh\"\nname = \"Klingon\"\nscript = \"Latn\"\nfallback = \"fr\"\n\
                    review = { status = \"machine-draft\" }\n";
        std::fs::write(corpus.path().join("languages/tlh.toml"), file).unwrap();
        let text = format!("corpus_dir = {:?}\nlanguages = [\"fr\", \"tlh\"]\n", corpus.path().display().to_string());
        let config = Config::parse(&text, Path::new("awal.toml")).unwrap();
        assert_eq!(config.languages, ["fr", "tlh"]);
        let text = format!("corpus_dir = {:?}\nlanguages = [\"xyz\"]\n", corpus.path().display().to_string());
        let err = Config::parse(&text, Path::new("awal.toml")).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("unknown language `xyz`"), "{err}");
    }
}

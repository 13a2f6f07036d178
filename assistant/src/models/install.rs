//! The installed-model store: one directory per model under the models root,
//! each with an `awal-model.json` record listing its files, sizes and sha256.
//!
//! A model is installed by filling a staging directory beside the final one,
//! syncing it, writing the record last and renaming it into place; a crash at
//! any point leaves either the old model, the new one, or a `.staging-*`
//! directory that the next fetch removes — never a half model that looks valid.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::hash::{sha256_file, verify_file};
use super::manifest::Role;
use super::{ModelError, Result};

pub const RECORD_FILE: &str = "awal-model.json";
const STAGING_PREFIX: &str = ".staging-";

/// Where a model came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// Fetched from a manifest entry, through the named source (`pypi`, `hub`).
    Manifest { source: String },
    /// Imported by `awal models import` from a directory.
    Import { path: String, detected_format: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// The record written into each installed model's directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstallRecord {
    pub id: String,
    pub role: Role,
    pub origin: Origin,
    /// The languages it serves, as its manifest entry or import lists them
    /// (a recognizer's codes: `wol`, `ful`, `wo`); empty when it says none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// The installed files (after conversion), as verified at install time.
    pub files: Vec<RecordedFile>,
}

#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub dir: PathBuf,
    pub record: InstallRecord,
}

impl InstalledModel {
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn has_file(&self, name: &str) -> bool {
        self.record.files.iter().any(|f| f.name == name)
    }
}

/// Outcome of `verify`: empty `problems` means every file matches its record.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub id: String,
    pub dir: PathBuf,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Where a model's directory remembers the files it has hashed: a file
/// hashed once is not hashed again while its size and modification time stay
/// the same, so a kiosk start stays fast.
pub const CHECKED_FILE: &str = ".awal-checked.json";

/// A file as it was when its hash last matched the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checked {
    size: u64,
    /// Modification time, nanoseconds since 1970.
    modified: u128,
    sha256: String,
}

/// Checks every file of `model` before its weights are used: the size always,
/// the sha256 against the install record unless the file is unchanged since
/// it last matched (same size and modification time). One flipped bit in a
/// weights file is otherwise used silently and gives nonsense.
fn check_before_use(model: &InstalledModel) -> Result<()> {
    let id = &model.record.id;
    let cache_path = model.dir.join(CHECKED_FILE);
    let mut checked: std::collections::BTreeMap<String, Checked> =
        fs::read(&cache_path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    let mut hashed = false;
    for file in &model.record.files {
        let path = model.file(&file.name);
        let damaged = |reason: String| ModelError::Damaged { id: id.clone(), path: path.clone(), reason };
        let metadata = fs::metadata(&path).map_err(|e| damaged(format!("cannot be read ({e})")))?;
        if metadata.len() != file.size {
            return Err(damaged(format!("{} bytes where {} were installed", metadata.len(), file.size)));
        }
        let modified = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        let now = Checked { size: file.size, modified, sha256: file.sha256.clone() };
        if checked.get(&file.name) == Some(&now) {
            continue;
        }
        let found = sha256_file(&path, None)?;
        if !found.eq_ignore_ascii_case(&file.sha256) {
            return Err(damaged(format!("sha256 {found} differs from the {} recorded at install", file.sha256)));
        }
        checked.insert(file.name.clone(), now);
        hashed = true;
    }
    if hashed {
        let json = serde_json::to_vec_pretty(&checked).expect("a map of strings and numbers serializes");
        // A read-only models directory only means hashing again next time.
        if let Err(e) = fs::write(&cache_path, json) {
            tracing::debug!("{}: {e}", cache_path.display());
        }
    }
    Ok(())
}

/// The models root directory and the models installed in it.
#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
}

impl ModelStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn model_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The installed model, if its record can be read (files are not hashed).
    pub fn installed(&self, id: &str) -> Option<InstalledModel> {
        let dir = self.model_dir(id);
        let text = fs::read_to_string(dir.join(RECORD_FILE)).ok()?;
        let record: InstallRecord = serde_json::from_str(&text).ok()?;
        Some(InstalledModel { dir, record })
    }

    /// The installed model, checked before use ([`Self::check_before_use`]),
    /// or an error saying how to fetch it.
    pub fn require(&self, id: &str) -> Result<InstalledModel> {
        let model = self.installed(id).ok_or_else(|| ModelError::NotInstalled(id.to_string()))?;
        check_before_use(&model)?;
        Ok(model)
    }

    /// Cheap completeness check (record present, every file of the right size):
    /// what a repeated `fetch` uses to do nothing quickly. `verify` hashes.
    pub fn is_complete(&self, id: &str) -> bool {
        self.installed(id).is_some_and(|model| {
            model.record.files.iter().all(|f| fs::metadata(model.file(&f.name)).is_ok_and(|m| m.len() == f.size))
        })
    }

    /// Every installed model, sorted by id.
    pub fn list(&self) -> Vec<InstalledModel> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut models: Vec<_> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .filter_map(|name| self.installed(&name))
            .collect();
        models.sort_by(|a, b| a.record.id.cmp(&b.record.id));
        models
    }

    /// Hashes every file of an installed model against its record.
    pub fn verify(&self, id: &str, progress: Option<&indicatif::ProgressBar>) -> Result<VerifyReport> {
        let model = self.installed(id).ok_or_else(|| ModelError::NotInstalled(id.to_string()))?;
        let mut problems = Vec::new();
        for file in &model.record.files {
            let path = model.file(&file.name);
            if let Err(e) = verify_file(&path, file.size, &file.sha256, progress) {
                problems.push(e.to_string());
            }
        }
        Ok(VerifyReport { id: id.to_string(), dir: model.dir, problems })
    }

    /// A fresh staging directory for `id`, after removing leftovers of
    /// interrupted installs of the same model.
    pub fn stage(&self, id: &str) -> Result<Staging> {
        fs::create_dir_all(&self.root).map_err(ModelError::io(&self.root))?;
        self.remove_stale_staging(id);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{id}-"))
            .tempdir_in(&self.root)
            .map_err(ModelError::io(&self.root))?;
        Ok(Staging { dir, id: id.to_string(), languages: Vec::new() })
    }

    fn remove_stale_staging(&self, id: &str) {
        let prefix = format!("{STAGING_PREFIX}{id}-");
        if let Ok(entries) = fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
    }

    /// Hashes the staged files, writes the record and moves the staging
    /// directory into place, replacing any previous install of the same id.
    pub fn commit(&self, staging: Staging, role: Role, origin: Origin) -> Result<InstalledModel> {
        let staged = staging.dir.path().to_path_buf();
        let mut names: Vec<String> = fs::read_dir(&staged)
            .map_err(ModelError::io(&staged))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let mut files = Vec::new();
        for name in names {
            let path = staged.join(&name);
            // Some writers (safetensors) create files owner-only; models are shared read-only.
            set_readable(&path)?;
            sync_file(&path)?;
            let size = fs::metadata(&path).map_err(ModelError::io(&path))?.len();
            files.push(RecordedFile { sha256: sha256_file(&path, None)?, name, size });
        }
        let record =
            InstallRecord { id: staging.id.clone(), role, origin, languages: staging.languages.clone(), files };
        let record_path = staged.join(RECORD_FILE);
        let json = serde_json::to_string_pretty(&record).expect("records serialise");
        fs::write(&record_path, json).map_err(ModelError::io(&record_path))?;
        sync_file(&record_path)?;
        sync_dir(&staged)?;

        let target = self.model_dir(&staging.id);
        let staged = staging.dir.keep();
        if target.exists() {
            // Move the old install aside first so the rename below is atomic;
            // without a record it can never be mistaken for a valid model.
            let old = self.root.join(format!("{STAGING_PREFIX}{}-old", staging.id));
            let _ = fs::remove_dir_all(&old);
            fs::rename(&target, &old).map_err(ModelError::io(&target))?;
            let _ = fs::remove_file(old.join(RECORD_FILE));
            fs::rename(&staged, &target).map_err(ModelError::io(&target))?;
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&staged, &target).map_err(ModelError::io(&target))?;
        }
        sync_dir(&self.root)?;
        Ok(InstalledModel { dir: target, record })
    }
}

/// A staging directory; dropped without `commit`, it is deleted.
pub struct Staging {
    dir: tempfile::TempDir,
    id: String,
    languages: Vec<String>,
}

impl Staging {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The languages the record will list.
    pub fn set_languages(&mut self, languages: Vec<String>) {
        self.languages = languages;
    }
}

#[cfg(unix)]
fn set_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).map_err(ModelError::io(path))
}

#[cfg(not(unix))]
fn set_readable(_path: &Path) -> Result<()> {
    Ok(())
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(ModelError::io(path))
}

fn sync_dir(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(ModelError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged_model(store: &ModelStore, id: &str, content: &[u8]) -> InstalledModel {
        let staging = store.stage(id).unwrap();
        fs::write(staging.path().join("weights.bin"), content).unwrap();
        store.commit(staging, Role::Lm, Origin::Manifest { source: "test".into() }).unwrap()
    }

    #[test]
    fn commit_records_hashes_and_verify_catches_a_flipped_byte() {
        let root = tempfile::tempdir().unwrap();
        let store = ModelStore::new(root.path());
        let model = staged_model(&store, "m", b"hello weights");
        assert!(store.is_complete("m"));
        assert!(store.verify("m", None).unwrap().ok());

        let path = model.file("weights.bin");
        let mut bytes = fs::read(&path).unwrap();
        bytes[3] ^= 0x01;
        fs::write(&path, bytes).unwrap();
        let report = store.verify("m", None).unwrap();
        assert!(!report.ok());
        assert!(report.problems[0].contains("weights.bin"), "{:?}", report.problems);
    }

    #[test]
    fn a_damaged_model_is_refused_before_use() {
        let root = tempfile::tempdir().unwrap();
        let store = ModelStore::new(root.path());
        let model = staged_model(&store, "m", b"hello weights");
        store.require("m").unwrap();
        assert!(model.dir.join(CHECKED_FILE).is_file(), "the hash is remembered");

        let path = model.file("weights.bin");
        let mut bytes = fs::read(&path).unwrap();
        bytes[3] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        let error = store.require("m").unwrap_err().to_string();
        assert!(error.contains("sha256") && error.ends_with("run `awal models fetch m --force`"), "{error}");

        fs::write(&path, b"hello").unwrap();
        let error = store.require("m").unwrap_err().to_string();
        assert!(error.contains("5 bytes where 13 were installed"), "{error}");
    }

    #[test]
    fn an_unchanged_file_is_not_hashed_again() {
        let root = tempfile::tempdir().unwrap();
        let store = ModelStore::new(root.path());
        let model = staged_model(&store, "m", b"hello weights");
        store.require("m").unwrap();
        // Same size, same modification time: taken as the file that matched
        // (the trade-off that keeps a kiosk start fast; `verify` always hashes).
        let path = model.file("weights.bin");
        let modified = fs::metadata(&path).unwrap().modified().unwrap();
        fs::write(&path, b"hello WEIGHTS").unwrap();
        fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
        store.require("m").unwrap();
        assert!(!store.verify("m", None).unwrap().ok());
    }

    #[test]
    fn reinstall_replaces_and_dropped_staging_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let store = ModelStore::new(root.path());
        staged_model(&store, "m", b"one");
        staged_model(&store, "m", b"two!");
        assert_eq!(fs::read(store.model_dir("m").join("weights.bin")).unwrap(), b"two!");

        let staging = store.stage("other").unwrap();
        fs::write(staging.path().join("half.bin"), b"half").unwrap();
        drop(staging);
        assert!(store.installed("other").is_none());
        let leftovers: Vec<_> = fs::read_dir(root.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("m")]);
    }
}

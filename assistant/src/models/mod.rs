//! Models: the manifest of what Awal can run, and the machinery that fetches,
//! verifies, converts and installs weights on the device.
//!
//! Weights are never trusted by name: every file is checked against the sha256
//! of the manifest (or, for imported models, of the install record) before it is
//! converted or loaded. Installs are atomic: a model directory either holds a
//! complete, verified model with its record, or does not exist.

pub mod convert;
pub mod fetch;
pub mod hash;
pub mod import;
pub mod install;
pub mod manifest;

pub use fetch::{fetch_model, FetchOptions, FetchOutcome, Source};
pub use install::{InstalledModel, ModelStore, VerifyReport};
pub use manifest::{Manifest, ModelEntry, Role};

use std::path::PathBuf;

/// What can go wrong while fetching, verifying, converting or installing a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("manifest {path}: {message}")]
    Manifest { path: String, message: String },
    #[error("no model `{0}` in the manifest or among installed models (see `awal models list`)")]
    UnknownModel(String),
    #[error("no pack `{0}` in the manifest")]
    UnknownPack(String),
    #[error("{path}: sha256 mismatch: expected {expected}, found {found}; the file is corrupt or from another source")]
    HashMismatch { path: PathBuf, expected: String, found: String },
    #[error("{path}: expected {expected} bytes, found {found}")]
    SizeMismatch { path: PathBuf, expected: u64, found: u64 },
    #[error("{path} at byte offset {offset}: {message}")]
    Format { path: PathBuf, offset: u64, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("no source could provide `{file}`, nothing was installed: {reasons}")]
    NoSource { file: String, reasons: String },
    #[error("`{command}` failed: {message}")]
    Tool { command: String, message: String },
    #[error("download of {url} failed: {message}")]
    Download { url: String, message: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("model `{0}` is not installed: run `awal models fetch {0}`")]
    NotInstalled(String),
    #[error("{path}: {reason}; model `{id}` is damaged, fetch it again: run `awal models fetch {id} --force`")]
    Damaged { id: String, path: PathBuf, reason: String },
    #[error("{0}")]
    Tensor(#[from] candle_core::Error),
    #[error("model `{id}` is licensed {licence}, which forbids commercial use: to fetch it anyway, accept that licence with --accept-licence")]
    LicenceNotAccepted { id: String, licence: String },
    #[error("model `{id}`: the sha256 of {files} could not be checked from published sources, so a corrupt or substituted download cannot be told apart; to fetch anyway and record the hashes seen, pass --accept-unchecked")]
    UncheckedHashes { id: String, files: String },
}

impl ModelError {
    /// Wraps an I/O error with the path it concerns, so the message names the file.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ModelError::Io { path, source }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

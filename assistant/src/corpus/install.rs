//! `awal corpus install PACK`: a content pack (a directory laid out like
//! `corpora/`, brought on a USB stick) added to the corpus the kiosk loads.
//!
//! Nothing changes until the pack has passed: every file in it is a plain
//! file (no symbolic link, least of all one leading out of the pack) within
//! its size limit ([`limits`]), and the corpus it would make passes the
//! checks of `awal corpus check` ([`check`]: paths confined, sizes, templates
//! rendered under their limits) with no error the installed corpus did not
//! already have. A file of the installed corpus that the pack would change
//! is named, and replaced only when asked: reviewed content is never
//! overwritten silently.
//!
//! The new corpus is built in a folder beside the installed one (unchanged
//! files hard-linked, so it costs no space), checked there, then renamed into
//! place: a kiosk that starts meanwhile loads the old corpus or the new one,
//! never half of each, and a refused pack leaves the old one as it was. The
//! old one is kept beside it (`corpora.previous`) for `awal corpus rollback`.
//!
//! A signed pack (a zip and its minisign signature, [`super::pack`]) is
//! checked against the kiosk's trusted keys and unpacked first, then
//! installed the same way; an unsigned folder only when the caller says so.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::check::{check, Severity};
use super::entry::{Review, ReviewStatus};
use super::pack::{self, PackError, PackRecord, RECORD_FILE};
use super::{limits, paths, Corpus, CorpusError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "the pack {} was not installed, nothing changed:\n{}",
        pack.display(),
        problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
    )]
    Refused { pack: PathBuf, problems: Vec<String> },
    #[error(
        "the pack would replace {} installed file(s), nothing changed:\n{}\nlook at them, then run again with \
         --replace to replace them",
        files.len(),
        files.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n")
    )]
    WouldReplace {
        /// Relative to the corpus directory; "(reviewed)" after those holding reviewed text.
        files: Vec<String>,
    },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Pack(#[from] PackError),
    #[error("{}: there is no previous content to go back to (none was replaced by a pack yet)", previous.display())]
    NoPrevious { previous: PathBuf },
}

/// What an install did, by path relative to the corpus directory.
#[derive(Debug, Default, serde::Serialize)]
pub struct Installed {
    pub added: Vec<PathBuf>,
    pub replaced: Vec<PathBuf>,
    /// Files of the pack already installed as they are.
    pub unchanged: usize,
    /// Warnings of the new corpus (what awaits review), as `awal corpus check` gives them.
    pub warnings: usize,
    /// The signed pack installed (its publisher's key and sequence).
    pub pack: Option<PackRecord>,
    /// Where the content it replaced is kept (`awal corpus rollback`).
    pub previous: Option<PathBuf>,
}

/// Checks the folder `pack` and installs it into `corpus_dir` (created if
/// missing); replaces installed files that differ only if `replace`.
pub fn install(pack: &Path, corpus_dir: &Path, replace: bool) -> Result<Installed, InstallError> {
    install_from(pack, pack, corpus_dir, replace, None)
}

/// Checks the signed pack `pack_file` (signature by one of `trusted_keys`,
/// newer than the pack installed from the same key), then installs it as
/// [`install`] does.
pub fn install_signed(
    pack_file: &Path,
    corpus_dir: &Path,
    trusted_keys: &[String],
    replace: bool,
) -> Result<Installed, InstallError> {
    let parent = parent_of(corpus_dir);
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let installed = pack::installed_record(corpus_dir);
    let opened = pack::open(pack_file, trusted_keys, installed.as_ref(), parent)?;
    install_from(opened.dir.path(), pack_file, corpus_dir, replace, Some(&opened.record))
}

/// Puts back the content the last install replaced (and keeps the one it
/// takes away in its place, so a second rollback undoes the first).
pub fn rollback(corpus_dir: &Path) -> Result<PathBuf, InstallError> {
    let previous = previous_dir(corpus_dir);
    if !previous.is_dir() {
        return Err(InstallError::NoPrevious { previous });
    }
    exchange(&previous, corpus_dir).map_err(io(corpus_dir))?;
    tracing::info!("corpus rolled back to the content kept at {}", previous.display());
    Ok(previous)
}

/// Where the content an install replaced is kept: `corpora` → `corpora.previous`.
pub fn previous_dir(corpus_dir: &Path) -> PathBuf {
    let mut name = corpus_dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "corpora".into());
    name.push(".previous");
    parent_of(corpus_dir).join(name)
}

fn parent_of(corpus_dir: &Path) -> &Path {
    corpus_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Installs the files of the folder `pack` (named `shown` in messages), with
/// the record of the signed pack they came from.
fn install_from(
    pack: &Path,
    shown: &Path,
    corpus_dir: &Path,
    replace: bool,
    record: Option<&PackRecord>,
) -> Result<Installed, InstallError> {
    let refused = |problems: Vec<String>| InstallError::Refused { pack: shown.to_path_buf(), problems };
    let mut files = Vec::new();
    let mut problems = Vec::new();
    pack_files(pack, Path::new(""), &mut files, &mut problems)?;
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    if files.is_empty() {
        return Err(refused(vec![format!("{}: no files", shown.display())]));
    }

    let mut installed = Installed::default();
    for relative in &files {
        let target = corpus_dir.join(relative);
        if !target.exists() {
            installed.added.push(relative.clone());
        } else if read(&target)? == read(&pack.join(relative))? {
            installed.unchanged += 1;
        } else {
            installed.replaced.push(relative.clone());
        }
    }

    // Read before anything is built: what the installed corpus holds.
    let installed_corpus = if corpus_dir.exists() { Some(Corpus::load(corpus_dir)?) } else { None };

    // The new corpus, beside the old one so that renaming is atomic.
    let parent = parent_of(corpus_dir);
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = tempfile::Builder::new().prefix(".awal-install-").tempdir_in(parent).map_err(io(parent))?;
    let new = staging.path().join("corpus");
    if corpus_dir.exists() {
        link_tree(corpus_dir, &new)?;
    }
    for relative in &files {
        let target = new.join(relative);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        // A hard link shares its file with the installed corpus: unlink it
        // first, or the copy would write through into the old corpus.
        if target.exists() {
            std::fs::remove_file(&target).map_err(io(&target))?;
        }
        std::fs::copy(pack.join(relative), &target).map_err(io(&target))?;
    }

    let (errors_before, reviewed) = match installed_corpus {
        Some((corpus, problems)) => (errors(&corpus, &problems, corpus_dir).1, reviewed_files(&corpus)),
        None => (BTreeSet::new(), BTreeSet::new()),
    };
    let (corpus, problems) = Corpus::load(&new)?;
    let (warnings, errors_after) = errors(&corpus, &problems, corpus_dir);
    let new_errors: Vec<String> = errors_after.difference(&errors_before).cloned().collect();
    if !new_errors.is_empty() {
        return Err(refused(new_errors));
    }
    installed.warnings = warnings;
    installed.pack = record.cloned();
    if !installed.replaced.is_empty() && !replace {
        let files = installed
            .replaced
            .iter()
            .map(|file| {
                let mark = if reviewed.contains(file) { " (reviewed)" } else { "" };
                format!("{}{mark}", file.display())
            })
            .collect();
        return Err(InstallError::WouldReplace { files });
    }

    // The record linked from the old corpus is unlinked, not written
    // through; unsigned files on top of a signed pack are no longer that pack.
    let record_path = new.join(RECORD_FILE);
    if record_path.exists() {
        std::fs::remove_file(&record_path).map_err(io(&record_path))?;
    }
    if let Some(record) = record {
        let text = serde_json::to_string_pretty(record).expect("a record serializes");
        std::fs::write(&record_path, text).map_err(io(&record_path))?;
    }

    if !corpus_dir.exists() {
        std::fs::rename(&new, corpus_dir).map_err(io(corpus_dir))?;
    } else if exchange(&new, corpus_dir).is_err() {
        // A file system that cannot swap (FAT on a stick, some network
        // ones): two renames, with an instant without a corpus between them.
        let old = staging.path().join("old");
        std::fs::rename(corpus_dir, &old).map_err(io(corpus_dir))?;
        if let Err(source) = std::fs::rename(&new, corpus_dir) {
            // Put the installed corpus back: the kiosk must find one.
            let _ = std::fs::rename(&old, corpus_dir);
            return Err(InstallError::Io { path: corpus_dir.to_path_buf(), source });
        }
    }
    // The old corpus (swapped to where `new` was, or moved to `old`) is
    // kept for a rollback, in place of the one kept before.
    let old = [new, staging.path().join("old")].into_iter().find(|dir| dir.is_dir());
    if let Some(old) = old {
        let previous = previous_dir(corpus_dir);
        if previous.exists() {
            std::fs::remove_dir_all(&previous).map_err(io(&previous))?;
        }
        std::fs::rename(&old, &previous).map_err(io(&previous))?;
        installed.previous = Some(previous);
    }
    tracing::info!(
        added = installed.added.len(),
        replaced = installed.replaced.len(),
        "pack installed into {}",
        corpus_dir.display()
    );
    Ok(installed)
}

/// The plain files under `pack/relative`, as paths relative to `pack`,
/// hidden ones left out; a symbolic link, a special file or a file past its
/// size limit is a problem.
fn pack_files(
    pack: &Path,
    relative: &Path,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<String>,
) -> Result<(), InstallError> {
    let dir = pack.join(relative);
    let mut items: Vec<_> =
        std::fs::read_dir(&dir).map_err(io(&dir))?.collect::<Result<Vec<_>, _>>().map_err(io(&dir))?;
    items.sort_by_key(|item| item.file_name());
    for item in items {
        // What a desktop leaves on a stick (`.Trash-1000/`, `.DS_Store`,
        // `._entry.toml`) is not content.
        if item.file_name().to_string_lossy().starts_with('.') {
            tracing::info!("pack: left out the hidden {}", relative.join(item.file_name()).display());
            continue;
        }
        let relative = relative.join(item.file_name());
        let shown = relative.display();
        let kind = item.file_type().map_err(io(&item.path()))?;
        if kind.is_symlink() {
            let problem = match paths::confine(pack, &relative) {
                Err(e) => format!("{shown}: {e}"),
                Ok(_) => format!("{shown}: a symbolic link: put the file itself in the pack"),
            };
            problems.push(problem.replace("corpus directory", "pack"));
        } else if kind.is_dir() {
            pack_files(pack, &relative, files, problems)?;
        } else if !kind.is_file() {
            problems.push(format!("{shown}: not a plain file (a device, socket or pipe)"));
        } else {
            let size = item.metadata().map_err(io(&item.path()))?.len();
            let limit = if relative.extension().is_some_and(|e| e == "toml") {
                limits::FILE_BYTES
            } else {
                limits::RECORDING_BYTES
            };
            if size > limit {
                problems.push(format!("{shown}: the file is {size} bytes (at most {limit}; corpora/README.md)"));
            } else {
                files.push(relative);
            }
        }
    }
    Ok(())
}

/// A loaded corpus checked: its number of warnings, and its errors as
/// "path: message" lines, the path relative to its root and the root written
/// as `shown_as` in messages (so the errors of the new corpus compare with
/// those of the installed one).
fn errors(corpus: &Corpus, problems: &[Problem], shown_as: &Path) -> (usize, BTreeSet<String>) {
    let root = corpus.root.as_path();
    let findings = check(corpus, problems);
    let warnings = findings.iter().filter(|f| f.severity == Severity::Warning).count();
    let root_text = root.display().to_string();
    let errors = findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let path = f.path.strip_prefix(root).unwrap_or(&f.path);
            format!("{}: {}", path.display(), f.message.replace(&root_text, &shown_as.display().to_string()))
        })
        .collect();
    (warnings, errors)
}

/// The files of `corpus` (relative to its root) holding text a reviewer
/// approved: replacing one throws away a review.
fn reviewed_files(corpus: &Corpus) -> BTreeSet<PathBuf> {
    let reviewed = |review: &Review| review.status == ReviewStatus::Reviewed;
    let entries = corpus
        .entries
        .values()
        .filter(|loaded| loaded.item.text.values().any(|text| reviewed(&text.review)))
        .map(|loaded| &loaded.path);
    let forms = corpus.forms.values().filter(|loaded| reviewed(&loaded.item.review)).map(|loaded| &loaded.path);
    entries.chain(forms).filter_map(|path| path.strip_prefix(&corpus.root).ok()).map(Path::to_path_buf).collect()
}

/// `from` rebuilt at `to`: folders made, files hard-linked (copied where the
/// file system cannot link), symbolic links kept as they are.
fn link_tree(from: &Path, to: &Path) -> Result<(), InstallError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for item in std::fs::read_dir(from).map_err(io(from))? {
        let item = item.map_err(io(from))?;
        let (source, target) = (item.path(), to.join(item.file_name()));
        let kind = item.file_type().map_err(io(&source))?;
        if kind.is_symlink() {
            let points_to = std::fs::read_link(&source).map_err(io(&source))?;
            std::os::unix::fs::symlink(points_to, &target).map_err(io(&target))?;
        } else if kind.is_dir() {
            link_tree(&source, &target)?;
        } else if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Swaps `a` and `b` in one step (Linux `renameat2` with `RENAME_EXCHANGE`):
/// a kiosk starting at that moment finds the old corpus or the new one.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated strings that outlive the call,
    // relative paths resolve against the working directory (AT_FDCWD).
    let done =
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, InstallError> {
    std::fs::read(path).map_err(io(path))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io { path: path.to_path_buf(), source }
}

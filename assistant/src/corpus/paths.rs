//! Paths written in content (an entry's or a lesson item's `audio`) are
//! relative to the corpus directory and stay inside it: no absolute path, no
//! `..`, no symbolic link that leads out. Content comes from elsewhere; a path
//! like `../../../../etc/passwd` must never be opened, played or served.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("`{0}` is absolute: write it relative to the corpus directory (`audio/ma/x-fr.ogg`)")]
    Absolute(String),
    #[error("`{0}` climbs out with `..`: write it relative to the corpus directory, without `..`")]
    Parent(String),
    #[error("`{0}` leads out of the corpus directory (a symbolic link to {1})")]
    LinkOut(String, String),
}

/// `relative` resolved under `root`, or why it may not be. A path whose file
/// does not exist yet is checked by its words only (the check reports it missing).
pub fn confine(root: &Path, relative: &Path) -> Result<PathBuf, PathError> {
    let shown = || cut(&relative.to_string_lossy());
    for component in relative.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(PathError::Parent(shown())),
            Component::RootDir | Component::Prefix(_) => return Err(PathError::Absolute(shown())),
        }
    }
    let path = root.join(relative);
    if let (Ok(real), Ok(real_root)) = (path.canonicalize(), root.canonicalize()) {
        if !real.starts_with(&real_root) {
            return Err(PathError::LinkOut(shown(), real.display().to_string()));
        }
    }
    Ok(path)
}

/// A path as shown in a message: at most 200 characters.
fn cut(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_corpus() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("audio")).unwrap();
        std::fs::write(root.path().join("audio/a.wav"), b"x").unwrap();
        assert_eq!(confine(root.path(), Path::new("audio/a.wav")).unwrap(), root.path().join("audio/a.wav"));
        assert!(confine(root.path(), Path::new("audio/missing.wav")).is_ok());
        assert!(matches!(confine(root.path(), Path::new("/etc/shadow")), Err(PathError::Absolute(_))));
        assert!(matches!(confine(root.path(), Path::new("../../../../etc/passwd")), Err(PathError::Parent(_))));
        assert!(matches!(confine(root.path(), Path::new("audio/../../x")), Err(PathError::Parent(_))));
        std::os::unix::fs::symlink("/etc/passwd", root.path().join("audio/out.wav")).unwrap();
        assert!(matches!(confine(root.path(), Path::new("audio/out.wav")), Err(PathError::LinkOut(..))));
    }
}

//! Recordings of what the kiosk itself says, by speakers of each language:
//! `phrases/LANG/NAME.wav` (or `.ogg`, `.opus`, `.mp3`, `.flac`) under the
//! corpus, `NAME` as in [`crate::words::phrases::Phrase::clip_name`]. A
//! recording that cannot be decoded or holds no sound is left out and reported,
//! so the kiosk falls back to its text rather than playing nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Problem;
use crate::audio::load_audio;

const EXTENSIONS: [&str; 5] = ["wav", "ogg", "opus", "mp3", "flac"];
/// Below this peak a recording is taken as silence (about −40 dBFS).
const SILENT_PEAK: f32 = 0.01;

/// Usable recordings keyed by (language tag, phrase name).
pub type PhraseClips = BTreeMap<(String, String), PathBuf>;

/// Every usable recording under `root/phrases`, and the ones left out.
pub fn load(root: &Path) -> (PhraseClips, Vec<Problem>) {
    let mut clips = PhraseClips::new();
    let mut problems = Vec::new();
    let Ok(languages) = std::fs::read_dir(root.join("phrases")) else { return (clips, problems) };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for language in languages.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
        let lang = language.file_name().to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir(language.path()) else { continue };
        files.extend(entries.filter_map(Result::ok).map(|e| (lang.clone(), e.path())));
    }
    files.sort();
    for (lang, path) in files {
        let audio = path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e));
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).filter(|_| audio) else { continue };
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let message = match super::paths::confine(root, relative).map(|_| load_audio(&path)) {
            Err(e) => format!("{e}"),
            Ok(Err(e)) => format!("cannot be played: {e}"),
            Ok(Ok(recording)) if recording.samples.iter().all(|s| s.abs() < SILENT_PEAK) => {
                "holds no sound".to_string()
            }
            Ok(Ok(_)) => match clips.insert((lang.clone(), name.to_string()), path.clone()) {
                Some(first) => format!("a second recording of `{name}` in `{lang}` (kept {})", first.display()),
                None => continue,
            },
        };
        problems.push(Problem { path, message: format!("{message}; the kiosk says its text instead") });
    }
    (clips, problems)
}

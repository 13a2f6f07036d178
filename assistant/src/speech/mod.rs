//! Speech out: recorded clips first; otherwise a VITS voice (MMS-TTS,
//! [`vits`]) installed for the language; otherwise espeak-ng for the languages
//! it speaks acceptably (those whose file names a voice: English, French,
//! Arabic — Darija is read with the Arabic voice); otherwise no audio, and the
//! caller says so.

pub mod vits;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("espeak-ng could not be run ({0}); install it: apt-get install espeak-ng")]
    NoEspeak(std::io::Error),
    #[error("espeak-ng failed on {path}: {message}")]
    Espeak { path: PathBuf, message: String },
    #[error(transparent)]
    Vits(#[from] vits::VitsError),
}

/// espeak-ng's voice for a language tag, if it has a usable one (`espeak` in
/// the language's file, `corpora/languages/LANG.toml`).
pub fn espeak_voice(lang: &str) -> Option<String> {
    let tag = lang.parse::<crate::corpus::LangTag>().ok()?;
    crate::corpus::languages::known(&tag.language)?.espeak.clone()
}

/// Normal speaking rate, words per minute; "slower" lowers it step by step.
pub const NORMAL_RATE: u32 = 150;
pub const SLOWEST_RATE: u32 = 90;

/// Speaks text into audio files: the seam for synthesized speech (espeak-ng
/// today, neural voices later). Recorded clips are chosen before any voice,
/// by the dialogue.
pub trait Voice {
    /// Writes `text` spoken in `lang` at `rate` words per minute to `out`
    /// (WAV). `Ok(false)` when it has no voice for the language.
    fn synthesize(&self, text: &str, lang: &str, rate: u32, out: &Path) -> Result<bool, SpeechError>;
}

/// espeak-ng, run as a program, for the languages whose file names a voice
/// (`espeak` in `corpora/languages/LANG.toml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EspeakNg;

impl Voice for EspeakNg {
    fn synthesize(&self, text: &str, lang: &str, rate: u32, out: &Path) -> Result<bool, SpeechError> {
        synthesize(text, lang, rate, out)
    }
}

/// Writes `text` spoken in `lang` at `rate` to `out` (WAV) with espeak-ng.
/// `Ok(false)` when it has no voice for the language. The text goes through
/// standard input: a command-line argument is capped (128 KB on Linux).
pub fn synthesize(text: &str, lang: &str, rate: u32, out: &Path) -> Result<bool, SpeechError> {
    let Some(voice) = espeak_voice(lang) else { return Ok(false) };
    let mut child = Command::new("espeak-ng")
        .args(["-v", &voice, "-s", &rate.to_string(), "--stdin", "-w"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(SpeechError::NoEspeak)?;
    let mut stdin = child.stdin.take().expect("piped above");
    // Written from a thread: espeak-ng may fill its stderr pipe before reading all the text.
    let text = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().map_err(SpeechError::NoEspeak)?;
    let written = writer.join().unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")));
    let failed = |message: String| SpeechError::Espeak { path: out.to_path_buf(), message };
    if !output.status.success() {
        return Err(failed(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    written.map_err(|e| failed(format!("could not hand it the text: {e}")))?;
    Ok(true)
}

/// The first sentence of `text`: what is synthesized first, so the kiosk
/// starts speaking while the rest is prepared.
pub fn first_sentence(text: &str) -> &str {
    text[..sentence_end(text).unwrap_or(text.len())].trim()
}

/// Byte offset just past the first sentence end (a full stop, question or
/// exclamation mark, or line break) that a space follows: "17.92" is not one.
pub fn sentence_end(text: &str) -> Option<usize> {
    text.char_indices().find_map(|(i, c)| {
        let after = i + c.len_utf8();
        let ends = matches!(c, '.' | '!' | '?' | '؟' | '\n') && text[after..].starts_with(char::is_whitespace);
        ends.then_some(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_stops_at_the_first_full_stop() {
        assert_eq!(first_sentence("Congé de maternité. Une salariée a droit…"), "Congé de maternité.");
        assert_eq!(first_sentence("17.92 dirhams an hour. Then"), "17.92 dirhams an hour.");
        assert_eq!(first_sentence("لا أعرف الجواب؟ هذه"), "لا أعرف الجواب؟");
        assert_eq!(first_sentence("No stop"), "No stop");
    }
}

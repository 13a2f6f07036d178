//! Enrolment: checking a recording of a keyword and keeping it.
//!
//! A bad example spoils every later match against it, so each one is checked
//! (speech present, not clipped, a sane length) and the person enrolling is
//! told which ones to record again and why.

use std::path::{Path, PathBuf};

use super::KeywordError;
use crate::audio::{vad, Recording, SAMPLE_RATE};

/// How long a recording and the speech in it may be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Shortest speech accepted, in seconds.
    pub min_speech_s: f32,
    /// Longest speech accepted, in seconds.
    pub max_speech_s: f32,
    /// Longest recording accepted, silence included, in seconds.
    pub max_recording_s: f32,
}

/// One keyword: shortest speech that can be a word, the detector's 2 × 50 ms
/// margins included (espeak-ng's "un" at 200 words a minute is 0.19 s with
/// them); a short phrase at most; 10 s of recording.
pub const KEYWORD: Limits = Limits { min_speech_s: 0.15, max_speech_s: 2.5, max_recording_s: 10.0 };

/// One of the kiosk's own phrases (`corpora/phrases/LANG/NAME.wav`): from a
/// word ("Goodbye") to the welcome with its choices, said slowly.
pub const PHRASE: Limits = Limits { min_speech_s: 0.3, max_speech_s: 30.0, max_recording_s: 40.0 };

/// Samples this close to full scale were most likely cut off by the converter.
const FULL_SCALE: f32 = 0.99;
/// More than this share of speech samples at full scale is clipping.
const MAX_CLIPPED_SHARE: f32 = 0.002;
/// The loudest 10 ms of a word should be at least this loud (dB full scale).
const MIN_PEAK_DB: f32 = -40.0;

/// Why an example must be recorded again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Redo {
    #[error("no speech heard (the loudest moment is {peak_db:.0} dB): speak close to the microphone")]
    Silence { peak_db: f32 },
    #[error(
        "clipped: {percent:.1} % of the word is at full volume; step back from the microphone or turn the gain down"
    )]
    Clipped { percent: f32 },
    #[error("the speech lasts {seconds:.2} s: too short (at least {min} s); say it whole")]
    TooShort { seconds: f32, min: f32 },
    #[error("the speech lasts {seconds:.1} s: too long for one recording (at most {max} s)")]
    TooLong { seconds: f32, max: f32 },
    #[error("the recording lasts {seconds:.0} s: cut it to what is said (at most {max} s)")]
    RecordingTooLong { seconds: f32, max: f32 },
}

/// A recording that passed, with what is worth saying about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub speech_seconds: f32,
    /// e.g. "recorded at 44100 Hz: converted to 16 kHz".
    pub notes: Vec<String>,
}

/// Checks one recording of a keyword (already decoded to 16 kHz mono).
pub fn check(recording: &Recording) -> Result<Checked, Redo> {
    check_within(recording, &KEYWORD)
}

/// Checks one recording (already decoded to 16 kHz mono) against `limits`.
pub fn check_within(recording: &Recording, limits: &Limits) -> Result<Checked, Redo> {
    let samples = &recording.samples;
    let seconds = samples.len() as f32 / SAMPLE_RATE as f32;
    if seconds > limits.max_recording_s {
        return Err(Redo::RecordingTooLong { seconds, max: limits.max_recording_s });
    }
    let peak_db = vad::frame_energies(samples).into_iter().fold(f32::NEG_INFINITY, f32::max);
    if peak_db < MIN_PEAK_DB {
        return Err(Redo::Silence { peak_db });
    }
    let span = vad::speech_span(samples).ok_or(Redo::Silence { peak_db })?;
    let speech = &samples[span];
    let clipped = speech.iter().filter(|s| s.abs() >= FULL_SCALE).count() as f32 / speech.len() as f32;
    if clipped > MAX_CLIPPED_SHARE {
        return Err(Redo::Clipped { percent: 100.0 * clipped });
    }
    let speech_seconds = speech.len() as f32 / SAMPLE_RATE as f32;
    if speech_seconds < limits.min_speech_s {
        return Err(Redo::TooShort { seconds: speech_seconds, min: limits.min_speech_s });
    }
    if speech_seconds > limits.max_speech_s {
        return Err(Redo::TooLong { seconds: speech_seconds, max: limits.max_speech_s });
    }
    let mut notes = Vec::new();
    if recording.source_rate != SAMPLE_RATE {
        notes.push(format!("recorded at {} Hz: converted to 16 kHz", recording.source_rate));
    }
    if recording.source_channels > 1 {
        notes.push(format!("{} channels: mixed down to one", recording.source_channels));
    }
    Ok(Checked { speech_seconds, notes })
}

/// A keyword name that is safe as a folder name: letters (any script), digits,
/// `-` and `_` (not first), at most 40 characters.
pub fn valid_word(word: &str) -> Result<&str, KeywordError> {
    let ok = !word.is_empty()
        && word.chars().count() <= 40
        && word.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        // `_other` and any later `_` folder are the tool's own.
        && !word.starts_with(['-', '_']);
    ok.then_some(word).ok_or_else(|| KeywordError::BadWord(word.to_string()))
}

/// Keeps a checked recording as `DIR/LANG/WORD/SPEAKER-N.wav` (16 kHz mono,
/// 16-bit), written to a temporary file, synced, then renamed: a power cut
/// leaves either the whole file or none.
pub fn keep(dir: &Path, lang: &str, word: &str, speaker: &str, samples: &[f32]) -> Result<PathBuf, KeywordError> {
    let folder = dir.join(lang).join(word);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeywordError::Io { path, source }
    };
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let path =
        (1..).map(|n| folder.join(format!("{speaker}-{n}.wav"))).find(|p| !p.exists()).expect("some number is free");
    crate::documents::write_synced(&path, &crate::audio::wav_bytes(samples)).map_err(io(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(samples: Vec<f32>) -> Recording {
        Recording { samples, source_rate: SAMPLE_RATE, source_channels: 1 }
    }

    fn word(seconds: f32, amplitude: f32) -> Vec<f32> {
        let mut samples = vec![0.0; 4_000];
        samples.extend((0..(seconds * 16_000.0) as usize).map(|i| amplitude * (i as f32 * 0.09).sin()));
        samples.extend(vec![0.0; 4_000]);
        samples
    }

    #[test]
    fn each_bad_recording_gets_its_reason() {
        assert!(check(&recording(word(0.5, 0.3))).is_ok());
        assert!(matches!(check(&recording(vec![0.0; 16_000])), Err(Redo::Silence { .. })));
        assert!(matches!(check(&recording(word(0.5, 0.002))), Err(Redo::Silence { .. })));
        let clipped: Vec<f32> = word(0.5, 3.0).into_iter().map(|s| s.clamp(-1.0, 1.0)).collect();
        assert!(matches!(check(&recording(clipped)), Err(Redo::Clipped { .. })));
        assert!(matches!(check(&recording(word(0.02, 0.3))), Err(Redo::TooShort { .. })));
        assert!(matches!(check(&recording(word(4.0, 0.3))), Err(Redo::TooLong { .. })));
        let resampled = Recording { source_rate: 44_100, ..recording(word(0.5, 0.3)) };
        assert_eq!(check(&resampled).unwrap().notes, ["recorded at 44100 Hz: converted to 16 kHz"]);
    }

    #[test]
    fn keyword_names_are_folder_safe() {
        assert!(valid_word("répète").is_ok());
        assert!(valid_word("عاود").is_ok());
        assert!(valid_word("ⵢⴰⵏ").is_ok());
        for bad in ["", "../x", "a b", "-x", "_other"] {
            assert!(valid_word(bad).is_err(), "{bad}");
        }
    }
}

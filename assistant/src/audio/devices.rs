//! The kiosk's sound devices behind two seams: [`Capture`] (16 kHz mono
//! chunks from a microphone) and [`Playback`] (reply audio to a speaker).
//! [`SoundDevices`] opens them, and opens them again after a device is lost.
//! Two sets: [`SystemSound`], the machine's default input and output (cpal
//! and rodio), and [`RecordedSound`], recordings played into the kiosk as if
//! spoken and what it says written to files — the same loop, with no sound
//! card, for tests and for replaying a visit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::microphone::{DeviceError, Microphone};
use super::playback::Speaker;
use super::{load_audio, AudioError, SAMPLE_RATE};

/// Where utterances come from.
pub trait Capture {
    /// What the device is called, for the log.
    fn name(&self) -> &str;

    /// The next 16 kHz mono samples; `Ok(None)` when nothing came within
    /// `timeout`; [`DeviceError::Ended`] when a recorded input is over; any
    /// other error when the device failed or went away.
    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Vec<f32>>, DeviceError>;

    /// The kiosk has just spoken: drops what was captured meanwhile and for
    /// `guard` from now (its own voice). Recordings are not heard during a
    /// reply, so they keep everything.
    fn ignore_own_voice(&mut self, _guard: Duration) {}
}

/// Where replies are heard.
pub trait Playback {
    /// Plays a WAV file to its end.
    fn play(&mut self, path: &Path) -> Result<(), DeviceError>;

    /// A short tone, not waited for: "I am listening".
    fn beep(&mut self);
}

/// Opens the kiosk's input and output.
pub trait SoundDevices {
    fn open_capture(&mut self) -> Result<Box<dyn Capture>, DeviceError>;
    fn open_playback(&mut self) -> Result<Box<dyn Playback>, DeviceError>;
}

/// The machine's default microphone and speaker.
#[derive(Debug, Default)]
pub struct SystemSound;

impl SoundDevices for SystemSound {
    fn open_capture(&mut self) -> Result<Box<dyn Capture>, DeviceError> {
        Ok(Box::new(Microphone::open()?))
    }

    fn open_playback(&mut self) -> Result<Box<dyn Playback>, DeviceError> {
        Ok(Box::new(Speaker::open()?))
    }
}

impl Capture for Microphone {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Vec<f32>>, DeviceError> {
        Microphone::next_chunk(self, timeout)
    }

    fn ignore_own_voice(&mut self, guard: Duration) {
        Microphone::ignore_own_voice(self, guard)
    }
}

impl Playback for Speaker {
    fn play(&mut self, path: &Path) -> Result<(), DeviceError> {
        Speaker::play(self, path)
    }

    fn beep(&mut self) {
        Speaker::beep(self)
    }
}

/// Recordings said into the kiosk one after the other, with quiet between
/// them; everything it plays is copied, in order, to a folder.
pub struct RecordedSound {
    /// The whole input, 16 kHz mono: quiet, then each recording followed by quiet.
    stream: Option<Vec<f32>>,
    played_dir: PathBuf,
}

/// Quiet before the first recording and after each one: longer than the
/// kiosk's end-of-speech pause, so each recording is one turn.
const GAP: Duration = Duration::from_millis(1500);

impl RecordedSound {
    /// Decodes every recording now: a file that cannot be read is an error
    /// here, not a microphone to wait for.
    pub fn open(recordings: &[PathBuf], played_dir: PathBuf) -> Result<Self, AudioError> {
        let quiet = vec![0.0; (GAP.as_secs_f32() * SAMPLE_RATE as f32) as usize];
        let mut stream = quiet.clone();
        for path in recordings {
            stream.extend(load_audio(path)?.samples);
            // Each recording starts on a 10 ms frame of the endpointer, as it
            // would in a file of its own.
            stream.resize(stream.len().next_multiple_of(FRAME), 0.0);
            stream.extend_from_slice(&quiet);
        }
        Ok(Self { stream: Some(stream), played_dir })
    }
}

impl SoundDevices for RecordedSound {
    fn open_capture(&mut self) -> Result<Box<dyn Capture>, DeviceError> {
        // Said once: a capture opened again hears nothing and ends at once.
        let stream = self.stream.take().unwrap_or_default();
        Ok(Box::new(RecordedCapture { stream, at: 0 }))
    }

    fn open_playback(&mut self) -> Result<Box<dyn Playback>, DeviceError> {
        std::fs::create_dir_all(&self.played_dir).map_err(|e| DeviceError::Open(e.to_string()))?;
        Ok(Box::new(PlayedFiles { dir: self.played_dir.clone(), count: 0 }))
    }
}

struct RecordedCapture {
    stream: Vec<f32>,
    at: usize,
}

/// The endpointer's frame, 10 ms.
const FRAME: usize = SAMPLE_RATE as usize / 100;
/// 100 ms, as a sound server hands out.
const CHUNK: usize = SAMPLE_RATE as usize / 10;

impl Capture for RecordedCapture {
    fn name(&self) -> &str {
        "recordings"
    }

    fn next_chunk(&mut self, _timeout: Duration) -> Result<Option<Vec<f32>>, DeviceError> {
        if self.at >= self.stream.len() {
            return Err(DeviceError::Ended);
        }
        let end = (self.at + CHUNK).min(self.stream.len());
        let chunk = self.stream[self.at..end].to_vec();
        self.at = end;
        Ok(Some(chunk))
    }
}

/// Copies each played file to `dir` as `NNN.wav`, in the order played.
struct PlayedFiles {
    dir: PathBuf,
    count: usize,
}

impl Playback for PlayedFiles {
    fn play(&mut self, path: &Path) -> Result<(), DeviceError> {
        self.count += 1;
        let copy = self.dir.join(format!("{:03}.wav", self.count));
        std::fs::copy(path, &copy)
            .map(|_| ())
            .map_err(|e| DeviceError::Play { path: path.to_path_buf(), message: e.to_string() })
    }

    fn beep(&mut self) {}
}

//! The kiosk's microphone (cpal): the default input device, captured in
//! chunks, mixed to mono and resampled to 16 kHz. A device that disappears
//! mid-sentence ends the capture with an error; the kiosk then waits for it.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::{downmix, StreamResampler, SAMPLE_RATE};

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no microphone found: plug in a USB microphone or sound card (`awal doctor` lists what the system sees)")]
    NoInput,
    #[error("no speaker found: plug in a speaker or sound card (`awal doctor` lists what the system sees)")]
    NoOutput,
    #[error("the microphone could not be opened: {0}")]
    Open(String),
    #[error("the microphone stopped: {0}")]
    Lost(String),
    #[error("the recorded input is over")]
    Ended,
    #[error("the speaker could not play {path}: {message}")]
    Play { path: std::path::PathBuf, message: String },
}

/// Silence from a live device comes as samples; this long with none is a lost device.
const STALLED: Duration = Duration::from_secs(3);

enum Captured {
    Samples(Vec<f32>),
    Failed(String),
}

pub struct Microphone {
    /// Kept alive: dropping it stops the capture. `None` only while dropped.
    stream: Option<cpal::Stream>,
    /// The device failed or went away.
    lost: bool,
    chunks: Receiver<Captured>,
    channels: usize,
    resampler: StreamResampler,
    /// A failure met while discarding chunks, still to report.
    failure: Option<String>,
    /// Chunks captured before this are the kiosk's own voice.
    deaf_until: Instant,
    /// When the device last delivered samples.
    last_samples: Instant,
    pub name: String,
}

impl Microphone {
    /// Opens the default input device at its default configuration.
    pub fn open() -> Result<Self, DeviceError> {
        let host = cpal::default_host();
        let device = host.default_input_device().ok_or(DeviceError::NoInput)?;
        let name = device.description().map(|d| d.to_string()).unwrap_or_else(|_| "default".into());
        // ALSA names a "default" device even with no sound card; it fails here.
        let config = device.default_input_config().map_err(|e| match e.kind() {
            cpal::ErrorKind::DeviceNotAvailable => DeviceError::NoInput,
            _ => DeviceError::Open(e.to_string()),
        })?;
        let channels = usize::from(config.channels());
        let rate = config.sample_rate();
        let (sender, chunks) = mpsc::channel();
        let failures = sender.clone();
        let on_error = move |e: cpal::Error| {
            let _ = failures.send(Captured::Failed(e.to_string()));
        };
        let open = |e: cpal::Error| DeviceError::Open(e.to_string());
        let stream = match config.sample_format() {
            cpal::SampleFormat::F32 => device.build_input_stream(
                config.into(),
                move |data: &[f32], _: &_| {
                    let _ = sender.send(Captured::Samples(data.to_vec()));
                },
                on_error,
                None,
            ),
            cpal::SampleFormat::I16 => device.build_input_stream(
                config.into(),
                move |data: &[i16], _: &_| {
                    let _ = sender.send(Captured::Samples(data.iter().map(|&s| f32::from(s) / 32768.0).collect()));
                },
                on_error,
                None,
            ),
            other => return Err(DeviceError::Open(format!("unsupported sample format {other}"))),
        }
        .map_err(open)?;
        stream.play().map_err(open)?;
        let resampler = StreamResampler::new(rate, SAMPLE_RATE).map_err(|e| DeviceError::Open(e.to_string()))?;
        Ok(Self {
            stream: Some(stream),
            lost: false,
            chunks,
            channels,
            resampler,
            failure: None,
            deaf_until: Instant::now(),
            last_samples: Instant::now(),
            name,
        })
    }

    /// Drops the chunks captured and not yet read, and those captured
    /// within `guard` from now: the kiosk's own voice (a failure is kept: it
    /// is the next thing [`Self::next_chunk`] says).
    pub fn ignore_own_voice(&mut self, guard: Duration) {
        self.deaf_until = Instant::now() + guard;
        // What queued while the kiosk spoke came from a live device.
        self.last_samples = Instant::now();
        while let Ok(captured) = self.chunks.try_recv() {
            if let Captured::Failed(message) = captured {
                self.failure = Some(message);
                return;
            }
        }
    }

    /// The next 16 kHz mono samples; `Ok(None)` when nothing came within
    /// `timeout`; an error when the device failed or went away.
    pub fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Vec<f32>>, DeviceError> {
        let chunk = self.receive(timeout);
        self.lost |= chunk.is_err();
        chunk
    }

    fn receive(&mut self, timeout: Duration) -> Result<Option<Vec<f32>>, DeviceError> {
        if let Some(message) = self.failure.take() {
            return Err(DeviceError::Lost(message));
        }
        match self.chunks.recv_timeout(timeout) {
            Ok(Captured::Samples(interleaved)) => {
                self.last_samples = Instant::now();
                let mono = downmix(&interleaved, self.channels);
                let samples = self.resampler.push(&mono).map_err(|e| DeviceError::Lost(e.to_string()))?;
                // Still the tail of the kiosk's own voice.
                Ok(Some(if Instant::now() < self.deaf_until { Vec::new() } else { samples }))
            }
            Ok(Captured::Failed(message)) => Err(DeviceError::Lost(message)),
            // A live device delivers silence too: nothing at all means the
            // device or the sound server went away without a word (cpal over
            // PulseAudio reports no error when the server stops).
            Err(RecvTimeoutError::Timeout) if self.last_samples.elapsed() >= STALLED => Err(DeviceError::Lost(
                format!("no sound from the microphone for {} s (device or sound server gone)", STALLED.as_secs()),
            )),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(DeviceError::Lost("the capture stream ended".into())),
        }
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        if self.lost {
            // Stopping a stream joins its capture thread, and over PulseAudio
            // that thread can be stuck for good in libpulse once the server
            // died: the kiosk would hang. A lost stream is left behind (a
            // thread and a few descriptors per loss) so the kiosk can open the
            // microphone again.
            std::mem::forget(self.stream.take());
        }
    }
}

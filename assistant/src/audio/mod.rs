//! Audio in: decode a recording and bring it to what the recogniser eats —
//! 16 kHz mono `f32` samples in [-1, 1].
//!
//! [`decode::AudioDecoder`] streams any file symphonia reads (WAV, FLAC, MP3,
//! Ogg/Vorbis, M4A/AAC, MKV/WebM…) in bounded memory; [`load_audio`] collects
//! a whole file. Files whose samples are not finite, or that hold no audio, are
//! errors that name the file. [`vad`] finds where speech starts and ends, in a
//! clip or a live stream.

pub mod decode;
pub mod devices;
pub mod filterbank;
pub mod format_check;
pub mod input_events;
pub mod microphone;
pub mod playback;
pub mod push_to_talk;
pub mod resample;
pub mod tag_check;
pub mod vad;

use std::path::{Path, PathBuf};

pub use decode::AudioDecoder;
pub use resample::StreamResampler;

/// The sample rate every later stage works at.
pub const SAMPLE_RATE: u32 = 16_000;

/// A capture whose every sample stays under this (-80 dBFS) gives only
/// digital silence: a muted or disconnected input, or a source nobody feeds.
/// A room is never that quiet; a microphone's own hiss is louder.
pub const DIGITAL_SILENCE: f32 = 1e-4;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is a directory, not an audio file")]
    Directory { path: PathBuf },
    #[error("{path}: not a readable audio file ({message})")]
    Decode { path: PathBuf, message: String },
    #[error("{path}: the recording holds no samples")]
    Empty { path: PathBuf },
    #[error("{path}: sample {index} is {value} (not a finite number): the file is corrupt")]
    NotFinite { path: PathBuf, index: u64, value: f32 },
    #[error("{path}: sample {index} is {value}, where a recording stays within ±1: the file is corrupt")]
    OutOfRange { path: PathBuf, index: u64, value: f32 },
    #[error("resampling from {from} Hz failed: {message}")]
    Resample { from: u32, message: String },
}

/// A decoded recording at 16 kHz mono.
#[derive(Debug, Clone)]
pub struct Recording {
    pub samples: Vec<f32>,
    /// The rate and channel count of the file before conversion.
    pub source_rate: u32,
    pub source_channels: u16,
}

/// Decodes a whole file to 16 kHz mono.
pub fn load_audio(path: &Path) -> Result<Recording, AudioError> {
    let mut decoder = AudioDecoder::open(path)?;
    let mut samples = Vec::new();
    while let Some(chunk) = decoder.next_chunk()? {
        samples.extend_from_slice(&chunk);
    }
    if samples.is_empty() {
        return Err(AudioError::Empty { path: path.to_path_buf() });
    }
    Ok(Recording { samples, source_rate: decoder.source_rate(), source_channels: decoder.source_channels() })
}

/// A 16 kHz mono, 16-bit PCM WAV file's bytes holding `samples` (clamped to
/// [-1, 1]): how recordings made here are kept.
pub fn wav_bytes(samples: &[f32]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::with_capacity(44 + 2 * samples.len()));
    // Writing to memory fails only past WAV's 4 GiB, far beyond any recording kept.
    let mut writer = hound::WavWriter::new(&mut bytes, spec).expect("a WAV header fits in memory");
    for sample in samples {
        writer.write_sample((sample.clamp(-1.0, 1.0) * i16::MAX as f32) as i16).expect("samples fit in memory");
    }
    writer.finalize().expect("a WAV file fits in memory");
    bytes.into_inner()
}

/// Averages interleaved channels into one.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32).collect()
}

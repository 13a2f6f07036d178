//! Audio in: decode a recording and bring it to what the recogniser eats —
//! 16 kHz mono `f32` samples in [-1, 1].

pub mod resample;

use std::path::{Path, PathBuf};

pub use resample::resample;

/// The sample rate every later stage works at.
pub const SAMPLE_RATE: u32 = 16_000;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a readable WAV file ({message})")]
    Decode { path: PathBuf, message: String },
    #[error("{path}: the recording holds no samples")]
    Empty { path: PathBuf },
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

impl Recording {
    pub fn duration_s(&self) -> f32 {
        self.samples.len() as f32 / SAMPLE_RATE as f32
    }
}

/// Reads a WAV file (integer or float PCM, any rate, any channel count) and
/// converts it to 16 kHz mono.
pub fn load_wav(path: &Path) -> Result<Recording, AudioError> {
    let decode_error = |e: hound::Error| match e {
        hound::Error::IoError(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
            AudioError::Io { path: path.to_path_buf(), source }
        }
        other => AudioError::Decode { path: path.to_path_buf(), message: other.to_string() },
    };
    let reader = hound::WavReader::open(path).map_err(decode_error)?;
    let spec = reader.spec();
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.into_samples::<f32>().collect::<Result<_, _>>().map_err(decode_error)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(decode_error)?
        }
    };
    if interleaved.is_empty() {
        return Err(AudioError::Empty { path: path.to_path_buf() });
    }
    let mono = downmix(&interleaved, spec.channels as usize);
    let samples = resample(&mono, spec.sample_rate, SAMPLE_RATE)?;
    Ok(Recording { samples, source_rate: spec.sample_rate, source_channels: spec.channels })
}

/// Averages interleaved channels into one.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32).collect()
}

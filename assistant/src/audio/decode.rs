//! Streaming decoder: any container and codec symphonia supports (and Opus,
//! through libopus: WhatsApp voice notes are Ogg/Opus), downmixed to
//! mono and resampled to 16 kHz chunk by chunk, so an hour-long recording never
//! sits in memory at its original rate.

use std::fs::File;
use std::path::{Path, PathBuf};

use std::sync::OnceLock;
use symphonia::core::audio::SampleBuffer;

use symphonia::core::codecs::{CodecRegistry, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::resample::StreamResampler;
use super::{downmix, AudioError, SAMPLE_RATE};

/// Symphonia's codecs plus Opus (through libopus).
fn codecs() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_all::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    })
}

pub struct AudioDecoder {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    source_rate: u32,
    source_channels: u16,
    resampler: StreamResampler,
    /// Samples (at the source rate) seen so far, to name a bad one.
    position: u64,
    /// The length the header announces, in frames, if it does.
    announced_frames: Option<u64>,
    finished: bool,
}

impl AudioDecoder {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        guarded(path, || Self::open_unguarded(path))
    }

    fn open_unguarded(path: &Path) -> Result<Self, AudioError> {
        let decode_error = |message: String| AudioError::Decode { path: path.to_path_buf(), message };
        if path.is_dir() {
            return Err(AudioError::Directory { path: path.to_path_buf() });
        }
        let mut file = File::open(path).map_err(|source| AudioError::Io { path: path.to_path_buf(), source })?;
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        if length == 0 {
            return Err(AudioError::Empty { path: path.to_path_buf() });
        }
        // Checked before symphonia sees the header: it panics on some
        // impossible ones, and allocates what a tag's length says.
        let rewind = |file: &mut File| {
            std::io::Seek::rewind(file).map_err(|source| AudioError::Io { path: path.to_path_buf(), source })
        };
        super::format_check::check_wav_header(&mut file).map_err(&decode_error)?;
        rewind(&mut file)?;
        super::tag_check::check_tags(&mut file, length).map_err(&decode_error)?;
        rewind(&mut file)?;
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        let probed = symphonia::default::get_probe()
            .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
            .map_err(|e| decode_error(e.to_string()))?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| decode_error("no audio track".into()))?;
        let params = &track.codec_params;
        let source_rate = params.sample_rate.ok_or_else(|| decode_error("no sample rate".into()))?;
        let channel_count = params.channels.map_or(1, |c| c.count());
        // Bounds the resampler: a rate within these limits can at most
        // multiply or divide the length by a known factor.
        super::format_check::check_declared(source_rate, channel_count).map_err(&decode_error)?;
        let source_channels = channel_count as u16;
        let decoder = codecs()
            .make(params, &DecoderOptions::default())
            .map_err(|e| decode_error(format!("unsupported codec: {e}")))?;
        let track_id = track.id;
        let announced_frames = params.n_frames;
        let resampler = StreamResampler::new(source_rate, SAMPLE_RATE)?;
        Ok(Self {
            path: path.to_path_buf(),
            format,
            decoder,
            track_id,
            source_rate,
            source_channels,
            resampler,
            position: 0,
            announced_frames,
            finished: false,
        })
    }

    pub fn source_rate(&self) -> u32 {
        self.source_rate
    }

    pub fn source_channels(&self) -> u16 {
        self.source_channels
    }

    /// The chunks as an iterator, for [`crate::asr::Recognizer::transcribe_stream`].
    pub fn chunks(&mut self) -> impl Iterator<Item = Result<Vec<f32>, AudioError>> + '_ {
        std::iter::from_fn(move || self.next_chunk().transpose())
    }

    /// The next chunk of 16 kHz mono samples; `None` at the end of the file.
    /// A truncated file ends early (what was readable is kept); a corrupt
    /// packet in the middle is skipped, as players do.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        let path = self.path.clone();
        let chunk = guarded(&path, || self.next_chunk_unguarded());
        // A decoder that panicked is in no state to go on.
        self.finished |= chunk.is_err();
        chunk
    }

    fn next_chunk_unguarded(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        loop {
            if self.finished {
                return Ok(None);
            }
            let packet = match self.format.next_packet() {
                Ok(packet) => packet,
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.finished = true;
                    // A copy cut short (a USB stick pulled out): what is there is
                    // used, and the log says the file is shorter than it claims.
                    if let Some(announced) = self.announced_frames.filter(|n| self.position < *n) {
                        let seconds = |frames: u64| frames as f64 / f64::from(self.source_rate.max(1));
                        tracing::warn!(
                            "{}: truncated: {:.1} s of audio where the header announces {:.1} s; decoded as far as it goes",
                            self.path.display(),
                            seconds(self.position),
                            seconds(announced)
                        );
                    }
                    let tail = self.resampler.finish()?;
                    return Ok((!tail.is_empty()).then_some(tail));
                }
                Err(e) => return Err(AudioError::Decode { path: self.path.clone(), message: e.to_string() }),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(decoded) => decoded,
                Err(SymphoniaError::DecodeError(_)) => continue,
                Err(e) => return Err(AudioError::Decode { path: self.path.clone(), message: e.to_string() }),
            };
            let spec = *decoded.spec();
            let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
            buffer.copy_interleaved_ref(decoded);
            let channels = spec.channels.count().max(1);
            let mono = downmix(buffer.samples(), channels);
            if let Some((i, &value)) = mono.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(AudioError::NotFinite { path: self.path.clone(), index: self.position + i as u64, value });
            }
            // A float recording may clip a little past ±1; values far past it
            // are corrupt, and would overflow the resampler's FFT.
            if let Some((i, &value)) = mono.iter().enumerate().find(|(_, v)| v.abs() > MAX_SAMPLE) {
                return Err(AudioError::OutOfRange { path: self.path.clone(), index: self.position + i as u64, value });
            }
            self.position += mono.len() as u64;
            let out = self.resampler.push(&mono)?;
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }
}

/// Runs `decode` on `path`, turning a panic inside a decoder into an error:
/// symphonia's parsers still panic on some corrupt files (found by
/// `tests/decoder_fuzz.rs`), and one bad recording must not bring down the
/// kiosk or the server that received it.
fn guarded<T>(path: &Path, decode: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        tracing::warn!("{}: the decoder failed on a corrupt file: {message}", path.display());
        Err(AudioError::Decode { path: path.to_path_buf(), message: format!("{DECODER_FAILED}: {message}") })
    })
}

/// The largest sample value taken from a file (full scale is 1).
const MAX_SAMPLE: f32 = 1_000.0;

/// How an error caused by a decoder's panic starts.
pub const DECODER_FAILED: &str = "the decoder failed on a corrupt file";

#[cfg(test)]
mod tests {
    use super::super::load_audio;
    use super::*;

    /// A 16-bit PCM WAV declaring `rate` Hz and `channels`, holding `frames` of silence.
    fn wav(dir: &Path, rate: u32, channels: u16, frames: usize) -> PathBuf {
        let path = dir.join(format!("{rate}-{channels}.wav"));
        let bytes = super::super::format_check::wav(rate, channels, 16, frames * usize::from(channels) * 2);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_wav_declaring_an_impossible_rate_is_refused_without_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        // Symphonia panics on 0 Hz; 1 Hz would be resampled 16000-fold.
        for (rate, why) in [(0, "0 Hz"), (1, "1 Hz"), (3_000_000, "3000000 Hz")] {
            let path = wav(dir.path(), rate, 1, 1600);
            match load_audio(&path) {
                Err(AudioError::Decode { message, .. }) => assert!(message.contains(why), "{message}"),
                other => panic!("{rate} Hz: {other:?}"),
            }
        }
        let path = wav(dir.path(), 16_000, 0, 1600);
        assert!(matches!(load_audio(&path), Err(AudioError::Decode { .. })), "0 channels");
    }

    #[test]
    fn a_float_wav_far_past_full_scale_is_refused_not_resampled() {
        // Found by tests/decoder_fuzz.rs: 1e30 overflowed the resampler's FFT, which panicked.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loud.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut wav = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..8_820 {
            wav.write_sample(if i == 4_000 { 1e30f32 } else { 0.5 }).unwrap();
        }
        wav.finalize().unwrap();
        match load_audio(&path) {
            Err(AudioError::OutOfRange { index: 2_000, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_tiny_ordinary_wav_still_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let recording = load_audio(&wav(dir.path(), 8_000, 2, 800)).unwrap();
        assert_eq!((recording.source_rate, recording.source_channels), (8_000, 2));
        assert_eq!(recording.samples.len(), 1600);
    }
}

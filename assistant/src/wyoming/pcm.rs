//! Audio as Wyoming carries it: raw little-endian PCM in `audio-chunk`
//! payloads, its format (`rate`, `width` in bytes, `channels`) in the event's
//! data. Brought to 16 kHz mono for hearing.

use serde_json::Value;

use crate::audio::format_check::check_declared;
use crate::audio::resample::StreamResampler;
use crate::audio::{downmix, SAMPLE_RATE};

use super::frame::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub rate: u32,
    pub width: usize,
    pub channels: usize,
}

impl Format {
    /// The format an `audio-start` or `audio-chunk` declares, checked.
    pub fn of(event: &Event) -> Result<Self, String> {
        let number = |key: &str| event.data.get(key).and_then(Value::as_u64);
        let (Some(rate), Some(width), Some(channels)) = (number("rate"), number("width"), number("channels")) else {
            return Err(format!("{} needs `rate`, `width` and `channels` as whole numbers", event.kind));
        };
        let rate = u32::try_from(rate).map_err(|_| format!("a sample rate of {rate} Hz"))?;
        check_declared(rate, channels as usize).map_err(|e| format!("the audio {e}"))?;
        if !(1..=4).contains(&width) {
            return Err(format!("a sample width of {width} bytes (1 to 4)"));
        }
        Ok(Self { rate, width: width as usize, channels: channels as usize })
    }
}

/// Collects one utterance's chunks as 16 kHz mono, up to a bound.
pub struct Utterance {
    format: Format,
    resampler: StreamResampler,
    pub samples: Vec<f32>,
    max_samples: usize,
}

impl Utterance {
    pub fn new(format: Format, max_seconds: usize) -> Result<Self, String> {
        let resampler = StreamResampler::new(format.rate, SAMPLE_RATE).map_err(|e| e.to_string())?;
        Ok(Self { format, resampler, samples: Vec::new(), max_samples: max_seconds * SAMPLE_RATE as usize })
    }

    /// Adds a chunk's payload (in the chunk's own format, which must be the
    /// utterance's: a resampler is per rate).
    pub fn push(&mut self, format: Format, payload: &[u8]) -> Result<(), String> {
        if format != self.format {
            return Err(format!("a chunk in {format:?} inside audio started as {:?}", self.format));
        }
        let interleaved = decode(payload, format)?;
        let mono = downmix(&interleaved, format.channels);
        let resampled = self.resampler.push(&mono).map_err(|e| e.to_string())?;
        if self.samples.len() + resampled.len() > self.max_samples {
            return Err(format!("the audio is longer than {} s", self.max_samples / SAMPLE_RATE as usize));
        }
        self.samples.extend(resampled);
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<f32>, String> {
        let tail = self.resampler.finish().map_err(|e| e.to_string())?;
        self.samples.extend(tail);
        Ok(self.samples)
    }
}

/// Little-endian PCM to floats in [-1, 1]: 8-bit unsigned, 16-, 24- and 32-bit signed.
pub fn decode(bytes: &[u8], format: Format) -> Result<Vec<f32>, String> {
    let frame = format.width * format.channels;
    if !bytes.len().is_multiple_of(frame) {
        return Err(format!("{} bytes is not a whole number of {frame}-byte frames", bytes.len()));
    }
    let samples = bytes.chunks_exact(format.width).map(|b| match format.width {
        1 => (b[0] as f32 - 128.0) / 128.0,
        2 => i16::from_le_bytes([b[0], b[1]]) as f32 / 32_768.0,
        3 => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
        _ => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
    });
    Ok(samples.collect())
}

/// Floats to 16-bit little-endian PCM (what Awal's voices send).
pub fn encode_16(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|s| ((s.clamp(-1.0, 1.0) * 32_767.0).round() as i16).to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_width_decodes_to_the_same_level() {
        let half = |width| {
            let format = Format { rate: 16_000, width, channels: 1 };
            let bytes: Vec<u8> = match width {
                1 => vec![192],
                2 => 16_384i16.to_le_bytes().to_vec(),
                3 => vec![0, 0, 0x40],
                _ => (1i32 << 30).to_le_bytes().to_vec(),
            };
            decode(&bytes, format).unwrap()[0]
        };
        for width in 1..=4 {
            assert!((half(width) - 0.5).abs() < 1e-3, "width {width}: {}", half(width));
        }
    }

    #[test]
    fn impossible_formats_are_refused() {
        for data in [
            json!({"rate": 0, "width": 2, "channels": 1}),
            json!({"rate": 16000, "width": 0, "channels": 1}),
            json!({"rate": 16000, "width": 2, "channels": 100}),
            json!({"rate": 1, "width": 2, "channels": 1}),
            json!({"rate": "16000", "width": 2, "channels": 1}),
        ] {
            assert!(Format::of(&Event::new("audio-start", data.clone())).is_err(), "{data}");
        }
        let format = Format { rate: 16_000, width: 2, channels: 2 };
        assert!(decode(&[0, 0, 0], format).is_err(), "half a frame");
    }

    #[test]
    fn stereo_48_khz_comes_down_to_16_khz_mono_with_its_length() {
        let format = Format { rate: 48_000, width: 2, channels: 2 };
        let mut utterance = Utterance::new(format, 10).unwrap();
        let second = encode_16(&vec![0.25; 48_000 * 2]);
        for chunk in second.chunks(4096) {
            utterance.push(format, chunk).unwrap();
        }
        assert_eq!(utterance.finish().unwrap().len(), 16_000);
        let mut short = Utterance::new(Format { rate: 16_000, width: 2, channels: 1 }, 1).unwrap();
        let format = Format { rate: 16_000, width: 2, channels: 1 };
        assert!(short.push(format, &encode_16(&vec![0.0; 20_000])).unwrap_err().contains("longer than 1 s"));
    }
}

//! Sample-rate conversion with rubato's FFT resampler (band-limited, so no
//! aliasing when 44.1/48 kHz phone recordings come down to 16 kHz), streaming:
//! samples go in as they are decoded, and come out aligned with the input (the
//! resampler's delay is removed) and with the duration kept exactly.

use rubato::{FftFixedIn, Resampler};

use super::AudioError;

const CHUNK: usize = 1024;

pub struct StreamResampler {
    /// `None` when the rates are equal: samples pass through.
    inner: Option<FftFixedIn<f32>>,
    from: u32,
    to: u32,
    pending: Vec<f32>,
    /// Output samples still to drop (the filter's delay).
    skip: usize,
    consumed: u64,
    produced: u64,
}

impl StreamResampler {
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        let inner = if from == to {
            None
        } else {
            let resampler = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1).map_err(failure(from))?;
            Some(resampler)
        };
        let skip = inner.as_ref().map_or(0, |r| r.output_delay());
        Ok(Self { inner, from, to, pending: Vec::new(), skip, consumed: 0, produced: 0 })
    }

    /// Feeds samples; returns the resampled ones ready so far.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<f32>, AudioError> {
        self.consumed += samples.len() as u64;
        let Some(resampler) = self.inner.as_mut() else {
            self.produced += samples.len() as u64;
            return Ok(samples.to_vec());
        };
        self.pending.extend_from_slice(samples);
        let mut out = Vec::new();
        let mut used = 0;
        while self.pending.len() - used >= CHUNK {
            let block = resampler.process(&[&self.pending[used..used + CHUNK]], None).map_err(failure(self.from))?;
            out.extend_from_slice(&block[0]);
            used += CHUNK;
        }
        self.pending.drain(..used);
        Ok(self.emit(out))
    }

    /// Flushes the tail: the total output is `input × to / from` samples.
    pub fn finish(&mut self) -> Result<Vec<f32>, AudioError> {
        let expected = self.consumed * self.to as u64 / self.from as u64;
        let Some(resampler) = self.inner.as_mut() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        let rest = std::mem::take(&mut self.pending);
        // rubato refuses an empty partial block (input a whole number of chunks).
        if !rest.is_empty() {
            let block = resampler.process_partial(Some(&[rest.as_slice()]), None).map_err(failure(self.from))?;
            out.extend_from_slice(&block[0]);
        }
        let mut rounds = 0;
        while self.produced + (out.len().saturating_sub(self.skip)) as u64 <= expected && rounds < 8 {
            let block = resampler.process_partial::<&[f32]>(None, None).map_err(failure(self.from))?;
            out.extend_from_slice(&block[0]);
            rounds += 1;
        }
        let mut out = self.emit(out);
        let remaining = expected.saturating_sub(self.produced - out.len() as u64) as usize;
        out.truncate(remaining);
        self.produced = expected;
        Ok(out)
    }

    /// Drops the delay at the start and counts what goes out.
    fn emit(&mut self, mut out: Vec<f32>) -> Vec<f32> {
        let drop = self.skip.min(out.len());
        out.drain(..drop);
        self.skip -= drop;
        self.produced += out.len() as u64;
        out
    }
}

fn failure<E: std::fmt::Display>(from: u32) -> impl Fn(E) -> AudioError {
    move |e| AudioError::Resample { from, message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resamples a whole buffer of mono samples from `from` Hz to `to` Hz.
    fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
        let mut resampler = StreamResampler::new(from, to)?;
        let mut out = resampler.push(samples)?;
        out.extend(resampler.finish()?);
        Ok(out)
    }

    fn tone(rate: usize, seconds: usize) -> Vec<f32> {
        (0..rate * seconds).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin()).collect()
    }

    #[test]
    fn keeps_duration_and_frequency() {
        let out = resample(&tone(48_000, 1), 48_000, 16_000).unwrap();
        assert_eq!(out.len(), 16_000);
        // Zero crossings of a 440 Hz tone over one second: ~880.
        let crossings = out.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
        assert!((870..=890).contains(&crossings), "{crossings}");
        // Aligned: the tone starts at the start, not after the filter delay.
        assert!(out[100..200].iter().any(|v| v.abs() > 0.5));
    }

    #[test]
    fn an_input_of_whole_chunks_is_flushed() {
        // espeak-ng wrote a 16384-sample word at 22050 Hz: 16 chunks, no rest.
        let input: Vec<f32> = tone(22_050, 1).into_iter().take(16 * CHUNK).collect();
        let out = resample(&input, 22_050, 16_000).unwrap();
        assert_eq!(out.len(), 16 * CHUNK * 16_000 / 22_050);
    }

    #[test]
    fn streaming_in_odd_pieces_matches_one_go() {
        let input = tone(44_100, 2);
        let whole = resample(&input, 44_100, 16_000).unwrap();
        let mut streaming = StreamResampler::new(44_100, 16_000).unwrap();
        let mut pieces = Vec::new();
        for piece in input.chunks(777) {
            pieces.extend(streaming.push(piece).unwrap());
        }
        pieces.extend(streaming.finish().unwrap());
        assert_eq!(pieces.len(), whole.len());
        assert_eq!(pieces.len(), 32_000);
        let max_diff = pieces.iter().zip(&whole).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_diff < 1e-4, "{max_diff}");
    }
}

//! Sample-rate conversion with rubato's FFT resampler (band-limited, so no
//! aliasing when 44.1/48 kHz phone recordings come down to 16 kHz).

use rubato::{FftFixedIn, Resampler};

use super::AudioError;

const CHUNK: usize = 1024;

/// Resamples mono `samples` from `from` Hz to `to` Hz, keeping the duration:
/// the output has `len × to / from` samples, aligned with the input (the
/// resampler's delay is removed).
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to {
        return Ok(samples.to_vec());
    }
    let fail = |e: &dyn std::fmt::Display| AudioError::Resample { from, message: e.to_string() };
    let mut resampler = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1).map_err(|e| fail(&e))?;
    let expected = (samples.len() as u64 * to as u64 / from as u64) as usize;
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(expected + delay + CHUNK);
    let mut chunks = samples.chunks_exact(CHUNK);
    for chunk in &mut chunks {
        let block = resampler.process(&[chunk], None).map_err(|e| fail(&e))?;
        out.extend_from_slice(&block[0]);
    }
    let rest = chunks.remainder();
    let block = resampler.process_partial(Some(&[rest]), None).map_err(|e| fail(&e))?;
    out.extend_from_slice(&block[0]);
    // Flush the resampler's delay line with silence until the tail is out.
    while out.len() < expected + delay {
        let block = resampler.process_partial::<&[f32]>(None, None).map_err(|e| fail(&e))?;
        if block[0].is_empty() {
            break;
        }
        out.extend_from_slice(&block[0]);
    }
    out.drain(..delay.min(out.len()));
    out.resize(expected, 0.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duration_and_frequency() {
        let from = 48_000;
        let tone: Vec<f32> =
            (0..from).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / from as f32).sin()).collect();
        let out = resample(&tone, from as u32, 16_000).unwrap();
        assert_eq!(out.len(), 16_000);
        // Zero crossings of a 440 Hz tone over one second: ~880.
        let crossings = out.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
        assert!((870..=890).contains(&crossings), "{crossings}");
        // Aligned: the tone starts at the start, not after the filter delay.
        assert!(out[100..200].iter().any(|v| v.abs() > 0.5));
    }
}

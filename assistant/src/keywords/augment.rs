//! The copies of a recording that the keywords are trained and measured on:
//! padded with silence and white noise at a signal-to-noise ratio ([`noisy`]),
//! and played faster or slower ([`perturbed`]). The trained check
//! ([`super::detector`]) learns from exactly what the evaluation
//! ([`super::eval`]) tests with, padding included, so both take them from here:
//! changing one changes the product and its published figures together.
//! Samples are 16 kHz mono `f32`; the random draws come from the caller's
//! seeded generator, so the same seed gives bit-identical copies.

use rand::Rng;

use crate::audio::{vad, StreamResampler, SAMPLE_RATE};

/// Silence put around each recording before noise is added, so that the
/// voice-activity detection has to find the word in the noise.
const PAD_S: f32 = 0.3;

/// The recording padded with silence and, for `Some(snr)`, white noise at that
/// ratio to the power of its speech.
pub fn noisy(samples: &[f32], snr_db: Option<f32>, rng: &mut impl Rng) -> Vec<f32> {
    let pad = vec![0.0; (PAD_S * 16_000.0) as usize];
    let mut out: Vec<f32> = pad.iter().chain(samples).chain(&pad).copied().collect();
    let Some(snr_db) = snr_db else { return out };
    let span = vad::speech_span(samples).unwrap_or(0..samples.len());
    let speech = &samples[span];
    let power = speech.iter().map(|s| s * s).sum::<f32>() / speech.len().max(1) as f32;
    let sigma = (power / 10f32.powf(snr_db / 10.0)).sqrt();
    for sample in &mut out {
        // Box–Muller: two uniforms give one standard normal.
        let (u, v): (f32, f32) = (rng.random_range(f32::EPSILON..1.0), rng.random());
        *sample += sigma * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos();
    }
    out
}

/// The recording played `factor` times faster: formants and pitch move up by
/// that factor, as between a taller and a shorter speaker (Kaldi's speed
/// perturbation).
pub fn perturbed(samples: &[f32], factor: f32) -> Vec<f32> {
    let from = (SAMPLE_RATE as f32 * factor).round() as u32;
    let Ok(mut resampler) = StreamResampler::new(from, SAMPLE_RATE) else {
        return samples.to_vec();
    };
    let mut out = resampler.push(samples).unwrap_or_default();
    out.extend(resampler.finish().unwrap_or_default());
    out
}

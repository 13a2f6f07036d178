//! Whisper's log-mel front end: 16 kHz mono `f32` samples → `[n_mels, frames]`
//! log-mel spectrogram, 100 frames per second.
//!
//! Matches OpenAI's `log_mel_spectrogram`: periodic Hann window of 400 samples,
//! hop 160, reflect padding of 200 at both ends (`center=True`), power spectrum,
//! Slaney mel filterbank ([`crate::audio::filterbank`]),
//! `log10(max(x, 1e-10))`, clamp to `max − 8`, then `(x + 4) / 4`.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use crate::audio::filterbank::mel_filters;

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP_LENGTH: usize = 160;
/// Samples in one 30 s Whisper window.
pub const WINDOW_SAMPLES: usize = 30 * SAMPLE_RATE;
/// Mel frames in one 30 s window.
pub const WINDOW_FRAMES: usize = WINDOW_SAMPLES / HOP_LENGTH;

/// Computes log-mel spectrograms; holds the FFT plan, window and filterbank so
/// repeated calls do no set-up work.
pub struct MelFrontEnd {
    n_mels: usize,
    filters: Vec<f32>,
    /// Per filter, the range of frequency bins where its weight is not zero.
    bands: Vec<std::ops::Range<usize>>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl MelFrontEnd {
    pub fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let filters = mel_filters(SAMPLE_RATE, N_FFT, n_mels);
        let n_freq = N_FFT / 2 + 1;
        let bands = (0..n_mels)
            .map(|m| {
                let row = &filters[m * n_freq..(m + 1) * n_freq];
                let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
                let last = row.iter().rposition(|&w| w != 0.0).map_or(0, |i| i + 1);
                first..last.max(first)
            })
            .collect();
        Self { n_mels, filters, bands, window, fft }
    }

    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Log-mel of `samples` followed by `padding` zero samples, as OpenAI's
    /// reference pads with 30 s of silence. Returns `(values, n_frames)` with
    /// values row-major `[n_mels, n_frames]`.
    pub fn compute(&self, samples: &[f32], padding: usize) -> (Vec<f32>, usize) {
        let total = samples.len() + padding;
        let at = |i: usize| if i < samples.len() { samples[i] } else { 0.0 };
        // Reflect padding of N_FFT / 2 on both sides (torch.stft, center=True).
        let half = N_FFT / 2;
        let padded_at = |j: isize| -> f32 {
            let i = j - half as isize;
            let i = if i < 0 {
                -i
            } else if i >= total as isize {
                2 * (total as isize - 1) - i
            } else {
                i
            };
            at(i as usize)
        };
        // torch.stft yields 1 + total / hop frames; Whisper drops the last one.
        let n_frames = total / HOP_LENGTH;
        let n_freq = N_FFT / 2 + 1;
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; n_freq];
        // Frames whose window lies wholly in the zero padding are log10(1e-10).
        let mut mel = vec![-10f32; self.n_mels * n_frames];
        let audible_frames = ((samples.len() + half).div_ceil(HOP_LENGTH) + 1).min(n_frames);
        for frame in 0..audible_frames {
            let start = (frame * HOP_LENGTH) as isize;
            for (k, slot) in input.iter_mut().enumerate() {
                *slot = padded_at(start + k as isize) * self.window[k];
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("buffer sizes come from the plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (m, band) in self.bands.iter().enumerate() {
                let row = &self.filters[m * n_freq + band.start..m * n_freq + band.end];
                let energy: f32 = row.iter().zip(&power[band.clone()]).map(|(w, p)| w * p).sum();
                mel[m * n_frames + frame] = energy.max(1e-10).log10();
            }
        }
        let max = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut mel {
            *v = ((*v).max(max - 8.0) + 4.0) / 4.0;
        }
        (mel, n_frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_up_the_right_band() {
        let tone: Vec<f32> =
            (0..SAMPLE_RATE).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin()).collect();
        let front = MelFrontEnd::new(80);
        let (mel, frames) = front.compute(&tone, 0);
        assert_eq!(frames, 100);
        let frame = 50;
        let loudest = (0..80).max_by(|&a, &b| mel[a * frames + frame].total_cmp(&mel[b * frames + frame])).unwrap();
        // 1 kHz sits at mel 15 of 0..~45.2 on the Slaney scale: band ≈ 80 × 15 / 45.2 ≈ 26.
        assert!((25..=27).contains(&loudest), "loudest band {loudest}");
    }
}

#[cfg(test)]
mod reference_tests {
    //! Against the fixture written by `scripts/mel-reference` (NumPy + librosa).
    use super::*;
    use crate::audio::filterbank::reference::{fixture, floats};

    #[test]
    fn log_mel_matches_the_reference_within_1e_4() {
        let bytes = fixture("mel_reference.bin");
        let n_mels = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
        let n_frames = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let reference = floats(&bytes[8..]);
        let signal: Vec<f32> = (0..32_000)
            .map(|n| {
                let t = n as f64 / 16_000.0;
                let tau = 2.0 * std::f64::consts::PI;
                (0.5 * (tau * 440.0 * t).sin()
                    + 0.25 * (tau * (200.0 + 1800.0 * t) * t).sin()
                    + 0.05 * (tau * 3000.0 * t).sin()) as f32
            })
            .collect();
        let (ours, frames) = MelFrontEnd::new(n_mels).compute(&signal, 0);
        assert_eq!(frames, n_frames);
        let worst = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    }
}

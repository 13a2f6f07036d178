//! The whole VITS network at inference (`VitsModel.forward`): token ids in;
//! per-token durations in frames and the waveform out. The text encoder gives
//! each token a prior; the duration predictor says how many frames it lasts
//! (⌈e^log_duration / speaking_rate⌉); the prior, repeated over those frames
//! and moved by noise × e^log_variance × noise_scale, goes backwards through
//! the flow into the HiFi-GAN decoder. Pure: noise comes from a seeded
//! generator, so the same input gives the same waveform; zero noise scales
//! give the most likely one (what the parity tests compare).

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};

use super::config::VitsConfig;
use super::decoder::Decoder;
use super::duration::{frames, DurationPredictor, StochasticDurationPredictor};
use super::flow::Flow;
use super::text_encoder::TextEncoder;
use super::weights::Weights;
use super::VitsError;

/// How a sentence is said: the knobs of `VitsModel.forward`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VitsParams {
    /// Larger is faster (`speaking_rate`; durations are divided by it).
    pub speaking_rate: f32,
    /// Variation of the latent (`noise_scale`; 0: the prior's mean).
    pub noise_scale: f32,
    /// Variation of the durations (`noise_scale_duration`; 0: the most likely).
    pub noise_scale_duration: f32,
    /// Seed of the noise, so a sentence always sounds the same.
    pub seed: u64,
}

impl VitsParams {
    /// The checkpoint's own settings (MMS-TTS: rate 1, noise 0.667 and 0.8).
    pub fn of(config: &VitsConfig) -> Self {
        Self {
            speaking_rate: config.speaking_rate,
            noise_scale: config.noise_scale,
            noise_scale_duration: config.noise_scale_duration,
            seed: 0,
        }
    }

    /// No noise at all: the same output as transformers with both noise scales 0.
    pub fn without_noise(speaking_rate: f32) -> Self {
        Self { speaking_rate, noise_scale: 0.0, noise_scale_duration: 0.0, seed: 0 }
    }
}

enum Durations {
    Stochastic(StochasticDurationPredictor),
    Plain(DurationPredictor),
}

pub struct VitsNetwork {
    encoder: TextEncoder,
    durations: Durations,
    flow: Flow,
    decoder: Decoder,
}

/// Durations and waveform of one run.
pub struct Synthesized {
    /// Frames per token.
    pub durations: Vec<usize>,
    /// Samples in −1..1 at the config's sampling rate.
    pub samples: Vec<f32>,
}

/// `count` standard normal values (Box–Muller).
fn gaussian(rng: &mut rand::rngs::StdRng, count: usize) -> Vec<f32> {
    (0..count)
        .map(|_| {
            let u: f64 = 1.0 - rng.random::<f64>();
            let v: f64 = rng.random();
            ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
        })
        .collect()
}

impl VitsNetwork {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let durations = if config.use_stochastic_duration_prediction {
            Durations::Stochastic(StochasticDurationPredictor::load(&w.pp("duration_predictor"), config)?)
        } else {
            Durations::Plain(DurationPredictor::load(&w.pp("duration_predictor"), config)?)
        };
        Ok(Self {
            encoder: TextEncoder::load(&w.pp("text_encoder"), config)?,
            durations,
            flow: Flow::load(&w.pp("flow"), config)?,
            decoder: Decoder::load(&w.pp("decoder"), config)?,
        })
    }

    /// `tokens`: ids below the config's vocab_size, at least one.
    pub fn forward(&self, tokens: &[u32], params: &VitsParams) -> candle_core::Result<Synthesized> {
        let device = Device::Cpu;
        let mut rng = rand::rngs::StdRng::seed_from_u64(params.seed);
        let length = tokens.len();
        let encoded = self.encoder.forward(&Tensor::new(tokens, &device)?)?;
        let log_durations = match &self.durations {
            Durations::Stochastic(predictor) => {
                let noise = gaussian(&mut rng, 2 * length).into_iter().map(|x| x * params.noise_scale_duration);
                let noise = Tensor::from_iter(noise, &device)?.reshape((1, 2, length))?;
                predictor.forward(&encoded.hidden, &noise)?
            }
            Durations::Plain(predictor) => predictor.forward(&encoded.hidden)?,
        };
        let durations = frames(&log_durations, params.speaking_rate)?;
        // Each token's column repeated over its frames.
        let columns: Vec<u32> =
            durations.iter().enumerate().flat_map(|(i, &d)| std::iter::repeat_n(i as u32, d)).collect();
        if columns.is_empty() {
            return Ok(Synthesized { durations, samples: Vec::new() });
        }
        let columns = Tensor::new(columns.as_slice(), &device)?;
        let means = encoded.means.index_select(&columns, 2)?;
        let prior = if params.noise_scale > 0.0 {
            let log_variances = encoded.log_variances.index_select(&columns, 2)?;
            let noise = Tensor::from_vec(gaussian(&mut rng, means.elem_count()), means.shape(), &device)?;
            (means + (noise * log_variances.exp()?)?.affine(params.noise_scale as f64, 0.0)?)?
        } else {
            means
        };
        let latent = self.flow.reverse(&prior)?;
        let samples = self.decoder.forward(&latent)?.to_vec1::<f32>()?;
        Ok(Synthesized { durations, samples })
    }
}

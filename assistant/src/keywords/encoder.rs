//! Keyword features from the Whisper encoder: its last layer describes sounds
//! the way the decoder needs to read them, which varies less between voices
//! and in noise than cepstra do. One frame per 20 ms, each scaled to unit
//! length so that the Euclidean distance of [`super::dtw`] orders frames as the
//! cosine does.

use std::path::Path;

use candle_core::{Device, Tensor};

use super::features::{FeatureExtractor, Features};
use super::KeywordError;
use crate::asr::candle_whisper::CandleWhisper;
use crate::asr::mel::MelFrontEnd;
use crate::asr::{AsrError, WeightPrecision};

pub struct WhisperFeatures {
    whisper: CandleWhisper,
    mel: MelFrontEnd,
}

impl WhisperFeatures {
    /// Loads the encoder of the Whisper model in `dir` (any size; `whisper-base` by default).
    pub fn load(dir: &Path) -> Result<Self, AsrError> {
        let whisper = CandleWhisper::load(dir, WeightPrecision::Q8)?;
        let mel = MelFrontEnd::new(whisper.model().config.num_mel_bins);
        Ok(Self { whisper, mel })
    }
}

impl FeatureExtractor for WhisperFeatures {
    fn compute(&mut self, samples: &[f32]) -> Result<Features, KeywordError> {
        // Whole 20 ms encoder steps: pad to an even number of 10 ms mel frames.
        let padding = (2 * 160 - samples.len() % (2 * 160)) % (2 * 160);
        let (mel, frames) = self.mel.compute(samples, padding);
        let n_mels = self.mel.n_mels();
        let encode = || -> candle_core::Result<Vec<Vec<f32>>> {
            let mel = Tensor::from_vec(mel, (1, n_mels, frames), &Device::Cpu)?;
            self.whisper.model_mut().encode(&mel)?.squeeze(0)?.to_vec2::<f32>()
        };
        let rows = encode().map_err(AsrError::from)?;
        let dim = rows.first().map_or(0, Vec::len);
        let mut values = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
            values.extend(row.into_iter().map(|v| v / norm));
        }
        Ok(Features { dim, values })
    }
}

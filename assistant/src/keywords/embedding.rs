//! Keyword features from Google's speech embedding (as shipped by
//! openWakeWord, model `speech-embedding`): a network trained to spot words
//! across many voices, giving one 96-value vector per 80 ms. Two ONNX graphs,
//! run with tract: a log-mel front end (32 bands every 10 ms) and the
//! embedding network over windows of 76 mel frames.

use std::path::Path;

use tract_onnx::prelude::*;

use super::features::{FeatureExtractor, Features};
use super::KeywordError;

/// The model's id in the manifest.
pub const SPEECH_EMBEDDING: &str = "speech-embedding";
/// Values per embedding.
pub const DIM: usize = 96;
/// Mel frames per embedding window (775 ms) and frames between windows (80 ms).
const WINDOW_FRAMES: usize = 76;
const STEP_FRAMES: usize = 8;
/// The shortest input, in samples, that gives a few windows: a short word is
/// padded with silence to it (openWakeWord's own minimum is one window).
const MIN_SAMPLES: usize = (WINDOW_FRAMES + 3) * 160 + 4 * STEP_FRAMES * 160;

type Plan = TypedRunnableModel<TypedModel>;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    #[error("{path}: {source}")]
    Load { path: std::path::PathBuf, source: TractError },
    #[error("speech embedding: {0}")]
    Run(#[from] TractError),
}

pub struct SpeechEmbedding {
    mel: Plan,
    embedding: Plan,
}

impl SpeechEmbedding {
    /// Loads `melspectrogram.onnx` and `embedding_model.onnx` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, EmbeddingError> {
        let plan = |name: &str| {
            let path = dir.join(name);
            tract_onnx::onnx()
                .model_for_path(&path)
                .and_then(|model| model.into_optimized())
                .and_then(|model| model.into_runnable())
                .map_err(|source| EmbeddingError::Load { path, source })
        };
        Ok(Self { mel: plan("melspectrogram.onnx")?, embedding: plan("embedding_model.onnx")? })
    }

    /// One embedding per 80 ms of 16 kHz samples, row-major `[steps, DIM]`.
    pub fn embed(&self, samples: &[f32]) -> Result<Features, EmbeddingError> {
        let padding = match samples.len() < MIN_SAMPLES {
            true => (MIN_SAMPLES - samples.len()) / 2 + 1,
            false => 0,
        };
        // The front end expects 16-bit sample values.
        let mut input = vec![0f32; padding];
        input.extend(samples.iter().map(|s| s * 32767.0));
        input.resize(input.len() + padding, 0.0);
        let length = input.len();
        let wave = Tensor::from_shape(&[1, length], &input)?;
        let mel = self.mel.run(tvec!(wave.into()))?.remove(0);
        // openWakeWord's scaling of the front end's output to the network's input.
        let mel: Vec<f32> = mel.as_slice::<f32>()?.iter().map(|v| v / 10.0 + 2.0).collect();
        let bands = 32;
        let frames = mel.len() / bands;
        let windows = (frames.saturating_sub(WINDOW_FRAMES)) / STEP_FRAMES + 1;
        let mut batch = Vec::with_capacity(windows * WINDOW_FRAMES * bands);
        for w in 0..windows {
            let start = w * STEP_FRAMES * bands;
            batch.extend_from_slice(&mel[start..start + WINDOW_FRAMES * bands]);
        }
        let batch = Tensor::from_shape(&[windows, WINDOW_FRAMES, bands, 1], &batch)?;
        let out = self.embedding.run(tvec!(batch.into()))?.remove(0);
        Ok(Features { dim: DIM, values: out.as_slice::<f32>()?.to_vec() })
    }
}

impl FeatureExtractor for SpeechEmbedding {
    fn compute(&mut self, samples: &[f32]) -> Result<Features, KeywordError> {
        Ok(self.embed(samples)?)
    }

    /// The network hears a word best with some of its surroundings (measured
    /// on the synthesised set: silence padding instead cost 10 points of false
    /// accepts).
    fn context_samples(&self) -> usize {
        4_800
    }
}

//! The `config.json` of a Hugging Face `VitsModel` checkpoint (MMS-TTS): the
//! fields the network reads, with the defaults `VitsConfig` gives a field a
//! file leaves out (they are MMS-TTS's own sizes).

use serde::Deserialize;

/// The network's shape and switches, as `transformers` names them.
#[derive(Debug, Clone, Deserialize)]
pub struct VitsConfig {
    pub vocab_size: usize,
    #[serde(default = "defaults::hidden_size")]
    pub hidden_size: usize,
    #[serde(default = "defaults::num_hidden_layers")]
    pub num_hidden_layers: usize,
    #[serde(default = "defaults::num_attention_heads")]
    pub num_attention_heads: usize,
    /// Relative positions seen by the attention on each side; none: no
    /// relative position embeddings.
    #[serde(default = "defaults::window_size")]
    pub window_size: Option<usize>,
    #[serde(default = "defaults::yes")]
    pub use_bias: bool,
    #[serde(default = "defaults::ffn_dim")]
    pub ffn_dim: usize,
    #[serde(default = "defaults::ffn_kernel_size")]
    pub ffn_kernel_size: usize,
    /// Channels of the latent the flow and the decoder work on.
    #[serde(default = "defaults::hidden_size")]
    pub flow_size: usize,
    #[serde(default = "defaults::relu")]
    pub hidden_act: String,
    #[serde(default = "defaults::layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "defaults::yes")]
    pub use_stochastic_duration_prediction: bool,
    #[serde(default = "defaults::one")]
    pub num_speakers: usize,
    #[serde(default)]
    pub speaker_embedding_size: usize,
    #[serde(default = "defaults::upsample_initial_channel")]
    pub upsample_initial_channel: usize,
    #[serde(default = "defaults::upsample_rates")]
    pub upsample_rates: Vec<usize>,
    #[serde(default = "defaults::upsample_kernel_sizes")]
    pub upsample_kernel_sizes: Vec<usize>,
    #[serde(default = "defaults::resblock_kernel_sizes")]
    pub resblock_kernel_sizes: Vec<usize>,
    #[serde(default = "defaults::resblock_dilation_sizes")]
    pub resblock_dilation_sizes: Vec<Vec<usize>>,
    #[serde(default = "defaults::leaky_relu_slope")]
    pub leaky_relu_slope: f64,
    #[serde(default = "defaults::two")]
    pub depth_separable_channels: usize,
    #[serde(default = "defaults::three")]
    pub depth_separable_num_layers: usize,
    #[serde(default = "defaults::duration_predictor_flow_bins")]
    pub duration_predictor_flow_bins: usize,
    #[serde(default = "defaults::duration_predictor_tail_bound")]
    pub duration_predictor_tail_bound: f32,
    #[serde(default = "defaults::three")]
    pub duration_predictor_kernel_size: usize,
    #[serde(default = "defaults::four")]
    pub duration_predictor_num_flows: usize,
    #[serde(default = "defaults::duration_predictor_filter_channels")]
    pub duration_predictor_filter_channels: usize,
    #[serde(default = "defaults::four")]
    pub prior_encoder_num_flows: usize,
    #[serde(default = "defaults::four")]
    pub prior_encoder_num_wavenet_layers: usize,
    #[serde(default = "defaults::wavenet_kernel_size")]
    pub wavenet_kernel_size: usize,
    #[serde(default = "defaults::one")]
    pub wavenet_dilation_rate: usize,
    /// Larger is faster speech; the voice's own default.
    #[serde(default = "defaults::speaking_rate")]
    pub speaking_rate: f32,
    /// How much the latent varies (0: always the prior's mean).
    #[serde(default = "defaults::noise_scale")]
    pub noise_scale: f32,
    /// How much the durations vary (0: always the same).
    #[serde(default = "defaults::noise_scale_duration")]
    pub noise_scale_duration: f32,
    #[serde(default = "defaults::sampling_rate")]
    pub sampling_rate: u32,
}

impl VitsConfig {
    /// Why this configuration cannot be run, if it cannot.
    pub fn unsupported(&self) -> Option<String> {
        if self.num_attention_heads == 0 || !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Some(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if Activation::parse(&self.hidden_act).is_none() {
            return Some(format!("hidden_act `{}` (known: relu, gelu)", self.hidden_act));
        }
        if self.num_speakers > 1 || self.speaker_embedding_size != 0 {
            return Some(format!(
                "{} speakers (speaker_embedding_size {}): only single-speaker voices (as MMS-TTS) are read",
                self.num_speakers, self.speaker_embedding_size
            ));
        }
        let upsamples = self.upsample_rates.len();
        if upsamples == 0 || self.upsample_kernel_sizes.len() != upsamples {
            return Some(format!(
                "upsample_rates and upsample_kernel_sizes must have the same, non-zero length (found {upsamples} and {})",
                self.upsample_kernel_sizes.len()
            ));
        }
        if self.upsample_initial_channel >> upsamples == 0 {
            return Some(format!(
                "upsample_initial_channel {} cannot be halved {upsamples} times",
                self.upsample_initial_channel
            ));
        }
        if self.resblock_kernel_sizes.is_empty()
            || self.resblock_dilation_sizes.len() != self.resblock_kernel_sizes.len()
        {
            return Some(
                "resblock_kernel_sizes and resblock_dilation_sizes must have the same, non-zero length".into(),
            );
        }
        if !self.flow_size.is_multiple_of(2) || self.depth_separable_channels != 2 {
            return Some(format!(
                "flow_size {} must be even and depth_separable_channels {} must be 2",
                self.flow_size, self.depth_separable_channels
            ));
        }
        if self.duration_predictor_flow_bins < 2 || self.ffn_kernel_size == 0 || self.wavenet_kernel_size == 0 {
            return Some("duration_predictor_flow_bins, ffn_kernel_size and wavenet_kernel_size are too small".into());
        }
        if self.speaking_rate.is_nan() || self.speaking_rate <= 0.0 {
            return Some(format!("speaking_rate {} must be positive", self.speaking_rate));
        }
        None
    }

    /// Output samples per latent frame: the product of the upsampling rates (256 for MMS-TTS).
    pub fn samples_per_frame(&self) -> usize {
        self.upsample_rates.iter().product()
    }
}

/// The activations `transformers` names in these configs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    /// The exact (erf) GELU: `transformers`' `gelu`.
    Gelu,
}

impl Activation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "relu" => Some(Self::Relu),
            "gelu" => Some(Self::Gelu),
            _ => None,
        }
    }
}

/// `VitsConfig`'s defaults (facebook/mms-tts-eng).
mod defaults {
    pub fn hidden_size() -> usize {
        192
    }
    pub fn num_hidden_layers() -> usize {
        6
    }
    pub fn num_attention_heads() -> usize {
        2
    }
    pub fn window_size() -> Option<usize> {
        Some(4)
    }
    pub fn yes() -> bool {
        true
    }
    pub fn ffn_dim() -> usize {
        768
    }
    pub fn ffn_kernel_size() -> usize {
        3
    }
    pub fn relu() -> String {
        "relu".into()
    }
    pub fn layer_norm_eps() -> f64 {
        1e-5
    }
    pub fn one() -> usize {
        1
    }
    pub fn two() -> usize {
        2
    }
    pub fn three() -> usize {
        3
    }
    pub fn four() -> usize {
        4
    }
    pub fn upsample_initial_channel() -> usize {
        512
    }
    pub fn upsample_rates() -> Vec<usize> {
        vec![8, 8, 2, 2]
    }
    pub fn upsample_kernel_sizes() -> Vec<usize> {
        vec![16, 16, 4, 4]
    }
    pub fn resblock_kernel_sizes() -> Vec<usize> {
        vec![3, 7, 11]
    }
    pub fn resblock_dilation_sizes() -> Vec<Vec<usize>> {
        vec![vec![1, 3, 5]; 3]
    }
    pub fn leaky_relu_slope() -> f64 {
        0.1
    }
    pub fn duration_predictor_flow_bins() -> usize {
        10
    }
    pub fn duration_predictor_tail_bound() -> f32 {
        5.0
    }
    pub fn duration_predictor_filter_channels() -> usize {
        256
    }
    pub fn wavenet_kernel_size() -> usize {
        5
    }
    pub fn speaking_rate() -> f32 {
        1.0
    }
    pub fn noise_scale() -> f32 {
        0.667
    }
    pub fn noise_scale_duration() -> f32 {
        0.8
    }
    pub fn sampling_rate() -> u32 {
        16_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_mms_tts() {
        let config: VitsConfig = serde_json::from_str(r#"{"vocab_size": 38}"#).unwrap();
        assert_eq!((config.hidden_size, config.num_hidden_layers, config.flow_size), (192, 6, 192));
        assert_eq!(config.samples_per_frame(), 256);
        assert!(config.unsupported().is_none());
        let speakers: VitsConfig = serde_json::from_str(r#"{"vocab_size": 38, "num_speakers": 4}"#).unwrap();
        assert!(speakers.unsupported().unwrap().contains("speakers"));
    }
}

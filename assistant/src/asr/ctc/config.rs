//! The `config.json` of a Hugging Face `Wav2Vec2ForCTC` checkpoint: the
//! fields the network reads, with the defaults `Wav2Vec2Config` gives a field
//! a file leaves out.

use serde::Deserialize;

/// The network's shape and switches, as `transformers` names them.
#[derive(Debug, Clone, Deserialize)]
pub struct CtcConfig {
    pub vocab_size: usize,
    #[serde(default = "defaults::hidden_size")]
    pub hidden_size: usize,
    #[serde(default = "defaults::num_hidden_layers")]
    pub num_hidden_layers: usize,
    #[serde(default = "defaults::num_attention_heads")]
    pub num_attention_heads: usize,
    #[serde(default = "defaults::intermediate_size")]
    pub intermediate_size: usize,
    #[serde(default = "defaults::gelu")]
    pub hidden_act: String,
    #[serde(default = "defaults::layer_norm_eps")]
    pub layer_norm_eps: f64,
    /// `group`: a group norm after the first convolution only (wav2vec2-base);
    /// `layer`: a layer norm after every convolution (large, XLS-R, MMS).
    #[serde(default = "defaults::feat_extract_norm")]
    pub feat_extract_norm: String,
    #[serde(default = "defaults::gelu")]
    pub feat_extract_activation: String,
    #[serde(default = "defaults::conv_dim")]
    pub conv_dim: Vec<usize>,
    #[serde(default = "defaults::conv_stride")]
    pub conv_stride: Vec<usize>,
    #[serde(default = "defaults::conv_kernel")]
    pub conv_kernel: Vec<usize>,
    #[serde(default)]
    pub conv_bias: bool,
    #[serde(default = "defaults::num_conv_pos_embeddings")]
    pub num_conv_pos_embeddings: usize,
    #[serde(default = "defaults::num_conv_pos_embedding_groups")]
    pub num_conv_pos_embedding_groups: usize,
    /// Layer norm before each block (true: large, XLS-R, MMS) or after it.
    #[serde(default)]
    pub do_stable_layer_norm: bool,
    /// Width of the MMS language adapters in each block; none without them.
    #[serde(default)]
    pub adapter_attn_dim: Option<usize>,
    /// The convolutional adapter after the encoder (`add_adapter`), which no
    /// published CTC recognizer of the four languages uses: refused.
    #[serde(default)]
    pub add_adapter: bool,
    /// The CTC blank.
    #[serde(default)]
    pub pad_token_id: Option<usize>,
}

impl CtcConfig {
    /// Why this configuration cannot be run, if it cannot.
    pub fn unsupported(&self) -> Option<String> {
        let layers = self.conv_dim.len();
        if layers == 0 || self.conv_stride.len() != layers || self.conv_kernel.len() != layers {
            return Some(format!(
                "conv_dim, conv_stride and conv_kernel must have the same length (found {}, {}, {})",
                layers,
                self.conv_stride.len(),
                self.conv_kernel.len()
            ));
        }
        if !matches!(self.feat_extract_norm.as_str(), "group" | "layer") {
            return Some(format!("feat_extract_norm `{}` (known: group, layer)", self.feat_extract_norm));
        }
        for act in [&self.hidden_act, &self.feat_extract_activation] {
            if Activation::parse(act).is_none() {
                return Some(format!("activation `{act}` (known: gelu, relu)"));
            }
        }
        if self.num_attention_heads == 0 || !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Some(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        let groups = self.num_conv_pos_embedding_groups;
        if groups == 0 || !self.hidden_size.is_multiple_of(groups) {
            return Some(format!(
                "hidden_size {} is not a multiple of num_conv_pos_embedding_groups {groups}",
                self.hidden_size
            ));
        }
        if self.add_adapter {
            return Some("add_adapter (a convolutional adapter after the encoder)".into());
        }
        None
    }

    /// Samples per output frame: the product of the convolution strides (320).
    pub fn samples_per_frame(&self) -> usize {
        self.conv_stride.iter().product()
    }

    /// Output frames for `samples` input samples (0 if too short for the first kernel).
    pub fn frames(&self, samples: usize) -> usize {
        let mut length = samples;
        for (&kernel, &stride) in self.conv_kernel.iter().zip(&self.conv_stride) {
            if length < kernel {
                return 0;
            }
            length = (length - kernel) / stride + 1;
        }
        length
    }
}

/// The activations `transformers` names in these configs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// The exact (erf) GELU: `transformers`' `gelu`.
    Gelu,
    Relu,
}

impl Activation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu" => Some(Self::Gelu),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }
}

/// `Wav2Vec2Config`'s defaults (wav2vec2-base).
mod defaults {
    pub fn hidden_size() -> usize {
        768
    }
    pub fn num_hidden_layers() -> usize {
        12
    }
    pub fn num_attention_heads() -> usize {
        12
    }
    pub fn intermediate_size() -> usize {
        3072
    }
    pub fn gelu() -> String {
        "gelu".into()
    }
    pub fn layer_norm_eps() -> f64 {
        1e-5
    }
    pub fn feat_extract_norm() -> String {
        "group".into()
    }
    pub fn conv_dim() -> Vec<usize> {
        vec![512; 7]
    }
    pub fn conv_stride() -> Vec<usize> {
        vec![5, 2, 2, 2, 2, 2, 2]
    }
    pub fn conv_kernel() -> Vec<usize> {
        vec![10, 3, 3, 3, 3, 2, 2]
    }
    pub fn num_conv_pos_embeddings() -> usize {
        128
    }
    pub fn num_conv_pos_embedding_groups() -> usize {
        16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_the_convolutions() {
        let config: CtcConfig = serde_json::from_str(r#"{"vocab_size": 32}"#).unwrap();
        assert_eq!(config.samples_per_frame(), 320);
        // transformers: 1 s at 16 kHz gives 49 frames, 5 s 249.
        assert_eq!(config.frames(16_000), 49);
        assert_eq!(config.frames(80_000), 249);
        assert_eq!(config.frames(399), 0);
        assert_eq!(config.frames(400), 1);
        assert!(config.unsupported().is_none());
    }
}

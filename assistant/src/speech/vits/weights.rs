//! The checkpoint's tensors by Hugging Face name, each checked against the
//! shape `config.json` implies: a missing or misshapen one is an error naming
//! the file. Convolutions come as `weight` or in weight-norm parts (`weight_g`
//! and `weight_v` as the published MMS-TTS checkpoints name them, or torch's
//! newer `parametrizations.weight.original0/1`), folded into one weight here.

use std::path::{Path, PathBuf};

use candle_core::Tensor;
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm};

use crate::asr::model::WeightSource;
use crate::asr::weights::SafetensorsFile;

use super::conv::TapConv;
use super::VitsError;

/// `model.safetensors`, naming itself in its errors.
pub struct WeightFile {
    path: PathBuf,
    file: SafetensorsFile,
}

impl WeightFile {
    pub fn open(path: &Path) -> Result<Self, VitsError> {
        if !path.is_file() {
            let message = "missing (a pytorch_model.bin checkpoint must be converted to safetensors first)";
            return Err(VitsError::File { file: path.to_path_buf(), message: message.into() });
        }
        let file = SafetensorsFile::open(path)
            .map_err(|e| VitsError::Weights { file: path.to_path_buf(), message: e.to_string() })?;
        Ok(Self { path: path.to_path_buf(), file })
    }

    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, VitsError> {
        self.file.tensor(name, shape).map_err(|e| self.error(name, shape, e))
    }

    fn error(&self, name: &str, shape: &[usize], error: candle_core::Error) -> VitsError {
        let file = self.path.clone();
        match error {
            candle_core::Error::WithBacktrace { inner, .. } => self.error(name, shape, *inner),
            candle_core::Error::CannotFindTensor { .. } => VitsError::MissingTensor { file, name: name.into() },
            candle_core::Error::UnexpectedShape { got, .. } => {
                VitsError::TensorShape { file, name: name.into(), expected: shape.to_vec(), found: got.dims().to_vec() }
            }
            other => VitsError::Weights { file, message: other.to_string() },
        }
    }
}

/// Loads under a name prefix.
pub struct Weights<'a> {
    file: &'a WeightFile,
    prefix: String,
}

impl<'a> Weights<'a> {
    pub fn root(file: &'a WeightFile) -> Self {
        Self { file, prefix: String::new() }
    }

    pub fn pp(&self, name: impl std::fmt::Display) -> Self {
        let prefix = if self.prefix.is_empty() { name.to_string() } else { format!("{}.{name}", self.prefix) };
        Weights { file: self.file, prefix }
    }

    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, VitsError> {
        self.file.tensor(&format!("{}.{name}", self.prefix), shape)
    }

    fn has(&self, name: &str) -> bool {
        self.file.file.contains(&format!("{}.{name}", self.prefix))
    }

    pub fn layer_norm(&self, size: usize, eps: f64) -> Result<LayerNorm, VitsError> {
        Ok(LayerNorm::new(self.get("weight", &[size])?, self.get("bias", &[size])?, eps))
    }

    /// A convolution's weight `shape` (`[out, in / groups, kernel]`, or
    /// `[in, out, kernel]` for a transposed one), plain or weight-normed
    /// (`dim=0`: one norm per first-axis slice).
    pub fn conv_weight(&self, shape: &[usize]) -> Result<Tensor, VitsError> {
        let g_shape = [shape[0], 1, 1];
        let (g, v) = if self.has("weight_g") {
            (self.get("weight_g", &g_shape)?, self.get("weight_v", shape)?)
        } else if self.has("parametrizations.weight.original0") {
            (
                self.get("parametrizations.weight.original0", &g_shape)?,
                self.get("parametrizations.weight.original1", shape)?,
            )
        } else {
            return self.get("weight", shape);
        };
        let norm = v.sqr()?.sum_keepdim(2)?.sum_keepdim(1)?.sqrt()?;
        Ok(v.broadcast_mul(&g.broadcast_div(&norm)?)?)
    }

    /// A 1-D convolution `inputs → outputs` over `kernel` steps, with a bias
    /// when `bias`, padded `padding` on both sides.
    pub fn conv1d(
        &self,
        inputs: usize,
        outputs: usize,
        kernel: usize,
        bias: bool,
        config: Conv1dConfig,
    ) -> Result<Conv1d, VitsError> {
        let weight = self.conv_weight(&[outputs, inputs / config.groups, kernel])?;
        let bias = if bias { Some(self.get("bias", &[outputs])?) } else { None };
        Ok(Conv1d::new(weight, bias, config))
    }

    /// A convolution `inputs → outputs` over `kernel` steps `dilation` apart,
    /// padded to keep the length, run as [`TapConv`] (the decoder's and the
    /// flow's, long in time).
    pub fn tap_conv(
        &self,
        inputs: usize,
        outputs: usize,
        kernel: usize,
        dilation: usize,
        bias: bool,
    ) -> Result<TapConv, VitsError> {
        let weight = self.conv_weight(&[outputs, inputs, kernel])?;
        let bias = if bias { Some(self.get("bias", &[outputs])?) } else { None };
        Ok(TapConv::new(&weight, bias.as_ref(), dilation, same_padding(kernel, dilation))?)
    }

    /// A pointwise (kernel 1) convolution with a bias.
    pub fn pointwise(&self, inputs: usize, outputs: usize) -> Result<Conv1d, VitsError> {
        self.conv1d(inputs, outputs, 1, true, Conv1dConfig::default())
    }
}

/// Padding that keeps the length of a convolution over `kernel` steps `dilation` apart.
pub fn same_padding(kernel: usize, dilation: usize) -> usize {
    (kernel * dilation - dilation) / 2
}

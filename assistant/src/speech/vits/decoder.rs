//! The HiFi-GAN decoder (`VitsHifiGan`): a latent `[1, flow, frames]` in, a
//! waveform `[samples]` in −1..1 out (samples = frames × the product of the
//! upsampling rates). Transposed convolutions upsample; after each, the mean
//! of residual blocks with several kernel sizes and dilations.

use candle_core::{Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, ConvTranspose1d, ConvTranspose1dConfig};

use super::config::VitsConfig;
use super::weights::{same_padding, Weights};
use super::VitsError;

fn leaky_relu(x: &Tensor, slope: f64) -> candle_core::Result<Tensor> {
    // max(x, slope · x) for 0 < slope < 1.
    x.maximum(&(x * slope)?)
}

/// `HifiGanResidualBlock`: pairs of (dilated, plain) convolutions, each pair residual.
struct ResidualBlock {
    pairs: Vec<(Conv1d, Conv1d)>,
    slope: f64,
}

impl ResidualBlock {
    fn load(w: &Weights, channels: usize, kernel: usize, dilations: &[usize], slope: f64) -> Result<Self, VitsError> {
        let pairs = dilations
            .iter()
            .enumerate()
            .map(|(i, &dilation)| {
                let dilated = Conv1dConfig { padding: same_padding(kernel, dilation), dilation, ..Default::default() };
                let plain = Conv1dConfig { padding: same_padding(kernel, 1), ..Default::default() };
                Ok((
                    w.pp(format!("convs1.{i}")).conv1d(channels, channels, kernel, true, dilated)?,
                    w.pp(format!("convs2.{i}")).conv1d(channels, channels, kernel, true, plain)?,
                ))
            })
            .collect::<Result<_, VitsError>>()?;
        Ok(Self { pairs, slope })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for (dilated, plain) in &self.pairs {
            let h = dilated.forward(&leaky_relu(&x, self.slope)?)?;
            let h = plain.forward(&leaky_relu(&h, self.slope)?)?;
            x = (x + h)?;
        }
        Ok(x)
    }
}

pub struct Decoder {
    pre: Conv1d,
    /// Per upsampling: the transposed convolution and its residual blocks.
    stages: Vec<(ConvTranspose1d, Vec<ResidualBlock>)>,
    post: Conv1d,
    slope: f64,
}

impl Decoder {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let initial = config.upsample_initial_channel;
        let slope = config.leaky_relu_slope;
        let pre = w.pp("conv_pre").conv1d(config.flow_size, initial, 7, true, Conv1dConfig { padding: 3, ..Default::default() })?;
        let kernels = config.resblock_kernel_sizes.len();
        let stages = config
            .upsample_rates
            .iter()
            .zip(&config.upsample_kernel_sizes)
            .enumerate()
            .map(|(i, (&rate, &kernel))| {
                let (inputs, outputs) = (initial >> i, initial >> (i + 1));
                let up = w.pp(format!("upsampler.{i}"));
                let weight = up.conv_weight(&[inputs, outputs, kernel])?;
                let bias = up.get("bias", &[outputs])?;
                let transposed = ConvTranspose1dConfig { padding: (kernel - rate) / 2, stride: rate, ..Default::default() };
                let blocks = config
                    .resblock_kernel_sizes
                    .iter()
                    .zip(&config.resblock_dilation_sizes)
                    .enumerate()
                    .map(|(j, (&k, dilations))| {
                        ResidualBlock::load(&w.pp(format!("resblocks.{}", i * kernels + j)), outputs, k, dilations, slope)
                    })
                    .collect::<Result<_, VitsError>>()?;
                Ok((ConvTranspose1d::new(weight, Some(bias), transposed), blocks))
            })
            .collect::<Result<_, VitsError>>()?;
        let last = initial >> config.upsample_rates.len();
        let post = w.pp("conv_post").conv1d(last, 1, 7, false, Conv1dConfig { padding: 3, ..Default::default() })?;
        Ok(Self { pre, stages, post, slope })
    }

    pub fn forward(&self, latent: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = self.pre.forward(latent)?;
        for (up, blocks) in &self.stages {
            x = up.forward(&leaky_relu(&x, self.slope)?)?;
            let mut sum: Option<Tensor> = None;
            for block in blocks {
                let y = block.forward(&x)?;
                sum = Some(match sum {
                    Some(s) => (s + y)?,
                    None => y,
                });
            }
            x = (sum.expect("at least one residual block (checked in the config)") / blocks.len() as f64)?;
        }
        // The last activation uses torch's default slope (0.01), not the config's.
        self.post.forward(&leaky_relu(&x, 0.01)?)?.tanh()?.flatten_all()
    }
}

//! The HiFi-GAN decoder (`VitsHifiGan`): a latent `[1, flow, frames]` in, a
//! waveform `[samples]` in −1..1 out (samples = frames × the product of the
//! upsampling rates). Transposed convolutions upsample; after each, the mean
//! of residual blocks with several kernel sizes and dilations.

use candle_core::{Module, Tensor};
use candle_nn::{ConvTranspose1d, ConvTranspose1dConfig};

use super::config::VitsConfig;
use super::conv::TapConv;
use super::weights::Weights;
use super::VitsError;

fn leaky_relu(x: &Tensor, slope: f64) -> candle_core::Result<Tensor> {
    // max(x, slope · x) for 0 < slope < 1.
    x.maximum(&(x * slope)?)
}

/// `HifiGanResidualBlock`: pairs of (dilated, plain) convolutions, each pair residual.
struct ResidualBlock {
    pairs: Vec<(TapConv, TapConv)>,
    slope: f64,
}

impl ResidualBlock {
    fn load(w: &Weights, channels: usize, kernel: usize, dilations: &[usize], slope: f64) -> Result<Self, VitsError> {
        let pairs = dilations
            .iter()
            .enumerate()
            .map(|(i, &dilation)| {
                Ok((
                    w.pp(format!("convs1.{i}")).tap_conv(channels, channels, kernel, dilation, true)?,
                    w.pp(format!("convs2.{i}")).tap_conv(channels, channels, kernel, 1, true)?,
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

/// A transposed convolution whose `padding` is cropped from its output.
struct Upsample {
    conv: ConvTranspose1d,
    crop: usize,
}

impl Upsample {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.conv.forward(x)?;
        let length = y.dim(2)?;
        y.narrow(2, self.crop, length - 2 * self.crop)
    }
}

pub struct Decoder {
    pre: TapConv,
    /// Per upsampling: the transposed convolution and its residual blocks.
    stages: Vec<(Upsample, Vec<ResidualBlock>)>,
    post: TapConv,
    slope: f64,
}

impl Decoder {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let initial = config.upsample_initial_channel;
        let slope = config.leaky_relu_slope;
        let pre = w.pp("conv_pre").tap_conv(config.flow_size, initial, 7, 1, true)?;
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
                // Run unpadded and cropped after (`Upsample`): candle's fast
                // (matmul + col2im) transposed convolution needs padding 0.
                let transposed = ConvTranspose1dConfig { padding: 0, stride: rate, ..Default::default() };
                let blocks = config
                    .resblock_kernel_sizes
                    .iter()
                    .zip(&config.resblock_dilation_sizes)
                    .enumerate()
                    .map(|(j, (&k, dilations))| {
                        ResidualBlock::load(
                            &w.pp(format!("resblocks.{}", i * kernels + j)),
                            outputs,
                            k,
                            dilations,
                            slope,
                        )
                    })
                    .collect::<Result<_, VitsError>>()?;
                let conv = ConvTranspose1d::new(weight, Some(bias), transposed);
                Ok((Upsample { conv, crop: (kernel - rate) / 2 }, blocks))
            })
            .collect::<Result<_, VitsError>>()?;
        let last = initial >> config.upsample_rates.len();
        let post = w.pp("conv_post").tap_conv(last, 1, 7, 1, false)?;
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

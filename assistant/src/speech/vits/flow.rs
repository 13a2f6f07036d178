//! The residual coupling flow (`VitsResidualCouplingBlock`), run backwards as
//! at inference: from the prior's latent `[1, flow, frames]` to the decoder's
//! input. Each coupling layer shifts one half of the channels by what a
//! WaveNet (`VitsWaveNet`: dilated gated convolutions with residual and skip
//! paths, weight-normed) reads in the other half; the channels are reversed
//! between layers.

use candle_core::Tensor;

use super::config::VitsConfig;
use super::conv::TapConv;
use super::weights::Weights;
use super::VitsError;

pub struct WaveNet {
    /// Per layer: the gated convolution (`hidden → 2 hidden`) and the
    /// residual-and-skip one (`hidden → 2 hidden`, the last `→ hidden`, skip only).
    layers: Vec<(TapConv, TapConv)>,
    hidden: usize,
}

impl WaveNet {
    pub fn load(w: &Weights, config: &VitsConfig, layers: usize) -> Result<Self, VitsError> {
        let (hidden, kernel) = (config.hidden_size, config.wavenet_kernel_size);
        let layers = (0..layers)
            .map(|i| {
                let dilation = config.wavenet_dilation_rate.pow(i as u32);
                let out = if i + 1 < layers { 2 * hidden } else { hidden };
                Ok((
                    w.pp(format!("in_layers.{i}")).tap_conv(hidden, 2 * hidden, kernel, dilation, true)?,
                    w.pp(format!("res_skip_layers.{i}")).tap_conv(hidden, out, 1, 1, true)?,
                ))
            })
            .collect::<Result<_, VitsError>>()?;
        Ok(Self { layers, hidden })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        let mut skip: Option<Tensor> = None;
        let last = self.layers.len().saturating_sub(1);
        for (i, (gated, res_skip)) in self.layers.iter().enumerate() {
            let h = gated.forward(&x)?;
            let acts = (h.narrow(1, 0, self.hidden)?.tanh()?
                * candle_nn::ops::sigmoid(&h.narrow(1, self.hidden, self.hidden)?)?)?;
            let out = res_skip.forward(&acts)?;
            let skipped = if i < last {
                x = (x + out.narrow(1, 0, self.hidden)?)?;
                out.narrow(1, self.hidden, self.hidden)?
            } else {
                out
            };
            skip = Some(match skip {
                Some(s) => (s + skipped)?,
                None => skipped,
            });
        }
        match skip {
            Some(s) => Ok(s),
            None => x.zeros_like(),
        }
    }
}

/// One coupling layer: the second half shifted by the mean the first half gives.
struct Coupling {
    pre: TapConv,
    wavenet: WaveNet,
    post: TapConv,
    half: usize,
}

impl Coupling {
    fn reverse(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let first = x.narrow(1, 0, self.half)?;
        let second = x.narrow(1, self.half, self.half)?;
        let mean = self.post.forward(&self.wavenet.forward(&self.pre.forward(&first)?)?)?;
        Tensor::cat(&[first, (second - mean)?], 1)
    }
}

pub struct Flow {
    layers: Vec<Coupling>,
    /// Channel indices last to first, for the reversal between layers.
    reversed: Tensor,
}

impl Flow {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let (hidden, half) = (config.hidden_size, config.flow_size / 2);
        let layers = (0..config.prior_encoder_num_flows)
            .map(|i| {
                let w = w.pp(format!("flows.{i}"));
                Ok(Coupling {
                    pre: w.pp("conv_pre").tap_conv(half, hidden, 1, 1, true)?,
                    wavenet: WaveNet::load(&w.pp("wavenet"), config, config.prior_encoder_num_wavenet_layers)?,
                    post: w.pp("conv_post").tap_conv(hidden, half, 1, 1, true)?,
                    half,
                })
            })
            .collect::<Result<_, VitsError>>()?;
        let reversed: Vec<u32> = (0..config.flow_size as u32).rev().collect();
        Ok(Self { layers, reversed: Tensor::new(reversed, &candle_core::Device::Cpu)? })
    }

    /// `latent`: `[1, flow, frames]`.
    pub fn reverse(&self, latent: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = latent.clone();
        for layer in self.layers.iter().rev() {
            x = layer.reverse(&x.index_select(&self.reversed, 1)?)?;
        }
        Ok(x)
    }
}

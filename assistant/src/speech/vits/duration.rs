//! How many frames each token lasts: the stochastic duration predictor
//! (`VitsStochasticDurationPredictor`, run in reverse as at inference: noise
//! through spline flows conditioned on the text, to a log duration per token)
//! or the plain convolutional one (`VitsDurationPredictor`). Hidden
//! `[1, hidden, T]` in, log durations `[T]` out.

use candle_core::{Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm};

use super::config::VitsConfig;
use super::weights::{same_padding, Weights};
use super::VitsError;

/// Layer norm over channels of `[1, C, T]`.
fn channel_norm(norm: &LayerNorm, x: &Tensor) -> candle_core::Result<Tensor> {
    norm.forward(&x.transpose(1, 2)?.contiguous()?)?.transpose(1, 2)
}

/// Dilated depthwise convolutions (dilation kernel^i), each followed by a
/// pointwise one, layer norms and GELU, residual (`VitsDilatedDepthSeparableConv`).
struct DepthSeparable {
    layers: Vec<(Conv1d, LayerNorm, Conv1d, LayerNorm)>,
}

impl DepthSeparable {
    fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let (channels, kernel) = (config.hidden_size, config.duration_predictor_kernel_size);
        let layers = (0..config.depth_separable_num_layers)
            .map(|i| {
                let dilation = kernel.pow(i as u32);
                let depthwise = Conv1dConfig {
                    padding: same_padding(kernel, dilation),
                    dilation,
                    groups: channels,
                    ..Default::default()
                };
                Ok((
                    w.pp(format!("convs_dilated.{i}")).conv1d(channels, channels, kernel, true, depthwise)?,
                    w.pp(format!("norms_1.{i}")).layer_norm(channels, 1e-5)?,
                    w.pp(format!("convs_pointwise.{i}")).pointwise(channels, channels)?,
                    w.pp(format!("norms_2.{i}")).layer_norm(channels, 1e-5)?,
                ))
            })
            .collect::<Result<_, VitsError>>()?;
        Ok(Self { layers })
    }

    fn forward(&self, x: &Tensor, conditioning: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let mut x = match conditioning {
            Some(c) => (x + c)?,
            None => x.clone(),
        };
        for (depthwise, norm_1, pointwise, norm_2) in &self.layers {
            let h = channel_norm(norm_1, &depthwise.forward(&x)?)?.gelu_erf()?;
            let h = channel_norm(norm_2, &pointwise.forward(&h)?)?.gelu_erf()?;
            x = (x + h)?;
        }
        Ok(x)
    }
}

/// A rational-quadratic spline flow on one of the two channels, its knots
/// computed from the other (`VitsConvFlow`).
struct ConvFlow {
    pre: Conv1d,
    dds: DepthSeparable,
    project: Conv1d,
    bins: usize,
    tail_bound: f32,
    filter_channels: usize,
}

impl ConvFlow {
    fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let (hidden, bins) = (config.hidden_size, config.duration_predictor_flow_bins);
        Ok(Self {
            pre: w.pp("conv_pre").pointwise(1, hidden)?,
            dds: DepthSeparable::load(&w.pp("conv_dds"), config)?,
            project: w.pp("conv_proj").pointwise(hidden, 3 * bins - 1)?,
            bins,
            tail_bound: config.duration_predictor_tail_bound,
            filter_channels: hidden,
        })
    }

    /// `x`: `[1, 2, T]`, run backwards.
    fn reverse(&self, x: &Tensor, conditioning: &Tensor) -> candle_core::Result<Tensor> {
        let first = x.narrow(1, 0, 1)?;
        let h = self.dds.forward(&self.pre.forward(&first)?, Some(conditioning))?;
        // [1, 3 bins − 1, T] → per time step, the bins' widths, heights and inner derivatives.
        let knots = self.project.forward(&h)?.squeeze(0)?.t()?.to_vec2::<f32>()?;
        let second = x.narrow(1, 1, 1)?.flatten_all()?.to_vec1::<f32>()?;
        let scale = (self.filter_channels as f32).sqrt();
        let bins = self.bins;
        let moved: Vec<f32> = second
            .iter()
            .zip(&knots)
            .map(|(&value, knots)| {
                let widths: Vec<f32> = knots[..bins].iter().map(|v| v / scale).collect();
                let heights: Vec<f32> = knots[bins..2 * bins].iter().map(|v| v / scale).collect();
                spline_inverse(value, &widths, &heights, &knots[2 * bins..], self.tail_bound)
            })
            .collect();
        let length = moved.len();
        Tensor::cat(&[first, Tensor::from_vec(moved, (1, 1, length), x.device())?], 1)
    }
}

const MIN_BIN_WIDTH: f32 = 1e-3;
const MIN_BIN_HEIGHT: f32 = 1e-3;
const MIN_DERIVATIVE: f32 = 1e-3;

fn softplus(x: f32) -> f32 {
    // torch's threshold: above 20 it is x itself.
    if x > 20.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// The slope at every knot: the inner ones from `derivatives`, the two ends
/// pinned so the spline meets the identity outside its bound.
fn knot_slopes(derivatives: &[f32]) -> Vec<f32> {
    let end = ((1.0 - MIN_DERIVATIVE).exp() - 1.0).ln();
    std::iter::once(end)
        .chain(derivatives.iter().copied())
        .chain(std::iter::once(end))
        .map(|d| MIN_DERIVATIVE + softplus(d))
        .collect()
}

/// Knot positions from unnormalised bin sizes: softmax, a floor of
/// `minimum`, cumulated over −bound..bound with exact ends.
fn knots(unnormalized: &[f32], minimum: f32, bound: f32) -> Vec<f32> {
    let peak = unnormalized.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = unnormalized.iter().map(|v| (v - peak).exp()).collect();
    let total: f32 = exps.iter().sum();
    let bins = unnormalized.len();
    let mut cumulative = Vec::with_capacity(bins + 1);
    cumulative.push(0.0f32);
    let mut sum = 0.0f32;
    for e in &exps {
        sum += minimum + (1.0 - minimum * bins as f32) * (e / total);
        cumulative.push(sum);
    }
    let mut knots: Vec<f32> = cumulative.iter().map(|c| 2.0 * bound * c - bound).collect();
    knots[0] = -bound;
    knots[bins] = bound;
    knots
}

/// The inverse of the monotone rational-quadratic spline on −bound..bound
/// (identity outside), as transformers' `_unconstrained_rational_quadratic_spline`
/// with `reverse=True`. `derivatives` are the bins − 1 inner knots' (the two
/// ends are fixed so the slope there is 1).
pub fn spline_inverse(value: f32, widths: &[f32], heights: &[f32], derivatives: &[f32], bound: f32) -> f32 {
    if !(-bound..=bound).contains(&value) {
        return value;
    }
    let slopes = knot_slopes(derivatives);
    let cum_widths = knots(widths, MIN_BIN_WIDTH, bound);
    let cum_heights = knots(heights, MIN_BIN_HEIGHT, bound);
    let bins = widths.len();
    // The bin: the last knot at or below the value (the top knot nudged up, as there).
    let bin = (0..=bins)
        .filter(|&i| {
            let knot = if i == bins { cum_heights[i] + 1e-6 } else { cum_heights[i] };
            value >= knot
        })
        .count()
        .saturating_sub(1)
        .min(bins - 1);
    let width = cum_widths[bin + 1] - cum_widths[bin];
    let height = cum_heights[bin + 1] - cum_heights[bin];
    let delta = height / width;
    let (d0, d1) = (slopes[bin], slopes[bin + 1]);
    let curve = d0 + d1 - 2.0 * delta;
    let above = value - cum_heights[bin];
    let shifted = above * curve;
    let a = height * (delta - d0) + shifted;
    let b = height * d0 - shifted;
    let c = -delta * above;
    let discriminant = b * b - 4.0 * a * c;
    let root = (2.0 * c) / (-b - discriminant.max(0.0).sqrt());
    root * width + cum_widths[bin]
}

/// `VitsElementwiseAffine`, backwards: (x − translate) · e^(−log_scale).
struct Affine {
    translate: Tensor,
    log_scale: Tensor,
}

impl Affine {
    fn reverse(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.broadcast_sub(&self.translate)?.broadcast_mul(&self.log_scale.neg()?.exp()?)
    }
}

pub struct StochasticDurationPredictor {
    pre: Conv1d,
    dds: DepthSeparable,
    project: Conv1d,
    affine: Affine,
    /// The spline flows in the order inference runs them: the last, …, the
    /// second (the first is skipped, as transformers does: "a useless vflow").
    flows: Vec<ConvFlow>,
}

impl StochasticDurationPredictor {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let hidden = config.hidden_size;
        let flows = w.pp("flows");
        let affine = flows.pp(0);
        let count = config.duration_predictor_num_flows;
        Ok(Self {
            pre: w.pp("conv_pre").pointwise(hidden, hidden)?,
            dds: DepthSeparable::load(&w.pp("conv_dds"), config)?,
            project: w.pp("conv_proj").pointwise(hidden, hidden)?,
            affine: Affine {
                translate: affine.get("translate", &[2, 1])?,
                log_scale: affine.get("log_scale", &[2, 1])?,
            },
            flows: (2..=count).rev().map(|i| ConvFlow::load(&flows.pp(i), config)).collect::<Result<_, _>>()?,
        })
    }

    /// Log durations `[T]` from hidden `[1, hidden, T]` and the starting
    /// noise `[1, 2, T]` (already scaled; zeros for the most likely durations).
    pub fn forward(&self, hidden: &Tensor, noise: &Tensor) -> candle_core::Result<Tensor> {
        let conditioning = self.project.forward(&self.dds.forward(&self.pre.forward(hidden)?, None)?)?;
        let swap = Tensor::new(&[1u32, 0], hidden.device())?;
        let mut latents = noise.clone();
        for flow in &self.flows {
            latents = flow.reverse(&latents.index_select(&swap, 1)?, &conditioning)?;
        }
        let latents = self.affine.reverse(&latents.index_select(&swap, 1)?)?;
        latents.narrow(1, 0, 1)?.flatten_all()
    }
}

/// `VitsDurationPredictor`: convolution, ReLU, layer norm, twice; projection.
pub struct DurationPredictor {
    first: Conv1d,
    first_norm: LayerNorm,
    second: Conv1d,
    second_norm: LayerNorm,
    project: Conv1d,
}

impl DurationPredictor {
    pub fn load(w: &Weights, config: &VitsConfig) -> Result<Self, VitsError> {
        let (kernel, filters, eps) =
            (config.duration_predictor_kernel_size, config.duration_predictor_filter_channels, config.layer_norm_eps);
        let conv = Conv1dConfig { padding: kernel / 2, ..Default::default() };
        Ok(Self {
            first: w.pp("conv_1").conv1d(config.hidden_size, filters, kernel, true, conv)?,
            first_norm: w.pp("norm_1").layer_norm(filters, eps)?,
            second: w.pp("conv_2").conv1d(filters, filters, kernel, true, conv)?,
            second_norm: w.pp("norm_2").layer_norm(filters, eps)?,
            project: w.pp("proj").pointwise(filters, 1)?,
        })
    }

    pub fn forward(&self, hidden: &Tensor) -> candle_core::Result<Tensor> {
        let x = channel_norm(&self.first_norm, &self.first.forward(hidden)?.relu()?)?;
        let x = channel_norm(&self.second_norm, &self.second.forward(&x)?.relu()?)?;
        self.project.forward(&x)?.flatten_all()
    }
}

/// Whole frames per token: ⌈e^log_duration / speaking_rate⌉.
pub fn frames(log_durations: &Tensor, speaking_rate: f32) -> candle_core::Result<Vec<usize>> {
    let scale = 1.0 / speaking_rate;
    Ok(log_durations.to_vec1::<f32>()?.iter().map(|d| (d.exp() * scale).ceil().max(0.0) as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forward spline, as transformers' `reverse=False`, to check the inverse against.
    fn spline_forward(x: f32, widths: &[f32], heights: &[f32], derivatives: &[f32], bound: f32) -> f32 {
        let slopes = knot_slopes(derivatives);
        let cw = knots(widths, MIN_BIN_WIDTH, bound);
        let ch = knots(heights, MIN_BIN_HEIGHT, bound);
        let bin = (0..widths.len()).rfind(|&i| x >= cw[i]).unwrap();
        let (w, h) = (cw[bin + 1] - cw[bin], ch[bin + 1] - ch[bin]);
        let delta = h / w;
        let theta = (x - cw[bin]) / w;
        let t1 = theta * (1.0 - theta);
        let numerator = h * (delta * theta * theta + slopes[bin] * t1);
        let denominator = delta + (slopes[bin] + slopes[bin + 1] - 2.0 * delta) * t1;
        ch[bin] + numerator / denominator
    }

    #[test]
    fn the_spline_inverse_undoes_the_spline() {
        let widths = [0.3, -1.2, 0.5, 2.0, 0.0];
        let heights = [1.0, 0.2, -0.7, 0.4, 0.9];
        let derivatives = [0.5, -2.0, 1.5, 0.1];
        for x in [-4.9f32, -2.0, -0.3, 0.0, 0.7, 3.3, 4.99] {
            let y = spline_forward(x, &widths, &heights, &derivatives, 5.0);
            let back = spline_inverse(y, &widths, &heights, &derivatives, 5.0);
            assert!((back - x).abs() < 1e-4, "{x} → {y} → {back}");
        }
        assert_eq!(spline_inverse(7.5, &widths, &heights, &derivatives, 5.0), 7.5);
    }
}

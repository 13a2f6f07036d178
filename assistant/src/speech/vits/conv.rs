//! A 1-D convolution over `[1, channels, time]` computed as one matrix
//! product per kernel tap, each accumulated in place into the output
//! (`gemm`'s dst := dst + W_tap · x_shifted), multithreaded like candle's
//! matmuls. Why not candle's `conv1d`: on the CPU it first writes the whole
//! im2col matrix (time × channels × kernel) on one thread; the decoder's
//! convolutions (kernels up to 11, dilations up to 5, ~100,000 samples a
//! sentence) spent most of their time there. Here the only copy is the padded
//! input.

use candle_core::{Device, Tensor};

pub struct TapConv {
    /// `[kernel][outputs][inputs]`, one matrix per tap.
    taps: Vec<f32>,
    bias: Option<Vec<f32>>,
    inputs: usize,
    outputs: usize,
    kernel: usize,
    dilation: usize,
    padding: usize,
}

impl TapConv {
    /// `weight`: `[outputs, inputs, kernel]` as torch's `Conv1d` (no groups).
    pub fn new(weight: &Tensor, bias: Option<&Tensor>, dilation: usize, padding: usize) -> candle_core::Result<Self> {
        let (outputs, inputs, kernel) = weight.dims3()?;
        Ok(Self {
            taps: weight.permute((2, 0, 1))?.contiguous()?.flatten_all()?.to_vec1::<f32>()?,
            bias: bias.map(|b| b.to_vec1::<f32>()).transpose()?,
            inputs,
            outputs,
            kernel,
            dilation: dilation.max(1),
            padding,
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, inputs, length) = x.dims3()?;
        if batch != 1 || inputs != self.inputs {
            candle_core::bail!("tap convolution: input {:?}, expected [1, {}, time]", x.dims(), self.inputs);
        }
        let padded_length = length + 2 * self.padding;
        let reach = self.dilation * (self.kernel - 1);
        if padded_length <= reach {
            candle_core::bail!("tap convolution: {length} steps are too few for kernel {}", self.kernel);
        }
        let out_length = padded_length - reach;
        let source = x.flatten_all()?.to_vec1::<f32>()?;
        let mut padded = vec![0f32; inputs * padded_length];
        for (row, values) in padded.chunks_exact_mut(padded_length).zip(source.chunks_exact(length)) {
            row[self.padding..self.padding + length].copy_from_slice(values);
        }
        let mut out = vec![0f32; self.outputs * out_length];
        if let Some(bias) = &self.bias {
            for (row, &b) in out.chunks_exact_mut(out_length).zip(bias) {
                row.fill(b);
            }
        }
        let parallelism = match candle_core::utils::get_num_threads() {
            0 | 1 => gemm::Parallelism::None,
            n => gemm::Parallelism::Rayon(n),
        };
        let tap_size = self.outputs * self.inputs;
        for tap in 0..self.kernel {
            let weights = &self.taps[tap * tap_size..(tap + 1) * tap_size];
            let shifted = &padded[tap * self.dilation..];
            // SAFETY: dst is `outputs × out_length` row-major (row stride
            // out_length); lhs `outputs × inputs` (row stride inputs); rhs
            // reads `inputs` rows of `out_length` values with row stride
            // `padded_length` from `tap · dilation`: its last element,
            // (inputs − 1)·padded_length + tap·dilation + out_length − 1, is at
            // most inputs·padded_length − 1 (tap·dilation ≤ reach), inside `padded`.
            unsafe {
                gemm::gemm(
                    self.outputs,
                    out_length,
                    self.inputs,
                    out.as_mut_ptr(),
                    1,
                    out_length as isize,
                    true,
                    weights.as_ptr(),
                    1,
                    self.inputs as isize,
                    shifted.as_ptr(),
                    1,
                    padded_length as isize,
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    parallelism,
                );
            }
        }
        Tensor::from_vec(out, (1, self.outputs, out_length), &Device::Cpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;

    #[test]
    fn matches_candle_conv1d_with_dilation_and_padding() {
        let device = Device::Cpu;
        let weight = Tensor::randn(0f32, 1.0, (6, 4, 5), &device).unwrap();
        let bias = Tensor::randn(0f32, 1.0, 6, &device).unwrap();
        let x = Tensor::randn(0f32, 1.0, (1, 4, 37), &device).unwrap();
        for (dilation, padding) in [(1, 2), (3, 6), (2, 0)] {
            let config = candle_nn::Conv1dConfig { padding, dilation, ..Default::default() };
            let expected = candle_nn::Conv1d::new(weight.clone(), Some(bias.clone()), config).forward(&x).unwrap();
            let ours = TapConv::new(&weight, Some(&bias), dilation, padding).unwrap().forward(&x).unwrap();
            assert_eq!(ours.dims(), expected.dims());
            let gap = (ours - expected).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(gap < 1e-4, "dilation {dilation}, padding {padding}: {gap}");
        }
    }
}

//! Frames of a time-major signal side by side, for a strided convolution as
//! one matrix product: `[time, channels]` in, `[frames, kernel · channels]`
//! out, row `f` holding input rows `f · stride .. f · stride + kernel` (taps
//! outer, channels inner). On a contiguous input each row is one slice copy.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

struct Unfold {
    kernel: usize,
    stride: usize,
}

impl CustomOp1 for Unfold {
    fn name(&self) -> &'static str {
        "unfold-time-major"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(values) = storage else {
            candle_core::bail!("unfold: f32 tensors only");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("unfold: contiguous tensors only");
        };
        let (time, channels) = layout.shape().dims2()?;
        let frames = output_frames(time, self.kernel, self.stride);
        let values = &values[start..end];
        let row = self.kernel * channels;
        let mut out = Vec::with_capacity(frames * row);
        for frame in 0..frames {
            let first = frame * self.stride * channels;
            out.extend_from_slice(&values[first..first + row]);
        }
        Ok((CpuStorage::F32(out), Shape::from((frames, row))))
    }
}

/// Frames a convolution of `kernel` and `stride` makes of `time` steps.
fn output_frames(time: usize, kernel: usize, stride: usize) -> usize {
    if time < kernel {
        0
    } else {
        (time - kernel) / stride + 1
    }
}

/// `x` `[time, channels]` (f32, CPU) as `[frames, kernel · channels]`.
pub fn frames(x: &Tensor, kernel: usize, stride: usize) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&Unfold { kernel, stride })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_strided_windows_of_the_input() {
        // 5 steps of 2 channels: [[0, 1], [2, 3], …].
        let x = Tensor::arange(0f32, 10.0, &candle_core::Device::Cpu).unwrap().reshape((5, 2)).unwrap();
        let rows = frames(&x, 3, 2).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(rows, [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]]);
        assert_eq!(frames(&x, 6, 1).unwrap().dims(), [0, 12]);
    }
}

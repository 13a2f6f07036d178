//! Quantized weight matrices multiplied by our own dot products where
//! candle's are slow for the default models' shapes.
//!
//! Most matrices of Gemma 3 270M and Qwen2.5 0.5B Q4_K_M are Q5_0 or Q8_0:
//! their rows of 640 or 896 values do not fill the 256-value blocks of the
//! K-quants. candle 0.11's Q5_0 dot product is scalar, and its fast Q8_0 path
//! (repacked for AVX-512 VNNI) needs rows that are a multiple of 256 values;
//! decoding on two cores is bound by how fast these matrices stream through.
//! Each block type here implements candle's `GgmlType`, so candle's own
//! threaded matmul (`k_quants::matmul`, tiled for prefill) runs it with our
//! `vec_dot_4`: four weight rows share each activation block.
//!
//! Kernels are chosen at compile time, as candle's are; `available()` says
//! whether a type has one in this build. The weights are not copied: a
//! [`Matrix`] reads the blocks of the candle tensor that holds them, so a
//! tied embedding table serves as the output matrix too.

/// Implements candle's `GgmlType` for our block type `$block`, laid out as
/// candle's `$candle` (conversions go through candle's), its products by the
/// calling module's `simd::dot_4(rows, activations, how many rows, n)`.
macro_rules! ggml_type {
    ($block:ty, $candle:ty, $dtype:expr) => {
        const _: () = assert!(std::mem::size_of::<$block>() == std::mem::size_of::<$candle>());

        fn as_candle(blocks: &[$block]) -> &[$candle] {
            // SAFETY: identical #[repr(C)] layout (size asserted above).
            unsafe { std::slice::from_raw_parts(blocks.as_ptr() as *const $candle, blocks.len()) }
        }

        impl GgmlType for $block {
            const DTYPE: GgmlDType = $dtype;
            const BLCK_SIZE: usize = 32;
            type VecDotType = BlockQ8_0;

            fn to_float(xs: &[Self], ys: &mut [f32]) {
                <$candle>::to_float(as_candle(xs), ys)
            }

            fn from_float(xs: &[f32], ys: &mut [Self]) {
                // SAFETY: identical #[repr(C)] layout (size asserted above).
                let ys = unsafe { std::slice::from_raw_parts_mut(ys.as_mut_ptr() as *mut $candle, ys.len()) };
                <$candle>::from_float(xs, ys)
            }

            fn vec_dot(n: usize, xs: &[Self], ys: &[BlockQ8_0]) -> f32 {
                simd::dot_4([xs, xs, xs, xs], ys, 1, n)[0]
            }

            fn vec_dot_4(
                n: usize,
                xs0: &[Self],
                xs1: &[Self],
                xs2: &[Self],
                xs3: &[Self],
                ys: &[BlockQ8_0],
            ) -> (f32, f32, f32, f32) {
                let [d0, d1, d2, d3] = simd::dot_4([xs0, xs1, xs2, xs3], ys, 4, n);
                (d0, d1, d2, d3)
            }

            fn vec_dot_unopt(n: usize, xs: &[Self], ys: &[BlockQ8_0]) -> f32 {
                <$candle>::vec_dot_unopt(n, as_candle(xs), ys)
            }
        }
    };
}

pub mod q5_0;
pub mod q8_0;

/// Whether this build targets AVX-512 BW/VL/VNNI with FMA, which the Q8_0
/// kernel and Q5_0's four-token kernel need.
pub const AVX512_VNNI: bool = cfg!(all(
    target_arch = "x86_64",
    target_feature = "avx512bw",
    target_feature = "avx512vl",
    target_feature = "avx512vnni",
    target_feature = "fma"
));

use std::marker::PhantomData;
use std::sync::Arc;

use candle_core::quantized::k_quants::{self, BlockQ8_0, GgmlType};
use candle_core::quantized::QTensor;
use candle_core::Result;
use half::f16;

/// candle's Q8_0 block with its fields readable (they are crate-private there).
#[repr(C)]
#[derive(Debug, Clone, PartialEq)]
pub struct Q8_0Fields {
    d: f16,
    qs: [i8; 32],
}
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == std::mem::size_of::<Q8_0Fields>());

#[cfg(any(all(target_arch = "x86_64", target_feature = "avx2"), target_arch = "aarch64"))]
fn fields(block: &BlockQ8_0) -> &Q8_0Fields {
    // SAFETY: both are #[repr(C)] { f16, [i8; 32] } (size asserted above).
    unsafe { &*(block as *const BlockQ8_0 as *const Q8_0Fields) }
}

/// The sum of the eight lanes.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
#[inline(always)]
unsafe fn hsum(x: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let x = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    let x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)))
}

/// Block types that may have a kernel for four tokens by four weight rows:
/// in prefill each weight block is then decoded once for four tokens.
pub trait Tiled: GgmlType<VecDotType = BlockQ8_0> {
    /// Whether this build has the kernel.
    const TILED: bool = false;

    /// `[token][row]`: the dot products of four weight rows with four tokens'
    /// activations. Called only when [`Self::TILED`].
    fn dot_4x4(xs: [&[Self]; 4], ys: [&[BlockQ8_0]; 4]) -> [[f32; 4]; 4] {
        let mut out = [[0f32; 4]; 4];
        for (t, y) in ys.iter().enumerate() {
            let (d0, d1, d2, d3) = Self::vec_dot_4(y.len() * 32, xs[0], xs[1], xs[2], xs[3], y);
            out[t] = [d0, d1, d2, d3];
        }
        out
    }
}

/// A `[rows, columns]` weight matrix of blocks `B`, read in place from `tensor`;
/// `forward` computes `x · Wᵀ`.
pub struct Matrix<B> {
    tensor: Arc<QTensor>,
    rows: usize,
    columns: usize,
    block: PhantomData<B>,
}

impl<B: Tiled> Matrix<B> {
    /// `tensor` must be `[rows, columns]` of `B`'s type.
    pub fn new(tensor: Arc<QTensor>) -> Result<Self> {
        if tensor.dtype() != B::DTYPE {
            candle_core::bail!("expected a {:?} tensor, found {:?}", B::DTYPE, tensor.dtype());
        }
        let (rows, columns) = tensor.shape().dims2()?;
        if columns % B::BLCK_SIZE != 0 {
            candle_core::bail!("{:?} rows of {columns} values are not whole blocks", B::DTYPE);
        }
        let bytes = tensor.data()?.len();
        let expected = rows * columns / B::BLCK_SIZE * std::mem::size_of::<B>();
        if bytes != expected {
            candle_core::bail!("{:?} tensor holds {bytes} bytes, expected {expected}", B::DTYPE);
        }
        Ok(Self { tensor, rows, columns, block: PhantomData })
    }

    pub fn tensor(&self) -> &Arc<QTensor> {
        &self.tensor
    }

    /// `x` is `[tokens][columns]`; the result is `[tokens][rows]`.
    pub fn forward(&self, x: &[f32]) -> Result<Vec<f32>> {
        if !x.len().is_multiple_of(self.columns) {
            candle_core::bail!("matmul of {} values by a {:?} [{}, {}]ᵀ", x.len(), B::DTYPE, self.rows, self.columns);
        }
        let m = x.len() / self.columns;
        let mut dst = vec![0f32; m * self.rows];
        let data = self.tensor.data()?;
        let weights = blocks::<B>(&data);
        if B::TILED && m >= 4 && self.rows.is_multiple_of(4) {
            self.tiled_matmul(m, x, weights, &mut dst);
        } else {
            k_quants::matmul((m, self.columns, self.rows), x, weights, &mut dst)?;
        }
        Ok(dst)
    }

    /// Prefill through [`Tiled::dot_4x4`]: work items are (weight-row quad,
    /// group of four tokens), quad major, so that a thread keeps one quad of
    /// weights in L1 while the tokens' activations (a few hundred KiB at
    /// most) stay in L2: the weights are read from memory once.
    fn tiled_matmul(&self, m: usize, x: &[f32], weights: &[B], dst: &mut [f32]) {
        let (n, blocks_per_row) = (self.rows, self.columns / B::BLCK_SIZE);
        let mut activations = vec![BlockQ8_0::zeros(); m * blocks_per_row];
        for (row, blocks) in x.chunks_exact(self.columns).zip(activations.chunks_exact_mut(blocks_per_row)) {
            BlockQ8_0::from_float(row, blocks);
        }
        let token = |t: usize| &activations[t * blocks_per_row..(t + 1) * blocks_per_row];
        let row = |r: usize| &weights[r * blocks_per_row..(r + 1) * blocks_per_row];
        let (quads, groups) = (n / 4, m.div_ceil(4));
        let dst_ptr = dst.as_mut_ptr() as usize;
        candle_core::utils::barrier_pool().execute_chunked(quads * groups, |items| {
            for item in items {
                let (r, t) = (item / groups * 4, item % groups * 4);
                let xs = [row(r), row(r + 1), row(r + 2), row(r + 3)];
                // The last group may hold fewer than four tokens: repeat the
                // last one and drop its copies.
                let tokens = (m - t).min(4);
                let ys = [0, 1, 2, 3].map(|i| token(t + i.min(tokens - 1)));
                let products = B::dot_4x4(xs, ys);
                for (i, products) in products.iter().enumerate().take(tokens) {
                    // SAFETY: item (r, t) alone writes rows r..r+4 of tokens
                    // t..t+4, inside `dst` (`m × n`).
                    unsafe {
                        let at = (dst_ptr as *mut f32).add((t + i) * n + r);
                        std::ptr::copy_nonoverlapping(products.as_ptr(), at, 4);
                    }
                }
            }
        });
    }
}

/// The blocks of a CPU tensor's bytes.
fn blocks<B>(data: &[u8]) -> &[B] {
    let size = std::mem::size_of::<B>();
    assert!(data.len().is_multiple_of(size) && (data.as_ptr() as usize).is_multiple_of(std::mem::align_of::<B>()));
    // SAFETY: the bytes are candle's own Vec of this block type (same
    // #[repr(C)] layout, checked in `Matrix::new`), so length and alignment fit.
    unsafe { std::slice::from_raw_parts(data.as_ptr() as *const B, data.len() / size) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::GgmlDType;
    use candle_core::{Device, Tensor};

    /// Weights `[rows, columns]` of `dtype`, from a fixed pattern.
    pub(super) fn weights(rows: usize, columns: usize, seed: usize, dtype: GgmlDType) -> Arc<QTensor> {
        let values: Vec<f32> =
            (0..rows * columns).map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 - 1001.0) / 97.0).collect();
        let weights = Tensor::from_vec(values, (rows, columns), &Device::Cpu).unwrap();
        Arc::new(QTensor::quantize(&weights, dtype).unwrap())
    }

    /// Our `vec_dot_4` and `vec_dot` against candle's scalar dot product.
    pub(super) fn check_dot_products<B: GgmlType<VecDotType = BlockQ8_0>>(dtype: GgmlDType) {
        let columns = 32 * 28;
        let tensor = weights(4, columns, 1, dtype);
        let data = tensor.data().unwrap();
        let all = blocks::<B>(&data);
        let x: Vec<f32> = (0..columns).map(|i| ((i * 31 % 113) as f32 - 56.0) / 13.0).collect();
        let mut y = vec![BlockQ8_0::zeros(); columns / 32];
        BlockQ8_0::from_float(&x, &mut y);
        let row = |r: usize| &all[r * columns / 32..(r + 1) * columns / 32];
        let (d0, d1, d2, d3) = B::vec_dot_4(columns, row(0), row(1), row(2), row(3), &y);
        for (r, d) in [d0, d1, d2, d3].into_iter().enumerate() {
            let scalar = B::vec_dot_unopt(columns, row(r), &y);
            assert!((d - scalar).abs() <= 1e-4 * scalar.abs().max(1.0), "row {r}: {d} vs {scalar}");
            assert_eq!(B::vec_dot(columns, row(r), &y).to_bits(), d.to_bits());
        }
    }

    /// A whole matmul against the dequantized weights.
    pub(super) fn check_matmul<B: Tiled>(dtype: GgmlDType) {
        let (rows, columns, m) = (37, 64, 3);
        let tensor = weights(rows, columns, 2, dtype);
        let matrix = Matrix::<B>::new(tensor.clone()).unwrap();
        let values: Vec<f32> = (0..m * columns).map(|i| ((i * 17 % 29) as f32 - 14.0) / 5.0).collect();
        let got = matrix.forward(&values).unwrap();
        let got = Tensor::from_vec(got, (1, m, rows), &Device::Cpu).unwrap();
        let x = Tensor::from_vec(values, (1, m, columns), &Device::Cpu).unwrap();
        let reference = x.broadcast_matmul(&tensor.dequantize(&Device::Cpu).unwrap().t().unwrap()).unwrap();
        let error = (got - &reference).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        let scale = reference.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        // The activations are rounded to 8 bits, as in llama.cpp.
        assert!(error <= 0.02 * scale, "max error {error} for values up to {scale}");
    }

    /// Prefill through the four-by-four kernel gives what one token at a time
    /// gives, bit for bit (same products, same order), a partial group of
    /// tokens included.
    pub(super) fn check_tiled_matmul<B: Tiled>(dtype: GgmlDType) {
        let (rows, columns, m) = (40, 96, 7);
        let matrix = Matrix::<B>::new(weights(rows, columns, 3, dtype)).unwrap();
        let values: Vec<f32> = (0..m * columns).map(|i| ((i * 13 % 31) as f32 - 15.0) / 4.0).collect();
        let tiled = matrix.forward(&values).unwrap();
        let one_by_one: Vec<f32> =
            values.chunks_exact(columns).flat_map(|token| matrix.forward(token).unwrap()).collect();
        assert_eq!(tiled, one_by_one);
    }

    #[test]
    fn other_types_are_refused() {
        let tensor = weights(2, 64, 0, GgmlDType::Q8_0);
        let Err(error) = Matrix::<q5_0::Block>::new(tensor) else { panic!("a Q8_0 tensor was taken as Q5_0") };
        assert!(error.to_string().contains("expected a Q5_0"));
    }
}

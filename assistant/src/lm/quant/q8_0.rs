//! Q8_0 blocks (34 bytes per 32 weights) whose rows candle does not repack:
//! its AVX-512 VNNI tiles need rows of a multiple of 256 values, and the
//! default models' output matrices have 640 and 896 (Gemma's is its 262k-row
//! embedding table, 179 MB read for every token). Its fallback is an AVX2 dot
//! product per row that loads the activations again for each.
//!
//! Here the weights multiply unsigned: Σx·y = Σ(x + 128)·y − 128·Σy, one VNNI
//! instruction for 32 products and the correction shared by the four rows.
//! Only with AVX-512 BW/VL/VNNI (`available()`); elsewhere candle's kernels run.

use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};
use candle_core::quantized::GgmlDType;

use super::Q8_0Fields;

/// One Q8_0 block: weight `i` is `d × qs[i]`.
pub type Block = Q8_0Fields;

/// Whether this build has the kernel (else candle's Q8_0 matmul is used).
pub const fn available() -> bool {
    super::AVX512_VNNI
}

/// Whether candle repacks a Q8_0 matrix of rows of `columns` values for its
/// own VNNI kernels, which are then the faster choice.
pub fn candle_repacks(columns: usize) -> bool {
    columns.is_multiple_of(256)
}

ggml_type!(Block, BlockQ8_0, GgmlDType::Q8_0);

impl super::Tiled for Block {}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512bw",
    target_feature = "avx512vl",
    target_feature = "avx512vnni",
    target_feature = "fma"
))]
mod simd {
    use super::super::{fields, hsum};
    use super::Block;
    use candle_core::quantized::k_quants::BlockQ8_0;
    use std::arch::x86_64::*;

    /// How far ahead in each row to ask for the weights: measured on Gemma's
    /// output matrix, 1 KiB gave ~10–15 % more tokens a second than none
    /// (256 B less, 2–4 KiB no more).
    const PREFETCH_BYTES: usize = 1024;

    /// Dot products of the first `rows` of `xs` with `ys`, each activation
    /// block loaded once for all of them.
    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, _n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        // SAFETY: the features are enabled at compile time (cfg above); the
        // loads read whole blocks of the slices; a prefetch past the end of a
        // row reads nothing and cannot fault.
        unsafe {
            let offset = _mm256_set1_epi8(-128);
            let mut acc = [_mm256_setzero_ps(); 4];
            for (b, y) in ys.iter().enumerate() {
                let y = fields(y);
                let (dy, qy) = (y.d.to_f32(), _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i));
                // 128·Σy, per group of four (0x80 read unsigned is 128).
                let correction = _mm256_dpbusd_epi32(_mm256_setzero_si256(), offset, qy);
                for r in 0..rows {
                    let x = &xs[r][b];
                    _mm_prefetch::<_MM_HINT_T0>((x as *const Block as *const i8).wrapping_add(PREFETCH_BYTES));
                    let unsigned = _mm256_xor_si256(_mm256_loadu_si256(x.qs.as_ptr() as *const __m256i), offset);
                    let sums = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), unsigned, qy), correction);
                    acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(x.d.to_f32() * dy), _mm256_cvtepi32_ps(sums), acc[r]);
                }
            }
            for r in 0..rows {
                out[r] = hsum(acc[r]);
            }
        }
        out
    }
}

#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx512bw",
    target_feature = "avx512vl",
    target_feature = "avx512vnni",
    target_feature = "fma"
)))]
mod simd {
    use super::{as_candle, Block};
    use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};

    /// candle's own dot product, for builds where `available()` is false.
    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        for r in 0..rows {
            out[r] = BlockQ8_0::vec_dot(n, as_candle(xs[r]), ys);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_dot_products, check_matmul};
    use super::*;

    #[test]
    fn dot_products_equal_the_scalar_ones() {
        check_dot_products::<Block>(GgmlDType::Q8_0);
    }

    #[test]
    fn matmul_matches_the_dequantized_weights() {
        check_matmul::<Block>(GgmlDType::Q8_0);
    }
}

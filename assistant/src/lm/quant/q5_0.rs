//! Q5_0 blocks (22 bytes per 32 weights): the Q5_0 × Q8_0 dot product after
//! ggml's `ggml_vec_dot_q5_0_q8_0`, for AVX-512 (the fifth bits used as a mask
//! register as they stand), AVX2 (with AVX-VNNI when the target has it) and
//! NEON. Other targets widen Q5_0 to Q8_0 at load (`available()` is false).

use candle_core::quantized::k_quants::{BlockQ5_0, BlockQ8_0, GgmlType};
use candle_core::quantized::GgmlDType;
use half::f16;

/// One Q5_0 block, laid out as ggml's `block_q5_0` (and candle's `BlockQ5_0`):
/// weight `i` is `d × (q_i − 16)`, the low four bits of `q_i` in `qs` (element
/// `j` in the low nibble of byte `j`, element `j + 16` in its high nibble), the
/// fifth bit in bit `i` of `qh`.
#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
pub struct Block {
    d: f16,
    qh: [u8; 4],
    qs: [u8; 16],
}
const _: () = assert!(std::mem::size_of::<Block>() == 22);
const _: () = assert!(std::mem::size_of::<BlockQ5_0>() == 22);

/// Whether this build has a vectorised kernel (else Q5_0 is widened to Q8_0).
pub const fn available() -> bool {
    cfg!(any(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"), target_arch = "aarch64"))
}

ggml_type!(Block, BlockQ5_0, GgmlDType::Q5_0);

impl super::Tiled for Block {
    const TILED: bool = super::AVX512_VNNI;

    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx512bw",
        target_feature = "avx512vl",
        target_feature = "avx512vnni",
        target_feature = "fma"
    ))]
    fn dot_4x4(xs: [&[Self]; 4], ys: [&[BlockQ8_0]; 4]) -> [[f32; 4]; 4] {
        simd::dot_4x4(xs, ys)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
mod simd {
    use super::super::{fields, hsum};
    use super::Block;
    use candle_core::quantized::k_quants::BlockQ8_0;
    use std::arch::x86_64::*;

    /// How far ahead in each row to ask for the weights: the hardware
    /// prefetcher alone left decoding ~10 % short of the memory's speed.
    const PREFETCH_BYTES: usize = 1024;

    /// The 32 weights of a block as signed bytes (`q − 16`), elements 0–15 in
    /// the low lane and 16–31 in the high one, as Q8_0 stores its values.
    #[cfg(not(all(target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni")))]
    #[inline(always)]
    unsafe fn weights(x: &Block) -> __m256i {
        let packed = _mm_loadu_si128(x.qs.as_ptr() as *const __m128i);
        let nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0F));
        // Byte i becomes 0xFF when bit i of qh is set: each qh byte spread over
        // eight bytes, each of which keeps one bit and has all others set.
        let qh = i32::from_le_bytes(x.qh);
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(qh),
            _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0),
        );
        let fifth =
            _mm256_cmpeq_epi8(_mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)), _mm256_set1_epi64x(-1));
        // Without the fifth bit, q − 16 is the nibble with the top four bits set.
        _mm256_or_si256(nibbles, _mm256_andnot_si256(fifth, _mm256_set1_epi8(0xF0u8 as i8)))
    }

    /// Sums of four products of signed bytes, as f32 `[8]`.
    #[cfg(not(all(target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni")))]
    #[inline(always)]
    unsafe fn dot_i8(x: __m256i, y: __m256i) -> __m256 {
        // u8 × i8 instructions: move x's sign onto y.
        let (ax, sy) = (_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
        #[cfg(target_feature = "avxvnni")]
        let sums = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), ax, sy);
        // |x| ≤ 16, so the i16 pair sums cannot saturate.
        #[cfg(not(target_feature = "avxvnni"))]
        let sums = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), _mm256_set1_epi16(1));
        _mm256_cvtepi32_ps(sums)
    }

    /// Dot products of the first `rows` of `xs` with `ys`, each activation
    /// block loaded once for all of them. With AVX-512 the fifth bits are a
    /// mask register as they stand, and `q` (0..32) multiplies the activations
    /// unsigned: Σ(q − 16)·y = Σq·y − 16·Σy, the second term shared by the rows.
    #[cfg(all(target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni"))]
    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, _n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        // SAFETY: the features are enabled at compile time (cfg above); the
        // loads read whole blocks of the slices; a prefetch past the end of a
        // row reads nothing and cannot fault.
        unsafe {
            let (low_nibbles, fifth_bit) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x10));
            let mut acc = [_mm256_setzero_ps(); 4];
            for (b, y) in ys.iter().enumerate() {
                let y = fields(y);
                let (dy, qy) = (y.d.to_f32(), _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i));
                let sixteen_y = _mm256_dpbusd_epi32(_mm256_setzero_si256(), fifth_bit, qy);
                for r in 0..rows {
                    let x = &xs[r][b];
                    _mm_prefetch::<_MM_HINT_T0>((x as *const Block as *const i8).wrapping_add(PREFETCH_BYTES));
                    let packed = _mm_loadu_si128(x.qs.as_ptr() as *const __m128i);
                    let nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_nibbles);
                    let q = _mm256_mask_add_epi8(nibbles, u32::from_le_bytes(x.qh), nibbles, fifth_bit);
                    let sums = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q, qy), sixteen_y);
                    acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(x.d.to_f32() * dy), _mm256_cvtepi32_ps(sums), acc[r]);
                }
            }
            for r in 0..rows {
                out[r] = hsum(acc[r]);
            }
        }
        out
    }

    /// `[token][row]`: four weight rows by four tokens' activations, each
    /// weight block decoded once for the four (prefill; `dot_4` decodes it
    /// once per token).
    #[cfg(all(target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni"))]
    pub fn dot_4x4(xs: [&[Block]; 4], ys: [&[BlockQ8_0]; 4]) -> [[f32; 4]; 4] {
        let mut out = [[0f32; 4]; 4];
        // SAFETY: the features are enabled at compile time (cfg above); the
        // loads read whole blocks of the slices, all of one length.
        unsafe {
            let (low_nibbles, fifth_bit) = (_mm256_set1_epi8(0x0F), _mm256_set1_epi8(0x10));
            let mut acc = [[_mm256_setzero_ps(); 4]; 4];
            for b in 0..ys[0].len() {
                let mut qy = [_mm256_setzero_si256(); 4];
                let mut sixteen_y = [_mm256_setzero_si256(); 4];
                let mut dy = [0f32; 4];
                for t in 0..4 {
                    let y = fields(&ys[t][b]);
                    dy[t] = y.d.to_f32();
                    qy[t] = _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i);
                    sixteen_y[t] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), fifth_bit, qy[t]);
                }
                for r in 0..4 {
                    let x = &xs[r][b];
                    let packed = _mm_loadu_si128(x.qs.as_ptr() as *const __m128i);
                    let nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_nibbles);
                    let q = _mm256_mask_add_epi8(nibbles, u32::from_le_bytes(x.qh), nibbles, fifth_bit);
                    let dx = x.d.to_f32();
                    for t in 0..4 {
                        let sums =
                            _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q, qy[t]), sixteen_y[t]);
                        acc[t][r] = _mm256_fmadd_ps(_mm256_set1_ps(dx * dy[t]), _mm256_cvtepi32_ps(sums), acc[t][r]);
                    }
                }
            }
            for t in 0..4 {
                for r in 0..4 {
                    out[t][r] = hsum(acc[t][r]);
                }
            }
        }
        out
    }

    /// Dot products of the first `rows` of `xs` with `ys`, each activation
    /// block loaded once for all of them.
    #[cfg(not(all(target_feature = "avx512bw", target_feature = "avx512vl", target_feature = "avx512vnni")))]
    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, _n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        // SAFETY: AVX2 and FMA are enabled at compile time (cfg above); the
        // loads read whole blocks of the slices; a prefetch past the end of a
        // row reads nothing and cannot fault.
        unsafe {
            let mut acc = [_mm256_setzero_ps(); 4];
            for (b, y) in ys.iter().enumerate() {
                let y = fields(y);
                let (dy, qy) = (y.d.to_f32(), _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i));
                for r in 0..rows {
                    let x = &xs[r][b];
                    _mm_prefetch::<_MM_HINT_T0>((x as *const Block as *const i8).wrapping_add(PREFETCH_BYTES));
                    let d = _mm256_set1_ps(x.d.to_f32() * dy);
                    acc[r] = _mm256_fmadd_ps(d, dot_i8(weights(x), qy), acc[r]);
                }
            }
            for r in 0..rows {
                out[r] = hsum(acc[r]);
            }
        }
        out
    }
}

#[cfg(target_arch = "aarch64")]
mod simd {
    use super::super::fields;
    use super::Block;
    use candle_core::quantized::k_quants::BlockQ8_0;
    use std::arch::aarch64::*;

    /// The 32 weights of a block as signed bytes (`q − 16`): elements 0–15
    /// and 16–31.
    #[inline(always)]
    unsafe fn weights(x: &Block) -> (int8x16_t, int8x16_t) {
        // Bit i of qh as bit 4 of byte i: 16 where the fifth bit is set.
        let spread = |byte: u8| vcreate_u8(FIFTH_BITS[byte as usize]);
        let low_high = vcombine_u8(spread(x.qh[0]), spread(x.qh[1]));
        let top_high = vcombine_u8(spread(x.qh[2]), spread(x.qh[3]));
        let packed = vld1q_u8(x.qs.as_ptr());
        let low = vorrq_u8(vandq_u8(packed, vdupq_n_u8(0x0F)), low_high);
        let top = vorrq_u8(vshrq_n_u8(packed, 4), top_high);
        let sixteen = vdupq_n_s8(16);
        (vsubq_s8(vreinterpretq_s8_u8(low), sixteen), vsubq_s8(vreinterpretq_s8_u8(top), sixteen))
    }

    /// Byte j of entry b is 16 when bit j of b is set (ggml's `table_b2b_0`).
    const FIFTH_BITS: [u64; 256] = {
        let mut table = [0u64; 256];
        let mut b = 0;
        while b < 256 {
            let mut j = 0;
            while j < 8 {
                table[b] |= (((b >> j) & 1) as u64) << (8 * j + 4);
                j += 1;
            }
            b += 1;
        }
        table
    };

    #[inline(always)]
    unsafe fn dot_i8(a: int8x16_t, b: int8x16_t) -> int32x4_t {
        // No dot-product instruction: a Pi 4 (Cortex-A72) lacks it.
        let low = vmull_s8(vget_low_s8(a), vget_low_s8(b));
        let high = vmull_high_s8(a, b);
        vpaddq_s32(vpaddlq_s16(low), vpaddlq_s16(high))
    }

    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, _n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        // SAFETY: NEON is baseline on aarch64; the loads read whole blocks.
        unsafe {
            let mut acc = [vdupq_n_f32(0.0); 4];
            for (b, y) in ys.iter().enumerate() {
                let y = fields(y);
                let dy = y.d.to_f32();
                let (y0, y1) = (vld1q_s8(y.qs.as_ptr()), vld1q_s8(y.qs.as_ptr().add(16)));
                for r in 0..rows {
                    let x = &xs[r][b];
                    let (x0, x1) = weights(x);
                    let sums = vaddq_s32(dot_i8(x0, y0), dot_i8(x1, y1));
                    acc[r] = vmlaq_n_f32(acc[r], vcvtq_f32_s32(sums), x.d.to_f32() * dy);
                }
            }
            for r in 0..rows {
                out[r] = vaddvq_f32(acc[r]);
            }
        }
        out
    }
}

#[cfg(not(any(
    all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"),
    target_arch = "aarch64"
)))]
mod simd {
    use super::Block;
    use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};

    pub fn dot_4(xs: [&[Block]; 4], ys: &[BlockQ8_0], rows: usize, _n: usize) -> [f32; 4] {
        let mut out = [0f32; 4];
        for r in 0..rows {
            out[r] = Block::vec_dot_unopt(ys.len() * 32, xs[r], ys);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_dot_products, check_matmul, check_tiled_matmul};
    use super::*;

    #[test]
    fn dot_products_equal_the_scalar_ones() {
        check_dot_products::<Block>(GgmlDType::Q5_0);
    }

    #[test]
    fn matmul_matches_the_dequantized_weights() {
        check_matmul::<Block>(GgmlDType::Q5_0);
    }

    #[test]
    fn prefill_in_tiles_equals_token_by_token() {
        check_tiled_matmul::<Block>(GgmlDType::Q5_0);
    }
}

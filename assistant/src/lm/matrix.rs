//! Weight matrices: through our kernels where this build has one for the
//! type and shape (`quant`), else through candle; and projections that share
//! an input stacked into one matrix.

use std::borrow::Cow;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor};

use super::quant::{self, q5_0, q8_0};

/// A weight matrix: through our kernels where this build has one for its
/// type and shape (`quant`), else through candle.
pub enum Matrix {
    Candle(QMatMul),
    Q5_0(quant::Matrix<q5_0::Block>),
    Q8_0(quant::Matrix<q8_0::Block>),
}

impl Matrix {
    pub fn new(tensor: Arc<QTensor>) -> candle_core::Result<Self> {
        let columns = tensor.shape().dims2()?.1;
        match tensor.dtype() {
            GgmlDType::Q5_0 if q5_0::available() => quant::Matrix::new(tensor).map(Self::Q5_0),
            GgmlDType::Q5_0 => q5_0_as_q8_0(&tensor).and_then(QMatMul::from_qtensor).map(Self::Candle),
            GgmlDType::Q8_0 if q8_0::available() && !q8_0::candle_repacks(columns) => {
                quant::Matrix::new(tensor).map(Self::Q8_0)
            }
            _ => QMatMul::from_arc(tensor).map(Self::Candle),
        }
    }

    /// `x` is `[tokens][columns]`; the result is `[tokens][rows]`.
    pub fn forward(&self, x: &[f32], columns: usize) -> candle_core::Result<Vec<f32>> {
        match self {
            Self::Candle(m) => {
                let x = Tensor::from_slice(x, (x.len() / columns, columns), &Device::Cpu)?;
                m.forward(&x)?.flatten_all()?.to_vec1()
            }
            Self::Q5_0(m) => m.forward(x),
            Self::Q8_0(m) => m.forward(x),
        }
    }

    /// The quantized weights, when they are held as such.
    pub fn tensor(&self) -> Option<&Arc<QTensor>> {
        match self {
            Self::Candle(QMatMul::QTensor(t)) => Some(t),
            Self::Candle(_) => None,
            Self::Q5_0(m) => Some(m.tensor()),
            Self::Q8_0(m) => Some(m.tensor()),
        }
    }
}

/// Several projections of one input (q, k, v; gate, up). Consecutive weights
/// of one type are stacked into one matrix: the input is quantized once and
/// the threads are woken once, which at one token per step costs as much as
/// a small projection's arithmetic.
pub struct Projections {
    /// Each stacked matrix and the rows of the projections in it.
    stacks: Vec<(Matrix, Vec<usize>)>,
    biases: Vec<Option<Vec<f32>>>,
}

impl Projections {
    /// `stacks`: weight matrices of projections one under the other, each
    /// with the rows of its projections; `biases`: one per projection.
    pub fn new(stacks: Vec<(QTensor, Vec<usize>)>, biases: Vec<Option<Vec<f32>>>) -> candle_core::Result<Self> {
        let stacks = stacks
            .into_iter()
            .map(|(tensor, rows)| Ok((Matrix::new(Arc::new(tensor))?, rows)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let projections: usize = stacks.iter().map(|(_, rows)| rows.len()).sum();
        if projections != biases.len() {
            candle_core::bail!("{projections} projections but {} biases", biases.len());
        }
        Ok(Self { stacks, biases })
    }

    /// The stacked matrices.
    pub fn matrices(&self) -> impl Iterator<Item = &Matrix> {
        self.stacks.iter().map(|(matrix, _)| matrix)
    }

    /// Each projection of `x` (`[tokens][columns]`), as `[tokens][rows]`.
    pub fn forward(&self, x: &[f32], columns: usize) -> candle_core::Result<Vec<Vec<f32>>> {
        let mut outputs: Vec<Vec<f32>> = Vec::with_capacity(self.biases.len());
        for (matrix, rows) in &self.stacks {
            let y = matrix.forward(x, columns)?;
            let width: usize = rows.iter().sum();
            let mut start = 0;
            for &n in rows {
                outputs.push(y.chunks_exact(width).flat_map(|token| &token[start..start + n]).copied().collect());
                start += n;
            }
        }
        for (output, bias) in outputs.iter_mut().zip(&self.biases) {
            if let Some(bias) = bias {
                add_bias(output, bias);
            }
        }
        Ok(outputs)
    }
}

/// Adds `bias` to each token's row of `y` (`[tokens][bias.len()]`).
pub fn add_bias(y: &mut [f32], bias: &[f32]) {
    for token in y.chunks_exact_mut(bias.len()) {
        token.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
    }
}

/// Rewrites Q5_0 blocks as Q8_0, exactly: a Q5_0 weight is `d × (q − 16)` with
/// `q` in 0..32, which an i8 holds with the same scale. For builds without our
/// Q5_0 kernel (`quant::q5_0::available`): candle 0.11's own Q5_0 dot product is
/// scalar (72 % of Qwen2.5's decode time), its Q8_0 one is vectorised. Costs
/// 12 more bytes per 32 weights.
fn q5_0_as_q8_0(tensor: &QTensor) -> candle_core::Result<QTensor> {
    const Q5_0_BYTES: usize = 22;
    let data = tensor.data()?;
    let mut out = Vec::with_capacity(data.len() / Q5_0_BYTES * 34);
    for block in data.chunks_exact(Q5_0_BYTES) {
        let (d, rest) = block.split_at(2);
        let (qh, qs) = rest.split_at(4);
        let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
        out.extend_from_slice(d);
        let fifth_bit = |i: usize| (((qh >> i) & 1) << 4) as u8;
        out.extend((0..16).map(|j| ((qs[j] & 0x0F) | fifth_bit(j)).wrapping_sub(16)));
        out.extend((0..16).map(|j| ((qs[j] >> 4) | fifth_bit(j + 16)).wrapping_sub(16)));
    }
    let storage = QStorage::from_data(Cow::Owned(out), &Device::Cpu, GgmlDType::Q8_0)?;
    QTensor::new(storage, tensor.shape().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q5_0_becomes_q8_0_without_changing_a_weight() {
        let values: Vec<f32> = (0..4 * 64).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
        let weights = Tensor::from_vec(values, (4, 64), &Device::Cpu).unwrap();
        let q5 = QTensor::quantize(&weights, GgmlDType::Q5_0).unwrap();
        let q8 = q5_0_as_q8_0(&q5).unwrap();
        assert_eq!(q8.dtype(), GgmlDType::Q8_0);
        let dequantized =
            |t: &QTensor| t.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(dequantized(&q5), dequantized(&q8));
    }

    #[test]
    fn stacked_projections_equal_separate_ones() {
        let x: Vec<f32> = (0..2 * 64).map(|i| (i as f32 * 0.37).sin()).collect();
        let weights = |rows: usize, seed: usize, dtype: GgmlDType| {
            let values: Vec<f32> =
                (0..rows * 64).map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 - 1001.0) / 97.0).collect();
            QTensor::quantize(&Tensor::from_vec(values, (rows, 64), &Device::Cpu).unwrap(), dtype).unwrap()
        };
        let parts = || {
            vec![
                (weights(32, 1, GgmlDType::Q5_0), Some(vec![1.0; 32])),
                (weights(8, 2, GgmlDType::Q5_0), None),
                (weights(8, 3, GgmlDType::Q8_0), None),
            ]
        };
        let [(q, _), (k, _), (v, _)]: [(QTensor, Option<Vec<f32>>); 3] = parts().try_into().unwrap();
        let qk = [q.data().unwrap(), k.data().unwrap()].concat();
        let qk = QTensor::new(QStorage::from_data(Cow::Owned(qk), &Device::Cpu, GgmlDType::Q5_0).unwrap(), (40, 64));
        let stacks = vec![(qk.unwrap(), vec![32, 8]), (v, vec![8])];
        let stacked = Projections::new(stacks, parts().into_iter().map(|(_, bias)| bias).collect()).unwrap();
        let outputs = stacked.forward(&x, 64).unwrap();
        assert_eq!(outputs.len(), 3);
        for ((tensor, bias), output) in parts().into_iter().zip(&outputs) {
            let mut alone = Matrix::new(Arc::new(tensor)).unwrap().forward(&x, 64).unwrap();
            if let Some(bias) = bias {
                alone.iter_mut().zip(bias.iter().cycle()).for_each(|(v, b)| *v += b);
            }
            assert_eq!(&alone, output);
        }
    }
}

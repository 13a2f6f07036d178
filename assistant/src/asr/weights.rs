//! Weight files for the Whisper network ([`WeightSource`]):
//!
//! - [`SafetensorsFile`] reads one tensor at a time with positioned reads.
//!   Unlike a memory map of the whole file, this keeps the peak resident memory
//!   at the converted (f32) weights plus one tensor: on a 2 GB Raspberry Pi the
//!   f16 file's pages would otherwise sit in the process beside their f32 copies.
//! - [`GgufWeights`] reads a GGUF file whose decoder is already quantised
//!   (`awal models quantize`): nothing is quantised at load.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use std::sync::Mutex;

use candle_core::quantized::{gguf_file, GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Result, Tensor};

use super::model::{ProjectionWeight, WeightPrecision, WeightSource};

#[derive(Debug, serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

pub struct SafetensorsFile {
    path: PathBuf,
    file: File,
    /// Where tensor data starts: after the 8-byte length and the JSON header.
    data_start: u64,
    entries: HashMap<String, Entry>,
}

impl SafetensorsFile {
    pub fn open(path: &Path) -> Result<Self> {
        let fail = |message: String| candle_core::Error::Msg(format!("{}: {message}", path.display()));
        let file = File::open(path).map_err(|e| fail(e.to_string()))?;
        let mut length = [0u8; 8];
        file.read_exact_at(&mut length, 0).map_err(|e| fail(format!("reading the header length: {e}")))?;
        let header_len = u64::from_le_bytes(length);
        let file_len = file.metadata().map_err(|e| fail(e.to_string()))?.len();
        if header_len > 100 << 20 || 8 + header_len > file_len {
            return Err(fail(format!(
                "header length {header_len} does not fit a {file_len}-byte file: truncated or not safetensors"
            )));
        }
        let mut header = vec![0u8; header_len as usize];
        file.read_exact_at(&mut header, 8).map_err(|e| fail(format!("reading the header: {e}")))?;
        let mut raw: HashMap<String, serde_json::Value> =
            serde_json::from_slice(&header).map_err(|e| fail(format!("header is not JSON: {e}")))?;
        raw.remove("__metadata__");
        let entries: HashMap<String, Entry> = raw
            .into_iter()
            .map(|(name, value)| serde_json::from_value(value).map(|entry| (name, entry)))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| fail(format!("bad tensor entry: {e}")))?;
        let data_start = 8 + header_len;
        if let Some((name, entry)) = entries.iter().find(|(_, e)| data_start + e.data_offsets.1 > file_len) {
            return Err(fail(format!(
                "tensor {name} ends at byte {} past the end of the file: truncated",
                data_start + entry.data_offsets.1
            )));
        }
        Ok(Self { path: path.to_path_buf(), file, data_start, entries })
    }

    /// Whether the file has a tensor of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    fn read(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let entry =
            self.entries.get(name).ok_or_else(|| candle_core::Error::CannotFindTensor { path: name.to_string() })?;
        let stored = match entry.dtype.as_str() {
            "F32" => DType::F32,
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            other => {
                return Err(candle_core::Error::Msg(format!(
                    "{}: {name} has unsupported dtype {other}",
                    self.path.display()
                )))
            }
        };
        let (start, end) = entry.data_offsets;
        let mut bytes = vec![0u8; (end - start) as usize];
        self.file
            .read_exact_at(&mut bytes, self.data_start + start)
            .map_err(|e| candle_core::Error::Msg(format!("{}: reading {name}: {e}", self.path.display())))?;
        Tensor::from_raw_buffer(&bytes, stored, &entry.shape, device)?.to_dtype(dtype)
    }
}

fn check_shape(name: &str, tensor: Tensor, shape: &[usize]) -> Result<Tensor> {
    if tensor.dims() != shape {
        return Err(candle_core::Error::UnexpectedShape {
            msg: format!("shape mismatch for {name}"),
            expected: shape.into(),
            got: tensor.shape().clone(),
        }
        .bt());
    }
    Ok(tensor)
}

impl WeightSource for SafetensorsFile {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        check_shape(name, self.read(name, DType::F32, &Device::Cpu)?, shape)
    }
}

/// A GGUF file of Whisper weights under their Hugging Face names.
pub struct GgufWeights {
    path: PathBuf,
    content: gguf_file::Content,
    file: Mutex<File>,
}

impl GgufWeights {
    pub fn open(path: &Path) -> Result<Self> {
        let fail = |e: &dyn std::fmt::Display| candle_core::Error::Msg(format!("{}: {e}", path.display()));
        let mut file = File::open(path).map_err(|e| fail(&e))?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| fail(&e))?;
        Ok(Self { path: path.to_path_buf(), content, file: Mutex::new(file) })
    }

    fn qtensor(&self, name: &str) -> Result<QTensor> {
        let mut file = self.file.lock().expect("no panics while reading");
        self.content
            .tensor(&mut *file, name, &Device::Cpu)
            .map_err(|e| candle_core::Error::Msg(format!("{}: {name}: {e}", self.path.display())))
    }
}

impl WeightSource for GgufWeights {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        check_shape(name, self.qtensor(name)?.dequantize(&Device::Cpu)?, shape)
    }

    /// Quantised matrices are used as stored; dense ones follow `precision`.
    fn projection_weight(
        &self,
        name: &str,
        shape: (usize, usize),
        precision: WeightPrecision,
    ) -> Result<ProjectionWeight> {
        let stored = self.qtensor(name)?;
        if stored.shape().dims() != [shape.0, shape.1] {
            return check_shape(name, stored.dequantize(&Device::Cpu)?, &[shape.0, shape.1])
                .map(ProjectionWeight::Dense);
        }
        match stored.dtype() {
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 => {
                ProjectionWeight::from_dense(stored.dequantize(&Device::Cpu)?, precision)
            }
            _ => Ok(ProjectionWeight::Quantized(QMatMul::from_qtensor(stored)?)),
        }
    }
}

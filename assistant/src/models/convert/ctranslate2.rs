//! Reader for CTranslate2 `model.bin` files (the faster-whisper format).
//!
//! Layout, all little-endian: u32 version, model name (u16 length, bytes with a
//! trailing NUL), u32 revision, u32 variable count; per variable: name, u8 rank,
//! u32 × rank shape, u8 dtype, u32 byte count, raw data; then u32 alias count and
//! (alias, target) name pairs. The whole file must be consumed exactly: trailing
//! or missing bytes mean a truncated or foreign file.

use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::models::{ModelError, Result};

/// Element type of a CTranslate2 variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Ct2Dtype {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::Bf16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::Bf16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ct2Variable {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: Ct2Dtype,
    /// Byte range of the data inside the file.
    pub data: std::ops::Range<usize>,
}

/// A parsed, memory-mapped CTranslate2 model.
pub struct Ct2Model {
    pub path: PathBuf,
    pub spec: String,
    pub revision: u32,
    pub variables: Vec<Ct2Variable>,
    pub aliases: Vec<(String, String)>,
    map: Mmap,
}

impl Ct2Model {
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(ModelError::io(path))?;
        // SAFETY: the map is read-only and the installer never writes to the
        // file while it is open.
        let map = unsafe { Mmap::map(&file) }.map_err(ModelError::io(path))?;
        let mut reader = Reader { bytes: &map, offset: 0, path };
        let version = reader.u32()?;
        if !(5..=6).contains(&version) {
            return Err(reader.error(0, format!("not a CTranslate2 model: version {version}, expected 5 or 6")));
        }
        let spec = reader.string()?;
        let revision = reader.u32()?;
        let count = reader.u32()? as usize;
        let mut variables = Vec::with_capacity(count.min(100_000));
        for _ in 0..count {
            let name = reader.string()?;
            let rank = reader.u8()? as usize;
            let shape = (0..rank).map(|_| reader.u32().map(|d| d as usize)).collect::<Result<Vec<_>>>()?;
            let dtype_at = reader.offset;
            let code = reader.u8()?;
            let dtype = Ct2Dtype::from_code(code)
                .ok_or_else(|| reader.error(dtype_at, format!("variable `{name}`: unknown dtype code {code}")))?;
            let bytes_at = reader.offset;
            let byte_count = reader.u32()? as usize;
            let expected = shape.iter().product::<usize>() * dtype.size();
            if byte_count != expected {
                return Err(reader.error(
                    bytes_at,
                    format!(
                        "variable `{name}`: {byte_count} bytes for shape {shape:?} of {dtype:?} (expected {expected})"
                    ),
                ));
            }
            let start = reader.offset;
            reader.skip(byte_count, &name)?;
            variables.push(Ct2Variable { name, shape, dtype, data: start..reader.offset });
        }
        let alias_count = if version >= 6 { reader.u32()? as usize } else { 0 };
        let mut aliases = Vec::with_capacity(alias_count.min(10_000));
        for _ in 0..alias_count {
            aliases.push((reader.string()?, reader.string()?));
        }
        if reader.offset != map.len() {
            return Err(reader.error(reader.offset, format!("{} unexpected trailing bytes", map.len() - reader.offset)));
        }
        Ok(Self { path: path.to_path_buf(), spec, revision, variables, aliases, map })
    }

    pub fn variable(&self, name: &str) -> Option<&Ct2Variable> {
        let target = self.aliases.iter().find(|(alias, _)| alias == name).map_or(name, |(_, t)| t.as_str());
        self.variables.iter().find(|v| v.name == target)
    }

    pub fn bytes(&self, variable: &Ct2Variable) -> &[u8] {
        &self.map[variable.data.clone()]
    }

    /// A variable that must exist, or an error naming it.
    pub fn require(&self, name: &str) -> Result<&Ct2Variable> {
        self.variable(name).ok_or_else(|| ModelError::Invalid {
            path: self.path.clone(),
            message: format!("missing variable `{name}`"),
        })
    }

    /// An integer scalar (such as `encoder/num_heads`).
    pub fn scalar(&self, name: &str) -> Result<i64> {
        let variable = self.require(name)?;
        let b = self.bytes(variable);
        Ok(match variable.dtype {
            Ct2Dtype::I8 => b[0] as i8 as i64,
            Ct2Dtype::I16 => i16::from_le_bytes([b[0], b[1]]) as i64,
            Ct2Dtype::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            other => {
                return Err(ModelError::Invalid {
                    path: self.path.clone(),
                    message: format!("`{name}` is {other:?}, expected an integer scalar"),
                })
            }
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
    path: &'a Path,
}

impl Reader<'_> {
    fn error(&self, offset: usize, message: String) -> ModelError {
        ModelError::Format { path: self.path.to_path_buf(), offset: offset as u64, message }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let end = self.offset.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or_else(|| {
            self.error(
                self.offset,
                format!(
                    "file ends while reading {what} ({n} bytes needed, {} left): truncated",
                    self.bytes.len() - self.offset
                ),
            )
        })?;
        let slice = &self.bytes[self.offset..end];
        self.offset = end;
        Ok(slice)
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.take(n, what).map(|_| ())
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1, "a u8")?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4, "a u32")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String> {
        let at = self.offset;
        let b = self.take(2, "a string length")?;
        let len = u16::from_le_bytes([b[0], b[1]]) as usize;
        let raw = self.take(len, "a string")?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec()).map_err(|_| self.error(at, "a name that is not UTF-8".to_string()))
    }
}

//! Streaming sha256 of files, with an optional progress bar.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{ModelError, Result};

/// Hex sha256 of a file, read in 1 MiB chunks; `progress` advances by bytes read.
pub fn sha256_file(path: &Path, progress: Option<&indicatif::ProgressBar>) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(ModelError::io(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(ModelError::io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        if let Some(bar) = progress {
            bar.inc(n as u64);
        }
    }
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a file's size then sha256 against what is expected.
pub fn verify_file(path: &Path, size: u64, sha256: &str, progress: Option<&indicatif::ProgressBar>) -> Result<()> {
    let found = std::fs::metadata(path).map_err(ModelError::io(path))?.len();
    if found != size {
        return Err(ModelError::SizeMismatch { path: path.to_path_buf(), expected: size, found });
    }
    let found = sha256_file(path, progress)?;
    if !found.eq_ignore_ascii_case(sha256) {
        return Err(ModelError::HashMismatch { path: path.to_path_buf(), expected: sha256.to_string(), found });
    }
    Ok(())
}

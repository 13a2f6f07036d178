//! Printable documents: a filled form as an A4 administrative sheet
//! ([`Sheet`]), in French, Arabic (shaped, right to left), Tifinagh or Latin
//! Tamazight, Wolof and Pulaar letters, or two languages side by side; and the
//! templates of the form's plain-text record ([`template`]).
//!
//! Layers, each with one job: `fonts` (Noto faces per script), `shaping`
//! (bidi order and HarfBuzz shaping), `canvas` (pages of text and boxes, the
//! PDF), `sheet` (where a form's parts go).

mod canvas;
mod fonts;
mod shaping;
mod sheet;
pub mod template;

use std::path::{Path, PathBuf};

pub use fonts::Fonts;
pub use sheet::{reads_right_to_left, Sheet, SheetText};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path}: {source} (install the fonts: apt-get install fonts-noto-core)")]
    Font { path: PathBuf, source: std::io::Error },
    #[error("{0}: not a usable TrueType font (reinstall it: apt-get install --reinstall fonts-noto-core)")]
    BadFont(PathBuf),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Writes `sheet` as a PDF at `out`, through a temporary file, synced.
pub fn write_sheet(sheet: &Sheet, out: &Path) -> Result<(), DocumentError> {
    let fonts = Fonts::load()?;
    let pdf = sheet.to_pdf(&fonts)?;
    write_synced(out, &pdf).map_err(|source| DocumentError::Write { path: out.to_path_buf(), source })
}

/// Writes a whole file, synced, through a temporary name: a power cut leaves
/// the old file or the new one, never half of one.
pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("part");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

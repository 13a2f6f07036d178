//! Printable documents: a filled form as an A4 PDF, in a font that covers
//! French, English, Wolof and Pulaar letters (DejaVu Sans, Debian's
//! `fonts-dejavu-core`), embedded so any printer renders it.
//!
//! Arabic script needs glyph shaping and right-to-left layout, which the PDF
//! writer does not do; Arabic-script sheets are printed from the French
//! template (the administration reads both) and kept in Arabic as text.

pub mod template;

use std::path::{Path, PathBuf};

use printpdf::{Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

/// Where Debian puts the font.
pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path}: {source} (install the font: apt-get install fonts-dejavu-core)")]
    Font { path: PathBuf, source: std::io::Error },
    #[error("{0}: not a usable TrueType font")]
    BadFont(PathBuf),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const MARGIN: f32 = 20.0;
const LINE: f32 = 7.0; // mm, for 11 pt text
/// Characters per line at 11 pt on A4 within the margins (DejaVu Sans averages ~0.55 em).
const WRAP: usize = 85;

/// Writes `title` and `lines` as an A4 PDF at `out` (through a temporary
/// file, synced, so a power cut never leaves half a document).
pub fn write_pdf(title: &str, lines: &[String], out: &Path) -> Result<(), DocumentError> {
    let bytes = std::fs::read(FONT).map_err(|source| DocumentError::Font { path: FONT.into(), source })?;
    let font = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| DocumentError::BadFont(FONT.into()))?;
    let mut document = PdfDocument::new(title);
    let font = PdfFontHandle::External(document.add_font(&font));

    let mut wrapped: Vec<(String, f32)> = vec![(title.to_string(), 15.0), (String::new(), 11.0)];
    for line in lines {
        for piece in wrap(line, WRAP) {
            wrapped.push((piece, 11.0));
        }
    }
    let per_page = ((PAGE_HEIGHT - 2.0 * MARGIN) / LINE) as usize;
    let pages = wrapped
        .chunks(per_page)
        .map(|chunk| {
            let mut ops = Vec::new();
            for (i, (text, size)) in chunk.iter().enumerate() {
                let y = PAGE_HEIGHT - MARGIN - i as f32 * LINE;
                ops.push(Op::StartTextSection);
                ops.push(Op::SetTextCursor { pos: Point::new(Mm(MARGIN), Mm(y)) });
                ops.push(Op::SetFont { font: font.clone(), size: Pt(*size) });
                ops.push(Op::ShowText { items: vec![TextItem::Text(text.clone())] });
                ops.push(Op::EndTextSection);
            }
            PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
        })
        .collect();
    let pdf = document.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new());
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

/// Splits a line at spaces so no piece is longer than `width` characters.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for word in line.split_whitespace() {
        let current = pieces.last_mut().expect("never empty");
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            pieces.push(word.to_string());
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), vec![""]);
    }
}

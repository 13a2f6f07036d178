//! The typefaces a sheet is printed in, from Debian's `fonts-noto-core`: Noto
//! Sans for Latin letters (French, English, Wolof and Pulaar's ŋ ɓ ɗ ƴ, Latin
//! Tamazight's ḍ ɛ ɣ), Noto Naskh Arabic for Arabic script, Noto Sans Tifinagh.
//! Each letter is printed in the face of its script; spaces, digits and
//! punctuation stay in the face around them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::DocumentError;

const DIR: &str = "/usr/share/fonts/truetype/noto";

/// A family of faces, one per script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Latin,
    Arabic,
    Tifinagh,
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// One face: its file's bytes (shaped with rustybuzz, embedded in the PDF).
pub struct Face {
    pub family: Family,
    pub weight: Weight,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The characters it has a glyph for (read once from its `cmap`: layout
    /// asks for every character of every line it tries).
    covered: HashSet<u32>,
}

impl Face {
    /// The face for shaping; checked once at load, so it always parses.
    pub fn shaper(&self) -> rustybuzz::Face<'_> {
        rustybuzz::Face::from_slice(&self.bytes, 0).expect("checked when the face was loaded")
    }
}

/// Every face a sheet may need, loaded once.
pub struct Fonts {
    pub faces: Vec<Face>,
}

impl Fonts {
    /// Loads the faces from Debian's font directory.
    pub fn load() -> Result<Self, DocumentError> {
        Self::load_from(Path::new(DIR))
    }

    pub fn load_from(dir: &Path) -> Result<Self, DocumentError> {
        let files = [
            (Family::Latin, Weight::Regular, "NotoSans-Regular.ttf"),
            (Family::Latin, Weight::Bold, "NotoSans-Bold.ttf"),
            (Family::Arabic, Weight::Regular, "NotoNaskhArabic-Regular.ttf"),
            (Family::Arabic, Weight::Bold, "NotoNaskhArabic-Bold.ttf"),
            (Family::Tifinagh, Weight::Regular, "NotoSansTifinagh-Regular.ttf"),
        ];
        let mut faces = Vec::new();
        for (family, weight, file) in files {
            let path = dir.join(file);
            let bytes = std::fs::read(&path).map_err(|source| DocumentError::Font { path: path.clone(), source })?;
            let Some(face) = rustybuzz::Face::from_slice(&bytes, 0) else {
                return Err(DocumentError::BadFont(path));
            };
            let mut covered = HashSet::new();
            for table in face.tables().cmap.iter().flat_map(|cmap| cmap.subtables).filter(|t| t.is_unicode()) {
                table.codepoints(|c| {
                    if table.glyph_index(c).is_some_and(|g| g.0 != 0) {
                        covered.insert(c);
                    }
                });
            }
            faces.push(Face { family, weight, path, bytes, covered });
        }
        Ok(Self { faces })
    }

    /// The index of the face of `family` in `weight` (regular when the family
    /// has no bold: Tifinagh).
    pub fn index(&self, family: Family, weight: Weight) -> usize {
        self.faces
            .iter()
            .position(|f| f.family == family && f.weight == weight)
            .or_else(|| self.faces.iter().position(|f| f.family == family))
            .expect("every family is loaded")
    }

    /// Whether face `index` has a glyph for `c`.
    pub fn covers(&self, index: usize, c: char) -> bool {
        self.faces[index].covered.contains(&(c as u32))
    }
}

/// The family a character must be printed in, if its script decides it;
/// `None` for spaces, digits and punctuation, which follow their neighbours.
pub fn family_of(c: char) -> Option<Family> {
    match c as u32 {
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            // Arabic-Indic digits and punctuation are Arabic's own.
            Some(Family::Arabic)
        }
        0x2D30..=0x2D7F => Some(Family::Tifinagh),
        _ if c.is_alphabetic() => Some(Family::Latin),
        _ => None,
    }
}

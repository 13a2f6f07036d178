//! Text to positioned glyphs: the Unicode bidirectional algorithm orders a
//! line's runs (Arabic right to left, French, digits and a Latin name inside
//! Arabic left to right), HarfBuzz's shaping (rustybuzz) joins Arabic letters
//! and places marks, and each glyph keeps the characters it stands for, so the
//! PDF's text can be copied and searched in logical order.

use unicode_bidi::{Level, ParagraphBidiInfo};

use super::fonts::{family_of, Family, Fonts, Weight};

/// One shaped glyph.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub id: u16,
    /// Pen advance and horizontal displacement, in the face's units.
    pub advance: i32,
    pub x_offset: i32,
    /// The characters it stands for (empty for the second glyph of a cluster).
    pub text: String,
}

/// Glyphs of one face, left to right as printed.
#[derive(Debug, Clone)]
pub struct Run {
    pub face: usize,
    pub glyphs: Vec<Glyph>,
    pub units_per_em: f32,
}

impl Run {
    /// Width at `size` points, in points.
    pub fn width(&self, size: f32) -> f32 {
        self.glyphs.iter().map(|g| g.advance as f32).sum::<f32>() * size / self.units_per_em
    }
}

/// A line of text ready to print: runs left to right.
#[derive(Debug, Clone, Default)]
pub struct ShapedLine {
    pub runs: Vec<Run>,
}

impl ShapedLine {
    pub fn width(&self, size: f32) -> f32 {
        self.runs.iter().map(|r| r.width(size)).sum()
    }
}

/// Shapes one line (no line breaks inside) in a paragraph of direction
/// `right_to_left`.
pub fn shape_line(fonts: &Fonts, text: &str, weight: Weight, right_to_left: bool) -> ShapedLine {
    let level = if right_to_left { Level::rtl() } else { Level::ltr() };
    let bidi = ParagraphBidiInfo::new(text, Some(level));
    let (levels, visual_runs) = bidi.visual_runs(0..text.len());
    let mut runs = Vec::new();
    for range in visual_runs {
        let rtl = levels[range.start].is_rtl();
        let mut pieces = split_by_face(fonts, &text[range.clone()], weight);
        // Within a right-to-left run the logically first piece is printed rightmost.
        if rtl {
            pieces.reverse();
        }
        for (face, piece) in pieces {
            runs.push(shape_piece(fonts, face, piece, rtl));
        }
    }
    ShapedLine { runs }
}

/// Splits `text` into pieces each printed in one face: a letter in its
/// script's face, spaces, digits and punctuation in the face before them when
/// it has the glyph, any character in the first face that has it.
fn split_by_face<'t>(fonts: &Fonts, text: &'t str, weight: Weight) -> Vec<(usize, &'t str)> {
    let mut pieces: Vec<(usize, &'t str)> = Vec::new();
    let mut start = 0;
    let mut current: Option<usize> = None;
    for (at, c) in text.char_indices() {
        let wanted = match family_of(c) {
            Some(family) => fonts.index(family, weight),
            None => match current {
                Some(face) if fonts.covers(face, c) => face,
                _ => fonts.index(Family::Latin, weight),
            },
        };
        let face = if fonts.covers(wanted, c) {
            wanted
        } else {
            [Family::Latin, Family::Arabic, Family::Tifinagh]
                .into_iter()
                .map(|family| fonts.index(family, weight))
                .find(|&face| fonts.covers(face, c))
                .unwrap_or(wanted)
        };
        if current != Some(face) {
            if let Some(previous) = current {
                pieces.push((previous, &text[start..at]));
            }
            current = Some(face);
            start = at;
        }
    }
    if let Some(face) = current {
        pieces.push((face, &text[start..]));
    }
    pieces
}

fn shape_piece(fonts: &Fonts, face: usize, text: &str, rtl: bool) -> Run {
    let shaper = fonts.faces[face].shaper();
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    // A mark keeps a cluster of its own, so each glyph maps back to its own
    // characters (a ligature such as lam-alef keeps both).
    buffer.set_cluster_level(rustybuzz::BufferClusterLevel::MonotoneCharacters);
    buffer.set_direction(if rtl { rustybuzz::Direction::RightToLeft } else { rustybuzz::Direction::LeftToRight });
    let output = rustybuzz::shape(&shaper, &[], buffer);
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    // Cluster starts (byte offsets into `text`) in logical order: each
    // cluster's text runs to the next start.
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut seen = std::collections::HashSet::new();
    let glyphs = infos
        .iter()
        .zip(positions)
        .map(|(info, position)| {
            let start = info.cluster as usize;
            let end = starts.iter().copied().find(|&s| s > start).unwrap_or(text.len());
            // A cluster of several glyphs (a letter and its mark) gives its
            // text to the first glyph printed.
            let text = if seen.insert(start) { text[start..end].to_string() } else { String::new() };
            Glyph { id: info.glyph_id as u16, advance: position.x_advance, x_offset: position.x_offset, text }
        })
        .collect();
    Run { face, glyphs, units_per_em: shaper.units_per_em() as f32 }
}

/// Splits `text` at spaces into lines no wider than `width` points at `size`
/// (a word wider than the line is cut between letters).
pub fn wrap(fonts: &Fonts, text: &str, weight: Weight, size: f32, width: f32, right_to_left: bool) -> Vec<String> {
    let fits = |line: &str| shape_line(fonts, line, weight, right_to_left).width(size) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The word alone: cut it where it no longer fits.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if !fits(&piece) && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        current = piece;
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load().expect("fonts-noto-core is installed (apt-get install fonts-noto-core)")
    }

    fn texts(line: &ShapedLine) -> String {
        line.runs.iter().flat_map(|r| r.glyphs.iter().map(|g| g.text.as_str())).collect()
    }

    #[test]
    fn arabic_letters_join_and_keep_their_text() {
        let fonts = fonts();
        let word = "تعاونية";
        let line = shape_line(&fonts, word, Weight::Regular, true);
        assert_eq!(line.runs.len(), 1);
        let face = &fonts.faces[line.runs[0].face];
        assert_eq!(face.family, Family::Arabic);
        // Joined forms are other glyphs than the isolated letters.
        let shaper = face.shaper();
        let isolated: Vec<u16> = word.chars().map(|c| shaper.glyph_index(c).unwrap().0).collect();
        let shaped: Vec<u16> = line.runs[0].glyphs.iter().map(|g| g.id).collect();
        assert_ne!(shaped.iter().rev().copied().collect::<Vec<_>>(), isolated);
        // Printed right to left: the glyphs' texts read backwards.
        let reversed: String = line.runs[0].glyphs.iter().rev().map(|g| g.text.as_str()).collect();
        assert_eq!(reversed, word);
    }

    #[test]
    fn a_latin_name_inside_arabic_stays_left_to_right() {
        let fonts = fonts();
        let line = shape_line(&fonts, "الرئاسة: Aicha BE123456", Weight::Regular, true);
        let printed = texts(&line);
        // In an Arabic paragraph the Latin part is printed on the left, in order.
        assert!(printed.starts_with("Aicha BE123456"), "{printed}");
        assert!(line.runs.iter().any(|r| fonts.faces[r.face].family == Family::Latin));
    }

    #[test]
    fn lines_wrap_within_the_width() {
        let fonts = fonts();
        let text = "Fiche de renseignements pour la création d'une coopérative agricole des femmes du douar";
        let lines = wrap(&fonts, text, Weight::Bold, 15.0, 200.0, false);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(shape_line(&fonts, line, Weight::Bold, false).width(15.0) <= 200.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(300);
        assert!(wrap(&fonts, &long, Weight::Regular, 11.0, 100.0, false).len() > 1);
    }
}

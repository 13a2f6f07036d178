//! A4 pages drawn from the top down, in millimetres: shaped text lines,
//! boxes and rules, turned into a PDF with every face used embedded.

use printpdf::{
    Codepoint, Color, FontId, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem,
};

use super::fonts::{Fonts, Weight};
use super::shaping::{shape_line, wrap, ShapedLine};
use super::DocumentError;

pub const PAGE_WIDTH: f32 = 210.0;
pub const PAGE_HEIGHT: f32 = 297.0;
pub const MARGIN: f32 = 18.0;
/// Space kept at the foot of each page for the footer.
pub const FOOT: f32 = 16.0;

const PT_PER_MM: f32 = 72.0 / 25.4;

/// Where a line sits in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A text style: size in points, weight, paragraph direction, and the side
/// lines start from.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub size: f32,
    pub weight: Weight,
    pub right_to_left: bool,
    pub align: Align,
}

impl Style {
    /// Height of one line, in millimetres (1.45 × the size: room for Arabic's
    /// tall letters and low dots).
    pub fn line_height(&self) -> f32 {
        self.size * 1.45 / PT_PER_MM
    }

    /// Text in its own direction, starting from the side it reads from.
    pub fn reading(size: f32, weight: Weight, right_to_left: bool) -> Self {
        let align = if right_to_left { Align::Right } else { Align::Left };
        Self { size, weight, right_to_left, align }
    }
}

/// Text wrapped to a width, ready to draw.
pub struct Block {
    pub lines: Vec<ShapedLine>,
    pub style: Style,
}

impl Block {
    pub fn height(&self) -> f32 {
        self.lines.len() as f32 * self.style.line_height()
    }
}

pub struct Canvas<'f> {
    pub fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// The page drawn on.
    current: usize,
    /// Distance of the next thing drawn from the page's top, in mm.
    pub y: f32,
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Self { fonts, pages: vec![Vec::new()], current: 0, y: MARGIN }
    }

    /// `text` wrapped to `width` mm in `style`.
    pub fn block(&self, text: &str, style: Style, width: f32) -> Block {
        let lines = wrap(self.fonts, text, style.weight, style.size, width * PT_PER_MM, style.right_to_left)
            .iter()
            .map(|line| shape_line(self.fonts, line, style.weight, style.right_to_left))
            .collect();
        Block { lines, style }
    }

    /// Room left on this page below `y`.
    pub fn room(&self) -> f32 {
        PAGE_HEIGHT - FOOT - self.y
    }

    /// Starts a new page when `height` mm does not fit on this one.
    pub fn make_room(&mut self, height: f32) {
        if height > self.room() && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.current = self.pages.len() - 1;
            self.y = MARGIN;
        }
    }

    /// Draws on page `index` from now on (to add what every page has, once
    /// the number of pages is known).
    pub fn select(&mut self, index: usize) {
        self.current = index.min(self.pages.len() - 1);
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Draws `block` in the box from `x` (mm from the left) `width` wide, its
    /// first line's top at `top` (mm from the page's top), on the current page.
    pub fn draw_block(&mut self, block: &Block, x: f32, width: f32, top: f32) {
        let line_height = block.style.line_height();
        for (i, line) in block.lines.iter().enumerate() {
            let line_width = line.width(block.style.size) / PT_PER_MM;
            let left = match block.style.align {
                Align::Left => x,
                Align::Right => x + width - line_width,
            };
            // The baseline sits at about 0.78 of the line box.
            let baseline = top + i as f32 * line_height + line_height * 0.78;
            self.text_line(line, block.style.size, left, baseline);
        }
    }

    fn text_line(&mut self, line: &ShapedLine, size: f32, left: f32, baseline: f32) {
        let mut x_pt = left * PT_PER_MM;
        let y_pt = (PAGE_HEIGHT - baseline) * PT_PER_MM;
        let page = &mut self.pages[self.current];
        for run in &line.runs {
            let items = glyph_items(self.fonts, run);
            page.push(Op::StartTextSection);
            page.push(Op::SetTextCursor { pos: Point { x: Pt(x_pt), y: Pt(y_pt) } });
            page.push(Op::SetFont { font: PdfFontHandle::External(face_id(run.face)), size: Pt(size) });
            page.push(Op::ShowText { items });
            page.push(Op::EndTextSection);
            x_pt += run.width(size);
        }
    }

    /// A rectangle outline (`fill`: a light grey background under it).
    pub fn rectangle(&mut self, x: f32, top: f32, width: f32, height: f32, fill: bool) {
        let page = &mut self.pages[self.current];
        let rect = |mode| Rect {
            x: Mm(x).into(),
            y: Mm(PAGE_HEIGHT - top - height).into(),
            width: Mm(width).into(),
            height: Mm(height).into(),
            mode: Some(mode),
            winding_order: None,
        };
        if fill {
            page.push(Op::SetFillColor { col: grey(0.92) });
            page.push(Op::DrawRectangle { rectangle: rect(PaintMode::Fill) });
            // Text is painted with the fill colour: back to black.
            page.push(Op::SetFillColor { col: grey(0.0) });
        }
        page.push(Op::SetOutlineColor { col: grey(0.25) });
        page.push(Op::SetOutlineThickness { pt: Pt(0.6) });
        page.push(Op::DrawRectangle { rectangle: rect(PaintMode::Stroke) });
    }

    /// The pages as a PDF; the faces used are embedded whole.
    pub fn into_pdf(self, title: &str) -> Result<Vec<u8>, DocumentError> {
        let mut document = PdfDocument::new(title);
        let mut used: Vec<usize> = Vec::new();
        for op in self.pages.iter().flatten() {
            if let Op::SetFont { font: PdfFontHandle::External(id), .. } = op {
                let face = face_index(id);
                if !used.contains(&face) {
                    used.push(face);
                }
            }
        }
        let mut ids = std::collections::HashMap::new();
        for face in used {
            let path = &self.fonts.faces[face].path;
            let parsed = ParsedFont::from_bytes(&self.fonts.faces[face].bytes, 0, &mut Vec::new())
                .ok_or_else(|| DocumentError::BadFont(path.clone()))?;
            ids.insert(face_id(face), document.add_font(&parsed));
        }
        let pages = self
            .pages
            .into_iter()
            .map(|ops| {
                let ops = ops
                    .into_iter()
                    .map(|op| match op {
                        Op::SetFont { font: PdfFontHandle::External(id), size } => {
                            Op::SetFont { font: PdfFontHandle::External(ids[&id].clone()), size }
                        }
                        other => other,
                    })
                    .collect();
                PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
            })
            .collect();
        Ok(document.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new()))
    }
}

/// Faces are named `face<N>` while drawing, and swapped for the document's
/// own font ids when the PDF is made (only the faces used are embedded).
fn face_id(face: usize) -> FontId {
    FontId(format!("face{face}"))
}

fn face_index(id: &FontId) -> usize {
    id.0.strip_prefix("face").and_then(|n| n.parse().ok()).expect("ids made by face_id")
}

/// A run's glyphs as PDF text items. The PDF advances the pen by each glyph's
/// own width (`/W`, from the face's `hmtx`), so each glyph carries the
/// difference to the shaped advance, and a mark's displacement is applied
/// before it and taken back after.
fn glyph_items(fonts: &Fonts, run: &super::shaping::Run) -> Vec<TextItem> {
    let face = fonts.faces[run.face].shaper();
    let per_unit = 1000.0 / run.units_per_em;
    let mut items = Vec::new();
    for glyph in &run.glyphs {
        // As printpdf writes `/W`: the face's advance scaled to 1000 per em, truncated.
        let natural = face.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(glyph.id)).unwrap_or(0) as f32;
        let pdf_width = (natural * per_unit).trunc();
        let shaped = glyph.advance as f32 * per_unit;
        let shift = glyph.x_offset as f32 * per_unit;
        if shift != 0.0 {
            // TJ numbers move the pen left by thousandths of an em.
            items.push(TextItem::Offset(-shift));
        }
        let text = (!glyph.text.is_empty()).then(|| glyph.text.clone());
        let after = pdf_width - shaped + shift;
        items.push(TextItem::GlyphIds(vec![Codepoint { gid: glyph.id, offset: after, cid: text }]));
    }
    items
}

fn grey(level: f32) -> Color {
    Color::Rgb(Rgb::new(level, level, level, None))
}

//! A filled form laid out as an administrative sheet: the form's title and
//! legal reference, the draft number and date, a table of fields, signature
//! and date boxes, and a footer asking to check every field before signing.
//!
//! In one language the sheet reads in that language's direction (an Arabic
//! sheet has its labels on the right). In two — as Moroccan offices print
//! them — the first language reads from the left edge, the second from the
//! right: French labels | the answers | Arabic labels.

use super::canvas::{Block, Canvas, Style, MARGIN, PAGE_HEIGHT, PAGE_WIDTH};
use super::fonts::{family_of, Family, Fonts, Weight};
use super::DocumentError;

/// One language's words on a sheet.
#[derive(Debug, Clone)]
pub struct SheetText {
    pub right_to_left: bool,
    pub title: String,
    /// The law or regulation the form comes from.
    pub reference: Option<String>,
    /// One label per row of the table.
    pub labels: Vec<String>,
    /// The captions of the signature boxes.
    pub signatures: Vec<String>,
    /// "Brouillon n° 12".
    pub draft: String,
    /// "Établie le 03/12/2026".
    pub made_on: String,
    /// The caption of the date box.
    pub date: String,
    /// "Préparée avec Awal : vérifiez chaque champ avant de signer."
    pub check: String,
}

/// A sheet in one or two languages (`sides`), with one value per row.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub sides: Vec<SheetText>,
    pub values: Vec<String>,
}

const WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const GAP: f32 = 6.0;
const PAD: f32 = 1.8;
const SIGNATURE_HEIGHT: f32 = 30.0;

impl Sheet {
    /// The sheet as a PDF document.
    pub fn to_pdf(&self, fonts: &Fonts) -> Result<Vec<u8>, DocumentError> {
        let mut canvas = Canvas::new(fonts);
        self.header(&mut canvas);
        self.table(&mut canvas);
        self.signature_boxes(&mut canvas);
        for page in 0..canvas.page_count() {
            canvas.select(page);
            self.footer(&mut canvas);
        }
        let title = self.sides.iter().map(|s| s.title.as_str()).collect::<Vec<_>>().join(" / ");
        canvas.into_pdf(&title)
    }

    fn style(side: &SheetText, size: f32, weight: Weight) -> Style {
        Style::reading(size, weight, side.right_to_left)
    }

    /// The columns the sides' texts go in: (x, width) per side.
    fn side_columns(&self) -> Vec<(f32, f32)> {
        match self.sides.len() {
            1 => vec![(MARGIN, WIDTH)],
            _ => {
                let half = (WIDTH - GAP) / 2.0;
                vec![(MARGIN, half), (MARGIN + half + GAP, half)]
            }
        }
    }

    /// Blocks stacked in each side's column, side by side; returns the height used.
    fn stacked(&self, canvas: &mut Canvas, blocks_of: impl Fn(&Canvas, &SheetText, f32) -> Vec<Block>) -> f32 {
        let columns = self.side_columns();
        let stacks: Vec<Vec<Block>> =
            self.sides.iter().zip(&columns).map(|(side, (_, width))| blocks_of(canvas, side, *width)).collect();
        let height = |stack: &Vec<Block>| stack.iter().map(Block::height).sum::<f32>();
        let tallest = stacks.iter().map(height).fold(0.0, f32::max);
        canvas.make_room(tallest);
        let top = canvas.y;
        for (stack, (x, width)) in stacks.iter().zip(&columns) {
            let mut y = top;
            for block in stack {
                canvas.draw_block(block, *x, *width, y);
                y += block.height();
            }
        }
        tallest
    }

    fn header(&self, canvas: &mut Canvas) {
        let used = self.stacked(canvas, |canvas, side, width| {
            let mut blocks = vec![canvas.block(&side.title, Self::style(side, 15.0, Weight::Bold), width)];
            if let Some(reference) = &side.reference {
                blocks.push(canvas.block(reference, Self::style(side, 10.0, Weight::Regular), width));
            }
            // Two lines: a number and a date side by side in one line of
            // Arabic would read in an order nobody expects.
            for line in [&side.draft, &side.made_on] {
                blocks.push(canvas.block(line, Self::style(side, 10.0, Weight::Regular), width));
            }
            blocks
        });
        canvas.y += used + 2.0;
        canvas.rectangle(MARGIN, canvas.y, WIDTH, 0.0, false);
        canvas.y += 4.0;
    }

    /// The table's columns: (x, width) for each side's labels and the values.
    fn table_columns(&self) -> (Vec<(f32, f32)>, (f32, f32)) {
        match self.sides.len() {
            1 => {
                let (label, value) = (WIDTH * 0.38, WIDTH * 0.62);
                if self.sides[0].right_to_left {
                    (vec![(MARGIN + value, label)], (MARGIN, value))
                } else {
                    (vec![(MARGIN, label)], (MARGIN + label, value))
                }
            }
            _ => {
                let (label, value) = (WIDTH * 0.30, WIDTH * 0.40);
                (vec![(MARGIN, label), (MARGIN + label + value, label)], (MARGIN + label, value))
            }
        }
    }

    fn table(&self, canvas: &mut Canvas) {
        let (label_columns, (value_x, value_width)) = self.table_columns();
        for (row, value) in self.values.iter().enumerate() {
            let labels: Vec<Block> = self
                .sides
                .iter()
                .zip(&label_columns)
                .map(|(side, (_, width))| {
                    let label = side.labels.get(row).map_or("", String::as_str);
                    canvas.block(label, Self::style(side, 10.0, Weight::Bold), width - 2.0 * PAD)
                })
                .collect();
            // An answer reads in its own script's direction; on a sheet in
            // one language it starts from that language's side.
            let mut value_style = Style::reading(11.0, Weight::Regular, reads_right_to_left(value));
            if let [only] = self.sides.as_slice() {
                value_style.align = Style::reading(11.0, Weight::Regular, only.right_to_left).align;
            }
            let value_block = canvas.block(value, value_style, value_width - 2.0 * PAD);
            let inner = labels.iter().chain([&value_block]).map(Block::height).fold(0.0, f32::max);
            let height = inner + 2.0 * PAD;
            canvas.make_room(height);
            let top = canvas.y;
            for (block, (x, width)) in labels.iter().zip(&label_columns) {
                canvas.rectangle(*x, top, *width, height, true);
                canvas.draw_block(block, x + PAD, width - 2.0 * PAD, top + PAD);
            }
            canvas.rectangle(value_x, top, value_width, height, false);
            canvas.draw_block(&value_block, value_x + PAD, value_width - 2.0 * PAD, top + PAD);
            canvas.y += height;
        }
        canvas.y += 8.0;
    }

    /// One box per signature and one for the date, side by side; the first
    /// box where the sheet's first language starts reading.
    fn signature_boxes(&self, canvas: &mut Canvas) {
        let count = self.sides.iter().map(|s| s.signatures.len()).max().unwrap_or(0) + 1;
        let width = (WIDTH - GAP * (count - 1) as f32) / count as f32;
        canvas.make_room(SIGNATURE_HEIGHT);
        let top = canvas.y;
        let right_to_left = self.sides.len() == 1 && self.sides[0].right_to_left;
        for index in 0..count {
            let slot = if right_to_left { count - 1 - index } else { index };
            let x = MARGIN + slot as f32 * (width + GAP);
            canvas.rectangle(x, top, width, SIGNATURE_HEIGHT, false);
            let mut y = top + PAD;
            for side in &self.sides {
                let caption = if index + 1 == count {
                    side.date.as_str()
                } else {
                    side.signatures.get(index).or(side.signatures.last()).map_or("", String::as_str)
                };
                let block = canvas.block(caption, Self::style(side, 9.0, Weight::Bold), width - 2.0 * PAD);
                canvas.draw_block(&block, x + PAD, width - 2.0 * PAD, y);
                y += block.height();
            }
        }
        canvas.y += SIGNATURE_HEIGHT;
    }

    fn footer(&self, canvas: &mut Canvas) {
        let mut y = PAGE_HEIGHT - MARGIN + 2.0 - 4.0 * self.sides.len() as f32;
        for side in &self.sides {
            let block = canvas.block(&side.check, Self::style(side, 8.5, Weight::Regular), WIDTH);
            canvas.draw_block(&block, MARGIN, WIDTH, y);
            y += block.height();
        }
    }
}

/// Whether `text` reads right to left: its first letter is Arabic script.
pub fn reads_right_to_left(text: &str) -> bool {
    text.chars().find_map(family_of).is_some_and(|family| family == Family::Arabic)
}

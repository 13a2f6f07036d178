//! The printed sheet as an office receives it, read back with poppler's own
//! tools: `pdftotext` gives the Arabic values in logical order, `pdftotext
//! -bbox` shows every word inside the page, `pdftoppm` renders it.
//!
//! `AWAL_KEEP_SHEETS=DIR` keeps the PDFs (`scripts/sheet-images` makes the
//! README's pictures from them).

use std::path::{Path, PathBuf};
use std::process::Command;

use awal::documents::{Fonts, Sheet, SheetText};

const A4_WIDTH_PT: f64 = 595.28;
const A4_HEIGHT_PT: f64 = 841.89;

fn french() -> SheetText {
    SheetText {
        right_to_left: false,
        title: "Fiche de renseignements — création d'une coopérative".into(),
        reference: Some("Loi n° 112-12 relative aux coopératives".into()),
        labels: [
            "Nom de la coopérative",
            "Activité",
            "Nombre de membres fondateurs",
            "Capital (DH)",
            "Nom de la présidente ou du président",
            "N° de CIN de la présidence",
            "Téléphone",
            "Adresse du siège",
            "Date de l'assemblée générale constitutive",
        ]
        .map(String::from)
        .to_vec(),
        signatures: vec!["Signature de la présidente ou du président".into()],
        draft: "Brouillon n° 12".into(),
        made_on: "Établie le 03/12/2026".into(),
        date: "Date".into(),
        check: "Préparée avec Awal : vérifiez chaque champ avant de signer.".into(),
    }
}

fn arabic() -> SheetText {
    SheetText {
        right_to_left: true,
        title: "بطاقة معلومات — تأسيس تعاونية".into(),
        reference: Some("القانون رقم 112.12 المتعلق بالتعاونيات".into()),
        labels: [
            "اسم التعاونية",
            "النشاط",
            "عدد الأعضاء المؤسسين",
            "رأس المال (درهم)",
            "اسم الرئيسة أو الرئيس",
            "رقم البطاقة الوطنية للرئاسة",
            "الهاتف",
            "عنوان المقر",
            "تاريخ الجمع العام التأسيسي",
        ]
        .map(String::from)
        .to_vec(),
        signatures: vec!["توقيع الرئيسة أو الرئيس".into()],
        draft: "المسودة رقم 12".into(),
        made_on: "حررت بتاريخ 03/12/2026".into(),
        date: "التاريخ".into(),
        check: "أعدت بمساعدة أوال: تحقق من كل خانة قبل التوقيع.".into(),
    }
}

/// Answers as people give them: an Arabic cooperative name, a Latin one for
/// the chair, an address long enough to wrap.
fn values() -> Vec<String> {
    [
        "تعاونية النور للنساء",
        "الفلاحة",
        "15",
        "5000",
        "Fatima Zahra Amrani",
        "BE123456",
        "+212612345678",
        "دوار أيت بوكماز، جماعة تبانت، إقليم أزيلال، جهة بني ملال خنيفرة، المغرب، قرب المدرسة الابتدائية والمسجد",
        "21/03/2026",
    ]
    .map(String::from)
    .to_vec()
}

fn fonts() -> Fonts {
    Fonts::load().expect("the sheet's fonts: apt-get install fonts-noto-core (scripts/test installs it)")
}

/// Writes `sheet` to a temporary PDF (kept under `AWAL_KEEP_SHEETS` if set).
fn printed(sheet: &Sheet, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.pdf"));
    std::fs::write(&path, sheet.to_pdf(&fonts()).unwrap()).unwrap();
    if let Some(keep) = std::env::var_os("AWAL_KEEP_SHEETS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&path, Path::new(&keep).join(format!("{name}.pdf"))).unwrap();
    }
    (dir, path)
}

fn poppler(tool: &str, args: &[&str]) -> std::process::Output {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} could not be run ({e}); install it: apt-get install poppler-utils"));
    assert!(output.status.success(), "{tool}: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn text_of(pdf: &Path) -> String {
    let output = poppler("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    String::from_utf8(output.stdout).unwrap()
}

/// Collapses runs of whitespace, so a value wrapped over lines reads as one,
/// without the direction marks pdftotext puts around runs (U+200E–F, U+202A–E).
fn squeezed(text: &str) -> String {
    let unmarked: String =
        text.chars().filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}')).collect();
    unmarked.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every word's box (`xMin yMin xMax yMax`, points) as `pdftotext -bbox` finds it.
fn word_boxes(pdf: &Path) -> Vec<(String, [f64; 4])> {
    let output = poppler("pdftotext", &["-bbox", "-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    let html = String::from_utf8(output.stdout).unwrap();
    let attribute = |line: &str, name: &str| -> f64 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    html.lines()
        .filter(|line| line.trim_start().starts_with("<word "))
        .map(|line| {
            let word = line.split('>').nth(1).unwrap().split('<').next().unwrap().to_string();
            let corners = ["xMin", "yMin", "xMax", "yMax"].map(|name| attribute(line, name));
            (word, corners)
        })
        .collect()
}

fn assert_inside_the_page(pdf: &Path) {
    let boxes = word_boxes(pdf);
    assert!(boxes.len() > 40, "{} words", boxes.len());
    for (word, [x_min, y_min, x_max, y_max]) in boxes {
        let inside = x_min >= 0.0 && y_min >= 0.0 && x_max <= A4_WIDTH_PT && y_max <= A4_HEIGHT_PT;
        assert!(inside, "`{word}` at {x_min:.0},{y_min:.0}–{x_max:.0},{y_max:.0} is outside the page");
        // Within the 18 mm margins (51 pt), with a point of slack.
        assert!(x_min >= 50.0 && x_max <= A4_WIDTH_PT - 50.0, "`{word}` runs into the margin: {x_min:.0}–{x_max:.0}");
    }
}

#[test]
fn an_arabic_sheet_gives_its_values_back_in_reading_order() {
    let sheet = Sheet { sides: vec![arabic()], values: values() };
    let (_dir, pdf) = printed(&sheet, "sheet-ar");
    let text = squeezed(&text_of(&pdf));
    for expected in ["تعاونية النور للنساء", "اسم التعاونية", "بطاقة معلومات", "Fatima Zahra Amrani", "BE123456"]
    {
        assert!(text.contains(expected), "`{expected}` not in the extracted text:\n{text}");
    }
    assert!(text.contains("دوار أيت بوكماز"), "the long address, in order: {text}");
    assert_inside_the_page(&pdf);
}

#[test]
fn a_bilingual_sheet_has_both_languages_and_the_arabic_values_in_order() {
    let sheet = Sheet { sides: vec![french(), arabic()], values: values() };
    let (_dir, pdf) = printed(&sheet, "sheet-fr-ar");
    let text = squeezed(&text_of(&pdf));
    for expected in [
        "Nom de la coopérative",
        "اسم التعاونية",
        "تعاونية النور للنساء",
        "Fatima Zahra Amrani",
        "Brouillon n° 12",
        "المسودة رقم 12",
        "vérifiez chaque champ avant de signer",
        "Signature de la présidente",
        "توقيع الرئيسة",
    ] {
        assert!(text.contains(expected), "`{expected}` not in the extracted text:\n{text}");
    }
    assert_inside_the_page(&pdf);
    // In the table row of the cooperative's name, the French label is left of
    // the value and the Arabic label right of it.
    let boxes = word_boxes(&pdf);
    // (-bbox lists an Arabic word's letters as printed: right to left.)
    let x_of = |word: &str| {
        let printed: String = word.chars().rev().collect();
        let found = boxes.iter().find(|(w, _)| *w == word || *w == printed);
        found.unwrap_or_else(|| panic!("no `{word}` in {boxes:?}")).1[0]
    };
    assert!(x_of("Nom") < x_of("النور") && x_of("النور") < x_of("التعاونية"), "FR | value | AR");
}

#[test]
fn a_long_title_wraps_and_a_long_table_goes_on_to_a_second_page() {
    let mut side = french();
    side.title = "Fiche de renseignements pour la constitution du dossier de création d'une coopérative \
                  agricole, artisanale ou de services des femmes du douar, à déposer auprès de l'Office"
        .into();
    let rows = 40;
    side.labels = (1..=rows).map(|n| format!("Champ numéro {n} du formulaire administratif")).collect();
    let values = (1..=rows).map(|n| format!("Réponse {n}, dite à voix haute puis confirmée")).collect();
    let sheet = Sheet { sides: vec![side], values };
    let (_dir, pdf) = printed(&sheet, "sheet-long");
    let info = String::from_utf8(poppler("pdfinfo", &[pdf.to_str().unwrap()]).stdout).unwrap();
    assert!(info.lines().any(|l| l.starts_with("Pages:") && !l.ends_with(" 1")), "{info}");
    assert_inside_the_page(&pdf);
    let text = squeezed(&text_of(&pdf));
    assert!(text.contains("Réponse 40, dite à voix haute"), "the last row is printed");
    assert!(text.contains("auprès de l'Office"), "the whole title is printed");
}

#[test]
fn tifinagh_and_latin_tamazight_are_printed_in_their_letters() {
    let mut side = french();
    side.title = "ⵜⴰⵙⴽⵍⴰ ⵏ ⵜⵎⵙⵙⵓⴷⵙⴰ — Tasɣart n tmesmunt".into();
    side.labels = vec!["ⵉⵙⵎ".into(), "Isem n tmesmunt".into()];
    let sheet = Sheet {
        sides: vec![side],
        values: vec!["ⵜⴰⵎⵙⵎⵓⵏⵜ ⵏ ⵜⵉⴼⴰⵡⵜ".into(), "Tamesmunt n Tifawt ɣer ḍḍaw".into()],
    };
    let (_dir, pdf) = printed(&sheet, "sheet-tamazight");
    let text = squeezed(&text_of(&pdf));
    for expected in ["ⵜⴰⵎⵙⵎⵓⵏⵜ ⵏ ⵜⵉⴼⴰⵡⵜ", "Tasɣart n tmesmunt", "ɣer ḍḍaw"] {
        assert!(text.contains(expected), "`{expected}` not in:\n{text}");
    }
}

#[test]
fn the_sheet_renders_to_a_page_with_ink_on_it() {
    let sheet = Sheet { sides: vec![french(), arabic()], values: values() };
    let (dir, pdf) = printed(&sheet, "sheet-render");
    let prefix = dir.path().join("page");
    poppler("pdftoppm", &["-r", "40", "-gray", "-f", "1", "-l", "1", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let image = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .expect("pdftoppm wrote a page");
    let bytes = std::fs::read(image).unwrap();
    // A PGM: "P5", width, height, 255, then one byte per pixel (255 white).
    let header: Vec<usize> =
        String::from_utf8_lossy(&bytes[..20]).split_whitespace().skip(1).take(2).map(|n| n.parse().unwrap()).collect();
    let pixels = &bytes[bytes.len() - header[0] * header[1]..];
    let dark = pixels.iter().filter(|&&p| p < 128).count();
    assert!(dark > pixels.len() / 100, "{dark} dark pixels of {}", pixels.len());
}

//! Numbers, phone numbers and dates as people say them, in French, English,
//! Arabic and Darija (Arabic letters and Arabizi), read from the committed
//! language files: at least 30 spoken forms per language.

use awal::corpus::Languages;
use awal::words::numbers::{spoken_amount, spoken_date, spoken_digits, SpokenDate};

fn check_amounts(language: &str, table: &[(&str, u64)]) {
    let languages = Languages::built_in();
    let wrong: Vec<String> = table
        .iter()
        .filter_map(|&(said, value)| {
            let heard = spoken_amount(said, &languages);
            (heard != Some(value)).then(|| format!("  {said:?}: {heard:?}, not {value}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{language}: {} of {} amounts misread:\n{}", wrong.len(), table.len(), wrong.join("\n"));
}

/// (said, day, month, year if said)
type Dates<'t> = &'t [(&'t str, (u32, u32, Option<i32>))];

fn check_dates(table: Dates) {
    let languages = Languages::built_in();
    for &(said, (day, month, year)) in table {
        assert_eq!(spoken_date(said, &languages), Some(SpokenDate { day, month, year }), "{said:?}");
    }
}

fn check_phones(table: &[(&str, &str)]) {
    let languages = Languages::built_in();
    for &(said, digits) in table {
        assert_eq!(spoken_digits(said, &languages).as_deref(), Some(digits), "{said:?}");
    }
}

#[test]
fn french_amounts_counts_and_dates() {
    check_amounts(
        "fr",
        &[
            ("zéro", 0),
            ("un", 1),
            ("douze", 12),
            ("dix-sept", 17),
            ("vingt", 20),
            ("vingt et un", 21),
            ("vingt-deux", 22),
            ("trente-cinq", 35),
            ("quarante-quatre", 44),
            ("cinquante", 50),
            ("soixante et onze", 71),
            ("soixante-dix-huit", 78),
            ("quatre-vingts", 80),
            ("quatre-vingt-un", 81),
            ("quatre-vingt-dix-sept", 97),
            ("cent", 100),
            ("cent un", 101),
            ("deux cents", 200),
            ("trois cent cinquante", 350),
            ("mille", 1000),
            ("mille deux cents", 1200),
            ("deux mille", 2000),
            ("deux mille cinq cents", 2500),
            ("cinq mille", 5000),
            ("cinq mille dirhams", 5000),
            ("le capital est de dix mille dirhams", 10000),
            ("quinze mille", 15000),
            ("cent mille", 100000),
            ("trois cent mille", 300000),
            ("un million", 1000000),
            ("deux millions cinq cent mille", 2500000),
            ("5 mille", 5000),
            ("5000 dirhams", 5000),
            ("5 000 DH", 5000),
            ("5.000", 5000),
            ("nous sommes douze membres", 12),
            ("euh… quinze, je crois", 15),
        ],
    );
    check_dates(&[
        ("le vingt et un mars deux mille vingt-six", (21, 3, Some(2026))),
        ("le 1er janvier 2025", (1, 1, Some(2025))),
        ("premier mai", (1, 5, None)),
        ("le quinze août deux mille vingt-quatre", (15, 8, Some(2024))),
        ("trente et un décembre 2025", (31, 12, Some(2025))),
    ]);
    check_phones(&[
        ("zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit", "0612345678"),
        ("zéro six un deux trois quatre cinq six sept huit", "0612345678"),
        ("06 12 34 56 78", "0612345678"),
        ("zéro cinq vingt-deux, quatre-vingt-dix-neuf, dix, onze", "0522991011"),
    ]);
}

#[test]
fn english_amounts_counts_and_dates() {
    check_amounts(
        "en",
        &[
            ("zero", 0),
            ("one", 1),
            ("seven", 7),
            ("twelve", 12),
            ("thirteen", 13),
            ("nineteen", 19),
            ("twenty", 20),
            ("twenty-one", 21),
            ("thirty four", 34),
            ("forty-five", 45),
            ("fifty", 50),
            ("sixty-six", 66),
            ("seventy seven", 77),
            ("eighty-eight", 88),
            ("ninety-nine", 99),
            ("a hundred", 100),
            ("one hundred and one", 101),
            ("two hundred", 200),
            ("three hundred and fifty", 350),
            ("a thousand", 1000),
            ("one thousand two hundred", 1200),
            ("two thousand five hundred", 2500),
            ("five thousand", 5000),
            ("five thousand dirhams", 5000),
            ("ten thousand", 10000),
            ("fifteen thousand", 15000),
            ("a hundred thousand", 100000),
            ("three hundred thousand", 300000),
            ("one million", 1000000),
            ("two million five hundred thousand", 2500000),
            ("5 thousand", 5000),
            ("5,000", 5000),
            ("We are twelve members.", 12),
            ("um, fifteen I think", 15),
        ],
    );
    check_dates(&[
        ("March twenty-first, twenty twenty-six", (21, 3, Some(2026))),
        ("the 21st of March 2026", (21, 3, Some(2026))),
        ("first of May", (1, 5, None)),
        ("August 15, 2024", (15, 8, Some(2024))),
        ("the thirty-first of December two thousand twenty-five", (31, 12, Some(2025))),
    ]);
    check_phones(&[
        ("zero six one two three four five six seven eight", "0612345678"),
        ("oh six, twelve, thirty-four, fifty-six, seventy-eight", "0612345678"),
        ("0612345678", "0612345678"),
    ]);
}

#[test]
fn arabic_amounts_counts_and_dates() {
    check_amounts(
        "ar",
        &[
            ("صفر", 0),
            ("واحد", 1),
            ("اثنان", 2),
            ("ثلاثة", 3),
            ("خمسة", 5),
            ("عشرة", 10),
            ("أحد عشر", 11),
            ("اثنا عشر", 12),
            ("ثلاثة عشر", 13),
            ("تسعة عشر", 19),
            ("عشرون", 20),
            ("واحد وعشرون", 21),
            ("خمسة وعشرون", 25),
            ("ثلاثون", 30),
            ("أربعة وأربعون", 44),
            ("تسعة وتسعون", 99),
            ("مئة", 100),
            ("مائة وواحد", 101),
            ("مئتان", 200),
            ("ثلاثمائة وخمسون", 350),
            ("ألف", 1000),
            ("ألف ومئتان", 1200),
            ("ألفان", 2000),
            ("ألفين وخمسمائة", 2500),
            ("خمسة آلاف", 5000),
            ("خمسة آلاف درهم", 5000),
            ("عشرة آلاف", 10000),
            ("خمسة عشر ألف", 15000),
            ("مئة ألف", 100000),
            ("ثلاثمائة ألف", 300000),
            ("مليون", 1000000),
            ("٥٠٠٠ درهم", 5000),
            ("نحن اثنا عشر عضوا", 12),
        ],
    );
    check_dates(&[
        ("واحد وعشرين مارس ألفين وستة وعشرين", (21, 3, Some(2026))),
        ("21 مارس 2026", (21, 3, Some(2026))),
        ("خمسة عشر غشت ألفين وأربعة وعشرين", (15, 8, Some(2024))),
    ]);
    check_phones(&[("صفر ستة واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية", "0612345678")]);
}

#[test]
fn darija_amounts_counts_and_dates_in_arabic_letters_and_arabizi() {
    check_amounts(
        "ary",
        &[
            ("جوج", 2),
            ("joj", 2),
            ("tlata", 3),
            ("reb3a", 4),
            ("khamsa", 5),
            ("3achra", 10),
            ("حداش", 11),
            ("tnach", 12),
            ("khmstach", 15),
            ("3echrin", 20),
            ("wahed w 3echrin", 21),
            ("خمسة و عشرين", 25),
            ("tlatin", 30),
            ("khamsin", 50),
            ("tes3in", 90),
            ("mya", 100),
            ("ميتين", 200),
            ("khamsmya", 500),
            ("alf", 1000),
            ("alf w khamsmya", 1500),
            ("ألف و خمسمية", 1500),
            ("alfin", 2000),
            ("alfin w khamsmya", 2500),
            ("khamsa alaf", 5000),
            ("خمسة آلاف درهم", 5000),
            ("3achra alaf", 10000),
            ("mya alf", 100000),
            ("melyoun", 1000000),
            ("5 alaf", 5000),
            ("5000 dh", 5000),
            ("7na tnach dyal l3yalat", 12),
        ],
    );
    check_dates(&[("wahed w 3echrin mars 2026", (21, 3, Some(2026))), ("15 غشت 2024", (15, 8, Some(2024)))]);
    check_phones(&[("sifr setta, tnach, tlatin w reb3a", "061234")]);
}

/// Wolof, Pulaar and Tamazight numerals are machine drafts in the language
/// files, for speakers to complete: what is there is read.
#[test]
fn wolof_pulaar_and_tamazight_numerals_are_read_from_their_files() {
    check_amounts(
        "wol",
        &[
            ("benn", 1),
            ("juróom ñaar", 7),
            ("fukk ak ñett", 13),
            ("ñaar fukk", 20),
            ("ñaar fukk ak juróom", 25),
            ("ñaar téeméer", 200),
            ("junni ak juróom téeméer", 1500),
            ("naar fukk", 20),
        ],
    );
    check_amounts(
        "fuc",
        &[("go'o", 1), ("jeetati", 8), ("sappo e ɗiɗi", 12), ("noogaas", 20), ("tati teemedere", 300)],
    );
    check_amounts("zgh", &[("ⵢⴰⵏ", 1), ("ⵎⵔⴰⵡ ⴷ ⵙⵉⵏ", 12), ("ⵙⵉⵏ ⵜⵉⵎⵉⴹⵉ", 200), ("ⴰⴳⵉⵎ", 1000)]);
}

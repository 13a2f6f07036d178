//! Text normalisation for search, per script, so that the same word written
//! different ways meets itself.
//!
//! Every text becomes two token streams:
//! - **surface** tokens: lower-cased, accents and Arabic diacritics removed,
//!   hamza/alef variants, alef maqsura and ta marbuta unified, Tifinagh
//!   transliterated to IRCAM Latin, function words dropped, French/English/Arabic
//!   words stemmed (Snowball). Accent-less Wolof meets accented Wolof here, and
//!   Tamazight in Tifinagh meets Tamazight in Latin.
//! - **skeleton** tokens: the consonants of the surface token in one Latin
//!   alphabet shared by the Arabic script and Arabizi (3=ع, 7→ح, 9→ق, 5→خ, 2→ء).
//!   Short vowels are not written in Arabic script and are written freely in
//!   Arabizi, so only consonants can be compared: `l7a9`, `الحق` and `lhaq`
//!   all give `lhq`. The leading article `l`/`ال` is also dropped in a second
//!   token, so `7a9` and `الحق` meet.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::lang::{LangTag, Script};

/// Tokens of one text, ready for indexing or querying.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub surface: Vec<String>,
    pub skeleton: Vec<String>,
}

/// Lower case, no accents or Arabic diacritics, unified Arabic letter variants,
/// Tifinagh in Latin letters. Used for comparisons (form choices) and search.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.nfd() {
        if is_combining_mark(ch) || ch == '\u{0640}' {
            // Accents, harakat, shadda, hamza above/below; tatweel.
            continue;
        }
        match ch {
            'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            'ء' => {}
            'ڤ' => out.push('ف'),
            'گ' => out.push('ڭ'),
            '٠'..='٩' => out.push(char::from(b'0' + (ch as u32 - '٠' as u32) as u8)),
            'ɣ' | 'Ɣ' => out.push_str("gh"),
            'ɛ' | 'Ɛ' => out.push('3'),
            'ŋ' | 'Ŋ' => out.push_str("ng"),
            'ɓ' | 'Ɓ' => out.push('b'),
            'ɗ' | 'Ɗ' => out.push('d'),
            'ƴ' | 'Ƴ' => out.push('y'),
            '\u{2D30}'..='\u{2D7F}' => out.push_str(tifinagh_to_latin(ch)),
            _ => out.extend(ch.to_lowercase()),
        }
    }
    out
}

/// IRCAM transliteration, already folded (ḍ → d, ɣ → gh, ɛ → 3).
fn tifinagh_to_latin(ch: char) -> &'static str {
    match ch {
        'ⴰ' => "a",
        'ⴱ' => "b",
        'ⴳ' => "g",
        'ⴷ' | 'ⴹ' => "d",
        'ⴻ' => "e",
        'ⴼ' => "f",
        'ⴽ' => "k",
        'ⵀ' | 'ⵃ' => "h",
        'ⵄ' => "3",
        'ⵅ' => "x",
        'ⵇ' => "q",
        'ⵉ' => "i",
        'ⵊ' => "j",
        'ⵍ' => "l",
        'ⵎ' => "m",
        'ⵏ' => "n",
        'ⵓ' => "u",
        'ⵔ' | 'ⵕ' => "r",
        'ⵖ' => "gh",
        'ⵙ' | 'ⵚ' => "s",
        'ⵛ' => "c",
        'ⵜ' | 'ⵟ' => "t",
        'ⵡ' | 'ⵯ' => "w",
        'ⵢ' => "y",
        'ⵣ' | 'ⵥ' => "z",
        _ => "",
    }
}

/// Splits folded text into words: letters and digits together (`l7a9` is one
/// word), everything else separates.
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Function words of the languages that have a list (French, English, Arabic),
/// folded; Darija shares most of the Arabic ones.
fn is_function_word(word: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS
        .get_or_init(|| {
            ["en", "fr", "ar"]
                .into_iter()
                .filter_map(stop_words::lookup)
                .flat_map(|list| list.iter())
                .map(|w| fold(w))
                .chain(QUESTION_WORDS.iter().map(|w| fold(w)))
                .collect()
        })
        .contains(word)
}

/// How people start a question, which says nothing about its topic: kept out
/// of the index and of a question's coverage ("combien", "شحال", "kifach").
/// NLTK's lists lack most of them, and Darija has no list at all.
const QUESTION_WORDS: &[&str] = &[
    // French
    "combien",
    "comment",
    "pourquoi",
    "quand",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "est-ce",
    "dois",
    "doit",
    "peux",
    "peut",
    "veux",
    "voudrais",
    "faut",
    "faire",
    "savoir",
    "dire",
    // English
    "much",
    "many",
    "long",
    "can",
    "must",
    "should",
    "need",
    "want",
    "tell",
    // Arabic
    "كم",
    "كيف",
    "ماذا",
    "متى",
    "لماذا",
    "هل",
    "أين",
    "يمكن",
    "يجب",
    "أريد",
    // Darija, Arabic script and Arabizi
    "شحال",
    "شنو",
    "شنهو",
    "اشنو",
    "كيفاش",
    "واش",
    "فين",
    "علاش",
    "إمتى",
    "بغيت",
    "خاصني",
    "نقدر",
    "chhal",
    "ch7al",
    "chhal",
    "chno",
    "chnou",
    "achno",
    "kifach",
    "kifash",
    "wach",
    "fin",
    "3lach",
    "imta",
    "bghit",
    "khasni",
    "n9der",
    "nqder",
    "ndir",
    "ndiro",
    "ndirou",
    "ندير",
    "نديرو",
];

fn stemmer_for(tag: Option<&LangTag>) -> Option<Stemmer> {
    match tag?.language.as_str() {
        "fr" => Some(Stemmer::create(Algorithm::French)),
        "en" => Some(Stemmer::create(Algorithm::English)),
        "ar" => Some(Stemmer::create(Algorithm::Arabic)),
        _ => None,
    }
}

/// Arabic clitics written attached to the word: "and", "with/in", "like", "so",
/// "for the", "the". Only removed when a word of three letters or more remains.
const ARABIC_PREFIXES: [&str; 8] = ["وال", "بال", "كال", "فال", "لل", "ال", "و", "ب"];

fn strip_arabic_prefix(word: &str) -> &str {
    for prefix in ARABIC_PREFIXES {
        if let Some(rest) = word.strip_prefix(prefix) {
            if rest.chars().count() >= 3 {
                return rest;
            }
        }
    }
    word
}

/// Tokens of `text` written in `tag` (unknown language: no stemming).
pub fn tokens(text: &str, tag: Option<&LangTag>) -> Tokens {
    let folded = fold(text);
    let stemmer = stemmer_for(tag);
    let mut out = Tokens::default();
    for word in words(&folded) {
        // Single letters (alphabet lessons, "l" of Arabizi articles written apart)
        // match everything and mean nothing to a search.
        if is_function_word(word) || word.chars().count() < 2 {
            continue;
        }
        let is_arabic = word.chars().any(|c| Script::of(c) == Some(Script::Arab));
        let word = if is_arabic { strip_arabic_prefix(word) } else { word };
        let surface = match &stemmer {
            Some(stemmer) => stemmer.stem(word).into_owned(),
            None => word.to_string(),
        };
        out.surface.push(surface);
        let skeleton = skeleton(word);
        if skeleton.chars().count() >= 2 {
            if let Some(rest) = skeleton.strip_prefix('l').filter(|rest| rest.len() >= 2) {
                out.skeleton.push(rest.to_string());
            }
            out.skeleton.push(skeleton);
        }
    }
    out
}

/// The consonants of a folded word in the shared Latin alphabet; numbers stay numbers.
pub fn skeleton(word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return word.to_string();
    }
    let mut chars: Vec<char> = word.chars().collect();
    // A final ه is almost always a ta marbuta (folded to ه), which Arabizi writes as a vowel.
    if chars.len() >= 3 && chars.last() == Some(&'ه') {
        chars.pop();
    }
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let (consonant, width) = match (chars[i], next) {
            ('c' | 's', Some('h')) => (Some('c'), 2),
            ('k', Some('h')) => (Some('x'), 2),
            ('g', Some('h')) => (Some('g'), 2),
            ('d', Some('j')) => (Some('j'), 2),
            (ch, _) => (consonant_of(ch), 1),
        };
        if let Some(c) = consonant {
            if !out.ends_with(c) {
                out.push(c);
            }
        }
        i += width;
    }
    out
}

fn consonant_of(ch: char) -> Option<char> {
    let latin = match ch {
        // Vowels, glides and the glottal stop (Arabizi 2). The pharyngeal ع is kept
        // as 3: Arabizi writes it consistently, and without it تعاونية and
        // "ta3awniya" shrink to an ambiguous "tn".
        'a' | 'e' | 'i' | 'o' | 'u' | 'w' | 'y' | '2' => return None,
        'ع' => '3',
        '7' => 'h',
        '9' => 'q',
        '5' => 'x',
        'c' => 'k',
        'p' => 'b',
        'v' => 'f',
        'ا' | 'و' | 'ي' | 'ئ' | 'ؤ' | 'أ' | 'إ' | 'آ' => return None,
        'ب' => 'b',
        'ت' | 'ط' | 'ث' => 't',
        'ج' => 'j',
        'ح' | 'ه' => 'h',
        'خ' => 'x',
        'د' | 'ض' | 'ذ' | 'ظ' => 'd',
        'ر' => 'r',
        'ز' => 'z',
        'س' | 'ص' => 's',
        'ش' => 'c',
        'غ' | 'ڭ' => 'g',
        'ف' => 'f',
        'ق' => 'q',
        'ك' => 'k',
        'ل' => 'l',
        'م' => 'm',
        'ن' => 'n',
        c if c.is_ascii_alphabetic() || c.is_ascii_digit() => c,
        _ => return None,
    };
    Some(latin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &str) -> LangTag {
        t.parse().unwrap()
    }

    #[test]
    fn arabic_variants_and_diacritics_fold_together() {
        assert_eq!(fold("إِسْتِمَارَة"), fold("استمارة"));
        assert_eq!(fold("أمومة"), "امومه");
        assert_eq!(fold("مستشفى"), "مستشفي");
        assert_eq!(fold("٢٠٢٦"), "2026");
    }

    #[test]
    fn latin_accents_and_african_letters_fold() {
        assert_eq!(fold("Jëfandikoo ñaari"), "jefandikoo naari");
        assert_eq!(fold("ɓiɗɗo ƴiiƴam"), "biddo yiiyam");
        assert_eq!(fold("Congé de maternité"), "conge de maternite");
        assert_eq!(fold("aḍṛaṛ ɣer"), "adrar gher");
    }

    #[test]
    fn tifinagh_meets_latin_tamazight() {
        assert_eq!(fold("ⵜⴰⵎⴰⵣⵉⵖⵜ"), "tamazight");
        assert_eq!(tokens("ⵜⴰⵎⴰⵣⵉⵖⵜ", Some(&tag("zgh"))), tokens("tamaziɣt", Some(&tag("zgh-Latn"))));
    }

    #[test]
    fn arabizi_meets_arabic_script_in_the_skeleton() {
        let arabizi = tokens("l7a9 dyal l5edma", Some(&tag("ary-Latn")));
        let arabic = tokens("الحق ديال الخدمة", Some(&tag("ary")));
        for key in ["hq", "xdm", "dl"] {
            assert!(arabizi.skeleton.contains(&key.to_string()), "{key} in {arabizi:?}");
            assert!(arabic.skeleton.contains(&key.to_string()), "{key} in {arabic:?}");
        }
        assert_eq!(skeleton("9anon"), skeleton(&fold("قانون")));
        assert_eq!(skeleton("chghol"), skeleton(&fold("شغل")));
    }

    #[test]
    fn french_words_are_stemmed_and_function_words_dropped() {
        let accented = tokens("Les congés de maternité", Some(&tag("fr")));
        let plain = tokens("conge maternite", Some(&tag("fr")));
        assert_eq!(accented.surface, plain.surface);
        assert!(!accented.surface.iter().any(|t| t == "les" || t == "de"));
    }
}

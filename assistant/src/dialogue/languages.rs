//! Choosing the kiosk's language by saying its name ("darija", "wolof",
//! "العربية") or by pressing its numbered button. A kiosk offers a few
//! languages; the first is the one it greets in.

use crate::corpus::lang::{LangTag, Script};
use crate::corpus::normalize::fold;

/// What people call each language, in its own words and in the kiosk's
/// other languages (folded before matching: accents and case do not matter).
const NAMES: &[(&str, &[&str])] = &[
    ("fr", &["français", "francais", "french", "fransawiya", "فرنسية", "الفرنسية", "بالفرنسية", "بالفرنساوية"]),
    ("ar", &["arabe", "arabic", "العربية", "عربية", "بالعربية", "الفصحى"]),
    ("ary", &["darija", "dialecte marocain", "الدارجة", "دارجة", "بالدارجة", "b darija"]),
    ("en", &["english", "anglais", "الانجليزية", "انجليزية"]),
    (
        "zgh",
        &["tamazight", "tamaziɣt", "amazigh", "tachelhit", "tashelhit", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "تمازيغت", "الأمازيغية", "بالشلحة"],
    ),
    ("wol", &["wolof", "ولوف"]),
    ("fuc", &["pulaar", "peul", "fulfulde", "poular"]),
];

/// How the language is named when the kiosk lists its choices: the name in
/// Latin or Arabic letters, whichever the speaking voice reads.
pub fn spoken_name(lang: &LangTag, in_script: Script) -> &'static str {
    let arabic = in_script == Script::Arab;
    match lang.language {
        "fr" if arabic => "الفرنسية",
        "fr" => "français",
        "ar" if arabic => "العربية",
        "ar" => "arabe",
        "ary" if arabic => "الدارجة",
        "ary" => "darija",
        "en" if arabic => "الانجليزية",
        "en" => "English",
        "zgh" | "tzm" | "shi" if arabic => "تمازيغت",
        "zgh" | "tzm" | "shi" => "Tamazight",
        "wol" if arabic => "ولوف",
        "fuc" | "ff" if arabic => "بولار",
        _ => lang.name(),
    }
}

/// The offered language `said` names, when the utterance is little more than
/// the name ("darija", "en français s'il vous plaît"); a question that
/// mentions a language ("what is the French word for…") is not a choice.
pub fn named_language(said: &str, offered: &[LangTag]) -> Option<LangTag> {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    let phrase = format!(" {} ", words.join(" "));
    offered.iter().copied().find(|lang| {
        let names = NAMES.iter().find(|(code, _)| *code == lang.language).map_or(&[][..], |(_, names)| names);
        names.iter().any(|name| {
            let name: Vec<String> =
                fold(name).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(String::from).collect();
            phrase.contains(&format!(" {} ", name.join(" ")))
        })
    })
}

/// "2: darija, 3: Wolof" — the other offered languages with their button numbers.
pub fn choices(offered: &[LangTag], current: &LangTag, in_script: Script) -> String {
    offered
        .iter()
        .enumerate()
        .filter(|(_, lang)| *lang != current)
        .map(|(i, lang)| format!("{}: {}", i + 1, spoken_name(lang, in_script)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &str) -> Vec<LangTag> {
        list.split(',').map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn a_language_is_chosen_by_its_name_in_any_script() {
        let offered = tags("fr,ary,wol");
        assert_eq!(named_language("Darija", &offered), Some(tags("ary")[0]));
        assert_eq!(named_language("بالدارجة عافاك", &offered), Some(tags("ary")[0]));
        assert_eq!(named_language("En français, s'il vous plaît.", &offered), Some(tags("fr")[0]));
        assert_eq!(named_language("wolof", &offered), Some(tags("wol")[0]));
        assert_eq!(named_language("English", &offered), None, "not offered here");
        assert_eq!(
            named_language("Combien de jours de congé pour un ouvrier qui parle français ?", &offered),
            None,
            "a question that names a language"
        );
    }

    #[test]
    fn the_choices_are_listed_with_their_buttons() {
        let offered = tags("fr,ary,wol");
        assert_eq!(choices(&offered, &offered[0], Script::Latn), "2: darija, 3: Wolof");
        assert_eq!(choices(&offered, &offered[1], Script::Arab), "1: الفرنسية, 3: ولوف");
    }
}

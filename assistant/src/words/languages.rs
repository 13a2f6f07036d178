//! Choosing the kiosk's language by saying its name ("darija", "wolof",
//! "العربية") or by pressing its numbered button. A kiosk offers a few
//! languages; the first is the one it greets in. The names are in each
//! language's file (`names`, `spoken_name`).

use crate::corpus::lang::{LangTag, Script};
use crate::corpus::languages::Languages;
use crate::corpus::normalize::fold;

/// How the language is named when the kiosk lists its choices: the name in
/// the letters the speaking voice reads (`spoken_name` in its file), else its
/// English name.
pub fn spoken_name<'l>(lang: &LangTag, in_script: Script, languages: &'l Languages) -> &'l str {
    match languages.get(lang.language) {
        Some(language) => language.spoken_name.get(in_script).unwrap_or(&language.name),
        None => "",
    }
}

/// The offered language `said` names (`names` in its file), when the
/// utterance is little more than the name ("darija", "en français s'il vous
/// plaît"); a question that mentions a language ("what is the French word
/// for…") is not a choice.
pub fn named_language(said: &str, offered: &[LangTag], languages: &Languages) -> Option<LangTag> {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    let phrase = format!(" {} ", words.join(" "));
    offered.iter().copied().find(|lang| {
        let names = languages.get(lang.language).map_or(&[][..], |language| &language.names[..]);
        names.iter().any(|name| {
            let name: Vec<String> =
                fold(name).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(String::from).collect();
            phrase.contains(&format!(" {} ", name.join(" ")))
        })
    })
}

/// "2: darija, 3: Wolof" — the other offered languages with their button numbers.
pub fn choices(offered: &[LangTag], current: &LangTag, in_script: Script, languages: &Languages) -> String {
    offered
        .iter()
        .enumerate()
        .filter(|(_, lang)| *lang != current)
        .map(|(i, lang)| format!("{}: {}", i + 1, spoken_name(lang, in_script, languages)))
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
        let languages = Languages::built_in();
        assert_eq!(named_language("Darija", &offered, &languages), Some(tags("ary")[0]));
        assert_eq!(named_language("بالدارجة عافاك", &offered, &languages), Some(tags("ary")[0]));
        assert_eq!(named_language("En français, s'il vous plaît.", &offered, &languages), Some(tags("fr")[0]));
        assert_eq!(named_language("wolof", &offered, &languages), Some(tags("wol")[0]));
        assert_eq!(named_language("English", &offered, &languages), None, "not offered here");
        assert_eq!(
            named_language("Combien de jours de congé pour un ouvrier qui parle français ?", &offered, &languages),
            None,
            "a question that names a language"
        );
    }

    #[test]
    fn the_choices_are_listed_with_their_buttons() {
        let offered = tags("fr,ary,wol");
        let languages = Languages::built_in();
        assert_eq!(choices(&offered, &offered[0], Script::Latn, &languages), "2: darija, 3: Wolof");
        assert_eq!(choices(&offered, &offered[1], Script::Arab, &languages), "1: الفرنسية, 3: ولوف");
    }
}

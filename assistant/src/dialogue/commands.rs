//! The words that steer a conversation in every language: repeat, slower,
//! simpler, back, stop, yes, no. Matched on folded text (accents, hamza and case do
//! not matter), as a whole utterance or its first words ("répète s'il te plaît").

use crate::corpus::normalize::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Repeat,
    Slower,
    /// Say the last answer in simpler words.
    Simpler,
    Back,
    Stop,
    Yes,
    No,
}

/// Spoken forms per language tag; Darija in Arabic script and in Arabizi.
/// Tamazight, Wolof and Pulaar forms are machine drafts until speakers review
/// them (they are recognised by spoken keywords, not by Whisper).
const WORDS: &[(&str, Command, &[&str])] = &[
    ("en", Command::Repeat, &["repeat", "again", "say again", "say that again", "pardon"]),
    ("en", Command::Slower, &["slower", "slowly", "more slowly", "slow down"]),
    (
        "en",
        Command::Simpler,
        &[
            "simpler",
            "more simply",
            "say it simply",
            "i don t understand",
            "i did not understand",
            "i didn t understand",
        ],
    ),
    ("en", Command::Back, &["back", "go back", "previous"]),
    ("en", Command::Stop, &["stop", "goodbye", "bye", "quit", "enough"]),
    ("en", Command::Yes, &["yes", "yeah", "correct", "right", "ok", "okay"]),
    ("en", Command::No, &["no", "wrong", "not right"]),
    ("fr", Command::Repeat, &["repete", "repetez", "encore", "redis", "pardon"]),
    ("fr", Command::Slower, &["plus lentement", "lentement", "moins vite"]),
    (
        "fr",
        Command::Simpler,
        &["plus simple", "plus simplement", "simplement", "je ne comprends pas", "je n ai pas compris", "pas compris"],
    ),
    ("fr", Command::Back, &["retour", "revenir", "precedent"]),
    ("fr", Command::Stop, &["stop", "arrete", "arretez", "au revoir", "fin"]),
    ("fr", Command::Yes, &["oui", "d accord", "exact", "c est ca", "correct"]),
    ("fr", Command::No, &["non", "faux", "ce n est pas ca"]),
    ("ar", Command::Repeat, &["اعد", "كرر", "مره اخرى", "اعاده"]),
    ("ar", Command::Slower, &["ببطء", "على مهل", "ابطا"]),
    ("ar", Command::Simpler, &["ببساطه", "بسط", "ابسط", "لم افهم", "لا افهم"]),
    ("ar", Command::Back, &["رجوع", "ارجع", "السابق"]),
    ("ar", Command::Stop, &["توقف", "قف", "انتهى", "مع السلامه"]),
    ("ar", Command::Yes, &["نعم", "اجل", "صحيح", "موافق"]),
    ("ar", Command::No, &["لا", "خطا", "ليس صحيحا"]),
    ("ary", Command::Repeat, &["عاود", "عاودي", "3awd", "3awed", "3awdi"]),
    ("ary", Command::Slower, &["بشوية", "بالشوية", "bchwiya", "b chwiya", "bechwiya"]),
    ("ary", Command::Simpler, &["ما فهمتش", "بساطه", "ساهل", "ma fhemtch", "ma fhmtch", "b sahel"]),
    ("ary", Command::Back, &["رجع", "rje3", "rjе3"]),
    ("ary", Command::Stop, &["صافي", "سالينا", "safi", "salina", "beslama"]),
    ("ary", Command::Yes, &["ايه", "واخا", "iyeh", "ih", "wakha", "waxa"]),
    ("ary", Command::No, &["لا", "لالا", "la", "lla", "lala"]),
    ("zgh-Latn", Command::Repeat, &["ales", "alas"]),
    ("zgh-Latn", Command::Stop, &["safi", "baraka"]),
    ("zgh-Latn", Command::Yes, &["yah", "ih", "waxxa"]),
    ("zgh-Latn", Command::No, &["uhu", "ur"]),
    ("wol", Command::Repeat, &["waxaatal", "waxaat"]),
    ("wol", Command::Stop, &["bayil", "noppil"]),
    ("wol", Command::Yes, &["waaw", "waaw kay"]),
    ("wol", Command::No, &["deedeet", "dedet"]),
    ("fuc", Command::Repeat, &["fillit", "wiitu kadi"]),
    ("fuc", Command::Stop, &["accu", "haaytu"]),
    ("fuc", Command::Yes, &["eey", "ayyo"]),
    ("fuc", Command::No, &["alaa", "ala"]),
];

/// Politeness around a command ("répète, s'il te plaît").
const POLITE: &[&str] =
    &["s il te plait", "s il vous plait", "please", "من فضلك", "عافاك", "3afak", "afak", "svp", "merci", "thank you"];

/// The command `said` in language `lang` (its base language too: `ary-Latn`
/// uses `ary`), if the utterance is one.
pub fn command(said: &str, lang: &str) -> Option<Command> {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut phrase = format!(" {} ", words.join(" "));
    for polite in POLITE {
        phrase = phrase.replace(&format!(" {} ", fold(polite)), " ");
    }
    let phrase = phrase.trim().to_string();
    let length = phrase.split(' ').count();
    let base = lang.split('-').next().unwrap_or(lang);
    // Longest matching form first: "plus lentement" before "lentement" does not
    // matter here, but "ce n est pas ca" must beat "c est ca".
    let mut best: Option<(usize, Command)> = None;
    for (tag, command, forms) in WORDS {
        if *tag != lang && *tag != base && *tag != "en" {
            continue;
        }
        for form in forms.iter() {
            let form = fold(form);
            // A command may trail two words ("non merci", "stop maintenant");
            // longer utterances are questions, even when they start with "no".
            let extra = length.saturating_sub(form.split(' ').count());
            let matches = phrase == form || (phrase.starts_with(&format!("{form} ")) && extra <= 2);
            if matches && best.is_none_or(|(len, _)| form.len() > len) {
                best = Some((form.len(), *command));
            }
        }
    }
    best.map(|(_, command)| command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_each_language() {
        assert_eq!(command("Répète, s'il te plaît", "fr"), Some(Command::Repeat));
        assert_eq!(command("Plus lentement", "fr"), Some(Command::Slower));
        assert_eq!(command("Je n'ai pas compris", "fr"), Some(Command::Simpler));
        assert_eq!(command("ما فهمتش", "ary"), Some(Command::Simpler));
        assert_eq!(command("Ce n'est pas ça", "fr"), Some(Command::No));
        assert_eq!(command("C'est ça", "fr"), Some(Command::Yes));
        assert_eq!(command("نعم", "ar"), Some(Command::Yes));
        assert_eq!(command("أعد", "ar"), Some(Command::Repeat));
        assert_eq!(command("wakha", "ary-Latn"), Some(Command::Yes));
        assert_eq!(command("عاود", "ary"), Some(Command::Repeat));
        assert_eq!(command("Waaw", "wol"), Some(Command::Yes));
        assert_eq!(command("Stop.", "fr"), Some(Command::Stop));
        assert_eq!(command("no", "fr"), Some(Command::No), "English commands work everywhere");
        assert_eq!(command("Non, mon patron ne me paie pas le SMIG", "fr"), None);
        assert_eq!(command("Combien de semaines de congé", "fr"), None);
    }
}

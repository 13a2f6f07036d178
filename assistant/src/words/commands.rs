//! The words that steer a conversation in every language: repeat, slower,
//! simpler, back, stop, yes, no — as written in each language's file
//! (`corpora/languages/LANG.toml`, `[commands]`). Matched on folded text (accents, hamza and case do
//! not matter), as a whole utterance or its first words ("répète s'il te plaît").

use crate::corpus::languages::{CommandWords, Languages};
use crate::corpus::normalize::fold;
use crate::corpus::LangTag;

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

/// The command `said` in language `lang`, if the utterance is one: the words
/// of `lang`'s file (`[commands]`, any of its scripts: `ary-Latn` uses `ary`)
/// and of the languages whose commands work everywhere (English). Politeness
/// words of every language are dropped first: people mix languages.
pub fn command(said: &str, lang: &LangTag, languages: &Languages) -> Option<Command> {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut phrase = format!(" {} ", words.join(" "));
    for polite in languages.iter().flat_map(|l| &l.polite) {
        phrase = phrase.replace(&format!(" {} ", fold(polite)), " ");
    }
    let phrase = phrase.trim().to_string();
    let length = phrase.split(' ').count();
    let everywhere = languages.iter().filter(|l| l.commands_everywhere && l.code != lang.language);
    // Longest matching form first: "plus lentement" before "lentement" does not
    // matter here, but "ce n est pas ca" must beat "c est ca".
    let mut best: Option<(usize, Command)> = None;
    for language in everywhere.chain(languages.get(lang.language)) {
        for (command, forms) in by_command(&language.commands) {
            for form in forms {
                let form = fold(form);
                // A command may trail two words ("non merci", "stop maintenant");
                // longer utterances are questions, even when they start with "no".
                let extra = length.saturating_sub(form.split(' ').count());
                let matches = phrase == form || (phrase.starts_with(&format!("{form} ")) && extra <= 2);
                if matches && best.is_none_or(|(len, _)| form.len() > len) {
                    best = Some((form.len(), command));
                }
            }
        }
    }
    best.map(|(_, command)| command)
}

fn by_command(words: &CommandWords) -> [(Command, &[String]); 7] {
    [
        (Command::Repeat, &words.repeat),
        (Command::Slower, &words.slower),
        (Command::Simpler, &words.simpler),
        (Command::Back, &words.back),
        (Command::Stop, &words.stop),
        (Command::Yes, &words.yes),
        (Command::No, &words.no),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_each_language() {
        let languages = Languages::built_in();
        let tag = |t: &str| t.parse::<LangTag>().unwrap();
        assert_eq!(command("Répète, s'il te plaît", &tag("fr"), &languages), Some(Command::Repeat));
        assert_eq!(command("Plus lentement", &tag("fr"), &languages), Some(Command::Slower));
        assert_eq!(command("Je n'ai pas compris", &tag("fr"), &languages), Some(Command::Simpler));
        assert_eq!(command("ما فهمتش", &tag("ary"), &languages), Some(Command::Simpler));
        assert_eq!(command("Ce n'est pas ça", &tag("fr"), &languages), Some(Command::No));
        assert_eq!(command("C'est ça", &tag("fr"), &languages), Some(Command::Yes));
        assert_eq!(command("نعم", &tag("ar"), &languages), Some(Command::Yes));
        assert_eq!(command("أعد", &tag("ar"), &languages), Some(Command::Repeat));
        assert_eq!(command("wakha", &tag("ary-Latn"), &languages), Some(Command::Yes));
        assert_eq!(command("عاود", &tag("ary"), &languages), Some(Command::Repeat));
        assert_eq!(command("Waaw", &tag("wol"), &languages), Some(Command::Yes));
        assert_eq!(command("Stop.", &tag("fr"), &languages), Some(Command::Stop));
        assert_eq!(command("no", &tag("fr"), &languages), Some(Command::No), "English commands work everywhere");
        assert_eq!(command("Non, mon patron ne me paie pas le SMIG", &tag("fr"), &languages), None);
        assert_eq!(command("Combien de semaines de congé", &tag("fr"), &languages), None);
    }
}

//! The words that steer a conversation in every language: repeat, slower,
//! simpler, back, stop, yes, no — as written in each language's file
//! (`corpora/languages/LANG.toml`, `[commands]`). People do not say them
//! alone: they hesitate, ask politely, and the recognizer adds its own
//! mistakes ("Hurryto repeat please!", "euh, vous pouvez répéter s'il vous
//! plaît"). So the fillers and politeness words of every language are dropped
//! first, then a command's words are looked for anywhere in what is left,
//! letting a long word be one letter off ("repeter" for "repetez"). Whether it
//! is a command or a question that merely holds one ("repeat the part about
//! leave") is decided by how much of what is left the command's words are
//! ([`MIN_SHARE`]), or by the command opening a short utterance ("répète la
//! question").

use crate::corpus::languages::{CommandWords, Languages};
use crate::corpus::normalize::fold;
use crate::corpus::LangTag;

/// Share of an utterance's words (fillers and politeness dropped) that a
/// command's words must be for the utterance to be that command.
pub const MIN_SHARE: f32 = 0.5;

/// A command may open an utterance with at most this many words after it
/// ("non merci", "répète la question").
const MAX_TRAILING_WORDS: usize = 2;

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
/// and of the languages whose commands work everywhere (English). Fillers
/// and politeness words of every language are dropped first: people mix
/// languages.
pub fn command(said: &str, lang: &LangTag, languages: &Languages) -> Option<Command> {
    spot(said, lang, languages).filter(Spotted::sure).map(|spotted| spotted.command)
}

/// A command found in an utterance, and how much of it the command is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spotted {
    pub command: Command,
    /// Share of the utterance's words (fillers and politeness dropped) that
    /// are the command's.
    pub share: f32,
    /// The command opens a short utterance ("répète la question").
    pub opens: bool,
}

impl Spotted {
    /// Enough of the utterance to be the command, if it was heard right.
    pub fn sure(&self) -> bool {
        self.share >= MIN_SHARE || self.opens
    }
}

/// The command most likely meant in `said`, however little of it the command
/// is: [`command`] keeps the sure ones; the dialogue asks back about the others.
pub fn spot(said: &str, lang: &LangTag, languages: &Languages) -> Option<Spotted> {
    let folded = fold(said);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let dropped = dropped_words(languages);
    let everywhere = languages.iter().filter(|l| l.commands_everywhere && l.code != lang.language);
    // The best match: a sure one, then the largest share, then the longest
    // form ("ce n est pas ca" must beat "c est ca").
    let mut best: Option<(Spotted, usize)> = None;
    for language in everywhere.chain(languages.get(lang.language)) {
        for (command, forms) in by_command(&language.commands) {
            for form in forms {
                let form = fold(form);
                let form: Vec<&str> = form.split(' ').filter(|w| !w.is_empty()).collect();
                let Some(at) = find(&words, &form) else { continue };
                let before = content_words(&words[..at], &dropped);
                let after = content_words(&words[at + form.len()..], &dropped);
                let share = form.len() as f32 / (form.len() + before + after) as f32;
                let opens = before == 0 && after <= MAX_TRAILING_WORDS;
                let spotted = Spotted { command, share, opens };
                let rank = |s: &Spotted, len: usize| (s.sure(), s.share, len);
                if best.is_none_or(|(b, len)| rank(&spotted, form.len()) > rank(&b, len)) {
                    best = Some((spotted, form.len()));
                }
            }
        }
    }
    best.map(|(spotted, _)| spotted)
}

/// The fillers and politeness words of every language ("euh", "vous
/// pouvez", "s il vous plait", "3afak"), folded, longest first.
fn dropped_words(languages: &Languages) -> Vec<String> {
    let mut dropped: Vec<String> = languages
        .iter()
        .flat_map(|l| l.polite.iter().chain(&l.fillers))
        .map(|w| fold(w).split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|w| !w.is_empty())
        .collect();
    // "s il vous plait" before "vous".
    dropped.sort_by_key(|w| std::cmp::Reverse(w.len()));
    dropped
}

/// How many of `words` are left once the `dropped` ones are taken out.
fn content_words(words: &[&str], dropped: &[String]) -> usize {
    let mut phrase = format!(" {} ", words.join(" "));
    for word in dropped {
        let spaced = format!(" {word} ");
        while let Some(at) = phrase.find(&spaced) {
            phrase.replace_range(at..at + spaced.len(), " ");
        }
    }
    phrase.split(' ').filter(|w| !w.is_empty()).count()
}

/// Where `form` occurs in `words`, word by word, each the same or a near
/// miss ([`near`]).
fn find(words: &[&str], form: &[&str]) -> Option<usize> {
    if form.is_empty() || form.len() > words.len() {
        return None;
    }
    (0..=words.len() - form.len()).find(|&at| form.iter().zip(&words[at..]).all(|(f, w)| near(f, w)))
}

/// The same word, or one letter off when both are long enough for a slip
/// to be a slip (five letters or more): "repeter" for "repetez".
fn near(form: &str, word: &str) -> bool {
    if form == word {
        return true;
    }
    let long = form.chars().count() >= 5 && word.chars().count() >= 5;
    long && strsim::levenshtein(form, word) <= 1
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

    #[test]
    fn commands_inside_what_people_say() {
        let languages = Languages::built_in();
        let tag = |t: &str| t.parse::<LangTag>().unwrap();
        let fr = |said| command(said, &tag("fr"), &languages);
        let en = |said| command(said, &tag("en"), &languages);
        assert_eq!(fr("euh, vous pouvez répéter s'il vous plaît"), Some(Command::Repeat));
        assert_eq!(fr("Répète la question"), Some(Command::Repeat));
        assert_eq!(fr("oui, c'est ça, merci"), Some(Command::Yes));
        assert_eq!(fr("non merci"), Some(Command::No));
        assert_eq!(en("Hurryto repeat please!"), Some(Command::Repeat));
        assert_eq!(en("Um, could you say it slower please?"), Some(Command::Slower));
        assert_eq!(en("Slower, please."), Some(Command::Slower));
        assert_eq!(en("uh, yes"), Some(Command::Yes));
        assert_eq!(en("Repeat, please."), Some(Command::Repeat));
        assert_eq!(en("Can you repeat what the law says about maternity leave?"), None);
        assert_eq!(en("No, my employer does not pay the minimum wage"), None);
        assert_eq!(command("عافاك عاود", &tag("ary"), &languages), Some(Command::Repeat));
        assert_eq!(command("wakha 3afak", &tag("ary-Latn"), &languages), Some(Command::Yes));
    }
}

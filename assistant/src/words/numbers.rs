//! Numbers as people say them: in digits, in words of any language's file
//! (`[numbers]`: "cinq mille", "خمسة آلاف", "alf w khamsmya"), or both ("5
//! mille"); phone numbers said in groups ("zéro six, douze, trente-quatre");
//! dates with a month's name ("le vingt et un mars", "March 21st, 2026").
//!
//! Words of every language count at once: people mix them. The rules are the
//! ones the languages share: words add up ("soixante dix huit", "خمسة
//! وعشرون"), a hundred, a thousand and a million multiply what comes before
//! them ("deux cents", "khamsa alaf"), and a language's `number_joiners`
//! ("et", "and", "w", the prefix "و") join words of one number. What does not
//! follow those rules is listed whole in the file ("quatre vingt" = 80,
//! "ألفين" = 2000).

use crate::corpus::languages::Languages;
use crate::corpus::normalize::fold;

/// Words that multiply the number said before them.
const MULTIPLIERS: [u64; 3] = [100, 1_000, 1_000_000];

/// One piece of an utterance.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Written in digits, as written ("06" keeps its zero).
    Digits(String),
    /// A number word (or words) and its value.
    Word(u64),
    /// "et", "and", "w": inside a number, nothing; elsewhere, a word.
    Joiner,
    /// A month's name, by its number.
    Month(u32),
    /// A comma or a full stop between words: "March twenty-first, twenty
    /// twenty-six" is two numbers.
    Break,
    Other,
}

/// The words of numbers and months of every language, folded.
struct Vocabulary {
    /// (words, value), longest first: "quatre vingt" before "quatre".
    numbers: Vec<(Vec<String>, u64)>,
    months: Vec<(Vec<String>, u32)>,
    joiners: Vec<String>,
}

impl Vocabulary {
    fn of(languages: &Languages) -> Self {
        let split = |form: &str| -> Vec<String> { words(&fold(form)).map(str::to_string).collect() };
        let mut numbers = Vec::new();
        let mut months = Vec::new();
        let mut joiners = Vec::new();
        for language in languages.iter() {
            for (value, forms) in &language.numbers {
                let Ok(value) = value.parse::<u64>() else { continue };
                numbers.extend(forms.iter().map(|form| (split(form), value)));
            }
            for (month, forms) in &language.months {
                let Ok(month) = month.parse::<u32>() else { continue };
                months.extend(forms.iter().map(|form| (split(form), month)));
            }
            joiners.extend(language.number_joiners.iter().map(|joiner| fold(joiner)));
        }
        numbers.retain(|(words, _)| !words.is_empty());
        months.retain(|(words, _)| !words.is_empty());
        numbers.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        months.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        Self { numbers, months, joiners }
    }

    /// The utterance as pieces: numbers, joiners, months, breaks and other words.
    fn pieces(&self, said: &str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for clause in clauses(&fold(said)) {
            if !pieces.is_empty() {
                pieces.push(Piece::Break);
            }
            let tokens: Vec<&str> = words(clause).collect();
            let mut at = 0;
            while at < tokens.len() {
                let (piece, length) = self.piece_at(&tokens[at..]);
                pieces.push(piece);
                at += length;
            }
        }
        pieces
    }

    fn piece_at(&self, tokens: &[&str]) -> (Piece, usize) {
        let starts = |words: &[String]| words.len() <= tokens.len() && words.iter().zip(tokens).all(|(w, t)| w == t);
        if let Some((words, value)) = self.numbers.iter().find(|(words, _)| starts(words)) {
            return (Piece::Word(*value), words.len());
        }
        if let Some((words, month)) = self.months.iter().find(|(words, _)| starts(words)) {
            return (Piece::Month(*month), words.len());
        }
        let token = tokens[0];
        if token.chars().all(|c| c.is_ascii_digit()) {
            return (Piece::Digits(token.to_string()), 1);
        }
        // "21st", "1er", "3eme": digits and an ordinal ending.
        let digits = token.trim_end_matches(|c: char| c.is_alphabetic());
        let ending = &token[digits.len()..];
        if !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && ["st", "nd", "rd", "th", "er", "re", "e", "eme"].contains(&ending)
        {
            return (Piece::Digits(digits.to_string()), 1);
        }
        if self.joiners.iter().any(|joiner| joiner == token) {
            return (Piece::Joiner, 1);
        }
        // A joiner written onto the next word: "وعشرون", "wkhamsin".
        for joiner in &self.joiners {
            if let Some(rest) = token.strip_prefix(joiner.as_str()).filter(|rest| !rest.is_empty()) {
                if let Some((_, value)) = self.numbers.iter().find(|(words, _)| words.len() == 1 && words[0] == rest) {
                    return (Piece::Word(*value), 1);
                }
            }
        }
        (Piece::Other, 1)
    }
}

/// The text between commas and full stops followed by a space ("5,000" and
/// "5.000" stay whole).
fn clauses(folded: &str) -> Vec<&str> {
    let mut clauses = Vec::new();
    let mut start = 0;
    let mut chars = folded.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let ends_clause = matches!(c, ',' | '.' | ';' | '!' | '?' | '،' | '؛' | '؟');
        if ends_clause && chars.peek().is_none_or(|(_, next)| next.is_whitespace()) {
            clauses.push(&folded[start..at]);
            start = at + c.len_utf8();
        }
    }
    clauses.push(&folded[start..]);
    clauses.retain(|clause| words(clause).next().is_some());
    clauses
}

/// The words of folded text: letters and digits ("reb3a" is one word).
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// The runs of number pieces: numbers with the joiners between them.
fn runs(pieces: &[Piece]) -> Vec<&[Piece]> {
    let mut runs = Vec::new();
    let mut start = None;
    for (at, piece) in pieces.iter().enumerate() {
        let number = matches!(piece, Piece::Digits(_) | Piece::Word(_));
        let joiner = *piece == Piece::Joiner && start.is_some();
        match (number || joiner, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                runs.push(trim_joiners(&pieces[from..at]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        runs.push(trim_joiners(&pieces[from..]));
    }
    runs
}

fn trim_joiners(run: &[Piece]) -> &[Piece] {
    let end = run.iter().rposition(|piece| *piece != Piece::Joiner).map_or(0, |last| last + 1);
    &run[..end]
}

/// The amount a run says: "deux mille cinq cents" → 2500, "2 500" → 2500.
fn amount_of(run: &[Piece]) -> Option<u64> {
    let mut total: u64 = 0;
    // What is said since the last thousand or million.
    let mut current: u64 = 0;
    let mut previous_digits: Option<&str> = None;
    for piece in run {
        let value = match piece {
            // "2 500", "5.000": a group of three digits after digits goes on the same number.
            Piece::Digits(digits) if digits.len() == 3 && previous_digits.is_some() => {
                current = current.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
                previous_digits = Some(digits);
                continue;
            }
            Piece::Digits(digits) => digits.parse::<u64>().ok()?,
            Piece::Word(value) => *value,
            _ => {
                previous_digits = None;
                continue;
            }
        };
        previous_digits = match piece {
            Piece::Digits(digits) => Some(digits),
            _ => None,
        };
        match value {
            100 => current = current.max(1).checked_mul(100)?,
            1_000 | 1_000_000 => {
                total = total.checked_add(current.max(1).checked_mul(value)?)?;
                current = 0;
            }
            _ => current = current.checked_add(value)?,
        }
    }
    total.checked_add(current)
}

/// The digits a run says in groups, as for a phone number: "zéro six douze
/// trente quatre" → "061234", "six one two" → "612".
fn digits_of(run: &[Piece]) -> String {
    let mut out = String::new();
    let mut group: Option<u64> = None;
    for piece in run {
        match piece {
            Piece::Digits(digits) => {
                out.extend(group.take().map(|g| g.to_string()));
                out.push_str(digits);
            }
            Piece::Word(value) if MULTIPLIERS.contains(value) => group = Some(group.unwrap_or(1) * value),
            Piece::Word(value) => match group {
                Some(g) if joins(g, *value) => group = Some(g + value),
                _ => {
                    out.extend(group.take().map(|g| g.to_string()));
                    group = Some(*value);
                }
            },
            _ => {}
        }
    }
    out.extend(group.map(|g| g.to_string()));
    out
}

/// Whether `value` continues the group `so_far` ("trente" then "quatre")
/// rather than starting the next one ("douze" then "trente"). French counts
/// by twenty past sixty: "soixante dix" is 70, "quatre vingt dix" 90.
fn joins(so_far: u64, value: u64) -> bool {
    if so_far == 0 {
        // "zéro six": a zero is a digit of its own.
        return false;
    }
    let place = 10u64.pow(trailing_decimal_zeros(so_far));
    value < place || (so_far.is_multiple_of(20) && (60..100).contains(&so_far) && value < 20)
}

fn trailing_decimal_zeros(mut n: u64) -> u32 {
    let mut zeros = 0;
    while n > 0 && n.is_multiple_of(10) {
        n /= 10;
        zeros += 1;
    }
    zeros
}

/// The first number `said` holds, in digits or words of any language
/// ("douze", "joj", "cinq mille dirhams" → 5000): card, draft and field
/// numbers, counts and amounts.
pub fn spoken_number(said: &str, languages: &Languages) -> Option<usize> {
    spoken_amount(said, languages).and_then(|n| usize::try_from(n).ok())
}

/// The first amount `said` holds ("alf w khamsmya" → 1500).
pub fn spoken_amount(said: &str, languages: &Languages) -> Option<u64> {
    let pieces = Vocabulary::of(languages).pieces(said);
    runs(&pieces).into_iter().find_map(amount_of)
}

/// The digits of a number said digit by digit or in groups ("zéro six,
/// douze, trente-quatre…"), across the whole utterance; `None` without any.
pub fn spoken_digits(said: &str, languages: &Languages) -> Option<String> {
    let pieces = Vocabulary::of(languages).pieces(said);
    let digits: String = runs(&pieces).into_iter().map(digits_of).collect();
    (!digits.is_empty()).then_some(digits)
}

/// A date as said: the year may be left out ("le premier mai").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpokenDate {
    pub day: u32,
    pub month: u32,
    pub year: Option<i32>,
}

/// A date said with its month's name: "le vingt et un mars deux mille
/// vingt-six", "March 21st, 2026", "21 مارس".
pub fn spoken_date(said: &str, languages: &Languages) -> Option<SpokenDate> {
    let pieces = Vocabulary::of(languages).pieces(said);
    let at = pieces.iter().position(|piece| matches!(piece, Piece::Month(_)))?;
    let Piece::Month(month) = pieces[at] else { unreachable!("found as a month") };
    let before = runs(&pieces[..at]).last().and_then(|run| amount_of(run));
    let after = runs(&pieces[at + 1..]);
    let day_of = |n: u64| (1..=31).contains(&n).then_some(n as u32);
    // Day first ("21 mars 2026"), else after the month ("March 21, 2026").
    let (day, year_run) = match before.and_then(day_of) {
        Some(day) => (day, after.first().copied()),
        None => (after.first().and_then(|run| amount_of(run)).and_then(day_of)?, after.get(1).copied()),
    };
    let year = year_run.and_then(year_of);
    Some(SpokenDate { day, month, year })
}

/// A year said as a number ("deux mille vingt-six") or in two pairs
/// ("twenty twenty-six").
fn year_of(run: &[Piece]) -> Option<i32> {
    let as_amount = amount_of(run).filter(|n| (1900..=2100).contains(n));
    let as_pairs = || digits_of(run).parse::<u64>().ok().filter(|n| (1900..=2100).contains(n));
    as_amount.or_else(as_pairs).map(|n| n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words_of_any_language() {
        let languages = Languages::built_in();
        assert_eq!(spoken_number("douze", &languages), Some(12));
        assert_eq!(spoken_number("joj", &languages), Some(2));
        assert_eq!(spoken_number("bonjour", &languages), None);
    }

    #[test]
    fn digits_written_in_an_arabizi_word_are_not_a_number() {
        let languages = Languages::built_in();
        assert_eq!(spoken_number("reb3a", &languages), Some(4));
        assert_eq!(spoken_number("ana m3a tnach", &languages), Some(12));
    }

    #[test]
    fn groups_join_as_people_say_them() {
        assert!(joins(30, 4));
        assert!(!joins(12, 30));
        assert!(joins(60, 10) && joins(70, 8) && joins(80, 19));
        assert!(!joins(0, 6) && !joins(6, 1));
    }
}

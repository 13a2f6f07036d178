//! Numbers as people say them: digits, or a word of any language's
//! `[numbers]` ("douze", "joj") — a card number, a draft number, a field to
//! correct.

use crate::corpus::languages::Languages;

/// A number said as digits or as a word of any language's `[numbers]`
/// ("douze", "joj").
pub fn spoken_number(said: &str, languages: &Languages) -> Option<usize> {
    let folded = crate::corpus::normalize::fold(said);
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    folded.split(|c: char| !c.is_alphanumeric()).find_map(|word| languages.number(word))
}

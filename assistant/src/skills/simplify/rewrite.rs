//! Simpler words for a cited text: the model rewrites an entry's body in short
//! sentences, and each sentence is kept only if the text carries it.
//!
//! Sentences are checked as they are generated, so the first can be spoken
//! while the model writes the next. A sentence is carried when every number
//! in it is one of the text's, most of its words are the text's words
//! (folded and stemmed as retrieval does), and it is negated exactly when the
//! text's sentence closest to it is: Qwen2.5 0.5B, asked to address the
//! reader, turned "elle ne peut pas travailler pendant les sept semaines" into
//! "vous devez travailler pendant les sept semaines", every word of which is
//! in the text. The first sentence that is not carried ends the rewrite: what
//! follows it could lean on it. A rewrite that only copies the text's own
//! sentences is no rewrite and is dropped; one that opens with the text's
//! first sentence word for word is taken to be copying and stopped there
//! (the default Qwen2.5-Coder 0.5B copies the whole text when asked to
//! rewrite it), so a refusal costs one sentence of generation, not a text's.
//! Copied sentences are handed out only once a sentence of the model's own
//! has passed. The citation is never the model's to write; the caller says
//! the entry's sources.

use std::collections::HashSet;

use crate::corpus::lang::LangTag;
use crate::corpus::normalize::{fold, tokens};
use crate::lm::{GenerationParams, LanguageModel, LmError};
use crate::speech::sentence_end;

/// Share of a sentence's content words that must be in the source text.
const MIN_SUPPORT: f64 = 0.6;

fn instructions(lang: &str) -> &'static str {
    match lang {
        "fr" => {
            "Réécris ce texte en français, avec des phrases très courtes et des mots simples, pour une personne \
qui ne lit pas et qui l'écoute. Garde exactement chaque nombre, montant, durée et date. N'ajoute rien qui ne soit \
pas dans le texte. Écris seulement le texte réécrit."
        }
        "ar" => {
            "أعد كتابة هذا النص بالعربية بجمل قصيرة جدا وكلمات بسيطة، لشخص لا يقرأ ويستمع إليه. احتفظ بكل رقم ومبلغ \
ومدة وتاريخ كما هو. لا تضف شيئا غير موجود في النص. اكتب النص المعاد كتابته فقط."
        }
        _ => {
            "Rewrite this text in English with very short sentences and simple words, for a person who cannot read \
and listens to it. Keep every number, amount, duration and date exactly. Add nothing that is not in the text. Write \
only the rewritten text."
        }
    }
}

/// A rewrite of `text` (in `lang`, a language whose file says `simplify = true`:
/// the default models write it well enough to be trusted) in the sentences
/// that passed the check, each handed to `on_sentence` as soon as it is
/// known to be part of the rewrite. Empty when there is no rewrite: the first
/// sentence failed, or every sentence was the text's own.
pub fn simplify(
    model: &mut dyn LanguageModel,
    text: &str,
    tag: &LangTag,
    mut on_sentence: impl FnMut(&str),
) -> Result<Vec<String>, LmError> {
    let source = Source::new(text, tag);
    let instructions = instructions(&tag.to_string());
    // About as long as the text: a rewrite in short sentences is not shorter.
    let max_tokens = (model.count_tokens(text)? * 3 / 2 + 16).min(384);
    let params = GenerationParams { max_tokens, ..GenerationParams::default() };

    let mut rewrite = Rewrite { kept: Vec::new(), handed_out: 0, own: false };
    let mut pending = String::new();
    let mut stopped = false;
    model.chat(&[("system", instructions), ("user", text.trim())], &params, &mut |piece| {
        pending.push_str(piece);
        while let Some(end) = sentence_end(&pending) {
            let sentence: String = pending.drain(..end).collect();
            if !rewrite.take(sentence.trim(), &source, tag, &mut on_sentence) {
                stopped = true;
                return false;
            }
        }
        true
    })?;
    // The last sentence counts only if the model finished it.
    if !stopped && ends_a_sentence(pending.trim_end()) {
        rewrite.take(pending.trim(), &source, tag, &mut on_sentence);
    }
    if !rewrite.own {
        rewrite.kept.clear();
    }
    Ok(rewrite.kept)
}

/// The sentences kept so far, and how many were handed out.
struct Rewrite {
    kept: Vec<String>,
    handed_out: usize,
    /// Some kept sentence is the model's own, not one of the text's.
    own: bool,
}

impl Rewrite {
    /// Keeps `sentence` if the text carries it; false ends the rewrite.
    fn take(&mut self, sentence: &str, source: &Source, tag: &LangTag, on_sentence: &mut impl FnMut(&str)) -> bool {
        if sentence.is_empty() {
            return true;
        }
        if !source.carries(sentence, tag) {
            return false;
        }
        let copied = source.copies(sentence);
        if copied && self.kept.is_empty() && source.opens_with(sentence) {
            return false;
        }
        self.own |= !copied;
        self.kept.push(sentence.to_string());
        if self.own {
            for sentence in &self.kept[self.handed_out..] {
                on_sentence(sentence);
            }
            self.handed_out = self.kept.len();
        }
        true
    }
}

fn ends_a_sentence(text: &str) -> bool {
    text.ends_with(['.', '!', '?', '؟'])
}

/// Words that negate a sentence, folded (accents and hamza dropped).
const NEGATIONS: &[&str] = &[
    "ne", "n", "pas", "jamais", "aucun", "aucune", "sans", "not", "no", "never", "without", "لا", "لم", "لن", "ليس",
    "ما", "غير", "بدون",
];

fn negated(sentence: &str) -> bool {
    fold(sentence).split(|c: char| !c.is_alphanumeric()).any(|w| NEGATIONS.contains(&w))
}

/// What the text says, in the forms a rewrite is checked against.
struct Source {
    words: HashSet<String>,
    numbers: HashSet<String>,
    /// Each sentence: its words, whether it is negated, and its folded text;
    /// `words` is their union.
    sentences: Vec<(HashSet<String>, bool, String)>,
}

impl Source {
    fn new(text: &str, tag: &LangTag) -> Self {
        let mut sentences: Vec<(HashSet<String>, bool, String)> = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let end = sentence_end(rest).unwrap_or(rest.len());
            let sentence = &rest[..end];
            let words = tokens(sentence, Some(tag)).surface.into_iter().collect();
            sentences.push((words, negated(sentence), folded_words(sentence)));
            rest = rest[end..].trim_start();
        }
        let words = sentences.iter().flat_map(|(words, _, _)| words.iter().cloned()).collect();
        Self { words, numbers: numbers(text), sentences }
    }

    fn carries(&self, sentence: &str, tag: &LangTag) -> bool {
        if !numbers(sentence).is_subset(&self.numbers) {
            return false;
        }
        let said = tokens(sentence, Some(tag)).surface;
        if said.is_empty() {
            return false;
        }
        let found = said.iter().filter(|w| self.words.contains(*w)).count();
        if (found as f64 / said.len() as f64) < MIN_SUPPORT {
            return false;
        }
        let closest =
            self.sentences.iter().max_by_key(|(words, _, _)| said.iter().filter(|w| words.contains(*w)).count());
        closest.is_some_and(|(_, negation, _)| *negation == negated(sentence))
    }

    /// Whether `sentence` is one of the text's own, word for word.
    fn copies(&self, sentence: &str) -> bool {
        let folded = folded_words(sentence);
        self.sentences.iter().any(|(_, _, own)| *own == folded)
    }

    /// Whether `sentence` is the text's first, word for word.
    fn opens_with(&self, sentence: &str) -> bool {
        self.sentences.first().is_some_and(|(_, _, own)| *own == folded_words(sentence))
    }
}

fn folded_words(text: &str) -> String {
    fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The numbers written in `text` ("17,92", "2 970", "١٤" → "17.92", "2970",
/// "14"), digits of any script.
fn numbers(text: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(d) = c.to_digit(10) {
            current.push(char::from_digit(d, 10).expect("a digit"));
            continue;
        }
        let next_is_digit = chars.get(i + 1).is_some_and(|n| n.is_numeric());
        let joins = !current.is_empty() && next_is_digit;
        match c {
            // Thousands written with a space ("2 970") join the number.
            ' ' | '\u{a0}' | '\u{202f}' if joins && chars.get(i + 4).is_none_or(|c| !c.is_numeric()) => {}
            ',' | '.' | '٫' if joins => current.push('.'),
            _ => {
                if !current.is_empty() {
                    found.insert(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        found.insert(current);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_any_script_and_spelling() {
        let found = numbers("Le SMIG est de 17,92 dirhams de l'heure, 2 970 par mois, 14 semaines, ١٤ أسبوعا.");
        let expected: HashSet<String> = ["17.92", "2970", "14"].into_iter().map(String::from).collect();
        assert_eq!(found, expected);
        assert!(numbers("Article 152. Then").contains("152"));
    }

    #[test]
    fn a_sentence_is_carried_only_by_its_source() {
        let tag: LangTag = "fr".parse().unwrap();
        let source = Source::new(
            "La salariée a droit à un congé de maternité de 14 semaines, payé par la CNSS si elle a cotisé.",
            &tag,
        );
        assert!(source.carries("Vous avez droit à 14 semaines de congé de maternité.", &tag));
        // A number the text does not have, or words of the model's own.
        assert!(!source.carries("Vous avez droit à 16 semaines de congé.", &tag));
        assert!(!source.carries("Le patron doit aussi offrir un cadeau et des vacances au bébé.", &tag));
    }

    #[test]
    fn a_negation_dropped_or_added_is_not_carried() {
        let tag: LangTag = "fr".parse().unwrap();
        let text =
            "Une salariée enceinte a droit à quatorze semaines de congé. Elle ne peut pas travailler pendant les \
                    sept semaines qui suivent l'accouchement.";
        let source = Source::new(text, &tag);
        // What Qwen2.5 0.5B wrote when asked to address the reader.
        assert!(!source.carries("Vous devez travailler pendant les sept semaines qui suivent l'accouchement.", &tag));
        assert!(source.carries("Vous ne pouvez pas travailler pendant les sept semaines après l'accouchement.", &tag));
        assert!(!source.carries("Une salariée enceinte n'a pas droit au congé.", &tag));
        assert!(source.copies("Une salariée enceinte a droit à quatorze semaines de congé."));
        assert!(!source.copies("Vous avez droit à quatorze semaines de congé."));
    }

    #[test]
    fn copied_sentences_are_handed_out_only_after_one_of_the_models_own() {
        let tag: LangTag = "fr".parse().unwrap();
        let source = Source::new("Le congé dure quatorze semaines. La CNSS paie une indemnité si elle a cotisé.", &tag);
        let run = |sentences: &[&str]| {
            let (mut rewrite, mut out) = (Rewrite { kept: Vec::new(), handed_out: 0, own: false }, Vec::new());
            let went_on: Vec<bool> = sentences
                .iter()
                .map(|s| rewrite.take(s, &source, &tag, &mut |s: &str| out.push(s.to_string())))
                .collect();
            (went_on, out, rewrite.own)
        };
        // A copy of a later sentence is held until the model writes one of its own.
        let (went_on, out, own) =
            run(&["La CNSS paie une indemnité si elle a cotisé.", "Le congé dure quatorze semaines pour vous."]);
        assert_eq!((went_on, own), (vec![true, true], true));
        assert_eq!(out, ["La CNSS paie une indemnité si elle a cotisé.", "Le congé dure quatorze semaines pour vous."]);
        // Opening with the text's first sentence: copying, stopped at once.
        let (went_on, out, own) = run(&["Le congé dure quatorze semaines."]);
        assert_eq!((went_on, out.len(), own), (vec![false], 0, false));
    }

    #[test]
    fn sentences_end_at_a_stop_followed_by_space() {
        assert_eq!(sentence_end("17.92 dirhams. Puis"), Some(14));
        assert_eq!(sentence_end("pas encore"), None);
        assert!(ends_a_sentence("Fin."));
    }
}

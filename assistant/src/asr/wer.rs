//! Word error rate, for comparing transcripts "case and punctuation aside".

/// Lower case, letters and digits only, words separated by single spaces.
pub fn normalise(text: &str) -> String {
    let kept: String =
        text.chars().map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' }).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Word-level edit distance between the normalised texts.
pub fn word_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let reference = normalise(reference);
    let hypothesis = normalise(hypothesis);
    let r: Vec<&str> = reference.split_whitespace().collect();
    let h: Vec<&str> = hypothesis.split_whitespace().collect();
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitution = diagonal + usize::from(rw != hw);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    (row[h.len()], r.len())
}

/// Word error rate: edits over reference words (0 for two empty texts).
pub fn wer(reference: &str, hypothesis: &str) -> f32 {
    let (errors, words) = word_errors(reference, hypothesis);
    if words == 0 {
        return if errors == 0 { 0.0 } else { 1.0 };
    }
    errors as f32 / words as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_substitutions_insertions_deletions() {
        assert_eq!(wer("Front center.", "front, Center"), 0.0);
        assert_eq!(word_errors("the cooperative meets", "the collaborative meets"), (1, 3));
        assert_eq!(word_errors("a b c", "a c"), (1, 3));
        assert_eq!(word_errors("a b", "a x b y"), (2, 2));
    }
}

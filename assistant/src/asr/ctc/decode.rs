//! Greedy CTC decoding: the most likely token of each frame, repeats
//! collapsed, the blank dropped, the word delimiter (`|`) read as a space —
//! as `Wav2Vec2CTCTokenizer.decode` does for the model cards'
//! `processor.batch_decode(argmax)` (other special tokens are kept as text).

use super::vocab::Vocabulary;

/// The text of a run of frames and how sure the network was of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CtcTranscript {
    pub text: String,
    /// The mean, over the tokens written, of the best probability among the
    /// frames of each token's run; 0 when nothing was written.
    pub confidence: f32,
}

/// The greedy path through `log_probs` (`[frames][vocabulary]`, log-softmax).
pub fn greedy(log_probs: &[Vec<f32>], vocabulary: &Vocabulary, blank: usize, delimiter: &str) -> CtcTranscript {
    let mut runs: Vec<(usize, f32)> = Vec::new();
    for frame in log_probs {
        let (best, log_prob) =
            frame
                .iter()
                .copied()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |acc, (id, lp)| if lp > acc.1 { (id, lp) } else { acc });
        match runs.last_mut() {
            Some((id, run_best)) if *id == best => *run_best = run_best.max(log_prob),
            _ => runs.push((best, log_prob)),
        }
    }
    let written: Vec<(usize, f32)> = runs.into_iter().filter(|&(id, _)| id != blank).collect();
    let text: String = written
        .iter()
        .map(|&(id, _)| match vocabulary.token(id) {
            Some(token) if token == delimiter => " ",
            Some(token) => token,
            None => "",
        })
        .collect();
    let confidence = if written.is_empty() {
        0.0
    } else {
        written.iter().map(|&(_, lp)| lp.exp()).sum::<f32>() / written.len() as f32
    };
    CtcTranscript { text: text.trim().to_string(), confidence }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vocab.json");
        std::fs::write(&file, r#"{"<pad>": 0, "|": 1, "a": 2, "b": 3}"#).unwrap();
        match super::super::vocab::VocabularyFile::read(&file).unwrap() {
            super::super::vocab::VocabularyFile::Single(v) => v,
            other => panic!("{other:?}"),
        }
    }

    /// Frames whose best token is `ids[i]` with probability `p`.
    fn frames(ids: &[usize], p: f32) -> Vec<Vec<f32>> {
        let rest = ((1.0 - p) / 3.0).ln();
        ids.iter().map(|&id| (0..4).map(|j| if j == id { p.ln() } else { rest }).collect()).collect()
    }

    #[test]
    fn collapses_repeats_keeps_blank_separated_doubles_and_reads_the_delimiter() {
        // a a <pad> a b | | b <pad>: "aa" needs the blank between; || is one space.
        let transcript = greedy(&frames(&[2, 2, 0, 2, 3, 1, 1, 3, 0], 0.9), &vocabulary(), 0, "|");
        assert_eq!(transcript.text, "aab b");
        assert!((transcript.confidence - 0.9).abs() < 1e-5, "{}", transcript.confidence);
    }

    #[test]
    fn only_blanks_or_delimiters_write_nothing() {
        assert_eq!(greedy(&frames(&[0, 0, 0], 0.8), &vocabulary(), 0, "|").confidence, 0.0);
        assert_eq!(greedy(&frames(&[1, 0, 1], 0.8), &vocabulary(), 0, "|").text, "");
        assert_eq!(greedy(&[], &vocabulary(), 0, "|").text, "");
    }
}

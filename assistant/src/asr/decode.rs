//! Whisper decoding: from encoded audio to tokens, segments and scores.
//!
//! Follows OpenAI's reference decoder: the prompt `<|startofprev|> previous text
//! <|startoftranscript|> <|lang|> <|transcribe|>`, timestamp rules (timestamps
//! come in pairs, never go back, the first is at most 1 s), greedy or beam
//! search at temperature 0 and sampling above it, with a fallback to higher
//! temperatures when the text is too repetitive (compression ratio) or too
//! unlikely (average log-probability). Logit filtering is plain Rust on one
//! row of `vocab` floats per hypothesis.

use std::io::Write;

use candle_core::{IndexOp, Tensor};
use rand::distr::{weighted::WeightedIndex, Distribution};
use rand::SeedableRng;
use tokenizers::Tokenizer;

use super::model::WhisperModel;
use super::{AsrError, LANGUAGES};

/// Seconds per timestamp token.
pub const TIME_PRECISION: f32 = 0.02;

/// Ids of Whisper's special tokens, read from the tokenizer.
#[derive(Debug, Clone, Copy)]
pub struct SpecialTokens {
    pub sot: u32,
    pub eot: u32,
    pub sot_prev: u32,
    pub transcribe: u32,
    pub translate: u32,
    pub no_timestamps: u32,
    pub no_speech: u32,
    pub first_language: u32,
    /// `<|0.00|>`: every id from here on is a timestamp.
    pub timestamp_begin: u32,
}

impl SpecialTokens {
    pub fn from_tokenizer(tokenizer: &Tokenizer) -> Result<Self, String> {
        let id = |token: &str| tokenizer.token_to_id(token).ok_or_else(|| format!("tokenizer has no {token}"));
        let no_timestamps = id("<|notimestamps|>")?;
        Ok(Self {
            sot: id("<|startoftranscript|>")?,
            eot: id("<|endoftext|>")?,
            sot_prev: id("<|startofprev|>")?,
            transcribe: id("<|transcribe|>")?,
            translate: id("<|translate|>")?,
            no_timestamps,
            no_speech: id("<|nospeech|>").or_else(|_| id("<|nocaptions|>"))?,
            first_language: id("<|en|>")?,
            timestamp_begin: no_timestamps + 1,
        })
    }

    pub fn language_token(&self, language: &str) -> Result<u32, AsrError> {
        let index =
            LANGUAGES.iter().position(|l| *l == language).ok_or_else(|| AsrError::UnknownLanguage(language.into()))?;
        Ok(self.first_language + index as u32)
    }
}

/// How one window is decoded.
#[derive(Debug, Clone)]
pub struct WindowOptions {
    pub language: String,
    pub temperature: f32,
    /// 1 is greedy; more is beam search (at temperature 0).
    pub beam_size: usize,
    pub timestamps: bool,
    /// Text tokens before `<|startofprev|>`…`<|startoftranscript|>` (previous window, initial prompt).
    pub prompt: Vec<u32>,
    pub max_tokens: usize,
    /// Seconds: the latest allowed first timestamp.
    pub max_initial_timestamp: f32,
    pub seed: u64,
}

/// The decoded tokens of one window with the scores used to accept or retry it.
#[derive(Debug, Clone)]
pub struct WindowResult {
    /// Sampled tokens (text and timestamps), without the end-of-text token.
    pub tokens: Vec<u32>,
    pub avg_logprob: f32,
    /// Probability of `<|nospeech|>` right after `<|startoftranscript|>`.
    pub no_speech_prob: f32,
    pub temperature: f32,
}

/// Tokens that may never be sampled in transcription, as an additive mask.
pub struct Suppression {
    always: Vec<f32>,
    at_begin: Vec<u32>,
}

impl Suppression {
    /// `non_speech` is the model's `suppress_tokens` list (symbols, music notes…);
    /// `at_begin` its `begin_suppress_tokens` (blank, end-of-text).
    pub fn new(vocab: usize, special: &SpecialTokens, non_speech: &[u32], at_begin: &[u32]) -> Self {
        let mut always = vec![0f32; vocab];
        for &token in non_speech {
            if let Some(slot) = always.get_mut(token as usize) {
                *slot = f32::NEG_INFINITY;
            }
        }
        // Every control token but end-of-text and the timestamps.
        for token in special.eot + 1..special.timestamp_begin.min(vocab as u32) {
            always[token as usize] = f32::NEG_INFINITY;
        }
        Self { always, at_begin: at_begin.to_vec() }
    }
}

/// The decoding state of one window shared by greedy and beam search.
pub struct WindowDecoder<'a> {
    pub model: &'a mut WhisperModel,
    pub special: SpecialTokens,
    pub suppression: &'a Suppression,
}

impl WindowDecoder<'_> {
    /// The prompt sequence and the index of `<|startoftranscript|>` in it.
    fn initial_tokens(&self, options: &WindowOptions) -> Result<(Vec<u32>, usize), AsrError> {
        let s = self.special;
        let mut tokens = Vec::new();
        if !options.prompt.is_empty() {
            // At most half the context for the previous text, as the reference does.
            let room = self.model.config.max_target_positions / 2 - 1;
            let start = options.prompt.len().saturating_sub(room);
            tokens.push(s.sot_prev);
            tokens.extend_from_slice(&options.prompt[start..]);
        }
        let sot_index = tokens.len();
        tokens.extend([s.sot, s.language_token(&options.language)?, s.transcribe]);
        if !options.timestamps {
            tokens.push(s.no_timestamps);
        }
        Ok((tokens, sot_index))
    }

    /// Language probabilities from the logits after `<|startoftranscript|>`.
    pub fn detect_language(&mut self, audio: &Tensor) -> Result<Vec<(String, f32)>, AsrError> {
        self.model.reset();
        let tokens = Tensor::new(&[[self.special.sot]], self.model.device())?;
        let logits: Vec<f32> = self.model.decode(&tokens, audio)?.i((0, 0))?.to_vec1()?;
        self.model.reset();
        let first = self.special.first_language as usize;
        let language_logits = &logits[first..first + LANGUAGES.len()];
        let probs = softmax(language_logits);
        let mut ranked: Vec<(String, f32)> = LANGUAGES.iter().map(|l| l.to_string()).zip(probs).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(ranked)
    }

    /// Decodes one window of encoded audio.
    pub fn decode(&mut self, audio: &Tensor, options: &WindowOptions) -> Result<WindowResult, AsrError> {
        let (initial, sot_index) = self.initial_tokens(options)?;
        self.model.reset();
        let device = self.model.device().clone();
        let input = Tensor::new(initial.as_slice(), &device)?.unsqueeze(0)?;
        let logits = self.model.decode(&input, audio)?;
        let at_sot: Vec<f32> = logits.i((0, sot_index))?.to_vec1()?;
        let no_speech_prob = softmax(&at_sot)[self.special.no_speech as usize];
        let last: Vec<f32> = logits.i((0, initial.len() - 1))?.to_vec1()?;
        let max_tokens = options.max_tokens.min(self.model.config.max_target_positions - initial.len());
        let (tokens, sum_logprob) = if options.beam_size > 1 && options.temperature == 0.0 {
            self.beam_search(audio, last, options, max_tokens)?
        } else {
            self.sample(audio, last, options, max_tokens)?
        };
        let avg_logprob = sum_logprob / (tokens.len() + 1) as f32;
        Ok(WindowResult { tokens, avg_logprob, no_speech_prob, temperature: options.temperature })
    }

    /// Greedy (temperature 0) or sampled decoding of one hypothesis.
    fn sample(
        &mut self,
        audio: &Tensor,
        mut logits: Vec<f32>,
        options: &WindowOptions,
        max_tokens: usize,
    ) -> Result<(Vec<u32>, f32), AsrError> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
        let mut tokens: Vec<u32> = Vec::new();
        let mut sum_logprob = 0f32;
        let device = self.model.device().clone();
        loop {
            self.filter(&mut logits, &tokens, options);
            let logprobs = log_softmax(&logits);
            let next = if options.temperature == 0.0 {
                argmax(&logits)
            } else {
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let weights: Vec<f32> = logits.iter().map(|l| ((l - max) / options.temperature).exp()).collect();
                WeightedIndex::new(&weights).map(|d| d.sample(&mut rng) as u32).unwrap_or_else(|_| argmax(&logits))
            };
            if next == self.special.eot {
                sum_logprob += logprobs[next as usize];
                break;
            }
            sum_logprob += logprobs[next as usize];
            tokens.push(next);
            if tokens.len() >= max_tokens {
                break;
            }
            let input = Tensor::new(&[[next]], &device)?;
            logits = self.model.decode(&input, audio)?.i((0, 0))?.to_vec1()?;
        }
        Ok((tokens, sum_logprob))
    }

    /// Beam search at temperature 0: keeps `beam_size` hypotheses, collects
    /// finished ones, returns the best by average log-probability.
    fn beam_search(
        &mut self,
        audio: &Tensor,
        first: Vec<f32>,
        options: &WindowOptions,
        max_tokens: usize,
    ) -> Result<(Vec<u32>, f32), AsrError> {
        let beam = options.beam_size;
        let device = self.model.device().clone();
        let mut hypotheses: Vec<(Vec<u32>, f32)> = vec![(Vec::new(), 0.0)];
        let mut rows: Vec<Vec<f32>> = vec![first];
        let mut finished: Vec<(Vec<u32>, f32)> = Vec::new();
        for _ in 0..max_tokens {
            let mut candidates: Vec<(usize, u32, f32)> = Vec::new();
            for (row, (tokens, score)) in hypotheses.iter().enumerate() {
                let mut logits = std::mem::take(&mut rows[row]);
                self.filter(&mut logits, tokens, options);
                let logprobs = log_softmax(&logits);
                for token in top_k(&logprobs, beam + 1) {
                    candidates.push((row, token, score + logprobs[token as usize]));
                }
            }
            candidates.sort_by(|a, b| b.2.total_cmp(&a.2));
            let mut next: Vec<(usize, Vec<u32>, f32)> = Vec::new();
            for (row, token, score) in candidates {
                let mut tokens = hypotheses[row].0.clone();
                if token == self.special.eot {
                    if finished.len() < beam {
                        finished.push((tokens, score));
                    }
                } else if next.len() < beam {
                    tokens.push(token);
                    next.push((row, tokens, score));
                }
                if next.len() >= beam && finished.len() >= beam {
                    break;
                }
            }
            if finished.len() >= beam || next.is_empty() {
                break;
            }
            let parents: Vec<u32> = next.iter().map(|(row, _, _)| *row as u32).collect();
            self.model.reorder_cache(&parents)?;
            let last: Vec<u32> = next.iter().map(|(_, tokens, _)| *tokens.last().expect("non-empty")).collect();
            hypotheses = next.into_iter().map(|(_, tokens, score)| (tokens, score)).collect();
            let input = Tensor::new(last.as_slice(), &device)?.unsqueeze(1)?;
            let logits = self.model.decode(&input, audio)?;
            rows = (0..hypotheses.len()).map(|r| logits.i((r, 0))?.to_vec1()).collect::<candle_core::Result<_>>()?;
        }
        if finished.is_empty() {
            finished = hypotheses;
        }
        let best = finished
            .into_iter()
            .max_by(|a, b| (a.1 / (a.0.len() + 1) as f32).total_cmp(&(b.1 / (b.0.len() + 1) as f32)))
            .expect("at least one hypothesis");
        Ok(best)
    }

    /// Applies suppression and the timestamp rules to the logits of the next token.
    fn filter(&self, logits: &mut [f32], sampled: &[u32], options: &WindowOptions) {
        for (l, mask) in logits.iter_mut().zip(&self.suppression.always) {
            *l += mask;
        }
        if sampled.is_empty() {
            for &token in &self.suppression.at_begin {
                logits[token as usize] = f32::NEG_INFINITY;
            }
        }
        if options.timestamps {
            self.timestamp_rules(logits, sampled, options);
        } else {
            logits[self.special.timestamp_begin as usize..].fill(f32::NEG_INFINITY);
        }
    }

    fn timestamp_rules(&self, logits: &mut [f32], sampled: &[u32], options: &WindowOptions) {
        let begin = self.special.timestamp_begin as usize;
        let eot = self.special.eot as usize;
        let is_timestamp = |t: &u32| *t as usize >= begin;
        let last_was_timestamp = sampled.last().is_some_and(is_timestamp);
        let penultimate_was_timestamp = sampled.len() < 2 || is_timestamp(&sampled[sampled.len() - 2]);
        if last_was_timestamp {
            if penultimate_was_timestamp {
                logits[begin..].fill(f32::NEG_INFINITY);
            } else {
                logits[..eot].fill(f32::NEG_INFINITY);
            }
        }
        if let Some(&last_timestamp) = sampled.iter().rev().find(|t| is_timestamp(t)) {
            // Timestamps never go back; after a closing one, the next opens later.
            let floor =
                if last_was_timestamp && !penultimate_was_timestamp { last_timestamp } else { last_timestamp + 1 };
            let end = (floor as usize).min(logits.len());
            logits[begin..end].fill(f32::NEG_INFINITY);
        }
        if sampled.is_empty() {
            logits[..begin].fill(f32::NEG_INFINITY);
            let last_allowed = begin + (options.max_initial_timestamp / TIME_PRECISION).round() as usize;
            if last_allowed + 1 < logits.len() {
                logits[last_allowed + 1..].fill(f32::NEG_INFINITY);
            }
        }
        // If the timestamps together are likelier than any text token, take one.
        let logprobs = log_softmax(logits);
        let timestamp_mass = log_sum_exp(&logprobs[begin..]);
        let best_text = logprobs[..begin].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if timestamp_mass > best_text {
            logits[..begin].fill(f32::NEG_INFINITY);
        }
    }
}

/// Ratio of a text's length to its zlib-compressed length: high for
/// hallucinated loops ("the the the…").
pub fn compression_ratio(text: &str) -> f32 {
    if text.is_empty() {
        return 0.0;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("writing to memory");
    let compressed = encoder.finish().expect("writing to memory");
    text.len() as f32 / compressed.len() as f32
}

fn argmax(values: &[f32]) -> u32 {
    values.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i as u32)
}

fn top_k(values: &[f32], k: usize) -> Vec<u32> {
    let mut indices: Vec<u32> = (0..values.len() as u32).filter(|&i| values[i as usize].is_finite()).collect();
    let k = k.min(indices.len());
    if k == 0 {
        return indices;
    }
    indices.select_nth_unstable_by(k - 1, |a, b| values[*b as usize].total_cmp(&values[*a as usize]));
    indices.truncate(k);
    indices
}

fn log_sum_exp(values: &[f32]) -> f32 {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f32>().ln()
}

pub fn log_softmax(values: &[f32]) -> Vec<f32> {
    let total = log_sum_exp(values);
    values.iter().map(|v| v - total).collect()
}

pub fn softmax(values: &[f32]) -> Vec<f32> {
    log_softmax(values).into_iter().map(f32::exp).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_compresses_well() {
        let loop_text = "the the the the the the the the the the the the the the the the the the";
        assert!(compression_ratio(loop_text) > 2.4);
        assert!(compression_ratio("The cooperative meets every Tuesday at the school.") < 2.4);
    }

    #[test]
    fn softmax_and_top_k() {
        let p = softmax(&[0.0, 0.0, f32::NEG_INFINITY]);
        assert!((p[0] - 0.5).abs() < 1e-6 && p[2] == 0.0);
        let mut top = top_k(&[0.1, 5.0, -2.0, 3.0], 2);
        top.sort();
        assert_eq!(top, vec![1, 3]);
    }
}

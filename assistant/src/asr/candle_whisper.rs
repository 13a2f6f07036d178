//! The candle backend: loads an installed model (Hugging Face safetensors,
//! `config.json`, `tokenizer.json`) and transcribes audio of any length,
//! window by window, as OpenAI's `transcribe()` does: each window is decoded
//! (with temperature fallback), cut into timestamped segments, and the next
//! window starts where the last complete segment ended, prompted with the
//! text so far.

use std::path::Path;
use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_transformers::models::whisper::Config;
use tokenizers::Tokenizer;

use super::decode::{
    compression_ratio, SpecialTokens, Suppression, WindowDecoder, WindowOptions, WindowResult, TIME_PRECISION,
};
use super::mel::{MelFrontEnd, HOP_LENGTH, SAMPLE_RATE, WINDOW_FRAMES, WINDOW_SAMPLES};
use super::model::{WeightPrecision, WeightSource, WhisperModel};
use super::weights::{GgufWeights, SafetensorsFile};
use super::{AsrError, AudioChunk, AudioContext, DecodeParams, Recognizer, Segment, StageTimings, Transcript};

/// Mel frames per timestamp step (20 ms) — the encoder halves the frame rate.
const FRAMES_PER_TIMESTAMP: usize = 2;

pub struct CandleWhisper {
    model: WhisperModel,
    tokenizer: Tokenizer,
    mel: MelFrontEnd,
    special: SpecialTokens,
    suppression: Suppression,
}

#[derive(serde::Deserialize)]
struct BeginSuppress {
    #[serde(default)]
    begin_suppress_tokens: Vec<u32>,
}

impl CandleWhisper {
    pub fn load(dir: &Path, decoder_precision: WeightPrecision) -> Result<Self, AsrError> {
        let model_error = |message: String| AsrError::Model { dir: dir.to_path_buf(), message };
        let config_text =
            std::fs::read_to_string(dir.join("config.json")).map_err(|e| model_error(format!("config.json: {e}")))?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| model_error(format!("config.json: {e}")))?;
        let begin: BeginSuppress =
            serde_json::from_str(&config_text).map_err(|e| model_error(format!("config.json: {e}")))?;
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| model_error(format!("tokenizer.json: {e}")))?;
        let special = SpecialTokens::from_tokenizer(&tokenizer).map_err(model_error)?;
        let suppression =
            Suppression::new(config.vocab_size, &special, &config.suppress_tokens, &begin.begin_suppress_tokens);
        // A quantised GGUF (`awal models quantize`) wins over the safetensors.
        let gguf = dir.join("model.gguf");
        let source: Box<dyn WeightSource> = if gguf.is_file() {
            Box::new(GgufWeights::open(&gguf)?)
        } else {
            Box::new(SafetensorsFile::open(&dir.join("model.safetensors"))?)
        };
        let mel = MelFrontEnd::new(config.num_mel_bins);
        let model = WhisperModel::load(source.as_ref(), config, decoder_precision)?;
        Ok(Self { model, tokenizer, mel, special, suppression })
    }

    pub fn model(&self) -> &WhisperModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut WhisperModel {
        &mut self.model
    }

    /// Text of the ordinary tokens among `tokens`.
    fn text_of(&self, tokens: &[u32]) -> Result<String, AsrError> {
        let text: Vec<u32> = tokens.iter().copied().filter(|&t| t < self.special.eot).collect();
        self.tokenizer.decode(&text, false).map_err(|e| AsrError::Tokenizer(e.to_string()))
    }

    fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, AsrError> {
        let encoding = self
            .tokenizer
            .encode(format!(" {}", text.trim()), false)
            .map_err(|e| AsrError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Decodes one window, raising the temperature while the result looks wrong.
    fn decode_with_fallback(
        &mut self,
        audio: &Tensor,
        options: &mut WindowOptions,
        params: &DecodeParams,
    ) -> Result<(WindowResult, f32), AsrError> {
        let mut outcome = None;
        for &temperature in &params.temperatures {
            options.temperature = temperature;
            let mut decoder =
                WindowDecoder { model: &mut self.model, special: self.special, suppression: &self.suppression };
            let result = decoder.decode(audio, options)?;
            let ratio = compression_ratio(&self.text_of(&result.tokens)?);
            let too_repetitive = params.compression_ratio_threshold.is_some_and(|t| ratio > t);
            let too_unlikely = params.logprob_threshold.is_some_and(|t| result.avg_logprob < t);
            let silent = params.no_speech_threshold.is_some_and(|t| result.no_speech_prob > t);
            let done = (!too_repetitive && !too_unlikely) || silent;
            outcome = Some((result, ratio));
            if done {
                break;
            }
        }
        Ok(outcome.expect("at least one temperature"))
    }
}

impl Recognizer for CandleWhisper {
    fn transcribe(&mut self, samples: &[f32], params: &DecodeParams) -> Result<Transcript, AsrError> {
        self.transcribe_stream(&mut std::iter::once(Ok(samples.to_vec())), params)
    }

    /// Long-form transcription in bounded memory: samples are buffered only
    /// from the current window's start to 30 s past it.
    fn transcribe_stream(
        &mut self,
        chunks: &mut dyn Iterator<Item = AudioChunk>,
        params: &DecodeParams,
    ) -> Result<Transcript, AsrError> {
        let mut timings = StageTimings::default();
        let mut language = params.language.clone();
        let mut language_probs = Vec::new();
        let mut prompt = match &params.initial_prompt {
            Some(text) => self.encode_prompt(text)?,
            None => Vec::new(),
        };
        let mut segments = Vec::new();
        let mut no_speech_prob = 0f32;
        let mut buffer: Vec<f32> = Vec::new();
        let mut buffer_start = 0usize; // absolute index of buffer[0]
        let mut ended = false;
        let mut seek = 0usize; // absolute mel frame
        loop {
            let seek_sample = seek * HOP_LENGTH;
            while !ended && buffer_start + buffer.len() < seek_sample + WINDOW_SAMPLES {
                match chunks.next() {
                    Some(chunk) => buffer.extend(chunk?.into_iter().map(|s| if s.is_finite() { s } else { 0.0 })),
                    None => ended = true,
                }
            }
            // Forget audio before the window: memory stays bounded on long files.
            let consumed = seek_sample.saturating_sub(buffer_start).min(buffer.len());
            buffer.drain(..consumed);
            buffer_start += consumed;
            let available = (buffer_start + buffer.len()).saturating_sub(seek_sample);
            let segment_frames = (available / HOP_LENGTH).min(WINDOW_FRAMES);
            if segment_frames == 0 {
                break;
            }
            let window = &buffer[seek_sample - buffer_start..][..available.min(WINDOW_SAMPLES)];
            if is_silent(window) {
                no_speech_prob = 1.0;
                seek += segment_frames;
                continue;
            }
            // Start the window where sound starts: Whisper puts its first timestamp
            // within the first second, so leading silence would shift every time.
            let lead = leading_silence_frames(window);
            if lead >= 100 {
                seek += lead - 20;
                continue;
            }

            let clock = Instant::now();
            let encoded_frames = match params.audio_context {
                AudioContext::Full => WINDOW_FRAMES,
                AudioContext::Fit { margin_s } => {
                    let wanted = segment_frames + (margin_s * 100.0) as usize;
                    (wanted.div_ceil(100) * 100).min(WINDOW_FRAMES)
                }
            };
            let (mel, frames) = self.mel.compute(window, WINDOW_SAMPLES);
            let mel =
                Tensor::from_vec(mel, (1, self.mel.n_mels(), frames), &Device::Cpu)?.narrow(2, 0, encoded_frames)?;
            timings.mel += ms(clock);
            let clock = Instant::now();
            let audio = self.model.encode(&mel)?;
            timings.encoder += ms(clock);

            let clock = Instant::now();
            let lang = match &language {
                Some(lang) => lang.clone(),
                None => {
                    let mut decoder =
                        WindowDecoder { model: &mut self.model, special: self.special, suppression: &self.suppression };
                    language_probs = decoder.detect_language(&audio)?;
                    language_probs.truncate(5);
                    language_probs[0].0.clone()
                }
            };
            language.get_or_insert(lang.clone());
            let mut options = WindowOptions {
                language: lang,
                temperature: 0.0,
                beam_size: params.beam_size,
                timestamps: params.timestamps,
                prompt: prompt.clone(),
                max_tokens: params.max_tokens_per_window,
                max_initial_timestamp: 1.0,
                seed: params.seed,
            };
            let (result, ratio) = self.decode_with_fallback(&audio, &mut options, params)?;
            timings.decoder += ms(clock);

            let offset = seek as f32 * HOP_LENGTH as f32 / SAMPLE_RATE as f32;
            let unlikely = params.logprob_threshold.is_some_and(|t| result.avg_logprob < t);
            let silent = params.no_speech_threshold.is_some_and(|t| result.no_speech_prob > t)
                && (unlikely || result.tokens.is_empty());
            if silent {
                no_speech_prob = no_speech_prob.max(result.no_speech_prob);
                seek += segment_frames;
                continue;
            }
            let (pieces, advance) = split_segments(&result.tokens, self.special.timestamp_begin, segment_frames);
            for (start, end, tokens) in pieces {
                let text = self.text_of(&tokens)?;
                if text.trim().is_empty() {
                    continue;
                }
                segments.push(Segment {
                    start: offset + start,
                    end: offset + end.min(segment_frames as f32 / 100.0),
                    text,
                    avg_logprob: result.avg_logprob,
                    no_speech_prob: result.no_speech_prob,
                    temperature: result.temperature,
                    compression_ratio: ratio,
                });
            }
            seek += advance.max(1);
            if params.condition_on_previous_text && result.temperature < 0.5 {
                prompt.extend(result.tokens.iter().copied());
            } else {
                prompt.clear();
            }
        }
        let text = segments.iter().map(|s| s.text.as_str()).collect::<String>().trim().to_string();
        let language = language.unwrap_or_else(|| params.language.clone().unwrap_or_else(|| "en".into()));
        Ok(Transcript { text, language, language_probs, segments, no_speech_prob, timings_ms: timings })
    }
}

/// Digital silence (below −70 dBFS RMS): no speech to find, no need to run
/// the encoder. Quiet speech and room noise sit far above this.
fn is_silent(samples: &[f32]) -> bool {
    let energy = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    energy.sqrt() < 3e-4
}

/// Mel frames (10 ms) of digital silence before the first sound, in 100 ms steps.
fn leading_silence_frames(window: &[f32]) -> usize {
    let block = SAMPLE_RATE / 10;
    window.chunks(block).take_while(|b| is_silent(b)).count() * (block / HOP_LENGTH)
}

/// Cuts a window's tokens into `(start_s, end_s, tokens)` segments at pairs of
/// timestamps and says how many mel frames the window consumed: all of it when
/// the text ends on a lone timestamp (or has none), else up to the last
/// complete segment so the next window starts at a boundary.
pub fn split_segments(
    tokens: &[u32],
    timestamp_begin: u32,
    segment_frames: usize,
) -> (Vec<(f32, f32, Vec<u32>)>, usize) {
    let is_timestamp = |t: u32| t >= timestamp_begin;
    let time = |t: u32| (t - timestamp_begin) as f32 * TIME_PRECISION;
    let single_ending =
        tokens.len() >= 2 && !is_timestamp(tokens[tokens.len() - 2]) && is_timestamp(tokens[tokens.len() - 1]);
    let mut cuts: Vec<usize> =
        (1..tokens.len()).filter(|&i| is_timestamp(tokens[i - 1]) && is_timestamp(tokens[i])).collect();
    let mut segments = Vec::new();
    if cuts.is_empty() {
        let end = tokens
            .iter()
            .rev()
            .copied()
            .find(|&t| is_timestamp(t) && t != timestamp_begin)
            .map_or(segment_frames as f32 / 100.0, time);
        let start = tokens.first().copied().filter(|&t| is_timestamp(t)).map_or(0.0, time);
        segments.push((start, end, tokens.to_vec()));
        return (segments, segment_frames);
    }
    if single_ending {
        cuts.push(tokens.len());
    }
    let mut last = 0;
    for &cut in &cuts {
        let piece = &tokens[last..cut];
        if let (Some(&first), Some(&end)) = (piece.first(), piece.last()) {
            let start = if is_timestamp(first) { time(first) } else { 0.0 };
            let end = if is_timestamp(end) { time(end) } else { start };
            segments.push((start, end, piece.to_vec()));
        }
        last = cut;
    }
    let advance = if single_ending {
        segment_frames
    } else {
        ((tokens[last - 1] - timestamp_begin) as usize * FRAMES_PER_TIMESTAMP).min(segment_frames)
    };
    (segments, advance)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: u32 = 50364;

    #[test]
    fn pairs_of_timestamps_cut_segments() {
        // <|0.00|> hello <|1.00|><|1.00|> world <|2.00|>  (single timestamp ending)
        let tokens = [TS, 7, TS + 50, TS + 50, 8, TS + 100];
        let (segments, advance) = split_segments(&tokens, TS, 3000);
        assert_eq!(segments.len(), 2);
        assert_eq!((segments[0].0, segments[0].1), (0.0, 1.0));
        assert_eq!((segments[1].0, segments[1].1), (1.0, 2.0));
        assert_eq!(advance, 3000);
    }

    #[test]
    fn unfinished_segment_is_decoded_again_in_the_next_window() {
        // <|0.00|> a <|5.00|><|5.00|> b (cut off by the window's end)
        let tokens = [TS, 7, TS + 250, TS + 250, 8];
        let (segments, advance) = split_segments(&tokens, TS, 3000);
        assert_eq!(segments.len(), 1);
        assert_eq!(advance, 500);
    }
}

//! Text generation: chat prompts from the model's own template, sampling,
//! stop conditions, streaming that never splits a UTF-8 character, and
//! constrained choice among closed labels.

use std::path::Path;
use std::time::Instant;

use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};
use serde::Serialize;
use serde_json::Value;

use super::model::Transformer;
use super::{GgufFile, GgufTokenizer, JsonGrammar, LmError};

/// How to sample; the defaults are greedy, which is what routing and
/// extraction want.
#[derive(Debug, Clone)]
pub struct GenerationParams {
    pub max_tokens: usize,
    /// 0 = greedy.
    pub temperature: f64,
    pub top_k: Option<usize>,
    pub top_p: Option<f64>,
    /// 1.0 = none; applied over the last 64 generated tokens.
    pub repeat_penalty: f32,
    pub seed: u64,
    /// Generation ends before the first of these strings.
    pub stop: Vec<String>,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 128,
            temperature: 0.0,
            top_k: None,
            top_p: None,
            repeat_penalty: 1.0,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub prefill_ms: f64,
    pub generate_ms: f64,
    pub prefill_tokens_per_s: f64,
    pub generate_tokens_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    /// Prompt tokens whose keys and values were still cached from the last
    /// request (a shared system prompt and passages are computed once).
    pub reused_tokens: usize,
    pub tokens: Vec<u32>,
    pub timings: Timings,
}

/// A loaded model with its tokenizer and chat template.
pub struct GgufModel {
    pub tokenizer: GgufTokenizer,
    pub architecture: String,
    pub context_length: usize,
    chat_template: Option<String>,
    transformer: Transformer,
    stop_tokens: Vec<u32>,
    /// How long loading took.
    pub load_ms: f64,
}

impl GgufModel {
    pub fn load(path: &Path) -> Result<Self, LmError> {
        let started = Instant::now();
        let gguf = GgufFile::open(path)?;
        let architecture = gguf.architecture()?.to_string();
        if !super::model::ARCHITECTURES.contains(&architecture.as_str()) {
            return Err(LmError::UnsupportedArchitecture { architecture, path: path.to_path_buf() });
        }
        let tokenizer = gguf.tokenizer()?;
        let metadata = &gguf.content.metadata;
        let context_length =
            metadata.get(&format!("{architecture}.context_length")).and_then(|v| v.to_u32().ok()).unwrap_or(2048)
                as usize;
        let chat_template = metadata.get("tokenizer.chat_template").and_then(|v| v.to_string().ok()).cloned();
        let transformer = Transformer::load(gguf)?;
        let stop_tokens = tokenizer
            .eos
            .into_iter()
            .chain(
                ["<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|eot_id|>"]
                    .iter()
                    .filter_map(|t| tokenizer.token_id(t)),
            )
            .collect();
        let load_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(Self { tokenizer, architecture, context_length, chat_template, transformer, stop_tokens, load_ms })
    }

    /// The prompt text for a conversation (`(role, content)` pairs, roles
    /// `system`/`user`/`assistant`), ending where the assistant speaks next.
    pub fn chat_prompt(&self, messages: &[(&str, &str)]) -> Result<String, LmError> {
        let messages: Vec<_> =
            messages.iter().map(|&(role, content)| minijinja::context! { role => role, content => content }).collect();
        let template = match &self.chat_template {
            Some(template) => template.as_str(),
            None => fallback_template(&self.architecture)
                .ok_or_else(|| LmError::NoChatTemplate(self.architecture.clone()))?,
        };
        let mut env = minijinja::Environment::new();
        env.add_function("raise_exception", |message: String| -> Result<String, minijinja::Error> {
            Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, message))
        });
        let token = |id: Option<u32>| id.map(|id| self.tokenizer.decode_special(id)).unwrap_or_default();
        env.render_str(
            template,
            minijinja::context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => token(self.tokenizer.bos),
                eos_token => token(self.tokenizer.eos),
            },
        )
        .map_err(|e| LmError::Template(format!("{e:#}")))
    }

    /// Tokens of a rendered chat prompt (control tokens recognised; BOS when the
    /// template did not already write it).
    pub fn encode_prompt(&self, prompt: &str) -> Result<Vec<u32>, LmError> {
        let mut ids = self.tokenizer.encode(prompt, false, true)?;
        if let Some(bos) = self.tokenizer.bos.filter(|_| self.tokenizer.add_bos) {
            if ids.first() != Some(&bos) {
                ids.insert(0, bos);
            }
        }
        Ok(ids)
    }

    fn check_context(&self, needed: usize) -> Result<(), LmError> {
        if needed > self.context_length {
            return Err(LmError::PromptTooLong { tokens: needed, context: self.context_length });
        }
        Ok(())
    }

    /// Generates after `prompt` (token ids), calling `on_text` with each new
    /// piece of text as soon as it is whole UTF-8; `on_text` returning false stops.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        params: &GenerationParams,
        mut on_text: impl FnMut(&str) -> bool,
    ) -> Result<Generation, LmError> {
        self.check_context(prompt.len() + params.max_tokens)?;
        let sampling = match (params.temperature, params.top_k, params.top_p) {
            (t, _, _) if t <= 0.0 => Sampling::ArgMax,
            (temperature, Some(k), Some(p)) => Sampling::TopKThenTopP { k, p, temperature },
            (temperature, Some(k), None) => Sampling::TopK { k, temperature },
            (temperature, None, Some(p)) => Sampling::TopP { p, temperature },
            (temperature, None, None) => Sampling::All { temperature },
        };
        let sampling_is_greedy = matches!(sampling, Sampling::ArgMax);
        let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);
        let started = Instant::now();
        let (mut logits, reused) = self.transformer.forward_reusing(prompt)?;
        let prefill = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let mut tokens = Vec::new();
        let mut bytes = Vec::new();
        let mut text = String::new();
        while tokens.len() < params.max_tokens {
            if params.repeat_penalty != 1.0 {
                let recent = &tokens[tokens.len().saturating_sub(64)..];
                logits = candle_transformers::utils::apply_repeat_penalty(&logits, params.repeat_penalty, recent)
                    .map_err(|e| LmError::Compute(e.to_string()))?;
            }
            let token = match sampling_is_greedy {
                true => argmax(&logits)?,
                false => sampler.sample(&logits).map_err(|e| LmError::Compute(e.to_string()))?,
            };
            if self.stop_tokens.contains(&token) {
                break;
            }
            tokens.push(token);
            bytes.extend(self.tokenizer.token_bytes(token));
            // Hand out only whole characters; keep an incomplete tail for the next token.
            let whole = match std::str::from_utf8(&bytes) {
                Ok(all) => all.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => e.valid_up_to() + e.error_len().unwrap_or(1),
            };
            let piece = String::from_utf8_lossy(&bytes[..whole]).into_owned();
            bytes.drain(..whole);
            text.push_str(&piece);
            if let Some(at) = params.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                let before = text.len() - piece.len();
                if at > before {
                    on_text(&text[before..at]);
                }
                text.truncate(at);
                break;
            }
            if !piece.is_empty() && !on_text(&piece) {
                break;
            }
            logits = self.transformer.forward(&[token], prompt.len() + tokens.len() - 1)?;
        }
        let generate = started.elapsed().as_secs_f64();
        Ok(Generation {
            text,
            prompt_tokens: prompt.len(),
            reused_tokens: reused,
            timings: Timings {
                prefill_ms: prefill * 1e3,
                generate_ms: generate * 1e3,
                prefill_tokens_per_s: (prompt.len() - reused) as f64 / prefill.max(1e-9),
                generate_tokens_per_s: tokens.len() as f64 / generate.max(1e-9),
            },
            tokens,
        })
    }

    /// Which of `labels` the model continues `prompt` with. Decoding is
    /// restricted, token by token, to continuations of some label, so the
    /// answer is always one of them.
    pub fn choose<'l>(&mut self, prompt: &[u32], labels: &'l [&'l str]) -> Result<&'l str, LmError> {
        let spelled: Vec<Vec<u32>> =
            labels.iter().map(|l| self.tokenizer.encode(l, false, false)).collect::<Result<_, _>>()?;
        self.check_context(prompt.len() + spelled.iter().map(Vec::len).max().unwrap_or(0))?;
        let (mut logits, _) = self.transformer.forward_reusing(prompt)?;
        let mut chosen: Vec<u32> = Vec::new();
        loop {
            let alive: Vec<usize> = (0..labels.len()).filter(|&i| spelled[i].starts_with(&chosen)).collect();
            if let [only] = alive.as_slice() {
                return Ok(labels[*only]);
            }
            if let Some(&done) = alive.iter().find(|&&i| spelled[i].len() == chosen.len()) {
                return Ok(labels[done]);
            }
            let scores = logits.to_vec1::<f32>().map_err(|e| LmError::Compute(e.to_string()))?;
            let next = alive
                .iter()
                .map(|&i| spelled[i][chosen.len()])
                .max_by(|a, b| scores[*a as usize].total_cmp(&scores[*b as usize]))
                .expect("at least one label is alive");
            chosen.push(next);
            logits = self.transformer.forward(&[next], prompt.len() + chosen.len() - 1)?;
        }
    }
}

impl GgufModel {
    /// Greedy decoding restricted to JSON that fits `grammar`: the result
    /// always parses. Returns the value and the text as generated.
    pub fn generate_json(&mut self, prompt: &[u32], grammar: &JsonGrammar) -> Result<(Value, String), LmError> {
        // Bounded by the grammar (strings and numbers have maximum lengths);
        // this only guards against a grammar bug.
        const MAX_TOKENS: usize = 2048;
        self.check_context(prompt.len() + 1)?;
        let (mut logits, _) = self.transformer.forward_reusing(prompt)?;
        let mut matcher = grammar.matcher();
        let mut bytes = Vec::new();
        for step in 0..MAX_TOKENS {
            if matcher.is_complete() {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let value = serde_json::from_str(&text)
                    .map_err(|e| LmError::Compute(format!("constrained JSON did not parse ({e}): {text}")))?;
                return Ok((value, text));
            }
            self.check_context(prompt.len() + step + 1)?;
            let scores = logits.to_vec1::<f32>().map_err(|e| LmError::Compute(e.to_string()))?;
            let fits = |id: u32| {
                let piece = self.tokenizer.token_bytes(id);
                !piece.is_empty() && matcher.clone().feed(&piece)
            };
            let token =
                most_likely(&scores, fits).ok_or_else(|| LmError::Compute("no token continues the JSON".into()))?;
            let piece = self.tokenizer.token_bytes(token);
            matcher.feed(&piece);
            bytes.extend(piece);
            logits = self.transformer.forward(&[token], prompt.len() + step)?;
        }
        Err(LmError::Compute(format!("constrained JSON not complete after {MAX_TOKENS} tokens")))
    }
}

/// The greedy choice: the token with the highest logit.
fn argmax(logits: &Tensor) -> Result<u32, LmError> {
    let scores = logits.to_vec1::<f32>().map_err(|e| LmError::Compute(e.to_string()))?;
    best_index(&scores).ok_or_else(|| LmError::Compute("no logits".into()))
}

/// Index of the largest score (the first of equals). Sixteen running maxima
/// with their indices, so that the compiler can keep them in SIMD registers:
/// candle's `argmax` compares Gemma's 262k logits one at a time (~2 % of a
/// decode step).
fn best_index(scores: &[f32]) -> Option<u32> {
    const LANES: usize = 16;
    let (blocks, tail) = scores.as_chunks::<LANES>();
    let mut best = [f32::NEG_INFINITY; LANES];
    let mut at = [0u32; LANES];
    for (b, block) in blocks.iter().enumerate() {
        for i in 0..LANES {
            if block[i] > best[i] {
                best[i] = block[i];
                at[i] = (b * LANES + i) as u32;
            }
        }
    }
    let lanes = best.into_iter().zip(at);
    let rest = tail.iter().enumerate().map(|(i, &v)| (v, (blocks.len() * LANES + i) as u32));
    let candidates = lanes.chain(rest).filter(|(v, _)| !v.is_nan());
    let first_max = |a: (f32, u32), b: (f32, u32)| if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a };
    match scores.is_empty() {
        true => None,
        false => Some(candidates.fold((f32::NEG_INFINITY, 0), first_max).1),
    }
}

/// The highest-scoring token that `fits`: the arg-max first (usually it
/// does), then the rest in order.
fn most_likely(scores: &[f32], fits: impl Fn(u32) -> bool) -> Option<u32> {
    let best = best_index(scores)?;
    if fits(best) {
        return Some(best);
    }
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_unstable_by(|a, b| scores[*b as usize].total_cmp(&scores[*a as usize]));
    order.into_iter().find(|&id| fits(id))
}

/// Chat formats for models whose file carries no template.
fn fallback_template(architecture: &str) -> Option<&'static str> {
    match architecture {
        "qwen2" | "qwen3" => Some(
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\
             {% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        ),
        "gemma3" => Some(
            "{{ bos_token }}{% for m in messages %}<start_of_turn>{% if m.role == 'assistant' %}model{% else %}{{ m.role }}{% endif %}\n\
             {{ m.content }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_index_is_the_first_largest_in_blocks_and_tail() {
        let mut scores: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin()).collect();
        let plain = |s: &[f32]| (0..s.len()).fold(0, |best, i| if s[i] > s[best] { i } else { best }) as u32;
        assert_eq!(best_index(&scores), Some(plain(&scores)));
        scores[35] = 9.0; // in the tail
        assert_eq!(best_index(&scores), Some(35));
        scores[3] = 9.0; // an equal one earlier wins
        assert_eq!(best_index(&scores), Some(3));
        assert_eq!(best_index(&[]), None);
    }
}

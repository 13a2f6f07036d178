//! The tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.*`),
//! rebuilt to give the same token ids as llama.cpp.
//!
//! Two families:
//! - `gpt2` (Qwen 2/3, Llama 3): byte-level BPE with merges and a
//!   pre-tokenizer regex chosen by `tokenizer.ggml.pre`. Built on the
//!   `tokenizers` crate.
//! - `llama` (SentencePiece; Gemma, Llama 2): llama.cpp's SPM algorithm —
//!   spaces become `▁`, adjacent pieces are merged by highest vocabulary score,
//!   characters missing from the vocabulary fall back to `<0xNN>` byte tokens.
//!   `tokenizers` has no exact equivalent (its Unigram is Viterbi, not greedy
//!   merging), so this one is written out here.
//!
//! In both, user-defined tokens (type 4) are cut out of the text before the
//! model's algorithm runs, as llama.cpp does; control tokens (`<|im_start|>`)
//! are only recognised when `parse_special` is set.

use std::collections::{BinaryHeap, HashMap};

use candle_core::quantized::gguf_file::{Content, Value};

use super::LmError;

/// llama.cpp's token types.
const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;

/// The Qwen 2 pre-tokenizer (llama.cpp `LLAMA_VOCAB_PRE_TYPE_QWEN2`).
const QWEN2_PATTERN: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// GPT-2's own pattern, for `pre = default` byte-level models.
const GPT2_PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
/// Llama 3 (`pre = llama-bpe`).
const LLAMA3_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

pub struct GgufTokenizer {
    tokens: Vec<String>,
    types: Vec<i32>,
    ids: HashMap<String, u32>,
    kind: Kind,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// Whether prompts start with BOS (`tokenizer.ggml.add_bos_token`).
    pub add_bos: bool,
    /// Tokens cut out of plain text: user-defined ones, longest first.
    specials_plain: Vec<u32>,
    /// The same with control tokens, for `parse_special`.
    specials_all: Vec<u32>,
}

enum Kind {
    BytePairs(Box<tokenizers::Tokenizer>),
    SentencePiece { scores: Vec<f32>, add_space_prefix: bool },
}

fn meta<'a>(content: &'a Content, key: &str) -> Result<&'a Value, LmError> {
    content.metadata.get(key).ok_or_else(|| LmError::Metadata { key: key.to_string(), message: "missing".into() })
}

fn bad(key: &str, e: impl std::fmt::Display) -> LmError {
    LmError::Metadata { key: key.to_string(), message: e.to_string() }
}

fn strings(content: &Content, key: &str) -> Result<Vec<String>, LmError> {
    meta(content, key)?
        .to_vec()
        .map_err(|e| bad(key, e))?
        .iter()
        .map(|v| v.to_string().cloned().map_err(|e| bad(key, e)))
        .collect()
}

fn optional_u32(content: &Content, key: &str) -> Option<u32> {
    content.metadata.get(key).and_then(|v| v.to_u32().ok())
}

fn optional_bool(content: &Content, key: &str) -> Option<bool> {
    content.metadata.get(key).and_then(|v| v.to_bool().ok())
}

impl GgufTokenizer {
    pub fn from_gguf(content: &Content) -> Result<Self, LmError> {
        let model =
            meta(content, "tokenizer.ggml.model")?.to_string().map_err(|e| bad("tokenizer.ggml.model", e))?.clone();
        let tokens = strings(content, "tokenizer.ggml.tokens")?;
        let types: Vec<i32> = match content.metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(|e| bad("tokenizer.ggml.token_type", e))?
                .iter()
                .map(|t| t.to_i32().unwrap_or(1))
                .collect(),
            None => vec![1; tokens.len()],
        };
        let ids: HashMap<String, u32> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        let longest_first = |wanted: &[i32]| {
            let mut list: Vec<u32> =
                (0..tokens.len() as u32).filter(|&i| wanted.contains(&types[i as usize])).collect();
            list.sort_by_key(|&i| std::cmp::Reverse(tokens[i as usize].len()));
            list
        };
        let specials_plain = longest_first(&[TYPE_USER_DEFINED]);
        let specials_all = longest_first(&[TYPE_USER_DEFINED, TYPE_CONTROL]);
        let kind = match model.as_str() {
            "gpt2" => {
                let pre =
                    content.metadata.get("tokenizer.ggml.pre").and_then(|v| v.to_string().ok()).map(String::as_str);
                let pattern = match pre {
                    Some("qwen2") => QWEN2_PATTERN,
                    Some("llama-bpe" | "llama3") => LLAMA3_PATTERN,
                    _ => GPT2_PATTERN,
                };
                let merges = strings(content, "tokenizer.ggml.merges")?;
                Kind::BytePairs(Box::new(byte_level_bpe(&ids, &merges, pattern)?))
            }
            "llama" => {
                let scores = match content.metadata.get("tokenizer.ggml.scores") {
                    Some(v) => v
                        .to_vec()
                        .map_err(|e| bad("tokenizer.ggml.scores", e))?
                        .iter()
                        .map(|s| s.to_f32().unwrap_or(0.0))
                        .collect(),
                    None => vec![0.0; tokens.len()],
                };
                let add_space_prefix = optional_bool(content, "tokenizer.ggml.add_space_prefix").unwrap_or(true);
                Kind::SentencePiece { scores, add_space_prefix }
            }
            other => return Err(LmError::UnsupportedTokenizer(other.to_string())),
        };
        Ok(Self {
            bos: optional_u32(content, "tokenizer.ggml.bos_token_id"),
            eos: optional_u32(content, "tokenizer.ggml.eos_token_id"),
            add_bos: optional_bool(content, "tokenizer.ggml.add_bos_token")
                .unwrap_or(matches!(kind, Kind::SentencePiece { .. })),
            tokens,
            types,
            ids,
            kind,
            specials_plain,
            specials_all,
        })
    }

    /// The id of a token written exactly as in the vocabulary (`<|im_end|>`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Token ids of `text`; with `add_bos`, BOS first when the model wants it;
    /// with `parse_special`, control tokens written in the text are recognised.
    pub fn encode(&self, text: &str, add_bos: bool, parse_special: bool) -> Result<Vec<u32>, LmError> {
        let mut out = Vec::new();
        if add_bos && self.add_bos {
            out.extend(self.bos);
        }
        let specials = if parse_special { &self.specials_all } else { &self.specials_plain };
        // SentencePiece models with a space prefix put it at the start and after
        // every special token, as llama.cpp does.
        let mut after_special = true;
        for piece in self.partition(text, specials) {
            match piece {
                Piece::Special(id) => out.push(id),
                Piece::Text(text) => self.encode_plain(text, after_special, &mut out)?,
            }
            after_special = matches!(piece, Piece::Special(_));
        }
        Ok(out)
    }

    /// Cuts `text` around every occurrence of a special token, longest first.
    fn partition<'t>(&self, text: &'t str, specials: &[u32]) -> Vec<Piece<'t>> {
        let mut pieces = vec![Piece::Text(text)];
        for &id in specials {
            let token = self.tokens[id as usize].as_str();
            if token.is_empty() {
                continue;
            }
            pieces = pieces
                .into_iter()
                .flat_map(|piece| match piece {
                    Piece::Text(text) if text.contains(token) => {
                        let mut split = Vec::new();
                        let mut rest = text;
                        while let Some(at) = rest.find(token) {
                            if at > 0 {
                                split.push(Piece::Text(&rest[..at]));
                            }
                            split.push(Piece::Special(id));
                            rest = &rest[at + token.len()..];
                        }
                        if !rest.is_empty() {
                            split.push(Piece::Text(rest));
                        }
                        split
                    }
                    other => vec![other],
                })
                .collect();
        }
        pieces
    }

    fn encode_plain(&self, text: &str, after_special: bool, out: &mut Vec<u32>) -> Result<(), LmError> {
        match &self.kind {
            Kind::BytePairs(tokenizer) => {
                let encoding = tokenizer.encode(text, false).map_err(|e| LmError::Tokenize(e.to_string()))?;
                out.extend_from_slice(encoding.get_ids());
            }
            Kind::SentencePiece { scores, add_space_prefix } => {
                let mut escaped = String::with_capacity(text.len() + 3);
                if *add_space_prefix && after_special {
                    escaped.push('▁');
                }
                escaped.extend(text.chars().map(|c| if c == ' ' { '▁' } else { c }));
                self.sentencepiece(&escaped, scores, out);
            }
        }
        Ok(())
    }

    /// llama.cpp's `llm_tokenizer_spm`: start from characters, repeatedly merge
    /// the adjacent pair whose concatenation is the best-scoring vocabulary
    /// entry (leftmost on ties), then map each piece to its id or its bytes.
    fn sentencepiece(&self, text: &str, scores: &[f32], out: &mut Vec<u32>) {
        // Symbols as byte ranges of `text`, linked left/right.
        let mut symbols: Vec<Symbol> =
            text.char_indices().map(|(start, c)| Symbol { start, len: c.len_utf8(), prev: None, next: None }).collect();
        let n = symbols.len();
        for (i, symbol) in symbols.iter_mut().enumerate() {
            symbol.prev = i.checked_sub(1);
            symbol.next = (i + 1 < n).then_some(i + 1);
        }
        let mut queue = BinaryHeap::new();
        let try_pair = |symbols: &[Symbol], left: usize, queue: &mut BinaryHeap<Bigram>| {
            let Some(right) = symbols[left].next else { return };
            let (start, end) = (symbols[left].start, symbols[right].start + symbols[right].len);
            if let Some(&id) = self.ids.get(&text[start..end]) {
                queue.push(Bigram { score: scores[id as usize], left, right, size: end - start });
            }
        };
        for i in 0..n.saturating_sub(1) {
            try_pair(&symbols, i, &mut queue);
        }
        while let Some(bigram) = queue.pop() {
            let (left, right) = (bigram.left, bigram.right);
            // Skip pairs made stale by an earlier merge.
            if symbols[left].len == 0
                || symbols[right].len == 0
                || symbols[left].len + symbols[right].len != bigram.size
            {
                continue;
            }
            symbols[left].len += symbols[right].len;
            symbols[right].len = 0;
            symbols[left].next = symbols[right].next;
            if let Some(next) = symbols[right].next {
                symbols[next].prev = Some(left);
            }
            if let Some(prev) = symbols[left].prev {
                try_pair(&symbols, prev, &mut queue);
            }
            try_pair(&symbols, left, &mut queue);
        }
        let mut at = (n > 0).then_some(0);
        while let Some(i) = at {
            let piece = &text[symbols[i].start..symbols[i].start + symbols[i].len];
            match self.ids.get(piece) {
                Some(&id) => out.push(id),
                None => {
                    for byte in piece.bytes() {
                        let id = self.ids.get(&format!("<0x{byte:02X}>")).copied();
                        out.extend(id.or(self.ids.get("<unk>").copied()));
                    }
                }
            }
            at = symbols[i].next;
        }
    }

    /// The bytes a token stands for (byte-fallback tokens give one byte; `▁` a space).
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(token) = self.tokens.get(id as usize) else { return Vec::new() };
        if self.types[id as usize] == TYPE_CONTROL {
            return Vec::new();
        }
        match &self.kind {
            Kind::BytePairs(_) => token.chars().filter_map(byte_of_gpt2_char).collect(),
            Kind::SentencePiece { .. } => {
                if let Some(hex) = token.strip_prefix("<0x").and_then(|t| t.strip_suffix('>')) {
                    if let Ok(byte) = u8::from_str_radix(hex, 16) {
                        return vec![byte];
                    }
                }
                token.replace('▁', " ").into_bytes()
            }
        }
    }

    /// A token exactly as the vocabulary writes it, control tokens included.
    pub fn decode_special(&self, id: u32) -> String {
        self.tokens.get(id as usize).cloned().unwrap_or_default()
    }

    /// Text of a token sequence (invalid UTF-8 replaced).
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

enum Piece<'t> {
    Text(&'t str),
    Special(u32),
}

struct Symbol {
    start: usize,
    len: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

/// A candidate merge; the heap pops the best score, then the leftmost.
struct Bigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Bigram {}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Bigram {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.left.cmp(&self.left))
    }
}

/// GPT-2's printable stand-ins for bytes, reversed.
fn byte_of_gpt2_char(c: char) -> Option<u8> {
    let c = c as u32;
    let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    if c < 256 && printable(c) {
        return Some(c as u8);
    }
    // Non-printable bytes were shifted to 256 + their rank among non-printables.
    let rank = c.checked_sub(256)?;
    (0u32..256).filter(|b| !printable(*b)).nth(rank as usize).map(|b| b as u8)
}

fn byte_level_bpe(
    ids: &HashMap<String, u32>,
    merges: &[String],
    pattern: &str,
) -> Result<tokenizers::Tokenizer, LmError> {
    use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
    use tokenizers::models::bpe::BPE;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::sequence::Sequence;
    use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
    use tokenizers::pre_tokenizers::PreTokenizerWrapper;
    use tokenizers::SplitDelimiterBehavior;

    let err = |e: tokenizers::Error| LmError::Tokenize(e.to_string());
    let merges: Vec<(String, String)> =
        merges.iter().filter_map(|m| m.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string()))).collect();
    let vocab: tokenizers::models::bpe::Vocab = ids.iter().map(|(t, &i)| (t.clone(), i)).collect();
    let bpe = BPE::builder().vocab_and_merges(vocab, merges).ignore_merges(false).build().map_err(err)?;
    let split =
        Split::new(SplitPattern::Regex(pattern.to_string()), SplitDelimiterBehavior::Isolated, false).map_err(err)?;
    let pre = Sequence::new(vec![
        PreTokenizerWrapper::Split(split),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
    ]);
    let mut tokenizer = tokenizers::Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(pre));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    Ok(tokenizer)
}

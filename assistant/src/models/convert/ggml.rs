//! Hugging Face Whisper (`model.safetensors` + `config.json` + `tokenizer.json`)
//! → whisper.cpp's GGML model file, for the whisper.cpp backend.
//!
//! Layout (little-endian, as whisper.cpp's `convert-pt-to-ggml.py` writes it):
//! magic `0x67676d6c`; 11 i32 hyper-parameters; the mel filterbank (i32 n_mel,
//! i32 n_fft, f32 values); the byte-level vocabulary without special tokens
//! (i32 count, then i32 length + bytes each); then per tensor: i32 rank, i32 name
//! length, i32 type (0 f32, 1 f16), i32 dims innermost first, name, data.
//! Matrices are f16; vectors, position embeddings and conv biases (reshaped to
//! `[n, 1]`) are f32. Tensor names are OpenAI's (`encoder.blocks.0.attn.query…`).

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use half::f16;
use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};

use crate::audio::filterbank::mel_filters;
use crate::models::{ModelError, Result};

pub const GGML_MAGIC: u32 = 0x6767_6d6c;
const N_FFT: usize = 400;
const SAMPLE_RATE: usize = 16_000;

/// The hyper-parameters at the head of a whisper.cpp GGML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GgmlHeader {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl GgmlHeader {
    /// Reads and sanity-checks the header of a GGML Whisper file.
    pub fn read(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(ModelError::io(path))?;
        let mut raw = [0u8; 48];
        let got = read_up_to(&mut file, &mut raw).map_err(ModelError::io(path))?;
        let format_error =
            |offset: u64, message: String| ModelError::Format { path: path.to_path_buf(), offset, message };
        if got < 4 || u32::from_le_bytes(raw[0..4].try_into().unwrap()) != GGML_MAGIC {
            return Err(format_error(0, "not a whisper.cpp GGML file (bad magic)".into()));
        }
        if got < raw.len() {
            return Err(format_error(got as u64, "file ends inside the header: truncated".into()));
        }
        let field = |i: usize| i32::from_le_bytes(raw[4 + 4 * i..8 + 4 * i].try_into().unwrap());
        let header = GgmlHeader {
            n_vocab: field(0),
            n_audio_ctx: field(1),
            n_audio_state: field(2),
            n_audio_head: field(3),
            n_audio_layer: field(4),
            n_text_ctx: field(5),
            n_text_state: field(6),
            n_text_head: field(7),
            n_text_layer: field(8),
            n_mels: field(9),
            ftype: field(10),
        };
        if header.n_vocab <= 0 || header.n_audio_state <= 0 || header.n_mels <= 0 {
            return Err(format_error(4, format!("implausible hyper-parameters {header:?}")));
        }
        Ok(header)
    }
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[derive(serde::Deserialize)]
struct HfDims {
    vocab_size: i32,
    max_source_positions: i32,
    d_model: i32,
    encoder_attention_heads: i32,
    encoder_layers: i32,
    max_target_positions: i32,
    decoder_attention_heads: i32,
    decoder_layers: i32,
    num_mel_bins: i32,
}

/// Writes `out` (a GGML file) from a Hugging Face Whisper directory.
pub fn export(hf_dir: &Path, out: &Path) -> Result<GgmlHeader> {
    let config_path = hf_dir.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(ModelError::io(&config_path))?;
    let dims: HfDims = serde_json::from_str(&text)
        .map_err(|e| ModelError::Invalid { path: config_path.clone(), message: e.to_string() })?;
    let header = GgmlHeader {
        n_vocab: dims.vocab_size,
        n_audio_ctx: dims.max_source_positions,
        n_audio_state: dims.d_model,
        n_audio_head: dims.encoder_attention_heads,
        n_audio_layer: dims.encoder_layers,
        n_text_ctx: dims.max_target_positions,
        n_text_state: dims.d_model,
        n_text_head: dims.decoder_attention_heads,
        n_text_layer: dims.decoder_layers,
        n_mels: dims.num_mel_bins,
        ftype: 1,
    };
    let vocabulary = byte_vocabulary(&hf_dir.join("tokenizer.json"))?;

    let weights_path = hf_dir.join("model.safetensors");
    let file = std::fs::File::open(&weights_path).map_err(ModelError::io(&weights_path))?;
    // SAFETY: read-only map of a file nobody writes during the export.
    let map = unsafe { Mmap::map(&file) }.map_err(ModelError::io(&weights_path))?;
    let weights = SafeTensors::deserialize(&map)
        .map_err(|e| ModelError::Invalid { path: weights_path.clone(), message: e.to_string() })?;

    let file = std::fs::File::create(out).map_err(ModelError::io(out))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let io = ModelError::io(out);
    write_all(&mut w, &header, &vocabulary, &weights, &weights_path).map_err(|e| match e {
        WriteError::Io(e) => io(e),
        WriteError::Model(e) => e,
    })?;
    Ok(header)
}

enum WriteError {
    Io(std::io::Error),
    Model(ModelError),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

fn write_all(
    w: &mut impl Write,
    header: &GgmlHeader,
    vocabulary: &[Vec<u8>],
    weights: &SafeTensors,
    weights_path: &Path,
) -> std::result::Result<(), WriteError> {
    let i32s = |w: &mut dyn Write, values: &[i32]| -> std::io::Result<()> {
        values.iter().try_for_each(|v| w.write_all(&v.to_le_bytes()))
    };
    w.write_all(&GGML_MAGIC.to_le_bytes())?;
    let h = header;
    i32s(w, &[h.n_vocab, h.n_audio_ctx, h.n_audio_state, h.n_audio_head, h.n_audio_layer])?;
    i32s(w, &[h.n_text_ctx, h.n_text_state, h.n_text_head, h.n_text_layer, h.n_mels, h.ftype])?;

    let n_freq = N_FFT / 2 + 1;
    let filters = mel_filters(SAMPLE_RATE, N_FFT, h.n_mels as usize);
    i32s(w, &[h.n_mels, n_freq as i32])?;
    filters.iter().try_for_each(|v| w.write_all(&v.to_le_bytes()))?;

    i32s(w, &[vocabulary.len() as i32])?;
    for token in vocabulary {
        i32s(w, &[token.len() as i32])?;
        w.write_all(token)?;
    }

    let mut names: Vec<String> = weights.names().into_iter().map(String::from).collect();
    names.sort();
    for hf_name in names {
        let Some(name) = openai_name(&hf_name) else {
            continue;
        };
        let view = weights.tensor(&hf_name).map_err(|e| {
            WriteError::Model(ModelError::Invalid { path: weights_path.to_path_buf(), message: e.to_string() })
        })?;
        let values = to_f32(view.dtype(), view.data()).ok_or_else(|| {
            WriteError::Model(ModelError::Invalid {
                path: weights_path.to_path_buf(),
                message: format!("{hf_name}: unsupported dtype {:?}", view.dtype()),
            })
        })?;
        let mut shape = view.shape().to_vec();
        let is_conv_bias = name.starts_with("encoder.conv") && name.ends_with(".bias");
        if is_conv_bias {
            shape.push(1);
        }
        let keep_f32 = shape.len() < 2 || is_conv_bias || name.ends_with("positional_embedding");
        i32s(w, &[shape.len() as i32, name.len() as i32, if keep_f32 { 0 } else { 1 }])?;
        let dims: Vec<i32> = shape.iter().rev().map(|&d| d as i32).collect();
        i32s(w, &dims)?;
        w.write_all(name.as_bytes())?;
        if keep_f32 {
            values.iter().try_for_each(|v| w.write_all(&v.to_le_bytes()))?;
        } else {
            values.iter().try_for_each(|v| w.write_all(&f16::from_f32(*v).to_le_bytes()))?;
        }
    }
    w.flush()?;
    Ok(())
}

fn to_f32(dtype: Dtype, data: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => data.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        _ => return None,
    })
}

/// The OpenAI (whisper.cpp) name of a Hugging Face Whisper tensor; `None` for
/// tensors whisper.cpp does not read (the tied output projection).
pub fn openai_name(hf: &str) -> Option<String> {
    let name = hf.strip_prefix("model.")?;
    let fixed = [
        ("encoder.embed_positions.weight", "encoder.positional_embedding"),
        ("decoder.embed_positions.weight", "decoder.positional_embedding"),
        ("decoder.embed_tokens.weight", "decoder.token_embedding.weight"),
    ];
    if let Some((_, to)) = fixed.iter().find(|(from, _)| *from == name) {
        return Some(to.to_string());
    }
    let renamed = name
        .replace(".layers.", ".blocks.")
        .replace("encoder.layer_norm.", "encoder.ln_post.")
        .replace("decoder.layer_norm.", "decoder.ln.")
        .replace(".self_attn_layer_norm.", ".attn_ln.")
        .replace(".encoder_attn_layer_norm.", ".cross_attn_ln.")
        .replace(".final_layer_norm.", ".mlp_ln.")
        .replace(".self_attn.", ".attn.")
        .replace(".encoder_attn.", ".cross_attn.")
        .replace(".q_proj.", ".query.")
        .replace(".k_proj.", ".key.")
        .replace(".v_proj.", ".value.")
        .replace(".out_proj.", ".out.")
        .replace(".fc1.", ".mlp.0.")
        .replace(".fc2.", ".mlp.2.");
    Some(renamed)
}

/// The byte strings of the ordinary (non-special) tokens, in id order, from a
/// Hugging Face byte-level BPE `tokenizer.json`.
pub fn byte_vocabulary(tokenizer_json: &Path) -> Result<Vec<Vec<u8>>> {
    #[derive(serde::Deserialize)]
    struct TokenizerFile {
        model: BpeModel,
    }
    #[derive(serde::Deserialize)]
    struct BpeModel {
        vocab: HashMap<String, u32>,
    }
    let text = std::fs::read_to_string(tokenizer_json).map_err(ModelError::io(tokenizer_json))?;
    let invalid = |message: String| ModelError::Invalid { path: tokenizer_json.to_path_buf(), message };
    let parsed: TokenizerFile = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let decoder = byte_decoder();
    let mut entries: Vec<(u32, &String)> = parsed
        .model
        .vocab
        .iter()
        .filter(|(token, _)| !(token.starts_with("<|") && token.ends_with("|>")))
        .map(|(token, &id)| (id, token))
        .collect();
    entries.sort();
    entries
        .iter()
        .enumerate()
        .map(|(position, (id, token))| {
            if *id as usize != position {
                return Err(invalid(format!("vocabulary ids are not contiguous at id {id}")));
            }
            token
                .chars()
                .map(|c| {
                    decoder.get(&c).copied().ok_or_else(|| invalid(format!("token {token:?} is not byte-level BPE")))
                })
                .collect()
        })
        .collect()
}

/// GPT-2's byte ↔ printable-character table, inverted: printable bytes map to
/// themselves, the others to U+0100 onwards.
fn byte_decoder() -> HashMap<char, u8> {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b);
    let mut next = 256u32;
    (0u8..=255)
        .map(|b| {
            let c = if printable(b) {
                b as u32
            } else {
                next += 1;
                next - 1
            };
            (char::from_u32(c).expect("valid code point"), b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_names_match_whisper_cpp() {
        let cases = [
            ("model.encoder.layers.3.self_attn.q_proj.weight", "encoder.blocks.3.attn.query.weight"),
            ("model.decoder.layers.0.encoder_attn.v_proj.bias", "decoder.blocks.0.cross_attn.value.bias"),
            ("model.decoder.layers.5.encoder_attn_layer_norm.weight", "decoder.blocks.5.cross_attn_ln.weight"),
            ("model.encoder.layers.1.fc2.bias", "encoder.blocks.1.mlp.2.bias"),
            ("model.encoder.layers.1.final_layer_norm.bias", "encoder.blocks.1.mlp_ln.bias"),
            ("model.encoder.layer_norm.weight", "encoder.ln_post.weight"),
            ("model.decoder.layer_norm.bias", "decoder.ln.bias"),
            ("model.decoder.embed_tokens.weight", "decoder.token_embedding.weight"),
            ("model.encoder.embed_positions.weight", "encoder.positional_embedding"),
            ("model.encoder.conv1.bias", "encoder.conv1.bias"),
        ];
        for (hf, openai) in cases {
            assert_eq!(openai_name(hf).as_deref(), Some(openai), "{hf}");
        }
    }

    #[test]
    fn byte_decoder_is_a_bijection() {
        let decoder = byte_decoder();
        assert_eq!(decoder.len(), 256);
        assert_eq!(decoder[&'Ġ'], b' ');
        assert_eq!(decoder[&'A'], b'A');
    }
}

//! Writes tiny random-weight Whisper models in CTranslate2's `model.bin` format,
//! for shape tests and for corrupting on purpose.

use std::io::Write;
use std::path::Path;

/// Dimensions of a tiny Whisper; the vocabulary is the real multilingual one so
/// the real tokenizer.json fits it.
pub struct TinyDims {
    pub d_model: usize,
    pub heads: usize,
    pub layers: usize,
    pub ffn: usize,
}

// Whisper's feed-forward width is always 4 × d_model (candle assumes it).
pub const TINY: TinyDims = TinyDims { d_model: 8, heads: 2, layers: 1, ffn: 32 };
const VOCAB: usize = 51865;
const N_MELS: usize = 80;

struct Writer {
    out: Vec<u8>,
    count: u32,
    seed: u32,
}

impl Writer {
    fn string(&mut self, s: &str) {
        self.out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
    }

    fn random(&mut self) -> f32 {
        // xorshift: deterministic small weights.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        (self.seed as f32 / u32::MAX as f32 - 0.5) * 0.2
    }

    fn tensor(&mut self, name: &str, shape: &[usize], value: Option<f32>) {
        self.count += 1;
        self.string(name);
        self.out.push(shape.len() as u8);
        for d in shape {
            self.out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        self.out.push(4); // float16
        let n: usize = shape.iter().product();
        self.out.extend_from_slice(&((n * 2) as u32).to_le_bytes());
        for _ in 0..n {
            let v = value.unwrap_or_else(|| self.random());
            self.out.extend_from_slice(&half::f16::from_f32(v).to_le_bytes());
        }
    }

    fn scalar_i16(&mut self, name: &str, value: i16) {
        self.count += 1;
        self.string(name);
        self.out.push(0);
        self.out.push(2);
        self.out.extend_from_slice(&2u32.to_le_bytes());
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    fn linear(&mut self, name: &str, rows: usize, cols: usize) {
        self.tensor(&format!("{name}/weight"), &[rows, cols], None);
        self.tensor(&format!("{name}/bias"), &[rows], None);
    }

    fn norm(&mut self, name: &str, d: usize) {
        self.tensor(&format!("{name}/gamma"), &[d], Some(1.0));
        self.tensor(&format!("{name}/beta"), &[d], Some(0.0));
    }
}

/// Writes a CTranslate2 Whisper directory (model.bin, config.json and the real
/// tokenizer.json copied from `tokenizer`) into `dir`.
pub fn write_tiny_whisper(dir: &Path, dims: &TinyDims, tokenizer: &Path) {
    let d = dims.d_model;
    let mut w = Writer { out: Vec::new(), count: 0, seed: 0x1234_5678 };
    let mut body = Writer { out: Vec::new(), count: 0, seed: w.seed };
    body.tensor("encoder/conv1/weight", &[d, N_MELS, 3], None);
    body.tensor("encoder/conv1/bias", &[d], None);
    body.tensor("encoder/conv2/weight", &[d, d, 3], None);
    body.tensor("encoder/conv2/bias", &[d], None);
    body.tensor("encoder/position_encodings/encodings", &[1500, d], None);
    body.scalar_i16("encoder/num_heads", dims.heads as i16);
    body.norm("encoder/layer_norm", d);
    body.tensor("decoder/embeddings/weight", &[VOCAB, d], None);
    body.tensor("decoder/position_encodings/encodings", &[448, d], None);
    body.scalar_i16("decoder/num_heads", dims.heads as i16);
    body.norm("decoder/layer_norm", d);
    for stack in ["encoder", "decoder"] {
        for i in 0..dims.layers {
            let p = format!("{stack}/layer_{i}");
            body.linear(&format!("{p}/self_attention/linear_0"), 3 * d, d);
            body.linear(&format!("{p}/self_attention/linear_1"), d, d);
            body.norm(&format!("{p}/self_attention/layer_norm"), d);
            if stack == "decoder" {
                body.linear(&format!("{p}/attention/linear_0"), d, d);
                body.linear(&format!("{p}/attention/linear_1"), 2 * d, d);
                body.linear(&format!("{p}/attention/linear_2"), d, d);
                body.norm(&format!("{p}/attention/layer_norm"), d);
            }
            body.linear(&format!("{p}/ffn/linear_0"), dims.ffn, d);
            body.linear(&format!("{p}/ffn/linear_1"), d, dims.ffn);
            body.norm(&format!("{p}/ffn/layer_norm"), d);
        }
    }
    w.out.extend_from_slice(&6u32.to_le_bytes());
    w.string("WhisperSpec");
    w.out.extend_from_slice(&3u32.to_le_bytes());
    w.out.extend_from_slice(&body.count.to_le_bytes());
    w.out.extend_from_slice(&body.out);
    w.out.extend_from_slice(&1u32.to_le_bytes());
    w.string("decoder/projection/weight");
    w.string("decoder/embeddings/weight");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::File::create(dir.join("model.bin")).unwrap().write_all(&w.out).unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"suppress_ids": [1, 2], "suppress_ids_begin": [220, 50257], "lang_ids": [50259]}"#,
    )
    .unwrap();
    std::fs::copy(tokenizer, dir.join("tokenizer.json")).unwrap();
}

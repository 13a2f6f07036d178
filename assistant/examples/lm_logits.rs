//! Prints the top logits after a prompt, position by position, to compare the
//! candle models with llama.cpp (see `scripts/lm-greedy-reference`).
//!
//! `cargo run --release --example lm_logits -- MODEL.gguf "prompt" [EXTRA_TOKEN_IDS…]`

use awal::lm::model::Transformer;
use awal::lm::GgufFile;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let gguf = GgufFile::open(std::path::Path::new(&args[1]))?;
    let tokenizer = gguf.tokenizer()?;
    let mut ids = tokenizer.encode(&args[2], true, false)?;
    let prompt_len = ids.len();
    ids.extend(args[3..].iter().map(|a| a.parse::<u32>().unwrap()));
    let mut model = Transformer::load(gguf)?;
    let mut logits = model.forward(&ids[..prompt_len], 0)?;
    for position in prompt_len..=ids.len() {
        let row = logits.to_vec1::<f32>()?;
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|a, b| row[*b].total_cmp(&row[*a]));
        let top: Vec<String> = order[..3].iter().map(|&i| format!("{i}:{:.2}", row[i])).collect();
        println!("after {position} tokens: {}", top.join(" "));
        if position == ids.len() {
            break;
        }
        logits = model.forward(&ids[position..position + 1], position)?;
    }
    Ok(())
}

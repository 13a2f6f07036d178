//! Runs prefill and decode steps in a loop, for `perf record`.
//! `cargo run --release --example lm_profile -- MODEL.gguf [STEPS]`
use awal::lm::model::Transformer;
use awal::lm::GgufFile;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let steps: usize = args.get(2).map_or(200, |s| s.parse().unwrap());
    let started = std::time::Instant::now();
    let gguf = GgufFile::open(std::path::Path::new(&args[1]))?;
    println!("header: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    gguf.tokenizer()?;
    println!("tokenizer: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let mut model = Transformer::load(gguf)?;
    println!("weights: {:?}", started.elapsed());
    let prompt: Vec<u32> = (0..128).map(|i| 1000 + i).collect();
    let started = std::time::Instant::now();
    model.forward(&prompt, 0)?;
    println!("prefill 128: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    for _ in 0..steps {
        model.forward(&[1234], 128)?;
    }
    println!("decode: {:?} per token", started.elapsed() / steps.max(1) as u32);
    Ok(())
}

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use awal::lm::{GenerationParams, GgufModel, JsonGrammar};

use super::{print_json, Session};

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question or instruction.
    pub prompt: String,
    /// Model id (default: the configured language model).
    #[arg(long)]
    pub model: Option<String>,
    /// A system message before the question.
    #[arg(long)]
    pub system: Option<String>,
    /// Answer with exactly one of these labels (constrained decoding).
    #[arg(long, value_delimiter = ',')]
    pub choose: Vec<String>,
    /// Answer with JSON fitting this schema (a file, or the schema itself):
    /// an object of string, enum, integer, number and boolean properties.
    #[arg(long, conflicts_with = "choose")]
    pub schema: Option<String>,
    /// Feed the prompt as it is (with BOS), without the chat template: for base
    /// models and for comparing engines on the same tokens.
    #[arg(long, conflicts_with = "system")]
    pub raw: bool,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SamplingArgs {
    #[arg(long, default_value_t = 256)]
    pub max_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    #[arg(long)]
    pub top_k: Option<usize>,
    #[arg(long)]
    pub top_p: Option<f64>,
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Stop before this string (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
}

impl SamplingArgs {
    fn params(&self) -> GenerationParams {
        GenerationParams {
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repeat_penalty: self.repeat_penalty,
            seed: self.seed,
            stop: self.stop.clone(),
        }
    }
}

#[derive(Serialize)]
struct Answer {
    model: String,
    text: String,
    tokens: usize,
    token_ids: Vec<u32>,
    prompt_tokens: usize,
    /// Prompt tokens whose keys and values were already cached.
    reused_tokens: usize,
    timings_ms: TimingsMs,
    tokens_per_s: TokensPerSecond,
}

#[derive(Serialize)]
struct TimingsMs {
    load: f64,
    prefill: f64,
    generate: f64,
}

#[derive(Serialize)]
struct TokensPerSecond {
    prefill: f64,
    generate: f64,
}

fn load(model: Option<String>, session: &Session) -> anyhow::Result<(String, GgufModel)> {
    let (id, path) = super::lm::model_file(model, session)?;
    Ok((id, GgufModel::load(&path)?))
}

pub fn ask(args: AskArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let (id, mut model) = load(args.model, session)?;
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(("system", system.as_str()));
    }
    messages.push(("user", args.prompt.as_str()));
    let prompt = if args.raw {
        model.tokenizer.encode(&args.prompt, true, false)?
    } else {
        model.encode_prompt(&model.chat_prompt(&messages)?)?
    };
    if !args.choose.is_empty() {
        let labels: Vec<&str> = args.choose.iter().map(String::as_str).collect();
        let label = model.choose(&prompt, &labels)?;
        if args.json {
            print_json(&serde_json::json!({ "model": id, "label": label }))?;
        } else {
            println!("{label}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(schema) = &args.schema {
        let text =
            if std::path::Path::new(schema).is_file() { std::fs::read_to_string(schema)? } else { schema.clone() };
        let schema: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("--schema is not JSON: {e}"))?;
        let (value, _) = model.generate_json(&prompt, &JsonGrammar::from_schema(&schema)?)?;
        print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let stream = !args.json;
    let generation = model.generate(&prompt, &args.sampling.params(), |piece| {
        if stream {
            print!("{piece}");
            let _ = std::io::stdout().flush();
        }
        true
    })?;
    if args.json {
        let t = &generation.timings;
        print_json(&Answer {
            model: id,
            text: generation.text.clone(),
            tokens: generation.tokens.len(),
            token_ids: generation.tokens.clone(),
            prompt_tokens: generation.prompt_tokens,
            reused_tokens: generation.reused_tokens,
            timings_ms: TimingsMs { load: model.load_ms, prefill: t.prefill_ms, generate: t.generate_ms },
            tokens_per_s: TokensPerSecond { prefill: t.prefill_tokens_per_s, generate: t.generate_tokens_per_s },
        })?;
    } else {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

/// A conversation on the terminal: one line per turn, empty line or EOF ends.
pub fn chat(model: Option<String>, sampling: SamplingArgs, session: &Session) -> anyhow::Result<ExitCode> {
    let (_, mut model) = load(model, session)?;
    let mut history: Vec<(String, String)> = Vec::new();
    let stdin = std::io::stdin();
    loop {
        print!("> ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        history.push(("user".into(), line.trim().to_string()));
        let messages: Vec<(&str, &str)> = history.iter().map(|(r, c)| (r.as_str(), c.as_str())).collect();
        let prompt = model.encode_prompt(&model.chat_prompt(&messages)?)?;
        let generation = model.generate(&prompt, &sampling.params(), |piece| {
            print!("{piece}");
            let _ = std::io::stdout().flush();
            true
        })?;
        println!();
        history.push(("assistant".into(), generation.text));
    }
}

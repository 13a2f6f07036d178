//! The small language model: what the skills ask of one ([`LanguageModel`]),
//! and our engine for GGUF files read with candle ([`GgufModel`]), with the
//! tokenizer their metadata carries ([`tokenizer::GgufTokenizer`]).
//!
//! The assistant uses the model to pull form values out of speech and
//! simplify cited text — never to answer rights questions alone. Those uses
//! are skills ([`crate::skills`]); this module knows nothing of the content or
//! of speech.

pub mod attention;
pub mod generate;
pub mod huge_pages;
pub mod json;
pub mod matrix;
pub mod model;
pub mod quant;
pub mod tokenizer;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::Content;
use serde_json::Value;

pub use generate::{Generation, GenerationParams, GgufModel};
pub use json::JsonGrammar;
pub use tokenizer::GgufTokenizer;

#[derive(Debug, thiserror::Error)]
pub enum LmError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a readable GGUF file ({message}); it may be truncated: run `awal models verify`")]
    NotGguf { path: PathBuf, message: String },
    #[error("{path}: no `.gguf` file in this model")]
    NoGgufFile { path: PathBuf },
    #[error("GGUF metadata `{key}`: {message}")]
    Metadata { key: String, message: String },
    #[error("tokenizer model `{0}` is not supported (supported: gpt2, llama)")]
    UnsupportedTokenizer(String),
    #[error("tokenizing failed: {0}")]
    Tokenize(String),
    #[error("{path}: architecture `{architecture}` is not supported (supported: qwen2, qwen3, gemma3, llama)")]
    UnsupportedArchitecture { architecture: String, path: PathBuf },
    #[error("the prompt has {tokens} tokens but the model's context holds {context}: shorten the passages")]
    PromptTooLong { tokens: usize, context: usize },
    #[error("no chat template in the model and no built-in one for `{0}`")]
    NoChatTemplate(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("JSON schema: {0}")]
    Schema(String),
    #[error("model computation failed: {0}")]
    Compute(String),
}

/// What the skills ask of a language model: text after a chat, streamed, and
/// JSON held to a grammar. Messages are (role, content) pairs — `system`,
/// `user` — put in the model's own chat template. Our GGUF engine
/// ([`GgufModel`]) implements it; another engine plugs in here.
pub trait LanguageModel {
    /// What the model writes after `messages`, handed to `on_text` piece by
    /// piece as soon as each is whole UTF-8; `on_text` returning false stops.
    fn chat(
        &mut self,
        messages: &[(&str, &str)],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LmError>;

    /// The JSON value the model writes after `messages`, decoded greedily
    /// and held to `grammar`: it always parses.
    fn chat_json(&mut self, messages: &[(&str, &str)], grammar: &JsonGrammar) -> Result<Value, LmError>;

    /// How many of the model's tokens `text` takes.
    fn count_tokens(&self, text: &str) -> Result<usize, LmError>;
}

impl LanguageModel for GgufModel {
    fn chat(
        &mut self,
        messages: &[(&str, &str)],
        params: &GenerationParams,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LmError> {
        let prompt = self.encode_prompt(&self.chat_prompt(messages)?)?;
        self.generate(&prompt, params, on_text)
    }

    fn chat_json(&mut self, messages: &[(&str, &str)], grammar: &JsonGrammar) -> Result<Value, LmError> {
        let prompt = self.encode_prompt(&self.chat_prompt(messages)?)?;
        Ok(self.generate_json(&prompt, grammar)?.0)
    }

    fn count_tokens(&self, text: &str) -> Result<usize, LmError> {
        Ok(self.tokenizer.encode(text, false, false)?.len())
    }
}

/// A GGUF file's header: metadata and tensor index (the weights stay on disk).
pub struct GgufFile {
    pub path: PathBuf,
    pub content: Content,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self, LmError> {
        let file = File::open(path).map_err(|source| LmError::Io { path: path.to_path_buf(), source })?;
        let content = Content::read(&mut BufReader::new(file))
            .map_err(|e| LmError::NotGguf { path: path.to_path_buf(), message: e.to_string() })?;
        Ok(Self { path: path.to_path_buf(), content })
    }

    /// The one `.gguf` file in an installed model directory.
    pub fn find_in(dir: &Path) -> Result<PathBuf, LmError> {
        let io = |source| LmError::Io { path: dir.to_path_buf(), source };
        let mut found = Vec::new();
        for item in std::fs::read_dir(dir).map_err(io)? {
            let path = item.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "gguf") {
                found.push(path);
            }
        }
        found.sort();
        found.into_iter().next().ok_or_else(|| LmError::NoGgufFile { path: dir.to_path_buf() })
    }

    /// `general.architecture` (qwen2, gemma3, llama, …).
    pub fn architecture(&self) -> Result<&str, LmError> {
        let key = "general.architecture";
        let value = self
            .content
            .metadata
            .get(key)
            .ok_or_else(|| LmError::Metadata { key: key.into(), message: "missing".into() })?;
        value.to_string().map(String::as_str).map_err(|e| LmError::Metadata { key: key.into(), message: e.to_string() })
    }

    pub fn tokenizer(&self) -> Result<GgufTokenizer, LmError> {
        GgufTokenizer::from_gguf(&self.content)
    }
}

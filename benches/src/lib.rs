//! Criterion benchmarks of Awal stages, each beside its peer; this library
//! holds what the benchmarks and the peer binaries share.

use awal::config::Config;
use awal::lm::GgufFile;
use awal::models::ModelStore;

/// The GGUF file of an installed language model.
pub fn lm_file(id: &str) -> std::path::PathBuf {
    let store = ModelStore::new(Config::default().models_dir(None));
    let model = store.installed(id).unwrap_or_else(|| panic!("{id} is not installed: run `awal models fetch {id}`"));
    GgufFile::find_in(&model.dir).expect("a .gguf file in the model")
}

/// The two default language models.
pub const LM_IDS: [&str; 2] = ["gemma3-270m-q4km", "qwen2.5-0.5b-instruct-q4km"];

/// Threads for both engines: the kiosk's budget on a Raspberry Pi beside Whisper.
pub const THREADS: i32 = 2;

/// llama.cpp (through llama-cpp-2) driven the way Awal drives its own model:
/// token ids in, last logits out, the KV cache cut back to a position.
#[cfg(feature = "llama-cpp")]
pub mod llama {
    use std::num::NonZeroU32;
    use std::path::Path;

    use llama_cpp_2::context::params::LlamaContextParams;
    use llama_cpp_2::context::LlamaContext;
    use llama_cpp_2::llama_backend::LlamaBackend;
    use llama_cpp_2::llama_batch::LlamaBatch;
    use llama_cpp_2::model::params::LlamaModelParams;
    use llama_cpp_2::model::LlamaModel;
    use llama_cpp_2::token::LlamaToken;

    pub struct Peer {
        pub backend: LlamaBackend,
        pub model: LlamaModel,
    }

    impl Peer {
        pub fn load(path: &Path) -> Self {
            let mut backend = LlamaBackend::init().expect("llama.cpp backend");
            backend.void_logs();
            let model =
                LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default()).expect("llama.cpp loads");
            Self { backend, model }
        }

        pub fn context(&self, n_ctx: u32) -> LlamaContext<'_> {
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(n_ctx))
                .with_n_batch(n_ctx)
                .with_n_threads(super::THREADS)
                .with_n_threads_batch(super::THREADS);
            self.model.new_context(&self.backend, params).expect("llama.cpp context")
        }
    }

    /// Evaluates `tokens` from `position` (dropping the cache from there) and
    /// returns the arg-max after the last one.
    pub fn eval(context: &mut LlamaContext, tokens: &[u32], position: usize) -> u32 {
        context.clear_kv_cache_seq(Some(0), Some(position as u32), None).expect("cache positions fit");
        let mut batch = LlamaBatch::new(tokens.len(), 1);
        for (i, &token) in tokens.iter().enumerate() {
            batch.add(LlamaToken(token as i32), (position + i) as i32, &[0], i + 1 == tokens.len()).expect("batch");
        }
        context.decode(&mut batch).expect("llama.cpp decodes");
        let logits = context.get_logits_ith(tokens.len() as i32 - 1);
        logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i as u32).expect("logits")
    }
}

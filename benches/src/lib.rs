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

    /// llama.cpp on a thread of its own, timed there. On CPUs with AMX, candle
    /// keeps its tile configuration per thread and llama.cpp's ggml changes the
    /// tile state of the threads it runs on: Awal's next tile instruction on
    /// the same thread then faults (SIGILL; seen on this kind of machine). So in
    /// a benchmark that runs both, llama.cpp never runs on the bench's thread.
    pub struct Remote {
        requests: Option<std::sync::mpsc::Sender<Request>>,
        took: std::sync::mpsc::Receiver<std::time::Duration>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    enum Request {
        /// Load the model and a context this many times.
        Load(u64),
        /// Evaluate the tokens from the position this many times (at least once).
        Eval(Vec<u32>, usize, u64),
    }

    impl Remote {
        /// A thread with `path` loaded and a context of `n_ctx` tokens, for `time_eval`.
        pub fn start(path: &Path, n_ctx: u32) -> Self {
            Self::spawn(path, n_ctx, true)
        }

        /// A thread holding no model, for `time_load` (llama.cpp's backend is
        /// one per process at a time).
        pub fn loader(path: &Path, n_ctx: u32) -> Self {
            Self::spawn(path, n_ctx, false)
        }

        fn spawn(path: &Path, n_ctx: u32, resident: bool) -> Self {
            let (requests, incoming) = std::sync::mpsc::channel::<Request>();
            let (done, took) = std::sync::mpsc::channel();
            let path = path.to_path_buf();
            let thread = std::thread::spawn(move || {
                let peer = resident.then(|| Peer::load(&path));
                let mut context = peer.as_ref().map(|peer| peer.context(n_ctx));
                for request in incoming {
                    let started = std::time::Instant::now();
                    match (request, context.as_mut()) {
                        (Request::Load(times), _) => {
                            for _ in 0..times {
                                let peer = Peer::load(&path);
                                drop(peer.context(n_ctx));
                            }
                        }
                        (Request::Eval(tokens, position, times), Some(context)) => {
                            for _ in 0..times.max(1) {
                                std::hint::black_box(eval(context, &tokens, position));
                            }
                        }
                        (Request::Eval(..), None) => panic!("a loader thread holds no model to evaluate"),
                    }
                    if done.send(started.elapsed()).is_err() {
                        break;
                    }
                }
            });
            Self { requests: Some(requests), took, thread: Some(thread) }
        }

        fn ask(&self, request: Request) -> std::time::Duration {
            self.requests.as_ref().expect("running").send(request).expect("the llama.cpp thread is running");
            self.took.recv().expect("the llama.cpp thread answers")
        }

        /// How long `times` loads of the model and a context took.
        pub fn time_load(&self, times: u64) -> std::time::Duration {
            self.ask(Request::Load(times))
        }

        /// How long `times` evaluations of `tokens` from `position` took.
        pub fn time_eval(&self, tokens: &[u32], position: usize, times: u64) -> std::time::Duration {
            self.ask(Request::Eval(tokens.to_vec(), position, times))
        }
    }

    impl Drop for Remote {
        /// Ends the thread and waits for it, so that its model is freed
        /// before another is loaded.
        fn drop(&mut self) {
            drop(self.requests.take());
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
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

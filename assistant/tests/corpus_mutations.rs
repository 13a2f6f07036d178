//! Random mutations of the committed corpus's entries and forms (bytes
//! flipped, cut, repeated; hostile snippets inserted: template loops,
//! `include`, `..` paths, deep nesting, long lines): `Corpus::load` and
//! `corpus check` never panic and always finish. Each case runs under a
//! watchdog: one that would hang fails the test instead of timing out CI;
//! and the test process under a memory limit ([`MEMORY`]): one that would
//! blow up aborts it with "memory allocation of N bytes failed".
//! `PROPTEST_CASES` sets the number of cases (default below).

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use awal::corpus::check::check;
use awal::corpus::Corpus;
use proptest::prelude::*;

const CASES: u32 = 1000;
const WATCHDOG: Duration = Duration::from_secs(30);
/// The address space of this test process: both tests together need between
/// 128 and 256 MiB of it (peak resident 39 MiB), with a 2 MiB stack per test
/// thread and 8 MiB per load.
const MEMORY: u64 = 512 << 20;

/// Inserted at random places: what a hostile or careless editor writes.
const SNIPPETS: &[&str] = &[
    "{% for a in range(90000) %}{% for b in range(90000) %}x{% endfor %}{% endfor %}",
    "{% include \"/etc/passwd\" %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ \"x\" * 99999999 }}",
    "audio = \"../../../../etc/passwd\"\n",
    "audio = \"/etc/shadow\"\n",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "\"\"\"",
    "'''",
    "\n[text.fr]\n",
    "\n[[fields]]\nid = \"x\"\nkind = \"text\"\n",
    "\u{202e}\u{0}\u{feff}ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "99999999999999999999999999",
    "= \"\"\"\n",
];

fn committed_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("languages") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora"), &mut files);
    files.sort();
    assert!(files.len() > 20, "the committed corpus: {files:?}");
    files
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Cut { at: usize, len: usize },
    Repeat { at: usize, len: usize, times: usize },
    Insert { at: usize, snippet: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), 1usize..200, 2usize..2000).prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(at, snippet)| Mutation::Insert { at, snippet }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |at: usize, bytes: &Vec<u8>| if bytes.is_empty() { 0 } else { at % bytes.len() };
    match *mutation {
        Mutation::Flip { at: i, bit } => {
            if !bytes.is_empty() {
                let i = at(i, bytes);
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::Cut { at: i, len } => {
            let i = at(i, bytes);
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Repeat { at: i, len, times } => {
            let i = at(i, bytes);
            let piece = bytes[i..(i + len).min(bytes.len())].to_vec();
            let repeated = piece.repeat(times);
            bytes.splice(i..i, repeated);
        }
        Mutation::Insert { at: i, snippet } => {
            let i = at(i, bytes);
            bytes.splice(i..i, SNIPPETS[snippet].bytes());
        }
        Mutation::Truncate { at: i } => {
            let i = at(i, bytes);
            bytes.truncate(i);
        }
    }
}

/// Loads and checks a corpus holding the one mutated file, on a thread the
/// watchdog can give up on.
fn load_and_check(relative: &Path, bytes: Vec<u8>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let (done, finished) = mpsc::channel();
    let root = dir.path().to_path_buf();
    // The stack of a main thread (8 MB), where `awal` loads its corpus: the
    // TOML parser's error recovery on ~10,000 unclosed inline tables (a 230 KB
    // file, under the size limit) needs more than a spawned thread's 2 MB.
    let worker = std::thread::Builder::new().stack_size(8 << 20);
    worker
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                let (corpus, problems) = Corpus::load(&root).unwrap();
                check(&corpus, &problems).len()
            });
            let _ = done.send(outcome.map_err(|_| "panicked".to_string()));
        })
        .unwrap();
    match finished.recv_timeout(WATCHDOG) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("still running after {WATCHDOG:?}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_entries_and_forms_never_panic_or_hang(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        common::limit_own_memory(MEMORY);
        let files = committed_files();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora");
        let chosen = file.get(&files);
        let mut bytes = std::fs::read(chosen).unwrap();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        let relative = chosen.strip_prefix(&root).unwrap();
        prop_assert_eq!(load_and_check(relative, bytes), Ok(()), "{} after {:?}", relative.display(), mutations);
    }
}

/// Nesting past what a parser's recursion can take, in TOML and in a
/// template: an error, never a stack overflow (which aborts the kiosk).
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    common::limit_own_memory(MEMORY);
    for depth in [100, 1_000, 10_000, 100_000] {
        for text in [
            format!("a = {}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("a = {}{}", "{ b = ".repeat(depth), "}".repeat(depth)),
            format!("id = \"ma-x\"\n{}", "[".repeat(depth)),
            form_with_template(&"{% for a in name %}".repeat(depth)),
            form_with_template(&format!("{{{{ {} }}}}", "(".repeat(depth))),
            form_with_template(&format!("{{{{ {} }}}}", "[".repeat(depth))),
            form_with_template(&format!("{{{{ x{} }}}}", ".a".repeat(depth))),
            form_with_template(&format!("{{{{ {}x }}}}", "not ".repeat(depth))),
            form_with_template(&format!("{{{{ {}x }}}}", "-".repeat(depth))),
            form_with_template(&format!("{{{{ x{} }}}}", "|e".repeat(depth))),
            form_with_template(&format!("{{{{ x{} }}}}", " ~ x".repeat(depth))),
        ] {
            let relative =
                if text.starts_with("id = \"ma-form-x\"") { "forms/ma-form-x.toml" } else { "ma/x/ma-x.toml" };
            assert_eq!(load_and_check(Path::new(relative), text.into_bytes()), Ok(()));
        }
    }
}

fn form_with_template(template: &str) -> String {
    let head = "id = \"ma-form-x\"\ncountry = \"MA\"\nreview = { status = \"draft\" }\n[title]\nfr = \"Fiche\"\n\
                [[fields]]\nid = \"name\"\nkind = \"text\"\n[fields.prompt]\nfr = \"Quel nom ?\"\n\
                [document.title]\nfr = \"Fiche\"\n[document.template]\nfr = '''";
    format!("{head}{template}'''\n")
}

//! Shared test support: the real installed models, synthesised speech, the
//! `awal` binary, a tiny CTranslate2 Whisper writer and a loopback HTTP server.
#![allow(dead_code)]

pub mod ct2;
pub mod http;
pub mod pulse;

use std::path::{Path, PathBuf};
use std::process::Command;

use awal::config::Config;
use awal::models::{InstalledModel, ModelStore};

/// The models directory the real-model tests read (the one `scripts/test` fills).
pub fn store() -> ModelStore {
    ModelStore::new(Config::default().models_dir(None))
}

/// An installed real model, or a failure that says how to get it.
pub fn real_model(id: &str) -> InstalledModel {
    let store = store();
    store.installed(id).unwrap_or_else(|| {
        panic!(
            "model `{id}` is not installed in {}: run `scripts/test` (which fetches the default pack) \
             or `cargo run -p awal -- models fetch {id}`",
            store.root().display()
        )
    })
}

/// A WAV file of espeak-ng speaking `text` (en-us, 150 words per minute), cached
/// under target/ by content.
pub fn espeak_clip(text: &str, voice: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("speech");
    std::fs::create_dir_all(&dir).unwrap();
    let name: String =
        format!("{voice}-{text}").chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).take(80).collect();
    let path = dir.join(format!("{name}.wav"));
    if !path.exists() {
        let status = Command::new("espeak-ng")
            .args(["-v", voice, "-s", "150", "-w"])
            .arg(&path)
            .arg(text)
            .status()
            .unwrap_or_else(|e| {
                panic!("espeak-ng is needed for speech fixtures ({e}): apt-get install espeak-ng, or run scripts/test")
            });
        assert!(status.success(), "espeak-ng failed on {text:?}");
    }
    path
}

/// One clip of the synthetic speech set (`scripts/speech-fixtures`).
pub struct Clip {
    pub path: PathBuf,
    pub language: String,
    pub text: String,
}

/// The synthetic speech set, made on first use by `scripts/speech-fixtures`.
pub fn speech_set() -> Vec<Clip> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("speech-set");
    let listing = dir.join("clips.tsv");
    if !listing.exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/speech-fixtures");
        let status = Command::new("bash").arg(script).arg(&dir).status().expect("running scripts/speech-fixtures");
        assert!(
            status.success(),
            "scripts/speech-fixtures failed: is espeak-ng installed? (apt-get install espeak-ng, or run scripts/test)"
        );
    }
    std::fs::read_to_string(listing)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Clip { path: dir.join(fields[0]), language: fields[1].to_string(), text: fields[2].to_string() }
        })
        .collect()
}

/// Writes 16-bit mono WAV samples.
pub fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        writer.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

/// The human "front center" recording shipped by Debian's alsa-utils.
pub fn front_center() -> PathBuf {
    let path = PathBuf::from("/usr/share/sounds/alsa/Front_Center.wav");
    assert!(path.is_file(), "{} is missing: apt-get install alsa-utils, or run scripts/test", path.display());
    path
}

/// A cooperative's form filled in French, typed as people say it: numbers,
/// the capital, the phone number and the date in words, an answer that is not
/// an amount asked again, a name corrected after a "no", the number of members
/// corrected at the end, then exported.
pub const COOPERATIVE_WALK_FR: &[&str] = &[
    "Comment créer une coopérative ?",
    "oui",
    "Tifawt",
    "oui",
    "agriculture",
    "oui",
    "douze",
    "oui",
    "beaucoup", // not an amount: asked again
    "cinq mille dirhams",
    "oui",
    "Fatima Amrani",
    "non",
    "Fatima Zahra Amrani",
    "oui",
    "BE 123456",
    "oui",
    "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit",
    "oui",
    "Douar Tafraout, commune Ait Baha",
    "oui",
    "le vingt et un mars deux mille vingt-six",
    "oui",
    "non",
    "trois",
    "15",
    "oui", // correct the number of members
    "oui",
];

/// The committed corpus (`corpora/` at the repository's root).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

/// Copies the folder `from` into `to` (created), recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (paths relative to it) with its bytes, sorted: to
/// show that nothing changed, or that two trees hold the same files.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
        for item in std::fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                files.push((path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// The `awal` binary of this build, or the one `AWAL_TEST_BIN` names (a
/// cross-built binary under emulation, or a copy that a concurrent build of
/// another checkout sharing the target directory cannot replace mid-run).
pub fn awal() -> Command {
    match std::env::var_os("AWAL_TEST_BIN") {
        Some(binary) => Command::new(binary),
        None => Command::new(env!("CARGO_BIN_EXE_awal")),
    }
}

/// The address space a run of `awal` on text alone may map (`--lm none`,
/// `--text`, `corpus check`). A normal French cooperative walk needs about
/// 60 MiB of it (peak resident 28 MiB): four times that, so a template or a
/// text that would blow up stops within a second or two instead of eating the
/// machine.
pub const TEXT_MEMORY: u64 = 256 << 20;

/// The address space a run that loads Whisper (base) may map: the kiosk on
/// two recordings and `transcribe` need between 480 and 512 MiB of it (peak
/// resident 380 MiB), with more threads, stacks and malloc arenas on a
/// machine with more cores.
pub const SPEECH_MEMORY: u64 = 1536 << 20;

/// Runs `command` under an address-space limit of `bytes` (`RLIMIT_AS`): an
/// allocation past it fails in the child, which Rust turns into "memory
/// allocation of N bytes failed" and an abort. The limit counts every mapping
/// (thread stacks, malloc arenas, mapped files), not only resident memory.
pub fn limit_memory(command: &mut Command, bytes: u64) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed; setrlimit is one, and the closure
    // allocates nothing (it reads a copy of `limit` and may build an
    // io::Error from errno, which does not allocate).
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    command
}

/// This test process under an address-space limit of `bytes` (the soft
/// `RLIMIT_AS`), for tests that feed hostile input to the library in process:
/// an allocation past it aborts the test binary with "memory allocation of N
/// bytes failed" instead of eating the machine.
pub fn limit_own_memory(bytes: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read or write only `limit` and this
    // process's own limits.
    let done = unsafe {
        libc::getrlimit(libc::RLIMIT_AS, &mut limit);
        limit.rlim_cur = bytes.min(limit.rlim_max);
        libc::setrlimit(libc::RLIMIT_AS, &limit)
    };
    assert_eq!(done, 0, "setrlimit(RLIMIT_AS): {}", std::io::Error::last_os_error());
}

/// `awal` on the committed corpus, keeping its data in `data`.
#[allow(dead_code)]
pub fn awal_in(data: &Path) -> Command {
    let mut command = awal();
    command.arg("--data-dir").arg(data).arg("--corpus-dir").arg(corpus());
    command
}

/// Runs `awal simulate --json …` (`command`), fails with its error output if
/// it fails, and returns one JSON object per turn.
#[allow(dead_code)]
pub fn simulated_turns(command: &mut Command) -> Vec<serde_json::Value> {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Lower case, letters, digits and spaces only: transcripts compared "case and punctuation aside".
pub fn normalise(text: &str) -> String {
    let kept: String =
        text.chars().map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap() } else { ' ' }).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

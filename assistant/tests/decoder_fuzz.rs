//! The decoders under corrupt and truncated recordings: small files in every
//! format the kiosk accepts (WAV in four encodings, FLAC, Ogg Vorbis, MP3,
//! Ogg Opus, AIFF, CAF), made by sox and opusenc, are mutated at random (bits
//! flipped, header fields overwritten with extreme values, cut short, pieces
//! deleted or repeated) and decoded by `awal::audio::load_audio`. Each case
//! must end within [`HANG`] in samples or a clear error naming the file:
//! never a panic, and never more output than a bound on its size (the whole
//! run is under an address-space limit, so a runaway allocation aborts it).
//! A panic inside symphonia that `awal::audio` caught and refused is a clear
//! error too; the run lists those cases, which are kept like failures.
//!
//! The suite runs [`QUICK_CASES`] cases per seed file with a fixed seed (a
//! few seconds); `scripts/eval fuzz` sets `AWAL_FUZZ_CASES` and
//! `AWAL_FUZZ_SEED` for a long campaign. A failing case is kept under
//! target/tmp/decoder-fuzz/ for replaying with `awal transcribe` (one the
//! run aborted on is left there as `current-FORMAT`).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use awal::audio::decode::DECODER_FAILED;
use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// Cases per seed file in the suite.
const QUICK_CASES: usize = 150;
/// A case still decoding after this long is a hang.
const HANG: Duration = Duration::from_secs(10);
/// The most 16 kHz samples a file may decode to per byte it holds, plus a
/// second: FLAC's constant subframes pack a 65,535-sample block into a few
/// bytes, so an honest file can reach a few thousand; a decoder trusting a
/// corrupt length goes far past.
const SAMPLES_PER_BYTE: usize = 8_192;
/// Address space for the whole test process: the seeds decode to a few
/// megabytes, so only a runaway allocation reaches it.
const ADDRESS_SPACE: u64 = 3 << 30;

/// The seed files: a second of a chord (so every codec has something to
/// code) in each format, with the sox or opusenc arguments that make it.
const SEEDS: &[(&str, &[&str])] = &[
    ("s16.wav", &["-b", "16"]),
    ("f32-stereo-44k.wav", &["-e", "floating-point", "-b", "32", "-c", "2", "-r", "44100"]),
    ("u8-8k.wav", &["-e", "unsigned-integer", "-b", "8", "-r", "8000"]),
    ("ulaw.wav", &["-e", "mu-law"]),
    ("adpcm.wav", &["-e", "ima-adpcm"]),
    ("seed.flac", &[]),
    ("seed.ogg", &[]),
    ("seed.mp3", &[]),
    ("seed.aiff", &[]),
    ("seed.caf", &[]),
];

/// Values that break parsers: zero, one, the extremes of each width.
const EXTREMES: [u32; 8] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];

/// What one decoded case came to.
enum Outcome {
    Decoded { samples: usize },
    Refused(String),
    Panicked(String),
}

fn seeds(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for (name, args) in SEEDS {
        let path = dir.join(name);
        let status = Command::new("sox")
            .args(["-n", "-r", "16000", "-c", "1"])
            .args(*args)
            .arg(&path)
            .args(["synth", "1", "sine", "220", "sine", "330", "sine", "440", "gain", "-6"])
            .status()
            .unwrap_or_else(|e| panic!("sox is needed ({e}): apt-get install sox libsox-fmt-mp3, or run scripts/test"));
        assert!(status.success(), "sox could not make {name}: apt-get install libsox-fmt-mp3, or run scripts/test");
        paths.push(path);
    }
    let opus = dir.join("seed.opus");
    let status = Command::new("opusenc")
        .args(["--quiet", "--bitrate", "24"])
        .arg(&paths[0])
        .arg(&opus)
        .status()
        .unwrap_or_else(|e| panic!("opusenc is needed ({e}): apt-get install opus-tools, or run scripts/test"));
    assert!(status.success(), "opusenc failed");
    paths.push(opus);
    paths
}

/// A random offset, half the time within the first 128 bytes (the headers).
fn offset(rng: &mut TestRng, len: usize) -> usize {
    match rng.random_bool(0.5) {
        true => rng.random_range(0..len.min(128)),
        false => rng.random_range(0..len),
    }
}

/// `bytes` changed by one to four random mutations.
fn mutate(rng: &mut TestRng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.random_range(1..=4) {
        if bytes.len() < 8 {
            break;
        }
        let at = offset(rng, bytes.len());
        match rng.random_range(0..7) {
            0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => bytes[at] = EXTREMES[rng.random_range(0..EXTREMES.len())] as u8,
            2 => {
                let value = match rng.random_bool(0.7) {
                    true => EXTREMES[rng.random_range(0..EXTREMES.len())],
                    false => rng.random(),
                };
                let encoded = match rng.random_bool(0.5) {
                    true => value.to_le_bytes(),
                    false => value.to_be_bytes(),
                };
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&encoded[..end - at]);
            }
            3 => bytes.truncate(at.max(1)),
            4 => {
                let end = (at + rng.random_range(1..=64)).min(bytes.len());
                bytes.drain(at..end);
            }
            5 => {
                let end = (at + rng.random_range(1..=256)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                let to = rng.random_range(0..bytes.len());
                bytes.splice(to..to, piece);
            }
            _ => {
                let noise: Vec<u8> = (0..rng.random_range(1..=32)).map(|_| rng.random()).collect();
                bytes.splice(at..at, noise);
            }
        }
    }
    bytes
}

/// Caps the whole process's address space (the decoders run in it).
fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: setrlimit reads the struct it is given and changes only this
    // process's limit.
    let status = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    assert_eq!(status, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// The process's peak resident memory, in MiB (VmHWM).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"));
    kib >> 10
}

#[test]
fn corrupt_and_truncated_recordings_end_in_samples_or_a_clear_error() {
    let cases: usize = std::env::var("AWAL_FUZZ_CASES")
        .map(|n| n.parse().unwrap_or_else(|_| panic!("AWAL_FUZZ_CASES: a number of cases per seed, not {n:?}")))
        .unwrap_or(QUICK_CASES);
    let seed: u64 = std::env::var("AWAL_FUZZ_SEED")
        .map(|n| n.parse().unwrap_or_else(|_| panic!("AWAL_FUZZ_SEED: a number, not {n:?}")))
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let seeds = seeds(dir.path());
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("decoder-fuzz");
    std::fs::create_dir_all(&kept).unwrap();
    limit_address_space(ADDRESS_SPACE);

    // The decoder runs on a worker so that a hang is seen from here; a
    // panic is caught there and counted (its message kept, not printed).
    let (work, queue) = mpsc::channel::<PathBuf>();
    let (done, outcomes) = mpsc::channel::<Outcome>();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let worker = std::thread::spawn(move || {
        for path in queue {
            let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| awal::audio::load_audio(&path))) {
                Ok(Ok(recording)) => Outcome::Decoded { samples: recording.samples.len() },
                Ok(Err(e)) => Outcome::Refused(e.to_string()),
                Err(payload) => Outcome::Panicked(
                    payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                ),
            };
            if done.send(outcome).is_err() {
                return;
            }
        }
    });

    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed.to_le_bytes(), [0; 8], [0; 8], [0; 8]].concat());
    let (mut decoded, mut refused) = (0, 0);
    let mut failures: Vec<String> = Vec::new();
    // Panics inside a decoder that `awal::audio` turned into errors.
    let mut caught: Vec<String> = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let (mut slowest, mut most_per_byte) = (Duration::ZERO, 0.0f64);
    let started = Instant::now();
    for seed_path in &seeds {
        let original = std::fs::read(seed_path).unwrap();
        let name = seed_path.file_name().unwrap().to_string_lossy().into_owned();
        for case in 0..cases {
            let bytes = mutate(&mut rng, original.clone());
            // Where it is decoded: left behind if the run aborts on it.
            let path = kept.join(format!("current-{name}"));
            std::fs::write(&path, &bytes).unwrap();
            let at = Instant::now();
            work.send(path.clone()).unwrap();
            let keep = |why: &str| {
                let copy = kept.join(format!("{case}-{name}"));
                std::fs::write(&copy, &bytes).unwrap();
                format!("{}: {why}", copy.display())
            };
            let outcome = match outcomes.recv_timeout(HANG) {
                Ok(outcome) => outcome,
                Err(_) => {
                    std::panic::set_hook(default_hook);
                    panic!("still decoding after {HANG:?} (the worker is left running): {}", keep("hang"));
                }
            };
            slowest = slowest.max(at.elapsed());
            match outcome {
                Outcome::Decoded { samples } => {
                    decoded += 1;
                    most_per_byte = most_per_byte.max(samples as f64 / bytes.len() as f64);
                    if samples > SAMPLES_PER_BYTE * bytes.len() + 16_000 {
                        failures.push(keep(&format!("{samples} samples from {} bytes", bytes.len())));
                    }
                }
                Outcome::Refused(message) => {
                    refused += 1;
                    if message.contains(DECODER_FAILED) {
                        caught.push(keep(&message));
                    }
                    if !message.contains(&path.display().to_string()) {
                        failures.push(keep(&format!("an error that does not name the file: {message}")));
                    }
                    // The kind of error, without the file's name or figures.
                    let reason: String = message
                        .replace(&path.display().to_string(), "")
                        .chars()
                        .map(|c| if c.is_ascii_digit() { '#' } else { c })
                        .take(70)
                        .collect();
                    *reasons.entry(reason).or_default() += 1;
                }
                Outcome::Panicked(message) => failures.push(keep(&format!("panicked: {message}"))),
            }
            std::fs::remove_file(&path).unwrap();
        }
    }
    drop(work);
    worker.join().unwrap();
    std::panic::set_hook(default_hook);
    let total = decoded + refused + failures.len();
    println!(
        "decoder fuzz (seed {seed}): {total} cases over {} seed files in {:.1} s: {decoded} decoded, {refused} refused \
         with an error, {} failed; slowest {} ms; at most {most_per_byte:.0} samples per byte; peak RSS {} MiB",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        failures.len(),
        slowest.as_millis(),
        peak_rss_mib()
    );
    if !caught.is_empty() {
        println!("  {} of them a decoder's panic, caught and refused:\n    {}", caught.len(), caught.join("\n    "));
    }
    let mut common_reasons: Vec<(&String, &usize)> = reasons.iter().collect();
    common_reasons.sort_by(|a, b| b.1.cmp(a.1));
    for (reason, count) in common_reasons.iter().take(8) {
        println!("  {count:5} ×{reason}");
    }
    assert!(failures.is_empty(), "{} of {total} cases failed:\n{}", failures.len(), failures.join("\n"));
}

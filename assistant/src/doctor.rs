//! `awal doctor`: what this machine offers Awal, and what is missing.
//!
//! Each check is `ok`, `warn` (Awal runs, less well) or `fail` (a kiosk cannot
//! work); a failed check says what to do.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audio::microphone::Microphone;
use crate::config::Config;
use crate::models::{Manifest, ModelStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to do about it, when it is not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }
}

fn check(name: &str, status: Status, detail: String, remedy: Option<&str>) -> Check {
    Check { name: name.into(), status, detail, remedy: remedy.map(String::from) }
}

/// Runs every check. Hashing the configured models takes a few seconds.
pub fn run(config: &Config, data_dir: &Path, store: &ModelStore, manifest: &Manifest) -> Report {
    let mut checks = vec![cpu_check(), memory_check(), data_dir_check(data_dir)];
    let server = SoundServer::query();
    let audio = with_sound_server(audio_checks(Path::new("/proc/asound/pcm")), server.as_ref());
    let input_found = audio.iter().any(|c| c.name == "audio input" && c.status == Status::Ok);
    checks.extend(audio);
    checks.push(sound_server_check(server.as_ref()));
    if input_found {
        checks.push(microphone_level_check());
    }
    for (role, id) in [("asr", &config.models.asr), ("lm", &config.models.lm)] {
        checks.push(model_check(role, id, store, manifest));
    }
    checks.push(tool_check(
        "espeak-ng",
        &["--version"],
        Status::Warn,
        "apt-get install espeak-ng (spoken answers in fr, ar, en)",
    ));
    checks.push(tool_check(
        "python3",
        &["-m", "pip", "--version"],
        Status::Warn,
        "apt-get install python3-pip (model fetch from PyPI)",
    ));
    Report { checks }
}

/// SIMD extensions candle's kernels use, as detected at run time.
pub fn cpu_features() -> Vec<&'static str> {
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            found.push("avx");
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push("avx2");
        }
        if std::arch::is_x86_feature_detected!("fma") {
            found.push("fma");
        }
        if std::arch::is_x86_feature_detected!("f16c") {
            found.push("f16c");
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push("avx512f");
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            found.push("neon");
        }
        if std::arch::is_aarch64_feature_detected!("dotprod") {
            found.push("dotprod");
        }
    }
    found
}

fn cpu_check() -> Check {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let features = cpu_features();
    let fast = features.iter().any(|f| ["avx2", "neon"].contains(f));
    let detail = format!(
        "{} {} cores, SIMD: {}",
        std::env::consts::ARCH,
        cores,
        if features.is_empty() { "none".into() } else { features.join(" ") }
    );
    if fast {
        check("cpu", Status::Ok, detail, None)
    } else {
        check("cpu", Status::Warn, detail, Some("no AVX2/NEON: speech recognition will be slow"))
    }
}

fn memory_check() -> Check {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let gib = |bytes: u64| bytes as f64 / (1u64 << 30) as f64;
    let (total, available) = (system.total_memory(), system.available_memory());
    let detail = format!("{:.1} GiB total, {:.1} GiB available", gib(total), gib(available));
    if available < 900 << 20 {
        check(
            "memory",
            Status::Warn,
            detail,
            Some("under 900 MiB free: close other programs; Whisper base and a 0.5B LM need about 800 MiB"),
        )
    } else {
        check("memory", Status::Ok, detail, None)
    }
}

/// Learner data must be writable: creates the directory and a probe file.
fn data_dir_check(dir: &Path) -> Check {
    let probe = dir.join(".awal-doctor-probe");
    let writable = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    match writable {
        Ok(()) => check("data dir", Status::Ok, dir.display().to_string(), None),
        Err(e) => Check {
            name: "data dir".into(),
            status: Status::Fail,
            detail: format!("{}: {e}", dir.display()),
            remedy: Some("set a writable `data_dir` in awal.toml, AWAL_DATA_DIR or --data-dir".into()),
        },
    }
}

/// Capture and playback devices, from ALSA's `/proc/asound/pcm` listing
/// (`CC-DD: id : name : playback N : capture N`).
pub fn audio_checks(pcm_listing: &Path) -> Vec<Check> {
    let listing = std::fs::read_to_string(pcm_listing).unwrap_or_default();
    let devices = |kind: &str| -> Vec<String> {
        listing
            .lines()
            .filter(|l| l.contains(kind))
            .map(|l| l.split(" : ").nth(1).unwrap_or(l).trim().to_string())
            .collect()
    };
    [
        ("audio input", "capture", "plug in a USB microphone or sound card; check `arecord -l`"),
        ("audio output", "playback", "plug in a speaker or sound card; check `aplay -l`"),
    ]
    .into_iter()
    .map(|(name, kind, remedy)| {
        let found = devices(kind);
        if found.is_empty() {
            check(name, Status::Fail, format!("no {kind} device"), Some(remedy))
        } else {
            check(name, Status::Ok, found.join(", "), None)
        }
    })
    .collect()
}

/// The devices of a PulseAudio (or PipeWire's Pulse) sound server, as
/// `pactl` lists them: ALSA's default device goes through it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundServer {
    /// Microphones, their monitors (what a speaker plays) left out.
    pub sources: Vec<String>,
    pub sinks: Vec<String>,
}

impl SoundServer {
    /// `None` when no server answers (or `pactl` is not installed).
    pub fn query() -> Option<Self> {
        let names = |kind: &str| -> Option<Vec<String>> {
            let output = Command::new("pactl").args(["list", "short", kind]).output().ok()?;
            output.status.success().then(|| Self::names(&String::from_utf8_lossy(&output.stdout)))
        };
        let sources = names("sources")?.into_iter().filter(|s| !s.ends_with(".monitor")).collect();
        Some(Self { sources, sinks: names("sinks")? })
    }

    /// The second column of `pactl list short`: the device names.
    fn names(listing: &str) -> Vec<String> {
        listing.lines().filter_map(|l| l.split('\t').nth(1)).map(str::to_string).collect()
    }
}

/// A sound server's sources and sinks count as the input and output ALSA
/// does not list itself.
fn with_sound_server(mut checks: Vec<Check>, server: Option<&SoundServer>) -> Vec<Check> {
    let Some(server) = server else { return checks };
    for check in &mut checks {
        let devices = if check.name == "audio input" { &server.sources } else { &server.sinks };
        if check.status == Status::Fail && !devices.is_empty() {
            *check = Check {
                name: check.name.clone(),
                status: Status::Ok,
                detail: format!("through the sound server: {}", devices.join(", ")),
                remedy: None,
            };
        }
    }
    checks
}

fn sound_server_check(server: Option<&SoundServer>) -> Check {
    match server {
        Some(server) => check(
            "sound server",
            Status::Ok,
            format!("inputs: {}; outputs: {}", list_or_none(&server.sources), list_or_none(&server.sinks)),
            None,
        ),
        None => check("sound server", Status::Ok, "none running: ALSA devices are used directly".into(), None),
    }
}

/// How much sound the doctor listens to.
const LISTEN: Duration = Duration::from_millis(1500);
/// A capture that has not delivered [`LISTEN`] of sound by then is stuck
/// (a sound server hands out its first chunks late, never this late).
const LISTEN_AT_MOST: Duration = Duration::from_secs(6);

/// Listens to the default input for [`LISTEN`]: a capture that opens and
/// then gives only silence is the dead microphone no device listing shows.
fn microphone_level_check() -> Check {
    const NAME: &str = "microphone level";
    let mut microphone = match Microphone::open() {
        Ok(microphone) => microphone,
        Err(e) => return check(NAME, Status::Fail, e.to_string(), Some("run `awal doctor` again; check `arecord -l`")),
    };
    let started = Instant::now();
    let wanted = (LISTEN.as_secs_f32() * crate::audio::SAMPLE_RATE as f32) as usize;
    let (mut peak, mut energy, mut count) = (0.0f32, 0.0f64, 0usize);
    while count < wanted && started.elapsed() < LISTEN_AT_MOST {
        match microphone.next_chunk(Duration::from_millis(200)) {
            Ok(Some(chunk)) => {
                for s in chunk {
                    peak = peak.max(s.abs());
                    energy += f64::from(s * s);
                    count += 1;
                }
            }
            Ok(None) => {}
            Err(e) => {
                return check(
                    NAME,
                    Status::Fail,
                    e.to_string(),
                    Some("check the microphone's plug and the sound server"),
                )
            }
        }
    }
    let db = |power: f64| 10.0 * (power + 1e-12).log10();
    let seconds = count as f32 / crate::audio::SAMPLE_RATE as f32;
    if count < wanted {
        check(
            NAME,
            Status::Fail,
            format!("the microphone opened but delivered {seconds:.1} s of sound in {} s", LISTEN_AT_MOST.as_secs()),
            Some("check the microphone's plug and the sound server (`pactl list short sources`)"),
        )
    } else if peak < crate::audio::DIGITAL_SILENCE {
        check(
            NAME,
            Status::Fail,
            format!(
                "{} captures but gives only silence (peak {:.0} dBFS over {seconds:.1} s)",
                microphone.name,
                db(f64::from(peak * peak))
            ),
            Some(
                "unmute the input and raise its level (`alsamixer`, or `pactl set-source-mute @DEFAULT_SOURCE@ 0`); \
                 check the microphone's plug and which source is the default",
            ),
        )
    } else {
        check(
            NAME,
            Status::Ok,
            format!(
                "{}: peak {:.0} dBFS, average {:.0} dBFS over {seconds:.1} s",
                microphone.name,
                db(f64::from(peak * peak)),
                db(energy / count as f64)
            ),
            None,
        )
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn model_check(role: &str, id: &str, store: &ModelStore, manifest: &Manifest) -> Check {
    let name = format!("model {role}");
    let fetch = format!("run `awal models fetch {id}`");
    if store.installed(id).is_none() {
        let known = manifest.model(id).is_some();
        let detail = format!("{id} is not installed in {}", store.root().display());
        let remedy =
            if known { fetch } else { format!("`{id}` is in no manifest: import it with `awal models import DIR`") };
        return Check { name, status: Status::Fail, detail, remedy: Some(remedy) };
    }
    match store.verify(id, None) {
        Ok(report) if report.ok() => check(&name, Status::Ok, format!("{id} installed and verified"), None),
        Ok(report) => Check {
            name,
            status: Status::Fail,
            detail: report.problems.join("; "),
            remedy: Some(format!("run `awal models fetch {id} --force`")),
        },
        Err(e) => Check { name, status: Status::Fail, detail: e.to_string(), remedy: Some(fetch) },
    }
}

fn tool_check(tool: &str, args: &[&str], missing: Status, remedy: &str) -> Check {
    match Command::new(tool).args(args).output() {
        Ok(out) if out.status.success() => {
            let version = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().trim().to_string();
            check(tool, Status::Ok, version, None)
        }
        _ => check(tool, missing, format!("{tool} not found"), Some(remedy)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_alsa_device_listing() {
        let dir = tempfile::tempdir().unwrap();
        let listing = dir.path().join("pcm");
        std::fs::write(
            &listing,
            "00-00: USB Audio : USB Audio : playback 1 : capture 1\n01-00: HDMI 0 : HDMI 0 : playback 1\n",
        )
        .unwrap();
        let checks = audio_checks(&listing);
        assert_eq!(checks[0].status, Status::Ok);
        assert_eq!(checks[0].detail, "USB Audio");
        assert_eq!(checks[1].detail, "USB Audio, HDMI 0");

        let none = audio_checks(&dir.path().join("missing"));
        assert!(none.iter().all(|c| c.status == Status::Fail && c.remedy.is_some()));
    }
}

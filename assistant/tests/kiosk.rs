//! `awal kiosk` without a microphone (this machine, and CI's, have no sound
//! card): it says so clearly, keeps looking, and logs each look to its
//! rotating log file; `awal doctor` names the missing devices; recording
//! keywords from the microphone says there is none. And the kiosk's loop on
//! recordings (`--recordings`, `--played`): the same turns as `awal simulate`,
//! and a log with no word of what was said.

mod common;

use common::corpus;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Runs `awal kiosk` on `recordings` with its own data directory; returns the
/// files it played, in order, and its log.
fn kiosk_on(data: &Path, lang: &str, recordings: &[PathBuf]) -> (Vec<PathBuf>, String) {
    let played = data.join("played");
    let output = common::awal()
        .arg("--data-dir")
        .arg(data)
        .arg("--corpus-dir")
        .arg(corpus())
        .args(["kiosk", "--lang", lang, "--lm", "none", "--played"])
        .arg(&played)
        .arg("--recordings")
        .args(recordings)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&played).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let logs: Vec<_> = std::fs::read_dir(data.join("logs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    (files, std::fs::read_to_string(&logs[0]).unwrap())
}

/// `awal simulate --json` on the same recordings: every turn, the welcome first.
fn simulate_on(data: &Path, lang: &str, recordings: &[PathBuf]) -> Vec<Value> {
    let output = common::awal()
        .arg("--data-dir")
        .arg(data)
        .arg("--corpus-dir")
        .arg(corpus())
        .args(["simulate", "--json", "--lang", lang, "--lm", "none"])
        .args(recordings)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_kiosk_loop_answers_recordings_as_simulate_does() {
    common::real_model("whisper-base");
    let recordings = [
        common::espeak_clip("How long is maternity leave for a pregnant worker?", "en-us"),
        common::espeak_clip("Please repeat.", "en-us"),
        common::espeak_clip("What is the minimum wage?", "en-us"),
    ];
    let kiosk_data = tempfile::tempdir().unwrap();
    let (played, log) = kiosk_on(kiosk_data.path(), "en", &recordings);
    let simulate_data = tempfile::tempdir().unwrap();
    let turns = simulate_on(simulate_data.path(), "en", &recordings);
    assert_eq!(turns[1]["entry"], "ma-rights-maternity-leave", "{}", turns[1]);
    assert_eq!(turns[3]["entry"], "ma-rights-minimum-wage", "{}", turns[3]);

    // The same replies, said in the same order: the kiosk played, byte for
    // byte, the audio simulate wrote for each turn.
    let said: Vec<PathBuf> = turns
        .iter()
        .flat_map(|t| t["reply_audio"].as_array().unwrap().iter().map(|a| PathBuf::from(a.as_str().unwrap())))
        .collect();
    assert_eq!(played.len(), said.len(), "played {played:?}, simulate said {said:?}");
    for (played, said) in played.iter().zip(&said) {
        assert!(
            std::fs::read(played).unwrap() == std::fs::read(said).unwrap(),
            "{} differs from {}",
            played.display(),
            said.display()
        );
    }
    // The same skills and entries, as the log records them.
    let logged: Vec<&str> = log.lines().filter(|l| l.contains(" turn")).collect();
    assert_eq!(logged.len(), turns.len() - 1, "{log}");
    for (line, turn) in logged.iter().zip(&turns[1..]) {
        assert!(line.contains(&format!("skill={}", capitalised(turn["skill"].as_str().unwrap()))), "{line} / {turn}");
        assert!(line.contains(turn["entry"].as_str().unwrap()), "{line} / {turn}");
    }
    // The log says what happened, never what was said.
    for turn in &turns[1..] {
        let transcript = turn["transcript"].as_str().unwrap();
        assert!(!transcript.is_empty() && !log.contains(transcript), "transcript in the log: {transcript}");
        let first_sentence = turn["reply_text"].as_str().unwrap().split(". ").next().unwrap();
        assert!(!log.contains(first_sentence), "reply in the log: {first_sentence}");
    }
    // Said, then deleted: no reply audio stays on the kiosk.
    let kept: Vec<_> = std::fs::read_dir(kiosk_data.path().join("kiosk")).unwrap().collect();
    assert!(kept.is_empty(), "{kept:?}");
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[test]
fn a_missing_microphone_is_looked_for_again_and_logged() {
    let data = tempfile::tempdir().unwrap();
    let output = common::awal()
        .arg("--data-dir")
        .arg(data.path())
        .arg("--corpus-dir")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora"))
        .args(["kiosk", "--lang", "fr", "--lm", "none", "--retries", "2", "--retry-seconds", "0.1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no microphone found: plug in a USB microphone"), "{stderr}");
    assert!(stderr.contains("gave up after 3 attempts"), "{stderr}");
    let logs: Vec<_> = std::fs::read_dir(data.path().join("logs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(logs[0].file_name().unwrap().to_string_lossy().starts_with("kiosk."), "{logs:?}");
    assert_eq!(log.matches("no microphone found").count(), 2, "{log}");
    assert!(log.contains("looking again in 0.1 s"), "{log}");
}

#[test]
fn doctor_names_the_missing_audio_devices() {
    let output = common::awal().args(["doctor", "--json"]).output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("audio input") && report.contains("plug in a USB microphone"), "{report}");
}

#[test]
fn recording_keywords_without_a_microphone_says_so_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::awal()
        .args(["keywords", "enroll", "--lang", "wol", "--word", "waaw", "--record", "3", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no microphone found: plug in a USB microphone"), "{stderr}");
    assert!(!dir.path().join("wol").exists(), "nothing kept");
}

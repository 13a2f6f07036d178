//! `awal kiosk` without a microphone (this machine, and CI's, have no sound
//! card): it says so clearly, keeps looking, and logs each look to its
//! rotating log file; `awal doctor` names the missing devices; recording
//! keywords from the microphone says there is none.

mod common;

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

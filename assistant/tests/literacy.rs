//! Listen-and-repeat practice through `awal lesson`: the kiosk's model of each
//! item is espeak-ng's Arabic voice (no recordings exist yet); the learner's
//! attempts are another espeak-ng voice saying the right and the wrong word.

mod common;

use std::path::Path;

use serde_json::Value;

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

fn lesson(data: &Path, lesson: &str, attempts: &[&Path]) -> (bool, Vec<Value>, String) {
    let output = common::awal()
        .arg("--data-dir")
        .arg(data)
        .arg("--corpus-dir")
        .arg(corpus())
        .args(["lesson", "--card", "17", "--lesson", lesson, "--today", "2026-11-23", "--json"])
        .args(attempts)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (output.status.success(), lines, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_right_and_a_wrong_attempt_are_scored_and_scheduled() {
    let data = tempfile::tempdir().unwrap();
    let mama = common::espeak_clip("ماما", "ar+f3");
    let baba = common::espeak_clip("بابا", "ar+f3");
    // ماما is asked first and said right; بابا next, answered with ماما; then again, right.
    let (ok, attempts, stderr) = lesson(data.path(), "lit-ary-words-1", &[&mama, &mama, &baba]);
    assert!(ok, "{stderr}");
    let summary: Vec<(&str, bool)> =
        attempts.iter().map(|a| (a["item"].as_str().unwrap(), a["right"].as_bool().unwrap())).collect();
    assert_eq!(summary, [("ماما", true), ("بابا", false), ("بابا", true)]);
    assert_eq!(attempts[1]["heard_instead_text"], "ماما");
    assert!(attempts[1]["feedback"].as_str().unwrap().contains("بابا"), "the item is said again");
    assert_eq!(attempts[0]["progress"]["due"], "2026-11-24", "right: back tomorrow");
    assert_eq!(attempts[1]["progress"]["due"], "2026-11-23", "wrong: again today");
    // The progress is the learner's, in the store: a new session goes on from it.
    let store = awal::store::Store::open(&data.path().join("awal.sqlite")).unwrap();
    let learner = store.learner("17").unwrap();
    let progress = store.progress(learner, "lit-ary-words-1/بابا").unwrap().unwrap();
    assert_eq!((progress.repetitions, progress.due.to_string().as_str()), (1, "2026-11-24"));
    let (ok, next, _) = lesson(data.path(), "lit-ary-words-1", &[]);
    assert!(ok);
    assert_ne!(next[0]["next"], "ماما", "items done today are not asked again: {}", next[0]);
}

#[test]
fn a_lesson_without_any_voice_and_a_silent_attempt_get_clear_errors() {
    let data = tempfile::tempdir().unwrap();
    let mama = common::espeak_clip("ماما", "ar+f3");
    let (ok, _, stderr) = lesson(data.path(), "lit-wol-words-1", &[&mama]);
    assert!(!ok);
    assert!(stderr.contains("has no recording and espeak-ng has no wol voice"), "{stderr}");
    let silence = data.path().join("silence.wav");
    common::write_wav(&silence, &vec![0.0; 16_000], 16_000);
    let (ok, _, stderr) = lesson(data.path(), "lit-ary-words-1", &[&silence]);
    assert!(!ok);
    assert!(stderr.contains("no speech heard in the attempt"), "{stderr}");
    let (ok, _, stderr) = lesson(data.path(), "lit-nothing", &[]);
    assert!(!ok && stderr.contains("no lesson `lit-nothing`"), "{stderr}");
}

#[test]
fn a_lesson_inside_the_spoken_conversation() {
    let data = tempfile::tempdir().unwrap();
    let mama = common::espeak_clip("ماما", "ar+f3");
    let output = common::awal()
        .arg("--data-dir")
        .arg(data.path())
        .arg("--corpus-dir")
        .arg(corpus())
        .args(["simulate", "--json", "--lang", "ary", "--country", "MA", "--lm", "none"])
        .args(["--text", "بغيت نتعلم الكلمات", "--text", "رقم 17"])
        .arg(&mama) // asked ماما: right
        .arg(&mama) // asked بابا: wrong
        .args(["--text", "عاود", "--text", "صافي"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let turns: Vec<Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let said = |n: usize| turns[n]["reply_text"].as_str().unwrap().to_string();
    assert_eq!(turns[1]["skill"], "literacy");
    assert_eq!(turns[1]["reply_lang"], "ary", "the lesson's instructions in Darija: {}", said(1));
    assert!(!said(1).chars().any(|c| c.is_ascii_alphabetic()), "no French: {}", said(1));
    assert!(said(1).contains("الكارطة"), "the card number is asked: {}", said(1));
    assert!(said(2).ends_with("ماما"), "{}", said(2));
    let example = turns[2]["example_audio"].as_str().expect("the item's recording follows");
    assert!(std::fs::metadata(example).unwrap().len() > 1_000);
    assert!(said(3).starts_with("برافو") && said(3).ends_with("بابا"), "right, then the next item: {}", said(3));
    assert!(said(4).starts_with("قريب") && said(4).contains("بابا"), "wrong: the same item again: {}", said(4));
    assert!(said(5).ends_with("بابا"), "repeat says the item again: {}", said(5));
    assert_eq!(turns[6]["end"], true);
    // The progress is the card's, in the store.
    let store = awal::store::Store::open(&data.path().join("awal.sqlite")).unwrap();
    let learner = store.learner("17").unwrap();
    let mama = store.progress(learner, "lit-ary-words-1/ماما").unwrap().expect("ماما was practised");
    assert_eq!(mama.repetitions, 1);
    let baba = store.progress(learner, "lit-ary-words-1/بابا").unwrap().expect("بابا was practised");
    assert_eq!(baba.repetitions, 0);
}

#[test]
fn a_lesson_in_a_language_the_kiosk_cannot_say_yet_announces_french() {
    let data = tempfile::tempdir().unwrap();
    let turns = common::simulated_turns(common::awal_in(data.path()).args([
        "simulate",
        "--json",
        "--lang",
        "wol",
        "--country",
        "SN",
        "--lm",
        "none",
        "--text",
        "jang",
    ]));
    let lesson = &turns[1];
    assert_eq!(lesson["skill"], "literacy", "{lesson}");
    assert_eq!(lesson["reply_lang"], "fr", "{lesson}");
    let text = lesson["reply_text"].as_str().unwrap();
    assert!(text.starts_with("Je ne parle pas encore"), "French is announced first: {text}");
}

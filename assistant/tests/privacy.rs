//! What a person says stays in the store and the exports, and nowhere else:
//! after a paperwork walk with a name, an identity card number and a phone
//! number — typed through `awal simulate`, and spoken through the kiosk's
//! loop — no other file under the data directory holds any of them.

mod common;

use common::corpus;

use std::path::{Path, PathBuf};

/// Every file under `dir` but the store and the exports.
fn other_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for item in std::fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("awal.sqlite") || name == "exports" {
            continue;
        }
        if path.is_dir() {
            found.extend(other_files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Fails naming the file and the value when any file but the store and the exports holds one of `values`.
fn assert_nowhere_else(data: &Path, values: &[&str]) {
    let files = other_files(data);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for value in values {
            assert!(!text.contains(value), "{} holds {value:?}", file.display());
        }
    }
}

#[test]
fn a_typed_paperwork_walk_leaves_personal_data_in_the_store_and_exports_only() {
    let data = tempfile::tempdir().unwrap();
    let mut command = common::awal();
    command.arg("--data-dir").arg(data.path()).arg("--corpus-dir").arg(corpus());
    command.args(["simulate", "--json", "--lang", "fr", "--country", "MA", "--lm", "none"]);
    for &turn in common::COOPERATIVE_WALK_FR {
        command.args(["--text", turn]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let files = last["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "the walk ended with the exports: {last}");
    let exported = std::fs::read_to_string(files[1].as_str().unwrap()).unwrap();
    for value in ["Fatima Zahra Amrani", "BE123456", "+212612345678"] {
        assert!(exported.contains(value), "the export holds {value}: {exported}");
    }
    assert_nowhere_else(
        data.path(),
        &["Amrani", "BE123456", "BE 123456", "+212612345678", "0612345678", "06 12 34 56 78", "Tafraout"],
    );
}

/// A whole form said to the kiosk in English (espeak-ng's voice, heard by
/// Whisper base through the kiosk's loop), amounts, phone number and date
/// said in words. Phrasings Whisper base hears well in espeak-ng's voice
/// ("cooperative" comes out "collaborative").
const SPOKEN_WALK: &[&str] = &[
    "Which statutes must I register to create it?",
    "Yes.",
    "My name is Sarah Johnson.",
    "Yes.",
    "Agriculture.",
    "Yes.",
    "Twelve.",
    "Yes.",
    "Five thousand dirhams.",
    "Yes.",
    "Sarah Johnson.",
    "Yes.",
    "B E, one, two, three, four, five, six.",
    "Yes.",
    "Zero six, one two, three four, five six, seven eight.",
    "Yes.",
    "Main Street, Agadir.",
    "Yes.",
    "The twenty first of March, twenty twenty six.",
    "Yes.",
    "Yes.",
];

#[test]
fn a_spoken_paperwork_walk_through_the_kiosk_leaves_no_trace_outside_the_store() {
    common::real_model("whisper-base");
    let recordings: Vec<PathBuf> = SPOKEN_WALK.iter().map(|text| common::espeak_clip(text, "en-us")).collect();
    let data = tempfile::tempdir().unwrap();
    let played = tempfile::tempdir().unwrap();
    let output = common::awal_in(data.path())
        .args(["kiosk", "--lang", "en", "--lm", "none", "--played"])
        .arg(played.path())
        .arg("--recordings")
        .args(&recordings)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // What was heard and confirmed is in the draft, which was exported…
    let store = awal::store::Store::open(&data.path().join("awal.sqlite")).unwrap();
    let draft = store.draft(1).unwrap_or_else(|e| panic!("no draft ({e}): {stderr}"));
    assert_eq!(draft.status, "exported", "the walk went to the end: {:?}", draft.answers);
    let answer = |field: &str| {
        draft.answers.get(field).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("{field}: {:?}", draft.answers))
    };
    let personal = [answer("cooperative_name"), answer("president_name"), answer("president_cin"), answer("phone")];
    assert!(personal[1].contains("Johnson"), "heard {personal:?}");
    assert!(answer("phone").ends_with("612345678"), "heard {personal:?}");
    // Said in words, heard by Whisper, read by the form walk.
    assert_eq!((answer("members"), answer("capital")), ("12", "5000"));
    assert_eq!(answer("assembly_date"), "2026-03-21");
    let exports: Vec<PathBuf> =
        std::fs::read_dir(data.path().join("exports")).unwrap().map(|item| item.unwrap().path()).collect();
    let text_export = exports.iter().find(|p| p.extension().is_some_and(|e| e == "txt")).expect("a text export");
    let exported = std::fs::read_to_string(text_export).unwrap();
    for value in personal {
        assert!(exported.contains(value), "the export holds {value}: {exported}");
    }
    // …and nowhere else: not in the log, not in reply audio left behind.
    let mut values = personal.to_vec();
    values.extend(["Johnson", "612345678", "Agadir", "statutes"]);
    assert_nowhere_else(data.path(), &values);
    for value in values {
        assert!(!stderr.contains(value), "the kiosk printed {value}: {stderr}");
    }
}

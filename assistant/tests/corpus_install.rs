//! `awal corpus install PACK`: a content pack from a USB stick goes into the
//! corpus the kiosk loads only once it passes the checks, never replaces an
//! installed file unasked, and a refused pack changes nothing. Each run of
//! the binary is under [`common::TEXT_MEMORY`].

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use awal::corpus::Corpus;

/// A kiosk's installed corpus (a copy of the committed one) in its own folder.
fn installed_corpus() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    (dir, corpus)
}

/// A pack holding one new entry (the minimum-wage entry under a new id) with
/// its French text recorded; `change` edits the entry before it is written.
fn pack_with_entry(change: impl Fn(&mut toml::Table)) -> tempfile::TempDir {
    let pack = tempfile::tempdir().unwrap();
    let source = common::corpus().join("ma/rights/ma-rights-minimum-wage.toml");
    let mut entry: toml::Table = toml::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    entry.insert("id".into(), "ma-rights-wage-slip".into());
    entry["text"]["fr"].as_table_mut().unwrap().insert("audio".into(), "audio/ma/ma-rights-wage-slip-fr.wav".into());
    change(&mut entry);
    std::fs::create_dir_all(pack.path().join("ma/rights")).unwrap();
    std::fs::write(pack.path().join("ma/rights/ma-rights-wage-slip.toml"), toml::to_string(&entry).unwrap()).unwrap();
    std::fs::create_dir_all(pack.path().join("audio/ma")).unwrap();
    let tone: Vec<f32> =
        (0..16_000).map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin()).collect();
    common::write_wav(&pack.path().join("audio/ma/ma-rights-wage-slip-fr.wav"), &tone, 16_000);
    pack
}

fn install(corpus: &Path, pack: &Path, extra: &[&str]) -> (Output, String) {
    let mut command = common::awal();
    command.arg("--corpus-dir").arg(corpus).args(["corpus", "install", "--unsigned"]).arg(pack).args(extra);
    common::limit_memory(&mut command, common::TEXT_MEMORY);
    let output = command.output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output, printed)
}

/// No staging folder is left beside the corpus (only the content an install
/// replaced, kept for a rollback).
fn nothing_left_beside(corpus: &Path) {
    let names: Vec<String> = std::fs::read_dir(corpus.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "corpora.previous")
        .collect();
    assert_eq!(names, ["corpora"], "left beside the corpus: {names:?}");
}

/// A good pack is installed and the kiosk's corpus loads its entry; the same
/// pack again changes nothing; a pack changing an installed entry names it
/// and replaces it only with `--replace`.
#[test]
fn a_good_pack_is_installed_and_nothing_is_replaced_unasked() {
    let (_dir, corpus) = installed_corpus();
    let pack = pack_with_entry(|_| {});
    // What a desktop leaves on a stick is not installed.
    std::fs::create_dir_all(pack.path().join(".Trash-1000/files")).unwrap();
    std::fs::write(pack.path().join(".Trash-1000/files/old.toml"), "not content").unwrap();
    std::fs::write(pack.path().join("ma/.DS_Store"), [0u8; 16]).unwrap();
    let (output, printed) = install(&corpus, pack.path(), &[]);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("2 added, 0 replaced, 0 unchanged"), "{printed}");
    assert!(!corpus.join(".Trash-1000").exists() && !corpus.join("ma/.DS_Store").exists());
    let (loaded, problems) = Corpus::load(&corpus).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let entry = &loaded.entries["ma-rights-wage-slip"].item;
    assert!(entry.text["fr"].audio.is_some());
    assert!(loaded.entries.contains_key("ma-rights-minimum-wage"), "the installed entries are kept");
    nothing_left_beside(&corpus);

    let (output, printed) = install(&corpus, pack.path(), &[]);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("0 added, 0 replaced, 2 unchanged"), "{printed}");

    // The maternity-leave entry, reviewed on this kiosk, then changed by a pack.
    let relative = Path::new("ma/rights/ma-rights-maternity-leave.toml");
    let mut entry: toml::Table = toml::from_str(&std::fs::read_to_string(corpus.join(relative)).unwrap()).unwrap();
    let review: toml::Table =
        toml::from_str("status = \"reviewed\"\nby = \"A jurist\"\ndate = \"2026-12-01\"").unwrap();
    entry["text"]["fr"].as_table_mut().unwrap().insert("review".into(), review.into());
    std::fs::write(corpus.join(relative), toml::to_string(&entry).unwrap()).unwrap();
    let changed = tempfile::tempdir().unwrap();
    entry["text"]["fr"].as_table_mut().unwrap().insert("title".into(), "Congé de maternité (nouveau)".into());
    std::fs::create_dir_all(changed.path().join("ma/rights")).unwrap();
    std::fs::write(changed.path().join(relative), toml::to_string(&entry).unwrap()).unwrap();
    let before = common::snapshot(&corpus);
    let (output, printed) = install(&corpus, changed.path(), &[]);
    assert!(!output.status.success());
    assert!(printed.contains("would replace 1 installed file(s)") && printed.contains("--replace"), "{printed}");
    assert!(printed.contains("  ma/rights/ma-rights-maternity-leave.toml (reviewed)\n"), "{printed}");
    assert!(common::snapshot(&corpus) == before, "nothing may change unasked");
    nothing_left_beside(&corpus);

    let (output, printed) = install(&corpus, changed.path(), &["--replace"]);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("replaced  ma/rights/ma-rights-maternity-leave.toml"), "{printed}");
    let (loaded, _) = Corpus::load(&corpus).unwrap();
    assert_eq!(loaded.entries["ma-rights-maternity-leave"].item.text["fr"].title, "Congé de maternité (nouveau)");
    nothing_left_beside(&corpus);
}

/// A folder is a pack nobody signed: installed only when said so.
#[test]
fn a_folder_needs_unsigned_said() {
    let (_dir, corpus) = installed_corpus();
    let pack = pack_with_entry(|_| {});
    let before = common::snapshot(&corpus);
    let output =
        common::awal().arg("--corpus-dir").arg(&corpus).args(["corpus", "install"]).arg(pack.path()).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(printed.contains("unsigned pack") && printed.contains("--unsigned"), "{printed}");
    assert!(common::snapshot(&corpus) == before);
}

/// Refused with the list of what is wrong, nothing changed: an entry whose
/// recording climbs out with `../`, a symbolic link out of the pack, and a
/// file past its size limit (a sparse 33 MB "recording", made in no time).
#[test]
fn a_hostile_pack_is_refused_and_nothing_changes() {
    let (_dir, corpus) = installed_corpus();
    let before = common::snapshot(&corpus);

    let climbing = pack_with_entry(|entry| {
        entry["text"]["fr"].as_table_mut().unwrap().insert("audio".into(), "../../../../etc/passwd".into());
    });
    let linked = pack_with_entry(|_| {});
    std::os::unix::fs::symlink("/etc/passwd", linked.path().join("audio/ma/passwd.wav")).unwrap();
    let oversized = pack_with_entry(|_| {});
    let big = std::fs::File::create(oversized.path().join("audio/ma/big.wav")).unwrap();
    big.set_len(33 * 1024 * 1024).unwrap();

    for (pack, says) in [
        (&climbing, "ma/rights/ma-rights-wage-slip.toml: text.fr.audio: `../../../../etc/passwd` climbs out with `..`"),
        (&linked, "audio/ma/passwd.wav: `audio/ma/passwd.wav` leads out of the pack (a symbolic link to /etc/passwd)"),
        (&oversized, "audio/ma/big.wav: the file is 34603008 bytes (at most 33554432"),
    ] {
        let (output, printed) = install(&corpus, pack.path(), &[]);
        assert!(!output.status.success(), "{printed}");
        assert!(printed.contains("was not installed, nothing changed"), "{printed}");
        assert!(printed.contains(says), "{says}\n{printed}");
        assert!(common::snapshot(&corpus) == before, "a refused pack changed the corpus: {printed}");
        nothing_left_beside(&corpus);
    }
}

//! Content, models and the store under hostile or broken input: each case
//! fails quickly with a clear error and loses nothing, and the kiosk keeps
//! serving everything else. Every run of the binary here is bounded
//! ([`run_bounded`]): a case that would hang fails the test instead of
//! timing out CI.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs `command` and kills it if it is still running after `limit` (a generous
/// bound: each case here takes about a second).
fn run_bounded(mut command: Command, limit: Duration) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).unwrap();
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut bytes).unwrap();
        bytes
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {limit:?}: {command:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const LIMIT: Duration = Duration::from_secs(120);

/// A copy of the committed corpus whose cooperative form's French template is `template`.
fn corpus_with_template(template: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    let path = corpus.join("forms/ma-form-cooperative.toml");
    let mut form: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    form["document"]["template"].as_table_mut().unwrap().insert("fr".into(), template.into());
    std::fs::write(&path, toml::to_string(&form).unwrap()).unwrap();
    (dir, corpus)
}

fn simulate(data: &Path, corpus: &Path, turns: &[&str]) -> (Vec<Value>, String) {
    let mut command = common::awal();
    command.arg("--data-dir").arg(data).arg("--corpus-dir").arg(corpus);
    command.args(["simulate", "--json", "--lang", "fr", "--country", "MA", "--lm", "none"]);
    for turn in turns {
        command.args(["--text", turn]);
    }
    let output = run_bounded(command, LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let turns = String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (turns, stderr)
}

/// Every `*.txt` file under `dir`.
fn text_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for item in std::fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        if path.is_dir() {
            found.extend(text_files(&path));
        } else if path.extension().is_some_and(|e| e == "txt") {
            found.push(path);
        }
    }
    found
}

/// A template that would loop for hours: the walk reads the answers back as
/// they are, and at export the answers are written as plain text, the draft
/// stays open, the person hears that the answers are kept, and the log says why.
#[test]
fn a_hostile_template_fails_at_export_and_the_answers_are_kept() {
    let (_dir, corpus) = corpus_with_template(
        "Nom : {{ cooperative_name }}\n{% for a in range(90000) %}{% for b in range(90000) %}{% endfor %}{% endfor %}",
    );
    let data = tempfile::tempdir().unwrap();
    let (turns, stderr) = simulate(data.path(), &corpus, common::COOPERATIVE_WALK_FR);
    let last = turns.last().unwrap();
    let said = last["reply_text"].as_str().unwrap();
    assert!(said.contains("Vos réponses sont gardées sous le numéro 1"), "{last}");
    assert!(stderr.contains("document.template.fr, line 2: the template does too much work"), "{stderr}");
    let texts = text_files(data.path());
    assert_eq!(texts.len(), 1, "the plain-text export: {texts:?}");
    let sheet = std::fs::read_to_string(&texts[0]).unwrap();
    assert!(sheet.contains("cooperative_name: Tifawt") && sheet.contains("members: 15"), "{sheet}");
    let store = awal::store::Store::open(&data.path().join("awal.sqlite")).unwrap();
    let drafts = store.open_drafts().unwrap();
    assert_eq!(drafts.len(), 1, "the draft is kept open");
    assert_eq!(drafts[0].answers["members"], "15");
}

/// `awal corpus check` fails a hostile template quickly, naming the file and line.
#[test]
fn corpus_check_names_a_hostile_template() {
    let (_dir, corpus) = corpus_with_template("Nom : {{ cooperative_name }}\n{% include \"/etc/passwd\" %}");
    let mut command = common::awal();
    command.args(["corpus", "check"]).arg(&corpus);
    let output = run_bounded(command, LIMIT);
    assert!(!output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(
        printed.lines().any(|line| line.contains("forms/ma-form-cooperative.toml")
            && line.contains("document.template.fr, line 2")
            && line.contains("may include only its form's other templates")),
        "{printed}"
    );
}

/// An entry whose audio points out of the corpus is served without it (the
/// path is never opened, played or handed out), a symbolic link out of
/// `phrases/` is left out, and an entry past the size limits is left out
/// while every other entry is served.
#[test]
fn paths_out_of_the_corpus_and_oversized_entries_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    let path = corpus.join("ma/rights/ma-rights-maternity-leave.toml");
    let mut entry: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    entry["text"]["fr"].as_table_mut().unwrap().insert("audio".into(), "../../../../../../etc/passwd".into());
    std::fs::write(&path, toml::to_string(&entry).unwrap()).unwrap();
    let path = corpus.join("ma/rights/ma-rights-minimum-wage.toml");
    let mut entry: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    entry["text"]["fr"].as_table_mut().unwrap().insert("body".into(), "SMIG. ".repeat(20_000).into());
    std::fs::write(&path, toml::to_string(&entry).unwrap()).unwrap();
    std::fs::create_dir_all(corpus.join("phrases/fr")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", corpus.join("phrases/fr/welcome.wav")).unwrap();

    let data = tempfile::tempdir().unwrap();
    let (turns, stderr) = simulate(data.path(), &corpus, &["Combien de semaines de congé de maternité ?"]);
    assert!(stderr.contains("leads out of the corpus directory"), "{stderr}");
    assert!(stderr.contains("is 120000 bytes (at most 8192)"), "{stderr}");
    assert_eq!(turns[1]["entry"], "ma-rights-maternity-leave", "{}", turns[1]);
    let audio = turns.iter().flat_map(|t| t["reply_audio"].as_array().unwrap()).collect::<Vec<_>>();
    assert!(audio.iter().all(|a| !a.as_str().unwrap().contains("passwd")), "{audio:?}");
}

/// One flipped bit in the real Whisper weights: `awal transcribe` refuses the
/// model before using it (it printed "辭辭辭…" and exited 0) and says how to get
/// it again. The copy's first use hashes it; an unchanged copy is not hashed
/// again (the time of each is printed: `-- --nocapture`).
#[test]
fn a_corrupted_model_is_refused_at_load() {
    let installed = common::real_model("whisper-base");
    let models = tempfile::tempdir().unwrap();
    common::copy_dir(&installed.dir, &models.path().join("whisper-base"));
    let clip = common::espeak_clip("hello", "en-us");
    let transcribe = || {
        let mut command = common::awal();
        command.arg("--models-dir").arg(models.path()).args(["transcribe", "--model", "whisper-base"]).arg(&clip);
        let started = Instant::now();
        let output = run_bounded(command, LIMIT);
        (output, started.elapsed())
    };
    let (first, hashing) = transcribe();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let (_, cached) = transcribe();
    println!("transcribe with the weights hashed: {hashing:?}; with the hash remembered: {cached:?}");

    let weights = models.path().join("whisper-base/model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&weights, bytes).unwrap();
    let (output, _) = transcribe();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a corrupted model must not be used: {stderr}");
    assert!(
        stderr.contains("model.safetensors") && stderr.contains("awal models fetch whisper-base --force"),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing was installed"), "{stderr}");
}

/// `--country ZZ` answered "I do not know" to everything; now it is an error
/// that lists the countries the corpus has.
#[test]
fn an_unknown_country_is_an_error_naming_the_corpus_countries() {
    let data = tempfile::tempdir().unwrap();
    let mut command = common::awal();
    command.arg("--data-dir").arg(data.path()).arg("--corpus-dir").arg(common::corpus());
    command.args(["simulate", "--json", "--lang", "fr", "--country", "ZZ", "--lm", "none", "--text", "bonjour"]);
    let output = run_bounded(command, LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no entries for country `ZZ`") && stderr.contains("its countries are MA, SN"), "{stderr}");
}

/// A WAV cut short (its header claims more than it holds) is decoded as far as
/// it goes, with a warning that names the file; a directory given as audio is
/// named as one.
#[test]
fn truncated_audio_warns_and_a_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let clip = common::espeak_clip("hello, how are you today", "en-us");
    let bytes = std::fs::read(&clip).unwrap();
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut command = common::awal();
    command.args(["transcribe", "--model", "whisper-base"]).arg(&cut).arg(dir.path());
    let output = run_bounded(command, LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cut.wav: truncated") && stderr.contains("decoded as far as it goes"), "{stderr}");
    assert!(stderr.contains("is a directory, not an audio file"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("cut.wav: ["), "the readable half is transcribed: {stdout}");
}

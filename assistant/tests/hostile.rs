//! Content, models and the store under hostile or broken input: each case
//! fails quickly with a clear error and loses nothing, and the kiosk keeps
//! serving everything else. Every run of the binary here is bounded in time
//! and memory ([`run_bounded`]): a case that would hang or blow up fails the
//! test instead of timing out CI or eating the machine.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SPEECH_MEMORY, TEXT_MEMORY};
use serde_json::Value;

/// Runs `command` under an address-space limit of `memory` bytes
/// ([`common::limit_memory`]) and kills it if it is still running after
/// [`LIMIT`]. A run that died of the memory limit fails the test saying so.
fn run_bounded(mut command: Command, memory: u64) -> Output {
    common::limit_memory(&mut command, memory);
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
            let output = Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
            let stderr = String::from_utf8_lossy(&output.stderr);
            // An allocation refused by the limit aborts (SIGABRT); one that
            // the stack or the loader could not map ends in SIGSEGV.
            let mib = memory >> 20;
            if stderr.contains("memory allocation of") {
                panic!("ran out of its {mib} MiB memory limit ({status}): {command:?}\n{}", cut(&stderr));
            }
            if status.signal().is_some() {
                panic!("died ({status}) under its {mib} MiB memory limit: {command:?}\n{}", cut(&stderr));
            }
            return output;
        }
        if started.elapsed() > LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {LIMIT:?}: {command:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last 2,000 characters of a child's error output.
fn cut(text: &str) -> &str {
    let start = text.char_indices().rev().nth(2_000).map_or(0, |(at, _)| at);
    &text[start..]
}

/// A generous bound: each case here takes a few seconds at most.
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
    let output = run_bounded(command, TEXT_MEMORY);
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
/// stays open, the person hears that the document could not be made and that
/// the answers are kept (a phrase of its own), and the log says why.
#[test]
fn a_hostile_template_fails_at_export_and_the_answers_are_kept() {
    let (_dir, corpus) = corpus_with_template(
        "Nom : {{ cooperative_name }}\n{% for a in range(90000) %}{% for b in range(90000) %}{% endfor %}{% endfor %}",
    );
    let data = tempfile::tempdir().unwrap();
    let (turns, stderr) = simulate(data.path(), &corpus, common::COOPERATIVE_WALK_FR);
    let last = turns.last().unwrap();
    let said = last["reply_text"].as_str().unwrap();
    assert_eq!(
        said,
        "Je n'ai pas pu faire le document. Vos réponses sont gardées sous le numéro 1, et écrites en texte simple.",
        "{last}"
    );
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
    let output = run_bounded(command, TEXT_MEMORY);
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

/// Symbolic links among the corpus's files: an entry file or a language
/// file linked out of the corpus is not read (its parse error would quote
/// the file), and a link to a folder (here `..`, which was walked until the
/// path grew too long and the whole load failed) is not followed; the rest loads.
#[test]
fn symbolic_links_among_the_corpus_files_are_not_followed_out() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    std::os::unix::fs::symlink("/etc/passwd", corpus.join("ma/rights/ma-rights-passwd.toml")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", corpus.join("languages/xx.toml")).unwrap();
    std::os::unix::fs::symlink("..", corpus.join("ma/rights/loop")).unwrap();
    let (loaded, problems) = awal::corpus::Corpus::load(&corpus).unwrap();
    assert!(loaded.entries.contains_key("ma-rights-maternity-leave"));
    let said = |file: &str| problems.iter().find(|p| p.path.ends_with(file)).map(|p| p.message.clone());
    for file in ["ma-rights-passwd.toml", "xx.toml"] {
        let message = said(file).unwrap_or_else(|| panic!("{file}: {problems:?}"));
        assert!(message.contains("leads out of the corpus directory"), "{message}");
        assert!(!message.contains("root:"), "the linked file is quoted: {message}");
    }
    assert!(said("loop").is_some_and(|m| m.contains("not followed")), "{problems:?}");
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
        let output = run_bounded(command, SPEECH_MEMORY);
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
    let output = run_bounded(command, TEXT_MEMORY);
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
    let output = run_bounded(command, SPEECH_MEMORY);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cut.wav: truncated") && stderr.contains("decoded as far as it goes"), "{stderr}");
    assert!(stderr.contains("is a directory, not an audio file"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("cut.wav: ["), "the readable half is transcribed: {stdout}");
}

/// The kiosk's own loop (`awal kiosk` on recordings, as in tests/kiosk.rs)
/// on a corpus where an entry's recording points at /etc/shadow, an entry is
/// past the file size limit, an entry is not UTF-8, the welcome's recording
/// is a symbolic link to /etc/passwd and the cooperative form's template
/// would loop for hours: it starts, leaves each of those out with a warning,
/// and answers the questions about the other entries.
#[test]
fn the_kiosk_serves_the_other_entries_while_some_are_hostile() {
    common::real_model("whisper-base");
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpora");
    common::copy_dir(&common::corpus(), &corpus);
    let edit = |relative: &str, change: &dyn Fn(&mut toml::Table)| {
        let path = corpus.join(relative);
        let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut table);
        std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
    };
    edit("ma/rights/ma-rights-annual-leave.toml", &|entry| {
        entry["text"]["en"].as_table_mut().unwrap().insert("audio".into(), "/etc/shadow".into());
    });
    edit("ma/rights/ma-rights-working-hours.toml", &|entry| {
        entry["text"]["en"].as_table_mut().unwrap().insert("body".into(), "x".repeat(300_000).into());
    });
    edit("forms/ma-form-cooperative.toml", &|form| {
        let loop_for_hours = "{% for a in range(90000) %}{% for b in range(90000) %}{% endfor %}{% endfor %}";
        form["document"]["template"].as_table_mut().unwrap().insert("en".into(), loop_for_hours.into());
    });
    std::fs::write(corpus.join("ma/rights/ma-rights-not-utf8.toml"), b"id = \"ma-rights-not-utf8\"\n\xff\xfe\n")
        .unwrap();
    std::fs::create_dir_all(corpus.join("phrases/en")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", corpus.join("phrases/en/welcome.wav")).unwrap();

    let data = tempfile::tempdir().unwrap();
    let played = data.path().join("played");
    let mut command = common::awal();
    command.arg("--data-dir").arg(data.path()).arg("--corpus-dir").arg(&corpus);
    command.args(["kiosk", "--lang", "en", "--country", "MA", "--lm", "none", "--played"]).arg(&played);
    command.arg("--recordings").args([
        common::espeak_clip("How long is maternity leave for a pregnant worker?", "en-us"),
        common::espeak_clip("What is the minimum wage?", "en-us"),
    ]);
    let output = run_bounded(command, SPEECH_MEMORY);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    for (file, why) in [
        ("ma-rights-annual-leave.toml", "is absolute"),
        ("ma-rights-working-hours.toml", "bytes (at most 262144)"),
        ("ma-rights-not-utf8.toml", "cannot read"),
    ] {
        assert!(log.lines().any(|line| line.contains(file) && line.contains(why)), "{file}: {why}\n{log}");
    }
    let turns: Vec<&str> = log.lines().filter(|l| l.contains(" turn ")).collect();
    assert_eq!(turns.len(), 2, "{log}");
    assert!(turns[0].contains("entry=\"ma-rights-maternity-leave\""), "{}", turns[0]);
    assert!(turns[1].contains("entry=\"ma-rights-minimum-wage\""), "{}", turns[1]);
    // The welcome and two replies, none of them the linked file.
    let passwd = std::fs::read("/etc/passwd").unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&played).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.len() >= 3, "{files:?}");
    assert!(files.iter().all(|f| std::fs::read(f).unwrap() != passwd), "/etc/passwd was played");
}

const ALLOCATE: &str = "AWAL_TEST_ALLOCATE_PAST_THE_LIMIT";

/// The memory limit bites: this test binary, run again under
/// [`TEXT_MEMORY`], asks for twice as much at once, is stopped, and
/// [`run_bounded`] says why.
#[test]
#[should_panic(expected = "ran out of its 256 MiB memory limit")]
fn the_memory_limit_stops_a_run_that_allocates_past_it() {
    if std::env::var_os(ALLOCATE).is_some() {
        let bytes = vec![1u8; 2 * TEXT_MEMORY as usize];
        println!("allocated {} bytes", std::hint::black_box(bytes).len());
        return;
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", "the_memory_limit_stops_a_run_that_allocates_past_it", "--nocapture"]);
    command.env(ALLOCATE, "1");
    let output = run_bounded(command, TEXT_MEMORY);
    panic!("allocating twice the limit succeeded: {}", String::from_utf8_lossy(&output.stdout));
}

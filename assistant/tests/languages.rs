//! Languages are data: a language added with a file only (Kabyle, which no
//! Rust table names) is offered, greets, understands its command words and is
//! listed with what it lacks; `awal corpus check` names what is wrong in a
//! language file.

mod common;

use common::copy_dir;

use std::path::{Path, PathBuf};

use serde_json::Value;

use awal::corpus::check::{check, Severity};
use awal::corpus::Corpus;

const KABYLE: &str = r#"# Kabyle, drafted for a test by someone not fluent.
code = "kab"
name = "Kabyle"
script = "Latn"
names = ["taqbaylit", "kabyle", "القبايلية"]
spoken_name = { Latn = "Taqbaylit", Arab = "القبايلية" }
fallback = "fr"
polite = ["ma ulac aɣilif"]
review = { status = "machine-draft", note = "a Kabyle speaker must correct it" }

[commands]
repeat = ["ales"]
stop = ["baraka"]
yes = ["ih"]
no = ["ala"]

[phrases]
welcome = "Azul. Efk-d asteqsi-inek: ɣef uxeddim, tawacult neɣ tkubiṛatiḍ-ik."
goodbye = "Ar tufat."
ask-again = "Ales asteqsi-inek, ma ulac aɣilif."
"#;

const WELCOME: &str = "Azul. Efk-d asteqsi-inek: ɣef uxeddim, tawacult neɣ tkubiṛatiḍ-ik.";

fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

/// A copy of the committed corpus with `files` (path under it, text) added.
fn corpus_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_corpus(), dir.path());
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

/// `awal ARGS` with its own data directory and the corpus at `corpus`; stdout.
fn awal(corpus: &Path, data: &Path, args: &[&str]) -> String {
    let output = common::awal()
        .arg("--corpus-dir")
        .arg(corpus)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("AWAL_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "awal {args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn simulate(corpus: &Path, data: &Path, lang: &str, turns: &[&str]) -> Vec<Value> {
    let out = data.join("simulate");
    let mut args = vec!["simulate", "--json", "--lang", lang, "--lm", "none", "--out", out.to_str().unwrap()];
    for turn in turns {
        args.extend(["--text", turn]);
    }
    awal(corpus, data, &args).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn a_language_added_with_data_only() {
    let corpus = corpus_with(&[("languages/kab.toml", KABYLE)]);
    let data = tempfile::tempdir().unwrap();

    // The file checks clean: it is a draft, not an error.
    let (loaded, problems) = Corpus::load(corpus.path()).unwrap();
    let findings = check(&loaded, &problems);
    let kab: Vec<_> = findings.iter().filter(|f| f.path.ends_with("languages/kab.toml")).collect();
    assert!(kab.iter().all(|f| f.severity == Severity::Warning), "{kab:?}");
    assert!(kab.iter().any(|f| f.message.contains("machine-drafted")), "{kab:?}");

    // It greets in Kabyle and understands its yes, no, repeat and stop.
    let turns = simulate(corpus.path(), data.path(), "kab", &["ih", "ala", "ales", "baraka"]);
    assert_eq!(turns[0]["skill"], "welcome");
    assert_eq!((turns[0]["reply_text"].as_str(), turns[0]["reply_lang"].as_str()), (Some(WELCOME), Some("kab")));
    let ask_again = "Ales asteqsi-inek, ma ulac aɣilif.";
    for (turn, said) in [(1, "yes"), (2, "no")] {
        assert_eq!(turns[turn]["skill"], "command", "{said}: {}", turns[turn]);
        assert_eq!(turns[turn]["reply_text"], ask_again, "{said}: nothing waits for a {said}");
    }
    assert_eq!(turns[3]["reply_text"], WELCOME, "repeat says the welcome again");
    assert_eq!((turns[4]["reply_text"].as_str(), turns[4]["end"].as_bool()), (Some("Ar tufat."), Some(true)));
    // What it has no words for is said in its fallback, French.
    let turns = simulate(corpus.path(), data.path(), "kab", &["répète"]);
    assert_eq!(turns[1]["skill"], "referral", "French command words are not Kabyle ones: {}", turns[1]);
    assert!(turns[1]["reply_text"].as_str().unwrap().starts_with("Je ne connais pas la réponse."), "{}", turns[1]);

    // Offered after French, it is listed by its name and chosen by saying it.
    let turns = simulate(corpus.path(), data.path(), "fr,kab", &["taqbaylit", "baraka"]);
    assert!(turns[0]["reply_text"].as_str().unwrap().ends_with("2: Taqbaylit."), "{}", turns[0]);
    let welcome = turns[1]["reply_text"].as_str().unwrap();
    assert!(welcome.starts_with(WELCOME) && welcome.ends_with("1: français."), "{welcome}");
    assert_eq!(turns[2]["end"], true);

    // `awal languages` lists it with what it lacks.
    let rows: Vec<Value> = serde_json::from_str(&awal(corpus.path(), data.path(), &["languages", "--json"])).unwrap();
    let kab = rows.iter().find(|row| row["tag"] == "kab").unwrap_or_else(|| panic!("no kab in {rows:?}"));
    assert_eq!(kab["name"], "Kabyle");
    assert_eq!((kab["hear"]["by"].as_str(), kab["voice"]["by"].as_str()), (Some("none"), Some("none")));
    assert_eq!((kab["phrases_recorded"].as_u64(), kab["phrases_total"].as_u64()), (Some(0), Some(15)));
    assert_eq!(kab["phrases_written"], 3);
    let missing: Vec<&str> = kab["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for expected in ["awal keywords enroll --lang kab", "record the 15 kiosk phrases: awal corpus phrases --lang kab"] {
        assert!(missing.iter().any(|m| m.contains(expected)), "{expected:?} not in {missing:?}");
    }
    let fr = rows.iter().find(|row| row["tag"] == "fr").unwrap();
    assert_eq!((fr["voice"]["by"].as_str(), fr["voice"]["voice"].as_str()), (Some("espeak-ng"), Some("fr")));
}

#[test]
fn corpus_check_names_what_is_wrong_in_a_language_file() {
    let unknown_key = KABYLE.replace("[commands]\n", "[commands]\nyess = [\"ih\"]\n");
    let missing_name = KABYLE.replace("name = \"Kabyle\"\n", "");
    let wrong_script = KABYLE.replace("stop = [\"baraka\"]", "stop = [\"ⴱⴰⵔⴰⴽⴰ\"]");
    let lost_placeholder = KABYLE.replace("[phrases]\n", "[phrases]\nresumed = \"Nkemmel.\"\nfoo = \"Azul.\"\n");
    let no_fallback = KABYLE.replace("fallback = \"fr\"\n", "");
    let cases = [
        (&unknown_key, "unknown field `yess`"),
        (&missing_name, "missing field `name`"),
        (&wrong_script, "commands.stop `ⴱⴰⵔⴰⴽⴰ`: `kab` words must be written in Latn script, found mostly Tfng"),
        (&lost_placeholder, "phrases.resumed: must keep `{number}`"),
        (&lost_placeholder, "phrases.foo: the kiosk has no such phrase"),
        (&no_fallback, "no phrases.source, phrases.unreviewed"),
    ];
    for (text, expected) in cases {
        let corpus = corpus_with(&[("languages/kab.toml", text)]);
        let (loaded, problems) = Corpus::load(corpus.path()).unwrap();
        let errors: Vec<String> = check(&loaded, &problems)
            .into_iter()
            .filter(|f| f.severity == Severity::Error && f.path.ends_with("languages/kab.toml"))
            .map(|f| f.message)
            .collect();
        assert!(errors.iter().any(|e| e.contains(expected)), "expected {expected:?} in {errors:?}");
    }
    // A corpus's file replaces the built-in one: a Wolof speaker's correction
    // is used without a build.
    let wolof = std::fs::read_to_string(repo_corpus().join("languages/wol.toml")).unwrap();
    let corrected = wolof.replace("yes = [\"waaw\", \"waaw kay\"]", "yes = [\"waaw\", \"waaw kay\", \"xam naa\"]");
    assert_ne!(corrected, wolof);
    let corpus = corpus_with(&[("languages/wol.toml", &corrected)]);
    let data = tempfile::tempdir().unwrap();
    let turns = simulate(corpus.path(), data.path(), "wol", &["xam naa"]);
    assert_eq!(turns[1]["skill"], "command", "{}", turns[1]);
}

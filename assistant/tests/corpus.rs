//! The governed content: the committed corpus passes `awal corpus check`, each
//! broken fixture fails it for the right reason, and search finds the right
//! entry across languages and scripts.

mod common;

use common::copy_dir;

use std::path::{Path, PathBuf};
use std::process::Command;

use awal::corpus::check::{check, Finding, Severity};
use awal::corpus::{stats, Corpus, Index, LangTag, Query};

fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus").join(case)
}

fn findings(dir: &Path) -> Vec<Finding> {
    let (corpus, problems) = Corpus::load(dir).unwrap();
    check(&corpus, &problems)
}

fn errors(findings: &[Finding]) -> Vec<&str> {
    findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.message.as_str()).collect()
}

#[test]
fn committed_corpus_passes_the_check() {
    let findings = findings(&repo_corpus());
    assert_eq!(errors(&findings), Vec::<&str>::new());
    let (corpus, _) = Corpus::load(&repo_corpus()).unwrap();
    let count = |country: &str, domain: &str| {
        corpus.entries.values().filter(|e| e.item.country == country && e.item.domain.as_str() == domain).count()
    };
    assert!(count("MA", "rights") >= 10, "Morocco needs at least 10 rights entries");
    assert!(count("SN", "rights") + count("SN", "paperwork") >= 5, "Senegal needs at least 5 entries");
    assert!(count("MA", "referral") >= 1 && count("SN", "referral") >= 1, "each country needs a referral");
    for lang in ["ary", "zgh", "wol", "fuc"] {
        let lessons: Vec<_> =
            corpus.entries.values().filter_map(|e| e.item.lesson.as_ref()).filter(|l| l.language == lang).collect();
        assert!(lessons.iter().any(|l| l.items.len() >= 30), "{lang}: a unit of 30 words");
        assert!(lessons.len() >= 2, "{lang}: an alphabet unit and a words unit");
    }
}

/// Each fixture directory holds one defect; the check must name it. Hostile
/// templates among them render in this process: under a memory limit (the
/// whole test binary needs between 128 and 256 MiB of address space, peak
/// resident 17 MiB), one that would blow up aborts it at once.
#[test]
fn check_fails_on_each_broken_fixture() {
    common::limit_own_memory(512 << 20);
    let cases = [
        ("missing-field", "missing field `domain`"),
        ("dangling-see-also", "see_also: no entry `ma-does-not-exist`"),
        ("dangling-form", "form: no form `ma-form-missing`"),
        ("missing-audio", "audio file audio/ma-x-fr.ogg is missing"),
        ("undecodable-audio", "audio file audio/ma-x-fr.ogg cannot be decoded"),
        ("wrong-script", "`zgh` must be written in Tfng script, found mostly Latn"),
        ("no-citation", "must cite its official source"),
        ("bad-syllables", "do not spell the word"),
        ("form-unknown-variable", "uses `cin`, which is not a field of this form"),
        ("sheet-missing-label", "field `name` has no label.ar, which the sheet prints"),
        // Hostile templates fail the check, quickly (the render's fuel runs out),
        // with the line where minijinja stopped.
        ("template-endless-loop", "line 2: the template does too much work"),
        ("template-nested-loops", "line 2: the template does too much work"),
        ("template-include-file", "may include only its form's other templates"),
        ("template-recursive-macro", "line 2"),
        ("template-huge-string", "line 2: the template does too much work"),
        ("template-syntax-error", "line 2: syntax error"),
        // Paths out of the corpus are never opened; sizes past corpora/README.md's limits.
        ("audio-outside", "text.fr.audio: `../../../../../../../../etc/passwd` climbs out with `..`"),
        ("audio-absolute", "text.fr.audio: `/etc/shadow` is absolute"),
        ("oversized-body", "`text.fr.body` is 9500 bytes (at most 8192)"),
    ];
    for (case, expected) in cases {
        let findings = findings(&fixture(case));
        let errors = errors(&findings);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{case}: expected an error containing {expected:?}, got {errors:?}"
        );
    }
}

#[test]
fn machine_drafts_are_warnings_not_errors() {
    let findings = findings(&fixture("machine-draft"));
    assert_eq!(errors(&findings), Vec::<&str>::new());
    assert!(findings.iter().any(|f| f.severity == Severity::Warning && f.message.contains("machine-drafted")));
}

#[test]
fn a_corrupt_entry_is_skipped_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_corpus(), dir.path());
    let victim = dir.path().join("ma/rights/ma-rights-dismissal.toml");
    let text = std::fs::read_to_string(&victim).unwrap();
    std::fs::write(&victim, &text[..text.len() / 2]).unwrap();
    let (corpus, problems) = Corpus::load(dir.path()).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, victim);
    assert!(!corpus.entries.contains_key("ma-rights-dismissal"));
    assert!(corpus.entries.contains_key("ma-rights-maternity-leave"));
    let hits = Index::build(&corpus).search(&Query { country: Some("MA"), ..Query::new("maternity leave") });
    assert_eq!(hits[0].id, "ma-rights-maternity-leave");
}

#[test]
fn stats_count_entries_reviews_and_audio() {
    let (corpus, _) = Corpus::load(&repo_corpus()).unwrap();
    let rows = stats::stats(&corpus);
    let row = rows.iter().find(|r| r.country == "MA" && r.lang == "fr" && r.domain == "rights").unwrap();
    assert!(row.entries >= 10);
    let ary = rows.iter().find(|r| r.country == "MA" && r.lang == "ary" && r.domain == "rights").unwrap();
    assert_eq!(ary.machine_draft, ary.entries, "Darija drafts are machine drafts");
    assert!(stats::render(&rows).lines().last().unwrap().starts_with("total"));
}

fn repo_index() -> Index {
    let (corpus, _) = Corpus::load(&repo_corpus()).unwrap();
    Index::build(&corpus)
}

fn top_hit(index: &Index, question: &str, lang: &str, country: Option<&str>) -> Option<String> {
    let query = Query { lang: Some(lang.parse::<LangTag>().unwrap()), country, ..Query::new(question) };
    index.search(&query).first().map(|h| h.id.clone())
}

/// Questions as people would ask them, in each language; the right entry must rank first.
#[test]
fn the_right_entry_ranks_first_across_languages() {
    let index = repo_index();
    let questions = [
        ("How much is the minimum wage?", "en", Some("MA"), "ma-rights-minimum-wage"),
        ("I am pregnant, how long is my maternity leave?", "en", Some("MA"), "ma-rights-maternity-leave"),
        ("My boss fired me without a reason", "en", Some("MA"), "ma-rights-dismissal"),
        ("How do we set up a cooperative?", "en", Some("MA"), "ma-paperwork-cooperative"),
        ("How many hours a week must I work?", "en", Some("MA"), "ma-rights-working-hours"),
        ("Mon employeur ne m'a pas déclarée à la CNSS", "fr", Some("MA"), "ma-rights-cnss-registration"),
        ("Comment déclarer la naissance de mon bébé ?", "fr", Some("MA"), "ma-rights-birth-registration"),
        ("À quel âge peut-on se marier ?", "fr", Some("MA"), "ma-rights-family-marriage"),
        ("Qui garde les enfants après le divorce ?", "fr", Some("MA"), "ma-rights-family-divorce-custody"),
        ("Combien de jours de congé payé par an ?", "fr", Some("MA"), "ma-rights-annual-leave"),
        ("Comment créer un GIE ?", "fr", Some("SN"), "sn-paperwork-gie"),
        ("Combien de semaines de congé de maternité ?", "fr", Some("SN"), "sn-rights-maternity-leave"),
        ("كيف أصرح بتأسيس جمعية؟", "ar", Some("MA"), "ma-paperwork-association"),
        ("ما هو الحد الأدنى للأجر؟", "ar", Some("MA"), "ma-rights-minimum-wage"),
        ("هل لي الحق في التغطية الصحية؟", "ar", Some("MA"), "ma-rights-amo-health-cover"),
        ("شحال ديال الساعات خاصني نخدم فالسيمانة", "ary", Some("MA"), "ma-rights-working-hours"),
        ("المشغل ما صرحش بيا فالضمان", "ary", Some("MA"), "ma-rights-cnss-registration"),
        ("wach 3andi l7a9 f conge dyal lwilada", "ary-Latn", Some("MA"), "ma-rights-maternity-leave"),
        ("bghit ndir ta3awniya", "ary-Latn", Some("MA"), "ma-paperwork-cooperative"),
        ("lpatron dar lia tard mn lkhedma", "ary-Latn", Some("MA"), "ma-rights-dismissal"),
        ("asɣar adrus n twuri", "zgh-Latn", Some("MA"), "ma-rights-minimum-wage"),
        ("ⴰⵙⵓⵏⴼⵓ ⵏ ⵜⵍⴰⵍⵉⵜ", "zgh", Some("MA"), "ma-rights-maternity-leave"),
        ("naka lanuy sose GIE", "wol", Some("SN"), "sn-paperwork-gie"),
        ("liggeey ak pey bu gena tuuti", "wol", Some("SN"), "sn-rights-minimum-wage"),
        ("sosde koperatiif", "fuc", Some("SN"), "sn-paperwork-cooperative"),
    ];
    let misses: Vec<String> = questions
        .iter()
        .filter_map(|(question, lang, country, expected)| {
            let got = top_hit(&index, question, lang, *country);
            (got.as_deref() != Some(expected)).then(|| format!("{question:?} [{lang}] → {got:?}, expected {expected}"))
        })
        .collect();
    assert!(misses.is_empty(), "{} of {} questions missed:\n{}", misses.len(), questions.len(), misses.join("\n"));
}

#[test]
fn arabizi_finds_the_entry_written_in_arabic_script() {
    let index = repo_index();
    // Only the Darija text (Arabic script) of this entry says الكونجي / الولادة.
    let query = Query { lang: Some("ary-Latn".parse().unwrap()), ..Query::new("lconji dyal lwilada") };
    let hit = &index.search(&query)[0];
    assert_eq!((hit.id.as_str(), hit.lang.as_str()), ("ma-rights-maternity-leave", "ary"));
}

#[test]
fn tifinagh_and_latin_tamazight_find_each_other() {
    let index = repo_index();
    // The minimum wage entry has Tamazight in Tifinagh only; maternity in Latin only.
    let latin_query = Query { lang: Some("zgh-Latn".parse().unwrap()), ..Query::new("asɣar adrus") };
    let hit = &index.search(&latin_query)[0];
    assert_eq!((hit.id.as_str(), hit.lang.as_str()), ("ma-rights-minimum-wage", "zgh"));
    let tifinagh_query =
        Query { lang: Some("zgh".parse().unwrap()), ..Query::new("ⵜⴰⵎⵟⵟⵓⵜ ⵜⵍⴰⵍⵉⵜ") };
    let hit = &index.search(&tifinagh_query)[0];
    assert_eq!((hit.id.as_str(), hit.lang.as_str()), ("ma-rights-maternity-leave", "zgh-Latn"));
    // Lesson words: Latin spelling finds the Tifinagh word list.
    assert_eq!(top_hit(&index, "tanmmirt azul", "zgh-Latn", None).as_deref(), Some("lit-zgh-words-1"));
}

#[test]
fn accentless_wolof_and_pulaar_find_accented_text() {
    let index = repo_index();
    assert_eq!(top_hit(&index, "jerejef", "wol", None).as_deref(), Some("lit-wol-words-1"));
    assert_eq!(top_hit(&index, "biddo neddo", "fuc", None).as_deref(), Some("lit-fuc-words-1"));
}

#[test]
fn unrelated_questions_cover_less_than_covered_ones() {
    let index = repo_index();
    let coverage = |q: &str| index.search(&Query { lang: Some("en".parse().unwrap()), ..Query::new(q) })[0].coverage;
    let covered = coverage("maternity leave for pregnant workers");
    let unrelated = coverage("which football team won the cup yesterday");
    assert!(covered > 0.9, "covered question: {covered}");
    assert!(unrelated < 0.5, "unrelated question: {unrelated}");
}

#[test]
fn cli_check_stats_and_search() {
    let awal = env!("CARGO_BIN_EXE_awal");
    let ok = Command::new(awal).args(["corpus", "check"]).arg(repo_corpus()).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let broken = Command::new(awal).args(["corpus", "check"]).arg(fixture("no-citation")).output().unwrap();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("must cite its official source"));

    let stats = Command::new(awal).args(["corpus", "stats"]).arg(repo_corpus()).output().unwrap();
    assert!(String::from_utf8_lossy(&stats.stdout).contains("MA       ary"));

    let search = Command::new(awal)
        .args(["--corpus-dir"])
        .arg(repo_corpus())
        .args(["corpus", "search", "7a9 dyal lkhedma", "--lang", "ary-Latn", "--country", "MA", "--json"])
        .output()
        .unwrap();
    assert!(search.status.success(), "{}", String::from_utf8_lossy(&search.stderr));
    let hits: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    let first = &hits[0];
    assert!(first["score"].as_f64().unwrap() > 0.0 && first["coverage"].as_f64().unwrap() > 0.0, "{hits}");
    assert_eq!(first["country"], "MA");
}

//! `awal corpus check`: everything an editor must fix before content ships
//! (errors), and everything a reviewer still has to look at (warnings).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::entry::{Entry, Review, ReviewStatus};
use super::form::{self, FieldKind, Form};
use super::lang::{LangTag, Script, ScriptCounts};
use super::languages::{self, Language, PHRASE_KEYS};
use super::{Corpus, Problem};
use crate::audio::load_audio;
use crate::documents::template;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub path: PathBuf,
    pub message: String,
}

/// Checks a loaded corpus; `problems` are the files [`Corpus::load`] skipped.
pub fn check(corpus: &Corpus, problems: &[Problem]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = problems
        .iter()
        .map(|p| Finding { severity: Severity::Error, path: p.path.clone(), message: p.message.clone() })
        .collect();
    for loaded in corpus.entries.values() {
        let mut report = Report { path: &loaded.path, findings: &mut findings };
        check_entry(corpus, &loaded.item, &mut report);
    }
    for loaded in corpus.forms.values() {
        let mut report = Report { path: &loaded.path, findings: &mut findings };
        check_form(&loaded.item, &mut report);
    }
    // Built-in languages are checked by their unit tests; the files of this
    // corpus (the built-in ones themselves, in the committed corpus) here.
    for language in corpus.languages.iter() {
        if let Some(path) = &language.source {
            let mut report = Report { path, findings: &mut findings };
            check_language(language, &mut report);
        }
    }
    findings.sort_by(|a, b| (&a.path, b.severity).cmp(&(&b.path, a.severity)));
    findings
}

struct Report<'a> {
    path: &'a Path,
    findings: &'a mut Vec<Finding>,
}

impl Report<'_> {
    fn error(&mut self, message: String) {
        self.findings.push(Finding { severity: Severity::Error, path: self.path.to_path_buf(), message });
    }

    fn warning(&mut self, message: String) {
        self.findings.push(Finding { severity: Severity::Warning, path: self.path.to_path_buf(), message });
    }

    /// Unknown tag → error; returns the parsed tag.
    fn language(&mut self, what: &str, tag: &str) -> Option<LangTag> {
        match tag.parse::<LangTag>() {
            Ok(tag) => Some(tag),
            Err(e) => {
                self.error(format!("{what}: {e}"));
                None
            }
        }
    }

    fn script(&mut self, what: &str, tag: &LangTag, text: &str) {
        let counts = ScriptCounts::of(text);
        if !counts.is_written_in(tag.script) {
            let found = counts.dominant().map_or("no letters".to_string(), |s| format!("mostly {s}"));
            self.error(format!("{what}: `{tag}` must be written in {} script, found {found}", tag.script));
        }
    }

    fn review(&mut self, what: &str, review: &Review) {
        match review.status {
            ReviewStatus::MachineDraft => {
                self.warning(format!("{what}: machine-drafted, needs a fluent reviewer"));
            }
            ReviewStatus::Draft => self.warning(format!("{what}: not reviewed yet")),
            ReviewStatus::Reviewed => {
                if review.by.as_deref().is_none_or(str::is_empty) || review.date.is_none() {
                    self.error(format!("{what}: marked reviewed without `by` and `date`"));
                }
            }
        }
        if let Some(date) = &review.date {
            self.date(&format!("{what}: review date"), date);
        }
    }

    fn date(&mut self, what: &str, date: &str) {
        if date.parse::<jiff::civil::Date>().is_err() {
            self.error(format!("{what} `{date}` is not a YYYY-MM-DD date"));
        }
    }

    fn audio(&mut self, corpus: &Corpus, what: &str, relative: &Path) {
        // Paths out of the corpus were dropped at load (a problem says so);
        // checked again here so nothing outside is ever opened.
        let path = match super::paths::confine(&corpus.root, relative) {
            Ok(path) => path,
            Err(e) => return self.error(format!("{what}: {e}")),
        };
        if path.is_dir() {
            self.error(format!("{what}: audio {} is a directory, not a recording", relative.display()));
        } else if !path.is_file() {
            self.error(format!("{what}: audio file {} is missing", relative.display()));
        } else if let Err(e) = load_audio(&path) {
            self.error(format!("{what}: audio file {} cannot be decoded: {e}", relative.display()));
        }
    }
}

fn check_entry(corpus: &Corpus, entry: &Entry, report: &mut Report) {
    if entry.country.len() != 2 || !entry.country.chars().all(|c| c.is_ascii_uppercase()) {
        report.error(format!("country `{}` is not a two-letter code like MA or SN", entry.country));
    }
    if entry.domain.needs_citation() && entry.sources.is_empty() {
        report.error(format!("a {} entry must cite its official source ([[sources]])", entry.domain.as_str()));
    }
    for (i, source) in entry.sources.iter().enumerate() {
        if source.title.trim().is_empty() {
            report.error(format!("sources[{i}]: empty title"));
        }
        report.date(&format!("sources[{i}]: consulted"), &source.consulted);
    }
    for target in &entry.see_also {
        if !corpus.entries.contains_key(target) {
            report.error(format!("see_also: no entry `{target}`"));
        }
    }
    if let Some(form) = &entry.form {
        if !corpus.forms.contains_key(form) {
            report.error(format!("form: no form `{form}` under forms/"));
        }
    }
    if entry.text.is_empty() && entry.lesson.is_none() {
        report.error("no [text.LANG] section: nothing to say".into());
    }
    for (key, text) in &entry.text {
        let what = format!("text.{key}");
        let Some(tag) = report.language(&what, key) else { continue };
        report.script(&format!("{what}.title"), &tag, &text.title);
        report.script(&format!("{what}.body"), &tag, &text.body);
        if text.body.trim().is_empty() {
            report.error(format!("{what}.body is empty"));
        }
        report.review(&what, &text.review);
        if let Some(audio) = &text.audio {
            report.audio(corpus, &what, audio);
        }
    }
    match (&entry.lesson, entry.domain) {
        (None, super::Domain::Literacy) => report.error("a literacy entry needs a [lesson]".into()),
        (Some(lesson), _) => {
            let Some(tag) = report.language("lesson.language", &lesson.language) else { return };
            report.review("lesson", &lesson.review);
            if lesson.items.is_empty() {
                report.error("lesson has no items".into());
            }
            for (i, item) in lesson.items.iter().enumerate() {
                let what = format!("lesson.items[{i}] `{}`", item.text);
                report.script(&what, &tag, &item.text);
                for syllable in &item.syllables {
                    report.script(&format!("{what} syllable `{syllable}`"), &tag, syllable);
                }
                if !item.syllables.is_empty() && item.syllables.concat() != item.text {
                    report.error(format!("{what}: syllables {:?} do not spell the word", item.syllables));
                }
                if let Some(latin) = &item.latin {
                    let latin_tag = LangTag { language: tag.language, script: super::lang::Script::Latn };
                    report.script(&format!("{what} latin"), &latin_tag, latin);
                }
                for key in item.meaning.keys() {
                    report.language(&format!("{what} meaning"), key);
                }
                if let Some(audio) = &item.audio {
                    report.audio(corpus, &what, audio);
                }
            }
        }
        (None, _) => {}
    }
}

fn check_form(form: &Form, report: &mut Report) {
    report.review("form", &form.review);
    for (key, title) in &form.title {
        if let Some(tag) = report.language("title", key) {
            report.script(&format!("title.{key}"), &tag, title);
        }
    }
    let mut ids = BTreeSet::new();
    for field in &form.fields {
        let what = format!("field `{}`", field.id);
        if !ids.insert(field.id.as_str()) {
            report.error(format!("{what} is defined twice"));
        }
        if field.prompt.is_empty() {
            report.error(format!("{what} has no prompt"));
        }
        for (key, prompt) in &field.prompt {
            if let Some(tag) = report.language(&format!("{what} prompt"), key) {
                report.script(&format!("{what} prompt.{key}"), &tag, prompt);
            }
        }
        if field.kind == FieldKind::Choice && field.choices.is_empty() {
            report.error(format!("{what} is a choice with no `choices`"));
        }
        for (key, label) in &field.label {
            if let Some(tag) = report.language(&format!("{what} label"), key) {
                report.script(&format!("{what} label.{key}"), &tag, label);
            }
        }
    }
    check_sheet(form, report);
    // Rendered with a sample value of each field, under the kiosk's limits:
    // what passes here renders at export.
    let mut samples: BTreeMap<String, String> =
        form.fields.iter().map(|field| (field.id.clone(), field.sample())).collect();
    samples.insert("today".to_string(), "2026-03-21".to_string());
    for (key, template) in &form.document.template {
        let what = format!("document.template.{key}");
        report.language(&what, key);
        let env = minijinja::Environment::new();
        // `range`, `dict`…: minijinja's own functions are not variables.
        let builtin: BTreeSet<&str> = env.globals().map(|(name, _)| name).collect();
        if let Err(e) = template::parse_guard(key, template) {
            report.error(e.to_string());
            continue;
        }
        if let Ok(parsed) = env.template_from_str(template) {
            for variable in parsed.undeclared_variables(false) {
                let known = ids.contains(variable.as_str())
                    || form::RENDER_VARIABLES.contains(&variable.as_str())
                    || builtin.contains(variable.as_str());
                if !known {
                    report.error(format!("{what} uses `{variable}`, which is not a field of this form"));
                }
            }
        }
        // Syntax errors too, with their line.
        if let Err(e) = template::render(&form.document.template, key, &samples, template::LIMITS) {
            report.error(e.to_string());
        }
    }
    if form.document.template.is_empty() {
        report.error("document has no template".into());
    }
}

/// The printed sheet: each of its languages has the title, and every field
/// a label, in that language.
fn check_sheet(form: &Form, report: &mut Report) {
    for key in &form.document.languages {
        if report.language("document.languages", key).is_none() {
            continue;
        }
        if !form.document.title.contains_key(key) {
            report.error(format!("document.languages has `{key}`, but document.title has no `{key}`"));
        }
        for field in form.fields.iter().filter(|field| !field.label.contains_key(key)) {
            report.error(format!("field `{}` has no label.{key}, which the sheet prints", field.id));
        }
    }
    if form.document.languages.len() > 2 {
        report.error("document.languages: a sheet has room for two languages side by side".into());
    }
}

/// Placeholders a phrase must keep: the kiosk fills them in.
const PLACEHOLDERS: [(&str, &str); 8] = [
    ("phrases.draft-kept", "{number}"),
    ("phrases.document-failed", "{number}"),
    ("phrases.resumed", "{number}"),
    ("phrases.choose-language", "{choices}"),
    ("phrases.no-voice-yet", "{language}"),
    ("lesson.almost", "{item}"),
    ("sheet.draft", "{draft}"),
    ("sheet.made-on", "{date}"),
];

/// A language file: (unknown keys, missing keys and a broken `fallback` were
/// reported when it was loaded) words in the language's scripts, phrases the
/// kiosk has, placeholders kept, numbers that are numbers, the Whisper language.
fn check_language(language: &Language, report: &mut Report) {
    report.review("language", &language.review);
    let scripts = language.scripts();
    let names = scripts.iter().map(Script::to_string).collect::<Vec<_>>().join(" or ");
    // Placeholders are the kiosk's, not the language's: `{number}`.
    let slot = regex::Regex::new(r"\{[a-z]+\}").expect("a valid pattern");
    for (what, word) in languages::words(language) {
        let said = slot.replace_all(word, "");
        let counts = ScriptCounts::of(&said);
        if !scripts.iter().any(|script| counts.is_written_in(*script)) {
            let found = counts.dominant().map_or("no letters".to_string(), |s| format!("mostly {s}"));
            report.error(format!(
                "{what} `{word}`: `{}` words must be written in {names} script, found {found} \
                 (list another script in `scripts`)",
                language.code
            ));
        }
        if let Some((_, placeholder)) = PLACEHOLDERS.iter().find(|(key, _)| *key == what) {
            if !word.contains(placeholder) {
                report.error(format!("{what}: must keep `{placeholder}`, which the kiosk fills in"));
            }
        }
    }
    for script in [Script::Latn, Script::Arab, Script::Tfng] {
        if let Some(name) = language.spoken_name.get(script) {
            let tag = LangTag { language: language.code, script };
            report.script(&format!("spoken_name.{script} `{name}`"), &tag, name);
        }
    }
    for key in language.phrases.keys().filter(|key| !PHRASE_KEYS.contains(&key.as_str())) {
        report.error(format!("phrases.{key}: the kiosk has no such phrase (its phrases: {})", PHRASE_KEYS.join(", ")));
    }
    for number in language.numbers.keys().filter(|n| n.parse::<usize>().is_err()) {
        report.error(format!("numbers.{number}: not a number (write `12 = [\"douze\"]`)"));
    }
    let not_a_month = |m: &&String| m.parse::<u32>().map_or(true, |m| !(1..=12).contains(&m));
    for month in language.months.keys().filter(not_a_month) {
        report.error(format!("months.{month}: not a month's number, 1 to 12 (write `3 = [\"mars\"]`)"));
    }
    if let Some(whisper) = &language.whisper {
        if !crate::asr::LANGUAGES.contains(&whisper.as_str()) {
            report.error(format!("whisper = `{whisper}`: not a language Whisper knows (`ar`, `fr`, `en`…)"));
        }
    }
}

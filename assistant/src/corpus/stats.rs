//! `awal corpus stats`: how much content exists per country, language and
//! domain, how much of it is reviewed and how much can be played as a recording.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::entry::{Domain, ReviewStatus};
use super::Corpus;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub country: String,
    pub lang: String,
    pub domain: String,
    pub entries: usize,
    pub reviewed: usize,
    pub machine_draft: usize,
    pub with_audio: usize,
}

pub fn stats(corpus: &Corpus) -> Vec<Row> {
    let mut rows: BTreeMap<(String, String, Domain), Row> = BTreeMap::new();
    let mut count = |country: &str, lang: &str, domain: Domain, status: ReviewStatus, audio: bool| {
        let row = rows.entry((country.to_string(), lang.to_string(), domain)).or_insert_with(|| Row {
            country: country.to_string(),
            lang: lang.to_string(),
            domain: domain.as_str().to_string(),
            ..Row::default()
        });
        row.entries += 1;
        row.reviewed += usize::from(status == ReviewStatus::Reviewed);
        row.machine_draft += usize::from(status == ReviewStatus::MachineDraft);
        row.with_audio += usize::from(audio);
    };
    for loaded in corpus.entries.values() {
        let entry = &loaded.item;
        for (lang, text) in &entry.text {
            count(&entry.country, lang, entry.domain, text.review.status, text.audio.is_some());
        }
        if let Some(lesson) = entry.lesson.as_ref().filter(|l| !entry.text.contains_key(&l.language)) {
            let audio = !lesson.items.is_empty() && lesson.items.iter().all(|i| i.audio.is_some());
            count(&entry.country, &lesson.language, entry.domain, lesson.review.status, audio);
        }
    }
    rows.into_values().collect()
}

/// The table as aligned text, one row per country × language × domain.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut line = |cells: [&dyn std::fmt::Display; 7]| {
        let [country, lang, domain, entries, reviewed, machine_draft, audio] = cells;
        let _ = writeln!(
            out,
            "{country:<8} {lang:<9} {domain:<10} {entries:>7} {reviewed:>8} {machine_draft:>13} {audio:>5}"
        );
    };
    line([&"country", &"lang", &"domain", &"entries", &"reviewed", &"machine-draft", &"audio"]);
    for r in rows {
        line([&r.country, &r.lang, &r.domain, &r.entries, &r.reviewed, &r.machine_draft, &r.with_audio]);
    }
    let total = |f: fn(&Row) -> usize| rows.iter().map(f).sum::<usize>();
    let totals = [total(|r| r.entries), total(|r| r.reviewed), total(|r| r.machine_draft), total(|r| r.with_audio)];
    line([&"total", &"", &"", &totals[0], &totals[1], &totals[2], &totals[3]]);
    out
}

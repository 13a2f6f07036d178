//! A filled form as the sheet an office is handed (`documents::Sheet`): in
//! the languages the form names (`document.languages`, French and Arabic
//! side by side for Morocco), else in the first of the person's languages
//! (their own, then its fallbacks) the form is written in.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::corpus::form::{FieldKind, Form};
use crate::corpus::languages::{Languages, SheetWords};
use crate::corpus::LangTag;
use crate::documents::{reads_right_to_left, Sheet, SheetText};

/// The sheet of draft `draft` of `form`, filled with `answers`, made on `today` (ISO).
pub fn sheet(
    form: &Form,
    answers: &BTreeMap<String, String>,
    draft: i64,
    today: &str,
    person: LangTag,
    languages: &Languages,
) -> Sheet {
    let sides = sheet_languages(form, person, languages)
        .into_iter()
        .map(|tag| side(form, draft, today, tag, languages))
        .collect();
    let values = form
        .fields
        .iter()
        .map(|field| {
            let value = answers.get(&field.id).map_or("", String::as_str);
            match field.kind {
                FieldKind::Date => written_date(value),
                _ => value.to_string(),
            }
        })
        .collect();
    Sheet { sides, values }
}

/// The tags the sheet is printed in.
fn sheet_languages(form: &Form, person: LangTag, languages: &Languages) -> Vec<LangTag> {
    let named: Vec<LangTag> = form.document.languages.iter().filter_map(|key| LangTag::from_str(key).ok()).collect();
    if !named.is_empty() {
        return named;
    }
    let chain = languages.chain(person.language).unwrap_or_default();
    let written =
        chain.iter().map(|language| language.tag()).find(|tag| form.document.title.contains_key(&tag.to_string()));
    vec![written.unwrap_or(person)]
}

fn side(form: &Form, draft: i64, today: &str, tag: LangTag, languages: &Languages) -> SheetText {
    // The text in the side's language, else along its fallbacks (as the
    // kiosk's own words are found), else any.
    let mut keys = vec![tag.to_string()];
    keys.extend(languages.chain(tag.language).unwrap_or_default().iter().map(|language| language.tag().to_string()));
    let text = |texts: &BTreeMap<String, String>| {
        keys.iter().find_map(|key| texts.get(key)).or_else(|| texts.values().next()).cloned()
    };
    let word = |pick: fn(&SheetWords) -> Option<&String>| {
        languages.find(&tag, |language| pick(&language.sheet)).map_or(String::new(), |(word, _)| word.clone())
    };
    let title = text(&form.document.title).or_else(|| text(&form.title)).unwrap_or_default();
    let mut signatures: Vec<String> = form.document.signatures.iter().filter_map(&text).collect();
    if signatures.is_empty() {
        signatures.push(word(|w| w.signature.as_ref()));
    }
    SheetText {
        right_to_left: reads_right_to_left(&title),
        reference: text(&form.document.reference),
        labels: form.fields.iter().map(|field| text(&field.label).unwrap_or_else(|| field.id.clone())).collect(),
        signatures,
        draft: word(|w| w.draft.as_ref()).replace("{draft}", &draft.to_string()),
        made_on: word(|w| w.made_on.as_ref()).replace("{date}", &written_date(today)),
        date: word(|w| w.date.as_ref()),
        check: word(|w| w.check.as_ref()),
        title,
    }
}

/// An ISO date (`2026-03-21`) as offices in Morocco and Senegal write it
/// (`21/03/2026`); anything else as it is.
fn written_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(date) => date.strftime("%d/%m/%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_day_first() {
        assert_eq!(written_date("2026-03-21"), "21/03/2026");
        assert_eq!(written_date("le 21 mars"), "le 21 mars");
    }
}

//! Filling a form by voice: each field is asked, the answer checked by the
//! field's validator and read back; "yes" saves it to the draft in the store,
//! "no" asks again. At the end the whole sheet is read back; a field can be
//! corrected by its number; "yes" exports the sheet (text and JSON).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::corpus::form::{Field, FieldKind, Form};
use crate::corpus::languages::{Languages, PaperworkWords};
use crate::corpus::LangTag;
use crate::documents::template::{self, TemplateError};
use crate::documents::{write_sheet, write_synced, DocumentError};
use crate::lm::{JsonGrammar, LanguageModel, LmError};
use crate::store::{Draft, Store, StoreError};
use crate::words::numbers::{spoken_amount, spoken_date, spoken_digits, SpokenDate};
use crate::words::{spoken_number, Command};

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Waiting for the answer to field `n`.
    Asking(usize),
    /// Field `n` heard as this value; waiting for yes or no.
    Confirming(usize, String),
    /// All fields answered; waiting for yes (export) or no (correct one).
    Review,
    /// Waiting for the number of the field to correct.
    WhichField,
}

/// What a form walk works with: the store that keeps the draft, where filled
/// forms are written, and the language model that reads values out of
/// sentences (if any).
pub struct Desk<'a> {
    pub store: &'a Store,
    pub export_dir: &'a Path,
    pub lm: Option<&'a mut dyn LanguageModel>,
}

/// Where a form walk stands. Saved answers live in the store's draft.
#[derive(Debug)]
pub struct FormWalk {
    pub form_id: String,
    pub draft: i64,
    state: State,
    answers: BTreeMap<String, String>,
    /// A correction returns to the review instead of the next field.
    correcting: bool,
}

/// What the walk says next.
#[derive(Debug)]
pub struct Step {
    pub text: String,
    /// Files written when the sheet was exported.
    pub exported: Vec<PathBuf>,
    pub done: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PaperworkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing {path}: {source}")]
    Export { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("form {form}: {source}")]
    Template { form: String, source: TemplateError },
    #[error("form {form}: {source}; the answers were written as plain text to {}", written.display())]
    Sheet { form: String, source: TemplateError, written: PathBuf },
}

/// The person's language, and the languages whose files hold what the walk
/// says around the fields (`[paperwork]`: Darija uses Arabic's, the
/// languages without words of their own French's).
#[derive(Clone, Copy)]
pub struct InLanguage<'l> {
    pub tag: LangTag,
    pub languages: &'l Languages,
}

impl<'l> InLanguage<'l> {
    /// One of the walk's words, from the language or its fallbacks.
    fn word(&self, pick: impl Fn(&'l PaperworkWords) -> Option<&'l String>) -> &'l str {
        self.languages
            .find(&self.tag, |language| pick(&language.paperwork))
            .map(|(word, _)| word.as_str())
            .expect("every language's fallbacks hold the form walk's words (checked when the languages load)")
    }

    /// The language every text can be found in: the last of the person's
    /// language's fallbacks (French).
    fn last_resort(&self) -> LangTag {
        let chain = self.languages.chain(self.tag.language).unwrap_or_default();
        chain.last().map_or(self.tag, |language| language.tag())
    }

    /// The text for the tag (`ary-Latn`), else its base language (`ary`),
    /// else the last resort (French), else any.
    fn text_in<'m>(&self, texts: &'m BTreeMap<String, String>) -> Option<&'m String> {
        let (tag, base, last) = (self.tag.to_string(), self.tag.base().to_string(), self.last_resort().to_string());
        texts.get(&tag).or_else(|| texts.get(&base)).or_else(|| texts.get(&last)).or_else(|| texts.values().next())
    }
}

impl FormWalk {
    /// Starts a new draft of `form` and asks its first field.
    pub fn start(form: &Form, lang: &InLanguage, store: &Store) -> Result<(Self, Step), PaperworkError> {
        let draft = store.new_draft(&form.id, &lang.tag.to_string())?;
        let walk = Self {
            form_id: form.id.clone(),
            draft,
            state: State::Asking(0),
            answers: BTreeMap::new(),
            correcting: false,
        };
        let step = walk.ask(form, lang, 0, "");
        Ok((walk, step))
    }

    /// Carries on with a kept draft of `form`: its confirmed answers stay,
    /// the first field without one is asked (or the sheet read back when
    /// every field has one). `preface` is said first ("form 12 again").
    pub fn resume(
        form: &Form,
        draft: &Draft,
        lang: &InLanguage,
        preface: &str,
    ) -> Result<(Self, Step), PaperworkError> {
        let answers: BTreeMap<String, String> = form
            .fields
            .iter()
            .filter_map(|field| Some((field.id.clone(), draft.answers.get(&field.id)?.as_str()?.to_string())))
            .collect();
        let next = form.fields.iter().position(|field| !answers.contains_key(&field.id));
        let mut walk =
            Self { form_id: form.id.clone(), draft: draft.id, state: State::Asking(0), answers, correcting: false };
        let step = match next {
            Some(n) => {
                walk.state = State::Asking(n);
                walk.ask(form, lang, n, &format!("{preface} "))
            }
            None => {
                let review = walk.review(form, lang)?;
                walk.say(format!("{preface} {}", review.text))
            }
        };
        Ok((walk, step))
    }

    fn ask(&self, form: &Form, lang: &InLanguage, n: usize, preface: &str) -> Step {
        let field = &form.fields[n];
        let prompt = lang.text_in(&field.prompt).map_or(field.id.as_str(), String::as_str);
        Step { text: format!("{preface}{prompt}").trim().to_string(), exported: Vec::new(), done: false }
    }

    /// Handles one utterance (`command` is what it means as a command, if anything).
    pub fn step(
        &mut self,
        form: &Form,
        lang: &InLanguage,
        said: &str,
        command: Option<Command>,
        desk: Desk<'_>,
    ) -> Result<Step, PaperworkError> {
        let Desk { store, export_dir, lm } = desk;
        let noted = lang.word(|w| w.noted.as_ref());
        let is_that_right = lang.word(|w| w.is_that_right.as_ref());
        let not_understood = lang.word(|w| w.not_understood.as_ref());
        let which_field = lang.word(|w| w.which_field.as_ref());
        match self.state.clone() {
            State::Asking(n) => {
                if command == Some(Command::Back) && n > 0 {
                    self.state = State::Asking(n - 1);
                    return Ok(self.ask(form, lang, n - 1, ""));
                }
                // "I did not understand" a question: it is asked again.
                if matches!(command, Some(Command::Repeat | Command::Simpler)) {
                    return Ok(self.ask(form, lang, n, ""));
                }
                // The model pulls the value out of a sentence ("our cooperative is
                // called Tifawt" → "Tifawt"); the validator has the last word.
                let extracted = match lm {
                    Some(lm) => {
                        extract(lm, &form.fields[n], &self.ask(form, lang, n, "").text, said).unwrap_or_else(|e| {
                            tracing::warn!("paperwork: extraction failed ({e}); using the words as said");
                            None
                        })
                    }
                    None => None,
                };
                // The model may only copy from the utterance: a value it invented
                // (a date in answer to "yes") is dropped.
                let extracted = extracted.filter(|value| said_in(value, said, lang.languages));
                if let Some(value) = extracted.and_then(|v| form.fields[n].validate(&v).ok()) {
                    self.state = State::Confirming(n, value.clone());
                    return Ok(self.say(format!("{noted} {value}. {is_that_right}")));
                }
                // "cinq mille dirhams" for a money field: the validator wants digits.
                let field = &form.fields[n];
                let validated = field.validate(said).or_else(|e| {
                    in_writing(field.kind, said, lang.languages).map_or(Err(e), |written| field.validate(&written))
                });
                match validated {
                    Ok(value) => {
                        self.state = State::Confirming(n, value.clone());
                        Ok(self.say(format!("{noted} {value}. {is_that_right}")))
                    }
                    Err(_) => Ok(self.ask(form, lang, n, &format!("{not_understood} "))),
                }
            }
            State::Confirming(n, value) => match command {
                Some(Command::Yes) => {
                    store.set_answer(self.draft, &form.fields[n].id, &Value::String(value.clone()))?;
                    self.answers.insert(form.fields[n].id.clone(), value);
                    if n + 1 < form.fields.len() && !self.correcting {
                        self.state = State::Asking(n + 1);
                        Ok(self.ask(form, lang, n + 1, ""))
                    } else {
                        self.correcting = false;
                        self.review(form, lang)
                    }
                }
                Some(Command::No) => {
                    self.state = State::Asking(n);
                    Ok(self.ask(form, lang, n, ""))
                }
                _ => Ok(self.say(format!("{noted} {value}. {is_that_right}"))),
            },
            State::Review => match command {
                Some(Command::Yes) => self.export(form, lang, store, export_dir),
                Some(Command::No) => {
                    self.state = State::WhichField;
                    Ok(self.say(format!("{which_field} {}.", form.fields.len())))
                }
                _ => self.review(form, lang),
            },
            State::WhichField => {
                match spoken_number(said, lang.languages).filter(|n| (1..=form.fields.len()).contains(n)) {
                    Some(n) => {
                        self.correcting = true;
                        self.state = State::Asking(n - 1);
                        Ok(self.ask(form, lang, n - 1, ""))
                    }
                    None => Ok(self.say(format!("{not_understood} {which_field} {}.", form.fields.len()))),
                }
            }
        }
    }

    fn say(&self, text: String) -> Step {
        Step { text, exported: Vec::new(), done: false }
    }

    /// Reads the whole sheet back, numbered, and asks whether it is right.
    fn review(&mut self, form: &Form, lang: &InLanguage) -> Result<Step, PaperworkError> {
        self.state = State::Review;
        let sheet = lang.word(|w| w.here_is_the_sheet.as_ref());
        let is_everything_right = lang.word(|w| w.is_everything_right.as_ref());
        // A broken template must not stop the walk: the answers are read back
        // as they are, and the export says what failed.
        let filled = self.render(form, lang).unwrap_or_else(|e| {
            tracing::warn!("paperwork: {e}");
            self.plain(form)
        });
        let lines: Vec<String> = filled.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        let numbered: Vec<String> =
            lines.iter().take(form.fields.len()).enumerate().map(|(i, line)| format!("{}. {line}", i + 1)).collect();
        Ok(self.say(format!("{sheet} {} {is_everything_right}", numbered.join(" "))))
    }

    /// The form's document in `lang` (else French, else any), filled in
    /// under the limits of `documents::template`.
    fn render(&self, form: &Form, lang: &InLanguage) -> Result<String, PaperworkError> {
        let keys: BTreeMap<String, String> = form.document.template.keys().map(|k| (k.clone(), k.clone())).collect();
        let key = lang.text_in(&keys).map_or("", String::as_str);
        let mut values = self.answers.clone();
        values.insert("today".to_string(), today());
        template::render(&form.document.template, key, &values, template::LIMITS)
            .map_err(|source| PaperworkError::Template { form: form.id.clone(), source })
    }

    /// The answers one per line, field by field: what is read back and
    /// exported when the form's template fails.
    fn plain(&self, form: &Form) -> String {
        form.fields
            .iter()
            .filter_map(|field| Some(format!("{}: {}", field.id, self.answers.get(&field.id)?)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Writes the filled sheet as text and as JSON beside it, and records the export.
    fn export(&mut self, form: &Form, lang: &InLanguage, store: &Store, dir: &Path) -> Result<Step, PaperworkError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PaperworkError::Export { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let title = lang.text_in(&form.document.title);
        let text_path = dir.join(format!("{}-{}.txt", self.form_id, self.draft));
        let rendered = self.render(form, lang);
        let body = rendered.as_ref().map_or_else(|_| self.plain(form), String::clone);
        let text = format!("{}\n{}\n", title.map_or("", String::as_str), body);
        write_synced(&text_path, text.as_bytes()).map_err(io(&text_path))?;
        // The answers are on paper as plain text; the draft stays open (not
        // exported) until its template is fixed.
        if let Err(PaperworkError::Template { form, source }) = rendered {
            return Err(PaperworkError::Sheet { form, source, written: text_path });
        }
        let json_path = dir.join(format!("{}-{}.json", self.form_id, self.draft));
        let record =
            json!({ "form": self.form_id, "lang": lang.tag.to_string(), "date": today(), "answers": self.answers });
        let pretty = serde_json::to_string_pretty(&record).expect("a JSON value serializes");
        write_synced(&json_path, pretty.as_bytes()).map_err(io(&json_path))?;
        // The printable sheet, laid out from the fields' labels (see `sheet`).
        let pdf_path = dir.join(format!("{}-{}.pdf", self.form_id, self.draft));
        let sheet = super::sheet::sheet(form, &self.answers, self.draft, &today(), lang.tag, lang.languages);
        write_sheet(&sheet, &pdf_path)?;
        store.record_export(self.draft, "text", &text_path)?;
        store.record_export(self.draft, "json", &json_path)?;
        store.record_export(self.draft, "pdf", &pdf_path)?;
        Ok(Step {
            text: lang.word(|w| w.sheet_ready.as_ref()).to_string(),
            exported: vec![text_path, json_path, pdf_path],
            done: true,
        })
    }
}

/// The value of `field` in what was said, by the language model's
/// schema-constrained output; `None` when the answer does not contain one.
pub fn extract(
    lm: &mut dyn LanguageModel,
    field: &Field,
    question: &str,
    said: &str,
) -> Result<Option<String>, LmError> {
    let value = match field.kind {
        FieldKind::Integer | FieldKind::Money => json!({"type": ["integer", "null"]}),
        FieldKind::Choice => json!({"type": ["string", "null"], "enum": field.choices}),
        _ => json!({"type": ["string", "null"], "maxLength": 80}),
    };
    let grammar = JsonGrammar::from_schema(&json!({"type": "object", "properties": {"value": value}}))?;
    let system = "You fill in a form from what a person said. Reply with the value they gave for the question, \
                  copied from their words (a name, a number, a date), without the rest of the sentence; \
                  null if they did not give it.\n\
                  Question: What is the name of the cooperative?\nAnswer: Our cooperative is called Amal\n\
                  {\"value\": \"Amal\"}\n\
                  Question: Who is the president?\nAnswer: The president is Aicha Bennani\n\
                  {\"value\": \"Aicha Bennani\"}\n\
                  Question: On what date was the meeting?\nAnswer: it was on 5/6/2024\n\
                  {\"value\": \"5/6/2024\"}\n\
                  Question: How many members are there?\nAnswer: yes\n{\"value\": null}";
    let user = format!("Question: {question}\nAnswer: {said}\nReply in JSON.");
    let reply = lm.chat_json(&[("system", system), ("user", &user)], &grammar)?;
    Ok(match &reply["value"] {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    })
}

/// What a field's validator reads, from an answer said in words: an amount
/// ("cinq mille dirhams" → 5000), a phone number said in groups ("zéro six,
/// douze…"), a date with its month's name ("le vingt et un mars": this year
/// when no year is said), an identity card's letters then its digits.
fn in_writing(kind: FieldKind, said: &str, languages: &Languages) -> Option<String> {
    match kind {
        FieldKind::Integer | FieldKind::Money => spoken_amount(said, languages).map(|n| n.to_string()),
        FieldKind::PhoneMa | FieldKind::PhoneSn => spoken_digits(said, languages),
        FieldKind::Date => {
            let SpokenDate { day, month, year } = spoken_date(said, languages)?;
            let year = year.unwrap_or_else(|| i32::from(jiff::Zoned::now().year()));
            Some(format!("{day:02}/{month:02}/{year}"))
        }
        FieldKind::CinMa => {
            // "B E, un deux trois…": the letters said one by one, then the digits.
            let folded = crate::corpus::normalize::fold(said);
            let letters: String = folded
                .split(|c: char| !c.is_alphanumeric())
                .take_while(|word| word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic()))
                .collect();
            let digits = spoken_digits(said, languages)?;
            (!letters.is_empty()).then(|| format!("{}{digits}", letters.to_uppercase()))
        }
        FieldKind::Text | FieldKind::Choice => None,
    }
}

fn today() -> String {
    jiff::Zoned::now().date().to_string()
}

/// Whether `value` comes from what was said: each of its words and numbers is
/// in the utterance (numbers without leading zeros: "03" is "3"), or the value
/// is a number the utterance says in words ("douze membres" → 12).
pub fn said_in(value: &str, said: &str, languages: &Languages) -> bool {
    let tokens = |text: &str| -> Vec<String> {
        crate::corpus::normalize::fold(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| {
                if t.chars().all(|c| c.is_ascii_digit()) {
                    t.trim_start_matches('0').to_string()
                } else {
                    t.to_string()
                }
            })
            .collect()
    };
    let heard = tokens(said);
    let copied = tokens(value);
    let all_copied = !copied.is_empty() && copied.iter().all(|t| heard.contains(t));
    all_copied || value.parse::<usize>().is_ok_and(|number| spoken_number(said, languages) == Some(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_counts_only_when_it_was_said() {
        let languages = Languages::built_in();
        let said_in = |value, said| said_in(value, said, &languages);
        assert!(said_in("Tifawt", "Notre coopérative s'appelle Tifawt"));
        assert!(said_in("2026-03-21", "le 21/03/2026"));
        assert!(said_in("12", "nous sommes douze membres"));
        assert!(said_in("Fatima Amrani", "la présidente est Fatima AMRANI"));
        assert!(!said_in("2023-04-15", "oui"), "invented from a yes");
        assert!(!said_in("Fatima Zahra Amrani", "Fatima Amrani"), "a word added");
        assert!(!said_in("", "oui"));
    }
}

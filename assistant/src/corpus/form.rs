//! Paperwork forms as data: fields, spoken prompts, validators and the document
//! they fill.
//!
//! ```toml
//! id = "ma-form-cooperative"
//! country = "MA"
//! [title]
//! fr = "Dossier de constitution d'une coopérative"
//! [review]
//! status = "draft"
//! [[fields]]
//! id = "president_cin"
//! kind = "cin-ma"
//! [fields.prompt]
//! fr = "Quel est le numéro de la carte d'identité de la présidente ?"
//! [fields.label]
//! fr = "CIN de la présidente"
//! [document]
//! title = { fr = "Demande de certificat négatif" }
//! template = { fr = "Nom : {{ cooperative_name }}" }   # minijinja
//! reference = { fr = "Loi n° 112-12" }
//! signatures = [{ fr = "La présidente" }]
//! languages = ["fr", "ar"]                             # printed side by side
//! ```
//!
//! Validators turn what was said (already transcribed, digits as digits) into a
//! normalised value, or say what is wrong in words that can be read aloud.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::entry::Review;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub id: String,
    pub country: String,
    /// Per language tag.
    pub title: BTreeMap<String, String>,
    pub review: Review,
    pub fields: Vec<Field>,
    pub document: Document,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Name used in the document template.
    pub id: String,
    pub kind: FieldKind,
    #[serde(default = "yes")]
    pub required: bool,
    /// The question asked, per language tag.
    pub prompt: BTreeMap<String, String>,
    /// Allowed answers for `choice` fields.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Bounds for `integer` and `money` fields.
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// The field's name on the printed sheet, per language tag.
    #[serde(default)]
    pub label: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// Free text (a name, an address, an activity).
    Text,
    /// Moroccan national identity card number.
    CinMa,
    /// Moroccan phone number.
    PhoneMa,
    /// Senegalese phone number.
    PhoneSn,
    /// A calendar date.
    Date,
    /// An amount of money in whole units of the country's currency.
    Money,
    /// A whole number (members, shares).
    Integer,
    /// One of `choices`.
    Choice,
}

/// Variables a document template may use besides the field ids.
pub const RENDER_VARIABLES: [&str; 1] = ["today"];

/// The document a filled form produces.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub title: BTreeMap<String, String>,
    /// minijinja templates per language tag; variables are field ids. They
    /// make the plain-text record; the printed sheet is laid out from the
    /// fields' labels.
    pub template: BTreeMap<String, String>,
    /// The law or regulation the form comes from, per language tag.
    #[serde(default)]
    pub reference: BTreeMap<String, String>,
    /// Who signs: one box each, its caption per language tag.
    #[serde(default)]
    pub signatures: Vec<BTreeMap<String, String>>,
    /// The languages the sheet is printed in, side by side, as the office
    /// reads them (`["fr", "ar"]`); empty: the person's language.
    #[serde(default)]
    pub languages: Vec<String>,
}

/// Why an answer does not fit a field; the message can be spoken back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    #[error("the answer is empty")]
    Empty,
    #[error("a Moroccan identity card number is one or two letters then up to six digits, like BE123456; got `{0}`")]
    Cin(String),
    #[error("a {country} phone number has {digits} digits after the country code; got `{value}`")]
    Phone { country: &'static str, digits: usize, value: String },
    #[error("not a date (day/month/year, like 21/03/2026): `{0}`")]
    Date(String),
    #[error("not a whole number: `{0}`")]
    Number(String),
    #[error("{value} is below the minimum of {min}")]
    BelowMinimum { value: i64, min: i64 },
    #[error("{value} is above the maximum of {max}")]
    AboveMaximum { value: i64, max: i64 },
    #[error("`{value}` is not one of: {choices}")]
    NotAChoice { value: String, choices: String },
}

impl Field {
    /// A value of this field's kind as the walk would store it, longest of its
    /// kind where it can be, for rendering the document in `corpus check`.
    pub fn sample(&self) -> String {
        match self.kind {
            FieldKind::Text => "Coopérative agricole Tifawt des femmes du douar".to_string(),
            FieldKind::CinMa => "BE123456".to_string(),
            FieldKind::PhoneMa => "+212612345678".to_string(),
            FieldKind::PhoneSn => "+221771234567".to_string(),
            FieldKind::Date => "2026-03-21".to_string(),
            FieldKind::Integer | FieldKind::Money => self.max.or(self.min).unwrap_or(12).to_string(),
            FieldKind::Choice => self.choices.first().cloned().unwrap_or_default(),
        }
    }

    /// Checks `answer` and returns its normalised form: CIN upper-case without
    /// spaces, phones as `+212…`/`+221…`, dates as `YYYY-MM-DD`, numbers as digits,
    /// choices as written in the form.
    pub fn validate(&self, answer: &str) -> Result<String, InvalidValue> {
        let answer = answer.trim();
        if answer.is_empty() {
            return Err(InvalidValue::Empty);
        }
        match self.kind {
            FieldKind::Text => Ok(answer.split_whitespace().collect::<Vec<_>>().join(" ")),
            FieldKind::CinMa => validate_cin(answer),
            FieldKind::PhoneMa => validate_phone(answer, "Moroccan", "212", 9, &['5', '6', '7', '8']),
            FieldKind::PhoneSn => validate_phone(answer, "Senegalese", "221", 9, &['3', '7']),
            FieldKind::Date => {
                parse_date(answer).map(|d| d.to_string()).ok_or_else(|| InvalidValue::Date(answer.into()))
            }
            FieldKind::Integer | FieldKind::Money => {
                let value = parse_amount(answer).ok_or_else(|| InvalidValue::Number(answer.into()))?;
                if let Some(min) = self.min.filter(|min| value < *min) {
                    return Err(InvalidValue::BelowMinimum { value, min });
                }
                if let Some(max) = self.max.filter(|max| value > *max) {
                    return Err(InvalidValue::AboveMaximum { value, max });
                }
                Ok(value.to_string())
            }
            FieldKind::Choice => {
                let folded = super::normalize::fold(answer);
                self.choices
                    .iter()
                    .find(|c| super::normalize::fold(c) == folded)
                    .cloned()
                    .ok_or_else(|| InvalidValue::NotAChoice { value: answer.into(), choices: self.choices.join(", ") })
            }
        }
    }
}

fn validate_cin(answer: &str) -> Result<String, InvalidValue> {
    let compact: String = answer.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_uppercase();
    let letters = compact.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = &compact[letters..];
    let ok =
        (1..=2).contains(&letters) && (1..=6).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(compact)
    } else {
        Err(InvalidValue::Cin(answer.into()))
    }
}

/// Accepts `0612345678`, `06 12 34 56 78`, `+212 612-345678`, `00212612345678`.
fn validate_phone(
    answer: &str,
    country: &'static str,
    code: &str,
    digits: usize,
    first: &[char],
) -> Result<String, InvalidValue> {
    let invalid = || InvalidValue::Phone { country, digits, value: answer.into() };
    let plus = answer.trim_start().starts_with('+');
    let all: String = answer.chars().filter(char::is_ascii_digit).collect();
    if answer.chars().any(|c| !(c.is_ascii_digit() || c.is_whitespace() || "+-.()".contains(c))) {
        return Err(invalid());
    }
    let national = if plus {
        all.strip_prefix(code)
    } else if let Some(rest) = all.strip_prefix("00") {
        rest.strip_prefix(code)
    } else if country == "Moroccan" {
        // Moroccan numbers are dialled with a trunk 0 at home.
        all.strip_prefix('0')
    } else {
        Some(all.as_str())
    }
    .ok_or_else(invalid)?;
    if national.len() == digits && national.starts_with(first) {
        Ok(format!("+{code}{national}"))
    } else {
        Err(invalid())
    }
}

/// Day first, as written in Morocco and Senegal (`21/03/2026`, `21-3-2026`), or ISO.
fn parse_date(answer: &str) -> Option<Date> {
    // Numbers only: "le 21/03/2026" and "21-3-2026" are the same date.
    let parts: Vec<&str> = answer.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (year, month, day) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let (year, month, day): (i16, i8, i8) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::new(year, month, day).ok()
}

/// `1 000`, `1000 DH`, `1.000`, `25000 FCFA`: digits with grouping and a unit.
fn parse_amount(answer: &str) -> Option<i64> {
    let number = answer.trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace());
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.' || c == '\u{a0}') {
        return None;
    }
    number.chars().filter(char::is_ascii_digit).collect::<String>().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> Field {
        Field {
            id: "x".into(),
            kind,
            required: true,
            prompt: BTreeMap::new(),
            choices: vec![],
            min: None,
            max: None,
            label: BTreeMap::new(),
        }
    }

    #[test]
    fn cin_numbers() {
        let cin = field(FieldKind::CinMa);
        assert_eq!(cin.validate("be 123456").unwrap(), "BE123456");
        assert_eq!(cin.validate("J12345").unwrap(), "J12345");
        assert!(cin.validate("123456").is_err());
        assert!(cin.validate("ABC12345").is_err());
        assert!(cin.validate("AB1234567").is_err());
    }

    #[test]
    fn phone_numbers() {
        let ma = field(FieldKind::PhoneMa);
        assert_eq!(ma.validate("06 12 34 56 78").unwrap(), "+212612345678");
        assert_eq!(ma.validate("+212 612-345678").unwrap(), "+212612345678");
        assert_eq!(ma.validate("00212712345678").unwrap(), "+212712345678");
        assert!(ma.validate("0412345678").is_err());
        assert!(ma.validate("061234567").is_err());
        assert!(ma.validate("06 12 34 56 7x").is_err());
        let sn = field(FieldKind::PhoneSn);
        assert_eq!(sn.validate("77 123 45 67").unwrap(), "+221771234567");
        assert_eq!(sn.validate("+221 33 822 00 00").unwrap(), "+221338220000");
        assert!(sn.validate("66 123 45 67").is_err());
    }

    #[test]
    fn dates_are_day_first_and_real() {
        let date = field(FieldKind::Date);
        assert_eq!(date.validate("21/03/2026").unwrap(), "2026-03-21");
        assert_eq!(date.validate("2026-03-21").unwrap(), "2026-03-21");
        assert_eq!(date.validate("1-2-1990").unwrap(), "1990-02-01");
        assert!(date.validate("30/02/2026").is_err());
        assert!(date.validate("yesterday").is_err());
    }

    #[test]
    fn money_with_units_and_bounds() {
        let mut capital = field(FieldKind::Money);
        capital.min = Some(1000);
        assert_eq!(capital.validate("1 000 DH").unwrap(), "1000");
        assert_eq!(capital.validate("25.000 dirhams").unwrap(), "25000");
        assert_eq!(capital.validate("500").unwrap_err(), InvalidValue::BelowMinimum { value: 500, min: 1000 });
        assert!(capital.validate("a lot").is_err());
    }

    #[test]
    fn choices_ignore_case_and_accents() {
        let mut activity = field(FieldKind::Choice);
        activity.choices = vec!["Agriculture".into(), "Artisanat".into()];
        assert_eq!(activity.validate("artisanat").unwrap(), "Artisanat");
        assert!(activity.validate("pêche").is_err());
        assert_eq!(field(FieldKind::Text).validate("  Tayri   n  Wargan ").unwrap(), "Tayri n Wargan");
    }
}

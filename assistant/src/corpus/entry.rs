//! One corpus entry: a TOML file an NGO worker can open in a text editor.
//!
//! ```toml
//! id = "ma-rights-maternity-leave"
//! domain = "rights"            # literacy | rights | paperwork | referral
//! country = "MA"
//! see_also = ["ma-referral-labour-inspection"]
//!
//! [[sources]]                  # required for rights and paperwork
//! title = "Code du travail (loi n° 65-99)"
//! reference = "Dahir n° 1-03-194 du 11 septembre 2003"
//! articles = "152 à 156"
//! url = "https://adala.justice.gov.ma/"
//! consulted = "2026-11-22"
//!
//! [text.fr]
//! title = "Congé de maternité"
//! body = """…"""
//! review = { status = "reviewed", by = "…", date = "2026-11-22" }
//! audio = "audio/ma/maternity-fr.ogg"   # optional human recording, under corpora/
//! ```
//!
//! Literacy entries add a `[lesson]` table with the items to repeat; paperwork
//! entries name the form they fill (`form = "ma-form-cooperative"`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::lang::LangTag;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    Literacy,
    Rights,
    Paperwork,
    Referral,
}

impl Domain {
    pub const ALL: [Domain; 4] = [Domain::Literacy, Domain::Rights, Domain::Paperwork, Domain::Referral];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Literacy => "literacy",
            Domain::Rights => "rights",
            Domain::Paperwork => "paperwork",
            Domain::Referral => "referral",
        }
    }

    /// Whether every entry of this domain must cite an official source.
    pub fn needs_citation(self) -> bool {
        matches!(self, Domain::Rights | Domain::Paperwork)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub domain: Domain,
    /// ISO 3166 alpha-2 country code (`MA`, `SN`, …).
    pub country: String,
    /// Other entries to offer next (checked: they must exist).
    #[serde(default)]
    pub see_also: Vec<String>,
    /// The form a paperwork entry walks through (checked: it must exist).
    #[serde(default)]
    pub form: Option<String>,
    #[serde(default)]
    pub sources: Vec<Source>,
    /// Per language tag (`fr`, `ary`, `zgh-Latn`, …).
    #[serde(default)]
    pub text: BTreeMap<String, Text>,
    #[serde(default)]
    pub lesson: Option<Lesson>,
}

/// Where a rights or paperwork statement comes from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The law or official page, e.g. "Code du travail (loi n° 65-99)".
    pub title: String,
    /// Its promulgation reference (dahir, decree, gazette), if any.
    #[serde(default)]
    pub reference: Option<String>,
    /// The articles relied on.
    #[serde(default)]
    pub articles: Option<String>,
    /// Official address where the text can be read.
    #[serde(default)]
    pub url: Option<String>,
    /// When the source was last read, `YYYY-MM-DD`.
    pub consulted: String,
}

impl Source {
    /// The citation as it is spoken or printed after an answer.
    pub fn citation(&self) -> String {
        let mut citation = self.title.clone();
        if let Some(articles) = &self.articles {
            citation.push_str(&format!(", art. {articles}"));
        }
        if let Some(reference) = &self.reference {
            citation.push_str(&format!(" ({reference})"));
        }
        citation
    }
}

/// One language's version of an entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub title: String,
    pub body: String,
    /// Extra words people use for this topic, to help search ("SMIG", "salaire minimum").
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A human recording of `body`, relative to the corpus root.
    #[serde(default)]
    pub audio: Option<PathBuf>,
    pub review: Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    /// Written by a person, not yet checked by a second one.
    Draft,
    /// Drafted by a machine (or by someone who does not speak the language well): a
    /// fluent reviewer must correct it before it is served as reviewed.
    MachineDraft,
    /// Checked by a named reviewer.
    Reviewed,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub status: ReviewStatus,
    /// Who wrote or reviewed the text (a name or an organisation).
    #[serde(default)]
    pub by: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The items of a literacy unit, in the script of the language taught.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// The language and script taught, e.g. `zgh` (Tifinagh) or `wol`.
    pub language: String,
    pub kind: LessonKind,
    pub review: Review,
    pub items: Vec<LessonItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LessonKind {
    Alphabet,
    Syllables,
    Words,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LessonItem {
    /// What the learner sees and repeats: a letter, a syllable or a word.
    pub text: String,
    /// How a letter is called, or how the item sounds, for the voice prompt.
    #[serde(default)]
    pub name: Option<String>,
    /// Latin transliteration, for items in Tifinagh or Arabic script.
    #[serde(default)]
    pub latin: Option<String>,
    /// The word cut into syllables, in the lesson's script.
    #[serde(default)]
    pub syllables: Vec<String>,
    /// Meaning per language tag, for the teacher.
    #[serde(default)]
    pub meaning: BTreeMap<String, String>,
    #[serde(default)]
    pub audio: Option<PathBuf>,
}

impl Entry {
    /// The text in `tag`, or `None`.
    pub fn text_in(&self, tag: &LangTag) -> Option<&Text> {
        self.text.iter().find(|(key, _)| key.parse::<LangTag>().ok().as_ref() == Some(tag)).map(|(_, text)| text)
    }
}

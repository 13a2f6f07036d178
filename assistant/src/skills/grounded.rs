//! Grounded answering: the model may answer only from given passages, must
//! name the passage it used, and says so when none covers the question.
//!
//! The answer is constrained JSON (`source`, `answer`), with
//! `source` restricted to the passages' ids: a citation can never be invented,
//! and a refusal is a value, not a phrase to look for in free text. The
//! answer must then be carried by the cited passage's own words.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::json;

use crate::corpus::normalize::tokens;
use crate::lm::{JsonGrammar, LanguageModel, LmError};

/// A retrieved passage, cited by `id`.
#[derive(Debug, Clone, Copy)]
pub struct Passage<'a> {
    pub id: &'a str,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grounded {
    Answer {
        text: String,
        source: String,
    },
    /// The passages do not answer the question.
    Refusal,
}

/// Longest answer, in characters: spoken answers are short.
const MAX_ANSWER_CHARS: u64 = 400;

const INSTRUCTIONS: &str = "You answer questions using only the passages below, each marked with its id in \
square brackets. If one passage answers the question, set \"source\" to that passage's id and \"answer\" to a \
short answer in plain words taken from it. If no passage answers the question, set \"source\" and \"answer\" \
to null. Never use knowledge outside the passages.";

/// Answers `question` from `passages`, or refuses. The system prompt and the
/// passages come first, so a follow-up question on the same passages reuses
/// their cached keys and values.
pub fn answer(model: &mut dyn LanguageModel, question: &str, passages: &[Passage]) -> Result<Grounded, LmError> {
    if passages.is_empty() {
        return Ok(Grounded::Refusal);
    }
    let ids: Vec<&str> = passages.iter().map(|p| p.id).collect();
    let schema = json!({
        "type": "object",
        "properties": {
            "source": {"type": ["string", "null"], "enum": ids},
            "answer": {"type": ["string", "null"], "maxLength": MAX_ANSWER_CHARS},
        }
    });
    let grammar = JsonGrammar::from_schema(&schema)?;
    let listed: String = passages.iter().map(|p| format!("[{}] {}\n\n", p.id, p.text.trim())).collect();
    let system = format!("{INSTRUCTIONS}\n\nPassages:\n\n{listed}");
    let user = format!("Question: {question}\nReply in JSON.");
    let value = model.chat_json(&[("system", &system), ("user", &user)], &grammar)?;
    match (value["source"].as_str(), value["answer"].as_str()) {
        (Some(source), Some(text)) if supported(text, passages.iter().find(|p| p.id == source)) => {
            Ok(Grounded::Answer { text: text.trim().to_string(), source: source.to_string() })
        }
        _ => Ok(Grounded::Refusal),
    }
}

/// Share of the answer's words that must appear in the cited passage.
const MIN_SUPPORT: f64 = 0.5;

/// Whether the cited passage carries the answer: at least half of the answer's
/// content words (folded, stop words dropped) occur in it. A small model asked
/// about something the passages do not cover tends to cite one anyway and
/// answer from its own memory ("Manchester United" citing the minimum wage);
/// this is what catches it.
fn supported(answer: &str, passage: Option<&Passage>) -> bool {
    let Some(passage) = passage else { return false };
    let said = tokens(answer, None).surface;
    if said.is_empty() {
        return false;
    }
    let source: HashSet<String> = tokens(passage.text, None).surface.into_iter().collect();
    let found = said.iter().filter(|w| source.contains(*w)).count();
    found as f64 / said.len() as f64 >= MIN_SUPPORT
}

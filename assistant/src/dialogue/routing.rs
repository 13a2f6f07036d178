//! Which skill a request is for, when keywords and retrieval leave it open:
//! the language model's choice among the skills, constrained to their labels.
//! The model never answers here; it only says which governed content should.

use crate::corpus::entry::Domain;
use crate::lm::{LanguageModel, LmError};

const LABELS: [&str; 4] = ["rights", "paperwork", "literacy", "other"];

const SYSTEM: &str = "You sort the requests people make at a village kiosk. Answer with one word: \
                      rights (work, wages, leave, family, social protection), \
                      paperwork (forms, creating or registering a cooperative), \
                      literacy (learning to read or write, letters, lessons), \
                      other (anything else).";

/// The skill `said` asks for; `None` for anything else.
pub fn skill_of(lm: &mut LanguageModel, said: &str) -> Result<Option<Domain>, LmError> {
    let prompt = lm.encode_prompt(&lm.chat_prompt(&[("system", SYSTEM), ("user", said)])?)?;
    Ok(match lm.choose(&prompt, &LABELS)? {
        "rights" => Some(Domain::Rights),
        "paperwork" => Some(Domain::Paperwork),
        "literacy" => Some(Domain::Literacy),
        _ => None,
    })
}

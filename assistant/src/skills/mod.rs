//! What the kiosk can do for a person, one skill per module behind one trait
//! ([`Skill`]): [`literacy`] runs listen-and-repeat lessons, [`paperwork`]
//! answers paperwork questions and fills their forms by voice, [`simplify`]
//! says the last answer in simpler words, [`rights`] answers from reviewed,
//! cited content or says whom to ask. The dialogue ([`crate::dialogue`])
//! hands each utterance to them in turn; a new skill is a module here and one
//! line in the dialogue's list.
//!
//! Every skill answers from the content ([`Context`]); the language model
//! ([`crate::lm`]) is a tool that rewrites or extracts, never the source of
//! what is said. [`grounded`] answers a question from retrieved passages and
//! cites the one it used, or refuses.

mod context;
pub mod grounded;
pub mod literacy;
pub mod paperwork;
mod reply;
pub mod rights;
pub mod simplify;

use crate::words::Command;
pub use context::{Context, MIN_COVERAGE};
pub use reply::{Ahead, Reply, SkillName};

/// One utterance as the skills hear it.
pub struct Utterance<'u> {
    /// What was said (as transcribed) or typed, trimmed.
    pub said: &'u str,
    /// The audio when it was spoken (16 kHz mono): a lesson scores it.
    pub samples: Option<&'u [f32]>,
    /// What it means as a command ("répète", "oui"), if it is one.
    pub command: Option<Command>,
}

/// How much of the conversation a skill holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Nothing is pending.
    Nothing,
    /// The skill asked a question the person may answer or leave ("shall we
    /// fill it in?"): it hears the next utterance after a change of language,
    /// and before commands and new requests, and may let it go.
    Question,
    /// A form or a lesson is under way: every utterance is for it until it ends.
    Conversation,
}

/// One thing the kiosk can do for a person.
pub trait Skill<'c> {
    /// What this skill is waiting for.
    fn holds(&self) -> Holds {
        Holds::Nothing
    }

    /// The reply to `utterance` while this skill [`holds`](Skill::holds) a
    /// question or the conversation; `None` lets the dialogue carry on, and
    /// the skill's question is dropped.
    fn follow_up(&mut self, _utterance: &Utterance, _cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        None
    }

    /// The reply to a new request when it is this skill's to answer; `None`
    /// hands it to the next skill. `ahead` takes what can be said before the
    /// reply is finished.
    fn take(&mut self, utterance: &Utterance, cx: &mut Context<'c>, ahead: &mut Ahead) -> Option<Reply>;

    /// The person chose another language: a pending question is dropped; a
    /// form or a lesson under way goes on.
    fn drop_question(&mut self) {}
}

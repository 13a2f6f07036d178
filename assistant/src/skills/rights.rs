//! Rights questions: the entry that answers the question, in the person's
//! language, with its sources. When no entry covers the question well enough
//! ([`super::MIN_COVERAGE`]), the kiosk says it does not know and names who can
//! help: the country's referral entry closest to the question, or its first.

use crate::corpus::entry::{Domain, Entry};
use crate::words::Phrase;

use super::{Ahead, Context, Reply, Skill, SkillName, Utterance};

/// Answers every question that reaches it: from an entry, or by a referral.
/// It comes last: the skills before it take lessons, forms and commands.
pub struct Rights;

impl<'c> Skill<'c> for Rights {
    fn take(&mut self, utterance: &Utterance, cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        if utterance.command.is_some() {
            return None;
        }
        let reply = match cx.answer_to(utterance.said) {
            Some(entry) => {
                let skill = if entry.domain == Domain::Paperwork { SkillName::Paperwork } else { SkillName::Rights };
                cx.reply_from_entry(skill, entry, None)
            }
            None => referral(cx, utterance.said),
        };
        cx.history.push(reply.clone());
        Some(reply)
    }
}

/// "I don't know — here is who can help."
fn referral(cx: &Context, question: &str) -> Reply {
    let any = || -> Option<&Entry> {
        cx.corpus
            .entries
            .values()
            .map(|loaded| &loaded.item)
            .find(|e| e.domain == Domain::Referral && e.country == cx.country)
    };
    let dont_know = cx.text(Phrase::DontKnow);
    match cx.closest(question, Domain::Referral).or_else(any) {
        Some(entry) => {
            let help = cx.text(Phrase::WhoCanHelp);
            cx.reply_from_entry(SkillName::Referral, entry, Some(format!("{dont_know} {help}")))
        }
        None => cx.say(SkillName::Referral, Phrase::DontKnow),
    }
}

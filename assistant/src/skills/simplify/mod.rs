//! "I did not understand": the last answer again in the language model's
//! simpler words. Each sentence of the rewrite is kept only if the entry's
//! text carries it ([`rewrite`]) and is said as soon as it is, after a notice
//! that a machine wrote it; the entry's sources are said after. Without a
//! model, in a language it does not write well, or when no sentence holds
//! up: the answer again, more slowly.

pub mod rewrite;

use crate::corpus::lang::LangTag;
use crate::words::{phrase, Command, Phrase};
pub use rewrite::simplify;

use super::{Ahead, Context, Reply, Skill, SkillName, Utterance};

pub struct SimplerWords;

impl<'c> Skill<'c> for SimplerWords {
    fn take(&mut self, utterance: &Utterance, cx: &mut Context<'c>, ahead: &mut Ahead) -> Option<Reply> {
        (utterance.command == Some(Command::Simpler)).then(|| simpler(cx, ahead))
    }
}

fn simpler(cx: &mut Context, ahead: &mut Ahead) -> Reply {
    let Some(last) = cx.history.last().cloned() else {
        return cx.say(SkillName::Command, Phrase::NothingToRepeat);
    };
    let entry = last.entry.as_deref().and_then(|id| cx.entry(id));
    let answered = matches!(last.skill, SkillName::Rights | SkillName::Paperwork);
    let last_lang = last.lang.parse::<LangTag>().unwrap_or(cx.lang);
    let languages = cx.languages();
    let (preface, _) = phrase(Phrase::Simplified, &last_lang, languages);
    let (lang, rate) = (last.lang.clone(), cx.rate);
    // What has been handed out: the notice, then each sentence.
    let mut said = String::new();
    let mut say = |sentence: &str| {
        let piece = if said.is_empty() { format!("{preface} {sentence}") } else { format!(" {sentence}") };
        ahead(piece.trim_start(), &lang, rate);
        said.push_str(&piece);
    };
    let text = entry.filter(|_| answered && languages.can_simplify(&last_lang)).and_then(|e| e.text_in(&last_lang));
    let sentences = match (text, cx.lm.as_deref_mut()) {
        (Some(text), Some(lm)) => simplify(lm, &text.body, &last_lang, &mut say).unwrap_or_else(|e| {
            tracing::warn!("simplify: {e}");
            Vec::new()
        }),
        _ => Vec::new(),
    };
    if sentences.is_empty() {
        cx.slow_down();
        let (cannot, _) = phrase(Phrase::CannotSimplify, &last_lang, languages);
        return Reply { text: format!("{cannot} {}", last.text), rate: cx.rate, spoken_ahead: 0, ..last };
    }
    let (source_word, _) = phrase(Phrase::Source, &last_lang, languages);
    let spoken_ahead = said.len();
    let mut text = said;
    if !last.citations.is_empty() {
        text.push_str(&format!(" {source_word} {}.", last.citations.join("; ")));
    }
    let reply = Reply { text, reviewed: false, clips: Vec::new(), rate: cx.rate, spoken_ahead, ..last };
    cx.history.push(reply.clone());
    reply
}

//! Literacy help in the conversation: a short request for a lesson ("je veux
//! apprendre à lire", "نتعلم الحروف") starts a listen-and-repeat lesson in the
//! kiosk's language ([`lesson`]); its attempts are scored from the audio.

pub mod lesson;

use crate::literacy::LiteracyError;
use crate::words::{spoken_number, Command, Phrase};
pub use lesson::{asks_for_a_lesson, choose_lesson, LessonStep, LessonWalk};

use super::{Ahead, Context, Holds, Reply, Skill, SkillName, Utterance};

/// The lesson under way, if any.
#[derive(Default)]
pub struct Literacy<'c> {
    lesson: Option<LessonWalk<'c>>,
}

impl<'c> Skill<'c> for Literacy<'c> {
    fn holds(&self) -> Holds {
        match self.lesson {
            Some(_) => Holds::Conversation,
            None => Holds::Nothing,
        }
    }

    fn follow_up(&mut self, utterance: &Utterance, cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        let lesson = self.lesson.take()?;
        Some(self.continue_lesson(cx, lesson, utterance))
    }

    /// A short request for a lesson, when the kiosk's language has one.
    fn take(&mut self, utterance: &Utterance, cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        let said = utterance.said;
        if utterance.command.is_some() || !asks_for_a_lesson(said, cx.languages()) {
            return None;
        }
        let lesson = choose_lesson(cx.corpus, &cx.lang, said)?;
        if cx.store.is_none() {
            return Some(cx.say(SkillName::Literacy, Phrase::NoLesson));
        }
        self.lesson = Some(LessonWalk::Card { lesson: lesson.id.clone() });
        // The lesson's instructions in the learner's language; in French only
        // as a last resort, and then said so.
        let mut reply = cx.reply_from_entry(SkillName::Literacy, lesson, None);
        cx.announce_fallback(&mut reply);
        reply.text = format!("{} {}", reply.text, cx.text(Phrase::AskCard));
        Some(reply)
    }
}

impl<'c> Literacy<'c> {
    fn continue_lesson(&mut self, cx: &mut Context<'c>, mut lesson: LessonWalk<'c>, utterance: &Utterance) -> Reply {
        let listen = cx.text(Phrase::ListenRepeat);
        let heard = utterance.command;
        let step = match (heard, &lesson) {
            (Some(Command::Stop), _) => {
                let mut reply = cx.say(SkillName::Literacy, Phrase::LessonKept);
                reply.end = true;
                return reply;
            }
            (Some(Command::Repeat | Command::Slower), _) => {
                if heard == Some(Command::Slower) {
                    cx.slow_down();
                }
                lesson.again(listen)
            }
            (_, LessonWalk::Card { lesson: id }) => match (spoken_number(utterance.said, cx.languages()), cx.store) {
                (Some(card), Some(store)) => {
                    LessonWalk::begin(cx.corpus, store, id, card, cx.voice_dir.clone(), listen).map(|(walk, step)| {
                        lesson = walk;
                        Some(step)
                    })
                }
                _ => Ok(None),
            },
            (_, LessonWalk::Practising { .. }) => match utterance.samples {
                Some(samples) => match lesson.attempt(samples, listen) {
                    Err(LiteracyError::SilentAttempt) => lesson.again(listen).map(|step| {
                        step.map(|s| LessonStep { text: format!("{} {}", cx.text(Phrase::NotHeard), s.text), ..s })
                    }),
                    other => other.map(Some),
                },
                // Typed words cannot be scored: the item is said again.
                None => lesson.again(listen),
            },
        };
        match step {
            Ok(Some(step)) => {
                self.lesson = Some(lesson);
                let mut reply = cx.say(SkillName::Literacy, Phrase::ListenRepeat);
                reply.text = step.text;
                reply.example = step.example;
                reply
            }
            Ok(None) => {
                self.lesson = Some(lesson);
                cx.say(SkillName::Literacy, Phrase::AskCard)
            }
            Err(e) => {
                // A lesson without any voice, or a store that failed: said plainly, lesson over.
                tracing::warn!("lesson: {e}");
                cx.say(SkillName::Literacy, Phrase::NoLesson)
            }
        }
    }
}

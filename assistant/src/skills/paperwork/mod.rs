//! Cooperative paperwork: a question answered by a paperwork entry that has
//! a form ends with an offer to fill it in; "yes" asks whether the person
//! started one before (by its draft number) and then walks the form field by
//! field ([`walk`]), keeping every confirmed answer in the store's draft.

mod sheet;
pub mod walk;

use crate::corpus::entry::Domain;
use crate::words::{spoken_number, Command, Phrase};
pub use walk::{extract, said_in, Desk, FormWalk, InLanguage, PaperworkError, Step};

use super::{Ahead, Context, Holds, Reply, Skill, SkillName, Utterance};

/// Where the paperwork stands.
#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// The form was just offered ("shall we fill it in?").
    Offered(String),
    /// The form whose kept drafts were just asked about ("did you start it before?").
    DraftQuestion(String),
    /// A form being filled.
    Walk(FormWalk),
}

#[derive(Debug, Default)]
pub struct Paperwork {
    state: State,
}

impl<'c> Skill<'c> for Paperwork {
    fn holds(&self) -> Holds {
        match self.state {
            State::Idle => Holds::Nothing,
            State::Offered(_) | State::DraftQuestion(_) => Holds::Question,
            State::Walk(_) => Holds::Conversation,
        }
    }

    fn follow_up(&mut self, utterance: &Utterance, cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        let (said, heard) = (utterance.said, utterance.command);
        match std::mem::take(&mut self.state) {
            State::Idle => None,
            State::Walk(walk) => Some(self.continue_form(cx, walk, said, heard)),
            State::Offered(form) => match heard {
                Some(Command::Yes) => Some(self.offer_drafts(cx, &form)),
                Some(Command::No) => Some(cx.say(SkillName::Paperwork, Phrase::AskAgain)),
                _ => None,
            },
            State::DraftQuestion(form) => match (heard, spoken_number(said, cx.languages())) {
                (Some(Command::No), _) => Some(self.start_form(cx, &form)),
                (_, Some(number)) => Some(self.resume_form(cx, &form, number)),
                (Some(Command::Stop), _) => None,
                _ => Some(self.ask_draft_number(cx, form, Phrase::AskDraftNumber)),
            },
        }
    }

    /// A question answered by a paperwork entry; its form, if it has one, is
    /// offered (forms need somewhere to keep the draft).
    fn take(&mut self, utterance: &Utterance, cx: &mut Context<'c>, _ahead: &mut Ahead) -> Option<Reply> {
        if utterance.command.is_some() {
            return None;
        }
        let entry = cx.answer_to(utterance.said).filter(|entry| entry.domain == Domain::Paperwork)?;
        let mut reply = cx.reply_from_entry(SkillName::Paperwork, entry, None);
        if let Some(form) = entry.form.as_ref().filter(|f| cx.store.is_some() && cx.form(f).is_some()) {
            reply.text.push_str(&format!(" {}", cx.text(Phrase::OfferForm)));
            self.state = State::Offered(form.clone());
        }
        cx.history.push(reply.clone());
        Some(reply)
    }

    fn drop_question(&mut self) {
        if matches!(self.state, State::Offered(_) | State::DraftQuestion(_)) {
            self.state = State::Idle;
        }
    }
}

impl Paperwork {
    /// Before a new draft: if this form has kept drafts, ask for the number
    /// of the person's own ("did you start it before?").
    fn offer_drafts(&mut self, cx: &Context, id: &str) -> Reply {
        match cx.store.map(|store| store.open_drafts()).transpose() {
            Ok(Some(drafts)) if drafts.iter().any(|d| d.form == id) => {
                self.ask_draft_number(cx, id.to_string(), Phrase::AskDraftNumber)
            }
            Ok(_) => self.start_form(cx, id),
            Err(e) => form_error(cx, e.into(), None),
        }
    }

    fn ask_draft_number(&mut self, cx: &Context, form: String, which: Phrase) -> Reply {
        self.state = State::DraftQuestion(form);
        cx.say(SkillName::Paperwork, which)
    }

    /// Carries on with draft `number` if it is a kept draft of form `id`.
    fn resume_form(&mut self, cx: &Context, id: &str, number: usize) -> Reply {
        let (Some(form), Some(store)) = (cx.form(id), cx.store) else {
            return cx.say(SkillName::Paperwork, Phrase::AskAgain);
        };
        let draft = store.draft(number as i64).ok().filter(|d| d.form == id && d.status != "exported");
        let Some(draft) = draft else {
            return self.ask_draft_number(cx, id.to_string(), Phrase::NoSuchDraft);
        };
        let preface = cx.text(Phrase::Resumed).replace("{number}", &number.to_string());
        match FormWalk::resume(form, &draft, &in_language(cx), &preface) {
            Ok((walk, step)) => self.walking(cx, walk, step),
            Err(e) => form_error(cx, e, Some(draft.id)),
        }
    }

    fn start_form(&mut self, cx: &Context, id: &str) -> Reply {
        let (Some(form), Some(store)) = (cx.form(id), cx.store) else {
            return cx.say(SkillName::Paperwork, Phrase::AskAgain);
        };
        match FormWalk::start(form, &in_language(cx), store) {
            Ok((walk, step)) => self.walking(cx, walk, step),
            Err(e) => form_error(cx, e, None),
        }
    }

    fn continue_form(&mut self, cx: &mut Context, mut walk: FormWalk, said: &str, heard: Option<Command>) -> Reply {
        if heard == Some(Command::Stop) {
            // The draft keeps every confirmed answer: its number resumes it next time.
            let mut reply = draft_kept(cx, walk.draft);
            reply.end = true;
            return reply;
        }
        let form = cx.form(&walk.form_id).expect("the form was there when the walk started");
        let store = cx.store.expect("walks start only with a store");
        let lang = in_language(cx);
        // The model is lent for this step only (`as` shortens its lifetime).
        let lm = cx.lm.as_deref_mut().map(|lm| lm as &mut dyn crate::lm::LanguageModel);
        let desk = Desk { store, export_dir: &cx.export_dir, lm };
        match walk.step(form, &lang, said, heard, desk) {
            // The walk is over: the sheet is exported.
            Ok(step) if step.done => form_reply(cx, None, step),
            Ok(step) => self.walking(cx, walk, step),
            Err(e) => {
                let draft = walk.draft;
                self.state = State::Walk(walk);
                form_error(cx, e, Some(draft))
            }
        }
    }

    /// Goes on with `walk`, saying `step`.
    fn walking(&mut self, cx: &Context, walk: FormWalk, step: Step) -> Reply {
        let reply = form_reply(cx, Some(&walk.form_id), step);
        self.state = State::Walk(walk);
        reply
    }
}

/// The person's language and the words the form walk says in it.
fn in_language<'c>(cx: &Context<'c>) -> InLanguage<'c> {
    InLanguage { tag: cx.lang, languages: cx.languages() }
}

/// A step of the form walk: the form is the reply's entry while it is filled.
fn form_reply(cx: &Context, filling: Option<&str>, step: Step) -> Reply {
    let mut reply = Reply::new(SkillName::Paperwork, step.text, cx.lang.to_string(), cx.rate);
    reply.entry = filling.map(str::to_string);
    reply.files = step.exported;
    reply
}

/// A failed save is said plainly; the answers confirmed so far stay in the
/// draft. A document that could not be made is said as such: the answers are
/// on paper as plain text all the same.
fn form_error(cx: &Context, error: PaperworkError, draft: Option<i64>) -> Reply {
    tracing::warn!("paperwork: {error}");
    match (draft, &error) {
        (Some(draft), PaperworkError::Sheet { .. }) => with_number(cx, Phrase::DocumentFailed, draft),
        (Some(draft), _) => draft_kept(cx, draft),
        (None, _) => cx.say(SkillName::Paperwork, Phrase::AskAgain),
    }
}

/// "Your answers are kept under number 12."
fn draft_kept(cx: &Context, draft: i64) -> Reply {
    with_number(cx, Phrase::DraftKept, draft)
}

/// `which`, with the draft's number in place of `{number}`.
fn with_number(cx: &Context, which: Phrase, draft: i64) -> Reply {
    let mut reply = cx.say(SkillName::Paperwork, which);
    reply.text = reply.text.replace("{number}", &draft.to_string());
    reply
}

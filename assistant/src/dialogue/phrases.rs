//! What the kiosk itself says, per language. Arabic, French and English were
//! written by the team; Darija too (Arabic script). Other languages fall back
//! to French until their speakers record or write these: the reply's `lang`
//! says French, and the welcome says so aloud (`NoVoiceYet`).
//!
//! A phrase recorded by a speaker of the language
//! (`corpora/phrases/LANG/NAME.wav`, [`Phrase::clip_name`]) is played instead
//! of any text: that is how the kiosk speaks Wolof, Tamazight or Pulaar, which
//! no synthesizer here does.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    Welcome,
    Source,
    Unreviewed,
    DontKnow,
    WhoCanHelp,
    Goodbye,
    NothingToRepeat,
    AskAgain,
    OfferForm,
    /// Said with the draft's number in place of `{number}`.
    DraftKept,
    AskDraftNumber,
    NoSuchDraft,
    /// Said with the draft's number in place of `{number}`.
    Resumed,
    /// Said with the other languages and their buttons in place of `{choices}`.
    ChooseLanguage,
    /// Said with the language's name in place of `{language}`.
    NoVoiceYet,
    AskCard,
    ListenRepeat,
    NoLesson,
    NotHeard,
    LessonKept,
    /// Before the machine's simpler words for an entry.
    Simplified,
    /// No simpler words could be given: the text again, more slowly.
    CannotSimplify,
}

impl Phrase {
    pub const ALL: [Phrase; 22] = [
        Phrase::Welcome,
        Phrase::Source,
        Phrase::Unreviewed,
        Phrase::DontKnow,
        Phrase::WhoCanHelp,
        Phrase::Goodbye,
        Phrase::NothingToRepeat,
        Phrase::AskAgain,
        Phrase::OfferForm,
        Phrase::DraftKept,
        Phrase::AskDraftNumber,
        Phrase::NoSuchDraft,
        Phrase::Resumed,
        Phrase::ChooseLanguage,
        Phrase::NoVoiceYet,
        Phrase::AskCard,
        Phrase::ListenRepeat,
        Phrase::NoLesson,
        Phrase::NotHeard,
        Phrase::LessonKept,
        Phrase::Simplified,
        Phrase::CannotSimplify,
    ];

    /// The file name (without extension) of a recording of this phrase, for
    /// phrases said the same every time. Phrases that carry a number or a
    /// language name are always synthesized, except the language menu, which
    /// is recorded for the kiosk's own languages.
    pub fn clip_name(self) -> Option<&'static str> {
        Some(match self {
            Phrase::Welcome => "welcome",
            Phrase::DontKnow => "dont-know",
            Phrase::WhoCanHelp => "who-can-help",
            Phrase::Goodbye => "goodbye",
            Phrase::NothingToRepeat => "nothing-to-repeat",
            Phrase::AskAgain => "ask-again",
            Phrase::OfferForm => "offer-form",
            Phrase::AskDraftNumber => "ask-draft-number",
            Phrase::NoSuchDraft => "no-such-draft",
            Phrase::ChooseLanguage => "choose-language",
            Phrase::AskCard => "ask-card",
            Phrase::ListenRepeat => "listen-repeat",
            Phrase::NoLesson => "no-lesson",
            Phrase::NotHeard => "not-heard",
            Phrase::LessonKept => "lesson-kept",
            Phrase::Source
            | Phrase::Unreviewed
            | Phrase::DraftKept
            | Phrase::Resumed
            | Phrase::NoVoiceYet
            | Phrase::Simplified
            | Phrase::CannotSimplify => return None,
        })
    }
}

const PHRASES: &[(&str, &[(Phrase, &str)])] = &[
    (
        "en",
        &[
            (Phrase::Welcome, "Hello. Ask your question: about work, family or your cooperative."),
            (Phrase::Source, "Source:"),
            (Phrase::Unreviewed, "This text has not yet been checked by a reviewer."),
            (Phrase::DontKnow, "I do not know the answer to that."),
            (Phrase::WhoCanHelp, "Here is who can help:"),
            (Phrase::Goodbye, "Goodbye."),
            (Phrase::NothingToRepeat, "I have not said anything yet."),
            (Phrase::AskAgain, "Ask your question again, please."),
            (Phrase::OfferForm, "Shall we fill in the form now? Say yes or no."),
            (
                Phrase::DraftKept,
                "Your answers are kept under number {number}. Come back and say this number to finish the form.",
            ),
            (Phrase::AskDraftNumber, "Did you start this form before? Say its number, or say no."),
            (Phrase::NoSuchDraft, "I do not find a form with that number. Say the number again, or say no."),
            (Phrase::Resumed, "We go on with form number {number}."),
            (Phrase::ChooseLanguage, "For another language, say its name or press its button: {choices}."),
            (Phrase::NoVoiceYet, "I do not speak {language} yet: I answer in English."),
            (Phrase::AskCard, "Say the number of your card."),
            (Phrase::ListenRepeat, "Listen, then repeat:"),
            (Phrase::NoLesson, "I have no lesson for this language yet."),
            (Phrase::NotHeard, "I did not hear you."),
            (Phrase::LessonKept, "Well done for today. Your progress is kept with your card."),
            (Phrase::Simplified, "In simpler words, written by the machine and not checked by a reviewer:"),
            (Phrase::CannotSimplify, "I cannot say it more simply. Here it is again, more slowly."),
        ],
    ),
    (
        "fr",
        &[
            (Phrase::Welcome, "Bonjour. Posez votre question : le travail, la famille ou votre coopérative."),
            (Phrase::Source, "Source :"),
            (Phrase::Unreviewed, "Ce texte n'a pas encore été vérifié par un relecteur."),
            (Phrase::DontKnow, "Je ne connais pas la réponse."),
            (Phrase::WhoCanHelp, "Voici qui peut vous aider :"),
            (Phrase::Goodbye, "Au revoir."),
            (Phrase::NothingToRepeat, "Je n'ai encore rien dit."),
            (Phrase::AskAgain, "Reposez votre question, s'il vous plaît."),
            (Phrase::OfferForm, "Voulez-vous remplir la fiche maintenant ? Dites oui ou non."),
            (
                Phrase::DraftKept,
                "Vos réponses sont gardées sous le numéro {number}. Revenez et dites ce numéro pour finir la fiche.",
            ),
            (Phrase::AskDraftNumber, "Avez-vous déjà commencé cette fiche ? Dites son numéro, ou dites non."),
            (Phrase::NoSuchDraft, "Je ne trouve pas de fiche avec ce numéro. Redites le numéro, ou dites non."),
            (Phrase::Resumed, "Nous reprenons la fiche numéro {number}."),
            (Phrase::ChooseLanguage, "Pour une autre langue, dites son nom ou appuyez sur son bouton : {choices}."),
            (Phrase::NoVoiceYet, "Je ne parle pas encore {language} : je réponds en français."),
            (Phrase::AskCard, "Dites le numéro de votre carte."),
            (Phrase::ListenRepeat, "Écoutez, puis répétez :"),
            (Phrase::NoLesson, "Je n'ai pas encore de leçon dans cette langue."),
            (Phrase::NotHeard, "Je ne vous ai pas entendu."),
            (Phrase::LessonKept, "Bravo pour aujourd'hui. Vos progrès sont gardés avec votre carte."),
            (Phrase::Simplified, "En mots plus simples, écrits par la machine et non vérifiés par un relecteur :"),
            (Phrase::CannotSimplify, "Je ne peux pas le dire plus simplement. Je le redis, plus lentement."),
        ],
    ),
    (
        "ar",
        &[
            (Phrase::Welcome, "مرحبا. اطرح سؤالك: عن العمل أو الأسرة أو تعاونيتك."),
            (Phrase::Source, "المصدر:"),
            (Phrase::Unreviewed, "لم يراجع هذا النص بعد."),
            (Phrase::DontKnow, "لا أعرف الجواب."),
            (Phrase::WhoCanHelp, "هذه الجهة يمكنها مساعدتك:"),
            (Phrase::Goodbye, "مع السلامة."),
            (Phrase::NothingToRepeat, "لم أقل شيئا بعد."),
            (Phrase::AskAgain, "أعد طرح سؤالك من فضلك."),
            (Phrase::OfferForm, "هل تريد ملء البطاقة الآن؟ قل نعم أو لا."),
            (Phrase::DraftKept, "أجوبتك محفوظة تحت الرقم {number}. عد وقل هذا الرقم لإكمال البطاقة."),
            (Phrase::AskDraftNumber, "هل بدأت هذه البطاقة من قبل؟ قل رقمها، أو قل لا."),
            (Phrase::NoSuchDraft, "لا أجد بطاقة بهذا الرقم. أعد الرقم، أو قل لا."),
            (Phrase::Resumed, "نكمل البطاقة رقم {number}."),
            (Phrase::ChooseLanguage, "للغة أخرى، قل اسمها أو اضغط على زرها: {choices}."),
            (Phrase::NoVoiceYet, "لا أتكلم {language} بعد: أجيب بالعربية."),
            (Phrase::AskCard, "قل رقم بطاقتك."),
            (Phrase::ListenRepeat, "استمع، ثم كرر:"),
            (Phrase::NoLesson, "ليس عندي درس بهذه اللغة بعد."),
            (Phrase::NotHeard, "لم أسمعك."),
            (Phrase::LessonKept, "أحسنت اليوم. تقدمك محفوظ مع بطاقتك."),
            (Phrase::Simplified, "بكلمات أبسط، كتبتها الآلة ولم يراجعها أحد:"),
            (Phrase::CannotSimplify, "لا أستطيع قولها بشكل أبسط. أعيدها ببطء."),
        ],
    ),
    (
        "ary",
        &[
            (Phrase::Welcome, "السلام. سولني على الخدمة، العائلة ولا التعاونية ديالك."),
            (Phrase::Source, "المصدر:"),
            (Phrase::Unreviewed, "هاد الكلام باقي ما تراجعش."),
            (Phrase::DontKnow, "ما عرفتش الجواب."),
            (Phrase::WhoCanHelp, "هادو لي يقدرو يعاونوك:"),
            (Phrase::Goodbye, "بسلامة."),
            (Phrase::NothingToRepeat, "باقي ما قلت والو."),
            (Phrase::AskAgain, "عاود سولني عافاك."),
            (Phrase::OfferForm, "بغيتي نعمرو البطاقة دابا؟ قول ايه ولا لا."),
            (Phrase::DraftKept, "الأجوبة ديالك محفوظين تحت الرقم {number}. رجع وقول هاد الرقم باش تكمل البطاقة."),
            (Phrase::AskDraftNumber, "واش بديتي هاد البطاقة من قبل؟ قول الرقم ديالها، ولا قول لا."),
            (Phrase::NoSuchDraft, "ما لقيتش شي بطاقة بهاد الرقم. عاود قول الرقم، ولا قول لا."),
            (Phrase::Resumed, "غادي نكملو البطاقة رقم {number}."),
            (Phrase::ChooseLanguage, "إلا بغيتي لغة أخرى، قول سميتها ولا ورك على البوطونة ديالها: {choices}."),
            (Phrase::NoVoiceYet, "باقي ما كنهضرش {language}: غادي نجاوبك بالدارجة."),
            (Phrase::AskCard, "قول الرقم ديال الكارطة ديالك."),
            (Phrase::ListenRepeat, "سمع، من بعد عاود:"),
            (Phrase::NoLesson, "باقي ما عندي حتى درس بهاد اللغة."),
            (Phrase::NotHeard, "ما سمعتكش."),
            (Phrase::LessonKept, "برافو عليك اليوم. داكشي لي تعلمتي محفوظ مع الكارطة ديالك."),
            (Phrase::Simplified, "بكلام ساهل، كتباتو الآلة وما تراجعش:"),
            (Phrase::CannotSimplify, "ما نقدرش نقولها أسهل من هكا. غادي نعاودها بشوية."),
        ],
    ),
];

/// The phrase in `lang` (or its base language), else in French; the second
/// value is the language actually used.
pub fn phrase(which: Phrase, lang: &str) -> (&'static str, &'static str) {
    let base = lang.split('-').next().unwrap_or(lang);
    let table = PHRASES
        .iter()
        .find(|(tag, _)| *tag == lang)
        .or_else(|| PHRASES.iter().find(|(tag, _)| *tag == base))
        .or_else(|| PHRASES.iter().find(|(tag, _)| *tag == "fr"))
        .expect("French phrases exist");
    let text = table.1.iter().find(|(p, _)| *p == which).map(|(_, t)| *t).expect("every phrase in every table");
    (text, table.0)
}

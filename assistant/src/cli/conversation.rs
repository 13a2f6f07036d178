//! The arguments `awal simulate` and `awal kiosk` share, and the conversation
//! they build from them.

use std::path::PathBuf;

use clap::Args;

use awal::asr::ctc::KIOSK_PRECISION;
use awal::asr::{Backend, DEFAULT_DECODER_PRECISION};
use awal::conversation::Resources;
use awal::corpus::LangTag;
use awal::hearing::{InstalledCtc, Keywords, KioskHearing, Whisper};

use super::Session;

#[derive(Debug, Args)]
pub struct ConversationArgs {
    /// The kiosk's languages, comma-separated (`fr`, `ar`, `ary`, `ary-Latn`,
    /// `en`, `zgh`, `wol`, `fuc`…): the first greets; the others are chosen
    /// by saying their name or by their numbered button.
    #[arg(long)]
    pub lang: String,
    /// Whose rights and forms (ISO country code: MA, SN…).
    #[arg(long, default_value = "MA")]
    pub country: String,
    /// Language model for form answers and simpler words (`default`: the
    /// configured one; `none`: take the words as said; or a model id).
    #[arg(long, default_value = "default")]
    pub lm: String,
    /// Enrolled spoken keywords (default: DATA_DIR/keywords): utterances in a
    /// language Whisper does not know (zgh, wol, fuc…) are heard through them.
    #[arg(long)]
    pub keywords_dir: Option<PathBuf>,
    /// Keywords also go through the trained check (`[hearing]
    /// trained_keywords` in awal.toml): needs the speech-embedding model and
    /// background words; trains when a language is first heard.
    #[arg(long)]
    pub trained_keywords: bool,
}

impl ConversationArgs {
    /// `--lang fr,ary,wol`: the kiosk's languages, the first one greeting.
    pub fn languages(&self) -> anyhow::Result<Vec<LangTag>> {
        self.lang
            .split(',')
            .map(|tag| tag.trim().parse::<LangTag>().map_err(|e| anyhow::anyhow!("--lang {}: {e}", self.lang)))
            .collect()
    }

    /// The content, the store and the chosen language model.
    pub fn resources(&self, session: &Session) -> anyhow::Result<Resources> {
        let resources = Resources::load(&session.corpus_dir, &session.data_dir)?;
        resources.corpus.check_country(&self.country)?;
        Ok(resources.with_model(super::lm::chosen_model(&self.lm, session)?))
    }

    /// An installed CTC recognizer for the languages it lists, Whisper for
    /// the languages it knows, the enrolled keywords for the others.
    pub fn hearing(&self, session: &Session) -> KioskHearing {
        hearing_maker(session, self.keywords_dir.clone(), self.trained_keywords)()
    }
}

/// What makes the kiosk's hearing, to be run where it is used (a recognizer
/// stays on the thread that loaded it).
pub fn hearing_maker(
    session: &Session,
    keywords_dir: Option<PathBuf>,
    trained_keywords: bool,
) -> impl FnOnce() -> KioskHearing + Send + 'static {
    let dir = keywords_dir.unwrap_or_else(|| session.data_dir.join("keywords"));
    let trained = trained_keywords || session.config.hearing.trained_keywords;
    let (store, asr) = (session.store.clone(), session.config.models.asr.clone());
    let full_context = session.config.hearing.full_context;
    move || {
        let mut keywords = Keywords::new(dir);
        if trained {
            keywords = keywords.trained(store.clone());
        }
        let ctc = InstalledCtc::new(store.clone(), KIOSK_PRECISION);
        let whisper = Whisper::new(store, &asr, Backend::Candle, DEFAULT_DECODER_PRECISION).full_context(full_context);
        KioskHearing { ctc, whisper, keywords }
    }
}

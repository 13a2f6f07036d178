//! Recording the kiosk's own phrases in a language (`phrases/LANG/NAME.wav`
//! under the corpus, where the kiosk looks for them: [`crate::corpus::phrases`]).
//!
//! The browser records (`static/record.js`: `getUserMedia` + `MediaRecorder`,
//! turned into a WAV file in the page) and posts the file; the server decodes
//! it, checks it as keyword enrolment does (speech present, not clipped, a
//! phrase's length: [`crate::keywords::enroll::PHRASE`]), and only then writes
//! it, as 16 kHz mono WAV, through a temporary file and a rename. The previous
//! recording is kept beside it as `NAME.wav.previous`.
//!
//! The language and the phrase in a URL are looked up in the corpus's
//! languages and the kiosk's phrase list; the file's path is made from the
//! names found there, never from the request's text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State as Shared};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Value};

use super::accounts::Role;
use super::auth::{LoggedIn, Refusal};
use super::pages::pages;
use super::server::State;
use crate::audio::{load_audio, wav_bytes, AudioError};
use crate::corpus::paths::confine;
use crate::corpus::{Corpus, Languages};
use crate::keywords::enroll::{check_within, Redo, PHRASE};
use crate::words::{phrase, Phrase};

/// The largest upload: 40 s (the longest phrase recording) of 48 kHz stereo
/// 16-bit WAV is 7.7 MB.
pub const UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The largest recording served back for listening.
const SERVED_BYTES: u64 = 32 * 1024 * 1024;
/// Extensions the kiosk plays a phrase recording from (`corpus::phrases`).
const EXTENSIONS: [&str; 5] = ["wav", "ogg", "opus", "mp3", "flac"];
/// Who records.
const RECORDERS: [Role; 2] = [Role::Teacher, Role::Reviewer];

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("not a recording the kiosk can read ({0})")]
    NotAudio(String),
    #[error("{0}")]
    Redo(Redo),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Unsafe(String),
}

/// A phrase recording kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub path: PathBuf,
    pub speech_seconds: f32,
    pub notes: Vec<String>,
}

/// The names of the phrases a speaker records (those the kiosk plays from a recording).
pub fn phrase_names() -> impl Iterator<Item = (Phrase, &'static str)> {
    Phrase::ALL.into_iter().filter_map(|which| which.clip_name().map(|name| (which, name)))
}

/// Decodes and checks `upload`, then keeps it as the recording of phrase
/// `name` in language `lang` under `corpus_dir`. `lang` and `name` must come
/// from the corpus's languages and [`phrase_names`]; `uploads_dir` is a
/// private folder for the upload while it is checked.
pub fn keep_phrase(
    corpus_dir: &Path,
    uploads_dir: &Path,
    lang: &str,
    name: &str,
    upload: &[u8],
) -> Result<Kept, RecordingError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RecordingError::Io { path, source }
    };
    std::fs::create_dir_all(uploads_dir).map_err(io(uploads_dir))?;
    let staged = tempfile::Builder::new().prefix("upload-").tempfile_in(uploads_dir).map_err(io(uploads_dir))?;
    std::fs::write(staged.path(), upload).map_err(io(staged.path()))?;
    let recording = load_audio(staged.path()).map_err(|e| match e {
        AudioError::Decode { message, .. } => RecordingError::NotAudio(message),
        AudioError::Empty { .. } => RecordingError::NotAudio("it holds no samples".into()),
        AudioError::NotFinite { .. } => RecordingError::NotAudio("it holds corrupt samples".into()),
        other => RecordingError::NotAudio(other.to_string()),
    })?;
    drop(staged);
    let checked = check_within(&recording, &PHRASE).map_err(RecordingError::Redo)?;

    let unsafe_path = |e: crate::corpus::paths::PathError| RecordingError::Unsafe(e.to_string());
    let folder_words = Path::new("phrases").join(lang);
    let folder = confine(corpus_dir, &folder_words).map_err(unsafe_path)?;
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    // Checked again now that the folder exists: a link out is seen only then.
    confine(corpus_dir, &folder_words).map_err(unsafe_path)?;
    let path = confine(corpus_dir, &folder_words.join(format!("{name}.wav"))).map_err(unsafe_path)?;
    for extension in EXTENSIONS {
        let existing = folder.join(format!("{name}.{extension}"));
        let Ok(metadata) = existing.symlink_metadata() else { continue };
        if !metadata.is_file() {
            return Err(RecordingError::Unsafe(format!("{} is not a plain file: left as it is", existing.display())));
        }
        let previous = folder.join(format!("{name}.{extension}.previous"));
        if extension == "wav" {
            // Kept by a second name; the new file then replaces the first atomically.
            let _ = std::fs::remove_file(&previous);
            std::fs::hard_link(&existing, &previous)
                .or_else(|_| std::fs::copy(&existing, &previous).map(|_| ()))
                .map_err(io(&previous))?;
        } else {
            // One recording per phrase: another format's would be a second one.
            std::fs::rename(&existing, &previous).map_err(io(&existing))?;
        }
    }
    crate::documents::write_synced(&path, &wav_bytes(&recording.samples)).map_err(io(&path))?;
    Ok(Kept { path, speech_seconds: checked.speech_seconds, notes: checked.notes })
}

fn internal(user: &LoggedIn, what: &str, error: impl std::fmt::Display) -> Refusal {
    tracing::error!("studio: {what}: {error}");
    Refusal::Internal(user.ui)
}

/// Loads the corpus off the async workers (it decodes every phrase recording).
async fn load_corpus(state: &Arc<State>, user: &LoggedIn) -> Result<Corpus, Refusal> {
    let root = state.options.corpus_dir.clone();
    match tokio::task::spawn_blocking(move || Corpus::load(&root)).await {
        Ok(Ok((corpus, _problems))) => Ok(corpus),
        Ok(Err(e)) => Err(internal(user, "loading the corpus", e)),
        Err(e) => Err(internal(user, "loading the corpus", e)),
    }
}

/// `GET /record`: each language, the ones no synthesizer speaks first, with
/// how many of its phrases are recorded.
pub async fn languages(Shared(state): Shared<Arc<State>>, user: LoggedIn) -> Result<Html<String>, Refusal> {
    user.require(&RECORDERS)?;
    let corpus = load_corpus(&state, &user).await?;
    let total = phrase_names().count();
    let mut languages: Vec<_> = corpus.languages.iter().collect();
    languages.sort_by_key(|l| (l.espeak.is_some(), l.name.clone()));
    let rows: Vec<Value> = languages
        .into_iter()
        .map(|language| {
            let recorded = phrase_names().filter(|(_, name)| corpus.phrase_clip(language.code, name).is_some()).count();
            context! {
                code => language.code.as_str(),
                name => language.name.clone(),
                own_name => language.names.first(),
                recorded => recorded,
                total => total,
            }
        })
        .collect();
    user.page("record_languages.html", context! { title => pages().word(user.ui.lang, "record"), rows => rows })
}

/// `GET /record/{lang}`: the phrases of one language, what each says, and
/// whether it is recorded; a recorder on each.
pub async fn phrases(
    Shared(state): Shared<Arc<State>>,
    user: LoggedIn,
    UrlPath(lang): UrlPath<String>,
) -> Result<Html<String>, Refusal> {
    user.require(&RECORDERS)?;
    let corpus = load_corpus(&state, &user).await?;
    let language = corpus.languages.iter().find(|l| l.code.as_str() == lang).ok_or(Refusal::NotFound(user.ui))?;
    let tag = language.tag();
    let rows: Vec<Value> = phrase_names()
        .map(|(which, name)| {
            let (says, says_lang) = phrase(which, &tag, &corpus.languages);
            context! {
                name => name,
                says => says.replace("{choices}", "…"),
                says_lang => says_lang.to_string(),
                recorded => corpus.phrase_clip(language.code, name).is_some(),
            }
        })
        .collect();
    let recorded = rows.iter().filter(|r| r.get_attr("recorded").is_ok_and(|v| v.is_true())).count();
    let title = format!("{} · {}", pages().word(user.ui.lang, "record"), language.name);
    user.page(
        "record_phrases.html",
        context! { title => title, language => language.name.clone(), code => language.code.as_str(), rows => rows, recorded => recorded },
    )
}

/// The language and phrase a URL names, as the corpus and the phrase list
/// spell them; `None` when either is unknown.
fn known(corpus_dir: &Path, lang: &str, name: &str) -> Option<(String, &'static str)> {
    let (languages, _) = Languages::load(corpus_dir);
    let code = languages.iter().find(|l| l.code.as_str() == lang)?.code.as_str().to_string();
    let name = phrase_names().map(|(_, n)| n).find(|n| *n == name)?;
    Some((code, name))
}

/// JSON for the recorder: whether it was saved and what to tell the speaker.
fn verdict(status: StatusCode, saved: bool, message: String) -> Response {
    let body = serde_json::json!({ "saved": saved, "message": message }).to_string();
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// `POST /record/{lang}/{phrase}`: the recording as the request's body (any
/// format the kiosk decodes; the page sends WAV), the session's CSRF token in
/// the `x-csrf-token` header.
pub async fn save(
    Shared(state): Shared<Arc<State>>,
    user: LoggedIn,
    UrlPath((lang, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    user.require(&RECORDERS)?;
    user.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default())?;
    let corpus_dir = state.options.corpus_dir.clone();
    let Some((lang, name)) = known(&corpus_dir, &lang, &name) else { return Err(Refusal::NotFound(user.ui)) };
    let uploads = state.options.data_dir.join("studio-uploads");
    let shared = state.clone();
    let kept = tokio::task::spawn_blocking(move || {
        let _one_at_a_time = shared.saving.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        keep_phrase(&corpus_dir, &uploads, &lang, name, &body)
    })
    .await
    .map_err(|e| internal(&user, "saving a recording", e))?;
    let word = |key| pages().word(user.ui.lang, key);
    Ok(match kept {
        Ok(kept) => {
            tracing::info!("studio: phrase recording kept: {}", kept.path.display());
            let message = format!("{} ({:.1} s)", word("saved"), kept.speech_seconds);
            verdict(StatusCode::OK, true, message)
        }
        Err(RecordingError::Redo(redo)) => {
            verdict(StatusCode::UNPROCESSABLE_ENTITY, false, format!("{}: {redo}", word("redo")))
        }
        Err(e @ RecordingError::NotAudio(_)) => verdict(StatusCode::UNSUPPORTED_MEDIA_TYPE, false, e.to_string()),
        Err(e @ RecordingError::Unsafe(_)) => {
            tracing::warn!("studio: a recording was not written: {e}");
            verdict(StatusCode::CONFLICT, false, word("server_error"))
        }
        Err(e @ RecordingError::Io { .. }) => {
            tracing::error!("studio: writing a recording: {e}");
            verdict(StatusCode::INTERNAL_SERVER_ERROR, false, word("server_error"))
        }
    })
}

/// `GET /record/{lang}/{phrase}/audio`: the phrase's recording, to listen to.
pub async fn audio(
    Shared(state): Shared<Arc<State>>,
    user: LoggedIn,
    UrlPath((lang, name)): UrlPath<(String, String)>,
) -> Result<Response, Refusal> {
    user.require(&RECORDERS)?;
    let root = state.options.corpus_dir.clone();
    let Some((lang, name)) = known(&root, &lang, &name) else { return Err(Refusal::NotFound(user.ui)) };
    let relative = Path::new("phrases").join(lang).join(format!("{name}.wav"));
    let path = confine(&root, &relative).map_err(|_| Refusal::NotFound(user.ui))?;
    let plain = path.symlink_metadata().is_ok_and(|m| m.is_file() && m.len() <= SERVED_BYTES);
    if !plain {
        return Err(Refusal::NotFound(user.ui));
    }
    let read = tokio::task::spawn_blocking(move || std::fs::read(&path)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return Err(internal(&user, "reading a recording", e)),
        Err(e) => return Err(internal(&user, "reading a recording", e)),
    };
    Ok(([(CONTENT_TYPE, "audio/wav")], bytes).into_response())
}

/// `GET /static/record.js`: the recorder (for logged-in pages only, like everything else).
pub async fn script(_user: LoggedIn) -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("static/record.js")).into_response()
}

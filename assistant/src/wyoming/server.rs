//! The server: one thread per client (up to a cap), one hearing thread that
//! transcribes one utterance at a time (the others wait their turn in its
//! queue: on two cores, two Whisper runs at once only take twice as long
//! each), the voice run per request, and a dialogue per client so a
//! satellite's conversation keeps its state (a form walk, an ask-back).

use std::io::{BufReader, BufWriter};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::audio::load_audio;
use crate::corpus::{Corpus, LangTag, Languages};
use crate::dialogue::Dialogue;
use crate::hearing::{Heard, Hearing};
use crate::speech::{Voice, NORMAL_RATE};
use crate::store::Store;

use super::frame::{read_event, write_event, Event, FrameError, LIMITS};
use super::pcm::{encode_16, Format, Utterance};

/// What the server serves.
pub struct ServeOptions {
    /// Languages the conversation handles (the first is the default for
    /// requests that name none).
    pub languages: Vec<LangTag>,
    pub country: String,
    /// The content, loaded once and read by every client's dialogue.
    pub corpus: Corpus,
    /// Where the store is (each client opens its own connection to it).
    pub data_dir: PathBuf,
    /// Clients served at once; one more is told so and closed.
    pub max_clients: usize,
    /// A client silent this long between events is closed.
    pub idle: Duration,
}

/// The longest utterance transcribed.
const MAX_AUDIO_SECONDS: usize = 120;
/// The longest text synthesized, in bytes (a rights entry's body is at most 8 KB).
const MAX_SYNTHESIS_BYTES: usize = 8 * 1024;
/// Samples per `audio-chunk` sent (64 ms at 16 kHz, as Wyoming's own servers send).
const CHUNK_SAMPLES: usize = 1024;

type Transcription = (Vec<f32>, LangTag, mpsc::Sender<Result<Heard, String>>);

/// Serves Wyoming on `listener` until the process ends. `hearing` is built
/// on the hearing thread (recognizers need not be `Send`); `voice` speaks.
pub fn serve(
    listener: TcpListener,
    options: ServeOptions,
    hearing: impl FnOnce() -> Box<dyn Hearing> + Send + 'static,
    voice: Arc<dyn Voice + Send + Sync>,
) -> std::io::Result<()> {
    let (queue, jobs) = mpsc::channel::<Transcription>();
    std::thread::Builder::new().name("wyoming-hearing".into()).spawn(move || {
        let mut hearing = hearing();
        for (samples, lang, answer) in jobs {
            let heard = hearing.hear(&samples, &lang).map_err(|e| e.to_string());
            let _ = answer.send(heard);
        }
    })?;
    let options = Arc::new(options);
    let slots = Arc::new(Slots::new(options.max_clients));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!("wyoming: accepting a client: {e}");
                continue;
            }
        };
        // A satellite connects anew for each request: the connection it
        // just closed may not have been counted out yet, so a full house
        // waits a moment for a slot before saying it is busy.
        let Some(slot) = Slots::take(&slots, SLOT_WAIT) else {
            let text = format!("busy: {} clients are connected, try again later", options.max_clients);
            let _ = write_event(&mut &stream, &error("busy", &text));
            tracing::warn!("wyoming: a client was turned away ({} connected)", options.max_clients);
            continue;
        };
        let (options, queue, voice) = (options.clone(), queue.clone(), voice.clone());
        std::thread::Builder::new().name("wyoming-client".into()).spawn(move || {
            let _slot = slot;
            let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!(peer, "wyoming: client connected");
            if let Err(e) = Client::new(&options, queue, voice).run(stream) {
                tracing::info!(peer, "wyoming: client closed: {e}");
            }
        })?;
    }
    Ok(())
}

/// How long a client past the limit waits for a slot before it is told "busy".
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// The clients served at once, counted; a slot is given back when its
/// [`Slot`] is dropped (the client's thread ending, however it ends).
struct Slots {
    taken: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

struct Slot(Arc<Slots>);

impl Slots {
    fn new(limit: usize) -> Self {
        Self { taken: Mutex::new(0), freed: Condvar::new(), limit }
    }

    /// A slot, waiting up to `wait` for one to be given back.
    fn take(slots: &Arc<Slots>, wait: Duration) -> Option<Slot> {
        let taken = slots.taken.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (mut taken, _) = slots
            .freed
            .wait_timeout_while(taken, wait, |taken| *taken >= slots.limit)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *taken >= slots.limit {
            return None;
        }
        *taken += 1;
        Some(Slot(slots.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.taken.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

fn error(code: &str, text: &str) -> Event {
    Event::new("error", json!({ "text": text, "code": code }))
}

/// One client's connection.
struct Client<'o> {
    options: &'o ServeOptions,
    queue: mpsc::Sender<Transcription>,
    voice: Arc<dyn Voice + Send + Sync>,
    /// The language of the transcription asked for, if any.
    language: Option<LangTag>,
    utterance: Option<Utterance>,
    /// Text of a streamed synthesis (`synthesize-chunk`s), and its voice.
    streamed: Option<(String, Value)>,
}

impl<'o> Client<'o> {
    fn new(options: &'o ServeOptions, queue: mpsc::Sender<Transcription>, voice: Arc<dyn Voice + Send + Sync>) -> Self {
        Self { options, queue, voice, language: None, utterance: None, streamed: None }
    }

    fn run(mut self, stream: TcpStream) -> Result<(), FrameError> {
        stream.set_read_timeout(Some(self.options.idle))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut writer = BufWriter::new(stream);
        // The client's own conversation, for `transcript` events.
        let options = self.options;
        let store =
            Store::open(&options.data_dir.join("awal.sqlite")).map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut dialogue = Dialogue::new(&options.corpus, options.languages[0], &options.country)
            .with_languages(options.languages.clone())
            .with_store(&store, &options.data_dir);
        loop {
            let event = match read_event(&mut reader, &LIMITS) {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(()),
                Err(FrameError::Io(e)) => return Err(FrameError::Io(e)),
                Err(e) => {
                    // Said to the client, then closed unless the stream is still in step.
                    write_event(&mut writer, &error("bad-event", &e.to_string()))?;
                    if e.keeps_framing() {
                        continue;
                    }
                    return Err(e);
                }
            };
            let replies = match event.kind.as_str() {
                "transcript" | "recognize" => match event.text("text") {
                    Some(text) => {
                        let reply = dialogue.respond(text);
                        vec![Event::new("handled", json!({ "text": reply.text }))]
                    }
                    None => vec![error("bad-event", &format!("{} needs a `text`", event.kind))],
                },
                _ => self.handle(&event),
            };
            for reply in replies {
                write_event(&mut writer, &reply)?;
            }
        }
    }

    /// The events answering `event` (all but the conversation's).
    fn handle(&mut self, event: &Event) -> Vec<Event> {
        let result = match event.kind.as_str() {
            "describe" => Ok(vec![info(self.options)]),
            "ping" => Ok(vec![Event::new("pong", json!({}))]),
            "transcribe" => self.transcribe(event).map(|()| Vec::new()),
            "audio-start" => self.audio_start(event).map(|()| Vec::new()),
            "audio-chunk" => self.audio_chunk(event).map(|()| Vec::new()),
            "audio-stop" => self.audio_stop(),
            "synthesize" => self.synthesize_text(event.text("text"), event.data.get("voice")),
            "synthesize-start" => {
                self.streamed = Some((String::new(), event.data.get("voice").cloned().unwrap_or(Value::Null)));
                Ok(Vec::new())
            }
            "synthesize-chunk" => self.synthesize_chunk(event),
            "synthesize-stop" => self.synthesize_stop(),
            other => Err(format!("Awal does not handle `{other}` events")),
        };
        result.unwrap_or_else(|text| {
            tracing::info!(event = event.kind, "wyoming: refused: {text}");
            vec![error("refused", &text)]
        })
    }

    fn transcribe(&mut self, event: &Event) -> Result<(), String> {
        self.language = match event.text("language") {
            Some(tag) => Some(tag.parse::<LangTag>().map_err(|e| format!("language `{tag}`: {e}"))?),
            None => None,
        };
        Ok(())
    }

    fn audio_start(&mut self, event: &Event) -> Result<(), String> {
        self.utterance = Some(Utterance::new(Format::of(event)?, MAX_AUDIO_SECONDS)?);
        Ok(())
    }

    fn audio_chunk(&mut self, event: &Event) -> Result<(), String> {
        let format = Format::of(event)?;
        if self.utterance.is_none() {
            // Clients may skip `audio-start`: the first chunk starts the audio.
            self.utterance = Some(Utterance::new(format, MAX_AUDIO_SECONDS)?);
        }
        let utterance = self.utterance.as_mut().expect("set above");
        let pushed = utterance.push(format, &event.payload);
        if pushed.is_err() {
            self.utterance = None;
        }
        pushed
    }

    fn audio_stop(&mut self) -> Result<Vec<Event>, String> {
        let utterance = self.utterance.take().ok_or("audio-stop without audio")?;
        let samples = utterance.finish()?;
        let lang = self.language.take().unwrap_or(self.options.languages[0]);
        let (answer, heard) = mpsc::channel();
        self.queue.send((samples, lang, answer)).map_err(|_| "the hearing thread has stopped".to_string())?;
        let heard = heard.recv().map_err(|_| "the hearing thread has stopped".to_string())??;
        Ok(vec![Event::new("transcript", json!({ "text": heard.text, "language": lang.to_string() }))])
    }

    fn synthesize_chunk(&mut self, event: &Event) -> Result<Vec<Event>, String> {
        let (text, _) = self.streamed.as_mut().ok_or("synthesize-chunk without synthesize-start")?;
        text.push_str(event.text("text").unwrap_or_default());
        if text.len() > MAX_SYNTHESIS_BYTES {
            self.streamed = None;
            return Err(format!("the text is longer than {MAX_SYNTHESIS_BYTES} bytes"));
        }
        Ok(Vec::new())
    }

    fn synthesize_stop(&mut self) -> Result<Vec<Event>, String> {
        let (text, voice) = self.streamed.take().ok_or("synthesize-stop without synthesize-start")?;
        let mut events = self.synthesize_text(Some(&text), Some(&voice))?;
        events.push(Event::new("synthesize-stopped", json!({})));
        Ok(events)
    }

    /// `text` spoken by the voice for the requested language (the voice's
    /// `language`, else its `name`, else the server's first language).
    fn synthesize_text(&self, text: Option<&str>, voice: Option<&Value>) -> Result<Vec<Event>, String> {
        let text = text.ok_or("synthesize needs a `text`")?;
        if text.len() > MAX_SYNTHESIS_BYTES {
            return Err(format!("the text is longer than {MAX_SYNTHESIS_BYTES} bytes"));
        }
        let asked = voice.and_then(|v| v.get("language").or_else(|| v.get("name"))).and_then(Value::as_str);
        let lang = match asked {
            Some(tag) => tag.parse::<LangTag>().map_err(|e| format!("voice `{tag}`: {e}"))?,
            None => self.options.languages[0],
        };
        let file = tempfile::Builder::new().suffix(".wav").tempfile().map_err(|e| e.to_string())?;
        match self.voice.synthesize(text, &lang.to_string(), NORMAL_RATE, file.path()) {
            Ok(true) => {}
            Ok(false) => return Err(format!("Awal has no voice for `{lang}`")),
            Err(e) => return Err(e.to_string()),
        }
        let recording = load_audio(file.path()).map_err(|e| e.to_string())?;
        let format = json!({ "rate": crate::audio::SAMPLE_RATE, "width": 2, "channels": 1 });
        let mut events = vec![Event::new("audio-start", format.clone())];
        for chunk in recording.samples.chunks(CHUNK_SAMPLES) {
            events.push(Event::new("audio-chunk", format.clone()).with_payload(encode_16(chunk)));
        }
        events.push(Event::new("audio-stop", json!({})));
        Ok(events)
    }
}

/// `info`: the recognizer and its languages, a voice per language espeak-ng
/// speaks, and the conversation in the served languages.
fn info(options: &ServeOptions) -> Event {
    let languages = Languages::built_in();
    let attribution = json!({ "name": "Awal", "url": "https://github.com/awal-kiosk/awal" });
    let version = env!("CARGO_PKG_VERSION");
    let artifact = |name: &str, description: &str| {
        json!({ "name": name, "attribution": attribution, "installed": true,
                "description": description, "version": version })
    };
    let heard: Vec<String> = languages.iter().filter(|l| l.whisper.is_some()).map(|l| l.code.to_string()).collect();
    let mut model = artifact("whisper-base", "Whisper base in candle");
    model["languages"] = json!(heard);
    let mut asr = artifact("awal", "Awal's speech recognition");
    asr["models"] = json!([model]);
    let voices: Vec<Value> = languages
        .iter()
        .filter(|l| l.espeak.is_some())
        .map(|l| {
            let mut voice = artifact(&l.code.to_string(), &format!("{} (espeak-ng)", l.name));
            voice["languages"] = json!([l.code.to_string()]);
            voice
        })
        .collect();
    let mut tts = artifact("awal", "Awal's voices");
    tts["voices"] = json!(voices);
    let served: Vec<String> = options.languages.iter().map(|l| l.to_string()).collect();
    let mut handle_model =
        artifact("awal", &format!("Rights and paperwork from reviewed content ({})", options.country));
    handle_model["languages"] = json!(served);
    let mut handle = artifact("awal", "Awal's conversation");
    handle["models"] = json!([handle_model]);
    Event::new("info", json!({ "asr": [asr], "tts": [tts], "handle": [handle] }))
}

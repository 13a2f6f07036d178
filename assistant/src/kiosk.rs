//! `awal kiosk`: the long-running voice loop. Listens on the microphone, cuts
//! utterances at the end of speech, hears them (Whisper, or spoken keywords),
//! answers through the dialogue and speaks the reply. It outlives its devices:
//! a missing or unplugged microphone is waited for, a missing speaker leaves
//! the replies on the log; a quiet minute brings the welcome back for the
//! next person. With push-to-talk, only speech after a press of Enter is
//! answered (a beep says the kiosk is listening); a number and Enter is a
//! language button.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::audio::microphone::{DeviceError, Microphone};
use crate::audio::push_to_talk::{Key, Keyboard, TalkGate};
use crate::audio::vad::Endpointer;
use crate::dialogue::{Dialogue, Reply};
use crate::speech::playback::Speaker;
use crate::speech::synthesize;

#[derive(Debug, Clone)]
pub struct KioskOptions {
    /// How long to wait before looking for a missing microphone again.
    pub retry: Duration,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_retries: Option<u32>,
    /// Quiet that ends an utterance.
    pub end_of_speech_ms: usize,
    /// Quiet after which the conversation starts over at the welcome.
    pub idle_reset: Duration,
    /// Where reply audio is written before it is played.
    pub out_dir: PathBuf,
    /// Answer only speech that follows a press of Enter.
    pub push_to_talk: bool,
}

/// Turns an utterance (16 kHz mono) in a language into text, or says why not.
pub type Hear<'a> = dyn FnMut(&[f32], &str) -> Result<String, String> + 'a;

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp { last: DeviceError, attempts: u32 },
}

/// Runs until the process is stopped, or until the microphone stayed away
/// for `max_retries` attempts. `hear` turns an utterance in a language into text.
pub fn run(dialogue: &mut Dialogue, hear: &mut Hear, options: &KioskOptions) -> Result<(), KioskError> {
    let mut failures = 0;
    // Language buttons work in every mode; the talk button only with push-to-talk.
    let mut keyboard = Some(Keyboard::listen());
    loop {
        let mut microphone = match Microphone::open() {
            Ok(microphone) => {
                failures = 0;
                microphone
            }
            Err(last) => {
                failures += 1;
                if options.max_retries.is_some_and(|max| failures > max) {
                    return Err(KioskError::GaveUp { last, attempts: failures });
                }
                tracing::warn!("{last}; looking again in {} s", options.retry.as_secs_f32());
                std::thread::sleep(options.retry);
                continue;
            }
        };
        tracing::info!("listening on {}", microphone.name);
        let speaker = Speaker::open().map_err(|e| tracing::warn!("{e}: replies are logged, not heard")).ok();
        let mut voice = Voice { speaker, out_dir: &options.out_dir, turn: 0 };
        voice.say(&dialogue.welcome());
        // A question fits one Whisper window.
        let endpointer = Endpointer::new(options.end_of_speech_ms, 30_000);
        let mut gate = match keyboard {
            Some(_) if options.push_to_talk => TalkGate::push_to_talk(endpointer),
            _ => TalkGate::hands_free(endpointer),
        };
        let mut last_heard = Instant::now();
        let mut at_welcome = true;
        let lost = loop {
            let chunk = match microphone.next_chunk(Duration::from_millis(500)) {
                Ok(Some(chunk)) => chunk,
                Ok(None) => Vec::new(),
                Err(e) => break e,
            };
            let keys = match keyboard.as_ref().map(Keyboard::presses) {
                Some(Ok(keys)) => keys,
                Some(Err(gone)) => {
                    if options.push_to_talk {
                        tracing::warn!("{gone}: answering every utterance");
                    }
                    keyboard = None;
                    gate.go_hands_free();
                    Vec::new()
                }
                None => Vec::new(),
            };
            let mut pressed = false;
            for key in keys {
                match key {
                    Key::Talk => pressed = true,
                    Key::Number(n) => {
                        if let Some(reply) = dialogue.press_language_button(n) {
                            tracing::info!(lang = %dialogue.lang(), "language button");
                            voice.say(&reply);
                            at_welcome = true;
                        }
                    }
                }
            }
            if pressed && !gate.is_open() {
                voice.beep();
            }
            for utterance in gate.push(&chunk, pressed) {
                last_heard = Instant::now();
                let heard = hear(&utterance, &dialogue.lang().to_string()).unwrap_or_else(|e| {
                    tracing::warn!("could not hear the utterance: {e}");
                    String::new()
                });
                // Simpler words are spoken sentence by sentence while the model writes.
                let mut ahead = |text: &str, lang: &str, rate: u32| voice.say_ahead(text, lang, rate);
                let reply = dialogue.respond_ahead(&heard, Some(utterance.as_slice()), &mut ahead);
                tracing::info!(skill = ?reply.skill, entry = reply.entry.as_deref(), "turn");
                voice.say(&reply);
                at_welcome = false;
                if reply.end {
                    voice.say(&dialogue.welcome());
                    at_welcome = true;
                }
            }
            if !at_welcome && last_heard.elapsed() >= options.idle_reset {
                tracing::info!("nobody spoke for {} s: back to the welcome", options.idle_reset.as_secs());
                voice.say(&dialogue.welcome());
                at_welcome = true;
            }
        };
        tracing::warn!("{lost}; waiting for the microphone to come back");
    }
}

/// Speaks replies: their recordings, else espeak-ng into `out_dir`, on the speaker if there is one.
struct Voice<'a> {
    speaker: Option<Speaker>,
    out_dir: &'a Path,
    turn: usize,
}

impl Voice<'_> {
    fn beep(&self) {
        if let Some(speaker) = &self.speaker {
            speaker.beep();
        }
    }

    /// Says what `reply` has left to say (the part not said ahead), then its example.
    fn say(&mut self, reply: &Reply) {
        let rest = reply.text[reply.spoken_ahead..].trim();
        tracing::info!(lang = %reply.lang, "says: {rest}");
        let audio: Vec<PathBuf> = match reply.clips.is_empty() {
            false => reply.clips.clone(),
            true if rest.is_empty() => Vec::new(),
            true => self.synthesize(rest, &reply.lang, reply.rate).into_iter().collect(),
        };
        self.play(audio.iter().chain(&reply.example));
    }

    /// Says a piece of a reply that is still being written.
    fn say_ahead(&mut self, text: &str, lang: &str, rate: u32) {
        tracing::info!(lang, "says: {text}");
        let audio = self.synthesize(text, lang, rate);
        self.play(audio.iter());
    }

    fn synthesize(&mut self, text: &str, lang: &str, rate: u32) -> Option<PathBuf> {
        self.turn += 1;
        let path = self.out_dir.join(format!("reply-{}.wav", self.turn % 10));
        match synthesize(text, lang, rate, &path) {
            Ok(true) => Some(path),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        }
    }

    fn play<'p>(&self, audio: impl Iterator<Item = &'p PathBuf>) {
        if let Some(speaker) = &self.speaker {
            for audio in audio {
                if let Err(e) = speaker.play(audio) {
                    tracing::warn!("{e}");
                }
            }
        }
    }
}

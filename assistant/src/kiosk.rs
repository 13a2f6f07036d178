//! `awal kiosk`: the long-running voice loop around a [`Conversation`].
//! Listens on the capture device, cuts utterances at the end of speech, hands
//! each to the conversation and plays the reply. It outlives its devices: a
//! missing or unplugged microphone is waited for, a missing speaker leaves
//! the kiosk answering unheard (and says so in the log) and is opened again
//! for each reply until it is back; a quiet minute
//! brings the welcome back for the next person. With push-to-talk, only
//! speech after a press of Enter is answered (a beep says the kiosk is
//! listening); a number and Enter is a language button.
//!
//! The log holds what happened, never what was said: skill, entry, language,
//! timings and device events.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::audio::devices::{Playback, SoundDevices};
use crate::audio::microphone::DeviceError;
use crate::audio::push_to_talk::{Key, Keyboard, TalkGate};
use crate::audio::vad::Endpointer;
use crate::conversation::{Conversation, Input};

/// Quiet that ends an utterance by default, in milliseconds: a person's
/// pause for breath within a question is shorter.
pub const END_OF_SPEECH_MS: usize = 700;
/// An utterance is cut here even if the speaker goes on: a question fits one
/// Whisper window.
pub const MAX_UTTERANCE_MS: usize = 30_000;

/// Digital silence this long from the microphone is said in the log: the
/// input is muted or unplugged, or the sound server moved the capture to a
/// source nobody feeds (PulseAudio does so silently when a source goes away,
/// and moves it back when the source returns).
const DEAD_SILENCE: Duration = Duration::from_secs(10);

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
    /// Answer only speech that follows a press of Enter.
    pub push_to_talk: bool,
    /// How long after the kiosk stops speaking it starts listening again.
    pub echo_guard: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp { last: DeviceError, attempts: u32 },
}

/// Runs until the process is stopped, until the microphone stayed away for
/// `max_retries` attempts, or until a recorded input is over.
pub fn run(
    conversation: &mut Conversation,
    devices: &mut dyn SoundDevices,
    options: &KioskOptions,
) -> Result<(), KioskError> {
    let mut failures = 0;
    // Language buttons work in every mode; the talk button only with push-to-talk.
    let mut keyboard = Some(Keyboard::listen());
    loop {
        let mut capture = match devices.open_capture() {
            Ok(capture) => {
                failures = 0;
                capture
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
        tracing::info!("listening on {}", capture.name());
        let mut speaker = Speaker::open(devices);
        conversation.welcome(&mut |audio| speaker.say(audio));
        let endpointer = Endpointer::new(options.end_of_speech_ms, MAX_UTTERANCE_MS);
        let mut gate = match keyboard {
            Some(_) if options.push_to_talk => TalkGate::push_to_talk(endpointer),
            _ => TalkGate::hands_free(endpointer),
        };
        let mut last_heard = Instant::now();
        let mut at_welcome = true;
        let mut silence = SilenceWatch::new();
        let lost = loop {
            if speaker.spoke() {
                // What came in meanwhile is the kiosk's own voice.
                capture.ignore_own_voice(options.echo_guard);
                gate.forget_speech_under_way();
                silence.restart();
            }
            let chunk = match capture.next_chunk(Duration::from_millis(500)) {
                Ok(Some(chunk)) => chunk,
                Ok(None) => Vec::new(),
                Err(e) => break e,
            };
            silence.hear(&chunk);
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
                        if let Ok(Some(_)) = conversation.turn(Input::Button(n), &mut |audio| speaker.say(audio)) {
                            at_welcome = true;
                        }
                    }
                }
            }
            if pressed && !gate.is_open() {
                speaker.beep();
            }
            for utterance in gate.push(&chunk, pressed) {
                last_heard = Instant::now();
                let turn = match conversation.turn(Input::Speech(utterance), &mut |audio| speaker.say(audio)) {
                    Ok(turn) => turn,
                    Err(e) => {
                        // Answered as if nothing was heard: "say it again".
                        tracing::warn!("could not hear the utterance: {e}");
                        conversation.turn(Input::Text(String::new()), &mut |audio| speaker.say(audio)).ok().flatten()
                    }
                };
                at_welcome = false;
                if turn.is_some_and(|turn| turn.reply.end) {
                    conversation.welcome(&mut |audio| speaker.say(audio));
                    at_welcome = true;
                }
            }
            if !at_welcome && last_heard.elapsed() >= options.idle_reset {
                tracing::info!("nobody spoke for {} s: back to the welcome", options.idle_reset.as_secs());
                conversation.welcome(&mut |audio| speaker.say(audio));
                at_welcome = true;
            }
        };
        if matches!(lost, DeviceError::Ended) {
            // A recorded input: the last utterance was answered.
            tracing::info!("the recorded input is over");
            return Ok(());
        }
        tracing::warn!("{lost}; waiting for the microphone to come back");
    }
}

/// Says in the log when the microphone has given only digital silence for
/// [`DEAD_SILENCE`], and when sound comes back.
struct SilenceWatch {
    sound_heard: Instant,
    said: bool,
}

impl SilenceWatch {
    fn new() -> Self {
        Self { sound_heard: Instant::now(), said: false }
    }

    /// The kiosk spoke: the time it was deaf is not silence.
    fn restart(&mut self) {
        self.sound_heard = Instant::now();
    }

    fn hear(&mut self, chunk: &[f32]) {
        if chunk.iter().any(|s| s.abs() >= crate::audio::DIGITAL_SILENCE) {
            if self.said {
                tracing::info!("the microphone hears sound again");
                self.said = false;
            }
            self.sound_heard = Instant::now();
        } else if !self.said && self.sound_heard.elapsed() >= DEAD_SILENCE {
            tracing::warn!(
                "the microphone gave only silence for {} s: muted, unplugged, or moved by the sound server \
                 to a source nobody feeds",
                DEAD_SILENCE.as_secs()
            );
            self.said = true;
        }
    }
}

/// The speaker, when there is one, and whether it said something since
/// last asked. A speaker that fails (unplugged, or the sound server gone) is
/// opened again before the next thing said, so the reply after a loss is
/// heard once the device is back; a missing one is looked for again at each
/// reply, not waited for.
struct Speaker<'a> {
    devices: &'a mut dyn SoundDevices,
    output: Option<Box<dyn Playback>>,
    spoke: bool,
    /// The speaker failed or could not be opened, and the log said so.
    missing: bool,
}

impl<'a> Speaker<'a> {
    fn open(devices: &'a mut dyn SoundDevices) -> Self {
        let mut speaker = Self { devices, output: None, spoke: false, missing: false };
        speaker.reopen();
        speaker
    }

    /// Opens the output if it is not open; says in the log when it is
    /// missing (once per loss) and when it is back.
    fn reopen(&mut self) {
        if self.output.is_some() {
            return;
        }
        match self.devices.open_playback() {
            Ok(output) => {
                if std::mem::take(&mut self.missing) {
                    tracing::info!("the speaker is back: replies are heard again");
                }
                self.output = Some(output);
            }
            Err(e) if !self.missing => {
                tracing::warn!("{e}: replies are written, not heard, until a speaker is found");
                self.missing = true;
            }
            Err(_) => {}
        }
    }

    fn say(&mut self, audio: &Path) {
        self.spoke = true;
        self.reopen();
        if let Some(output) = self.output.as_mut() {
            if let Err(e) = output.play(audio) {
                tracing::warn!("{e}: the speaker is opened again for what is said next");
                self.missing = true;
                // Closing a stream to a dead sound server can hang in
                // libpulse: the lost speaker is left behind, not dropped.
                std::mem::forget(self.output.take());
            }
        }
    }

    /// Whether something was said since the last call.
    fn spoke(&mut self) -> bool {
        std::mem::take(&mut self.spoke)
    }

    fn beep(&mut self) {
        if let Some(output) = self.output.as_mut() {
            output.beep();
        }
    }
}

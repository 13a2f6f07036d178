//! Which speech is a turn. Hands-free, every utterance the endpointer cuts
//! is one. With push-to-talk, only speech after a press of the talk button
//! counts — chatter in a busy room is not answered — and the turn ends at the
//! end of speech or at the next press, whichever comes first.
//!
//! The buttons are keys, on standard input or read as Linux input events
//! ([`super::input_events`]): Enter is the talk button, a number and Enter a
//! language button (big USB buttons that type those work the same). GPIO
//! buttons are not read yet.

use std::io::{BufRead, IsTerminal};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use super::vad::Endpointer;

/// Cuts a 16 kHz mono stream into turns.
pub struct TalkGate {
    endpointer: Endpointer,
    push_to_talk: bool,
    /// Push-to-talk: the button was pressed and the turn has not ended.
    open: bool,
}

impl TalkGate {
    pub fn hands_free(endpointer: Endpointer) -> Self {
        Self { endpointer, push_to_talk: false, open: false }
    }

    pub fn push_to_talk(endpointer: Endpointer) -> Self {
        Self { endpointer, push_to_talk: true, open: false }
    }

    /// The button is gone (keyboard unplugged, no terminal): every utterance counts.
    pub fn go_hands_free(&mut self) {
        self.push_to_talk = false;
    }

    /// Push-to-talk and waiting for the end of a turn.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Drops speech the endpointer is in the middle of (the kiosk's own
    /// voice, heard while it spoke).
    pub fn forget_speech_under_way(&mut self) {
        let _ = self.endpointer.finish();
    }

    /// Feeds a chunk; `pressed` says whether the button was pressed since the
    /// last one. Returns the turns that ended.
    pub fn push(&mut self, chunk: &[f32], pressed: bool) -> Vec<Vec<f32>> {
        // The endpointer hears everything, so its noise floor stays current.
        let ended = self.endpointer.push(chunk);
        if !self.push_to_talk {
            return ended;
        }
        if self.open {
            if let Some(turn) = ended.into_iter().next() {
                self.open = false;
                return vec![turn];
            }
        }
        if pressed {
            // Speech under way at the press: before it, the end of a turn; after, not a turn.
            let under_way = self.endpointer.finish();
            if self.open {
                self.open = false;
                return under_way.into_iter().collect();
            }
            self.open = true;
        }
        Vec::new()
    }
}

/// A press of one of the kiosk's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Talk,
    /// A numbered button (the kiosk's languages).
    Number(usize),
}

impl Key {
    /// The button a line of standard input stands for.
    fn from_line(line: &str) -> Self {
        line.trim().parse().map_or(Key::Talk, Key::Number)
    }
}

/// Button presses typed on standard input, read on a thread of their own.
pub struct Keyboard {
    presses: Receiver<Key>,
}

#[derive(Debug, thiserror::Error)]
#[error("the push-to-talk keyboard is gone (standard input closed)")]
pub struct KeyboardGone;

impl Keyboard {
    /// Listens to standard input when it is a terminal; otherwise to the
    /// input devices (a kiosk started by systemd has no terminal) and to
    /// standard input as well (a pipe). At a terminal the input devices are
    /// left alone: the same keyboard would press every button twice.
    pub fn listen() -> Self {
        let (sender, presses) = mpsc::channel();
        if !std::io::stdin().is_terminal() {
            let devices = super::input_events::listen(&sender);
            if devices == 0 {
                tracing::info!("buttons: no input device with an Enter key can be read (/dev/input, `input` group)");
            }
        }
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if sender.send(Key::from_line(&line)).is_err() {
                    break;
                }
            }
        });
        Self { presses }
    }

    /// The buttons pressed since the last call, in order.
    pub fn presses(&self) -> Result<Vec<Key>, KeyboardGone> {
        let mut keys = Vec::new();
        loop {
            match self.presses.try_recv() {
                Ok(key) => keys.push(key),
                Err(TryRecvError::Empty) => return Ok(keys),
                // Presses already made still count.
                Err(TryRecvError::Disconnected) if !keys.is_empty() => return Ok(keys),
                Err(TryRecvError::Disconnected) => return Err(KeyboardGone),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f32) -> Vec<f32> {
        (0..(seconds * 16_000.0) as usize).map(|i| 0.3 * (i as f32 * 0.07).sin()).collect()
    }

    fn silence(seconds: f32) -> Vec<f32> {
        vec![0.0; (seconds * 16_000.0) as usize]
    }

    /// Feeds `stream` in 100 ms chunks, pressing the button at the given chunk numbers.
    fn turns(gate: &mut TalkGate, stream: &[f32], presses: &[usize]) -> Vec<f32> {
        let mut lengths = Vec::new();
        for (n, chunk) in stream.chunks(1_600).enumerate() {
            for turn in gate.push(chunk, presses.contains(&n)) {
                lengths.push(turn.len() as f32 / 16_000.0);
            }
        }
        lengths
    }

    fn chatter_then_a_question() -> Vec<f32> {
        [silence(1.0), tone(0.8), silence(1.0), tone(1.5), silence(1.0)].concat()
    }

    #[test]
    fn enter_talks_and_a_number_is_a_button() {
        assert_eq!(Key::from_line(""), Key::Talk);
        assert_eq!(Key::from_line(" 2 "), Key::Number(2));
        assert_eq!(Key::from_line("x"), Key::Talk);
    }

    #[test]
    fn hands_free_every_utterance_is_a_turn() {
        let mut gate = TalkGate::hands_free(Endpointer::new(300, 30_000));
        assert_eq!(turns(&mut gate, &chatter_then_a_question(), &[]).len(), 2);
    }

    #[test]
    fn push_to_talk_answers_only_speech_after_the_press() {
        let mut gate = TalkGate::push_to_talk(Endpointer::new(300, 30_000));
        assert_eq!(turns(&mut gate, &chatter_then_a_question(), &[]), Vec::<f32>::new(), "no press, no turn");
        let mut gate = TalkGate::push_to_talk(Endpointer::new(300, 30_000));
        // Pressed at 2.5 s, in the quiet between the chatter and the question.
        let lengths = turns(&mut gate, &chatter_then_a_question(), &[25]);
        assert_eq!(lengths.len(), 1, "{lengths:?}");
        assert!(lengths[0] > 1.5 && lengths[0] < 1.8, "the question: {lengths:?}");
        assert!(!gate.is_open(), "the turn ended with the speech");
    }

    #[test]
    fn a_second_press_ends_the_turn_at_once() {
        let mut gate = TalkGate::push_to_talk(Endpointer::new(300, 30_000));
        let stream = [silence(0.5), tone(3.0)].concat();
        // Pressed at 0.2 s, again at 2.0 s, while still speaking.
        let lengths = turns(&mut gate, &stream, &[2, 20]);
        assert_eq!(lengths.len(), 1, "{lengths:?}");
        assert!(lengths[0] > 1.4 && lengths[0] < 1.8, "cut at the press: {lengths:?}");
    }

    #[test]
    fn without_the_button_every_utterance_counts_again() {
        let mut gate = TalkGate::push_to_talk(Endpointer::new(300, 30_000));
        gate.go_hands_free();
        assert_eq!(turns(&mut gate, &chatter_then_a_question(), &[]).len(), 2);
    }
}

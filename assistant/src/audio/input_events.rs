//! The kiosk's buttons read as Linux input events (`/dev/input/event*`,
//! through the `evdev` crate), so a kiosk started by systemd with no terminal
//! still sees them. Big USB buttons are keyboards: they type what a person at
//! the terminal would, with the same meaning as on standard input
//! ([`super::push_to_talk`]) — Enter alone is the talk button, digits then
//! Enter a numbered (language) button. Only presses count: releases and the
//! key repeat of a button held down do not.
//!
//! Reading `/dev/input` needs the `input` group (or root); a device that
//! cannot be opened is skipped and the log says so.

use std::sync::mpsc::Sender;

use evdev::{EventSummary, InputEvent, KeyCode};

use super::push_to_talk::Key;

/// Turns key events into button presses: digits wait for the Enter that ends them.
#[derive(Debug, Default)]
pub struct ButtonDecoder {
    digits: String,
}

/// A key event's value when the key goes down (0 is up, 2 a repeat).
const PRESSED: i32 = 1;

impl ButtonDecoder {
    /// The button an event completes, if any.
    pub fn event(&mut self, event: InputEvent) -> Option<Key> {
        let EventSummary::Key(_, code, PRESSED) = event.destructure() else { return None };
        if code == KeyCode::KEY_ENTER || code == KeyCode::KEY_KPENTER {
            let digits = std::mem::take(&mut self.digits);
            return Some(digits.parse().map_or(Key::Talk, Key::Number));
        }
        match digit(code) {
            Some(d) => self.digits.push(d),
            // Any other key starts the line over, as a typo would not make a button.
            None => self.digits.clear(),
        }
        None
    }
}

fn digit(code: KeyCode) -> Option<char> {
    const ROW: [KeyCode; 10] = [
        KeyCode::KEY_0,
        KeyCode::KEY_1,
        KeyCode::KEY_2,
        KeyCode::KEY_3,
        KeyCode::KEY_4,
        KeyCode::KEY_5,
        KeyCode::KEY_6,
        KeyCode::KEY_7,
        KeyCode::KEY_8,
        KeyCode::KEY_9,
    ];
    const PAD: [KeyCode; 10] = [
        KeyCode::KEY_KP0,
        KeyCode::KEY_KP1,
        KeyCode::KEY_KP2,
        KeyCode::KEY_KP3,
        KeyCode::KEY_KP4,
        KeyCode::KEY_KP5,
        KeyCode::KEY_KP6,
        KeyCode::KEY_KP7,
        KeyCode::KEY_KP8,
        KeyCode::KEY_KP9,
    ];
    let n = ROW.iter().position(|&k| k == code).or_else(|| PAD.iter().position(|&k| k == code))?;
    char::from_digit(n as u32, 10)
}

/// Starts a thread per input device with an Enter key, sending each button
/// pressed to `presses`; how many devices are read. A thread ends when its
/// device is unplugged or `presses` is dropped.
pub fn listen(presses: &Sender<Key>) -> usize {
    let mut count = 0;
    for (path, mut device) in evdev::enumerate() {
        let has_enter = device.supported_keys().is_some_and(|keys| keys.contains(KeyCode::KEY_ENTER));
        if !has_enter {
            continue;
        }
        tracing::info!("buttons: {} ({})", device.name().unwrap_or("unnamed"), path.display());
        let presses = presses.clone();
        count += 1;
        std::thread::spawn(move || {
            let mut decoder = ButtonDecoder::default();
            loop {
                let events = match device.fetch_events() {
                    Ok(events) => events,
                    Err(e) => {
                        tracing::warn!("buttons on {} gone: {e}", path.display());
                        return;
                    }
                };
                for key in events.filter_map(|event| decoder.event(event)) {
                    if presses.send(key).is_err() {
                        return;
                    }
                }
            }
        });
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct input_event` as the kernel writes it on 64-bit Linux:
    /// seconds, microseconds, type, code, value.
    const EVENT_BYTES: usize = 24;

    fn recorded(events: &[(u16, u16, i32)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (n, &(kind, code, value)) in events.iter().enumerate() {
            bytes.extend_from_slice(&1_764_720_000i64.to_ne_bytes());
            bytes.extend_from_slice(&(n as i64 * 1_000).to_ne_bytes());
            bytes.extend_from_slice(&kind.to_ne_bytes());
            bytes.extend_from_slice(&code.to_ne_bytes());
            bytes.extend_from_slice(&value.to_ne_bytes());
        }
        bytes
    }

    /// Reads recorded bytes back as the kernel lays them out: one
    /// `input_event` per 24 bytes, type, code and value after the time.
    fn events(bytes: &[u8]) -> Vec<InputEvent> {
        assert_eq!(std::mem::size_of::<libc::input_event>(), EVENT_BYTES);
        bytes
            .chunks_exact(EVENT_BYTES)
            .map(|b| {
                let kind = u16::from_ne_bytes([b[16], b[17]]);
                let code = u16::from_ne_bytes([b[18], b[19]]);
                let value = i32::from_ne_bytes([b[20], b[21], b[22], b[23]]);
                InputEvent::new(kind, code, value)
            })
            .collect()
    }

    const KEY: u16 = 1;
    const SYN: u16 = 0;
    const MSC: u16 = 4;

    /// A key pressed and released as a USB keyboard reports it: scan code,
    /// key down, sync, key up, sync.
    fn tap(code: KeyCode) -> Vec<(u16, u16, i32)> {
        vec![(MSC, 4, 0x70028), (KEY, code.0, 1), (SYN, 0, 0), (MSC, 4, 0x70028), (KEY, code.0, 0), (SYN, 0, 0)]
    }

    fn buttons(events_in_order: &[Vec<(u16, u16, i32)>]) -> Vec<Key> {
        let bytes = recorded(&events_in_order.concat());
        let mut decoder = ButtonDecoder::default();
        events(&bytes).into_iter().filter_map(|e| decoder.event(e)).collect()
    }

    #[test]
    fn enter_alone_is_the_talk_button() {
        assert_eq!(buttons(&[tap(KeyCode::KEY_ENTER)]), vec![Key::Talk]);
        assert_eq!(buttons(&[tap(KeyCode::KEY_KPENTER), tap(KeyCode::KEY_ENTER)]), vec![Key::Talk, Key::Talk]);
    }

    #[test]
    fn digits_then_enter_are_a_numbered_button() {
        let typed = [tap(KeyCode::KEY_2), tap(KeyCode::KEY_ENTER), tap(KeyCode::KEY_KP1), tap(KeyCode::KEY_KP2)];
        let mut pressed = typed.to_vec();
        pressed.push(tap(KeyCode::KEY_KPENTER));
        assert_eq!(buttons(&pressed), vec![Key::Number(2), Key::Number(12)]);
    }

    #[test]
    fn releases_repeats_and_other_keys_are_not_presses() {
        // Enter held down: one press, then the repeats (value 2), then the release.
        let held = vec![(KEY, KeyCode::KEY_ENTER.0, 1), (KEY, KeyCode::KEY_ENTER.0, 2), (KEY, KeyCode::KEY_ENTER.0, 2)];
        assert_eq!(buttons(&[held, vec![(KEY, KeyCode::KEY_ENTER.0, 0)]]), vec![Key::Talk]);
        // A letter between the digits and Enter: not a number, the talk button.
        assert_eq!(buttons(&[tap(KeyCode::KEY_3), tap(KeyCode::KEY_A), tap(KeyCode::KEY_ENTER)]), vec![Key::Talk]);
        // Digits with no Enter complete nothing.
        assert_eq!(buttons(&[tap(KeyCode::KEY_4)]), vec![]);
    }
}

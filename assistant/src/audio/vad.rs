//! Voice-activity detection by frame energy: where speech starts and ends in a
//! clip, and when an utterance is over in a live stream.
//!
//! Energy against an estimated noise floor is enough for single words spoken
//! at a kiosk; it needs no model and costs nothing next to the matching.

use std::collections::VecDeque;

/// 10 ms frames at 16 kHz.
pub const FRAME: usize = 160;
/// A frame counts as speech this far above the noise floor.
const ABOVE_FLOOR_DB: f32 = 9.0;
/// Nothing quieter than this is speech, whatever the floor.
const ABSOLUTE_MIN_DB: f32 = -55.0;
/// Frames kept around the detected speech: the onset of a stop consonant and
/// the tail of a vowel are quieter than the threshold.
const MARGIN_FRAMES: usize = 5;

/// Energy of each 10 ms frame, in dB relative to full scale.
pub fn frame_energies(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(FRAME)
        .map(|frame| {
            let power = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
            10.0 * (power + 1e-10).log10()
        })
        .collect()
}

/// The range of samples that holds speech, margins included; `None` for silence.
pub fn speech_span(samples: &[f32]) -> Option<std::ops::Range<usize>> {
    let energies = frame_energies(samples);
    if energies.is_empty() {
        return None;
    }
    let mut sorted = energies.clone();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted[sorted.len() / 10];
    let peak = sorted[sorted.len() - 1];
    let threshold = (floor + ABOVE_FLOOR_DB).max(ABSOLUTE_MIN_DB).max(peak - 40.0);
    if peak < threshold {
        return None;
    }
    let first = energies.iter().position(|&e| e >= threshold)?;
    let last = energies.iter().rposition(|&e| e >= threshold)?;
    let start = first.saturating_sub(MARGIN_FRAMES) * FRAME;
    let end = ((last + 1 + MARGIN_FRAMES) * FRAME).min(samples.len());
    Some(start..end)
}

/// Cuts a live 16 kHz stream into utterances: speech starts after a few loud
/// frames and ends after `silence_ms` of quiet. The noise floor follows the
/// room, speech included: it is a low percentile of the last seconds' level,
/// so a crowd talking in the room (babble) becomes the floor instead of one
/// endless utterance, and a person closer than the crowd still stands out.
pub struct Endpointer {
    floor_db: f32,
    silence_frames: usize,
    /// An utterance is cut here even if the speaker goes on.
    max_frames: usize,
    pending: Vec<f32>,
    utterance: Vec<f32>,
    /// Recent frames, kept so an utterance starts before its first loud frame.
    lead: VecDeque<Vec<f32>>,
    /// Power of the last [`SMOOTHING_FRAMES`] frames.
    recent_power: VecDeque<f32>,
    /// Smoothed level (dB) of the last [`FLOOR_WINDOW_FRAMES`] frames.
    levels: VecDeque<f32>,
    loud_run: usize,
    quiet_run: usize,
    /// Loud frames in the utterance under way.
    loud_frames: usize,
    in_speech: bool,
}

/// Loud frames in a row that open an utterance (a click is shorter).
const ONSET_FRAMES: usize = 3;
/// Loud frames an utterance needs, 150 ms: a short "no" has more; a
/// syllable standing out of a crowd's murmur has fewer.
const MIN_LOUD_FRAMES: usize = 15;
/// Frames whose power is averaged into one level: 50 ms, so the level of a
/// crowd is steady and a single loud syllable in it is not speech.
const SMOOTHING_FRAMES: usize = 5;
/// The floor looks back 5 s: longer than a pause, short enough to follow a
/// crowd arriving.
const FLOOR_WINDOW_FRAMES: usize = 500;
/// The floor is this share of the way up the recent levels: below most of a
/// question's syllables, near the middle of a crowd's steady murmur.
const FLOOR_PERCENTILE: f32 = 0.2;
/// Before this much history, the floor is the one the endpointer started with.
const FLOOR_MIN_FRAMES: usize = 30;

impl Endpointer {
    /// Utterances end after `silence_ms` of quiet, or at `max_ms` (a keyword
    /// is short; a question fits one 30 s Whisper window).
    pub fn new(silence_ms: usize, max_ms: usize) -> Self {
        Self {
            floor_db: -60.0,
            silence_frames: silence_ms.div_ceil(10).max(1),
            max_frames: max_ms.div_ceil(10).max(1),
            pending: Vec::new(),
            utterance: Vec::new(),
            lead: VecDeque::new(),
            recent_power: VecDeque::new(),
            levels: VecDeque::new(),
            loud_run: 0,
            quiet_run: 0,
            loud_frames: 0,
            in_speech: false,
        }
    }

    /// Feeds samples; returns the utterances that ended in them.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Vec<f32>> {
        self.pending.extend_from_slice(samples);
        let mut done = Vec::new();
        let whole = self.pending.len() / FRAME * FRAME;
        let frames: Vec<Vec<f32>> =
            self.pending.drain(..whole).collect::<Vec<_>>().chunks(FRAME).map(<[f32]>::to_vec).collect();
        for frame in frames {
            if let Some(utterance) = self.frame(frame) {
                done.push(utterance);
            }
        }
        done
    }

    /// Ends the stream: an utterance still open is returned.
    pub fn finish(&mut self) -> Option<Vec<f32>> {
        let open = self.in_speech && !self.utterance.is_empty();
        self.in_speech = false;
        open.then(|| std::mem::take(&mut self.utterance))
    }

    /// The frame's smoothed level (dB), after updating the floor with it.
    fn level(&mut self, frame: &[f32]) -> f32 {
        let power = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
        self.recent_power.push_back(power);
        if self.recent_power.len() > SMOOTHING_FRAMES {
            self.recent_power.pop_front();
        }
        let mean = self.recent_power.iter().sum::<f32>() / self.recent_power.len() as f32;
        let level = 10.0 * (mean + 1e-10).log10();
        self.levels.push_back(level);
        if self.levels.len() > FLOOR_WINDOW_FRAMES {
            self.levels.pop_front();
        }
        if self.levels.len() >= FLOOR_MIN_FRAMES {
            let mut sorted: Vec<f32> = self.levels.iter().copied().collect();
            let at = ((sorted.len() - 1) as f32 * FLOOR_PERCENTILE) as usize;
            self.floor_db = *sorted.select_nth_unstable_by(at, f32::total_cmp).1;
        }
        level
    }

    fn frame(&mut self, frame: Vec<f32>) -> Option<Vec<f32>> {
        let level = self.level(&frame);
        let loud = level >= (self.floor_db + ABOVE_FLOOR_DB).max(ABSOLUTE_MIN_DB);
        if !self.in_speech {
            self.loud_run = if loud { self.loud_run + 1 } else { 0 };
            self.lead.push_back(frame);
            if self.lead.len() > ONSET_FRAMES + MARGIN_FRAMES {
                self.lead.pop_front();
            }
            if self.loud_run >= ONSET_FRAMES {
                self.in_speech = true;
                self.quiet_run = 0;
                self.loud_frames = self.loud_run;
                self.utterance = self.lead.drain(..).flatten().collect();
            }
            return None;
        }
        self.utterance.extend_from_slice(&frame);
        self.quiet_run = if loud { 0 } else { self.quiet_run + 1 };
        self.loud_frames += usize::from(loud);
        let too_long = self.utterance.len() >= self.max_frames * FRAME;
        if self.quiet_run >= self.silence_frames || too_long {
            self.in_speech = false;
            self.loud_run = 0;
            // Keep a short tail of the silence, drop the rest.
            let tail = self.quiet_run.saturating_sub(MARGIN_FRAMES) * FRAME;
            let keep = self.utterance.len() - tail;
            self.utterance.truncate(keep);
            let utterance = std::mem::take(&mut self.utterance);
            return (self.loud_frames >= MIN_LOUD_FRAMES).then_some(utterance);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f32, amplitude: f32) -> Vec<f32> {
        (0..(seconds * 16_000.0) as usize).map(|i| amplitude * (i as f32 * 0.07).sin()).collect()
    }

    #[test]
    fn the_speech_span_of_a_tone_between_silences() {
        let mut clip = vec![0.0; 8_000];
        clip.extend(tone(0.5, 0.3));
        clip.extend(vec![0.0; 8_000]);
        let span = speech_span(&clip).unwrap();
        assert!(span.start >= 8_000 - 6 * FRAME && span.start <= 8_000, "{span:?}");
        assert!(span.end >= 16_000 && span.end <= 16_000 + 6 * FRAME, "{span:?}");
        assert_eq!(speech_span(&vec![0.0; 16_000]), None);
        assert_eq!(speech_span(&[]), None);
    }

    #[test]
    fn a_stream_is_cut_into_its_utterances() {
        let mut stream = vec![0.0; 8_000];
        stream.extend(tone(0.4, 0.3));
        stream.extend(vec![0.0; 8_000]);
        stream.extend(tone(0.6, 0.3));
        stream.extend(vec![0.0; 8_000]);
        let mut endpointer = Endpointer::new(300, 5_000);
        let mut utterances = Vec::new();
        for chunk in stream.chunks(1_000) {
            utterances.extend(endpointer.push(chunk));
        }
        assert_eq!(endpointer.finish(), None);
        assert_eq!(utterances.len(), 2);
        for (utterance, seconds) in utterances.iter().zip([0.4, 0.6]) {
            let length = utterance.len() as f32 / 16_000.0;
            assert!(length > seconds && length < seconds + 0.25, "{length} for {seconds}");
        }
    }
}

//! Spaced repetition (SM-2, as in SuperMemo 2 and Anki's ancestor): an item
//! said right comes back after 1 day, then 6, then further apart by its ease;
//! an item said wrong starts over and comes back the same day.

use jiff::civil::Date;

pub use crate::store::Progress;

const START_EASE: f64 = 2.5;
const MIN_EASE: f64 = 1.3;

/// The progress after an attempt scored `score` (0–1; right when `right`).
pub fn review(before: Option<&Progress>, right: bool, score: f64, today: Date) -> Progress {
    let ease = before.map_or(START_EASE, |p| p.ease);
    // SM-2's quality from 0 to 5: right answers 3–5 by score, wrong ones 0–2.
    let quality = if right { 3.0 + 2.0 * score.clamp(0.0, 1.0) } else { 2.0 * score.clamp(0.0, 1.0) };
    let ease = (ease + 0.1 - (5.0 - quality) * (0.08 + (5.0 - quality) * 0.02)).max(MIN_EASE);
    if !right {
        return Progress { repetitions: 0, interval_days: 0.0, ease, due: today, last_score: score };
    }
    let repetitions = before.map_or(0, |p| p.repetitions) + 1;
    let interval_days = match repetitions {
        1 => 1.0,
        2 => 6.0,
        _ => (before.map_or(6.0, |p| p.interval_days) * ease).round(),
    };
    let due = today.checked_add(jiff::Span::new().days(interval_days as i64)).unwrap_or(today);
    Progress { repetitions, interval_days, ease, due, last_score: score }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_answers_space_out_and_a_wrong_one_starts_over() {
        let today = jiff::civil::date(2026, 11, 23);
        let first = review(None, true, 0.8, today);
        assert_eq!((first.repetitions, first.due), (1, jiff::civil::date(2026, 11, 24)));
        let second = review(Some(&first), true, 0.8, first.due);
        assert_eq!(second.due, jiff::civil::date(2026, 11, 30));
        let third = review(Some(&second), true, 0.8, second.due);
        assert!(third.interval_days > 12.0, "{third:?}");
        let wrong = review(Some(&third), false, 0.3, third.due);
        assert_eq!((wrong.repetitions, wrong.due), (0, third.due));
        assert!(wrong.ease < third.ease);
    }
}

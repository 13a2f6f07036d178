//! Where each learner stands, by card number (the store holds no names): for
//! the studio's learners page.

use super::{Store, StoreError};

/// One learner's lessons at a glance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LearnerSummary {
    pub card: String,
    /// Lesson items tried at least once.
    pub items: u32,
    /// Items whose next review is on or before `today`.
    pub due: u32,
    /// The mean of each item's last score, in [0, 1].
    pub mean_score: f64,
    /// The longest run of right answers in a row on one item.
    pub best_streak: u32,
}

impl Store {
    /// Every learner who has tried an item, by card number.
    pub fn learner_summaries(&self, today: jiff::civil::Date) -> Result<Vec<LearnerSummary>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT l.card, COUNT(*), SUM(p.due <= ?1), AVG(p.last_score), MAX(p.repetitions) \
                 FROM learners l JOIN progress p ON p.learner_id = l.id GROUP BY l.id ORDER BY l.card",
            )
            .map_err(|e| self.sqlite(e))?;
        statement
            .query_map([today.to_string()], |r| {
                Ok(LearnerSummary {
                    card: r.get(0)?,
                    items: r.get(1)?,
                    due: r.get(2)?,
                    mean_score: r.get(3)?,
                    best_streak: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.sqlite(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Progress;
    use super::*;

    #[test]
    fn learners_are_summed_up_by_card() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("awal.sqlite")).unwrap();
        let today: jiff::civil::Date = "2026-12-03".parse().unwrap();
        let learner = store.learner("0042").unwrap();
        store.learner("0099").unwrap(); // never practised: not listed
        let progress = |repetitions, due: &str, last_score| Progress {
            repetitions,
            interval_days: 1.0,
            ease: 2.5,
            due: due.parse().unwrap(),
            last_score,
        };
        store.save_progress(learner, "alif", &progress(3, "2026-12-01", 1.0)).unwrap();
        store.save_progress(learner, "ba", &progress(0, "2026-12-10", 0.5)).unwrap();
        let summaries = store.learner_summaries(today).unwrap();
        assert_eq!(
            summaries,
            [LearnerSummary { card: "0042".into(), items: 2, due: 1, mean_score: 0.75, best_streak: 3 }]
        );
    }
}

//! Scoring a repeated item: the learner's attempt is aligned (DTW over MFCCs,
//! as for spoken keywords) with the model recording of the target and with
//! those of the lesson's other items. It is right when the target is the
//! nearest: an accent moves the attempt away from every model alike, a
//! different letter or word moves it towards another one.

use crate::keywords::dtw::{self, Frames};
use crate::keywords::features::Features;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub right: bool,
    /// 0–1: how much nearer the target is than the nearest alternative
    /// (0.5: as near as it; 1: the target only).
    pub score: f64,
    /// The alternative nearest to the attempt, when it beat the target.
    pub heard_instead: Option<usize>,
}

/// Scores `attempt` against the target's model and the alternatives' models.
pub fn score(attempt: &Features, target: &Features, alternatives: &[&Features]) -> Score {
    let to_target = dtw::distance(attempt, target, Frames::Euclidean);
    let (nearest, to_nearest) = alternatives
        .iter()
        .enumerate()
        .map(|(i, model)| (i, dtw::distance(attempt, model, Frames::Euclidean)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f32::INFINITY));
    let score = if to_target.is_finite() && to_nearest.is_finite() {
        f64::from(to_nearest / (to_target + to_nearest))
    } else if to_target.is_finite() {
        1.0
    } else {
        0.0
    };
    let right = to_target < to_nearest;
    Score { right, score, heard_instead: (!right && to_nearest.is_finite()).then_some(nearest) }
}

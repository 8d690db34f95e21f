//! The scored windows with their calibrated confidence (docs/scoring.md "Calibrated
//! confidence"), and the streaming isolation forest's score when it is on.

use crate::detect::calibrate::{Calibrated, Calibration};
use crate::operators::forest_scores::ForestScoring;
use crate::operators::{CalibrateTail, ForestScores, ScoredWindow};
use differential_dataflow::VecCollection;

/// A principal's scored window and its calibration.
pub(super) type CalibratedWindow = (String, ScoredWindow, Calibrated);

/// Each inserted scored window with its tail among all principals' windows of the
/// calibration horizon and its calibrated confidence; with forest decades, the forest
/// scores every window too and its score's tail adds to the evidence.
pub(super) fn calibrated_windows<'s>(
    windows: VecCollection<'s, u64, (String, ScoredWindow), isize>,
    calibration: Calibration,
) -> VecCollection<'s, u64, CalibratedWindow, isize> {
    let horizon = calibration.horizon_secs;
    match calibration.forest_decades {
        None => windows
            .calibrate_tail("ScoreTail", horizon, |(_, w)| w.score_ppm)
            .map(move |((principal, w), tail)| {
                let calibrated = calibration.calibrate(w.confidence_ppm, tail, None);
                (principal, w, calibrated)
            }),
        Some(_) => {
            // Windows of hours without a model (forest score 0) have no forest tail and are
            // not counted in other windows' forest tails.
            let forest = windows.forest_scores(ForestScoring::default());
            let unmodelled = forest.clone().filter(|(_, _, score)| *score == 0);
            forest
                .filter(|(_, _, score)| *score > 0)
                .calibrate_tail("ForestTail", horizon, |(_, _, forest)| *forest)
                .map(|((principal, w, forest), tail)| (principal, w, Some((forest, tail))))
                .concat(unmodelled.map(|(principal, w, _)| (principal, w, None)))
                .calibrate_tail("ScoreTail", horizon, |(_, w, _)| w.score_ppm)
                .map(move |((principal, w, forest), tail)| {
                    let calibrated = calibration.calibrate(w.confidence_ppm, tail, forest);
                    (principal, w, calibrated)
                })
        }
    }
}

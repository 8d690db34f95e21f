//! Calibrated confidence: the evidence confidence of a scored window weighed by how unusual
//! its score is among all principals' recent scores (its empirical tail).
//!
//! A score of 0.75 means little on a day when thousands of windows score that high and a
//! lot on a day when none do. The tail of a score is the share of recent windows (of every
//! principal) scoring at least as high; its surprise `-log10(share)`, scaled by
//! `decades`, is the tail strength in [0, 1]. The calibrated confidence is the evidence
//! confidence times that strength, so `min_confidence` asks for both enough evidence and a
//! score that is rare right now. When the streaming isolation forest runs, its score's tail
//! has a strength of its own, which multiplies in too (docs/scoring.md "Calibrated
//! confidence").

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Score bins: bin `b` holds scores in `[b / 1000, (b + 1) / 1000)` (and bin 1000 holds 1).
pub const BINS: usize = 1001;

/// The bin of a score in millionths.
pub fn bin(score_ppm: u32) -> u16 {
    (score_ppm.min(1_000_000) / 1000) as u16
}

/// A score's place among recent windows: `at_least` of the `recent` windows scored in its
/// bin or above.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Tail {
    /// Recent windows scoring in the same bin or higher.
    pub at_least: u64,
    /// Recent windows in all.
    pub recent: u64,
}

impl Tail {
    /// The tail share with one pseudo-window at least as high:
    /// `(at_least + 1) / (recent + 1)`, so an empty history gives 1 (no evidence).
    pub fn share(&self) -> f64 {
        (self.at_least + 1) as f64 / (self.recent + 1) as f64
    }

    /// `-log10(share)`: decades of rarity (0 with no history).
    pub fn surprise(&self) -> f64 {
        -self.share().log10()
    }
}

/// How tails become a calibrated confidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Seconds of recent windows a score is ranked against.
    pub horizon_secs: u64,
    /// Decades of tail surprise at which the score's tail is full evidence: 2 means a
    /// score in the top 1% of recent windows keeps the evidence confidence whole.
    pub decades: f64,
    /// The same for the streaming isolation forest's score (`None`: the forest is not run).
    pub forest_decades: Option<f64>,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            horizon_secs: 86_400,
            decades: 2.0,
            forest_decades: Some(2.5),
        }
    }
}

/// How far a tail is from ordinary, in [0, 1]: `min(1, surprise / d)` with
/// `d = min(decades, log10(recent + 1))`, the most surprise `recent` windows can show. So
/// with little history (a small input, the first minutes of a run) the highest score seen
/// is full evidence, and with none the tail is no evidence either way (strength 1).
pub fn strength(tail: Tail, decades: f64) -> f64 {
    let measurable = decades.min(((tail.recent + 1) as f64).log10());
    match measurable > 0.0 {
        true => (tail.surprise() / measurable).clamp(0.0, 1.0),
        false => 1.0,
    }
}

impl Calibration {
    /// The calibrated confidence: the evidence confidence times the strength of the
    /// score's tail and, when the forest runs, times the strength of the forest score's
    /// tail (a window must be rare to both to keep its confidence).
    pub fn confidence(&self, evidence: f64, tail: Tail, forest: Option<Tail>) -> f64 {
        let forest = match (self.forest_decades, forest) {
            (Some(decades), Some(tail)) => strength(tail, decades),
            _ => 1.0,
        };
        (evidence * strength(tail, self.decades) * forest).clamp(0.0, 1.0)
    }
}

/// A scored window's calibration, as the pipeline carries it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Calibrated {
    /// The divergence score's tail among recent windows.
    pub tail: Tail,
    /// The forest's score in millionths and its tail, when the forest runs.
    pub forest: Option<(u32, Tail)>,
    /// The calibrated confidence in millionths.
    pub confidence_ppm: u32,
}

impl Calibration {
    /// Calibrates a window of evidence confidence `evidence_ppm`.
    pub fn calibrate(
        &self,
        evidence_ppm: u32,
        tail: Tail,
        forest: Option<(u32, Tail)>,
    ) -> Calibrated {
        let confidence = self.confidence(f64::from(evidence_ppm) / 1e6, tail, forest.map(|f| f.1));
        Calibrated {
            tail,
            forest,
            confidence_ppm: (confidence * 1e6).round() as u32,
        }
    }
}

/// Score histograms of completed times within a horizon, and their sum: what a time's
/// windows are ranked against. Times must be added in increasing order.
#[derive(Clone, Debug)]
pub struct RecentScores {
    horizon_secs: u64,
    by_time: BTreeMap<u64, BTreeMap<u16, u64>>,
    sum: Vec<u64>,
    total: u64,
}

impl RecentScores {
    /// An empty history ranking against the `horizon_secs` before each time.
    pub fn new(horizon_secs: u64) -> Self {
        RecentScores {
            horizon_secs,
            by_time: BTreeMap::new(),
            sum: vec![0; BINS],
            total: 0,
        }
    }

    /// Forgets the times before `time - horizon`: afterwards the history is the windows of
    /// `[time - horizon, time)`.
    pub fn advance_to(&mut self, time: u64) {
        let oldest = time.saturating_sub(self.horizon_secs);
        while let Some(entry) = self.by_time.first_entry() {
            if *entry.key() >= oldest {
                break;
            }
            for (bin, count) in entry.remove() {
                self.sum[usize::from(bin)] -= count;
                self.total -= count;
            }
        }
    }

    /// For ranking many scores at once: `at_least[b]` = recent windows in bin `b` or above.
    pub fn suffix_counts(&self) -> Vec<u64> {
        let mut at_least = self.sum.clone();
        for b in (0..BINS - 1).rev() {
            at_least[b] += at_least[b + 1];
        }
        at_least
    }

    /// The tail of a score given [`RecentScores::suffix_counts`].
    pub fn tail(&self, suffix: &[u64], score_ppm: u32) -> Tail {
        Tail {
            at_least: suffix[usize::from(bin(score_ppm))],
            recent: self.total,
        }
    }

    /// Adds `count` windows of bin `bin` at `time` (not earlier than any time added before).
    pub fn add(&mut self, time: u64, bin: u16, count: u64) {
        *self
            .by_time
            .entry(time)
            .or_default()
            .entry(bin)
            .or_default() += count;
        self.sum[usize::from(bin)] += count;
        self.total += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_surprise() {
        let none = Tail::default();
        assert_eq!((none.share(), none.surprise()), (1.0, 0.0));
        let rare = Tail {
            at_least: 9,
            recent: 9_999,
        };
        assert!((rare.share() - 1e-3).abs() < 1e-12);
        assert!((rare.surprise() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_tails_scale_the_evidence_confidence() {
        let top_tenth = Tail {
            at_least: 99,
            recent: 999,
        };
        let top_thousandth = Tail {
            at_least: 9,
            recent: 9_999,
        };
        let c = Calibration {
            decades: 3.0,
            forest_decades: None,
            ..Calibration::default()
        };
        assert!((c.confidence(0.9, top_tenth, None) - 0.3).abs() < 1e-9);
        assert!((c.confidence(0.9, top_thousandth, None) - 0.9).abs() < 1e-9);
        // No history: the tail is no evidence either way.
        assert_eq!(c.confidence(0.9, Tail::default(), None), 0.9);
        // Little history: the decades that can be measured count. The highest of 9 windows
        // is one decade, all there is; the median of 99 is a third of two.
        let top_of_9 = Tail {
            at_least: 0,
            recent: 9,
        };
        assert!((c.confidence(0.9, top_of_9, None) - 0.9).abs() < 1e-9);
        let median_of_99 = Tail {
            at_least: 49,
            recent: 99,
        };
        let half = c.confidence(0.9, median_of_99, None);
        assert!((half - 0.9 * 2f64.log10() / 2.0).abs() < 1e-9, "{half}");
        // Without forest decades the forest's tail is ignored.
        assert!((c.confidence(0.9, top_thousandth, Some(top_tenth)) - 0.9).abs() < 1e-9);
        let with_forest = Calibration {
            forest_decades: Some(2.0),
            ..c
        };
        // Rare to the divergence score, ordinary-ish to the forest: half of it stays.
        let both = with_forest.confidence(0.9, top_thousandth, Some(top_tenth));
        assert!((both - 0.45).abs() < 1e-9, "{both}");
        // A forest run without a forest tail (none yet) leaves the confidence alone.
        assert!((with_forest.confidence(0.9, top_thousandth, None) - 0.9).abs() < 1e-9);
    }

    #[test]
    fn recent_scores_rank_against_the_horizon_only() {
        let mut recent = RecentScores::new(100);
        recent.add(10, bin(900_000), 1);
        recent.add(10, bin(100_000), 3);
        recent.add(50, bin(950_000), 1);
        recent.advance_to(60);
        let suffix = recent.suffix_counts();
        assert_eq!(
            recent.tail(&suffix, 900_500),
            Tail {
                at_least: 2,
                recent: 5
            }
        );
        assert_eq!(recent.tail(&suffix, 0).at_least, 5);
        // At 111 the windows of time 10 are older than the horizon.
        recent.advance_to(111);
        let suffix = recent.suffix_counts();
        assert_eq!(
            recent.tail(&suffix, 0),
            Tail {
                at_least: 1,
                recent: 1
            }
        );
    }
}

//! `[score]`: scoring and alerting thresholds, peer groups, cold start, calibration.

use serde::{Deserialize, Serialize};

/// Scoring and alerting thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSpec {
    /// Alert when a window's score is at least this.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// ...and its confidence at least this.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f64,
    /// Peers exercising a privileged action at which the action, new to a principal,
    /// scores half (see `ScoringConfig::peer_prior`).
    #[serde(default = "default_peer_prior")]
    pub peer_prior: f64,
    /// Baseline events below which a principal borrows its peer group's baseline (see
    /// `ScoringConfig::cold_start_events`; 0 turns cold start off).
    #[serde(default = "default_cold_start_events")]
    pub cold_start_events: u64,
    /// How far back a window's score is ranked among all principals' scores for the
    /// calibrated confidence (see [`crate::detect::calibrate`]).
    #[serde(default = "default_tail_horizon")]
    pub tail_horizon: String,
    /// Decades of tail rarity (`-log10` of the share of recent windows scoring as high) at
    /// which the calibrated confidence equals the evidence confidence.
    #[serde(default = "default_tail_decades")]
    pub tail_decades: f64,
    /// Run the streaming isolation forest over the scored windows; its score's tail
    /// weighs the calibrated confidence too. On by default: it raises held-out alert
    /// precision (0.852 -> 0.903 at the same recall) for about 1.6 times the run time
    /// (BENCHMARKS.md, "Detection quality"); `false` turns it off.
    #[serde(default = "default_forest")]
    pub forest: bool,
    /// `tail_decades` for the forest score's tail.
    #[serde(default = "default_forest_decades")]
    pub forest_decades: f64,
}

fn default_tail_horizon() -> String {
    "24h".into()
}
fn default_tail_decades() -> f64 {
    crate::detect::calibrate::Calibration::default().decades
}
fn default_forest() -> bool {
    true
}
fn default_forest_decades() -> f64 {
    crate::detect::calibrate::Calibration::default()
        .forest_decades
        .unwrap_or(2.5)
}

fn default_peer_prior() -> f64 {
    crate::detect::score::ScoringConfig::default().peer_prior
}

fn default_cold_start_events() -> u64 {
    crate::detect::score::ScoringConfig::default().cold_start_events
}

fn default_threshold() -> f64 {
    0.7
}
fn default_min_confidence() -> f64 {
    0.5
}

impl Default for ScoreSpec {
    fn default() -> Self {
        ScoreSpec {
            threshold: default_threshold(),
            min_confidence: default_min_confidence(),
            peer_prior: default_peer_prior(),
            cold_start_events: default_cold_start_events(),
            tail_horizon: default_tail_horizon(),
            tail_decades: default_tail_decades(),
            forest: default_forest(),
            forest_decades: default_forest_decades(),
        }
    }
}

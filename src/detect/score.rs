//! The anomaly score: a principal's current window compared with its own baseline.
//!
//! [`score`] is a pure, deterministic function of two [`Profile`]s and a
//! [`ScoringConfig`]. Nine features are each scored in [0, 1] (categorical surprise,
//! rate and ratio excess), weighted, and combined by noisy-OR; a separate confidence
//! says how much evidence the comparison rests on. The formulas, their rationale and
//! worked examples are in `docs/scoring.md`.

mod divergence;
mod explain;
mod novelty;
mod peers;
mod privileged;
mod rates;
mod summary;
#[cfg(test)]
mod tests;

use crate::detect::profile::{Categorical, Profile};
use serde::{Deserialize, Serialize};

pub use peers::{blend_with_peers, score_with_peers};
pub use summary::BaselineSummary;

/// Per-feature weights: the most a feature alone can contribute to the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureWeights {
    /// Weight of the action distribution.
    pub action: f64,
    /// Weight of the service distribution.
    pub service: f64,
    /// Weight of the source-network distribution.
    pub network: f64,
    /// Weight of the user-agent distribution.
    pub user_agent: f64,
    /// Weight of the hour-of-day distribution.
    pub hour_of_day: f64,
    /// Weight of the event rate.
    pub event_rate: f64,
    /// Weight of the failure ratio.
    pub failure_ratio: f64,
    /// Weight of the denied ratio.
    pub denied_ratio: f64,
    /// Weight of the rarest privileged action (IAM grants, keys, roles, audit tampering).
    pub privileged_action: f64,
}

impl Default for FeatureWeights {
    fn default() -> Self {
        FeatureWeights {
            action: 0.5,
            service: 0.4,
            network: 0.8,
            user_agent: 0.7,
            hour_of_day: 0.5,
            event_rate: 0.6,
            failure_ratio: 0.5,
            denied_ratio: 0.9,
            privileged_action: 0.85,
        }
    }
}

/// Parameters of the scorer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoringConfig {
    /// Length of the current window, seconds (default 300).
    pub window_secs: u64,
    /// Length of the baseline before the window, seconds (default 86400).
    pub baseline_secs: u64,
    /// Length of the privileged-action history before the current window, seconds
    /// (default 14 days).
    pub history_secs: u64,
    /// Evidence scale of the baseline: confidence factor `1 - exp(-n_b / this)` (default 20).
    pub min_baseline_events: u64,
    /// Evidence scale of the window: confidence factor `1 - exp(-n_c / this)` (default 3).
    pub min_window_events: u64,
    /// Per-feature weights.
    pub weights: FeatureWeights,
    /// Base concentration of the categorical smoothing, added to the number of values
    /// seen once (default 0.5).
    pub novelty_prior: f64,
    /// Laplace pseudo-count per hour of day (default 0.5).
    pub hour_prior: f64,
    /// Share of the baseline above which a value is never rare, however concentrated the
    /// baseline (default 0.05).
    pub common_share: f64,
    /// Bits of surprise beyond the reference that make an event's rarity 1/2 (default 1.5).
    pub surprise_scale_bits: f64,
    /// z below which rates and ratios score 0 (default 1.5).
    pub z_threshold: f64,
    /// z scale of the rate and ratio squashing (default 2).
    pub z_scale: f64,
    /// Prior overdispersion of hourly counts (variance / mean, default 2).
    pub dispersion_prior: f64,
    /// Prior mean of the failure and denied ratios (default 0.02).
    pub ratio_prior_mean: f64,
    /// Prior strength, in pseudo-events, of the ratios (default 10).
    pub ratio_prior_strength: f64,
    /// Weighted contributions below this are left out of the explanation (default 0.05).
    pub min_contribution: f64,
    /// First-seen values: `-log10` of the binomial tail probability that scores 1.
    pub novelty_scale_decades: f64,
    /// Privileged-action score of a principal's first privileged action ever (default 1).
    pub first_privileged: f64,
    /// ... of a privileged action new to a principal that exercises others (default 0.6).
    pub new_privileged_kind: f64,
    /// How long a principal must have been watched before "never before" counts fully
    /// (default one day).
    pub history_warmup_secs: u64,
    /// Peer users at which a privileged action new to the principal scores half
    /// (`peer_prior / (peer_prior + peers exercising it)`, default 5).
    pub peer_prior: f64,
    /// Pseudo-count, per long-history occurrence, that a privileged action missing from the
    /// 24-hour baseline gets in the action feature (default 1): a habit seen within
    /// `history_secs` is not "never seen".
    pub history_prior_weight: f64,
    /// Baseline events below which a principal borrows its peer group's baseline (cold
    /// start, [`score_with_peers`]; default 8, the fewest with which the principal's own
    /// confidence can reach the default `min_confidence` of 0.5; 0 = never).
    pub cold_start_events: u64,
    /// Weight of a peer group's evidence against a principal's own in the confidence
    /// (default 0.75): the group's habits are not quite the principal's.
    pub peer_confidence: f64,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            window_secs: 300,
            baseline_secs: 86_400,
            history_secs: 14 * 86_400,
            min_baseline_events: 10,
            min_window_events: 2,
            weights: FeatureWeights::default(),
            novelty_prior: 0.5,
            hour_prior: 0.5,
            common_share: 0.05,
            surprise_scale_bits: 1.5,
            z_threshold: 1.5,
            z_scale: 2.0,
            dispersion_prior: 2.0,
            ratio_prior_mean: 0.02,
            ratio_prior_strength: 10.0,
            min_contribution: 0.05,
            novelty_scale_decades: 4.0,
            first_privileged: 1.0,
            history_warmup_secs: 86_400,
            new_privileged_kind: 0.6,
            peer_prior: 5.0,
            history_prior_weight: 1.0,
            cold_start_events: 8,
            peer_confidence: 0.75,
        }
    }
}

/// One feature's part in a score, as an analyst reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The feature: `action`, `service`, `network`, `user_agent`, `hour_of_day`,
    /// `event_rate`, `failure_ratio` or `denied_ratio`.
    pub feature: String,
    /// What the window showed, e.g. `203.0.113.0/24 (12 of 12 events, never seen)`.
    pub observed: String,
    /// What the baseline led to expect, e.g. `198.51.100.0/24 (98%)`.
    pub expected: String,
    /// The feature's weighted score, in [0, 1]: its share of the combined score.
    pub score: f64,
}

/// The anomaly score of a principal's current window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// How anomalous the window is, in [0, 1].
    pub score: f64,
    /// How much evidence the comparison rests on, in [0, 1]; 0 for an empty baseline.
    pub confidence: f64,
    /// The top drivers, strongest first, at most 5; ties broken by feature name.
    pub explanation: Vec<Contribution>,
    /// Every feature's weighted score, in [`FEATURES`] order.
    pub features: [f64; 9],
}

/// The features, in the order of [`Score::features`].
pub const FEATURES: [&str; 9] = [
    "privileged_action",
    "action",
    "service",
    "network",
    "user_agent",
    "hour_of_day",
    "event_rate",
    "failure_ratio",
    "denied_ratio",
];

/// Clamps to [0, 1], mapping NaN to 0.
fn unit(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// A feature's score and what is needed to explain it (formatted only if it is shown).
#[derive(Clone, Copy, Debug)]
enum Detail<'a> {
    Categorical(divergence::CategoricalResult<'a>),
    Hour(divergence::HourResult),
    Rate(rates::RateResult, u64),
    Ratio(rates::RatioResult, &'static str),
}

/// Scores `current` against `baseline`.
///
/// `score = 1 - prod_f (1 - w_f s_f)` over the nine features (noisy-OR), and
/// `confidence = (1 - exp(-n_b / min_baseline_events)) (1 + 1 - exp(-n_c / min_window_events)) / 2`.
/// Pure and deterministic; allocates only the explanation.
pub fn score(current: &Profile, baseline: &Profile, config: &ScoringConfig) -> Score {
    score_summarized(
        current,
        baseline,
        &BaselineSummary::new(baseline, config),
        config,
    )
}

/// [`score`] with the baseline's part computed beforehand: `summary` must be
/// `BaselineSummary::new(baseline, config)`. For scoring many windows against one baseline.
pub fn score_summarized(
    current: &Profile,
    baseline: &Profile,
    summary: &BaselineSummary,
    config: &ScoringConfig,
) -> Score {
    let w = &config.weights;
    let history = rates::History::new(current, baseline, config);
    // Categorical features: the larger of distribution rarity and first-seen evidence.
    let cat = |f| {
        let part = summary.of(f);
        let mut r = divergence::categorical(current, baseline, part, f, config);
        r.score = r
            .score
            .max(novelty::novelty(current, baseline, part, f, config));
        Detail::Categorical(r)
    };
    let features: [(&'static str, f64, Detail); 9] = [
        (
            FEATURES[0],
            w.privileged_action,
            Detail::Categorical(privileged::privileged_action(
                current, baseline, summary, config,
            )),
        ),
        (FEATURES[1], w.action, cat(Categorical::Action)),
        (FEATURES[2], w.service, cat(Categorical::Service)),
        (FEATURES[3], w.network, cat(Categorical::Network)),
        (FEATURES[4], w.user_agent, cat(Categorical::UserAgent)),
        (
            FEATURES[5],
            w.hour_of_day,
            Detail::Hour(divergence::hour_of_day(
                current,
                &summary.hour,
                history.hours,
                config,
            )),
        ),
        (
            FEATURES[6],
            w.event_rate,
            Detail::Rate(
                rates::event_rate(current, baseline, &history, config),
                config.window_secs,
            ),
        ),
        (
            FEATURES[7],
            w.failure_ratio,
            Detail::Ratio(
                rates::ratio(
                    current.failed,
                    current.events,
                    baseline.failed,
                    baseline.events,
                    config,
                ),
                "failed",
            ),
        ),
        (
            FEATURES[8],
            w.denied_ratio,
            Detail::Ratio(
                rates::ratio(
                    current.denied,
                    current.events,
                    baseline.denied,
                    baseline.events,
                    config,
                ),
                "denied",
            ),
        ),
    ];
    let weighted = features.map(|(name, weight, detail)| {
        let s = match detail {
            Detail::Categorical(r) => r.score,
            Detail::Hour(r) => r.score,
            Detail::Rate(r, _) => r.score,
            Detail::Ratio(r, _) => r.score,
        };
        (name, unit(unit(weight) * unit(s)), detail)
    });
    let keep: f64 = weighted.iter().map(|(_, s, _)| 1.0 - s).product();
    Score {
        score: unit(1.0 - keep),
        confidence: confidence(baseline.events, current.events, config),
        explanation: explain::top(&weighted, config),
        features: weighted.map(|(_, s, _)| s),
    }
}

/// `(1 - exp(-n_b / k_b)) (1 + (1 - exp(-n_c / k_c))) / 2`: 0 without history, near 1
/// with a hundred baseline events and a few in the window.
///
/// The baseline carries most of the weight: one event that is novel against a
/// well-known history (a first `SetIamPolicy`) is a confident finding, while no window
/// is trustworthy against three events of history.
pub fn confidence(baseline_events: u64, window_events: u64, config: &ScoringConfig) -> f64 {
    let factor = |n: u64, k: u64| 1.0 - (-(n as f64) / (k.max(1) as f64)).exp();
    unit(
        factor(baseline_events, config.min_baseline_events)
            * (1.0 + factor(window_events, config.min_window_events))
            / 2.0,
    )
}

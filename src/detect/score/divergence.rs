//! Categorical features: how surprising the window's values are under the baseline's
//! smoothed distribution, in excess of the surprise the baseline expects of itself.
//!
//! See `docs/scoring.md` for the derivation and worked examples.

use super::summary::{CategoricalSummary, HourSummary};
use super::ScoringConfig;
use crate::detect::profile::{Categorical, Profile};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The counts the long history lends a categorical feature: the privileged actions the
/// principal exercised over `history_secs` (the only values the dataflow keeps that long).
/// Used for values the 24-hour baseline lacks, so a habit seen every few days is not
/// "never seen".
pub(super) fn history_prior(
    baseline: &Profile,
    feature: Categorical,
) -> Option<&BTreeMap<Arc<str>, u64>> {
    (feature == Categorical::Action).then_some(&baseline.privileged_history)
}

/// A value's count for a categorical feature: its baseline count, else its long-history
/// count times `history_prior_weight` (0 if neither knows it).
pub(super) fn known_count(
    base: Option<&BTreeMap<Arc<str>, u64>>,
    prior: Option<&BTreeMap<Arc<str>, u64>>,
    value: &str,
    config: &ScoringConfig,
) -> f64 {
    match base.and_then(|m| m.get(value)) {
        Some(&b) if b > 0 => b as f64,
        _ => prior
            .and_then(|m| m.get(value))
            .map_or(0.0, |&h| h as f64 * config.history_prior_weight.max(0.0)),
    }
}

/// The reference probability rarity is measured against: the baseline's typical
/// probability `exp(-entropy)` (its inverse perplexity), but at most `common_share`, so
/// that a value holding a few percent of the baseline is never rare.
pub(super) fn reference(entropy: f64, config: &ScoringConfig) -> f64 {
    (-entropy).exp().min(config.common_share)
}

/// Per-event rarity of an outcome of probability `p` against the reference probability
/// `p_ref`: `1 - (p / p_ref)^(1 / scale_bits)`, i.e. `1 - 2^(-d / scale_bits)` with
/// `d = log2(p_ref / p)` bits of excess surprise. Zero for outcomes at least as likely as
/// the reference.
pub(super) fn rarity(p: f64, p_ref: f64, scale_bits: f64) -> f64 {
    if p.is_nan() || p >= p_ref || p_ref.is_nan() || p_ref <= 0.0 {
        return 0.0;
    }
    let r = 1.0 - (p / p_ref).powf(1.0 / scale_bits.max(1e-3));
    if r.is_finite() {
        r.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// `(mean - expected) / (1 - expected)`, clamped to [0, 1]: the window's mean rarity in
/// excess of what a window drawn from the baseline itself would show.
fn calibrate(mean: f64, expected: f64) -> f64 {
    let room = 1.0 - expected;
    if room.is_nan() || room <= 1e-12 {
        return 0.0;
    }
    let s = (mean - expected) / room;
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The outcome of comparing one categorical feature.
#[derive(Clone, Copy, Debug)]
pub(super) struct CategoricalResult<'a> {
    /// Feature score in [0, 1].
    pub score: f64,
    /// The window value contributing most rarity: value, window count, baseline count.
    pub top: Option<(&'a str, f64, f64)>,
    /// Other distinct window values with rarity >= 0.5.
    pub unusual_others: u64,
    /// Window events with this feature.
    pub window_total: f64,
    /// Baseline events with this feature.
    pub baseline_total: f64,
    /// The baseline's most common value and its count.
    pub baseline_top: Option<(&'a str, f64)>,
    /// Distinct values in the baseline.
    pub baseline_distinct: usize,
    /// The peer group that set the expectation of `top`: its name, how many of its members
    /// exercise `top`, and its size.
    pub peers: Option<(&'a str, u64, u64, u64)>,
    /// How often the long history saw `top` (0 when it did not, or keeps no such values).
    pub top_history: u64,
}

/// Scores one categorical feature (action, service, network, user agent).
///
/// The baseline is smoothed as a Dirichlet process whose concentration adapts to the
/// baseline's variety (Good-Turing): `alpha = novelty_prior + f1` with `f1` the values
/// seen exactly once. A seen value has `p = b_v / (n + alpha)`; the unseen mass
/// `u = alpha / (n + alpha)` is shared by about `1 + f1` new values, so one novel value
/// has `p_new = u / (1 + f1)` (never more likely than a value seen once). The baseline's
/// side of this is computed once per baseline ([`CategoricalSummary`]).
pub(super) fn categorical<'a>(
    current: &'a Profile,
    baseline: &'a Profile,
    summary: &'a CategoricalSummary,
    feature: Categorical,
    config: &ScoringConfig,
) -> CategoricalResult<'a> {
    let base = baseline.values.get(&feature);
    let prior = history_prior(baseline, feature);
    let (denom, p_new, p_ref) = (summary.denom, summary.p_new, summary.p_ref);
    let scale = config.surprise_scale_bits;
    let (mut total, mut weighted) = (0.0f64, 0.0f64);
    let mut top: Option<(&str, f64, f64, f64)> = None;
    let mut unusual = 0u64;
    for (v, &c) in current.values.get(&feature).into_iter().flatten() {
        let c = c as f64;
        if c <= 0.0 {
            continue;
        }
        let b = base.and_then(|m| m.get(v)).map_or(0.0, |&b| b as f64);
        let known = known_count(base, prior, v, config);
        let p = if known > 0.0 { known / denom } else { p_new };
        let e = rarity(p, p_ref, scale);
        total += c;
        weighted += c * e;
        if e >= 0.5 {
            unusual += 1;
        }
        if e > 0.0 && top.is_none_or(|(_, _, _, t)| c * e > t) {
            top = Some((&**v, c, b, c * e));
        }
    }
    let score = if total > 0.0 {
        calibrate(weighted / total, summary.expected)
    } else {
        0.0
    };
    let top_unusual = top.is_some_and(|(_, c, _, t)| t / c >= 0.5);
    let top_history = top
        .and_then(|(v, ..)| prior.and_then(|m| m.get(v)))
        .copied()
        .unwrap_or(0);
    CategoricalResult {
        score,
        top: top.map(|(v, c, b, _)| (v, c, b)),
        unusual_others: unusual.saturating_sub(u64::from(top_unusual)),
        window_total: total,
        baseline_total: summary.n,
        baseline_top: summary.top.as_ref().map(|(v, c)| (&**v, *c)),
        baseline_distinct: summary.distinct,
        peers: None,
        top_history,
    }
}

/// The outcome of comparing the hour-of-day distribution.
#[derive(Clone, Copy, Debug)]
pub(super) struct HourResult {
    /// Feature score in [0, 1].
    pub score: f64,
    /// The window's hour of day contributing most rarity, and its window count.
    pub top: Option<(usize, f64)>,
    /// Window events.
    pub window_total: f64,
    /// Baseline events per hour of day.
    pub baseline: [f64; 24],
    /// Baseline events.
    pub baseline_total: f64,
}

/// Scores the hour of day (UTC) of the window's events.
///
/// Baseline counts are first smoothed over neighbouring hours (kernel 1/4, 1/2, 1/4,
/// circular) so that working a little late is not off-hours, then Laplace-smoothed:
/// `p_h = (b'_h + hour_prior) / (n + 24 hour_prior)`. The score is scaled by the share of
/// a day the history covers (`history_hours / 24`): absence from hours never observed
/// says nothing.
pub(super) fn hour_of_day(
    current: &Profile,
    summary: &HourSummary,
    history_hours: i64,
    config: &ScoringConfig,
) -> HourResult {
    let cur = current.hour_of_day().map(|c| c as f64);
    let (probs, p_ref, n) = (&summary.probs, summary.p_ref, summary.n);
    let scale = config.surprise_scale_bits;
    let (mut total, mut weighted) = (0.0f64, 0.0f64);
    let mut top: Option<(usize, f64, f64)> = None;
    for (h, &c) in cur.iter().enumerate() {
        if c <= 0.0 {
            continue;
        }
        let e = rarity(probs[h], p_ref, scale);
        total += c;
        weighted += c * e;
        if top.is_none_or(|(_, _, t)| c * e > t) {
            top = Some((h, c, c * e));
        }
    }
    let coverage = (history_hours.max(0) as f64 / 24.0).min(1.0);
    let score = if total > 0.0 && n > 0.0 {
        calibrate(weighted / total, summary.expected) * coverage
    } else {
        0.0
    };
    HourResult {
        score,
        top: top.map(|(h, c, _)| (h, c)),
        window_total: total,
        baseline: summary.raw,
        baseline_total: n,
    }
}

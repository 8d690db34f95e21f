//! What scoring needs of a baseline alone, computed once per baseline.
//!
//! A baseline changes hourly while its principal's window is scored at every slide, and a
//! peer group's baseline is shared by every cold member's window: the smoothed
//! distributions' totals, entropies and expected rarities are the same for all of those
//! windows. [`BaselineSummary`] holds them, so a window's score only walks the window's
//! own values (and looks them up in the baseline).

use super::divergence::{history_prior, known_count, rarity, reference};
use super::ScoringConfig;
use crate::detect::privileged::is_privileged;
use crate::detect::profile::{Categorical, Profile};
use std::sync::Arc;

/// One categorical feature's smoothed baseline distribution (docs/scoring.md, section 2).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct CategoricalSummary {
    /// Baseline events with this feature.
    pub n: f64,
    /// Values seen exactly once.
    pub f1: f64,
    /// Distinct values.
    pub distinct: usize,
    /// The most common value and its count (the first of equals in value order).
    pub top: Option<(Arc<str>, f64)>,
    /// `n + lent + alpha`: the normalizer of the smoothed probabilities.
    pub denom: f64,
    /// The probability of one novel value.
    pub p_new: f64,
    /// The reference probability rarity is measured against.
    pub p_ref: f64,
    /// The mean rarity of a value drawn from the baseline itself.
    pub expected: f64,
}

/// The hour-of-day baseline, smoothed (docs/scoring.md, section 3).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct HourSummary {
    /// Baseline events per hour of day.
    pub raw: [f64; 24],
    /// Baseline events.
    pub n: f64,
    /// Smoothed probability per hour of day.
    pub probs: [f64; 24],
    /// The reference probability.
    pub p_ref: f64,
    /// The mean rarity of an hour drawn from the baseline itself.
    pub expected: f64,
}

/// What [`super::score_summarized`] needs of a baseline, independent of the window.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineSummary {
    /// Per categorical feature, in [`Categorical::ALL`] order.
    pub(super) categorical: [CategoricalSummary; 4],
    /// The most common privileged action of the baseline and its count.
    pub(super) privileged_top: Option<(Arc<str>, f64)>,
    /// Whether the principal exercised any privileged action (baseline or long history).
    pub(super) exercises_privileges: bool,
    /// The hour-of-day distribution.
    pub(super) hour: HourSummary,
}

impl BaselineSummary {
    /// Summarizes `baseline` under `config`'s smoothing parameters.
    pub fn new(baseline: &Profile, config: &ScoringConfig) -> Self {
        let categorical = Categorical::ALL.map(|f| categorical(baseline, f, config));
        let mut privileged_top: Option<(Arc<str>, f64)> = None;
        let actions = baseline.values.get(&Categorical::Action);
        for (v, &c) in actions.into_iter().flatten().filter(|(_, &c)| c > 0) {
            let c = c as f64;
            if is_privileged(v) && privileged_top.as_ref().is_none_or(|(_, t)| c > *t) {
                privileged_top = Some((v.clone(), c));
            }
        }
        let exercises_privileges =
            privileged_top.is_some() || baseline.privileged_history.values().any(|&c| c > 0);
        BaselineSummary {
            categorical,
            privileged_top,
            exercises_privileges,
            hour: hour(baseline, config),
        }
    }

    /// The summary of one categorical feature.
    pub(super) fn of(&self, feature: Categorical) -> &CategoricalSummary {
        &self.categorical[Categorical::ALL
            .iter()
            .position(|f| *f == feature)
            .expect("every categorical feature is in ALL")]
    }
}

fn categorical(
    baseline: &Profile,
    feature: Categorical,
    config: &ScoringConfig,
) -> CategoricalSummary {
    let base = baseline.values.get(&feature);
    let prior = history_prior(baseline, feature);
    let (mut n, mut f1, mut distinct) = (0.0f64, 0.0f64, 0usize);
    let mut top: Option<(&Arc<str>, f64)> = None;
    for (v, &c) in base.into_iter().flatten() {
        let c = c as f64;
        if c <= 0.0 {
            continue;
        }
        n += c;
        distinct += 1;
        if c == 1.0 {
            f1 += 1.0;
        }
        if top.is_none_or(|(_, t)| c > t) {
            top = Some((v, c));
        }
    }
    // Values only the long history knows: pseudo-counts beside the baseline's own.
    let lent = || {
        prior
            .into_iter()
            .flatten()
            .filter(|(v, _)| base.and_then(|m| m.get(&**v)).is_none_or(|&b| b == 0))
            .map(|(v, _)| known_count(None, prior, v, config))
            .filter(|&c| c > 0.0)
    };
    let lent_total: f64 = lent().sum();
    let alpha = config.novelty_prior.max(1e-9) + f1;
    let denom = n + lent_total + alpha;
    let unseen = alpha / denom;
    let p_new = unseen / (1.0 + f1);
    let seen_probs = || {
        base.into_iter()
            .flatten()
            .filter(|(_, &c)| c > 0)
            .map(|(_, &c)| c as f64)
            .chain(lent())
            .map(|c| c / denom)
    };
    // Entropy (expected surprise, nats) of the smoothed baseline, novel values included.
    let entropy = -seen_probs().map(|p| p * p.ln()).sum::<f64>() - unseen * p_new.ln();
    let p_ref = reference(entropy, config);
    let scale = config.surprise_scale_bits;
    let expected = seen_probs()
        .map(|p| p * rarity(p, p_ref, scale))
        .sum::<f64>()
        + unseen * rarity(p_new, p_ref, scale);
    CategoricalSummary {
        n,
        f1,
        distinct,
        top: top.map(|(v, c)| (v.clone(), c)),
        denom,
        p_new,
        p_ref,
        expected,
    }
}

fn hour(baseline: &Profile, config: &ScoringConfig) -> HourSummary {
    let raw = baseline.hour_of_day().map(|c| c as f64);
    let n: f64 = raw.iter().sum();
    let beta = config.hour_prior.max(1e-9);
    let denom = n + 24.0 * beta;
    let mut probs = [0.0f64; 24];
    for (h, p) in probs.iter_mut().enumerate() {
        let smoothed = 0.5 * raw[h] + 0.25 * (raw[(h + 23) % 24] + raw[(h + 1) % 24]);
        *p = (smoothed + beta) / denom;
    }
    let entropy = -probs.iter().map(|p| p * p.ln()).sum::<f64>();
    let p_ref = reference(entropy, config);
    let scale = config.surprise_scale_bits;
    let expected: f64 = probs.iter().map(|&p| p * rarity(p, p_ref, scale)).sum();
    HourSummary {
        raw,
        n,
        probs,
        p_ref,
        expected,
    }
}

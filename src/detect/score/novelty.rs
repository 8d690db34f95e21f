//! First-seen values: how unlikely it is that `k` of the window's `n` events carry values
//! of a feature the baseline never saw, given how often this principal introduces new
//! values.
//!
//! The baseline's own novelty rate is estimated Good-Turing style from its values seen
//! exactly once: `q = (f1 + a) / (n_b + a + b)` with a weak Beta(a, b) prior. The window's
//! novel-event count is compared with Binomial(n, q): the score is `-log10 P(X >= k)`
//! divided by `novelty_scale_decades`, clamped to [0, 1]. Evidence accumulates: four
//! events from a never-seen network weigh far more than one.

use super::divergence::{history_prior, known_count};
use super::summary::CategoricalSummary;
use super::ScoringConfig;
use crate::detect::profile::{Categorical, Profile};

/// Prior pseudo-counts of the novelty rate: Beta(0.5, 1.5) has mean 0.25, so a short
/// history is not surprised by new values.
const PRIOR_NOVEL: f64 = 0.5;
const PRIOR_SEEN: f64 = 1.5;

/// The first-seen-value score of one categorical feature.
pub(super) fn novelty(
    current: &Profile,
    baseline: &Profile,
    summary: &CategoricalSummary,
    feature: Categorical,
    config: &ScoringConfig,
) -> f64 {
    let base = baseline.values.get(&feature);
    let (n_b, f1) = (summary.n, summary.f1);
    // A value the long history knows is not new, however long ago it was.
    let prior = history_prior(baseline, feature);
    let (mut n, mut k) = (0u64, 0u64);
    for (v, &c) in current.values.get(&feature).into_iter().flatten() {
        n += c;
        if known_count(base, prior, v, config) <= 0.0 {
            k += c;
        }
    }
    if k == 0 {
        return 0.0;
    }
    let q = (f1 + PRIOR_NOVEL) / (n_b + PRIOR_NOVEL + PRIOR_SEEN);
    let p = binomial_tail(n, k, q);
    let s = -p.max(1e-300).log10() / config.novelty_scale_decades.max(1e-9);
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Above this many trials the tail is bounded (Chernoff) instead of summed.
const EXACT_TRIALS: u64 = 2_000;

/// `P(X >= k)` for `X ~ Binomial(n, q)`: summed in log space up to [`EXACT_TRIALS`],
/// beyond that the Chernoff bound `exp(-n KL(k/n || q))` (1 when `k/n <= q`).
pub(super) fn binomial_tail(n: u64, k: u64, q: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    if n > EXACT_TRIALS {
        let x = k as f64 / n as f64;
        if x <= q {
            return 1.0;
        }
        let kl = x * (x / q).ln()
            + if x < 1.0 {
                (1.0 - x) * ((1.0 - x) / (1.0 - q)).ln()
            } else {
                0.0
            };
        return (-(n as f64) * kl).exp().min(1.0);
    }
    let (lq, lnq) = (q.ln(), (1.0 - q).ln());
    // log C(n, i) built incrementally from log C(n, k).
    let mut log_c: f64 = (0..k)
        .map(|j| ((n - j) as f64).ln() - ((j + 1) as f64).ln())
        .sum();
    let mut total = 0.0;
    for i in k..=n {
        let term = log_c + i as f64 * lq + (n - i) as f64 * lnq;
        total += term.exp();
        if term < -50.0 && i > k + 10 {
            break;
        }
        log_c += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::score::divergence::CategoricalResult;
    use crate::detect::score::BaselineSummary;

    fn novelty(
        current: &Profile,
        baseline: &Profile,
        f: Categorical,
        config: &ScoringConfig,
    ) -> f64 {
        let summary = BaselineSummary::new(baseline, config);
        super::novelty(current, baseline, summary.of(f), f, config)
    }

    /// The categorical score and the long-history count of its top value.
    fn categorical(
        current: &Profile,
        baseline: &Profile,
        f: Categorical,
        config: &ScoringConfig,
    ) -> (f64, u64) {
        let summary = BaselineSummary::new(baseline, config);
        let r: CategoricalResult =
            super::super::divergence::categorical(current, baseline, summary.of(f), f, config);
        (r.score, r.top_history)
    }
    use crate::detect::profile::Observation;

    fn profile(feature: Categorical, values: &[(&str, u64)]) -> Profile {
        let mut p = Profile::default();
        for (v, c) in values {
            p.add(&Observation::Value(feature, (*v).into()), *c);
        }
        p
    }

    #[test]
    fn tail_matches_closed_forms() {
        assert!((binomial_tail(3, 3, 0.1) - 0.001).abs() < 1e-12);
        assert!((binomial_tail(10, 1, 0.2) - (1.0 - 0.8f64.powi(10))).abs() < 1e-12);
        assert_eq!(binomial_tail(5, 0, 0.3), 1.0);
        assert_eq!(binomial_tail(5, 6, 0.3), 0.0);
        // Large n: bounded, monotone in k, instant.
        let big = u64::MAX / 4;
        assert_eq!(binomial_tail(big, 1, 0.5), 1.0);
        assert!(binomial_tail(big, big, 0.5) < 1e-300);
    }

    #[test]
    fn repeated_novel_values_accumulate_evidence() {
        let config = ScoringConfig::default();
        let f = Categorical::Network;
        let base = profile(f, &[("10.0.0.0/24", 40), ("10.0.1.0/24", 8)]);
        let one = novelty(&profile(f, &[("203.0.113.0/24", 1)]), &base, f, &config);
        let four = novelty(&profile(f, &[("203.0.113.0/24", 4)]), &base, f, &config);
        let known = novelty(&profile(f, &[("10.0.0.0/24", 4)]), &base, f, &config);
        assert!(four > 0.9 && one < four && one > 0.0, "{one} {four}");
        assert_eq!(known, 0.0);
    }

    #[test]
    fn a_principal_that_always_brings_new_values_is_not_surprised() {
        let config = ScoringConfig::default();
        let f = Categorical::Network;
        let values: Vec<(String, u64)> = (0..40).map(|i| (format!("10.{i}.0.0/24"), 1)).collect();
        let refs: Vec<(&str, u64)> = values.iter().map(|(v, c)| (v.as_str(), *c)).collect();
        let base = profile(f, &refs);
        let s = novelty(&profile(f, &[("203.0.113.0/24", 2)]), &base, f, &config);
        assert!(s < 0.2, "{s}");
    }

    #[test]
    fn an_action_from_the_long_history_is_neither_new_nor_as_rare() {
        let config = ScoringConfig::default();
        let f = Categorical::Action;
        let mut base = profile(
            f,
            &[("storage.objects.get", 300), ("storage.objects.list", 60)],
        );
        let window = profile(f, &[("SetIamPolicy", 1), ("storage.objects.get", 1)]);
        let new = novelty(&window, &base, f, &config);
        let rare_new = categorical(&window, &base, f, &config).0;
        base.add_history("SetIamPolicy", 3);
        assert!(new > 0.0);
        assert_eq!(novelty(&window, &base, f, &config), 0.0);
        let habit = categorical(&window, &base, f, &config);
        assert!(habit.0 < rare_new, "{} {rare_new}", habit.0);
        assert_eq!(habit.1, 3);
        // Only the action feature borrows from the history (it keeps only actions).
        let service = Categorical::Service;
        assert!(super::super::divergence::history_prior(&base, service).is_none());
    }
}

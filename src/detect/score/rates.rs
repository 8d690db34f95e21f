//! Count features: the window's event rate against the baseline's hourly rate, and its
//! failure and denied ratios against the baseline's (Beta-binomial).
//!
//! Both compare counts on the variance-stabilized square-root scale (Anscombe):
//! `z = 2 (sqrt(k + 3/8) - sqrt(mu + 3/8)) / sqrt(dispersion)`, which behaves at small
//! counts where a normal z-score would call one failure in three calls a 20-sigma event.
//! See `docs/scoring.md`.

use super::ScoringConfig;
use crate::detect::profile::Profile;

/// Pseudo-hours of weight the dispersion prior carries against the observed dispersion.
const DISPERSION_PRIOR_HOURS: f64 = 4.0;

/// Maps a one-sided z to [0, 1]: `1 - exp(-(max(0, z - z_threshold) / z_scale)^2)`.
pub(super) fn squash(z: f64, config: &ScoringConfig) -> f64 {
    let x = ((z - config.z_threshold) / config.z_scale.max(1e-9)).max(0.0);
    let s = 1.0 - (-x * x).exp();
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Anscombe z of an observed count against an expected one, with a dispersion factor.
fn anscombe_z(observed: f64, expected: f64, dispersion: f64) -> f64 {
    2.0 * ((observed + 0.375).sqrt() - (expected.max(0.0) + 0.375).sqrt()) / dispersion.sqrt()
}

/// How much history a baseline covers, relative to the current window.
#[derive(Clone, Copy, Debug)]
pub(super) struct History {
    /// The current window's (latest) hour, in hours since the epoch.
    pub current_hour: i64,
    /// Hours from the baseline's first hour to `current_hour`, at least 1, capped at the
    /// baseline length; 0 for an empty baseline.
    pub hours: i64,
    /// The baseline length in whole hours (at least 1).
    pub cap: i64,
}

impl History {
    /// Measures the history of `baseline` as seen from `current`.
    pub fn new(current: &Profile, baseline: &Profile, config: &ScoringConfig) -> History {
        let cap = config.baseline_secs.div_ceil(3600).clamp(1, 1 << 40) as i64;
        let first = baseline.hours.keys().next().copied();
        let last = baseline.hours.keys().next_back().copied();
        let current_hour = current
            .hours
            .keys()
            .next_back()
            .copied()
            .or(last.map(|h| h.saturating_add(1)))
            .unwrap_or(0);
        let hours = first.map_or(0, |f| current_hour.saturating_sub(f).clamp(1, cap));
        History {
            current_hour,
            hours,
            cap,
        }
    }
}

/// The outcome of the event-rate comparison.
#[derive(Clone, Copy, Debug)]
pub(super) struct RateResult {
    /// Feature score in [0, 1].
    pub score: f64,
    /// Events in the window.
    pub observed: f64,
    /// Expected events in a window.
    pub mean: f64,
    /// Predictive standard deviation of the window count.
    pub sd: f64,
    /// Active hours the expectation rests on.
    pub active_hours: f64,
}

/// Scores the window's event count against the baseline's rate while active.
///
/// Over the baseline hours within the history (at most `baseline_secs` before the
/// window's hour), the `A` active hours (count > 0) give the mean hourly count `m` and the
/// dispersion `phi = var / m`, shrunk towards `dispersion_prior` and floored at 1
/// (Poisson). The window expects `mu = m r` events, `r = window_secs / 3600`, with
/// variance `phi mu (1 + r / A)` (the last factor is the uncertainty of `m`).
pub(super) fn event_rate(
    current: &Profile,
    baseline: &Profile,
    history: &History,
    config: &ScoringConfig,
) -> RateResult {
    let observed = current.events as f64;
    let lo = history.current_hour.saturating_sub(history.cap);
    let (mut a, mut sum, mut sumsq) = (0.0f64, 0.0f64, 0.0f64);
    for (_, &c) in baseline.hours.range(lo..=history.current_hour) {
        if c > 0 {
            let c = c as f64;
            a += 1.0;
            sum += c;
            sumsq += c * c;
        }
    }
    if a == 0.0 || observed <= 0.0 {
        return RateResult {
            score: 0.0,
            observed,
            mean: 0.0,
            sd: 0.0,
            active_hours: a,
        };
    }
    let m = sum / a;
    let var = if a > 1.0 {
        ((sumsq - a * m * m) / (a - 1.0)).max(0.0)
    } else {
        0.0
    };
    let prior = config.dispersion_prior.max(1.0);
    let phi_hat = var / m;
    let phi = ((prior * DISPERSION_PRIOR_HOURS + (a - 1.0) * phi_hat)
        / (DISPERSION_PRIOR_HOURS + a - 1.0))
        .max(1.0);
    let r = config.window_secs.max(1) as f64 / 3600.0;
    let mu = m * r;
    let inflation = phi * (1.0 + r / a);
    let z = anscombe_z(observed, mu, inflation);
    RateResult {
        score: squash(z, config),
        observed,
        mean: mu,
        sd: (inflation * mu).sqrt(),
        active_hours: a,
    }
}

/// The outcome of a failure-ratio or denied-ratio comparison.
#[derive(Clone, Copy, Debug)]
pub(super) struct RatioResult {
    /// Feature score in [0, 1].
    pub score: f64,
    /// Failed (or denied) events in the window.
    pub window_hits: f64,
    /// Events in the window.
    pub window_total: f64,
    /// Failed (or denied) events in the baseline.
    pub baseline_hits: f64,
    /// Events in the baseline.
    pub baseline_total: f64,
}

/// Scores `hits` of `n` window events failing (or denied) against the baseline's `k_b` of
/// `n_b`, Beta-binomial style.
///
/// The baseline ratio has the posterior `Beta(a, b)` with `a = m0 s0 + k_b`,
/// `b = (1 - m0) s0 + n_b - k_b` (prior mean `ratio_prior_mean`, strength
/// `ratio_prior_strength`). The window then expects `mu = n p` hits, `p = a / (a + b)`,
/// with Beta-binomial dispersion `(1 - p)(a + b + n) / (a + b + 1)`.
pub(super) fn ratio(hits: u64, n: u64, k_b: u64, n_b: u64, config: &ScoringConfig) -> RatioResult {
    let (hits, n, k_b, n_b) = (hits as f64, n as f64, k_b as f64, n_b as f64);
    let k_b = k_b.min(n_b);
    let hits = hits.min(n);
    let m0 = config.ratio_prior_mean.clamp(1e-6, 1.0 - 1e-6);
    let s0 = config.ratio_prior_strength.max(1e-6);
    let a = m0 * s0 + k_b;
    let b = (1.0 - m0) * s0 + (n_b - k_b);
    let p = a / (a + b);
    let dispersion = ((1.0 - p) * (a + b + n) / (a + b + 1.0)).max(1e-9);
    let score = if n > 0.0 && hits > 0.0 {
        squash(anscombe_z(hits, n * p, dispersion), config)
    } else {
        0.0
    };
    RatioResult {
        score,
        window_hits: hits,
        window_total: n,
        baseline_hits: k_b,
        baseline_total: n_b,
    }
}

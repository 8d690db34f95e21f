//! The privileged-action feature: the rarest privileged action of the window, under the
//! principal's own smoothed action distribution.
//!
//! Unlike the categorical features, which average rarity over the window's events, this
//! takes the maximum: one novel `SetIamPolicy` among ten routine reads is the signal.

use super::divergence::{rarity, CategoricalResult};
use super::ScoringConfig;
use crate::detect::privileged::is_privileged;
use crate::detect::profile::{Categorical, Profile};

/// Scores the window's privileged actions. The reference probability is `common_share`:
/// a privileged action that makes up a few percent of the principal's own history is
/// routine for it; one it has never done scores 1.
pub(super) fn privileged_action<'a>(
    current: &'a Profile,
    baseline: &'a Profile,
    config: &ScoringConfig,
) -> CategoricalResult<'a> {
    let base = baseline.values.get(&Categorical::Action);
    let (mut n, mut f1, mut distinct) = (0.0f64, 0.0f64, 0usize);
    let mut baseline_top: Option<(&str, f64)> = None;
    for (v, &c) in base.into_iter().flatten().filter(|(_, &c)| c > 0) {
        let c = c as f64;
        n += c;
        distinct += 1;
        f1 += f64::from(u8::from(c == 1.0));
        if is_privileged(v) && baseline_top.is_none_or(|(_, t)| c > t) {
            baseline_top = Some((v.as_str(), c));
        }
    }
    let alpha = config.novelty_prior.max(1e-9) + f1;
    let denom = n + alpha;
    let p_new = alpha / denom / (1.0 + f1);
    let (mut score, mut total, mut top, mut others) = (0.0f64, 0.0f64, None, 0u64);
    for (v, &c) in current
        .values
        .get(&Categorical::Action)
        .into_iter()
        .flatten()
    {
        total += c as f64;
        if c == 0 || !is_privileged(v) {
            continue;
        }
        let b = base.and_then(|m| m.get(v)).map_or(0.0, |&b| b as f64);
        let p = if b > 0.0 { b / denom } else { p_new };
        let r = rarity(p, config.common_share, config.surprise_scale_bits);
        if r >= 0.5 {
            others += 1;
        }
        if r > score {
            score = r;
            top = Some((v.as_str(), c as f64, b));
        }
    }
    CategoricalResult {
        score,
        top,
        unusual_others: others.saturating_sub(u64::from(score >= 0.5)),
        window_total: total,
        baseline_total: n,
        baseline_top,
        baseline_distinct: distinct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::profile::Observation;

    fn profile(actions: &[(&str, u64)]) -> Profile {
        let mut p = Profile::default();
        for (a, c) in actions {
            p.add(&Observation::Value(Categorical::Action, a.to_string()), *c);
        }
        p
    }

    #[test]
    fn novel_privileged_action_scores_high_routine_one_does_not() {
        let config = ScoringConfig::default();
        let base = profile(&[("storage.objects.get", 300), ("SetIamPolicy", 40)]);
        let novel = profile(&[
            ("storage.objects.get", 9),
            ("google.iam.admin.v1.CreateServiceAccountKey", 1),
        ]);
        assert!(privileged_action(&novel, &base, &config).score > 0.9);
        let routine = profile(&[("SetIamPolicy", 1)]);
        assert_eq!(privileged_action(&routine, &base, &config).score, 0.0);
        let plain = profile(&[("storage.buckets.list", 5)]);
        assert_eq!(privileged_action(&plain, &base, &config).score, 0.0);
    }
}

//! The privileged-action feature: the rarest privileged action of the window, under the
//! principal's own smoothed action distribution.
//!
//! Unlike the categorical features, which average rarity over the window's events, this
//! takes the maximum: one novel `SetIamPolicy` among ten routine reads is the signal.

use super::divergence::{rarity, CategoricalResult};
use super::summary::BaselineSummary;
use super::ScoringConfig;
use crate::detect::privileged::is_privileged;
use crate::detect::profile::{Categorical, Profile};

/// Scores the window's privileged actions; the score is that of the most surprising one.
///
/// The principal's privileged history is the long history ([`Profile::privileged_history`])
/// together with the baseline's privileged actions:
/// - never exercised any privilege: a privileged action scores `first_privileged` (1);
/// - exercises privileges, but never this action: `new_privileged_kind` (0.6);
/// - both scaled by how long the principal has been watched, over `history_warmup_secs`,
///   and by how many of its peers exercise the action ([`peer_factor`]);
/// - has done this action before: its rarity in the 24-hour baseline against
///   `common_share`, halved when the long history knows it (a habit seen less than daily).
pub(super) fn privileged_action<'a>(
    current: &'a Profile,
    baseline: &'a Profile,
    summary: &'a BaselineSummary,
    config: &ScoringConfig,
) -> CategoricalResult<'a> {
    let base = baseline.values.get(&Categorical::Action);
    let actions = summary.of(Categorical::Action);
    let (n, f1, distinct) = (actions.n, actions.f1, actions.distinct);
    let baseline_top = summary.privileged_top.as_ref().map(|(v, c)| (&**v, *c));
    let history = &baseline.privileged_history;
    // "Never before" is only as strong as how long the principal has been watched.
    let now_hour = current.hours.keys().next_back().copied();
    let watched = match (
        now_hour,
        baseline
            .history_since_hour
            .or(baseline.hours.keys().next().copied()),
    ) {
        (Some(now), Some(since)) => now.saturating_sub(since).max(0) as f64 * 3600.0,
        _ => 0.0,
    };
    let warmed = (watched / config.history_warmup_secs.max(1) as f64).min(1.0);
    let exercises_privileges = summary.exercises_privileges;
    let alpha = config.novelty_prior.max(1e-9) + f1;
    let denom = n + alpha;
    let (mut score, mut total, mut top, mut others) = (0.0f64, 0.0f64, None, 0u64);
    let (mut peers, mut top_history) = (None, 0);
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
        let known_long = history.get(v).is_some_and(|&h| h > 0);
        let r = if b > 0.0 {
            let r = rarity(b / denom, config.common_share, config.surprise_scale_bits);
            if known_long {
                r / 2.0
            } else {
                r
            }
        } else if known_long {
            config.new_privileged_kind / 2.0
        } else {
            let first = if exercises_privileges {
                config.new_privileged_kind
            } else {
                config.first_privileged
            };
            first * warmed * peer_factor(baseline, v, config)
        };
        if r >= 0.5 {
            others += 1;
        }
        if r > score {
            score = r;
            top = Some((&**v, c as f64, b));
            top_history = history.get(v).copied().unwrap_or(0);
            peers = baseline
                .peers
                .as_ref()
                .filter(|_| b == 0.0 && !known_long)
                .map(|g| (g.group.as_str(), g.users_of(v), g.privileged, g.members));
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
        peers,
        top_history,
    }
}

/// How expected a privileged action new to the principal is among its peers:
/// `peer_prior / (peer_prior + k) * (1 - h / (m + peer_prior))`, `k` members of the
/// principal's peer group exercising the action, `h` of its `m` members holding privileges
/// (exercising any privileged action). The first term is 1 when no peer does it, 1/2 when
/// `peer_prior` do, falling as it becomes the group's routine; the second discounts groups
/// of privilege holders (an administrators' role: a member's first grant is its job),
/// while a group where few hold privileges (developers, most users) keeps nearly all of it.
/// See [`crate::detect::peer`].
fn peer_factor(baseline: &Profile, action: &str, config: &ScoringConfig) -> f64 {
    let prior = config.peer_prior.max(1e-9);
    let Some(group) = baseline.peers.as_ref() else {
        return 1.0;
    };
    let holders = group.privileged as f64 / (group.members as f64 + prior);
    prior / (prior + group.users_of(action) as f64) * (1.0 - holders.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn privileged_score(current: &Profile, baseline: &Profile, config: &ScoringConfig) -> f64 {
        let summary = BaselineSummary::new(baseline, config);
        privileged_action(current, baseline, &summary, config).score
    }
    use crate::detect::profile::Observation;

    fn profile(actions: &[(&str, u64)]) -> Profile {
        let mut p = Profile::default();
        p.add(&Observation::Hour(0), 1);
        for (a, c) in actions {
            p.add(&Observation::Value(Categorical::Action, (*a).into()), *c);
        }
        p
    }

    #[test]
    fn novel_privileged_action_scores_high_routine_one_does_not() {
        let config = ScoringConfig::default();
        let mut base = profile(&[("storage.objects.get", 300), ("SetIamPolicy", 40)]);
        base.add_history_hour(-48);
        let novel = profile(&[
            ("storage.objects.get", 9),
            ("google.iam.admin.v1.CreateServiceAccountKey", 1),
        ]);
        assert_eq!(
            privileged_score(&novel, &base, &config),
            config.new_privileged_kind
        );
        let routine = profile(&[("SetIamPolicy", 1)]);
        assert_eq!(privileged_score(&routine, &base, &config), 0.0);
        // A non-admin's first privileged action, an admin's new kind, a known habit.
        let mut reader = profile(&[("storage.objects.get", 300)]);
        reader.add_history_hour(-48);
        // Without any history, "first ever" means nothing.
        let cold = privileged_score(&profile(&[("SetIamPolicy", 1)]), &profile(&[]), &config);
        assert_eq!(cold, 0.0);
        let first = privileged_score(&profile(&[("SetIamPolicy", 1)]), &reader, &config);
        let mut admin = reader.clone();
        admin.add_history("google.iam.admin.v1.CreateRole", 3);
        let new_kind = privileged_score(&profile(&[("SetIamPolicy", 1)]), &admin, &config);
        admin.add_history("SetIamPolicy", 2);
        let habit = privileged_score(&profile(&[("SetIamPolicy", 1)]), &admin, &config);
        assert!(
            first > new_kind && new_kind > habit,
            "{first} {new_kind} {habit}"
        );
        assert_eq!(first, 1.0);
        let plain = profile(&[("storage.buckets.list", 5)]);
        assert_eq!(privileged_score(&plain, &base, &config), 0.0);
    }
}

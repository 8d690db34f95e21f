//! Cold start: a principal with too little history is judged by its peer group's
//! baseline too (docs/scoring.md, "Cold start").

use super::{score, score_summarized, unit, BaselineSummary, Contribution, Score};
use super::{ScoringConfig, FEATURES};
use crate::detect::peer::PeerBaseline;
use crate::detect::profile::Profile;

/// Features that describe the principal alone (its own networks, user agents and pace): a
/// peer group's baseline says nothing about them.
const PERSONAL: [&str; 3] = ["network", "user_agent", "event_rate"];

/// Scores `current` against `baseline`, lending the peer group's baseline while the
/// principal's own holds fewer than `cold_start_events` events (cold start).
///
/// With `w = min(1, n_b / cold_start_events)`, each feature the group can speak for
/// scores `w f_own + (1 - w) f_peers`, `f_peers` comparing the window with the group's
/// baseline; the personal features (network, user agent, event rate: [`PeerBaseline`]
/// keeps none of them) score `w f_own`, as only the principal's own history speaks for
/// them (against no history at all everything is new). The features combine by noisy-OR
/// as in [`score`]. The confidence is `w c_own + (1 - w) c c_peers peer_confidence`, `c`
/// how long the group has been watched as a share of the baseline span. The explanation
/// takes each feature from the side that weighs more, a borrowed expectation naming the
/// group.
pub fn score_with_peers(
    current: &Profile,
    baseline: &Profile,
    peers: Option<&PeerBaseline>,
    config: &ScoringConfig,
) -> Score {
    let own = score(current, baseline, config);
    match peers {
        Some(peers) => {
            let summary = BaselineSummary::new(&peers.profile, config);
            blend_with_peers(own, baseline.events, current, peers, &summary, config)
        }
        None => own,
    }
}

/// [`score_with_peers`] from the principal's own score (against its `baseline_events`
/// baseline events) and its window: what a dataflow keeps of a cold window. `summary` is
/// `BaselineSummary::new(&peers.profile, config)`, shared by the group's cold windows.
pub fn blend_with_peers(
    own: Score,
    baseline_events: u64,
    current: &Profile,
    peers: &PeerBaseline,
    summary: &BaselineSummary,
    config: &ScoringConfig,
) -> Score {
    let cold = config.cold_start_events;
    if baseline_events >= cold || peers.profile.events == 0 {
        return own;
    }
    let w = baseline_events as f64 / cold as f64;
    let borrowed = score_summarized(current, &peers.profile, summary, config);
    let personal = |i: usize| PERSONAL.contains(&FEATURES[i]);
    let features: [f64; 9] = std::array::from_fn(|i| match personal(i) {
        true => w * own.features[i],
        false => w * own.features[i] + (1.0 - w) * borrowed.features[i],
    });
    let keep: f64 = features.iter().map(|s| 1.0 - s).product();
    // How long the group has been watched, against the baseline span: a group seen for an
    // hour cannot say what is usual for a day.
    let since = (peers.profile.history_since_hour).or(peers.profile.hours.keys().next().copied());
    let watched = match (current.hours.keys().next_back(), since) {
        (Some(now), Some(since)) => (now - since).max(0) as f64 * 3600.0,
        _ => 0.0,
    };
    let covered = (watched / config.baseline_secs.max(1) as f64).min(1.0);
    let from_own = |feature: &str| w >= 0.5 || PERSONAL.contains(&feature);
    let own_part = own.explanation.into_iter().filter(|c| from_own(&c.feature));
    let lent_part = borrowed
        .explanation
        .into_iter()
        .filter(|c| !from_own(&c.feature))
        .map(|c| Contribution {
            expected: format!("peers {}: {}", peers.group, c.expected),
            ..c
        });
    let mut explanation: Vec<Contribution> = own_part
        .chain(lent_part)
        .filter_map(|c| {
            let i = FEATURES.iter().position(|f| *f == c.feature)?;
            let score = features[i];
            (score > 0.0 && score >= config.min_contribution).then_some(Contribution { score, ..c })
        })
        .collect();
    explanation.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    explanation.truncate(5);
    Score {
        score: unit(1.0 - keep),
        confidence: unit(
            w * own.confidence + (1.0 - w) * covered * borrowed.confidence * config.peer_confidence,
        ),
        explanation,
        features,
    }
}

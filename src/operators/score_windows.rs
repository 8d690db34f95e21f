//! `score_windows`: each principal's current window scored against its own baseline.

use super::fold_memo::FoldMemo;
use super::pair_memo::{PairMemo, VersionMemo};
use super::score_facts::{BaselineEntry, EventFacts, Fact, Interned, Interner};
use super::{PeerBaselines, PeerGroups, SlidingWindow};
use crate::detect::peer::{peer_group, PeerBaseline, PeerPrivileges};
use crate::detect::privileged::is_privileged;
use crate::detect::profile::Profile;
use crate::detect::score::{
    blend_with_peers, score_summarized, BaselineSummary, Contribution, Score, ScoringConfig,
};
use crate::event::{AuditEvent, PrincipalType};
use differential_dataflow::VecCollection;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most evidence events kept per scored window.
pub const MAX_EVIDENCE: usize = 10;

/// What the scoring reduces see per principal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ScoreInput {
    /// What the baseline counts of an event; a principal's equal entries of one hour
    /// consolidate into one counted record.
    Baseline(Arc<BaselineEntry>),
    /// A fact of the long history, counted.
    Observed(Fact),
    /// An event of the current window: its observations, and what to cite it by.
    Evidence(Arc<EventFacts>),
    /// The principal's peer group over the long history (refreshed hourly), shared by the
    /// group's members.
    Peers(Arc<PeerPrivileges>),
}

/// One explanation line with its score in millionths (so the record is `Ord`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Driver {
    /// Feature name.
    pub feature: String,
    /// What the window shows.
    pub observed: String,
    /// What the baseline leads to expect.
    pub expected: String,
    /// The feature's score, in millionths.
    pub score_ppm: u32,
}

/// A principal's window, scored. The window is `[time - window, time)` where `time` is the
/// dataflow time at which this record appears.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ScoredWindow {
    /// Anomaly score in millionths (`[0, 1_000_000]`).
    pub score_ppm: u32,
    /// Confidence in millionths.
    pub confidence_ppm: u32,
    /// Events in the window.
    pub window_events: u64,
    /// Events in the baseline.
    pub baseline_events: u64,
    /// The principal's type, as its most recent event in the window says.
    pub principal_type: PrincipalType,
    /// The features that drove the score, strongest first.
    pub drivers: Vec<Driver>,
    /// Ids of the window's most unusual events, most unusual first.
    pub evidence: Vec<String>,
}

/// A window scored while the principal's baseline is short (cold start): what rescoring
/// it against its peer group's baseline needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ColdWindow {
    /// The group, by the principal and the type of its latest event in the window.
    pub group: Interned,
    /// The window's events (shared with the window's arrangement) and their counts.
    pub events: Vec<(Arc<EventFacts>, u64)>,
    /// The own score's feature values and confidence, as `f64` bits (so the record is
    /// `Ord`): what blending with the group needs of the principal's own baseline.
    pub own: ([u64; 9], u64),
}

fn ppm(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * 1e6).round() as u32
}

/// Scores every principal's current window (`window_secs`, sliding with the timestamp
/// granule) against its baseline, whenever either changes; privileged actions are also
/// remembered over `history_secs` ([`crate::detect::profile::Span::History`]).
///
/// The baseline and history refresh hourly ([`REFRESH_SECS`]): an event joins them at the
/// first hour boundary at or after it leaves the window, and leaves `baseline_secs` (resp.
/// `history_secs`) later. One `reduce` per principal holds the window's events, the baseline
/// and history facts and the peer group's view; whenever the window has events it folds
/// them into two [`Profile`]s and scores the window. Folding on demand instead of keeping
/// a folded baseline per principal keeps the state to the counted facts (a folded profile
/// per principal and hour, string-keyed maps, was most of the engine's memory); each
/// worker remembers the latest fold, and its [`BaselineSummary`], of a bounded number of
/// recently scored principals, reused while their baseline, history and peer view are
/// unchanged (they move hourly, the window every slide). The inputs are built with
/// [`SlidingWindow`] temporal filters; the scorer is [`crate::detect::score::score`].
///
/// Records are keyed by the principal's [`super::score_facts::Interned`] name and carry
/// hashed, shared values ([`EventFacts`], [`Fact`]): arrangements compare `u64`s and clone
/// reference counts. Baseline facts are consolidated per batch before the exchange.
pub trait ScoreWindows<'s> {
    /// The scored windows, keyed by principal.
    fn score_windows(
        self,
        config: ScoringConfig,
    ) -> VecCollection<'s, u64, (String, ScoredWindow), isize>;
}

/// Principals per worker whose folded baseline is remembered (one or two generations of
/// this many: [`FoldMemo`]).
const BASELINE_MEMO_CAPACITY: usize = 1 << 12;

/// Cold windows rescored per worker that are remembered for their retraction (one or two
/// generations of this many: [`PairMemo`]).
const RESCORE_MEMO_CAPACITY: usize = 1 << 15;

/// Peer groups per worker whose baseline summaries are remembered (one or two generations
/// of this many: [`VersionMemo`]).
const GROUP_MEMO_CAPACITY: usize = 1 << 12;

/// Seconds between refreshes of the baseline and the long history.
pub const REFRESH_SECS: u64 = 3600;

impl<'s> ScoreWindows<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn score_windows(
        self,
        config: ScoringConfig,
    ) -> VecCollection<'s, u64, (String, ScoredWindow), isize> {
        let (window, baseline) = (config.window_secs, config.baseline_secs);
        let history_secs = config.history_secs;
        let peers = self
            .clone()
            .peer_privileges(window, history_secs)
            .map(|(principal, view)| (Interned::new(&principal), ScoreInput::Peers(view)));
        // Each event once, as shared facts with hashed values keyed by the principal.
        let mut interner = Interner::default();
        let facts = self.map(move |event| interner.facts(event));
        // One record per event of the window: its observations are derived from it.
        let current = facts
            .clone()
            .map(|(principal, facts)| (principal, ScoreInput::Evidence(facts)))
            .sliding_window(0, window);
        // The baseline and the long history move only at hour boundaries: an event enters
        // them at the first boundary at or after it leaves the window. Equal entries of one
        // principal entering at the same boundary are counted once per batch, before the
        // exchange (most of a principal's hour repeats its habits).
        let history = facts
            .clone()
            .map(|(principal, facts)| {
                let entry = Arc::new(facts.baseline_entry());
                (principal, ScoreInput::Baseline(entry))
            })
            .sliding_window_aligned(window, baseline, REFRESH_SECS)
            .consolidate_stream();
        // Each peer group's baseline, for the cold start of principals with a short one.
        let groups = facts.clone().peer_baselines(window, baseline);
        // The long history keeps privileged actions (rare) and one marker per active day
        // (they consolidate), so weeks of it stay cheap.
        let privileged = facts
            .flat_map(|(principal, facts)| {
                let day = facts.time_ns.div_euclid(86_400_000_000_000) * 24;
                let marker = (
                    principal.clone(),
                    ScoreInput::Observed(Fact::ActiveDay(day)),
                );
                let action = is_privileged(&facts.action.text).then(|| {
                    let action = Fact::PrivilegedAction(facts.action.clone());
                    (principal, ScoreInput::Observed(action))
                });
                std::iter::once(marker).chain(action)
            })
            .sliding_window_aligned(window, history_secs, REFRESH_SECS)
            .consolidate_stream();
        // One reduce per principal folds the baseline, the history and the peer view only
        // when it scores a window (the arrangements keep counted facts, not profiles).
        let cold_below = config.cold_start_events;
        let lent_config = config.clone();
        // The baseline, history and peer view move hourly, the window every slide: their
        // fold is remembered per principal until they change.
        let mut folded = FoldMemo::new(BASELINE_MEMO_CAPACITY);
        let scored = current
            .concat(history)
            .concat(privileged)
            .concat(peers)
            .reduce_named("ScoreWindows", move |principal, inputs, output| {
                let scored = inputs
                    .iter()
                    .any(|(input, count)| matches!(input, ScoreInput::Evidence(_)) && *count > 0);
                if !scored {
                    // A refresh of an idle principal's baseline or peers: nothing to score.
                    return;
                }
                let mut now = Profile::default();
                let mut evidence = Vec::new();
                let mut events = Vec::new();
                for (input, count) in inputs {
                    if let ScoreInput::Evidence(e) = input {
                        let count = (*count).max(0) as u64;
                        e.add_to(&mut now, count);
                        evidence.push(&**e);
                        events.push((e, count));
                    }
                }
                if now.events == 0 {
                    return;
                }
                let slow = inputs
                    .iter()
                    .filter(|(input, _)| !matches!(input, ScoreInput::Evidence(_)))
                    .map(|(input, count)| (*input, *count));
                let (past, summary) = folded.get_or_fold(principal, slow.clone(), || {
                    let past = fold_past(slow);
                    let summary = BaselineSummary::new(&past, &config);
                    (past, summary)
                });
                let own = score_summarized(&now, past, summary, &config);
                let features = own.features.map(f64::to_bits);
                let confidence = own.confidence.to_bits();
                let window = scored_window(own, &now, &evidence, past);
                // A short baseline: the window is rescored below with its group's.
                let cold = (past.events < cold_below).then(|| {
                    let group = peer_group(&principal.text, window.principal_type);
                    let group = Interned::new(&group);
                    let events = events.iter().map(|(e, n)| ((*e).clone(), *n)).collect();
                    let own = (features, confidence);
                    Arc::new(ColdWindow { group, events, own })
                });
                output.push(((window, cold), 1));
            });
        // Cold start: only the windows of principals with a short baseline meet their
        // group's baseline; a group without one yet leaves them as they were scored.
        let warm = scored
            .clone()
            .flat_map(|(principal, (window, cold))| cold.is_none().then_some((principal, window)));
        let cold = scored.flat_map(|(principal, (window, cold))| {
            cold.map(|c| (c.group.clone(), (principal, window, c)))
        });
        // The join asks once per pair of updates (each window's insertion and retraction
        // against each version of its group's baseline): rescore once per pair of values.
        let mut memo = PairMemo::new(RESCORE_MEMO_CAPACITY);
        // Each version of a group's baseline is summarized once for all its cold windows.
        let mut summaries = VersionMemo::new(GROUP_MEMO_CAPACITY);
        let lent = cold.clone().join_map(
            groups.clone(),
            move |group, (principal, window, cold), sum: &Arc<PeerBaseline>| {
                // `window` and `cold` were made together, so `cold`'s address names both.
                let scored = memo.get_or_compute(cold, sum, || {
                    let summary = summaries.get_or_compute(group, sum, || {
                        Arc::new(BaselineSummary::new(&sum.profile, &lent_config))
                    });
                    rescored(window, cold, sum, &summary, &lent_config)
                });
                (principal.clone(), scored)
            },
        );
        let alone = cold
            .antijoin(groups.map(|(group, _)| group))
            .map(|(_, (principal, window, _))| (principal, window));
        // Join and antijoin can answer one time in several batches (a window rescored, then
        // its own score withdrawn): consolidated, a reader of insertions sees each once.
        warm.concat(lent.concat(alone).consolidate())
            .map(|(principal, scored)| (principal.text.to_string(), scored))
    }
}

/// A principal's baseline and long history, with its peer group's view, folded from the
/// reduce's inputs other than the window's events.
fn fold_past<'a>(inputs: impl Iterator<Item = (&'a ScoreInput, isize)>) -> Profile {
    let mut past = Profile::default();
    let mut peers: Option<&PeerPrivileges> = None;
    for (input, count) in inputs {
        let count = count.max(0) as u64;
        match input {
            ScoreInput::Baseline(entry) => entry.add_to(&mut past, count),
            ScoreInput::Observed(fact) => fact.add_to(&mut past, count),
            ScoreInput::Peers(view) => {
                peers = Some(match peers {
                    Some(other) => PeerPrivileges::preferred(other, view),
                    None => view,
                })
            }
            ScoreInput::Evidence(_) => {}
        }
    }
    past.peers = peers.cloned();
    past
}

/// A cold window's score, confidence and drivers, against its own baseline and its
/// group's ([`blend_with_peers`]); its counts, type and evidence stay.
fn rescored(
    window: &ScoredWindow,
    cold: &ColdWindow,
    lent: &PeerBaseline,
    summary: &BaselineSummary,
    config: &ScoringConfig,
) -> ScoredWindow {
    let mut now = Profile::default();
    for (event, count) in &cold.events {
        event.add_to(&mut now, *count);
    }
    let own = Score {
        score: ppm_value(window.score_ppm),
        confidence: f64::from_bits(cold.own.1),
        explanation: window
            .drivers
            .iter()
            .map(|d| Contribution {
                feature: d.feature.clone(),
                observed: d.observed.clone(),
                expected: d.expected.clone(),
                score: ppm_value(d.score_ppm),
            })
            .collect(),
        features: cold.own.0.map(f64::from_bits),
    };
    let s = blend_with_peers(own, window.baseline_events, &now, lent, summary, config);
    ScoredWindow {
        score_ppm: ppm(s.score),
        confidence_ppm: ppm(s.confidence),
        drivers: drivers(s.explanation),
        ..window.clone()
    }
}

fn ppm_value(ppm: u32) -> f64 {
    f64::from(ppm) / 1e6
}

/// One principal's window, scored (`s`) against its baseline and history.
fn scored_window(
    s: Score,
    now: &Profile,
    evidence: &[&EventFacts],
    past: &Profile,
) -> ScoredWindow {
    ScoredWindow {
        score_ppm: ppm(s.score),
        confidence_ppm: ppm(s.confidence),
        window_events: now.events,
        baseline_events: past.events,
        principal_type: evidence
            .iter()
            .max_by_key(|e| (e.time_ns, &e.event_id))
            .map_or(PrincipalType::Unknown, |e| e.principal_type),
        drivers: drivers(s.explanation),
        evidence: pick_evidence(evidence, past),
    }
}

fn drivers(explanation: Vec<crate::detect::score::Contribution>) -> Vec<Driver> {
    explanation
        .into_iter()
        .map(|c| Driver {
            feature: c.feature,
            observed: c.observed,
            expected: c.expected,
            score_ppm: ppm(c.score),
        })
        .collect()
}

/// The window's most unusual events: those with the most values the baseline never saw
/// (action, network, user agent) and failed outcomes first; then by time and id.
fn pick_evidence(events: &[&EventFacts], baseline: &Profile) -> Vec<String> {
    use crate::detect::profile::Categorical;
    let seen = |feature: Categorical, value: &str| {
        baseline
            .values
            .get(&feature)
            .is_some_and(|m| m.contains_key(value))
    };
    let mut ranked: Vec<(u32, i64, &str)> = events
        .iter()
        .map(|e| {
            let novelty = u32::from(!seen(Categorical::Action, &e.action.text))
                + u32::from(!seen(Categorical::Network, &e.network.text))
                + u32::from(!seen(Categorical::UserAgent, &e.user_agent.text))
                + u32::from(e.outcome.is_failed());
            (novelty, e.time_ns, &*e.event_id)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
    ranked
        .into_iter()
        .take(MAX_EVIDENCE)
        .map(|(_, _, id)| id.to_string())
        .collect()
}

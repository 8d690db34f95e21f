//! Property tests of the scorer on hand-built profiles.

use super::*;
use crate::detect::profile::Observation;
use crate::event::Outcome;

mod bounds;
mod cold_start;
mod signals;

/// A midnight UTC, in hours since the epoch.
const DAY: i64 = 480_000;

/// One kind of event and how many of it: action, service, network, user agent, outcome.
type Kind = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Outcome,
    u64,
);

const HOME: &str = "198.51.100.0/24";
const OFFICE: &str = "192.0.2.0/24";
const EVIL: &str = "203.0.113.0/24";
const BROWSER: &str = "Mozilla/5.0";
const GCLOUD: &str = "google-cloud-sdk gcloud/470.0.0";

fn add(p: &mut Profile, hour: i64, kind: &Kind, count: u64) {
    let (action, service, network, ua, outcome, _) = *kind;
    p.add(
        &Observation::Value(Categorical::Action, action.into()),
        count,
    );
    p.add(
        &Observation::Value(Categorical::Service, service.into()),
        count,
    );
    p.add(
        &Observation::Value(Categorical::Network, network.into()),
        count,
    );
    p.add(
        &Observation::Value(Categorical::UserAgent, ua.into()),
        count,
    );
    p.add(&Observation::Hour(hour), count);
    p.add(&Observation::Outcome(outcome), count);
}

fn profile(hours: impl IntoIterator<Item = i64>, kinds: &[Kind]) -> Profile {
    let mut p = Profile::default();
    for h in hours {
        for k in kinds {
            add(&mut p, h, k, k.5);
        }
    }
    p
}

/// A human working 09-18 UTC: 50 events an hour, mostly reads.
fn human() -> Vec<Kind> {
    use Outcome::*;
    vec![
        ("storage.objects.get", "storage", HOME, BROWSER, Success, 25),
        (
            "storage.objects.list",
            "storage",
            HOME,
            BROWSER,
            Success,
            10,
        ),
        (
            "compute.instances.list",
            "compute",
            HOME,
            GCLOUD,
            Success,
            8,
        ),
        (
            "compute.instances.start",
            "compute",
            OFFICE,
            GCLOUD,
            Success,
            4,
        ),
        ("SetIamPolicy", "iam", HOME, BROWSER, Success, 2),
        ("storage.objects.get", "storage", HOME, BROWSER, Failure, 1),
    ]
}

/// The human's baseline: yesterday 09:00-17:59, 450 events.
fn human_baseline() -> Profile {
    profile(DAY + 9..DAY + 18, &human())
}

/// Deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `n` events drawn from `kinds` in proportion to their counts, all in `hour`.
fn sample(kinds: &[Kind], n: u64, hour: i64, rng: &mut Lcg) -> Profile {
    let total: u64 = kinds.iter().map(|k| k.5).sum();
    let mut p = Profile::default();
    for _ in 0..n {
        let mut x = rng.below(total);
        for k in kinds {
            if x < k.5 {
                add(&mut p, hour, k, 1);
                break;
            }
            x -= k.5;
        }
    }
    p
}

fn contribution<'a>(s: &'a Score, feature: &str) -> Option<&'a Contribution> {
    s.explanation.iter().find(|c| c.feature == feature)
}

fn check_bounds(s: &Score) {
    assert!(
        s.score.is_finite() && (0.0..=1.0).contains(&s.score),
        "{s:?}"
    );
    assert!(
        s.confidence.is_finite() && (0.0..=1.0).contains(&s.confidence),
        "{s:?}"
    );
    assert!(s.explanation.len() <= 5, "{s:?}");
    for pair in s.explanation.windows(2) {
        let order = pair[1]
            .score
            .total_cmp(&pair[0].score)
            .then_with(|| pair[0].feature.cmp(&pair[1].feature));
        assert!(order.is_le(), "{s:?}");
    }
    for c in &s.explanation {
        assert!(
            c.score.is_finite() && c.score > 0.0 && c.score <= 1.0,
            "{s:?}"
        );
    }
}

#[test]
fn normal_windows_score_low() {
    let base = human_baseline();
    let config = ScoringConfig::default();
    let mut rng = Lcg(7);
    for i in 0..60 {
        let n = 1 + rng.below(12);
        let window = sample(&human(), n, DAY + 24 + 9 + i % 9, &mut rng);
        let s = score(&window, &base, &config);
        check_bounds(&s);
        assert!(s.score < 0.3, "window {i} ({n} events): {s:#?}");
    }
}

#[test]
fn high_variety_normal_behaviour_scores_low() {
    // A service account calling 120 actions with a long tail, 40 of them seen once,
    // from 30 networks, around the clock.
    let names: Vec<&'static str> = (0..120)
        .map(|i| &*Box::leak(format!("api.v1.method{i}").into_boxed_str()))
        .collect();
    let nets: Vec<&'static str> = (0..30)
        .map(|i| &*Box::leak(format!("10.0.{i}.0/24").into_boxed_str()))
        .collect();
    let kinds: Vec<Kind> = (0..120)
        .map(|i| {
            let count = if i < 40 { 1 } else { 1 + 60 / (i as u64 - 38) };
            (
                names[i],
                "api",
                nets[i % 30],
                "robot/1.0",
                Outcome::Success,
                count,
            )
        })
        .collect();
    let mut base = Profile::default();
    for (i, k) in kinds.iter().enumerate() {
        add(&mut base, DAY + (i as i64 % 24), k, k.5);
    }
    let config = ScoringConfig::default();
    let mut rng = Lcg(11);
    for i in 0..40 {
        let mut window = sample(&kinds, 4 + rng.below(8), DAY + 24, &mut rng);
        if i % 3 == 0 {
            // New actions appear about as often as the baseline's singletons predict.
            let fresh = (
                names[(i as usize) % 40],
                "api",
                nets[0],
                "robot/1.0",
                Outcome::Success,
                1,
            );
            let mut renamed = fresh;
            renamed.0 = "api.v1.brandNewMethod";
            add(&mut window, DAY + 24, &renamed, 1);
        }
        let s = score(&window, &base, &config);
        check_bounds(&s);
        assert!(s.score < 0.3, "window {i}: {s:#?}");
    }
}

#[test]
fn novel_network_and_user_agent_score_high() {
    let base = human_baseline();
    let kind = (
        "SetIamPolicy",
        "iam",
        EVIL,
        "curl/8.5.0",
        Outcome::Success,
        12,
    );
    let window = profile([DAY + 24 + 11], &[kind]);
    let s = score(&window, &base, &ScoringConfig::default());
    check_bounds(&s);
    assert!(s.score >= 0.8, "{s:#?}");
    let net = contribution(&s, "network").expect("network explained");
    assert_eq!(net.observed, "203.0.113.0/24 (12 of 12 events, never seen)");
    assert_eq!(net.expected, "198.51.100.0/24 (92%), +1 other");
    let ua = contribution(&s, "user_agent").expect("user agent explained");
    assert!(ua.observed.starts_with("curl/8.5.0 (12 of 12"), "{ua:?}");
    assert_eq!(s.explanation[0].feature, "network");
    assert!(s.confidence > 0.9);
}

#[test]
fn novel_network_alone_is_a_signal_and_known_values_are_not() {
    let base = human_baseline();
    let config = ScoringConfig::default();
    let known = (
        "storage.objects.get",
        "storage",
        OFFICE,
        BROWSER,
        Outcome::Success,
        5,
    );
    let novel = (
        "storage.objects.get",
        "storage",
        EVIL,
        BROWSER,
        Outcome::Success,
        5,
    );
    let a = score(&profile([DAY + 35], &[known]), &base, &config);
    let b = score(&profile([DAY + 35], &[novel]), &base, &config);
    assert!(contribution(&a, "network").is_none(), "{a:#?}");
    assert!(b.score > a.score + 0.4, "{a:#?} {b:#?}");
}

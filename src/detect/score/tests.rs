//! Property tests of the scorer on hand-built profiles.

use super::*;
use crate::detect::profile::Observation;
use crate::event::Outcome;

mod bounds;

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

#[test]
fn denied_burst_scores_high() {
    let base = human_baseline();
    let kind = (
        "storage.buckets.delete",
        "storage",
        HOME,
        BROWSER,
        Outcome::Denied,
        25,
    );
    let s = score(
        &profile([DAY + 24 + 14], &[kind]),
        &base,
        &ScoringConfig::default(),
    );
    check_bounds(&s);
    assert!(s.score >= 0.8, "{s:#?}");
    let d = contribution(&s, "denied_ratio").expect("denied explained");
    assert_eq!(d.observed, "25 of 25 denied (100%)");
    assert_eq!(d.expected, "0% (0 of 450 in baseline)");
    assert_eq!(s.explanation[0].feature, "denied_ratio");
}

#[test]
fn one_failure_in_three_calls_scores_low() {
    let base = human_baseline();
    let ok = (
        "storage.objects.get",
        "storage",
        HOME,
        BROWSER,
        Outcome::Success,
        2,
    );
    let failed = (
        "storage.objects.get",
        "storage",
        HOME,
        BROWSER,
        Outcome::Failure,
        1,
    );
    let s = score(
        &profile([DAY + 24 + 10], &[ok, failed]),
        &base,
        &ScoringConfig::default(),
    );
    check_bounds(&s);
    assert!(s.score < 0.3, "{s:#?}");
    assert!(contribution(&s, "failure_ratio").is_none(), "{s:#?}");
    // Even against a spotless baseline.
    let mut always_ok = ok;
    always_ok.5 = 50;
    let clean = profile(DAY + 9..DAY + 18, &[always_ok]);
    let s = score(
        &profile([DAY + 34], &[ok, failed]),
        &clean,
        &ScoringConfig::default(),
    );
    assert!(s.score < 0.3, "{s:#?}");
}

#[test]
fn off_hours_activity_of_a_nine_to_five_user_scores_higher() {
    let base_for = |hour: i64| {
        // The baseline is the 24 hours before the window.
        let mut p = Profile::default();
        for h in (hour - 24..hour).filter(|h| (9..18).contains(&h.rem_euclid(24))) {
            for k in &human() {
                add(&mut p, h, k, k.5);
            }
        }
        p
    };
    let kind = ("SetIamPolicy", "iam", HOME, BROWSER, Outcome::Success, 6);
    let config = ScoringConfig::default();
    let night = DAY + 24 + 3;
    let noon = DAY + 24 + 12;
    let at_night = score(&profile([night], &[kind]), &base_for(night), &config);
    let at_noon = score(&profile([noon], &[kind]), &base_for(noon), &config);
    check_bounds(&at_night);
    let hour = contribution(&at_night, "hour_of_day").expect("hour explained");
    assert_eq!(hour.observed, "03h UTC (6 of 6 events)");
    assert_eq!(hour.expected, "0% of baseline at 03h; usual 09-17h UTC");
    assert!(
        contribution(&at_noon, "hour_of_day").is_none(),
        "{at_noon:#?}"
    );
    assert!(
        at_night.score > at_noon.score + 0.2,
        "{at_night:#?} {at_noon:#?}"
    );
}

#[test]
fn service_account_at_3am_scores_low() {
    let kinds = [
        (
            "compute.instances.list",
            "compute",
            OFFICE,
            GCLOUD,
            Outcome::Success,
            15,
        ),
        (
            "storage.objects.create",
            "storage",
            OFFICE,
            GCLOUD,
            Outcome::Success,
            5,
        ),
    ];
    let base = profile(DAY + 3..DAY + 27, &kinds);
    let mut one = kinds[0];
    one.5 = 2;
    let window = profile([DAY + 27], &[one]);
    let s = score(&window, &base, &ScoringConfig::default());
    check_bounds(&s);
    assert!(s.score < 0.3, "{s:#?}");
    assert!(contribution(&s, "hour_of_day").is_none(), "{s:#?}");
}

#[test]
fn event_rate_burst_is_explained() {
    let base = human_baseline();
    let kind = (
        "storage.objects.get",
        "storage",
        HOME,
        BROWSER,
        Outcome::Success,
        45,
    );
    let s = score(
        &profile([DAY + 34], &[kind]),
        &base,
        &ScoringConfig::default(),
    );
    let rate = contribution(&s, "event_rate").expect("rate explained");
    assert_eq!(rate.observed, "45 events in 5m");
    assert!(rate.expected.starts_with("4.2 +- "), "{rate:?}");
    // Six hours of history at 60 an hour: five events in five minutes is ordinary.
    let young = profile(
        DAY + 10..DAY + 16,
        &[("a", "s", HOME, BROWSER, Outcome::Success, 60)],
    );
    let window = profile(
        [DAY + 16],
        &[("a", "s", HOME, BROWSER, Outcome::Success, 5)],
    );
    let s = score(&window, &young, &ScoringConfig::default());
    assert!(s.score < 0.1, "{s:#?}");
}

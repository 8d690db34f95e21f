//! Confidence, edge cases, determinism and generated profiles: bounds always hold.

use super::*;

#[test]
fn confidence_grows_with_evidence() {
    let config = ScoringConfig::default();
    let mut last = -1.0;
    for n in [0, 1, 3, 10, 20, 50, 100, 500, 5000] {
        let c = confidence(n, 20, &config);
        // Strictly growing until the baseline factor saturates in f64.
        assert!(
            c > last || (c == last && c > 0.999),
            "{n}: {c} after {last}"
        );
        last = c;
    }
    assert_eq!(confidence(0, 20, &config), 0.0);
    assert!(confidence(3, 20, &config) < 0.3);
    assert!(confidence(500, 20, &config) > 0.9);
    let kind = ("a", "s", HOME, BROWSER, Outcome::Success, 1);
    let s = score(
        &profile([DAY], &[kind]),
        &profile([DAY - 1], &[kind; 3]),
        &config,
    );
    assert!(s.confidence < 0.3, "{s:?}");
    let s = score(&profile([DAY], &[kind]), &Profile::default(), &config);
    assert_eq!(s.confidence, 0.0);
}

#[test]
fn edge_cases_stay_in_bounds() {
    let config = ScoringConfig::default();
    let empty = Profile::default();
    let base = human_baseline();
    let huge_kind = ("a", "s", HOME, BROWSER, Outcome::Denied, 1 << 60);
    let huge = profile([DAY + 1], &[huge_kind]);
    let mut inconsistent = Profile {
        failed: 10,
        denied: 7,
        ..Profile::default()
    };
    inconsistent.hours.insert(i64::MIN, 3);
    inconsistent.hours.insert(i64::MAX, 0);
    let cases = [&empty, &base, &huge, &inconsistent];
    for (i, c) in cases.iter().enumerate() {
        for (j, b) in cases.iter().enumerate() {
            let s = score(c, b, &config);
            check_bounds(&s);
            if i == 0 {
                assert_eq!(s.score, 0.0, "empty window vs {j}: {s:?}");
            }
        }
    }
    assert_eq!(score(&empty, &empty, &config).confidence, 0.0);
}

#[test]
fn deterministic() {
    let base = human_baseline();
    let kind = (
        "SetIamPolicy",
        "iam",
        EVIL,
        "curl/8.5.0",
        Outcome::Denied,
        3,
    );
    let window = profile([DAY + 27], &[kind, human()[0]]);
    let config = ScoringConfig::default();
    let a = score(&window, &base, &config);
    let b = score(&window.clone(), &base.clone(), &config);
    assert_eq!(a, b);
    assert_eq!(a.score.to_bits(), b.score.to_bits());
    assert_eq!(a.confidence.to_bits(), b.confidence.to_bits());
}

#[test]
fn random_profiles_stay_in_bounds() {
    let actions = ["get", "list", "delete", "SetIamPolicy", "CreateKey"];
    let nets = [HOME, OFFICE, EVIL, "2001:db8:1::/48", "iam.amazonaws.com"];
    let agents = [BROWSER, GCLOUD, "curl/8.5.0", "aws-cli/2.15"];
    let outcomes = [Outcome::Success, Outcome::Failure, Outcome::Denied];
    let mut rng = Lcg(42);
    let random_profile = |rng: &mut Lcg, start: i64, span: u64| {
        let mut p = Profile::default();
        for _ in 0..rng.below(12) {
            let kind = (
                actions[rng.below(5) as usize],
                "svc",
                nets[rng.below(5) as usize],
                agents[rng.below(4) as usize],
                outcomes[rng.below(3) as usize],
                0,
            );
            let count = match rng.below(4) {
                0 => 1,
                1 => rng.below(20),
                2 => rng.below(1000),
                _ => rng.below(1 << 40),
            };
            add(&mut p, start + rng.below(span) as i64, &kind, count);
        }
        p
    };
    let config = ScoringConfig::default();
    for _ in 0..500 {
        let base = random_profile(&mut rng, DAY, 24);
        let window = random_profile(&mut rng, DAY + 24, 1);
        let s = score(&window, &base, &config);
        check_bounds(&s);
        assert_eq!(s, score(&window, &base, &config));
    }
}

#[test]
fn novel_values_are_the_strongest_categorical_signal() {
    let config = ScoringConfig::default();
    let kind = |network, count| ("get", "storage", network, BROWSER, Outcome::Success, count);
    // 480 events from HOME, one from OFFICE.
    let mut base = profile(DAY..DAY + 24, &[kind(HOME, 20)]);
    add(&mut base, DAY + 12, &kind(OFFICE, 1), 1);
    let network_score = |network| {
        let s = score(&profile([DAY + 24], &[kind(network, 5)]), &base, &config);
        contribution(&s, "network").map_or(0.0, |c| c.score)
    };
    let (home, office, evil) = (
        network_score(HOME),
        network_score(OFFICE),
        network_score(EVIL),
    );
    assert_eq!(home, 0.0);
    assert!(office > 0.3, "{office}");
    assert!(evil > office, "{evil} {office}");
}

#[test]
fn serde_round_trip_and_partial_config() {
    let kind = (
        "SetIamPolicy",
        "iam",
        EVIL,
        "curl/8.5.0",
        Outcome::Denied,
        9,
    );
    let s = score(
        &profile([DAY + 34], &[kind]),
        &human_baseline(),
        &ScoringConfig::default(),
    );
    let json = serde_json::to_string(&s).unwrap();
    let back: Score = serde_json::from_str(&json).unwrap();
    // serde_json parses floats to within an ulp unless its float_roundtrip feature is on.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12;
    assert!(close(back.score, s.score) && close(back.confidence, s.confidence));
    assert_eq!(back.explanation.len(), s.explanation.len());
    for (a, b) in back.explanation.iter().zip(&s.explanation) {
        assert_eq!(
            (&a.feature, &a.observed, &a.expected),
            (&b.feature, &b.observed, &b.expected)
        );
        assert!(close(a.score, b.score));
    }
    let config: ScoringConfig =
        serde_json::from_str(r#"{"window_secs": 600, "weights": {"network": 1.0}}"#).unwrap();
    assert_eq!(config.window_secs, 600);
    assert_eq!(config.weights.network, 1.0);
    assert_eq!(config.weights.action, FeatureWeights::default().action);
    assert_eq!(config.baseline_secs, 86_400);
}

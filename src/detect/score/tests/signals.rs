//! Scores of rate, ratio and time-of-day signals: bursts, failures, hours.

use super::*;

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

//! Cold start: a principal with little history borrows its peer group's baseline.

use super::*;
use crate::detect::peer::PeerBaseline;

/// A group of `members` humans like [`human`], over yesterday's working hours.
fn group(members: u64) -> PeerBaseline {
    let kinds = human();
    let events = (DAY + 9..DAY + 18).flat_map(|hour| {
        kinds
            .iter()
            .map(move |k| ((hour, k.0, k.1, k.4), k.5 * members))
    });
    PeerBaseline::fold("user:example.com", events.collect::<Vec<_>>())
}

#[test]
fn a_new_principal_is_judged_by_its_group() {
    let config = ScoringConfig::default();
    let peers = group(5);
    let none = Profile::default();
    let hour = DAY + 24 + 10;
    let routine = profile([hour], &[human()[0]]);
    let grant = profile(
        [hour],
        &[(
            "google.iam.admin.v1.CreateRole",
            "iam",
            HOME,
            BROWSER,
            Outcome::Success,
            3,
        )],
    );
    // Alone, a principal without history cannot be judged at all.
    assert_eq!(score(&grant, &none, &config).confidence, 0.0);
    let r = score_with_peers(&routine, &none, Some(&peers), &config);
    let g = score_with_peers(&grant, &none, Some(&peers), &config);
    assert!(r.score < 0.3, "the group's routine: {r:?}");
    assert!(g.score >= 0.7, "what nobody in the group does: {g:?}");
    assert!(g.confidence >= 0.5, "judged on the group's evidence: {g:?}");
    assert!(g.confidence <= config.peer_confidence);
    let top = &g.explanation[0];
    assert!(
        top.expected.starts_with("peers user:example.com: "),
        "{top:?}"
    );
}

#[test]
fn borrowing_fades_as_the_own_baseline_grows_and_spares_personal_features() {
    let config = ScoringConfig::default();
    let peers = group(5);
    let hour = DAY + 24 + 10;
    // From `cold_start_events` own baseline events on, the group is not consulted.
    let own = profile(
        [DAY + 9],
        &[(
            "storage.objects.get",
            "storage",
            HOME,
            BROWSER,
            Outcome::Success,
            20,
        )],
    );
    let window = profile(
        [hour],
        &[(
            "compute.instances.list",
            "compute",
            EVIL,
            GCLOUD,
            Outcome::Success,
            4,
        )],
    );
    assert_eq!(
        score_with_peers(&window, &own, Some(&peers), &config),
        score(&window, &own, &config)
    );
    // Below it, the group speaks for the action and the service, never for the network,
    // which weighs what the principal's own short history says.
    let short = profile(
        [DAY + 9],
        &[(
            "storage.objects.get",
            "storage",
            HOME,
            BROWSER,
            Outcome::Success,
            4,
        )],
    );
    let alone = score(&window, &short, &config);
    let lent = score_with_peers(&window, &short, Some(&peers), &config);
    let at = |s: &Score, f: &str| s.features[FEATURES.iter().position(|x| *x == f).unwrap()];
    assert!(
        at(&lent, "action") < at(&alone, "action"),
        "{lent:?} {alone:?}"
    );
    assert_eq!(at(&lent, "network"), at(&alone, "network") / 2.0);
    assert!(at(&alone, "network") > 0.5);
    assert_eq!(score_with_peers(&window, &short, None, &config), alone);
}

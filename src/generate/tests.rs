//! Unit tests of the generator's planning and streams.

use super::*;

fn config(format: Format, events: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig::new(format, events, seed)
}

#[test]
fn defaults() {
    let c = GeneratorConfig::new(Format::Gcp, 1_000_000, 1);
    assert_eq!(
        (c.days, c.principals, c.incidents, c.partitions),
        (3, 5000, 200, 16)
    );
    let c = GeneratorConfig::new(Format::Gcp, 100, 1);
    assert_eq!((c.principals, c.incidents), (10, 3));
}

#[test]
fn kinds_round_trip() {
    for k in AnomalyKind::ALL {
        assert_eq!(k.as_str().parse::<AnomalyKind>().unwrap(), k);
    }
    assert!("nope".parse::<AnomalyKind>().is_err());
}

#[test]
fn incidents_avoid_the_first_day() {
    for format in [Format::Gcp, Format::Cloudtrail] {
        let mut c = config(format, 20_000, 5);
        c.incidents = 30;
        let plan = Plan::new(&c);
        assert_eq!(plan.incidents.len(), 30);
        let clean = c.start_ns + stream::DAY * 1_000_000_000;
        for inc in &plan.incidents {
            assert!(inc.start_ns >= clean, "{inc:?}");
            let p = &plan.principals[inc.principal as usize];
            assert!(!p.admin && p.role != principal::Role::Root);
        }
    }
}

#[test]
fn off_hours_is_at_night_locally() {
    let mut c = config(Format::Gcp, 20_000, 9);
    c.incidents = 12;
    let plan = Plan::new(&c);
    for inc in plan
        .incidents
        .iter()
        .filter(|i| i.kind == AnomalyKind::OffHoursKeyCreation)
    {
        let p = &plan.principals[inc.principal as usize];
        assert!(p.is_human());
        let specs = plan.stream(inc.principal);
        for s in specs.iter().filter(|s| s.incident == inc.id) {
            let local_min =
                ((s.time_ns / 1_000_000_000 / 60) + p.tz_offset_min as i64).rem_euclid(1440);
            assert!((120..240).contains(&local_min), "{local_min}");
        }
    }
}

#[test]
fn one_day_uses_its_second_half() {
    let mut c = config(Format::Cloudtrail, 5_000, 3);
    c.days = 1;
    c.incidents = 6;
    let plan = Plan::new(&c);
    assert_eq!(plan.incidents.len(), 6);
    for inc in &plan.incidents {
        assert!(inc.start_ns >= c.start_ns + 43_200 * 1_000_000_000);
    }
}

#[test]
fn tiny_runs_work() {
    for events in [0, 1, 5, 37] {
        let c = config(Format::Gcp, events, 1);
        assert_eq!(all(&c).count() as u64, events);
    }
}

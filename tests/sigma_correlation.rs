//! Sigma correlation rules (event_count, value_count, temporal) in the dataflow equal a
//! plain sequential evaluation of the same windows, at 1, 2 and 4 workers.

mod common;

use auditflow::generate::GeneratorConfig;
use auditflow::parse::{parse_record, read_records, Format};
use auditflow::sigma::correlate::alert;
use auditflow::sigma::{CorrelationHit, RuleAlert, RuleSet};
use auditflow::source::ingest::stamp;
use auditflow::spec::{SourceKind, Spec};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const RULES: &[(&str, &str)] = &[
    (
        "denied.yml",
        "title: Denied AWS call\nname: aws_denied\nid: 8b7c5d1e-0000-4000-8000-000000000001\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  selection: {errorCode: AccessDenied}\n  condition: selection\nlevel: low\n",
    ),
    (
        "iam_change.yml",
        "title: IAM user change\nname: iam_user_change\nid: 8b7c5d1e-0000-4000-8000-000000000002\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  create: {eventName: CreateUser}\n  attach: {eventName: AttachUserPolicy}\n  condition: create or attach\nlevel: medium\n",
    ),
    (
        "create_user.yml",
        "title: IAM user created\nname: create_user\nid: 8b7c5d1e-0000-4000-8000-000000000003\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  selection: {eventName: CreateUser}\n  condition: selection\n",
    ),
    (
        "burst.yml",
        "title: Burst of denied calls\nid: 8b7c5d1e-0000-4000-8000-000000000010\ncorrelation:\n  type: event_count\n  rules: [aws_denied]\n  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {gte: 4}\nlevel: high\ntags: [attack.discovery]\n",
    ),
    (
        "many_calls.yml",
        "title: Denied calls to many APIs\nid: 8b7c5d1e-0000-4000-8000-000000000011\ncorrelation:\n  type: value_count\n  rules: [aws_denied]\n  group-by: [userIdentity.arn]\n  timespan: 30m\n  condition: {field: eventName, gte: 3}\nlevel: high\n",
    ),
    (
        "create_then_change.yml",
        "title: User created and changed\nid: 8b7c5d1e-0000-4000-8000-000000000012\ncorrelation:\n  type: temporal\n  rules: [create_user, iam_user_change]\n  group-by: [userIdentity.arn]\n  timespan: 1h\n  generate: true\nlevel: high\n",
    ),
];

fn write_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for (name, text) in RULES {
        std::fs::write(rules.join(name), text).unwrap();
    }
    rules
}

/// (correlation, family, group-by values).
type GroupKey = (usize, auditflow::event::SourceFamily, Vec<String>);

/// The plain evaluation: per correlation and group, the stamped hits; at every time the
/// window changes, the condition; an alert when it turns true.
fn reference(rules: &RuleSet, input: &Path, granule: u64) -> Vec<RuleAlert> {
    let mut hits: BTreeMap<GroupKey, Vec<(u64, String)>> = BTreeMap::new();
    let mut alerts = Vec::new();
    let origin: Arc<str> = input.to_string_lossy().as_ref().into();
    read_records(
        std::fs::File::open(input).unwrap(),
        origin,
        1 << 20,
        &mut |pos, raw| {
            let raw = raw.unwrap();
            let event = parse_record(Format::Cloudtrail, raw, &pos).unwrap();
            let (own, contributed) = rules.matches(&event, raw);
            alerts.extend(own);
            for CorrelationHit {
                correlation,
                family,
                group,
                value,
            } in contributed
            {
                let time = stamp(event.time_ns, granule);
                hits.entry((correlation, family, group))
                    .or_default()
                    .push((time, value));
            }
        },
    );
    for ((index, family, group), entries) in hits {
        let c = &rules.correlations()[index];
        let w = c.timespan_secs;
        let times: BTreeSet<u64> = entries.iter().flat_map(|(t, _)| [*t, t + w]).collect();
        let mut was = false;
        for t in times {
            let live: Vec<&String> = entries
                .iter()
                .filter(|(s, _)| *s <= t && t < s + w)
                .map(|(_, v)| v)
                .collect();
            let count = match c.kind {
                auditflow::sigma::correlation::CorrelationKind::EventCount => live.len(),
                _ => live.iter().collect::<BTreeSet<_>>().len(),
            } as u64;
            let now = !live.is_empty() && c.threshold.holds(count);
            if now && !was {
                alerts.push(alert(c, family, &group, t));
            }
            was = now;
        }
    }
    alerts.sort();
    alerts
}

#[test]
fn correlations_equal_a_sequential_evaluation_at_any_worker_count() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = write_rules(dir.path());
    let input = dir.path().join("cloudtrail.jsonl");
    let mut config = GeneratorConfig::new(Format::Cloudtrail, 20_000, 5);
    config.days = 2;
    auditflow::generate::write_files(&config, &input, None).unwrap();
    let rules = RuleSet::load(std::slice::from_ref(&rules_dir)).unwrap();
    assert_eq!(rules.correlations().len(), 3);
    let mut spec = Spec::default();
    spec.source.kind = SourceKind::Files;
    spec.source.format = Format::Cloudtrail;
    spec.source.paths = vec![input.to_string_lossy().into_owned()];
    // Generous lateness: every event counts, as in the reference.
    spec.time.lateness = "1d".into();
    // Every match on its own: merging repeats is tests/alert_lifecycle.rs.
    spec.alerts.cooldown = "0s".into();
    spec.rules.sigma = vec![rules_dir.to_string_lossy().into_owned()];
    let granule = spec.time.windows().unwrap().slide;
    let expected = reference(&rules, &input, granule);
    let by_rule = |alerts: &[RuleAlert]| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for a in alerts {
            *m.entry(a.rule_title.clone()).or_default() += 1;
        }
        m
    };
    let counts = by_rule(&expected);
    for title in [
        "Burst of denied calls",
        "Denied calls to many APIs",
        "User created and changed",
    ] {
        assert!(
            counts.get(title).copied().unwrap_or(0) > 0,
            "{title} never fires: {counts:?}"
        );
    }
    // Base rules used by a correlation alert alone only with `generate: true`.
    assert!(!counts.contains_key("Denied AWS call"));
    assert!(counts.contains_key("IAM user created"));
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let report = common::on_cluster(processes, workers, |execution| {
            common::run_collected(&spec, execution)
        })
        .unwrap();
        let mut got = report.rule_alerts.clone();
        got.sort();
        assert_eq!(got, expected, "{processes}x{workers}");
    }
}

#[test]
fn a_correlation_naming_a_missing_rule_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("c.yml"), RULES[3].1).unwrap();
    let report = auditflow::sigma::CheckReport::check(&[rules]).unwrap();
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].reason.to_string().contains("aws_denied"));
}

//! Alert lifecycle end to end: repeated rule alerts for one principal and rule within the
//! cooldown are one alert with a count, emitted as revisions under the first repeat's id;
//! the result equals a plain sequential merge and is byte-identical at 1, 2 and 4 workers
//! and across 2 processes.
//!
//! Input: the Stratus Red Team detonations (`../shared/data/cloudtrail/stratus-red-team`)
//! and GCP service-account key creations adapted from `tests/data/sigma/gcp_privileged.jsonl`
//! (itself adapted from `../shared/data/gcp`), repeated at chosen times.

mod common;

use auditflow::parse::{parse_record, read_records, Format};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
use auditflow::sigma::{RuleAlert, RuleSet};
use auditflow::sink::Target;
use auditflow::source::ingest::stamp;
use auditflow::spec::Spec;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const COOLDOWN_SECS: u64 = 600;
const GRANULE_SECS: u64 = 60;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Service-account key creations: five by `burst@` within one minute, one more two minutes
/// later (a revision), one 30 minutes later (a new alert); one by `other@`.
fn write_key_creations(path: &Path) {
    let template = std::fs::read_to_string(repo("tests/data/sigma/gcp_privileged.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("\"sigma-key-4\""))
        .unwrap()
        .to_string();
    let creations = [
        ("burst@example.com", "15:03:00"),
        ("burst@example.com", "15:03:10"),
        ("burst@example.com", "15:03:20"),
        ("burst@example.com", "15:03:30"),
        ("burst@example.com", "15:03:40"),
        ("burst@example.com", "15:05:05"),
        ("burst@example.com", "15:35:00"),
        ("other@example.com", "15:03:15"),
    ];
    let lines: Vec<String> = creations
        .iter()
        .enumerate()
        .map(|(i, (who, time))| {
            template
                .replace("dkhanas@gmail.com", who)
                .replace("\"sigma-key-4\"", &format!("\"key-{i}\""))
                .replace("2019-05-21T15:03:00Z", &format!("2019-05-21T{time}Z"))
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The raw rule alerts with their granule, by sequential evaluation of every record.
fn raw_alerts(rules: &RuleSet, inputs: &[PathBuf]) -> Vec<(u64, RuleAlert)> {
    let mut alerts = Vec::new();
    for input in inputs {
        let mut files: Vec<PathBuf> = if input.is_dir() {
            std::fs::read_dir(input)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect()
        } else {
            vec![input.clone()]
        };
        files.sort();
        for file in files {
            let origin: Arc<str> = file.display().to_string().into();
            let reader = std::fs::File::open(&file).unwrap();
            read_records(reader, origin, 1 << 20, &mut |position, record| {
                let Ok(raw) = record else { return };
                if let Ok(event) = parse_record(Format::Auto, raw, &position) {
                    alerts.extend(rules.alerts(&event, raw));
                }
            });
        }
    }
    alerts
        .into_iter()
        .map(|a| {
            let ns = auditflow::event::time::parse_rfc3339_ns(&a.time).unwrap();
            (stamp(ns, GRANULE_SECS), a)
        })
        .collect()
}

/// What each merged alert ends as, by a plain merge: per (principal, rule), repeats in time
/// order join the current alert while within the cooldown of the previous one; the alert
/// keeps the first repeat's id and has one revision per granule with repeats.
/// `(id, principal, rule id, count, first time, last time, last revision)`.
type Final = (String, String, String, u32, String, String, u32);

fn reference(mut raw: Vec<(u64, RuleAlert)>) -> Vec<Final> {
    raw.sort();
    let mut groups: BTreeMap<(String, String), Vec<(u64, RuleAlert)>> = BTreeMap::new();
    for (granule, alert) in raw {
        let key = (alert.principal.clone(), alert.rule_id.clone());
        groups.entry(key).or_default().push((granule, alert));
    }
    let mut finals = Vec::new();
    for ((principal, rule), repeats) in groups {
        let mut runs: Vec<Vec<(u64, RuleAlert)>> = Vec::new();
        for (granule, alert) in repeats {
            match runs.last_mut() {
                Some(run) if run.last().unwrap().0 + COOLDOWN_SECS >= granule => {
                    run.push((granule, alert))
                }
                _ => runs.push(vec![(granule, alert)]),
            }
        }
        for run in runs {
            let mut granules: Vec<u64> = run.iter().map(|(g, _)| *g).collect();
            granules.dedup();
            let (first, last) = (&run[0].1, &run[run.len() - 1].1);
            finals.push((
                first.id.clone(),
                principal.clone(),
                rule.clone(),
                run.len() as u32,
                first.time.clone(),
                last.time.clone(),
                granules.len() as u32 - 1,
            ));
        }
    }
    finals.sort();
    finals
}

/// The last revision of every alert id in the dataflow's output.
fn finals(alerts: &[RuleAlert]) -> Vec<Final> {
    let mut last: BTreeMap<String, &RuleAlert> = BTreeMap::new();
    for a in alerts {
        let seen = last.entry(a.id.clone()).or_insert(a);
        assert!(a.revision >= seen.revision, "revisions out of order: {a:?}");
        *seen = a;
    }
    let mut out: Vec<Final> = last
        .into_values()
        .map(|a| {
            (
                a.id.clone(),
                a.principal.clone(),
                a.rule_id.clone(),
                a.count,
                a.first_time.clone(),
                a.last_time.clone(),
                a.revision,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn repeated_rule_alerts_merge_like_a_sequential_reference_at_any_shape() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.jsonl");
    write_key_creations(&keys);
    let inputs = vec![repo("../shared/data/cloudtrail/stratus-red-team"), keys];
    let rules = RuleSet::load(&[repo("dataflows/rules")]).unwrap();
    let expected = reference(raw_alerts(&rules, &inputs));
    // The burst is one alert: 5 repeats in the first minute, then a revision with 6.
    let burst: Vec<&Final> = expected
        .iter()
        .filter(|f| f.1 == "burst@example.com")
        .collect();
    assert_eq!(burst.len(), 2, "{burst:?}");
    assert!(burst.iter().any(|f| f.3 == 6 && f.6 == 1), "{burst:?}");
    assert!(burst.iter().any(|f| f.3 == 1 && f.6 == 0), "{burst:?}");

    let mut spec = Spec::default();
    spec.source.paths = inputs.iter().map(|p| p.display().to_string()).collect();
    spec.source.format = Format::Auto;
    spec.time.lateness = "3650d".into();
    spec.rules.sigma = vec![repo("dataflows/rules").display().to_string()];
    spec.alerts.cooldown = format!("{COOLDOWN_SECS}s");
    let mut first_output = None;
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let out = dir
            .path()
            .join(format!("alerts{processes}x{workers}.jsonl"));
        common::on_cluster(processes, workers, |execution| {
            run_pipeline(RunOptions {
                input: plan_source(&spec.source).unwrap(),
                spec: spec.clone(),
                alerts: Some(Target::File(out.clone())),
                alert_style: AlertStyle::Json,
                scores: None,
                dead_letter: Target::File(dir.path().join("dead.jsonl")),
                late: None,
                collect: false,
                execution,
            })
            .unwrap()
        });
        let text = std::fs::read_to_string(&out).unwrap();
        let emitted: Vec<RuleAlert> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["detector"] == "sigma")
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        assert_eq!(finals(&emitted), expected, "{processes}x{workers}");
        match &first_output {
            None => first_output = Some(text),
            Some(f) => assert!(f == &text, "output differs at {processes}x{workers}"),
        }
    }
}

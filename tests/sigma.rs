//! Sigma rules end to end: every SigmaHQ rule under `../shared/data/sigma/rules` loads or
//! its exclusion is explained; `auditflow sigma check --json`; rule alerts from the dataflow
//! equal a plain sequential evaluation at 1, 2 and 4 workers; the shipped rules under
//! `dataflows/rules` fire on the privileged-access records of the shared data.

use auditflow::parse::{parse_record, read_records, Format};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
use auditflow::pipeline::Execution;
use auditflow::sigma::{CheckReport, RuleAlert, RuleSet};
use auditflow::sink::Target;
use auditflow::source::ingest::stamp;
use auditflow::spec::Spec;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The inputs: real CloudTrail and GCP records, and fixtures adapted from them.
fn inputs() -> Vec<PathBuf> {
    vec![
        repo("../shared/data/cloudtrail/stratus-red-team"),
        repo("../shared/data/gcp/cloud-custodian"),
        repo("tests/data/sigma/cloudtrail_privileged.jsonl"),
        repo("tests/data/sigma/gcp_privileged.jsonl"),
    ]
}

fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
                .collect();
            entries.sort();
            out.extend(entries);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Rule alerts by plain sequential evaluation: each record parsed and every rule evaluated,
/// in the dataflow sink's order (event-time granule, then alert).
fn reference(rules: &RuleSet, granule: u64) -> Vec<RuleAlert> {
    let mut alerts = Vec::new();
    for file in files(&inputs()) {
        let reader = std::fs::File::open(&file).unwrap();
        let origin: Arc<str> = file.display().to_string().into();
        read_records(reader, origin, 1 << 20, &mut |position, record| {
            let Ok(raw) = record else { return };
            if let Ok(event) = parse_record(Format::Auto, raw, &position) {
                alerts.extend(rules.alerts(&event, raw));
            }
        });
    }
    let mut keyed: Vec<(u64, RuleAlert)> = alerts
        .into_iter()
        .map(|mut a| {
            a.position.clear();
            let ns = auditflow::event::time::parse_rfc3339_ns(&a.time).unwrap();
            (stamp(ns, granule), a)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, a)| a).collect()
}

fn spec() -> Spec {
    let mut spec = Spec::default();
    spec.source.paths = inputs().iter().map(|p| p.display().to_string()).collect();
    spec.source.format = Format::Auto;
    // Every record on time, so the reference needs no lateness model.
    spec.time.lateness = "3650d".into();
    // Every match on its own: merging repeats is tests/alert_lifecycle.rs.
    spec.alerts.cooldown = "0s".into();
    spec.rules.sigma = vec![repo("dataflows/rules").display().to_string()];
    spec
}

#[test]
fn dataflow_rule_alerts_equal_a_sequential_evaluation_at_any_worker_count() {
    let rules = RuleSet::load(&[repo("dataflows/rules")]).unwrap();
    let expected = reference(&rules, 60);
    assert!(expected.len() >= 10, "{} alerts", expected.len());
    let dir = tempfile::tempdir().unwrap();
    let mut first = None;
    for workers in [1, 2, 4] {
        let spec = spec();
        let alerts = dir.path().join(format!("alerts{workers}.jsonl"));
        let report = run_pipeline(RunOptions {
            input: plan_source(&spec.source).unwrap(),
            spec,
            alerts: Some(Target::File(alerts.clone())),
            alert_style: AlertStyle::Json,
            scores: None,
            dead_letter: Target::File(dir.path().join("dead.jsonl")),
            late: None,
            collect: true,
            execution: Execution::threads(workers),
        })
        .unwrap();
        let s = &report.summary;
        assert_eq!(s.records, s.processed + s.dead_lettered + s.late);
        assert_eq!(s.late, 0);
        let got: Vec<RuleAlert> = report
            .rule_alerts
            .iter()
            .cloned()
            .map(|mut a| {
                a.position.clear();
                a
            })
            .collect();
        assert_eq!(got, expected, "rule alerts at {workers} workers");
        let bytes = std::fs::read(&alerts).unwrap();
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(f == &bytes, "alert output differs at {workers} workers"),
        }
    }
}

#[test]
fn shipped_rules_fire_on_the_privileged_access_records() {
    let rules = RuleSet::load(&[repo("dataflows/rules")]).unwrap();
    let fired: BTreeSet<(String, String)> = reference(&rules, 60)
        .into_iter()
        .map(|a| (a.rule_title, a.event_id))
        .collect();
    let title = |id: &str| {
        rules
            .rules()
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .title
            .clone()
    };
    let (admin, trail, key, root) = (
        title("3f6c1a52-8d0e-4b7a-9f21-5c2e7d9a4b10"),
        title("c1e7a9b4-2f5d-4c8e-a6b3-9d0f1e2a3b47"),
        title("9a0b3c5d-7e1f-4a2b-8c6d-4e5f0a1b2c69"),
        title("6b8c0d2e-4f5a-4b7c-9d1e-3f2a4b6c8d92"),
    );
    let (owner, sink, sa_key) = (
        title("8b2d4e61-0c3f-4a9e-b7d5-1e6f2a8c9d30"),
        title("5d9e2b70-6a1c-4f3e-8b4d-7c0a9e1f2d58"),
        title("2e4f6a8b-0c1d-4e3f-9a5b-6c7d8e9f0a71"),
    );
    let by_rule = |t: &str| -> usize { fired.iter().filter(|(r, _)| r == t).count() };
    // Stratus Red Team: AttachUserPolicy + AttachRolePolicy, and the inline "Action":"*".
    assert_eq!(by_rule(&admin), 3, "{fired:?}");
    assert!(fired.contains(&(admin.clone(), "sigma-inline-star-2".into())));
    assert!(!fired.iter().any(|(_, e)| e == "sigma-inline-narrow-3"));
    // StopLogging, DeleteTrail, PutEventSelectors.
    assert_eq!(by_rule(&trail), 3, "{fired:?}");
    assert_eq!(by_rule(&key), 2, "{fired:?}");
    assert_eq!(by_rule(&root), 1, "{fired:?}");
    assert!(fired.contains(&(owner.clone(), "sigma-owner-1".into())));
    assert!(!fired.iter().any(|(_, e)| e == "sigma-viewer-2"));
    // The fixture's DeleteSink and the real CreateExclusion record.
    assert_eq!(by_rule(&sink), 2, "{fired:?}");
    assert!(fired.contains(&(sa_key, "sigma-key-4".into())));
}

#[test]
fn every_sigmahq_rule_loads_or_its_exclusion_is_explained() {
    let report = CheckReport::check(&[repo("../shared/data/sigma/rules")]).unwrap();
    assert!(report.loaded.len() >= 120, "{} loaded", report.loaded.len());
    for failed in &report.failed {
        let reason = failed.reason.to_string();
        assert!(
            reason.contains("google_workspace") && reason.contains("not a format AuditFlow reads"),
            "{}: {reason}",
            failed.path.display()
        );
    }
}

#[test]
fn sigma_check_json_lists_loaded_and_failed_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("dataflows/rules/aws_root_console_login.yml"),
        dir.path().join("good.yml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {a|nosuch: x}\n  condition: sel\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["sigma", "check", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["loaded"], 1);
    let failed = json["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["path"].as_str().unwrap().ends_with("bad.yaml"));
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("nosuch") && reason.contains("sel"),
        "{reason}"
    );
    // A run refuses a rule set that does not load, naming the rule.
    let out = Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["run", "--input", "-", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml"));
}

#[test]
fn sigmahq_auditd_rules_run_on_grouped_auditd_events() {
    let dir = tempfile::tempdir().unwrap();
    let alerts_of = |log: &str| -> Vec<String> {
        let alerts = dir.path().join("alerts.jsonl");
        let status = Command::new(env!("CARGO_BIN_EXE_auditflow"))
            .args(["run", "--format", "auditd", "--rules"])
            .arg(repo("../shared/data/sigma/rules/linux/auditd"))
            .arg("--input")
            .arg(repo(&format!("../shared/data/auditd/otrf/{log}")))
            .arg("--alerts")
            .arg(&alerts)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(&alerts)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|a| a["detector"] == "sigma")
            .map(|a| a["rule_title"].as_str().unwrap().to_string())
            .collect()
    };
    // OTRF's `dd if=/dev/zero` detonation: the EXECVE record of the event matches.
    assert_eq!(
        alerts_of("sh_binary_padding_dd_2020-11-10081941.log"),
        ["Overwriting the File with Dev Zero or Null"]
    );
    // `arp -a` matches no SigmaHQ auditd rule.
    assert!(alerts_of("sh_arp_cache_2020-11-10074812.log").is_empty());
}

#[test]
fn builtin_rules_are_the_files_under_dataflows_rules() {
    use auditflow::sigma::shipped::{BUILTIN_PRIVILEGED, SHIPPED_RULES};
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(repo("dataflows/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    on_disk.sort();
    let built_in: Vec<(String, String)> = SHIPPED_RULES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(built_in, on_disk, "regenerate src/sigma/shipped.rs");
    let rules = RuleSet::load(&[PathBuf::from(BUILTIN_PRIVILEGED)]).unwrap();
    assert_eq!(rules.rules().len(), on_disk.len());
}

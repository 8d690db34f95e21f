//! Rule reload without a restart: `auditflow run --follow --rules DIR` on a growing
//! CloudTrail file. A rule file added (and SIGHUP sent) matches the records appended after
//! it and not the earlier ones; a rule file broken by an edit is reported and its previous
//! version keeps matching. The records are the Stratus Red Team cloudtrail-stop detonation
//! (`../shared/data/cloudtrail/stratus-red-team`) with new names, ids and times.

mod common;

use common::reload::{append, records, rule};
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn added_and_broken_rule_files_apply_from_the_next_granule_and_keep_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let stop_rule = rules.join("stop.yml");
    std::fs::write(&stop_rule, rule("reload-stop", "StopLogging")).unwrap();
    let spec = dir.path().join("spec.toml");
    // Every match its own alert, so each event id shows.
    std::fs::write(&spec, "[alerts]\ncooldown = \"0s\"\n").unwrap();
    let log = dir.path().join("trail.jsonl");
    let alerts = dir.path().join("alerts.jsonl");
    // The clock records move the watermark (event time minus the 1m lateness) past the
    // records before them, so those are evaluated before the next step.
    append(
        &log,
        &records(&[
            ("s1", "StopLogging", 0),
            ("d1", "DeleteTrail", 30),
            ("c1", "GetCallerIdentity", 600),
        ]),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .arg("run")
        .arg(&spec)
        .args([
            "--follow",
            "--follow-idle-exit",
            "4",
            "--format",
            "cloudtrail",
            "-w",
            "2",
        ])
        .arg("--input")
        .arg(&log)
        .arg("--rules")
        .arg(&rules)
        .arg("--alerts")
        .arg(&alerts)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Time to start, install the SIGHUP handler and evaluate the first records (a loaded
    // machine included): a reload seen earlier would apply to them too.
    std::thread::sleep(Duration::from_millis(3000));
    // A new rule file, announced by SIGHUP.
    std::fs::write(
        rules.join("delete.yml"),
        rule("reload-delete", "DeleteTrail"),
    )
    .unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    std::thread::sleep(Duration::from_millis(1000));
    append(
        &log,
        &records(&[
            ("s2", "StopLogging", 1200),
            ("d2", "DeleteTrail", 1260),
            ("c2", "GetCallerIdentity", 2400),
        ]),
    );
    std::thread::sleep(Duration::from_millis(1000));
    // An edit that breaks the first rule: found by the file watch, reported, and the
    // previous version kept.
    std::fs::write(&stop_rule, "title: [broken").unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    append(
        &log,
        &records(&[
            ("s3", "StopLogging", 3000),
            ("d3", "DeleteTrail", 3060),
            ("c3", "GetCallerIdentity", 4200),
        ]),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "follow run did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("stop.yml") && stderr.contains("keeping its previous version"),
        "{stderr}"
    );
    let fired: BTreeSet<(String, String)> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["detector"] == "sigma")
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap().to_string();
            (field("rule_id"), field("event_id"))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("reload-stop", "s1"),
        ("reload-stop", "s2"),
        ("reload-stop", "s3"),
        ("reload-delete", "d2"),
        ("reload-delete", "d3"),
    ]
    .into_iter()
    .map(|(r, e)| (r.to_string(), e.to_string()))
    .collect();
    assert_eq!(fired, expected, "{stderr}");
}

//! `kill -HUP` on `auditflow cluster` reloads the rules of every process: the launcher
//! forwards SIGHUP to its children and keeps running. The rule file is edited without
//! changing its size or modification time, so only SIGHUP (not the file poll) can notice,
//! and each process follows its own CloudTrail file, so the new rule matching both files'
//! later records shows the reload applied in both processes.

mod common;

use common::reload::{append, records, rule};
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sighup_to_the_launcher_reloads_rules_in_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rule_file = rules.join("hup.yml");
    std::fs::write(&rule_file, rule("hup", "StopLogging")).unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, "[alerts]\ncooldown = \"0s\"\n").unwrap();
    let logs = [dir.path().join("a.jsonl"), dir.path().join("b.jsonl")];
    // Each file's clock record (GetCallerIdentity) moves the watermark past the records
    // before it, so those are matched before the reload.
    let batch = |file: &str, n: u64, at: u64| {
        let ids = ["s", "d", "c"].map(|kind| format!("{file}-{kind}{n}"));
        records(&[
            (&ids[0], "StopLogging", at),
            (&ids[1], "DeleteTrail", at + 30),
            (&ids[2], "GetCallerIdentity", at + 600),
        ])
    };
    for (log, file) in logs.iter().zip(["a", "b"]) {
        append(log, &batch(file, 1, 0));
    }
    let alerts = dir.path().join("alerts.jsonl");
    let launcher = common::auditflow()
        .args(["cluster", "--processes", "2", "--workers", "1", "--", "run"])
        .arg(&spec)
        .args([
            "--follow",
            "--follow-idle-exit",
            "5",
            "--format",
            "cloudtrail",
        ])
        .arg("--input")
        .args(&logs)
        .arg("--rules")
        .arg(&rules)
        .arg("--alerts")
        .arg(&alerts)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Time to connect, install the handlers and match the first records.
    std::thread::sleep(Duration::from_millis(3000));
    // Same size (both names have 11 letters) and the old modification time: the poll
    // sees no change.
    let modified = std::fs::metadata(&rule_file).unwrap().modified().unwrap();
    std::fs::write(&rule_file, rule("hup", "DeleteTrail")).unwrap();
    let file = std::fs::File::options()
        .write(true)
        .open(&rule_file)
        .unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let hup = Command::new("kill")
        .args(["-HUP", &launcher.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    std::thread::sleep(Duration::from_millis(1000));
    for (log, file) in logs.iter().zip(["a", "b"]) {
        append(log, &batch(file, 2, 1200));
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut launcher = launcher;
    while launcher.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the cluster did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = launcher.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(
        stderr.contains("[p0] rule reload: 1 detection rules in effect"),
        "{stderr}"
    );
    let fired: BTreeSet<String> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["detector"] == "sigma" && a["rule_id"] == "hup")
        .map(|a| a["event_id"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = ["a-s1", "b-s1", "a-d2", "b-d2"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(fired, expected, "{stderr}");
}

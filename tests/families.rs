//! The auditd, Confluent Cloud and AWS WAF families end to end: the fixtures under
//! `tests/data/families` through `auditflow parse`, `run` and `features`, alone and mixed in
//! one file under `--format auto`. Malformed records become dead letters with their
//! position, and records read = processed + dead-lettered + late.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/families")
        .join(name)
}

fn auditflow(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (family, fixture, records, processed, dead letters with their lines)
const CASES: [(&str, &str, u64, u64, &[u64]); 3] = [
    ("auditd", "audit.log", 10, 9, &[15]),
    ("confluent", "confluent.jsonl", 10, 8, &[9, 10]),
    ("waf", "waf.jsonl", 6, 4, &[5, 6]),
];

#[test]
fn each_family_runs_end_to_end_with_accounting() {
    let dir = tempfile::tempdir().unwrap();
    for (format, file, records, processed, dead_lines) in CASES {
        let input = fixture(file);
        let dead = dir.path().join(format!("{format}.dead"));
        let scores = dir.path().join(format!("{format}.scores"));
        let out = auditflow(&[
            "run",
            "--input",
            input.to_str().unwrap(),
            "--format",
            format,
            "--scores",
            scores.to_str().unwrap(),
            "--alerts",
            dir.path().join("alerts").to_str().unwrap(),
            "--dead-letter",
            dead.to_str().unwrap(),
        ]);
        let summary = String::from_utf8_lossy(&out.stderr);
        let bad = dead_lines.len() as u64;
        assert_eq!(records, processed + bad, "the fixture's own accounting");
        assert!(
            summary.contains(&format!(
                "{records} read, {processed} processed, {bad} dead-lettered, 0 late"
            )),
            "{format}: {summary}"
        );
        let letters = json_lines(&std::fs::read_to_string(&dead).unwrap());
        let mut lines: Vec<u64> = letters
            .iter()
            .map(|l| l["position"]["line"].as_u64().unwrap())
            .collect();
        lines.sort();
        assert_eq!(lines, dead_lines, "{format}: {letters:?}");
        assert!(letters
            .iter()
            .all(|l| l["position"]["origin"].as_str().unwrap().ends_with(file)));
        let scored = json_lines(&std::fs::read_to_string(&scores).unwrap());
        assert!(!scored.is_empty(), "{format}: windows were scored");
    }
}

#[test]
fn parse_reads_each_family_and_auto_detects_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("mixed.log");
    let mut text = Vec::new();
    for (_, file, ..) in CASES {
        text.extend(std::fs::read(fixture(file)).unwrap());
    }
    std::fs::write(&mixed, &text).unwrap();
    let mut total = 0;
    for (format, file, records, processed, dead_lines) in CASES {
        let input = fixture(file);
        let out = auditflow(&["parse", "--format", format, input.to_str().unwrap()]);
        let events = json_lines(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(events.len() as u64, processed, "{format}");
        assert!(events.iter().all(|e| e["source"] == format), "{format}");
        let dead = json_lines(
            &String::from_utf8_lossy(&out.stderr)[..]
                .lines()
                .filter(|l| l.starts_with('{'))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        assert_eq!(dead.len(), dead_lines.len(), "{format}");
        let summary = String::from_utf8_lossy(&out.stderr);
        assert!(
            summary.contains(&format!("parsed {records} records")),
            "{summary}"
        );
        total += processed;
    }
    // One file holding all three families: each record parsed as its own family.
    let out = auditflow(&["parse", "--format", "auto", mixed.to_str().unwrap()]);
    let events = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(events.len() as u64, total);
    for (format, _, _, processed, _) in CASES {
        let n = events.iter().filter(|e| e["source"] == format).count() as u64;
        assert_eq!(n, processed, "{format} in the mixed file");
    }
}

#[test]
fn features_of_each_family() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    for (format, file, ..) in CASES {
        let input = fixture(file);
        let out = auditflow(&[
            "features",
            "--input",
            input.to_str().unwrap(),
            "--format",
            format,
            "--dead-letter",
            dead.to_str().unwrap(),
        ]);
        let csv = String::from_utf8_lossy(&out.stdout);
        assert!(csv.lines().count() > 1, "{format}: {csv}");
    }
}

#[test]
fn auditd_events_are_the_same_at_any_worker_count() {
    let input = fixture("audit.log");
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let run = |workers: &str| {
        let out = auditflow(&[
            "features",
            "--input",
            input.to_str().unwrap(),
            "--format",
            "auditd",
            "--workers",
            workers,
            "--dead-letter",
            dead.to_str().unwrap(),
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn auditd_files_are_read_whole_never_cut_into_chunks() {
    use auditflow::source::file::{plan_files, FileUnitPlan};
    let files = [fixture("audit.log"), fixture("waf.jsonl")];
    // A 64-byte chunk size would cut both files; only the JSON-lines file is cut.
    let plan = plan_files(&files, 64).unwrap();
    assert_eq!(
        plan[0],
        FileUnitPlan::Whole {
            path: files[0].clone()
        }
    );
    assert!(plan[1..]
        .iter()
        .all(|u| matches!(u, FileUnitPlan::Lines { .. })));
    assert!(plan.len() > 2);
}

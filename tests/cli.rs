//! The `auditflow` command as a user runs it: bad input becomes dead letters and the run
//! goes on; bad files, specs and flags fail with a clear message, a non-zero status and
//! nothing half-written.

use std::io::Write;
use std::process::{Command, Output};

fn auditflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(args)
        .output()
        .unwrap()
}

fn good_line(id: u32) -> String {
    format!(
        "{{\"insertId\":\"ok{id}\",\"timestamp\":\"2026-01-01T00:00:{:02}Z\",\"protoPayload\":{{\"serviceName\":\"iam.googleapis.com\",\"methodName\":\"SetIamPolicy\",\"authenticationInfo\":{{\"principalEmail\":\"a@example.com\"}},\"requestMetadata\":{{\"callerIp\":\"10.0.0.1\"}}}}}}",
        id % 60
    )
}

/// A file mixing good records with every kind of bad one.
fn write_bad_input(path: &std::path::Path) -> usize {
    let mut f = std::fs::File::create(path).unwrap();
    let bad: Vec<Vec<u8>> = vec![
        b"{\"insertId\": \"x\", \"timestamp\": ".to_vec(),
        b"{\"insertId\":\"w\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"protoPayload\":{\"methodName\":7,\"serviceName\":\"s\",\"authenticationInfo\":{\"principalEmail\":\"a@example.com\"}}}".to_vec(),
        b"{\"insertId\":\"m\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"protoPayload\":{\"methodName\":\"get\",\"serviceName\":\"s\"}}".to_vec(),
        b"{\"insertId\":\"\xff\xfe\",\"timestamp\":\"2026-01-01T00:00:00Z\"}".to_vec(),
        format!("{{\"insertId\":\"big\",\"pad\":\"{}\"}}", "x".repeat(10 << 20)).into_bytes(),
    ];
    for i in 0..20 {
        writeln!(f, "{}", good_line(i)).unwrap();
        if let Some(b) = bad.get(i as usize) {
            f.write_all(b).unwrap();
            f.write_all(b"\n").unwrap();
        }
    }
    bad.len()
}

#[test]
fn bad_records_are_dead_letters_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let bad = write_bad_input(&input);
    let dead = dir.path().join("dead.jsonl");
    let alerts = dir.path().join("alerts.jsonl");
    let out = auditflow(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--format",
        "gcp",
        "--alerts",
        alerts.to_str().unwrap(),
        "--dead-letter",
        dead.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let letters: Vec<serde_json::Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), bad);
    let reasons: Vec<&str> = letters
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    for expected in [
        "malformed JSON",
        "wrong type",
        "missing field",
        "invalid UTF-8",
        "exceeds the limit",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "no {expected:?} in {reasons:?}"
        );
    }
    assert!(letters.iter().all(|l| l["position"]["origin"]
        .as_str()
        .unwrap()
        .ends_with("in.jsonl")));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains(&format!(
            "25 read, 20 processed, {bad} dead-lettered, 0 late"
        )),
        "{summary}"
    );

    let strict = auditflow(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--format",
        "gcp",
        "--alerts",
        alerts.to_str().unwrap(),
        "--dead-letter",
        dead.to_str().unwrap(),
        "--fail-on-dead-letter",
    ]);
    assert_eq!(strict.status.code(), Some(3));
}

#[test]
fn truncated_gzip_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..200 {
        writeln!(encoder, "{}", good_line(i)).unwrap();
    }
    let gz = encoder.finish().unwrap();
    let path = dir.path().join("cut.jsonl.gz");
    std::fs::write(&path, &gz[..gz.len() * 2 / 3]).unwrap();
    let out = auditflow(&["parse", "--format", "gcp", path.to_str().unwrap()]);
    assert!(out.status.success());
    let events = String::from_utf8_lossy(&out.stdout).lines().count();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(events > 0 && events < 200, "{events}");
    assert!(stderr.contains("decompression failed"), "{stderr}");
}

#[test]
fn missing_file_bad_spec_and_bad_flag_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let out = auditflow(&[
        "run",
        "--input",
        "/nonexistent/audit.jsonl",
        "--alerts",
        alerts.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/audit.jsonl"));
    assert!(!alerts.exists(), "nothing half-written");

    let spec = dir.path().join("bad.toml");
    std::fs::write(&spec, "[time]\nwindw = \"5m\"\n").unwrap();
    let out = auditflow(&["run", spec.to_str().unwrap(), "--input", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("windw"),
        "{stderr}"
    );

    let out = auditflow(&["features", "--input", "x", "--window", "5 minutes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

#[test]
fn generate_then_features_and_parse() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gen.jsonl");
    let labels = dir.path().join("labels.tsv");
    let out = auditflow(&[
        "generate",
        "--format",
        "cloudtrail",
        "--events",
        "3000",
        "--seed",
        "4",
        "--out",
        data.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(&labels)
        .unwrap()
        .starts_with("event_id\tkind\tincident\tprincipal\ttime"));
    let parsed = auditflow(&["parse", "--format", "cloudtrail", data.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).lines().count(),
        3000
    );
    let rows = dir.path().join("rows.csv");
    let out = auditflow(&[
        "features",
        "--input",
        data.to_str().unwrap(),
        "--format",
        "cloudtrail",
        "--out",
        rows.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let csv = std::fs::read_to_string(&rows).unwrap();
    assert!(
        csv.starts_with("principal,window_start,n_events,n_methods,n_ips,n_failed,n_services\n")
    );
    let total: u64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 3000);
}

#[test]
fn special_files_are_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let is_device = || std::fs::metadata("/dev/null").is_ok_and(|m| m.file_type().is_char_device());
    let was_device = is_device();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_bad_input(&input);
    let out = auditflow(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--format",
        "gcp",
        "--dead-letter",
        "/dev/null",
        "--alerts",
        "/dev/null",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Still the device, not a regular file renamed over it (as an earlier build did).
    assert!(!was_device || is_device(), "/dev/null was replaced");
}

//! `auditflow bench`: the report accounts for every event, on one process and on two.

use serde_json::Value;
use std::process::Command;

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["bench", "--events", "3000", "--json"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON report: {text}");
    serde_json::from_str(&text).unwrap()
}

fn check(report: &Value) {
    let summary = &report["summary"];
    let records = summary["records"].as_u64().unwrap();
    assert_eq!(records, 3000);
    let processed = summary["processed"].as_u64().unwrap();
    let (late, dead) = (
        summary["late"].as_u64().unwrap(),
        summary["dead_lettered"].as_u64().unwrap(),
    );
    assert_eq!(records, processed + late + dead);
    let latency = &report["latency_ms"];
    assert_eq!(
        latency["samples"].as_u64(),
        Some(processed),
        "every event measured"
    );
    let q: Vec<f64> = ["p50", "p99", "p999", "max"]
        .iter()
        .map(|k| latency[k].as_f64().unwrap())
        .collect();
    assert!(
        q[0] > 0.0 && q.windows(2).all(|w| w[0] <= w[1]),
        "{latency}"
    );
    assert!(report["outputs"].as_u64().unwrap() > 0);
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(summary["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn bench_reports_every_event_on_one_and_two_processes() {
    let one = bench(&["--workers", "2"]);
    check(&one);
    let two = bench(&["--workers", "1", "--processes", "2"]);
    check(&two);
    assert_eq!(two["processes"].as_u64(), Some(2));
    assert!(
        two["peak_rss_bytes_all"].as_u64() > two["peak_rss_bytes"].as_u64(),
        "peak memory summed over both processes"
    );
}

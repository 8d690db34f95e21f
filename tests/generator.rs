//! Integration tests of the synthetic audit-log generator.

use auditflow::event::time::parse_rfc3339_ns;
use auditflow::generate::{self, AnomalyKind, GeneratedRecord, GeneratorConfig};
use auditflow::parse::Format;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

const FORMATS: [Format; 2] = [Format::Gcp, Format::Cloudtrail];

fn cfg(format: Format, events: u64, seed: u64) -> GeneratorConfig {
    let mut c = GeneratorConfig::new(format, events, seed);
    c.principals = 40;
    c.incidents = 12;
    c
}

fn collect(c: &GeneratorConfig) -> Vec<GeneratedRecord> {
    generate::all(c).collect()
}

fn event_id(format: Format, v: &Value) -> String {
    let key = if format == Format::Gcp {
        "insertId"
    } else {
        "eventID"
    };
    v[key].as_str().expect("event id").to_string()
}

#[test]
fn deterministic_per_seed() {
    for format in FORMATS {
        let a = collect(&cfg(format, 3000, 11));
        let b = collect(&cfg(format, 3000, 11));
        let c = collect(&cfg(format, 3000, 12));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

#[test]
fn partitions_give_the_same_records() {
    for format in FORMATS {
        let base = cfg(format, 4000, 21);
        let everything = collect(&base);
        let expected: BTreeSet<_> = everything.iter().cloned().collect();
        assert_eq!(expected.len(), everything.len());
        for k in [1, 2, 4, 16] {
            let mut c = base.clone();
            c.partitions = k;
            assert_eq!(
                collect(&c),
                everything,
                "all() must not depend on partitions"
            );
            let mut got = BTreeSet::new();
            let mut n = 0;
            for part in 0..k {
                let mut last = i64::MIN;
                for r in generate::partition(&c, part) {
                    assert!(
                        r.arrival_ns >= last,
                        "partition {part} of {k} out of arrival order"
                    );
                    last = r.arrival_ns;
                    got.insert(r);
                    n += 1;
                }
            }
            assert_eq!(n, everything.len());
            assert_eq!(got, expected, "{k} partitions");
        }
        assert_eq!(generate::partition(&base, 16).count(), 0);
    }
}

#[test]
fn exact_event_count() {
    for format in FORMATS {
        for events in [0, 1, 99, 1234, 10_001] {
            let c = GeneratorConfig::new(format, events, 3);
            assert_eq!(generate::all(&c).count() as u64, events);
        }
    }
}

#[test]
fn records_are_valid_json_with_expected_fields() {
    let gcp = collect(&cfg(Format::Gcp, 3000, 5));
    let mut ids = HashSet::new();
    let mut bytes = 0;
    for r in &gcp {
        assert!(!r.raw.ends_with(b"\n"));
        bytes += r.raw.len();
        let v: Value = serde_json::from_slice(&r.raw).expect("valid JSON");
        let p = &v["protoPayload"];
        assert_eq!(
            p["@type"],
            "type.googleapis.com/google.cloud.audit.AuditLog"
        );
        for key in ["serviceName", "methodName", "resourceName"] {
            assert!(p[key].is_string(), "{key}");
        }
        assert_eq!(
            p["authenticationInfo"]["principalEmail"].as_str(),
            Some(r.principal.as_str())
        );
        assert!(p["requestMetadata"]["callerIp"].is_string());
        assert!(p["requestMetadata"]["callerSuppliedUserAgent"].is_string());
        assert!(p["authorizationInfo"].is_array());
        for key in ["logName", "severity", "insertId"] {
            assert!(v[key].is_string(), "{key}");
        }
        assert!(v["resource"]["type"].is_string() && v["resource"]["labels"].is_object());
        let ts = v["timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), 30, "{ts}");
        assert_eq!(parse_rfc3339_ns(ts), Some(r.time_ns));
        let received = v["receiveTimestamp"].as_str().unwrap();
        assert_eq!(parse_rfc3339_ns(received), Some(r.arrival_ns));
        assert!(ids.insert(event_id(Format::Gcp, &v)), "duplicate id");
    }
    let avg = bytes / gcp.len();
    assert!(
        (1100..1450).contains(&avg),
        "average GCP record {avg} bytes"
    );

    for r in &collect(&cfg(Format::Cloudtrail, 3000, 5)) {
        let v: Value = serde_json::from_slice(&r.raw).expect("valid JSON");
        for key in ["eventVersion", "eventSource", "eventName", "awsRegion"] {
            assert!(v[key].is_string(), "{key}");
        }
        for key in ["sourceIPAddress", "userAgent", "requestID", "eventID"] {
            assert!(v[key].is_string(), "{key}");
        }
        for key in ["recipientAccountId", "eventCategory"] {
            assert!(v[key].is_string(), "{key}");
        }
        assert_eq!(v["eventType"], "AwsApiCall");
        assert!(v["readOnly"].is_boolean() && v["managementEvent"].is_boolean());
        let ty = v["userIdentity"]["type"].as_str().unwrap();
        assert!(["IAMUser", "AssumedRole", "Root"].contains(&ty));
        if ty == "AssumedRole" {
            assert!(v["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"].is_string());
        }
        assert_eq!(
            parse_rfc3339_ns(v["eventTime"].as_str().unwrap()),
            Some(r.time_ns)
        );
        assert_eq!(v["errorCode"].is_string(), v["errorMessage"].is_string());
        assert!(ids.insert(event_id(Format::Cloudtrail, &v)), "duplicate id");
    }
}

#[test]
fn labels_point_at_events_and_cover_every_kind() {
    for format in FORMATS {
        let c = cfg(format, 6000, 8);
        let records = collect(&c);
        let mut kinds = BTreeSet::new();
        let mut incidents = BTreeSet::new();
        let ids: HashSet<String> = records
            .iter()
            .map(|r| event_id(format, &serde_json::from_slice(&r.raw).unwrap()))
            .collect();
        let clean_until = c.start_ns + 86_400_000_000_000;
        for r in &records {
            let Some(label) = &r.label else { continue };
            let v: Value = serde_json::from_slice(&r.raw).unwrap();
            assert_eq!(label.event_id, event_id(format, &v));
            assert!(ids.contains(&label.event_id));
            assert_eq!(label.principal, r.principal);
            assert_eq!(label.time_ns, r.time_ns);
            assert!(r.time_ns >= clean_until, "incident on day 1");
            kinds.insert(label.kind);
            incidents.insert(label.incident.clone());
            if label.kind == AnomalyKind::DeniedBurst {
                let denied =
                    v["protoPayload"]["status"]["code"] == 7 || v["errorCode"] == "AccessDenied";
                assert!(denied);
            }
        }
        assert_eq!(kinds.len(), 6, "{format}: {kinds:?}");
        assert_eq!(incidents.len(), 12);
    }
}

#[test]
fn disorder_is_bounded() {
    for format in FORMATS {
        let records = collect(&cfg(format, 5000, 2));
        let mut late = 0;
        for w in records.windows(2) {
            assert!(w[0].arrival_ns <= w[1].arrival_ns);
        }
        for r in &records {
            let d = r.arrival_ns - r.time_ns;
            assert!((0..=30_000_000_000).contains(&d), "delay {d}");
            late += usize::from(d > 2_000_000_000);
        }
        assert!(late < records.len() / 20, "{late} late records");
        let out_of_order = records
            .windows(2)
            .filter(|w| w[0].time_ns > w[1].time_ns)
            .count();
        assert!(
            out_of_order > 0,
            "records should be slightly out of time order"
        );
    }
}

#[test]
fn write_files_writes_lines_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let labels = dir.path().join("labels.tsv");
    let c = cfg(Format::Gcp, 2500, 4);
    let summary = generate::write_files(&c, &out, Some(&labels)).unwrap();
    assert_eq!(summary.events, 2500);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 2500);
    assert_eq!(summary.bytes, text.len() as u64);
    let tsv = std::fs::read_to_string(&labels).unwrap();
    let mut lines = tsv.lines();
    assert_eq!(
        lines.next(),
        Some("event_id\tkind\tincident\tprincipal\ttime")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, summary.labelled);
    assert!(!rows.is_empty());
    for row in rows {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 5);
        assert!(text.contains(&format!("\"insertId\":\"{}\"", cols[0])));
        cols[1].parse::<AnomalyKind>().unwrap();
        assert!(parse_rfc3339_ns(cols[4]).is_some());
    }
    let bad = generate::write_files(&c, &dir.path().join("missing/x.jsonl"), None);
    assert!(bad.is_err());
}

/// `cargo test --release --test generator -- --ignored --nocapture speed`
#[test]
#[ignore]
fn speed_one_million_gcp() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let mut c = GeneratorConfig::new(Format::Gcp, 1_000_000, 1);
    c.days = 1;
    let start = std::time::Instant::now();
    let bytes: usize = generate::all(&c).map(|r| r.raw.len()).sum();
    println!(
        "in memory: {bytes} bytes in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let start = std::time::Instant::now();
    let s = generate::write_files(&c, &out, Some(&dir.path().join("labels.tsv"))).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} events, {} bytes ({} B/line), {} labelled, {:.2} s, {:.0} events/s",
        s.events,
        s.bytes,
        s.bytes / s.events,
        s.labelled,
        secs,
        s.events as f64 / secs
    );
}

#[test]
#[ignore]
fn dump_samples() {
    for format in FORMATS {
        let all = collect(&cfg(format, 20_000, 1));
        let total: usize = all.iter().map(|r| r.raw.len()).sum();
        println!("{format}: average {} bytes", total / all.len());
        let mut seen = BTreeSet::new();
        for r in &all {
            if let Some(l) = &r.label {
                if seen.insert(l.kind) {
                    println!("LABEL {l:?}\n{}", String::from_utf8_lossy(&r.raw));
                }
            }
        }
        for r in collect(&cfg(format, 400, 1)).iter().step_by(97) {
            println!("{}", String::from_utf8_lossy(&r.raw));
        }
    }
}

/// The auditd, Confluent and WAF generators: every record parses as its family, labels
/// name real events (same id, principal and time), and output is deterministic.
#[test]
fn new_families_generate_parseable_labelled_records() {
    use auditflow::parse::auditd::Assembler;
    use auditflow::parse::parse_record;
    use std::collections::BTreeMap;
    for format in [Format::Auditd, Format::Confluent, Format::Waf] {
        let c = cfg(format, 3000, 5);
        let records = collect(&c);
        assert_eq!(records.len(), 3000, "{format}");
        assert_eq!(records, collect(&c), "{format}: deterministic");
        let mut events = BTreeMap::new();
        let mut assembler = Assembler::default();
        let position = auditflow::event::Position::line(std::sync::Arc::from("g"), 0, 1);
        let mut parse = |_: auditflow::event::Position, raw: Result<&[u8], _>| {
            let raw: &[u8] = raw.unwrap();
            let e = parse_record(format, raw, &position)
                .unwrap_or_else(|e| panic!("{format}: {e}: {}", String::from_utf8_lossy(raw)));
            assert_eq!(e.source.as_str(), format.to_string());
            events.insert(e.event_id.clone(), e);
        };
        for r in &records {
            assembler.push(position.clone(), Ok(&r.raw), true, &mut parse);
        }
        assembler.finish(&mut parse);
        assert_eq!(
            events.len(),
            3000,
            "{format}: one event per record, ids unique"
        );
        let labels: Vec<_> = records.iter().filter_map(|r| r.label.as_ref()).collect();
        assert!(!labels.is_empty(), "{format}: anomalies injected");
        for label in labels {
            let e = &events[&label.event_id];
            assert_eq!(e.principal, label.principal, "{format}");
            assert_eq!(e.time_ns, label.time_ns, "{format}");
        }
    }
}

//! The auditd parser against the golden outputs of elastic/go-libaudit, kept under
//! `../shared/data/auditd/go-libaudit` (Apache-2.0), for the fields both express:
//! event time, serial, outcome, login user (auid), acting uid, executable, system call and
//! errno. The auparse samples check that every record lands in an event with its own time
//! and serial, and that records become events without dead letters.

use auditflow::event::{AuditEvent, Outcome};
use auditflow::parse::auditd::{parse_auditd, Assembler};
use auditflow::parse::{read_records, DEFAULT_MAX_RECORD_BYTES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/auditd/go-libaudit")
}

/// Events of an auditd text, grouped and parsed; parse failures are test failures.
fn events(text: &[u8], origin: &str) -> Vec<AuditEvent> {
    let (events, dead) = events_and_dead_letters(text, origin);
    assert!(dead.is_empty(), "{dead:?}");
    events
}

/// Events and dead letters (reason and line) of an auditd text.
fn events_and_dead_letters(text: &[u8], origin: &str) -> (Vec<AuditEvent>, Vec<String>) {
    let mut out = Vec::new();
    let mut dead = Vec::new();
    let mut assembler = Assembler::default();
    let mut handle = |pos: auditflow::event::Position, rec: Result<&[u8], _>| {
        let raw: &[u8] = rec.expect("readable record");
        match parse_auditd(raw, &pos) {
            Ok(event) => out.push(event),
            Err(e) => dead.push(format!("{pos}: {e}")),
        }
    };
    read_records(
        text,
        Arc::from(origin),
        DEFAULT_MAX_RECORD_BYTES,
        &mut |p, r| assembler.push(p, r, true, &mut handle),
    );
    assembler.finish(&mut handle);
    (out, dead)
}

fn ns(rfc3339: &str) -> i64 {
    auditflow::event::time::parse_rfc3339_ns(rfc3339).unwrap()
}

/// The test cases of an aucoalesce YAML file: name and record lines.
fn yaml_cases(text: &str) -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("    ") {
            if let Some(case) = cases.last_mut() {
                case.1.push_str(rest.trim());
                case.1.push('\n');
            }
        } else if let Some(rest) = line.strip_prefix("  ") {
            if !rest.starts_with('#') {
                let name = rest.trim_end_matches(['|', '>', ' ']).trim_end_matches(':');
                cases.push((name.to_owned(), String::new()));
            }
        }
    }
    cases
}

#[test]
fn aucoalesce_goldens_agree_on_shared_fields() {
    let dir = data_dir().join("aucoalesce/testdata");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let golden_path = path.with_extension("json.golden");
        let golden: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&golden_path).unwrap()).unwrap();
        let cases = yaml_cases(&std::fs::read_to_string(&path).unwrap());
        for expected in golden.as_array().unwrap() {
            let name = expected["test_name"].as_str().unwrap();
            let (_, text) = cases
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{name} not in {}", path.display()));
            let got = events(text.as_bytes(), name);
            assert_eq!(got.len(), 1, "{name}: one event expected, got {got:#?}");
            check(name, &got[0], &expected["event"]);
            checked += 1;
        }
    }
    assert_eq!(checked, 48, "every golden event checked");
}

fn check(name: &str, got: &AuditEvent, want: &serde_json::Value) {
    assert_eq!(
        got.time_ns,
        ns(want["@timestamp"].as_str().unwrap()),
        "{name}: time"
    );
    let serial = want["sequence"].as_u64().unwrap();
    assert!(
        got.event_id.ends_with(&format!(":{serial}")),
        "{name}: {}",
        got.event_id
    );
    match want["result"].as_str().unwrap() {
        "success" => assert_eq!(got.outcome, Outcome::Success, "{name}: outcome"),
        "fail" => assert!(got.outcome.is_failed(), "{name}: outcome"),
        _ => {}
    }
    let ids = &want["user"]["ids"];
    match ids["auid"].as_str() {
        Some(auid) if auid != "unset" => assert_eq!(got.principal, auid, "{name}: principal"),
        _ => {}
    }
    if let Some(uid) = ids["uid"].as_str() {
        assert!(
            got.user_agent.split(' ').any(|p| p == format!("uid={uid}")),
            "{name}: acting uid {uid} not in {:?}",
            got.user_agent
        );
    }
    if let Some(euid) = ids["euid"].as_str() {
        assert!(
            got.user_agent.contains(&format!("euid={euid}")),
            "{name}: euid"
        );
    }
    if let Some(exe) = want["process"]["exe"].as_str() {
        let program = exe.rsplit('/').next().unwrap();
        assert!(
            got.action.ends_with(program),
            "{name}: {} lacks {exe}",
            got.action
        );
    }
    let data = &want["data"];
    if let (Some(syscall), Some(arch)) = (data["syscall"].as_str(), data["arch"].as_str()) {
        if arch == "x86_64" {
            assert!(got.action.starts_with(syscall), "{name}: {}", got.action);
        }
    }
    if let (Some(exit), true) = (data["exit"].as_str(), got.outcome.is_failed()) {
        if exit.starts_with('E') && ["EACCES", "EPERM", "ENOENT", "EINPROGRESS"].contains(&exit) {
            assert_eq!(got.error_code.as_deref(), Some(exit), "{name}: errno");
        }
    }
}

#[test]
fn auparse_samples_group_every_record_into_its_event() {
    let dir = data_dir().join("auparse/testdata");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "log") {
            continue;
        }
        let golden_path = path.with_extension("log.golden");
        let golden: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&golden_path).unwrap()).unwrap();
        let want: BTreeSet<(i64, u64)> = golden
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| Some((ns(r["@timestamp"].as_str()?), r["sequence"].as_u64()?)))
            .collect();
        let (events, dead) = events_and_dead_letters(&std::fs::read(&path).unwrap(), "t");
        let got: BTreeSet<(i64, u64)> = events
            .iter()
            .map(|e| {
                let serial = e.event_id.rsplit(':').next().unwrap().parse().unwrap();
                (e.time_ns, serial)
            })
            .collect();
        assert_eq!(got, want, "{}", path.display());
        // The one malformed line of the samples (no `msg=audit(...)` header) is a dead
        // letter with its line; go-libaudit skips it too.
        let expected_dead: &[&str] = match path.file_name().unwrap().to_str().unwrap() {
            "audit-rhel7.log" => &["t:31: missing field msg=audit(TIME:SERIAL)"],
            _ => &[],
        };
        assert_eq!(dead, expected_dead, "{}", path.display());
    }
}

#[test]
fn decoded_fields_match_the_auparse_golden() {
    let path = data_dir().join("auparse/testdata/audit-rhel7.log");
    let (got, _) = events_and_dead_letters(&std::fs::read(&path).unwrap(), "rhel7");
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.with_extension("log.golden")).unwrap()).unwrap();
    // Every decoded EXECVE command line and hex-encoded proctitle is some event's resource.
    let resources: BTreeSet<&str> = got.iter().map(|e| e.resource.as_str()).collect();
    let mut seen = 0;
    for record in golden.as_array().unwrap() {
        if record["record_type"] == "execve" {
            let data = record["data"].as_object().unwrap();
            let argc: usize = data["argc"].as_str().unwrap().parse().unwrap();
            let argv: Vec<&str> = (0..argc)
                .map(|i| data[&format!("a{i}")].as_str().unwrap())
                .collect();
            assert!(resources.contains(argv.join(" ").as_str()), "{argv:?}");
            seen += 1;
        }
    }
    assert!(seen > 0, "the sample has EXECVE records");
}

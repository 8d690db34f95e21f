//! Rule reload tests: Sigma rules on CloudTrail `eventName` and CloudTrail lines made from
//! the Stratus Red Team cloudtrail-stop detonation
//! (`../shared/data/cloudtrail/stratus-red-team`) with new names, ids and times.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn rule(id: &str, event_name: &str) -> String {
    format!(
        "title: Reload test {event_name}\nid: {id}\nlogsource: {{product: aws, service: cloudtrail}}\n\
         detection:\n  selection:\n    eventName: {event_name}\n  condition: selection\nlevel: high\n"
    )
}

/// CloudTrail lines: `(event id, event name, seconds after 2024-08-01T00:00:00Z)`.
pub fn records(events: &[(&str, &str, u64)]) -> String {
    let text = std::fs::read_to_string(repo(
        "../shared/data/cloudtrail/stratus-red-team/aws.defense-evasion.cloudtrail-stop.json",
    ))
    .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let template = match &parsed {
        serde_json::Value::Array(items) => items[0].clone(),
        other => other["Records"][0].clone(),
    };
    let mut out = String::new();
    for (id, name, offset) in events {
        let mut record = template.clone();
        let time = auditflow::event::time::format_rfc3339_secs(1_722_470_400 + *offset as i64);
        record["eventID"] = (*id).into();
        record["eventName"] = (*name).into();
        record["eventTime"] = time.into();
        out.push_str(&serde_json::to_string(&record).unwrap());
        out.push('\n');
    }
    out
}

pub fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

//! The crosstab report computed by the dataflow equals a plain reference computation on the
//! same input, at 1, 2 and 4 workers, and the CLI writes its dated files.

mod common;

use auditflow::generate::GeneratorConfig;
use auditflow::parse::Format;
use auditflow::pipeline::Execution;
use auditflow::report::crosstab::{Crosstab, RowField, Section};
use auditflow::report::{run_crosstab, CrosstabOptions};
use auditflow::sink::Target;
use std::io::Write;
use std::path::Path;

fn console_login(id: u32, time: &str, user: &str, result: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","accountId":"111122223333","userName":"{user}","arn":"arn:aws:iam::111122223333:user/{user}"}},"eventTime":"{time}","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{id}","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{{"ConsoleLogin":"{result}"}},"eventID":"login-{id}"}}"#
    )
}

/// Generated CloudTrail and GCP logs plus hand-written console logins and one broken line.
fn write_inputs(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    for (format, seed) in [(Format::Cloudtrail, 3), (Format::Gcp, 4)] {
        let mut config = GeneratorConfig::new(format, 12_000, seed);
        config.days = 3;
        let path = dir.join(format!("{format}.jsonl"));
        auditflow::generate::write_files(&config, &path, None).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    let logins = dir.join("logins.jsonl");
    let mut f = std::fs::File::create(&logins).unwrap();
    for (i, hour) in [1, 1, 9, 9, 9, 23].iter().enumerate() {
        let result = if i % 2 == 0 { "Failure" } else { "Success" };
        let time = format!("2026-01-02T{hour:02}:15:00Z");
        writeln!(f, "{}", console_login(i as u32, &time, "mallory", result)).unwrap();
    }
    writeln!(f, "{{\"eventTime\": broken").unwrap();
    paths.push(logins.to_string_lossy().into_owned());
    paths
}

#[test]
fn dataflow_crosstab_equals_reference_at_1_2_4_workers() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let (events, failed) = common::parse_files(&paths, Format::Auto);
    assert_eq!(failed, 1);
    // The generated logs start on 2026-01-01 (UTC) or later; report their busiest day.
    let mut per_day = std::collections::BTreeMap::<i64, usize>::new();
    for e in &events {
        *per_day
            .entry(e.time_ns.div_euclid(86_400_000_000_000))
            .or_default() += 1;
    }
    let busiest = per_day.iter().max_by_key(|(_, n)| **n).unwrap().0;
    let (y, m, d) = auditflow::event::time::civil_from_days(*busiest);
    let day = format!("{y:04}-{m:02}-{d:02}");
    let by = vec![RowField::Principal, RowField::Action];
    let reference = Crosstab::from_events(&events, &day, &by).unwrap();
    assert!(reference.outside_day() > 0, "the input spans several days");
    assert!(!reference.sections[&Section::AuthorizationDecisions].is_empty());
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let (crosstab, summary) = common::on_cluster(processes, workers, |execution| {
            run_crosstab(CrosstabOptions {
                inputs: paths.clone(),
                format: Format::Auto,
                day: day.clone(),
                by: by.clone(),
                lateness_secs: 365 * 86_400,
                dead_letter: Target::File(dir.path().join("dead.jsonl")),
                execution,
            })
        })
        .unwrap();
        assert_eq!(crosstab, reference, "{processes}x{workers}");
        assert_eq!(summary.records, events.len() as u64 + 1);
        assert_eq!(
            summary.records,
            summary.processed + summary.dead_lettered + summary.late
        );
        assert_eq!((summary.dead_lettered, summary.late), (1, 0));
    }
}

#[test]
fn sign_ins_land_in_their_sections() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let (crosstab, _) = run_crosstab(CrosstabOptions {
        inputs: vec![paths[2].clone()],
        format: Format::Cloudtrail,
        day: "2026-01-02".into(),
        by: vec![RowField::Principal],
        lateness_secs: 3600,
        dead_letter: Target::File(dir.path().join("dead.jsonl")),
        execution: Execution::threads(2),
    })
    .unwrap();
    let row = vec!["mallory".to_string()];
    let failures = crosstab.sections[&Section::SignInFailures][&row];
    let successes = crosstab.sections[&Section::SignInSuccesses][&row];
    assert_eq!((failures[1], failures[9], failures[23]), (1, 2, 0));
    assert_eq!((successes[1], successes[9], successes[23]), (1, 1, 1));
}

#[test]
fn cli_writes_dated_text_csv_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_inputs(dir.path());
    let out = dir.path().join("reports");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args([
            "report",
            "crosstab",
            "--day",
            "2026-01-02",
            "--html",
            "--input",
        ])
        .arg(&paths[2])
        .arg("--out")
        .arg(&out)
        .args(["--dead-letter"])
        .arg(dir.path().join("dead.jsonl"))
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(out.join("crosstab-2026-01-02.txt")).unwrap();
    assert!(text.contains("== sign-in failures (2026-01-02 UTC) =="));
    let csv = std::fs::read_to_string(out.join("crosstab-2026-01-02.csv")).unwrap();
    assert!(csv.starts_with("section,principal,action,decision,h00"));
    let html = std::fs::read_to_string(out.join("crosstab-2026-01-02.html")).unwrap();
    assert!(html.contains("<h2>sign-in successes</h2>"));
    // A bad day is a usage error naming the flag.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["report", "crosstab", "--day", "2026-13-01", "--input"])
        .arg(&paths[2])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--day"));
}

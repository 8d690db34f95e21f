//! Scoring cost per window: the scorer alone on realistic profiles, and the whole windowed
//! dataflow (`auditflow run`'s pipeline) per scored window at 1 and 2 workers.
//!
//! Generates a GCP file with AuditFlow's generator (`AUDITFLOW_BENCH_EVENTS`, default
//! 100,000 events, 1,000 principals, 3 days). Then:
//! - `score`: each principal's 24-hour baseline profile (its first day) against each of its
//!   5-minute windows of the following days, as the engine builds them; median of 3 passes
//!   over every pair, in microseconds per scored window;
//! - the dataflow: `run_pipeline` on the file with scores written to a temporary file,
//!   median of 3 per worker count, in microseconds of wall time per scored window (parsing,
//!   windows, baselines, scoring and the sink included).
//!
//! Run with `cargo bench --bench scoring`.

use auditflow::detect::profile::{observations, Profile};
use auditflow::detect::score::{score, ScoringConfig};
use auditflow::event::{AuditEvent, Position};
use auditflow::generate::{write_files, GeneratorConfig};
use auditflow::parse::{parse_record, Format};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
use auditflow::pipeline::Execution;
use auditflow::sink::Target;
use auditflow::spec::Spec;
use std::collections::BTreeMap;
use std::time::Instant;

const DAY_NS: i64 = 86_400_000_000_000;
const WINDOW_NS: i64 = 300_000_000_000;

fn profile<'a>(events: impl IntoIterator<Item = &'a AuditEvent>) -> Profile {
    let mut profile = Profile::default();
    for event in events {
        for o in observations(event) {
            profile.add(&o, 1);
        }
    }
    profile
}

/// (window, baseline) pairs: each principal's first day against its later 5-minute windows.
fn window_pairs(events: &[AuditEvent]) -> Vec<(Profile, Profile)> {
    let start = events.iter().map(|e| e.time_ns).min().unwrap_or(0);
    let mut by_principal: BTreeMap<&str, Vec<&AuditEvent>> = BTreeMap::new();
    for e in events {
        by_principal.entry(&e.principal).or_default().push(e);
    }
    let mut pairs = Vec::new();
    for events in by_principal.values() {
        let (first_day, later): (Vec<&AuditEvent>, Vec<&AuditEvent>) =
            events.iter().partition(|e| e.time_ns < start + DAY_NS);
        let baseline = profile(first_day);
        let mut windows: BTreeMap<i64, Vec<&AuditEvent>> = BTreeMap::new();
        for e in later {
            windows.entry(e.time_ns / WINDOW_NS).or_default().push(e);
        }
        for window in windows.into_values() {
            pairs.push((profile(window), baseline.clone()));
        }
    }
    pairs
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let events = std::env::var("AUDITFLOW_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("gcp.jsonl");
    let mut generator = GeneratorConfig::new(Format::Gcp, events, 11);
    generator.principals = 1_000;
    generator.days = 3;
    let generated = write_files(&generator, &input, None).expect("generated input");
    let text = std::fs::read_to_string(&input).expect("the generated file");
    let position = Position::line("bench".into(), 0, 1);
    let parsed: Vec<AuditEvent> = text
        .lines()
        .filter_map(|l| parse_record(Format::Gcp, l.as_bytes(), &position).ok())
        .collect();
    println!(
        "scoring: {} GCP events, 1,000 principals, 3 days",
        generated.events
    );

    let config = ScoringConfig::default();
    let pairs = window_pairs(&parsed);
    let mut checksum = 0.0;
    let passes: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            for (window, baseline) in &pairs {
                checksum += score(window, baseline, &config).score;
            }
            started.elapsed().as_secs_f64()
        })
        .collect();
    let per_window = median(passes) / pairs.len() as f64;
    println!(
        "  score(): {:.1} us per window ({} windows, mean score {:.3})",
        per_window * 1e6,
        pairs.len(),
        checksum / (3 * pairs.len()) as f64
    );

    let mut spec = Spec::default();
    spec.source.paths = vec![input.display().to_string()];
    spec.source.format = Format::Gcp;
    for workers in [1, 2] {
        let mut windows = 0;
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let report = run_pipeline(RunOptions {
                    input: plan_source(&spec.source).expect("a source plan"),
                    spec: spec.clone(),
                    alerts: None,
                    alert_style: AlertStyle::Json,
                    scores: Some(Target::File(dir.path().join("scores.jsonl"))),
                    dead_letter: Target::File(dir.path().join("dead.jsonl")),
                    late: None,
                    collect: false,
                    execution: Execution::threads(workers),
                })
                .expect("scoring run");
                assert_eq!(report.summary.processed, generated.events);
                windows = report.windows_scored;
                report.summary.elapsed.as_secs_f64()
            })
            .collect();
        let seconds = median(runs);
        println!(
            "  dataflow, {workers} worker(s): {:.1} us per scored window ({} windows, {:.0} events/s, median of 3, {:.2}s)",
            seconds / windows.max(1) as f64 * 1e6,
            windows,
            generated.events as f64 / seconds,
            seconds
        );
    }
}

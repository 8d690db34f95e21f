//! The stage-1 feature dataflow (per-principal 5-minute rows) at 1 and 2 workers.
//!
//! Generates a GCP file shaped like `shared/bench/WORKLOAD.md` with AuditFlow's generator
//! (`AUDITFLOW_BENCH_EVENTS`, default 200,000 events, 5,000 principals, 1 day), then runs
//! `run_features` on it, rows discarded into a temporary file, median of 3 per worker
//! count, and prints events/s and MB/s. Run with `cargo bench --bench features`.

use auditflow::generate::{write_files, GeneratorConfig};
use auditflow::parse::Format;
use auditflow::pipeline::features::{run_features, FeaturesOptions};
use auditflow::pipeline::Execution;
use auditflow::sink::Target;

fn main() {
    let events = std::env::var("AUDITFLOW_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("gcp.jsonl");
    let mut config = GeneratorConfig::new(Format::Gcp, events, 1);
    config.principals = 5_000;
    config.days = 1;
    let generated = write_files(&config, &input, None).expect("generated input");
    println!(
        "features dataflow: {} GCP events, {:.0} MB",
        generated.events,
        generated.bytes as f64 / 1e6
    );
    for workers in [1, 2] {
        let mut runs: Vec<f64> = (0..3)
            .map(|_| {
                let summary = run_features(FeaturesOptions {
                    inputs: vec![input.display().to_string()],
                    format: Format::Gcp,
                    window_secs: 300,
                    lateness_secs: 60,
                    out: Target::File(dir.path().join("rows.csv")),
                    dead_letter: Target::Stderr,
                    max_record_bytes: 1 << 20,
                    chunk_bytes: auditflow::source::file::CHUNK_BYTES,
                    execution: Execution::threads(workers),
                })
                .expect("features run");
                assert_eq!(summary.records, generated.events);
                summary.elapsed.as_secs_f64()
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        let median = runs[1];
        println!(
            "  {workers} worker(s): {:.0} events/s, {:.1} MB/s (median of 3, {:.2}s)",
            generated.events as f64 / median,
            generated.bytes as f64 / 1e6 / median,
            median
        );
    }
}

//! `auditflow features`: the stage-1 per-principal window rows as CSV.

use super::{execute, finish_and_total, ingest_events_with, Execution, InputPlan, RunSummary};
use crate::operators::window_features::FeatureEvent;
use crate::operators::{CollectOrdered, WindowFeatures};
use crate::parse::Format;
use crate::sink::{SharedOutput, Target};
use crate::source::file::{expand_inputs, plan_files};
use crate::source::ingest::{IngestConfig, IngestCounters};
use crate::Result;
use std::sync::Arc;
use std::time::Instant;

/// The CSV header of stage-1 rows.
pub const FEATURES_HEADER: &str =
    "principal,window_start,n_events,n_methods,n_ips,n_failed,n_services";

/// Options of a features run.
#[derive(Clone, Debug)]
pub struct FeaturesOptions {
    /// Input files, directories, globs, or `-`.
    pub inputs: Vec<String>,
    /// Record format.
    pub format: Format,
    /// Tumbling window length in seconds.
    pub window_secs: u64,
    /// Allowed lateness in seconds.
    pub lateness_secs: u64,
    /// Where rows go.
    pub out: Target,
    /// Where dead letters go.
    pub dead_letter: Target,
    /// Largest accepted record.
    pub max_record_bytes: usize,
    /// Nominal size of a JSON-lines chunk (normally [`crate::source::file::CHUNK_BYTES`]).
    pub chunk_bytes: u64,
    /// Workers.
    pub execution: Execution,
}

/// Computes stage-1 rows with the dataflow and writes them as CSV, ordered by window end,
/// then principal. Returns the run's counts.
pub fn run_features(options: FeaturesOptions) -> Result<RunSummary> {
    let start = Instant::now();
    let plan = Arc::new(InputPlan::Files(plan_files(
        &expand_inputs(&options.inputs)?,
        options.chunk_bytes,
    )?));
    let counters = Arc::new(IngestCounters::default());
    let progress = (options.out != Target::Stdout)
        .then(|| super::progress::Progress::start(counters.clone(), plan.total_bytes()));
    let execution = options.execution.clone();
    let mut out = execution.open(&options.out)?;
    writeln!(out.writer(), "{FEATURES_HEADER}")
        .map_err(|e| crate::Error::io("cannot write", "features", e))?;
    let rows = SharedOutput::new(out, "features output");
    let dead = SharedOutput::new(execution.open(&options.dead_letter)?, "dead-letter output");
    let config = IngestConfig {
        format: options.format,
        lateness_ns: options.lateness_secs as i64 * 1_000_000_000,
        granule_secs: options.window_secs,
        // Up to a whole 32 MiB chunk (~25k GCP lines) per activation: fewer, larger batches
        // into the arrangement cut CPU ~20% on the 1M benchmark for ~100 MiB more peak RSS.
        batch: 32768,
    };
    let window = options.window_secs;
    let max_record = options.max_record_bytes;
    let (rows_w, dead_w, counters_w) = (rows.clone(), dead.clone(), counters.clone());
    let totals = Arc::new(std::sync::Mutex::new(None));
    let (totals_w, threads) = (totals.clone(), execution.workers);
    execute(options.execution, move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let (units, error) = match plan.open_units(index, peers, max_record) {
            Ok(units) => (units, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let rows = rows_w.clone();
        // Per-process outputs: all of a principal's rows in one process's file.
        let gather = rows.gather();
        let route = move |((principal, _), _): &((String, u64), _)| gather.worker_for(principal);
        let (dead, counters) = (dead_w.clone(), counters_w.clone());
        let counters_total = counters.clone();
        let config = config.clone();
        let mut line: Vec<u8> = Vec::new();
        worker.dataflow::<u64, _, _>(move |scope| {
            ingest_events_with(
                scope,
                units,
                config,
                counters,
                Some(dead),
                None,
                FeatureEvent::decode,
            )
            .window_features(window)
            .collect_ordered_at("FeaturesSink", route, move |_time, changes| {
                // Formatted by hand into one buffer: `write!` per row was the sink's main
                // cost, and the sink runs on one worker.
                line.clear();
                for (((principal, window_start), row), diff) in changes {
                    if diff > 0 {
                        line.extend_from_slice(csv_field(&principal).as_bytes());
                        for value in [
                            window_start,
                            row.n_events,
                            row.n_methods,
                            row.n_ips,
                            row.n_failed,
                            row.n_services,
                        ] {
                            line.push(b',');
                            push_decimal(&mut line, value);
                        }
                        line.push(b'\n');
                    }
                }
                rows.write_with(|w| w.write_all(&line));
            });
        });
        finish_and_total(worker, threads, &counters_total, &totals_w);
        error.map_or(Ok(()), Err)
    })?;
    drop(progress);
    if crate::sink::stdout_closed() {
        // Stopped early, so the file outputs are incomplete: leave them uncommitted.
        return Err(crate::Error::StdoutClosed);
    }
    rows.finish()?;
    dead.finish()?;
    Ok(RunSummary::from_counters(
        &counters,
        &totals,
        start.elapsed(),
    ))
}

/// Quotes a CSV field when it holds a comma, quote or newline.
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Appends the decimal digits of `value`.
fn push_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_decimal_matches_display() {
        let mut out = Vec::new();
        for value in [0, 7, 10, 300, 1_762_041_600, u64::MAX] {
            out.clear();
            push_decimal(&mut out, value);
            assert_eq!(out, value.to_string().into_bytes());
        }
    }

    #[test]
    fn csv_field_quotes_only_when_needed() {
        assert_eq!(csv_field("a@example.com"), "a@example.com");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}

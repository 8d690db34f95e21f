//! `auditflow bench`: source -> scoring engine -> blackhole, with throughput, latency and
//! peak memory.
//!
//! **Event-to-output latency** of an event is the wall time from the moment the source
//! read (parsed) it to the moment the engine had emitted every result of the first window
//! it contributes to: the window ending at the event's stamp, released when the output
//! frontier passes that stamp. It includes the allowed lateness only as far as the input
//! lets the watermark advance (a replayed file advances it at read speed), queueing
//! behind earlier batches (the source is not throttled), and the exchange between workers
//! and processes. Each worker keeps one histogram in microseconds; they are merged over
//! workers and, serialized with hdrhistogram's V2 format, over processes.
//!
//! With [`LatencyFrom::EventTime`] (a live Kafka topic, `auditflow produce --live`), the
//! clock starts at the event's own timestamp instead, so the figure is the wall time from
//! the event happening (being produced) to its window's results, broker and queueing
//! included. Events released once the output frontier is empty are not counted; those the
//! end of a timed run releases through the windows' later retraction times still are, so
//! the last lateness-plus-slide of a run pulls the figures down a little.

use super::arranged::HeldRecords;
use super::{execute, finish_and_total, ingest_events_with, Execution, InputPlan, RunSummary};
use crate::event::AuditEvent;
use crate::operators::ScoreWindows;
use crate::parse::{parse_record, Format};
use crate::source::ingest::{EventTime, IngestConfig, IngestCounters};
use crate::spec::Spec;
use crate::{Error, Result};
use differential_dataflow::AsCollection;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Map;

/// What a benchmark run measured (totals over every process, on process 0).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BenchReport {
    /// Input accounting and wall time.
    pub summary: RunSummary,
    /// Wall-clock seconds of the run, start of the dataflow to its end.
    pub seconds: f64,
    /// Records read per second.
    pub events_per_sec: f64,
    /// Input megabytes (10^6 bytes) per second; for the generator, of the generated JSON.
    pub mb_per_sec: f64,
    /// Scored windows emitted (retractions included).
    pub outputs: u64,
    /// Event-to-output latency percentiles in milliseconds: p50, p99, p99.9, max.
    pub latency_ms: LatencyPercentiles,
    /// Peak resident memory (VmHWM) of process 0, bytes.
    pub peak_rss_bytes: u64,
    /// Peak resident memory summed over the processes, bytes.
    pub peak_rss_bytes_all: u64,
    /// Updates held in the engine's arrangements at their peak: each worker's peak,
    /// summed over workers and processes ([`super::arranged::ArrangedRecords`]).
    pub peak_arranged_records: u64,
    /// Updates held in traces and batchers together at their peak (each worker's peak,
    /// summed): batchers hold the temporal filters' future retractions until they are due.
    pub peak_held_records: u64,
    /// Per arrangement (by name), what each worker held at its `peak_held_records`, summed.
    pub held_at_peak: BTreeMap<String, HeldRecords>,
    /// Processes x workers.
    pub processes: usize,
    /// Workers per process.
    pub workers: usize,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencyPercentiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Events measured.
    pub samples: u64,
}

/// Where an event's latency is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyFrom {
    /// The moment the source read the record (replayed files, the generator).
    Read,
    /// The event's own timestamp against the wall clock (live input whose event time runs
    /// with the clock, as `auditflow produce --live` writes it).
    EventTime,
}

/// What worker 0 gathers from every worker: latencies, outputs, each process's peak RSS,
/// peak arranged records, peak held records and their breakdown.
type Merged = (
    Histogram<u64>,
    u64,
    Vec<u64>,
    u64,
    u64,
    BTreeMap<String, HeldRecords>,
);

/// An event with the instant the source read it (microseconds since the run's epoch).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct ReadEvent {
    read_us: u64,
    event: AuditEvent,
}

impl EventTime for ReadEvent {
    fn time_ns(&self) -> i64 {
        self.event.time_ns
    }
}

/// Runs the scoring engine over `input` with results discarded, measuring latency from
/// the moment each record is read.
pub fn run_bench(spec: &Spec, input: InputPlan, execution: Execution) -> Result<BenchReport> {
    run_bench_from(spec, input, execution, LatencyFrom::Read)
}

/// [`run_bench`], measuring latency from `from`.
pub fn run_bench_from(
    spec: &Spec,
    input: InputPlan,
    execution: Execution,
    from: LatencyFrom,
) -> Result<BenchReport> {
    let windows = spec.time.windows()?;
    let scoring = spec.scoring()?;
    let config = IngestConfig {
        format: spec.source.format,
        lateness_ns: windows.lateness as i64 * 1_000_000_000,
        granule_secs: windows.slide,
        batch: 8192,
    };
    let counters = Arc::new(IngestCounters::default());
    let totals = Arc::new(Mutex::new(None));
    let merged: Arc<Mutex<Option<Merged>>> = Arc::default();
    let plan = Arc::new(input);
    let max_record = spec.source.max_record_bytes;
    let threads = execution.workers;
    let report_shape = (execution.processes, execution.workers);
    let epoch = Instant::now();
    // Microseconds on the clock latency is measured with.
    let clock = move || match from {
        LatencyFrom::Read => epoch.elapsed().as_micros() as u64,
        LatencyFrom::EventTime => (crate::produce::wall_clock_ns() / 1000).max(0) as u64,
    };
    {
        let (counters, totals, merged) = (counters.clone(), totals.clone(), merged.clone());
        execute(execution, move |worker| {
            let arranged = super::arranged::ArrangedRecords::register(worker);
            let (units, error) = match plan.open_units(worker.index(), worker.peers(), max_record) {
                Ok(units) => (units, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let pending: Rc<RefCell<BTreeMap<u64, Vec<u64>>>> = Rc::default();
            let histogram = Rc::new(RefCell::new(new_histogram()));
            let outputs = Rc::new(RefCell::new(0u64));
            let (config, scoring, counters_w) = (config.clone(), scoring.clone(), counters.clone());
            let (pending_in, pending_out) = (pending.clone(), pending.clone());
            let (histogram_w, outputs_w) = (histogram.clone(), outputs.clone());
            worker.dataflow::<u64, _, _>(move |scope| {
                let decode =
                    move |format: Format, raw: &[u8], position: &crate::event::Position| {
                        let event = parse_record(format, raw, position)?;
                        let read_us = match from {
                            LatencyFrom::Read => clock(),
                            LatencyFrom::EventTime => (event.time_ns / 1000).max(0) as u64,
                        };
                        Ok(ReadEvent { read_us, event })
                    };
                ingest_events_with(scope, units, config, counters_w, None, None, decode)
                    .inner
                    .map(move |(read, time, diff)| {
                        pending_in
                            .borrow_mut()
                            .entry(time)
                            .or_default()
                            .push(read.read_us);
                        (read.event, time, diff)
                    })
                    .as_collection()
                    .score_windows(scoring)
                    .inner
                    .sink(Pipeline, "Blackhole", move |(input, frontier)| {
                        input.for_each(|_cap, data| *outputs_w.borrow_mut() += data.len() as u64);
                        let now = clock();
                        // Live input: what the empty frontier releases was not waited for.
                        let drained =
                            from == LatencyFrom::EventTime && frontier.frontier().is_empty();
                        let mut pending = pending_out.borrow_mut();
                        let mut histogram = histogram_w.borrow_mut();
                        while let Some(entry) = pending.first_entry() {
                            if frontier.less_equal(entry.key()) {
                                break;
                            }
                            let read = entry.remove();
                            if drained {
                                continue;
                            }
                            for read_us in read {
                                histogram.saturating_record(now.saturating_sub(read_us).max(1));
                            }
                        }
                    });
            });
            finish_and_total(worker, threads, &counters, &totals);
            let mut bytes = Vec::new();
            V2Serializer::new()
                .serialize(&histogram.borrow(), &mut bytes)
                .map_err(|e| Error::Dataflow(format!("cannot serialize a histogram: {e:?}")))?;
            let peak = if worker.index() % threads == 0 {
                peak_rss_bytes()
            } else {
                0
            };
            let records = arranged.peak().max(0) as u64;
            let (held, by_name) = (
                arranged.peak_held().max(0) as u64,
                arranged.at_peak_by_name(),
            );
            let gathered = crate::cluster::gather_at_leader(
                worker,
                (bytes, *outputs.borrow(), peak, records, held, by_name),
            );
            if worker.index() == 0 {
                let mut all = new_histogram();
                let (mut outputs, mut peaks, mut arranged) = (0, Vec::new(), 0);
                let (mut held_all, mut held_by_name) = (0, BTreeMap::<String, HeldRecords>::new());
                for (bytes, n, peak, records, held, by_name) in gathered {
                    held_all += held;
                    for (name, h) in by_name {
                        let sum = held_by_name.entry(name).or_default();
                        sum.traced += h.traced;
                        sum.batched += h.batched;
                    }
                    let h: Histogram<u64> = Deserializer::new()
                        .deserialize(&mut bytes.as_slice())
                        .map_err(|e| Error::Dataflow(format!("cannot read a histogram: {e:?}")))?;
                    all.add(&h).map_err(|e| Error::Dataflow(format!("{e:?}")))?;
                    outputs += n;
                    arranged += records;
                    if peak > 0 {
                        peaks.push(peak);
                    }
                }
                *merged.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((all, outputs, peaks, arranged, held_all, held_by_name));
            }
            error.map_or(Ok(()), Err)
        })?;
    }
    let elapsed = epoch.elapsed();
    let summary = RunSummary::from_counters(&counters, &totals, elapsed);
    let (histogram, outputs, peaks, arranged, held, held_at_peak) = merged
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_else(|| {
            let peaks = vec![peak_rss_bytes()];
            (new_histogram(), 0, peaks, 0, 0, BTreeMap::new())
        });
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    Ok(BenchReport {
        events_per_sec: summary.records as f64 / seconds,
        mb_per_sec: summary.bytes as f64 / 1e6 / seconds,
        seconds,
        outputs,
        latency_ms: LatencyPercentiles {
            p50: ms(0.5),
            p99: ms(0.99),
            p999: ms(0.999),
            max: histogram.max() as f64 / 1000.0,
            samples: histogram.len(),
        },
        peak_rss_bytes: peaks.first().copied().unwrap_or(0),
        peak_rss_bytes_all: peaks.iter().sum(),
        peak_arranged_records: arranged,
        peak_held_records: held,
        held_at_peak,
        processes: report_shape.0,
        workers: report_shape.1,
        summary,
    })
}

/// One worker's latency histogram: 1 µs to 60 s, 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Peak resident set size of this process (VmHWM in /proc/self/status), 0 if unknown.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

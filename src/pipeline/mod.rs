//! Running pipelines on timely: execution settings, input planning, and the shared front
//! half of every pipeline (ingest, dead letters, late events).

pub mod arranged;
pub mod bench;
pub mod execution;
pub mod features;
pub mod memory;
pub mod plan;
pub mod progress;
pub mod query;
pub mod run;

use crate::event::AuditEvent;
use crate::event::Position;
use crate::parse::{Format, ParseError};
use crate::sink::SharedOutput;
use crate::source::file::{FileUnitPlan, LineChunk};
use crate::source::ingest::{ingest_with, EventTime, IngestConfig, IngestCounters, Ingested};
use crate::source::Unit;
use crate::Result;
use differential_dataflow::{AsCollection, VecCollection};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timely::dataflow::operators::vec::{Map, Partition};
use timely::dataflow::operators::Concat;
use timely::dataflow::{Scope, StreamVec};

use execution::counters_array;
pub use execution::{execute, finish_and_total, CounterTotals, Execution, DEFAULT_CONNECT_TIMEOUT};

/// What the units of a run are: planned once, identically for every worker.
#[derive(Clone, Debug)]
pub enum InputPlan {
    /// Files (chunks, whole files, stdin).
    Files(Vec<FileUnitPlan>),
    /// The built-in generator (one config per log family), one unit per partition.
    Generator(Vec<crate::generate::GeneratorConfig>),
    /// A Kafka topic: each worker reads the partitions it owns.
    Kafka(crate::source::kafka::KafkaSource),
    /// Growing files followed across rotation, one unit per file.
    Follow(crate::source::follow::FollowPlan),
}

impl InputPlan {
    /// Total bytes of the planned files (0 for stdin and the generator).
    pub fn total_bytes(&self) -> u64 {
        match self {
            InputPlan::Files(plan) => plan
                .iter()
                .map(|unit| match unit {
                    FileUnitPlan::Lines { start, end, .. } => end - start,
                    FileUnitPlan::Whole { path } => std::fs::metadata(path).map_or(0, |m| m.len()),
                    FileUnitPlan::Stdin => 0,
                })
                .sum(),
            InputPlan::Generator(_) | InputPlan::Kafka(_) | InputPlan::Follow(_) => 0,
        }
    }

    /// Opens the units worker `index` of `peers` owns: every `peers`-th unit (for Kafka,
    /// the partitions it owns, found as they appear; offsets are not committed here, see
    /// [`run::run_pipeline`]).
    pub fn open_units(
        &self,
        index: usize,
        peers: usize,
        max_record: usize,
    ) -> Result<Vec<Box<dyn Unit>>> {
        let mut units: Vec<Box<dyn Unit>> = Vec::new();
        match self {
            InputPlan::Files(plan) => {
                for (i, unit) in plan.iter().enumerate() {
                    if i % peers != index {
                        continue;
                    }
                    match unit {
                        FileUnitPlan::Lines { path, start, end } => {
                            units.push(Box::new(LineChunk::open(path, *start, *end, max_record)?));
                        }
                        FileUnitPlan::Whole { path } => {
                            units.push(Box::new(crate::source::file::WholeFile::open(
                                path, max_record,
                            )?));
                        }
                        FileUnitPlan::Stdin => {
                            units.push(Box::new(crate::source::file::WholeFile::stdin(max_record)));
                        }
                    }
                }
            }
            InputPlan::Generator(configs) => {
                let all = configs
                    .iter()
                    .flat_map(|c| (0..c.partitions).map(move |p| (c, p)));
                for (i, (config, part)) in all.enumerate() {
                    if i % peers == index {
                        units.push(Box::new(crate::source::generator::GeneratorUnit::new(
                            config, part,
                        )));
                    }
                }
            }
            InputPlan::Kafka(source) => {
                let book = crate::source::kafka::OffsetBook::default();
                units.push(Box::new(source.open_worker(index, peers, book)));
            }
            InputPlan::Follow(plan) => units.extend(plan.open_units(index, peers, max_record)?),
        }
        Ok(units)
    }
}

/// Counts of a finished run. `records = processed + dead_lettered + late`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// Records read.
    pub records: u64,
    /// Events processed.
    pub processed: u64,
    /// Records dead-lettered.
    pub dead_lettered: u64,
    /// Events beyond the allowed lateness.
    pub late: u64,
    /// Bytes of input read.
    pub bytes: u64,
    /// Wall-clock time of the run.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl RunSummary {
    /// The totals over every process when `totals` holds them (process 0), else this
    /// process's own counts.
    pub(crate) fn from_counters(
        counters: &IngestCounters,
        totals: &Mutex<Option<CounterTotals>>,
        elapsed: Duration,
    ) -> Self {
        let total = *totals.lock().unwrap_or_else(|p| p.into_inner());
        let [records, processed, dead_lettered, late, bytes] =
            total.unwrap_or_else(|| counters_array(counters));
        RunSummary {
            records,
            processed,
            dead_lettered,
            late,
            bytes,
            elapsed,
        }
    }
}

/// The shared front half of a pipeline: ingest this worker's units, write dead letters and
/// late events (deterministically ordered, on worker 0), and return the on-time events.
pub fn ingest_events<'s>(
    scope: Scope<'s, u64>,
    units: Vec<Box<dyn Unit>>,
    config: IngestConfig,
    counters: Arc<IngestCounters>,
    dead_letters: Option<SharedOutput>,
    late: Option<SharedOutput>,
) -> VecCollection<'s, u64, AuditEvent, isize> {
    ingest_events_with(
        scope,
        units,
        config,
        counters,
        dead_letters,
        late,
        crate::parse::parse_record,
    )
}

/// [`ingest_events`] with another decoder (see [`crate::source::ingest::ingest_with`]).
pub fn ingest_events_with<'s, E, D>(
    scope: Scope<'s, u64>,
    units: Vec<Box<dyn Unit>>,
    config: IngestConfig,
    counters: Arc<IngestCounters>,
    dead_letters: Option<SharedOutput>,
    late: Option<SharedOutput>,
    decode: D,
) -> VecCollection<'s, u64, E, isize>
where
    E: EventTime + timely::ExchangeData + Ord + Clone + std::hash::Hash,
    D: FnMut(Format, &[u8], &Position) -> Result<E, ParseError> + 'static,
{
    ingest_events_fenced(scope, units, config, counters, dead_letters, late, decode).0
}

/// [`ingest_events_with`], also returning a stream whose frontier passes a time only once
/// the dead letters and late events up to it are written (and flushed): Kafka offsets are
/// committed behind it, so a committed malformed record's dead letter is never lost.
#[allow(clippy::too_many_arguments)]
pub fn ingest_events_fenced<'s, E, D>(
    scope: Scope<'s, u64>,
    units: Vec<Box<dyn Unit>>,
    config: IngestConfig,
    counters: Arc<IngestCounters>,
    dead_letters: Option<SharedOutput>,
    late: Option<SharedOutput>,
    decode: D,
) -> (VecCollection<'s, u64, E, isize>, StreamVec<'s, u64, ()>)
where
    E: EventTime + timely::ExchangeData + Ord + Clone + std::hash::Hash,
    D: FnMut(Format, &[u8], &Position) -> Result<E, ParseError> + 'static,
{
    let mut parts =
        ingest_with(scope, units, config, counters, decode).partition(3, |(item, time)| {
            let part = match item {
                Ingested::Event(_) => 0,
                Ingested::Dead(_) => 1,
                Ingested::Late(_) => 2,
            };
            (part, (item, time))
        });
    let late_stream = parts.pop().expect("three parts");
    let dead_stream = parts.pop().expect("three parts");
    let events = parts.pop().expect("three parts");
    let dead = dead_stream
        .flat_map(|(item, t)| match item {
            Ingested::Dead(d) => Some((d, t, 1)),
            _ => None,
        })
        .as_collection();
    let late_events = late_stream
        .flat_map(|(item, t)| match item {
            Ingested::Late(e) => Some((e, t, 1)),
            _ => None,
        })
        .as_collection();
    let events = events
        .flat_map(|(item, t)| match item {
            Ingested::Event(e) => Some((e, t, 1)),
            _ => None,
        })
        .as_collection();
    let dead_written = write_then(dead, "DeadLetterSink", dead_letters);
    let late_written = write_then(late_events, "LateSink", late);
    (events, dead_written.concat(late_written))
}

/// Writes a collection's items as JSON lines in time order (when there is an output),
/// returning the stream that says which times are written.
fn write_then<'s, T>(
    items: VecCollection<'s, u64, T, isize>,
    name: &str,
    out: Option<SharedOutput>,
) -> StreamVec<'s, u64, ()>
where
    T: timely::ExchangeData + Ord + Clone + serde::Serialize + std::hash::Hash,
{
    use crate::operators::CollectOrdered;
    match out {
        Some(out) => {
            // Per-process outputs split their records by content.
            let gather = out.gather();
            let route = move |item: &T| gather.worker_for(item);
            items.collect_ordered_at_then(name, route, move |_time, items| {
                write_json_lines(&out, items);
            })
        }
        None => items.inner.flat_map(|_| None),
    }
}

fn write_json_lines<T: serde::Serialize>(out: &SharedOutput, items: Vec<(T, isize)>) {
    out.write_with(|w| {
        for (item, count) in items {
            for _ in 0..count.max(0) {
                serde_json::to_writer(&mut *w, &item)?;
                w.write_all(b"\n")?;
            }
        }
        // Out of the process's buffer before the time is reported written (offset commits).
        w.flush()
    });
}

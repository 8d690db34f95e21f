//! The ingest operator: a timely source that reads a worker's units, parses each record,
//! and stamps events with their event time.
//!
//! Event time is measured in whole seconds and stamped at the end of the event's
//! granule (`floor(t / g) * g + g`): with a granule equal to the window slide, the
//! collection at time `T` holds exactly the events of `[T - W, T)`. The source's capability
//! trails the slowest unit's watermark by the allowed lateness, so every on-time event is
//! in its window before the window's results are released: results are final when emitted.

use super::{RecordSink, Unit};
use crate::event::{AuditEvent, Position};
use crate::parse::{parse_record, DeadLetter, Format};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, StreamVec};

/// What the ingest operator produces for each record: by default full [`AuditEvent`]s;
/// pipelines that need fewer fields decode leaner events (see [`ingest_with`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ingested<E = AuditEvent> {
    /// A parsed, on-time event.
    Event(E),
    /// A record that could not be parsed.
    Dead(DeadLetter),
    /// A parsed event older than its unit's watermark minus the allowed lateness.
    Late(E),
}

/// An event with an event time, as the ingest operator needs it for lateness and stamping.
pub trait EventTime {
    /// Event time, nanoseconds since the Unix epoch (UTC).
    fn time_ns(&self) -> i64;
}

impl EventTime for AuditEvent {
    fn time_ns(&self) -> i64 {
        self.time_ns
    }
}

/// How the ingest operator reads and stamps records.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// Record format.
    pub format: Format,
    /// Allowed lateness in nanoseconds.
    pub lateness_ns: i64,
    /// Timestamp granule in seconds (the window slide).
    pub granule_secs: u64,
    /// Records read per activation.
    pub batch: usize,
}

/// Per-process counters shared by the workers of one process.
#[derive(Debug, Default)]
pub struct IngestCounters {
    /// Records read (input).
    pub records: AtomicU64,
    /// Events passed on for processing.
    pub processed: AtomicU64,
    /// Records dead-lettered.
    pub dead_lettered: AtomicU64,
    /// Events beyond the allowed lateness.
    pub late: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
    /// Newest event time seen by any unit of this process (ns; 0 before the first).
    pub max_watermark: AtomicI64,
}

impl IngestCounters {
    /// A snapshot as plain numbers: (records, processed, dead-lettered, late).
    pub fn snapshot(&self) -> (u64, u64, u64, u64) {
        (
            self.records.load(Ordering::Relaxed),
            self.processed.load(Ordering::Relaxed),
            self.dead_lettered.load(Ordering::Relaxed),
            self.late.load(Ordering::Relaxed),
        )
    }
}

/// The stamp of an event time: the end of its granule, in seconds.
pub fn stamp(time_ns: i64, granule_secs: u64) -> u64 {
    let secs = time_ns.div_euclid(1_000_000_000).max(0) as u64;
    secs / granule_secs * granule_secs + granule_secs
}

struct UnitState {
    unit: Box<dyn Unit>,
    /// Largest event time seen so far in this unit.
    watermark: Option<i64>,
    bytes_reported: u64,
}

impl UnitState {
    fn new(unit: Box<dyn Unit>) -> Self {
        UnitState {
            unit,
            watermark: None,
            bytes_reported: 0,
        }
    }
}

/// Builds the ingest source over this worker's `units`. Output records carry their
/// timestamp alongside (`(record, time)`), so downstream operators can form collections.
pub fn ingest<'s>(
    scope: Scope<'s, u64>,
    units: Vec<Box<dyn Unit>>,
    config: IngestConfig,
    counters: Arc<IngestCounters>,
) -> StreamVec<'s, u64, (Ingested, u64)> {
    ingest_with(scope, units, config, counters, parse_record)
}

/// [`ingest`] with another decoder: `decode(format, raw, position)` turns a record into an
/// event of type `E` (normally a projection of what [`parse_record`] reads, through the
/// same parser), or a [`crate::parse::ParseError`] that becomes a dead letter.
pub fn ingest_with<'s, E, D>(
    scope: Scope<'s, u64>,
    units: Vec<Box<dyn Unit>>,
    config: IngestConfig,
    counters: Arc<IngestCounters>,
    mut decode: D,
) -> StreamVec<'s, u64, (Ingested<E>, u64)>
where
    E: EventTime + 'static,
    D: FnMut(Format, &[u8], &Position) -> Result<E, crate::parse::ParseError> + 'static,
{
    // auditd events span lines: group them before parsing (a no-op for JSON formats).
    let units = super::auditd::group_events(units, config.format);
    source(scope, "Ingest", move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut cap = Some(capability);
        let mut units: Vec<UnitState> = units.into_iter().map(UnitState::new).collect();
        let granule = config.granule_secs;
        let lateness = config.lateness_ns;
        let mut staged: BTreeMap<u64, Vec<(Ingested<E>, u64)>> = BTreeMap::new();
        move |output| {
            let Some(current) = cap.as_mut() else { return };
            // Read from the unit furthest behind in event time (unstarted units first), so
            // the frontier advances and reading follows event time across chunks. A unit
            // with nothing to read right now (a quiet partition) passes to the next.
            let mut order: Vec<usize> = (0..units.len()).collect();
            order.sort_by_key(|&i| (units[i].watermark.unwrap_or(i64::MIN), i));
            let floor = *current.time();
            let mut produced = 0;
            let mut exhausted = Vec::new();
            let mut found = Vec::new();
            for i in order {
                let state = &mut units[i];
                let watermark = &mut state.watermark;
                let (mut n_records, mut n_dead, mut n_late, mut n_ok) = (0, 0, 0, 0);
                let mut latest = floor;
                let mut sink = |position, record: Result<&[u8], _>| {
                    n_records += 1;
                    let (parsed, raw) = match record {
                        Ok(raw) => (decode(config.format, raw, &position), raw),
                        Err(e) => (Err(e), &[][..]),
                    };
                    let item = match parsed {
                        Err(e) => {
                            n_dead += 1;
                            (Ingested::Dead(DeadLetter::new(e, position, raw)), floor)
                        }
                        Ok(event) if event.time_ns() < 0 => {
                            n_dead += 1;
                            let reason = "event time before 1970-01-01";
                            (
                                Ingested::Dead(DeadLetter::new(reason, position, &[])),
                                floor,
                            )
                        }
                        Ok(event) => match *watermark {
                            // Behind its unit's watermark, or behind the frontier (which
                            // passed the unit while it was idle): its window is closed.
                            Some(w) if event.time_ns() < w - lateness => {
                                n_late += 1;
                                (Ingested::Late(event), floor)
                            }
                            _ if stamp(event.time_ns(), granule) < floor => {
                                n_late += 1;
                                (Ingested::Late(event), floor)
                            }
                            _ => {
                                n_ok += 1;
                                let time_ns = event.time_ns();
                                *watermark = Some(watermark.map_or(time_ns, |w| w.max(time_ns)));
                                (Ingested::Event(event), stamp(time_ns, granule))
                            }
                        },
                    };
                    latest = latest.max(item.1);
                    staged.entry(item.1).or_default().push(item);
                };
                let more = state
                    .unit
                    .next_batch(config.batch, &mut sink as &mut RecordSink<'_>);
                let bytes = state.unit.bytes_read();
                counters
                    .bytes
                    .fetch_add(bytes - state.bytes_reported, Ordering::Relaxed);
                state.bytes_reported = bytes;
                if let Some(w) = state.watermark {
                    counters.max_watermark.fetch_max(w, Ordering::Relaxed);
                }
                if n_records > 0 {
                    state.unit.emitted(latest);
                }
                found.extend(state.unit.discovered());
                if !more {
                    exhausted.push(i);
                }
                counters.records.fetch_add(n_records, Ordering::Relaxed);
                counters.processed.fetch_add(n_ok, Ordering::Relaxed);
                counters.dead_lettered.fetch_add(n_dead, Ordering::Relaxed);
                counters.late.fetch_add(n_late, Ordering::Relaxed);
                if n_records > 0 {
                    produced = n_records;
                    break;
                }
            }
            exhausted.sort_unstable();
            for i in exhausted.into_iter().rev() {
                units.remove(i);
            }
            units.extend(found.into_iter().map(UnitState::new));
            if crate::sink::stdout_closed() {
                // Nobody reads the results any more (`| head`): stop reading, so the run
                // ends (also a follow or Kafka run) and reports the closed stdout.
                units.clear();
            }
            for (time, mut items) in std::mem::take(&mut staged) {
                output
                    .session(&current.delayed(&time))
                    .give_container(&mut items);
            }
            if units.is_empty() {
                cap = None;
                return;
            }
            // The frontier: the slowest unit's watermark minus the lateness, in granules.
            // Idle units do not count; with every unit idle, this worker follows the
            // process's newest watermark so it cannot hold the other workers back.
            let mut active = units.iter().filter(|u| !u.unit.idle()).peekable();
            let slowest = if active.peek().is_some() {
                active.map(|u| u.watermark).min().flatten()
            } else {
                Some(counters.max_watermark.load(Ordering::Relaxed)).filter(|w| *w > 0)
            };
            if let Some(w) = slowest {
                // Every on-time event to come has a time at or after `w - lateness`, so a
                // stamp at or after this one: times before it are complete.
                let t = stamp(w - lateness, granule);
                if t > *current.time() {
                    current.downgrade(&t);
                }
            }
            if produced == 0 {
                // Waiting on a live input (stdin): poll again shortly instead of spinning.
                activator.activate_after(std::time::Duration::from_millis(5));
            } else {
                activator.activate();
            }
        }
    })
}

//! How many updates a worker's differential arrangements hold, from differential's own
//! logging: the state the engine keeps, counted in records rather than guessed from RSS.
//! Updates waiting in an arrangement's batcher (future-dated retractions of the temporal
//! filters, held until their time) are counted separately, and both are broken down by
//! arrangement name at the moment the worker held the most.

use differential_dataflow::logging::{DifferentialEvent, DifferentialEventBuilder};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use timely::logging::{TimelyEvent, TimelyEventBuilder};

/// Live record counts per arrangement (by operator id) of one worker, and their peak sum.
///
/// Register it with [`ArrangedRecords::register`] before building the dataflows to
/// watch: arrangements pick up the logger when they are built. Counts follow
/// differential's accounting: a new batch adds its length, a finished merge replaces its
/// two inputs by its output, a dropped trace subtracts what it held.
#[derive(Clone, Debug, Default)]
pub struct ArrangedRecords {
    state: Rc<RefCell<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    by_operator: BTreeMap<usize, i64>,
    batched: BTreeMap<usize, i64>,
    total: i64,
    peak: i64,
    batched_total: i64,
    /// The most records held in traces and batchers together, and the breakdown then.
    peak_held: i64,
    at_peak: BTreeMap<usize, (i64, i64)>,
    names: BTreeMap<usize, String>,
}

impl Counts {
    fn add(&mut self, operator: usize, delta: i64) {
        *self.by_operator.entry(operator).or_default() += delta;
        self.total += delta;
        self.peak = self.peak.max(self.total);
    }

    fn add_batched(&mut self, operator: usize, delta: i64) {
        *self.batched.entry(operator).or_default() += delta;
        self.batched_total += delta;
    }

    /// Snapshots the per-arrangement counts if traces and batchers together hold a new
    /// peak (checked once per logged batch of events, not per event).
    fn note_peak(&mut self) {
        let held = self.total + self.batched_total;
        if held <= self.peak_held {
            return;
        }
        self.peak_held = held;
        let mut at_peak: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
        for (op, n) in &self.by_operator {
            at_peak.entry(*op).or_default().0 = *n;
        }
        for (op, n) in &self.batched {
            at_peak.entry(*op).or_default().1 = *n;
        }
        at_peak.retain(|_, (traced, batched)| *traced != 0 || *batched != 0);
        self.at_peak = at_peak;
    }
}

/// Records one arrangement held at the worker's peak.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldRecords {
    /// Updates in the arrangement's trace.
    pub traced: u64,
    /// Updates waiting in its batcher (not yet due).
    pub batched: u64,
}

impl ArrangedRecords {
    /// Starts counting the arrangements this worker builds from now on.
    pub fn register(worker: &mut timely::worker::Worker) -> Self {
        let records = ArrangedRecords::default();
        let (state, names) = (records.state.clone(), records.state.clone());
        if let Some(mut register) = worker.log_register() {
            register.insert::<DifferentialEventBuilder, _>(
                "differential/arrange",
                move |_time, events| {
                    let mut counts = state.borrow_mut();
                    for (_, event) in events.iter().flatten() {
                        match event {
                            DifferentialEvent::Batch(b) => counts.add(b.operator, b.length as i64),
                            DifferentialEvent::Merge(m) => {
                                if let Some(merged) = m.complete {
                                    let inputs = (m.length1 + m.length2) as i64;
                                    counts.add(m.operator, merged as i64 - inputs);
                                }
                            }
                            DifferentialEvent::Drop(d) => {
                                counts.add(d.operator, -(d.length as i64))
                            }
                            DifferentialEvent::Batcher(b) => {
                                counts.add_batched(b.operator, b.records_diff as i64)
                            }
                            _ => {}
                        }
                    }
                    counts.note_peak();
                },
            );
            // Operator names, for the breakdown (only the operator declarations are kept).
            register.insert::<TimelyEventBuilder, _>("timely", move |_time, events| {
                let mut counts = names.borrow_mut();
                for (_, event) in events.iter().flatten() {
                    if let TimelyEvent::Operates(op) = event {
                        counts.names.insert(op.id, op.name.clone());
                    }
                }
            });
        }
        records
    }

    /// The most updates held at once in traces and batchers together.
    pub fn peak_held(&self) -> i64 {
        self.state.borrow().peak_held
    }

    /// What each arrangement held when traces and batchers together held the most, by
    /// operator name (arrangements of the same name summed).
    pub fn at_peak_by_name(&self) -> BTreeMap<String, HeldRecords> {
        let counts = self.state.borrow();
        let mut out: BTreeMap<String, HeldRecords> = BTreeMap::new();
        for (op, (traced, batched)) in &counts.at_peak {
            let name = counts
                .names
                .get(op)
                .cloned()
                .unwrap_or_else(|| format!("operator {op}"));
            let held = out.entry(name).or_default();
            held.traced += (*traced).max(0) as u64;
            held.batched += (*batched).max(0) as u64;
        }
        out
    }

    /// Records held now, over every watched arrangement.
    pub fn total(&self) -> i64 {
        self.state.borrow().total
    }

    /// The most records held at once so far.
    pub fn peak(&self) -> i64 {
        self.state.borrow().peak
    }

    /// Records held now, per arrangement (operator id), empty arrangements left out.
    pub fn by_operator(&self) -> BTreeMap<usize, i64> {
        let counts = self.state.borrow();
        counts
            .by_operator
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(op, n)| (*op, *n))
            .collect()
    }
}

//! How many updates a worker's differential arrangements hold, from differential's own
//! logging: the state the engine keeps, counted in records rather than guessed from RSS.

use differential_dataflow::logging::{DifferentialEvent, DifferentialEventBuilder};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

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
    total: i64,
    peak: i64,
}

impl Counts {
    fn add(&mut self, operator: usize, delta: i64) {
        *self.by_operator.entry(operator).or_default() += delta;
        self.total += delta;
        self.peak = self.peak.max(self.total);
    }
}

impl ArrangedRecords {
    /// Starts counting the arrangements this worker builds from now on.
    pub fn register(worker: &mut timely::worker::Worker) -> Self {
        let records = ArrangedRecords::default();
        let state = records.state.clone();
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
                            _ => {}
                        }
                    }
                },
            );
        }
        records
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

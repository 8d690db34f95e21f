//! `calibrate_tail`: each record's score ranked among all workers' scores of the recent past.

use crate::detect::calibrate::{bin, RecentScores, Tail};
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use std::rc::Rc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::{Broadcast, Filter};
use timely::dataflow::operators::Capability;

/// Records of one time on this worker, with a capability to send their tails at it.
type Held<D> = (Capability<u64>, Vec<D>);

/// Attaches to every inserted record its score's [`Tail`]: how many of the records of all
/// workers at times in `[t - horizon_secs, t)` scored in its bin or above
/// ([`crate::detect::calibrate::bin`]), and how many there were.
///
/// Each worker counts its records per time and score bin and broadcasts the counts; a
/// frontier-aware operator then takes the completed times in order, ranks a time's records
/// against the counts of the strictly earlier times of the horizon, and only then adds the
/// time's own counts. Because a time is ranked only once every worker's counts of it and of
/// every earlier time are in, the tails do not depend on worker or process count nor on
/// batching. Records stay on their worker; retractions are dropped (each insertion is a
/// window scored at its time). State: per worker, the sparse counts of the horizon's times.
pub trait CalibrateTail<'s, D> {
    /// The inserted records with the tail of `score_ppm(record)` among recent records.
    fn calibrate_tail<F>(
        self,
        name: &str,
        horizon_secs: u64,
        score_ppm: F,
    ) -> VecCollection<'s, u64, (D, Tail), isize>
    where
        F: Fn(&D) -> u32 + 'static;
}

impl<'s, D> CalibrateTail<'s, D> for VecCollection<'s, u64, D, isize>
where
    D: timely::ExchangeData + Ord + Clone,
{
    fn calibrate_tail<F>(
        self,
        name: &str,
        horizon_secs: u64,
        score_ppm: F,
    ) -> VecCollection<'s, u64, (D, Tail), isize>
    where
        F: Fn(&D) -> u32 + 'static,
    {
        let score_ppm = Rc::new(score_ppm);
        let counting = score_ppm.clone();
        let inserted = self.inner.filter(|(_, _, diff)| *diff > 0);
        // This worker's counts per (time, bin), summed per batch, to every worker.
        let counts = inserted
            .clone()
            .unary::<CapacityContainerBuilder<Vec<(u64, u16, u64)>>, _, _, _>(
                Pipeline,
                &format!("{name} counts"),
                move |_cap, _info| {
                    move |input, output| {
                        input.for_each(|cap, data| {
                            let mut batch: BTreeMap<(u64, u16), u64> = BTreeMap::new();
                            for (record, time, diff) in data.drain(..) {
                                *batch.entry((time, bin(counting(&record)))).or_default() +=
                                    diff as u64;
                            }
                            let mut session = output.session(&cap);
                            for ((time, bin), count) in batch {
                                session.give((time, bin, count));
                            }
                        });
                    }
                },
            )
            .broadcast();
        inserted
            .binary_frontier::<_, CapacityContainerBuilder<Vec<((D, Tail), u64, isize)>>, _, _, _, _>(
                counts,
                Pipeline,
                Pipeline,
                name,
                move |_cap, _info| {
                    let mut recent = RecentScores::new(horizon_secs);
                    let mut records: BTreeMap<u64, Held<D>> = BTreeMap::new();
                    let mut pending: BTreeMap<u64, Vec<(u16, u64)>> = BTreeMap::new();
                    move |(input, frontier), (counts, counts_frontier), output| {
                        let port = output.output_index();
                        input.for_each(|cap, data| {
                            for (record, time, diff) in data.drain(..) {
                                let held = records
                                    .entry(time)
                                    .or_insert_with(|| (cap.delayed(&time, port), Vec::new()));
                                held.1.extend(std::iter::repeat_n(record, diff as usize));
                            }
                        });
                        counts.for_each(|_cap, data| {
                            for (time, bin, count) in data.drain(..) {
                                pending.entry(time).or_default().push((bin, count));
                            }
                        });
                        let complete = |t: &u64| !frontier.less_equal(t) && !counts_frontier.less_equal(t);
                        loop {
                            let next = [records.keys().next(), pending.keys().next()]
                                .into_iter()
                                .flatten()
                                .min()
                                .copied();
                            let Some(time) = next.filter(complete) else {
                                break;
                            };
                            recent.advance_to(time);
                            if let Some((cap, mine)) = records.remove(&time) {
                                let suffix = recent.suffix_counts();
                                let mut session = output.session(&cap);
                                for record in mine {
                                    let tail = recent.tail(&suffix, score_ppm(&record));
                                    session.give(((record, tail), time, 1));
                                }
                            }
                            for (bin, count) in pending.remove(&time).unwrap_or_default() {
                                recent.add(time, bin, count);
                            }
                        }
                    }
                },
            )
            .as_collection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use timely::dataflow::operators::vec::ToStream;
    use timely::dataflow::operators::Inspect;

    /// `(key, score_ppm, time)`: 40 keys over 30 times, a few scoring high late on.
    fn input() -> Vec<(u32, u32, u64)> {
        let mut out = Vec::new();
        for step in 0..30u64 {
            for key in 0..40u32 {
                let score = match (key, step) {
                    (7, 20..) => 990_000,
                    _ => (key * 7919 + step as u32 * 104_729) % 600_000,
                };
                out.push((key, score, 60 * step + u64::from(key % 3)));
            }
        }
        out
    }

    /// The tails counted from scratch: every record of `[t - horizon, t)` in the bin or
    /// above.
    fn reference(input: &[(u32, u32, u64)], horizon: u64) -> Vec<((u32, u32), Tail, u64)> {
        let mut out: Vec<_> = input
            .iter()
            .map(|&(key, score, t)| {
                let recent: Vec<_> = input
                    .iter()
                    .filter(|r| r.2 < t && r.2 >= t.saturating_sub(horizon))
                    .collect();
                let at_least = recent.iter().filter(|r| bin(r.1) >= bin(score)).count();
                let tail = Tail {
                    at_least: at_least as u64,
                    recent: recent.len() as u64,
                };
                ((key, score), tail, t)
            })
            .collect();
        out.sort();
        out
    }

    /// Records spread over the workers by key, in batches of uneven times.
    fn dataflow(
        config: timely::Config,
        input: Vec<(u32, u32, u64)>,
        horizon: u64,
    ) -> Vec<((u32, u32), Tail, u64)> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        timely::execute(config, move |worker| {
            let (index, peers) = (worker.index() as u32, worker.peers() as u32);
            let mine: Vec<_> = input
                .iter()
                .filter(|r| r.0 % peers == index)
                .map(|&(key, score, t)| ((key, score), t, 1isize))
                .collect();
            let sink = sink.clone();
            worker.dataflow::<u64, _, _>(move |scope| {
                mine.to_stream(scope)
                    .as_collection()
                    .calibrate_tail("Test", horizon, |(_, score)| *score)
                    .inner
                    .inspect(move |((record, tail), t, diff)| {
                        assert_eq!(*diff, 1);
                        sink.lock().unwrap().push((*record, *tail, *t));
                    });
            });
        })
        .expect("timely runs")
        .join()
        .into_iter()
        .for_each(|r| r.expect("a worker finishes"));
        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        seen
    }

    #[test]
    fn equals_the_reference_at_1_2_and_4_workers() {
        let horizon = 600;
        let expected = reference(&input(), horizon);
        // The odd key's first high score is alone in its bin; later ones see the earlier.
        let odd: Vec<_> = expected
            .iter()
            .filter(|r| r.0 .0 == 7 && r.2 >= 1200)
            .collect();
        assert_eq!(odd[0].1.at_least, 0);
        assert!(odd[0].1.recent > 0);
        assert!(odd[1].1.at_least == 1 && odd[1].1.share() < 0.01);
        for workers in [1, 2, 4] {
            let got = dataflow(timely::Config::process(workers), input(), horizon);
            assert_eq!(got, expected, "{workers} workers");
        }
    }
}

//! `collect_ordered`: hand a collection's consolidated changes to one callback, in time order.

use differential_dataflow::VecCollection;
use std::collections::BTreeMap;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;

/// Changes at one time, with a capability held until they are handed over.
type HeldChanges<D> = (Capability<u64>, Vec<(D, isize)>);

/// Gathers every change of a collection on worker 0 and calls `f(time, changes)` once per
/// completed time, in time order, with the changes consolidated and sorted.
///
/// This makes sinks deterministic: the same input yields the same sequence of calls
/// whatever the number of workers. Other workers never call `f`.
///
/// The `_at` forms gather each change on the worker `route` names instead, and call `f`
/// on every worker that receives changes, each in time order for its share: per-process
/// outputs gather on each process's first worker.
pub trait CollectOrdered<'s, D> {
    /// Delivers `(time, sorted consolidated changes)` to `f` on worker 0.
    fn collect_ordered<F>(self, name: &str, f: F)
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static;

    /// [`CollectOrdered::collect_ordered`], returning an empty stream whose frontier passes
    /// a time only once `f` has been called for every change at or before it: probe it to
    /// know what the sink has written (Kafka offsets are committed behind it).
    fn collect_ordered_then<F>(self, name: &str, f: F) -> StreamVec<'s, u64, ()>
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static;

    /// [`CollectOrdered::collect_ordered`] on the worker `route(change)` names.
    fn collect_ordered_at<R, F>(self, name: &str, route: R, f: F)
    where
        R: FnMut(&D) -> u64 + 'static,
        F: FnMut(u64, Vec<(D, isize)>) + 'static;

    /// [`CollectOrdered::collect_ordered_then`] on the worker `route(change)` names.
    fn collect_ordered_at_then<R, F>(self, name: &str, route: R, f: F) -> StreamVec<'s, u64, ()>
    where
        R: FnMut(&D) -> u64 + 'static,
        F: FnMut(u64, Vec<(D, isize)>) + 'static;
}

impl<'s, D> CollectOrdered<'s, D> for VecCollection<'s, u64, D, isize>
where
    D: timely::ExchangeData + Ord + Clone,
{
    fn collect_ordered<F>(self, name: &str, f: F)
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static,
    {
        self.collect_ordered_at(name, |_| 0, f)
    }

    fn collect_ordered_then<F>(self, name: &str, f: F) -> StreamVec<'s, u64, ()>
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static,
    {
        self.collect_ordered_at_then(name, |_| 0, f)
    }

    fn collect_ordered_at<R, F>(self, name: &str, mut route: R, mut f: F)
    where
        R: FnMut(&D) -> u64 + 'static,
        F: FnMut(u64, Vec<(D, isize)>) + 'static,
    {
        let mut pending: BTreeMap<u64, Vec<(D, isize)>> = BTreeMap::new();
        let pact = Exchange::new(move |(d, _t, _r): &(D, u64, isize)| route(d));
        self.inner.sink(pact, name, move |(input, frontier)| {
            input.for_each(|_cap, data| {
                for (d, t, r) in data.drain(..) {
                    pending.entry(t).or_default().push((d, r));
                }
            });
            while let Some(entry) = pending.first_entry() {
                if frontier.less_equal(entry.key()) {
                    break;
                }
                let (time, mut changes) = entry.remove_entry();
                differential_dataflow::consolidation::consolidate(&mut changes);
                if !changes.is_empty() {
                    f(time, changes);
                }
            }
        });
    }

    fn collect_ordered_at_then<R, F>(
        self,
        name: &str,
        mut route: R,
        mut f: F,
    ) -> StreamVec<'s, u64, ()>
    where
        R: FnMut(&D) -> u64 + 'static,
        F: FnMut(u64, Vec<(D, isize)>) + 'static,
    {
        // Each pending time keeps a capability, released only after `f` has seen it.
        let mut pending: BTreeMap<u64, HeldChanges<D>> = BTreeMap::new();
        self.inner
            .unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                Exchange::new(move |(d, _t, _r): &(D, u64, isize)| route(d)),
                name,
                |_cap, _info| {
                    move |(input, frontier), _output| {
                        input.for_each(|cap, data| {
                            let Some(held) = cap.retain_least(0) else {
                                return;
                            };
                            for (d, t, r) in data.drain(..) {
                                let entry = pending
                                    .entry(t)
                                    .or_insert_with(|| (held.clone(), Vec::new()));
                                entry.1.push((d, r));
                            }
                        });
                        while let Some(entry) = pending.first_entry() {
                            if frontier.less_equal(entry.key()) {
                                break;
                            }
                            let (time, (_held, mut changes)) = entry.remove_entry();
                            differential_dataflow::consolidation::consolidate(&mut changes);
                            if !changes.is_empty() {
                                f(time, changes);
                            }
                        }
                    }
                },
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use differential_dataflow::input::Input;
    use std::cell::RefCell;
    use std::rc::Rc;
    use timely::dataflow::operators::Probe;

    #[test]
    fn the_returned_frontier_passes_a_time_only_after_the_callback_saw_it() {
        timely::execute_directly(|worker| {
            let seen = Rc::new(RefCell::new(Vec::new()));
            let record = seen.clone();
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, collection) = scope.new_collection::<u32, isize>();
                let done = collection.collect_ordered_then("Test", move |time, changes| {
                    record.borrow_mut().push((time, changes));
                });
                (input, done.probe().0)
            });
            for (round, time) in [3u64, 7, 12].into_iter().enumerate() {
                input.insert(round as u32);
                input.advance_to(time);
                input.flush();
                while probe.less_than(&time) {
                    worker.step();
                }
                // Everything before `time` has been handed to the callback.
                let times: Vec<u64> = seen.borrow().iter().map(|(t, _)| *t).collect();
                assert!(times.iter().all(|t| *t < time));
                assert_eq!(times.len(), round + 1, "one call per completed time");
            }
            assert_eq!(seen.borrow()[1], (3, vec![(1, 1)]));
        });
    }

    #[test]
    fn routed_changes_reach_their_worker_in_time_order() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        timely::execute(timely::Config::process(2), move |worker| {
            let index = worker.index();
            let record = record.clone();
            let mut input = worker.dataflow::<u64, _, _>(|scope| {
                let (input, collection) = scope.new_collection::<u32, isize>();
                collection.collect_ordered_at(
                    "Test",
                    |x| u64::from(*x % 2),
                    move |time, changes| {
                        let mut seen = record.lock().unwrap();
                        seen.extend(changes.into_iter().map(|(x, _)| (index, time, x)));
                    },
                );
                input
            });
            // Worker 0 feeds everything; odd values must end up on worker 1.
            if index == 0 {
                for (x, time) in [(4u32, 1u64), (3, 2), (1, 3), (2, 3)] {
                    input.advance_to(time);
                    input.insert(x);
                }
            }
        })
        .unwrap();
        let mut seen = seen.lock().unwrap().clone();
        for worker in 0..2 {
            let mine: Vec<(u64, u32)> = seen
                .iter()
                .filter(|(w, _, _)| *w == worker)
                .map(|(_, t, x)| (*t, *x))
                .collect();
            let expected = if worker == 0 {
                vec![(1, 4), (3, 2)]
            } else {
                vec![(2, 3), (3, 1)]
            };
            assert_eq!(mine, expected, "worker {worker}");
        }
        seen.sort();
        assert_eq!(seen.len(), 4);
    }
}

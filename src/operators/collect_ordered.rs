//! `collect_ordered`: hand a collection's consolidated changes to one callback, in time order.

use differential_dataflow::VecCollection;
use std::collections::BTreeMap;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

/// Gathers every change of a collection on worker 0 and calls `f(time, changes)` once per
/// completed time, in time order, with the changes consolidated and sorted.
///
/// This makes sinks deterministic: the same input yields the same sequence of calls
/// whatever the number of workers. Other workers never call `f`.
pub trait CollectOrdered<D> {
    /// Delivers `(time, sorted consolidated changes)` to `f` on worker 0.
    fn collect_ordered<F>(self, name: &str, f: F)
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static;
}

impl<'s, D> CollectOrdered<D> for VecCollection<'s, u64, D, isize>
where
    D: timely::ExchangeData + Ord + Clone,
{
    fn collect_ordered<F>(self, name: &str, mut f: F)
    where
        F: FnMut(u64, Vec<(D, isize)>) + 'static,
    {
        let mut pending: BTreeMap<u64, Vec<(D, isize)>> = BTreeMap::new();
        self.inner
            .sink(Exchange::new(|_| 0), name, move |(input, frontier)| {
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
}

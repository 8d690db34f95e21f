//! `sliding_window`: keep each update for a fixed span of event time.

use differential_dataflow::{AsCollection, VecCollection};
use timely::dataflow::operators::vec::Map;

/// Temporal filter: every update stays in the collection for `width` seconds of event time,
/// starting `delay` seconds after its own time.
///
/// With updates stamped at the end of their granule, `sliding_window(0, W)` holds at time
/// `T` exactly the events of `[T - W, T)`, and `sliding_window(W, B)` the `B` seconds
/// before that: the baseline that precedes a window.
pub trait SlidingWindow<'s, D> {
    /// Delays each update by `delay` seconds and retracts it `width` seconds later.
    fn sliding_window(self, delay: u64, width: u64) -> Self;

    /// As [`SlidingWindow::sliding_window`], but each update enters at the first multiple
    /// of `align` at or after `time + delay` (and leaves `width` later): a window that moves
    /// only at `align` boundaries.
    fn sliding_window_aligned(self, delay: u64, width: u64, align: u64) -> Self;
}

impl<'s, D: Clone + 'static> SlidingWindow<'s, D> for VecCollection<'s, u64, D, isize> {
    fn sliding_window(self, delay: u64, width: u64) -> Self {
        self.inner
            .flat_map(move |(data, time, diff)| {
                let start = time + delay;
                [(data.clone(), start, diff), (data, start + width, -diff)]
            })
            .as_collection()
    }

    fn sliding_window_aligned(self, delay: u64, width: u64, align: u64) -> Self {
        self.inner
            .flat_map(move |(data, time, diff)| {
                let start = (time + delay).div_ceil(align) * align;
                [(data.clone(), start, diff), (data, start + width, -diff)]
            })
            .as_collection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::CollectOrdered;
    use std::sync::{Arc, Mutex};
    use timely::dataflow::operators::vec::ToStream;

    #[test]
    fn holds_each_update_for_its_width() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        timely::example(move |scope| {
            vec![("a".to_string(), 10u64, 1isize), ("b".to_string(), 20, 1)]
                .to_stream(scope)
                .as_collection()
                .sliding_window(5, 30)
                .collect_ordered("Test", move |time, updates| {
                    sink.lock().unwrap().push((time, updates));
                });
        });
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (15, vec![("a".to_string(), 1)]),
                (25, vec![("b".to_string(), 1)]),
                (45, vec![("a".to_string(), -1)]),
                (55, vec![("b".to_string(), -1)]),
            ]
        );
    }

    #[test]
    fn aligned_window_enters_at_the_next_boundary() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        timely::example(move |scope| {
            vec![("a".to_string(), 10u64, 1isize), ("b".to_string(), 95, 1)]
                .to_stream(scope)
                .as_collection()
                .sliding_window_aligned(5, 30, 50)
                .collect_ordered("Test", move |time, updates| {
                    sink.lock().unwrap().push((time, updates));
                });
        });
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (50, vec![("a".to_string(), 1)]),
                (80, vec![("a".to_string(), -1)]),
                (100, vec![("b".to_string(), 1)]),
                (130, vec![("b".to_string(), -1)]),
            ]
        );
    }
}

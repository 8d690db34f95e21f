//! A bounded memo of a pure function of two shared values, keyed by their addresses.
//!
//! A differential join calls its closure once per pair of *updates*, not per pair of
//! values: a record inserted and later retracted, met by a value inserted and later
//! retracted, is four calls with the same two values. When the closure is costly (a cold
//! window rescored against its peer group's whole baseline), computing it once per pair of
//! values and answering the other calls from memory saves most of the work.
//!
//! Entries hold clones of both `Arc`s, so an address cannot be freed and reused by another
//! value while it is remembered: an address pair names exactly one pair of values. Two
//! generations bound the memory: when the current one is full it becomes the previous and
//! the one before is dropped; a hit in the previous moves forward.

use std::collections::HashMap;
use std::sync::Arc;

struct Entry<A, B, O> {
    // Held only to keep the addresses taken.
    _a: Arc<A>,
    _b: Arc<B>,
    out: O,
}

/// Remembers `f(a, b)` for the most recent pairs of shared values.
pub struct PairMemo<A, B, O> {
    current: HashMap<(usize, usize), Entry<A, B, O>>,
    previous: HashMap<(usize, usize), Entry<A, B, O>>,
    capacity: usize,
}

impl<A, B, O: Clone> PairMemo<A, B, O> {
    /// A memo remembering between `capacity` and `2 * capacity` pairs.
    pub fn new(capacity: usize) -> Self {
        PairMemo {
            current: HashMap::new(),
            previous: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// `compute()` for the pair `(a, b)`, from memory if this pair of values was seen
    /// recently. `compute` must depend only on the values behind `a` and `b` (and on what
    /// never changes).
    pub fn get_or_compute(&mut self, a: &Arc<A>, b: &Arc<B>, compute: impl FnOnce() -> O) -> O {
        let key = (Arc::as_ptr(a) as usize, Arc::as_ptr(b) as usize);
        if let Some(entry) = self.current.get(&key) {
            return entry.out.clone();
        }
        let entry = match self.previous.remove(&key) {
            Some(entry) => entry,
            None => Entry {
                _a: a.clone(),
                _b: b.clone(),
                out: compute(),
            },
        };
        let out = entry.out.clone();
        if self.current.len() >= self.capacity {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, entry);
        out
    }

    /// Pairs remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// Remembers `f(a)` for the most recent shared values: a [`PairMemo`] whose second value
/// is the memo's own constant.
pub struct SharedMemo<A, O> {
    pairs: PairMemo<A, (), O>,
    unit: Arc<()>,
}

impl<A, O: Clone> SharedMemo<A, O> {
    /// A memo remembering between `capacity` and `2 * capacity` values.
    pub fn new(capacity: usize) -> Self {
        SharedMemo {
            pairs: PairMemo::new(capacity),
            unit: Arc::new(()),
        }
    }

    /// `compute()` for `a`, from memory if this value was seen recently. `compute` must
    /// depend only on the value behind `a` (and on what never changes).
    pub fn get_or_compute(&mut self, a: &Arc<A>, compute: impl FnOnce() -> O) -> O {
        self.pairs.get_or_compute(a, &self.unit, compute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn computes_once_per_pair_of_values_and_stays_bounded() {
        let calls = Cell::new(0);
        let mut memo = PairMemo::new(2);
        let (x, y, z) = (Arc::new(1), Arc::new(10), Arc::new(100));
        let ask = |memo: &mut PairMemo<i32, i32, i32>, a: &Arc<i32>, b: &Arc<i32>| {
            memo.get_or_compute(a, b, || {
                calls.set(calls.get() + 1);
                **a + **b
            })
        };
        assert_eq!(ask(&mut memo, &x, &y), 11);
        assert_eq!(
            ask(&mut memo, &x.clone(), &y.clone()),
            11,
            "clones share the address"
        );
        assert_eq!(calls.get(), 1);
        // An equal value in another allocation is another pair (computed, same answer).
        assert_eq!(ask(&mut memo, &Arc::new(1), &y), 11);
        assert_eq!(calls.get(), 2);
        assert_eq!(ask(&mut memo, &y, &x), 11);
        assert_eq!(ask(&mut memo, &x, &z), 101);
        assert_eq!(ask(&mut memo, &y, &z), 110);
        assert_eq!(calls.get(), 5);
        // Capacity 2: at most four pairs held, the oldest forgotten and computed again.
        assert!(memo.len() <= 4);
        assert_eq!(ask(&mut memo, &x, &y), 11);
        assert_eq!(calls.get(), 6);
    }

    #[test]
    fn shared_memo_computes_once_per_value() {
        let calls = Cell::new(0);
        let mut memo = SharedMemo::new(4);
        let (x, y) = (Arc::new(2), Arc::new(3));
        let mut ask = |a: &Arc<i32>| {
            memo.get_or_compute(a, || {
                calls.set(calls.get() + 1);
                **a * 10
            })
        };
        assert_eq!(
            (ask(&x), ask(&y), ask(&x.clone()), ask(&y)),
            (20, 30, 20, 30)
        );
        assert_eq!(calls.get(), 2);
        assert_eq!(ask(&Arc::new(2)), 20);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_remembered_address_is_never_reused_by_another_value() {
        let mut memo = PairMemo::new(1 << 10);
        let b = Arc::new(0u64);
        for i in 0..1000u64 {
            // Each value is dropped by the caller at once; the memo keeps it alive, so the
            // next value cannot take its address and be answered with its result.
            let a = Arc::new(i);
            assert_eq!(memo.get_or_compute(&a, &b, || *a * 2), i * 2);
        }
    }
}

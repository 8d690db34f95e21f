//! A bounded memo of a pure function of two shared values, keyed by their addresses.
//!
//! A differential join calls its closure once per pair of *updates*, not per pair of
//! values: a record inserted and later retracted, met by a value inserted and later
//! retracted, is four calls with the same two values. When the closure is costly (a cold
//! window rescored against its peer group's whole baseline), computing it once per pair of
//! values and answering the other calls from memory saves most of the work.
//!
//! Entries hold weak references to both values: the allocations stay, so an address cannot
//! be reused by another value while it is remembered (an address pair names exactly one
//! pair of values), while the values themselves go with their last owners. Two
//! generations bound the memory: when the current one is full it becomes the previous and
//! the one before is dropped; a hit in the previous moves forward. [`VersionMemo`] is the
//! one-value form for a value replaced over time (a peer group's baseline): it keeps only
//! each key's latest versions.

use super::generations::Generations;
use std::sync::{Arc, Weak};

struct Entry<A, B, O> {
    // Held only to keep the addresses taken: a weak reference keeps the allocation (so no
    // other value can take its address) but lets the value itself go with its last owner,
    // so remembered pairs do not keep superseded peer-group baselines alive.
    _a: Weak<A>,
    _b: Weak<B>,
    out: O,
}

/// Remembers `f(a, b)` for the most recent pairs of shared values.
pub struct PairMemo<A, B, O> {
    pairs: Generations<(usize, usize), Entry<A, B, O>>,
}

impl<A, B, O: Clone> PairMemo<A, B, O> {
    /// A memo remembering between `capacity` and `2 * capacity` pairs.
    pub fn new(capacity: usize) -> Self {
        PairMemo {
            pairs: Generations::new(capacity),
        }
    }

    /// `compute()` for the pair `(a, b)`, from memory if this pair of values was seen
    /// recently. `compute` must depend only on the values behind `a` and `b` (and on what
    /// never changes).
    pub fn get_or_compute(&mut self, a: &Arc<A>, b: &Arc<B>, compute: impl FnOnce() -> O) -> O {
        let key = (Arc::as_ptr(a) as usize, Arc::as_ptr(b) as usize);
        if let Some(entry) = self.pairs.get(&key) {
            return entry.out.clone();
        }
        let entry = Entry {
            _a: Arc::downgrade(a),
            _b: Arc::downgrade(b),
            out: compute(),
        };
        self.pairs.insert(key, entry).out.clone()
    }

    /// Pairs remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pairs.values().count()
    }
}

/// Versions of one key's value remembered by a [`VersionMemo`]: a join meets every
/// version its traces have not compacted away yet (with two, rescoring cold windows
/// recomputed summaries often enough to cost 7 % of a run; with eight, nothing measurable).
const VERSIONS: usize = 8;

type Versions<A, O> = [Option<(Arc<A>, O)>; VERSIONS];

/// Remembers `f(a)` for the latest versions of each key's shared value (a peer group's
/// baseline, replaced hourly): at most [`VERSIONS`] per key, and between `capacity` and
/// `2 * capacity` keys, so superseded versions are let go instead of piling up.
pub struct VersionMemo<K, A, O> {
    keys: Generations<K, Versions<A, O>>,
}

impl<K: std::hash::Hash + Eq + Clone, A, O: Clone> VersionMemo<K, A, O> {
    /// A memo remembering between `capacity` and `2 * capacity` keys.
    pub fn new(capacity: usize) -> Self {
        VersionMemo {
            keys: Generations::new(capacity),
        }
    }

    /// `compute()` for `key`'s value `a`, from memory if this value (by address, held so
    /// the address stays taken) is one of the key's latest. `compute` must depend only on
    /// the value behind `a` (and on what never changes).
    pub fn get_or_compute(&mut self, key: &K, a: &Arc<A>, compute: impl FnOnce() -> O) -> O {
        if self.keys.get(key).is_none() {
            self.keys.insert(key.clone(), std::array::from_fn(|_| None));
        }
        let versions = self.keys.get(key).expect("inserted above");
        let known = versions.iter().flatten().find(|(v, _)| Arc::ptr_eq(v, a));
        if let Some((_, out)) = known {
            return out.clone();
        }
        let out = compute();
        versions.rotate_right(1);
        versions[0] = Some((a.clone(), out.clone()));
        out
    }

    /// Values remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.values().map(|v| v.iter().flatten().count()).sum()
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
    fn version_memo_keeps_the_latest_versions_per_key() {
        let calls = Cell::new(0);
        let mut memo = VersionMemo::new(2);
        let versions: Vec<Arc<i32>> = (0..=VERSIONS as i32).map(Arc::new).collect();
        let mut ask = |key: &str, a: &Arc<i32>| {
            memo.get_or_compute(&key.to_string(), a, || {
                calls.set(calls.get() + 1);
                **a * 10
            })
        };
        // Versions met alternately (a join meeting old and new): each computed once.
        let latest = &versions[..VERSIONS];
        for _ in 0..3 {
            for v in latest {
                assert_eq!(ask("g", &v.clone()), **v * 10);
            }
        }
        assert_eq!(calls.get(), VERSIONS);
        // One more version lets the oldest go.
        assert_eq!(ask("g", &versions[VERSIONS]), VERSIONS as i32 * 10);
        assert_eq!(ask("g", &versions[1]), 10);
        assert_eq!(calls.get(), VERSIONS + 1);
        assert_eq!(ask("g", &versions[0]), 0);
        assert_eq!(calls.get(), VERSIONS + 2);
        // Keys are bounded by generations: at most 2 * 2 keys, "g" and its versions let go.
        for (i, key) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert_eq!(ask(key, &Arc::new(i as i32)), i as i32 * 10);
        }
        let _ = ask;
        assert_eq!(memo.len(), 4);
    }

    #[test]
    fn remembered_values_are_not_kept_alive() {
        let mut memo = PairMemo::new(16);
        let (a, b) = (Arc::new(vec![0u8; 1024]), Arc::new(1));
        let weak = Arc::downgrade(&a);
        assert_eq!(memo.get_or_compute(&a, &b, || 7), 7);
        drop(a);
        assert!(weak.upgrade().is_none(), "the memo must not own the value");
        assert_eq!(memo.len(), 1);
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

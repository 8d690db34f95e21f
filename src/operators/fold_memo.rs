//! A bounded memo of a fold per key, valid while the key's inputs stay the same.
//!
//! A differential `reduce` hands its closure the whole accumulated input of a key every
//! time any part of it changes. When part of that input moves rarely (a principal's
//! baseline refreshes hourly, its window every slide), folding the slow part again on
//! every call is wasted: this remembers, per key, the slow inputs and what they folded
//! into, and folds again only when they differ.
//!
//! The remembered inputs are compared by value (`==`), so an answer is never reused for
//! different inputs; for `Arc`s of `Eq` values equality checks the address first, so an
//! unchanged input costs a pointer comparison. Two generations bound the memory: when the
//! current one is full it becomes the previous and the one before is dropped; a hit in the
//! previous moves forward.

use super::generations::Generations;
use std::hash::Hash;

struct Entry<I, O> {
    inputs: Vec<(I, isize)>,
    out: O,
}

/// Remembers, per key, the fold of its most recent slow inputs.
pub struct FoldMemo<K, I, O> {
    keys: Generations<K, Entry<I, O>>,
}

impl<K: Hash + Eq + Clone, I: PartialEq + Clone, O> FoldMemo<K, I, O> {
    /// A memo remembering between `capacity` and `2 * capacity` keys.
    pub fn new(capacity: usize) -> Self {
        FoldMemo {
            keys: Generations::new(capacity),
        }
    }

    /// `fold(inputs)` for `key`, from memory if the key's last inputs equal these.
    /// `fold` must depend only on the inputs (and on what never changes).
    pub fn get_or_fold<'a>(
        &mut self,
        key: &K,
        inputs: impl Iterator<Item = (&'a I, isize)> + Clone,
        fold: impl FnOnce() -> O,
    ) -> &O
    where
        I: 'a,
    {
        let same = |entry: &Entry<I, O>| {
            let mut remembered = entry.inputs.iter();
            inputs
                .clone()
                .all(|(i, n)| remembered.next().is_some_and(|(r, m)| *m == n && r == i))
                && remembered.next().is_none()
        };
        if self.keys.get(key).is_some_and(|entry| same(entry)) {
            return &self.keys.get(key).expect("found above").out;
        }
        let entry = Entry {
            inputs: inputs.map(|(i, n)| (i.clone(), n)).collect(),
            out: fold(),
        };
        &self.keys.insert(key.clone(), entry).out
    }

    /// Keys remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.values().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn sum(inputs: &[(u32, isize)]) -> isize {
        inputs.iter().map(|(v, n)| *v as isize * n).sum()
    }

    #[test]
    fn folds_again_only_when_the_inputs_change() {
        let folds = Cell::new(0);
        let mut memo = FoldMemo::new(8);
        let mut ask = |key: &str, inputs: &[(u32, isize)]| {
            let key = key.to_string();
            *memo.get_or_fold(&key, inputs.iter().map(|(v, n)| (v, *n)), || {
                folds.set(folds.get() + 1);
                sum(inputs)
            })
        };
        assert_eq!(ask("a", &[(1, 1), (2, 3)]), 7);
        assert_eq!(ask("a", &[(1, 1), (2, 3)]), 7);
        assert_eq!(folds.get(), 1);
        // A changed count, a changed value, a longer and a shorter input all fold again.
        assert_eq!(ask("a", &[(1, 2), (2, 3)]), 8);
        assert_eq!(ask("a", &[(1, 2), (5, 3)]), 17);
        assert_eq!(ask("a", &[(1, 2), (5, 3), (1, 1)]), 18);
        assert_eq!(ask("a", &[(1, 2)]), 2);
        assert_eq!(ask("a", &[]), 0);
        assert_eq!(folds.get(), 6);
        // Keys are independent.
        assert_eq!(ask("b", &[(1, 2)]), 2);
        assert_eq!(ask("a", &[]), 0);
        assert_eq!(folds.get(), 7);
    }

    #[test]
    fn stays_bounded_and_keeps_recent_keys() {
        let folds = Cell::new(0);
        let mut memo = FoldMemo::new(2);
        let mut ask = |key: u32| {
            *memo.get_or_fold(&key, [(&key, 1)].into_iter(), || {
                folds.set(folds.get() + 1);
                key * 10
            })
        };
        for key in 0..10 {
            assert_eq!(ask(key), key * 10);
        }
        assert_eq!(folds.get(), 10);
        // The last key of the previous generation is still remembered, and moves forward.
        assert_eq!(ask(8), 80);
        assert_eq!(ask(9), 90);
        assert_eq!(folds.get(), 10);
        assert_eq!(ask(0), 0);
        assert_eq!(folds.get(), 11);
        let _ = ask;
        assert!(memo.len() <= 4);
    }
}

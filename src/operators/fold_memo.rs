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

use std::collections::HashMap;
use std::hash::Hash;

struct Entry<I, O> {
    inputs: Vec<(I, isize)>,
    out: O,
}

/// Remembers, per key, the fold of its most recent slow inputs.
pub struct FoldMemo<K, I, O> {
    current: HashMap<K, Entry<I, O>>,
    previous: HashMap<K, Entry<I, O>>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, I: PartialEq + Clone, O> FoldMemo<K, I, O> {
    /// A memo remembering between `capacity` and `2 * capacity` keys.
    pub fn new(capacity: usize) -> Self {
        FoldMemo {
            current: HashMap::new(),
            previous: HashMap::new(),
            capacity: capacity.max(1),
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
        let hit = match self.current.get(key) {
            Some(entry) => same(entry),
            None => {
                let moved = self.previous.remove(key).filter(|entry| same(entry));
                let found = moved.is_some();
                if let Some(entry) = moved {
                    self.insert(key, entry);
                }
                found
            }
        };
        if !hit {
            let entry = Entry {
                inputs: inputs.map(|(i, n)| (i.clone(), n)).collect(),
                out: fold(),
            };
            self.insert(key, entry);
        }
        &self.current[key].out
    }

    fn insert(&mut self, key: &K, entry: Entry<I, O>) {
        if self.current.len() >= self.capacity && !self.current.contains_key(key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key.clone(), entry);
    }

    /// Keys remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
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

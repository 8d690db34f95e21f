//! A map bounded by two generations, the shared store of the operators' memos.
//!
//! When the current generation is full it becomes the previous one and the one before is
//! dropped; a key found in the previous generation moves forward. So between `capacity`
//! and `2 * capacity` keys are held, and recently used ones survive.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;

/// A map of at most `2 * capacity` recently used keys.
pub(super) struct Generations<K, V> {
    current: HashMap<K, V>,
    previous: HashMap<K, V>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Generations<K, V> {
    /// An empty map holding between `capacity` and `2 * capacity` keys once filled.
    pub fn new(capacity: usize) -> Self {
        Generations {
            current: HashMap::new(),
            previous: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`, moved forward if it was in the previous generation.
    pub fn get(&mut self, key: &K) -> Option<&mut V> {
        if !self.current.contains_key(key) {
            let value = self.previous.remove(key)?;
            self.insert(key.clone(), value);
        }
        self.current.get_mut(key)
    }

    /// Sets the value of `key` in the current generation, starting a new generation first
    /// if the current one is full.
    pub fn insert(&mut self, key: K, value: V) -> &mut V {
        if self.current.len() >= self.capacity && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        match self.current.entry(key) {
            Entry::Occupied(mut slot) => {
                slot.insert(value);
                slot.into_mut()
            }
            Entry::Vacant(slot) => slot.insert(value),
        }
    }

    /// Every value held, in no particular order.
    #[cfg(test)]
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.current.values().chain(self.previous.values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_recent_keys_and_moves_found_ones_forward() {
        let mut map = Generations::new(2);
        map.insert("a", 1);
        *map.insert("a", 2) += 1;
        assert_eq!(map.get(&"a"), Some(&mut 3), "insert overwrites");
        map.insert("b", 0);
        map.insert("c", 0); // starts a generation: {a, b} become the previous
        assert_eq!(
            map.get(&"a"),
            Some(&mut 3),
            "found in the previous, moved forward"
        );
        map.insert("d", 0); // {c, a} previous; b dropped
        assert_eq!(map.get(&"b"), None);
        assert_eq!(map.get(&"a"), Some(&mut 3));
        assert!(map.values().count() <= 4);
    }
}

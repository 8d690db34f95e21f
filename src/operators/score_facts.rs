//! The compact records the scoring dataflow moves: hashed, shared strings instead of copies.
//!
//! Arrangements sort and merge every update, so what matters is how cheap a record is to
//! compare, clone and drop. Strings travel as [`Interned`]: a 64-bit hash (compared first)
//! and an `Arc<str>` shared by every record of a worker that carries the same text. A
//! clone is a reference-count increment, and two equal values compare as equal `u64`s plus
//! a pointer check, not a `memcmp`.

use crate::detect::profile::{network_of, Categorical, Profile};
use crate::event::{AuditEvent, Outcome, PrincipalType};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A string with its 64-bit hash, ordered by hash first (then by text, so the order is
/// total and exact: two texts sharing a hash are still told apart).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interned {
    /// SipHash-1-3 of the text under constant keys: the same on every worker and process.
    pub hash: u64,
    /// The text, shared.
    pub text: Arc<str>,
}

impl Interned {
    /// Hashes and wraps `text` (without sharing it; see [`Interner`]).
    pub fn new(text: &str) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(text.as_bytes());
        Interned {
            hash: hasher.finish(),
            text: text.into(),
        }
    }
}

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Interned {}

impl PartialOrd for Interned {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Interned {
    fn cmp(&self, other: &Self) -> Ordering {
        self.hash.cmp(&other.hash).then_with(|| {
            if Arc::ptr_eq(&self.text, &other.text) {
                Ordering::Equal
            } else {
                self.text.cmp(&other.text)
            }
        })
    }
}

impl Hash for Interned {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Shares the texts one worker sees, so equal values point to one allocation. Bounded:
/// it forgets everything past [`Interner::CAPACITY`] texts (values stay correct, only
/// sharing is lost).
#[derive(Default)]
pub struct Interner {
    texts: HashMap<Arc<str>, u64>,
    networks: HashMap<Arc<str>, Interned>,
}

impl Interner {
    /// Most texts (and source addresses) remembered before starting over.
    pub const CAPACITY: usize = 1 << 20;

    /// The shared [`Interned`] form of `text`.
    pub fn intern(&mut self, text: &str) -> Interned {
        if let Some((text, hash)) = self.texts.get_key_value(text) {
            return Interned {
                hash: *hash,
                text: text.clone(),
            };
        }
        if self.texts.len() >= Self::CAPACITY {
            self.texts.clear();
        }
        let value = Interned::new(text);
        self.texts.insert(value.text.clone(), value.hash);
        value
    }

    /// The shared network ([`network_of`]) of a source address.
    pub fn network(&mut self, source_ip: &str) -> Interned {
        if let Some(network) = self.networks.get(source_ip) {
            return network.clone();
        }
        if self.networks.len() >= Self::CAPACITY {
            self.networks.clear();
        }
        let network = self.intern(&network_of(source_ip));
        self.networks.insert(source_ip.into(), network.clone());
        network
    }

    /// The scoring facts of an event, keyed by its principal.
    pub fn facts(&mut self, event: AuditEvent) -> (Interned, Arc<EventFacts>) {
        let facts = EventFacts {
            time_ns: event.time_ns,
            event_id: event.event_id.into(),
            action: self.intern(&event.action),
            service: self.intern(&event.service),
            network: self.network(&event.source_ip),
            user_agent: self.intern(&event.user_agent),
            outcome: event.outcome,
            principal_type: event.principal_type,
        };
        (self.intern(&event.principal), Arc::new(facts))
    }
}

/// What scoring needs of one event: its observations, and what to cite it by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventFacts {
    /// Event time (ns).
    pub time_ns: i64,
    /// The record's id.
    pub event_id: Arc<str>,
    /// Action.
    pub action: Interned,
    /// Service.
    pub service: Interned,
    /// Source network ([`network_of`]).
    pub network: Interned,
    /// User agent.
    pub user_agent: Interned,
    /// Outcome.
    pub outcome: Outcome,
    /// The principal's type as this event states it.
    pub principal_type: PrincipalType,
}

impl EventFacts {
    /// Whole hours since the Unix epoch (UTC) of the event.
    pub fn hour(&self) -> i64 {
        self.time_ns.div_euclid(3_600_000_000_000)
    }

    /// What the baseline counts of this event.
    pub fn baseline_entry(&self) -> BaselineEntry {
        BaselineEntry {
            hour: self.hour(),
            action: self.action.clone(),
            service: self.service.clone(),
            network: self.network.clone(),
            user_agent: self.user_agent.clone(),
            outcome: self.outcome,
        }
    }

    /// The event's baseline facts: one per categorical feature, its hour and its outcome
    /// (what [`crate::detect::profile::observations`] gives for the event).
    pub fn baseline(&self) -> [Fact; 6] {
        self.baseline_entry().facts()
    }

    /// Adds this event's observations to a profile, `count` times.
    pub fn add_to(&self, profile: &mut Profile, count: u64) {
        self.baseline_entry().add_to(profile, count);
    }
}

/// The part of an event its principal's baseline counts: its hour and its values, without
/// its time within the hour or its id. A principal's events that repeat a habit within an
/// hour are equal entries, so they consolidate into one counted record, while a sparse
/// principal's event is one record rather than one per [`Fact`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// Whole hours since the Unix epoch (UTC).
    pub hour: i64,
    /// Action.
    pub action: Interned,
    /// Service.
    pub service: Interned,
    /// Source network ([`network_of`]).
    pub network: Interned,
    /// User agent.
    pub user_agent: Interned,
    /// Outcome.
    pub outcome: Outcome,
}

impl BaselineEntry {
    /// The entry's facts: one per categorical feature, its hour and its outcome.
    pub fn facts(&self) -> [Fact; 6] {
        [
            Fact::Value(Categorical::Action, self.action.clone()),
            Fact::Value(Categorical::Service, self.service.clone()),
            Fact::Value(Categorical::Network, self.network.clone()),
            Fact::Value(Categorical::UserAgent, self.user_agent.clone()),
            Fact::Hour(self.hour),
            Fact::Outcome(self.outcome),
        ]
    }

    /// Adds the entry's facts to a profile, `count` times.
    pub fn add_to(&self, profile: &mut Profile, count: u64) {
        for fact in self.facts() {
            fact.add_to(profile, count);
        }
    }
}

/// One counted fact of a principal's baseline or long history.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Fact {
    /// A value of a categorical feature, in the baseline.
    Value(Categorical, Interned),
    /// An event's hour (whole hours since the epoch), in the baseline.
    Hour(i64),
    /// An event's outcome, in the baseline.
    Outcome(Outcome),
    /// A privileged action, in the long history.
    PrivilegedAction(Interned),
    /// A day the principal was active (its first hour), in the long history.
    ActiveDay(i64),
}

impl Fact {
    /// Adds `count` occurrences of this fact to a profile.
    pub fn add_to(&self, profile: &mut Profile, count: u64) {
        match self {
            Fact::Value(feature, value) => profile.add_shared_value(*feature, &value.text, count),
            Fact::Hour(h) => *profile.hours.entry(*h).or_default() += count,
            Fact::Outcome(outcome) => {
                profile.events += count;
                match outcome {
                    Outcome::Success => {}
                    Outcome::Failure => profile.failed += count,
                    Outcome::Denied => profile.denied += count,
                }
            }
            Fact::PrivilegedAction(action) => profile.add_shared_history(&action.text, count),
            Fact::ActiveDay(hour) => profile.add_history_hour(*hour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Position, SourceFamily};

    #[test]
    fn interned_values_order_by_hash_and_stay_exact() {
        let mut interner = Interner::default();
        let a = interner.intern("storage.buckets.get");
        let shared = interner.intern("storage.buckets.get");
        assert!(Arc::ptr_eq(&a.text, &shared.text));
        assert_eq!(a, Interned::new("storage.buckets.get"));
        let b = Interned::new("iam.setIamPolicy");
        assert_ne!(a, b);
        assert_eq!(a.cmp(&b), a.hash.cmp(&b.hash));
        // Same hash, different text (forged): still different and ordered by text.
        let forged = Interned {
            hash: a.hash,
            text: "z".into(),
        };
        assert_ne!(a, forged);
        assert_eq!(a.cmp(&forged), Ordering::Less);
    }

    #[test]
    fn facts_fold_like_the_event_observations() {
        let event = AuditEvent {
            time_ns: 7_200_000_000_123,
            source: SourceFamily::Gcp,
            principal: "alice@example.com".into(),
            principal_type: PrincipalType::User,
            action: "SetIamPolicy".into(),
            service: "iam.googleapis.com".into(),
            resource: String::new(),
            source_ip: "203.0.113.9".into(),
            user_agent: "gcloud".into(),
            outcome: Outcome::Denied,
            error_code: None,
            event_id: "e1".into(),
            position: Position::line("t".into(), 0, 1),
        };
        let mut expected = Profile::default();
        for o in crate::detect::profile::observations(&event) {
            expected.add(&o, 2);
        }
        let (principal, facts) = Interner::default().facts(event);
        let mut folded = Profile::default();
        facts.add_to(&mut folded, 2);
        assert_eq!(folded, expected);
        assert_eq!(&*principal.text, "alice@example.com");
        assert_eq!(&*facts.network.text, "203.0.113.0/24");
    }
}

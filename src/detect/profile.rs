//! Behaviour profiles: what a principal did over a span of event time, as counts.
//!
//! The dataflow maintains, per principal, a multiset of [`Observation`]s tagged with the
//! [`Span`] they fall in (the current window or the baseline before it). The multiset is
//! folded into two [`Profile`]s, which the scorer compares.

use crate::event::{AuditEvent, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which span of a principal's history an observation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Span {
    /// The current window (default: the last 5 minutes).
    Current,
    /// The baseline before the current window (default: the 24 hours before it).
    Baseline,
    /// The long history before the current window (default: 14 days), kept only for
    /// privileged actions: which ones this principal has ever exercised.
    History,
}

/// A categorical feature of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Categorical {
    /// The action (method, event name).
    Action,
    /// The service called.
    Service,
    /// The source IP's network: /24 for IPv4, /48 for IPv6, the name for hostnames.
    Network,
    /// The user agent.
    UserAgent,
}

impl Categorical {
    /// All categorical features, in a fixed order.
    pub const ALL: [Categorical; 4] = [
        Categorical::Action,
        Categorical::Service,
        Categorical::Network,
        Categorical::UserAgent,
    ];

    /// The name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Categorical::Action => "action",
            Categorical::Service => "service",
            Categorical::Network => "network",
            Categorical::UserAgent => "user_agent",
        }
    }
}

/// One fact about one event, counted by the dataflow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Observation {
    /// A value of a categorical feature. Shared (`Arc`): the dataflow copies observations
    /// many times (windows, batchers), and a reference count is cheaper than a string copy.
    Value(Categorical, Arc<str>),
    /// The hour the event happened in, as whole hours since the Unix epoch (UTC). Gives the
    /// hour-of-day profile (`hour % 24`), the per-hour rate and its spread, and how much
    /// history a baseline covers.
    Hour(i64),
    /// The event's outcome.
    Outcome(Outcome),
}

/// The observations one event contributes (one per feature).
pub fn observations(event: &AuditEvent) -> [Observation; 6] {
    let hour = event.time_ns.div_euclid(3_600_000_000_000);
    [
        Observation::Value(Categorical::Action, event.action.as_str().into()),
        Observation::Value(Categorical::Service, event.service.as_str().into()),
        Observation::Value(Categorical::Network, network_of(&event.source_ip).into()),
        Observation::Value(Categorical::UserAgent, event.user_agent.as_str().into()),
        Observation::Hour(hour),
        Observation::Outcome(event.outcome),
    ]
}

/// The network an address belongs to: `a.b.c.0/24` for IPv4, the first three hextets
/// `/48` for IPv6, and the input itself for anything else (CloudTrail writes service
/// hostnames such as `iam.amazonaws.com`).
pub fn network_of(ip: &str) -> String {
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        let o = v4.octets();
        return format!("{}.{}.{}.0/24", o[0], o[1], o[2]);
    }
    if let Ok(v6) = ip.parse::<std::net::Ipv6Addr>() {
        let s = v6.segments();
        return format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]);
    }
    ip.to_string()
}

/// What a principal did over one span, as counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Profile {
    /// Number of events.
    pub events: u64,
    /// Events whose outcome was `Failure`.
    pub failed: u64,
    /// Events whose outcome was `Denied`.
    pub denied: u64,
    /// Per categorical feature, the count of each value seen.
    pub values: BTreeMap<Categorical, BTreeMap<Arc<str>, u64>>,
    /// Events per hour, keyed by whole hours since the Unix epoch (UTC).
    pub hours: BTreeMap<i64, u64>,
    /// Privileged actions over the long history ([`Span::History`]), with counts.
    pub privileged_history: BTreeMap<Arc<str>, u64>,
    /// The earliest hour (since the epoch) of the long history: how long the principal has
    /// been watched.
    pub history_since_hour: Option<i64>,
    /// The principal's peer group over the long history, if it has been seen there.
    pub peers: Option<crate::detect::peer::PeerPrivileges>,
}

impl Profile {
    /// Adds `count` occurrences of an observation.
    pub fn add(&mut self, observation: &Observation, count: u64) {
        match observation {
            Observation::Value(feature, value) => self.add_value(*feature, value, count),
            Observation::Hour(h) => *self.hours.entry(*h).or_default() += count,
            Observation::Outcome(outcome) => {
                self.events += count;
                match outcome {
                    Outcome::Success => {}
                    Outcome::Failure => self.failed += count,
                    Outcome::Denied => self.denied += count,
                }
            }
        }
    }

    /// Adds `count` occurrences of a categorical value (as [`Observation::Value`]).
    pub fn add_value(&mut self, feature: Categorical, value: &str, count: u64) {
        bump(
            self.values.entry(feature).or_default(),
            value,
            || value.into(),
            count,
        );
    }

    /// [`Profile::add_value`] for a shared value: the profile keeps a reference to it
    /// rather than a copy (scoring rebuilds profiles from shared values on every replay).
    pub fn add_shared_value(&mut self, feature: Categorical, value: &Arc<str>, count: u64) {
        bump(
            self.values.entry(feature).or_default(),
            value,
            || value.clone(),
            count,
        );
    }

    /// Records a privileged action seen in the long history.
    pub fn add_history(&mut self, action: &str, count: u64) {
        bump(
            &mut self.privileged_history,
            action,
            || action.into(),
            count,
        );
    }

    /// [`Profile::add_history`] for a shared action.
    pub fn add_shared_history(&mut self, action: &Arc<str>, count: u64) {
        bump(
            &mut self.privileged_history,
            action,
            || action.clone(),
            count,
        );
    }

    /// Records that the principal was active in the long history at `hour`.
    pub fn add_history_hour(&mut self, hour: i64) {
        self.history_since_hour = Some(self.history_since_hour.map_or(hour, |h| h.min(hour)));
    }

    /// Events per UTC hour of day (0-23).
    pub fn hour_of_day(&self) -> [u64; 24] {
        let mut out = [0; 24];
        for (h, c) in &self.hours {
            out[h.rem_euclid(24) as usize] += c;
        }
        out
    }

    /// The counts of one categorical feature (empty if never seen).
    pub fn counts(&self, feature: Categorical) -> impl Iterator<Item = (&str, u64)> {
        self.values
            .get(&feature)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (&**k, *v)))
    }
}

/// Adds `count` to `key`'s entry, making the key (a copy or a shared reference) only when
/// the entry is new.
fn bump(
    counts: &mut BTreeMap<Arc<str>, u64>,
    key: &str,
    make: impl FnOnce() -> Arc<str>,
    count: u64,
) {
    match counts.get_mut(key) {
        Some(n) => *n += count,
        None => {
            counts.insert(make(), count);
        }
    }
}

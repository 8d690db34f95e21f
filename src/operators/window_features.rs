//! `window_features`: per-principal counts over tumbling windows (the stage-1 workload).
//!
//! # Design
//!
//! Each event ([`FeatureEvent`]: decoded straight from the record by
//! [`FeatureEvent::decode`], or projected from an [`AuditEvent`]) becomes one update
//! `((principal hash, window start), Facts)` where `Facts` holds 64-bit hashes of the
//! event's method, caller IP and service and whether it failed. One differential `reduce` keyed by `(principal hash, window start)` maintains the
//! row of every window: `n_events` and `n_failed` are sums of multiplicities, the distinct
//! counts are the numbers of distinct hashes among the key's values. Fixed-size `u64`
//! keys and values make the arrangement's sorts and merges plain integer compares and copies
//! (with `String`s, allocation, copying and `memcmp` were three quarters of the time), and
//! identical facts of one principal-window consolidate into one update with a count.
//!
//! Principal names travel beside the dataflow: each worker sends `(hash, name)` the first
//! time it sees a principal (and again only if it later sees it at an earlier time), to every
//! worker. Names never retract, so each worker keeps a table and resolves the reduce's output
//! rows to `(principal, window start)` once every name at or before the rows' time has
//! arrived.
//!
//! # Hashes and exactness
//!
//! Strings are hashed with SipHash-1-3 under constant keys (`std`'s `DefaultHasher::new()`):
//! deterministic within a build, identical on every worker, independent of `RandomState`.
//! - Principals: two distinct principals with the same hash would merge their rows. This is
//!   detected, not assumed away: every worker keeps the name behind each hash it has seen and
//!   the resolver keeps every name it is sent; a second name for one hash panics the worker
//!   (the run fails with an error) instead of producing wrong rows.
//! - Methods, IPs, services: a distinct count is exact unless two distinct values of one
//!   field within one principal-window hash to the same 64 bits (it would then count one
//!   less). With `k` distinct values in a group the chance is about `k^2 / 2^65`; over the
//!   benchmark's 616,000 rows of a few values each it is below `10^-12`. Counts of events and
//!   failures do not depend on hashes at all.

use crate::event::{AuditEvent, Position};
use crate::parse::{check_size, gcp, parse_record, Format, ParseError, DEFAULT_MAX_RECORD_BYTES};
use crate::source::ingest::EventTime;
use differential_dataflow::{AsCollection, VecCollection};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;

/// The stage-1 features of one principal in one window.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FeatureRow {
    /// Events in the window.
    pub n_events: u64,
    /// Distinct actions (methods).
    pub n_methods: u64,
    /// Distinct source IPs.
    pub n_ips: u64,
    /// Events that did not succeed.
    pub n_failed: u64,
    /// Distinct services.
    pub n_services: u64,
}

/// The distinct-countable facts of one event: hashes of method, caller IP and service, and
/// whether it failed.
type Facts = (u64, u64, u64, bool);

/// `(principal hash, window start)`.
type Key = (u64, u64);

/// The 64-bit hash of a string: SipHash-1-3 with constant keys (see the module docs).
fn hash_str(text: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// Per (principal, window start) features over tumbling windows of `window_secs`, aligned to
/// the Unix epoch: events, distinct methods, distinct IPs, failures, distinct services.
///
/// Maintained incrementally by one `reduce` keyed by (principal, window start); exact
/// distinct counts (see the module docs on hashing). Window starts are in seconds.
pub trait WindowFeatures<'s> {
    /// Computes the stage-1 rows, keyed by `(principal, window_start)`.
    fn window_features(
        self,
        window_secs: u64,
    ) -> VecCollection<'s, u64, ((String, u64), FeatureRow), isize>;
}

/// The fields of one event the stage-1 features read: time, principal, and the hashed
/// method, caller IP and service with whether the call failed. Decoding straight into it
/// ([`FeatureEvent::decode`]) skips the owned strings of a full [`AuditEvent`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeatureEvent {
    /// Event time, nanoseconds since the Unix epoch (UTC).
    pub time_ns: i64,
    /// Who acted.
    pub principal: String,
    /// Hash of the action (method).
    pub action: u64,
    /// Hash of the source IP.
    pub source_ip: u64,
    /// Hash of the service.
    pub service: u64,
    /// The call did not succeed.
    pub failed: bool,
}

impl FeatureEvent {
    /// The feature fields of an event, hashing its strings.
    pub fn new(
        time_ns: i64,
        principal: String,
        action: &str,
        source_ip: &str,
        service: &str,
        failed: bool,
    ) -> Self {
        FeatureEvent {
            time_ns,
            principal,
            action: hash_str(action),
            source_ip: hash_str(source_ip),
            service: hash_str(service),
            failed,
        }
    }

    /// Decodes one record as [`parse_record`] does, keeping only the feature fields. GCP
    /// records are read through the GCP parser's own field mapping without copying strings;
    /// other formats go through the full parse.
    pub fn decode(format: Format, raw: &[u8], position: &Position) -> Result<Self, ParseError> {
        match format {
            Format::Gcp => {
                check_size(raw, DEFAULT_MAX_RECORD_BYTES)?;
                gcp::with_gcp_fields(raw, |f| {
                    FeatureEvent::new(
                        f.time_ns,
                        f.principal.to_owned(),
                        f.action,
                        f.source_ip,
                        f.service,
                        gcp::outcome(f.code).is_failed(),
                    )
                })
            }
            _ => parse_record(format, raw, position).map(FeatureEvent::from),
        }
    }
}

impl From<AuditEvent> for FeatureEvent {
    fn from(event: AuditEvent) -> Self {
        FeatureEvent::new(
            event.time_ns,
            event.principal,
            &event.action,
            &event.source_ip,
            &event.service,
            event.outcome.is_failed(),
        )
    }
}

impl EventTime for FeatureEvent {
    fn time_ns(&self) -> i64 {
        self.time_ns
    }
}

impl<'s> WindowFeatures<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn window_features(
        self,
        window_secs: u64,
    ) -> VecCollection<'s, u64, ((String, u64), FeatureRow), isize> {
        self.map(FeatureEvent::from).window_features(window_secs)
    }
}

impl<'s> WindowFeatures<'s> for VecCollection<'s, u64, FeatureEvent, isize> {
    fn window_features(
        self,
        window_secs: u64,
    ) -> VecCollection<'s, u64, ((String, u64), FeatureRow), isize> {
        let (facts, names) = extract_facts(self.inner, window_secs);
        let facts = facts.as_collection();
        let names = names.broadcast();

        let mut scratch: Vec<u64> = Vec::new();
        let rows = facts.reduce_named("WindowFeatures", move |_key, facts, output| {
            let mut row = FeatureRow::default();
            // Values arrive sorted, so equal methods (the first field) are adjacent.
            let mut last_method = None;
            for (&(method, _, _, failed), count) in facts {
                let count = *count as u64;
                row.n_events += count;
                if failed {
                    row.n_failed += count;
                }
                if last_method != Some(method) {
                    row.n_methods += 1;
                    last_method = Some(method);
                }
            }
            row.n_ips = count_distinct(&mut scratch, facts.iter().map(|(f, _)| f.1));
            row.n_services = count_distinct(&mut scratch, facts.iter().map(|(f, _)| f.2));
            output.push((row, 1));
        });
        resolve_names(rows.inner, names).as_collection()
    }
}

type EventUpdate = (FeatureEvent, u64, isize);
type FactUpdate = ((Key, Facts), u64, isize);

/// Turns events into fact updates (first output) and, the first time this worker sees a
/// principal (or sees it at an earlier time), its `(hash, name)` (second output). One pass
/// with two outputs: a `flat_map` into an enum, a `partition` and two more `flat_map`s
/// moved every update three more times.
fn extract_facts<'s>(
    events: StreamVec<'s, u64, EventUpdate>,
    window_secs: u64,
) -> (
    StreamVec<'s, u64, FactUpdate>,
    StreamVec<'s, u64, (u64, String)>,
) {
    let mut builder = OperatorBuilder::new("ExtractFacts".to_owned(), events.scope());
    let mut input = builder.new_input(events, Pipeline);
    let (mut facts_output, facts) = builder.new_output::<Vec<FactUpdate>>();
    let (mut names_output, names) = builder.new_output::<Vec<(u64, String)>>();
    builder.build(move |_capabilities| {
        // Per principal hash: its name and the earliest time this worker sent it at.
        let mut sent: HashMap<u64, (String, u64)> = HashMap::new();
        move |_frontiers| {
            let mut facts_session = facts_output.activate();
            let mut names_session = names_output.activate();
            input.for_each_stamp(|cap, data| {
                for batch in data {
                    let mut facts: Vec<FactUpdate> = Vec::with_capacity(batch.len());
                    let mut names: Vec<(u64, String)> = Vec::new();
                    for (event, time, diff) in batch.drain(..) {
                        let secs = event.time_ns.div_euclid(1_000_000_000).max(0) as u64;
                        let principal = hash_str(&event.principal);
                        let key = (principal, secs / window_secs * window_secs);
                        let facts_of = (event.action, event.source_ip, event.service, event.failed);
                        facts.push(((key, facts_of), time, diff));
                        match sent.get_mut(&principal) {
                            Some((name, at)) => {
                                assert_collision_free(principal, name, &event.principal);
                                if time < *at {
                                    *at = time;
                                    names.push((principal, event.principal));
                                }
                            }
                            None => {
                                sent.insert(principal, (event.principal.clone(), time));
                                names.push((principal, event.principal));
                            }
                        }
                    }
                    facts_session.give(&cap, &mut facts);
                    names_session.give(&cap, &mut names);
                }
            });
        }
    });
    (facts, names)
}

/// Panics when two distinct principals share a hash (see the module docs).
fn assert_collision_free(hash: u64, known: &str, seen: &str) {
    assert!(
        known == seen,
        "principal hash collision: {known:?} and {seen:?} both hash to {hash:#018x}"
    );
}

fn count_distinct(scratch: &mut Vec<u64>, values: impl Iterator<Item = u64>) -> u64 {
    scratch.clear();
    scratch.extend(values);
    scratch.sort_unstable();
    scratch.dedup();
    scratch.len() as u64
}

type HashedRow = ((Key, FeatureRow), u64, isize);
type NamedRow = (((String, u64), FeatureRow), u64, isize);

/// Replaces principal hashes by names. Rows of time `t` are held until every name sent at or
/// before `t` has arrived (names travel at or before the time of every row that needs them).
fn resolve_names<'s>(
    rows: StreamVec<'s, u64, HashedRow>,
    names: StreamVec<'s, u64, (u64, String)>,
) -> StreamVec<'s, u64, NamedRow> {
    rows.binary_frontier(
        names,
        Pipeline,
        Pipeline,
        "ResolvePrincipals",
        |_capability, _info| {
            let mut table: HashMap<u64, String> = HashMap::new();
            let mut pending: BTreeMap<u64, (Capability<u64>, Vec<HashedRow>)> = BTreeMap::new();
            move |(rows, _), (names, names_frontier), output| {
                names.for_each(|_cap, data| {
                    for (hash, name) in data.drain(..) {
                        match table.get(&hash) {
                            Some(known) => assert_collision_free(hash, known, &name),
                            None => {
                                table.insert(hash, name);
                            }
                        }
                    }
                });
                let port = output.output_index();
                rows.for_each(|cap, data| {
                    for update in data.drain(..) {
                        pending
                            .entry(update.1)
                            .or_insert_with(|| (cap.delayed(&update.1, port), Vec::new()))
                            .1
                            .push(update);
                    }
                });
                while let Some(entry) = pending.first_entry() {
                    if names_frontier.less_equal(entry.key()) {
                        break;
                    }
                    let (cap, updates) = entry.remove();
                    let mut session = output.session(&cap);
                    for (((principal, window), row), time, diff) in updates {
                        let name = table.get(&principal).unwrap_or_else(|| {
                            panic!("no name for principal hash {principal:#018x}")
                        });
                        session.give((((name.clone(), window), row), time, diff));
                    }
                }
            }
        },
    )
}

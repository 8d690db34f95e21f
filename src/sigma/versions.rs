//! Rule versions in the dataflow: when a reloaded rule set takes effect, the same in every
//! worker and process.
//!
//! One worker (the first) runs a [`RuleWatcher`] in a small source whose capability follows
//! the ingest frontier. A reload is sent, broadcast to every worker, at that capability's
//! time: the earliest timestamp granule the ingest may still emit when the reload is seen.
//! Records are evaluated by [`ApplyRuleVersions`] once no version can still arrive for their
//! granule, with the latest version sent at or before it. So a record whose granule is at
//! or after the reload's time is matched by the new rules, an earlier one by the old, at
//! any worker or process count.

use super::reload::{RuleTexts, RuleWatcher};
use super::{Correlation, MatchedEvent, RuleSet};
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::Capability;
use timely::dataflow::{ProbeHandle, Scope, StreamVec};

/// How often the watching worker checks its watcher and follows the ingest frontier.
const TICK: Duration = Duration::from_millis(100);

/// The reloads, stamped with the granule from which each applies, on every worker.
/// `watcher` is given to one worker only; `ingest` probes the ingested records.
pub fn rule_versions<'s>(
    scope: Scope<'s, u64>,
    watcher: Option<RuleWatcher>,
    ingest: ProbeHandle<u64>,
) -> StreamVec<'s, u64, RuleTexts> {
    source(scope, "RuleVersions", move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut watcher = watcher;
        let mut cap = watcher.is_some().then_some(capability);
        move |output| {
            let (Some(current), Some(watcher)) = (cap.as_mut(), watcher.as_mut()) else {
                return;
            };
            if let Some(texts) = watcher.poll() {
                output.session(&*current).give(texts);
            }
            let least = ingest.with_frontier(|f| f.iter().min().copied());
            match least {
                None => cap = None,
                Some(t) => {
                    if t > *current.time() {
                        current.downgrade(&t);
                    }
                    activator.activate_after(TICK);
                }
            }
        }
    })
    .broadcast()
}

/// Evaluates the rules on records carrying their raw bytes, by rule version.
pub trait ApplyRuleVersions<'s> {
    /// Each record matched by the version in effect at its time (see the module docs):
    /// `initial` before the first reload, `correlations` fixed for the run.
    fn apply_rule_versions(
        self,
        versions: StreamVec<'s, u64, RuleTexts>,
        initial: Arc<RuleSet>,
        correlations: Arc<Vec<Correlation>>,
    ) -> VecCollection<'s, u64, MatchedEvent, isize>;
}

type Update = (MatchedEvent, u64, isize);

impl<'s> ApplyRuleVersions<'s> for VecCollection<'s, u64, MatchedEvent, isize> {
    fn apply_rule_versions(
        self,
        versions: StreamVec<'s, u64, RuleTexts>,
        initial: Arc<RuleSet>,
        correlations: Arc<Vec<Correlation>>,
    ) -> VecCollection<'s, u64, MatchedEvent, isize> {
        self.inner
            .binary_frontier(
                versions,
                Pipeline,
                Pipeline,
                "ApplyRuleVersions",
                move |_capability, _info| {
                    let mut book: BTreeMap<u64, Arc<RuleSet>> = BTreeMap::from([(0, initial)]);
                    let mut pending: BTreeMap<u64, (Capability<u64>, Vec<Update>)> =
                        BTreeMap::new();
                    move |(records, records_frontier), (reloads, reloads_frontier), output| {
                        reloads.for_each(|cap, data| {
                            let time = *cap.least().expect("a totally ordered time");
                            for texts in data.drain(..) {
                                book.insert(time, Arc::new(texts.compile(&correlations)));
                            }
                        });
                        let port = output.output_index();
                        records.for_each(|cap, data| {
                            for update in data.drain(..) {
                                pending
                                    .entry(update.1)
                                    .or_insert_with(|| (cap.delayed(&update.1, port), Vec::new()))
                                    .1
                                    .push(update);
                            }
                        });
                        while let Some(entry) = pending.first_entry() {
                            if reloads_frontier.less_equal(entry.key()) {
                                break;
                            }
                            let time = *entry.key();
                            let (cap, updates) = entry.remove();
                            let rules = book
                                .range(..=time)
                                .next_back()
                                .map(|(_, r)| r.clone())
                                .expect("version 0 is always there");
                            let mut session = output.session(&cap);
                            for (mut matched, t, diff) in updates {
                                if let Some(raw) = matched.raw.take() {
                                    (matched.alerts, matched.hits) =
                                        rules.matches(&matched.event, &raw);
                                }
                                session.give((matched, t, diff));
                            }
                        }
                        // Versions before the one the earliest possible record needs go.
                        let earliest = records_frontier
                            .frontier()
                            .iter()
                            .copied()
                            .chain(pending.keys().copied())
                            .min();
                        let needed = earliest.and_then(|t| book.range(..=t).next_back());
                        if let Some(&from) = needed.map(|(t, _)| t) {
                            book = book.split_off(&from);
                        }
                    }
                },
            )
            .as_collection()
    }
}

/// The records of `matched` (decoded with their raw bytes kept) matched by rule version:
/// the versions `watcher` (on one worker) reloads, `initial` before the first.
pub fn versioned_matches<'s>(
    matched: VecCollection<'s, u64, MatchedEvent, isize>,
    watcher: Option<RuleWatcher>,
    initial: Arc<RuleSet>,
    correlations: Arc<Vec<Correlation>>,
) -> VecCollection<'s, u64, MatchedEvent, isize> {
    use timely::dataflow::operators::Probe;
    let probe = ProbeHandle::new();
    let scope = matched.inner.scope();
    let matched = matched.inner.probe_with(&probe).as_collection();
    let versions = rule_versions(scope, watcher, probe);
    matched.apply_rule_versions(versions, initial, correlations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
    use std::sync::Mutex;
    use timely::dataflow::operators::{Input, Inspect};

    const RULE: &str = "title: T\nid: ID\nlogsource: {product: aws, service: cloudtrail}\n\
        detection:\n  sel: {eventName: NAME}\n  condition: sel\nlevel: high\n";

    fn texts(rules: &[(&str, &str)]) -> RuleTexts {
        RuleTexts(
            rules
                .iter()
                .map(|(id, name)| {
                    (
                        format!("{id}.yml"),
                        RULE.replace("ID", id).replace("NAME", name),
                    )
                })
                .collect(),
        )
    }

    /// A CloudTrail record at `time`: StopLogging at even times, DeleteTrail at odd ones.
    fn record(time: u64) -> MatchedEvent {
        let name = if time % 2 == 0 {
            "StopLogging"
        } else {
            "DeleteTrail"
        };
        MatchedEvent {
            event: AuditEvent {
                time_ns: time as i64 * 1_000_000_000,
                source: SourceFamily::Cloudtrail,
                principal: "p".into(),
                principal_type: PrincipalType::User,
                action: name.into(),
                service: "cloudtrail.amazonaws.com".into(),
                resource: String::new(),
                source_ip: String::new(),
                user_agent: String::new(),
                outcome: Outcome::Success,
                error_code: None,
                event_id: format!("e{time}"),
                position: Position::line("t".into(), 0, time + 1),
            },
            alerts: Vec::new(),
            hits: Vec::new(),
            monitor_hits: Vec::new(),
            raw: Some(Arc::from(format!(r#"{{"eventName":"{name}"}}"#).as_bytes())),
        }
    }

    /// `(rule id, event id)` of every alert, records at times 0..10, and a version adding
    /// the DeleteTrail rule at time 5.
    fn alerts_at(workers: usize) -> Vec<(String, String)> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let initial = Arc::new(texts(&[("stop", "StopLogging")]).compile(&[]));
        timely::execute(timely::Config::process(workers), move |worker| {
            let (index, sink, initial) = (worker.index(), sink.clone(), initial.clone());
            let (mut records, mut versions) = worker.dataflow::<u64, _, _>(|scope| {
                let (records, stream) = scope.new_input::<Vec<Update>>();
                let (versions, reloads) = scope.new_input::<Vec<RuleTexts>>();
                stream
                    .as_collection()
                    .apply_rule_versions(reloads, initial, Arc::new(Vec::new()))
                    .inner
                    .inspect(move |(m, _, _)| {
                        let mut seen = sink.lock().unwrap();
                        for a in &m.alerts {
                            seen.push((a.rule_id.clone(), m.event.event_id.clone()));
                        }
                    });
                (records, versions)
            });
            if index == 0 {
                for t in 0..10 {
                    records.send((record(t), t, 1));
                }
            }
            // As the broadcast delivers it: to every worker.
            versions.advance_to(5);
            versions.send(texts(&[("stop", "StopLogging"), ("delete", "DeleteTrail")]));
        })
        .unwrap();
        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        seen
    }

    #[test]
    fn records_from_the_version_time_on_use_the_new_rules_at_any_worker_count() {
        let mut expected: Vec<(String, String)> = (0..10)
            .filter(|t| t % 2 == 0)
            .map(|t| ("stop".to_string(), format!("e{t}")))
            .chain([5, 7, 9].map(|t| ("delete".to_string(), format!("e{t}"))))
            .collect();
        expected.sort();
        for workers in [1, 2] {
            assert_eq!(alerts_at(workers), expected, "{workers} workers");
        }
    }
}

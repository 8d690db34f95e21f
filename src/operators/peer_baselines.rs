//! `peer_baselines`: each peer group's baseline, for the cold start of principals with
//! little history of their own.

use super::score_facts::{EventFacts, Interned, Interner};
use super::score_windows::REFRESH_SECS;
use super::SlidingWindow;
use crate::detect::peer::{peer_group, PeerBaseline};
use crate::event::{Outcome, PrincipalType};
use differential_dataflow::VecCollection;
use std::collections::HashMap;
use std::sync::Arc;

/// What a group's baseline counts of an event: its hour, action, service and outcome.
pub type GroupEntry = (i64, Interned, Interned, Outcome);

/// Sums, per peer group ([`peer_group`] of each event's principal and type), what its
/// members did over the baseline span ([`PeerBaseline`]).
///
/// An event joins the group's baseline at the first hour boundary at or after it leaves
/// the `window_secs` window and leaves it `baseline_secs` later, as a principal's own
/// baseline in [`super::ScoreWindows`]. Entries are consolidated per batch before the
/// exchange (a group's hour repeats the same few actions), and one `reduce` per group runs
/// at most once an hour.
pub trait PeerBaselines<'s> {
    /// `(group, its baseline)`.
    fn peer_baselines(
        self,
        window_secs: u64,
        baseline_secs: u64,
    ) -> VecCollection<'s, u64, (Interned, Arc<PeerBaseline>), isize>;
}

impl<'s> PeerBaselines<'s> for VecCollection<'s, u64, (Interned, Arc<EventFacts>), isize> {
    fn peer_baselines(
        self,
        window_secs: u64,
        baseline_secs: u64,
    ) -> VecCollection<'s, u64, (Interned, Arc<PeerBaseline>), isize> {
        let mut groups = GroupNames::default();
        self.map(move |(principal, facts)| {
            let group = groups.of(&principal, facts.principal_type);
            let entry: GroupEntry = (
                facts.hour(),
                facts.action.clone(),
                facts.service.clone(),
                facts.outcome,
            );
            (group, entry)
        })
        .sliding_window_aligned(window_secs, baseline_secs, REFRESH_SECS)
        .consolidate_stream()
        .reduce_named("PeerBaselines", |group, entries, output| {
            let counted = entries.iter().filter(|(_, n)| *n > 0).map(|(e, n)| {
                let (hour, action, service, outcome) = e;
                ((*hour, &*action.text, &*service.text, *outcome), *n as u64)
            });
            let sum = PeerBaseline::fold(&group.text, counted.collect::<Vec<_>>());
            output.push((Arc::new(sum), 1));
        })
    }
}

/// The peer group of each (principal, type) a worker sees, interned and remembered
/// (bounded like [`Interner`]).
#[derive(Default)]
pub struct GroupNames(HashMap<(u64, PrincipalType), Interned>);

impl GroupNames {
    /// The interned [`peer_group`] of a principal acting as `principal_type`.
    pub fn of(&mut self, principal: &Interned, principal_type: PrincipalType) -> Interned {
        let key = (principal.hash, principal_type);
        if let Some(group) = self.0.get(&key) {
            return group.clone();
        }
        if self.0.len() >= Interner::CAPACITY {
            self.0.clear();
        }
        let group = Interned::new(&peer_group(&principal.text, principal_type));
        self.0.insert(key, group.clone());
        group
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::profile::Categorical;
    use crate::event::{AuditEvent, Position, SourceFamily};
    use differential_dataflow::input::Input;
    use std::sync::Mutex;

    fn event(principal: &str, action: &str, secs: i64) -> AuditEvent {
        AuditEvent {
            time_ns: secs * 1_000_000_000,
            source: SourceFamily::Gcp,
            principal: principal.into(),
            principal_type: PrincipalType::User,
            action: action.into(),
            service: "iam".into(),
            resource: String::new(),
            source_ip: "10.0.0.1".into(),
            user_agent: "ua".into(),
            outcome: Outcome::Success,
            error_code: None,
            event_id: format!("{principal}{secs}"),
            position: Position::line("t".into(), 0, 1),
        }
    }

    #[test]
    fn groups_sum_their_members_baselines_from_the_hour_after_the_window() {
        for workers in [1, 2, 4] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let out = seen.clone();
            timely::execute(timely::Config::process(workers), move |worker| {
                let out = out.clone();
                let mut input = worker.dataflow::<u64, _, _>(|scope| {
                    let (input, events) = scope.new_collection::<AuditEvent, isize>();
                    let mut interner = Interner::default();
                    events
                        .map(move |e| interner.facts(e))
                        .peer_baselines(300, 7200)
                        .consolidate()
                        .inspect(move |((group, sum), t, d)| {
                            let actions: Vec<(String, u64)> = sum
                                .profile
                                .counts(Categorical::Action)
                                .map(|(a, n)| (a.to_string(), n))
                                .collect();
                            out.lock()
                                .unwrap()
                                .push((group.text.to_string(), actions, *t, *d));
                        });
                    input
                });
                if worker.index() == 0 {
                    input.insert(event("a@x.com", "get", 10));
                    input.insert(event("b@x.com", "get", 20));
                    input.insert(event("c@x.com", "SetIamPolicy", 30));
                    input.insert(event("d@y.com", "list", 40));
                }
                input.advance_to(60);
            })
            .unwrap();
            let mut seen = std::mem::take(&mut *seen.lock().unwrap());
            seen.sort();
            let n = |a: &str, c: u64| (a.to_string(), c);
            assert_eq!(
                seen,
                vec![
                    // Joined at the first hour boundary after the window, left 2 h later.
                    (
                        "user:x.com".into(),
                        vec![n("SetIamPolicy", 1), n("get", 2)],
                        3600,
                        1
                    ),
                    (
                        "user:x.com".into(),
                        vec![n("SetIamPolicy", 1), n("get", 2)],
                        10800,
                        -1
                    ),
                    ("user:y.com".into(), vec![n("list", 1)], 3600, 1),
                    ("user:y.com".into(), vec![n("list", 1)], 10800, -1),
                ],
                "at {workers} workers"
            );
        }
    }
}

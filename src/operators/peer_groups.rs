//! `peer_privileges`: each principal's peer group and the privileged actions its members
//! exercise, over the long history.

use super::score_windows::REFRESH_SECS;
use super::SlidingWindow;
use crate::detect::peer::{fold_group, peer_group, PeerPrivileges, PeerRow};
use crate::detect::privileged::is_privileged;
use crate::event::AuditEvent;
use differential_dataflow::VecCollection;
use std::sync::Arc;

/// Summarises peer groups ([`crate::detect::peer`]) over the long history and hands each
/// member its group's summary.
///
/// An event joins the history at the first hour boundary at or after it leaves the
/// `window_secs` window and leaves it `history_secs` later, exactly as the principal's own
/// history in [`super::ScoreWindows`], so a principal's peers are judged over the same span
/// as the principal. One `reduce` per group runs once an hour; members holding the same
/// view share one allocation of it (a group's summary is not copied per member).
pub trait PeerGroups<'s> {
    /// `(principal, its view of each group it acted in)`.
    fn peer_privileges(
        self,
        window_secs: u64,
        history_secs: u64,
    ) -> VecCollection<'s, u64, (Arc<str>, Arc<PeerPrivileges>), isize>;
}

impl<'s> PeerGroups<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn peer_privileges(
        self,
        window_secs: u64,
        history_secs: u64,
    ) -> VecCollection<'s, u64, (Arc<str>, Arc<PeerPrivileges>), isize> {
        self.flat_map(|event| {
            let group = peer_group(&event.principal, event.principal_type);
            let principal: Arc<str> = event.principal.into();
            let uses = is_privileged(&event.action).then(|| {
                (
                    group.clone(),
                    PeerRow::Uses(event.action, principal.clone()),
                )
            });
            std::iter::once((group, PeerRow::Member(principal))).chain(uses)
        })
        .sliding_window_aligned(window_secs, history_secs, REFRESH_SECS)
        .reduce_named("PeerPrivileges", |group, rows, output| {
            let present = rows.iter().filter(|(_, n)| *n > 0).map(|(row, _)| *row);
            let mut shared: Option<Arc<PeerPrivileges>> = None;
            for (member, view) in fold_group(group, present) {
                let view = match shared {
                    Some(s) if *s == view => s,
                    _ => Arc::new(view),
                };
                shared = Some(view.clone());
                output.push(((member, view), 1));
            }
        })
        .map(|(_group, view)| view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Outcome, Position, PrincipalType, SourceFamily};
    use differential_dataflow::input::Input;
    use std::sync::Mutex;

    fn event(principal: &str, action: &str, secs: i64) -> AuditEvent {
        AuditEvent {
            time_ns: secs * 1_000_000_000,
            source: SourceFamily::Gcp,
            principal: principal.into(),
            principal_type: PrincipalType::User,
            action: action.into(),
            service: "s".into(),
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
    fn members_see_how_many_peers_use_each_privileged_action() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let out = seen.clone();
        timely::execute_directly(move |worker| {
            let mut input = worker.dataflow::<u64, _, _>(|scope| {
                let (input, events) = scope.new_collection::<AuditEvent, isize>();
                let out = out.clone();
                events
                    .peer_privileges(300, 86_400)
                    .inspect(move |((p, view), t, d)| {
                        out.lock()
                            .unwrap()
                            .push((p.to_string(), view.clone(), *t, *d))
                    });
                input
            });
            input.insert(event("a@x.com", "SetIamPolicy", 10));
            input.insert(event("b@x.com", "SetIamPolicy", 20));
            input.insert(event("c@x.com", "storage.objects.get", 30));
            input.insert(event("d@y.com", "storage.objects.get", 40));
            input.advance_to(60);
        });
        let seen = seen.lock().unwrap();
        // Everything joins the history at the first hour boundary after the window.
        let at = |p: &str| {
            seen.iter()
                .find(|(q, _, t, d)| q == p && *t == 3600 && *d == 1)
                .map(|(_, v, _, _)| v.clone())
                .unwrap_or_else(|| panic!("{p} has no view at 3600: {seen:?}"))
        };
        let c = at("c@x.com");
        assert_eq!((c.group.as_str(), c.members), ("user:x.com", 3));
        assert_eq!(c.users_of("SetIamPolicy"), 2);
        assert_eq!((at("d@y.com").members, at("d@y.com").users.len()), (1, 0));
        // ... and leaves it a history later.
        assert!(seen
            .iter()
            .any(|(p, _, t, d)| p == "c@x.com" && *t == 90_000 && *d == -1));
    }
}

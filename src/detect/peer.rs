//! Peer groups: principals of the same type and scope (email domain, which for a GCP
//! service account is its project; IAM role for an assumed-role session), and which
//! privileged actions their members exercise.
//!
//! A privileged action a principal never exercised, but that several of its peers do, is
//! less surprising than one nobody in its group does: a new administrator's first
//! `SetIamPolicy` among a dozen administrators who set policies, against a developer
//! granting itself owner in a group where no one ever does. The dataflow computes the
//! group summaries with [`crate::operators::PeerGroups`]; the scorer reads them through
//! [`crate::detect::profile::Profile::peers`].

use crate::event::PrincipalType;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The peer group of a principal: `type:scope`, the scope being the role of an assumed-role
/// session (`role/session`), else the email domain (`user:example.com`,
/// `service_account:acme-prod.iam.gserviceaccount.com`), else empty (`user:`, `root:`).
pub fn peer_group(principal: &str, principal_type: PrincipalType) -> String {
    let scope = match principal_type {
        PrincipalType::AssumedRole => principal.split_once('/').map_or(principal, |(r, _)| r),
        _ => principal.rsplit_once('@').map_or("", |(_, domain)| domain),
    };
    format!("{}:{scope}", principal_type.as_str())
}

/// One fact about a peer group over the long history, counted by the dataflow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerRow {
    /// The principal acted in the group.
    Member(Arc<str>),
    /// The principal exercised this privileged action.
    Uses(String, Arc<str>),
}

/// What a principal's peer group does: its size, how many of its members hold privileges
/// (exercised any privileged action) and, per privileged action, how many exercised it,
/// over the long history.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PeerPrivileges {
    /// The group ([`peer_group`]).
    pub group: String,
    /// Distinct members active over the long history.
    pub members: u64,
    /// Distinct members that exercised at least one privileged action.
    pub privileged: u64,
    /// Privileged action -> distinct members that exercised it.
    pub users: BTreeMap<String, u64>,
}

impl PeerPrivileges {
    /// Members that exercised `action` (0 if none).
    pub fn users_of(&self, action: &str) -> u64 {
        self.users.get(action).copied().unwrap_or(0)
    }

    /// Of two groups a principal belongs to, the one to judge it by: the larger, then the
    /// first by name (deterministic whatever the input order).
    pub fn preferred<'a>(a: &'a PeerPrivileges, b: &'a PeerPrivileges) -> &'a PeerPrivileges {
        if (b.members, &a.group) > (a.members, &b.group) {
            b
        } else {
            a
        }
    }
}

/// Folds the rows present in one group into each member's view of it, members in order.
pub fn fold_group<'a>(
    group: &str,
    rows: impl IntoIterator<Item = &'a PeerRow>,
) -> Vec<(Arc<str>, PeerPrivileges)> {
    let mut members: BTreeSet<&Arc<str>> = BTreeSet::new();
    let mut users: BTreeMap<&str, BTreeSet<&Arc<str>>> = BTreeMap::new();
    for row in rows {
        match row {
            PeerRow::Member(p) => {
                members.insert(p);
            }
            PeerRow::Uses(action, p) => {
                users.entry(action).or_default().insert(p);
            }
        }
    }
    let holders: BTreeSet<&Arc<str>> = users.values().flatten().copied().collect();
    let summary = PeerPrivileges {
        group: group.to_string(),
        members: members.len() as u64,
        privileged: holders.len() as u64,
        users: users
            .into_iter()
            .map(|(a, ps)| (a.to_string(), ps.len() as u64))
            .collect(),
    };
    members
        .into_iter()
        .map(|p| (p.clone(), summary.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_type_and_scope() {
        assert_eq!(
            peer_group("alice@example.com", PrincipalType::User),
            "user:example.com"
        );
        assert_eq!(
            peer_group(
                "ci@acme-prod.iam.gserviceaccount.com",
                PrincipalType::ServiceAccount
            ),
            "service_account:acme-prod.iam.gserviceaccount.com"
        );
        assert_eq!(
            peer_group("AWSReservedSSO_Admin/bob", PrincipalType::AssumedRole),
            "assumed_role:AWSReservedSSO_Admin"
        );
        assert_eq!(peer_group("bob", PrincipalType::User), "user:");
    }

    #[test]
    fn fold_counts_distinct_members_per_action() {
        let (a, b, c): (Arc<str>, Arc<str>, Arc<str>) = ("a".into(), "b".into(), "c".into());
        let rows = [
            PeerRow::Member(a.clone()),
            PeerRow::Member(b.clone()),
            PeerRow::Member(c.clone()),
            PeerRow::Uses("SetIamPolicy".into(), a.clone()),
            PeerRow::Uses("SetIamPolicy".into(), b.clone()),
            PeerRow::Uses("CreateRole".into(), b),
        ];
        let folded = fold_group("user:x", &rows);
        assert_eq!(folded.len(), 3);
        let view = &folded[2].1;
        assert_eq!((view.members, view.users_of("SetIamPolicy")), (3, 2));
        // a and b hold privileges (b twice over), c does not.
        assert_eq!(view.privileged, 2);
        assert_eq!(
            (view.users_of("CreateRole"), view.users_of("Other")),
            (1, 0)
        );
        let small = PeerPrivileges {
            group: "a".into(),
            members: 1,
            ..PeerPrivileges::default()
        };
        assert_eq!(PeerPrivileges::preferred(&small, view).group, "user:x");
        assert_eq!(PeerPrivileges::preferred(view, &small).group, "user:x");
    }
}

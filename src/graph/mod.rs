//! The entity graph: who touched what, and from where.
//!
//! Every event contributes edges between entities. Cloud audit: its principal to the
//! resource it acted on (one edge per action, so `alice -setIamPolicy-> projects/p`), and its
//! principal to the source address it came from. Host audit (auditd): the user to the
//! process (executable) it ran, the process to the host and to what it touched (the file or
//! command line), so `alice -execve-> /usr/bin/passwd -ON_HOST-> web-1`. Edges carry first and last seen and a count, kept
//! incrementally by the dataflow ([`crate::operators::EntityEdges`]). Queries walk the
//! graph from a principal ([`EntityGraph::neighbourhood`]); [`export`] writes GraphML and the
//! CSV files `neo4j-admin database import` reads.

pub mod export;
pub mod run;

use crate::event::AuditEvent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeKind {
    /// A principal (user, service account, role session, ...).
    Principal,
    /// A resource acted on (a project, bucket, key, file, executable, ...).
    Resource,
    /// A source address.
    Address,
    /// A process, named by its executable (host audit).
    Process,
    /// A host (host audit: the `node=` name).
    Host,
}

impl NodeKind {
    /// The label used in exports (`Principal`, `Resource`, `Address`).
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Principal => "Principal",
            NodeKind::Resource => "Resource",
            NodeKind::Address => "Address",
            NodeKind::Process => "Process",
            NodeKind::Host => "Host",
        }
    }
}

/// An entity: its kind and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Its name (principal, resource name, address).
    pub name: String,
}

/// A directed, labelled edge: `from -relation-> to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EdgeKey {
    /// The acting entity.
    pub from: Node,
    /// The action for principal -> resource edges, `FROM_ADDRESS` for principal -> address.
    pub relation: String,
    /// The entity acted on or come from.
    pub to: Node,
}

/// When and how often an edge was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EdgeStats {
    /// First event time, ns since the epoch.
    pub first_seen_ns: i64,
    /// Last event time, ns since the epoch.
    pub last_seen_ns: i64,
    /// Events.
    pub count: u64,
}

/// The relation of principal -> address edges.
pub const FROM_ADDRESS: &str = "FROM_ADDRESS";

/// The relation of process -> host (and, without a process, principal -> host) edges.
pub const ON_HOST: &str = "ON_HOST";

fn node(kind: NodeKind, name: &str) -> Node {
    Node {
        kind,
        name: name.to_string(),
    }
}

fn edge(from: &Node, relation: &str, to: Node) -> EdgeKey {
    EdgeKey {
        from: from.clone(),
        relation: relation.to_string(),
        to,
    }
}

/// The edges of a host audit event: AuditFlow's auditd events name the action
/// `<syscall or record type> [<executable>]`, the host in `service` and the file or command
/// line in `resource`.
fn host_edges(event: &AuditEvent, principal: &Node) -> Vec<EdgeKey> {
    let (verb, exe) = match event.action.split_once(' ') {
        Some((verb, exe)) => (verb, Some(exe)),
        None => (event.action.as_str(), None),
    };
    let host = node(NodeKind::Host, &event.service);
    // The acting node: the process when the event names its executable, else the user.
    let actor = match exe {
        Some(exe) => {
            let process = node(NodeKind::Process, exe);
            let mut edges = vec![
                edge(principal, verb, process.clone()),
                edge(&process, ON_HOST, host),
            ];
            if !event.resource.is_empty() {
                edges.push(edge(
                    &process,
                    verb,
                    node(NodeKind::Resource, &event.resource),
                ));
            }
            return edges;
        }
        None => principal,
    };
    let mut edges = vec![edge(actor, ON_HOST, host)];
    if !event.resource.is_empty() {
        edges.push(edge(actor, verb, node(NodeKind::Resource, &event.resource)));
    }
    edges
}

/// The edges one event contributes.
pub fn edges_of(event: &AuditEvent) -> Vec<EdgeKey> {
    let principal = Node {
        kind: NodeKind::Principal,
        name: event.principal.clone(),
    };
    if event.source == crate::event::SourceFamily::Auditd {
        return host_edges(event, &principal);
    }
    let mut edges = Vec::with_capacity(2);
    if !event.resource.is_empty() {
        edges.push(EdgeKey {
            from: principal.clone(),
            relation: event.action.clone(),
            to: Node {
                kind: NodeKind::Resource,
                name: event.resource.clone(),
            },
        });
    }
    if !event.source_ip.is_empty() {
        edges.push(EdgeKey {
            from: principal,
            relation: FROM_ADDRESS.to_string(),
            to: Node {
                kind: NodeKind::Address,
                name: event.source_ip.clone(),
            },
        });
    }
    edges
}

/// A finished graph: every edge with its stats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntityGraph {
    /// Edges, ordered.
    pub edges: BTreeMap<EdgeKey, EdgeStats>,
}

impl EntityGraph {
    /// Adds one observation of an edge at `time_ns` (the reference computation's step).
    pub fn observe(&mut self, edge: EdgeKey, time_ns: i64) {
        let stats = self.edges.entry(edge).or_insert(EdgeStats {
            first_seen_ns: time_ns,
            last_seen_ns: time_ns,
            count: 0,
        });
        stats.first_seen_ns = stats.first_seen_ns.min(time_ns);
        stats.last_seen_ns = stats.last_seen_ns.max(time_ns);
        stats.count += 1;
    }

    /// The reference computation: the graph of `events` by a plain loop.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a AuditEvent>) -> Self {
        let mut graph = EntityGraph::default();
        for event in events {
            for edge in edges_of(event) {
                graph.observe(edge, event.time_ns);
            }
        }
        graph
    }

    /// Every node.
    pub fn nodes(&self) -> BTreeSet<&Node> {
        self.edges.keys().flat_map(|e| [&e.from, &e.to]).collect()
    }

    /// The part of the graph within `hops` edges of `start` (edges followed in either
    /// direction, so a principal reaches its resources and, from them, the other principals
    /// that touched them), using only edges last seen at or after `since_ns`.
    pub fn neighbourhood(&self, start: &Node, hops: usize, since_ns: i64) -> EntityGraph {
        let live: Vec<(&EdgeKey, &EdgeStats)> = self
            .edges
            .iter()
            .filter(|(_, s)| s.last_seen_ns >= since_ns)
            .collect();
        let mut adjacent: BTreeMap<&Node, Vec<usize>> = BTreeMap::new();
        for (i, (edge, _)) in live.iter().enumerate() {
            adjacent.entry(&edge.from).or_default().push(i);
            adjacent.entry(&edge.to).or_default().push(i);
        }
        let mut reached: BTreeSet<&Node> = BTreeSet::from([start]);
        let mut taken: BTreeSet<usize> = BTreeSet::new();
        let mut queue = VecDeque::from([(start, 0usize)]);
        while let Some((node, depth)) = queue.pop_front() {
            if depth == hops {
                continue;
            }
            for &i in adjacent.get(node).into_iter().flatten() {
                taken.insert(i);
                let edge = live[i].0;
                let other = if &edge.from == node {
                    &edge.to
                } else {
                    &edge.from
                };
                if reached.insert(other) {
                    queue.push_back((other, depth + 1));
                }
            }
        }
        EntityGraph {
            edges: taken
                .into_iter()
                .map(|i| (live[i].0.clone(), *live[i].1))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: &str, relation: &str, to: &str) -> EdgeKey {
        EdgeKey {
            from: Node {
                kind: NodeKind::Principal,
                name: from.into(),
            },
            relation: relation.into(),
            to: Node {
                kind: NodeKind::Resource,
                name: to.into(),
            },
        }
    }

    #[test]
    fn neighbourhood_follows_hops_both_ways_and_respects_since() {
        let mut g = EntityGraph::default();
        g.observe(edge("alice", "get", "bucket"), 10);
        g.observe(edge("bob", "delete", "bucket"), 20);
        g.observe(edge("bob", "get", "db"), 5);
        let alice = Node {
            kind: NodeKind::Principal,
            name: "alice".into(),
        };
        let one = g.neighbourhood(&alice, 1, 0);
        assert_eq!(one.edges.len(), 1);
        let two = g.neighbourhood(&alice, 2, 0);
        assert_eq!(two.edges.len(), 2, "bucket leads to bob");
        let three = g.neighbourhood(&alice, 3, 0);
        assert_eq!(three.edges.len(), 3, "bob leads to db");
        let recent = g.neighbourhood(&alice, 3, 8);
        assert_eq!(recent.edges.len(), 2, "the db edge was last seen before 8");
    }
}

#[cfg(test)]
mod host_tests {
    use super::*;
    use crate::event::{Outcome, Position, PrincipalType, SourceFamily};

    #[test]
    fn an_auditd_execve_links_user_process_host_and_command() {
        let event = AuditEvent {
            time_ns: 1,
            source: SourceFamily::Auditd,
            principal: "alice".into(),
            principal_type: PrincipalType::User,
            action: "execve /bin/dd".into(),
            service: "web-1".into(),
            resource: "dd if=/dev/zero".into(),
            source_ip: String::new(),
            user_agent: "uid=1000 euid=0".into(),
            outcome: Outcome::Success,
            error_code: None,
            event_id: "1.0:1".into(),
            position: Position::line("audit.log".into(), 0, 1),
        };
        let edges = edges_of(&event);
        let shape: Vec<(NodeKind, &str, NodeKind, &str)> = edges
            .iter()
            .map(|e| {
                (
                    e.from.kind,
                    e.relation.as_str(),
                    e.to.kind,
                    e.to.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (NodeKind::Principal, "execve", NodeKind::Process, "/bin/dd"),
                (NodeKind::Process, ON_HOST, NodeKind::Host, "web-1"),
                (
                    NodeKind::Process,
                    "execve",
                    NodeKind::Resource,
                    "dd if=/dev/zero"
                ),
            ]
        );
    }
}

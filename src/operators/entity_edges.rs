//! `entity_edges`: the entity graph's edges with first seen, last seen and count.

use crate::event::AuditEvent;
use crate::graph::{edges_of, EdgeKey, EdgeStats};
use differential_dataflow::VecCollection;

/// Turns events into entity-graph edges ([`crate::graph::edges_of`]: principal -> resource
/// per action, principal -> source address) and keeps, per edge, its first and last event
/// time and its count, incrementally: one `reduce` per edge over the times it was seen.
pub trait EntityEdges<'s> {
    /// The `(edge, stats)` collection.
    fn entity_edges(self) -> VecCollection<'s, u64, (EdgeKey, EdgeStats), isize>;
}

impl<'s> EntityEdges<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn entity_edges(self) -> VecCollection<'s, u64, (EdgeKey, EdgeStats), isize> {
        self.flat_map(|event| {
            let time = event.time_ns;
            edges_of(&event).into_iter().map(move |edge| (edge, time))
        })
        .reduce_named("EntityEdges", |_edge, times, output| {
            // `times` is sorted by value: the first and last are the extremes.
            let count: isize = times.iter().map(|(_, n)| *n).sum();
            if let (Some(first), Some(last), true) = (times.first(), times.last(), count > 0) {
                output.push((
                    EdgeStats {
                        first_seen_ns: *first.0,
                        last_seen_ns: *last.0,
                        count: count as u64,
                    },
                    1,
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Outcome, Position, PrincipalType, SourceFamily};
    use crate::graph::EntityGraph;
    use crate::operators::CollectOrdered;
    use differential_dataflow::AsCollection;
    use std::sync::{Arc, Mutex};
    use timely::dataflow::operators::vec::ToStream;

    fn event(time_ns: i64, principal: &str, resource: &str, ip: &str) -> AuditEvent {
        AuditEvent {
            time_ns,
            source: SourceFamily::Gcp,
            principal: principal.into(),
            principal_type: PrincipalType::User,
            action: "get".into(),
            service: "s".into(),
            resource: resource.into(),
            source_ip: ip.into(),
            user_agent: "ua".into(),
            outcome: Outcome::Success,
            error_code: None,
            event_id: format!("{time_ns}"),
            position: Position::line("t".into(), 0, 1),
        }
    }

    #[test]
    fn edges_match_the_reference_after_out_of_order_events() {
        let events = vec![
            event(50, "a", "r1", "10.0.0.1"),
            event(10, "a", "r1", "10.0.0.1"),
            event(30, "b", "", "10.0.0.2"),
            event(70, "a", "r2", ""),
        ];
        let live = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
        let sink = live.clone();
        let input = events.clone();
        timely::example(move |scope| {
            input
                .into_iter()
                .enumerate()
                .map(|(i, e)| (e, i as u64, 1isize))
                .to_stream(scope)
                .as_collection()
                .entity_edges()
                .collect_ordered("Test", move |_time, changes| {
                    let mut live = sink.lock().unwrap();
                    for (edge_stats, diff) in changes {
                        *live.entry(edge_stats).or_insert(0isize) += diff;
                    }
                });
        });
        let graph = EntityGraph {
            edges: live
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, d)| **d > 0)
                .map(|((e, s), _)| (e.clone(), *s))
                .collect(),
        };
        assert_eq!(graph, EntityGraph::from_events(&events));
        assert_eq!(graph.edges.len(), 4);
        let first = graph.edges.values().next().unwrap();
        assert_eq!(
            (first.first_seen_ns, first.last_seen_ns, first.count),
            (10, 50, 2)
        );
    }
}

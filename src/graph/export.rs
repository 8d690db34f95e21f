//! Graph exports: GraphML (Gephi, yEd, networkx) and the node and relationship CSV files
//! that `neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv`
//! reads.

use super::{EntityGraph, Node, FROM_ADDRESS};
use crate::event::time::format_rfc3339;
use crate::pipeline::features::csv_field;
use std::collections::BTreeMap;
use std::fmt::Write;

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Node ids `n0, n1, ...` in node order: stable for the same graph.
fn node_ids(graph: &EntityGraph) -> BTreeMap<&Node, String> {
    graph
        .nodes()
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, format!("n{i}")))
        .collect()
}

/// The graph as GraphML: nodes with `kind` and `name`, directed edges with `relation`,
/// `first_seen`, `last_seen` (RFC 3339) and `count`.
pub fn to_graphml(graph: &EntityGraph) -> String {
    let ids = node_ids(graph);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n\
         <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n\
         <key id=\"name\" for=\"node\" attr.name=\"name\" attr.type=\"string\"/>\n\
         <key id=\"relation\" for=\"edge\" attr.name=\"relation\" attr.type=\"string\"/>\n\
         <key id=\"first_seen\" for=\"edge\" attr.name=\"first_seen\" attr.type=\"string\"/>\n\
         <key id=\"last_seen\" for=\"edge\" attr.name=\"last_seen\" attr.type=\"string\"/>\n\
         <key id=\"count\" for=\"edge\" attr.name=\"count\" attr.type=\"long\"/>\n\
         <graph id=\"auditflow\" edgedefault=\"directed\">\n",
    );
    for (node, id) in &ids {
        let _ = writeln!(
            out,
            "<node id=\"{id}\"><data key=\"kind\">{}</data><data key=\"name\">{}</data></node>",
            node.kind.label(),
            escape_xml(&node.name)
        );
    }
    for (i, (edge, stats)) in graph.edges.iter().enumerate() {
        let _ = writeln!(
            out,
            "<edge id=\"e{i}\" source=\"{}\" target=\"{}\"><data key=\"relation\">{}</data>\
             <data key=\"first_seen\">{}</data><data key=\"last_seen\">{}</data>\
             <data key=\"count\">{}</data></edge>",
            ids[&edge.from],
            ids[&edge.to],
            escape_xml(&edge.relation),
            format_rfc3339(stats.first_seen_ns),
            format_rfc3339(stats.last_seen_ns),
            stats.count
        );
    }
    out.push_str("</graph>\n</graphml>\n");
    out
}

/// The graph as neo4j-admin import CSV: `(nodes.csv, relationships.csv)`. Edges to a
/// resource or a process have type `ACTED_ON` with the action as a property; principal ->
/// address edges have type `FROM_ADDRESS`, edges to a host `ON_HOST`.
pub fn to_neo4j_csv(graph: &EntityGraph) -> (String, String) {
    let ids = node_ids(graph);
    let mut nodes = String::from("id:ID,name,:LABEL\n");
    for (node, id) in &ids {
        let _ = writeln!(
            nodes,
            "{id},{},{}",
            csv_field(&node.name),
            node.kind.label()
        );
    }
    let mut edges = String::from(
        ":START_ID,:END_ID,:TYPE,action,first_seen:datetime,last_seen:datetime,count:long\n",
    );
    for (edge, stats) in &graph.edges {
        let (kind, action) = match edge.relation.as_str() {
            FROM_ADDRESS => (FROM_ADDRESS, ""),
            super::ON_HOST => (super::ON_HOST, ""),
            action => ("ACTED_ON", action),
        };
        let _ = writeln!(
            edges,
            "{},{},{kind},{},{},{},{}",
            ids[&edge.from],
            ids[&edge.to],
            csv_field(action),
            format_rfc3339(stats.first_seen_ns),
            format_rfc3339(stats.last_seen_ns),
            stats.count
        );
    }
    (nodes, edges)
}

/// The graph as readable lines: `from -relation-> to  (count, first .. last)`.
pub fn to_text(graph: &EntityGraph) -> String {
    let mut out = String::new();
    for (edge, stats) in &graph.edges {
        let _ = writeln!(
            out,
            "{} {} -{}-> {} {}  ({}x, {} .. {})",
            edge.from.kind.label(),
            edge.from.name,
            edge.relation,
            edge.to.kind.label(),
            edge.to.name,
            stats.count,
            format_rfc3339(stats.first_seen_ns),
            format_rfc3339(stats.last_seen_ns)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeKey, NodeKind};

    fn sample() -> EntityGraph {
        let mut g = EntityGraph::default();
        let alice = Node {
            kind: NodeKind::Principal,
            name: "alice<&>".into(),
        };
        g.observe(
            EdgeKey {
                from: alice.clone(),
                relation: "setIamPolicy".into(),
                to: Node {
                    kind: NodeKind::Resource,
                    name: "projects/p,1".into(),
                },
            },
            1_000_000_000,
        );
        g.observe(
            EdgeKey {
                from: alice,
                relation: FROM_ADDRESS.into(),
                to: Node {
                    kind: NodeKind::Address,
                    name: "10.0.0.1".into(),
                },
            },
            2_000_000_000,
        );
        g
    }

    #[test]
    fn graphml_escapes_names_and_links_ids() {
        let xml = to_graphml(&sample());
        assert!(xml.contains("<data key=\"name\">alice&lt;&amp;&gt;</data>"));
        assert_eq!(xml.matches("<node ").count(), 3);
        assert_eq!(xml.matches("<edge ").count(), 2);
        assert!(xml.contains("<data key=\"first_seen\">1970-01-01T00:00:01"));
    }

    #[test]
    fn neo4j_csv_has_typed_headers_and_quoted_fields() {
        let (nodes, edges) = to_neo4j_csv(&sample());
        assert!(nodes.starts_with("id:ID,name,:LABEL\n"));
        assert!(nodes.contains("\"projects/p,1\",Resource"));
        let lines: Vec<&str> = edges.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().any(|l| l.contains(",ACTED_ON,setIamPolicy,")));
        assert!(lines.iter().any(|l| l.contains(",FROM_ADDRESS,,")));
    }
}

//! `graph`: who touched what, and what a principal reached.

use crate::common::Workers;
use auditflow::event::time::parse_rfc3339_ns;
use auditflow::graph::export::{to_graphml, to_neo4j_csv, to_text};
use auditflow::graph::run::{run_graph, GraphOptions};
use auditflow::graph::{Node, NodeKind};
use auditflow::parse::Format;
use auditflow::sink::{write_file_atomic, Target};
use auditflow::spec::parse_duration_or_zero;
use auditflow::Error;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct GraphArgs {
    /// Files, directories, globs, or - for stdin.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// Record format.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// Start from this principal (default: the whole graph).
    #[arg(long)]
    principal: Option<String>,
    /// Edges to follow from the principal, in either direction.
    #[arg(long, default_value_t = 2)]
    hops: usize,
    /// Only edges last seen at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Write GraphML to this file.
    #[arg(long)]
    graphml: Option<PathBuf>,
    /// Write neo4j-admin import files (nodes.csv, relationships.csv) into this directory.
    #[arg(long)]
    neo4j: Option<PathBuf>,
    /// Allowed lateness within an input (events further behind are counted late).
    #[arg(long, default_value = "1h")]
    lateness: String,
    /// Where dead letters go.
    #[arg(long, default_value = "stderr")]
    dead_letter: String,
    #[command(flatten)]
    workers: Workers,
}

impl GraphArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let since_ns = match &self.since {
            None => i64::MIN,
            Some(text) => parse_rfc3339_ns(text).ok_or_else(|| {
                Error::invalid(
                    "--since",
                    format!("{text:?} is not a time; write RFC 3339, e.g. 2026-11-03T00:00:00Z"),
                )
            })?,
        };
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        let (graph, summary) = run_graph(GraphOptions {
            inputs: self.input,
            format: self.format,
            lateness_secs: parse_duration_or_zero("--lateness", &self.lateness)?,
            dead_letter: Target::parse(&self.dead_letter),
            execution,
        })?;
        // The graph is gathered at process 0; the other processes only contributed.
        if !leader {
            return Ok(());
        }
        let graph = match &self.principal {
            Some(name) => {
                let start = Node {
                    kind: NodeKind::Principal,
                    name: name.clone(),
                };
                if !graph.nodes().contains(&start) {
                    return Err(Error::invalid(
                        "--principal",
                        format!("{name:?} does not appear in the input; `auditflow parse` shows the principals as AuditFlow names them"),
                    ));
                }
                graph.neighbourhood(&start, self.hops, since_ns)
            }
            None if since_ns > i64::MIN => {
                let mut graph = graph;
                graph.edges.retain(|_, s| s.last_seen_ns >= since_ns);
                graph
            }
            None => graph,
        };
        let mut exported = false;
        if let Some(path) = &self.graphml {
            write_file_atomic(path, &to_graphml(&graph))?;
            eprintln!("wrote {}", path.display());
            exported = true;
        }
        if let Some(dir) = &self.neo4j {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
            let (nodes, relationships) = to_neo4j_csv(&graph);
            write_file_atomic(&dir.join("nodes.csv"), &nodes)?;
            write_file_atomic(&dir.join("relationships.csv"), &relationships)?;
            eprintln!("wrote {}/nodes.csv and relationships.csv", dir.display());
            exported = true;
        }
        if !exported {
            auditflow::sink::stdout()
                .write_all(to_text(&graph).as_bytes())
                .map_err(|e| Error::io("cannot write", "stdout", e))?;
        }
        eprintln!(
            "graph: {} nodes, {} edges | {} records, {} processed, {} dead-lettered, {} late",
            graph.nodes().len(),
            graph.edges.len(),
            summary.records,
            summary.processed,
            summary.dead_lettered,
            summary.late
        );
        Ok(())
    }
}

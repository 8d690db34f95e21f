//! Building the entity graph of a bounded input with the dataflow.

use super::{EdgeKey, EdgeStats, EntityGraph};
use crate::event::AuditEvent;
use crate::operators::EntityEdges;
use crate::parse::Format;
use crate::pipeline::query::{run_query, EventQuery, QueryInput};
use crate::pipeline::{Execution, RunSummary};
use crate::sink::Target;
use crate::Result;
use differential_dataflow::VecCollection;

/// Options of a graph run.
#[derive(Clone, Debug)]
pub struct GraphOptions {
    /// Input files, directories, globs, or `-`.
    pub inputs: Vec<String>,
    /// Record format.
    pub format: Format,
    /// Allowed lateness in seconds within an input.
    pub lateness_secs: u64,
    /// Where dead letters go.
    pub dead_letter: Target,
    /// Workers.
    pub execution: Execution,
}

struct EdgesQuery;

impl EventQuery for EdgesQuery {
    type Output = (EdgeKey, EdgeStats);

    fn build<'s>(
        &self,
        events: VecCollection<'s, u64, AuditEvent, isize>,
    ) -> VecCollection<'s, u64, Self::Output, isize> {
        events.entity_edges()
    }
}

/// Runs the dataflow over the inputs and returns the whole entity graph (on process 0)
/// with the run's counts.
pub fn run_graph(options: GraphOptions) -> Result<(EntityGraph, RunSummary)> {
    let input = QueryInput {
        inputs: options.inputs,
        format: options.format,
        lateness_secs: options.lateness_secs,
        // Hourly timestamps: edges change rarely within an hour.
        granule_secs: 3600,
        dead_letter: options.dead_letter,
        execution: options.execution,
    };
    let (edges, summary) = run_query(input, EdgesQuery)?;
    let edges = edges
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(edge_stats, _)| edge_stats)
        .collect();
    Ok((EntityGraph { edges }, summary))
}

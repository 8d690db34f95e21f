//! Building the entity graph of a bounded input with the dataflow.

use super::{EdgeKey, EdgeStats, EntityGraph};
use crate::operators::{CollectOrdered, EntityEdges};
use crate::parse::Format;
use crate::pipeline::{execute, finish_and_total, ingest_events, Execution, InputPlan, RunSummary};
use crate::sink::{SharedOutput, Target};
use crate::source::file::{expand_inputs, plan_files, CHUNK_BYTES};
use crate::source::ingest::{IngestConfig, IngestCounters};
use crate::Result;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

/// Runs the dataflow over the inputs and returns the whole entity graph with the run's
/// counts.
pub fn run_graph(options: GraphOptions) -> Result<(EntityGraph, RunSummary)> {
    let start = Instant::now();
    let plan = Arc::new(InputPlan::Files(plan_files(
        &expand_inputs(&options.inputs)?,
        CHUNK_BYTES,
    )?));
    let counters = Arc::new(IngestCounters::default());
    let execution = options.execution.clone();
    let dead = SharedOutput::new(execution.open(&options.dead_letter)?, "dead-letter output");
    let totals = Arc::new(Mutex::new(None));
    let config = IngestConfig {
        format: options.format,
        lateness_ns: options.lateness_secs as i64 * 1_000_000_000,
        // Hourly timestamps: edges change rarely within an hour.
        granule_secs: 3600,
        batch: 8192,
    };
    let live: Arc<Mutex<BTreeMap<(EdgeKey, EdgeStats), isize>>> = Arc::default();
    {
        let (live, dead, counters) = (live.clone(), dead.clone(), counters.clone());
        let (totals, threads) = (totals.clone(), execution.workers);
        execute(options.execution, move |worker| {
            let (units, error) = match plan.open_units(worker.index(), worker.peers(), 1 << 20) {
                Ok(units) => (units, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let (live, dead, counters_w) = (live.clone(), dead.clone(), counters.clone());
            let config = config.clone();
            worker.dataflow::<u64, _, _>(move |scope| {
                ingest_events(scope, units, config, counters_w, Some(dead), None)
                    .entity_edges()
                    .collect_ordered("GraphSink", move |_time, changes| {
                        let mut live = live.lock().expect("graph state");
                        for (edge_stats, diff) in changes {
                            *live.entry(edge_stats).or_default() += diff;
                        }
                    });
            });
            finish_and_total(worker, threads, &counters, &totals);
            error.map_or(Ok(()), Err)
        })?;
    }
    dead.finish()?;
    let edges = live
        .lock()
        .expect("graph state")
        .iter()
        .filter(|(_, diff)| **diff > 0)
        .map(|((edge, stats), _)| (edge.clone(), *stats))
        .collect();
    Ok((
        EntityGraph { edges },
        RunSummary::from_counters(&counters, &totals, start.elapsed()),
    ))
}

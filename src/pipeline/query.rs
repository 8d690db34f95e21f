//! Bounded queries: a run of the dataflow over finite input whose result is the final
//! content of one collection (reports, the entity graph, a user's own query).

use super::{execute, finish_and_total, ingest_events, Execution, InputPlan, RunSummary};
use crate::event::AuditEvent;
use crate::operators::CollectOrdered;
use crate::parse::Format;
use crate::sink::{SharedOutput, Target};
use crate::source::file::{expand_inputs, plan_files, CHUNK_BYTES};
use crate::source::ingest::{IngestConfig, IngestCounters};
use crate::Result;
use differential_dataflow::VecCollection;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What a bounded query computes from the events: one collection, built per worker.
pub trait EventQuery: Send + Sync + 'static {
    /// The records of the result.
    type Output: timely::ExchangeData + Ord + Clone;

    /// Builds the result collection from the on-time events.
    fn build<'s>(
        &self,
        events: VecCollection<'s, u64, AuditEvent, isize>,
    ) -> VecCollection<'s, u64, Self::Output, isize>;
}

/// Where a bounded query reads from and how it runs.
#[derive(Clone, Debug)]
pub struct QueryInput {
    /// Input files, directories, globs, or `-`.
    pub inputs: Vec<String>,
    /// Record format.
    pub format: Format,
    /// Allowed lateness in seconds within an input.
    pub lateness_secs: u64,
    /// Timestamp granule in seconds (the query's resolution in event time).
    pub granule_secs: u64,
    /// Where dead letters go.
    pub dead_letter: Target,
    /// Workers and processes.
    pub execution: Execution,
}

/// Runs `query` over the input and returns the final multiset of its output (each record
/// with its count; on process 0, empty elsewhere) and the run's counts (totals over the
/// processes on process 0).
pub fn run_query<Q: EventQuery>(
    input: QueryInput,
    query: Q,
) -> Result<(BTreeMap<Q::Output, isize>, RunSummary)> {
    let start = Instant::now();
    let plan = Arc::new(InputPlan::Files(plan_files(
        &expand_inputs(&input.inputs)?,
        CHUNK_BYTES,
    )?));
    let counters = Arc::new(IngestCounters::default());
    let execution = input.execution.clone();
    let dead = SharedOutput::new(execution.open(&input.dead_letter)?, "dead-letter output");
    let totals = Arc::new(Mutex::new(None));
    let config = IngestConfig {
        format: input.format,
        lateness_ns: input.lateness_secs as i64 * 1_000_000_000,
        granule_secs: input.granule_secs,
        batch: 8192,
    };
    // Every change of the result, accumulated: what remains is the final content.
    let live: Arc<Mutex<BTreeMap<Q::Output, isize>>> = Arc::default();
    let query = Arc::new(query);
    {
        let (live, dead, counters) = (live.clone(), dead.clone(), counters.clone());
        let (totals, threads) = (totals.clone(), execution.workers);
        execute(input.execution, move |worker| {
            let (units, error) = match plan.open_units(worker.index(), worker.peers(), 1 << 20) {
                Ok(units) => (units, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let (live, dead, counters_w) = (live.clone(), dead.clone(), counters.clone());
            let (config, query) = (config.clone(), query.clone());
            worker.dataflow::<u64, _, _>(move |scope| {
                let events = ingest_events(scope, units, config, counters_w, Some(dead), None);
                query
                    .build(events)
                    .collect_ordered("QuerySink", move |_time, changes| {
                        let mut live = live.lock().unwrap_or_else(|p| p.into_inner());
                        for (record, diff) in changes {
                            *live.entry(record).or_default() += diff;
                        }
                    });
            });
            finish_and_total(worker, threads, &counters, &totals);
            error.map_or(Ok(()), Err)
        })?;
    }
    dead.finish()?;
    let mut result = std::mem::take(&mut *live.lock().unwrap_or_else(|p| p.into_inner()));
    result.retain(|_, count| *count != 0);
    Ok((
        result,
        RunSummary::from_counters(&counters, &totals, start.elapsed()),
    ))
}

//! Reports: bounded runs of the dataflow that summarize a span of audit logs for people.
//!
//! `auditflow report crosstab` is the per-day crosstab ([`crosstab`]), rendered as text,
//! CSV and HTML ([`render`]).

pub mod crosstab;
pub mod render;

use crate::operators::{CollectOrdered, HourlyCrosstab};
use crate::parse::Format;
use crate::pipeline::{execute, finish_and_total, ingest_events, Execution, InputPlan, RunSummary};
use crate::sink::{SharedOutput, Target};
use crate::source::file::{expand_inputs, plan_files, CHUNK_BYTES};
use crate::source::ingest::{IngestConfig, IngestCounters};
use crate::Result;
use crosstab::{day_start_ns, Cell, Crosstab, RowField};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Options of a crosstab report run.
#[derive(Clone, Debug)]
pub struct CrosstabOptions {
    /// Input files, directories, globs, or `-`.
    pub inputs: Vec<String>,
    /// Record format.
    pub format: Format,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Row fields.
    pub by: Vec<RowField>,
    /// Allowed lateness in seconds (events later than this behind their input's newest
    /// event are counted late, not in the report).
    pub lateness_secs: u64,
    /// Where dead letters go.
    pub dead_letter: Target,
    /// Workers.
    pub execution: Execution,
}

/// Runs the dataflow over the inputs and returns the day's crosstab with the run's counts.
pub fn run_crosstab(options: CrosstabOptions) -> Result<(Crosstab, RunSummary)> {
    let start = Instant::now();
    let day_start = day_start_ns(&options.day)?;
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
        // Hourly timestamps: the report's resolution, and few distinct times to process.
        granule_secs: 3600,
        batch: 8192,
    };
    // The live count of every cell: a count is added when it appears, removed when revised.
    let live: Arc<Mutex<BTreeMap<(Cell, u64), isize>>> = Arc::default();
    let by = options.by.clone();
    {
        let (live, dead, counters) = (live.clone(), dead.clone(), counters.clone());
        let (totals, threads) = (totals.clone(), execution.workers);
        execute(options.execution, move |worker| {
            let (units, error) = match plan.open_units(worker.index(), worker.peers(), 1 << 20) {
                Ok(units) => (units, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let (live, dead, counters_w) = (live.clone(), dead.clone(), counters.clone());
            let (config, by) = (config.clone(), by.clone());
            worker.dataflow::<u64, _, _>(move |scope| {
                ingest_events(scope, units, config, counters_w, Some(dead), None)
                    .hourly_crosstab(day_start, by)
                    .collect_ordered("CrosstabSink", move |_time, changes| {
                        let mut live = live.lock().expect("crosstab state");
                        for (cell_count, diff) in changes {
                            *live.entry(cell_count).or_default() += diff;
                        }
                    });
            });
            finish_and_total(worker, threads, &counters, &totals);
            error.map_or(Ok(()), Err)
        })?;
    }
    dead.finish()?;
    let mut crosstab = Crosstab::new(&options.day, options.by);
    for ((cell, count), diff) in live.lock().expect("crosstab state").iter() {
        if *diff > 0 {
            crosstab.add(cell, *count);
        }
    }
    Ok((
        crosstab,
        RunSummary::from_counters(&counters, &totals, start.elapsed()),
    ))
}

/// Writes the crosstab into `dir` as dated files, `crosstab-YYYY-MM-DD.txt` and `.csv`
/// (and `.html` when asked), each replaced atomically so a cron job never leaves half a
/// report. Creates `dir` if needed. Returns the paths written.
pub fn write_crosstab_files(
    crosstab: &Crosstab,
    dir: &std::path::Path,
    html: bool,
) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io("cannot create", dir, e))?;
    let mut renderings = vec![
        ("txt", render::to_text(crosstab)),
        ("csv", render::to_csv(crosstab)),
    ];
    if html {
        renderings.push(("html", render::to_html(crosstab)));
    }
    let mut written = Vec::new();
    for (extension, text) in renderings {
        let path = dir.join(format!("crosstab-{}.{extension}", crosstab.day));
        crate::sink::write_file_atomic(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

//! Reports: bounded runs of the dataflow that summarize a span of audit logs for people.
//!
//! `auditflow report crosstab` is the per-day crosstab ([`crosstab`]), rendered as text,
//! CSV and HTML ([`render`]).

pub mod crosstab;
pub mod render;

use crate::event::AuditEvent;
use crate::operators::HourlyCrosstab;
use crate::parse::Format;
use crate::pipeline::query::{run_query, EventQuery, QueryInput};
use crate::pipeline::{Execution, RunSummary};
use crate::sink::Target;
use crate::Result;
use crosstab::{day_start_ns, Cell, Crosstab, RowField};
use differential_dataflow::VecCollection;

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

struct CrosstabQuery {
    day_start: i64,
    by: Vec<RowField>,
}

impl EventQuery for CrosstabQuery {
    type Output = (Cell, u64);

    fn build<'s>(
        &self,
        events: VecCollection<'s, u64, AuditEvent, isize>,
    ) -> VecCollection<'s, u64, Self::Output, isize> {
        events.hourly_crosstab(self.day_start, self.by.clone())
    }
}

/// Runs the dataflow over the inputs and returns the day's crosstab (on process 0) with
/// the run's counts.
pub fn run_crosstab(options: CrosstabOptions) -> Result<(Crosstab, RunSummary)> {
    let query = CrosstabQuery {
        day_start: day_start_ns(&options.day)?,
        by: options.by.clone(),
    };
    let input = QueryInput {
        inputs: options.inputs,
        format: options.format,
        lateness_secs: options.lateness_secs,
        // Hourly timestamps: the report's resolution, and few distinct times to process.
        granule_secs: 3600,
        dead_letter: options.dead_letter,
        execution: options.execution,
    };
    let (cells, summary) = run_query(input, query)?;
    let mut crosstab = Crosstab::new(&options.day, options.by);
    for ((cell, count), live) in cells {
        if live > 0 {
            crosstab.add(&cell, count);
        }
    }
    Ok((crosstab, summary))
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

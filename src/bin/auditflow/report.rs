//! `report crosstab`: the per-day crosstab of who did what in which hour.

use crate::common::Workers;
use auditflow::parse::Format;
use auditflow::report::crosstab::RowField;
use auditflow::report::{render, run_crosstab, write_crosstab_files, CrosstabOptions};
use auditflow::sink::Target;
use auditflow::spec::parse_duration_or_zero;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// For one UTC day: rows of principal and action, 24 hour columns, in sections
    /// (authorization decisions, sign-in failures, sign-in successes, all events).
    Crosstab(CrosstabArgs),
}

impl ReportCommand {
    pub fn execute(self) -> auditflow::Result<()> {
        match self {
            ReportCommand::Crosstab(args) => args.execute(),
        }
    }
}

#[derive(clap::Args)]
pub struct CrosstabArgs {
    /// Files, directories, globs, or - for stdin.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// Record format.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// The day to report, YYYY-MM-DD (UTC).
    #[arg(long)]
    day: String,
    /// Row fields, comma-separated (principal, principal_type, action, service, resource,
    /// source_ip, user_agent, outcome, source).
    #[arg(long, default_value = "principal,action")]
    by: String,
    /// Write dated files (crosstab-DAY.txt, .csv, and .html with --html) into this
    /// directory instead of printing.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also render the self-contained HTML heatmap (printed instead of text without --out).
    #[arg(long)]
    html: bool,
    /// Allowed lateness within an input (events further behind are counted late).
    #[arg(long, default_value = "1h")]
    lateness: String,
    /// Where dead letters go.
    #[arg(long, default_value = "stderr")]
    dead_letter: String,
    #[command(flatten)]
    workers: Workers,
}

impl CrosstabArgs {
    fn execute(self) -> auditflow::Result<()> {
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        let (crosstab, summary) = run_crosstab(CrosstabOptions {
            inputs: self.input,
            format: self.format,
            day: self.day,
            by: RowField::parse_list(&self.by)?,
            lateness_secs: parse_duration_or_zero("--lateness", &self.lateness)?,
            dead_letter: Target::parse(&self.dead_letter),
            execution,
        })?;
        // The crosstab is gathered at process 0; the other processes only contributed.
        if !leader {
            return Ok(());
        }
        match &self.out {
            Some(dir) => {
                for path in write_crosstab_files(&crosstab, dir, self.html)? {
                    eprintln!("wrote {}", path.display());
                }
            }
            None => {
                let text = if self.html {
                    render::to_html(&crosstab)
                } else {
                    render::to_text(&crosstab)
                };
                auditflow::sink::stdout()
                    .write_all(text.as_bytes())
                    .map_err(|e| auditflow::Error::io("cannot write", "stdout", e))?;
            }
        }
        eprintln!(
            "crosstab {}: {} records, {} processed ({} outside the day), {} dead-lettered, {} late",
            crosstab.day,
            summary.records,
            summary.processed,
            crosstab.outside_day(),
            summary.dead_lettered,
            summary.late
        );
        Ok(())
    }
}

//! Flags and reports shared by several subcommands.

use auditflow::cluster::read_hostfile;
use auditflow::evaluate::Quality;
use auditflow::pipeline::run::RunReport;
use auditflow::pipeline::Execution;
use auditflow::Error;
use std::path::PathBuf;
use std::time::Duration;

/// How a dataflow runs: flags shared by every subcommand that runs one.
#[derive(clap::Args, Clone)]
pub struct Workers {
    /// Worker threads per process (default: one per core).
    #[arg(long, short = 'w')]
    pub workers: Option<usize>,
    /// Processes in the cluster (default: the hostfile's line count, else 1).
    #[arg(long)]
    pub processes: Option<usize>,
    /// This process's index in the cluster, 0..processes.
    #[arg(long, default_value_t = 0)]
    pub process: usize,
    /// One host:port a line, line i for process i (needed with more than one process).
    #[arg(long)]
    pub hostfile: Option<PathBuf>,
    /// Seconds to wait for every process of the cluster to connect.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout: u64,
}

impl Workers {
    pub fn execution(&self) -> auditflow::Result<Execution> {
        let mut execution = match self.workers {
            Some(workers) => Execution::threads(workers),
            None => Execution::all_cores(),
        };
        if let Some(path) = &self.hostfile {
            execution.hosts = read_hostfile(path)?;
            execution.processes = execution.hosts.len();
        }
        if let Some(processes) = self.processes {
            execution.processes = processes;
            if processes > 1 && self.hostfile.is_none() {
                return Err(Error::invalid(
                    "--processes",
                    "more than one process needs --hostfile (one host:port a line), or use `auditflow cluster` to launch local processes",
                ));
            }
        }
        execution.process = self.process;
        execution.connect_timeout = Duration::from_secs(self.connect_timeout);
        execution.validate()?;
        Ok(execution)
    }
}

pub fn print_summary(report: &RunReport) {
    let s = &report.summary;
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "events: {} read, {} processed, {} dead-lettered, {} late | windows scored: {} | alerts: {} | {:.2}s, {:.0} events/s",
        s.records,
        s.processed,
        s.dead_lettered,
        s.late,
        report.windows_scored,
        report.alerts_emitted,
        secs,
        s.records as f64 / secs
    );
}

pub fn print_quality(q: &Quality) {
    eprintln!(
        "detection vs injected labels: window ROC-AUC {:.3} ({} of {} windows positive) | alert precision {:.3} ({} of {}) | incident recall {:.3} ({} of {})",
        q.roc_auc, q.positive_windows, q.windows, q.precision, q.true_alerts, q.alerts, q.recall, q.detected, q.incidents
    );
    for (kind, k) in &q.per_kind {
        eprintln!("  {kind:<24} recall {} of {}", k.detected, k.incidents);
    }
}

/// Prints one line of a report to stdout. A reader that closed the pipe early
/// (`auditflow sigma check rules/ | head -n 1`) ends the command quietly with status 0, as
/// the streaming commands do; `println!` would panic there. Any other write error is
/// reported and exits 1.
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{line}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("auditflow: cannot write to stdout: {error}");
        std::process::exit(1);
    }
}

//! Flags and reports shared by several subcommands.

use auditflow::evaluate::Quality;
use auditflow::pipeline::run::RunReport;
use auditflow::pipeline::Execution;

/// How a dataflow runs: flags shared by every subcommand that runs one.
#[derive(clap::Args, Clone)]
pub struct Workers {
    /// Worker threads (default: one per core).
    #[arg(long, short = 'w')]
    pub workers: Option<usize>,
}

impl Workers {
    pub fn execution(&self) -> Execution {
        match self.workers {
            Some(workers) => Execution { workers },
            None => Execution::all_cores(),
        }
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

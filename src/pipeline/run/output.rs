//! The run's outputs: score lines, alerts as JSON or table rows, and where the ordered
//! sink gathers them.

use super::RunReport;
use crate::detect::alert::Alert;
use crate::detect::calibrate::Calibrated;
use crate::event::time::format_rfc3339_secs;
use crate::operators::ScoredWindow;
use crate::sigma::RuleAlert;
use crate::sink::{Gather, SharedOutput};
use crate::Result;
use serde::Serialize;
use std::sync::Mutex;

/// How alerts are shown on a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStyle {
    /// One JSON object per line.
    Json,
    /// A readable table row per alert.
    Table,
}

/// One scored window as written to the scores sink.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ScoreRecord {
    /// Who.
    pub principal: String,
    /// Window start, RFC 3339.
    pub window_start: String,
    /// Window end (exclusive), RFC 3339.
    pub window_end: String,
    /// Window end in epoch seconds (for tools).
    pub window_end_secs: u64,
    /// Anomaly score in [0, 1].
    pub score: f64,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// Events in the window.
    pub window_events: u64,
    /// Events in the baseline.
    pub baseline_events: u64,
    /// Share of all principals' recent windows scoring at least as high (the score's
    /// empirical tail; 1 without history).
    #[serde(default = "one")]
    pub tail: f64,
    /// The confidence alerts use: `confidence` weighed by the tail's rarity.
    #[serde(default)]
    pub calibrated_confidence: f64,
    /// The streaming isolation forest's score in [0, 1], when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forest: Option<f64>,
    /// The forest score's tail among recent windows, when the forest runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forest_tail: Option<f64>,
}

fn one() -> f64 {
    1.0
}

/// With per-process outputs each process's sink counted its own share of scored windows and
/// alerts: the leader's report gets the cluster's sums. A collective step, like
/// [`finish_and_total`].
pub(super) fn sum_report_counts(
    worker: &mut timely::worker::Worker,
    threads: usize,
    collected: &Mutex<RunReport>,
) {
    let mine = if worker.index() % threads == 0 {
        let report = collected.lock().unwrap_or_else(|p| p.into_inner());
        [report.windows_scored, report.alerts_emitted]
    } else {
        [0; 2]
    };
    let all = crate::cluster::gather_at_leader(worker, mine);
    if worker.index() == 0 {
        let mut report = collected.lock().unwrap_or_else(|p| p.into_inner());
        report.windows_scored = all.iter().map(|c| c[0]).sum();
        report.alerts_emitted = all.iter().map(|c| c[1]).sum();
    }
}

/// What the ordered score sink receives: a principal's scored window (if it can fire), its
/// score line, or a rule alert.
pub(super) type ScoreSinkRecord = (String, Option<ScoredWindow>, String, Option<RuleAlert>);

/// Where the alert and score sink gathers: both outputs must agree, since one sink writes
/// both in one order.
pub(super) fn sink_gather(
    alerts: Option<&SharedOutput>,
    scores: Option<&SharedOutput>,
) -> Result<Gather> {
    match (
        alerts.map(SharedOutput::gather),
        scores.map(SharedOutput::gather),
    ) {
        (Some(a), Some(s)) if a != s => Err(crate::Error::invalid(
            "--alerts/--scores",
            "either both paths contain {process} (one file per process) or neither does",
        )),
        (a, s) => Ok(a.or(s).unwrap_or_default()),
    }
}

/// One scored window as a line of the scores sink (JSON and a newline).
pub(super) fn score_line(
    principal: &str,
    end: u64,
    window: u64,
    scored: &ScoredWindow,
    calibrated: &Calibrated,
) -> String {
    let record = ScoreRecord {
        principal: principal.to_string(),
        window_start: format_rfc3339_secs(end.saturating_sub(window) as i64),
        window_end: format_rfc3339_secs(end as i64),
        window_end_secs: end,
        score: scored.score_ppm as f64 / 1e6,
        confidence: scored.confidence_ppm as f64 / 1e6,
        window_events: scored.window_events,
        baseline_events: scored.baseline_events,
        tail: calibrated.tail.share(),
        calibrated_confidence: calibrated.confidence_ppm as f64 / 1e6,
        forest: calibrated.forest.map(|(ppm, _)| ppm as f64 / 1e6),
        forest_tail: calibrated.forest.map(|(_, tail)| tail.share()),
    };
    let mut line = serde_json::to_string(&record).expect("a score record serializes");
    line.push('\n');
    line
}

pub(super) fn write_rule_alerts(out: &SharedOutput, alerts: &[RuleAlert], style: AlertStyle) {
    if alerts.is_empty() {
        return;
    }
    out.write_with(|w| {
        for alert in alerts {
            match style {
                AlertStyle::Json => {
                    serde_json::to_writer(&mut *w, alert)?;
                    writeln!(w)?;
                }
                AlertStyle::Table => writeln!(w, "{}", alert.table_row())?,
            }
        }
        w.flush()
    });
}

pub(super) fn write_alerts(out: &SharedOutput, alerts: &[Alert], style: AlertStyle) {
    out.write_with(|w| {
        for alert in alerts {
            match style {
                AlertStyle::Json => {
                    serde_json::to_writer(&mut *w, alert)?;
                    writeln!(w)?;
                }
                AlertStyle::Table => writeln!(w, "{}", table_row(alert))?,
            }
        }
        w.flush()
    });
}

/// One alert as a readable line: time, severity, score, principal, top drivers.
pub fn table_row(alert: &Alert) -> String {
    let drivers: Vec<String> = alert
        .explanation
        .iter()
        .take(3)
        .map(|e| format!("{}: {} (expected {})", e.feature, e.observed, e.expected))
        .collect();
    let revised = if alert.revision > 0 { " (revised)" } else { "" };
    format!(
        "{}  {:<8} score {:.2} conf {:.2}  {:<40}  {}{}",
        alert.time,
        alert.severity,
        alert.score,
        alert.confidence,
        alert.principal,
        drivers.join("; "),
        revised
    )
}

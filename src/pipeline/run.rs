//! `auditflow run`: the scoring pipeline. Events in, scored windows and alerts out.

use super::{execute, finish_and_total, ingest_events_fenced, Execution, InputPlan, RunSummary};
use crate::detect::alert::{Alert, AlertEpisodes};
use crate::detect::lifecycle::RuleAlertLifecycle;
use crate::detect::monitor::Monitors;
use crate::operators::MonitorWindows;
use crate::operators::{CollectOrdered, CommitOffsets, ScoreWindows};
use crate::sigma::dataflow::{monitor_hits, rule_decoder};
use crate::sigma::reload::{RuleWatcher, RULE_POLL};
use crate::sigma::versions::versioned_matches;
use crate::sigma::{RuleAlert, RuleSet, SplitRuleAlerts};
use crate::sink::{Gather, SharedOutput, Target};
use crate::source::ingest::{IngestConfig, IngestCounters};
use crate::source::kafka::{CommittedOffsets, OffsetBook};
use crate::source::Unit;
use crate::spec::Spec;
use crate::Result;
use differential_dataflow::AsCollection;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::Concat;

mod calibrated;
mod output;

use calibrated::calibrated_windows;

use output::{
    score_line, sink_gather, sum_report_counts, write_alerts, write_rule_alerts, ScoreSinkRecord,
};
pub use output::{table_row, AlertStyle, ScoreRecord};

/// Everything a run needs: the spec (what), the input plan and sinks (where), and the
/// execution (how).
pub struct RunOptions {
    /// The validated spec.
    pub spec: Spec,
    /// Units of input.
    pub input: InputPlan,
    /// Alerts sink.
    pub alerts: Option<Target>,
    /// How alerts are written to stdout/stderr.
    pub alert_style: AlertStyle,
    /// Scores sink.
    pub scores: Option<Target>,
    /// Dead-letter sink.
    pub dead_letter: Target,
    /// Late-event sink.
    pub late: Option<Target>,
    /// Keep alerts and scored windows in memory for the caller (demo, evaluation).
    pub collect: bool,
    /// Workers.
    pub execution: Execution,
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Input accounting.
    pub summary: RunSummary,
    /// Alerts emitted, revisions included.
    pub alerts_emitted: u64,
    /// Scored windows.
    pub windows_scored: u64,
    /// The alerts, when collected.
    pub alerts: Vec<Alert>,
    /// The Sigma rule alerts, when collected.
    pub rule_alerts: Vec<RuleAlert>,
    /// The scored windows, when collected.
    pub scores: Vec<ScoreRecord>,
    /// Kafka offsets committed to the group, by (topic, partition).
    pub committed_offsets: std::collections::BTreeMap<(String, i32), i64>,
}

/// Runs the scoring pipeline to the end of its input.
pub fn run_pipeline(options: RunOptions) -> Result<RunReport> {
    let start = Instant::now();
    let windows = options.spec.time.windows()?;
    let cooldown = options.spec.alerts.cooldown_secs()?;
    let scoring = options.spec.scoring()?;
    let calibration = options.spec.score.calibration()?;
    let ingest_config = IngestConfig {
        format: options.spec.source.format,
        lateness_ns: windows.lateness as i64 * 1_000_000_000,
        granule_secs: windows.slide,
        batch: 8192,
    };
    let execution = options.execution.clone();
    // A Kafka run never ends by itself and resumes after a restart: its files are appended
    // to in place, so what was written before offsets were committed survives a kill.
    let streaming = matches!(options.input, InputPlan::Kafka(_));
    let open_target = |t: &Target| match streaming {
        true => execution.open_appending(t),
        false => execution.open(t),
    };
    let open = |t: &Option<Target>, name: &'static str| -> Result<Option<SharedOutput>> {
        t.as_ref()
            .map(|t| Ok(SharedOutput::new(open_target(t)?, name)))
            .transpose()
    };
    let alerts_out = open(&options.alerts, "alerts output")?;
    let scores_out = open(&options.scores, "scores output")?;
    let late_out = open(&options.late, "late-event output")?;
    let dead_out = SharedOutput::new(open_target(&options.dead_letter)?, "dead-letter output");
    let gather = sink_gather(alerts_out.as_ref(), scores_out.as_ref())?;
    let collected = Arc::new(Mutex::new(RunReport::default()));
    let counters = Arc::new(IngestCounters::default());
    let rule_paths: Vec<std::path::PathBuf> =
        options.spec.rules.sigma.iter().map(Into::into).collect();
    let rules = Arc::new(RuleSet::load(&rule_paths)?);
    // Runs that do not end by themselves reload edited rule files (crate::sigma::reload).
    let reload = !rule_paths.is_empty()
        && matches!(options.input, InputPlan::Kafka(_) | InputPlan::Follow(_));
    let watcher = match reload {
        true => Some(RuleWatcher::new(&rule_paths, RULE_POLL)?),
        false => None,
    };
    let watcher = Arc::new(Mutex::new(watcher));
    let monitors = Arc::new(Monitors(options.spec.monitors.clone()));
    let totals = Arc::new(Mutex::new(None));
    // The progress line shares the terminal only when alerts are not being printed on it.
    let alerts_on_terminal =
        options.alerts == Some(Target::Stdout) && std::io::stdout().is_terminal();
    let progress = (!alerts_on_terminal)
        .then(|| super::progress::Progress::start(counters.clone(), options.input.total_bytes()));
    let mut input = options.input;
    if let InputPlan::Kafka(source) = &mut input {
        // The slowest partition runs up to lateness plus two granules ahead of the sinks;
        // a tighter bound would pause it and stall the frontier.
        let floor = windows.lateness + 2 * windows.slide;
        source.max_lag_secs = source.max_lag_secs.map(|lag| lag.max(floor));
    }
    let plan = Arc::new(input);
    let committed = CommittedOffsets::default();
    let max_record = options.spec.source.max_record_bytes;
    let (threshold, min_confidence) = (
        options.spec.score.threshold,
        options.spec.score.min_confidence,
    );
    let (style, collect) = (options.alert_style, options.collect);
    {
        let (alerts_out, scores_out, late_out, dead_out) = (
            alerts_out.clone(),
            scores_out.clone(),
            late_out.clone(),
            dead_out.clone(),
        );
        let (collected, counters, totals) = (collected.clone(), counters.clone(), totals.clone());
        let collected_total = collected.clone();
        let threads = execution.workers;
        let committed = committed.clone();
        execute(options.execution, move |worker| {
            let (index, peers) = (worker.index(), worker.peers());
            // A Kafka run commits offsets behind the alert sink, through this book.
            let book = OffsetBook::new(committed.clone());
            let opened = match &*plan {
                InputPlan::Kafka(source) => {
                    let watch: Box<dyn Unit> =
                        Box::new(source.open_worker(index, peers, book.clone()));
                    Ok(vec![watch])
                }
                plan => plan.open_units(index, peers, max_record),
            };
            let kafka = matches!(&*plan, InputPlan::Kafka(_));
            let (units, error) = match opened {
                Ok(units) => (units, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let (alerts_out, scores_out) = (alerts_out.clone(), scores_out.clone());
            let (late_out, dead_out) = (late_out.clone(), dead_out.clone());
            let (collected, counters_w) = (collected.clone(), counters.clone());
            let (config, scoring) = (ingest_config.clone(), scoring.clone());
            let window = windows.window;
            let (rules, monitors) = (rules.clone(), monitors.clone());
            let watcher = match index {
                0 => watcher.lock().unwrap_or_else(|p| p.into_inner()).take(),
                _ => None,
            };
            let baseline = windows.baseline;
            worker.dataflow::<u64, _, _>(move |scope| {
                let mut episodes =
                    AlertEpisodes::new(window, threshold, min_confidence).with_cooldown(cooldown);
                let mut lifecycle = RuleAlertLifecycle::new(cooldown);
                // Each scored window's insertion (retractions are of no use to the sinks),
                // prepared on the worker that scored it: the score line rendered, and the
                // window itself kept only if it can raise an alert. Worker 0 then only
                // orders, offers and writes.
                let firing = AlertEpisodes::new(window, threshold, min_confidence);
                let render = scores_out.is_some() || collect;
                // Without rules or monitors the decoder stays the plain parser: no cost.
                let (events, rule_alerts, fence) = if !reload
                    && rules.is_empty()
                    && monitors.0.is_empty()
                {
                    let (events, fence) = ingest_events_fenced(
                        scope,
                        units,
                        config,
                        counters_w,
                        Some(dead_out),
                        late_out,
                        crate::parse::parse_record,
                    );
                    (events, None, fence)
                } else {
                    let correlations = Arc::new(rules.correlations().to_vec());
                    let decoder = rule_decoder((!reload).then(|| rules.clone()), monitors.clone());
                    let (matched, fence) = ingest_events_fenced(
                        scope,
                        units,
                        config,
                        counters_w,
                        Some(dead_out),
                        late_out,
                        decoder,
                    );
                    let matched = match reload {
                        true => versioned_matches(matched, watcher, rules, correlations.clone()),
                        false => matched,
                    };
                    let hits = monitor_hits(matched.clone());
                    let (events, mut alerts) = matched.split_rule_alerts(correlations);
                    if !monitors.0.is_empty() {
                        alerts = alerts.concat(hits.monitor_windows(monitors, window, baseline));
                    }
                    (events, Some(alerts), fence)
                };
                let windows = calibrated_windows(events.score_windows(scoring), calibration);
                let mut scored = windows
                    .inner
                    .map(move |((principal, mut scored, calibrated), end, diff)| {
                        let line = if render {
                            score_line(&principal, end, window, &scored, &calibrated)
                        } else {
                            String::new()
                        };
                        // Alerts rest on the calibrated confidence.
                        scored.confidence_ppm = calibrated.confidence_ppm;
                        let fires = firing.fires(&scored).then_some(scored);
                        ((principal, fires, line, None), end, diff)
                    })
                    .as_collection();
                // Rule alerts share the ordered sink, so the alert output is one
                // deterministic sequence: at each time, rule alerts, then windows.
                if let Some(alerts) = rule_alerts {
                    let alerts = alerts.map(|a| (String::new(), None, String::new(), Some(a)));
                    scored = scored.concat(alerts);
                }
                // Per-process outputs: a principal's windows and rule alerts all reach the
                // same process, so its alert episodes are whole.
                let route = move |(principal, _, _, rule): &ScoreSinkRecord| {
                    let principal = rule.as_ref().map_or(principal, |r| &r.principal);
                    gather.worker_for(principal)
                };
                let written =
                    scored.collect_ordered_at_then("ScoreSink", route, move |end, changes| {
                        let mut report = collected.lock().unwrap_or_else(|p| p.into_inner());
                        let mut alerts = Vec::new();
                        let mut rule_alerts = Vec::new();
                        let mut lines = String::new();
                        for ((principal, fires, line, rule_alert), diff) in changes {
                            if diff <= 0 {
                                continue;
                            }
                            if let Some(alert) = rule_alert {
                                rule_alerts.extend(std::iter::repeat_n(alert, diff as usize));
                                continue;
                            }
                            report.windows_scored += 1;
                            if let Some(scored) = fires {
                                if let Some(alert) = episodes.offer(&principal, end, &scored) {
                                    alerts.push(alert);
                                }
                            }
                            if collect {
                                let record = serde_json::from_str::<ScoreRecord>(&line)
                                    .expect("a score line parses back");
                                report.scores.push(record);
                            }
                            lines.push_str(&line);
                        }
                        let rule_alerts = lifecycle.offer_granule(end, rule_alerts);
                        report.alerts_emitted += (alerts.len() + rule_alerts.len()) as u64;
                        if let Some(out) = &alerts_out {
                            write_rule_alerts(out, &rule_alerts, style);
                            write_alerts(out, &alerts, style);
                        }
                        if let Some(out) = &scores_out {
                            out.write_with(|w| {
                                w.write_all(lines.as_bytes())?;
                                w.flush()
                            });
                        }
                        if collect {
                            report.alerts.extend(alerts);
                            report.rule_alerts.extend(rule_alerts);
                        }
                    });
                if kafka {
                    // Offsets wait for the alerts and for the dead letters and late events.
                    written
                        .concat(fence)
                        .commit_offsets("KafkaOffsetCommit", book);
                }
            });
            finish_and_total(worker, threads, &counters, &totals);
            if gather != Gather::Leader {
                sum_report_counts(worker, threads, &collected_total);
            }
            error.map_or(Ok(()), Err)
        })?;
    }
    drop(progress);
    if crate::sink::stdout_closed() {
        // Stopped early, so the file outputs are incomplete: leave them uncommitted.
        return Err(crate::Error::StdoutClosed);
    }
    for out in [alerts_out, scores_out, late_out].into_iter().flatten() {
        out.finish()?;
    }
    dead_out.finish()?;
    let mut report = std::mem::take(&mut *collected.lock().unwrap_or_else(|p| p.into_inner()));
    report.summary = RunSummary::from_counters(&counters, &totals, start.elapsed());
    report.committed_offsets =
        std::mem::take(&mut *committed.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(report)
}

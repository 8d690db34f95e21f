//! `demo` and `run`: the scoring pipeline.

use crate::common::{print_quality, print_summary, Workers};
use auditflow::parse::Format;
use auditflow::pipeline::memory::{MemoryEstimate, WORKLOAD_EVENTS_PER_PRINCIPAL_HOUR};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
use auditflow::pipeline::InputPlan;
use auditflow::sink::Target;
use auditflow::spec::{SourceKind, Spec};
use auditflow::Error;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Total events (split between GCP and CloudTrail).
    #[arg(long, default_value_t = 200_000)]
    events: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Days of event time.
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// Print alerts as JSON lines.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    workers: Workers,
}

impl DemoArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        eprintln!(
            "demo: {} generated GCP and CloudTrail events over {} days with injected attacks, {} workers",
            self.events, self.days, execution.workers
        );
        let report = auditflow::demo::run_demo(auditflow::demo::DemoOptions {
            events: self.events,
            seed: self.seed,
            days: self.days,
            json: self.json,
            execution,
        })?;
        if leader {
            print_summary(&report.run);
            print_quality(&report.quality);
            // An alert's last revision carries the count of the matches merged into it.
            let mut last = std::collections::BTreeMap::<&str, &auditflow::sigma::RuleAlert>::new();
            for alert in &report.run.rule_alerts {
                last.insert(alert.id.as_str(), alert);
            }
            let mut by_rule = std::collections::BTreeMap::<&str, (usize, u32)>::new();
            for alert in last.values() {
                let entry = by_rule.entry(alert.rule_title.as_str()).or_default();
                *entry = (entry.0 + 1, entry.1 + alert.count);
            }
            eprintln!(
                "sigma rule alerts (shipped privileged-access rules): {} alerts for {} matches",
                last.len(),
                last.values().map(|a| a.count).sum::<u32>()
            );
            for (title, (alerts, matches)) in by_rule {
                eprintln!("  {title:<56} {alerts:>3} ({matches} matches)");
            }
        }
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Pipeline spec (TOML, see dataflows/). Defaults apply without one.
    spec: Option<PathBuf>,
    /// Input files, directories, globs, or - for stdin (overrides the spec's source).
    #[arg(long, num_args = 1..)]
    input: Vec<String>,
    /// Record format: gcp, cloudtrail, auditd, confluent, waf or auto (overrides the spec).
    #[arg(long)]
    format: Option<Format>,
    /// Alerts as JSON lines to this path (default: the spec's, else stdout). A path with
    /// `{process}` gives each process of a cluster its own file.
    #[arg(long)]
    alerts: Option<String>,
    /// Every scored window as JSON lines to this path (`{process}`: one file per process).
    #[arg(long)]
    scores: Option<String>,
    /// Dead letters as JSON lines (default: the spec's, else stderr).
    #[arg(long)]
    dead_letter: Option<String>,
    /// Events beyond the allowed lateness as JSON lines.
    #[arg(long)]
    late: Option<String>,
    /// Print alerts on stdout as JSON lines even on a terminal.
    #[arg(long)]
    json: bool,
    /// Sigma rule files or directories, evaluated on every record (added to the spec's
    /// `[rules] sigma`).
    #[arg(long)]
    rules: Vec<String>,
    /// Follow the input files as they grow and rotate, like `tail -F`; the run ends on
    /// Ctrl-C or SIGTERM, writing its outputs and summary.
    #[arg(long)]
    follow: bool,
    /// With --follow: end the run once no input file grew for SECS seconds (for tests and
    /// bounded runs).
    #[arg(long, value_name = "SECS")]
    follow_idle_exit: Option<f64>,
    /// Exit with status 3 if any record was dead-lettered.
    #[arg(long)]
    fail_on_dead_letter: bool,
    /// Print a memory estimate for this many active principals before starting.
    #[arg(long)]
    expected_principals: Option<u64>,
    /// Events per principal per hour assumed by the memory estimate.
    #[arg(long, default_value_t = WORKLOAD_EVENTS_PER_PRINCIPAL_HOUR)]
    expected_rate: f64,
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    workers: Workers,
}

/// Reading from Kafka (overrides the spec's source).
#[derive(clap::Args)]
pub struct KafkaArgs {
    /// Read from Kafka: bootstrap brokers host:port[,host:port...].
    #[arg(long, value_name = "BROKERS")]
    kafka: Option<String>,
    /// Topic to read.
    #[arg(long)]
    topic: Option<String>,
    /// Consumer group offsets are committed to and resumed from (default auditflow).
    #[arg(long)]
    group: Option<String>,
    /// Where to start: committed, earliest, latest or an RFC 3339 time.
    #[arg(long)]
    start: Option<String>,
    /// Stop once every partition reached the high watermark it had at start.
    #[arg(long)]
    until_caught_up: bool,
    /// A librdkafka option, key=value (security.protocol, sasl.*, ssl.*); repeatable.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    options: Vec<String>,
}

impl KafkaArgs {
    /// Whether Kafka was asked for on the command line.
    pub fn given(&self) -> bool {
        self.kafka.is_some()
    }

    /// Applies the flags to the spec's source.
    pub fn apply(self, source: &mut auditflow::spec::SourceSpec) -> auditflow::Result<()> {
        let kafka = &mut source.kafka;
        if let Some(brokers) = self.kafka {
            source.kind = SourceKind::Kafka;
            kafka.brokers = Some(brokers);
        }
        kafka.topic = self.topic.or(kafka.topic.take());
        kafka.group = self.group.or(kafka.group.take());
        kafka.start = self.start.or(kafka.start.take());
        kafka.until_caught_up |= self.until_caught_up;
        for option in &self.options {
            let (key, value) = auditflow::source::kafka::parse_option(option)?;
            kafka.options.insert(key, value);
        }
        Ok(())
    }
}

impl RunArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        let mut spec = match &self.spec {
            Some(path) => Spec::load(path)?,
            None => Spec::default(),
        };
        if !self.input.is_empty() {
            spec.source.kind = SourceKind::Files;
            spec.source.paths = self.input;
        }
        spec.source.follow |= self.follow;
        spec.rules.sigma.extend(self.rules);
        if let Some(format) = self.format {
            spec.source.format = format;
        }
        self.kafka.apply(&mut spec.source)?;
        let alerts = self
            .alerts
            .or(spec.sinks.alerts.clone())
            .unwrap_or_else(|| "stdout".into());
        let alerts = Target::parse(&alerts);
        let style = if !self.json && alerts == Target::Stdout && std::io::stdout().is_terminal() {
            AlertStyle::Table
        } else {
            AlertStyle::Json
        };
        if let (Some(principals), true) = (self.expected_principals, leader) {
            let windows = spec.time.windows()?;
            let estimate = MemoryEstimate::new(&windows, principals, self.expected_rate, None);
            eprintln!("{}", estimate.describe());
        }
        let mut input = plan_source(&spec.source)?;
        match (&mut input, self.follow_idle_exit) {
            (InputPlan::Follow(plan), Some(secs)) => {
                plan.options.idle_exit = Some(Duration::try_from_secs_f64(secs).map_err(|_| {
                    Error::invalid("--follow-idle-exit", "give a number of seconds, 0 or more")
                })?);
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "--follow-idle-exit",
                    "applies only when following: add --follow or set follow = true in [source]",
                ))
            }
            _ => {}
        }
        let options = RunOptions {
            input,
            alerts: Some(alerts),
            alert_style: style,
            scores: self
                .scores
                .or(spec.sinks.scores.clone())
                .map(|s| Target::parse(&s)),
            dead_letter: Target::parse(
                &self
                    .dead_letter
                    .or(spec.sinks.dead_letter.clone())
                    .unwrap_or_else(|| "stderr".into()),
            ),
            late: self
                .late
                .or(spec.sinks.late.clone())
                .map(|s| Target::parse(&s)),
            spec,
            collect: false,
            execution,
        };
        let report = run_pipeline(options)?;
        if !leader {
            return Ok(());
        }
        print_summary(&report);
        if !report.committed_offsets.is_empty() {
            let offsets: Vec<String> = report
                .committed_offsets
                .iter()
                .map(|((topic, partition), offset)| format!("{topic}/{partition}={offset}"))
                .collect();
            eprintln!("kafka offsets committed: {}", offsets.join(" "));
        }
        if self.fail_on_dead_letter && report.summary.dead_lettered > 0 {
            return Err(Error::DeadLetters(report.summary.dead_lettered));
        }
        Ok(())
    }
}

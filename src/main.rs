//! The `auditflow` command: parses flags, calls the library, maps errors to exit codes.

use auditflow::evaluate::{read_json_lines, read_labels, Quality};
use auditflow::generate::GeneratorConfig;
use auditflow::parse::Format;
use auditflow::pipeline::features::{run_features, FeaturesOptions};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions, RunReport};
use auditflow::pipeline::Execution;
use auditflow::sink::Target;
use auditflow::spec::{parse_duration, parse_duration_or_zero};
use auditflow::spec::{SourceKind, Spec};
use auditflow::Error;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "auditflow",
    version,
    about = "Streaming detection of anomalous privileged access in audit logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Workers {
    /// Worker threads (default: one per core).
    #[arg(long, short = 'w')]
    workers: Option<usize>,
}

impl Workers {
    fn execution(&self) -> Execution {
        match self.workers {
            Some(workers) => Execution { workers },
            None => Execution::all_cores(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generate a realistic stream with injected attacks and detect them, on every core.
    Demo {
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
    },
    /// Run a pipeline: score every principal's windows against its baseline and alert.
    Run {
        /// Pipeline spec (TOML, see dataflows/). Defaults apply without one.
        spec: Option<std::path::PathBuf>,
        /// Input files, directories, globs, or - for stdin (overrides the spec's source).
        #[arg(long, num_args = 1..)]
        input: Vec<String>,
        /// Record format: gcp, cloudtrail or auto (overrides the spec).
        #[arg(long)]
        format: Option<Format>,
        /// Alerts as JSON lines to this path (default: the spec's, else stdout).
        #[arg(long)]
        alerts: Option<String>,
        /// Every scored window as JSON lines to this path.
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
        /// Exit with status 3 if any record was dead-lettered.
        #[arg(long)]
        fail_on_dead_letter: bool,
        #[command(flatten)]
        workers: Workers,
    },
    /// Write deterministic synthetic audit logs with labelled injected anomalies.
    Generate {
        /// gcp or cloudtrail.
        #[arg(long, default_value = "gcp")]
        format: Format,
        /// Number of records.
        #[arg(long)]
        events: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days of event time.
        #[arg(long, default_value_t = 3)]
        days: u32,
        /// Principals (default: events / 200, within 10..5000).
        #[arg(long)]
        principals: Option<u32>,
        /// Injected incidents (default: principals / 25, at least 3).
        #[arg(long)]
        incidents: Option<u32>,
        /// Output file (JSON lines).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Labels TSV of the injected events.
        #[arg(long)]
        labels: Option<std::path::PathBuf>,
    },
    /// Detection quality of scores and alerts against labels.
    Evaluate {
        /// Scores JSON lines (from run --scores).
        #[arg(long)]
        scores: std::path::PathBuf,
        /// Alerts JSON lines (from run --alerts).
        #[arg(long)]
        alerts: std::path::PathBuf,
        /// Labels TSV (from generate --labels).
        #[arg(long)]
        labels: std::path::PathBuf,
        /// Window length the scores were computed with.
        #[arg(long, default_value = "5m")]
        window: String,
    },
    /// Print records as normalized events (JSON lines, input order).
    Parse {
        /// Record format: gcp, cloudtrail or auto.
        #[arg(long, default_value = "auto")]
        format: Format,
        /// Where dead letters go (default stderr).
        #[arg(long, default_value = "stderr")]
        dead_letter: String,
        /// Largest accepted record in bytes.
        #[arg(long, default_value_t = 1 << 20)]
        max_record_bytes: usize,
        /// Files, directories, globs, or - for stdin.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Per-principal tumbling-window features (stage 1) as CSV.
    Features {
        /// Files, directories, globs, or - for stdin.
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<String>,
        /// Record format: gcp, cloudtrail or auto.
        #[arg(long, default_value = "auto")]
        format: Format,
        /// Window length (e.g. 5m).
        #[arg(long, default_value = "5m")]
        window: String,
        /// Allowed lateness (e.g. 1m).
        #[arg(long, default_value = "1m")]
        lateness: String,
        /// Output CSV (default stdout).
        #[arg(long, default_value = "-")]
        out: String,
        /// Where dead letters go.
        #[arg(long, default_value = "stderr")]
        dead_letter: String,
        /// Exit with status 3 if any record was dead-lettered.
        #[arg(long)]
        fail_on_dead_letter: bool,
        #[command(flatten)]
        workers: Workers,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auditflow: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Invalid { .. } | Error::Spec { .. } | Error::NoInput(_) => 2,
        Error::DeadLetters(_) => 3,
        _ => 1,
    }
}

fn run(command: Command) -> auditflow::Result<()> {
    match command {
        Command::Demo {
            events,
            seed,
            days,
            json,
            workers,
        } => {
            let execution = workers.execution();
            eprintln!(
                "demo: {events} generated GCP and CloudTrail events over {days} days with injected attacks, {} workers",
                execution.workers
            );
            let report = auditflow::demo::run_demo(auditflow::demo::DemoOptions {
                events,
                seed,
                days,
                json,
                execution,
            })?;
            print_summary(&report.run);
            print_quality(&report.quality);
            Ok(())
        }
        Command::Run {
            spec,
            input,
            format,
            alerts,
            scores,
            dead_letter,
            late,
            json,
            fail_on_dead_letter,
            workers,
        } => {
            let mut spec = match &spec {
                Some(path) => Spec::load(path)?,
                None => Spec::default(),
            };
            if !input.is_empty() {
                spec.source.kind = SourceKind::Files;
                spec.source.paths = input;
            }
            if let Some(format) = format {
                spec.source.format = format;
            }
            let alerts = alerts
                .or(spec.sinks.alerts.clone())
                .unwrap_or_else(|| "stdout".into());
            let alerts = Target::parse(&alerts);
            let style = if !json && alerts == Target::Stdout && std::io::stdout().is_terminal() {
                AlertStyle::Table
            } else {
                AlertStyle::Json
            };
            let options = RunOptions {
                input: plan_source(&spec.source)?,
                alerts: Some(alerts),
                alert_style: style,
                scores: scores
                    .or(spec.sinks.scores.clone())
                    .map(|s| Target::parse(&s)),
                dead_letter: Target::parse(
                    &dead_letter
                        .or(spec.sinks.dead_letter.clone())
                        .unwrap_or_else(|| "stderr".into()),
                ),
                late: late.or(spec.sinks.late.clone()).map(|s| Target::parse(&s)),
                spec,
                collect: false,
                execution: workers.execution(),
            };
            let report = run_pipeline(options)?;
            print_summary(&report);
            if fail_on_dead_letter && report.summary.dead_lettered > 0 {
                return Err(Error::DeadLetters(report.summary.dead_lettered));
            }
            Ok(())
        }
        Command::Generate {
            format,
            events,
            seed,
            days,
            principals,
            incidents,
            out,
            labels,
        } => {
            if format == Format::Auto {
                return Err(Error::invalid(
                    "--format",
                    "generate writes one family: gcp or cloudtrail",
                ));
            }
            let mut config = GeneratorConfig::new(format, events, seed);
            config.days = days.max(1);
            if let Some(p) = principals {
                config.principals = p.max(1);
                config.incidents = (config.principals / 25).max(3);
            }
            if let Some(i) = incidents {
                config.incidents = i;
            }
            let summary = auditflow::generate::write_files(&config, &out, labels.as_deref())?;
            eprintln!(
                "generated {} {} records ({} bytes) for {} principals, {} incidents ({} labelled events)",
                summary.events, format, summary.bytes, summary.principals, summary.incidents, summary.labelled
            );
            Ok(())
        }
        Command::Evaluate {
            scores,
            alerts,
            labels,
            window,
        } => {
            let quality = auditflow::evaluate::evaluate(
                &read_json_lines(&scores)?,
                &read_json_lines(&alerts)?,
                &read_labels(&labels)?,
                parse_duration("--window", &window)?,
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&quality).expect("serializable")
            );
            Ok(())
        }
        Command::Parse {
            format,
            dead_letter,
            max_record_bytes,
            files,
        } => {
            let summary = auditflow::normalize::normalize_files(
                format,
                &files,
                &Target::Stdout,
                &Target::parse(&dead_letter),
                max_record_bytes,
            )?;
            eprintln!(
                "parsed {} records: {} events, {} dead-lettered",
                summary.records, summary.events, summary.dead_lettered
            );
            Ok(())
        }
        Command::Features {
            input,
            format,
            window,
            lateness,
            out,
            dead_letter,
            fail_on_dead_letter,
            workers,
        } => {
            let summary = run_features(FeaturesOptions {
                inputs: input,
                format,
                window_secs: parse_duration("--window", &window)?,
                lateness_secs: parse_duration_or_zero("--lateness", &lateness)?,
                out: Target::parse(&out),
                dead_letter: Target::parse(&dead_letter),
                max_record_bytes: 1 << 20,
                chunk_bytes: auditflow::source::file::CHUNK_BYTES,
                execution: workers.execution(),
            })?;
            eprintln!(
                "features: {} records, {} processed, {} dead-lettered, {} late in {:.2}s ({:.0} events/s)",
                summary.records,
                summary.processed,
                summary.dead_lettered,
                summary.late,
                summary.elapsed.as_secs_f64(),
                summary.records as f64 / summary.elapsed.as_secs_f64().max(1e-9)
            );
            if fail_on_dead_letter && summary.dead_lettered > 0 {
                return Err(Error::DeadLetters(summary.dead_lettered));
            }
            Ok(())
        }
    }
}

fn print_summary(report: &RunReport) {
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

fn print_quality(q: &Quality) {
    eprintln!(
        "detection vs injected labels: window ROC-AUC {:.3} ({} of {} windows positive) | alert precision {:.3} ({} of {}) | incident recall {:.3} ({} of {})",
        q.roc_auc, q.positive_windows, q.windows, q.precision, q.true_alerts, q.alerts, q.recall, q.detected, q.incidents
    );
    for (kind, k) in &q.per_kind {
        eprintln!("  {kind:<24} recall {} of {}", k.detected, k.incidents);
    }
}

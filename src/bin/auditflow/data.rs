//! `generate`, `evaluate`, `parse` and `features`: working with audit data directly.

use crate::common::{say, Workers};
use auditflow::evaluate::{read_alerts, read_json_lines, read_labels};
use auditflow::generate::GeneratorConfig;
use auditflow::parse::Format;
use auditflow::pipeline::features::{run_features, FeaturesOptions};
use auditflow::sink::Target;
use auditflow::spec::{parse_duration, parse_duration_or_zero};
use auditflow::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// gcp, cloudtrail, auditd, confluent or waf.
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
    /// Output file (JSON lines), or - for stdout.
    #[arg(long)]
    out: PathBuf,
    /// Labels TSV of the injected events.
    #[arg(long)]
    labels: Option<PathBuf>,
}

impl GenerateArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        if self.format == Format::Auto {
            return Err(Error::invalid(
                "--format",
                "generate writes one family: gcp, cloudtrail, auditd, confluent or waf",
            ));
        }
        let mut config = GeneratorConfig::new(self.format, self.events, self.seed);
        config.days = self.days.max(1);
        if let Some(p) = self.principals {
            config.principals = p.max(1);
            config.incidents = (config.principals / 25).max(3);
        }
        if let Some(i) = self.incidents {
            config.incidents = i;
        }
        let summary = auditflow::generate::write_files(&config, &self.out, self.labels.as_deref())?;
        eprintln!(
            "generated {} {} records ({} bytes) for {} principals, {} incidents ({} labelled events)",
            summary.events, self.format, summary.bytes, summary.principals, summary.incidents, summary.labelled
        );
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// Scores JSON lines (from run --scores).
    #[arg(long)]
    scores: PathBuf,
    /// Alerts JSON lines (from run --alerts).
    #[arg(long)]
    alerts: PathBuf,
    /// Labels TSV (from generate --labels).
    #[arg(long)]
    labels: PathBuf,
    /// Window length the scores were computed with.
    #[arg(long, default_value = "5m")]
    window: String,
}

impl EvaluateArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let (alerts, rule_alerts) = read_alerts(&self.alerts)?;
        if rule_alerts > 0 {
            eprintln!("evaluate: {rule_alerts} rule and monitor alert lines left out (baseline-divergence alerts are scored)");
        }
        let quality = auditflow::evaluate::evaluate(
            &read_json_lines(&self.scores)?,
            &alerts,
            &read_labels(&self.labels)?,
            parse_duration("--window", &self.window)?,
        );
        say(format_args!(
            "{}",
            serde_json::to_string_pretty(&quality).expect("serializable")
        ));
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct ParseArgs {
    /// Record format: gcp, cloudtrail, auditd, confluent, waf or auto.
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
}

impl ParseArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let summary = auditflow::normalize::normalize_files(
            self.format,
            &self.files,
            &Target::Stdout,
            &Target::parse(&self.dead_letter),
            self.max_record_bytes,
        )?;
        eprintln!(
            "parsed {} records: {} events, {} dead-lettered",
            summary.records, summary.events, summary.dead_lettered
        );
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct FeaturesArgs {
    /// Files, directories, globs, or - for stdin.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// Record format: gcp, cloudtrail, auditd, confluent, waf or auto.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// Window length (e.g. 5m).
    #[arg(long, default_value = "5m")]
    window: String,
    /// Allowed lateness (e.g. 1m).
    #[arg(long, default_value = "1m")]
    lateness: String,
    /// Output CSV (default stdout); a path with `{process}` gives each process of a
    /// cluster its own file.
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
}

impl FeaturesArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        let summary = run_features(FeaturesOptions {
            inputs: self.input,
            format: self.format,
            window_secs: parse_duration("--window", &self.window)?,
            lateness_secs: parse_duration_or_zero("--lateness", &self.lateness)?,
            out: Target::parse(&self.out),
            dead_letter: Target::parse(&self.dead_letter),
            max_record_bytes: 1 << 20,
            chunk_bytes: auditflow::source::file::CHUNK_BYTES,
            execution,
        })?;
        if !leader {
            return Ok(());
        }
        eprintln!(
            "features: {} records, {} processed, {} dead-lettered, {} late in {:.2}s ({:.0} events/s)",
            summary.records,
            summary.processed,
            summary.dead_lettered,
            summary.late,
            summary.elapsed.as_secs_f64(),
            summary.records as f64 / summary.elapsed.as_secs_f64().max(1e-9)
        );
        if self.fail_on_dead_letter && summary.dead_lettered > 0 {
            return Err(Error::DeadLetters(summary.dead_lettered));
        }
        Ok(())
    }
}

//! The `auditflow` command: parses flags, calls the library, maps errors to exit codes.

use auditflow::parse::Format;
use auditflow::pipeline::features::{run_features, FeaturesOptions};
use auditflow::pipeline::Execution;
use auditflow::sink::Target;
use auditflow::spec::{parse_duration, parse_duration_or_zero};
use auditflow::Error;
use clap::{Parser, Subcommand};
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

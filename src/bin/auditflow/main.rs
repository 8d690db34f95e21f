//! The `auditflow` command: parses flags, calls the library, maps errors to exit codes.
//!
//! Each subcommand's flags live beside the library call they feed, one module per group.

mod bench;
mod cluster;
mod common;
mod data;
mod graph;
mod produce;
mod report;
mod run;
mod sigma;

use auditflow::Error;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

// The engine allocates and frees many small batches and shared values across worker
// threads; jemalloc's per-thread caches cost about a third less CPU than glibc malloc here,
// with a lower peak (BENCHMARKS.md, "Allocator"). Library users choose their own allocator;
// `--no-default-features` builds the binary with the system allocator.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

#[derive(Subcommand)]
enum Command {
    /// Generate a realistic stream with injected attacks and detect them, on every core.
    Demo(run::DemoArgs),
    /// Run a pipeline: score every principal's windows against its baseline and alert.
    Run(run::RunArgs),
    /// Write deterministic synthetic audit logs with labelled injected anomalies.
    Generate(data::GenerateArgs),
    /// Detection quality of scores and alerts against labels.
    Evaluate(data::EvaluateArgs),
    /// Print records as normalized events (JSON lines, input order).
    Parse(data::ParseArgs),
    /// Per-principal tumbling-window features (stage 1) as CSV.
    Features(data::FeaturesArgs),
    /// The entity graph: who touched what, from where; queries and GraphML/neo4j export.
    Graph(graph::GraphArgs),
    /// Reports for people: bounded runs of the dataflow over a span of logs.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Sigma rules: check which load.
    Sigma(sigma::SigmaArgs),
    /// Launch N local processes of a subcommand as one cluster (e.g. `-- run spec.toml`).
    Cluster(cluster::ClusterArgs),
    /// Measure the scoring engine: source -> engine -> blackhole (events/s, latency, memory).
    Bench(bench::BenchArgs),
    /// Generate audit records straight into a Kafka topic, keyed by principal.
    Produce(produce::ProduceArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => args.execute(),
        Command::Run(args) => args.execute(),
        Command::Generate(args) => args.execute(),
        Command::Evaluate(args) => args.execute(),
        Command::Parse(args) => args.execute(),
        Command::Features(args) => args.execute(),
        Command::Report(command) => command.execute(),
        Command::Graph(args) => args.execute(),
        Command::Sigma(args) => args.execute(),
        Command::Cluster(args) => args.execute(),
        Command::Bench(args) => args.execute(),
        Command::Produce(args) => args.execute(),
    };
    match result {
        // The reader of our stdout has what it wanted (`| head`): like ripgrep, end quietly.
        Ok(()) | Err(Error::StdoutClosed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auditflow: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2: the user must fix a flag, spec or path; 3: dead letters with --fail-on-dead-letter;
/// 1: anything else (I/O, dataflow).
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Invalid { .. } | Error::Spec { .. } | Error::NoInput(_) => 2,
        Error::DeadLetters(_) => 3,
        _ => 1,
    }
}

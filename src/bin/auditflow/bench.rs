//! `bench`: the scoring engine from a source into a blackhole, measured.

use crate::common::{say, Workers};
use auditflow::cluster::launch::{check_exits, launch, LaunchOptions};
use auditflow::parse::Format;
use auditflow::pipeline::bench::{run_bench_from, BenchReport, LatencyFrom};
use auditflow::pipeline::memory::MemoryEstimate;
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::InputPlan;
use auditflow::spec::{SourceKind, Spec};
use auditflow::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Events to generate (ignored with --input).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// gcp or cloudtrail (generated), or the format of --input (auto allowed).
    #[arg(long, default_value = "gcp")]
    format: Format,
    /// Replay this file instead of generating events.
    #[arg(long)]
    input: Option<String>,
    /// Pipeline spec for windows and baseline (defaults apply without one).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Generated principals (default: events / 200, within 10..5000).
    #[arg(long)]
    principals: Option<u32>,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// With --kafka: stop reading after this many seconds (a timed run on a live topic).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Measure latency from each event's own timestamp to its window's results (input
    /// whose event time runs with the clock: `auditflow produce --live`).
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    kafka: crate::run::KafkaArgs,
    #[command(flatten)]
    workers: Workers,
}

impl BenchArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        if self.workers.processes.unwrap_or(1) > 1 && self.workers.hostfile.is_none() {
            if self.kafka.given() {
                return Err(Error::invalid(
                    "--processes",
                    "bench --kafka runs in one process here; start each process with \
                     --hostfile and --process for a cluster",
                ));
            }
            return self.launch_local_cluster();
        }
        let execution = self.workers.execution()?;
        let leader = execution.is_leader();
        let mut spec = match &self.spec {
            Some(path) => Spec::load(path)?,
            None => Spec::default(),
        };
        spec.source.format = self.format;
        match self.input {
            _ if self.kafka.given() => self.kafka.apply(&mut spec.source)?,
            Some(input) => {
                spec.source.kind = SourceKind::Files;
                spec.source.paths = vec![input];
            }
            None => {
                spec.source.kind = SourceKind::Generator;
                spec.source.generator.events = self.events;
                spec.source.generator.seed = self.seed;
                spec.source.generator.days = 1;
                spec.source.generator.principals = self.principals.unwrap_or(0);
            }
        }
        let mut plan = plan_source(&spec.source)?;
        match (&mut plan, self.duration) {
            (InputPlan::Kafka(source), Some(secs)) if secs > 0.0 => {
                source.stop_at = Some(Instant::now() + Duration::from_secs_f64(secs));
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "--duration",
                    "give a number of seconds above 0, with --kafka",
                ))
            }
            _ => {}
        }
        let from = if self.live {
            LatencyFrom::EventTime
        } else {
            LatencyFrom::Read
        };
        if leader {
            if let InputPlan::Generator(configs) = &plan {
                let principals: u64 = configs.iter().map(|c| c.principals as u64).sum();
                let events: u64 = configs.iter().map(|c| c.events).sum();
                let rate = events as f64 / principals.max(1) as f64 / 24.0;
                let estimate =
                    MemoryEstimate::new(&spec.time.windows()?, principals, rate, Some(events));
                eprintln!("{}", estimate.describe());
            }
        }
        let report = run_bench_from(&spec, plan, execution, from)?;
        if !leader {
            return Ok(());
        }
        if self.json {
            say(format_args!(
                "{}",
                serde_json::to_string(&report).expect("a bench report serializes")
            ));
        } else {
            print_report(&report);
        }
        Ok(())
    }
}

impl BenchArgs {
    /// `--processes N` without a hostfile: run N local processes of this bench on
    /// loopback (process 0 prints the report for all of them).
    fn launch_local_cluster(self) -> auditflow::Result<()> {
        let mut args = vec![
            "bench".to_string(),
            "--format".into(),
            self.format.to_string(),
        ];
        args.extend(["--events".into(), self.events.to_string()]);
        args.extend(["--seed".into(), self.seed.to_string()]);
        if let Some(input) = self.input {
            args.extend(["--input".into(), input]);
        }
        if let Some(principals) = self.principals {
            args.extend(["--principals".into(), principals.to_string()]);
        }
        if let Some(spec) = self.spec {
            args.extend(["--spec".into(), spec.display().to_string()]);
        }
        if self.json {
            args.push("--json".into());
        }
        let exits = launch(&LaunchOptions {
            program: std::env::current_exe()
                .map_err(|e| Error::io("cannot find", "the auditflow executable", e))?,
            args,
            processes: self.workers.processes.unwrap_or(1),
            workers: self
                .workers
                .workers
                .unwrap_or_else(|| auditflow::pipeline::Execution::all_cores().workers),
            prefix_output: false,
        })?;
        check_exits(&exits)
    }
}

fn print_report(r: &BenchReport) {
    let s = &r.summary;
    let l = &r.latency_ms;
    say(format_args!(
        "{} processes x {} workers: {} events in {:.2}s",
        r.processes, r.workers, s.records, r.seconds
    ));
    say(format_args!(
        "throughput: {:.0} events/s, {:.1} MB/s ({} scored-window outputs)",
        r.events_per_sec, r.mb_per_sec, r.outputs
    ));
    say(format_args!(
        "event-to-output latency: p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms ({} events)",
        l.p50, l.p99, l.p999, l.max, l.samples
    ));
    say(format_args!(
        "peak memory: {:.1} MiB (process 0), {:.1} MiB (all processes), {} arranged records",
        r.peak_rss_bytes as f64 / (1 << 20) as f64,
        r.peak_rss_bytes_all as f64 / (1 << 20) as f64,
        r.peak_arranged_records
    ));
    let mut largest: Vec<_> = r.held_at_peak.iter().collect();
    largest.sort_by_key(|(name, h)| (std::cmp::Reverse(h.traced + h.batched), *name));
    let largest: Vec<String> = largest
        .iter()
        .take(4)
        .map(|(name, h)| format!("{name} {}+{}", h.traced, h.batched))
        .collect();
    say(format_args!(
        "held at peak: {} records in traces and batchers (largest, traced+batched: {})",
        r.peak_held_records,
        largest.join(", ")
    ));
    say(format_args!(
        "records: {} processed, {} late, {} dead-lettered",
        s.processed, s.late, s.dead_lettered
    ));
}

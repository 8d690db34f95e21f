//! How a pipeline runs: threads and processes, starting timely on them, and totals over
//! the processes.

use crate::sink::{Gather, Output, Target};
use crate::source::ingest::IngestCounters;
use crate::{Error, Result};
use std::sync::Mutex;
use std::time::Duration;

/// How a pipeline runs: worker threads per process, and the cluster of processes.
///
/// A single process (the default) needs no host list. With `processes > 1`, every process
/// runs the same command with its own `process` index and the same `hosts` (one
/// `host:port` per process); results are written and counted by process 0 only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Worker threads in each process.
    pub workers: usize,
    /// Processes in the cluster.
    pub processes: usize,
    /// This process's index, `0..processes`.
    pub process: usize,
    /// `host:port` of every process, in process order (empty for one process).
    pub hosts: Vec<String>,
    /// How long to wait for every peer to connect.
    pub connect_timeout: Duration,
}

/// The default for [`Execution::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl Execution {
    /// `workers` threads in this one process.
    pub fn threads(workers: usize) -> Self {
        Execution {
            workers,
            processes: 1,
            process: 0,
            hosts: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// One worker per available core, in this one process.
    pub fn all_cores() -> Self {
        Self::threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Process `process` of a cluster of `hosts.len()` processes, `workers` threads each.
    pub fn cluster(workers: usize, process: usize, hosts: Vec<String>) -> Self {
        Execution {
            workers,
            processes: hosts.len(),
            process,
            hosts,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Whether this process writes the outputs and reports the totals (process 0).
    pub fn is_leader(&self) -> bool {
        self.process == 0
    }

    /// Workers over all processes.
    pub fn total_workers(&self) -> usize {
        self.workers * self.processes
    }

    /// Opens `target` on the leader; other processes get an output that discards, so a
    /// file named once is created (and replaced) by one process only. A path containing
    /// `{process}` ([`crate::sink::PROCESS_PLACEHOLDER`]) is opened by every process with its
    /// own index in place of the placeholder, and its records are gathered per process.
    pub fn open(&self, target: &Target) -> Result<Output> {
        self.open_with(target, Target::open)
    }

    /// [`Execution::open`] for a run that streams: a file is appended to in place.
    pub fn open_appending(&self, target: &Target) -> Result<Output> {
        self.open_with(target, Target::open_appending)
    }

    fn open_with(&self, target: &Target, open: fn(&Target) -> Result<Output>) -> Result<Output> {
        if target.is_per_process() {
            let gather = Gather::PerProcess {
                workers: self.workers,
                processes: self.processes,
            };
            Ok(open(&target.for_process(self.process))?.gathered(gather))
        } else if self.is_leader() {
            open(target)
        } else {
            Ok(Output::discard())
        }
    }

    /// Checks the settings are consistent.
    pub fn validate(&self) -> Result<()> {
        if self.workers == 0 {
            return Err(Error::invalid("workers", "must be at least 1"));
        }
        if self.processes == 0 {
            return Err(Error::invalid("processes", "must be at least 1"));
        }
        if self.process >= self.processes {
            return Err(Error::invalid(
                "process",
                format!(
                    "{} is out of range: give 0..{} (one index per process)",
                    self.process, self.processes
                ),
            ));
        }
        if self.processes > 1 && self.hosts.len() != self.processes {
            return Err(Error::invalid(
                "hostfile",
                format!(
                    "{} processes need {} host:port lines, the hostfile has {}",
                    self.processes,
                    self.processes,
                    self.hosts.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Ingest counters summed over the processes: records, processed, dead-lettered, late, bytes.
pub type CounterTotals = [u64; 5];

pub(crate) fn counters_array(counters: &IngestCounters) -> CounterTotals {
    let (records, processed, dead_lettered, late) = counters.snapshot();
    let bytes = counters.bytes.load(std::sync::atomic::Ordering::Relaxed);
    [records, processed, dead_lettered, late, bytes]
}

/// Runs this worker's dataflows to completion, then sums the per-process ingest counters
/// at global worker 0, which stores them in `totals`. Each process's counters are sent
/// once, by its first local worker: the dataflow is complete only after every worker's
/// source finished counting, so the snapshot is final.
pub fn finish_and_total(
    worker: &mut timely::worker::Worker,
    execution_workers: usize,
    counters: &IngestCounters,
    totals: &Mutex<Option<CounterTotals>>,
) {
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    let mine = if worker.index() % execution_workers == 0 {
        counters_array(counters)
    } else {
        [0; 5]
    };
    let all = crate::cluster::gather_at_leader(worker, mine);
    if worker.index() == 0 {
        let mut sum = [0u64; 5];
        for part in all {
            for (s, v) in sum.iter_mut().zip(part) {
                *s += v;
            }
        }
        *totals.lock().unwrap_or_else(|p| p.into_inner()) = Some(sum);
    }
}

/// Records of merge work an arrangement does each time it is scheduled while idle
/// (differential's `idle_merge_effort`). Without it, the last batches of principals that
/// went idle wait for new data before they are merged, and so compacted, away.
pub const IDLE_MERGE_EFFORT: isize = 1000;

/// The worker configuration every AuditFlow dataflow runs with ([`IDLE_MERGE_EFFORT`]).
pub fn worker_config() -> timely::WorkerConfig {
    let mut config = timely::WorkerConfig::default();
    let merging =
        differential_dataflow::Config::default().idle_merge_effort(Some(IDLE_MERGE_EFFORT));
    differential_dataflow::configure(&mut config, &merging);
    config
}

/// Runs `build` on every worker of `execution` until all dataflows finish. Errors raised
/// inside workers are collected; the first one is returned.
pub fn execute<F>(execution: Execution, build: F) -> Result<()>
where
    F: Fn(&mut timely::worker::Worker) -> Result<()> + Send + Sync + 'static,
{
    execution.validate()?;
    let work = move |worker: &mut timely::worker::Worker| {
        let result = build(worker);
        while worker.has_dataflows() {
            worker.step_or_park(None);
        }
        result
    };
    let guards = if execution.processes == 1 {
        let config = timely::Config {
            worker: worker_config(),
            ..timely::Config::process(execution.workers)
        };
        timely::execute(config, work)
    } else {
        let (builders, network) = crate::cluster::tcp_allocators(
            execution.workers,
            execution.process,
            &execution.hosts,
            execution.connect_timeout,
        )?;
        timely::execute::execute_from(builders, network, worker_config(), work)
    }
    .map_err(Error::Dataflow)?;
    let mut first = None;
    for result in guards.join() {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                first.get_or_insert(e);
            }
            Err(panic) => {
                first.get_or_insert(Error::Dataflow(panic));
            }
        }
    }
    first.map_or(Ok(()), Err)
}

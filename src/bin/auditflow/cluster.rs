//! `cluster`: launch a local multi-process cluster of this binary.

use auditflow::cluster::launch::{check_exits, launch, LaunchOptions};
use auditflow::Error;

#[derive(clap::Args)]
pub struct ClusterArgs {
    /// Processes to launch on this machine.
    #[arg(long, default_value_t = 2)]
    processes: usize,
    /// Worker threads per process.
    #[arg(long, short = 'w', default_value_t = 1)]
    workers: usize,
    /// The subcommand and arguments every process runs, after `--` (e.g. `-- run spec.toml
    /// --alerts alerts.jsonl`); the cluster flags are added.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

impl ClusterArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        let program = std::env::current_exe()
            .map_err(|e| Error::io("cannot find", "the auditflow executable", e))?;
        let exits = launch(&LaunchOptions {
            program,
            args: self.command,
            processes: self.processes,
            workers: self.workers,
            prefix_output: true,
        })?;
        check_exits(&exits)
    }
}

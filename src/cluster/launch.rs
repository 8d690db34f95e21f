//! A local cluster: N processes of one program on free loopback ports, their output
//! prefixed with `[p0]`, `[p1]`, ..., signals forwarded, failures named.

use super::free_loopback_hosts;
use crate::{Error, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to launch.
#[derive(Clone, Debug)]
pub struct LaunchOptions {
    /// The program every process runs (normally this executable).
    pub program: PathBuf,
    /// Arguments of every process; the cluster flags are appended.
    pub args: Vec<String>,
    /// Processes.
    pub processes: usize,
    /// Worker threads per process.
    pub workers: usize,
    /// Prefix each output line with its process (`[p0] `); off when only process 0
    /// prints and its output must stay machine-readable.
    pub prefix_output: bool,
}

/// How one process ended.
#[derive(Clone, Debug)]
pub struct ProcessExit {
    /// Process index.
    pub process: usize,
    /// Its exit status.
    pub status: ExitStatus,
}

/// Runs `options.processes` processes of `options.program` with `args` followed by
/// `--workers W --processes N --process I --hostfile F`, where F lists free loopback ports.
/// Output lines are prefixed with the process (`[p0] ...`). SIGINT and SIGTERM received
/// while waiting are forwarded to every child. Returns every process's exit; use
/// [`check_exits`] to turn failures into an error.
pub fn launch(options: &LaunchOptions) -> Result<Vec<ProcessExit>> {
    if options.processes == 0 || options.workers == 0 {
        return Err(Error::invalid(
            "cluster",
            "--processes and --workers must be at least 1",
        ));
    }
    let hosts = free_loopback_hosts(options.processes)?;
    let hostfile = tempfile_path("hosts");
    std::fs::write(&hostfile, hosts.join("\n") + "\n")
        .map_err(|e| Error::io("cannot create", &hostfile, e))?;
    let signal = Arc::new(AtomicUsize::new(0));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_usize(sig, signal.clone(), sig as usize)
            .map_err(|e| Error::Dataflow(format!("cannot handle signals: {e}")))?;
    }
    let mut children = Vec::new();
    let mut pumps = Vec::new();
    for process in 0..options.processes {
        let spawned = Command::new(&options.program)
            .args(&options.args)
            .args(["--workers", &options.workers.to_string()])
            .args(["--processes", &options.processes.to_string()])
            .args(["--process", &process.to_string()])
            .arg("--hostfile")
            .arg(&hostfile)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                stop_all(&mut children, rustix::process::Signal::TERM);
                let _ = std::fs::remove_file(&hostfile);
                return Err(Error::io("cannot start", &options.program, e));
            }
        };
        let prefix = if options.prefix_output {
            format!("[p{process}] ")
        } else {
            String::new()
        };
        if let Some(out) = child.stdout.take() {
            pumps.push(pump(out, prefix.clone(), false));
        }
        if let Some(err) = child.stderr.take() {
            pumps.push(pump(err, prefix, true));
        }
        children.push(child);
    }
    let exits = wait_all(&mut children, &signal);
    for pump in pumps {
        let _ = pump.join();
    }
    let _ = std::fs::remove_file(&hostfile);
    exits
}

/// An error naming the first process that failed, if any did.
pub fn check_exits(exits: &[ProcessExit]) -> Result<()> {
    let failed: Vec<String> = exits
        .iter()
        .filter(|e| !e.status.success())
        .map(|e| format!("process {} ({})", e.process, e.status))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Dataflow(format!(
            "{} of {} processes failed: {}; see their [pN] lines above",
            failed.len(),
            exits.len(),
            failed.join(", ")
        )))
    }
}

/// Polls the children until all exit, forwarding any signal received meanwhile.
fn wait_all(children: &mut [Child], signal: &AtomicUsize) -> Result<Vec<ProcessExit>> {
    let mut exits: Vec<Option<ExitStatus>> = vec![None; children.len()];
    while exits.iter().any(Option::is_none) {
        let received = signal.swap(0, Ordering::Relaxed);
        if received != 0 {
            let sig = if received == signal_hook::consts::SIGINT as usize {
                rustix::process::Signal::INT
            } else {
                rustix::process::Signal::TERM
            };
            stop_all(children, sig);
        }
        for (child, exit) in children.iter_mut().zip(exits.iter_mut()) {
            if exit.is_none() {
                *exit = child
                    .try_wait()
                    .map_err(|e| Error::Dataflow(format!("cannot wait for a process: {e}")))?;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(exits
        .into_iter()
        .enumerate()
        .map(|(process, status)| ProcessExit {
            process,
            status: status.expect("every process exited"),
        })
        .collect())
}

fn stop_all(children: &mut [Child], sig: rustix::process::Signal) {
    for child in children.iter() {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, sig);
        }
    }
}

/// Copies lines from a child's pipe to ours, each prefixed, one whole line at a time.
fn pump(
    from: impl std::io::Read + Send + 'static,
    prefix: String,
    to_stderr: bool,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            let written = if to_stderr {
                let mut err = std::io::stderr().lock();
                err.write_all(prefix.as_bytes())
                    .and_then(|()| err.write_all(&line))
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(prefix.as_bytes())
                    .and_then(|()| out.write_all(&line))
                    .and_then(|()| out.flush())
            };
            if written.is_err() {
                break;
            }
            line.clear();
        }
    })
}

fn tempfile_path(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "auditflow-{what}-{}-{nanos}.txt",
        std::process::id()
    ))
}

//! A local cluster: N processes of one program on free loopback ports, their output
//! prefixed with `[p0]`, `[p1]`, ..., signals forwarded, failures named.
//!
//! SIGINT and SIGTERM are forwarded to stop the processes; SIGHUP is forwarded and the
//! launcher keeps waiting, so `kill -HUP` on it reloads the rules of every `run` process as
//! it would on a single one (crate::sigma::reload).

use super::free_loopback_hosts;
use crate::{Error, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
/// Output lines are prefixed with the process (`[p0] ...`). SIGINT, SIGTERM and SIGHUP
/// received while waiting are forwarded to every running child. Returns every process's exit; use
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
    let signals = Signals::register()?;
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
                signal_all(&children, rustix::process::Signal::TERM);
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
    let exits = wait_all(&mut children, &signals);
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

/// The signals the launcher forwards, as flags its wait loop polls.
struct Signals {
    /// SIGINT or SIGTERM, by number (0: none).
    stop: Arc<AtomicUsize>,
    /// SIGHUP: kept apart from `stop`, so a reload cannot hide a stop or turn into one.
    hangup: Arc<AtomicBool>,
}

impl Signals {
    fn register() -> Result<Signals> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let signals = Signals {
            stop: Arc::default(),
            hangup: Arc::default(),
        };
        let error = |e: std::io::Error| Error::Dataflow(format!("cannot handle signals: {e}"));
        for sig in [SIGINT, SIGTERM] {
            signal_hook::flag::register_usize(sig, signals.stop.clone(), sig as usize)
                .map_err(error)?;
        }
        signal_hook::flag::register(SIGHUP, signals.hangup.clone()).map_err(error)?;
        Ok(signals)
    }
}

/// Polls the children until all exit, forwarding any signal received meanwhile to those
/// not yet reaped (a reaped child's pid may already belong to another process).
fn wait_all(children: &mut [Child], signals: &Signals) -> Result<Vec<ProcessExit>> {
    use rustix::process::Signal;
    let mut exits: Vec<Option<ExitStatus>> = vec![None; children.len()];
    while exits.iter().any(Option::is_none) {
        let running = || {
            children
                .iter()
                .zip(&exits)
                .filter(|(_, exit)| exit.is_none())
                .map(|(child, _)| child)
        };
        if signals.hangup.swap(false, Ordering::Relaxed) {
            signal_all(running(), Signal::HUP);
        }
        let received = signals.stop.swap(0, Ordering::Relaxed);
        if received != 0 {
            let sig = match received == signal_hook::consts::SIGINT as usize {
                true => Signal::INT,
                false => Signal::TERM,
            };
            signal_all(running(), sig);
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

fn signal_all<'c>(children: impl IntoIterator<Item = &'c Child>, sig: rustix::process::Signal) {
    for child in children {
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

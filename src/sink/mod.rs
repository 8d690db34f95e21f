//! Sinks: where results are written.
//!
//! A file is written under a temporary name and renamed into place only when the run
//! succeeds, so a failed run leaves nothing half-written.

use crate::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub mod kafka;
pub mod stdout;

pub use stdout::{stdout, stdout_closed};

/// Where a stream of lines goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// A file, replaced atomically at the end of the run.
    File(PathBuf),
    /// A Kafka topic (`kafka://BROKERS/TOPIC`): one record per line, keyed by principal,
    /// idempotent with acks=all, delivered before each flush returns.
    Kafka {
        /// Bootstrap brokers.
        brokers: String,
        /// Topic.
        topic: String,
    },
}

/// The placeholder that makes a file output one file per process.
pub const PROCESS_PLACEHOLDER: &str = "{process}";

impl Target {
    /// Whether this is a file path containing [`PROCESS_PLACEHOLDER`]: each process of a
    /// cluster then writes its own file.
    pub fn is_per_process(&self) -> bool {
        matches!(self, Target::File(path) if path.to_string_lossy().contains(PROCESS_PLACEHOLDER))
    }

    /// The target with [`PROCESS_PLACEHOLDER`] replaced by `process`.
    pub fn for_process(&self, process: usize) -> Target {
        match self {
            Target::File(path) if self.is_per_process() => Target::File(PathBuf::from(
                path.to_string_lossy()
                    .replace(PROCESS_PLACEHOLDER, &process.to_string()),
            )),
            other => other.clone(),
        }
    }

    /// `-` or `stdout`, `stderr`, `kafka://BROKERS/TOPIC`, or a path.
    pub fn parse(text: &str) -> Target {
        let kafka = text
            .strip_prefix("kafka://")
            .and_then(|rest| rest.rsplit_once('/'));
        match text {
            "-" | "stdout" => Target::Stdout,
            "stderr" => Target::Stderr,
            _ if kafka.is_some() => {
                let (brokers, topic) = kafka.expect("checked");
                Target::Kafka {
                    brokers: brokers.into(),
                    topic: topic.into(),
                }
            }
            path => Target::File(PathBuf::from(path)),
        }
    }

    /// Opens the target for writing (files under a temporary name next to the final one).
    pub fn open(&self) -> Result<Output> {
        Ok(match self {
            Target::Stdout => Output {
                writer: Box::new(BufWriter::new(stdout())),
                rename: None,
                gather: Gather::Leader,
            },
            Target::Stderr => Output {
                writer: Box::new(std::io::stderr()),
                rename: None,
                gather: Gather::Leader,
            },
            // A special file (`/dev/null`, a FIFO) is written in place: it cannot be
            // replaced by a rename, and there is nothing half-written to protect.
            Target::File(path)
                if std::fs::metadata(path).is_ok_and(|m| !m.file_type().is_file()) =>
            {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io("cannot open", path, e))?;
                Output {
                    writer: Box::new(BufWriter::with_capacity(1 << 20, file)),
                    rename: None,
                    gather: Gather::Leader,
                }
            }
            Target::File(path) => {
                let mut name = path.file_name().unwrap_or_default().to_os_string();
                name.push(format!(".tmp{}", std::process::id()));
                let tmp = path.with_file_name(name);
                let file = File::create(&tmp).map_err(|e| Error::io("cannot create", path, e))?;
                Output {
                    writer: Box::new(BufWriter::with_capacity(1 << 20, file)),
                    rename: Some((tmp, path.clone())),
                    gather: Gather::Leader,
                }
            }
            Target::Kafka { brokers, topic } => Output {
                writer: Box::new(kafka::KafkaLines::connect(brokers, topic)?),
                rename: None,
                gather: Gather::Leader,
            },
        })
    }
}

impl Target {
    /// Opens the target for a streaming run: a file is created if missing and appended to
    /// in place (no temporary name), so lines flushed before a crash or a kill stay, and a
    /// restarted run adds to them; other targets open as [`Target::open`] does.
    pub fn open_appending(&self) -> Result<Output> {
        match self {
            Target::File(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| Error::io("cannot open", path, e))?;
                Ok(Output {
                    writer: Box::new(BufWriter::with_capacity(1 << 20, file)),
                    rename: None,
                    gather: Gather::Leader,
                })
            }
            _ => self.open(),
        }
    }
}

/// An open output. Call [`Output::commit`] when the run succeeded; dropping it without a
/// commit removes the temporary file.
pub struct Output {
    writer: Box<dyn Write + Send>,
    rename: Option<(PathBuf, PathBuf)>,
    gather: Gather,
}

/// Which worker gathers the records an ordered sink writes to an output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gather {
    /// Global worker 0: one output for the whole cluster.
    #[default]
    Leader,
    /// The first worker of process `key_hash % processes`: each process writes its own
    /// output, and a record's key decides which (the same for every run).
    PerProcess {
        /// Worker threads in each process.
        workers: usize,
        /// Processes in the cluster.
        processes: usize,
    },
}

impl Gather {
    /// The worker that gathers a record with this key; the key is hashed only when
    /// records are split per process (the sinks call this once per record).
    pub fn worker_for<K: differential_dataflow::hashable::Hashable<Output = u64> + ?Sized>(
        &self,
        key: &K,
    ) -> u64 {
        match self {
            Gather::Leader => 0,
            Gather::PerProcess { .. } => self.worker(key.hashed()),
        }
    }

    /// The global index of the worker that gathers a record whose key hashes to `key_hash`.
    pub fn worker(&self, key_hash: u64) -> u64 {
        match *self {
            Gather::Leader => 0,
            Gather::PerProcess { workers, processes } => {
                (key_hash % processes as u64) * workers as u64
            }
        }
    }
}

impl Output {
    /// An output that discards everything (a process of a cluster that does not write).
    pub fn discard() -> Output {
        Output {
            writer: Box::new(std::io::sink()),
            rename: None,
            gather: Gather::Leader,
        }
    }

    /// The output with its records gathered as `gather` says.
    pub fn gathered(mut self, gather: Gather) -> Output {
        self.gather = gather;
        self
    }

    /// Which worker gathers this output's records.
    pub fn gather(&self) -> Gather {
        self.gather
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        &mut *self.writer
    }

    /// Flushes and moves the file into place.
    pub fn commit(mut self) -> Result<()> {
        let target = self.rename.take();
        let path = target.as_ref().map(|(_, p)| p.clone()).unwrap_or_default();
        self.writer
            .flush()
            .map_err(|e| Error::io("cannot write", &path, e))?;
        if let Some((tmp, path)) = target {
            std::fs::rename(&tmp, &path).map_err(|e| Error::io("cannot create", &path, e))?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((tmp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// An output shared between the main thread and the worker that writes it, remembering the
/// first write error (operators cannot return errors).
#[derive(Clone)]
pub struct SharedOutput {
    inner: Arc<Mutex<(Option<Output>, Option<std::io::Error>)>>,
    name: PathBuf,
    gather: Gather,
}

impl SharedOutput {
    /// Wraps an opened output; `name` is used in error messages.
    pub fn new(output: Output, name: impl Into<PathBuf>) -> Self {
        SharedOutput {
            gather: output.gather,
            inner: Arc::new(Mutex::new((Some(output), None))),
            name: name.into(),
        }
    }

    /// Which worker gathers this output's records.
    pub fn gather(&self) -> Gather {
        self.gather
    }

    /// Runs `f` on the writer, keeping the first error.
    pub fn write_with(&self, f: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (output, error) = &mut *guard;
        if error.is_some() {
            return;
        }
        if let Some(out) = output.as_mut() {
            if let Err(e) = f(out.writer()) {
                *error = Some(e);
            }
        }
    }

    /// Commits the output, or reports the first write error.
    pub fn finish(self) -> Result<()> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (output, error) = &mut *guard;
        if let Some(e) = error.take() {
            return Err(Error::io("cannot write", &self.name, e));
        }
        match output.take() {
            Some(out) => out.commit(),
            None => Ok(()),
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file renamed into place), so a reader or
/// a cron job never sees half a file.
pub fn write_file_atomic(path: &std::path::Path, text: &str) -> Result<()> {
    let mut out = Target::File(path.to_path_buf()).open()?;
    out.writer()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("cannot write", path, e))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_placeholder_names_one_file_per_process() {
        let target = Target::parse("out/alerts-{process}.jsonl");
        assert!(target.is_per_process());
        assert_eq!(
            target.for_process(3),
            Target::File("out/alerts-3.jsonl".into())
        );
        let once = Target::parse("out/alerts.jsonl");
        assert!(!once.is_per_process());
        assert_eq!(once.for_process(3), once);
        assert!(!Target::Stdout.is_per_process());
    }

    #[test]
    fn per_process_gathering_picks_a_first_worker_by_key() {
        assert_eq!(Gather::Leader.worker(12345), 0);
        let gather = Gather::PerProcess {
            workers: 4,
            processes: 3,
        };
        let workers: Vec<u64> = (0..6).map(|k| gather.worker(k)).collect();
        assert_eq!(workers, [0, 4, 8, 0, 4, 8]);
    }
}

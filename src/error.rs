//! Typed errors of the library. Messages say what was wrong and what to do about it.

use std::path::PathBuf;

/// Everything that can stop AuditFlow from starting or finishing a run.
///
/// Bad records are not errors: they become dead letters and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot create").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A pipeline spec file is malformed or inconsistent.
    #[error("invalid spec {path}: {message}")]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A command-line value or configuration value is out of range or inconsistent.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which setting.
        what: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An input path matched no file.
    #[error("no input files match {0}: check the path or glob")]
    NoInput(String),
    /// The run finished but dead letters were produced and `--fail-on-dead-letter` was set.
    #[error("{0} record(s) were dead-lettered; see the dead-letter output for reasons")]
    DeadLetters(u64),
    /// A process of a cluster could not connect to a peer within the connect timeout.
    #[error("cluster: process {process} at {address}: {message}")]
    Connect {
        /// The peer's process index.
        process: usize,
        /// The peer's `host:port` from the hostfile.
        address: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A Kafka client could not be created or a broker refused a request.
    #[error("kafka: {0}; check --kafka BROKERS, the topic and the --kafka-option settings")]
    Kafka(String),
    /// Standard output's reader went away (`auditflow run | head`): the run stopped early,
    /// which is no failure (see [`crate::sink::stdout()`]).
    #[error("standard output closed by its reader")]
    StdoutClosed,
    /// The timely runtime failed to start or a worker panicked.
    #[error("dataflow failed: {0}")]
    Dataflow(String),
}

impl Error {
    /// An I/O error on a path; a write to standard output whose reader went away is
    /// [`Error::StdoutClosed`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if crate::sink::stdout::is_stdout_closed(&source) {
            return Error::StdoutClosed;
        }
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An invalid setting.
    pub fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            what,
            message: message.into(),
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

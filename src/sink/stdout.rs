//! Standard output as a sink, for pipelines like `auditflow run ... | head -n 1`.
//!
//! Rust ignores SIGPIPE, so a write to a pipe whose reader left fails with `BrokenPipe`.
//! On stdout that means the reader has what it wanted: the error is marked as
//! [`StdoutClosed`], which [`crate::Error::io`] turns into [`crate::Error::StdoutClosed`]
//! (the binary exits 0 quietly), and [`stdout_closed`] tells the sources to stop reading.
//! A broken pipe on a file (a FIFO) carries no mark and stays an I/O error.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to standard output found its reader gone.
pub fn stdout_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// The mark on the `BrokenPipe` error of a write to standard output.
#[derive(Debug, thiserror::Error)]
#[error("standard output closed by its reader")]
pub struct StdoutClosed;

/// Whether `error` is a write to standard output that found its reader gone.
pub fn is_stdout_closed(error: &std::io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<StdoutClosed>())
}

/// Standard output, with a broken pipe marked as [`StdoutClosed`] (see the module docs).
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout())
}

/// See [`stdout`].
pub struct Stdout(std::io::Stdout);

/// `error` with a broken pipe marked as [`StdoutClosed`].
fn marked(error: std::io::Error) -> std::io::Error {
    match error.kind() {
        ErrorKind::BrokenPipe => std::io::Error::new(ErrorKind::BrokenPipe, StdoutClosed),
        _ => error,
    }
}

/// Marks a broken pipe and remembers it for [`stdout_closed`].
fn checked<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    result.map_err(|e| {
        let e = marked(e);
        if is_stdout_closed(&e) {
            CLOSED.store(true, Ordering::Relaxed);
        }
        e
    })
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        checked(self.0.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        checked(self.0.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        checked(self.0.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_marked_broken_pipe_is_stdout_closed() {
        // `marked`, not `checked`: the flag would stop the sources of other tests.
        let pipe = marked(ErrorKind::BrokenPipe.into());
        assert!(is_stdout_closed(&pipe));
        assert_eq!(pipe.kind(), ErrorKind::BrokenPipe);
        assert!(!is_stdout_closed(&ErrorKind::BrokenPipe.into()));
        assert!(!is_stdout_closed(&marked(
            ErrorKind::PermissionDenied.into()
        )));
        let error = crate::Error::io("cannot write", "stdout", pipe);
        assert!(matches!(error, crate::Error::StdoutClosed), "{error}");
        let fifo = crate::Error::io("cannot write", "fifo", ErrorKind::BrokenPipe.into());
        assert!(matches!(fifo, crate::Error::Io { .. }), "{fifo}");
    }
}

//! Sources: where raw audit records come from.
//!
//! Input is cut into [`Unit`]s that do not depend on the number of workers: a file chunk of
//! a fixed size, a whole file, stdin, or a generator partition. Units are dealt round-robin
//! to workers and each keeps its own event-time watermark, so which events count as late
//! is a function of the input alone, and results are the same at any worker count.

pub mod auditd;
pub mod file;
pub mod generator;
pub mod ingest;

use crate::event::Position;
use crate::parse::ParseError;

/// A callback receiving each record (or the reason it could not be read) with its position.
pub type RecordSink<'a> = dyn FnMut(Position, Result<&[u8], ParseError>) + 'a;

/// A sequential piece of input owned by one worker.
pub trait Unit {
    /// Reads at most `max` records into `sink`. Returns `false` once the unit is exhausted.
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool;

    /// Bytes consumed so far (for progress reporting).
    fn bytes_read(&self) -> u64;
}

//! Sources: where raw audit records come from.
//!
//! Input is cut into [`Unit`]s that do not depend on the number of workers: a file chunk of
//! a fixed size, a whole file, stdin, or a generator partition. Units are dealt round-robin
//! to workers and each keeps its own event-time watermark, so which events count as late
//! is a function of the input alone, and results are the same at any worker count.

pub mod auditd;
pub mod file;
pub mod follow;
pub mod generator;
pub mod ingest;
pub mod kafka;

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

    /// True while the unit has had no input for a while (a quiet Kafka partition): its
    /// watermark then does not hold the source's frontier back.
    fn idle(&self) -> bool {
        false
    }

    /// Told after each batch the latest timestamp its records were emitted at, so a unit
    /// can tell when downstream has finished with them (Kafka offset commits).
    fn emitted(&mut self, _latest: u64) {}

    /// New units found while reading (partitions added to a topic), handed to the source.
    fn discovered(&mut self) -> Vec<Box<dyn Unit>> {
        Vec::new()
    }
}

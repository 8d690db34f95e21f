//! The built-in generator as a source: each generator partition is one unit, so the same
//! records reach the engine whatever the number of workers. Records are raw JSON and go
//! through the same parsers as files.

use super::{RecordSink, Unit};
use crate::event::Position;
use crate::generate::{partition, GeneratedRecord, GeneratorConfig};
use std::sync::Arc;

/// One generator partition.
pub struct GeneratorUnit {
    records: Box<dyn Iterator<Item = GeneratedRecord>>,
    origin: Arc<str>,
    sequence: u64,
    bytes: u64,
}

impl GeneratorUnit {
    /// The records of partition `index` of `config`.
    pub fn new(config: &GeneratorConfig, index: u32) -> Self {
        GeneratorUnit {
            records: Box::new(partition(config, index)),
            origin: Arc::from(format!("generator/{index}")),
            sequence: 0,
            bytes: 0,
        }
    }
}

impl Unit for GeneratorUnit {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        for _ in 0..max {
            let Some(record) = self.records.next() else {
                return false;
            };
            self.bytes += record.raw.len() as u64 + 1;
            let position = Position {
                origin: self.origin.clone(),
                offset: self.sequence,
                line: None,
            };
            self.sequence += 1;
            sink(position, Ok(&record.raw));
        }
        true
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

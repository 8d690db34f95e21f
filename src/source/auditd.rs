//! auditd events from any unit: the unit's auditd lines grouped into events (see
//! [`Assembler`]) before they reach the parser, other records passed on unchanged.

use super::{RecordSink, Unit};
use crate::parse::auditd::Assembler;
use crate::parse::Format;

/// A unit whose auditd lines are grouped into events.
///
/// A unit is read by one worker from start to end, so an event whose lines all lie in one
/// unit is always whole: auditd files are never cut into chunks (see
/// [`crate::parse::Layout::AuditLines`]).
pub struct AuditdEvents {
    inner: Box<dyn Unit>,
    assembler: Assembler,
    all_lines: bool,
    done: bool,
}

impl AuditdEvents {
    /// Groups the auditd lines of `inner`: every line when `all_lines` (format `auditd`),
    /// else only lines that start with `type=` or `node=` (format `auto`).
    pub fn new(inner: Box<dyn Unit>, all_lines: bool) -> Self {
        AuditdEvents {
            inner,
            assembler: Assembler::default(),
            all_lines,
            done: false,
        }
    }
}

/// Wraps `units` in [`AuditdEvents`] when `format` may hold auditd lines (`auditd`, `auto`);
/// other formats keep their units as they are.
pub fn group_events(units: Vec<Box<dyn Unit>>, format: Format) -> Vec<Box<dyn Unit>> {
    let all_lines = match format {
        Format::Auditd => true,
        Format::Auto => false,
        _ => return units,
    };
    units
        .into_iter()
        .map(|u| Box::new(AuditdEvents::new(u, all_lines)) as Box<dyn Unit>)
        .collect()
}

impl Unit for AuditdEvents {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        if self.done {
            return false;
        }
        let (assembler, all_lines) = (&mut self.assembler, self.all_lines);
        let more = self.inner.next_batch(max, &mut |position, record| {
            assembler.push(position, record, all_lines, sink);
        });
        // No more lines (end of input, or a followed file gone quiet): open events are
        // complete, else the last event of a quiet live log would wait for the next line.
        if !more || self.inner.idle() {
            self.assembler.finish(sink);
        }
        self.done = !more;
        more
    }

    fn idle(&self) -> bool {
        self.inner.idle()
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

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

    /// Passed on only while no event is held open: the inner unit (a Kafka partition, say)
    /// then commits exactly what has been emitted, never lines still being grouped.
    fn emitted(&mut self, latest: u64) {
        if self.assembler.is_empty() {
            self.inner.emitted(latest);
        }
    }

    /// New inner units (partitions added to a topic) are grouped like this one.
    fn discovered(&mut self) -> Vec<Box<dyn Unit>> {
        let all_lines = self.all_lines;
        self.inner
            .discovered()
            .into_iter()
            .map(|u| Box::new(AuditdEvents::new(u, all_lines)) as Box<dyn Unit>)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Position;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Lines handed out one per batch; records the `emitted` calls it gets.
    struct Lines {
        lines: Vec<&'static str>,
        next: usize,
        emitted: Rc<RefCell<Vec<(usize, u64)>>>,
    }

    impl Unit for Lines {
        fn next_batch(&mut self, _max: usize, sink: &mut RecordSink<'_>) -> bool {
            if let Some(line) = self.lines.get(self.next) {
                self.next += 1;
                sink(
                    Position::line("t".into(), 0, self.next as u64),
                    Ok(line.as_bytes()),
                );
            }
            self.next < self.lines.len()
        }

        fn bytes_read(&self) -> u64 {
            0
        }

        fn emitted(&mut self, latest: u64) {
            self.emitted.borrow_mut().push((self.next, latest));
        }
    }

    #[test]
    fn emitted_reaches_the_inner_unit_only_between_events() {
        let emitted = Rc::new(RefCell::new(Vec::new()));
        let inner = Lines {
            lines: vec![
                "type=SYSCALL msg=audit(1.000:1): syscall=59 success=yes auid=1000 uid=0 exe=\"/bin/su\"",
                "type=EOE msg=audit(1.000:1): ",
            ],
            next: 0,
            emitted: emitted.clone(),
        };
        let mut unit = AuditdEvents::new(Box::new(inner), true);
        let mut out = 0;
        // The first line opens an event: nothing may be committed behind it yet.
        unit.next_batch(1, &mut |_, _| out += 1);
        unit.emitted(10);
        assert!(emitted.borrow().is_empty());
        // EOE completes it: the inner unit hears about both lines.
        unit.next_batch(1, &mut |_, _| out += 1);
        unit.emitted(20);
        assert_eq!(out, 1);
        assert_eq!(*emitted.borrow(), [(2, 20)]);
    }
}

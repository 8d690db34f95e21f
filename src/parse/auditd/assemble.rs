//! Grouping auditd record lines into events.
//!
//! Lines of one event share `node` and `SECS.MILLIS:SERIAL` and may interleave with other
//! events' lines. An event is complete at its EOE record, at once for single-record
//! user-space messages (USER_*, CRED_*, ADD_USER, ...), when a line more than the flush
//! timeout of event time later arrives, when more than the in-flight limit of events are
//! open (oldest first), or at the end of the input. Every decision depends on the input
//! alone, never on the wall clock, so the same input groups the same way in every run.

use super::fields::{header, is_auditd_line};
use crate::event::Position;
use crate::parse::ParseError;

/// Default flush timeout: an open event is complete once a line 2 s later (event time)
/// arrives. auditd writes an event's records within microseconds of each other.
pub const DEFAULT_FLUSH_AFTER_NS: i64 = 2_000_000_000;

/// Default bound on events open at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// Prefixes of user-space message types, which are whole events in one record.
const SINGLE_RECORD: &[&str] = &[
    "USER_",
    "CRED_",
    "ADD_",
    "DEL_",
    "GRP_",
    "CHGRP_",
    "CHUSER_",
    "ACCT_",
    "SERVICE_",
    "SYSTEM_",
    "DAEMON_",
    "CRYPTO_",
    "ROLE_",
    "ANOM_LOGIN",
    "SOFTWARE_UPDATE",
];

struct Open {
    node: Option<String>,
    stamp: String,
    time_ns: i64,
    position: Position,
    text: Vec<u8>,
}

/// Groups auditd lines into events; each event goes out as one record (its lines joined by
/// `\n`) at the position of its first line.
pub struct Assembler {
    open: Vec<Open>,
    flush_after_ns: i64,
    max_in_flight: usize,
}

impl Default for Assembler {
    fn default() -> Self {
        Assembler::new(DEFAULT_FLUSH_AFTER_NS, DEFAULT_MAX_IN_FLIGHT)
    }
}

/// Where grouped events and passed-through records go.
pub type EventSink<'a> = dyn FnMut(Position, Result<&[u8], ParseError>) + 'a;

impl Assembler {
    /// An assembler with a flush timeout (event time) and a bound on open events.
    pub fn new(flush_after_ns: i64, max_in_flight: usize) -> Self {
        Assembler {
            open: Vec::new(),
            flush_after_ns,
            max_in_flight: max_in_flight.max(1),
        }
    }

    /// True when no event is held open: everything pushed so far has been passed on.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Takes one record from a reader: its auditd lines (all of its lines when `all_lines`,
    /// else only lines that look like auditd) are grouped, anything else is passed on as it
    /// is. A line whose header cannot be read is passed on alone, for the parser to reject.
    pub fn push(
        &mut self,
        position: Position,
        record: Result<&[u8], ParseError>,
        all_lines: bool,
        out: &mut EventSink<'_>,
    ) {
        let raw = match record {
            Ok(raw) if all_lines || is_auditd_line(raw) => raw,
            other => return out(position, other),
        };
        for line in raw.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.push_line(position.clone(), line, out);
            }
        }
    }

    fn push_line(&mut self, position: Position, line: &[u8], out: &mut EventSink<'_>) {
        let parsed = std::str::from_utf8(line).ok().and_then(|l| header(l).ok());
        let Some(h) = parsed else {
            return out(position, Ok(line));
        };
        // Events left open too long are complete: emit them before this line's event.
        let horizon = h.time_ns.saturating_sub(self.flush_after_ns);
        while let Some(i) = self.open.iter().position(|o| o.time_ns < horizon) {
            let done = self.open.remove(i);
            out(done.position, Ok(&done.text));
        }
        let found = self
            .open
            .iter()
            .rposition(|o| o.stamp == h.stamp && o.node.as_deref() == h.node);
        let index = match found {
            Some(i) => {
                self.open[i].text.push(b'\n');
                self.open[i].text.extend_from_slice(line);
                i
            }
            None => {
                self.open.push(Open {
                    node: h.node.map(str::to_owned),
                    stamp: h.stamp.to_owned(),
                    time_ns: h.time_ns,
                    position,
                    text: line.to_vec(),
                });
                self.open.len() - 1
            }
        };
        let complete = h.kind == "EOE" || SINGLE_RECORD.iter().any(|p| h.kind.starts_with(p));
        if complete {
            let done = self.open.remove(index);
            out(done.position, Ok(&done.text));
        }
        while self.open.len() > self.max_in_flight {
            let done = self.open.remove(0);
            out(done.position, Ok(&done.text));
        }
    }

    /// Emits every open event, oldest first (end of input).
    pub fn finish(&mut self, out: &mut EventSink<'_>) {
        for done in self.open.drain(..) {
            out(done.position, Ok(&done.text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn group(input: &str) -> Vec<(u64, String)> {
        let mut asm = Assembler::default();
        let mut got = Vec::new();
        let mut out = |p: Position, r: Result<&[u8], ParseError>| {
            got.push((p.offset, String::from_utf8_lossy(r.unwrap()).into_owned()));
        };
        for (i, line) in input.lines().enumerate() {
            let pos = Position::line(Arc::from("t"), i as u64, i as u64 + 1);
            asm.push(pos, Ok(line.as_bytes()), false, &mut out);
        }
        asm.finish(&mut out);
        got
    }

    #[test]
    fn interleaved_events_group_by_node_and_serial() {
        let input = "type=SYSCALL msg=audit(10.000:1): syscall=59\n\
                     node=b type=SYSCALL msg=audit(10.000:1): syscall=2\n\
                     type=USER_CMD msg=audit(10.001:2): cmd=6C73 res=success\n\
                     type=EXECVE msg=audit(10.000:1): argc=1 a0=\"ls\"\n\
                     {\"not\":\"auditd\"}\n\
                     type=EOE msg=audit(10.000:1): \n\
                     garbage line\n";
        let got = group(input);
        assert_eq!(
            got[0],
            (
                2,
                "type=USER_CMD msg=audit(10.001:2): cmd=6C73 res=success".into()
            )
        );
        assert_eq!(got[1], (4, "{\"not\":\"auditd\"}".into()));
        assert_eq!(got[2].0, 0);
        assert_eq!(got[2].1.lines().count(), 3);
        assert_eq!(got[3], (6, "garbage line".into()));
        assert_eq!(
            got[4],
            (
                1,
                "node=b type=SYSCALL msg=audit(10.000:1): syscall=2".into()
            )
        );
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn events_without_eoe_flush_after_the_timeout() {
        let input = "type=SYSCALL msg=audit(10.000:1): syscall=59\n\
                     type=CWD msg=audit(10.000:1): cwd=\"/\"\n\
                     type=SYSCALL msg=audit(11.000:2): syscall=2\n\
                     type=SYSCALL msg=audit(12.500:3): syscall=2\n";
        let got = group(input);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, 0, "flushed by the line 2.5 s later");
        assert_eq!(got[0].1.lines().count(), 2);
    }
}
